"""Taking an action on a ticket (a party's or a fired SLA timer's): the workflow table decides
who may, the handler does it, and one chained event records it, in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from aftersales.core import clock, eventlog
from aftersales.core.errors import BadRequest, Conflict, Forbidden
from aftersales.core.models import User
from aftersales.deadlines import services as deadlines
from aftersales.deadlines.models import Deadline
from aftersales.notify.tickets import ticket_changed
from aftersales.tickets.access import access_ticket, party_of
from aftersales.tickets.models import Ticket
from aftersales.tickets.services.creation import SYSTEM_ACTOR
from aftersales.tickets.services.handlers import HANDLERS
from aftersales.tickets.workflow import (
    ACTIONS,
    REOPEN_WITHIN,
    TRANSITIONS,
    TicketTransition,
    transition_for,
)


def _check_fields(transition: TicketTransition, fields: dict[str, Any]) -> dict[str, Any]:
    allowed = set(transition.fields) | set(transition.optional)
    for name in fields:
        if name not in allowed:
            raise BadRequest(
                _("Unknown field %(f)s for action %(a)s.") % {"f": name, "a": transition.action},
                field=name,
            )
    for name in transition.fields:
        if fields.get(name) in (None, ""):
            raise BadRequest(_("%(f)s is required.") % {"f": name}, field=name)
    limits = {name: (1, 5000) for name in ("body", "resolution", "reason")}
    limits.update({name: (low, high) for name, low, high in transition.text_limits})
    for name, (low, high) in limits.items():
        value = fields.get(name)
        if value is not None and (not isinstance(value, str) or not low <= len(value) <= high):
            raise BadRequest(
                _("%(f)s must be %(low)d to %(high)d characters.")
                % {"f": name, "low": low, "high": high},
                field=name,
                params={"min_length": low, "max_length": high},
            )
    return fields


def _select(ticket: Ticket, party: str | None, action: str) -> TicketTransition:
    transition = transition_for(action)
    if transition is None or action not in ACTIONS:
        raise BadRequest(
            _("Unknown action %(a)s.") % {"a": action}, code="unknown_action", field="action"
        )
    if party is None or party not in transition.by:
        raise Forbidden(
            _("You may not take the action %(a)s.") % {"a": action}, code="forbidden_party"
        )
    if transition.guard == "owner" and not owns(ticket, party):
        raise Forbidden(
            _("Only the team handling this ticket may do that; your part is your task."),
            code="not_owner",
        )
    if transition.only_types and ticket.type not in transition.only_types:
        raise Conflict(
            _("Action %(a)s is not for %(t)s tickets.") % {"a": action, "t": ticket.type},
            code="wrong_type",
        )
    if ticket.status not in transition.sources:
        raise Conflict(
            _("Action %(a)s is not possible while the ticket is %(s)s.")
            % {"a": action, "s": ticket.status},
            code="wrong_status",
        )
    return transition


def allowed_actions(ticket: Ticket, party: str | None) -> list[str]:
    return [
        t.action
        for t in TRANSITIONS
        if party in t.by
        and party != "system"
        and ticket.status in t.sources
        and (not t.only_types or ticket.type in t.only_types)
        and _guard_ok(t, ticket, clock.now(), party)
    ]


def owns(ticket: Ticket, party: str | None) -> bool:
    """The platform owns every ticket; a shop or carrier the one routed (or assigned) to it."""
    return party == "platform" or (party in ("shop", "carrier") and ticket.team == party)


def _guard_ok(
    transition: TicketTransition, ticket: Ticket, now: dt.datetime, party: str | None
) -> bool:
    if transition.guard == "not_escalated":
        return not ticket.escalated
    if transition.guard == "owner":
        return owns(ticket, party)
    if transition.guard == "within_reopen_window":
        return ticket.resolved_at is not None and now <= REOPEN_WITHIN.due(ticket.resolved_at)
    return True


def perform(
    actor: User,
    *,
    ticket_no: str,
    action: str,
    fields: dict[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    now = now or clock.now()
    with transaction.atomic():
        ticket = access_ticket(actor, ticket_no, for_update=True)
        if expected_version is not None and expected_version != ticket.version:
            raise Conflict(
                _("The ticket has changed (version %(v)d); reload it and try again.")
                % {"v": ticket.version},
                code="stale_version",
                field="If-Match",
            )
        party = party_of(actor, ticket)
        transition = _select(ticket, party, action)
        cleaned = _check_fields(transition, dict(fields))
        if not _guard_ok(transition, ticket, now, party):
            raise Conflict(
                _("Action %(a)s is not possible on this ticket now.") % {"a": action},
                code="guard_failed",
            )
        _apply(ticket, transition, cleaned, actor=actor, party=party or "", now=now)
    return ticket


def fire_deadline(deadline: Deadline, now: dt.datetime) -> bool:
    """An SLA warning or breach, or the automatic close of a resolved ticket."""
    ticket = (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(id=deadline.subject_id)
        .first()
    )
    if ticket is None:
        if Ticket.objects.filter(id=deadline.subject_id).exists():
            return False
        deadlines.cancel(deadline)
        return True
    transition = transition_for(deadline.action)
    if (
        transition is None
        or ticket.status not in transition.sources
        or not _guard_ok(transition, ticket, now, "system")
    ):
        deadlines.cancel(deadline)  # a breach on an escalated ticket, a close after reopen…
        return True
    _apply(
        ticket,
        transition,
        {"deadline": deadline.name},
        actor=None,
        party="system",
        now=now,
        deadline=deadline,
    )
    return True


_TRACKED = [
    f.name for f in Ticket._meta.concrete_fields if f.name not in ("id", "event_seq", "event_head")
]


def _apply(
    ticket: Ticket,
    transition: TicketTransition,
    fields: dict[str, Any],
    *,
    actor: User | None,
    party: str,
    now: dt.datetime,
    deadline: Deadline | None = None,
) -> None:
    before = model_to_dict(ticket, fields=_TRACKED)
    source = ticket.status
    data: dict[str, Any] = {"from": source, "party": party}
    handler = HANDLERS[transition.action]
    target = handler(ticket, fields, actor=actor, party=party, now=now, data=data)
    target = target or transition.target
    if deadline is not None:
        deadlines.mark_fired(deadline, now=now)
        data["rule"] = deadline.rule
        data["deadline"] = deadline.name
    if target and target != source:
        ticket.status = target
        data["to"] = target
        ticket.is_open = target not in ("resolved", "closed")
    ticket.version += 1
    ticket.updated_at = now
    event = eventlog.append(
        ticket,
        actor=actor.username if actor else SYSTEM_ACTOR,
        action=transition.action,
        data=data,
        at=now,
    )
    after = model_to_dict(ticket, fields=_TRACKED)
    changed = [name for name in _TRACKED if before[name] != after[name]]
    ticket.save(update_fields=[*changed, "event_seq", "event_head"])
    ticket_changed(ticket, event, now)
