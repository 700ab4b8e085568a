"""补寄 resend a missing item (spec/workflows.md "resend"; timers are ⚙ defaults).

Unless a test travels, everything happens at T0 = 20:00 on 1 December 2026 (Shanghai) on an
order of 20000 fen received at 20:00 on 29 November.
"""

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

FULL_REFUND = [("refund", "shop", -20000), ("refund", "consumer", 20000)]


def resend_case(market, status="awaiting_merchant", **kw):
    return case_in(market, "resend", status, **kw)


def test_resend_merchant_agrees_and_has_48_hours_to_resend(market, travel):
    # Given a resend request
    case = resend_case(market)
    assert (case["status"], case["pdd_status"]) == ("awaiting_merchant", 14)
    assert case["deadlines"] == [
        deadline(
            "merchant_response_deadline", at(2026, 12, 3, 20), "agree", "resend ⚙ merchant 48 h"
        )
    ]
    # When the merchant agrees at 22:00
    travel.to(at(2026, 12, 1, 22))
    case = act(market.merchant, case["case_no"], "agree")
    # Then it must resend within 48 hours (PDD 32)
    assert (case["status"], case["pdd_status"]) == ("awaiting_resend", 32)
    assert case["deadlines"] == [
        deadline(
            "resend_ship_deadline", at(2026, 12, 3, 22), "timeout_refund", "resend ⚙ resend 48 h"
        )
    ]
    assert last_event(case)["data"] == {
        "from": "awaiting_merchant",
        "to": "awaiting_resend",
        "rule": "resend ⚙ agree",
    }


def test_resend_cfg_merchant_silence_for_48_hours_agrees(market, travel):
    # Given a resend request the merchant ignores
    case_no = resend_case(market)["case_no"]
    # When 48 hours pass
    fired_at = fire_after(travel, at(2026, 12, 3, 20))
    # Then the system agrees and the 48 hours to resend start
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"]) == ("awaiting_resend", 32)
    assert last_event(case) == timer_event(
        "merchant_response_deadline",
        at(2026, 12, 3, 20),
        "agree",
        "resend ⚙ merchant 48 h",
        "awaiting_merchant",
        "awaiting_resend",
    )
    assert case["deadlines"] == [
        deadline(
            "resend_ship_deadline",
            at(2026, 12, 5, 20, 0, 0, 1),
            "timeout_refund",
            "resend ⚙ resend 48 h",
        )
    ]
    assert fired_at == at(2026, 12, 3, 20, 0, 0, 1)


def test_resend_cfg_not_resent_in_48_hours_refunds_the_case_amount(market, travel):
    # Given a resend of part of the order (6000 fen) agreed at T0
    case = open_case(market, type="resend", reason="missing_item", amount_fen=6000)
    case_no = case["case_no"]
    act(market.merchant, case_no, "agree")
    # When nothing is resent within 48 hours
    fire_after(travel, at(2026, 12, 3, 20))
    # Then the case amount is refunded
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 6000)
    assert last_event(case) == timer_event(
        "resend_ship_deadline",
        at(2026, 12, 3, 20),
        "timeout_refund",
        "resend ⚙ resend 48 h",
        "awaiting_resend",
        "refunded",
        refund_fen=6000,
    )
    assert ledger(case_no) == [("refund", "shop", -6000), ("refund", "consumer", 6000)]
    assert balance(market.shop) == OPENING_BALANCE_FEN - 6000


def test_resend_shipped_and_received_completes(market, travel):
    # Given an agreed resend
    case_no = resend_case(market, "awaiting_resend")["case_no"]
    # When the merchant ships the missing item at 09:00 on 2 December
    travel.to(at(2026, 12, 2, 9))
    case = act(
        market.merchant, case_no, "ship_resend", {"carrier": "sf", "tracking_no": "SF7770002"}
    )
    # Then the consumer has 7 days counting the upload day to receive it (PDD 18)
    assert (case["status"], case["pdd_status"]) == ("resend_shipped", 18)
    assert case["deadlines"] == [
        deadline(
            "receipt_deadline",
            end_of_day(2026, 12, 8),
            "confirm_received",
            "resend ⚙ receipt 7 days",
        )
    ]
    row = case_row(case_no)
    assert (row.outbound_carrier, row.outbound_tracking_no) == ("sf", "SF7770002")
    # When the consumer confirms receipt
    case = act(market.consumer, case_no, "confirm_received")
    # Then the resend is completed (PDD 16) without money moving
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 16, [])
    assert ledger(case_no) == []


def test_resend_cfg_deemed_received_after_7_days_counting_upload_day(market, travel):
    # Given the missing item resent at 09:00 on 2 December
    case_no = resend_case(market, "awaiting_resend")["case_no"]
    travel.to(at(2026, 12, 2, 9))
    act(market.merchant, case_no, "ship_resend", SHIP)
    # When the consumer says nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then it is deemed received
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 16, [])
    assert last_event(case) == timer_event(
        "receipt_deadline",
        end_of_day(2026, 12, 8),
        "confirm_received",
        "resend ⚙ receipt 7 days",
        "resend_shipped",
        "completed",
    )


def test_resend_problem_with_the_resent_item_goes_to_the_platform(market, travel):
    # Given a resent item
    case_no = resend_case(market, "resend_shipped")["case_no"]
    # When the consumer reports a problem
    case = act(market.consumer, case_no, "report_problem", {"reason": "补寄的也少了一件"})
    # Then the platform reviews it with the receipt timer stopped
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert last_event(case)["data"] == {
        "from": "resend_shipped",
        "to": "platform_review",
        "rule": "resend report_problem",
        "reason": "补寄的也少了一件",
    }


def test_resend_merchant_refuses(market, travel):
    # Given a resend request
    case_no = resend_case(market)["case_no"]
    # When the merchant refuses
    case = act(market.merchant, case_no, "refuse", {"reason": "已全部发出"})
    # Then it is refused (PDD 15) and the consumer has 7 days
    assert (case["status"], case["pdd_status"]) == ("refused", 15)
    assert case["deadlines"] == [
        deadline("reapply_deadline", end_of_day(2026, 12, 8), "expire", "resend ⚙ refused 7 days")
    ]


def test_resend_cfg_refused_for_7_days_expires(market, travel):
    # Given a resend refused at T0
    case_no = resend_case(market, "refused")["case_no"]
    # When the consumer does nothing until the end of 8 December
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then it has expired (PDD 12)
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("expired", 12, [])
    assert last_event(case) == timer_event(
        "reapply_deadline",
        end_of_day(2026, 12, 8),
        "expire",
        "resend ⚙ refused 7 days",
        "refused",
        "expired",
    )


def test_resend_consumer_reapplies_or_asks_the_platform(market, travel):
    # Given two refused resends
    first = resend_case(market, "refused")["case_no"]
    second = resend_case(market, "refused")["case_no"]
    # When the consumer reapplies on one, then the merchant has 48 hours again
    case = act(market.consumer, first, "reapply", {"description": "附开箱视频"})
    assert (case["status"], case["pdd_status"]) == ("awaiting_merchant", 14)
    assert case["deadlines"] == [
        deadline(
            "merchant_response_deadline", at(2026, 12, 3, 20), "agree", "resend ⚙ merchant 48 h"
        )
    ]
    # When the consumer asks the platform on the other, then it is under review
    case = act(market.consumer, second, "request_intervention", {"reason": "商家拒绝不合理"})
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])


def test_resend_consumer_may_cancel_while_waiting_for_the_resend(market, travel):
    # Given an agreed resend
    case_no = resend_case(market, "awaiting_resend")["case_no"]
    # When the consumer cancels, then the case is cancelled and its timer stops
    case = act(market.consumer, case_no, "cancel")
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("cancelled", 11, [])
    # And once resent it can no longer be cancelled
    other = resend_case(market, "resend_shipped")["case_no"]
    assert refused(market.consumer, other, "cancel")[0] == 409


def test_resend_cfg_eligible_within_15_days_of_receipt(market, travel):
    # Given two orders received at 10:00 on 16 November: day 15 is 1 December
    first = received_order(market, at(2026, 11, 16, 10))
    second = received_order(market, at(2026, 11, 16, 10))
    # When the consumer asks at the last instant of 1 December, then it is accepted
    travel.to(end_of_day(2026, 12, 1))
    assert open_case(market, first, type="resend", reason="missing_item")["status"] == (
        "awaiting_merchant"
    )
    # When the consumer asks at midnight, then it is refused naming the ⚙ 15-day rule
    travel.to(at(2026, 12, 2))
    response = market.consumer.post(
        "/cases", {"order_sn": second.order_sn, "type": "resend", "reason": "missing_item"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == (
        "not_eligible",
        "type",
        "resend ⚙ 15 days",
    )
    assert not second.cases.exists()
