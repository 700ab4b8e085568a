"""Every party's inbox in the console, and messages to a case's consumer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.cases.access import access_case, party_of
from aftersales.core import clock
from aftersales.core.errors import DomainError, NotFound
from aftersales.notify import services as notify
from aftersales.notify.models import Notification
from aftersales.web.requests import AuthedRequest


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    rows = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "web/inbox.html", {"page": page})


@login_required
@require_POST
def read_all(request: AuthedRequest) -> HttpResponse:
    notify.mark_all_read(request.user, now=clock.now())
    return redirect("web:inbox")


@login_required
@require_POST
def message_consumer(request: AuthedRequest, case_no: str) -> HttpResponse:
    try:
        case = access_case(request.user, case_no)
    except NotFound as error:
        raise Http404 from error
    if party_of(request.user, case) not in ("merchant", "agent"):
        raise Http404
    try:
        notify.message_consumer(
            request.user, case=case, text=request.POST.get("text", ""), now=clock.now()
        )
        messages.success(request, _("Your message was sent to the consumer."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:case", case_no=case_no)
