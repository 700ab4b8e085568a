"""Consumer portal: my orders, filing requests, my cases and coupons."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from aftersales.cases import claims, eligibility, services
from aftersales.cases.models import Case
from aftersales.cases.presentation import STATUS_LABELS, TYPE_LABELS
from aftersales.cases.workflows import CASE_TYPES
from aftersales.core import clock
from aftersales.core.errors import DomainError
from aftersales.core.money import yuan
from aftersales.ledger.models import Coupon
from aftersales.orders.models import Order, OrderItem
from aftersales.web.access import role_required
from aftersales.web.errors import add_to_form
from aftersales.web.forms import CaseRequestForm
from aftersales.web.requests import AuthedRequest

# The reason each type is checked with when the consumer has not chosen one yet.
_PROBE_REASON = {"return_refund": "quality"}


def _order_options(order: Order) -> list[dict]:
    """Each after-sales type with whether this order may use it now, and why not: the same
    checks as filing (open requests on its items, money left, the rules)."""
    now = clock.now()
    open_cases = {c.type: c for c in order.cases.all() if c.is_open}
    options = []
    for case_type in CASE_TYPES:
        refusal = eligibility.refusal(order, case_type, _PROBE_REASON.get(case_type, "other"), now)
        options.append(
            {
                "type": case_type,
                "label": TYPE_LABELS[case_type],
                "eligible": refusal is None,
                "reason": refusal.message if refusal else "",
                "open_case": open_cases.get(case_type),
            }
        )
    return options


@role_required("consumer")
def orders(request: AuthedRequest) -> HttpResponse:
    mine = (
        Order.objects.filter(consumer=request.user)
        .select_related("shop")
        .prefetch_related(Prefetch("items", OrderItem.objects.select_related("category")), "cases")
        .order_by("-paid_at", "-id")[:100]
    )
    cases = Case.objects.filter(consumer=request.user).select_related("shop").order_by("-id")[:50]
    return render(
        request,
        "web/consumer/orders.html",
        {
            "orders": mine,
            "cases": cases,
            "status_labels": STATUS_LABELS,
            "type_labels": TYPE_LABELS,
        },
    )


@role_required("consumer")
def order_detail(request: AuthedRequest, order_sn: str) -> HttpResponse:
    order = (
        Order.objects.filter(consumer=request.user, order_sn=order_sn)
        .select_related("shop")
        .prefetch_related(Prefetch("items", OrderItem.objects.select_related("category")), "cases")
        .first()
    )
    if order is None:
        raise Http404
    options = _order_options(order)
    eligible = [o["type"] for o in options if o["eligible"]]
    item_choices = [
        (line.item.sku, f"{line.item.title} ×{line.quantity}（¥{yuan(line.claimable_fen)}）")
        for line in claims.free_lines(order)
    ]
    form = CaseRequestForm(
        request.POST or None,
        request.FILES or None,
        eligible_types=eligible,
        item_choices=item_choices,
        initial={"type": request.GET.get("type")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.create_case(
                request.user,
                order_sn=order.order_sn,
                type=form.cleaned_data["type"],
                reason=form.cleaned_data["reason"],
                description=form.cleaned_data["description"],
                amount_fen=form.cleaned_data["amount"],
                items=[{"sku": sku} for sku in form.cleaned_data.get("items") or []] or None,
                photos=form.cleaned_data["photos"],
            )
        except DomainError as error:
            add_to_form(form, error, fields={"amount_fen": "amount"})
        else:
            return redirect("web:case", case_no=case.case_no)
    return render(
        request,
        "web/consumer/order.html",
        {
            "order": order,
            "options": options,
            "form": form,
            "cases": order.cases.order_by("-id"),
            "status_labels": STATUS_LABELS,
            "type_labels": TYPE_LABELS,
        },
        status=422 if request.method == "POST" else 200,
    )


@role_required("consumer")
def coupons(request: AuthedRequest) -> HttpResponse:
    mine = Coupon.objects.filter(consumer=request.user).select_related("shop", "case")
    return render(request, "web/consumer/coupons.html", {"coupons": mine.order_by("-id")})
