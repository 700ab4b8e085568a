"""Who may ask for what, checked when a case is created (spec/workflows.md "Eligible")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from aftersales.cases import claims, policy
from aftersales.cases.models import QUALITY_REASONS, Reason
from aftersales.core.errors import DomainError, RuleViolation
from aftersales.core.periods import days, end_of_local_day, local_date
from aftersales.orders.models import Order, OrderItem


def _not_eligible(message: str, rule: str) -> RuleViolation:
    return RuleViolation(message, code="not_eligible", rule=rule, field="type")


def _within_days_of_receipt(order: Order, n: int, now: dt.datetime) -> bool:
    assert order.received_at is not None
    # Natural days, the day after receipt being day 1 (rule 3.1; CRPL art. 25).
    return now <= days(n).due(order.received_at)


def _require_received(order: Order, rule: str) -> None:
    if order.received_at is None:
        raise _not_eligible(_("The order has not been received yet."), rule)


def check(
    order: Order,
    case_type: str,
    reason: str,
    now: dt.datetime,
    *,
    items: Sequence[OrderItem] | None = None,
) -> None:
    """Raise RuleViolation(code="not_eligible") naming the rule when the request is refused.
    Category rules apply to the claimed `items` (default: the whole order)."""
    claimed = list(order.items.all()) if items is None else list(items)
    if order.paid_at is None:
        raise _not_eligible(_("The order has not been paid."), "common")
    if case_type == "refund_only":
        n = policy.value("refund_only_days_after_receipt")
        if order.received_at is not None and not _within_days_of_receipt(order, n, now):
            raise _not_eligible(
                _("Refund only is possible within %(n)d days after receipt.") % {"n": n},
                "refund_only ⚙ 15 days",
            )
    elif case_type == "return_refund":
        _check_return(order, claimed, reason, now)
    elif case_type in ("exchange", "resend"):
        n = policy.value(f"{case_type}_days")
        _require_received(order, f"{case_type} ⚙ 15 days")
        if not _within_days_of_receipt(order, n, now):
            raise _not_eligible(
                _("This request is possible within %(n)d days after receipt.") % {"n": n},
                f"{case_type} ⚙ 15 days",
            )
    elif case_type == "repair":
        _check_repair(order, claimed, now)


def _check_return(order: Order, items: Sequence[OrderItem], reason: str, now: dt.datetime) -> None:
    if reason == Reason.NO_REASON:
        rule = "CRPL art. 25"
        _require_received(order, rule)
        excluded = [
            item.category.name for item in items if item.category.excluded_from_no_reason_return
        ]
        if excluded:
            raise _not_eligible(
                _("Category %(c)s is excluded from seven-day no-reason returns.")
                % {"c": excluded[0]},
                rule,
            )
        n = policy.value("no_reason_return_days")
        if not _within_days_of_receipt(order, n, now):
            raise _not_eligible(
                _("No-reason returns are possible within %(n)d days after receipt.") % {"n": n},
                rule,
            )
    elif reason in QUALITY_REASONS:
        rule = "return_refund ⚙ quality 15 days"
        _require_received(order, rule)
        n = policy.value("quality_return_days")
        if not _within_days_of_receipt(order, n, now):
            raise _not_eligible(
                _("Returns for quality problems are possible within %(n)d days after receipt.")
                % {"n": n},
                rule,
            )
    else:
        raise RuleViolation(
            _("A return needs the reason no_reason or a quality reason."),
            code="not_eligible",
            field="reason",
            rule="return_refund",
        )


def repair_deadline(order: Order, items: Sequence[OrderItem] | None = None) -> dt.datetime | None:
    """Rule 2.1: the latest of the four periods, or None while the order is not received (the
    periods count from receipt, so the consumer is still within them)."""
    if order.received_at is None:
        return None
    received = order.received_at
    candidates = [days(policy.value("repair_days_after_receipt")).due(received)]
    for item in order.items.all() if items is None else items:
        for n in (item.category.national_warranty_days, item.category.platform_rule_days):
            if n:
                candidates.append(days(n).due(received))
    if order.shop.promised_after_sales_days:
        candidates.append(days(order.shop.promised_after_sales_days).due(received))
    if order.merchant_promise_until:
        candidates.append(end_of_local_day(local_date(order.merchant_promise_until)))
    return max(candidates)


def _check_repair(order: Order, items: Sequence[OrderItem], now: dt.datetime) -> None:
    if order.shipped_at is None:
        raise _not_eligible(_("Repair applies only to orders that have shipped."), "1.2")
    if not items or not all(item.category.repairable for item in items):
        raise _not_eligible(_("Repair applies only to the categories listed in rule 1.2."), "1.2")
    latest = repair_deadline(order, items)
    if latest is not None and now > latest:
        raise _not_eligible(_("The repair application period has ended."), "2.1")


def refusal(order: Order, case_type: str, reason: str, now: dt.datetime) -> DomainError | None:
    """Why a request of `case_type` on the whole order would be refused now (an open request
    on its items, nothing left to claim, or a rule), or None when it would be accepted."""
    try:
        lines = claims.select_lines(order, claims.default_selection(order, case_type))
        check(order, case_type, reason, now, items=[line.item for line in lines])
    except DomainError as error:
        return error
    return None
