"""`/api/v1/assistant`: chat with the assistant; agents answer handed-over chats."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from aftersales.assistant import handover, services, suggestions
from aftersales.assistant.models import Conversation
from aftersales.core import idempotency
from aftersales.core.api import ERRORS, iso, require_role
from aftersales.core.errors import NotFound
from aftersales.core.models import Role

router = Router(tags=["assistant"])


class MessageIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    conversation_id: str | None = Field(default=None, max_length=32)
    text: str = Field(min_length=1, max_length=1000)


class MessageOut(Schema):
    conversation_id: str
    reply: str | None
    intent: str | None
    confidence: float | None
    slots: dict[str, Any]
    actions: list[dict[str, Any]]
    handover: bool
    article: str | None
    emotion: int | None


class AgentReplyIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, max_length=1000)


@router.post("/assistant/messages", response={200: MessageOut, **ERRORS})
def post_message(request: HttpRequest, payload: MessageIn):
    user = request.auth  # type: ignore[attr-defined]

    def handler() -> tuple[int, dict[str, Any]]:
        conversation, reply = services.post_message(
            user, text=payload.text, conversation_id=payload.conversation_id
        )
        handed_over = conversation.status != Conversation.Status.BOT
        return 200, {
            "conversation_id": conversation.public_id,
            "reply": reply.text if reply else None,
            "intent": reply.intent if reply else None,
            "confidence": round(reply.confidence, 3) if reply else None,
            "slots": reply.slots if reply else {},
            "actions": reply.actions if reply else [],
            "handover": handed_over,
            "article": reply.article if reply else None,
            "emotion": reply.emotion if reply else None,
        }

    # A retried message with its Idempotency-Key is one message, one reply, one conversation.
    return Status(*idempotency.run(request, user, handler))


def _conversation_body(conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": conversation.public_id,
        "status": conversation.status,
        "consumer": conversation.consumer.username,
        "handover_reason": conversation.handover_reason or None,
        "handover_priority": conversation.handover_priority,
        "last_intent": conversation.last_intent or None,
        "last_emotion": conversation.last_emotion,
        "state": conversation.state,
        "messages": [
            {
                "sender": m.sender,
                "text": m.text,
                "intent": m.intent or None,
                "at": iso(m.created_at),
            }
            for m in conversation.messages.order_by("id")
        ],
    }


@router.get("/assistant/conversations/{conversation_id}", response={200: dict, **ERRORS})
def get_conversation(request: HttpRequest, conversation_id: str):
    user = request.auth  # type: ignore[attr-defined]
    conversations = Conversation.objects.select_related("consumer")
    if user.role == Role.CONSUMER:
        conversations = conversations.filter(consumer=user)
    elif user.role not in (Role.AGENT, Role.ADMIN):
        conversations = conversations.none()
    conversation = conversations.filter(public_id=conversation_id).first()
    if conversation is None:
        raise NotFound("Conversation not found.", field="conversation_id")
    return _conversation_body(conversation)


@router.get("/assistant/handovers", response={200: list[dict], **ERRORS})
def handover_queue(request: HttpRequest):
    require_role(request.auth, Role.AGENT, Role.ADMIN)  # type: ignore[attr-defined]
    return [
        {**_conversation_body(c), "suggestions": suggestions.for_conversation(c)}
        for c in handover.queue()[:50]
    ]


@router.post("/assistant/conversations/{conversation_id}/reply", response={200: dict, **ERRORS})
def agent_reply(request: HttpRequest, conversation_id: str, payload: AgentReplyIn):
    message = services.agent_reply(
        request.auth,  # type: ignore[attr-defined]
        conversation_id=conversation_id,  # type: ignore[attr-defined]
        text=payload.text,
    )
    return {"sender": message.sender, "text": message.text, "at": iso(message.created_at)}
