"""Loads the demo marketplace through the real services only.

Every demo case is driven to its status by the actions of `data.ROUTES`: people act through
`cases.services.perform_action` and timers fire through the deadline sweeper, with the clock
frozen at planned instants spread over the past weeks. A route is planned before it is
driven: a pure simulation over the workflow table (the engine decides each move) places
every step so that people act before their deadlines, timers fire a few minutes after they
fall due, and a case left in a status with timers still has them pending after the real now.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from aftersales.cases import engine, policy
from aftersales.cases.models import Case
from aftersales.cases.services import create_case, perform_action
from aftersales.cases.workflows import WORKFLOWS, workflow_for
from aftersales.cases.workflows.base import Timer, Workflow
from aftersales.catalog.services import create_carrier, create_shop
from aftersales.core import clock
from aftersales.core.models import Event, Role, User
from aftersales.core.money import percent_of
from aftersales.core.periods import local_date
from aftersales.core.services import create_user
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.demo import data
from aftersales.demo.data import Percent, Route, ShopSpec, Step
from aftersales.orders.services import ItemSpec, create_order

DEMO_SHOP_CODES = tuple(shop.code for shop in data.SHOPS)
SHIPPING_ACTIONS = frozenset(
    {"ship_return", "ship_repaired", "ship_back", "ship_replacement", "ship_resend"}
)
# Actions whose `reason` (required or optional) a person writes from a TEXTS pool.
REASON_ACTIONS = frozenset(
    {
        "refuse",
        "refuse_return",
        "request_intervention",
        "report_problem",
        "report_not_received",
        "report_breach",
        "cancel",
        "intervene",
    }
)
# Preferred hours between a person's actions, by who acts (clipped to fit the deadline).
GAP_HOURS = {"consumer": (2.0, 60.0), "merchant": (1.0, 30.0), "agent": (1.0, 12.0)}
HOUR = dt.timedelta(hours=1)


class DemoError(Exception):
    """The demo could not be loaded as planned (a route no longer fits its workflow)."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    shop: str  # the code of the merchant's shop or of the carrier's company, else ""
    token: str


@dataclass(frozen=True)
class DemoSummary:
    accounts: list[DemoAccount]
    shops: int
    carriers: int
    orders: int
    cases: int
    events: int


@dataclass(frozen=True)
class _Draw:
    """The random choices of one step, fixed while its route is being placed in time."""

    gap: dt.timedelta  # a person's preferred delay after the previous step
    morning: dt.timedelta  # people act from 08:00 plus this
    sweeper_delay: dt.timedelta  # a timer fires this long after it falls due


@dataclass(frozen=True)
class _Plan:
    times: list[dt.datetime]  # creation, then one instant per step
    statuses: list[str]  # the status after creation, then after each step
    pending: list[dt.datetime]  # due times of the timers left pending at the end


def demo_loaded() -> bool:
    from aftersales.catalog.models import Shop

    return Shop.objects.filter(code__in=DEMO_SHOP_CODES).exists()


def check_routes() -> None:
    """Every status of every workflow table has at least one demo route, and no more."""
    for case_type, workflow in WORKFLOWS.items():
        routed = set(data.ROUTES.get(case_type, {}))
        missing, unknown = set(workflow.statuses) - routed, routed - set(workflow.statuses)
        if missing or unknown:
            raise DemoError(
                f"demo routes of {case_type}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )


def load(*, seed: int = 2026, now: dt.datetime | None = None) -> DemoSummary:
    """Load the whole demo in one transaction, relative to `now` (default: the clock)."""
    now = now or clock.now()
    check_routes()
    overdue = Deadline.objects.filter(status=DeadlineStatus.PENDING, due_at__lte=now).count()
    if overdue:
        # The demo sweeps in the past; it must not fire anyone else's overdue deadlines.
        raise DemoError(f"{overdue} deadlines are overdue: run `aftersales sweep` first.")
    with transaction.atomic():
        return _Loader(random.Random(seed), now).run()


class _Loader:
    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.zone = clock.platform_zone()
        self.order_sns: set[str] = set()
        self.orders = 0
        self.case_nos: list[str] = []
        self.accounts: list[DemoAccount] = []
        self.users: dict[str, User] = {}

    # --- reference data and people ------------------------------------------------------

    def run(self) -> DemoSummary:
        opened = self.now - dt.timedelta(days=400)
        for spec in data.SHOPS:
            create_shop(
                code=spec.code,
                name=spec.name,
                balance_fen=spec.balance_fen,
                return_address=spec.return_address,
                now=opened,
            )
        for code, name in data.CARRIERS:
            create_carrier(code=code, name=name)
        for username, role, display_name in data.STAFF:
            self._user(username, role, display_name, joined=opened)
        for spec in data.SHOPS:
            self._user(
                spec.merchant, Role.MERCHANT, spec.merchant_name, joined=opened, shop=spec.code
            )
        for username, display_name in data.CONSUMERS:
            joined = self.now - dt.timedelta(days=self.rng.uniform(60, 900))
            self._user(username, Role.CONSUMER, display_name, joined=joined)
        for code, name in data.CARRIERS:
            self._user(
                data.CARRIER_DESKS[code], Role.CARRIER, f"{name}客服", joined=opened, carrier=code
            )
        self._cases()
        for _ in range(data.EXTRA_ORDERS):
            self._extra_order()
        return DemoSummary(
            accounts=self.accounts,
            shops=len(data.SHOPS),
            carriers=len(data.CARRIERS),
            orders=self.orders,
            cases=len(self.case_nos),
            events=Event.objects.filter(subject_kind="case", subject_key__in=self.case_nos).count(),
        )

    def _user(
        self,
        username: str,
        role: str,
        display_name: str,
        *,
        joined: dt.datetime,
        shop: str | None = None,
        carrier: str | None = None,
    ) -> None:
        user, token = create_user(
            username=username,
            role=role,
            shop=shop,
            carrier=carrier,
            password=data.DEMO_PASSWORD,
            display_name=display_name,
            now=joined,
        )
        self.users[username] = user
        self.accounts.append(DemoAccount(username, role, shop or carrier or "", token))

    # --- orders ---------------------------------------------------------------------------

    def _hours(self, lo: float, hi: float) -> dt.timedelta:
        return dt.timedelta(hours=self.rng.uniform(lo, hi))

    def _tracking_no(self, carrier: str) -> str:
        prefix, digits = data.TRACKING_FORMATS[carrier]
        return prefix + "".join(self.rng.choice("0123456789") for _ in range(digits))

    def _order_sn(self, paid_at: dt.datetime) -> str:
        while True:
            order_sn = f"{local_date(paid_at):%y%m%d}-{self.rng.randrange(10**14, 10**15)}"
            if order_sn not in self.order_sns:
                self.order_sns.add(order_sn)
                return order_sn

    def _order(
        self,
        *,
        shop: ShopSpec,
        consumer: str,
        categories: Sequence[str],
        paid_at: dt.datetime,
        shipped_at: dt.datetime | None,
        received_at: dt.datetime | None,
    ) -> str:
        items = []
        for n, category in enumerate(categories, start=1):
            title, price_fen = self.rng.choice(data.PRODUCTS[category])
            quantity = self.rng.choice((1, 1, 1, 2)) if price_fen < 10_000 else 1
            items.append(
                ItemSpec(
                    sku=f"{shop.code}-{zlib.crc32(title.encode()) % 10**6:06d}-{n}",
                    title=title,
                    category=category,
                    quantity=quantity,
                    unit_price_fen=price_fen,
                )
            )
        carrier = self.rng.choice(data.CARRIERS)[0] if shipped_at else None
        order = create_order(
            order_sn=self._order_sn(paid_at),
            shop=shop.code,
            consumer=consumer,
            items=items,
            amount_fen=sum(i.unit_price_fen * i.quantity for i in items),
            paid_at=paid_at,
            shipped_at=shipped_at,
            received_at=received_at,
            carrier=carrier,
            tracking_no=self._tracking_no(carrier) if carrier else "",
            region=self.rng.choice(data.REGIONS),
            # One phone per consumer, from their name (the random sequence stays as it was).
            phone=f"13{zlib.crc32(consumer.encode()) % 10**9:09d}",
            now=paid_at,
        )
        self.orders += 1
        return order.order_sn

    def _extra_order(self) -> None:
        shop = self.rng.choice(data.SHOPS)
        consumer = self.rng.choice(data.CONSUMERS)[0]
        categories = self.rng.sample(shop.categories, self.rng.choice((1, 1, 1, 2)))
        state = self.rng.choices(("paid", "shipped", "received"), weights=(1, 2, 7))[0]
        if state == "paid":
            paid_at, shipped_at, received_at = self.now - self._hours(1, 40), None, None
        elif state == "shipped":
            shipped_at = self.now - self._hours(3, 72)
            paid_at, received_at = shipped_at - self._hours(2, 30), None
        else:
            received_at = self.now - dt.timedelta(days=self.rng.uniform(0.5, 120))
            shipped_at = received_at - self._hours(20, 72)
            paid_at = shipped_at - self._hours(2, 30)
        self._order(
            shop=shop,
            consumer=consumer,
            categories=categories,
            paid_at=paid_at,
            shipped_at=shipped_at,
            received_at=received_at,
        )

    def _case_order(
        self, case_type: str, route: Route, reason: str, consumer: str, filed_at: dt.datetime
    ) -> str:
        category = self.rng.choice(data.CASE_CATEGORIES[case_type])
        shop = self.rng.choice([s for s in data.SHOPS if category in s.categories])
        shipped_at = received_at = None
        if route.order_state == "paid":
            paid_at = filed_at - self._hours(1, 20)
        elif route.order_state == "shipped":
            shipped_at = filed_at - self._hours(30, 80)
            paid_at = shipped_at - self._hours(2, 30)
        else:
            # Within the type's window after receipt: 7 days for no-reason returns, 15 for
            # the others, 365 for repair (rule 2.1).
            window = {"repair": (3, 150)}.get(case_type, (0.3, 5 if reason == "no_reason" else 12))
            received_at = filed_at - dt.timedelta(days=self.rng.uniform(*window))
            shipped_at = received_at - self._hours(20, 72)
            paid_at = shipped_at - self._hours(2, 30)
        return self._order(
            shop=shop,
            consumer=consumer,
            categories=[category],
            paid_at=paid_at,
            shipped_at=shipped_at,
            received_at=received_at,
        )

    # --- cases ----------------------------------------------------------------------------

    def _cases(self) -> None:
        consumers = [username for username, _ in data.CONSUMERS]
        self.rng.shuffle(consumers)
        next_consumer = itertools.cycle(consumers)
        for case_type, routes in data.ROUTES.items():
            for status, variants in routes.items():
                for route in variants:
                    self._case(case_type, status, route, next(next_consumer))

    def _case(self, case_type: str, status: str, route: Route, consumer: str) -> None:
        plan = self._place(case_type, status, route)
        reason = route.reason or self.rng.choice(data.CASE_REASONS[case_type])
        order_sn = self._case_order(case_type, route, reason, consumer, plan.times[0])
        with clock.frozen_at(plan.times[0]):
            case = create_case(
                self.users[consumer],
                order_sn=order_sn,
                type=case_type,
                reason=reason,
                description=self.rng.choice(data.DESCRIPTIONS[reason]),
            )
        self.case_nos.append(case.case_no)
        merchant = next(s.merchant for s in data.SHOPS if s.code == case.shop.code)
        actors = {"consumer": consumer, "merchant": merchant, "agent": "agent"}
        for step, at, expected in zip(route.steps, plan.times[1:], plan.statuses[1:], strict=True):
            with clock.frozen_at(at):
                if step.actor == "system":
                    self._fire(case, step)
                else:
                    case = perform_action(
                        self.users[actors[step.actor]],
                        case_no=case.case_no,
                        action=step.action,
                        fields_in=self._fields(step, case),
                    )
            case.refresh_from_db()
            if case.status != expected:
                raise DemoError(
                    f"{case_type} route to {status}: {step.action} left the case "
                    f"{case.status}, planned {expected}"
                )
        pending = Deadline.objects.filter(
            subject_kind="case", subject_id=case.id, status=DeadlineStatus.PENDING
        )
        if case.status != status or pending.filter(due_at__lte=self.now).exists():
            raise DemoError(
                f"{case_type} route to {status} ended in {case.status} with "
                f"{pending.count()} pending deadlines"
            )

    def _fire(self, case: Case, step: Step) -> None:
        result = sweep()
        last = Event.objects.filter(subject_kind="case", subject_key=case.case_no).latest("seq")
        if (
            result.fired != 1
            or result.failed
            or (last.actor, last.action) != ("system", step.action)
        ):
            raise DemoError(
                f"case {case.case_no}: the {step.action} timer did not fire alone "
                f"(fired {result.fired}, failed {result.failed})"
            )

    def _fields(self, step: Step, case: Case) -> dict[str, object]:
        fields: dict[str, object] = {
            name: percent_of(case.amount_fen, value.value) if isinstance(value, Percent) else value
            for name, value in step.fields.items()
        }
        pick = self.rng.choice
        if step.action in SHIPPING_ACTIONS and "carrier" not in fields:
            carrier = pick(data.CARRIERS)[0]
            fields.update(carrier=carrier, tracking_no=self._tracking_no(carrier))
        if step.action in REASON_ACTIONS:
            fields.setdefault("reason", pick(data.TEXTS[step.action]))
        if step.action == "inspect" and fields["result"] == "fails":
            fields.setdefault("report", pick(data.TEXTS["inspection_report"]))
        if step.action == "negotiate":
            fields.setdefault("terms", pick(data.TEXTS["terms"]))
        if step.action == "rule":
            fields.setdefault("note", pick(data.TEXTS["note"]))
        if step.action == "reapply":
            fields.setdefault("description", pick(data.TEXTS["reapply"]))
        return fields

    # --- placing a route in time ------------------------------------------------------------

    def _place(self, case_type: str, status: str, route: Route) -> _Plan:
        """Instants for the route's steps, ending in the past; a status with timers ends
        recently enough that its deadlines are still ahead of the real now."""
        workflow = workflow_for(case_type)
        timed = bool(workflow.timers_in(status))
        for _attempt in range(25):
            if timed:
                final_at = self.now - self._hours(0.3, 12)
            elif workflow.is_terminal(status):
                final_at = self.now - self._hours(3, 20 * 24)
            else:
                final_at = self.now - self._hours(1, 4 * 24)
            draws = [self._draw(step) for step in route.steps]
            # Some hours before the latest fitting start: right at it, a step would sit just
            # before a midnight that moves a later timer by a day.
            start = self._latest_start(workflow, route, draws, final_at) - self._hours(0, 6)
            plan = self._simulate(workflow, route, draws, start)
            if plan.times[-1] < self.now - dt.timedelta(minutes=1) and all(
                due > self.now + HOUR for due in plan.pending
            ):
                return plan
        raise DemoError(f"no timeline fits the {case_type} route to {status}")

    def _draw(self, step: Step) -> _Draw:
        lo, hi = GAP_HOURS.get(step.actor, (0, 0))
        return _Draw(
            gap=self._hours(lo, hi),
            morning=dt.timedelta(minutes=self.rng.randint(0, 150)),
            sweeper_delay=dt.timedelta(seconds=self.rng.randint(20, 600)),
        )

    def _latest_start(
        self, workflow: Workflow, route: Route, draws: list[_Draw], final_at: dt.datetime
    ) -> dt.datetime:
        """The latest creation instant whose route ends by `final_at` (the last instant grows
        with the creation instant, so bisection finds it)."""
        early, late = final_at - dt.timedelta(days=60), final_at
        if self._simulate(workflow, route, draws, early).times[-1] > final_at:
            raise DemoError(f"a {workflow.type} route takes more than 60 days")
        for _ in range(36):
            middle = early + (late - early) / 2
            if self._simulate(workflow, route, draws, middle).times[-1] <= final_at:
                early = middle
            else:
                late = middle
        return early

    def _simulate(
        self, workflow: Workflow, route: Route, draws: list[_Draw], start: dt.datetime
    ) -> _Plan:
        case = Case(type=workflow.type, status="awaiting_merchant")  # never saved
        at = start
        pending = self._timers(workflow, case, at)
        times, statuses = [at], [case.status]
        for step, draw in zip(route.steps, draws, strict=True):
            fields = step.fields
            if step.actor == "system":
                timer, due = next((t, d) for t, d in pending if t.fire == step.action)
                at, fields = due + draw.sweeper_delay, timer.params
            else:
                at = self._person_acts(at, draw, [d for _, d in pending])
            transition = engine.select_transition(case, step.actor, step.action, fields)
            effects = set(transition.effects)
            if "record_return_shipment" in effects:
                case.return_shipped_at = case.repair_period_start = at
            if "sign" in effects and case.signed_at is None:
                case.signed_at = at
            if "restart_repair_period" in effects:
                case.repair_period_start = at
            if "shorten_merchant_deadline" in effects:
                shortened = at + dt.timedelta(hours=step.fields["remaining_hours"])
                pending = [
                    (t, shortened if t.name == "merchant_response_deadline" else d)
                    for t, d in pending
                ]
            if transition.target is not None:
                case.status = transition.target
                pending = self._timers(workflow, case, at)
            times.append(at)
            statuses.append(case.status)
        return _Plan(times, statuses, [due for _, due in pending])

    def _person_acts(
        self, after: dt.datetime, draw: _Draw, deadlines: list[dt.datetime]
    ) -> dt.datetime:
        at = after + draw.gap
        local = at.astimezone(self.zone)
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0) + draw.morning
        at = max(at, morning.astimezone(dt.UTC))
        if deadlines:  # well before the deadline, as most people act
            at = min(at, after + (min(deadlines) - after) * 0.8)
        return at

    @staticmethod
    def _timers(
        workflow: Workflow, case: Case, entered: dt.datetime
    ) -> list[tuple[Timer, dt.datetime]]:
        timers = []
        for timer in workflow.timers_in(case.status):
            anchor = entered
            if timer.anchor == "repair_period_start" and case.repair_period_start is not None:
                anchor = case.repair_period_start
            timers.append((timer, timer.after.due(anchor, policy.period_amount(timer.after))))
        return timers
