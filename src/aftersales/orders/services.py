"""Writes to orders: creation by an admin or an import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.catalog.models import Carrier, Shop
from aftersales.catalog.services import category_named
from aftersales.core import clock
from aftersales.core.errors import BadRequest, Conflict, RuleViolation
from aftersales.core.models import Role, User
from aftersales.orders import phones
from aftersales.orders.models import Order, OrderItem


@dataclass(frozen=True)
class ItemSpec:
    sku: str
    title: str
    category: str
    quantity: int
    unit_price_fen: int


def create_order(
    *,
    order_sn: str,
    shop: str,
    consumer: str,
    items: list[ItemSpec],
    amount_fen: int,
    paid_at: dt.datetime | None,
    shipped_at: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
    carrier: str | None = None,
    tracking_no: str = "",
    region: str = "",
    phone: str = "",
    merchant_promise_until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Order:
    now = now or clock.now()
    for name, value in (
        ("paid_at", paid_at),
        ("shipped_at", shipped_at),
        ("received_at", received_at),
        ("merchant_promise_until", merchant_promise_until),
    ):
        if value is not None and value.tzinfo is None:
            raise BadRequest(_("%(f)s needs a time zone offset.") % {"f": name}, field=name)
    if not items:
        raise BadRequest(_("An order needs at least one item."), field="items")
    phone = phones.clean(phone)
    if shipped_at and not paid_at:
        raise RuleViolation(
            _("An order ships only after it is paid."),
            field="shipped_at",
            code="inconsistent_times",
        )
    if received_at and not shipped_at:
        raise RuleViolation(
            _("An order is received only after it ships."),
            field="received_at",
            code="inconsistent_times",
        )
    if paid_at and shipped_at and shipped_at < paid_at:
        raise RuleViolation(
            _("shipped_at is before paid_at."), field="shipped_at", code="inconsistent_times"
        )
    if shipped_at and received_at and received_at < shipped_at:
        raise RuleViolation(
            _("received_at is before shipped_at."), field="received_at", code="inconsistent_times"
        )
    shop_row = Shop.objects.filter(code=shop).first()
    if shop_row is None:
        raise RuleViolation(
            _("Unknown shop %(s)s.") % {"s": shop}, code="unknown_shop", field="shop"
        )
    consumer_row = User.objects.filter(username=consumer, role=Role.CONSUMER).first()
    if consumer_row is None:
        raise RuleViolation(
            _("Unknown consumer %(c)s.") % {"c": consumer},
            code="unknown_consumer",
            field="consumer",
        )
    carrier_row = None
    if carrier:
        carrier_row = Carrier.objects.filter(code=carrier).first()
        if carrier_row is None:
            raise RuleViolation(
                _("Unknown carrier %(c)s.") % {"c": carrier},
                code="unknown_carrier",
                field="carrier",
            )
    try:
        with transaction.atomic():
            order = Order.objects.create(
                order_sn=order_sn,
                shop=shop_row,
                consumer=consumer_row,
                amount_fen=amount_fen,
                paid_at=paid_at,
                shipped_at=shipped_at,
                received_at=received_at,
                carrier=carrier_row,
                tracking_no=tracking_no,
                region=region,
                phone=phone,
                merchant_promise_until=merchant_promise_until,
                created_at=now,
            )
            OrderItem.objects.bulk_create(
                [
                    OrderItem(
                        order=order,
                        sku=i.sku,
                        title=i.title,
                        category=category_named(i.category),
                        quantity=i.quantity,
                        unit_price_fen=i.unit_price_fen,
                    )
                    for i in items
                ]
            )
    except IntegrityError as error:
        raise Conflict(
            _("Order %(o)s already exists.") % {"o": order_sn}, code="duplicate", field="order_sn"
        ) from error
    return order
