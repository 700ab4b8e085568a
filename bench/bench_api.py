"""API write path: N concurrent clients each file a case on its own order and have the merchant
agree to it, through the real server (`aftersales serve`, gunicorn gthread) on PostgreSQL.

    .venv/bin/python bench/bench_api.py [--creations 2000] [--clients 8] [--workers 4]

Prints requests/s and p50/p99 latency of POST /api/v1/cases and of
POST /api/v1/cases/{case_no}/actions/agree, with where the CPU went.
Targets: >= 300 creations/s and p99 < 100 ms at 8 clients.
"""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass, field

import httpx
from common import (
    CpuMeter,
    Server,
    bulk_orders,
    close_django_connections,
    format_latency,
    latency_summary,
    log,
    machine_note,
    print_cpu,
    profile_calls,
    setup_django,
    sql,
    throwaway_database,
    verdict,
    write_json,
)

TARGET_CREATIONS_PER_S = 300
TARGET_P99_MS = 100
TYPES = ("refund_only", "return_refund")  # alternated; the merchant agrees to each


@dataclass
class Seed:
    merchant_token: str
    consumer_tokens: list[str]
    orders_by_client: list[list[str]]


@dataclass
class ClientResult:
    create_s: list[float] = field(default_factory=list)
    agree_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def seed(*, clients: int, per_client: int) -> Seed:
    from aftersales.catalog.services import create_carrier, create_shop
    from aftersales.core import clock
    from aftersales.core.services import create_user

    now = clock.now()
    shop = create_shop(
        code="bench",
        name="压测店铺",
        balance_fen=10**12,
        return_address="上海市浦东新区世纪大道100号 售后部",
        now=now,
    )
    create_carrier(code="sf", name="顺丰速运")
    _merchant, merchant_token = create_user(
        username="bench_merchant", role="merchant", shop="bench", now=now
    )
    consumers, tokens = [], []
    for i in range(clients):
        user, token = create_user(username=f"bench_consumer{i}", role="consumer", now=now)
        consumers.append(user)
        tokens.append(token)
    orders = bulk_orders(
        shops=[shop], consumers=consumers, count=clients * per_client, now=now, prefix="API"
    )
    by_client: list[list[str]] = [[] for _ in range(clients)]
    for i, order in enumerate(orders):
        by_client[i % clients].append(order.order_sn)
    return Seed(merchant_token, tokens, by_client)


def one_case(
    http: httpx.Client,
    consumer: dict,
    merchant: dict,
    order_sn: str,
    i: int,
    result: ClientResult | None,
) -> None:
    case_type = TYPES[i % 2]
    t0 = time.perf_counter()
    created = http.post(
        "/api/v1/cases",
        headers=consumer,
        json={"order_sn": order_sn, "type": case_type, "reason": "quality"},
    )
    t1 = time.perf_counter()
    if created.status_code != 201:
        if result is not None:
            result.errors.append(f"create {created.status_code} {created.text[:200]}")
        return
    case_no = created.json()["case_no"]
    t2 = time.perf_counter()
    agreed = http.post(f"/api/v1/cases/{case_no}/actions/agree", headers=merchant, json={})
    t3 = time.perf_counter()
    expected = "refunded" if case_type == "refund_only" else "awaiting_return"
    if result is None:
        return
    result.create_s.append(t1 - t0)
    if agreed.status_code != 200 or agreed.json()["status"] != expected:
        result.errors.append(f"agree {agreed.status_code} {agreed.text[:200]}")
        return
    result.agree_s.append(t3 - t2)


def run_clients(
    base_url: str, data: Seed, *, warmup: int, meter: CpuMeter
) -> tuple[list[ClientResult], float, dict[str, float]]:
    clients = len(data.consumer_tokens)
    results = [ClientResult() for _ in range(clients)]
    ready = threading.Barrier(clients + 1)
    go = threading.Barrier(clients + 1)
    done = threading.Barrier(clients + 1)
    merchant = {"Authorization": f"Bearer {data.merchant_token}"}

    def client(k: int) -> None:
        consumer = {"Authorization": f"Bearer {data.consumer_tokens[k]}"}
        orders = data.orders_by_client[k]
        # One keep-alive connection per client.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=base_url, timeout=60, limits=limits) as http:
            for i, order_sn in enumerate(orders[:warmup]):
                one_case(http, consumer, merchant, order_sn, i, None)
            ready.wait()
            go.wait()
            for i, order_sn in enumerate(orders[warmup:]):
                one_case(http, consumer, merchant, order_sn, i, results[k])
            done.wait()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    meter.start()
    t0 = time.perf_counter()
    go.wait()
    done.wait()
    wall = time.perf_counter() - t0
    cpu = meter.stop()
    for t in threads:
        t.join()
    return results, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--creations", type=int, default=2000, help="measured cases (default 2000)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="gunicorn workers (8 threads each); default 4 on 2 cores",
    )
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured cases per client")
    parser.add_argument(
        "--profile",
        type=int,
        default=20,
        metavar="N",
        help="afterwards, cProfile N create+agree pairs in-process (0: skip)",
    )
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    per_client = -(-args.creations // args.clients)
    machine_note()

    with throwaway_database("api", keep=args.keep_db) as db:
        setup_django()
        t0 = time.perf_counter()
        data = seed(
            clients=args.clients,
            per_client=args.warmup + per_client + (args.profile + 1 if args.profile else 0),
        )
        profile_orders = [orders[args.warmup + per_client :] for orders in data.orders_by_client]
        for k in range(args.clients):
            data.orders_by_client[k] = data.orders_by_client[k][: args.warmup + per_client]
        log(
            f"seeded 1 shop, {args.clients} consumers, "
            f"{sum(map(len, data.orders_by_client))} orders in {time.perf_counter() - t0:.1f} s"
        )
        close_django_connections()

        with Server(db, workers=args.workers) as server:
            meter = CpuMeter(db, server.worker_pids())
            log(f"{args.clients} clients x {per_client} cases (after {args.warmup} warm-up each)")
            results, wall, cpu = run_clients(server.base_url, data, warmup=args.warmup, meter=meter)

        creates = [s for r in results for s in r.create_s]
        agrees = [s for r in results for s in r.agree_s]
        errors = [e for r in results for e in r.errors]
        create = latency_summary(creates)
        agree = latency_summary(agrees)
        creations_per_s = len(creates) / wall
        requests_per_s = (len(creates) + len(agrees)) / wall

        counts = dict(sql(db, "SELECT status, count(*) FROM cases_case GROUP BY status"))
        events = sql(db, "SELECT count(*) FROM core_event")[0][0]
        print()
        print(
            f"API write path: {args.clients} clients (keep-alive), server `aftersales serve "
            f"--workers {args.workers}` (gunicorn gthread, 8 threads each), PostgreSQL"
        )
        print(f"  POST /cases                   {format_latency(create)}")
        print(f"  POST /cases/{{no}}/actions/agree {format_latency(agree)}")
        print(
            f"  wall {wall:.2f} s: {creations_per_s:.0f} creations/s "
            f"({len(agrees) / wall:.0f} agrees/s), {requests_per_s:.0f} requests/s in all"
        )
        print(f"  errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        print(f"  database after the run: cases by status {counts}, {events} events")
        print_cpu(cpu, per=len(creates), unit="case (create+agree)")
        ok_rate = creations_per_s >= TARGET_CREATIONS_PER_S
        ok_create = create["p99_ms"] < TARGET_P99_MS
        ok_agree = agree["p99_ms"] < TARGET_P99_MS
        print(
            f"  target >= {TARGET_CREATIONS_PER_S} creations/s: {creations_per_s:.0f} "
            f"{verdict(ok_rate)}"
        )
        print(
            f"  target p99 < {TARGET_P99_MS} ms: create {create['p99_ms']:.1f} ms "
            f"{verdict(ok_create)}, agree {agree['p99_ms']:.1f} ms {verdict(ok_agree)}"
        )

        profile = {}
        if args.profile:
            try:
                profile = profile_pairs(data, profile_orders, args.profile)
            except Exception as error:  # the figures above stand without it
                print(f"\n  profile skipped: {type(error).__name__}: {error}")

        write_json(
            args.json,
            {
                "bench": "api",
                "clients": args.clients,
                "workers": args.workers,
                "creations": len(creates),
                "wall_s": wall,
                "creations_per_s": creations_per_s,
                "requests_per_s": requests_per_s,
                "create": create,
                "agree": agree,
                "errors": len(errors),
                "cpu": cpu,
                "profile": profile,
                "targets": {"creations_per_s": TARGET_CREATIONS_PER_S, "p99_ms": TARGET_P99_MS},
                "met": {"creations_per_s": ok_rate, "create_p99": ok_create, "agree_p99": ok_agree},
            },
        )


def profile_pairs(data: Seed, profile_orders: list[list[str]], n: int) -> dict:
    """cProfile create and agree separately, in-process through Django's test client."""
    import itertools
    import json

    from django.test import Client

    client = Client()
    consumer = {"HTTP_AUTHORIZATION": f"Bearer {data.consumer_tokens[0]}"}
    merchant = {"HTTP_AUTHORIZATION": f"Bearer {data.merchant_token}"}
    orders = iter(profile_orders[0])
    created: list[str] = []
    counter = itertools.count()

    def create() -> None:
        i = next(counter)
        response = client.post(
            "/api/v1/cases",
            json.dumps({"order_sn": next(orders), "type": TYPES[i % 2], "reason": "quality"}),
            content_type="application/json",
            **consumer,
        )
        assert response.status_code == 201, response.content
        created.append(response.json()["case_no"])

    pending = iter(created)

    def agree() -> None:
        response = client.post(
            f"/api/v1/cases/{next(pending)}/actions/agree",
            "{}",
            content_type="application/json",
            **merchant,
        )
        assert response.status_code == 200, response.content

    return {
        "create": profile_calls("POST /api/v1/cases", create, n),
        "agree": profile_calls("POST /api/v1/cases/{no}/actions/agree", agree, n),
    }


if __name__ == "__main__":
    main()
