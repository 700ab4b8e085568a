"""Writes to reference data: shops and carriers (admin only)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.catalog.models import Carrier, Category, Shop
from aftersales.core import clock
from aftersales.core.errors import Conflict
from aftersales.ledger import services as ledger


def create_shop(
    *,
    code: str,
    name: str,
    balance_fen: int,
    return_address: str,
    security_deposit_fen: int = 0,
    promised_after_sales_days: int | None = None,
    now: dt.datetime | None = None,
) -> Shop:
    now = now or clock.now()
    try:
        with transaction.atomic():
            shop = Shop.objects.create(
                code=code,
                name=name,
                return_address=return_address,
                promised_after_sales_days=promised_after_sales_days,
                security_deposit_target_fen=security_deposit_fen,
                created_at=now,
            )
            if security_deposit_fen:
                ledger.pay_security_deposit(
                    shop=shop, amount_fen=security_deposit_fen, now=now, memo="opening deposit"
                )
            if balance_fen:
                ledger.deposit(shop=shop, amount_fen=balance_fen, now=now, memo="opening balance")
    except IntegrityError as error:
        raise Conflict(
            _("Shop %(c)s already exists.") % {"c": code}, code="duplicate", field="code"
        ) from error
    return shop


def create_carrier(*, code: str, name: str) -> Carrier:
    try:
        with transaction.atomic():
            return Carrier.objects.create(code=code, name=name)
    except IntegrityError as error:
        raise Conflict(
            _("Carrier %(c)s already exists.") % {"c": code}, code="duplicate", field="code"
        ) from error


def category_named(name: str) -> Category:
    """A category by its rule name; names outside the reference lists are created as
    ordinary (not repairable, not excluded) categories (spec/api.md)."""
    category, _created = Category.objects.get_or_create(name=name)
    return category
