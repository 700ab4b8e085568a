"""Property tests: random histories keep the case invariants.

A hypothesis state machine files cases of all five types, lets random parties (the consumer,
the merchant, the agent, and outsiders: another merchant and another consumer) take allowed
and disallowed actions with valid and invalid fields, through the API or the services, and
moves the clock by hours to weeks before running the sweeper. After every step the
invariants of spec/workflows.md "Common to every type" must hold; after every refused action
nothing at all may have changed (no event on error). Each example runs in its own savepoint,
rolled back at the end, under its own frozen clock starting at T0.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.core.management import call_command
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from aftersales.cases.engine import allowed_actions
from aftersales.cases.models import QUALITY_REASONS, Case, Reason
from aftersales.cases.services import create_case, perform_action
from aftersales.cases.workflows import CASE_TYPES, workflow_for
from aftersales.cases.workflows.base import ACTION_FIELDS, PLATFORM_REVIEW, TERMINAL, Transition
from aftersales.core import clock
from aftersales.core.errors import DomainError
from aftersales.core.eventlog import verify_chain
from aftersales.core.models import Event
from aftersales.core.periods import end_of_local_day, local_date
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.ledger.models import Coupon, EntryKind, LedgerEntry
from aftersales.orders.models import Order
from tests.conftest import ApiCaller, make_caller
from tests.factories import SHANGHAI, T0, CarrierFactory, OrderFactory, ShopFactory

PARTIES = ("consumer", "merchant", "agent", "other_merchant", "other_consumer")
# The workflow party each caller plays in the shop's cases; outsiders see nothing (404).
WORKFLOW_PARTY = {"consumer": "consumer", "merchant": "merchant", "agent": "agent"}
SHIP_ACTIONS = ("ship_repaired", "ship_back", "ship_replacement", "ship_resend")
OPTIONAL_REASON = (
    "report_problem",
    "report_breach",
    "report_not_received",
    "cancel",
)
SELECTORS = ("result", "outcome")  # fields that choose the transition (engine `when`)
# Every field the action endpoint's schema knows, with a value of the right JSON type.
SCHEMA_FIELDS: dict[str, Any] = {
    "return_address": "北京市朝阳区建国路88号 售后仓",
    "reason": "商家一直不处理",
    "evidence": ["att-1"],
    "carrier": "sf",
    "tracking_no": "SF1234567890",
    "return_shipping_fen": 800,
    "result": "meets",
    "report": "主板进水，不在保修范围",
    "terms": "商家补偿后消费者自行维修",
    "amount_fen": 100,
    "description": "补充了照片",
    "remaining_hours": 30,
    "outcome": "refund",
    "note": "依据2.7裁定",
    "return_goods": True,
}
WRONG_TYPE: dict[str, Any] = {
    "return_address": 12345,
    "reason": 12345,
    "evidence": "att-1",
    "carrier": 7,
    "tracking_no": ["SF1"],
    "return_shipping_fen": "many",
    "report": 5,
    "terms": 5,
    "amount_fen": "lots",
    "description": 9,
    "remaining_hours": "soon",
    "note": 3,
    "return_goods": "yes",
}
# Refusals a valid request may still meet, decided by the state of other cases or timers.
CIRCUMSTANTIAL = {
    "order_already_refunded",
    "deadline_not_shorter",
    "no_deadline",
    "offer_same_as_request",
}
ERROR_STATUSES = {400, 403, 404, 409, 422}
COMPENSATION_FEN = 5000  # rule 2.6: min(30% of 20000 fen, 5000 fen)


@dataclass
class Attempt:
    """An action request and what the contract says about it."""

    fields: dict[str, Any]
    defect: str | None = None  # None: the fields are valid for the action
    code_if_legal: int = 200  # the status when the transition itself is allowed
    schema_ok: bool = True  # False: the API's body schema already refuses it (400)


@dataclass
class World:
    callers: dict[str, ApiCaller]
    orders: list[Order]
    idempotency_keys: int = 0
    cases: list[str] = field(default_factory=list)


def build_world() -> World:
    shop, other_shop = ShopFactory(), ShopFactory()
    CarrierFactory()
    # Histories travel months ahead: the callers' tokens must outlive them (90 days by default).
    with override_settings(AFTERSALES_TOKEN_LIFETIME_DAYS=3650):
        callers = {
            "consumer": make_caller("consumer"),
            "other_consumer": make_caller("consumer"),
            "merchant": make_caller("merchant", shop=shop),
            "other_merchant": make_caller("merchant", shop=other_shop),
            "agent": make_caller("agent"),
        }
    orders = [OrderFactory(shop=shop, consumer=callers["consumer"].user) for _ in CASE_TYPES]
    return World(callers=callers, orders=orders)


# -- the contract as an oracle ---------------------------------------------------------------

GUARDS = {
    "not_signed": lambda case: case.signed_at is None,
    "signed": lambda case: case.signed_at is not None,
    "return_not_shipped": lambda case: case.return_shipped_at is None,
    # one counter-offer per request, accepted into a refund or into a return first
    "no_offer_yet": lambda case: case.offers_made == 0,
    "offer_keeps_goods": lambda case: not case.offer_return_goods,
    "offer_returns_goods": lambda case: case.offer_return_goods,
}


def verdict(
    case: Case, party: str, action: str, fields: dict[str, Any]
) -> tuple[int, str] | Transition:
    """The transition the workflow table allows, or the refusal the contract names:
    400 unknown action, 403 wrong party, 409 wrong status or failed guard, 422 bad selector."""
    workflow = workflow_for(case.type)
    if action not in ACTION_FIELDS:
        return 400, "unknown_action"
    if party not in workflow.parties_for(action):
        return 403, "forbidden_party"
    here = workflow.transitions_for(action, case.status)
    if not here:
        return 409, "wrong_status"
    mine = [t for t in here if party in t.by]
    if not mine:
        return 403, "forbidden_party"
    matching = [t for t in mine if all(fields.get(k) == v for k, v in t.when.items())]
    if not matching:
        return 422, f"invalid_{next(iter(mine[0].when))}"
    for transition in matching:
        if transition.guard is None or GUARDS[transition.guard](case):
            return transition
    return 409, "guard_failed"


def outcomes_for(case_type: str) -> list[str]:
    return sorted(
        {t.when["outcome"] for t in workflow_for(case_type).transitions if t.action == "rule"}
    )


def valid_fields(draw: Any, action: str, case: Case) -> dict[str, Any]:
    tracking = draw(st.from_regex(r"[A-Z]{2}[0-9]{8,12}", fullmatch=True))
    if action == "agree":
        return draw(st.sampled_from([{}, {"return_address": SCHEMA_FIELDS["return_address"]}]))
    if action in ("refuse", "refuse_return"):
        return {"reason": "商品无质量问题", **draw(st.sampled_from([{}, {"evidence": ["a1"]}]))}
    if action == "ship_return":
        fees = [{}, {"return_shipping_fen": 0}]
        if case.reason != Reason.NO_REASON:  # CRPL art. 25: a no-reason return's is not paid
            fees.append({"return_shipping_fen": 1200})
        shipping = draw(st.sampled_from(fees))
        return {"carrier": "sf", "tracking_no": tracking, **shipping}
    if action in SHIP_ACTIONS:
        return {"carrier": "sf", "tracking_no": tracking}
    if action == "inspect":
        return draw(
            st.sampled_from(
                [{"result": "meets"}, {"result": "fails", "report": SCHEMA_FIELDS["report"]}]
            )
        )
    if action == "negotiate":
        amount = draw(st.one_of(st.none(), st.integers(1, case.amount_fen)))
        return {
            "terms": SCHEMA_FIELDS["terms"],
            **({} if amount is None else {"amount_fen": amount}),
        }
    if action in OPTIONAL_REASON:
        return draw(st.sampled_from([{}, {"reason": SCHEMA_FIELDS["reason"]}]))
    if action == "request_intervention":
        return {"reason": SCHEMA_FIELDS["reason"]}
    if action == "offer":  # less than asked (a return may also let the goods stay)
        # (a 1-fen request leaves nothing smaller: offer_same_as_request is circumstantial)
        amount = draw(st.integers(1, max(case.amount_fen - 1, 1)))
        fields = {"amount_fen": amount, "note": "退您七成可以吗"}
        if case.type == "return_refund":
            fields["return_goods"] = draw(st.booleans())
        return fields
    if action == "decline_offer":
        return draw(st.sampled_from([{}, {"reason": SCHEMA_FIELDS["reason"]}]))
    if action == "reapply":
        return draw(st.sampled_from([{}, {"description": SCHEMA_FIELDS["description"]}]))
    if action == "shorten_deadline":
        return {"remaining_hours": draw(st.integers(24, 47))}
    if action == "intervene":
        return {"reason": "平台主动介入"}
    if action == "rule":
        outcome = draw(st.sampled_from(outcomes_for(case.type)))
        fields: dict[str, Any] = {"outcome": outcome, "note": "核实凭证后裁定"}
        if outcome == "partial_refund" or (
            outcome in ("refund", "refund_with_compensation") and draw(st.booleans())
        ):
            fields["amount_fen"] = draw(st.integers(1, case.amount_fen))
        if draw(st.booleans()):
            fields["note"] = SCHEMA_FIELDS["note"]
        goods_with_consumer = case.type == "return_refund" and case.return_shipped_at is None
        if goods_with_consumer and outcome in (
            "refund",
            "refund_with_compensation",
            "partial_refund",
        ):
            fields["return_goods"] = draw(st.booleans())  # the ruling says where the goods go
        return fields
    return {}


def defects(action: str, case: Case, fields: dict[str, Any]) -> list[Attempt]:
    """Invalid variants of valid `fields`, each with exactly one defect."""
    required, optional = ACTION_FIELDS.get(action, (frozenset(), frozenset()))
    allowed = required | optional
    variants = [Attempt({**fields, "colour": "red"}, "unknown field", 400, schema_ok=False)]
    foreign = sorted(set(SCHEMA_FIELDS) - allowed)
    if foreign:
        variants.append(
            Attempt(
                {**fields, foreign[0]: SCHEMA_FIELDS[foreign[0]]},
                f"field {foreign[0]} of another action",
                400,
            )
        )
    for name in sorted(required):
        variants.append(
            Attempt(
                {k: v for k, v in fields.items() if k != name},
                f"missing {name}",
                422 if name in SELECTORS else 400,
            )
        )
    for name in sorted(allowed - set(SELECTORS)):
        variants.append(
            Attempt(
                {**fields, name: WRONG_TYPE[name]},
                f"{name} of the wrong type",
                400,
                schema_ok=False,
            )
        )
    bad_values: dict[str, list[tuple[Any, int]]] = {
        "reason": [("x", 400)],
        "tracking_no": [("!!", 400)],
        "carrier": [("nope", 422)],
        "return_shipping_fen": [(-1, 400), (100_001, 400)],
        "result": [("maybe", 422)],
        "terms": [("x", 400)],
        "remaining_hours": [(5, 422), (23, 422)],
        "outcome": [("bogus", 422)],
        "return_address": [("abc", 400)],
        "evidence": [([f"a{i}" for i in range(10)], 400)],
        "description": [("长" * 2001, 400)],
        "note": [("长" * 2001, 400)],
        "report": [("x", 400)],
        "amount_fen": [(0, 400), (case.amount_fen + 1, 422)],
    }
    # The API's body schema bounds `evidence` to 9 ids itself (before the version check).
    schema_bounded = {"evidence"}
    for name in sorted(allowed):
        for value, code in bad_values.get(name, []):
            variants.append(
                Attempt(
                    {**fields, name: value},
                    f"{name}={value!r:.20}",
                    code,
                    schema_ok=name not in schema_bounded,
                )
            )
    if action == "inspect":
        variants.append(Attempt({"result": "fails"}, "a failed inspection without report", 422))
    if action == "rule":
        variants.append(
            Attempt(
                {"outcome": "partial_refund", "note": "核实凭证后裁定", "return_goods": False},
                "partial refund without amount",
                422,
            )
        )
        variants.append(
            Attempt(
                {"outcome": "reject", "note": "核实凭证后裁定", "amount_fen": 100},
                "an amount on a rejection",
                422,
            )
        )
    return variants


def eligible(order: Order, case_type: str, reason: str, now: dt.datetime) -> bool:
    """spec/workflows.md "Eligible" for a paid, shipped and received order of 手机."""
    if case_type == "return_refund":
        if reason == Reason.NO_REASON:
            window = 7
        elif reason in QUALITY_REASONS:
            window = 15
        else:
            return False
    else:
        window = {"refund_only": 15, "exchange": 15, "resend": 15, "repair": 365}[case_type]
    assert order.received_at is not None
    return now <= end_of_local_day(local_date(order.received_at) + dt.timedelta(days=window))


# -- snapshots -------------------------------------------------------------------------------


def case_state(case_no: str) -> dict[str, Any]:
    """Everything an action may change, to prove that a refused one changed nothing."""
    case = Case.objects.get(case_no=case_no)
    return {
        "case": model_to_dict(case),
        "events": list(Event.objects.filter(subject_key=case_no).values_list("hash", flat=True)),
        "deadlines": list(
            Deadline.objects.filter(subject_kind="case", subject_id=case.id)
            .order_by("id")
            .values_list("id", "status", "due_at", "attempts")
        ),
        "ledger": LedgerEntry.objects.count(),
        "coupons": Coupon.objects.count(),
        "orders": list(Order.objects.order_by("id").values_list("id", "shipment_intercepted_at")),
        "cases": Case.objects.count(),
    }


def world_state() -> dict[str, Any]:
    return {
        "cases": list(Case.objects.order_by("id").values_list("id", "version", "status")),
        "events": Event.objects.count(),
        "deadlines": Deadline.objects.count(),
        "ledger": LedgerEntry.objects.count(),
    }


# -- the machine -----------------------------------------------------------------------------


class CaseHistories(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._travel = time_machine.travel(T0, tick=False)
        self.clock = self._travel.start()
        self.world = build_world()

    def teardown(self) -> None:
        try:
            self._travel.stop()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # -- steps ---------------------------------------------------------------------------------

    @initialize()
    def one_case_of_each_type(self) -> None:
        consumer = self.world.callers["consumer"]
        for order, case_type in zip(self.world.orders, CASE_TYPES, strict=True):
            reason = "quality" if case_type == "return_refund" else "faulty"
            response = consumer.post(
                "/cases", {"order_sn": order.order_sn, "type": case_type, "reason": reason}
            )
            assert response.status_code == 201, response.json()
            self.check_new_case(response.json()["case_no"], order, case_type, 20_000)

    @rule(data=st.data())
    def someone_files_a_case(self, data: st.DataObject) -> None:
        now = clock.now()
        who = data.draw(
            st.sampled_from(
                ["consumer", "consumer", "consumer", "other_consumer", "merchant", "agent"]
            ),
            label="who",
        )
        order = data.draw(st.sampled_from(self.world.orders), label="order")
        case_type = data.draw(st.sampled_from(CASE_TYPES), label="type")
        reason = data.draw(
            st.sampled_from(["faulty", "quality", "no_reason", "other"]), label="reason"
        )
        refundable = order.amount_fen - sum(
            Case.objects.filter(order=order).values_list("refunded_fen", flat=True)
        )
        amount = data.draw(
            st.one_of(st.none(), st.integers(1, 20_000), st.just(0), st.just(refundable + 1)),
            label="amount_fen",
        )
        via_api = data.draw(st.booleans(), label="via_api")
        body: dict[str, Any] = {"order_sn": order.order_sn, "type": case_type, "reason": reason}
        if amount is not None:
            body["amount_fen"] = amount
        # One open request per order item (every order here has one item).
        open_case = Case.objects.filter(order=order, is_open=True).exists()
        before = world_state()

        caller = self.world.callers[who]
        if via_api:
            response = caller.post("/cases", body)
            status, payload = response.status_code, response.json()
        else:
            try:
                case = create_case(caller.user, **body)
                status, payload = 201, {"case_no": case.case_no}
            except DomainError as error:
                status, payload = error.status, {"error": error.as_dict()}

        # then: the contract's answer, in the order create_case checks
        schema_refuses = via_api and amount == 0
        if schema_refuses:
            expected: int | set[int] = 400
        elif who in ("merchant", "agent"):
            expected = 403
        elif who == "other_consumer":
            expected = 404
        elif open_case:
            expected = 409
        elif (
            not eligible(order, case_type, reason, now)
            or refundable <= 0
            or (amount is not None and amount > refundable)
        ):
            expected = 422
        elif amount == 0:
            expected = 400
        else:
            expected = 201
        assert status == expected, (status, payload, body)
        if status == 201:
            self.check_new_case(payload["case_no"], order, case_type, amount or refundable)
        else:
            assert set(payload["error"]) >= {"code", "message", "field"}, payload
            assert world_state() == before

    @rule(data=st.data(), steps=st.integers(1, 4))
    def parties_take_actions_offered_to_them(self, data: st.DataObject, steps: int) -> None:
        """A run of actions the API offers (mostly valid): drives cases deep into their
        workflows. The invariants are checked after each one."""
        for _ in range(steps):
            open_cases = list(Case.objects.filter(is_open=True).order_by("id"))
            if not open_cases:
                return
            case = data.draw(st.sampled_from(open_cases), label="case")
            # Cancelling, intervening and shortening end or stall the interesting histories:
            # offer them less often.
            choices = [
                (who, action)
                for who in ("consumer", "merchant", "agent")
                for action in allowed_actions(case, WORKFLOW_PARTY[who])
                for _ in range(1 if action in ("cancel", "intervene", "shorten_deadline") else 6)
            ]
            if not choices:
                return
            who, action = data.draw(st.sampled_from(choices), label="who and action")
            self.attempt(data, case, who, action, invalid_odds=6, stale_odds=8)
            self.the_invariants_hold()

    @rule(data=st.data())
    def someone_tries_anything(self, data: st.DataObject) -> None:
        case_no = data.draw(st.sampled_from(self.world.cases), label="case")
        case = Case.objects.get(case_no=case_no)
        who = data.draw(st.sampled_from(PARTIES), label="who")
        action = data.draw(st.sampled_from([*sorted(ACTION_FIELDS), "fly"]), label="action")
        self.attempt(data, case, who, action, invalid_odds=2, stale_odds=4)

    def attempt(
        self,
        data: st.DataObject,
        case: Case,
        who: str,
        action: str,
        *,
        invalid_odds: int,
        stale_odds: int,
    ) -> None:
        """`who` sends `action` with valid fields, or (one time in `invalid_odds`) with one
        defect, through the API (with If-Match stale one time in `stale_odds`) or the
        service; the outcome must be the contract's and a refusal must change nothing."""
        case_no = case.case_no
        party = WORKFLOW_PARTY.get(who, who.removeprefix("other_"))
        attempt = Attempt(valid_fields(data.draw, action, case))
        if data.draw(st.integers(1, invalid_odds), label="invalid") == 1:
            attempt = data.draw(
                st.sampled_from(defects(action, case, attempt.fields)), label="defect"
            )
        via_api = data.draw(st.booleans(), label="via_api")
        if_match = data.draw(
            st.sampled_from([None] * (stale_odds - 2) + ["current", "stale"]), label="if_match"
        )
        idempotency_key = via_api and data.draw(st.booleans(), label="idempotency_key")

        # when
        before = case_state(case_no)
        caller = self.world.callers[who]
        headers: dict[str, str] = {}
        if via_api and if_match is not None:
            headers["If-Match"] = str(case.version if if_match == "current" else case.version - 1)
        if idempotency_key:
            self.world.idempotency_keys += 1
            headers["Idempotency-Key"] = f"prop-{self.world.idempotency_keys}"
        stale = via_api and if_match == "stale"
        now = clock.now()
        if via_api:
            response = caller.act(case_no, action, attempt.fields, headers=headers)
            status, payload = response.status_code, response.json()
        else:
            try:
                perform_action(
                    caller.user, case_no=case_no, action=action, fields_in=attempt.fields
                )
                status, payload = 200, {}
            except DomainError as error:
                status, payload = error.status, {"error": error.as_dict()}

        # then: the status the contract names
        judged = verdict(case, party, action, attempt.fields)
        context = (who, action, attempt, case.status, status, payload)
        if via_api and not attempt.schema_ok:
            assert status == 400, context
        elif who.startswith("other_"):
            assert status == 404, context
        elif stale:
            assert (status, payload["error"]["code"]) == (409, "stale_version"), context
        elif isinstance(judged, tuple):
            assert (status, payload["error"]["code"]) == judged, context
        elif attempt.defect is not None:
            assert status == attempt.code_if_legal, context
        elif status != 200:
            assert payload["error"]["code"] in CIRCUMSTANTIAL, context

        if status == 200:
            assert isinstance(judged, Transition)
            self.check_success(case_no, before, judged, who, action, attempt.fields, now)
            if via_api:
                body = payload
                fresh = Case.objects.get(case_no=case_no)
                assert (
                    body["status"],
                    body["version"],
                    body["pdd_status"],
                    body["refunded_fen"],
                ) == (fresh.status, fresh.version, fresh.pdd_status, fresh.refunded_fen)
                assert body["allowed_actions"] == allowed_actions(fresh, party)
        else:
            assert status in ERROR_STATUSES, context
            assert set(payload["error"]) >= {"code", "message", "field"}, payload
            assert case_state(case_no) == before, context

        if idempotency_key:
            # The same key and body again: the first answer, and nothing changes.
            after = case_state(case_no)
            replay = caller.act(case_no, action, attempt.fields, headers=headers)
            assert (replay.status_code, replay.json()) == (status, payload), context
            assert case_state(case_no) == after

    @rule(
        hours=st.sampled_from(
            [1, 6, 23, 25, 47, 49, 72, 24 * 4, 24 * 7 + 1, 24 * 8, 24 * 15, 24 * 21]
        )
    )
    def time_passes_and_the_sweeper_runs(self, hours: int) -> None:
        # The extra second keeps the clock off the exact instant a deadline falls due.
        self.clock.shift(dt.timedelta(hours=hours, seconds=1))
        now = clock.now()
        attempts_before = dict(Deadline.objects.values_list("id", "attempts"))
        due_before = set(
            Deadline.objects.filter(status=DeadlineStatus.PENDING, due_at__lt=now).values_list(
                "id", flat=True
            )
        )
        events_before = Event.objects.count()

        result = sweep()

        # then: everything due is done, including deadlines that fell due during the pass
        # (a timer scheduled by a fired one may already have run out, e.g. rule 2.3.1's 20
        # days counted from the return upload when the inspection deadline fires late)
        assert not Deadline.objects.filter(status=DeadlineStatus.PENDING, due_at__lt=now).exists()
        fired = list(Deadline.objects.filter(status=DeadlineStatus.FIRED, fired_at=now))
        failed = [
            d
            for d in Deadline.objects.exclude(status=DeadlineStatus.FIRED)
            if d.attempts > attempts_before.get(d.id, 0)
        ]
        assert (result.fired, result.failed, result.skipped_busy) == (len(fired), len(failed), 0)
        assert due_before <= {d.id for d in fired} | {d.id for d in failed}
        # One event per fired deadline, by the system, carrying the deadline's name, the
        # timer's own rule and its due time in Shanghai time (+08:00).
        assert Event.objects.count() == events_before + len(fired)
        for deadline in fired:
            case = Case.objects.get(id=deadline.subject_id)
            event = Event.objects.get(
                subject_key=case.case_no, actor="system", data__deadline=deadline.name, at=now
            )
            assert (event.action, event.data["from"], event.data["rule"], event.data["due_at"]) == (
                deadline.action,
                deadline.in_status,
                deadline.rule,
                deadline.due_at.astimezone(SHANGHAI).isoformat(),
            )
            assert event.data["due_at"].endswith("+08:00")
            assert deadline.attempts == attempts_before.get(deadline.id, 0) + 1
        for deadline in failed:
            # Only a default the rules refuse may fail: a refund of an order that another
            # case has refunded already. It is retried later and the case is untouched.
            case = Case.objects.select_related("order").get(id=deadline.subject_id)
            assert deadline.status in (DeadlineStatus.PENDING, DeadlineStatus.FAILED)
            assert case.status == deadline.in_status
            transition = verdict(case, "system", deadline.action, deadline.params)
            assert isinstance(transition, Transition) and "refund" in transition.effects
            refunded_elsewhere = sum(
                Case.objects.filter(order_id=case.order_id)
                .exclude(id=case.id)
                .values_list("refunded_fen", flat=True)
            )
            assert refunded_elsewhere + case.amount_fen > case.order.amount_fen, deadline.last_error

    # -- checks --------------------------------------------------------------------------------

    def check_new_case(self, case_no: str, order: Order, case_type: str, amount: int) -> None:
        case = Case.objects.get(case_no=case_no)
        assert (
            case.order_id,
            case.type,
            case.status,
            case.version,
            case.amount_fen,
            case.refunded_fen,
            case.is_open,
        ) == (order.id, case_type, "awaiting_merchant", 1, amount, 0, True)
        pending = Deadline.objects.get(subject_id=case.id, status=DeadlineStatus.PENDING)
        assert (pending.name, pending.due_at) == (
            "merchant_response_deadline",
            clock.now() + dt.timedelta(hours=48),
        )
        assert list(Event.objects.filter(subject_key=case_no).values_list("action", flat=True)) == [
            "create"
        ]
        self.world.cases.append(case_no)

    def check_success(
        self,
        case_no: str,
        before: dict[str, Any],
        transition: Transition,
        who: str,
        action: str,
        fields: dict[str, Any],
        now: dt.datetime,
    ) -> None:
        case = Case.objects.get(case_no=case_no)
        source = before["case"]["status"]
        assert case.status == (transition.target or source)
        assert case.version == before["case"]["version"] + 1
        event = Event.objects.get(subject_key=case_no, seq=case.event_seq)
        assert len(before["events"]) + 1 == case.event_seq
        assert (event.actor, event.action, event.at) == (
            self.world.callers[who].user.username,
            action,
            now,
        )
        assert (event.data["from"], event.data["to"]) == (source, case.status)
        if case.status == "refunded":
            # a ruling or an accepted offer may have fixed the amount earlier
            held = before["case"]["ruled_amount_fen"]
            if action == "accept_offer":
                held = before["case"]["offer_amount_fen"]
            refunded = fields.get("amount_fen", held or before["case"]["amount_fen"])
            assert case.refunded_fen == refunded
            assert event.data["refund_fen"] == refunded
        if "compensate" in transition.effects:
            coupon = Coupon.objects.get(case=case)
            assert coupon.amount_fen == COMPENSATION_FEN
            assert event.data["compensation_fen"] == COMPENSATION_FEN
        if action == "shorten_deadline":
            pending = Deadline.objects.get(subject_id=case.id, status=DeadlineStatus.PENDING)
            assert pending.due_at == now + dt.timedelta(hours=fields["remaining_hours"])
        if transition.target is not None:
            names = {t.name for t in workflow_for(case.type).timers_in(case.status)}
            pending_names = set(
                Deadline.objects.filter(
                    subject_id=case.id, status=DeadlineStatus.PENDING
                ).values_list("name", flat=True)
            )
            assert pending_names == names
            assert case.status_entered_at == now

    @invariant()
    def the_invariants_hold(self) -> None:
        cases = list(Case.objects.select_related("order").order_by("id"))
        if not cases:
            return
        by_key = {c.case_no: c for c in cases}
        events: dict[str, list[Event]] = defaultdict(list)
        for event in Event.objects.filter(subject_kind="case").order_by("subject_key", "seq"):
            events[event.subject_key].append(event)
        pending: dict[int, list[Deadline]] = defaultdict(list)
        fired: dict[int, int] = defaultdict(int)
        for deadline in Deadline.objects.filter(subject_kind="case"):
            if deadline.status == DeadlineStatus.PENDING:
                pending[deadline.subject_id].append(deadline)
            elif deadline.status == DeadlineStatus.FIRED:
                fired[deadline.subject_id] += 1
        refunds: dict[int, list[LedgerEntry]] = defaultdict(list)
        for entry in LedgerEntry.objects.filter(kind=EntryKind.REFUND):
            refunds[entry.case_id].append(entry)
        assert set(events) == set(by_key), "every chain has its case and every case its chain"

        refunded_per_order: dict[int, int] = defaultdict(int)
        for case in cases:
            workflow = workflow_for(case.type)
            chain = events[case.case_no]
            assert case.status in workflow.statuses
            assert case.amount_fen > 0
            assert 0 <= case.refunded_fen <= case.amount_fen
            assert case.is_open == (case.status not in TERMINAL)
            # its claims are open exactly while it is, and carry its money
            claims = list(case.claims.all())
            assert claims and all(c.is_open == case.is_open for c in claims)
            assert sum(c.amount_fen for c in claims) == case.amount_fen
            assert sum(c.refunded_fen for c in claims) == case.refunded_fen
            assert (case.closed_at is None) == case.is_open
            # The PDD code is the status's own, or the override of the transition that led here.
            assert chain[-1].data["to"] == case.status
            last_move = next(
                e for e in reversed(chain) if e.action == "create" or e.data["from"] != e.data["to"]
            )
            if last_move.action == "create":
                codes = {workflow.statuses["awaiting_merchant"]}
            else:
                codes = {
                    t.pdd or workflow.statuses[case.status]
                    for t in workflow.transitions
                    if (t.action, t.source, t.target)
                    == (last_move.action, last_move.data["from"], case.status)
                }
            assert case.pdd_status in codes, (case.type, case.status, case.pdd_status, codes)
            # Timers: only the current status's, none while terminal or in platform review.
            mine = pending[case.id]
            if case.status in TERMINAL or case.status == PLATFORM_REVIEW:
                assert mine == []
            timer_names = {t.name for t in workflow.timers_in(case.status)}
            for deadline in mine:
                assert deadline.in_status == case.status
                assert deadline.name in timer_names
            assert len(mine) <= len(timer_names)
            # One event per change; every fired timer wrote exactly one (system) event.
            assert case.version == case.event_seq == len(chain)
            assert (
                verify_chain("case", case.case_no, chain, case.event_seq, case.event_head) is None
            )
            assert fired[case.id] == sum(1 for e in chain if e.actor == "system")
            # Money: a refund is two entries (shop and consumer) that cancel out, at most once.
            entries = refunds[case.id]
            shop_side = [e for e in entries if e.shop_id is not None]
            consumer_side = [e for e in entries if e.consumer_id is not None]
            assert len(shop_side) <= 1 and len(consumer_side) <= 1
            assert sum(e.amount_fen for e in entries) == 0
            assert sum(e.amount_fen for e in consumer_side) == case.refunded_fen
            assert (case.refunded_fen > 0) == (case.status == "refunded")
            refunded_per_order[case.order_id] += case.refunded_fen
        for case in cases:
            assert refunded_per_order[case.order_id] <= case.order.amount_fen

        out = io.StringIO()
        call_command("verify_log", stdout=out)
        assert out.getvalue().strip() == f"ok {Event.objects.count()} events"


def test_random_histories_keep_the_invariants(db) -> None:
    run_state_machine_as_test(
        CaseHistories,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
