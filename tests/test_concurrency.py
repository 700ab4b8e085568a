"""Races on PostgreSQL: sweepers sharing work, people racing each other and the sweeper,
idempotent retries racing, and a worker killed in the middle of a batch.

Each thread uses its own database connection (Django's connections are per thread) and
closes it when done; a `threading.Barrier` releases the racers together. These tests commit
for real (`transaction=True`) and run only on PostgreSQL (`.ci/run`); tests/conftest.py loads
the reference data again that the flush after each test removes.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection

from aftersales.cases.models import Case
from aftersales.cases.services import create_case, fire_deadline, perform_action
from aftersales.core.models import Event, IdempotencyRecord
from aftersales.deadlines import sweeper
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.ledger.models import EntryKind, LedgerEntry
from tests.conftest import ApiCaller
from tests.factories import T0

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

RACE_TIMEOUT = 30  # seconds a racer waits for the others before the race counts as broken
AMOUNT = 20_000  # the OrderFactory's order amount, in fen


def run_in_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Run each target in its own thread (own connection); return their results in order,
    re-raising the first exception a thread raised."""
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def runner(index: int, target: Callable[[], Any]) -> None:
        try:
            results[index] = target()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a racer hung"
    if errors:
        raise errors[0]
    return results


def resend_cases_awaiting_resend(market, count: int) -> list[Case]:
    """`count` resend cases the merchant agreed to at T0: each has one pending
    `resend_ship_deadline` (48 h → timeout_refund, a refund of the case amount)."""
    cases = []
    for _ in range(count):
        order = market.order()
        case = create_case(
            market.consumer.user,
            order_sn=order.order_sn,
            type="resend",
            reason="missing_item",
            now=T0,
        )
        perform_action(
            market.merchant.user, case_no=case.case_no, action="agree", fields_in={}, now=T0
        )
        cases.append(case)
    return cases


def assert_each_fired_exactly_once(cases: list[Case], now: dt.datetime) -> None:
    """Every case's resend deadline fired once at `now`: one system event, one refund."""
    ids = [c.id for c in cases]
    keys = [c.case_no for c in cases]
    deadlines = Deadline.objects.filter(
        subject_kind="case", subject_id__in=ids, name="resend_ship_deadline"
    )
    assert sorted(deadlines.values_list("subject_id", flat=True)) == sorted(ids)
    assert set(deadlines.values_list("status", "attempts", "fired_at")) == {
        (DeadlineStatus.FIRED, 1, now)
    }
    system_events = Counter(
        Event.objects.filter(subject_key__in=keys, actor="system").values_list(
            "subject_key", "action"
        )
    )
    assert system_events == Counter({(key, "timeout_refund"): 1 for key in keys})
    refunds = LedgerEntry.objects.filter(kind=EntryKind.REFUND, case_id__in=ids)
    assert Counter(
        refunds.filter(shop__isnull=False).values_list("case_id", "amount_fen")
    ) == Counter({(i, -AMOUNT): 1 for i in ids})
    assert Counter(
        refunds.filter(consumer__isnull=False).values_list("case_id", "amount_fen")
    ) == Counter({(i, AMOUNT): 1 for i in ids})
    assert set(
        Case.objects.filter(id__in=ids).values_list("status", "refunded_fen", "version", "is_open")
    ) == {("refunded", AMOUNT, 3, False)}
    assert not Deadline.objects.filter(subject_id__in=ids, status=DeadlineStatus.PENDING).exists()


def assert_nothing_left_to_fire(now: dt.datetime | None) -> None:
    result = sweep(now=now)
    assert (result.fired, result.failed, result.skipped_busy) == (0, 0, 0)


def assert_log_verifies() -> None:
    out = io.StringIO()
    call_command("verify_log", stdout=out)
    assert out.getvalue().strip() == f"ok {Event.objects.count()} events"


def assert_nothing_fired(cases: list[Case]) -> None:
    ids = [c.id for c in cases]
    assert set(
        Deadline.objects.filter(subject_id__in=ids, name="resend_ship_deadline").values_list(
            "status", "attempts", "fired_at"
        )
    ) == {(DeadlineStatus.PENDING, 0, None)}
    assert not Event.objects.filter(
        subject_key__in=[c.case_no for c in cases], actor="system"
    ).exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.REFUND, case_id__in=ids).exists()
    assert set(Case.objects.filter(id__in=ids).values_list("status", "version")) == {
        ("awaiting_resend", 2)
    }


# -- (a) two sweepers share the work ----------------------------------------------------------


def test_two_sweepers_fire_every_due_deadline_exactly_once(market, monkeypatch):
    # given 300 cases whose resend deadline ran out
    cases = resend_cases_awaiting_resend(market, 300)
    now = T0 + dt.timedelta(hours=49)
    # Each sweeper, holding its first batch, waits for the other to hold one too: that can
    # only happen if the second skips the rows the first has locked (SKIP LOCKED).
    both_hold_a_batch = threading.Barrier(2, timeout=RACE_TIMEOUT)
    holding = threading.local()

    def handler(deadline: Deadline, at: dt.datetime) -> bool:
        if not getattr(holding, "batch", False):
            holding.batch = True
            both_hold_a_batch.wait()
        return fire_deadline(deadline, at)

    monkeypatch.setitem(sweeper._handlers, "case", handler)

    # when two sweepers run at once, in batches of 25
    first, second = run_in_threads(
        lambda: sweep(now=now, batch_size=25), lambda: sweep(now=now, batch_size=25)
    )

    # then the 300 deadlines were split between them, each fired exactly once
    assert first.fired > 0 and second.fired > 0
    assert first.fired + second.fired == 300
    assert (first.failed, second.failed, first.skipped_busy, second.skipped_busy) == (0, 0, 0, 0)
    assert_each_fired_exactly_once(cases, now)
    assert_nothing_left_to_fire(now)
    assert_log_verifies()


# -- (b) people racing each other and the sweeper ---------------------------------------------


def test_eight_merchants_agreeing_at_once_refund_once(market, travel):
    # given a refund_only case awaiting the merchant
    order = market.order()
    created = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality"}
    )
    assert created.status_code == 201, created.json()
    case_no = created.json()["case_no"]
    start = threading.Barrier(8, timeout=RACE_TIMEOUT)

    def agree():
        caller = ApiCaller(user=market.merchant.user, token=market.merchant.token)
        start.wait()
        response = caller.act(case_no, "agree")
        return response.status_code, response.json()

    # when 8 requests of the merchant agree at the same moment
    answers = run_in_threads(*[agree] * 8)

    # then exactly one succeeds, the others are told the case has moved on
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * 7, answers
    winner = next(body for status, body in answers if status == 200)
    assert (winner["status"], winner["version"], winner["refunded_fen"]) == ("refunded", 2, AMOUNT)
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"wrong_status"}
    case = Case.objects.get(case_no=case_no)
    assert (case.status, case.version, case.refunded_fen, case.is_open) == (
        "refunded",
        2,
        AMOUNT,
        False,
    )
    assert list(
        Event.objects.filter(subject_key=case_no).order_by("seq").values_list("actor", "action")
    ) == [(market.consumer.user.username, "create"), (market.merchant.user.username, "agree")]
    assert sorted(
        LedgerEntry.objects.filter(kind=EntryKind.REFUND, case=case).values_list(
            "amount_fen", flat=True
        )
    ) == [-AMOUNT, AMOUNT]
    assert list(Deadline.objects.filter(subject_id=case.id).values_list("status", flat=True)) == [
        DeadlineStatus.CANCELLED
    ]
    assert_log_verifies()


@pytest.mark.parametrize("round_", range(6))
def test_merchant_agreeing_races_the_sweeper_firing_its_48_hour_deadline(market, travel, round_):
    # given a refund_only case whose 48-hour merchant deadline has just run out
    order = market.order()
    created = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality"}
    )
    assert created.status_code == 201, created.json()
    case_no = created.json()["case_no"]
    travel.by(hours=48, seconds=1)
    start = threading.Barrier(2, timeout=RACE_TIMEOUT)

    def merchant_agrees():
        caller = ApiCaller(user=market.merchant.user, token=market.merchant.token)
        start.wait()
        response = caller.act(case_no, "agree")
        return response.status_code, response.json()

    def sweeper_runs():
        start.wait()
        return sweep()

    # when the merchant agrees while the sweeper fires the deadline's default (agree)
    (status, body), result = run_in_threads(merchant_agrees, sweeper_runs)

    # then exactly one of them agreed and refunded; the other changed nothing
    assert result.failed == 0
    assert (status == 200) != (result.fired == 1), (status, body, result)
    case = Case.objects.get(case_no=case_no)
    assert (case.status, case.version, case.refunded_fen) == ("refunded", 2, AMOUNT)
    agreement = Event.objects.get(subject_key=case_no, seq=2)
    deadline = Deadline.objects.get(subject_id=case.id)
    if status == 200:
        assert body["status"] == "refunded"
        assert result.fired == 0
        assert agreement.actor == market.merchant.user.username
        assert deadline.status == DeadlineStatus.CANCELLED
    else:
        assert (status, body["error"]["code"]) == (409, "wrong_status")
        assert agreement.actor == "system"
        assert agreement.data["deadline"] == "merchant_response_deadline"
        assert deadline.status == DeadlineStatus.FIRED
    assert agreement.action == "agree"
    assert Event.objects.filter(subject_key=case_no).count() == 2
    assert sorted(
        LedgerEntry.objects.filter(kind=EntryKind.REFUND, case=case).values_list(
            "amount_fen", flat=True
        )
    ) == [-AMOUNT, AMOUNT]
    assert_nothing_left_to_fire(None)
    assert_log_verifies()


# -- (c) the same Idempotency-Key sent concurrently ---------------------------------------------


def test_concurrent_creates_with_one_idempotency_key_make_one_case(market, travel):
    # given one request body and one Idempotency-Key, sent by 6 retries at once
    order = market.order()
    body = {
        "order_sn": order.order_sn,
        "type": "return_refund",
        "reason": "quality",
        "description": "屏幕有划痕",
    }
    start = threading.Barrier(6, timeout=RACE_TIMEOUT)

    def create():
        caller = ApiCaller(user=market.consumer.user, token=market.consumer.token)
        start.wait()
        response = caller.post("/cases", body, headers={"Idempotency-Key": "retry-7f3a"})
        return response.status_code, response.json()

    answers = run_in_threads(*[create] * 6)

    # then one write runs: a retry gets its answer, or 409 while it is still in flight
    # (docs/api-robustness.md), and there is one case
    created = [b for status, b in answers if status == 201]
    in_flight = [b for status, b in answers if status == 409]
    assert created and len(created) + len(in_flight) == 6, answers
    assert len({repr(sorted(b.items())) for b in created}) == 1
    assert {b["error"]["code"] for b in in_flight} <= {"idempotency_in_progress"}
    case = Case.objects.get(order=order)
    assert created[0]["case_no"] == case.case_no
    assert (case.type, case.status, case.version, case.amount_fen) == (
        "return_refund",
        "awaiting_merchant",
        1,
        AMOUNT,
    )
    assert list(
        Event.objects.filter(subject_key=case.case_no).values_list("action", flat=True)
    ) == ["create"]
    assert Deadline.objects.filter(subject_id=case.id, status=DeadlineStatus.PENDING).count() == 1
    assert (
        IdempotencyRecord.objects.filter(user=market.consumer.user, key="retry-7f3a").count() == 1
    )
    assert_log_verifies()


def test_racing_requests_on_one_item_create_one_case(market, travel):
    # given one order item and five requests of different types on it, sent at once
    order = market.order()
    types = ["refund_only", "return_refund", "exchange", "repair", "refund_only"]
    start = threading.Barrier(len(types), timeout=RACE_TIMEOUT)

    def request(case_type: str) -> Callable[[], tuple[int, str]]:
        def send() -> tuple[int, str]:
            caller = ApiCaller(user=market.consumer.user, token=market.consumer.token)
            start.wait()
            response = caller.post(
                "/cases", {"order_sn": order.order_sn, "type": case_type, "reason": "damaged"}
            )
            body = response.json()
            return response.status_code, body.get("case_no") or body["error"]["code"]

        return send

    answers = run_in_threads(*[request(t) for t in types])

    # then exactly one is created and every other is told which case holds the item
    assert sorted(status for status, _ in answers) == [201, 409, 409, 409, 409], answers
    assert {code for status, code in answers if status == 409} == {"duplicate_case"}
    case = Case.objects.get(order=order)
    assert case.claims.filter(is_open=True).count() == 1
    assert_log_verifies()


# -- (d) a worker killed in the middle of a batch -----------------------------------------------


def test_a_batch_aborted_by_a_database_error_commits_nothing(market, monkeypatch):
    # given 30 due deadlines, and a sweeper whose connection fails after firing 10 of them
    cases = resend_cases_awaiting_resend(market, 30)
    now = T0 + dt.timedelta(hours=49)
    fired_before_failure = []

    def failing_handler(deadline: Deadline, at: dt.datetime) -> bool:
        if len(fired_before_failure) == 10:
            raise OperationalError("server closed the connection unexpectedly")
        fired_before_failure.append(fire_deadline(deadline, at))
        return True

    monkeypatch.setitem(sweeper._handlers, "case", failing_handler)

    # when the sweep runs in its worker thread
    with pytest.raises(OperationalError):
        run_in_threads(lambda: sweep(now=now, batch_size=200))

    # then none of the 10 fired in the aborted batch committed
    assert fired_before_failure == [True] * 10
    assert_nothing_fired(cases)

    # and the next sweep fires all 30 exactly once
    monkeypatch.setitem(sweeper._handlers, "case", fire_deadline)
    (result,) = run_in_threads(lambda: sweep(now=now))
    assert (result.fired, result.failed, result.skipped_busy) == (30, 0, 0)
    assert_each_fired_exactly_once(cases, now)
    assert_log_verifies()


def test_a_worker_whose_connection_is_terminated_mid_batch_commits_nothing(market, monkeypatch):
    # given 30 due deadlines and a sweeper that pauses after firing 10 of them
    cases = resend_cases_awaiting_resend(market, 30)
    now = T0 + dt.timedelta(hours=49)
    paused, resume = threading.Event(), threading.Event()
    backend: dict[str, int] = {}
    fired = []

    def pausing_handler(deadline: Deadline, at: dt.datetime) -> bool:
        if len(fired) == 10 and not paused.is_set():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend["pid"] = cursor.fetchone()[0]
            paused.set()
            assert resume.wait(RACE_TIMEOUT), "never resumed"
        outcome = fire_deadline(deadline, at)
        fired.append(outcome)
        return outcome

    monkeypatch.setitem(sweeper._handlers, "case", pausing_handler)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            sweep(now=now, batch_size=200)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    # when the worker's backend is terminated (as if the process was killed) mid-batch
    thread = threading.Thread(target=worker)
    thread.start()
    assert paused.wait(RACE_TIMEOUT), "the worker never fired 10 deadlines"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend["pid"]])
        assert cursor.fetchone() == (True,)
    resume.set()
    thread.join(timeout=120)
    assert not thread.is_alive()

    # then the worker died with a database error and nothing of its batch committed
    assert len(failures) == 1 and isinstance(failures[0], DatabaseError), failures
    assert fired == [True] * 10
    assert_nothing_fired(cases)

    # and the next sweep (another worker) fires all 30 exactly once
    monkeypatch.setitem(sweeper._handlers, "case", fire_deadline)
    (result,) = run_in_threads(lambda: sweep(now=now))
    assert (result.fired, result.failed, result.skipped_busy) == (30, 0, 0)
    assert_each_fired_exactly_once(cases, now)
    assert_log_verifies()
