"""The receiver's phone number of an order, stored one way so that it can be searched.

A Chinese mobile number (11 digits starting 1[3-9]) or a landline with its area code; spaces,
dashes, brackets and a +86 / 0086 prefix are accepted and dropped.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from aftersales.core.errors import BadRequest

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{9,11}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise(text: str) -> str:
    """Digits only, without the country code; '' when `text` is not a phone number."""
    digits = _SEPARATORS.sub("", text.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if MOBILE.match(digits) or LANDLINE.match(digits):
        return digits
    return ""


def clean(text: str, *, field: str = "phone") -> str:
    """The stored form of a phone number given in an order, or 400 naming the field."""
    if not text.strip():
        return ""
    number = normalise(text)
    if not number:
        raise BadRequest(
            _("%(f)s must be a mobile number (11 digits) or a landline with its area code.")
            % {"f": field},
            field=field,
        )
    return number
