"""Fault test: real `aftersales worker` processes killed with SIGKILL at random moments of a
sweep lose no deadline and fire none twice (issue 9). The full size, 100 kills over 10,000
deadlines, is bench/bench_kill_worker.py; this is the same harness, bounded: each kill costs a
worker start (Django's imports, seconds on a busy machine), so the suite kills 4 times over 100
deadlines (about 75 s with 6 kills at load 5 on 2 cores).

The workers are subprocesses on the test's own PostgreSQL database, so the test commits for
real (`transaction=True`) for them to see the rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from bench.bench_kill_worker import kill_workers_during_sweep
from django.db import connection
from django.db.models import F

from aftersales.cases.models import Case
from aftersales.cases.services import create_case
from aftersales.core import clock
from aftersales.core.models import Event
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.ledger.models import EntryKind, LedgerEntry
from tests.factories import T0

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DEADLINES = 100
KILLS = 4
AMOUNT = 20_000  # the OrderFactory's order amount, in fen


def test_kill_9_of_workers_mid_sweep_loses_nothing_and_doubles_nothing(market):
    # given DEADLINES refund-only cases whose merchant response deadline fell due a day ago
    cases = [
        create_case(
            market.consumer.user,
            order_sn=market.order().order_sn,
            type="refund_only",
            reason="quality",
            now=T0,
        )
        for _ in range(DEADLINES)
    ]
    ids = [case.id for case in cases]
    # In the real clock's past, whatever today is: the workers are real processes.
    shift = Deadline.objects.order_by("-due_at").values_list("due_at", flat=True)[0] - (
        clock.now() - dt.timedelta(days=1)
    )
    Deadline.objects.filter(subject_id__in=ids).update(due_at=F("due_at") - shift)
    due = Deadline.objects.filter(status=DeadlineStatus.PENDING, due_at__lt=clock.now())
    assert due.count() == DEADLINES

    # when two workers sweep them and one is killed -9 at a random moment, KILLS times
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    report = kill_workers_during_sweep(
        database_url=url,
        due_count=lambda: due.count(),
        kills=KILLS,
        workers=2,
        timeout_seconds=150,  # generous: 2 shared cores; about 30 s when idle
    )

    # then every kill happened while deadlines were due, most inside a batch's transaction
    assert (report.kills, report.left_due, report.errors) == (KILLS, 0, []), report
    assert report.kills_in_transaction >= KILLS // 2, report
    # and each deadline fired exactly once: one system `agree`, one refund each way
    deadlines = Deadline.objects.filter(subject_id__in=ids, name="merchant_response_deadline")
    assert Counter(deadlines.values_list("status", "attempts")) == Counter(
        {(DeadlineStatus.FIRED, 1): DEADLINES}
    )
    keys = [case.case_no for case in cases]
    system_events = Counter(
        Event.objects.filter(subject_key__in=keys, actor="system").values_list(
            "subject_key", "action"
        )
    )
    assert system_events == Counter({(key, "agree"): 1 for key in keys})
    refunds = LedgerEntry.objects.filter(kind=EntryKind.REFUND, case_id__in=ids)
    assert Counter(
        refunds.filter(consumer__isnull=False).values_list("case_id", "amount_fen")
    ) == Counter({(i, AMOUNT): 1 for i in ids})
    assert refunds.filter(shop__isnull=False).count() == DEADLINES
    assert set(Case.objects.filter(id__in=ids).values_list("status", "refunded_fen")) == {
        ("refunded", AMOUNT)
    }
    # and a sweep afterwards finds nothing left
    result = sweep()
    assert (result.fired, result.failed, result.skipped_busy) == (0, 0, 0)
