"""The chat panel in the consumer portal, and the agents' hand-over console."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from aftersales.assistant import handover, services, suggestions
from aftersales.assistant.models import Conversation
from aftersales.assistant.presentation import HANDOVER_REASON_LABELS, INTENT_LABELS
from aftersales.core.errors import DomainError
from aftersales.web.access import role_required
from aftersales.web.requests import AuthedRequest

SESSION_KEY = "assistant_conversation"


def _current(request: AuthedRequest) -> Conversation | None:
    public_id = request.session.get(SESSION_KEY)
    if not public_id:
        return None
    return (
        Conversation.objects.filter(public_id=public_id, consumer=request.user)
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


@role_required("consumer")
def chat(request: AuthedRequest) -> HttpResponse:
    conversation = _current(request)
    messages = list(conversation.messages.order_by("id")) if conversation else []
    template = "web/assistant/_messages.html" if request.htmx else "web/assistant/chat.html"
    return render(request, template, {"conversation": conversation, "chat": messages})


@role_required("consumer")
@require_POST
def send(request: AuthedRequest) -> HttpResponse:
    conversation = _current(request)
    error = None
    try:
        conversation, _reply = services.post_message(
            request.user,
            text=request.POST.get("text", ""),
            conversation_id=conversation.public_id if conversation else None,
        )
        request.session[SESSION_KEY] = conversation.public_id
    except DomainError as failure:
        error = failure.message
    if not request.htmx:
        return redirect("web:assistant")
    messages = list(conversation.messages.order_by("id")) if conversation else []
    return render(
        request,
        "web/assistant/_messages.html",
        {"conversation": conversation, "chat": messages, "error": error},
    )


@role_required("consumer")
@require_POST
def restart(request: AuthedRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("web:assistant")


@role_required("agent", "admin")
def agent_queue(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "web/assistant/queue.html",
        {
            "conversations": handover.queue()[:100],
            "reason_labels": HANDOVER_REASON_LABELS,
            "intent_labels": INTENT_LABELS,
        },
    )


@role_required("agent", "admin")
def agent_chat(request: AuthedRequest, public_id: str) -> HttpResponse:
    conversation = (
        Conversation.objects.filter(public_id=public_id).select_related("consumer").first()
    )
    if conversation is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("close"):
                services.close(request.user, conversation_id=public_id)
                return redirect("web:agent-chats")
            services.agent_reply(
                request.user, conversation_id=public_id, text=request.POST.get("text", "")
            )
            return redirect("web:agent-chat", public_id=public_id)
        except DomainError as failure:
            error = failure.message
    return render(
        request,
        "web/assistant/agent_chat.html",
        {
            "conversation": conversation,
            "chat": conversation.messages.order_by("id"),
            "suggestions": suggestions.for_conversation(conversation),
            "error": error,
            "reason_labels": HANDOVER_REASON_LABELS,
            "intent_labels": INTENT_LABELS,
        },
        status=422 if error else 200,
    )
