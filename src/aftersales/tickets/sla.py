"""SLA targets as deadline rows of the one deadline engine: warnings before, escalation on
breach; paused while the ticket waits on the consumer."""

from __future__ import annotations

import datetime as dt

from aftersales.core.periods import days, hours
from aftersales.deadlines import services as deadlines
from aftersales.tickets.models import SlaTarget, Ticket

FIRST_RESPONSE = ("first_response_warning", "first_response_breach")
RESOLUTION = ("resolution_warning", "resolution_breach")

# Used when no target row matches (an operator deleted it): a day to answer, a week to solve.
FALLBACK = SlaTarget(first_response_hours=24, resolution_days=7, warn_before_minutes=120)


def target_for(ticket: Ticket) -> SlaTarget:
    return (
        SlaTarget.objects.filter(ticket_type=ticket.type, priority=ticket.priority).first()
        or FALLBACK
    )


def _schedule(
    ticket: Ticket, name: str, action: str, due: dt.datetime, rule: str, now: dt.datetime
) -> None:
    deadlines.schedule(
        subject_kind="ticket",
        subject_id=ticket.id,
        name=name,
        in_status="*",
        due_at=due,
        action=action,
        params={},
        rule=rule,
        now=now,
    )


def start(ticket: Ticket, now: dt.datetime, *, first_response: bool = True) -> dt.datetime | None:
    """Schedule the SLA deadlines of a new (or reopened) ticket; the first response's due
    time (None when not scheduled), for what is due with it."""
    target = target_for(ticket)
    warn = dt.timedelta(minutes=target.warn_before_minutes)
    label = f"SLA {ticket.type} P{ticket.priority}"
    due = None
    if first_response:
        due = hours(target.first_response_hours).due(now)
        _schedule(ticket, FIRST_RESPONSE[0], "sla_warning", due - warn, label, now)
        _schedule(ticket, FIRST_RESPONSE[1], "sla_breach", due, label, now)
    if target.resolution_hours is not None:
        resolve_by = hours(target.resolution_hours).due(now)
    else:
        # Natural days (seed rule 3.1): the period ends at the end of the last day.
        resolve_by = days(target.resolution_days or 7).due(now)
    _schedule(ticket, RESOLUTION[0], "sla_warning", resolve_by - warn, label, now)
    _schedule(ticket, RESOLUTION[1], "sla_breach", resolve_by, label, now)
    return due


def first_response_given(ticket: Ticket) -> None:
    deadlines.cancel_named(subject_kind="ticket", subject_id=ticket.id, names=FIRST_RESPONSE)


def pause(ticket: Ticket, now: dt.datetime) -> None:
    if ticket.sla_paused_at is None:
        deadlines.pause_pending(subject_kind="ticket", subject_id=ticket.id)
        ticket.sla_paused_at = now


def resume(ticket: Ticket, now: dt.datetime) -> None:
    if ticket.sla_paused_at is not None:
        deadlines.resume_paused(
            subject_kind="ticket", subject_id=ticket.id, paused_for=now - ticket.sla_paused_at
        )
        ticket.sla_paused_at = None


def stop(ticket: Ticket) -> None:
    deadlines.cancel_named(
        subject_kind="ticket", subject_id=ticket.id, names=FIRST_RESPONSE + RESOLUTION
    )
    ticket.sla_paused_at = None
