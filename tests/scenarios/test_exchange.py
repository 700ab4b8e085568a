"""换货 exchange (spec/workflows.md "exchange"; timers are ⚙ defaults).

Unless a test travels, everything happens at T0 = 20:00 on 1 December 2026 (Shanghai) on an
order of 20000 fen received at 20:00 on 29 November.
"""

from tests.scenarios.helpers import (
    SHIP,
    act,
    at,
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

RETURN_ADDRESS = "上海市浦东新区世纪大道100号 售后部"
FULL_REFUND = [("refund", "shop", -20000), ("refund", "consumer", 20000)]


def exchange_case(market, status="awaiting_merchant", **kw):
    return case_in(market, "exchange", status, **kw)


def test_exchange_merchant_agrees_and_the_case_awaits_the_return(market, travel):
    # Given an exchange request
    case = exchange_case(market)
    assert (case["status"], case["pdd_status"]) == ("awaiting_merchant", 14)
    assert case["deadlines"] == [
        deadline(
            "merchant_response_deadline", at(2026, 12, 3, 20), "agree", "exchange ⚙ merchant 48 h"
        )
    ]
    # When the merchant agrees
    case = act(market.merchant, case["case_no"], "agree")
    # Then the consumer has 7 days to ship the item back (PDD 15)
    assert (case["status"], case["pdd_status"], case["return_address"]) == (
        "awaiting_return",
        15,
        RETURN_ADDRESS,
    )
    assert case["deadlines"] == [
        deadline(
            "return_shipment_deadline",
            end_of_day(2026, 12, 8),
            "expire",
            "exchange ⚙ return 7 days",
        )
    ]


def test_exchange_cfg_merchant_silence_for_48_hours_agrees(market, travel):
    # Given an exchange request the merchant ignores
    case_no = exchange_case(market)["case_no"]
    # When 48 hours pass
    fire_after(travel, at(2026, 12, 3, 20))
    # Then the system agrees
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"]) == ("awaiting_return", 15)
    assert last_event(case) == timer_event(
        "merchant_response_deadline",
        at(2026, 12, 3, 20),
        "agree",
        "exchange ⚙ merchant 48 h",
        "awaiting_merchant",
        "awaiting_return",
        return_address=RETURN_ADDRESS,
    )


def test_exchange_cfg_return_not_shipped_in_7_days_expires_pdd_17(market, travel):
    # Given an exchange agreed at T0
    case_no = exchange_case(market, "awaiting_return")["case_no"]
    # When the consumer ships nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then the case has expired with PDD 17
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("expired", 17, [])
    assert last_event(case) == timer_event(
        "return_shipment_deadline",
        end_of_day(2026, 12, 8),
        "expire",
        "exchange ⚙ return 7 days",
        "awaiting_return",
        "expired",
    )


def test_exchange_replacement_shipped_and_received_completes(market, travel):
    # Given an agreed exchange
    case_no = exchange_case(market, "awaiting_return")["case_no"]
    # When the consumer ships the item back at 10:00 on 2 December
    travel.to(at(2026, 12, 2, 10))
    case = act(market.consumer, case_no, "ship_return", SHIP)
    # Then the merchant has 7 days counting the upload day to ship a replacement (PDD 14)
    assert (case["status"], case["pdd_status"]) == ("return_in_transit", 14)
    assert case["deadlines"] == [
        deadline(
            "replacement_ship_deadline",
            end_of_day(2026, 12, 8),
            "timeout_refund",
            "exchange ⚙ replacement 7 days",
        )
    ]
    # When the merchant ships the replacement at 18:00 on 4 December
    travel.to(at(2026, 12, 4, 18))
    case = act(
        market.merchant, case_no, "ship_replacement", {"carrier": "sf", "tracking_no": "SF5550001"}
    )
    # Then the consumer has 7 days counting the upload day to receive it (PDD 18)
    assert (case["status"], case["pdd_status"]) == ("replacement_shipped", 18)
    assert case["deadlines"] == [
        deadline(
            "receipt_deadline",
            end_of_day(2026, 12, 10),
            "confirm_received",
            "exchange ⚙ receipt 7 days",
        )
    ]
    assert case_row(case_no).outbound_tracking_no == "SF5550001"
    # When the consumer confirms receipt
    case = act(market.consumer, case_no, "confirm_received")
    # Then the exchange is completed (PDD 16) without any money moving
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 16, [])
    assert last_event(case)["data"] == {
        "from": "replacement_shipped",
        "to": "completed",
        "rule": "exchange ⚙ receipt 7 days",
    }
    assert ledger(case_no) == []


def test_exchange_cfg_no_replacement_in_7_days_counting_upload_day_converts_to_refund(
    market, travel
):
    # Given the item shipped back at 10:00 on 2 December
    case_no = exchange_case(market, "awaiting_return")["case_no"]
    travel.to(at(2026, 12, 2, 10))
    act(market.consumer, case_no, "ship_return", SHIP)
    # When the merchant neither ships a replacement nor refuses by the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then the exchange is converted to a refund of the case amount
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert last_event(case) == timer_event(
        "replacement_ship_deadline",
        end_of_day(2026, 12, 8),
        "timeout_refund",
        "exchange ⚙ replacement 7 days",
        "return_in_transit",
        "refunded",
        signed=True,
        refund_fen=20000,
    )
    assert ledger(case_no) == FULL_REFUND
    assert coupons(case_no) == []


def test_exchange_cfg_replacement_deemed_received_after_7_days_counting_upload_day(market, travel):
    # Given a replacement shipped at 18:00 on 4 December
    case_no = exchange_case(market, "return_in_transit")["case_no"]
    travel.to(at(2026, 12, 4, 18))
    act(market.merchant, case_no, "ship_replacement", SHIP)
    # When the consumer says nothing until the end of 10 December
    fire_after(travel, end_of_day(2026, 12, 10))
    # Then it is deemed received and completed
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 16, [])
    assert last_event(case) == timer_event(
        "receipt_deadline",
        end_of_day(2026, 12, 10),
        "confirm_received",
        "exchange ⚙ receipt 7 days",
        "replacement_shipped",
        "completed",
    )


def test_exchange_problem_with_the_replacement_and_an_exchange_ruling(market, travel):
    # Given a replacement shipped
    case_no = exchange_case(market, "replacement_shipped")["case_no"]
    # When the consumer reports a problem
    case = act(market.consumer, case_no, "report_problem", {"reason": "新换的尺码也不对"})
    # Then the platform reviews it with every timer stopped
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert last_event(case)["data"] == {
        "from": "replacement_shipped",
        "to": "platform_review",
        "rule": "exchange report_problem",
        "reason": "新换的尺码也不对",
    }
    # When the agent rules another exchange at 11:00 on 3 December
    travel.to(at(2026, 12, 3, 11))
    case = act(market.agent, case_no, "rule", {"outcome": "exchange", "note": "核实凭证后裁定"})
    # Then the merchant must ship a replacement within 7 days counting the ruling day (PDD 14)
    assert (case["status"], case["pdd_status"]) == ("awaiting_replacement", 14)
    assert case["deadlines"] == [
        deadline(
            "replacement_ship_deadline",
            end_of_day(2026, 12, 9),
            "timeout_refund",
            "2.7 ⚙ replacement 7 days",
        )
    ]
    # When the merchant ships it, then the consumer waits for it again
    case = act(market.merchant, case_no, "ship_replacement", SHIP)
    assert (case["status"], case["pdd_status"]) == ("replacement_shipped", 18)


def test_exchange_cfg_ruled_replacement_not_shipped_in_7_days_refunds(market, travel):
    # Given an exchange ruled at 11:00 on 3 December
    case_no = exchange_case(market, "replacement_shipped")["case_no"]
    act(market.consumer, case_no, "report_problem")
    travel.to(at(2026, 12, 3, 11))
    act(market.agent, case_no, "rule", {"outcome": "exchange", "note": "核实凭证后裁定"})
    # When nothing ships by the end of 9 December
    fire_after(travel, end_of_day(2026, 12, 9))
    # Then the case amount is refunded
    case = view(market, case_no)
    assert (case["status"], case["refunded_fen"]) == ("refunded", 20000)
    assert last_event(case) == timer_event(
        "replacement_ship_deadline",
        end_of_day(2026, 12, 9),
        "timeout_refund",
        "2.7 ⚙ replacement 7 days",
        "awaiting_replacement",
        "refunded",
        refund_fen=20000,
    )
    assert ledger(case_no) == FULL_REFUND


def test_exchange_merchant_refuses_the_returned_item_and_cancel_is_refused(market, travel):
    # Given the item shipped back
    case_no = exchange_case(market, "return_in_transit")["case_no"]
    # When the merchant refuses the returned item
    case = act(market.merchant, case_no, "refuse_return", {"reason": "非本店商品"})
    # Then the case is refused (PDD 15)
    assert (case["status"], case["pdd_status"]) == ("refused", 15)
    assert case["deadlines"] == [
        deadline("reapply_deadline", end_of_day(2026, 12, 8), "expire", "exchange ⚙ refused 7 days")
    ]
    # And the consumer, having shipped the item back, cannot cancel (⚙)
    status, error = refused(market.consumer, case_no, "cancel")
    assert (status, error["code"]) == (409, "guard_failed")


def test_exchange_cfg_refused_for_7_days_expires(market, travel):
    # Given an exchange refused at T0
    case_no = exchange_case(market, "refused")["case_no"]
    # When the consumer does nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then it has expired (PDD 12)
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("expired", 12, [])
    assert last_event(case) == timer_event(
        "reapply_deadline",
        end_of_day(2026, 12, 8),
        "expire",
        "exchange ⚙ refused 7 days",
        "refused",
        "expired",
    )


def test_exchange_consumer_reapplies_or_asks_the_platform(market, travel):
    # Given two refused exchanges
    first = exchange_case(market, "refused")["case_no"]
    second = exchange_case(market, "refused")["case_no"]
    # When the consumer reapplies on one and asks the platform on the other
    case = act(market.consumer, first, "reapply")
    assert (case["status"], case["pdd_status"]) == ("awaiting_merchant", 14)
    assert [d["name"] for d in case["deadlines"]] == ["merchant_response_deadline"]
    case = act(market.consumer, second, "request_intervention", {"reason": "商家拒绝不合理"})
    # Then the first awaits the merchant again and the second is under review
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])


def test_exchange_cfg_eligible_within_15_days_of_receipt(market, travel):
    # Given two orders received at 10:00 on 16 November: day 15 is 1 December
    first = received_order(market, at(2026, 11, 16, 10))
    second = received_order(market, at(2026, 11, 16, 10))
    # When the consumer asks at the last instant of 1 December, then it is accepted
    travel.to(end_of_day(2026, 12, 1))
    assert open_case(market, first, type="exchange")["status"] == "awaiting_merchant"
    # When the consumer asks at midnight, then it is refused naming the ⚙ 15-day rule
    travel.to(at(2026, 12, 2))
    response = market.consumer.post(
        "/cases", {"order_sn": second.order_sn, "type": "exchange", "reason": "quality"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == (
        "not_eligible",
        "type",
        "exchange ⚙ 15 days",
    )


def test_exchange_needs_the_goods_received(market, travel):
    # Given a shipped order not yet received
    order = market.order(received_at=None)
    # When the consumer asks for an exchange, then it is refused under the same rule
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "exchange", "reason": "quality"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["rule"] == "exchange ⚙ 15 days"
    assert not order.cases.exists()
