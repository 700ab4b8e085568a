"""Reads of tickets: the ticket body each party may see, and the filtered list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from aftersales.core.api import decode_cursor, encode_cursor, iso
from aftersales.core.errors import BadRequest
from aftersales.core.models import Event, User
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.tickets.access import party_of, visible_tickets
from aftersales.tickets.models import Ticket, TicketMessage, TicketTask, TicketType
from aftersales.tickets.services import allowed_actions


def ticket_body(ticket: Ticket, user: User, *, with_history: bool = True) -> dict[str, Any]:
    party = party_of(user, ticket)
    body: dict[str, Any] = {
        "ticket_no": ticket.ticket_no,
        "type": ticket.type,
        "subtype": ticket.subtype,
        "status": ticket.status,
        "priority": ticket.priority,
        "title": ticket.title,
        "description": ticket.description,
        "source": ticket.source,
        "order_sn": ticket.order.order_sn if ticket.order else None,
        "case_no": ticket.case.case_no if ticket.case else None,
        "shop": ticket.shop.code if ticket.shop else None,
        "carrier": ticket.carrier.code if ticket.carrier else None,
        "region": ticket.region,
        "amount_fen": ticket.amount_fen,
        "team": ticket.team,
        "assignee": ticket.assignee.username if ticket.assignee else None,
        "waiting_on": ticket.waiting_on or None,
        "escalated": ticket.escalated,
        "version": ticket.version,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
        "resolution": ticket.resolution,
        "allowed_actions": allowed_actions(ticket, party),
    }
    if not with_history:
        return body
    tasks = TicketTask.objects.filter(ticket=ticket).order_by("id")
    if party not in ("platform", None):
        tasks = tasks.filter(party=party)  # each party sees its own tasks
    body["tasks"] = [
        {
            "id": t.id,
            "party": t.party,
            "description": t.description,
            "due_at": iso(t.due_at),
            "done_at": iso(t.done_at),
        }
        for t in tasks
    ]
    deadlines = Deadline.objects.filter(
        subject_kind="ticket",
        subject_id=ticket.id,
        status__in=(DeadlineStatus.PENDING, DeadlineStatus.PAUSED),
    ).order_by("due_at")
    body["deadlines"] = (
        [
            {
                "name": d.name,
                "due_at": iso(d.due_at),
                "default_action": d.action,
                "rule": d.rule,
                "paused": d.status == DeadlineStatus.PAUSED,
            }
            for d in deadlines
        ]
        if party != "consumer"
        else []
    )
    messages = TicketMessage.objects.filter(ticket=ticket).select_related("author").order_by("id")
    body["messages"] = [
        {
            "id": m.id,
            "party": m.party,
            "author": m.author.username,
            "body": m.body,
            "at": iso(m.created_at),
            "internal": "consumer" not in m.visible_to,
        }
        for m in messages
        if party == "platform" or party in m.visible_to
    ]
    hidden = {m.id for m in messages if party != "platform" and party not in m.visible_to}
    body["events"] = [
        {
            "seq": e.seq,
            "at": iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "data": e.data,
            "hash": e.hash,
        }
        for e in Event.objects.filter(subject_kind="ticket", subject_key=ticket.ticket_no).order_by(
            "seq"
        )
        if e.data.get("message_id") not in hidden
    ]
    return body


def list_tickets(
    user: User,
    *,
    status: str | None = None,
    type: str | None = None,
    escalated: bool | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    tickets: QuerySet[Ticket] = visible_tickets(user)
    if status:
        tickets = tickets.filter(status=status)
    if type:
        if type not in TicketType.values:
            raise BadRequest(
                _("type must be one of: %(t)s.") % {"t": ", ".join(TicketType.values)},
                field="type",
            )
        tickets = tickets.filter(type=type)
    if escalated is not None:
        tickets = tickets.filter(escalated=escalated)
    if cursor:
        tickets = tickets.filter(id__lt=decode_cursor("t", cursor))
    page = list(
        tickets.select_related("order", "case", "shop", "carrier", "assignee").order_by("-id")[
            : limit + 1
        ]
    )
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [ticket_body(t, user, with_history=False) for t in page],
        "next_cursor": encode_cursor("t", page[-1].id) if more and page else None,
    }
