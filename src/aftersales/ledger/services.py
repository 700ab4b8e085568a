"""Money movements. Called by case services inside their transaction.

A shop holds two accounts: its sales balance (货款) and its security deposit (保证金). Rules
2.5 and 2.6 charge refunds, return shipping and compensation to the shop: from the sales
balance first, then from the deposit; what neither covers is a debt, the sales balance going
negative, which later income settles before it restores the deposit. Every split is written
as entries, never as a counter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum

from aftersales.catalog.models import Shop
from aftersales.core.money import fen, percent_of
from aftersales.ledger.models import Account, Coupon, EntryKind, LedgerEntry

COMPENSATION_PERCENT = 30  # rule 2.6: at most 30% of the order amount …
COMPENSATION_CAP_FEN = 5000  # … and at most 50 yuan per order


@dataclass(frozen=True)
class Charge:
    """How a charge to a shop was covered."""

    from_sales_fen: int
    from_deposit_fen: int
    debt_fen: int  # the part neither account covered

    @property
    def needs_warning(self) -> bool:
        return self.from_deposit_fen > 0 or self.debt_fen > 0

    def as_data(self) -> dict[str, int]:
        return {
            "from_sales_fen": self.from_sales_fen,
            "from_deposit_fen": self.from_deposit_fen,
            "debt_fen": self.debt_fen,
        }


def compensation_for(order_amount_fen: int) -> int:
    return min(percent_of(order_amount_fen, COMPENSATION_PERCENT), COMPENSATION_CAP_FEN)


def _account_balance(shop_id: int, account: str) -> int:
    total = LedgerEntry.objects.filter(shop_id=shop_id, account=account).aggregate(
        total=Sum("amount_fen")
    )
    return int(total["total"] or 0)


def _lock_shop(shop_id: int) -> Shop:
    """Charges and income of one shop are serialised: each split reads the balances."""
    return Shop.objects.select_for_update().get(id=shop_id)


def deposit(*, shop: Shop, amount_fen: int, now: dt.datetime, memo: str = "") -> LedgerEntry:
    """Sales income (or an opening balance) into the sales balance. It settles any debt by
    the sum itself, then restores the security deposit to its target."""
    shop = _lock_shop(shop.id)
    entry = LedgerEntry.objects.create(
        shop=shop, kind=EntryKind.DEPOSIT, amount_fen=fen(amount_fen), memo=memo, created_at=now
    )
    _restore_security_deposit(shop, now)
    return entry


def pay_security_deposit(
    *, shop: Shop, amount_fen: int, now: dt.datetime, memo: str = ""
) -> LedgerEntry:
    """The shop pays its 保证金 in."""
    return LedgerEntry.objects.create(
        shop=shop,
        kind=EntryKind.SECURITY_DEPOSIT,
        account=Account.SECURITY_DEPOSIT,
        amount_fen=fen(amount_fen),
        memo=memo,
        created_at=now,
    )


def _restore_security_deposit(shop: Shop, now: dt.datetime) -> None:
    missing = shop.security_deposit_target_fen - _account_balance(shop.id, Account.SECURITY_DEPOSIT)
    available = _account_balance(shop.id, Account.AVAILABLE)
    moved = min(missing, available)
    if moved <= 0:
        return
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                shop=shop,
                kind=EntryKind.SECURITY_TOP_UP,
                account=Account.AVAILABLE,
                amount_fen=-moved,
                memo="补足保证金",
                created_at=now,
            ),
            LedgerEntry(
                shop=shop,
                kind=EntryKind.SECURITY_TOP_UP,
                account=Account.SECURITY_DEPOSIT,
                amount_fen=moved,
                memo="补足保证金",
                created_at=now,
            ),
        ]
    )


def _charge_shop(*, kind: str, case, amount_fen: int, now: dt.datetime, memo: str) -> Charge:
    """Debit the case's shop: sales balance, then deposit, then debt."""
    fen(amount_fen)
    _lock_shop(case.shop_id)
    available = _account_balance(case.shop_id, Account.AVAILABLE)
    from_sales = min(amount_fen, max(available, 0))
    deposit_left = max(_account_balance(case.shop_id, Account.SECURITY_DEPOSIT), 0)
    from_deposit = min(amount_fen - from_sales, deposit_left)
    charge = Charge(from_sales, from_deposit, amount_fen - from_sales - from_deposit)
    entries = []
    if charge.from_sales_fen + charge.debt_fen:
        entries.append(
            LedgerEntry(
                shop_id=case.shop_id,
                kind=kind,
                account=Account.AVAILABLE,
                amount_fen=-(charge.from_sales_fen + charge.debt_fen),
                case=case,
                memo=memo,
                created_at=now,
            )
        )
    if charge.from_deposit_fen:
        entries.append(
            LedgerEntry(
                shop_id=case.shop_id,
                kind=kind,
                account=Account.SECURITY_DEPOSIT,
                amount_fen=-charge.from_deposit_fen,
                case=case,
                memo=f"{memo}（从保证金扣除）",
                created_at=now,
            )
        )
    LedgerEntry.objects.bulk_create(entries)
    return charge


def _transfer(*, kind: str, case, amount_fen: int, now: dt.datetime, memo: str) -> Charge:
    """Debit the case's shop and credit its consumer. The unique constraints on (case, kind)
    make a second call fail instead of paying twice."""
    charge = _charge_shop(kind=kind, case=case, amount_fen=amount_fen, now=now, memo=memo)
    LedgerEntry.objects.create(
        consumer_id=case.consumer_id,
        kind=kind,
        amount_fen=amount_fen,
        case=case,
        memo=memo,
        created_at=now,
    )
    return charge


def refund(*, case, amount_fen: int, now: dt.datetime) -> Charge:
    return _transfer(
        kind=EntryKind.REFUND,
        case=case,
        amount_fen=amount_fen,
        now=now,
        memo=f"退款 {case.case_no}",
    )


def return_shipping(*, case, amount_fen: int, now: dt.datetime) -> Charge:
    """Rule 2.5: the consumer's return shipping, deducted from the merchant's balance."""
    return _transfer(
        kind=EntryKind.RETURN_SHIPPING,
        case=case,
        amount_fen=amount_fen,
        now=now,
        memo=f"退货运费 {case.case_no}",
    )


def compensate(
    *, case, order_amount_fen: int, rule: str, now: dt.datetime
) -> tuple[Coupon, Charge]:
    """Rule 2.6: a coupon of min(30% of the order amount, 5000 fen), charged to the shop."""
    amount = compensation_for(order_amount_fen)
    charge = _charge_shop(
        kind=EntryKind.COMPENSATION,
        case=case,
        amount_fen=amount,
        now=now,
        memo=f"赔付券 {case.case_no}",  # the rule is on the coupon and the event, not for people
    )
    coupon = Coupon.objects.create(
        consumer_id=case.consumer_id,
        shop_id=case.shop_id,
        case=case,
        amount_fen=amount,
        rule=rule,
        issued_at=now,
    )
    return coupon, charge


def shop_balance(shop_id: int) -> int:
    """The sales balance (货款); negative is a debt to the platform."""
    return _account_balance(shop_id, Account.AVAILABLE)


def security_deposit_balance(shop_id: int) -> int:
    return _account_balance(shop_id, Account.SECURITY_DEPOSIT)


def consumer_balance(consumer_id: int) -> int:
    total = LedgerEntry.objects.filter(consumer_id=consumer_id).aggregate(total=Sum("amount_fen"))
    return int(total["total"] or 0)
