"""The ticket workflow as a table (issue: open → in progress → waiting on a party →
resolved → closed; reopen within 7 days). Read with `tickets/engine.py`."""

from __future__ import annotations

from dataclasses import dataclass, field

from aftersales.core.periods import Period, days

STATUSES = ("open", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES = ("open", "in_progress", "waiting")
STAFF = ("shop", "carrier", "platform")
EVERYONE = ("consumer", "shop", "carrier", "platform")

AUTO_CLOSE_AFTER: Period = days(7, setting="ticket_auto_close_days")
REOPEN_WITHIN: Period = days(7, setting="ticket_reopen_days")


@dataclass(frozen=True)
class TicketTransition:
    action: str
    sources: tuple[str, ...]
    target: str | None  # None: stays (or, for reply, decided by who was awaited)
    by: tuple[str, ...]
    fields: tuple[str, ...] = ()  # required
    optional: tuple[str, ...] = ()
    guard: str | None = None
    only_types: tuple[str, ...] = field(default=())
    # (field, shortest, longest) for texts that have their own bounds (the default: 1 to 5000)
    text_limits: tuple[tuple[str, int, int], ...] = ()


TRANSITIONS: tuple[TicketTransition, ...] = (
    # A reply by a party the ticket waits on resumes work; the first staff reply is the first
    # response of the SLA.
    TicketTransition("reply", OPEN_STATUSES, None, EVERYONE, ("body",), ("internal",)),
    TicketTransition(
        "request_info", ("open", "in_progress", "waiting"), "waiting", STAFF, ("from_party", "body")
    ),
    # A party completes its own task by saying what it found or did (issue 8, item 6).
    TicketTransition(
        "complete_task",
        OPEN_STATUSES,
        None,
        STAFF,
        ("task_id", "body"),
        text_limits=(("body", 2, 2000),),
    ),
    # Only the ticket's owner (the platform, or the team it is routed to) hands it on, resolves
    # it or turns it into a case: a party with a task on it does its task.
    TicketTransition("assign", OPEN_STATUSES, None, STAFF, ("assignee",), guard="owner"),
    TicketTransition(
        "escalate",
        OPEN_STATUSES,
        None,
        ("shop", "carrier", "platform", "system"),
        (),
        ("reason",),
        guard="not_escalated",
    ),
    TicketTransition("resolve", OPEN_STATUSES, "resolved", STAFF, ("resolution",), guard="owner"),
    TicketTransition(
        "convert",
        OPEN_STATUSES,
        "resolved",
        ("shop", "platform"),
        ("case_type",),
        (),
        guard="owner",
        only_types=("quality",),
    ),
    TicketTransition("close", ("resolved",), "closed", ("consumer", "platform", "system")),
    TicketTransition(
        "reopen",
        ("resolved", "closed"),
        "in_progress",
        ("consumer", "platform"),
        (),
        ("reason",),
        guard="within_reopen_window",
    ),
    # SLA timers (system only): warnings notify; a breach escalates to the platform.
    TicketTransition("sla_warning", OPEN_STATUSES, None, ("system",)),
    TicketTransition("sla_breach", OPEN_STATUSES, None, ("system",)),
)

ACTIONS = {t.action for t in TRANSITIONS}


def transition_for(action: str) -> TicketTransition | None:
    return next((t for t in TRANSITIONS if t.action == action), None)
