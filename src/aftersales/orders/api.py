"""`/api/v1/orders`."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from aftersales.core import idempotency
from aftersales.core.api import ERRORS, ApiDateTime, iso, require_role
from aftersales.core.errors import NotFound
from aftersales.core.models import Role, User
from aftersales.orders import services
from aftersales.orders.models import Order

router = Router(tags=["orders"])


class ItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=100_000)
    unit_price_fen: int = Field(ge=0, le=10**10)


class OrderIn(Schema):
    model_config = ConfigDict(extra="forbid")

    order_sn: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    shop: str = Field(min_length=1, max_length=32)
    consumer: str = Field(min_length=1, max_length=150)
    items: list[ItemIn] = Field(min_length=1, max_length=200)
    amount_fen: int = Field(gt=0, le=10**12)
    paid_at: ApiDateTime
    shipped_at: ApiDateTime | None = None
    received_at: ApiDateTime | None = None
    carrier: str | None = None
    tracking_no: str = Field(default="", max_length=40)
    region: str = Field(default="", max_length=40)
    phone: str = Field(default="", max_length=24)
    merchant_promise_until: ApiDateTime | None = None


class ItemOut(Schema):
    sku: str
    title: str
    category: str
    quantity: int
    unit_price_fen: int


class OrderOut(Schema):
    order_sn: str
    shop: str
    consumer: str
    amount_fen: int
    paid_at: str | None
    shipped_at: str | None
    received_at: str | None
    carrier: str | None
    tracking_no: str
    region: str
    phone: str
    merchant_promise_until: str | None
    shipment_intercepted_at: str | None
    items: list[ItemOut]


def order_body(order: Order) -> dict:
    return {
        "order_sn": order.order_sn,
        "shop": order.shop.code,
        "consumer": order.consumer.username,
        "amount_fen": order.amount_fen,
        "paid_at": iso(order.paid_at),
        "shipped_at": iso(order.shipped_at),
        "received_at": iso(order.received_at),
        "carrier": order.carrier.code if order.carrier else None,
        "tracking_no": order.tracking_no,
        "region": order.region,
        "phone": order.phone,
        "merchant_promise_until": iso(order.merchant_promise_until),
        "shipment_intercepted_at": iso(order.shipment_intercepted_at),
        "items": [
            {
                "sku": i.sku,
                "title": i.title,
                "category": i.category.name,
                "quantity": i.quantity,
                "unit_price_fen": i.unit_price_fen,
            }
            for i in order.items.select_related("category")
        ],
    }


def access_order(user: User, order_sn: str) -> Order:
    orders = Order.objects.select_related("shop", "consumer", "carrier")
    if user.role == Role.CONSUMER:
        orders = orders.filter(consumer=user)
    elif user.role == Role.MERCHANT and user.shop_id is not None:
        orders = orders.filter(shop_id=user.shop_id)
    elif user.role not in (Role.ADMIN, Role.AGENT):  # carriers, merchants without a shop
        orders = orders.none()
    order = orders.filter(order_sn=order_sn).first()
    if order is None:
        raise NotFound(_("Order %(o)s not found.") % {"o": order_sn}, field="order_sn")
    return order


@router.post("/orders", response={201: OrderOut, **ERRORS})
def create_order(request: HttpRequest, payload: OrderIn):
    user = request.auth  # type: ignore[attr-defined]
    require_role(user, Role.ADMIN)
    data = payload.model_dump()
    items = [services.ItemSpec(**i) for i in data.pop("items")]
    status, body = idempotency.run(
        request, user, lambda: (201, order_body(services.create_order(items=items, **data)))
    )
    return Status(status, body)


@router.get("/orders/{order_sn}", response={200: OrderOut, **ERRORS})
def get_order(request: HttpRequest, order_sn: str):
    return order_body(access_order(request.auth, order_sn))  # type: ignore[attr-defined]
