"""维修 repair, clause by clause (seed 000; spec/workflows.md "repair — the reference rules").

Unless a test travels, everything happens at T0 = 20:00 on 1 December 2026, Shanghai time, on
an order of 20000 fen in category 手机 received at 20:00 on 29 November.
"""

import datetime as dt

import pytest

from aftersales.catalog.models import Category
from aftersales.ledger.models import EntryKind, LedgerEntry
from aftersales.ledger.services import consumer_balance
from tests.factories import T0
from tests.scenarios.helpers import (
    OPENING_BALANCE_FEN,
    REPORT,
    SHIP,
    act,
    at,
    balance,
    case_in,
    case_row,
    coupons,
    deadline,
    end_of_day,
    event_count,
    fire_after,
    fire_at,
    last_event,
    ledger,
    open_case,
    pending_deadlines,
    received_order,
    refused,
    timer_event,
    view,
)

RETURN_ADDRESS = "上海市浦东新区世纪大道100号 售后部"
RWC = "refund_with_compensation"
MEETS = {"result": "meets"}
FAILS = {"result": "fails", "report": REPORT}
FULL_REFUND_AND_COUPON = [
    ("refund", "shop", -20000),
    ("refund", "consumer", 20000),
    ("compensation", "shop", -5000),
]


def repair_case(market, status="awaiting_merchant", **kw):
    return case_in(market, "repair", status, **kw)


# --- 1.2 and 2.1: who may ask for a repair ---------------------------------------------------


def test_repair_1_2_only_listed_categories_are_repairable(market, travel):
    # Given an order of clothes (服装 is not in rule 1.2's list) and one of kitchen appliances
    clothes = market.order(category_name="服装")
    kettle = market.order(category_name="厨房电器")
    # When the consumer asks for a repair of each
    response = market.consumer.post(
        "/cases", {"order_sn": clothes.order_sn, "type": "repair", "reason": "faulty"}
    )
    # Then clothes are refused naming rule 1.2, and the kettle is accepted
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == ("not_eligible", "type", "1.2")
    assert not clothes.cases.exists()
    assert open_case(market, kettle, type="repair", reason="faulty")["status"] == (
        "awaiting_merchant"
    )


def test_repair_1_2_only_shipped_orders_are_repairable(market, travel):
    # Given a paid phone order that has not shipped
    order = market.order(shipped_at=None, received_at=None)
    # When the consumer asks for a repair
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "repair", "reason": "faulty"}
    )
    # Then it is refused naming rule 1.2, and no case exists
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == ("not_eligible", "type", "1.2")
    assert not order.cases.exists()


def test_repair_1_2_shipped_but_not_yet_received_is_repairable(market, travel):
    # Given a phone order shipped but not received (the 2.1 periods have not started)
    order = market.order(received_at=None)
    # When the consumer asks for a repair, then the case opens
    case = open_case(market, order, type="repair", reason="faulty")
    assert (case["status"], case["pdd_status"]) == ("awaiting_merchant", 21)


def test_repair_2_1_1_eligible_until_365_days_after_receipt(market, travel):
    # Given two phone orders received at 10:00 on 1 December 2025: day 365 is 1 December 2026
    first = received_order(market, at(2025, 12, 1, 10))
    second = received_order(market, at(2025, 12, 1, 10))
    # When the consumer asks at the last instant of 1 December 2026
    travel.to(end_of_day(2026, 12, 1))
    # Then the repair is accepted
    assert open_case(market, first, type="repair")["status"] == "awaiting_merchant"
    # When the consumer asks at midnight
    travel.to(at(2026, 12, 2))
    response = market.consumer.post(
        "/cases", {"order_sn": second.order_sn, "type": "repair", "reason": "faulty"}
    )
    # Then it is refused naming rule 2.1
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == ("not_eligible", "type", "2.1")
    assert not second.cases.exists()


def test_repair_2_1_4_merchant_promise_extends_the_application_period(market, travel):
    # Given orders received 400 days ago, beyond the 365 days of 2.1(1)
    received = at(2025, 10, 27, 10)
    # and the merchant promised after-sales service for this order until 30 June 2027
    promised = received_order(market, received, merchant_promise_until=at(2027, 6, 30, 12))
    # and the shop promises 730 days on everything it sells
    generous_shop = market.other_shop
    generous_shop.promised_after_sales_days = 730
    generous_shop.save(update_fields=["promised_after_sales_days"])
    generous = received_order(market, received, shop=generous_shop)
    plain = received_order(market, received)
    # When the consumer asks for repairs on 1 December 2026
    # Then the promised periods keep the requests eligible (the latest date counts)
    assert open_case(market, promised, type="repair")["status"] == "awaiting_merchant"
    assert open_case(market, generous, type="repair")["status"] == "awaiting_merchant"
    # And without a promise the request is refused under 2.1
    response = market.consumer.post(
        "/cases", {"order_sn": plain.order_sn, "type": "repair", "reason": "faulty"}
    )
    assert (response.status_code, response.json()["error"]["rule"]) == (422, "2.1")


def test_repair_2_1_4_promise_counts_until_the_end_of_the_promised_day(market, travel):
    # Given an order received long ago whose merchant promised service until 10:00 on 5 Dec
    order = received_order(market, at(2025, 10, 27, 10), merchant_promise_until=at(2026, 12, 5, 10))
    late = received_order(market, at(2025, 10, 27, 10), merchant_promise_until=at(2026, 12, 5, 10))
    # When the consumer asks at 23:00 on 5 December, then it is still within the promise
    travel.to(at(2026, 12, 5, 23))
    assert open_case(market, order, type="repair")["status"] == "awaiting_merchant"
    # And at midnight the promise has run out
    travel.to(at(2026, 12, 6))
    response = market.consumer.post(
        "/cases", {"order_sn": late.order_sn, "type": "repair", "reason": "faulty"}
    )
    assert (response.status_code, response.json()["error"]["rule"]) == (422, "2.1")


def test_repair_2_1_2_national_period_of_the_category_extends_the_application_period(
    market, travel
):
    # Given a category whose national after-sales period is 3 years
    Category.objects.filter(name="大家电").update(national_warranty_days=3 * 365)
    order = received_order(market, at(2025, 10, 27, 10), category_name="大家电")
    # When the consumer asks 400 days after receipt, then the repair is accepted
    assert open_case(market, order, type="repair")["status"] == "awaiting_merchant"


# --- 2.2 the merchant's 48 hours --------------------------------------------------------------


def test_repair_2_2_new_request_gives_the_merchant_48_hours(market, travel):
    # When the consumer files a repair at T0
    case = open_case(market, type="repair", reason="faulty", description="屏幕失灵")
    # Then it waits for the merchant (PDD 21) with a 48-hour deadline defaulting to agree
    assert (case["type"], case["status"], case["pdd_status"]) == ("repair", "awaiting_merchant", 21)
    assert case["amount_fen"] == 20000
    assert case["deadlines"] == [
        deadline("merchant_response_deadline", at(2026, 12, 3, 20), "agree", "2.2")
    ]
    assert [(e["actor"], e["action"]) for e in case["events"]] == [
        (market.consumer.user.username, "create")
    ]
    assert case["events"][0]["data"]["to"] == "awaiting_merchant"
    assert case["allowed_actions"] == ["cancel"]
    merchant_view = market.merchant.get(f"/cases/{case['case_no']}").json()
    assert merchant_view["allowed_actions"] == ["agree", "refuse"]


def test_repair_2_2_merchant_agrees_and_the_case_awaits_the_return(market, travel):
    # Given a new repair
    case = repair_case(market)
    # When the merchant agrees 5 hours later
    travel.by(hours=5)
    case = act(market.merchant, case["case_no"], "agree")
    # Then the case waits for the consumer's parcel (PDD 22) at the shop's return address
    assert (case["status"], case["pdd_status"]) == ("awaiting_return", 22)
    assert case["return_address"] == RETURN_ADDRESS
    # And the consumer has 7 days, the first being the day after (⚙)
    assert case["deadlines"] == [
        deadline(
            "return_shipment_deadline", end_of_day(2026, 12, 9), "expire", "2.3 ⚙ return 7 days"
        )
    ]
    assert last_event(case) == {
        "actor": market.merchant.user.username,
        "action": "agree",
        "data": {
            "from": "awaiting_merchant",
            "to": "awaiting_return",
            "rule": "2.2",
            "return_address": RETURN_ADDRESS,
        },
    }
    assert pending_deadlines(case["case_no"]) == ["return_shipment_deadline"]


def test_repair_2_2_merchant_silence_for_48_hours_means_agree(market, travel):
    # Given a repair filed at 20:00 on 1 December that the merchant does not handle
    case = repair_case(market)
    # When 48 hours pass (the deadline fires once they are over, not before)
    fired_at = fire_after(travel, at(2026, 12, 3, 20))
    # Then the system has agreed, with the shop's return address
    case = view(market, case["case_no"])
    assert (case["status"], case["pdd_status"]) == ("awaiting_return", 22)
    assert case["return_address"] == RETURN_ADDRESS
    assert last_event(case) == timer_event(
        "merchant_response_deadline",
        at(2026, 12, 3, 20),
        "agree",
        "2.2",
        "awaiting_merchant",
        "awaiting_return",
        return_address=RETURN_ADDRESS,
    )
    assert case["events"][-1]["at"] == "2026-12-03T20:00:00.000001+08:00"
    assert case["updated_at"] == fired_at.isoformat()
    # And the return period counts from the system's agreement
    assert case["deadlines"] == [
        deadline(
            "return_shipment_deadline", end_of_day(2026, 12, 10), "expire", "2.3 ⚙ return 7 days"
        )
    ]
    # And a second sweep fires nothing more
    assert fire_at(travel, at(2026, 12, 4)) == 0
    assert event_count(case["case_no"]) == 2


def test_repair_2_2_platform_shortens_the_merchant_deadline(market, travel):
    # Given a repair filed at T0 (deadline 20:00 on 3 December)
    case = repair_case(market)
    case_no = case["case_no"]
    # When an agent, 10 hours later, leaves the merchant exactly 24 hours
    travel.by(hours=10)
    case = act(market.agent, case_no, "shorten_deadline", {"remaining_hours": 24})
    # Then the merchant's deadline is 06:00 on 3 December and the status is unchanged
    assert (case["status"], case["version"]) == ("awaiting_merchant", 2)
    assert case["deadlines"] == [
        deadline("merchant_response_deadline", at(2026, 12, 3, 6), "agree", "2.2")
    ]
    assert last_event(case) == {
        "actor": market.agent.user.username,
        "action": "shorten_deadline",
        "data": {
            "from": "awaiting_merchant",
            "to": "awaiting_merchant",
            "rule": "2.2",
            "remaining_hours": 24,
            "previous_due_at": "2026-12-03T12:00:00+00:00",
            "due_at": "2026-12-02T22:00:00+00:00",
        },
    }
    # And the shortened deadline fires the default agreement when it runs out
    fire_after(travel, at(2026, 12, 3, 6))
    case = view(market, case_no)
    assert case["status"] == "awaiting_return"
    assert last_event(case) == timer_event(
        "merchant_response_deadline",
        at(2026, 12, 3, 6),
        "agree",
        "2.2",
        "awaiting_merchant",
        "awaiting_return",
        return_address=RETURN_ADDRESS,
    )


def test_repair_2_2_shortened_deadline_keeps_at_least_24_hours(market, travel):
    # Given a repair filed at T0
    case = repair_case(market)
    case_no = case["case_no"]
    # When an agent asks to leave the merchant only 23 hours
    status, error = refused(market.agent, case_no, "shorten_deadline", {"remaining_hours": 23})
    # Then it is refused with deadline_too_short naming rule 2.2
    assert status == 422
    assert (error["code"], error["field"], error["rule"]) == (
        "deadline_too_short",
        "remaining_hours",
        "2.2",
    )
    assert "24" in error["message"]
    # And nothing changed: same deadline, same version, no event
    case = view(market, case_no)
    assert case["deadlines"] == [
        deadline("merchant_response_deadline", at(2026, 12, 3, 20), "agree", "2.2")
    ]
    assert (case["version"], event_count(case_no)) == (1, 1)


def test_repair_2_2_shortening_must_shorten_and_only_an_agent_may(market, travel):
    # Given a repair filed at T0 (48 hours left)
    case_no = repair_case(market)["case_no"]
    # When an agent asks for 48 hours, which is not shorter
    status, error = refused(market.agent, case_no, "shorten_deadline", {"remaining_hours": 48})
    # Then it is refused
    assert (status, error["code"], error["rule"]) == (422, "deadline_not_shorter", "2.2")
    # And the merchant itself may not shorten anything
    status, error = refused(market.merchant, case_no, "shorten_deadline", {"remaining_hours": 30})
    assert (status, error["code"]) == (403, "forbidden_party")
    # And once the merchant has agreed there is no merchant deadline to shorten
    act(market.merchant, case_no, "agree")
    status, error = refused(market.agent, case_no, "shorten_deadline", {"remaining_hours": 30})
    assert (status, error["code"]) == (409, "wrong_status")
    assert event_count(case_no) == 2


def test_repair_2_6_4_merchant_refusal_goes_to_the_platform_recommending_compensation(
    market, travel
):
    # Given a new repair
    case_no = repair_case(market)["case_no"]
    # When the merchant refuses it
    case = act(market.merchant, case_no, "refuse", {"reason": "人为损坏，不予维修"})
    # Then the platform reviews it (PDD 8), recommending refund with compensation, no timers
    assert (case["status"], case["pdd_status"]) == ("platform_review", 8)
    assert case["recommended_outcome"] == RWC
    assert case["deadlines"] == []
    assert last_event(case) == {
        "actor": market.merchant.user.username,
        "action": "refuse",
        "data": {
            "from": "awaiting_merchant",
            "to": "platform_review",
            "rule": "2.6(4)",
            "reason": "人为损坏，不予维修",
            "recommended_outcome": RWC,
        },
    }
    # When the agent follows the recommendation
    case = act(market.agent, case_no, "rule", {"outcome": RWC, "note": "核实凭证后裁定"})
    # Then the order is refunded and the consumer gets a 5000-fen coupon, all from the shop
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert last_event(case)["data"] == {
        "from": "platform_review",
        "to": "refunded",
        "rule": "2.7",
        "outcome": RWC,
        "note": "核实凭证后裁定",
        "recommended_outcome": RWC,
        "goods": "kept_by_consumer",
        "refund_fen": 20000,
        "compensation_fen": 5000,
    }
    assert ledger(case_no) == FULL_REFUND_AND_COUPON
    assert coupons(case_no) == [(5000, "2.7")]
    assert balance(market.shop) == OPENING_BALANCE_FEN - 25000


def test_repair_2_2_a_refusal_needs_a_reason(market, travel):
    # Given a new repair
    case_no = repair_case(market)["case_no"]
    # When the merchant refuses without a reason, then it is a bad request and nothing moves
    status, error = refused(market.merchant, case_no, "refuse", {})
    assert (status, error["field"]) == (400, "reason")
    assert view(market, case_no)["status"] == "awaiting_merchant"


# --- 2.3 the return and the inspection ------------------------------------------------------


def test_repair_cfg_return_not_shipped_in_7_days_expires_pdd_13(market, travel):
    # Given a repair the merchant agreed at 20:00 on 1 December
    case_no = repair_case(market, "awaiting_return")["case_no"]
    # When the consumer sends nothing for 7 days (2 to 8 December)
    fire_after(travel, end_of_day(2026, 12, 8))
    # Then the case has expired (PDD 13) and is closed
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("expired", 13, [])
    assert last_event(case) == timer_event(
        "return_shipment_deadline",
        end_of_day(2026, 12, 8),
        "expire",
        "2.3 ⚙ return 7 days",
        "awaiting_return",
        "expired",
    )
    row = case_row(case_no)
    assert (row.is_open, row.closed_at) == (False, at(2026, 12, 9))
    assert ledger(case_no) == []


def test_repair_2_3_consumer_uploads_the_return_tracking_number(market, travel):
    # Given a repair awaiting the return
    case_no = repair_case(market, "awaiting_return")["case_no"]
    # When the consumer ships the item back at T0 and paid 1200 fen of shipping
    case = act(market.consumer, case_no, "ship_return", {**SHIP, "return_shipping_fen": 1200})
    # Then the merchant has 7 days counting the upload day to sign and inspect
    assert (case["status"], case["pdd_status"]) == ("inspecting", 22)
    assert case["deadlines"] == [
        deadline("inspection_deadline", end_of_day(2026, 12, 7), "inspect", "2.3")
    ]
    row = case_row(case_no)
    assert (row.return_carrier, row.return_tracking_no, row.return_shipping_fen) == (
        "sf",
        "SF1234567890",
        1200,
    )
    assert row.return_shipped_at == row.repair_period_start == T0
    assert row.signed_at is None
    # And nothing is paid before the merchant signs (2.5)
    assert ledger(case_no) == []
    merchant_view = market.merchant.get(f"/cases/{case_no}").json()
    assert merchant_view["allowed_actions"] == ["confirm_receipt", "inspect"]


def test_repair_2_3_return_needs_a_known_carrier(market, travel):
    # Given a repair awaiting the return
    case_no = repair_case(market, "awaiting_return")["case_no"]
    # When the consumer names an unknown carrier, then it is refused and nothing moves
    status, error = refused(
        market.consumer, case_no, "ship_return", {"carrier": "nope", "tracking_no": "SF1234567890"}
    )
    assert (status, error["code"], error["field"]) == (422, "unknown_carrier", "carrier")
    assert (view(market, case_no)["status"], event_count(case_no)) == ("awaiting_return", 2)


def test_repair_2_3_inspection_deemed_meeting_standard_after_7_days_counting_upload_day(
    market, travel
):
    # Given a repair filed and agreed in the morning of 1 December
    travel.to(at(2026, 12, 1, 9))
    case_no = open_case(market, type="repair", reason="faulty")["case_no"]
    travel.to(at(2026, 12, 1, 10))
    act(market.merchant, case_no, "agree")
    # And the consumer uploads the return tracking number at 20:00 (1500 fen shipping paid)
    travel.to(at(2026, 12, 1, 20))
    case = act(market.consumer, case_no, "ship_return", {**SHIP, "return_shipping_fen": 1500})
    assert case["deadlines"] == [
        {
            "name": "inspection_deadline",
            "due_at": "2026-12-07T23:59:59.999999+08:00",
            "default_action": "inspect",
            "rule": "2.3",
        }
    ]
    # When the merchant does nothing until the end of 7 December
    assert fire_at(travel, at(2026, 12, 7, 23, 59, 59, 999998)) == 0
    # Then at the last instant of 7 December the period is not over yet: nothing fires
    assert fire_at(travel, end_of_day(2026, 12, 7)) == 0
    assert view(market, case_no)["status"] == "inspecting"
    # And one microsecond later (24:00) the item is deemed received, inspected, meeting the
    # standard
    assert fire_at(travel, at(2026, 12, 8)) == 1
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"]) == ("repairing", 22)
    assert last_event(case) == timer_event(
        "inspection_deadline",
        end_of_day(2026, 12, 7),
        "inspect",
        "2.3",
        "inspecting",
        "repairing",
        result="meets",
        signed=True,
        return_shipping_fen=1500,
    )
    assert case["events"][-1]["at"] == "2026-12-08T00:00:00+08:00"
    row = case_row(case_no)
    assert (row.signed_at, row.inspection_result) == (at(2026, 12, 8), "meets")
    # And deemed signing makes the merchant bear the return shipping (2.5)
    assert ledger(case_no) == [
        ("return_shipping", "shop", -1500),
        ("return_shipping", "consumer", 1500),
    ]
    # And the 20-day repair period still counts from the upload day: it ends on 20 December
    assert case["deadlines"] == [
        {
            "name": "repair_deadline",
            "due_at": "2026-12-20T23:59:59.999999+08:00",
            "default_action": "timeout_refund",
            "rule": "2.6(1)",
        }
    ]
    assert fire_at(travel, end_of_day(2026, 12, 20)) == 0
    assert fire_at(travel, at(2026, 12, 21)) == 1
    case = view(market, case_no)
    assert (case["status"], case["refunded_fen"]) == ("refunded", 20000)


def test_repair_2_3_merchant_inspects_and_the_item_meets_the_standard(market, travel):
    # Given a repair whose item was shipped back at T0
    case_no = repair_case(market, "inspecting")["case_no"]
    # When the merchant inspects it on 3 December and it meets the standard
    travel.to(at(2026, 12, 3, 15))
    case = act(market.merchant, case_no, "inspect", MEETS)
    # Then it is repairing (PDD 22), with 20 days counting the upload day (to 20 December)
    assert (case["status"], case["pdd_status"]) == ("repairing", 22)
    assert case["deadlines"] == [
        deadline("repair_deadline", end_of_day(2026, 12, 20), "timeout_refund", "2.6(1)")
    ]
    assert last_event(case) == {
        "actor": market.merchant.user.username,
        "action": "inspect",
        "data": {
            "from": "inspecting",
            "to": "repairing",
            "rule": "2.3",
            "result": "meets",
            "signed": True,
        },
    }
    row = case_row(case_no)
    assert (row.signed_at, row.inspection_result) == (at(2026, 12, 3, 15), "meets")


def test_repair_2_3_inspection_result_must_be_meets_or_fails(market, travel):
    # Given a repair being inspected
    case_no = repair_case(market, "inspecting")["case_no"]
    # When the merchant sends another result, then it is refused and nothing moves
    status, error = refused(market.merchant, case_no, "inspect", {"result": "maybe"})
    assert (status, error["code"], error["field"]) == (422, "invalid_result", "result")
    assert view(market, case_no)["status"] == "inspecting"


# --- 2.3.1 repair, ship back, receipt -------------------------------------------------------


def test_repair_2_3_1_repaired_item_shipped_back_and_received_completes(market, travel):
    # Given an item being repaired
    case_no = repair_case(market, "repairing")["case_no"]
    # When the merchant ships it back on 10 December
    travel.to(at(2026, 12, 10, 14))
    case = act(
        market.merchant, case_no, "ship_repaired", {"carrier": "sf", "tracking_no": "SF9999000011"}
    )
    # Then the consumer must receive it within 7 days counting the upload day (to 16 December)
    assert (case["status"], case["pdd_status"]) == ("repaired_shipped", 27)
    assert case["deadlines"] == [
        deadline("receipt_deadline", end_of_day(2026, 12, 16), "confirm_received", "2.3.1")
    ]
    row = case_row(case_no)
    assert (row.outbound_carrier, row.outbound_tracking_no) == ("sf", "SF9999000011")
    # When the consumer confirms receipt
    travel.to(at(2026, 12, 12, 9))
    case = act(market.consumer, case_no, "confirm_received")
    # Then the repair is completed (PDD 25) with no money moved
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 25, [])
    assert last_event(case) == {
        "actor": market.consumer.user.username,
        "action": "confirm_received",
        "data": {"from": "repaired_shipped", "to": "completed", "rule": "2.3.1"},
    }
    assert ledger(case_no) == []
    assert case_row(case_no).is_open is False


def test_repair_2_3_1_cfg_repaired_item_deemed_received_after_7_days_counting_upload_day(
    market, travel
):
    # Given a repaired item shipped back on 10 December
    case_no = repair_case(market, "repairing")["case_no"]
    travel.to(at(2026, 12, 10, 14))
    act(market.merchant, case_no, "ship_repaired", SHIP)
    # When the consumer says nothing until the end of 16 December
    fire_after(travel, end_of_day(2026, 12, 16))
    # Then it is deemed received and completed
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 25, [])
    assert last_event(case) == timer_event(
        "receipt_deadline",
        end_of_day(2026, 12, 16),
        "confirm_received",
        "2.3.1",
        "repaired_shipped",
        "completed",
    )
    assert ledger(case_no) == []


def test_repair_2_6_1_not_repaired_within_20_days_counting_upload_day_refunds_with_compensation(
    market, travel
):
    # Given a return uploaded at 20:00 on 1 December, inspected on 5 December
    case_no = repair_case(market, "inspecting")["case_no"]
    travel.to(at(2026, 12, 5, 11))
    act(market.merchant, case_no, "inspect", MEETS)
    # When the merchant has not shipped the repaired item by the end of 20 December
    fire_after(travel, end_of_day(2026, 12, 20))
    # Then the system refunds the order and charges the shop a coupon at once (2.6(1))
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert case["deadlines"] == []
    assert last_event(case) == timer_event(
        "repair_deadline",
        end_of_day(2026, 12, 20),
        "timeout_refund",
        "2.6(1)",
        "repairing",
        "refunded",
        refund_fen=20000,
        compensation_fen=5000,
    )
    assert ledger(case_no) == FULL_REFUND_AND_COUPON
    assert coupons(case_no) == [(5000, "2.6(1)")]
    assert LedgerEntry.objects.get(case__case_no=case_no, kind=EntryKind.COMPENSATION).memo == (
        f"赔付券 {case_no}"
    )
    assert balance(market.shop) == OPENING_BALANCE_FEN - 25000
    # And the consumer sees the coupon
    mine = market.consumer.get("/me/coupons").json()
    assert [
        (c["amount_fen"], c["shop"], c["case_no"], c["rule"], c["issued_at"], c["used_at"])
        for c in mine
    ] == [(5000, market.shop.code, case_no, "2.6(1)", "2026-12-21T00:00:00+08:00", None)]
    # And a late shipment is refused
    status, error = refused(market.merchant, case_no, "ship_repaired", SHIP)
    assert (status, error["code"]) == (409, "wrong_status")


def test_repair_2_6_2_repaired_item_not_received_goes_to_the_platform(market, travel):
    # Given a repaired item shipped back
    case_no = repair_case(market, "repaired_shipped")["case_no"]
    # When the consumer reports it was not received
    travel.by(days=3)
    case = act(market.consumer, case_no, "report_not_received", {"reason": "物流显示未派送"})
    # Then an agent reviews it, recommended to refund with compensation; timers stop
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert case["recommended_outcome"] == RWC
    assert last_event(case)["data"] == {
        "from": "repaired_shipped",
        "to": "platform_review",
        "rule": "2.6(2)",
        "reason": "物流显示未派送",
        "recommended_outcome": RWC,
    }
    assert pending_deadlines(case_no) == []


# --- 2.3.2 the item does not meet the standard ----------------------------------------------


def test_repair_2_3_2_failed_inspection_needs_the_inspection_report(market, travel):
    # Given a repair being inspected
    case_no = repair_case(market, "inspecting")["case_no"]
    # When the merchant rejects it without an inspection report
    status, error = refused(market.merchant, case_no, "inspect", {"result": "fails"})
    # Then it is refused naming rule 2.3.2, and nothing changed
    assert status == 422
    assert (error["code"], error["field"], error["rule"]) == ("report_required", "report", "2.3.2")
    assert case_row(case_no).signed_at is None
    assert (view(market, case_no)["status"], event_count(case_no)) == ("inspecting", 3)
    # When the merchant uploads the report on 3 December
    travel.to(at(2026, 12, 3, 10))
    case = act(market.merchant, case_no, "inspect", FAILS)
    # Then the consumer has 3 days (4 to 6 December) to decide, silence meaning acceptance
    assert (case["status"], case["pdd_status"]) == ("inspection_failed", 27)
    assert case["deadlines"] == [
        deadline("decision_deadline", end_of_day(2026, 12, 6), "accept_result", "2.3.2(4)")
    ]
    assert case["allowed_actions"] == []
    consumer_view = market.consumer.get(f"/cases/{case_no}").json()
    assert consumer_view["allowed_actions"] == [
        "accept_result",
        "negotiate",
        "request_intervention",
    ]
    row = case_row(case_no)
    assert (row.inspection_result, row.inspection_report) == ("fails", REPORT)
    assert row.signed_at == at(2026, 12, 3, 10)


def test_repair_2_3_2_1_consumer_accepts_and_the_item_comes_back_with_the_report(market, travel):
    # Given a failed inspection on 3 December
    case_no = repair_case(market, "inspecting")["case_no"]
    travel.to(at(2026, 12, 3, 10))
    act(market.merchant, case_no, "inspect", FAILS)
    # When the consumer accepts the result at 09:00 on 4 December
    travel.to(at(2026, 12, 4, 9))
    case = act(market.consumer, case_no, "accept_result")
    # Then the merchant has 48 hours to ship it back
    assert (case["status"], case["pdd_status"]) == ("returning_unrepaired", 27)
    assert case["deadlines"] == [
        deadline("ship_back_deadline", at(2026, 12, 6, 9), "escalate", "2.3.2(1) ⚙ ship back 48 h")
    ]
    # When the merchant ships it back on 5 December
    travel.to(at(2026, 12, 5, 16))
    case = act(market.merchant, case_no, "ship_back", SHIP)
    # Then the consumer must receive it within 7 days counting the upload day (to 11 December)
    assert (case["status"], case["pdd_status"]) == ("unrepaired_shipped", 27)
    assert case["deadlines"] == [
        deadline("receipt_deadline", end_of_day(2026, 12, 11), "confirm_received", "2.3.2(1)")
    ]
    # When the consumer confirms receipt
    case = act(market.consumer, case_no, "confirm_received")
    # Then the case is completed without money moving
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 25, [])
    assert ledger(case_no) == []


def test_repair_2_3_2_4_consumer_silence_for_3_days_counts_as_accepting(market, travel):
    # Given a failed inspection on 3 December
    case_no = repair_case(market, "inspecting")["case_no"]
    travel.to(at(2026, 12, 3, 10))
    act(market.merchant, case_no, "inspect", FAILS)
    # When the consumer does nothing until the end of 6 December
    fired_at = fire_after(travel, end_of_day(2026, 12, 6))
    # Then the system accepts the result for them, citing the silence clause 2.3.2(4)
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"]) == ("returning_unrepaired", 27)
    assert last_event(case) == timer_event(
        "decision_deadline",
        end_of_day(2026, 12, 6),
        "accept_result",
        "2.3.2(4)",
        "inspection_failed",
        "returning_unrepaired",
    )
    # And the merchant's 48 hours start from that acceptance
    assert case["deadlines"] == [
        deadline(
            "ship_back_deadline",
            fired_at + dt.timedelta(hours=48),
            "escalate",
            "2.3.2(1) ⚙ ship back 48 h",
        )
    ]


def test_repair_2_3_2_1_cfg_item_not_shipped_back_in_48_hours_goes_to_the_platform(market, travel):
    # Given a consumer who accepted the result at 09:00 on 4 December
    case_no = repair_case(market, "inspection_failed")["case_no"]
    travel.to(at(2026, 12, 4, 9))
    act(market.consumer, case_no, "accept_result")
    # When the merchant has not shipped it back 48 hours later
    fire_after(travel, at(2026, 12, 6, 9))
    # Then the platform takes over (PDD 8), with no timers
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert case["recommended_outcome"] is None
    assert last_event(case) == timer_event(
        "ship_back_deadline",
        at(2026, 12, 6, 9),
        "escalate",
        "2.3.2(1) ⚙ ship back 48 h",
        "returning_unrepaired",
        "platform_review",
    )


def test_repair_2_3_2_1_cfg_unrepaired_item_deemed_received_after_7_days(market, travel):
    # Given the unrepaired item shipped back at 16:00 on 5 December
    case_no = repair_case(market, "returning_unrepaired")["case_no"]
    travel.to(at(2026, 12, 5, 16))
    act(market.merchant, case_no, "ship_back", SHIP)
    # When the consumer says nothing until the end of 11 December
    fire_after(travel, end_of_day(2026, 12, 11))
    # Then it is deemed received and completed
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 25, [])
    assert last_event(case) == timer_event(
        "receipt_deadline",
        end_of_day(2026, 12, 11),
        "confirm_received",
        "2.3.2(1)",
        "unrepaired_shipped",
        "completed",
    )


def test_repair_2_6_2_unrepaired_item_not_received_goes_to_the_platform(market, travel):
    # Given the unrepaired item shipped back
    case_no = repair_case(market, "unrepaired_shipped")["case_no"]
    # When the consumer reports it did not arrive
    case = act(market.consumer, case_no, "report_not_received")
    # Then an agent reviews it, recommended to refund with compensation
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert case["recommended_outcome"] == RWC
    assert last_event(case)["data"] == {
        "from": "unrepaired_shipped",
        "to": "platform_review",
        "rule": "2.6(2)",
        "recommended_outcome": RWC,
    }


def test_repair_2_3_2_2_negotiated_solution_is_followed(market, travel):
    # Given a failed inspection
    case_no = repair_case(market, "inspection_failed")["case_no"]
    # When the consumer asks for more than the case amount, then it is refused
    status, error = refused(
        market.consumer, case_no, "negotiate", {"terms": "全额退款", "amount_fen": 20001}
    )
    assert (status, error["code"], error["field"]) == (422, "amount_too_large", "amount_fen")
    # When the consumer negotiates a partial refund of 3000 fen
    case = act(
        market.consumer,
        case_no,
        "negotiate",
        {"terms": "商家部分退款 30 元，用户自行维修", "amount_fen": 3000},
    )
    # Then the agreement is recorded and no timer runs (the rule sets none)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("negotiated", 27, [])
    row = case_row(case_no)
    assert (row.negotiated_terms, row.negotiated_amount_fen) == (
        "商家部分退款 30 元，用户自行维修",
        3000,
    )
    assert last_event(case)["data"] == {
        "from": "inspection_failed",
        "to": "negotiated",
        "rule": "2.3.2(2)",
        "terms": "商家部分退款 30 元，用户自行维修",
        "amount_fen": 3000,
    }
    # When the merchant fulfils it
    case = act(market.merchant, case_no, "fulfil")
    # Then the case is completed
    assert (case["status"], case["pdd_status"]) == ("completed", 25)
    assert last_event(case)["data"] == {"from": "negotiated", "to": "completed", "rule": "2.3.2(2)"}


def test_repair_2_6_3_breach_of_the_negotiated_solution_goes_to_the_platform(market, travel):
    # Given a negotiated solution
    case_no = repair_case(market, "negotiated")["case_no"]
    # When the consumer reports the merchant did not follow it
    case = act(market.consumer, case_no, "report_breach", {"reason": "商家未按约定退款"})
    # Then an agent reviews it, recommended to refund with compensation
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert case["recommended_outcome"] == RWC
    assert last_event(case)["data"] == {
        "from": "negotiated",
        "to": "platform_review",
        "rule": "2.6(3)",
        "reason": "商家未按约定退款",
        "recommended_outcome": RWC,
    }
    # When the agent rules so, then the order is refunded with compensation
    case = act(market.agent, case_no, "rule", {"outcome": RWC, "note": "核实凭证后裁定"})
    assert (case["status"], case["refunded_fen"]) == ("refunded", 20000)
    assert ledger(case_no) == FULL_REFUND_AND_COUPON


def test_repair_2_3_2_3_consumer_asks_the_platform_and_2_6_5_false_report_compensates(
    market, travel
):
    # Given a failed inspection
    case_no = repair_case(market, "inspection_failed")["case_no"]
    # When the consumer asks the platform to intervene
    case = act(market.consumer, case_no, "request_intervention", {"reason": "检测报告是伪造的"})
    # Then the agent reviews it with no timers running
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert last_event(case)["data"] == {
        "from": "inspection_failed",
        "to": "platform_review",
        "rule": "2.3.2(3)",
        "reason": "检测报告是伪造的",
    }
    # When the agent finds the report false and rules refund with compensation (2.6(5))
    case = act(market.agent, case_no, "rule", {"outcome": RWC, "note": "报告已过期"})
    # Then the order is refunded and a coupon issued, both charged to the shop
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert last_event(case)["data"] == {
        "from": "platform_review",
        "to": "refunded",
        "rule": "2.7",
        "outcome": RWC,
        "note": "报告已过期",
        "recommended_outcome": None,
        "goods": "with_merchant",
        "refund_fen": 20000,
        "compensation_fen": 5000,
    }
    assert ledger(case_no) == FULL_REFUND_AND_COUPON
    assert balance(market.shop) == OPENING_BALANCE_FEN - 25000


# --- 2.4 cancellation -----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["awaiting_merchant", "awaiting_return", "inspecting"])
def test_repair_2_4_cancel_before_the_merchant_signs_ends_the_case(market, travel, status):
    # Given a repair not yet signed for by the merchant (shipping paid if shipped back)
    case_no = repair_case(market, status)["case_no"]
    # When the consumer cancels
    case = act(market.consumer, case_no, "cancel", {"reason": "不想修了"})
    # Then the case is cancelled (PDD 11) with no timers and no money moved (the merchant may
    # refuse the parcel)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("cancelled", 11, [])
    assert last_event(case) == {
        "actor": market.consumer.user.username,
        "action": "cancel",
        "data": {"from": status, "to": "cancelled", "rule": "2.4", "reason": "不想修了"},
    }
    assert ledger(case_no) == []
    assert pending_deadlines(case_no) == []
    assert case_row(case_no).is_open is False


def test_repair_2_4_cancel_after_signing_ships_the_item_back_within_2_days_counting_cancel_day(
    market, travel
):
    # Given a return the merchant signed for on 2 December
    case_no = repair_case(market, "inspecting")["case_no"]
    travel.to(at(2026, 12, 2, 10))
    case = act(market.merchant, case_no, "confirm_receipt")
    assert (case["status"], case_row(case_no).signed_at) == ("inspecting", at(2026, 12, 2, 10))
    # (signing keeps the inspection deadline running, and cannot be repeated)
    assert case["deadlines"] == [
        deadline("inspection_deadline", end_of_day(2026, 12, 7), "inspect", "2.3")
    ]
    assert refused(market.merchant, case_no, "confirm_receipt")[0] == 409
    # When the consumer cancels at 23:30 on 3 December
    travel.to(at(2026, 12, 3, 23, 30))
    case = act(market.consumer, case_no, "cancel")
    # Then the merchant must ship the item back by the end of 4 December
    assert (case["status"], case["pdd_status"]) == ("returning_after_cancel", 11)
    assert case["deadlines"] == [
        deadline(
            "ship_back_deadline", end_of_day(2026, 12, 4), "escalate", "2.4 ⚙ ship back 2 days"
        )
    ]
    assert last_event(case)["data"] == {
        "from": "inspecting",
        "to": "returning_after_cancel",
        "rule": "2.4",
    }
    # When the merchant ships it back
    case = act(market.merchant, case_no, "ship_back", SHIP)
    # Then the case is cancelled
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("cancelled", 11, [])
    assert case_row(case_no).outbound_tracking_no == "SF1234567890"
    assert ledger(case_no) == []


def test_repair_2_4_cfg_item_not_shipped_back_in_2_days_goes_to_the_platform(market, travel):
    # Given a repair cancelled while repairing, at 10:00 on 2 December
    case_no = repair_case(market, "repairing")["case_no"]
    travel.to(at(2026, 12, 2, 10))
    case = act(market.consumer, case_no, "cancel")
    assert (case["status"], case["pdd_status"]) == ("returning_after_cancel", 11)
    # When the merchant has not shipped it back by the end of 3 December
    fire_after(travel, end_of_day(2026, 12, 3))
    # Then the platform takes over
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert last_event(case) == timer_event(
        "ship_back_deadline",
        end_of_day(2026, 12, 3),
        "escalate",
        "2.4 ⚙ ship back 2 days",
        "returning_after_cancel",
        "platform_review",
    )


@pytest.mark.parametrize("status", ["repaired_shipped", "unrepaired_shipped", "negotiated"])
def test_repair_2_4_no_cancel_once_the_item_is_shipped_back_or_settled(market, travel, status):
    # Given a repaired (or unrepaired) item already shipped back, or a negotiated solution
    case = repair_case(market, status)
    case_no = case["case_no"]
    # When the consumer tries to cancel
    code, error = refused(market.consumer, case_no, "cancel")
    # Then it is a conflict and nothing changes
    assert (code, error["code"]) == (409, "wrong_status")
    assert view(market, case_no)["version"] == case["version"]


# --- 2.5 return shipping --------------------------------------------------------------------


def test_repair_2_5_return_shipping_is_credited_from_the_merchant_when_it_signs_once(
    market, travel
):
    # Given the consumer paid 1200 fen to ship the item back
    case_no = repair_case(market, "awaiting_return")["case_no"]
    act(market.consumer, case_no, "ship_return", {**SHIP, "return_shipping_fen": 1200})
    assert ledger(case_no) == []
    # When the merchant signs for it on 2 December
    travel.to(at(2026, 12, 2, 10))
    case = act(market.merchant, case_no, "confirm_receipt")
    # Then the consumer is credited 1200 fen from the merchant's balance
    expected = [("return_shipping", "shop", -1200), ("return_shipping", "consumer", 1200)]
    assert ledger(case_no) == expected
    assert balance(market.shop) == OPENING_BALANCE_FEN - 1200
    assert consumer_balance(market.consumer.user.id) == 1200
    assert last_event(case)["data"] == {
        "from": "inspecting",
        "to": "inspecting",
        "rule": "2.3",
        "signed": True,
        "return_shipping_fen": 1200,
    }
    # When the merchant inspects it later
    travel.to(at(2026, 12, 3, 10))
    case = act(market.merchant, case_no, "inspect", MEETS)
    # Then nothing is paid a second time, and signing is not repeated
    assert last_event(case)["data"] == {
        "from": "inspecting",
        "to": "repairing",
        "rule": "2.3",
        "result": "meets",
    }
    assert ledger(case_no) == expected
    assert case_row(case_no).signed_at == at(2026, 12, 2, 10)
    assert LedgerEntry.objects.filter(kind=EntryKind.RETURN_SHIPPING).count() == 2


def test_repair_2_5_no_shipping_paid_means_no_entry(market, travel):
    # Given the consumer shipped the item back without declaring shipping
    case_no = repair_case(market, "inspecting")["case_no"]
    # When the merchant inspects it, then no ledger entry is written
    case = act(market.merchant, case_no, "inspect", MEETS)
    assert case["status"] == "repairing"
    assert ledger(case_no) == []
    assert balance(market.shop) == OPENING_BALANCE_FEN


# --- 2.6 compensation -----------------------------------------------------------------------


def test_repair_2_6_compensation_is_30_percent_of_a_small_order_rounded_down(market, travel):
    # Given a repair of an order of 9999 fen that the merchant refused
    order = market.order(amount_fen=9999)
    case_no = case_in(market, "repair", "platform_review", order)["case_no"]
    # When the agent rules refund with compensation
    case = act(market.agent, case_no, "rule", {"outcome": RWC, "note": "核实凭证后裁定"})
    # Then the coupon is 30% of 9999 = 2999.7, rounded down to 2999 fen
    assert (case["refunded_fen"], last_event(case)["data"]["compensation_fen"]) == (9999, 2999)
    assert ledger(case_no) == [
        ("refund", "shop", -9999),
        ("refund", "consumer", 9999),
        ("compensation", "shop", -2999),
    ]
    assert coupons(case_no) == [(2999, "2.7")]
    assert balance(market.shop) == OPENING_BALANCE_FEN - 9999 - 2999


def test_repair_2_6_compensation_is_capped_at_5000_fen(market, travel):
    # Given a repair of an order of 888888 fen that the merchant refused
    order = market.order(amount_fen=888_888)
    case_no = case_in(market, "repair", "platform_review", order)["case_no"]
    # When the agent rules refund with compensation
    act(market.agent, case_no, "rule", {"outcome": RWC, "note": "核实凭证后裁定"})
    # Then the coupon is 50 yuan, not 30% (266666 fen)
    assert coupons(case_no) == [(5000, "2.7")]
    assert ledger(case_no) == [
        ("refund", "shop", -888_888),
        ("refund", "consumer", 888_888),
        ("compensation", "shop", -5000),
    ]


def test_repair_2_6_compensation_may_take_the_shop_balance_negative(market, travel):
    # Given a shop with only 1000 fen left
    LedgerEntry.objects.create(
        shop=market.shop, kind=EntryKind.ADJUSTMENT, amount_fen=-99_000, created_at=T0
    )
    assert balance(market.shop) == 1000
    # And an item being repaired that is not shipped back within 20 days
    case_no = repair_case(market, "repairing")["case_no"]
    fire_after(travel, end_of_day(2026, 12, 20))
    # Then the full refund and coupon are charged: the balance is 24000 fen in debt, not capped
    assert ledger(case_no) == FULL_REFUND_AND_COUPON
    assert balance(market.shop) == -24_000
    shop_ledger = market.merchant.get(f"/shops/{market.shop.code}/ledger").json()
    assert shop_ledger["balance_fen"] == -24_000
    assert [(e["kind"], e["amount_fen"], e["case_no"]) for e in shop_ledger["items"][:2]] == [
        ("compensation", -5000, case_no),
        ("refund", -20000, case_no),
    ]


# --- 2.7 the platform -----------------------------------------------------------------------


def test_repair_2_7_platform_review_suspends_timers_and_a_repair_ruling_restarts_20_days(
    market, travel
):
    # Given an item being repaired since the upload at 20:00 on 1 December
    case_no = repair_case(market, "repairing")["case_no"]
    # When an agent intervenes on 5 December
    travel.to(at(2026, 12, 5, 10))
    case = act(market.agent, case_no, "intervene", {"reason": "用户投诉商家拖延"})
    # Then the case is under review and no timer is pending
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert pending_deadlines(case_no) == []
    assert last_event(case) == {
        "actor": market.agent.user.username,
        "action": "intervene",
        "data": {
            "from": "repairing",
            "to": "platform_review",
            "rule": "2.7",
            "reason": "用户投诉商家拖延",
        },
    }
    # And the old repair deadline (end of 20 December) does not fire
    assert fire_at(travel, at(2026, 12, 22)) == 0
    assert view(market, case_no)["status"] == "platform_review"
    # When the agent rules repair at 15:00 on 25 December
    travel.to(at(2026, 12, 25, 15))
    case = act(market.agent, case_no, "rule", {"outcome": "repair", "note": "核实凭证后裁定"})
    # Then the merchant has 20 days counting the ruling day: until the end of 13 January
    assert (case["status"], case["pdd_status"]) == ("repairing", 22)
    assert case["deadlines"] == [
        deadline("repair_deadline", end_of_day(2027, 1, 13), "timeout_refund", "2.6(1)")
    ]
    assert last_event(case)["data"] == {
        "from": "platform_review",
        "to": "repairing",
        "rule": "2.7",
        "outcome": "repair",
        "note": "核实凭证后裁定",
        "recommended_outcome": None,
    }
    assert case_row(case_no).repair_period_start == at(2026, 12, 25, 15)
    # And when that runs out the breach is applied at once (2.6(1))
    fire_after(travel, end_of_day(2027, 1, 13))
    case = view(market, case_no)
    assert (case["status"], case["refunded_fen"]) == ("refunded", 20000)
    assert ledger(case_no) == FULL_REFUND_AND_COUPON


def test_repair_2_7_exchange_ruling_awaits_a_replacement(market, travel):
    # Given a refused repair under review
    case_no = repair_case(market, "platform_review")["case_no"]
    # When the agent rules exchange at 10:00 on 5 December
    travel.to(at(2026, 12, 5, 10))
    case = act(market.agent, case_no, "rule", {"outcome": "exchange", "note": "核实凭证后裁定"})
    # Then the merchant must ship a replacement within 7 days counting the ruling day (⚙)
    assert (case["status"], case["pdd_status"]) == ("awaiting_replacement", 14)
    assert case["deadlines"] == [
        deadline(
            "replacement_ship_deadline",
            end_of_day(2026, 12, 11),
            "timeout_refund",
            "2.7 ⚙ replacement 7 days",
        )
    ]
    # When the merchant ships the replacement on 6 December
    travel.to(at(2026, 12, 6, 10))
    case = act(market.merchant, case_no, "ship_replacement", SHIP)
    # Then the consumer has 7 days counting the upload day to receive it
    assert (case["status"], case["pdd_status"]) == ("replacement_shipped", 18)
    assert case["deadlines"] == [
        deadline(
            "receipt_deadline", end_of_day(2026, 12, 12), "confirm_received", "2.7 ⚙ receipt 7 days"
        )
    ]
    # When the consumer confirms receipt, then the repair case is completed
    case = act(market.consumer, case_no, "confirm_received")
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("completed", 25, [])
    assert ledger(case_no) == []


def test_repair_2_7_cfg_replacement_not_shipped_in_7_days_counting_ruling_day_refunds(
    market, travel
):
    # Given an exchange ruled at 10:00 on 5 December
    case_no = repair_case(market, "platform_review")["case_no"]
    travel.to(at(2026, 12, 5, 10))
    act(market.agent, case_no, "rule", {"outcome": "exchange", "note": "核实凭证后裁定"})
    # When no replacement ships by the end of 11 December
    fire_after(travel, end_of_day(2026, 12, 11))
    # Then the case amount is refunded (no compensation)
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == ("refunded", 10, 20000)
    assert last_event(case) == timer_event(
        "replacement_ship_deadline",
        end_of_day(2026, 12, 11),
        "timeout_refund",
        "2.7 ⚙ replacement 7 days",
        "awaiting_replacement",
        "refunded",
        refund_fen=20000,
    )
    assert ledger(case_no) == [("refund", "shop", -20000), ("refund", "consumer", 20000)]
    assert coupons(case_no) == []


def test_repair_2_7_cfg_replacement_deemed_received_after_7_days(market, travel):
    # Given a replacement shipped at 10:00 on 6 December after an exchange ruling
    case_no = repair_case(market, "platform_review")["case_no"]
    act(market.agent, case_no, "rule", {"outcome": "exchange", "note": "核实凭证后裁定"})
    travel.to(at(2026, 12, 6, 10))
    act(market.merchant, case_no, "ship_replacement", SHIP)
    # When the consumer says nothing until the end of 12 December
    fire_after(travel, end_of_day(2026, 12, 12))
    # Then it is deemed received
    case = view(market, case_no)
    assert (case["status"], case["pdd_status"]) == ("completed", 25)
    assert last_event(case) == timer_event(
        "receipt_deadline",
        end_of_day(2026, 12, 12),
        "confirm_received",
        "2.7 ⚙ receipt 7 days",
        "replacement_shipped",
        "completed",
    )


def test_repair_2_7_problem_with_the_replacement_goes_back_to_the_platform(market, travel):
    # Given a replacement shipped after an exchange ruling
    case_no = repair_case(market, "platform_review")["case_no"]
    act(market.agent, case_no, "rule", {"outcome": "exchange", "note": "核实凭证后裁定"})
    act(market.merchant, case_no, "ship_replacement", SHIP)
    # When the consumer reports a problem, then the platform reviews it again, timers stopped
    case = act(market.consumer, case_no, "report_problem", {"reason": "换的也是坏的"})
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])


@pytest.mark.parametrize(
    ("ruling", "status", "pdd", "refunded", "entries", "coupon"),
    [
        (
            {"outcome": "refund", "note": "核实凭证后裁定"},
            "refunded",
            10,
            20000,
            [("refund", "shop", -20000), ("refund", "consumer", 20000)],
            [],
        ),
        (
            {"outcome": RWC, "note": "核实凭证后裁定"},
            "refunded",
            10,
            20000,
            FULL_REFUND_AND_COUPON,
            [(5000, "2.7")],
        ),
        (
            {"outcome": "partial_refund", "amount_fen": 8000, "note": "核实凭证后裁定"},
            "refunded",
            10,
            8000,
            [("refund", "shop", -8000), ("refund", "consumer", 8000)],
            [],
        ),
        ({"outcome": "reject", "note": "核实凭证后裁定"}, "closed", 24, 0, [], []),
        ({"outcome": "repair", "note": "核实凭证后裁定"}, "repairing", 22, 0, [], []),
        ({"outcome": "exchange", "note": "核实凭证后裁定"}, "awaiting_replacement", 14, 0, [], []),
    ],
    ids=["refund", "refund_with_compensation", "partial_refund", "reject", "repair", "exchange"],
)
def test_repair_2_7_every_ruling_outcome(
    market, travel, ruling, status, pdd, refunded, entries, coupon
):
    # Given a refused repair under review
    case_no = repair_case(market, "platform_review")["case_no"]
    # When the agent rules
    case = act(market.agent, case_no, "rule", ruling)
    # Then the case moves as the ruling says, with exactly the money it names
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == (status, pdd, refunded)
    assert ledger(case_no) == entries
    assert coupons(case_no) == coupon
    assert balance(market.shop) == OPENING_BALANCE_FEN + sum(
        amount for _, account, amount in entries if account == "shop"
    )
    assert last_event(case)["actor"] == market.agent.user.username
    assert last_event(case)["data"]["outcome"] == ruling["outcome"]
    assert case_row(case_no).is_open is (status not in ("refunded", "closed"))


def test_repair_2_7_unknown_ruling_is_refused(market, travel):
    # Given a refused repair under review
    case_no = repair_case(market, "platform_review")["case_no"]
    # When the agent sends an outcome that does not exist, then it is refused
    status, error = refused(
        market.agent, case_no, "rule", {"outcome": "shrug", "note": "核实凭证后裁定"}
    )
    assert (status, error["code"], error["field"]) == (422, "invalid_outcome", "outcome")
    # And the merchant may not rule at all
    status, error = refused(
        market.merchant, case_no, "rule", {"outcome": "reject", "note": "核实凭证后裁定"}
    )
    assert (status, error["code"]) == (403, "forbidden_party")
    assert view(market, case_no)["status"] == "platform_review"
