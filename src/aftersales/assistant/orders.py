"""Which of the consumer's orders and cases a message means. Only ever the consumer's own."""

from __future__ import annotations

import datetime as dt
import re

from aftersales.assistant.slots import Slots, mentioned_titles
from aftersales.cases import eligibility
from aftersales.cases.models import Case
from aftersales.core.errors import DomainError
from aftersales.core.models import User
from aftersales.orders.models import Order

RECENT = dt.timedelta(days=400)
_ORDINALS = {
    "第一": 0,
    "第1": 0,
    "第二": 1,
    "第2": 1,
    "第三": 2,
    "第3": 2,
    "第四": 3,
    "第4": 3,
    "第五": 4,
    "第5": 4,
}


def own_orders(consumer: User, now: dt.datetime) -> list[Order]:
    return list(
        Order.objects.filter(consumer=consumer, paid_at__gte=now - RECENT)
        .select_related("shop", "carrier")
        .prefetch_related("items__category")
        .order_by("-paid_at", "-id")[:20]
    )


def title_of(order: Order) -> str:
    return "、".join(item.title for item in order.items.all())


def pick_from_list(text: str, candidates: list[str]) -> str | None:
    """'第二个', '2', an order number or part of it picks from a list we offered."""
    for word, index in _ORDINALS.items():
        if word in text and index < len(candidates):
            return candidates[index]
    stripped = text.strip()
    if re.fullmatch(r"\d", stripped) and 0 < int(stripped) <= len(candidates):
        return candidates[int(stripped) - 1]
    for order_sn in candidates:
        if order_sn in text or (len(stripped) >= 4 and stripped in order_sn):
            return order_sn
    return None


def eligible_for(order: Order, case_type: str, reason: str, now: dt.datetime) -> str | None:
    """None when the order may have this request now, else the rule's reason."""
    try:
        eligibility.check(order, case_type, reason, now)
    except DomainError as error:
        return error.message
    return None


def resolve_order(
    consumer: User,
    text: str,
    slots: Slots,
    state: dict,
    now: dt.datetime,
    *,
    case_type: str | None = None,
    reason: str = "other",
) -> tuple[Order | None, list[Order]]:
    """The one order meant, or (None, candidates) when we must ask which."""
    orders = own_orders(consumer, now)
    by_sn = {o.order_sn: o for o in orders}
    if slots.order_sn:
        order = (
            by_sn.get(slots.order_sn)
            or Order.objects.filter(consumer=consumer, order_sn=slots.order_sn).first()
        )
        return order, []
    if slots.means_last_order and orders:
        return orders[0], []
    named = mentioned_titles(text, {o.order_sn: title_of(o) for o in orders})
    if len(named) == 1:
        return by_sn[named[0]], []
    if state.get("order_sn") in by_sn and not named:
        return by_sn[state["order_sn"]], []
    pool = [by_sn[sn] for sn in named] if named else orders
    if case_type:
        fitting = [o for o in pool if eligible_for(o, case_type, reason, now) is None]
        pool = fitting or pool
    if len(pool) == 1:
        return pool[0], []
    return None, pool[:5]


def open_cases(consumer: User) -> list[Case]:
    return list(
        Case.objects.filter(consumer=consumer, is_open=True)
        .select_related("order")
        .order_by("-updated_at")[:5]
    )


def resolve_case(consumer: User, slots: Slots, state: dict) -> tuple[Case | None, list[Case]]:
    cases = Case.objects.filter(consumer=consumer).select_related("order")
    if slots.case_no:
        return cases.filter(case_no=slots.case_no).first(), []
    if slots.order_sn:
        found = cases.filter(order__order_sn=slots.order_sn).order_by("-id").first()
        if found:
            return found, []
    if state.get("case_no"):
        found = cases.filter(case_no=state["case_no"]).first()
        if found:
            return found, []
    candidates = open_cases(consumer) or list(cases.order_by("-updated_at")[:1])
    if len(candidates) == 1:
        return candidates[0], []
    return None, candidates
