"""What the case pages show: plain words, countdowns and the timeline, from the models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

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
from aftersales.catalog.models import Carrier
from aftersales.core import clock
from aftersales.core.eventlog import verify_chain
from aftersales.core.models import Event, User
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.web.forms import ActionForm
from aftersales.web.templatetags.web_tags import yuan

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
    details: list[str]
    is_system: bool


_TEXT_KEYS = ("description", "tracking_no", "return_address", "report", "terms", "note")
_MONEY_KEYS = ("refund_fen", "compensation_fen", "return_shipping_fen", "amount_fen")
_RESULT_LABELS = {
    "meets": _("Meets the repair standard"),
    "fails": _("Does not meet the standard"),
}


def _details(data: dict[str, Any], carriers: dict[str, str]) -> list[str]:
    """The facts of one event worth showing, in words rather than codes."""
    details: list[str] = []
    if data.get("to") and data.get("to") != data.get("from"):
        details.append(str(STATUS_LABELS.get(data["to"], data["to"])))
    if data.get("outcome"):
        details.append(str(OUTCOME_LABELS.get(data["outcome"], data["outcome"])))
    if data.get("result") in _RESULT_LABELS:
        details.append(str(_RESULT_LABELS[data["result"]]))
    if data.get("reason"):
        # A request's reason is a code; a refusal's is the merchant's own words.
        details.append(str(REASON_LABELS.get(data["reason"], data["reason"])))
    if data.get("carrier"):
        details.append(carriers.get(data["carrier"], data["carrier"]))
    details.extend(str(data[key]) for key in _TEXT_KEYS if data.get(key))
    details.extend(yuan(data[key]) for key in _MONEY_KEYS if data.get(key))
    if data.get("rule"):
        details.append(f"{_('rule')} {data['rule']}")
    return details


def timeline(events: list[Event], carriers: dict[str, str]) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            label=str(ACTION_LABELS.get(event.action, event.action)),
            details=_details(event.data or {}, carriers),
            is_system=event.actor == "system",
        )
        for event in events
    ]


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
    carrier_names = dict(Carrier.objects.values_list("code", "name"))
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
        "timeline": timeline(events, carrier_names),
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
