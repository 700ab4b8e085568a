"""Tickets beyond after-sales: logistics, quality, complaints and inquiries (seed 001)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketType(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics")
    QUALITY = "quality", _("Product quality")
    COMPLAINT = "complaint", _("Complaint")
    INQUIRY = "inquiry", _("Inquiry")


# The problem kinds of each ticket type (issue: "Ticket types").
SUBTYPES: dict[str, tuple[str, ...]] = {
    "logistics": ("lost", "delayed", "no_tracking_update", "signed_not_received"),
    "quality": ("damaged", "faulty", "counterfeit", "not_as_described"),
    "complaint": ("service_attitude", "broken_promise", "harassment"),
    "inquiry": ("urge_shipment", "change_address", "invoice", "other"),
}


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class Party(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    SHOP = "shop", _("Shop")
    CARRIER = "carrier", _("Carrier")
    PLATFORM = "platform", _("Platform")


class Ticket(models.Model):
    ticket_no = models.CharField(max_length=24, unique=True)
    type = models.CharField(max_length=16, choices=TicketType.choices)
    subtype = models.CharField(max_length=32)
    status = models.CharField(max_length=16)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=16)  # consumer, monitoring, agent
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    shop = models.ForeignKey(
        "catalog.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    carrier = models.ForeignKey(
        "catalog.Carrier", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    region = models.CharField(max_length=40, blank=True)
    amount_fen = models.BigIntegerField(null=True, blank=True)
    team = models.CharField(max_length=16, choices=Party.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    waiting_on = models.CharField(max_length=16, blank=True)
    routing_rule = models.CharField(max_length=80, blank=True)
    escalated = models.BooleanField(default=False)
    # Monitoring tickets name what they watch, so a second one is not opened while one is.
    monitor_key = models.CharField(max_length=80, blank=True)
    is_open = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    # Photos the consumer sent with the ticket (a damaged product), stored like a case's.
    photos = models.ManyToManyField("cases.Attachment", blank=True, related_name="tickets")
    # SLA clock: paused while waiting on the consumer.
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    event_seq = models.PositiveIntegerField(default=0)
    event_head = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            # Until it is closed (a resolved ticket may still be reopened).
            models.UniqueConstraint(
                fields=["monitor_key"],
                condition=~models.Q(status="closed") & ~models.Q(monitor_key=""),
                name="ticket_one_unclosed_per_monitor",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-id"], name="ticket_shop_status"),
            models.Index(fields=["carrier", "status", "-id"], name="ticket_carrier_status"),
            models.Index(fields=["consumer", "-id"], name="ticket_consumer"),
            models.Index(fields=["escalated", "is_open"], name="ticket_escalated"),
        ]

    def __str__(self) -> str:
        return self.ticket_no

    @property
    def chain_kind(self) -> str:
        return "ticket"

    @property
    def chain_key(self) -> str:
        return self.ticket_no


class TicketTask(models.Model):
    """What one party must do on a ticket, by when (a logistics ticket has one for the shop
    and one for the carrier)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tasks")
    party = models.CharField(max_length=16, choices=Party.choices)
    description = models.CharField(max_length=300)
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.party}: {self.description}"


class TicketMessage(models.Model):
    """A reply on a ticket. `visible_to` lists the parties that may read it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    party = models.CharField(max_length=16, choices=Party.choices)
    body = models.TextField()
    visible_to = models.JSONField(default=list)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.party} on {self.ticket_id}"


class RoutingRule(models.Model):
    """Routing as data: the first active rule (by `position`) whose conditions all hold sets
    the team, priority and SLA of a new ticket. Empty conditions match anything."""

    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)
    # Conditions
    ticket_type = models.CharField(max_length=16, blank=True)
    subtype = models.CharField(max_length=32, blank=True)
    category = models.CharField(max_length=60, blank=True)
    min_amount_fen = models.BigIntegerField(null=True, blank=True)
    shop_code = models.CharField(max_length=32, blank=True)
    region = models.CharField(max_length=40, blank=True)
    min_recent_contacts = models.PositiveIntegerField(null=True, blank=True)
    # Outcome
    team = models.CharField(max_length=16, choices=Party.choices, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    raise_priority_by = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """First-response and resolution targets per ticket type and priority, in hours (exact)
    or natural days (seed rule 3.1), with a warning before the breach."""

    ticket_type = models.CharField(max_length=16, choices=TicketType.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    first_response_hours = models.PositiveIntegerField()
    resolution_hours = models.PositiveIntegerField(null=True, blank=True)
    resolution_days = models.PositiveIntegerField(null=True, blank=True)
    warn_before_minutes = models.PositiveIntegerField(default=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "priority"], name="sla_unique_target"),
            models.CheckConstraint(
                condition=models.Q(resolution_hours__isnull=False)
                | models.Q(resolution_days__isnull=False),
                name="sla_has_resolution_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_type} P{self.priority}"
