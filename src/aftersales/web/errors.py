"""Domain errors in the consoles' words: the field as the page labels it, amounts in yuan.

The API keeps the domain's message and field names (they are its contract). A console words
the same error again from its code and params (`DomainError.params`), naming the form field
by its label."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from aftersales.cases.models import Case
from aftersales.cases.presentation import STATUS_LABELS
from aftersales.core.errors import DomainError
from aftersales.web.templatetags.web_tags import yuan


def _money(field: str) -> bool:
    return field.endswith("_fen")


def _amount(value: int, field: str) -> str:
    return yuan(value) if _money(field) else str(value)


def field_message(error: DomainError, label: str, *, case: Case | None = None) -> str:
    """`error`, which concerns the form field labelled `label`, in words for the page."""
    field = error.field or ""
    params = error.params
    if params.get("required"):
        return _("%(label)s is required.") % {"label": label}
    if "max_length" in params:
        lo, hi = params["min_length"], params["max_length"]
        if lo == 0:
            return _("%(label)s may be at most %(hi)d characters long.") % {
                "label": label,
                "hi": hi,
            }
        return _("%(label)s must be %(lo)d to %(hi)d characters long.") % {
            "label": label,
            "lo": lo,
            "hi": hi,
        }
    if "max" in params:
        return _("%(label)s must be between %(lo)s and %(hi)s.") % {
            "label": label,
            "lo": _amount(params["min"], field),
            "hi": _amount(params["max"], field),
        }
    if error.code in ("amount_too_large", "amount_exceeds_order"):
        limit = params.get("limit_fen", case.amount_fen if case is not None else None)
        if limit is not None and error.code == "amount_too_large":
            return _("%(label)s may not exceed %(limit)s, the amount of this request.") % {
                "label": label,
                "limit": yuan(limit),
            }
        if limit is not None and "limit_fen" in params:
            return _("%(label)s may not exceed %(limit)s, what is left to claim.") % {
                "label": label,
                "limit": yuan(limit),
            }
    if error.code == "amount_not_allowed":
        return _("%(label)s is only for rulings that refund.") % {"label": label}
    if error.code == "amount_required":
        return _("A partial refund needs the %(label)s.") % {"label": label}
    # Not worded here: the domain's own message, with the field's label for its name.
    if field and error.message.startswith(f"{field} "):
        return f"{label}{' ' if _needs_space(label) else ''}{error.message[len(field) + 1 :]}"
    return error.message


def _needs_space(label: str) -> bool:
    return label[-1:].isascii()


def add_to_form(
    form: forms.Form,
    error: DomainError,
    *,
    fields: dict[str, str] | None = None,
    case: Case | None = None,
) -> None:
    """Show `error` on `form`: under the field it concerns, worded with that field's label,
    or above the form. `fields` maps a domain field name to the form's, where they differ."""
    name = (fields or {}).get(error.field or "", error.field)
    if name and name in form.fields:
        label = str(form.fields[name].label or name)
        form.add_error(name, field_message(error, label, case=case))
    else:
        form.add_error(None, error.message)


def stale_message(case: Case) -> str:
    """What a person is told when the form they sent was shown before the case changed."""
    return _("This case has changed: %(status)s. Check the latest state before acting again.") % {
        "status": STATUS_LABELS.get(case.status, case.status)
    }
