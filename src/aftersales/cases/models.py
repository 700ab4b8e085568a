"""After-sales cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.cases.workflows import CASE_TYPES


class Reason(models.TextChoices):
    NO_REASON = "no_reason", _("Seven-day no-reason return")
    QUALITY = "quality", _("Quality problem")
    DAMAGED = "damaged", _("Damaged")
    FAULTY = "faulty", _("Faulty")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    MISSING_ITEM = "missing_item", _("Item missing")
    NOT_RECEIVED = "not_received", _("Not received")
    OTHER = "other", _("Other")


QUALITY_REASONS = frozenset(
    {
        Reason.QUALITY,
        Reason.DAMAGED,
        Reason.FAULTY,
        Reason.NOT_AS_DESCRIBED,
        Reason.WRONG_ITEM,
        Reason.MISSING_ITEM,
    }
)


class Case(models.Model):
    case_no = models.CharField(max_length=24, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="cases")
    # Denormalised from the order: the merchant queue filters by shop on every request.
    shop = models.ForeignKey("catalog.Shop", on_delete=models.PROTECT, related_name="cases")
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases"
    )
    type = models.CharField(max_length=16, choices=[(t, t) for t in CASE_TYPES])
    status = models.CharField(max_length=32)
    pdd_status = models.PositiveSmallIntegerField()
    is_open = models.BooleanField(default=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    description = models.TextField(blank=True)
    amount_fen = models.BigIntegerField()
    refunded_fen = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    status_entered_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    # Workflow facts the rules refer to.
    recommended_outcome = models.CharField(max_length=32, blank=True)
    return_address = models.CharField(max_length=300, blank=True)
    return_carrier = models.CharField(max_length=32, blank=True)
    return_tracking_no = models.CharField(max_length=40, blank=True)
    return_shipping_fen = models.BigIntegerField(default=0)
    return_shipped_at = models.DateTimeField(null=True, blank=True)
    # Rule 2.3.1 counts the repair period from the return upload (a ruling restarts it).
    repair_period_start = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    outbound_carrier = models.CharField(max_length=32, blank=True)
    outbound_tracking_no = models.CharField(max_length=40, blank=True)
    inspection_result = models.CharField(max_length=8, blank=True)
    inspection_report = models.TextField(blank=True)
    negotiated_terms = models.TextField(blank=True)
    negotiated_amount_fen = models.BigIntegerField(null=True, blank=True)
    # What an agent's ruling (or an accepted counter-offer) refunds once the goods are back.
    ruled_amount_fen = models.BigIntegerField(null=True, blank=True)
    # The merchant's counter-offer: a refund of this much, with or without the goods back.
    offer_amount_fen = models.BigIntegerField(null=True, blank=True)
    offer_return_goods = models.BooleanField(default=False)
    offers_made = models.PositiveSmallIntegerField(default=0)

    # Head of the case's hash chain (core/eventlog.py).
    event_seq = models.PositiveIntegerField(default=0)
    event_head = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="case_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_fen__gte=0)
                & models.Q(refunded_fen__lte=models.F("amount_fen")),
                name="case_refund_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-id"], name="case_shop_status"),
            models.Index(fields=["shop", "-id"], name="case_shop"),
            models.Index(fields=["consumer", "-id"], name="case_consumer"),
            models.Index(fields=["status", "-id"], name="case_status"),
            models.Index(fields=["updated_at"], name="case_updated"),
            # The workbench finds a case by the waybill of its return or of the parcel back.
            models.Index(fields=["return_tracking_no"], name="case_return_tracking"),
            models.Index(fields=["outbound_tracking_no"], name="case_outbound_tracking"),
        ]

    def __str__(self) -> str:
        return self.case_no

    @property
    def chain_kind(self) -> str:
        return "case"

    @property
    def chain_key(self) -> str:
        return self.case_no


class CaseItem(models.Model):
    """One order item a case claims (cases/claims.py): how many units and what money."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims")
    order_item = models.ForeignKey(
        "orders.OrderItem", on_delete=models.PROTECT, related_name="claims"
    )
    quantity = models.PositiveIntegerField()
    amount_fen = models.BigIntegerField()
    refunded_fen = models.BigIntegerField(default=0)
    # Mirrors the case's is_open, so that the database refuses a second open claim.
    is_open = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order_item"],
                condition=models.Q(is_open=True),
                name="claim_one_open_per_item",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_fen__gte=0)
                & models.Q(refunded_fen__gte=0)
                & models.Q(quantity__gte=1),
                name="claim_amounts_sane",
            ),
        ]
        indexes = [models.Index(fields=["case"], name="claim_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.order_item_id} ×{self.quantity}"


class Attachment(models.Model):
    """A photo or document a party uploaded (request photos, refusal evidence, inspection
    reports). Files live under the data directory and are served only to the case's parties."""

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    public_id = models.CharField(max_length=32, unique=True)
    path = models.CharField(max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.public_id
