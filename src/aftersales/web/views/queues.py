"""The case queues of the workbench and the platform console: filters, nearest deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from aftersales.cases.models import Case
from aftersales.cases.presentation import STATUS_LABELS, TYPE_LABELS
from aftersales.cases.queries import search_cases
from aftersales.core import clock
from aftersales.core.clock import platform_zone
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.web.money import YuanField


class QueueFilters(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Buyer, phone, product, case, order or waybill number"),
            }
        ),
    )
    type = forms.ChoiceField(label=_("Type"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    due_soon = forms.BooleanField(label=_("Due within 12 hours"), required=False)
    min_amount = YuanField(label=_("Amount from (yuan)"), required=False)
    max_amount = YuanField(label=_("to"), required=False)
    created_from = forms.DateField(
        label=_("Filed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    open_only = forms.BooleanField(label=_("Open only"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            ("", _("All types")),
            *TYPE_LABELS.items(),
        ]
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", _("All statuses")),
            *STATUS_LABELS.items(),
        ]


def searched_text(filters: QueueFilters) -> str:
    """What the person searched for, to name it when nothing is found."""
    return (filters.cleaned_data.get("q") or "").strip() if filters.is_valid() else ""


def with_next_deadline(cases: QuerySet[Case]) -> QuerySet[Case]:
    nearest = Deadline.objects.filter(
        subject_kind="case", subject_id=OuterRef("id"), status=DeadlineStatus.PENDING
    ).order_by("due_at")
    return cases.annotate(
        next_due=Subquery(nearest.values("due_at")[:1]),
        next_action=Subquery(nearest.values("action")[:1]),
    )


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=platform_zone())


def filtered(cases: QuerySet[Case], filters: QueueFilters) -> QuerySet[Case]:
    """Apply valid filters; the queue is sorted by the nearest deadline, then the oldest."""
    data: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {"open_only": True}
    if data.get("q"):
        cases = search_cases(cases, data["q"])
    if data.get("type"):
        cases = cases.filter(type=data["type"])
    if data.get("status"):
        cases = cases.filter(status=data["status"])
    elif data.get("open_only"):
        cases = cases.filter(is_open=True)
    if data.get("min_amount") is not None:
        cases = cases.filter(amount_fen__gte=data["min_amount"])
    if data.get("max_amount") is not None:
        cases = cases.filter(amount_fen__lte=data["max_amount"])
    if data.get("created_from"):
        cases = cases.filter(created_at__gte=_local_midnight(data["created_from"]))
    if data.get("created_to"):
        cases = cases.filter(
            created_at__lt=_local_midnight(data["created_to"] + dt.timedelta(days=1))
        )
    cases = with_next_deadline(cases)
    if data.get("due_soon"):
        cases = cases.filter(next_due__lte=clock.now() + dt.timedelta(hours=12))  # type: ignore[misc]
    return cases.order_by(F("next_due").asc(nulls_last=True), "created_at")
