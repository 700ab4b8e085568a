"""Words for the agents' hand-over queue: why a chat was handed over, what the consumer
wants and how upset they are, instead of the assistant's codes and scores."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.assistant.emotion import HANDOVER_SCORE

HANDOVER_REASON_LABELS = {
    "asked_for_person": _("Asked for a person"),
    "angry": _("Upset"),
    "complaint": _("Complaint"),
    "not_understood": _("Not understood"),
    "no_answer": _("No answer found"),
}

INTENT_LABELS = {
    "refund_request": _("Wants a refund"),
    "return_request": _("Wants to return an item"),
    "exchange_request": _("Wants an exchange"),
    "repair_request": _("Wants a repair"),
    "refund_progress": _("Asks about a refund"),
    "logistics_query": _("Asks where a parcel is"),
    "logistics_exception": _("Parcel problem"),
    "urge_shipment": _("Wants the order shipped"),
    "quality_issue": _("Quality problem"),
    "missing_item": _("Item missing"),
    "change_address": _("Wants to change the address"),
    "payment_issue": _("Payment problem"),
    "coupon_question": _("Asks about coupons"),
    "invoice_request": _("Wants an invoice"),
    "complaint": _("Complaint"),
    "human_agent": _("Asked for a person"),
    "cancel_request": _("Wants to cancel"),
    "presale_question": _("Question before buying"),
    "chitchat": _("Small talk"),
}

# Emotion scores (0–100, assistant/emotion.py) in three bands; the top one is handed over.
CALM_BELOW = 30


def emotion_label(score: int | None) -> str:
    if not score or score < CALM_BELOW:
        return str(_("Calm"))
    if score < HANDOVER_SCORE:
        return str(_("Annoyed"))
    return str(_("Very upset"))
