"""Conversations with the assistant, and their hand-over to people."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    class Status(models.TextChoices):
        BOT = "bot"  # the assistant answers
        QUEUED = "queued"  # handed over, waiting for an agent
        WITH_AGENT = "with_agent"
        CLOSED = "closed"

    public_id = models.CharField(max_length=32, unique=True)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversations"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOT)
    # What the conversation is about and what it is waiting for (see assistant/dialogue.py).
    state = models.JSONField(default=dict)
    handover_reason = models.CharField(max_length=40, blank=True)
    handover_priority = models.PositiveSmallIntegerField(null=True, blank=True)
    handover_at = models.DateTimeField(null=True, blank=True)
    last_intent = models.CharField(max_length=32, blank=True)
    last_emotion = models.PositiveSmallIntegerField(default=0)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agent_conversations",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "handover_priority", "handover_at"], name="conversation_queue"
            )
        ]

    def __str__(self) -> str:
        return self.public_id


class ChatMessage(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(max_length=12)  # consumer, assistant, agent
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    text = models.TextField()
    intent = models.CharField(max_length=32, blank=True)
    confidence_permille = models.PositiveSmallIntegerField(null=True, blank=True)
    emotion = models.PositiveSmallIntegerField(null=True, blank=True)
    slots = models.JSONField(default=dict)
    actions = models.JSONField(default=list)
    article = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:20]}"
