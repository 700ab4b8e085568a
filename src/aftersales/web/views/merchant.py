"""Merchant workbench: the shop's queue under deadlines, search, bulk agree and refuse,
balance and ledger."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from aftersales.cases import services
from aftersales.cases.models import Case
from aftersales.cases.presentation import STATUS_LABELS, TYPE_LABELS
from aftersales.core import clock
from aftersales.core.errors import DomainError
from aftersales.ledger import services as ledger
from aftersales.ledger.models import LedgerEntry
from aftersales.web.access import role_required
from aftersales.web.requests import AuthedRequest
from aftersales.web.views.queues import QueueFilters, filtered, searched_text

BULK_LIMIT = 100  # cases per bulk action: each is its own transaction


def _shop_id(request: AuthedRequest) -> int:
    if request.user.shop_id is None:
        raise Http404  # a merchant account not yet attached to a shop
    return request.user.shop_id


@role_required("merchant")
def queue(request: AuthedRequest) -> HttpResponse:
    shop_id = _shop_id(request)
    filters = QueueFilters(request.GET or None, initial={"open_only": True})
    cases = filtered(
        Case.objects.filter(shop_id=shop_id)
        .select_related("order", "consumer")
        .prefetch_related("order__items"),
        filters,
    )
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "searched": searched_text(filters),
        # Not `required` in the browser: the same form also submits "agree to selected".
        "refusal": BulkRefusalForm(use_required_attribute=False),
        "now": clock.now(),
        "status_labels": STATUS_LABELS,
        "type_labels": TYPE_LABELS,
        "balance_fen": ledger.shop_balance(shop_id),
    }
    template = "web/merchant/_queue_table.html" if request.htmx else "web/merchant/queue.html"
    return render(request, template, context)


def _each_case(
    request: AuthedRequest, case_nos: list[str], action: str, fields_in: dict
) -> tuple[list[str], list[tuple[str, DomainError]]]:
    """Take `action` on each case through the case service, each in its own transaction, at
    the version its row was shown with: one that changed since, or cannot take the action,
    is left as it is and reported."""
    done: list[str] = []
    failed: list[tuple[str, DomainError]] = []
    for case_no in case_nos:
        shown = request.POST.get(f"version-{case_no}", "")
        try:
            services.perform_action(
                request.user,
                case_no=case_no,
                action=action,
                fields_in=fields_in,
                expected_version=int(shown) if shown.isdigit() else None,
            )
            done.append(case_no)
        except DomainError as error:
            failed.append((case_no, error))
    return done, failed


@role_required("merchant")
@require_POST
def bulk_agree(request: AuthedRequest) -> HttpResponse:
    case_nos = request.POST.getlist("case_no")[:100]
    done, failed = _each_case(request, case_nos, "agree", {})
    if done:
        messages.success(request, _("Agreed %(n)d cases.") % {"n": len(done)})
    for case_no, error in failed:
        why = (
            _("This case has changed since the page was shown; it was skipped.")
            if error.code == "stale_version"
            else error.message
        )
        messages.error(request, _("%(case)s: %(message)s") % {"case": case_no, "message": why})
    if not case_nos:
        messages.error(request, _("Select at least one case."))
    return redirect("web:merchant-queue")


class BulkRefusalForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("Reason for refusing"),
        min_length=2,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _lazy("One reason for every selected case")}),
    )


def _why_not(error: DomainError, case_no: str, shop_id: int) -> str:
    """Why one case of a bulk action was not changed, in the page's words."""
    if error.code in ("stale_version", "wrong_status"):
        case = Case.objects.filter(case_no=case_no, shop_id=shop_id).only("status").first()
        status = STATUS_LABELS.get(case.status, "") if case else ""
        if error.code == "stale_version":
            return _(
                "It changed after the page was shown: it is %(status)s now. Check it before "
                "acting again."
            ) % {"status": status}
        return _("It is %(status)s now, so it cannot be refused.") % {"status": status}
    if error.status == 404:
        return _("No such case in your shop.")
    if error.status == 403:
        return _("The shop may not refuse it at this step.")
    return error.message


@role_required("merchant")
@require_POST
def bulk_refuse(request: AuthedRequest) -> HttpResponse:
    """Refuse the selected cases with one reason: each through the case service in its own
    transaction, so one that cannot be refused leaves the others refused."""
    shop_id = _shop_id(request)
    case_nos = request.POST.getlist("case_no")[:BULK_LIMIT]
    form = BulkRefusalForm(request.POST)
    if not case_nos:
        messages.error(request, _("Select at least one case."))
        return redirect("web:merchant-queue")
    if not form.is_valid():
        messages.error(request, _("Write a reason for refusing, 2 to 500 characters."))
        return redirect("web:merchant-queue")
    refused, failed = _each_case(
        request, case_nos, "refuse", {"reason": form.cleaned_data["reason"]}
    )
    not_refused = [
        _("%(case)s was not refused: %(why)s")
        % {"case": case_no, "why": _why_not(error, case_no, shop_id)}
        for case_no, error in failed
    ]
    if refused:
        messages.success(request, _("Refused %(n)d cases.") % {"n": len(refused)})
    for line in not_refused:
        messages.error(request, line)
    return redirect("web:merchant-queue")


@role_required("merchant")
def ledger_page(request: AuthedRequest) -> HttpResponse:
    _shop_id(request)
    shop = request.user.shop
    assert shop is not None
    entries = (
        LedgerEntry.objects.filter(shop=shop)
        .select_related("case")
        .order_by("-created_at", "-id")  # newest first; ties in the order they were written
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/merchant/ledger.html",
        {
            "shop": shop,
            "balance_fen": ledger.shop_balance(shop.id),
            "security_deposit_fen": ledger.security_deposit_balance(shop.id),
            "security_deposit_target_fen": shop.security_deposit_target_fen,
            "page": page,
        },
    )
