"""Policy settings: the ⚙ choices of spec/workflows.md with their defaults.

Override any of them in Django settings `AFTERSALES_POLICY` (or the environment variable of
the same name, as JSON). Timer lengths are overridden by the `setting` named in the workflow
table.
"""

from __future__ import annotations

from django.conf import settings

from aftersales.core.periods import Period

DEFAULTS: dict[str, int] = {
    "refund_only_days_after_receipt": 15,
    "no_reason_return_days": 7,
    "quality_return_days": 15,
    "exchange_days": 15,
    "resend_days": 15,
    # Rule 2.1(1): repair may be asked for until 365 days after receipt (a rule, not ⚙).
    "repair_days_after_receipt": 365,
    # Rule 2.2: a shortened merchant deadline keeps at least 24 hours.
    "shortened_deadline_floor_hours": 24,
    # CRPL art. 25: a no-reason return's shipping is the consumer's unless the shop promises
    # otherwise (1: the shop pays it, e.g. with return-shipping insurance).
    "no_reason_return_shipping_paid_by_merchant": 0,
}


def value(key: str) -> int:
    overrides = getattr(settings, "AFTERSALES_POLICY", {}) or {}
    if key in overrides:
        return int(overrides[key])
    return DEFAULTS[key]


def period_amount(period: Period) -> int:
    overrides = getattr(settings, "AFTERSALES_POLICY", {}) or {}
    if period.setting and period.setting in overrides:
        return int(overrides[period.setting])
    return period.amount
