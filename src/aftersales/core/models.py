"""Users and roles, API tokens, the hash-chained event log and idempotency records."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    MERCHANT = "merchant", _("Merchant")
    CARRIER = "carrier", _("Carrier")
    AGENT = "agent", _("Platform agent")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CONSUMER)
    shop = models.ForeignKey(
        "catalog.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    carrier = models.ForeignKey(
        "catalog.Carrier", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    display_name = models.CharField(max_length=60, blank=True)
    # Staff marked unavailable (off shift, on leave) get no new tickets by assignment.
    available = models.BooleanField(default=True)

    @property
    def is_platform_staff(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)


class TokenScope(models.TextChoices):
    """What a bearer token may do: a read-only token is refused every write (403)."""

    READ = "read", _("Read only")
    WRITE = "read_write", _("Read and write")


class ApiToken(models.Model):
    """A bearer token; only its sha256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Null only for tokens issued before tokens expired (migration 0004 gives them one).
    expires_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.WRITE)

    def __str__(self) -> str:
        return f"token {self.id} of {self.user_id}"


class Event(models.Model):
    """One link of a subject's hash chain (a case, later a ticket).

    `hash` = sha256(prev_hash + canonical JSON of the event); see core/eventlog.py.
    """

    subject_kind = models.CharField(max_length=16)
    subject_key = models.CharField(max_length=40)
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_key", "seq"], name="event_unique_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind}:{self.subject_key}#{self.seq} {self.action}"


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an Idempotency-Key (kept 24 h)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
