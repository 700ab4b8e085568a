"""A slow partner beside the deadlines: lateness of deadlines and SIGTERM time of a real
`aftersales worker` while every webhook receiver takes 7 s to answer.

    .venv/bin/python bench/bench_webhooks.py [--deliveries 10] [--deadlines 10] [--src DIR]

Seeds `deadlines` cases whose merchant response deadline falls due one every 0.5 s from 2 s
after the worker starts, and `deliveries` webhooks owed to one receiver on 127.0.0.1 that
answers after `--receiver-seconds` (7). Measures each deadline's lateness (fired_at - due_at)
while the worker delivers, then, with the deliveries owed again, how long a fresh worker takes
to exit after SIGTERM sent 3 s into its delivery work.

`--src` runs the worker from another checkout's `src` (e.g. a `git worktree` of an older
commit) to compare before and after on the same database schema.

Measured on the shared 2-core machine (load 5-7), 10 deliveries, 10 deadlines, 7 s receiver:
    before (deliveries between sweeps): lateness p50 46.5 s, max 48.5 s; SIGTERM 98.6 s
    after (delivery threads, breaker):  lateness p50 0.14 s, max 0.18 s; SIGTERM 3.5 s
(0 delivered either way: 7 s is past the 5 s timeout.)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def slow_receiver(seconds: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(seconds)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the worker gave up first

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_worker(env: dict[str, str], src: str | None, log_path: Path) -> subprocess.Popen:
    """A worker, once it has started (Django loaded: a loaded machine takes seconds)."""
    child_env = dict(env)
    if src:
        child_env["PYTHONPATH"] = src
    worker = subprocess.Popen(
        [sys.executable, "-m", "aftersales.cli", "worker", "--interval", "0.2"],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=log_path.open("w"),
        text=True,
    )
    assert worker.stdout is not None
    while "worker started" not in worker.stdout.readline():
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited; see {log_path}")
    return worker


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=10)
    parser.add_argument("--deadlines", type=int, default=10)
    parser.add_argument("--receiver-seconds", type=float, default=7.0)
    parser.add_argument("--src", default=None, help="run the worker from this src directory")
    args = parser.parse_args()

    from bench_sweep import seed
    from common import (
        bench_env,
        close_django_connections,
        latency_summary,
        log,
        setup_django,
        sql,
        throwaway_database,
    )

    receiver = slow_receiver(args.receiver_seconds)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    with throwaway_database("webhooks") as db:
        setup_django()
        seed(args.deadlines)
        from aftersales.core import clock
        from aftersales.notify.models import WebhookDelivery
        from aftersales.notify.services import create_endpoint

        hook = create_endpoint(shop=None, url=url, now=clock.now(), allow_private=True)
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=hook,
                event_id=f"bench-{n}",
                event_type="case.bench",
                payload={"n": n},
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
            for n in range(args.deliveries)
        )
        close_django_connections()
        env = bench_env(db)
        env["AFTERSALES_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1/32"
        logs = Path(os.environ.get("TMPDIR", "/tmp"))

        # 1. Lateness: deadlines fall due while the worker is busy with the slow receiver.
        sql(db, "UPDATE deadlines_deadline SET due_at = now() + interval '1 day'")
        worker = start_worker(env, args.src, logs / "bench_webhooks_worker1.log")
        ids = [
            row[0]
            for row in sql(
                db,
                "UPDATE deadlines_deadline SET due_at = now() + (interval '0.5 second' * "
                "(id - (SELECT min(id) FROM deadlines_deadline)) + interval '2 second') "
                "WHERE status = 'pending' RETURNING id",
            )
        ]
        started = time.monotonic()
        while time.monotonic() - started < 300:
            pending = sql(
                db,
                "SELECT count(*) FROM deadlines_deadline WHERE status='pending' AND id = ANY(%s)",
                [ids],
            )
            if pending[0][0] == 0:
                break
            time.sleep(0.2)
        lateness = [
            float(row[0])
            for row in sql(
                db,
                "SELECT extract(epoch FROM fired_at - due_at) FROM deadlines_deadline "
                "WHERE status = 'fired' AND id = ANY(%s)",
                [ids],
            )
        ]
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)
        summary = latency_summary(lateness) if lateness else {}
        log(
            f"deadlines fired {len(lateness)}/{args.deadlines}; lateness (due → fired) "
            + ", ".join(f"{k} {v:.0f}" for k, v in summary.items())
        )

        # 2. SIGTERM while deliveries are in flight.
        sql(
            db,
            "UPDATE notify_webhookdelivery SET status='pending', next_attempt_at=now(), attempts=0",
        )
        sql(db, "UPDATE notify_webhookendpoint SET consecutive_failures=0, paused_until=NULL")
        worker = start_worker(env, args.src, logs / "bench_webhooks_worker2.log")
        time.sleep(3)
        asked = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=180)
        except subprocess.TimeoutExpired:
            worker.kill()
        stopped_in = time.monotonic() - asked
        delivered = sql(
            db, "SELECT count(*) FROM notify_webhookdelivery WHERE status = 'delivered'"
        )[0][0]
        log(f"SIGTERM 3 s into delivery: the worker exited in {stopped_in:.1f} s")
        log(f"deliveries marked delivered: {delivered} (the receiver answers after 7 s)")
    receiver.shutdown()


if __name__ == "__main__":
    main()
