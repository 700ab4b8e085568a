"""factory-boy factories for the marketplace's reference data and orders."""

from __future__ import annotations

import datetime as dt

import factory

from aftersales.catalog.models import Carrier, Category, Shop
from aftersales.core.models import Role, User
from aftersales.ledger.models import EntryKind, LedgerEntry
from aftersales.orders.models import Order, OrderItem

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI)  # a reference instant for scenarios


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"shop{n}")
    name = factory.Sequence(lambda n: f"测试店铺{n}")
    return_address = "上海市浦东新区世纪大道100号 售后部"
    created_at = T0 - dt.timedelta(days=400)

    @factory.post_generation
    def balance_fen(self, create, extracted, **kwargs):
        if create:
            LedgerEntry.objects.create(
                shop=self,
                kind=EntryKind.DEPOSIT,
                amount_fen=100_000 if extracted is None else extracted,
                created_at=self.created_at,
            )


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)

    code = "sf"
    name = "顺丰速运"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CONSUMER


def category(name: str) -> Category:
    return Category.objects.get_or_create(name=name)[0]


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    order_sn = factory.Sequence(lambda n: f"261120-{n:015d}")
    shop = factory.SubFactory(ShopFactory)
    consumer = factory.SubFactory(UserFactory)
    amount_fen = 20_000
    paid_at = T0 - dt.timedelta(days=5)
    shipped_at = T0 - dt.timedelta(days=4)
    received_at = T0 - dt.timedelta(days=2)
    created_at = T0 - dt.timedelta(days=5)

    @factory.post_generation
    def category_name(self, create, extracted, **kwargs):
        if create:
            OrderItem.objects.create(
                order=self,
                sku="SKU-1",
                title="测试商品",
                category=category(extracted or "手机"),
                quantity=1,
                unit_price_fen=self.amount_fen,
            )


def phone_and_cover_order(market, *, units: int = 1, **kw):
    """An order of `units` phones (list ¥250 each) and `units` phone cases (list ¥50 each),
    two lines whose claimable shares are 5 : 1 of what was paid (by default the list price)."""
    kw.setdefault("amount_fen", 30_000 * units)
    order = market.order(**kw)
    order.items.all().delete()
    for sku, title, name, price in (
        ("PHONE", "手机", "手机", 25_000),
        ("COVER", "手机壳", "手机配件", 5_000),
    ):
        OrderItem.objects.create(
            order=order,
            sku=sku,
            title=title,
            category=category(name),
            quantity=units,
            unit_price_fen=price,
        )
    return order
