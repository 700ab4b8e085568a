"""Words for people about tickets (translated), and the ticket page's parts in those words:
times as datetimes (the page formats them in local time), parties instead of usernames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.tickets.models import Priority, Ticket

STATUS_LABELS = {
    "open": _("Open"),
    "in_progress": _("In progress"),
    "waiting": _("Waiting on a party"),
    "resolved": _("Resolved"),
    "closed": _("Closed"),
}

SUBTYPE_LABELS = {
    "lost": _("Parcel lost"),
    "delayed": _("Delivery delayed"),
    "no_tracking_update": _("No tracking update"),
    "signed_not_received": _("Signed for but not received"),
    "damaged": _("Damaged"),
    "faulty": _("Faulty"),
    "counterfeit": _("Counterfeit"),
    "not_as_described": _("Not as described"),
    "service_attitude": _("Service attitude"),
    "broken_promise": _("Broken promise"),
    "harassment": _("Harassment"),
    "urge_shipment": _("Please ship my order"),
    "change_address": _("Change the address"),
    "invoice": _("Invoice"),
    "other": _("Other"),
}

ACTION_LABELS = {
    "reply": _("Reply"),
    "request_info": _("Ask a party for information"),
    "complete_task": _("Mark my task done"),
    "assign": _("Reassign"),
    "escalate": _("Escalate to the platform"),
    "resolve": _("Resolve"),
    "convert": _("Turn into an after-sales case"),
    "close": _("Close"),
    "reopen": _("Reopen"),
    "create": _("Ticket opened"),
    "sla_warning": _("SLA warning"),
    "sla_breach": _("SLA breached"),
}

PARTY_LABELS = {
    "consumer": _("Consumer"),
    "shop": _("Shop"),
    "carrier": _("Carrier"),
    "platform": _("Platform"),
    "system": _("System"),
}

DEADLINE_LABELS = {
    "first_response": _("First response due"),
    "resolution": _("Resolution due"),
    "auto_close": _("Closes by itself"),
}
# Which SLA deadline a deadline row (or the event it fired) belongs to.
DEADLINE_OF = {
    "first_response_warning": "first_response",
    "first_response_breach": "first_response",
    "resolution_warning": "resolution",
    "resolution_breach": "resolution",
    "auto_close": "auto_close",
}
SLA_STATE_LABELS = {
    "pending": _("running"),
    "paused": _("paused"),
    "missed": _("missed"),
    "met": _("met"),
    "stopped": _("stopped"),
}


@dataclass(frozen=True)
class SlaRow:
    label: str
    due_at: dt.datetime
    state: str
    state_label: str


@dataclass(frozen=True)
class Entry:
    """A line of the conversation or the timeline, in people's words."""

    label: str
    at: dt.datetime
    who: str
    text: str = ""
    internal: bool = False
    is_system: bool = False
    deadline_label: str = ""
    deadline_due: dt.datetime | None = None


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _state(row: Deadline, ticket: Ticket) -> str:
    if row.status == DeadlineStatus.PAUSED:
        return "paused"
    if row.status == DeadlineStatus.FIRED:
        return "missed"
    if row.status == DeadlineStatus.CANCELLED:
        done = (
            ticket.first_response_at if row.name == "first_response_breach" else ticket.resolved_at
        )
        return "met" if done is not None and done <= row.due_at else "stopped"
    return "pending"


def sla_rows(ticket: Ticket) -> list[SlaRow]:
    """The ticket's SLA deadlines as its deadline rows say (the rows the sweeper fires, the
    only source of a due time): the newest row of each, met, missed or still running."""
    latest: dict[str, Deadline] = {}
    for row in Deadline.objects.filter(
        subject_kind="ticket",
        subject_id=ticket.id,
        name__in=("first_response_breach", "resolution_breach", "auto_close"),
    ).order_by("id"):
        latest[row.name] = row
    rows = []
    for row in latest.values():
        state = _state(row, ticket)
        if row.name == "auto_close" and state not in ("pending", "paused"):
            continue  # closed, or reopened before it
        rows.append(
            SlaRow(
                label=str(DEADLINE_LABELS[DEADLINE_OF[row.name]]),
                due_at=row.due_at,
                state=state,
                state_label=str(SLA_STATE_LABELS[state]),
            )
        )
    return sorted(rows, key=lambda r: r.due_at)


def _who(party: str | None, username: str, viewer: str | None) -> str:
    words = str(PARTY_LABELS.get(party or "", PARTY_LABELS["system"]))
    # Usernames are for the platform's staff; the parties see who acted by their part.
    return f"{words} · {username}" if viewer == "platform" and username else words


def messages(body: dict[str, Any], viewer: str | None) -> list[Entry]:
    return [
        Entry(
            label="",
            at=dt.datetime.fromisoformat(m["at"]),
            who=_who(m["party"], m["author"], viewer),
            text=m["body"],
            internal=m["internal"],
        )
        for m in body["messages"]
    ]


# The team's own bookkeeping (SLA timers, reassignment) is not the consumer's timeline.
CONSUMER_HIDDEN_EVENTS = frozenset({"sla_warning", "sla_breach", "assign"})
_CREATED_BY = {"consumer": "consumer", "agent": "platform", "monitoring": "system"}


def timeline(ticket: Ticket, body: dict[str, Any], viewer: str | None) -> list[Entry]:
    """The events the viewer may see, newest first; a fired SLA timer names its deadline and
    that deadline row's due time."""
    fired = {
        (row.name, row.fired_at): row
        for row in Deadline.objects.filter(
            subject_kind="ticket", subject_id=ticket.id, status=DeadlineStatus.FIRED
        )
    }
    entries = []
    for event in reversed(body["events"]):
        if viewer == "consumer" and event["action"] in CONSUMER_HIDDEN_EVENTS:
            continue
        at = dt.datetime.fromisoformat(event["at"])
        data = event["data"]
        system = event["actor"] == "system"
        party = "system" if system else data.get("party") or _CREATED_BY.get(ticket.source)
        row = fired.get((data.get("deadline", ""), at))
        entries.append(
            Entry(
                label=str(ACTION_LABELS.get(event["action"], event["action"])),
                at=at,
                who=_who(party, "" if system else event["actor"], viewer),
                is_system=system,
                deadline_label=str(DEADLINE_LABELS[DEADLINE_OF[row.name]]) if row else "",
                deadline_due=row.due_at if row else None,
            )
        )
    return entries


def tasks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**t, "due_at": _when(t["due_at"]), "done_at": _when(t["done_at"])}
        for t in body.get("tasks", [])
    ]


def assignee_name(ticket: Ticket, viewer: str | None) -> str:
    """Who handles the ticket, for its staff: agents see the username, a shop or carrier the
    person's display name or their team; a consumer nothing (the page does not ask)."""
    if ticket.assignee is None:
        return ""
    if viewer == "platform":
        return ticket.assignee.username
    return ticket.assignee.display_name or str(PARTY_LABELS.get(ticket.team, ""))


def priority_label(ticket: Ticket) -> str:
    return str(Priority(ticket.priority).label)
