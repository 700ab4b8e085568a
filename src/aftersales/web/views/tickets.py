"""Tickets in the consoles: each party's list, the ticket page and its actions, and opening a
ticket from an order."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.core import clock
from aftersales.core.errors import DomainError, NotFound
from aftersales.core.models import Role
from aftersales.tickets import presentation, queries, services
from aftersales.tickets.access import access_ticket, party_of, visible_tickets
from aftersales.tickets.models import Priority, Ticket
from aftersales.web.access import role_required
from aftersales.web.errors import add_to_form
from aftersales.web.requests import AuthedRequest
from aftersales.web.ticket_forms import NewTicketForm, TicketActionForm
from aftersales.web.uploads import serve_upload

LIST_TEMPLATE_CONTEXT = {
    "status_labels": presentation.STATUS_LABELS,
    "subtype_labels": presentation.SUBTYPE_LABELS,
    "priority_labels": dict(Priority.choices),
}
# Times as the consoles write them, in the platform's zone (Django's `date` filter format).
WHEN_FORMAT = gettext_lazy("M j, H:i")


@login_required
def ticket_list(request: AuthedRequest) -> HttpResponse:
    tickets = visible_tickets(request.user).select_related("shop", "carrier", "assignee")
    view = request.GET.get("view", "open")
    if view == "open":
        tickets = tickets.filter(is_open=True)
    elif view == "escalated":
        tickets = tickets.filter(escalated=True, is_open=True)
    page = Paginator(tickets.order_by("priority", "created_at"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "web/tickets/list.html",
        {
            "page": page,
            "view": view,
            "staff": request.user.role != Role.CONSUMER,
            "platform": request.user.role in (Role.AGENT, Role.ADMIN),
            "when_format": WHEN_FORMAT,
            **LIST_TEMPLATE_CONTEXT,
        },
    )


def _context(ticket: Ticket, request: AuthedRequest, forms=None) -> dict:
    party = party_of(request.user, ticket) or ""
    body = queries.ticket_body(ticket, request.user)
    forms = forms or {}
    staff = party in ("shop", "carrier", "platform")
    return {
        "ticket": ticket,
        "body": body,
        "party": party,
        "now": clock.now(),
        "when_format": WHEN_FORMAT,
        # The consumer's page shows no internal fields: no priority, team, assignee or SLA.
        "staff": staff,
        "priority_label": presentation.priority_label(ticket) if staff else "",
        "assignee_name": presentation.assignee_name(ticket, party) if staff else "",
        "sla_rows": presentation.sla_rows(ticket) if staff else [],
        "tasks": presentation.tasks(body),
        "messages_shown": presentation.messages(body, party),
        "timeline": presentation.timeline(ticket, body, party),
        "photos": list(ticket.photos.order_by("id")),
        "action_forms": [
            (
                action,
                presentation.ACTION_LABELS.get(action, action),
                forms.get(action) or TicketActionForm(action=action, ticket=ticket, party=party),
            )
            for action in body["allowed_actions"]
        ],
        "action_labels": presentation.ACTION_LABELS,
        "party_labels": presentation.PARTY_LABELS,
        **LIST_TEMPLATE_CONTEXT,
    }


def _render(request: AuthedRequest, ticket: Ticket, forms=None, status: int = 200):
    template = "web/tickets/_panel.html" if request.htmx else "web/tickets/detail.html"
    return render(request, template, _context(ticket, request, forms), status=status)


def _access(request: AuthedRequest, ticket_no: str) -> Ticket:
    try:
        return access_ticket(request.user, ticket_no)
    except NotFound as error:
        raise Http404 from error


@login_required
def ticket_detail(request: AuthedRequest, ticket_no: str) -> HttpResponse:
    return _render(request, _access(request, ticket_no))


@login_required
@require_POST
def ticket_action(request: AuthedRequest, ticket_no: str, action: str) -> HttpResponse:
    ticket = _access(request, ticket_no)
    party = party_of(request.user, ticket)
    if party is None or action not in services.allowed_actions(ticket, party):
        raise Http404
    form = TicketActionForm(request.POST, action=action, ticket=ticket, party=party)
    if form.is_valid():
        try:
            services.perform(
                request.user,
                ticket_no=ticket_no,
                action=action,
                fields=form.action_fields(),
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request, _("%(a)s: done.") % {"a": presentation.ACTION_LABELS.get(action, action)}
            )
            if request.htmx:
                ticket.refresh_from_db()
                return _render(request, ticket)
            return redirect("web:ticket", ticket_no=ticket_no)
    ticket.refresh_from_db()
    return _render(request, ticket, {action: form}, status=200 if request.htmx else 422)


@role_required("consumer")
def new_ticket(request: AuthedRequest, order_sn: str) -> HttpResponse:
    form = NewTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        ticket_type, subtype = form.cleaned_data["subtype"].split(":", 1)
        try:
            ticket = services.create_ticket(
                request.user,
                type=ticket_type,
                subtype=subtype,
                order_sn=order_sn,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                photos=form.cleaned_data["photos"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            return redirect("web:ticket", ticket_no=ticket.ticket_no)
    return render(
        request,
        "web/tickets/new.html",
        {"form": form, "order_sn": order_sn},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def ticket_photo(request: AuthedRequest, ticket_no: str, public_id: str) -> FileResponse:
    """A photo sent with a ticket, for the ticket's parties only (the same 404 otherwise)."""
    ticket = _access(request, ticket_no)
    photo = ticket.photos.filter(public_id=public_id).first()
    if photo is None:
        raise Http404
    return serve_upload(photo)
