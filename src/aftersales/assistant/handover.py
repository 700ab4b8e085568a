"""Handing a conversation to people: the agents' queue, ordered by priority then waiting time."""

from __future__ import annotations

import datetime as dt

from aftersales.assistant.models import Conversation


def hand_over(conversation: Conversation, *, reason: str, priority: int, now: dt.datetime) -> None:
    """Queue the conversation for an agent (a higher priority wins if already queued)."""
    if conversation.status in (Conversation.Status.QUEUED, Conversation.Status.WITH_AGENT):
        conversation.handover_priority = min(conversation.handover_priority or priority, priority)
        return
    conversation.status = Conversation.Status.QUEUED
    conversation.handover_reason = reason
    conversation.handover_priority = priority
    conversation.handover_at = now


def queue():
    return (
        Conversation.objects.filter(
            status__in=(Conversation.Status.QUEUED, Conversation.Status.WITH_AGENT)
        )
        .select_related("consumer", "agent")
        .order_by("handover_priority", "handover_at")
    )
