"""Every write to a ticket: opening (by a consumer, an agent or monitoring), the parties'
actions and the SLA timers. One transaction and one chained event each."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.cases import services as case_services
from aftersales.catalog.models import Carrier, Shop
from aftersales.core import clock, eventlog
from aftersales.core.errors import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from aftersales.core.models import Role, User
from aftersales.core.periods import local_date
from aftersales.deadlines import services as deadlines
from aftersales.deadlines.models import Deadline
from aftersales.notify.tickets import ticket_changed
from aftersales.orders.models import Order
from aftersales.tickets import routing, sla
from aftersales.tickets.access import access_ticket, parties, party_of
from aftersales.tickets.models import SUBTYPES, Ticket, TicketMessage, TicketTask, TicketType
from aftersales.tickets.workflow import (
    ACTIONS,
    AUTO_CLOSE_AFTER,
    REOPEN_WITHIN,
    TicketTransition,
    transition_for,
)

SYSTEM_ACTOR = "system"
CONVERTIBLE_CASE_TYPES = ("return_refund", "exchange", "repair")
SUBTYPE_TO_REASON = {
    "damaged": "damaged",
    "faulty": "faulty",
    "counterfeit": "quality",
    "not_as_described": "not_as_described",
}
LOGISTICS_TASKS = {
    "shop": gettext_lazy("Check the shipment and tell the consumer what happens next"),
    "carrier": gettext_lazy("Locate the parcel and report its state"),
}


def _new_ticket_no(now: dt.datetime) -> str:
    return f"TK{local_date(now):%y%m%d}{secrets.randbelow(10**10):010d}"


def _facts(ticket: Ticket, order: Order | None, now: dt.datetime) -> routing.Facts:
    categories: frozenset[str] = frozenset()
    if order is not None:
        categories = frozenset(order.items.values_list("category__name", flat=True))
    return routing.Facts(
        ticket_type=ticket.type,
        subtype=ticket.subtype,
        categories=categories,
        amount_fen=ticket.amount_fen,
        shop_code=ticket.shop.code if ticket.shop else "",
        region=ticket.region,
        recent_contacts=routing.recent_contacts(ticket.consumer_id, now),
    )


def create_ticket(
    actor: User | None,
    *,
    type: str,
    subtype: str,
    title: str,
    description: str = "",
    order_sn: str | None = None,
    amount_fen: int | None = None,
    shop: str | None = None,
    carrier: str | None = None,
    region: str = "",
    monitor_key: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket. A consumer opens one on their own order; an agent or the monitoring job
    (actor None) may name the shop and carrier directly."""
    now = now or clock.now()
    if type not in TicketType.values:
        raise BadRequest(
            _("type must be one of: %(t)s.") % {"t": ", ".join(TicketType.values)}, field="type"
        )
    if subtype not in SUBTYPES[type]:
        raise BadRequest(
            _("subtype must be one of: %(t)s.") % {"t": ", ".join(SUBTYPES[type])}, field="subtype"
        )
    if actor is not None and actor.role not in (Role.CONSUMER, Role.AGENT, Role.ADMIN):
        raise Forbidden(
            _("Only consumers and platform agents open tickets."), code="forbidden_role"
        )
    source = (
        "monitoring" if actor is None else ("consumer" if actor.role == Role.CONSUMER else "agent")
    )
    order = None
    if order_sn:
        orders = Order.objects.select_related("shop", "carrier")
        if actor is not None and actor.role == Role.CONSUMER:
            orders = orders.filter(consumer_id=actor.id)
        order = orders.filter(order_sn=order_sn).first()
        if order is None:
            raise NotFound(_("Order %(o)s not found.") % {"o": order_sn}, field="order_sn")
    elif actor is not None and actor.role == Role.CONSUMER and type in ("logistics", "quality"):
        raise BadRequest(_("A logistics or quality ticket needs its order."), field="order_sn")
    shop_row = order.shop if order else (Shop.objects.filter(code=shop).first() if shop else None)
    if shop and shop_row is None:
        raise RuleViolation(
            _("Unknown shop %(s)s.") % {"s": shop}, code="unknown_shop", field="shop"
        )
    carrier_row = None
    if type == "logistics":
        carrier_row = order.carrier if order else None
        if carrier:
            carrier_row = Carrier.objects.filter(code=carrier).first()
            if carrier_row is None:
                raise RuleViolation(
                    _("Unknown carrier %(c)s.") % {"c": carrier},
                    code="unknown_carrier",
                    field="carrier",
                )
    consumer = (
        order.consumer
        if order
        else (actor if actor is not None and actor.role == Role.CONSUMER else None)
    )
    ticket = Ticket(
        ticket_no=_new_ticket_no(now),
        type=type,
        subtype=subtype,
        status="open",
        title=title,
        description=description,
        source=source,
        order=order,
        consumer=consumer,
        shop=shop_row,
        carrier=carrier_row,
        region=region or (order.region if order else ""),
        amount_fen=amount_fen if amount_fen is not None else (order.amount_fen if order else None),
        monitor_key=monitor_key,
        created_at=now,
        updated_at=now,
        team="platform",
    )
    default_team = "shop" if shop_row else ("carrier" if carrier_row else "platform")
    chosen = routing.route(
        _facts(ticket, order, now), list(_active_rules()), default_team=default_team
    )
    ticket.team = _available_team(chosen.team, ticket)
    ticket.priority = chosen.priority
    ticket.routing_rule = ", ".join(chosen.rules)[:80]
    with transaction.atomic():
        try:
            with transaction.atomic():
                ticket.save()
        except IntegrityError as error:
            raise Conflict(
                _("A monitoring ticket for this is already open."),
                code="duplicate_ticket",
                field="monitor_key",
            ) from error
        ticket.assignee = routing.least_busy(ticket.team, ticket)
        _open_tasks(ticket, now)
        sla.start(ticket, now)
        created = eventlog.append(
            ticket,
            actor=actor.username if actor else SYSTEM_ACTOR,
            action="create",
            at=now,
            data={
                "type": type,
                "subtype": subtype,
                "to": "open",
                "team": ticket.team,
                "priority": ticket.priority,
                "routing": list(chosen.rules),
                "assignee": ticket.assignee.username if ticket.assignee else None,
                "source": source,
            },
        )
        ticket.save(update_fields=["assignee", "event_seq", "event_head"])
        ticket_changed(ticket, created, now)
    return ticket


def _active_rules():
    from aftersales.tickets.models import RoutingRule

    return RoutingRule.objects.filter(active=True).order_by("position", "id")


def _available_team(team: str, ticket: Ticket) -> str:
    """A team that cannot exist on this ticket (no shop, no carrier) falls to the platform."""
    if team == "shop" and ticket.shop is None:
        return "carrier" if ticket.carrier is not None else "platform"
    if team == "carrier" and ticket.carrier is None:
        return "platform"
    return team


def _open_tasks(ticket: Ticket, now: dt.datetime) -> None:
    """A logistics ticket gives the shop and the carrier a task each (seed 001)."""
    if ticket.type != "logistics":
        return
    due = now + dt.timedelta(hours=sla.target_for(ticket).first_response_hours)
    for party, description in LOGISTICS_TASKS.items():
        if party == "carrier" and ticket.carrier is None:
            continue
        TicketTask.objects.create(
            ticket=ticket, party=party, description=str(description), due_at=due, created_at=now
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
    for name in ("body", "resolution", "reason"):
        value = fields.get(name)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 5000):
            raise BadRequest(_("%(f)s must be 1 to 5000 characters.") % {"f": name}, field=name)
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
    from aftersales.tickets.workflow import TRANSITIONS

    return [
        t.action
        for t in TRANSITIONS
        if party in t.by
        and party != "system"
        and ticket.status in t.sources
        and (not t.only_types or ticket.type in t.only_types)
        and _guard_ok(t, ticket, clock.now())
    ]


def _guard_ok(transition: TicketTransition, ticket: Ticket, now: dt.datetime) -> bool:
    if transition.guard == "not_escalated":
        return not ticket.escalated
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
        if not _guard_ok(transition, ticket, now):
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
        or not _guard_ok(transition, ticket, now)
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
    handler = _HANDLERS[transition.action]
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


# Handlers: each records what its action does and may name the target status.


def _reply(ticket, fields, *, actor, party, now, data):
    internal = bool(fields.get("internal"))
    if internal and party == "consumer":
        raise BadRequest(_("Consumers cannot post internal notes."), field="internal")
    visible = [p for p in parties(ticket) if not (internal and p == "consumer")]
    message = TicketMessage.objects.create(
        ticket=ticket,
        author=actor,
        party=party,
        body=fields["body"],
        visible_to=visible,
        created_at=now,
    )
    data.update(message_id=message.id, internal=internal)
    if party != "consumer" and ticket.first_response_at is None:
        ticket.first_response_at = now
        sla.first_response_given(ticket)
        data["first_response"] = True
    if ticket.status == "waiting" and ticket.waiting_on == party:
        ticket.waiting_on = ""
        if party == "consumer":
            sla.resume(ticket, now)
        return "in_progress"
    if ticket.status == "open" and party != "consumer":
        return "in_progress"
    return None


def _request_info(ticket, fields, *, actor, party, now, data):
    awaited = fields["from_party"]
    if awaited not in parties(ticket) or awaited == party:
        raise BadRequest(_("from_party must be another party of this ticket."), field="from_party")
    _reply(ticket, {"body": fields["body"]}, actor=actor, party=party, now=now, data=data)
    ticket.waiting_on = awaited
    data["waiting_on"] = awaited
    if awaited == "consumer":
        sla.pause(ticket, now)  # the consumer's silence is not the team's delay
    else:
        sla.resume(ticket, now)  # waiting on a shop or carrier is the team's time
    return "waiting"


def _complete_task(ticket, fields, *, actor, party, now, data):
    task = TicketTask.objects.filter(ticket=ticket, id=fields["task_id"], party=party).first()
    if task is None:
        raise NotFound(_("Task not found."), field="task_id")
    if task.done_at is not None:
        raise Conflict(_("This task is already done."), code="task_done", field="task_id")
    task.done_at = now
    task.save(update_fields=["done_at"])
    data["task_id"] = task.id
    if fields.get("body"):
        # A task's message is a reply: it may answer the party the ticket waits on.
        return _reply(
            ticket, {"body": fields["body"]}, actor=actor, party=party, now=now, data=data
        )
    return None


def _assign(ticket, fields, *, actor, party, now, data):
    assignee = User.objects.filter(username=fields["assignee"], is_active=True).first()
    team_roles = {"shop": Role.MERCHANT, "carrier": Role.CARRIER, "platform": Role.AGENT}
    fits = assignee is not None and (
        # The party must exist on the ticket: None == None is no match.
        (
            assignee.role == Role.MERCHANT
            and ticket.shop_id is not None
            and assignee.shop_id == ticket.shop_id
        )
        or (
            assignee.role == Role.CARRIER
            and ticket.carrier_id is not None
            and assignee.carrier_id == ticket.carrier_id
        )
        or assignee.role in (Role.AGENT, Role.ADMIN)
    )
    if assignee is None or not fits or (party != "platform" and assignee.role != team_roles[party]):
        raise RuleViolation(
            _("The assignee must be staff of a party of this ticket."),
            code="bad_assignee",
            field="assignee",
        )
    ticket.assignee = assignee
    ticket.team = {"merchant": "shop", "carrier": "carrier"}.get(assignee.role, "platform")
    data.update(assignee=assignee.username, team=ticket.team)
    return None


def _escalate(ticket, fields, *, actor, party, now, data):
    ticket.escalated = True
    ticket.team = "platform"
    ticket.assignee = routing.least_busy("platform", ticket)
    data.update(
        reason=fields.get("reason", ""),
        team="platform",
        assignee=ticket.assignee.username if ticket.assignee else None,
    )
    return None


def _sla_warning(ticket, fields, *, actor, party, now, data):
    data["warning"] = fields.get("deadline")
    return None


def _sla_breach(ticket, fields, *, actor, party, now, data):
    data["breach"] = fields.get("deadline")
    if not ticket.escalated:
        _escalate(ticket, {"reason": "SLA breach"}, actor=actor, party=party, now=now, data=data)
    return None


def _resolve(ticket, fields, *, actor, party, now, data):
    ticket.resolution = fields.get("resolution", ticket.resolution)
    ticket.resolved_at = now
    ticket.waiting_on = ""
    sla.stop(ticket)
    deadlines.schedule(
        subject_kind="ticket",
        subject_id=ticket.id,
        name="auto_close",
        in_status="resolved",
        due_at=AUTO_CLOSE_AFTER.due(now),
        action="close",
        params={},
        rule="ticket ⚙ auto close 7 days",
        now=now,
    )
    data["resolution"] = ticket.resolution
    return "resolved"


def _convert(ticket, fields, *, actor, party, now, data):
    case_type = fields["case_type"]
    if case_type not in CONVERTIBLE_CASE_TYPES:
        raise BadRequest(
            _("case_type must be one of: %(t)s.") % {"t": ", ".join(CONVERTIBLE_CASE_TYPES)},
            field="case_type",
        )
    if ticket.order is None or ticket.consumer is None:
        raise RuleViolation(
            _("Only a ticket on an order can become a case."), code="no_order", field="case_type"
        )
    # The case is the consumer's request, filed for them in one step; eligibility applies.
    case = case_services.create_case(
        ticket.consumer,
        order_sn=ticket.order.order_sn,
        type=case_type,
        reason=SUBTYPE_TO_REASON[ticket.subtype],
        description=_("From ticket %(t)s: %(d)s")
        % {"t": ticket.ticket_no, "d": ticket.description},
        now=now,
    )
    ticket.case = case
    data["case_no"] = case.case_no
    return _resolve(
        ticket,
        {"resolution": _("Converted to case %(c)s") % {"c": case.case_no}},
        actor=actor,
        party=party,
        now=now,
        data=data,
    )


def _close(ticket, fields, *, actor, party, now, data):
    ticket.closed_at = now
    deadlines.cancel_named(subject_kind="ticket", subject_id=ticket.id, names=("auto_close",))
    return "closed"


def _reopen(ticket, fields, *, actor, party, now, data):
    ticket.resolved_at = None
    ticket.closed_at = None
    ticket.is_open = True
    deadlines.cancel_named(subject_kind="ticket", subject_id=ticket.id, names=("auto_close",))
    sla.start(ticket, now, first_response=False)
    data["reason"] = fields.get("reason", "")
    return "in_progress"


_HANDLERS = {
    "reply": _reply,
    "request_info": _request_info,
    "complete_task": _complete_task,
    "assign": _assign,
    "escalate": _escalate,
    "resolve": _resolve,
    "convert": _convert,
    "close": _close,
    "reopen": _reopen,
    "sla_warning": _sla_warning,
    "sla_breach": _sla_breach,
}
