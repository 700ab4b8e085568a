"""退货退款 return and refund (spec/workflows.md "return_refund"; timers are ⚙ defaults).

Unless a test travels, everything happens at T0 = 20:00 on 1 December 2026 (Shanghai) on an
order of 20000 fen received at 20:00 on 29 November.
"""

import pytest

from tests.scenarios.helpers import (
    OPENING_BALANCE_FEN,
    SHIP,
    act,
    at,
    balance,
    case_in,
    case_row,
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

RETURN_ADDRESS = "上海市浦东新区世纪大道100号 售后部"
FULL_REFUND = [("refund", "shop", -20000), ("refund", "consumer", 20000)]


def return_case(market, status="awaiting_merchant", **kw):
    return case_in(market, "return_refund", status, **kw)


def assert_not_eligible(response, rule, field="type"):
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == ("not_eligible", field, rule)
    return error


def test_return_refund_merchant_agrees_with_a_return_address(market, travel):
    # Given a return request
    case = return_case(market)
    assert (case["pdd_status"], case["deadlines"]) == (
        3,
        [
            deadline(
                "merchant_response_deadline",
                at(2026, 12, 3, 20),
                "agree",
                "return_refund ⚙ merchant 48 h",
            )
        ],
    )
    # When the merchant agrees with its warehouse address
    case = act(
        market.merchant,
        case["case_no"],
        "agree",
        {"return_address": "浙江省杭州市余杭区仓库 3 号门"},
    )
    # Then the consumer must ship within 7 days, the first being 2 December (PDD 7)
    assert (case["status"], case["pdd_status"]) == ("awaiting_return", 7)
    assert case["return_address"] == "浙江省杭州市余杭区仓库 3 号门"
    assert case["deadlines"] == [
        deadline(
            "return_shipment_deadline",
            end_of_day(2026, 12, 8),
            "expire",
            "return_refund ⚙ return 7 days",
        )
    ]
    assert last_event(case)["data"] == {
        "from": "awaiting_merchant",
        "to": "awaiting_return",
        "rule": "return_refund ⚙ agree",
        "return_address": "浙江省杭州市余杭区仓库 3 号门",
    }


def test_return_refund_cfg_merchant_silence_for_48_hours_agrees_with_the_shop_return_address(
    market, travel
):
    # Given a return request filed at T0 that the merchant ignores
    case_no = return_case(market)["case_no"]
    # When 48 hours pass
    fire_after(travel, at(2026, 12, 3, 20))
    # Then the system agrees with the shop's default return address
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["return_address"]) == (
        "awaiting_return",
        7,
        RETURN_ADDRESS,
    )
    assert last_event(case) == timer_event(
        "merchant_response_deadline",
        at(2026, 12, 3, 20),
        "agree",
        "return_refund ⚙ merchant 48 h",
        "awaiting_merchant",
        "awaiting_return",
        return_address=RETURN_ADDRESS,
    )
    assert case["deadlines"] == [
        deadline(
            "return_shipment_deadline",
            end_of_day(2026, 12, 10),
            "expire",
            "return_refund ⚙ return 7 days",
        )
    ]


def test_return_refund_cfg_return_not_shipped_in_7_days_expires_pdd_13(market, travel):
    # Given a return agreed at T0
    case_no = return_case(market, "awaiting_return")["case_no"]
    # When the consumer ships nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then the case has expired with PDD 13
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("expired", 13, [])
    assert last_event(case) == timer_event(
        "return_shipment_deadline",
        end_of_day(2026, 12, 8),
        "expire",
        "return_refund ⚙ return 7 days",
        "awaiting_return",
        "expired",
    )
    assert case_row(case_no).is_open is False
    assert ledger(case_no) == []


def test_return_refund_consumer_ships_the_return(market, travel):
    # Given an agreed return
    case_no = return_case(market, "awaiting_return")["case_no"]
    # When the consumer uploads the tracking number at 10:00 on 2 December
    travel.to(at(2026, 12, 2, 10))
    case = act(market.consumer, case_no, "ship_return", SHIP)
    # Then the return is in transit (PDD 3) and the merchant has 7 days counting the upload day
    assert (case["status"], case["pdd_status"]) == ("return_in_transit", 3)
    assert case["deadlines"] == [
        deadline(
            "return_confirm_deadline",
            end_of_day(2026, 12, 8),
            "confirm_return",
            "return_refund ⚙ confirm 7 days",
        )
    ]
    row = case_row(case_no)
    assert (row.return_carrier, row.return_tracking_no, row.return_shipped_at) == (
        "sf",
        "SF1234567890",
        at(2026, 12, 2, 10),
    )
    assert market.merchant.get(f"/cases/{case_no}").json()["allowed_actions"] == [
        "confirm_return",
        "refuse_return",
    ]


def test_return_refund_merchant_confirms_the_return_and_refunds(market, travel):
    # Given a return in transit
    case_no = return_case(market, "return_in_transit")["case_no"]
    # When the merchant confirms it
    case = act(market.merchant, case_no, "confirm_return")
    # Then the consumer is refunded the case amount, once
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert last_event(case)["data"] == {
        "from": "return_in_transit",
        "to": "refunded",
        "rule": "return_refund ⚙ confirm 7 days",
        "signed": True,
        "refund_fen": 20000,
    }
    assert ledger(case_no) == FULL_REFUND
    assert balance(market.shop) == OPENING_BALANCE_FEN - 20000
    assert refused(market.merchant, case_no, "confirm_return")[0] == 409
    assert ledger(case_no) == FULL_REFUND


def test_return_refund_cfg_return_not_confirmed_in_7_days_counting_upload_day_refunds(
    market, travel
):
    # Given a return uploaded at 10:00 on 2 December
    case_no = return_case(market, "awaiting_return")["case_no"]
    travel.to(at(2026, 12, 2, 10))
    act(market.consumer, case_no, "ship_return", SHIP)
    # When the merchant does nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then the system confirms the return and refunds
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert last_event(case) == timer_event(
        "return_confirm_deadline",
        end_of_day(2026, 12, 8),
        "confirm_return",
        "return_refund ⚙ confirm 7 days",
        "return_in_transit",
        "refunded",
        signed=True,
        refund_fen=20000,
    )
    assert ledger(case_no) == FULL_REFUND


def test_return_refund_merchant_refuses_the_request(market, travel):
    # Given a return request
    case_no = return_case(market)["case_no"]
    # When the merchant refuses it
    case = act(market.merchant, case_no, "refuse", {"reason": "超出退货期"})
    # Then it is refused (PDD 6), the consumer has 7 days, and may still cancel
    assert (case["status"], case["pdd_status"]) == ("refused", 6)
    assert case["deadlines"] == [
        deadline(
            "reapply_deadline", end_of_day(2026, 12, 8), "expire", "return_refund ⚙ refused 7 days"
        )
    ]
    assert market.consumer.get(f"/cases/{case_no}").json()["allowed_actions"] == [
        "reapply",
        "request_intervention",
        "cancel",
    ]
    case = act(market.consumer, case_no, "cancel")
    assert (case["status"], case["pdd_status"]) == ("cancelled", 11)


def test_return_refund_merchant_refuses_the_returned_item_and_cancel_is_refused(market, travel):
    # Given a return in transit
    case_no = return_case(market, "return_in_transit")["case_no"]
    # When the merchant refuses the returned item with evidence
    case = act(
        market.merchant,
        case_no,
        "refuse_return",
        {"reason": "退回商品已损坏", "evidence": ["photo-1"]},
    )
    # Then the case is refused (PDD 6) and no money moves
    assert (case["status"], case["pdd_status"]) == ("refused", 6)
    assert last_event(case)["data"] == {
        "from": "return_in_transit",
        "to": "refused",
        "rule": "return_refund ⚙ refuse_return",
        "reason": "退回商品已损坏",
        "evidence": ["photo-1"],
    }
    assert ledger(case_no) == []
    # And the consumer, having shipped the item back, can no longer cancel (⚙)
    assert market.consumer.get(f"/cases/{case_no}").json()["allowed_actions"] == [
        "reapply",
        "request_intervention",
    ]
    status, error = refused(market.consumer, case_no, "cancel")
    assert (status, error["code"]) == (409, "guard_failed")
    assert view(market, case_no)["status"] == "refused"


def test_return_refund_cfg_refused_for_7_days_expires(market, travel):
    # Given a request refused at T0
    case_no = return_case(market, "refused")["case_no"]
    # When the consumer does nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then it has expired (PDD 12)
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("expired", 12, [])
    assert last_event(case) == timer_event(
        "reapply_deadline",
        end_of_day(2026, 12, 8),
        "expire",
        "return_refund ⚙ refused 7 days",
        "refused",
        "expired",
    )


def test_return_refund_consumer_reapplies_or_asks_the_platform(market, travel):
    # Given two refused requests on two orders
    first = return_case(market, "refused")["case_no"]
    second = return_case(market, "refused")["case_no"]
    # When the consumer reapplies on the first at 09:00 on 2 December
    travel.to(at(2026, 12, 2, 9))
    case = act(market.consumer, first, "reapply")
    # Then the merchant has 48 hours again
    assert (case["status"], case["pdd_status"]) == ("awaiting_merchant", 3)
    assert case["deadlines"] == [
        deadline(
            "merchant_response_deadline",
            at(2026, 12, 4, 9),
            "agree",
            "return_refund ⚙ merchant 48 h",
        )
    ]
    # When the consumer asks the platform about the second
    case = act(market.consumer, second, "request_intervention", {"reason": "商家拒绝不合理"})
    # Then it is under review with no timers
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])


# --- eligibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("received_at", [at(2026, 11, 24, 0, 5), at(2026, 11, 24, 23, 55)])
def test_return_refund_no_reason_within_7_days_the_day_after_receipt_being_day_1(
    market, travel, received_at
):
    # Given orders received on 24 November (whatever the hour): 25 November is day 1 and
    # 1 December day 7
    first = received_order(market, received_at, category_name="服装")
    second = received_order(market, received_at, category_name="服装")
    # When the consumer asks for a no-reason return at the last instant of 1 December
    travel.to(end_of_day(2026, 12, 1))
    # Then it is accepted
    assert open_case(market, first, type="return_refund", reason="no_reason")["status"] == (
        "awaiting_merchant"
    )
    # When the consumer asks at midnight, then it is refused naming the law's article
    travel.to(at(2026, 12, 2))
    response = market.consumer.post(
        "/cases", {"order_sn": second.order_sn, "type": "return_refund", "reason": "no_reason"}
    )
    assert "7" in assert_not_eligible(response, "CRPL art. 25")["message"]
    assert not second.cases.exists()


def test_return_refund_no_reason_excludes_fresh_food(market, travel):
    # Given an order of fresh food (生鲜) received two days ago
    order = market.order(category_name="生鲜")
    # When the consumer asks for a no-reason return
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "return_refund", "reason": "no_reason"}
    )
    # Then it is refused naming the excluded category and the law's article
    error = assert_not_eligible(response, "CRPL art. 25")
    assert "生鲜" in error["message"]
    assert not order.cases.exists()
    # And a return for a quality problem is still possible
    case = open_case(market, order, type="return_refund", reason="damaged")
    assert case["status"] == "awaiting_merchant"


def test_return_refund_no_reason_needs_the_goods_received(market, travel):
    # Given a shipped order not yet received
    order = market.order(received_at=None)
    # When the consumer asks for a no-reason return, then it is refused
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "return_refund", "reason": "no_reason"}
    )
    assert_not_eligible(response, "CRPL art. 25")


def test_return_refund_cfg_quality_reasons_within_15_days_of_receipt(market, travel):
    # Given two orders received at 10:00 on 16 November: day 15 is 1 December
    first = received_order(market, at(2026, 11, 16, 10))
    second = received_order(market, at(2026, 11, 16, 10))
    # When the consumer asks for a quality return at the last instant of 1 December
    travel.to(end_of_day(2026, 12, 1))
    assert open_case(market, first, type="return_refund", reason="faulty")["status"] == (
        "awaiting_merchant"
    )
    # When the consumer asks at midnight, then it is refused naming the ⚙ 15-day rule
    travel.to(at(2026, 12, 2))
    response = market.consumer.post(
        "/cases", {"order_sn": second.order_sn, "type": "return_refund", "reason": "faulty"}
    )
    assert_not_eligible(response, "return_refund ⚙ quality 15 days")


def test_return_refund_needs_no_reason_or_a_quality_reason(market, travel):
    # Given a received order
    order = market.order()
    # When the consumer gives the reason "other"
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "return_refund", "reason": "other"}
    )
    # Then it is refused on the reason field
    assert_not_eligible(response, "return_refund", field="reason")
    assert not order.cases.exists()
