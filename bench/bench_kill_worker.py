"""Fault test: `kill -9` of a worker at random moments of a sweep over due deadlines.

    .venv/bin/python bench/bench_kill_worker.py [--count 10000] [--kills 100] [--workers 2]

Seeds `count` cases whose 48 h merchant response deadline fell due a day ago (bench_sweep's
bulk seeding), starts `workers` real `aftersales worker` processes against a throw-away
PostgreSQL database, and `kills` times picks one of those that are sweeping (a busy database
session), waits a random 0-250 ms and kills it with SIGKILL, then starts a new one. When
nothing is due any more the database must show every deadline fired exactly once: lost 0,
doubled 0.

tests/test_kill_worker.py runs the same harness, smaller, in the suite.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
SWEEPING_STATES = ("active", "idle in transaction")
# Small batches and short naps: a worker spends most of its time inside a transaction.
WORKER_ARGS = ("worker", "--interval", "0.05", "--batch-size", "10")


@dataclass
class KillReport:
    kills: int = 0
    kills_in_transaction: int = 0  # the victim's backend had a transaction open when it died
    starts: int = 0
    seconds: float = 0.0
    left_due: int = -1
    errors: list[str] = field(default_factory=list)


def _backend_state(conninfo: str, application_name: str) -> tuple[str | None, bool]:
    """(state, in a transaction) of the worker's PostgreSQL session, named by its
    application_name; (None, False) while it has not connected."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT state, xact_start IS NOT NULL FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database() LIMIT 1",
            (application_name,),
        ).fetchone()
    return (row[0], bool(row[1])) if row else (None, False)


def _start_worker(
    database_url: str, name: str, env: dict[str, str], log_dir: Path
) -> subprocess.Popen:
    child_env = {
        **env,
        "DATABASE_URL": f"{database_url}?application_name={name}",
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "aftersales.cli", *WORKER_ARGS],
        env=child_env,
        cwd=REPO,
        # A file, not a pipe: a pipe nobody reads fills up and blocks the worker mid-batch.
        stdout=subprocess.DEVNULL,
        stderr=(log_dir / f"{name}.log").open("w"),
    )


def kill_workers_during_sweep(
    *,
    database_url: str,
    due_count: Callable[[], int],
    kills: int,
    workers: int = 2,
    seed: int = 9,
    timeout_seconds: float = 600,
    env: dict[str, str] | None = None,
) -> KillReport:
    """Run `workers` workers until nothing is due, SIGKILLing one `kills` times meanwhile."""
    rng = random.Random(seed)
    report = KillReport()
    env = dict(os.environ if env is None else env)
    started_at = time.monotonic()
    give_up_at = started_at + timeout_seconds
    running: dict[str, subprocess.Popen] = {}
    serial = 0
    log_dir = Path(tempfile.mkdtemp(prefix="killworker-"))

    def start() -> None:
        nonlocal serial
        serial += 1
        name = f"killtest-w{serial}"
        running[name] = _start_worker(database_url, name, env, log_dir)
        report.starts += 1

    try:
        for _ in range(workers):
            start()
        while report.kills < kills and due_count() > 0 and time.monotonic() < give_up_at:
            for name, process in running.items():
                if process.poll() is not None:
                    log_tail = (log_dir / f"{name}.log").read_text()[-500:]
                    report.errors.append(f"{name} exited by itself: {log_tail}")
                    raise RuntimeError(report.errors[-1])
            # The victim: a worker that is sweeping now (its session is busy), at a random
            # moment of it.
            sweeping = [
                name
                for name in sorted(running)
                if _backend_state(database_url, name)[0] in SWEEPING_STATES
            ]
            if not sweeping:
                time.sleep(0.02)
                continue
            name = rng.choice(sweeping)
            time.sleep(rng.uniform(0, 0.25))
            _, in_transaction = _backend_state(database_url, name)
            running[name].send_signal(signal.SIGKILL)
            running[name].wait(timeout=30)
            del running[name]
            report.kills += 1
            report.kills_in_transaction += in_transaction
            start()
        while due_count() > 0 and time.monotonic() < give_up_at:
            time.sleep(0.1)
    finally:
        for process in running.values():
            process.send_signal(signal.SIGTERM)
        for process in running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    report.seconds = time.monotonic() - started_at
    shutil.rmtree(log_dir, ignore_errors=True)
    report.left_due = due_count()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000, help="due deadlines (10000)")
    parser.add_argument("--kills", type=int, default=100, help="kill -9s (100)")
    parser.add_argument("--workers", type=int, default=2, help="workers at a time (2)")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_sweep import check, seed
    from common import (
        bench_env,
        close_django_connections,
        database_url,
        log,
        setup_django,
        sql,
        throwaway_database,
        vacuum_analyze,
    )

    with throwaway_database("killworker") as db:
        setup_django()
        seed(args.count)
        close_django_connections()
        vacuum_analyze(db)
        log(f"seeded {args.count} due deadlines; {args.workers} workers, {args.kills} kills")

        def due_count() -> int:
            return sql(
                db,
                "SELECT count(*) FROM deadlines_deadline WHERE status = 'pending' "
                "AND due_at < now()",
            )[0][0]

        report = kill_workers_during_sweep(
            database_url=database_url(db),
            due_count=due_count,
            kills=args.kills,
            workers=args.workers,
            seed=args.seed,
            env=bench_env(db),
        )
        facts = check(db, args.count)
    lost = (
        args.count
        - facts["cases_with_one_system_agree"]
        - facts["cases_with_several_system_agrees"]
    )
    doubled = facts["cases_with_several_system_agrees"] + facts["refunds_paid_twice"]
    print()
    print(
        f"kill -9 during the sweep: kills {report.kills} "
        f"({report.kills_in_transaction} inside an open transaction), deadlines {args.count}, "
        f"lost {lost}, doubled {doubled}, seconds {report.seconds:.1f} "
        f"({report.starts} worker starts; due left {report.left_due}) => "
        + ("OK" if facts["ok"] and report.kills == args.kills else "FAILED")
    )
    if not facts["ok"] or report.kills != args.kills:
        print(facts)
        sys.exit(1)


if __name__ == "__main__":
    main()
