"""The merchant queue: GET /api/v1/cases?shop=X&status=Y (first page, default limit) as that
shop's merchant, over N cases spread across shops, all five types and all their statuses,
through the real server at 1 and at 8 concurrent clients.

    .venv/bin/python bench/bench_list.py [--cases 100000] [--shops 50] [--requests 1000]

To attribute slowness it also reports, for the same requests: the database alone (EXPLAIN
ANALYZE of each statement the list runs), `queries.list_cases()` in-process (ORM + case
bodies, no HTTP), and the whole Django stack in-process (test client, no gunicorn).
Target: p99 <= 30 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import threading
import time

import httpx
import psycopg
from common import (
    CpuMeter,
    Server,
    bulk_users,
    close_django_connections,
    database_url,
    format_latency,
    latency_summary,
    log,
    machine_note,
    print_cpu,
    profile_calls,
    setup_django,
    sql,
    throwaway_database,
    vacuum_analyze,
    verdict,
    write_json,
)

TARGET_P99_MS = 30


def seed(*, cases: int, shops: int, seed_value: int = 7) -> tuple[dict[str, str], list[str]]:
    """`cases` cases over `shops` shops, in every type and status (60% closed one way or
    another, as a live shop's history is), each with a valid hash chain of 1-4 events and its
    pending deadline where its status has a timer. Returns {shop code: merchant token} and
    the status names."""
    from aftersales.cases.models import Case
    from aftersales.cases.workflows import WORKFLOWS
    from aftersales.catalog.services import category_named, create_shop
    from aftersales.core import clock, eventlog
    from aftersales.core.models import Event
    from aftersales.core.services import create_user
    from aftersales.deadlines.models import Deadline
    from aftersales.orders.models import Order, OrderItem

    rng = random.Random(seed_value)
    now = clock.now()
    start = now - dt.timedelta(days=60)
    shop_rows, tokens = [], {}
    for s in range(shops):
        shop = create_shop(
            code=f"shop{s:02d}",
            name=f"店铺{s:02d}",
            balance_fen=10**9,
            return_address="上海市浦东新区世纪大道100号 售后部",
            now=start,
        )
        shop_rows.append(shop)
        _user, tokens[shop.code] = create_user(
            username=f"merchant{s:02d}", role="merchant", shop=shop.code, now=start
        )
    consumers = bulk_users("list_consumer", 2000, role="consumer", now=start)

    open_choices, closed_choices = [], []
    for wf in WORKFLOWS.values():
        for status in wf.statuses:
            (closed_choices if wf.is_terminal(status) else open_choices).append((wf, status))
    statuses = sorted({status for _wf, status in open_choices + closed_choices})

    t0 = time.perf_counter()
    category = category_named("手机")
    orders, case_rows, plan = [], [], []
    step = (now - start - dt.timedelta(days=2)) / cases
    for i in range(cases):
        created = start + step * i
        shop = shop_rows[i % shops]
        consumer = consumers[rng.randrange(len(consumers))]
        wf, status = rng.choice(closed_choices if rng.random() < 0.6 else open_choices)
        amount = rng.choice((2900, 8800, 19900, 45900, 129900))
        orders.append(
            Order(
                order_sn=f"LST-{i:09d}",
                shop=shop,
                consumer=consumer,
                amount_fen=amount,
                paid_at=created - dt.timedelta(days=5),
                shipped_at=created - dt.timedelta(days=4),
                received_at=created - dt.timedelta(days=2),
                created_at=created - dt.timedelta(days=5),
            )
        )
        plan.append((wf, status, created, amount, shop, consumer))
    Order.objects.bulk_create(orders, batch_size=5000)
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=o,
                sku="SKU-1",
                title="测试商品",
                category=category,
                quantity=1,
                unit_price_fen=o.amount_fen,
            )
            for o in orders
        ],
        batch_size=5000,
    )
    log(f"  {cases} orders in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    events, pending = [], []
    for i, ((wf, status, created, amount, shop, consumer), order) in enumerate(
        zip(plan, orders, strict=True)
    ):
        case_no = f"AS{created:%y%m%d}{i:010d}"
        steps = 0 if status == "awaiting_merchant" else 1 + i % 3
        history = [
            (
                "create",
                consumer.username,
                {
                    "type": wf.type,
                    "reason": "quality",
                    "amount_fen": amount,
                    "to": "awaiting_merchant",
                    "order_sn": order.order_sn,
                    "description": "",
                },
            )
        ]
        for k in range(steps):
            target = status if k == steps - 1 else "awaiting_merchant"
            history.append(
                (
                    "agree" if k == 0 else "update",
                    f"merchant{i % shops:02d}",
                    {"from": "awaiting_merchant", "to": target, "rule": "bench"},
                )
            )
        head, at = eventlog.GENESIS, created
        for seq, (action, actor, data) in enumerate(history, start=1):
            digest = eventlog.compute_hash(
                head,
                kind="case",
                key=case_no,
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                data=data,
            )
            events.append(
                Event(
                    subject_kind="case",
                    subject_key=case_no,
                    seq=seq,
                    at=at,
                    actor=actor,
                    action=action,
                    data=data,
                    prev_hash=head,
                    hash=digest,
                )
            )
            head, at = digest, at + dt.timedelta(hours=3)
        updated = at - dt.timedelta(hours=3)
        terminal = wf.is_terminal(status)
        case_rows.append(
            Case(
                case_no=case_no,
                order=order,
                shop=shop,
                consumer=consumer,
                type=wf.type,
                status=status,
                pdd_status=wf.statuses[status],
                is_open=not terminal,
                reason="quality",
                amount_fen=amount,
                refunded_fen=amount if status == "refunded" else 0,
                version=len(history),
                created_at=created,
                updated_at=updated,
                status_entered_at=updated,
                closed_at=updated if terminal else None,
                event_seq=len(history),
                event_head=head,
            )
        )
        for timer in wf.timers_in(status):
            pending.append((len(case_rows) - 1, timer, updated))
    Case.objects.bulk_create(case_rows, batch_size=5000)
    Event.objects.bulk_create(events, batch_size=5000)
    deadlines = [
        Deadline(
            subject_kind="case",
            subject_id=case_rows[index].id,
            name=timer.name,
            in_status=timer.in_status,
            due_at=now + dt.timedelta(days=2),
            action=timer.fire,
            params=timer.params,
            rule=timer.rule,
            created_at=since,
        )
        for index, timer, since in pending
    ]
    # History: the merchant deadline that every case past awaiting_merchant once had.
    deadlines += [
        Deadline(
            subject_kind="case",
            subject_id=case.id,
            name="merchant_response_deadline",
            in_status="awaiting_merchant",
            due_at=case.created_at + dt.timedelta(hours=48),
            action="agree",
            rule="bench",
            created_at=case.created_at,
            status="fired" if n % 5 == 0 else "cancelled",
        )
        for n, case in enumerate(case_rows)
        if case.status != "awaiting_merchant"
    ]
    Deadline.objects.bulk_create(deadlines, batch_size=5000)
    log(
        f"  {cases} cases, {len(events)} events, {len(deadlines)} deadlines in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return tokens, statuses


def request_plan(tokens: dict[str, str], statuses: list[str], n: int) -> list[tuple[str, str]]:
    rng = random.Random(11)
    shops = sorted(tokens)
    return [(rng.choice(shops), rng.choice(statuses)) for _ in range(n)]


def http_run(
    base_url: str,
    tokens: dict[str, str],
    plan: list[tuple[str, str]],
    clients: int,
    meter: CpuMeter,
) -> tuple[list[float], list[int], float, dict]:
    """`clients` threads with one keep-alive connection each share `plan`."""
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    slices = [plan[k::clients] for k in range(clients)]

    def client(k: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        mine, my_sizes, my_errors = [], [], []
        with httpx.Client(base_url=base_url, timeout=60, limits=limits) as http:
            http.get(
                "/api/v1/cases",
                params={"shop": slices[k][0][0], "limit": 1},
                headers={"Authorization": f"Bearer {tokens[slices[k][0][0]]}"},
            )
            start.wait()
            for shop, status in slices[k]:
                t0 = time.perf_counter()
                response = http.get(
                    "/api/v1/cases",
                    params={"shop": shop, "status": status},
                    headers={"Authorization": f"Bearer {tokens[shop]}"},
                )
                mine.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    my_errors.append(f"{response.status_code} {response.text[:200]}")
                else:
                    my_sizes.append(len(response.json()["items"]))
        with lock:
            latencies.extend(mine)
            sizes.extend(my_sizes)
            errors.extend(my_errors)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    meter.start()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = meter.stop()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    return latencies, sizes, wall, cpu


def database_alone(db: str, tokens: dict[str, str], plan: list[tuple[str, str]]) -> dict:
    """Capture the statements `queries.list_cases` runs for each planned request and
    EXPLAIN ANALYZE them on the server: planning + execution time, no network, no Python."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aftersales.cases import queries
    from aftersales.core.auth import user_for_token

    users = {shop: user_for_token(token) for shop, token in tokens.items()}
    in_process: list[float] = []
    per_request_db: list[float] = []
    per_statement: dict[str, list[float]] = {}
    sample_plan = sample_sql = ""
    # One long-lived connection, as the server's are (a fresh one plans slower: cold caches).
    with psycopg.connect(database_url(db), autocommit=True) as explain:
        for shop, status in plan:
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                queries.list_cases(users[shop], status=status, shop=shop, limit=20)
                in_process.append(time.perf_counter() - t0)
            total = 0.0
            for q in captured.captured_queries:
                text = q["sql"]
                info = explain.execute(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + text
                ).fetchone()[0][0]
                ms = info["Planning Time"] + info["Execution Time"]
                total += ms
                table = re.search(r'FROM "(\w+)"', text)
                per_statement.setdefault(table.group(1) if table else text[:40], []).append(ms)
                if not sample_plan and table and table.group(1) == "cases_case":
                    sample_plan = "\n".join(
                        r[0] for r in explain.execute("EXPLAIN (ANALYZE, BUFFERS) " + text)
                    )
                    sample_sql = text
            per_request_db.append(total)
    return {
        "db_ms": latency_summary([ms / 1000 for ms in per_request_db]),
        "db_ms_by_table": {
            k: latency_summary([ms / 1000 for ms in v]) for k, v in per_statement.items()
        },
        "list_cases_in_process": latency_summary(in_process),
        "sample_plan": sample_plan,
        "sample_sql": sample_sql,
    }


def django_in_process(tokens: dict[str, str], plan: list[tuple[str, str]]) -> dict:
    from django.test import Client

    client = Client()
    seconds = []
    for shop, status in plan:
        t0 = time.perf_counter()
        response = client.get(
            "/api/v1/cases",
            {"shop": shop, "status": status},
            HTTP_AUTHORIZATION=f"Bearer {tokens[shop]}",
        )
        seconds.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content
    return latency_summary(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument(
        "--requests",
        type=int,
        default=1000,
        help="measured requests at each concurrency (default 1000)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument(
        "--profile",
        type=int,
        default=30,
        metavar="N",
        help="afterwards, cProfile N list requests in-process (0: skip)",
    )
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    machine_note()
    with throwaway_database("list", keep=args.keep_db) as db:
        setup_django()
        t0 = time.perf_counter()
        tokens, statuses = seed(cases=args.cases, shops=args.shops)
        log(
            f"seeded {args.cases} cases over {args.shops} shops and {len(statuses)} statuses "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        close_django_connections()
        vacuum_analyze(db)
        plan = request_plan(tokens, statuses, args.requests)

        levels = {}
        with Server(db, workers=args.workers) as server:
            for clients in (1, 8):
                meter = CpuMeter(db, server.worker_pids())
                log(f"{args.requests} list requests with {clients} client(s)")
                latencies, sizes, wall, cpu = http_run(
                    server.base_url, tokens, plan, clients, meter
                )
                levels[clients] = {
                    "latency": latency_summary(latencies),
                    "wall_s": wall,
                    "requests_per_s": len(latencies) / wall,
                    "cpu": cpu,
                    "mean_items": sum(sizes) / len(sizes),
                }
        log("attribution: EXPLAIN ANALYZE and in-process timings of the same requests")
        alone = database_alone(db, tokens, plan[:300])
        stack = django_in_process(tokens, plan[:300])
        profile = None
        if args.profile:
            from django.test import Client

            client = Client()
            cycle = iter(plan * 2)

            def one() -> None:
                shop, status = next(cycle)
                response = client.get(
                    "/api/v1/cases",
                    {"shop": shop, "status": status},
                    HTTP_AUTHORIZATION=f"Bearer {tokens[shop]}",
                )
                assert response.status_code == 200

            try:
                profile_out = _capture(
                    lambda: profile_calls("GET /api/v1/cases?shop=X&status=Y", one, args.profile)
                )
            except Exception as error:  # the figures stand without it
                profile_out = (f"\n  profile skipped: {type(error).__name__}: {error}", None)
        distribution = sql(
            db, "SELECT status, count(*) FROM cases_case GROUP BY status ORDER BY 2 DESC"
        )

    print()
    print(
        f"Merchant list: {args.cases} cases over {args.shops} shops, {len(statuses)} statuses "
        f"(from {distribution[0][1]} {distribution[0][0]} down to {distribution[-1][1]} "
        f"{distribution[-1][0]}); GET /api/v1/cases?shop=X&status=Y, first page (limit 20), "
        f"as X's merchant; server `aftersales serve --workers {args.workers}`"
    )
    for clients, level in levels.items():
        print(
            f"  {clients} client(s) over HTTP: {format_latency(level['latency'])}  "
            f"{level['requests_per_s']:.0f} req/s, {level['mean_items']:.1f} items per page"
        )
        print_cpu(level["cpu"], per=args.requests, unit="request")
    print("  where the time goes (same requests, one at a time):")
    print(
        f"    database alone (EXPLAIN ANALYZE, all statements of a request): "
        f"{format_latency(alone['db_ms'])}"
    )
    for table, summary in alone["db_ms_by_table"].items():
        print(f"      {table:<20} p50 {summary['p50_ms']:6.2f} ms  p99 {summary['p99_ms']:6.2f} ms")
    print(
        f"    queries.list_cases() in-process (ORM + case bodies): "
        f"{format_latency(alone['list_cases_in_process'])}"
    )
    print(f"    Django + ninja in-process (test client, no HTTP): {format_latency(stack)}")
    print(f"  plan of the case query ({alone['sample_sql'][:160]}...):")
    for line in alone["sample_plan"].splitlines():
        print("    " + line)
    met = {
        clients: level["latency"]["p99_ms"] <= TARGET_P99_MS for clients, level in levels.items()
    }
    for clients, level in levels.items():
        print(
            f"  target p99 <= {TARGET_P99_MS} ms at {clients} client(s): "
            f"{level['latency']['p99_ms']:.1f} ms {verdict(met[clients])}"
        )
    if args.profile:
        print(profile_out[0])
        profile = profile_out[1]
    write_json(
        args.json,
        {
            "bench": "list",
            "cases": args.cases,
            "shops": args.shops,
            "workers": args.workers,
            "levels": {str(k): v for k, v in levels.items()},
            "db_alone": alone["db_ms"],
            "db_by_table": alone["db_ms_by_table"],
            "list_cases_in_process": alone["list_cases_in_process"],
            "django_in_process": stack,
            "profile": profile,
            "target_p99_ms": TARGET_P99_MS,
            "met": {str(k): v for k, v in met.items()},
        },
    )


def _capture(fn) -> tuple[str, object]:
    """Run `fn`, returning what it printed (to show after the summary) and its result."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = fn()
    return buffer.getvalue(), result


if __name__ == "__main__":
    main()
