"""Ticket events in the parties' inboxes and to the shop's integrations (`ticket.<action>`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.api import iso
from aftersales.core.models import Event, Role, User
from aftersales.notify.services import notify_users, platform_agents, publish, shop_merchants
from aftersales.tickets.models import Ticket
from aftersales.tickets.presentation import ACTION_LABELS, STATUS_LABELS


def _audience(ticket: Ticket, *, internal: bool) -> list[User]:
    people: list[User] = []
    if ticket.consumer_id and not internal:
        people.append(ticket.consumer)  # type: ignore[arg-type]
    if ticket.shop_id:
        people += shop_merchants(ticket.shop_id)
    if ticket.carrier_id:
        people += list(
            User.objects.filter(role=Role.CARRIER, carrier_id=ticket.carrier_id, is_active=True)
        )
    if ticket.escalated or ticket.team == "platform":
        people += platform_agents()
    return people


def ticket_payload(ticket: Ticket, event: Event) -> dict[str, Any]:
    return {
        "ticket_no": ticket.ticket_no,
        "type": ticket.type,
        "subtype": ticket.subtype,
        "status": ticket.status,
        "priority": ticket.priority,
        "shop": ticket.shop.code if ticket.shop else None,
        "carrier": ticket.carrier.code if ticket.carrier else None,
        "order_sn": ticket.order.order_sn if ticket.order else None,
        "version": ticket.version,
        "action": event.action,
        "actor": event.actor,
        "at": iso(event.at),
        "escalated": ticket.escalated,
    }


def ticket_changed(ticket: Ticket, event: Event, now: dt.datetime) -> None:
    """Called by the ticket services inside their transaction after appending `event`."""
    internal = bool(event.data.get("internal"))
    actor = User.objects.filter(username=event.actor).only("id").first()
    audience = [
        u for u in _audience(ticket, internal=internal) if actor is None or u.id != actor.id
    ]
    with translation.override(settings.LANGUAGE_CODE):
        words = {
            "ticket_no": ticket.ticket_no,
            "action": str(ACTION_LABELS.get(event.action, event.action)),
            "status": str(STATUS_LABELS.get(ticket.status, ticket.status)),
            "title": ticket.title,
        }
        notify_users(
            audience,
            kind=f"ticket.{event.action}",
            subject_kind="ticket",
            subject_key=ticket.ticket_no,
            title=_("Ticket %(ticket_no)s: %(action)s") % words,
            body=_("%(title)s. Status: %(status)s.") % words,
            now=now,
            source_key=f"event:{event.id}",
        )
    if not internal:
        publish(
            shop_id=ticket.shop_id,
            event_type=f"ticket.{event.action}",
            payload=ticket_payload(ticket, event),
            event_id=event.id,
            now=now,
        )
