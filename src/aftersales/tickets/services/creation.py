"""Opening a ticket: by a consumer on their own order, by a platform agent, or by the
monitoring job. The ticket's parties come from its order or the platform, never the requester."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.catalog.models import Carrier, Shop
from aftersales.core import clock, eventlog
from aftersales.core.errors import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from aftersales.core.models import Role, User
from aftersales.core.periods import local_date
from aftersales.notify.tickets import ticket_changed
from aftersales.orders.models import Order
from aftersales.tickets import routing, sla
from aftersales.tickets.models import SUBTYPES, Ticket, TicketTask, TicketType

SYSTEM_ACTOR = "system"

LOGISTICS_TASKS = {
    "shop": gettext_lazy("Check the shipment and tell the consumer what happens next"),
    "carrier": gettext_lazy("Locate the parcel and report its state"),
}


def _new_ticket_no(now: dt.datetime) -> str:
    return f"TK{local_date(now):%y%m%d}{secrets.randbelow(10**10):010d}"


def _facts(ticket: Ticket, order: Order | None, now: dt.datetime) -> routing.Facts:
    categories: frozenset[str] = frozenset()
    if order is not None:
        categories = frozenset(order.items.values_list("category__name", flat=True))
    return routing.Facts(
        ticket_type=ticket.type,
        subtype=ticket.subtype,
        categories=categories,
        amount_fen=ticket.amount_fen,
        shop_code=ticket.shop.code if ticket.shop else "",
        region=ticket.region,
        recent_contacts=routing.recent_contacts(ticket.consumer_id, now),
    )


def create_ticket(
    actor: User | None,
    *,
    type: str,
    subtype: str,
    title: str,
    description: str = "",
    order_sn: str | None = None,
    amount_fen: int | None = None,
    shop: str | None = None,
    carrier: str | None = None,
    region: str = "",
    monitor_key: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket. A consumer opens one on their own order; an agent or the monitoring job
    (actor None) may name the shop and carrier directly."""
    now = now or clock.now()
    if type not in TicketType.values:
        raise BadRequest(
            _("type must be one of: %(t)s.") % {"t": ", ".join(TicketType.values)}, field="type"
        )
    if subtype not in SUBTYPES[type]:
        raise BadRequest(
            _("subtype must be one of: %(t)s.") % {"t": ", ".join(SUBTYPES[type])}, field="subtype"
        )
    if actor is not None and actor.role not in (Role.CONSUMER, Role.AGENT, Role.ADMIN):
        raise Forbidden(
            _("Only consumers and platform agents open tickets."), code="forbidden_role"
        )
    source = (
        "monitoring" if actor is None else ("consumer" if actor.role == Role.CONSUMER else "agent")
    )
    order = None
    if order_sn:
        orders = Order.objects.select_related("shop", "carrier")
        if actor is not None and actor.role == Role.CONSUMER:
            orders = orders.filter(consumer_id=actor.id)
        order = orders.filter(order_sn=order_sn).first()
        if order is None:
            raise NotFound(_("Order %(o)s not found.") % {"o": order_sn}, field="order_sn")
    elif actor is not None and actor.role == Role.CONSUMER and type in ("logistics", "quality"):
        raise BadRequest(_("A logistics or quality ticket needs its order."), field="order_sn")
    shop_row = order.shop if order else (Shop.objects.filter(code=shop).first() if shop else None)
    if shop and shop_row is None:
        raise RuleViolation(
            _("Unknown shop %(s)s.") % {"s": shop}, code="unknown_shop", field="shop"
        )
    carrier_row = None
    if type == "logistics":
        carrier_row = order.carrier if order else None
        if carrier:
            carrier_row = Carrier.objects.filter(code=carrier).first()
            if carrier_row is None:
                raise RuleViolation(
                    _("Unknown carrier %(c)s.") % {"c": carrier},
                    code="unknown_carrier",
                    field="carrier",
                )
    consumer = (
        order.consumer
        if order
        else (actor if actor is not None and actor.role == Role.CONSUMER else None)
    )
    ticket = Ticket(
        ticket_no=_new_ticket_no(now),
        type=type,
        subtype=subtype,
        status="open",
        title=title,
        description=description,
        source=source,
        order=order,
        consumer=consumer,
        shop=shop_row,
        carrier=carrier_row,
        region=region or (order.region if order else ""),
        amount_fen=amount_fen if amount_fen is not None else (order.amount_fen if order else None),
        monitor_key=monitor_key,
        created_at=now,
        updated_at=now,
        team="platform",
    )
    default_team = "shop" if shop_row else ("carrier" if carrier_row else "platform")
    chosen = routing.route(
        _facts(ticket, order, now), list(_active_rules()), default_team=default_team
    )
    ticket.team = _available_team(chosen.team, ticket)
    ticket.priority = chosen.priority
    ticket.routing_rule = ", ".join(chosen.rules)[:80]
    with transaction.atomic():
        try:
            with transaction.atomic():
                ticket.save()
        except IntegrityError as error:
            raise Conflict(
                _("A monitoring ticket for this is already open."),
                code="duplicate_ticket",
                field="monitor_key",
            ) from error
        ticket.assignee = routing.least_busy(ticket.team, ticket)
        _open_tasks(ticket, now)
        sla.start(ticket, now)
        created = eventlog.append(
            ticket,
            actor=actor.username if actor else SYSTEM_ACTOR,
            action="create",
            at=now,
            data={
                "type": type,
                "subtype": subtype,
                "to": "open",
                "team": ticket.team,
                "priority": ticket.priority,
                "routing": list(chosen.rules),
                "assignee": ticket.assignee.username if ticket.assignee else None,
                "source": source,
            },
        )
        ticket.save(update_fields=["assignee", "event_seq", "event_head"])
        ticket_changed(ticket, created, now)
    return ticket


def _active_rules():
    from aftersales.tickets.models import RoutingRule

    return RoutingRule.objects.filter(active=True).order_by("position", "id")


def _available_team(team: str, ticket: Ticket) -> str:
    """A team that cannot exist on this ticket (no shop, no carrier) falls to the platform."""
    if team == "shop" and ticket.shop is None:
        return "carrier" if ticket.carrier is not None else "platform"
    if team == "carrier" and ticket.carrier is None:
        return "platform"
    return team


def _open_tasks(ticket: Ticket, now: dt.datetime) -> None:
    """A logistics ticket gives the shop and the carrier a task each (seed 001)."""
    if ticket.type != "logistics":
        return
    due = now + dt.timedelta(hours=sla.target_for(ticket).first_response_hours)
    for party, description in LOGISTICS_TASKS.items():
        if party == "carrier" and ticket.carrier is None:
            continue
        TicketTask.objects.create(
            ticket=ticket, party=party, description=str(description), due_at=due, created_at=now
        )
