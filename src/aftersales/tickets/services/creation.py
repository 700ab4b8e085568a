"""Opening a ticket: by a consumer on their own order, by a platform agent, or by the
monitoring job. The ticket's parties come from its order or the platform, never the requester."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.cases import attachments
from aftersales.core import clock, eventlog
from aftersales.core.errors import BadRequest, Conflict, Forbidden
from aftersales.core.models import Role, User
from aftersales.core.periods import local_date
from aftersales.notify.tickets import ticket_changed
from aftersales.orders.models import Order
from aftersales.tickets import routing, sla
from aftersales.tickets.models import SUBTYPES, RoutingRule, Ticket, TicketTask, TicketType
from aftersales.tickets.services.parties import resolve_parties

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
    photos: list[UploadedFile] | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket. A consumer opens one on their own order (an inquiry may have none); an
    agent or the monitoring job (actor None) may name the shop and carrier of a ticket without
    an order. Parties and amount: `parties.resolve_parties`. `photos` (a damaged product) are
    checked and stored like a case's: images only, 5 MB and at most 9; none is kept if one is
    refused."""
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
    parties = resolve_parties(
        actor,
        type=type,
        order_sn=order_sn,
        amount_fen=amount_fen,
        shop=shop,
        carrier=carrier,
    )
    order = parties.order
    ticket = Ticket(
        ticket_no=_new_ticket_no(now),
        type=type,
        subtype=subtype,
        status="open",
        title=title,
        description=description,
        source=source,
        order=order,
        consumer=parties.consumer,
        shop=parties.shop,
        carrier=parties.carrier,
        region=region or (order.region if order else ""),
        amount_fen=parties.amount_fen,
        monitor_key=monitor_key,
        created_at=now,
        updated_at=now,
        team="platform",
    )
    default_team = "shop" if parties.shop else ("carrier" if parties.carrier else "platform")
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
        if photos:
            if actor is None:
                raise BadRequest(_("Only a person sends photos."), field="photos")
            stored = attachments.store(photos, user=actor, case=None, now=now, field="photos")
            ticket.photos.set(stored)
        ticket.assignee = routing.least_busy(ticket.team, ticket)
        first_response_due = sla.start(ticket, now)
        _open_tasks(ticket, now, due=first_response_due)
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
                **({"photos": len(photos)} if photos else {}),
            },
        )
        ticket.save(update_fields=["assignee", "event_seq", "event_head"])
        ticket_changed(ticket, created, now)
    return ticket


def _active_rules():
    return RoutingRule.objects.filter(active=True).order_by("position", "id")


def _available_team(team: str, ticket: Ticket) -> str:
    """A team that cannot exist on this ticket (no shop, no carrier) falls to the platform."""
    if team == "shop" and ticket.shop is None:
        return "carrier" if ticket.carrier is not None else "platform"
    if team == "carrier" and ticket.carrier is None:
        return "platform"
    return team


def _open_tasks(ticket: Ticket, now: dt.datetime, *, due: dt.datetime | None) -> None:
    """A logistics ticket gives the shop and the carrier a task each (seed 001), due with the
    first response: the SLA's own deadline row, not a second computation of it."""
    if ticket.type != "logistics":
        return
    for party, description in LOGISTICS_TASKS.items():
        if party == "carrier" and ticket.carrier is None:
            continue
        TicketTask.objects.create(
            ticket=ticket, party=party, description=str(description), due_at=due, created_at=now
        )
