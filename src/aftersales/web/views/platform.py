"""Platform console: the intervention queue and search across shops."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from aftersales.cases.models import Case
from aftersales.cases.presentation import OUTCOME_LABELS, STATUS_LABELS, TYPE_LABELS
from aftersales.core import clock
from aftersales.web.access import role_required
from aftersales.web.requests import AuthedRequest
from aftersales.web.views.queues import QueueFilters, filtered, with_next_deadline


@role_required("agent", "admin")
def review_queue(request: AuthedRequest) -> HttpResponse:
    cases = with_next_deadline(
        Case.objects.filter(status="platform_review").select_related("shop", "order")
    ).order_by("status_entered_at")
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "web/platform/review_queue.html",
        {
            "page": page,
            "outcome_labels": OUTCOME_LABELS,
            "type_labels": TYPE_LABELS,
            "status_labels": STATUS_LABELS,
            "now": clock.now(),
        },
    )


@role_required("agent", "admin")
def search(request: AuthedRequest) -> HttpResponse:
    filters = QueueFilters(request.GET or None, initial={"open_only": True})
    cases = filtered(Case.objects.select_related("shop", "order"), filters)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    template = "web/platform/_search_table.html" if request.htmx else "web/platform/search.html"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "type_labels": TYPE_LABELS,
            "status_labels": STATUS_LABELS,
            "now": clock.now(),
        },
    )
