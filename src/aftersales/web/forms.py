"""Forms of the consoles. Action forms are built from the workflow's action fields, so a new
action field appears in the console without a second list to keep in step."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.cases import attachments, engine
from aftersales.cases.models import Case, Reason
from aftersales.cases.presentation import OUTCOME_LABELS, REASON_LABELS, TYPE_LABELS
from aftersales.cases.workflows import workflow_for
from aftersales.catalog.models import Carrier
from aftersales.web.money import YuanField


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to nine files of `types` (what the server's sniffer accepts for the field)."""

    def __init__(self, *args, types: tuple[str, ...] = attachments.PHOTO_TYPES, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(types)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class CaseRequestForm(forms.Form):
    type = forms.ChoiceField(label=_("Request type"))
    reason = forms.ChoiceField(label=_("Reason"), choices=list(REASON_LABELS.items()))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = YuanField(
        label=_("Refund amount"),
        required=False,
        help_text=_("In yuan, e.g. 12.50; leave empty for the whole amount."),
    )
    items = forms.MultipleChoiceField(
        label=_("Which items"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every item listed."),
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 9 photos (JPEG, PNG, GIF or WebP), at most 5 MB each."),
    )

    def __init__(
        self,
        *args,
        eligible_types: list[str],
        item_choices: list[tuple[str, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if item_choices and len(item_choices) > 1:
            cast(forms.MultipleChoiceField, self.fields["items"]).choices = item_choices
        else:  # one line (or none) left: nothing to choose
            del self.fields["items"]
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            (t, TYPE_LABELS[t]) for t in eligible_types
        ]
        cast(forms.ChoiceField, self.fields["reason"]).choices = [
            (r.value, REASON_LABELS[r.value]) for r in Reason
        ]


def _field_for(name: str, case: Case) -> forms.Field:
    if name == "carrier":
        return forms.ChoiceField(
            label=_("Carrier"),
            choices=[(c.code, c.name) for c in Carrier.objects.order_by("name")],
        )
    if name == "tracking_no":
        return forms.CharField(label=_("Tracking number"), max_length=40)
    if name in ("reason", "report", "terms", "description", "note"):
        labels = {
            "reason": _("Reason"),
            "report": _("Inspection report"),
            "terms": _("Agreed terms"),
            "description": _("Description"),
            "note": _("Note"),
        }
        return forms.CharField(
            label=labels[name], max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
        )
    if name == "return_address":
        return forms.CharField(
            label=_("Return address"), max_length=300, initial=case.shop.return_address
        )
    if name == "return_shipping_fen":
        return YuanField(label=_("Return shipping paid"), help_text=_("In yuan, e.g. 12.50."))
    if name == "amount_fen":
        return YuanField(label=_("Refund amount"), help_text=_("In yuan, e.g. 12.50."))
    if name == "result":
        return forms.ChoiceField(
            label=_("Result"),
            choices=[
                ("meets", _("Meets the repair standard")),
                ("fails", _("Does not meet the standard")),
            ],
        )
    if name == "return_goods":
        return forms.TypedChoiceField(
            label=_("The goods"),
            choices=[
                ("", _("Choose…")),
                ("yes", _("Sent back to the merchant before the refund")),
                ("no", _("Kept by the consumer")),
            ],
            coerce=lambda value: value == "yes",
            empty_value=None,
        )
    if name == "remaining_hours":
        return forms.IntegerField(
            label=_("Hours left"), help_text=_("At least 24."), min_value=0, max_value=48
        )
    if name == "outcome":
        # One choice per outcome, however many transitions rule it (e.g. with a return first).
        outcomes = list(
            dict.fromkeys(
                str(t.when["outcome"])
                for t in workflow_for(case.type).transitions
                if t.action == "rule"
            )
        )
        return forms.ChoiceField(
            label=_("Outcome"),
            choices=[(o, OUTCOME_LABELS[o]) for o in outcomes],
            initial=case.recommended_outcome or None,
        )
    if name == "return_goods":
        # Three answers, not a checkbox: "not said" is left out of the ruling's fields.
        return forms.TypedChoiceField(
            label=_("The goods"),
            choices=[
                ("", _("Not a refund, or the goods are already back")),
                ("yes", _("Sent back to the shop before the refund")),
                ("no", _("Kept by the consumer")),
            ],
            coerce=lambda answer: answer == "yes",
            empty_value=None,
        )
    if name == "evidence":
        return MultipleFileField(
            label=_("Evidence"),
            types=attachments.DOCUMENT_TYPES,
            help_text=_("Up to 9 photos or PDF files, at most 5 MB each."),
        )
    raise KeyError(name)


class ActionForm(forms.Form):
    """The form of one workflow action on one case."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, action: str, case: Case, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.action = action
        required, optional = engine.fields_asked(case, action)
        for name in [*sorted(required), *sorted(optional)]:
            field = _field_for(name, case)
            field.required = name in required
            self.fields[name] = field
        self.fields["version"].initial = case.version

    @property
    def has_visible_fields(self) -> bool:
        return any(not f.is_hidden for f in self)

    def workflow_fields(self) -> dict[str, Any]:
        """Cleaned values for the service, without empty optional ones and the files."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "evidence") and value not in (None, "", [])
        }
