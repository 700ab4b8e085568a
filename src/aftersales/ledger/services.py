"""Money movements. Called by case services inside their transaction."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum

from aftersales.catalog.models import Shop
from aftersales.core.money import fen, percent_of
from aftersales.ledger.models import Coupon, EntryKind, LedgerEntry

COMPENSATION_PERCENT = 30  # rule 2.6: at most 30% of the order amount …
COMPENSATION_CAP_FEN = 5000  # … and at most 50 yuan per order


def compensation_for(order_amount_fen: int) -> int:
    return min(percent_of(order_amount_fen, COMPENSATION_PERCENT), COMPENSATION_CAP_FEN)


def deposit(*, shop: Shop, amount_fen: int, now: dt.datetime, memo: str = "") -> LedgerEntry:
    return LedgerEntry.objects.create(
        shop=shop, kind=EntryKind.DEPOSIT, amount_fen=fen(amount_fen), memo=memo, created_at=now
    )


def _transfer(*, kind: str, case, amount_fen: int, now: dt.datetime, memo: str) -> None:
    """Debit the case's shop and credit its consumer. The unique constraints on (case, kind)
    make a second call fail instead of paying twice."""
    fen(amount_fen)
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                shop_id=case.shop_id,
                kind=kind,
                amount_fen=-amount_fen,
                case=case,
                memo=memo,
                created_at=now,
            ),
            LedgerEntry(
                consumer_id=case.consumer_id,
                kind=kind,
                amount_fen=amount_fen,
                case=case,
                memo=memo,
                created_at=now,
            ),
        ]
    )


def refund(*, case, amount_fen: int, now: dt.datetime) -> None:
    _transfer(
        kind=EntryKind.REFUND,
        case=case,
        amount_fen=amount_fen,
        now=now,
        memo=f"退款 {case.case_no}",
    )


def return_shipping(*, case, amount_fen: int, now: dt.datetime) -> None:
    """Rule 2.5: the consumer's return shipping, deducted from the merchant's balance."""
    _transfer(
        kind=EntryKind.RETURN_SHIPPING,
        case=case,
        amount_fen=amount_fen,
        now=now,
        memo=f"退货运费 {case.case_no}",
    )


def compensate(*, case, order_amount_fen: int, rule: str, now: dt.datetime) -> Coupon:
    """Rule 2.6: a coupon of min(30% of the order amount, 5000 fen), charged to the shop."""
    amount = compensation_for(order_amount_fen)
    LedgerEntry.objects.create(
        shop_id=case.shop_id,
        kind=EntryKind.COMPENSATION,
        amount_fen=-amount,
        case=case,
        memo=f"赔付券 {case.case_no} ({rule})",
        created_at=now,
    )
    return Coupon.objects.create(
        consumer_id=case.consumer_id,
        shop_id=case.shop_id,
        case=case,
        amount_fen=amount,
        rule=rule,
        issued_at=now,
    )


def shop_balance(shop_id: int) -> int:
    total = LedgerEntry.objects.filter(shop_id=shop_id).aggregate(total=Sum("amount_fen"))
    return int(total["total"] or 0)


def consumer_balance(consumer_id: int) -> int:
    total = LedgerEntry.objects.filter(consumer_id=consumer_id).aggregate(total=Sum("amount_fen"))
    return int(total["total"] or 0)
