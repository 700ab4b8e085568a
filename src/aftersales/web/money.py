"""Yuan typed by people ↔ integer fen, without floats."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

YUAN = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def yuan_to_fen(text: str) -> int:
    text = text.strip()
    if not YUAN.match(text):
        raise ValueError(text)
    try:
        return int(Decimal(text) * 100)
    except InvalidOperation as error:
        raise ValueError(text) from error


class YuanField(forms.CharField):
    """A money input in yuan (up to two decimals) whose cleaned value is integer fen."""

    default_error_messages = {"invalid": _("Enter an amount in yuan, e.g. 12.50.")}

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return yuan_to_fen(text)
        except ValueError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error
