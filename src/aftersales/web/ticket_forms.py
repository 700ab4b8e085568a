"""Forms for tickets in the consoles, one per workflow action."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.tickets.access import parties
from aftersales.tickets.models import SUBTYPES, Ticket, TicketType
from aftersales.tickets.presentation import PARTY_LABELS, SUBTYPE_LABELS
from aftersales.tickets.workflow import transition_for
from aftersales.web.forms import MultipleFileField

_TEXT = forms.Textarea(attrs={"rows": 3})


class NewTicketForm(forms.Form):
    subtype = forms.ChoiceField(label=_("Problem"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=_TEXT
    )
    # A damaged or faulty product is shown, not only described (checked again when stored).
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 9 photos (JPEG, PNG, GIF or WebP), at most 5 MB each."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["subtype"]).choices = [
            (f"{t}:{s}", f"{TicketType(t).label} · {SUBTYPE_LABELS[s]}")
            for t, subtypes in SUBTYPES.items()
            for s in subtypes
        ]


class TicketActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, action: str, ticket: Ticket, party: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        transition = transition_for(action)
        assert transition is not None
        self.action = action
        names = list(transition.fields) + list(transition.optional)
        limits = {name: (low, high) for name, low, high in transition.text_limits}
        for name in names:
            field = self._field(name, ticket, party, limits.get(name, (1, 5000)))
            if field is not None:
                field.required = name in transition.fields
                self.fields[name] = field
        self.fields["version"].initial = ticket.version

    @staticmethod
    def _field(
        name: str, ticket: Ticket, party: str, limits: tuple[int, int]
    ) -> forms.Field | None:
        if name in ("body", "resolution", "reason"):
            labels = {"body": _("Message"), "resolution": _("Resolution"), "reason": _("Reason")}
            low, high = limits
            return forms.CharField(
                label=labels[name],
                min_length=low,
                max_length=high,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if name == "internal":
            if party == "consumer":
                return None
            return forms.BooleanField(label=_("Internal (not shown to the consumer)"))
        if name == "from_party":
            return forms.ChoiceField(
                label=_("From"),
                choices=[(p, PARTY_LABELS[p]) for p in parties(ticket) if p != party],
            )
        if name == "task_id":
            return forms.ChoiceField(
                label=_("Task"),
                choices=[
                    (t.id, t.description) for t in ticket.tasks.filter(party=party, done_at=None)
                ],
            )
        if name == "assignee":
            return forms.CharField(label=_("Assignee (username)"), max_length=150)
        if name == "case_type":
            return forms.ChoiceField(
                label=_("Case type"),
                choices=[
                    ("return_refund", _("Return and refund")),
                    ("exchange", _("Exchange")),
                    ("repair", _("Repair")),
                ],
            )
        return None

    def action_fields(self) -> dict[str, Any]:
        data = {
            k: v for k, v in self.cleaned_data.items() if k != "version" and v not in (None, "")
        }
        if "task_id" in data:
            data["task_id"] = int(data["task_id"])
        if data.get("internal") is False:
            data.pop("internal")
        return data
