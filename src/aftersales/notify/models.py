"""Inbox notifications and the webhook outbox.

A `Notification` is a line in one user's inbox. A `WebhookEndpoint` is an integration's URL
(one shop's, or platform-wide when `shop` is empty); a `WebhookDelivery` is one event owed to
one endpoint, written in the same transaction as the change it reports and sent later by
`dispatcher.deliver_due`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)  # e.g. "case.refuse", "case.platform_review"
    subject_kind = models.CharField(max_length=16)  # "case" or "ticket"
    subject_key = models.CharField(max_length=40)  # case_no / ticket_no
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # What the notification reports (e.g. "event:42"): the same source notifies a user once.
    source_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "source_key", "kind"],
                condition=~models.Q(source_key=""),
                name="notification_once_per_source",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_inbox"),
            models.Index(
                fields=["recipient", "-id"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"


class WebhookEndpoint(models.Model):
    # Empty: a platform-wide integration that hears every shop's events.
    shop = models.ForeignKey(
        "catalog.Shop",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)  # the HMAC key; shown once when created
    # Event types to send: exact names ("case.refuse"), prefixes ("case.*") or ["*"].
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    # The circuit breaker (dispatcher.breaker), in the database so that every worker shares
    # it: failed attempts in a row, and while it is open, until when nothing is sent.
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return any(
            pattern in ("*", event_type)
            or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
            for pattern in self.event_types
        )


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after dispatcher.MAX_ATTEMPTS


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=64)  # the Event row id for case events
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due; while one is in flight, the end of its claim.
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → endpoint {self.endpoint_id} ({self.status})"
