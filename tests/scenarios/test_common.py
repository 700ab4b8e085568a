"""Rules common to every type (spec/workflows.md "Common to every type").

Unless a test travels, everything happens at T0 = 20:00 on 1 December 2026 (Shanghai) on an
order of 20000 fen in category 手机 received at 20:00 on 29 November.
"""

import pytest

from aftersales.cases.models import Case, CaseItem
from aftersales.core import clock
from aftersales.core.eventlog import verify_chain
from aftersales.core.models import Event
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from tests.scenarios.helpers import (
    OPENING_BALANCE_FEN,
    PATHS,
    REASONS,
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
    last_event,
    ledger,
    open_case,
    pending_deadlines,
    received_order,
    refused,
    view,
)

FULL_REFUND = [("refund", "shop", -20000), ("refund", "consumer", 20000)]

# Where the consumer may cancel: nothing has been shipped back yet (rule cited in the event).
CANCELLABLE = [
    ("refund_only", "awaiting_merchant", "common"),
    ("refund_only", "refused", "common"),
    ("return_refund", "awaiting_merchant", "common"),
    ("return_refund", "awaiting_return", "common"),
    ("return_refund", "refused", "common ⚙ cancel"),
    ("exchange", "awaiting_merchant", "common"),
    ("exchange", "awaiting_return", "common"),
    ("exchange", "refused", "common ⚙ cancel"),
    ("resend", "awaiting_merchant", "common"),
    ("resend", "awaiting_resend", "common"),
    ("resend", "refused", "common"),
    ("repair", "awaiting_merchant", "2.4"),
    ("repair", "awaiting_return", "2.4"),
]

# Every open status a case can reach through people's actions, for `intervene`.
OPEN_STATUSES = [
    (case_type, status)
    for case_type, statuses in PATHS.items()
    for status in statuses
    if status != "platform_review"
]


# --- cancel ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_type", "status", "rule"), CANCELLABLE, ids=[f"{t}-{s}" for t, s, _ in CANCELLABLE]
)
def test_common_cancel_allowed_while_nothing_is_shipped_back(
    market, travel, case_type, status, rule
):
    # Given a case in which the consumer has shipped nothing back
    case_no = case_in(market, case_type, status)["case_no"]
    assert "cancel" in market.consumer.get(f"/cases/{case_no}").json()["allowed_actions"]
    # When the consumer cancels
    case = act(market.consumer, case_no, "cancel", {"reason": "不需要了"})
    # Then the case is cancelled (PDD 11), its timers stop and no money moves
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("cancelled", 11, [])
    assert last_event(case) == {
        "actor": market.consumer.user.username,
        "action": "cancel",
        "data": {"from": status, "to": "cancelled", "rule": rule, "reason": "不需要了"},
    }
    assert pending_deadlines(case_no) == []
    assert ledger(case_no) == []
    row = case_row(case_no)
    assert (row.is_open, row.closed_at) == (False, at(2026, 12, 1, 20))


@pytest.mark.parametrize(
    ("case_type", "status", "code"),
    [
        ("return_refund", "return_in_transit", "wrong_status"),
        ("exchange", "return_in_transit", "wrong_status"),
        ("exchange", "replacement_shipped", "wrong_status"),
        ("resend", "resend_shipped", "wrong_status"),
    ],
)
def test_common_cfg_cancel_refused_once_the_return_is_shipped(
    market, travel, case_type, status, code
):
    # Given a case whose goods are on their way
    case = case_in(market, case_type, status)
    case_no = case["case_no"]
    assert "cancel" not in market.consumer.get(f"/cases/{case_no}").json()["allowed_actions"]
    # When the consumer tries to cancel
    http_status, error = refused(market.consumer, case_no, "cancel")
    # Then it is a conflict and nothing changes: same status, same version, no event
    assert (http_status, error["code"]) == (409, code)
    after = view(market, case_no)
    assert (after["status"], after["version"]) == (status, case["version"])
    assert event_count(case_no) == len(case["events"])


def test_common_only_the_consumer_of_the_case_may_cancel(market, travel):
    # Given a case
    case_no = open_case(market, type="refund_only", reason="not_received")["case_no"]
    # When the merchant tries to cancel, then it is forbidden
    status, error = refused(market.merchant, case_no, "cancel")
    assert (status, error["code"]) == (403, "forbidden_party")
    # When another consumer tries, then the case does not even exist for them
    status, error = refused(market.other_consumer, case_no, "cancel")
    assert (status, error["code"]) == (404, "not_found")
    assert view(market, case_no)["status"] == "awaiting_merchant"


# --- intervene and the platform's review ----------------------------------------------------


@pytest.mark.parametrize(
    ("case_type", "status"), OPEN_STATUSES, ids=[f"{t}-{s}" for t, s in OPEN_STATUSES]
)
def test_common_2_7_agent_intervenes_in_any_open_case_and_timers_are_suspended(
    market, travel, case_type, status
):
    # Given an open case
    case_no = case_in(market, case_type, status)["case_no"]
    # When an agent intervenes
    case = act(market.agent, case_no, "intervene", {"reason": "用户投诉"})
    # Then the platform reviews it (PDD 8) and every timer of the case is suspended
    assert (case["status"], case["pdd_status"], case["deadlines"]) == ("platform_review", 8, [])
    assert pending_deadlines(case_no) == []
    assert last_event(case) == {
        "actor": market.agent.user.username,
        "action": "intervene",
        "data": {"from": status, "to": "platform_review", "rule": "2.7", "reason": "用户投诉"},
    }
    # And nothing fires while it waits, however long
    travel.to(at(2027, 3, 1))
    assert sweep().fired == 0
    assert view(market, case_no)["status"] == "platform_review"


def test_common_intervene_needs_an_agent_an_open_case_and_a_reason(market, travel):
    # Given an open case and a refunded one
    open_no = open_case(market, type="refund_only", reason="not_received")["case_no"]
    done_no = open_case(market, type="refund_only", reason="not_received")["case_no"]
    act(market.merchant, done_no, "agree")
    # When the merchant tries to intervene, then it is forbidden
    assert refused(market.merchant, open_no, "intervene", {"reason": "x" * 3})[0] == 403
    # When an agent intervenes without a reason, then it is a bad request
    status, error = refused(market.agent, open_no, "intervene", {})
    assert (status, error["field"]) == (400, "reason")
    # When an agent intervenes in a refunded case, then it is a conflict
    status, error = refused(market.agent, done_no, "intervene", {"reason": "复查"})
    assert (status, error["code"]) == (409, "wrong_status")
    # And a case already under review cannot be intervened again
    act(market.agent, open_no, "intervene", {"reason": "复查"})
    assert refused(market.agent, open_no, "intervene", {"reason": "复查"})[0] == 409


@pytest.mark.parametrize(
    ("ruling", "status", "pdd", "refunded", "entries", "coupon"),
    [
        ({"outcome": "refund", "note": "核实凭证后裁定"}, "refunded", 10, 20000, FULL_REFUND, []),
        (
            {"outcome": "refund_with_compensation", "note": "核实凭证后裁定"},
            "refunded",
            10,
            20000,
            [*FULL_REFUND, ("compensation", "shop", -5000)],
            [(5000, "2.7")],
        ),
        (
            {"outcome": "partial_refund", "amount_fen": 7000},
            "refunded",
            10,
            7000,
            [("refund", "shop", -7000), ("refund", "consumer", 7000)],
            [],
        ),
        (
            {"outcome": "refund", "amount_fen": 12000},
            "refunded",
            10,
            12000,
            [("refund", "shop", -12000), ("refund", "consumer", 12000)],
            [],
        ),
        ({"outcome": "reject", "note": "核实凭证后裁定"}, "closed", 9, 0, [], []),
    ],
    ids=["refund", "refund_with_compensation", "partial_refund", "refund_named_amount", "reject"],
)
def test_common_every_ruling_outcome(
    market, travel, ruling, status, pdd, refunded, entries, coupon
):
    # Given a refused refund-only request the consumer took to the platform
    case_no = case_in(market, "refund_only", "refused")["case_no"]
    act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})
    # When the agent rules
    case = act(market.agent, case_no, "rule", {**ruling, "note": "核实物流"})
    # Then the case ends as ruled, with exactly the money the ruling names
    assert (case["status"], case["pdd_status"], case["refunded_fen"]) == (status, pdd, refunded)
    assert case["deadlines"] == []
    assert ledger(case_no) == entries
    assert coupons(case_no) == coupon
    assert balance(market.shop) == OPENING_BALANCE_FEN + sum(
        amount for _, account, amount in entries if account == "shop"
    )
    data = last_event(case)["data"]
    assert (data["outcome"], data["note"], data["rule"]) == (ruling["outcome"], "核实物流", "2.7")
    assert case_row(case_no).is_open is False


@pytest.mark.parametrize(
    ("ruling", "code"),
    [
        ({"outcome": "partial_refund", "note": "核实凭证后裁定"}, "amount_required"),
        ({"outcome": "partial_refund", "amount_fen": 20001, "note": "核实"}, "amount_too_large"),
        ({"outcome": "reject", "amount_fen": 100, "note": "核实"}, "amount_not_allowed"),
        ({"outcome": "repair", "note": "核实凭证后裁定"}, "invalid_outcome"),
    ],
)
def test_common_ruling_amounts_are_checked(market, travel, ruling, code):
    # Given a refund-only request under review
    case_no = case_in(market, "refund_only", "refused")["case_no"]
    act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})
    # When the agent rules with a missing, excessive or misplaced amount (or a repair ruling
    # outside repair)
    status, error = refused(market.agent, case_no, "rule", ruling)
    # Then it is refused, and nothing is paid
    assert (status, error["code"]) == (422, code)
    assert view(market, case_no)["status"] == "platform_review"
    assert ledger(case_no) == []


# --- one open request per order item --------------------------------------------------------


def test_common_one_open_case_per_order_item(market, travel):
    # Given an open exchange on an order
    order = market.order()
    first = open_case(market, order, type="exchange")
    # When the consumer files a second exchange, or any other type, on the same item
    for type in ("exchange", "repair", "refund_only"):
        response = market.consumer.post(
            "/cases", {"order_sn": order.order_sn, "type": type, "reason": "damaged"}
        )
        # Then it is a conflict naming the open case
        assert response.status_code == 409
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("duplicate_case", "order_sn")
        assert first["case_no"] in error["message"]
    assert order.cases.count() == 1
    # And once the first exchange is cancelled a new request may be filed
    act(market.consumer, first["case_no"], "cancel")
    second = open_case(market, order, type="exchange")
    assert second["case_no"] != first["case_no"]
    assert order.cases.filter(is_open=True).count() == 1


# --- money: amounts and refunding exactly once ---------------------------------------------


def test_common_amount_defaults_to_the_order_amount_and_never_more(market, travel):
    # Given an order of 20000 fen
    order = market.order()
    # When the consumer asks for 20001 fen
    response = market.consumer.post(
        "/cases",
        {
            "order_sn": order.order_sn,
            "type": "refund_only",
            "reason": "damaged",
            "amount_fen": 20001,
        },
    )
    # Then it is refused
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("amount_exceeds_order", "amount_fen")
    # And without an amount the case is for the whole order
    assert open_case(market, order, type="refund_only", reason="damaged")["amount_fen"] == 20000


def test_common_refund_is_written_exactly_once(market, travel):
    # Given a refund-only request
    case_no = open_case(market, type="refund_only", reason="not_received")["case_no"]
    # When the merchant agrees twice with the same Idempotency-Key
    first = market.merchant.act(case_no, "agree", {}, headers={"Idempotency-Key": "agree-1"})
    again = market.merchant.act(case_no, "agree", {}, headers={"Idempotency-Key": "agree-1"})
    # Then the second call returns the first response and nothing more is paid or logged
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert ledger(case_no) == FULL_REFUND
    assert event_count(case_no) == 2
    # And the timer that would have agreed is gone: it cannot pay again
    assert pending_deadlines(case_no) == []
    travel.to(at(2026, 12, 10))
    assert sweep().fired == 0
    assert ledger(case_no) == FULL_REFUND
    assert balance(market.shop) == OPENING_BALANCE_FEN - 20000


def test_common_a_refunded_item_takes_no_new_request(market, travel):
    # Given a refund-only agreed on an order's only item
    order = market.order()
    refund_no = open_case(market, order, type="refund_only", reason="damaged")["case_no"]
    act(market.merchant, refund_no, "agree")
    # Then no new case may be filed on it, whatever the type
    for type in ("exchange", "return_refund", "refund_only"):
        response = market.consumer.post(
            "/cases", {"order_sn": order.order_sn, "type": type, "reason": "damaged"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "order_already_refunded"
    assert order.cases.count() == 1
    assert balance(market.shop) == OPENING_BALANCE_FEN - 20000


def _as_if_filed_before_claims(case_no: str) -> None:
    """Cases filed before claims were per item could share an item (the migration keeps the
    older one's claim open): reproduce that state."""
    CaseItem.objects.filter(case__case_no=case_no).update(is_open=False)


def test_common_a_case_whose_money_went_elsewhere_closes_with_its_reason(market, travel):
    # Given a return in transit and, from before claims were per item, a refund-only on the
    # same item, both for the whole 20000 fen
    order = market.order()
    return_no = case_in(market, "return_refund", "return_in_transit", order)["case_no"]
    _as_if_filed_before_claims(return_no)
    refund_no = open_case(market, order, type="refund_only", reason="damaged")["case_no"]
    # When the refund-only is agreed and the merchant then confirms the return
    act(market.merchant, refund_no, "agree")
    body = act(market.merchant, return_no, "confirm_return")
    # Then the return closes, saying why, with no second refund and no action left
    assert body["status"] == "closed"
    assert body["allowed_actions"] == []
    last = body["events"][-1]
    assert (last["action"], last["data"]["reason"]) == ("close_settled", "money_already_returned")
    assert ledger(return_no) == []
    assert balance(market.shop) == OPENING_BALANCE_FEN - 20000


def test_common_a_timer_whose_money_went_elsewhere_closes_the_case(market, travel):
    # Given a refund-only waiting for the merchant and, from before claims were per item, a
    # second one on the same item
    order = market.order()
    first = open_case(market, order, type="refund_only", reason="damaged")["case_no"]
    _as_if_filed_before_claims(first)
    second = open_case(market, order, type="refund_only", reason="damaged")["case_no"]
    act(market.merchant, second, "agree")
    # When the first one's merchant deadline passes
    travel.by(hours=49)
    result = sweep(now=clock.now())
    # Then the case closes with its reason instead of failing on every sweep
    assert (result.fired, result.failed) == (1, 0)
    case = Case.objects.get(case_no=first)
    assert (case.status, case.is_open) == ("closed", False)
    assert not Deadline.objects.filter(subject_id=case.id, status=DeadlineStatus.PENDING).exists()
    assert ledger(first) == []
    assert balance(market.shop) == OPENING_BALANCE_FEN - 20000


def test_common_a_later_case_defaults_to_what_is_left_of_the_order(market, travel):
    # Given 5000 of an order's 20000 fen refunded
    order = market.order()
    first = open_case(market, order, type="refund_only", reason="damaged", amount_fen=5000)
    act(market.merchant, first["case_no"], "agree")
    # When the consumer files a return on the same order without an amount
    second = open_case(market, order, type="return_refund")
    # Then it is for the 15000 fen left, and asking for more is refused
    assert second["amount_fen"] == 15000
    act(market.consumer, second["case_no"], "cancel")
    response = market.consumer.post(
        "/cases",
        {
            "order_sn": order.order_sn,
            "type": "return_refund",
            "reason": "quality",
            "amount_fen": 15001,
        },
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "amount_exceeds_order")


# --- eligibility common to all types ---------------------------------------------------------


@pytest.mark.parametrize("case_type", list(REASONS))
def test_common_unpaid_orders_are_not_eligible(market, travel, case_type):
    # Given an order that was never paid
    order = market.order(paid_at=None, shipped_at=None, received_at=None)
    # When the consumer files any after-sales request on it
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": case_type, "reason": REASONS[case_type]}
    )
    # Then it is refused naming the common rule
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["rule"]) == ("not_eligible", "type", "common")
    assert not order.cases.exists()


def test_common_only_consumers_file_cases_on_their_own_orders(market, travel):
    # Given an order of the consumer
    order = market.order()
    body = {"order_sn": order.order_sn, "type": "refund_only", "reason": "damaged"}
    # When another consumer files on it, then the order does not exist for them
    response = market.other_consumer.post("/cases", body)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    # When the merchant files, then it is forbidden
    assert market.merchant.post("/cases", body).status_code == 403
    assert not order.cases.exists()


# --- ⚙ defaults are policy settings ---------------------------------------------------------


def test_common_cfg_defaults_are_settings_of_the_policy(market, travel, settings):
    # Given a policy that gives merchants 24 hours, returns 3 days and quality returns 30 days
    settings.AFTERSALES_POLICY = {
        "merchant_response_hours": 24,
        "return_shipment_days": 3,
        "quality_return_days": 30,
    }
    # When the consumer files a quality return on an order received 20 days ago
    order = received_order(market, at(2026, 11, 11, 10))
    case = open_case(market, order, type="return_refund", reason="quality")
    # Then it is eligible and the merchant has 24 hours
    assert case["deadlines"] == [
        deadline(
            "merchant_response_deadline",
            at(2026, 12, 2, 20),
            "agree",
            "return_refund ⚙ merchant 48 h",
        )
    ]
    # And after agreeing the consumer has 3 days
    case = act(market.merchant, case["case_no"], "agree")
    assert case["deadlines"] == [
        deadline(
            "return_shipment_deadline",
            end_of_day(2026, 12, 4),
            "expire",
            "return_refund ⚙ return 7 days",
        )
    ]
    # But repair's 48 hours are a rule (2.2), not a setting: they stay 48 hours
    repair = open_case(market, type="repair", reason="faulty")
    assert repair["deadlines"] == [
        deadline("merchant_response_deadline", at(2026, 12, 3, 20), "agree", "2.2")
    ]


# --- action fields, events ------------------------------------------------------------------


def test_common_unknown_action_fields_are_a_bad_request(market, travel):
    # Given a return awaiting the consumer's parcel
    case_no = case_in(market, "return_refund", "awaiting_return")["case_no"]
    # When the consumer sends a field the action does not take
    status, error = refused(market.consumer, case_no, "ship_return", {**SHIP, "result": "meets"})
    # Then it is a 400 naming the field, and nothing changed
    assert (status, error["field"]) == (400, "result")
    assert view(market, case_no)["status"] == "awaiting_return"


def test_common_every_action_and_fired_timer_appends_one_event_to_the_hash_chain(market, travel):
    # Given a repair driven by people and by two timers
    case_no = open_case(market, type="repair", reason="faulty")["case_no"]
    fire_after(travel, at(2026, 12, 3, 20))  # 2.2: the system agrees
    act(market.consumer, case_no, "ship_return", SHIP)
    act(market.merchant, case_no, "confirm_receipt")
    fire_after(travel, end_of_day(2026, 12, 9))  # 2.3: deemed inspected
    case = act(market.merchant, case_no, "ship_repaired", SHIP)
    # Then there is one event per step, in order, by the right actor
    assert [(e["seq"], e["actor"], e["action"]) for e in case["events"]] == [
        (1, market.consumer.user.username, "create"),
        (2, "system", "agree"),
        (3, market.consumer.user.username, "ship_return"),
        (4, market.merchant.user.username, "confirm_receipt"),
        (5, "system", "inspect"),
        (6, market.merchant.user.username, "ship_repaired"),
    ]
    # And the timers' events name their rule and deadline
    assert [
        (e["data"]["rule"], e["data"]["deadline"]) for e in case["events"] if e["actor"] == "system"
    ] == [("2.2", "merchant_response_deadline"), ("2.3", "inspection_deadline")]
    # And the chain verifies, its head being the last event
    row = case_row(case_no)
    events = list(Event.objects.filter(subject_kind="case", subject_key=case_no).order_by("seq"))
    assert verify_chain("case", case_no, events, row.event_seq, row.event_head) is None
    assert (row.event_seq, row.event_head) == (6, case["events"][-1]["hash"])
    assert case["deadlines"] == [
        deadline("receipt_deadline", end_of_day(2026, 12, 16), "confirm_received", "2.3.1")
    ]
