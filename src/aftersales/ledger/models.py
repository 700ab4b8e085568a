"""Append-only money entries. Balances are sums of entries, never counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(models.TextChoices):
    """A shop's two accounts (rules 2.5/2.6 deduct from 货款, then from 保证金)."""

    AVAILABLE = "available", _("Sales balance")
    SECURITY_DEPOSIT = "security_deposit", _("Security deposit")


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit / sales")
    SECURITY_DEPOSIT = "security_deposit", _("Security deposit paid in")
    SECURITY_TOP_UP = "security_top_up", _("Security deposit restored from sales")
    REFUND = "refund", _("Refund")
    RETURN_SHIPPING = "return_shipping", _("Return shipping")
    COMPENSATION = "compensation", _("Compensation coupon")
    ADJUSTMENT = "adjustment", _("Adjustment")


# Kinds that a case may cause at most once: the database enforces exactly-once.
ONCE_PER_CASE = [EntryKind.REFUND, EntryKind.RETURN_SHIPPING, EntryKind.COMPENSATION]


class LedgerEntry(models.Model):
    """One side of a money movement. A refund writes two: the shop debited, the consumer
    credited. `amount_fen` is signed from the account holder's point of view."""

    shop = models.ForeignKey(
        "catalog.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger",
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    # Shops only: which of the shop's accounts the entry moves (consumers have one).
    account = models.CharField(max_length=20, choices=Account.choices, default=Account.AVAILABLE)
    amount_fen = models.BigIntegerField()
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(shop__isnull=False, consumer__isnull=True)
                    | models.Q(shop__isnull=True, consumer__isnull=False)
                ),
                name="ledger_one_account",
            ),
            models.UniqueConstraint(
                fields=["case", "kind", "shop", "account"],
                condition=models.Q(kind__in=ONCE_PER_CASE, shop__isnull=False),
                name="ledger_shop_once_per_case",
            ),
            models.UniqueConstraint(
                fields=["case", "kind", "consumer"],
                condition=models.Q(kind__in=ONCE_PER_CASE, consumer__isnull=False),
                name="ledger_consumer_once_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-id"], name="ledger_shop_recent"),
            models.Index(fields=["shop", "account"], name="ledger_shop_account"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen} fen"


class Coupon(models.Model):
    """A compensation coupon (rule 2.6), charged to the shop that caused it."""

    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coupons"
    )
    shop = models.ForeignKey("catalog.Shop", on_delete=models.PROTECT)
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="coupon")
    amount_fen = models.BigIntegerField()
    rule = models.CharField(max_length=40)
    issued_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"coupon {self.amount_fen} fen for {self.consumer_id}"
