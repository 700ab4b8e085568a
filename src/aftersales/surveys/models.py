"""One satisfaction survey per finished subject (a case now, a ticket later)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_STARS = 5
MAX_COMMENT_LENGTH = 500


class SubjectKind(models.TextChoices):
    CASE = "case", _("Case")
    TICKET = "ticket", _("Ticket")


class Survey(models.Model):
    """The consumer's rating of a finished subject. Written once by services.submit; the
    subject's own event chain is not touched."""

    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    subject_key = models.CharField(max_length=40)  # case_no, later ticket_no
    # The subject's type (a case type such as `repair`, later a ticket type), for results
    # per type.
    type = models.CharField(max_length=32)
    shop = models.ForeignKey("catalog.Shop", on_delete=models.PROTECT, related_name="surveys")
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="surveys_given"
    )
    # The platform agent credited with the subject: the last agent or admin who acted on it,
    # or null when no platform staff ever did.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys_credited",
    )
    stars = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=MAX_COMMENT_LENGTH, blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_key"], name="survey_once_per_subject"
            ),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1) & models.Q(stars__lte=MAX_STARS),
                name="survey_stars_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "submitted_at"], name="survey_shop_time"),
            models.Index(fields=["agent", "submitted_at"], name="survey_agent_time"),
            models.Index(fields=["submitted_at"], name="survey_time"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind}:{self.subject_key} {self.stars}★"
