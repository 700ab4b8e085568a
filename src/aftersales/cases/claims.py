"""What a request may claim: the order items it names, their quantities and their money.

Pinduoduo runs after-sales per order item (子订单): a request names the items it concerns, the
claimable amount is each item's share of what was paid less what has been refunded on it, and
an item with an open request takes no second one until that request ends. The database
enforces the last with a partial unique index on open claims (`claim_one_open_per_item`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from aftersales.cases.models import Case, CaseItem
from aftersales.core.errors import BadRequest, Conflict, RuleViolation
from aftersales.core.money import yuan
from aftersales.orders.models import Order, OrderItem

MAX_LINES = 50  # an order has at most this many lines worth naming in one request


@dataclass(frozen=True)
class Line:
    """One item of a request: which order line, how many units, and the money they carry."""

    item: OrderItem
    quantity: int
    claimable_fen: int


def spread(total_fen: int, weights: Sequence[int]) -> list[int]:
    """`total_fen` split in proportion to `weights`, rounded down, the fen left over going to
    the largest remainders (ties to the first): the parts add up exactly to the total."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    parts = [total_fen * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total_fen * weights[i] % whole), i))
    for index in by_remainder[: total_fen - sum(parts)]:
        parts[index] += 1
    return parts


def item_shares(order: Order, items: Sequence[OrderItem]) -> dict[int, int]:
    """Each line's share of what the consumer paid, in fen, summing exactly to the order
    amount: proportional to the line's list price (discounts and shipping spread over the
    lines)."""
    weights = [max(item.unit_price_fen, 0) * item.quantity for item in items]
    parts = spread(max(order.amount_fen, 0), weights)
    return {item.id: part for item, part in zip(items, parts, strict=True)}


def _refunded_by_item(items: Iterable[OrderItem]) -> dict[int, int]:
    rows = (
        CaseItem.objects.filter(order_item__in=list(items))
        .values("order_item_id")
        .annotate(total=Sum("refunded_fen"))
    )
    return {row["order_item_id"]: int(row["total"] or 0) for row in rows}


def _units_settled(items: Sequence[OrderItem], shares: dict[int, int]) -> dict[int, int]:
    """Units whose money came back in full (a partial refund leaves them claimable)."""
    quantity = {item.id: max(item.quantity, 1) for item in items}
    settled: dict[int, int] = {}
    for claim in CaseItem.objects.filter(order_item__in=list(items), refunded_fen__gt=0).only(
        "order_item_id", "quantity", "refunded_fen"
    ):
        item_id = claim.order_item_id
        if claim.refunded_fen >= shares[item_id] * claim.quantity // quantity[item_id]:
            settled[item_id] = settled.get(item_id, 0) + claim.quantity
    return settled


def remaining_by_item(order: Order, items: Sequence[OrderItem]) -> dict[int, tuple[int, int]]:
    """item id → (units still claimable, fen still refundable) for every line of the order."""
    shares = item_shares(order, items)
    refunded = _refunded_by_item(items)
    settled = _units_settled(items, shares)
    remaining = {}
    for item in items:
        fen_left = max(shares[item.id] - refunded.get(item.id, 0), 0)
        units_left = max(item.quantity - settled.get(item.id, 0), 0) if fen_left else 0
        remaining[item.id] = (units_left, fen_left)
    return remaining


def free_lines(order: Order) -> list[Line]:
    """The order's lines a new request could claim now (no open request, money left), each
    with what its remaining units carry: what the consumer chooses from."""
    items = list(order.items.select_related("category").order_by("id"))
    remaining = remaining_by_item(order, items)
    busy = set(
        CaseItem.objects.filter(order_item__in=items, is_open=True).values_list(
            "order_item_id", flat=True
        )
    )
    return [
        Line(item, remaining[item.id][0], remaining[item.id][1])
        for item in items
        if item.id not in busy and remaining[item.id][0] > 0 and remaining[item.id][1] > 0
    ]


def _claimable(share_left_fen: int, units_left: int, quantity: int) -> int:
    if quantity >= units_left:
        return share_left_fen
    return share_left_fen * quantity // units_left


def parse_selection(raw: Any) -> list[tuple[str, int | None]] | None:
    """The `items` field of a request: a list of {sku, quantity?}; None means every line."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        raise BadRequest(
            _("items must list between 1 and %(n)d order items.") % {"n": MAX_LINES},
            field="items",
        )
    selection: list[tuple[str, int | None]] = []
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) - {"sku", "quantity"}:
            raise BadRequest(
                _("Each item names its sku and, optionally, a quantity."), field="items"
            )
        sku, quantity = entry.get("sku"), entry.get("quantity")
        if not isinstance(sku, str) or not 0 < len(sku) <= 64:
            raise BadRequest(_("Each item needs the sku of an order item."), field="items")
        if quantity is not None and (
            isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1
        ):
            raise BadRequest(
                _("An item's quantity must be a positive whole number."), field="items"
            )
        selection.append((sku, quantity))
    if len({sku for sku, _q in selection}) != len(selection):
        raise BadRequest(_("Each item may be named once."), field="items")
    return selection


def default_selection(order: Order, case_type: str) -> list[tuple[str, int | None]] | None:
    """What a request that names no items claims: every line, except that a repair claims
    the repairable lines only (rule 1.2)."""
    if case_type != "repair":
        return None
    return [(item.sku, None) for item in order.items.all() if item.category.repairable] or None


def select_lines(
    order: Order, selection: list[tuple[str, int | None]] | None, *, field: str = "items"
) -> list[Line]:
    """The lines a request claims, with their money; raises 409 when a line already has an
    open request and 422 when nothing is left to claim, naming `field`. Call with the order
    row locked."""
    items = list(order.items.select_related("category").order_by("id"))
    remaining = remaining_by_item(order, items)
    chosen: list[tuple[OrderItem, int | None]]
    if selection is None:
        chosen = [(item, None) for item in items if remaining[item.id][0] > 0]
        if not chosen:
            raise _nothing_left(field)
    else:
        by_sku = {item.sku: item for item in items}
        chosen = []
        for sku, quantity in selection:
            item = by_sku.get(sku)
            if item is None:
                raise RuleViolation(
                    _("The order has no item %(s)s.") % {"s": sku},
                    code="unknown_item",
                    field="items",
                )
            chosen.append((item, quantity))
    open_claims = list(
        CaseItem.objects.filter(order_item__in=[item for item, _q in chosen], is_open=True)
        .select_related("case", "order_item")
        .order_by("id")
    )
    if selection is None:
        # Naming no items claims those still free; only when none is free is it a conflict.
        busy = {claim.order_item_id for claim in open_claims}
        free = [(item, quantity) for item, quantity in chosen if item.id not in busy]
        if free:
            chosen, open_claims = free, []
    open_claim = open_claims[0] if open_claims else None
    if open_claim is not None:
        raise Conflict(
            _("Case %(c)s is already open for %(t)s; wait until it ends before asking again.")
            % {"c": open_claim.case.case_no, "t": open_claim.order_item.title},
            code="duplicate_case",
            field=field,
        )
    lines = []
    for item, quantity in chosen:
        units_left, fen_left = remaining[item.id]
        if units_left == 0 or fen_left == 0:
            raise _nothing_left(field, item)
        wanted = units_left if quantity is None else quantity
        if wanted > units_left:
            raise RuleViolation(
                _("Only %(n)d of %(t)s can still be claimed.") % {"n": units_left, "t": item.title},
                code="quantity_exceeds_order",
                field="items",
            )
        lines.append(Line(item, wanted, _claimable(fen_left, units_left, wanted)))
    if sum(line.claimable_fen for line in lines) <= 0:
        raise _nothing_left(field)
    return lines


def _nothing_left(field: str, item: OrderItem | None = None) -> RuleViolation:
    if item is None:
        message = _("The order has already been refunded in full.")
    else:
        message = _("%(t)s has already been refunded in full.") % {"t": item.title}
    return RuleViolation(message, code="order_already_refunded", field=field)


def check_amount(amount_fen: int | None, lines: Sequence[Line]) -> int:
    """The case amount: what the lines carry, or less if the consumer asks for less."""
    claimable = sum(line.claimable_fen for line in lines)
    if amount_fen is None:
        return claimable
    if amount_fen <= 0:
        raise BadRequest(_("The amount must be positive."), field="amount_fen")
    if amount_fen > claimable:
        raise RuleViolation(
            _("The amount may not exceed ¥%(y)s, what the chosen items can still claim.")
            % {"y": yuan(claimable)},
            code="amount_exceeds_order",
            field="amount_fen",
        )
    return amount_fen


def record(case: Case, lines: Sequence[Line]) -> list[CaseItem]:
    """Store the case's claims, its amount spread over them by what each line carries."""
    amounts = spread(case.amount_fen, [line.claimable_fen for line in lines])
    return CaseItem.objects.bulk_create(
        [
            CaseItem(
                case=case,
                order_item=line.item,
                quantity=line.quantity,
                amount_fen=amount,
                is_open=True,
            )
            for line, amount in zip(lines, amounts, strict=True)
        ]
    )


def refundable_now(case: Case, order: Order) -> int:
    """What the case may still refund (it has refunded nothing yet): its amount, bounded by
    what is left of its claimed items' money after the other cases on them. Cases filed
    before claims were per item have no claims and are bounded by the order."""
    claimed = set(CaseItem.objects.filter(case=case).values_list("order_item_id", flat=True))
    if not claimed:
        elsewhere = (
            Case.objects.filter(order_id=order.id)
            .exclude(id=case.id)
            .aggregate(total=Sum("refunded_fen"))["total"]
            or 0
        )
        return max(min(case.amount_fen, order.amount_fen - elsewhere), 0)
    remaining = remaining_by_item(order, list(order.items.all()))
    room = sum(fen_left for item_id, (_units, fen_left) in remaining.items() if item_id in claimed)
    return min(case.amount_fen, room)


def record_refund(case: Case, amount_fen: int) -> None:
    """Spread a refund over the case's claims in proportion to their amounts."""
    claims = list(CaseItem.objects.filter(case=case).order_by("id"))
    parts = spread(amount_fen, [claim.amount_fen for claim in claims])
    for claim, part in zip(claims, parts, strict=True):
        claim.refunded_fen = part
        claim.save(update_fields=["refunded_fen"])


def sync_open(case: Case) -> None:
    """A case's claims are open exactly while the case is."""
    CaseItem.objects.filter(case=case).exclude(is_open=case.is_open).update(is_open=case.is_open)
