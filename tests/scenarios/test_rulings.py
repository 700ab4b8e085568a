"""Rulings and requests for intervention give their reasons; a partial ruling says so; and
where the goods go is a step of the ruling (spec/workflows.md "Common", rule 2.7)."""

from aftersales.cases.models import Case
from aftersales.cases.presentation import status_label
from tests.scenarios.helpers import (
    OPENING_BALANCE_FEN,
    SHIP,
    act,
    balance,
    ledger,
    open_case,
    refused,
)

NOTE = "核实物流与聊天记录后裁定"


def in_review(market, type="refund_only", **create):
    case = open_case(market, type=type, reason="damaged", **create)
    act(market.merchant, case["case_no"], "refuse", {"reason": "商品无质量问题"})
    act(market.consumer, case["case_no"], "request_intervention", {"reason": "商品确有破损"})
    return case["case_no"]


def test_a_ruling_needs_its_reason(market, travel):
    case_no = in_review(market)
    for body in ({"outcome": "refund"}, {"outcome": "refund", "note": " "}):
        status, error = refused(market.agent, case_no, "rule", body)
        assert (status, error["field"]) == (400, "note")
    assert Case.objects.get(case_no=case_no).status == "platform_review"
    assert ledger(case_no) == []


def test_a_request_for_intervention_needs_its_reason(market, travel):
    case = open_case(market, type="refund_only", reason="damaged")
    act(market.merchant, case["case_no"], "refuse", {"reason": "商品无质量问题"})
    status, error = refused(market.consumer, case["case_no"], "request_intervention", {})
    assert (status, error["field"]) == (400, "reason")
    assert Case.objects.get(case_no=case["case_no"]).status == "refused"


def test_a_refund_ruling_for_less_than_asked_says_it_is_partial(market, travel):
    case_no = in_review(market)
    body = act(
        market.agent, case_no, "rule", {"outcome": "refund", "amount_fen": 100, "note": NOTE}
    )
    assert (body["status"], body["refunded_fen"], body["amount_fen"]) == ("refunded", 100, 20_000)
    data = body["events"][-1]["data"]
    assert (data["partial"], data["refund_fen"], data["note"]) == (True, 100, NOTE)
    assert status_label(Case.objects.get(case_no=case_no)) == "Partly refunded: ¥1.00 of ¥200.00"
    assert balance(market.shop) == OPENING_BALANCE_FEN - 100


def test_a_refund_only_ruling_records_that_the_consumer_keeps_the_goods(market, travel):
    case_no = in_review(market)
    body = act(market.agent, case_no, "rule", {"outcome": "refund", "note": NOTE})
    assert body["events"][-1]["data"]["goods"] == "kept_by_consumer"
    assert "partial" not in body["events"][-1]["data"]
    assert status_label(Case.objects.get(case_no=case_no)) == "Refunded"


def test_a_return_ruling_must_say_where_the_goods_go(market, travel):
    case_no = in_review(market, type="return_refund")
    status, error = refused(market.agent, case_no, "rule", {"outcome": "refund", "note": NOTE})
    assert (status, error["code"], error["field"]) == (422, "return_goods_required", "return_goods")
    assert ledger(case_no) == []


def test_a_return_ruling_can_have_the_goods_sent_back_before_the_refund(market, travel):
    # Given a return the merchant refused before the goods were sent
    case_no = in_review(market, type="return_refund")
    # When the agent rules a partial refund once the goods are back
    body = act(
        market.agent,
        case_no,
        "rule",
        {"outcome": "partial_refund", "amount_fen": 15_000, "return_goods": True, "note": NOTE},
    )
    # Then nothing is paid yet: the consumer sends the goods to the shop's address
    assert body["status"] == "awaiting_return"
    assert body["return_address"]
    assert body["events"][-1]["data"]["goods"] == "return_first"
    assert ledger(case_no) == []
    assert [d["name"] for d in body["deadlines"]] == ["return_shipment_deadline"]
    # And when the goods arrive the ruled amount is refunded, once
    act(market.consumer, case_no, "ship_return", SHIP)
    body = act(market.merchant, case_no, "confirm_return")
    assert (body["status"], body["refunded_fen"]) == ("refunded", 15_000)
    assert balance(market.shop) == OPENING_BALANCE_FEN - 15_000


def test_a_return_ruling_can_let_the_consumer_keep_the_goods(market, travel):
    case_no = in_review(market, type="return_refund")
    body = act(
        market.agent, case_no, "rule", {"outcome": "refund", "return_goods": False, "note": NOTE}
    )
    assert (body["status"], body["refunded_fen"]) == ("refunded", 20_000)
    assert body["events"][-1]["data"]["goods"] == "kept_by_consumer"


def test_where_the_goods_go_is_only_for_refunding_rulings(market, travel):
    case_no = in_review(market, type="return_refund")
    status, error = refused(
        market.agent, case_no, "rule", {"outcome": "reject", "return_goods": True, "note": NOTE}
    )
    assert (status, error["field"]) == (422, "return_goods")
    status, error = refused(
        market.agent, case_no, "rule", {"outcome": "refund", "return_goods": "yes", "note": NOTE}
    )
    assert (status, error["field"]) == (400, "return_goods")
