"""Deadlines are rows, not in-memory timers: they survive restarts and are shared by workers."""

from __future__ import annotations

from django.db import models


class DeadlineStatus(models.TextChoices):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"
    PAUSED = "paused"  # an SLA clock stopped while waiting on the consumer
    FAILED = "failed"  # gave up after MAX_ATTEMPTS errors; shown to operators


class Deadline(models.Model):
    subject_kind = models.CharField(max_length=16)  # "case"; tickets later
    subject_id = models.BigIntegerField()
    name = models.CharField(max_length=60)
    # The subject's status when the timer was scheduled; a deadline fires only in that status.
    in_status = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    action = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    rule = models.CharField(max_length=40)
    status = models.CharField(
        max_length=12, choices=DeadlineStatus.choices, default=DeadlineStatus.PENDING
    )
    created_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                # Day-counted timers all end at 23:59:59.999999: order ties by id in the index
                # so the sweeper's ORDER BY due_at, id reads a batch without sorting the tie.
                fields=["due_at", "id"],
                name="deadline_due_pending",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["subject_kind", "subject_id", "status"], name="deadline_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.name} of {self.subject_kind} {self.subject_id} due {self.due_at}"
