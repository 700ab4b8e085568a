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
    CLOSING_REASON_LABELS,
    DEFAULT_OUTCOME_LABELS,
    GOODS_LABELS,
    OUTCOME_LABELS,
    REASON_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    status_label,
)
from aftersales.cases.workflows import workflow_for
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
    # Who may act before the deadline does (not `system`), and how the page names them.
    party: str = ""
    party_name: str = ""

    @property
    def urgency(self) -> str:
        if self.seconds_left <= RED_SECONDS:
            return "red"
        if self.seconds_left <= AMBER_SECONDS:
            return "amber"
        return "calm"


# How a countdown names the party who may still act ("if the merchant does not act by …").
PARTY_NAMES = {
    "consumer": _("the buyer"),
    "merchant": _("the merchant"),
    "agent": _("the platform"),
}


def _acting_party(case_type: str, deadline: Deadline) -> str:
    """The person whose move the deadline's default outcome stands in for, if any."""
    for transition in workflow_for(case_type).transitions_for(deadline.action, deadline.in_status):
        people = [p for p in transition.by if p != "system"]
        if people:
            return people[0]
    return ""


def countdowns(deadlines: list[Deadline], now: dt.datetime, case_type: str = "") -> list[Countdown]:
    shown = []
    for d in deadlines:
        party = _acting_party(case_type, d) if case_type else ""
        shown.append(
            Countdown(
                name=d.name,
                due_at=d.due_at,
                default_action=d.action,
                default_outcome=str(DEFAULT_OUTCOME_LABELS.get(d.action, d.action)),
                rule=d.rule,
                seconds_left=int((d.due_at - now).total_seconds()),
                party=party,
                party_name=str(PARTY_NAMES.get(party, "")),
            )
        )
    return shown


@dataclass
class TimelineEntry:
    seq: int
    at: dt.datetime
    actor: str  # who acted, as the viewer knows them: you, the merchant, the platform…
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


def _details(data: dict[str, Any], carriers: dict[str, str], *, with_rule: bool) -> list[str]:
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
        labels = {**REASON_LABELS, **CLOSING_REASON_LABELS}
        details.append(str(labels.get(data["reason"], data["reason"])))
    if data.get("partial"):
        details.append(str(_("Partial refund")))
    if data.get("goods") in GOODS_LABELS:
        details.append(str(GOODS_LABELS[data["goods"]]))
    if data.get("carrier"):
        details.append(carriers.get(data["carrier"], data["carrier"]))
    details.extend(str(data[key]) for key in _TEXT_KEYS if data.get(key))
    details.extend(yuan(data[key]) for key in _MONEY_KEYS if data.get(key))
    if with_rule and data.get("rule"):
        details.append(f"{_('rule')} {data['rule']}")
    return details


# Who acted, by their part in the case; people other than the viewer are not named.
ACTOR_LABELS = {
    "consumer": ROLE_LABELS["consumer"],
    "merchant": ROLE_LABELS["merchant"],
    "carrier": ROLE_LABELS["carrier"],
    "agent": ROLE_LABELS["agent"],
    "admin": ROLE_LABELS["agent"],
}


def actor_names(events: list[Event], viewer: User) -> dict[str, str]:
    """Each event actor's name as `viewer` reads it: you, the consumer, the merchant…"""
    usernames = {event.actor for event in events} - {"system"}
    roles = dict(User.objects.filter(username__in=usernames).values_list("username", "role"))
    names = {name: str(ACTOR_LABELS.get(roles.get(name, ""), _("Someone"))) for name in usernames}
    if viewer.username in names:
        names[viewer.username] = str(_("You"))
    return names


def timeline(
    events: list[Event],
    carriers: dict[str, str],
    *,
    actors: dict[str, str] | None = None,
    with_rule: bool = False,
) -> list[TimelineEntry]:
    actors = actors or {}
    return [
        TimelineEntry(
            seq=event.seq,
            at=event.at,
            actor=actors.get(event.actor, event.actor),
            action=event.action,
            label=str(ACTION_LABELS.get(event.action, event.action)),
            details=_details(event.data or {}, carriers, with_rule=with_rule),
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
    staff = user.role in ("agent", "admin")
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
        # What the request claims (cases/claims.py), not every line of the order.
        "claims": list(case.claims.select_related("order_item__category").order_by("id")),
        "party": party,
        "type_label": TYPE_LABELS[case.type],
        "status_label": status_label(case),
        "reason_label": REASON_LABELS.get(case.reason, case.reason),
        "recommended_label": OUTCOME_LABELS.get(case.recommended_outcome, ""),
        "countdowns": countdowns(pending, now, case.type),
        "timeline": timeline(
            events, carrier_names, actors=actor_names(events, user), with_rule=staff
        ),
        # Rule clauses are for the platform's staff; everyone else reads what they mean.
        "show_rules": staff,
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
