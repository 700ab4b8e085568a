"""Routing as data: which team gets a new ticket, at which priority, and who on that team."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from aftersales.core.models import Role, User
from aftersales.tickets.models import Priority, RoutingRule, Ticket

REPEAT_WINDOW = dt.timedelta(days=30)


@dataclass(frozen=True)
class Facts:
    """What routing conditions look at, gathered once per new ticket."""

    ticket_type: str
    subtype: str
    categories: frozenset[str]
    amount_fen: int | None
    shop_code: str
    region: str
    recent_contacts: int


@dataclass(frozen=True)
class Route:
    team: str
    priority: int
    rules: tuple[str, ...]


def _matches(rule: RoutingRule, facts: Facts) -> bool:
    checks = (
        not rule.ticket_type or rule.ticket_type == facts.ticket_type,
        not rule.subtype or rule.subtype == facts.subtype,
        not rule.category or rule.category in facts.categories,
        rule.min_amount_fen is None
        or (facts.amount_fen is not None and facts.amount_fen >= rule.min_amount_fen),
        not rule.shop_code or rule.shop_code == facts.shop_code,
        not rule.region or rule.region == facts.region,
        rule.min_recent_contacts is None or facts.recent_contacts >= rule.min_recent_contacts,
    )
    return all(checks)


def route(facts: Facts, rules: list[RoutingRule], *, default_team: str) -> Route:
    """Every matching rule applies in order: the first that names a team sets it, the first
    that names a priority sets it, and each may raise the priority further."""
    team = None
    priority = None
    raised = 0
    names = []
    for rule in rules:
        if not rule.active or not _matches(rule, facts):
            continue
        names.append(rule.name)
        team = team or rule.team or None
        priority = priority or rule.priority
        raised += rule.raise_priority_by
    base = priority or Priority.NORMAL
    return Route(
        team=team or default_team, priority=max(Priority.URGENT, base - raised), rules=tuple(names)
    )


def recent_contacts(consumer_id: int | None, now: dt.datetime) -> int:
    """The consumer's tickets in the last 30 days (repeat contacts raise priority)."""
    if consumer_id is None:
        return 0
    return Ticket.objects.filter(
        consumer_id=consumer_id, created_at__gte=now - REPEAT_WINDOW
    ).count()


def least_busy(team: str, ticket: Ticket) -> User | None:
    """The available staff member of the team with the fewest open tickets assigned."""
    staff = User.objects.filter(is_active=True, available=True)
    if team == "shop":
        if ticket.shop_id is None:
            return None
        staff = staff.filter(role=Role.MERCHANT, shop_id=ticket.shop_id)
    elif team == "carrier":
        if ticket.carrier_id is None:
            return None
        staff = staff.filter(role=Role.CARRIER, carrier_id=ticket.carrier_id)
    else:
        staff = staff.filter(role=Role.AGENT)
    return (
        staff.annotate(
            open_work=Count("assigned_tickets", filter=Q(assigned_tickets__is_open=True))
        )
        .order_by("open_work", "id")
        .first()
    )
