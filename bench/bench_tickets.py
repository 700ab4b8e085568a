"""Routing and SLA evaluation cost per ticket creation (issue 4, "Measure").

    .venv/bin/python bench/bench_tickets.py [--creations 2000] [--calls 20000] [--open 5000]

In one process against a throw-away PostgreSQL database (bench/common.py), each part timed
call by call with `time.perf_counter_ns`, reported as p50 / p99 / mean in microseconds:

  1. `tickets.routing.route(facts, rules)` alone: pure Python over the rules already loaded,
     once with the 8 default rules, once with those + 50 extra data rules (region, shop,
     category, amount conditions; 2 of the 50 match the measured ticket).
  2. Routing's inputs, which `services.create_ticket` reads from the database per ticket: the
     active rules (`_active_rules`) and the facts (`_facts`: the order's categories and the
     consumer's tickets of the last 30 days).
  3. `routing.least_busy("shop", ticket)` with 20 available merchants in the shop (and 2 off
     shift), `--open` tickets assigned over them (two thirds open).
  4. `sla.start(ticket, now)`: the SlaTarget lookup and the 4 deadline INSERTs, inside a
     transaction as in `create_ticket` (committed every 100 calls).
  5. `services.create_ticket(consumer, logistics ticket on an order)`: the whole creation,
     COMMIT included, each on its own order. Run twice: plain, then with every part of step
     1–4 timed inside the creation (and each SQL statement attributed to the part that ran
     it), which gives the share of routing + SLA in the whole creation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from common import (
    bulk_orders,
    bulk_users,
    log,
    machine_note,
    percentile,
    setup_django,
    throwaway_database,
    vacuum_analyze,
    write_json,
)

STAFF = 20
OFF_SHIFT = 2
EXTRA_RULES = 50
CONSUMERS = 500
WARMUP = 200

# The parts of a creation that are routing and SLA evaluation (instrumented in step 5).
ROUTING_PARTS = ("rules query", "facts", "route()", "least_busy")
SLA_PARTS = ("sla.start",)
# Not counted as routing or SLA: the two logistics tasks (their due time looks the SLA target up
# once more, then two INSERTs).
TASKS = "tasks (target lookup + 2 INSERTs)"


def summary(ns: list[int]) -> dict[str, float]:
    us = [n / 1000 for n in ns]
    return {
        "n": len(us),
        "p50_us": percentile(us, 50),
        "p99_us": percentile(us, 99),
        "mean_us": sum(us) / len(us) if us else float("nan"),
    }


def row(label: str, s: dict[str, float]) -> str:
    return (
        f"  {label:<58} n={s['n']:<6} p50 {s['p50_us']:9.1f} µs  p99 {s['p99_us']:9.1f} µs"
        f"  mean {s['mean_us']:9.1f} µs"
    )


def timed(call: Callable[[], Any], n: int, *, warmup: int = 50) -> list[int]:
    for _ in range(min(warmup, n)):
        call()
    out = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t = clock()
        call()
        out.append(clock() - t)
    return out


# --- seeding ----------------------------------------------------------------------------------


def seed(*, orders: int, open_tickets: int) -> dict[str, Any]:
    """One shop with 22 merchants (20 available), 4 other shops, carrier sf, 3 agents, 500
    consumers, `orders` shipped orders (region 上海, category 手机), `open_tickets` earlier
    tickets assigned over the merchants and consumers, and 50 extra routing rules."""
    from django.utils import timezone

    from aftersales.catalog.services import create_carrier, create_shop
    from aftersales.core.models import Role, User
    from aftersales.orders.models import Order
    from aftersales.tickets.models import RoutingRule, Ticket

    now = timezone.now()
    shop = create_shop(code="bench-shop", name="基准店铺", balance_fen=10**9, return_address="上海")
    others = [
        create_shop(code=f"other-{i}", name=f"其他店铺{i}", balance_fen=0, return_address="杭州")
        for i in range(4)
    ]
    carrier = create_carrier(code="sf", name="顺丰速运")
    merchants = bulk_users(
        "merchant", STAFF + OFF_SHIFT, role=Role.MERCHANT, shop_ids=[shop.id], now=now
    )
    User.objects.filter(id__in=[m.id for m in merchants[STAFF:]]).update(available=False)
    bulk_users("agent", 3, role=Role.AGENT, now=now)
    consumers = bulk_users("consumer", CONSUMERS, role=Role.CONSUMER, now=now)
    made = bulk_orders(shops=[shop], consumers=consumers, count=orders, now=now, prefix="TKB")
    Order.objects.filter(order_sn__startswith="TKB-").update(carrier=carrier, region="上海")

    earlier = []
    for i in range(open_tickets):
        created = now - dt.timedelta(days=i % 45, minutes=i % 600)
        earlier.append(
            Ticket(
                ticket_no=f"TKSEED{i:012d}",
                type="logistics",
                subtype="delayed",
                status="in_progress" if i % 3 else "closed",
                is_open=bool(i % 3),
                priority=3,
                title="seed",
                source="consumer",
                consumer=consumers[i % len(consumers)],
                shop=shop,
                carrier=carrier,
                team="shop",
                assignee=merchants[i % STAFF],
                created_at=created,
                updated_at=created,
            )
        )
    Ticket.objects.bulk_create(earlier, batch_size=2000)

    rules = []
    for i in range(EXTRA_RULES):
        kind = i % 5
        rule = RoutingRule(name=f"extra rule {i:02d}", position=100 + i)
        if kind == 0:
            rule.region = f"区域{i}"
            rule.team = "platform"
        elif kind == 1:
            rule.shop_code = others[i % len(others)].code
            rule.raise_priority_by = 1
        elif kind == 2:
            rule.category = f"品类{i}"
            rule.ticket_type = "quality"
        elif kind == 3:
            rule.min_amount_fen = 10_000_000 + i
            rule.raise_priority_by = 1
        else:
            rule.ticket_type = "complaint"
            rule.subtype = "harassment"
            rule.min_recent_contacts = 5
        rules.append(rule)
    # two that match the measured tickets (a logistics ticket on a 手机 order in 上海)
    rules[0].region, rules[0].team = "上海", ""
    rules[2].category, rules[2].ticket_type = "手机", "logistics"
    RoutingRule.objects.bulk_create(rules)
    return {"shop": shop, "carrier": carrier, "orders": made, "consumers": consumers}


# --- the parts alone ----------------------------------------------------------------------------


def parts_alone(seeded: dict[str, Any], calls: int, db_calls: int) -> dict[str, dict]:
    from django.db import transaction
    from django.utils import timezone

    from aftersales.tickets import routing, services, sla
    from aftersales.tickets.models import RoutingRule, Ticket

    now = timezone.now()
    order = seeded["orders"][0]
    ticket = Ticket(
        type="logistics",
        subtype="lost",
        shop=seeded["shop"],
        carrier=seeded["carrier"],
        consumer=order.consumer,
        order=order,
        region="上海",
        amount_fen=order.amount_fen,
    )
    facts = services._facts(ticket, order, now)
    all_rules = list(services._active_rules())
    defaults = [r for r in all_rules if not r.name.startswith("extra rule")]
    assert len(all_rules) == len(defaults) + EXTRA_RULES, (len(all_rules), len(defaults))
    chosen = routing.route(facts, all_rules, default_team="shop")
    log(
        f"measured ticket: {facts.ticket_type}/{facts.subtype}, {len(all_rules)} active rules, "
        f"matched {list(chosen.rules)} -> team {chosen.team}, P{chosen.priority}"
    )
    results = {
        f"route() alone, {len(defaults)} default rules": summary(
            timed(lambda: routing.route(facts, defaults, default_team="shop"), calls)
        ),
        f"route() alone, {len(all_rules)} rules ({len(defaults)} + {EXTRA_RULES})": summary(
            timed(lambda: routing.route(facts, all_rules, default_team="shop"), calls)
        ),
        f"rules query: list(_active_rules()), {len(all_rules)} rows": summary(
            timed(lambda: list(services._active_rules()), db_calls)
        ),
        "facts: _facts() (order categories + recent contacts)": summary(
            timed(lambda: services._facts(ticket, order, now), db_calls)
        ),
    }
    open_work = Ticket.objects.filter(is_open=True, assignee__isnull=False).count()
    results[f"least_busy('shop'), {STAFF} available + {OFF_SHIFT} off, {open_work} open"] = summary(
        timed(lambda: routing.least_busy("shop", ticket), db_calls)
    )
    assert routing.least_busy("shop", ticket) is not None

    # sla.start on saved tickets (the deadlines need a subject id), in transactions of 100
    subjects = list(Ticket.objects.filter(is_open=True).order_by("id")[: min(db_calls, 500)])
    ns: list[int] = []
    clock = time.perf_counter_ns
    warm, done = 50, 0
    while done < warm + db_calls:
        with transaction.atomic():
            for _ in range(min(100, warm + db_calls - done)):
                subject = subjects[done % len(subjects)]
                t = clock()
                sla.start(subject, now)
                if done >= warm:
                    ns.append(clock() - t)
                done += 1
    results["sla.start() (target lookup + 4 deadline INSERTs)"] = summary(ns)
    assert RoutingRule.objects.filter(active=True).count() == len(all_rules)
    return results


# --- the whole creation ------------------------------------------------------------------------


class Parts:
    """Times the parts of `create_ticket` from inside: each wrapped function, and each SQL
    statement attributed to the part that is running (or to "rest")."""

    def __init__(self) -> None:
        self.current = "rest"
        self.ns: dict[str, int] = {}
        self.sql: dict[str, int] = {}

    def reset(self) -> None:
        self.ns, self.sql = {}, {}

    def wrap(self, label: str, function: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous, self.current = self.current, label
            t = time.perf_counter_ns()
            try:
                return function(*args, **kwargs)
            finally:
                self.ns[label] = self.ns.get(label, 0) + time.perf_counter_ns() - t
                self.current = previous

        return wrapper

    def count_sql(self, execute, sql, params, many, context):
        self.sql[self.current] = self.sql.get(self.current, 0) + 1
        return execute(sql, params, many, context)


def creations(seeded: dict[str, Any], n: int) -> dict[str, Any]:
    from django.db import connection

    from aftersales.core.models import User
    from aftersales.tickets import routing, services, sla
    from aftersales.tickets.models import Ticket

    orders = seeded["orders"]
    consumers = {u.id: u for u in User.objects.filter(id__in={o.consumer_id for o in orders})}
    cursor = iter(range(len(orders)))

    def create_one() -> Ticket:
        order = orders[next(cursor)]
        return services.create_ticket(
            consumers[order.consumer_id],
            type="logistics",
            subtype="lost",
            title="包裹丢了",
            order_sn=order.order_sn,
        )

    for _ in range(WARMUP):
        create_one()
    plain = timed(create_one, n, warmup=0)

    # Instrumented: the same creation with its parts timed from inside.
    parts = Parts()
    originals = {
        (services, "_active_rules"): services._active_rules,
        (services, "_facts"): services._facts,
        (routing, "route"): routing.route,
        (routing, "least_busy"): routing.least_busy,
        (sla, "start"): sla.start,
        (services, "_open_tasks"): services._open_tasks,
    }
    labels = {
        "_active_rules": "rules query",
        "_facts": "facts",
        "route": "route()",
        "least_busy": "least_busy",
        "start": "sla.start",
        "_open_tasks": TASKS,
    }
    for (module, name), function in originals.items():
        setattr(module, name, parts.wrap(labels[name], function))
    # `_active_rules()` returns a lazy QuerySet: evaluate it inside the timed part.
    services._active_rules = parts.wrap(
        "rules query", lambda: list(originals[(services, "_active_rules")]())
    )
    per_part: dict[str, list[int]] = {}
    totals: list[int] = []
    shares: list[float] = []
    statements: list[dict[str, int]] = []
    try:
        with connection.execute_wrapper(parts.count_sql):
            for _ in range(n):
                parts.reset()
                t = time.perf_counter_ns()
                ticket = create_one()
                total = time.perf_counter_ns() - t
                totals.append(total)
                for label, ns in parts.ns.items():
                    per_part.setdefault(label, []).append(ns)
                ours = sum(parts.ns.get(p, 0) for p in ROUTING_PARTS + SLA_PARTS)
                shares.append(ours / total)
                statements.append(dict(parts.sql))
    finally:
        for (module, name), function in originals.items():
            setattr(module, name, function)
    assert ticket.assignee is not None and ticket.team == "shop"
    sql_per_part = {
        label: sum(s.get(label, 0) for s in statements) / len(statements)
        for label in {k for s in statements for k in s}
    }
    mean_total = sum(totals) / len(totals)
    mean_part = {label: sum(ns) / len(ns) for label, ns in per_part.items()}
    return {
        "plain": summary(plain),
        "instrumented": summary(totals),
        "parts": {label: summary(ns) for label, ns in per_part.items()},
        "share_of_mean": {label: mean_part[label] / mean_total for label in mean_part},
        "routing_sla_share_of_mean": sum(mean_part.get(p, 0) for p in ROUTING_PARTS + SLA_PARTS)
        / mean_total,
        "routing_sla_share_p50": percentile(shares, 50),
        "routing_sla_share_p99": percentile(shares, 99),
        "sql_per_creation": sum(sum(s.values()) for s in statements) / len(statements),
        "sql_per_part": sql_per_part,
    }


def least_busy_plan(seeded: dict[str, Any]) -> list[str]:
    """EXPLAIN ANALYZE of the statement `least_busy` runs, captured as it runs."""
    from django.db import connection

    from aftersales.tickets import routing
    from aftersales.tickets.models import Ticket

    ticket = Ticket(shop=seeded["shop"], carrier=seeded["carrier"])
    captured: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        routing.least_busy("shop", ticket)
    sql, params = captured[-1]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [line for (line,) in cursor.fetchall()]


def report(alone: dict[str, dict], whole: dict[str, Any], plan: list[str]) -> None:
    print("\n== the parts alone")
    for label, s in alone.items():
        print(row(label, s))
    print("\n== services.create_ticket (logistics on an order, COMMIT included)")
    print(row("whole creation, plain", whole["plain"]))
    print(row("whole creation, parts instrumented", whole["instrumented"]))
    print(
        f"  {whole['sql_per_creation']:.1f} SQL statements per creation (BEGIN/COMMIT "
        "excluded), by part: "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(whole["sql_per_part"].items()))
    )
    print("\n  inside the creation (instrumented pass):")
    order = [*ROUTING_PARTS, *SLA_PARTS, TASKS]
    for label in order:
        if label in whole["parts"]:
            share = 100 * whole["share_of_mean"][label]
            print(row(f"{label} ({share:.1f}% of the mean creation)", whole["parts"][label]))
    print(
        f"\n  routing + SLA evaluation = {100 * whole['routing_sla_share_of_mean']:.1f}% of the "
        f"mean creation time (per creation: p50 {100 * whole['routing_sla_share_p50']:.1f}%, "
        f"p99 {100 * whole['routing_sla_share_p99']:.1f}%); the rest is the ticket INSERT, "
        "the tasks, the event, the UPDATE and the COMMIT"
    )
    print("\n== plan of least_busy's statement after the run (EXPLAIN ANALYZE, BUFFERS)")
    for line in plan:
        print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--creations", type=int, default=2000, help="measured creations (2000)")
    parser.add_argument("--calls", type=int, default=20_000, help="route() calls (20000)")
    parser.add_argument(
        "--db-calls", type=int, default=2000, help="calls of each database part (2000)"
    )
    parser.add_argument("--open", type=int, default=5000, help="earlier tickets (5000)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    machine_note()
    with throwaway_database("tickets", keep=args.keep_db) as db:
        setup_django()
        t0 = time.perf_counter()
        seeded = seed(orders=2 * args.creations + WARMUP, open_tickets=args.open)
        log(
            f"seeded {len(seeded['orders'])} orders, {args.open} earlier tickets, "
            f"{EXTRA_RULES} extra rules in {time.perf_counter() - t0:.1f} s"
        )
        from aftersales.tickets.models import Ticket

        vacuum_analyze(db)
        alone = parts_alone(seeded, args.calls, args.db_calls)
        before = Ticket.objects.count()
        whole = creations(seeded, args.creations)
        created = Ticket.objects.count() - before
        assert created == 2 * args.creations + WARMUP, created
        log(f"created {created} tickets through services.create_ticket")
        plan = least_busy_plan(seeded)
        report(alone, whole, plan)
        write_json(args.json, {"alone": alone, "create_ticket": whole, "least_busy_plan": plan})


if __name__ == "__main__":
    main()
