"""Orders with their items, payment, shipment and receipt times."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Order(models.Model):
    order_sn = models.CharField(max_length=64, unique=True)
    shop = models.ForeignKey("catalog.Shop", on_delete=models.PROTECT, related_name="orders")
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    amount_fen = models.BigIntegerField()
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    carrier = models.ForeignKey(
        "catalog.Carrier", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    tracking_no = models.CharField(max_length=40, blank=True)
    region = models.CharField(max_length=40, blank=True)
    # The receiver's phone (orders/phones.py: digits only), for finding the buyer's cases.
    phone = models.CharField(max_length=16, blank=True)
    # Rule 2.1(4): the latest after-sales date the merchant promised for this order.
    merchant_promise_until = models.DateTimeField(null=True, blank=True)
    # Set when a refund request stops the parcel before it ships (refund_only, domain: 拒收).
    shipment_intercepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        # The workbench and the carriers find an order by its waybill number.
        indexes = [
            models.Index(fields=["tracking_no"], name="order_tracking"),
            models.Index(fields=["phone"], name="order_phone"),
        ]

    def __str__(self) -> str:
        return self.order_sn


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    unit_price_fen = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.title} ×{self.quantity}"
