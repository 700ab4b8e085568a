"""Every write to a case goes through here: creation, people's actions and fired timers.

Each function runs in one transaction, locks the case, applies the workflow table through
the engine, and appends exactly one event to the case's hash chain.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from aftersales.cases import attachments, claims, eligibility, engine, fields, policy
from aftersales.cases.access import access_case, party_of
from aftersales.cases.effects import EFFECTS, ActionContext, MoneyAlreadyReturned
from aftersales.cases.models import Case, Reason
from aftersales.cases.workflows import CASE_TYPES, workflow_for
from aftersales.cases.workflows.base import PLATFORM_REVIEW, Transition
from aftersales.core import clock, eventlog
from aftersales.core.clock import platform_zone
from aftersales.core.errors import BadRequest, Conflict, Forbidden, NotFound
from aftersales.core.models import Role, User
from aftersales.core.periods import local_date
from aftersales.deadlines import services as deadlines
from aftersales.deadlines.models import Deadline
from aftersales.notify import services as notify
from aftersales.orders.models import Order

SYSTEM_ACTOR = "system"


def _new_case_no(now: dt.datetime) -> str:
    return f"AS{local_date(now):%y%m%d}{secrets.randbelow(10**10):010d}"


def create_case(
    actor: User,
    *,
    order_sn: str,
    type: str,
    reason: str,
    description: str = "",
    amount_fen: int | None = None,
    items: list[dict[str, Any]] | None = None,
    photos: list[UploadedFile] | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A consumer files an after-sales request on items of one of their orders (`items`:
    [{sku, quantity?}], default every item not yet refunded), with up to nine photos.
    Nothing is created if anything is refused."""
    now = now or clock.now()
    selection = claims.parse_selection(items)
    # Errors about the claimed items name the field the consumer filled in.
    claim_field = "order_sn" if selection is None else "items"
    if actor.role != Role.CONSUMER:
        raise Forbidden(_("Only consumers file after-sales requests."), code="forbidden_party")
    if type not in CASE_TYPES:
        raise BadRequest(
            _("type must be one of: %(t)s.") % {"t": ", ".join(CASE_TYPES)}, field="type"
        )
    if reason not in Reason.values:
        raise BadRequest(
            _("reason must be one of: %(r)s.") % {"r": ", ".join(Reason.values)}, field="reason"
        )
    with transaction.atomic():
        # Locking the order serialises requests on it: one open request per item, and the
        # amount still refundable.
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("shop")
            .filter(order_sn=order_sn, consumer_id=actor.id)
            .first()
        )
        if order is None:
            raise NotFound(_("Order %(o)s not found.") % {"o": order_sn}, field="order_sn")
        if selection is None:
            selection = claims.default_selection(order, type)
        # Which items, how many and how much (409 when an item already has an open request).
        lines = claims.select_lines(order, selection, field=claim_field)
        eligibility.check(order, type, reason, now, items=[line.item for line in lines])
        amount_fen = claims.check_amount(amount_fen, lines)
        workflow = workflow_for(type)
        status = "awaiting_merchant"
        case = Case(
            case_no=_new_case_no(now),
            order=order,
            shop=order.shop,
            consumer=actor,
            type=type,
            status=status,
            pdd_status=workflow.statuses[status],
            reason=reason,
            description=description,
            amount_fen=amount_fen,
            created_at=now,
            updated_at=now,
            status_entered_at=now,
        )
        case.save()
        try:
            with transaction.atomic():
                claimed = claims.record(case, lines)
        except IntegrityError as error:  # a racing request took an item first
            raise Conflict(
                _("Another request on these items was filed at the same time."),
                code="duplicate_case",
                field=claim_field,
            ) from error
        stored = attachments.store(photos or [], user=actor, case=case, now=now)
        event = eventlog.append(
            case,
            actor=actor.username,
            action="create",
            at=now,
            data={
                "photos": [a.public_id for a in stored],
                "type": type,
                "reason": reason,
                "amount_fen": amount_fen,
                "to": status,
                "order_sn": order.order_sn,
                "items": [
                    {
                        "sku": line.item.sku,
                        "quantity": line.quantity,
                        "amount_fen": claim.amount_fen,
                    }
                    for line, claim in zip(lines, claimed, strict=True)
                ],
                "description": description,
            },
        )
        _schedule_timers(case, now)
        case.save(update_fields=["event_seq", "event_head"])
        notify.case_changed(case, event, now)
    return case


def perform_action(
    actor: User,
    *,
    case_no: str,
    action: str,
    fields_in: dict[str, Any],
    expected_version: int | None = None,
    evidence_files: list[UploadedFile] | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A person takes `action` on a case they can see. `evidence_files` (from the consoles)
    are stored and their ids join the action's `evidence`."""
    now = now or clock.now()
    with transaction.atomic():
        case = access_case(actor, case_no, for_update=True)
        if expected_version is not None and expected_version != case.version:
            raise Conflict(
                _("The case has changed (version %(v)d); reload it and try again.")
                % {"v": case.version},
                code="stale_version",
                field="If-Match",
            )
        party = party_of(actor, case)
        transition = engine.select_transition(case, party, action, fields_in)
        if evidence_files:
            stored = attachments.store(
                evidence_files, user=actor, case=case, now=now, field="evidence"
            )
            fields_in = {
                **fields_in,
                "evidence": [*fields_in.get("evidence", []), *(a.public_id for a in stored)],
            }
        cleaned = fields.clean(action, fields_in)
        _apply(case, transition, cleaned, actor_name=actor.username, now=now)
    return case


def fire_deadline(deadline: Deadline, now: dt.datetime) -> bool:
    """Apply a due deadline's default outcome as `system`. Returns False when the case is
    locked by someone else (the deadline stays pending for the next pass)."""
    case = (
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("shop")
        .filter(id=deadline.subject_id)
        .first()
    )
    if case is None:
        if Case.objects.filter(id=deadline.subject_id).exists():
            return False  # busy: another transaction holds the case
        deadlines.cancel(deadline)
        return True
    if case.status != deadline.in_status:
        deadlines.cancel(deadline)  # left behind by a status it no longer belongs to
        return True
    transition = engine.select_transition(case, "system", deadline.action, deadline.params)
    cleaned = fields.clean(deadline.action, deadline.params)
    _apply(case, transition, cleaned, actor_name=SYSTEM_ACTOR, now=now, deadline=deadline)
    return True


_TRACKED_FIELDS = [
    f.name for f in Case._meta.concrete_fields if f.name not in ("id", "event_seq", "event_head")
]


def _apply(
    case: Case,
    transition: Transition,
    cleaned: dict[str, Any],
    *,
    actor_name: str,
    now: dt.datetime,
    deadline: Deadline | None = None,
) -> None:
    workflow = workflow_for(case.type)
    before = model_to_dict(case, fields=_TRACKED_FIELDS)
    source = case.status
    rule = deadline.rule if deadline is not None else transition.rule
    context = ActionContext(case=case, fields=cleaned, now=now, rule=rule)
    try:
        with transaction.atomic():  # an effect that gives up leaves nothing behind
            for effect in transition.effects:
                EFFECTS[effect](context)
    except MoneyAlreadyReturned:
        # Another case already returned the items' money: this one ends, saying why,
        # instead of failing on every try (and its timers with it).
        case.refresh_from_db()
        transition = workflow.settled_elsewhere(case.status)
        context = ActionContext(case=case, fields={}, now=now, rule=transition.rule)
        context.data["reason"] = "money_already_returned"
        cleaned = {}
    data: dict[str, Any] = {
        "from": source,
        "to": transition.target or source,
        "rule": transition.rule,
        **cleaned,
        **context.data,
    }
    if deadline is not None:
        # A fired timer cites its own clause (e.g. 2.3.2(4) for silence), not the step's.
        data["rule"] = deadline.rule
        data["deadline"] = deadline.name
        data["due_at"] = deadline.due_at.astimezone(platform_zone()).isoformat()
        deadlines.mark_fired(deadline, now=now)
    if transition.target is not None:
        deadlines.cancel_pending(subject_kind="case", subject_id=case.id)
        target = transition.target
        was_open = case.is_open
        case.status = target
        case.pdd_status = transition.pdd or workflow.statuses[target]
        case.status_entered_at = now
        case.is_open = not workflow.is_terminal(target)
        case.closed_at = None if case.is_open else now
        if case.is_open != was_open:
            claims.sync_open(case)
        case.recommended_outcome = (transition.recommend or "") if target == PLATFORM_REVIEW else ""
        if transition.recommend and target == PLATFORM_REVIEW:
            data["recommended_outcome"] = transition.recommend
        _schedule_timers(case, now)
    case.version += 1
    case.updated_at = now
    event = eventlog.append(case, actor=actor_name, action=transition.action, data=data, at=now)
    after = model_to_dict(case, fields=_TRACKED_FIELDS)
    changed = [name for name in _TRACKED_FIELDS if before[name] != after[name]]
    case.save(update_fields=[*changed, "event_seq", "event_head"])
    notify.case_changed(case, event, now)


def _schedule_timers(case: Case, now: dt.datetime) -> None:
    for timer in workflow_for(case.type).timers_in(case.status):
        anchor = now
        if timer.anchor == "repair_period_start" and case.repair_period_start is not None:
            anchor = case.repair_period_start
        due = timer.after.due(anchor, policy.period_amount(timer.after))
        deadlines.schedule(
            subject_kind="case",
            subject_id=case.id,
            name=timer.name,
            in_status=case.status,
            due_at=due,
            action=timer.fire,
            params=timer.params,
            rule=timer.rule,
            now=now,
        )
