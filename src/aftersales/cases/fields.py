"""Validation of action fields (spec/workflows.md "Action fields")."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from aftersales.cases.workflows.base import ACTION_FIELDS
from aftersales.core.errors import BadRequest

TRACKING_NO = re.compile(r"^[A-Za-z0-9-]{4,40}$")
MAX_EVIDENCE = 9
MAX_SHIPPING_FEN = 100_000  # 1000 yuan: more is a typo, not a parcel


def _text(name: str, lo: int, hi: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise BadRequest(_("%(f)s must be text.") % {"f": name}, field=name)
        value = value.strip()
        if not lo <= len(value) <= hi:
            raise BadRequest(
                _("%(f)s must be %(lo)d to %(hi)d characters.") % {"f": name, "lo": lo, "hi": hi},
                field=name,
                params={"min_length": lo, "max_length": hi},
            )
        return value

    return check


def _integer(name: str, lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(_("%(f)s must be an integer.") % {"f": name}, field=name)
        if not lo <= value <= hi:
            raise BadRequest(
                _("%(f)s must be between %(lo)d and %(hi)d.") % {"f": name, "lo": lo, "hi": hi},
                field=name,
                params={"min": lo, "max": hi},
            )
        return value

    return check


def _choice(name: str, options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise BadRequest(
                _("%(f)s must be one of: %(o)s.") % {"f": name, "o": ", ".join(options)},
                field=name,
            )
        return str(value)

    return check


def _boolean(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise BadRequest(_("%(f)s must be true or false.") % {"f": name}, field=name)
        return value

    return check


def _tracking_no(value: Any) -> str:
    if not isinstance(value, str) or not TRACKING_NO.match(value.strip()):
        raise BadRequest(
            _("tracking_no must be 4 to 40 letters, digits or dashes."), field="tracking_no"
        )
    return value.strip()


def _evidence(value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or len(value) > MAX_EVIDENCE
        or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value)
    ):
        raise BadRequest(
            _("evidence must be a list of at most 9 attachment ids."), field="evidence"
        )
    return value


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "return_address": _text("return_address", 5, 300),
    "reason": _text("reason", 2, 500),
    "evidence": _evidence,
    "carrier": _text("carrier", 1, 32),
    "tracking_no": _tracking_no,
    "return_shipping_fen": _integer("return_shipping_fen", 0, MAX_SHIPPING_FEN),
    "result": _choice("result", ("meets", "fails")),
    "report": _text("report", 2, 5000),
    "terms": _text("terms", 2, 2000),
    "amount_fen": _integer("amount_fen", 1, 10**12),
    "description": _text("description", 0, 2000),
    "remaining_hours": _integer("remaining_hours", -(10**6), 10**6),
    "outcome": _text("outcome", 1, 32),
    "note": _text("note", 2, 2000),
    "return_goods": _boolean("return_goods"),
}


def clean(action: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the validated fields of `action`, or raise BadRequest naming the field."""
    if not isinstance(fields, dict):
        raise BadRequest(_("The body must be a JSON object."), field=None)
    required, optional = ACTION_FIELDS[action]
    allowed = required | optional
    for name in fields:
        if name not in allowed:
            raise BadRequest(
                _("Unknown field %(f)s for action %(a)s.") % {"f": name, "a": action}, field=name
            )
    cleaned: dict[str, Any] = {}
    for name in sorted(required):
        if fields.get(name) is None:
            raise BadRequest(
                _("%(f)s is required.") % {"f": name}, field=name, params={"required": True}
            )
    for name, value in fields.items():
        if value is None:
            continue
        cleaned[name] = VALIDATORS[name](value)
    return cleaned
