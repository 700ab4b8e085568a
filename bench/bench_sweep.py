"""Deadline sweeper throughput: N cases waiting for the merchant whose 48 h response deadline
is already due, fired by 1 worker and then (on an identical copy) by 2 workers in parallel.

    .venv/bin/python bench/bench_sweep.py [--count 100000] [--batch-size 200]

Each worker process calls `aftersales.deadlines.sweeper.sweep()` (what `aftersales sweep`
runs) after Django has started, so the figure is deadlines fired per second of sweeping.
Afterwards the real `aftersales sweep` command must find nothing left ("fired 0"), and the
database must show every deadline fired exactly once: one `agree` event by `system` per case.
Target: >= 2,000 deadlines/s with 2 workers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time

from common import (
    AFTERSALES,
    REPO,
    CpuMeter,
    bench_env,
    bulk_orders,
    bulk_users,
    close_django_connections,
    create_database,
    drop_database,
    log,
    machine_note,
    print_cpu,
    setup_django,
    sql,
    throwaway_database,
    vacuum_analyze,
    verdict,
    write_json,
)

TARGET_PER_S = 2000
TYPES = ("refund_only", "return_refund")  # alternated: agree refunds, or asks for the return


def seed(count: int) -> dict[str, int]:
    """`count` cases in awaiting_merchant, filed about three days ago one second apart, so
    that each one's merchant_response_deadline (48 h) fell due about a day ago. A few go through
    services.create_case; the rest copy them row for row with bulk inserts, each with its own
    valid 'create' event as the head of its hash chain."""
    from aftersales.cases import services
    from aftersales.cases.models import Case
    from aftersales.cases.workflows import workflow_for
    from aftersales.catalog.services import create_shop
    from aftersales.core import clock, eventlog
    from aftersales.core.models import Event
    from aftersales.deadlines.models import Deadline
    from aftersales.orders.models import Order

    created_at = clock.now() - dt.timedelta(days=3)
    shop = create_shop(
        code="bench",
        name="压测店铺",
        balance_fen=10**12,
        return_address="上海市浦东新区世纪大道100号 售后部",
        now=created_at,
    )
    consumers = bulk_users("sweep_consumer", min(1000, count), role="consumer", now=created_at)
    t0 = time.perf_counter()
    orders = bulk_orders(
        shops=[shop], consumers=consumers, count=count, now=created_at, prefix="SWP"
    )
    log(f"  {count} orders with items in {time.perf_counter() - t0:.1f} s")

    # The models to copy: one case of each type made by the service itself.
    via_service = min(count, 20)
    templates: dict[str, Deadline] = {}
    create_data: dict[str, dict] = {}
    for i in range(via_service):
        order = orders[i]
        case = services.create_case(
            order.consumer,
            order_sn=order.order_sn,
            type=TYPES[i % 2],
            reason="quality",
            now=created_at,
        )
        templates[case.type] = Deadline.objects.get(subject_id=case.id, subject_kind="case")
        create_data[case.type] = Event.objects.get(
            subject_kind="case", subject_key=case.case_no, seq=1
        ).data
    t0 = time.perf_counter()
    rest = orders[via_service:]
    taken = set(Case.objects.values_list("case_no", flat=True))
    cases, events = [], []
    prefix = f"AS{created_at:%y%m%d}9"
    for i, order in enumerate(rest, start=via_service):
        case_type = TYPES[i % 2]
        case_no = f"{prefix}{i:09d}"
        assert case_no not in taken
        consumer = consumers[i % len(consumers)]
        assert order.consumer_id == consumer.id
        # Filed one second apart, as real requests are: an hours timer's due_at is as spread.
        filed = created_at - dt.timedelta(seconds=i)
        # The service's own 'create' event data, with this case's order in it.
        data = {
            **create_data[case_type],
            "amount_fen": order.amount_fen,
            "order_sn": order.order_sn,
        }
        digest = eventlog.compute_hash(
            eventlog.GENESIS,
            kind="case",
            key=case_no,
            seq=1,
            at=filed,
            actor=consumer.username,
            action="create",
            data=data,
        )
        cases.append(
            Case(
                case_no=case_no,
                order=order,
                shop=shop,
                consumer=consumer,
                type=case_type,
                status="awaiting_merchant",
                pdd_status=workflow_for(case_type).statuses["awaiting_merchant"],
                reason="quality",
                amount_fen=order.amount_fen,
                created_at=filed,
                updated_at=filed,
                status_entered_at=filed,
                event_seq=1,
                event_head=digest,
            )
        )
        events.append(
            Event(
                subject_kind="case",
                subject_key=case_no,
                seq=1,
                at=filed,
                actor=consumer.username,
                action="create",
                data=data,
                prev_hash=eventlog.GENESIS,
                hash=digest,
            )
        )
    Case.objects.bulk_create(cases, batch_size=2000)
    Event.objects.bulk_create(events, batch_size=2000)
    Deadline.objects.bulk_create(
        [
            Deadline(
                subject_kind="case",
                subject_id=case.id,
                name=t.name,
                in_status=t.in_status,
                due_at=t.due_at - (t.created_at - case.created_at),
                action=t.action,
                params=t.params,
                rule=t.rule,
                created_at=case.created_at,
            )
            for case in cases
            for t in (templates[case.type],)
        ],
        batch_size=2000,
    )
    log(
        f"  {len(cases)} more cases, events and deadlines bulk-inserted in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    assert Order.objects.count() == count
    return {"via_service": via_service, "bulk": len(cases)}


# --- the workers ------------------------------------------------------------------------------


def worker(batch_size: int) -> None:
    """Child process: start Django, say ready, wait for 'go' on stdin, sweep, report JSON."""
    setup_django()
    from django.db import connection

    from aftersales.deadlines import sweeper

    sweeper._load_handlers()
    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    cpu0 = os.times()
    t0 = time.time()
    result = sweeper.sweep(batch_size=batch_size)
    t1 = time.time()
    cpu1 = os.times()
    print(
        json.dumps(
            {
                "fired": result.fired,
                "skipped_busy": result.skipped_busy,
                "failed": result.failed,
                "start": t0,
                "end": t1,
                "cpu_s": cpu1.user + cpu1.system - cpu0.user - cpu0.system,
            }
        ),
        flush=True,
    )
    sys.stdin.readline()  # stay connected until the parent has read the CPU counters


def profile_worker(batch_size: int, batches: int) -> None:
    setup_django()
    from common import profile_calls

    from aftersales.core import clock
    from aftersales.deadlines import sweeper

    result = profile_calls(
        f"sweeper.sweep_batch(batch_size={batch_size})",
        lambda: sweeper.sweep_batch(now=clock.now(), batch_size=batch_size),
        batches,
    )
    print(
        f"    => {result['ms_per_call'] / batch_size:.2f} ms per deadline under the profiler, "
        f"{result['statements_per_call'] / batch_size:.1f} SQL statements and "
        f"{result['db_ms_per_call'] / batch_size:.2f} ms waiting on PostgreSQL per deadline"
    )
    print(json.dumps(result), flush=True)


def run_workers(db: str, processes: int, batch_size: int) -> dict:
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", "--batch-size", str(batch_size)],
            env=bench_env(db),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"worker did not start: {line!r}")
        meter = CpuMeter(db, [c.pid for c in children])
        meter.start()
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        reports = []
        for child in children:
            assert child.stdout is not None
            reports.append(json.loads(child.stdout.readline()))
        cpu = meter.stop()
        for child in children:
            child.communicate("bye\n", timeout=60)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    fired = sum(r["fired"] for r in reports)
    return {
        "processes": processes,
        "wall_s": wall,
        "fired": fired,
        "per_worker": reports,
        "deadlines_per_s": fired / wall,
        "cpu": cpu,
        "busy": sum(r["skipped_busy"] for r in reports),
        "failed": sum(r["failed"] for r in reports),
    }


def check(db: str, count: int) -> dict[str, int]:
    """Exactly-once, from the database."""
    one = sql(
        db,
        """
        SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1)
        FROM (SELECT subject_key, count(*) AS n FROM core_event
              WHERE action = 'agree' AND actor = 'system' GROUP BY subject_key) per_case""",
    )[0]
    facts = {
        "deadlines_fired": sql(
            db,
            "SELECT count(*) FROM deadlines_deadline "
            "WHERE name = 'merchant_response_deadline' "
            "AND status = 'fired'",
        )[0][0],
        "due_still_pending": sql(
            db,
            "SELECT count(*) FROM deadlines_deadline WHERE status = 'pending' AND due_at <= now()",
        )[0][0],
        "deadlines_failed": sql(
            db, "SELECT count(*) FROM deadlines_deadline WHERE status = 'failed' OR attempts > 1"
        )[0][0],
        "cases_with_one_system_agree": one[0],
        "cases_with_several_system_agrees": one[1],
        "cases_still_awaiting_merchant": sql(
            db, "SELECT count(*) FROM cases_case WHERE status = 'awaiting_merchant'"
        )[0][0],
        "refunds_paid_twice": sql(
            db,
            """
            SELECT count(*) FROM (SELECT case_id FROM ledger_ledgerentry
            WHERE kind = 'refund' AND shop_id IS NOT NULL GROUP BY case_id
            HAVING count(*) > 1) twice""",
        )[0][0],
    }
    facts["ok"] = int(
        facts["deadlines_fired"] == count
        and facts["due_still_pending"] == 0
        and facts["deadlines_failed"] == 0
        and facts["cases_with_one_system_agree"] == count
        and facts["cases_with_several_system_agrees"] == 0
        and facts["cases_still_awaiting_merchant"] == 0
        and facts["refunds_paid_twice"] == 0
    )
    return facts


def cli_sweep(db: str) -> str:
    """The real command on the swept database: there must be nothing left to fire."""
    out = subprocess.run(
        [AFTERSALES, "sweep"],
        env=bench_env(db),
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="due deadlines (100000)")
    parser.add_argument("--batch-size", type=int, default=200, help="sweep batch (200)")
    parser.add_argument(
        "--profile",
        type=int,
        default=3,
        metavar="BATCHES",
        help="afterwards, cProfile this many batches on a fresh copy (0: skip)",
    )
    parser.add_argument(
        "--verify-log",
        action="store_true",
        help="also run `aftersales verify-log` on the 2-worker copy",
    )
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.batch_size)
    if args.profile_worker:
        return profile_worker(args.batch_size, args.profile_worker)

    machine_note()
    with throwaway_database("sweep") as seed_db:
        setup_django()
        t0 = time.perf_counter()
        seeded = seed(args.count)
        log(
            f"seeded {args.count} due deadlines ({seeded['via_service']} through "
            f"services.create_case, {seeded['bulk']} bulk) in {time.perf_counter() - t0:.1f} s"
        )
        close_django_connections()
        vacuum_analyze(seed_db)
        runs, checks, last_lines = {}, {}, {}
        copies = []
        try:
            for processes in (1, 2):
                copy = f"{seed_db}_w{processes}"
                copies.append(copy)
                create_database(copy, template=seed_db)  # the reset: an identical copy
                log(f"sweeping {args.count} deadlines with {processes} worker process(es)")
                runs[processes] = run_workers(copy, processes, args.batch_size)
                checks[processes] = check(copy, args.count)
                last_lines[processes] = cli_sweep(copy)
                log(
                    f"  {runs[processes]['deadlines_per_s']:.0f} deadlines/s; then "
                    f"`aftersales sweep` says {last_lines[processes]!r}"
                )
            verify = None
            if args.verify_log:
                t0 = time.perf_counter()
                done = subprocess.run(
                    [AFTERSALES, "verify-log"],
                    env=bench_env(copies[-1]),
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                )
                verify = (done.returncode, (done.stdout + done.stderr).strip().splitlines()[-1])
                log(
                    f"verify-log on the 2-worker copy: exit {verify[0]}, {verify[1]!r} "
                    f"({time.perf_counter() - t0:.0f} s)"
                )
            profile = None
            if args.profile:
                copy = f"{seed_db}_profile"
                copies.append(copy)
                create_database(copy, template=seed_db)
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--profile-worker",
                        str(args.profile),
                        "--batch-size",
                        str(args.batch_size),
                    ],
                    env=bench_env(copy),
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                lines = done.stdout.rstrip().splitlines()
                profile = json.loads(lines[-1])
                profile_text = "\n".join(lines[:-1])
        finally:
            for copy in copies:
                drop_database(copy)

    print()
    print(
        f"Deadline sweeper: {args.count} due merchant_response_deadline timers "
        f"({' / '.join(TYPES)} alternating), batch {args.batch_size}, PostgreSQL"
    )
    for processes, run in runs.items():
        per = ", ".join(f"{r['fired']} in {r['end'] - r['start']:.1f} s" for r in run["per_worker"])
        print(
            f"  {processes} worker(s): {run['deadlines_per_s']:7.0f} deadlines/s  "
            f"({run['fired']} fired in {run['wall_s']:.1f} s; per worker: {per}; "
            f"busy {run['busy']}, failed {run['failed']})"
        )
        print_cpu(run["cpu"], per=run["fired"], unit="deadline", server="sweep workers")
        facts = checks[processes]
        print(
            f"    exactly once: {facts['deadlines_fired']} fired of {args.count}, "
            f"{facts['cases_with_one_system_agree']} cases with exactly one system 'agree' "
            f"event, {facts['cases_with_several_system_agrees']} with more, "
            f"{facts['due_still_pending']} due still pending, {facts['deadlines_failed']} "
            f"failed or retried, {facts['refunds_paid_twice']} refunds paid twice, "
            f"{facts['cases_still_awaiting_merchant']} cases still awaiting the merchant; "
            f"`aftersales sweep` afterwards: {last_lines[processes]!r} => "
            + ("OK" if facts["ok"] and run["fired"] == args.count else "FAILED")
        )
    if verify:
        print(f"  aftersales verify-log on the 2-worker copy: exit {verify[0]}, {verify[1]}")
    two = runs[2]["deadlines_per_s"]
    met = two >= TARGET_PER_S
    print(f"  target >= {TARGET_PER_S} deadlines/s with 2 workers: {two:.0f} {verdict(met)}")
    if profile:
        print(profile_text)
    exactly_once = all(c["ok"] for c in checks.values()) and all(
        r["fired"] == args.count for r in runs.values()
    )
    write_json(
        args.json,
        {
            "bench": "sweep",
            "count": args.count,
            "batch_size": args.batch_size,
            "runs": {
                str(k): {key: v for key, v in r.items() if key != "per_worker"}
                for k, r in runs.items()
            },
            "checks": {str(k): v for k, v in checks.items()},
            "exactly_once": exactly_once,
            "after_cli_sweep": last_lines,
            "verify_log": verify,
            "profile": profile,
            "target_per_s": TARGET_PER_S,
            "met": met,
        },
    )
    if not exactly_once:
        sys.exit(1)


if __name__ == "__main__":
    main()
