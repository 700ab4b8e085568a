"""仅退款 refund only (spec/workflows.md "refund_only"; every timer is a ⚙ default).

Unless a test travels, everything happens at T0 = 20:00 on 1 December 2026 (Shanghai) on an
order of 20000 fen received at 20:00 on 29 November.
"""

from aftersales.orders.models import Order
from tests.factories import T0
from tests.scenarios.helpers import (
    OPENING_BALANCE_FEN,
    act,
    at,
    balance,
    case_in,
    case_row,
    coupons,
    deadline,
    end_of_day,
    fire_after,
    last_event,
    ledger,
    open_case,
    received_order,
    refused,
    timer_event,
    view,
)

FULL_REFUND = [("refund", "shop", -20000), ("refund", "consumer", 20000)]


def test_refund_only_new_request_gives_the_merchant_48_hours(market, travel):
    # When the consumer asks for a refund only
    case = open_case(market, type="refund_only", reason="not_received")
    # Then it waits for the merchant (PDD 2), who has 48 hours before the system agrees
    assert (case["status"], case["pdd_status"], case["amount_fen"]) == (
        "awaiting_merchant",
        2,
        20000,
    )
    assert case["deadlines"] == [
        deadline(
            "merchant_response_deadline",
            at(2026, 12, 3, 20),
            "agree",
            "refund_only ⚙ merchant 48 h",
        )
    ]


def test_refund_only_merchant_agrees_and_the_consumer_is_refunded_once(market, travel):
    # Given a refund-only request
    case_no = open_case(market, type="refund_only", reason="not_received")["case_no"]
    # When the merchant agrees
    case = act(market.merchant, case_no, "agree")
    # Then the case is refunded (PDD 10): the shop is debited, the consumer credited
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert case["deadlines"] == []
    assert last_event(case) == {
        "actor": market.merchant.user.username,
        "action": "agree",
        "data": {
            "from": "awaiting_merchant",
            "to": "refunded",
            "rule": "refund_only ⚙ agree",
            "refund_fen": 20000,
        },
    }
    assert ledger(case_no) == FULL_REFUND
    assert balance(market.shop) == OPENING_BALANCE_FEN - 20000
    assert coupons(case_no) == []
    # And agreeing again is a conflict that pays nothing more
    status, error = refused(market.merchant, case_no, "agree")
    assert (status, error["code"]) == (409, "wrong_status")
    assert ledger(case_no) == FULL_REFUND


def test_refund_only_cfg_merchant_silence_for_48_hours_agrees_and_refunds(market, travel):
    # Given a refund-only request filed at T0 that the merchant ignores
    case_no = open_case(market, type="refund_only", reason="not_received")["case_no"]
    # When 48 hours pass
    fire_after(travel, at(2026, 12, 3, 20))
    # Then the system agrees and refunds
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert last_event(case) == timer_event(
        "merchant_response_deadline",
        at(2026, 12, 3, 20),
        "agree",
        "refund_only ⚙ merchant 48 h",
        "awaiting_merchant",
        "refunded",
        refund_fen=20000,
    )
    assert ledger(case_no) == FULL_REFUND


def test_refund_only_agree_before_shipment_intercepts_the_parcel(market, travel):
    # Given a paid order not yet shipped
    order = market.order(shipped_at=None, received_at=None)
    case_no = open_case(market, order, type="refund_only", reason="other")["case_no"]
    # When the merchant agrees to refund at 21:00
    travel.to(at(2026, 12, 1, 21))
    case = act(market.merchant, case_no, "agree")
    # Then the refund is paid and the order's shipment is marked intercepted
    assert (case["status"], case["refunded_fen"]) == ("refunded", 20000)
    assert last_event(case)["data"] == {
        "from": "awaiting_merchant",
        "to": "refunded",
        "rule": "refund_only ⚙ agree",
        "shipment_intercepted": True,
        "refund_fen": 20000,
    }
    assert Order.objects.get(id=order.id).shipment_intercepted_at == at(2026, 12, 1, 21)


def test_refund_only_agree_after_shipment_intercepts_nothing(market, travel):
    # Given a shipped order
    order = market.order()
    case_no = open_case(market, order, type="refund_only", reason="not_received")["case_no"]
    # When the merchant agrees, then no interception is recorded
    act(market.merchant, case_no, "agree")
    assert Order.objects.get(id=order.id).shipment_intercepted_at is None


def test_refund_only_a_partial_amount_refunds_that_amount(market, travel):
    # Given a request for 5000 of the order's 20000 fen
    case = open_case(market, type="refund_only", reason="damaged", amount_fen=5000)
    assert case["amount_fen"] == 5000
    # When the merchant agrees, then exactly 5000 fen move
    act(market.merchant, case["case_no"], "agree")
    assert ledger(case["case_no"]) == [("refund", "shop", -5000), ("refund", "consumer", 5000)]


def test_refund_only_merchant_refuses_with_a_reason(market, travel):
    # Given a refund-only request
    case_no = open_case(market, type="refund_only", reason="not_received")["case_no"]
    # When the merchant refuses with a one-letter reason, then it is a bad request
    status, error = refused(market.merchant, case_no, "refuse", {"reason": "x"})
    assert (status, error["field"]) == (400, "reason")
    # When the merchant refuses with a reason and evidence
    case = act(
        market.merchant,
        case_no,
        "refuse",
        {"reason": "物流显示已签收", "evidence": ["att-1", "att-2"]},
    )
    # Then the case is refused (PDD 6) and the consumer has 7 days (2 to 8 December)
    assert (case["status"], case["pdd_status"]) == ("refused", 6)
    assert case["deadlines"] == [
        deadline(
            "reapply_deadline", end_of_day(2026, 12, 8), "expire", "refund_only ⚙ refused 7 days"
        )
    ]
    assert last_event(case)["data"] == {
        "from": "awaiting_merchant",
        "to": "refused",
        "rule": "refund_only ⚙ refuse",
        "reason": "物流显示已签收",
        "evidence": ["att-1", "att-2"],
    }
    consumer_view = market.consumer.get(f"/cases/{case_no}").json()
    assert consumer_view["allowed_actions"] == ["reapply", "request_intervention", "cancel"]
    assert ledger(case_no) == []


def test_refund_only_cfg_refused_for_7_days_expires_pdd_12(market, travel):
    # Given a request refused at T0
    case_no = case_in(market, "refund_only", "refused")["case_no"]
    # When the consumer does nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then the case has expired (PDD 12)
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("expired", 12, [])
    assert last_event(case) == timer_event(
        "reapply_deadline",
        end_of_day(2026, 12, 8),
        "expire",
        "refund_only ⚙ refused 7 days",
        "refused",
        "expired",
    )
    assert case_row(case_no).is_open is False
    assert ledger(case_no) == []


def test_refund_only_consumer_reapplies_and_the_merchant_gets_48_hours_again(market, travel):
    # Given a request refused at T0
    case_no = case_in(market, "refund_only", "refused")["case_no"]
    # When the consumer reapplies at 10:00 on 3 December with a new description
    travel.to(at(2026, 12, 3, 10))
    case = act(market.consumer, case_no, "reapply", {"description": "快递员未送达，附通话记录"})
    # Then the merchant has 48 hours from the reapplication
    assert (case["status"], case["pdd_status"]) == ("awaiting_merchant", 2)
    assert case["description"] == "快递员未送达，附通话记录"
    assert case["deadlines"] == [
        deadline(
            "merchant_response_deadline",
            at(2026, 12, 5, 10),
            "agree",
            "refund_only ⚙ merchant 48 h",
        )
    ]
    assert last_event(case)["data"] == {
        "from": "refused",
        "to": "awaiting_merchant",
        "rule": "refund_only ⚙ reapply",
        "description": "快递员未送达，附通话记录",
    }


def test_refund_only_consumer_asks_the_platform_to_intervene(market, travel):
    # Given a refused request
    case_no = case_in(market, "refund_only", "refused")["case_no"]
    # When the consumer asks the platform
    case = act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})
    # Then the platform reviews it (PDD 8) and the reapply timer stops
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert last_event(case)["data"] == {
        "from": "refused",
        "to": "platform_review",
        "rule": "2.7",
        "reason": "商家拒绝不合理",
    }
    # When the agent rules a refund, then it is paid
    case = act(market.agent, case_no, "rule", {"outcome": "refund", "note": "核实凭证后裁定"})
    assert (case["status"], case["refunded_fen"]) == ("refunded", 20000)
    assert ledger(case_no) == FULL_REFUND


# --- eligibility ----------------------------------------------------------------------------


def test_refund_only_cfg_eligible_within_15_days_after_receipt(market, travel):
    # Given two orders received at 10:00 on 16 November: day 15 is 1 December
    first = received_order(market, at(2026, 11, 16, 10))
    second = received_order(market, at(2026, 11, 16, 10))
    # When the consumer asks at the last instant of 1 December, then the request is accepted
    travel.to(end_of_day(2026, 12, 1))
    assert open_case(market, first, type="refund_only", reason="damaged")["status"] == (
        "awaiting_merchant"
    )
    # When the consumer asks at midnight
    travel.to(at(2026, 12, 2))
    response = market.consumer.post(
        "/cases", {"order_sn": second.order_sn, "type": "refund_only", "reason": "damaged"}
    )
    # Then it is refused naming the ⚙ 15-day rule
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == (
        "not_eligible",
        "type",
        "refund_only ⚙ 15 days",
    )
    assert "15" in error["message"]
    assert not second.cases.exists()


def test_refund_only_eligible_while_not_yet_received(market, travel):
    # Given an order shipped long ago but never received
    order = market.order(paid_at=at(2026, 9, 1), shipped_at=at(2026, 9, 2), received_at=None)
    # When the consumer asks for a refund only, then it is accepted
    case = open_case(market, order, type="refund_only", reason="not_received")
    assert case["status"] == "awaiting_merchant"
    assert case_row(case["case_no"]).created_at == T0
