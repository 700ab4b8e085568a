"""Shared plumbing for the benchmarks: throw-away PostgreSQL databases, the real server as a
subprocess, bulk seeding, latency statistics and CPU accounting.

Every benchmark talks only to 127.0.0.1: PostgreSQL on port 5432 (trust auth, user postgres)
and the server it starts itself on a free loopback port.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
AFTERSALES = str(BIN / "aftersales")
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
CLK_TCK = os.sysconf("SC_CLK_TCK")


_T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _T0:7.1f}s] {message}", flush=True)


# --- databases ------------------------------------------------------------------------------


def database_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )


def create_database(name: str, *, template: str | None = None) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(db_name: str, data_dir: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url(db_name)
    env["DJANGO_SETTINGS_MODULE"] = "aftersales.settings"
    # Production mode, as deployed (docs/security.md), but 8 clients from one address are the
    # load itself, not an attack: the rate limits are off for the benchmarks.
    env.setdefault("AFTERSALES_SECRET_KEY", "bench-" + "k" * 60)
    env.setdefault("AFTERSALES_ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("AFTERSALES_RATE_LIMITS", "off")
    if data_dir:
        env["AFTERSALES_DATA_DIR"] = data_dir
    return env


def migrate(db_name: str) -> None:
    subprocess.run(
        [AFTERSALES, "migrate", "--verbosity", "0"], env=bench_env(db_name), cwd=REPO, check=True
    )


@contextlib.contextmanager
def throwaway_database(label: str, *, keep: bool = False) -> Iterator[str]:
    """Create `aftersales_bench_<label>_<pid>`, migrate it, point this process's Django at it,
    and drop it on the way out (also on Ctrl-C)."""
    name = f"aftersales_bench_{label}_{os.getpid()}"
    create_database(name)
    try:
        t0 = time.perf_counter()
        migrate(name)
        log(f"database {name} created and migrated in {time.perf_counter() - t0:.1f} s")
        os.environ["DATABASE_URL"] = database_url(name)
        yield name
    finally:
        close_django_connections()
        if keep:
            log(f"kept database {name}")
        else:
            drop_database(name)
            log(f"dropped database {name}")


def setup_django() -> None:
    """Configure Django against $DATABASE_URL (set by throwaway_database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    import django

    django.setup()


def close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def sql(db_name: str, query: str, params: Iterable[Any] = ()) -> list[tuple]:
    """Run one statement on `db_name` outside Django (for checks and EXPLAIN)."""
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db_name, autocommit=True
    ) as conn:
        cur = conn.execute(query, list(params))
        return cur.fetchall() if cur.description else []


# --- the real server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`aftersales serve --host 127.0.0.1 --port P --workers N` (gunicorn gthread) as a
    subprocess against `db_name`; stopped with SIGTERM on exit."""

    def __init__(self, db_name: str, *, workers: int):
        self.db_name = db_name
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="aftersales-bench-")
        self.log_path = Path(self._tmp.name) / "server.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self._log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                AFTERSALES,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=bench_env(self.db_name, data_dir=self._tmp.name),
            cwd=REPO,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready(timeout=90)
        except BaseException:
            self.__exit__()
            raise
        log(
            f"server up at {self.base_url} (pid {self.process.pid}, {self.workers} gthread "
            f"workers x 8 threads)"
        )
        return self

    def _wait_ready(self, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.tail()}")
            try:
                up = httpx.get(self.base_url + "/", timeout=2).status_code < 500
                # Every worker must have booted, not just the first.
                if up and len(self.worker_pids()) >= self.workers:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return child_pids(self.process.pid)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGINT is gunicorn's quick shutdown (SIGTERM waits up to 30 s for keep-alive
            # connections); the arbiter stops its own workers.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in self.worker_pids():
                    os.kill(pid, signal.SIGKILL)
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()
        self._tmp.cleanup()


# --- CPU accounting from /proc --------------------------------------------------------------


def child_pids(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def machine_note(seconds: float = 1.0) -> None:
    """Say how busy the machine is before a measurement: other sessions' test runs on the
    same 2 cores distort every figure."""
    before, busy0, t0 = all_processes(), total_cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    after, busy1, t1 = all_processes(), total_cpu_seconds(), time.perf_counter()
    share = (busy1 - busy0) / ((t1 - t0) * (os.cpu_count() or 1))
    users = sorted(
        (
            (seconds_ - before.get(pid, (name, 0.0))[1], name)
            for pid, (name, seconds_) in after.items()
        ),
        reverse=True,
    )[:3]
    load = Path("/proc/loadavg").read_text().split()[:3]
    log(
        f"machine before the run: {100 * share:.0f}% CPU busy, load average {' '.join(load)}"
        + (
            ""
            if share < 0.1
            else "; busiest: "
            + ", ".join(
                f"{name[:50]} ({100 * used / (t1 - t0):.0f}%)" for used, name in users if used > 0
            )
        )
    )
    if share >= 0.1:
        log("WARNING: other processes are using the CPU; figures will be low and noisy")


def total_cpu_seconds() -> float:
    """All CPUs' busy time since boot (from /proc/stat), in seconds."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / CLK_TCK


def all_processes() -> dict[int, tuple[str, float]]:
    """Every live process: pid -> (name, user+system CPU seconds)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        name = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()[:70]
        out[int(entry)] = (
            name or stat[stat.index("(") : stat.rindex(")") + 1],
            (int(fields[11]) + int(fields[12])) / CLK_TCK,
        )
    return out


class CpuMeter:
    """CPU used by the server's workers, the database's backends, this process, every other
    process and the whole machine between start() and stop()."""

    def __init__(self, db_name: str, server_pids: Iterable[int] = ()):
        self.db_name = db_name
        self.server_pids = set(server_pids)

    def _sample(self) -> tuple[dict[int, tuple[str, float]], float, float]:
        return all_processes(), total_cpu_seconds(), time.perf_counter()

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> dict[str, Any]:
        end_procs, end_machine, end_wall = self._sample()
        start_procs, start_machine, start_wall = self._start
        me = os.getpid()
        groups = {
            "server_cpu_s": 0.0,
            "postgres_cpu_s": 0.0,
            "client_cpu_s": 0.0,
            "other_cpu_s": 0.0,
        }
        others: dict[str, float] = {}
        for pid, (name, seconds) in end_procs.items():
            used = seconds - start_procs.get(pid, (name, 0.0))[1]
            if used <= 0:
                continue
            if pid in self.server_pids:
                groups["server_cpu_s"] += used
            elif name.startswith("postgres:") and f" {self.db_name} " in name:
                groups["postgres_cpu_s"] += used
            elif pid == me:
                groups["client_cpu_s"] += used
            else:
                key = name.split(" (")[0] if name.startswith("postgres:") else name
                others[key] = others.get(key, 0.0) + used
        wall = end_wall - start_wall
        machine = end_machine - start_machine
        ours = groups["server_cpu_s"] + groups["postgres_cpu_s"] + groups["client_cpu_s"]
        # Everything that is not this benchmark: other sessions' processes, including those
        # that started and ended inside the window (invisible to a before/after scan).
        groups["other_cpu_s"] = max(0.0, machine - ours)
        return {
            "wall_s": wall,
            **groups,
            "machine_cpu_s": machine,
            "machine_capacity_s": wall * (os.cpu_count() or 1),
            "top_others": sorted(others.items(), key=lambda kv: -kv[1])[:4],
        }


def print_cpu(cpu: dict[str, Any], *, per: int, unit: str, server: str = "server workers") -> None:
    """Where the machine's CPU went, in total and per `unit`."""
    capacity = cpu["machine_capacity_s"]
    rows = [
        (server, cpu["server_cpu_s"]),
        ("postgres backends", cpu["postgres_cpu_s"]),
        ("bench client", cpu["client_cpu_s"]),
        ("everything else", cpu["other_cpu_s"]),
        ("whole machine", cpu["machine_cpu_s"]),
    ]
    print(
        f"  CPU over {cpu['wall_s']:.1f} s wall ({os.cpu_count()} cores = "
        f"{capacity:.1f} CPU-s available):"
    )
    for name, seconds in rows:
        print(
            f"    {name:<18} {seconds:7.1f} CPU-s  {100 * seconds / capacity:5.1f}% of machine"
            f"  {1000 * seconds / max(per, 1):6.2f} ms per {unit}"
        )
    ours = cpu["server_cpu_s"] + cpu["postgres_cpu_s"] + cpu["client_cpu_s"]
    print(
        f"    => this benchmark alone needs {1000 * ours / max(per, 1):.2f} CPU-ms per {unit}: "
        f"at most {per / max(ours, 1e-9) * (os.cpu_count() or 1):.0f} per second on an idle "
        f"{os.cpu_count()}-core machine"
    )
    if cpu["other_cpu_s"] > 0.05 * capacity:
        print(
            "    (everything else = other sessions' processes on this machine, e.g. "
            + ", ".join(f"{name[:40]} {seconds:.1f} CPU-s" for name, seconds in cpu["top_others"])
            + "; the rate and latencies above are lowered by them, the CPU-ms per "
            + f"{unit} much less so)"
        )


# --- statistics -----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else float("nan"),
        "mean_ms": sum(ms) / len(ms) if ms else float("nan"),
    }


def format_latency(summary: dict[str, float]) -> str:
    return (
        f"n={summary['n']:<6} p50 {summary['p50_ms']:7.1f} ms  p90 {summary['p90_ms']:7.1f} ms"
        f"  p99 {summary['p99_ms']:7.1f} ms  max {summary['max_ms']:7.1f} ms"
    )


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def write_json(path: str | None, payload: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, default=str))


# --- seeding --------------------------------------------------------------------------------


def new_token() -> str:
    return "as_" + secrets.token_urlsafe(32)


def bulk_users(
    prefix: str, count: int, *, role: str, shop_ids: list[int] | None = None, now: dt.datetime
) -> list:
    """`count` users with unusable passwords (fast: one INSERT per 2,000)."""
    from django.contrib.auth.hashers import make_password

    from aftersales.core.models import User

    unusable = make_password(None)
    users = [
        User(
            username=f"{prefix}{i}",
            role=role,
            password=unusable,
            date_joined=now,
            shop_id=shop_ids[i % len(shop_ids)] if shop_ids else None,
        )
        for i in range(count)
    ]
    return User.objects.bulk_create(users, batch_size=2000)


def bulk_orders(
    *,
    shops: list,
    consumers: list,
    count: int,
    now: dt.datetime,
    prefix: str,
    amount_fen: int = 20_000,
    category: str = "手机",
) -> list:
    """`count` paid, shipped and received orders (received 2 days before `now`), each with one
    item, spread round-robin over `shops` and `consumers`."""
    from aftersales.catalog.services import category_named
    from aftersales.orders.models import Order, OrderItem

    cat = category_named(category)
    orders = [
        Order(
            order_sn=f"{prefix}-{i:09d}",
            shop=shops[i % len(shops)],
            consumer=consumers[i % len(consumers)],
            amount_fen=amount_fen,
            paid_at=now - dt.timedelta(days=5),
            shipped_at=now - dt.timedelta(days=4),
            received_at=now - dt.timedelta(days=2),
            created_at=now - dt.timedelta(days=5),
        )
        for i in range(count)
    ]
    Order.objects.bulk_create(orders, batch_size=2000)
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=o,
                sku="SKU-1",
                title="测试商品",
                category=cat,
                quantity=1,
                unit_price_fen=amount_fen,
            )
            for o in orders
        ],
        batch_size=2000,
    )
    return orders


def vacuum_analyze(db_name: str) -> None:
    t0 = time.perf_counter()
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db_name, autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")


# --- profiling ------------------------------------------------------------------------------


def profile_calls(label: str, call, n: int, *, top: int = 22) -> dict[str, float]:
    """Run `call()` `n` times in this process (Django's test client, no HTTP) under cProfile
    and with every SQL statement and COMMIT timed; print where the milliseconds go."""
    import cProfile
    import io
    import pstats

    from django.db import connection

    call()  # warm caches (URL resolver, translations, ninja schemas)
    statements: list[tuple[str, float]] = []

    def timed(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((sql, time.perf_counter() - t))

    original_commit = connection._commit

    def timed_commit():
        t = time.perf_counter()
        try:
            return original_commit()
        finally:
            statements.append(("COMMIT", time.perf_counter() - t))

    profiler = cProfile.Profile()
    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(timed):
            t0 = time.perf_counter()
            profiler.enable()
            for _ in range(n):
                call()
            profiler.disable()
            elapsed = time.perf_counter() - t0
    finally:
        del connection._commit
    db_s = sum(seconds for _sql, seconds in statements)
    result = {
        "ms_per_call": 1000 * elapsed / n,
        "statements_per_call": len(statements) / n,
        "db_ms_per_call": 1000 * db_s / n,
    }
    print(
        f"\n  profile of {label} ({n} calls in-process via django.test.Client, no HTTP, "
        f"cProfile on, which inflates Python time ~1.5-2x):"
    )
    print(
        f"    {result['ms_per_call']:.2f} ms per call: {result['statements_per_call']:.1f} "
        f"SQL statements (incl. COMMIT) waiting {result['db_ms_per_call']:.2f} ms on "
        f"PostgreSQL; the rest, {result['ms_per_call'] - result['db_ms_per_call']:.2f} ms, "
        f"is Python"
    )
    by_text: dict[str, list[float]] = {}
    for text, seconds in statements:
        text = re.sub(r'"s\d+_x\d+"', '"s…"', " ".join(text.split()))
        by_text.setdefault(text[:110], []).append(seconds)
    print("    SQL per call (mean ms each):")
    for text, times in by_text.items():
        print(f"      {len(times) / n:4.1f}x {1000 * sum(times) / len(times):6.2f} ms  {text}")
    for order, title in (("cumulative", "cumulative"), ("tottime", "own")):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(top)
        print(f"    top functions by {title} time (seconds over all {n} calls):")
        for line in buffer.getvalue().splitlines():
            if line.strip() and not line.lstrip().startswith(("Ordered", "List reduced")):
                print(
                    "      "
                    + line.rstrip()
                    .replace(str(REPO) + "/", "")
                    .replace(".venv/lib/python3.11/site-packages/", "")
                )
    return result
