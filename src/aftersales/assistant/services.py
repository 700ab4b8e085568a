"""Every write of the assistant: a consumer's message and its reply, an agent's answer."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.assistant.dialogue import Dialogue, Reply
from aftersales.assistant.models import ChatMessage, Conversation
from aftersales.core import clock
from aftersales.core.errors import BadRequest, Conflict, Forbidden, NotFound
from aftersales.core.models import Role, User

MAX_TEXT = 1000


def _conversation_for(
    consumer: User, conversation_id: str | None, now: dt.datetime
) -> Conversation:
    if conversation_id:
        conversation = (
            Conversation.objects.select_for_update()
            .filter(public_id=conversation_id, consumer=consumer)
            .first()
        )
        if conversation is None:
            raise NotFound(_("Conversation not found."), field="conversation_id")
        if conversation.status == Conversation.Status.CLOSED:
            raise Conflict(
                _("This conversation is closed; start a new one."),
                code="conversation_closed",
                field="conversation_id",
            )
        return conversation
    return Conversation.objects.create(
        public_id=secrets.token_hex(8), consumer=consumer, created_at=now, updated_at=now
    )


def post_message(
    consumer: User, *, text: str, conversation_id: str | None = None, now: dt.datetime | None = None
) -> tuple[Conversation, Reply | None]:
    """Store the consumer's message and, unless a person has the conversation, the
    assistant's reply. Returns the reply (None while an agent has it)."""
    now = now or clock.now()
    if consumer.role != Role.CONSUMER:
        raise Forbidden(_("Only consumers chat with the assistant."), code="forbidden_role")
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise BadRequest(_("text must be 1 to 1000 characters."), field="text")
    with transaction.atomic():
        conversation = _conversation_for(consumer, conversation_id, now)
        message = ChatMessage.objects.create(
            conversation=conversation, sender="consumer", author=consumer, text=text, created_at=now
        )
        reply = None
        if conversation.status == Conversation.Status.BOT:
            # The assistant speaks Chinese (its labels and rule texts come from i18n).
            with translation.override("zh-hans"):
                reply = Dialogue(conversation, consumer, now).handle(text)
            message.intent = reply.intent
            message.confidence_permille = round(reply.confidence * 1000)
            message.emotion = reply.emotion
            message.slots = reply.slots
            message.save(update_fields=["intent", "confidence_permille", "emotion", "slots"])
            ChatMessage.objects.create(
                conversation=conversation,
                sender="assistant",
                text=reply.text,
                intent=reply.intent,
                actions=reply.actions,
                article=reply.article or "",
                created_at=now,
            )
            conversation.last_intent = reply.intent
            conversation.last_emotion = reply.emotion
        conversation.updated_at = now
        conversation.save()
    return conversation, reply


def agent_reply(
    agent: User, *, conversation_id: str, text: str, now: dt.datetime | None = None
) -> ChatMessage:
    """An agent answers a handed-over conversation; the consumer sees it in the same chat."""
    now = now or clock.now()
    if agent.role not in (Role.AGENT, Role.ADMIN):
        raise Forbidden(_("Only platform agents answer handed-over chats."), code="forbidden_role")
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise BadRequest(_("text must be 1 to 1000 characters."), field="text")
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update().filter(public_id=conversation_id).first()
        )
        if conversation is None:
            raise NotFound(_("Conversation not found."), field="conversation_id")
        if conversation.status not in (Conversation.Status.QUEUED, Conversation.Status.WITH_AGENT):
            raise Conflict(_("This conversation is not with the agents."), code="not_handed_over")
        conversation.status = Conversation.Status.WITH_AGENT
        conversation.agent = conversation.agent or agent
        conversation.updated_at = now
        conversation.save(update_fields=["status", "agent", "updated_at"])
        return ChatMessage.objects.create(
            conversation=conversation, sender="agent", author=agent, text=text, created_at=now
        )


def close(agent: User, *, conversation_id: str, now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    if agent.role not in (Role.AGENT, Role.ADMIN):
        raise Forbidden(_("Only platform agents close chats."), code="forbidden_role")
    updated = (
        Conversation.objects.filter(public_id=conversation_id)
        .exclude(status=Conversation.Status.CLOSED)
        .update(status=Conversation.Status.CLOSED, updated_at=now)
    )
    if not updated:
        raise NotFound(_("Conversation not found."), field="conversation_id")
