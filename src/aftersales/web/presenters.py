"""What the case pages show: plain words, countdowns and the timeline, from the models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aftersales.cases import engine
from aftersales.cases.access import party_of
from aftersales.cases.models import Attachment, Case
from aftersales.cases.presentation import (
    ACTION_LABELS,
    DEFAULT_OUTCOME_LABELS,
    OUTCOME_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
)
from aftersales.core import clock
from aftersales.core.eventlog import verify_chain
from aftersales.core.models import Event, User
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.web.forms import ActionForm

AMBER_SECONDS = 12 * 3600
RED_SECONDS = 2 * 3600


@dataclass
class Countdown:
    name: str
    due_at: dt.datetime
    default_action: str
    default_outcome: str
    rule: str
    seconds_left: int

    @property
    def urgency(self) -> str:
        if self.seconds_left <= RED_SECONDS:
            return "red"
        if self.seconds_left <= AMBER_SECONDS:
            return "amber"
        return "calm"


def countdowns(deadlines: list[Deadline], now: dt.datetime) -> list[Countdown]:
    return [
        Countdown(
            name=d.name,
            due_at=d.due_at,
            default_action=d.action,
            default_outcome=str(DEFAULT_OUTCOME_LABELS.get(d.action, d.action)),
            rule=d.rule,
            seconds_left=int((d.due_at - now).total_seconds()),
        )
        for d in deadlines
    ]


@dataclass
class TimelineEntry:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    label: str
    details: list[tuple[str, str]]
    is_system: bool


_DETAIL_KEYS = (
    "reason",
    "description",
    "carrier",
    "tracking_no",
    "return_address",
    "report",
    "terms",
    "note",
    "rule",
    "deadline",
)
_MONEY_KEYS = ("refund_fen", "compensation_fen", "return_shipping_fen", "amount_fen")


def timeline(events: list[Event]) -> list[TimelineEntry]:
    entries = []
    for event in events:
        details: list[tuple[str, str]] = []
        data = event.data or {}
        if data.get("to") and data.get("to") != data.get("from"):
            details.append(("status", str(STATUS_LABELS.get(data["to"], data["to"]))))
        if data.get("outcome"):
            details.append(("outcome", str(OUTCOME_LABELS.get(data["outcome"], data["outcome"]))))
        if event.action == "inspect" and data.get("result"):
            details.append(("result", data["result"]))
        for key in _DETAIL_KEYS:
            if data.get(key):
                details.append((key, str(data[key])))
        for key in _MONEY_KEYS:
            if data.get(key):
                details.append((key, f"¥{data[key] / 100:.2f}"))
        entries.append(
            TimelineEntry(
                seq=event.seq,
                at=event.at,
                actor=event.actor,
                action=event.action,
                label=str(ACTION_LABELS.get(event.action, event.action)),
                details=details,
                is_system=event.actor == "system",
            )
        )
    return entries


def case_context(
    case: Case, user: User, *, forms: dict[str, ActionForm] | None = None, with_chain: bool = False
) -> dict[str, Any]:
    """Everything the case page shows to `user` (who can see the case)."""
    now = clock.now()
    party = party_of(user, case)
    pending = list(
        Deadline.objects.filter(
            subject_kind="case", subject_id=case.id, status=DeadlineStatus.PENDING
        ).order_by("due_at")
    )
    events = list(
        Event.objects.filter(subject_kind="case", subject_key=case.case_no).order_by("seq")
    )
    actions = engine.allowed_actions(case, party)
    forms = forms or {}
    action_forms = [
        (
            action,
            ACTION_LABELS.get(action, action),
            forms.get(action) or ActionForm(action=action, case=case),
        )
        for action in actions
    ]
    context: dict[str, Any] = {
        "case": case,
        "order": case.order,
        "items": list(case.order.items.select_related("category")),
        "party": party,
        "type_label": TYPE_LABELS[case.type],
        "status_label": STATUS_LABELS.get(case.status, case.status),
        "reason_label": REASON_LABELS.get(case.reason, case.reason),
        "recommended_label": OUTCOME_LABELS.get(case.recommended_outcome, ""),
        "countdowns": countdowns(pending, now),
        "timeline": timeline(events),
        "action_forms": action_forms,
        "attachments": list(Attachment.objects.filter(case=case).order_by("id")),
    }
    if party in ("merchant", "agent") and case.is_open:
        from aftersales.assistant.suggestions import for_case

        context["suggestions"] = for_case(case)
    if with_chain:
        problem = verify_chain("case", case.case_no, events, case.event_seq, case.event_head)
        context["chain_ok"] = problem is None
        context["chain_problem"] = str(problem) if problem else ""
    return context
