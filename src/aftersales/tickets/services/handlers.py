"""What each ticket action does, one handler per action of the workflow table. A handler
changes the ticket in memory (the caller saves it and appends the event), records what it did
in `data`, and may name the target status."""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.cases import services as case_services
from aftersales.core.errors import BadRequest, Conflict, NotFound, RuleViolation
from aftersales.core.models import Role, User
from aftersales.deadlines import services as deadlines
from aftersales.tickets import routing, sla
from aftersales.tickets.access import parties
from aftersales.tickets.models import TicketMessage, TicketTask
from aftersales.tickets.workflow import AUTO_CLOSE_AFTER

CONVERTIBLE_CASE_TYPES = ("return_refund", "exchange", "repair")
SUBTYPE_TO_REASON = {
    "damaged": "damaged",
    "faulty": "faulty",
    "counterfeit": "quality",
    "not_as_described": "not_as_described",
}


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


HANDLERS = {
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
