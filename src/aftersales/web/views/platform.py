"""Platform console: the intervention queue with each requester's history, and search
across shops."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponse
from django.shortcuts import render

from aftersales.cases.models import Case
from aftersales.cases.presentation import OUTCOME_LABELS, STATUS_LABELS, TYPE_LABELS
from aftersales.cases.queries import other_cases_of_requesters
from aftersales.core import clock
from aftersales.core.models import User
from aftersales.tickets.access import visible_tickets
from aftersales.tickets.models import Ticket
from aftersales.tickets.presentation import STATUS_LABELS as TICKET_STATUS_LABELS
from aftersales.web.access import role_required
from aftersales.web.requests import AuthedRequest
from aftersales.web.views.queues import (
    QueueFilters,
    filtered,
    searched_text,
    with_next_deadline,
)

PANEL_ROWS = 8  # of each kind, newest first, in a requester panel


@dataclass(frozen=True)
class RequesterPanel:
    """Beside a case waiting for the platform: who asked, and what else they asked before."""

    cases: list[Case]
    case_count: int
    tickets: list[Ticket]
    ticket_count: int


def _requester_panels(user: User, cases: list[Case]) -> dict[int, RequesterPanel]:
    other_cases = other_cases_of_requesters(cases, per_requester=PANEL_ROWS)
    consumer_ids = {case.consumer_id for case in cases}
    theirs = visible_tickets(user).filter(consumer_id__in=consumer_ids)
    ticket_counts = dict(
        theirs.order_by()
        .values("consumer_id")
        .annotate(n=Count("id"))
        .values_list("consumer_id", "n")
    )
    newest = (
        theirs.annotate(
            rank=Window(RowNumber(), partition_by=[F("consumer_id")], order_by=F("id").desc())
        )
        .filter(rank__lte=PANEL_ROWS)
        .order_by("consumer_id", "-id")
    )
    tickets: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in newest:
        if ticket.consumer_id is not None:
            tickets[ticket.consumer_id].append(ticket)
    return {
        case.id: RequesterPanel(
            cases=other_cases[case.id][0],
            case_count=other_cases[case.id][1],
            tickets=tickets[case.consumer_id],
            ticket_count=ticket_counts.get(case.consumer_id, 0),
        )
        for case in cases
    }


@role_required("agent", "admin")
def review_queue(request: AuthedRequest) -> HttpResponse:
    cases = with_next_deadline(
        Case.objects.filter(status="platform_review").select_related("shop", "order", "consumer")
    ).order_by("status_entered_at")
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    panels = _requester_panels(request.user, list(page))
    return render(
        request,
        "web/platform/review_queue.html",
        {
            "page": page,
            "rows": [(case, panels[case.id]) for case in page],
            "outcome_labels": OUTCOME_LABELS,
            "type_labels": TYPE_LABELS,
            "status_labels": STATUS_LABELS,
            "ticket_status_labels": TICKET_STATUS_LABELS,
            "now": clock.now(),
        },
    )


@role_required("agent", "admin")
def search(request: AuthedRequest) -> HttpResponse:
    filters = QueueFilters(request.GET or None, initial={"open_only": True})
    cases = filtered(Case.objects.select_related("shop", "order", "consumer"), filters)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    template = "web/platform/_search_table.html" if request.htmx else "web/platform/search.html"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "searched": searched_text(filters),
            "type_labels": TYPE_LABELS,
            "status_labels": STATUS_LABELS,
            "now": clock.now(),
        },
    )
