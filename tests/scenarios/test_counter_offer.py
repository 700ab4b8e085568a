"""The merchant's counter-offer (⚙ counter-offer, as Pinduoduo's 协商): a smaller refund, or a
refund without the goods back, that the consumer accepts or declines; silence declines."""

import datetime as dt

from aftersales.cases.models import Case
from tests.scenarios.helpers import (
    OPENING_BALANCE_FEN,
    SHIP,
    act,
    balance,
    fire_after,
    ledger,
    open_case,
    refused,
    view,
)

OFFER = {"amount_fen": 14_000, "note": "商品不影响使用，退您七成可以吗？"}


def test_a_refund_only_offer_accepted_refunds_the_offered_amount(market, travel):
    case = open_case(market, type="refund_only", reason="damaged")
    body = act(market.merchant, case["case_no"], "offer", OFFER)
    assert body["status"] == "offer_pending"
    assert [d["name"] for d in body["deadlines"]] == ["offer_response_deadline"]
    consumer = market.consumer.get(f"/cases/{case['case_no']}").json()
    assert sorted(consumer["allowed_actions"]) == ["accept_offer", "cancel", "decline_offer"]
    body = act(market.consumer, case["case_no"], "accept_offer")
    assert (body["status"], body["refunded_fen"]) == ("refunded", 14_000)
    assert balance(market.shop) == OPENING_BALANCE_FEN - 14_000


def test_a_declined_offer_returns_the_request_to_the_merchant_once(market, travel):
    case = open_case(market, type="refund_only", reason="damaged")
    act(market.merchant, case["case_no"], "offer", OFFER)
    body = act(market.consumer, case["case_no"], "decline_offer", {"reason": "要全额退款"})
    assert body["status"] == "awaiting_merchant"
    assert [d["name"] for d in body["deadlines"]] == ["merchant_response_deadline"]
    # one offer per request: the merchant now agrees or refuses
    status, error = refused(market.merchant, case["case_no"], "offer", OFFER)
    assert (status, error["code"]) == (409, "guard_failed")
    assert ledger(case["case_no"]) == []


def test_an_unanswered_offer_is_declined_by_the_clock(market, travel):
    case = open_case(market, type="refund_only", reason="damaged")
    body = act(market.merchant, case["case_no"], "offer", OFFER)
    due = dt.datetime.fromisoformat(body["deadlines"][0]["due_at"])
    fire_after(travel, due)
    body = view(market, case["case_no"])
    assert body["status"] == "awaiting_merchant"
    assert body["events"][-1]["actor"] == "system"
    assert ledger(case["case_no"]) == []


def test_a_return_offer_may_let_the_consumer_keep_the_goods(market, travel):
    case = open_case(market, type="return_refund", reason="damaged")
    act(market.merchant, case["case_no"], "offer", {**OFFER, "return_goods": False})
    body = act(market.consumer, case["case_no"], "accept_offer")
    assert (body["status"], body["refunded_fen"]) == ("refunded", 14_000)
    assert body["events"][-2]["data"]["goods"] == "kept_by_consumer"


def test_a_return_offer_with_the_goods_back_refunds_when_they_arrive(market, travel):
    case = open_case(market, type="return_refund", reason="damaged")
    act(market.merchant, case["case_no"], "offer", {**OFFER, "return_goods": True})
    body = act(market.consumer, case["case_no"], "accept_offer")
    assert body["status"] == "awaiting_return"
    assert ledger(case["case_no"]) == []
    act(market.consumer, case["case_no"], "ship_return", SHIP)
    body = act(market.merchant, case["case_no"], "confirm_return")
    assert (body["status"], body["refunded_fen"]) == ("refunded", 14_000)


def test_an_offer_must_differ_from_the_request_and_stay_within_it(market, travel):
    case = open_case(market, type="refund_only", reason="damaged")
    for fields, code, field in (
        ({"amount_fen": 20_000, "note": "全额"}, "offer_same_as_request", "amount_fen"),
        ({"amount_fen": 20_001, "note": "多退"}, "amount_too_large", "amount_fen"),
        (
            {"amount_fen": 100, "note": "退货", "return_goods": True},
            "return_goods_not_allowed",
            "return_goods",
        ),
    ):
        status, error = refused(market.merchant, case["case_no"], "offer", fields)
        assert (status, error["code"], error["field"]) == (422, code, field)
    status, error = refused(market.merchant, case["case_no"], "offer", {"amount_fen": 100})
    assert (status, error["field"]) == (400, "note")
    assert Case.objects.get(case_no=case["case_no"]).status == "awaiting_merchant"
    # the consumer cannot make the merchant's offer
    status, error = refused(market.consumer, case["case_no"], "offer", OFFER)
    assert status == 403
