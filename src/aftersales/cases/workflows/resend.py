"""补寄 resend a missing item (spec/workflows.md "resend"; timers are ⚙ policy)."""

from aftersales.cases.workflows.base import (
    AGENT,
    CONSUMER,
    CONSUMER_OR_SYSTEM,
    MERCHANT,
    MERCHANT_OR_SYSTEM,
    SYSTEM,
    Timer,
    Transition,
    Workflow,
    consumer_cancel,
    money_returned_elsewhere,
    platform_intervention,
)
from aftersales.core.periods import days, hours

STATUSES = {
    "awaiting_merchant": 14,
    "awaiting_resend": 32,
    "resend_shipped": 18,
    "refused": 15,
    "platform_review": 8,
    "completed": 16,
    "refunded": 10,
    "cancelled": 11,
    "closed": 9,
    "expired": 12,
}

WORKFLOW = Workflow(
    type="resend",
    pdd_type=4,
    statuses=STATUSES,
    transitions=(
        Transition(
            "agree", "awaiting_merchant", "awaiting_resend", MERCHANT_OR_SYSTEM, "resend ⚙ agree"
        ),
        Transition(
            "refuse",
            "awaiting_merchant",
            "refused",
            MERCHANT,
            "resend ⚙ refuse",
            effects=("record_refusal",),
        ),
        Transition(
            "shorten_deadline",
            "awaiting_merchant",
            None,
            AGENT,
            "2.2",
            effects=("shorten_merchant_deadline",),
        ),
        Transition(
            "ship_resend",
            "awaiting_resend",
            "resend_shipped",
            MERCHANT,
            "resend ship_resend",
            effects=("record_outbound_shipment",),
        ),
        # ⚙ A merchant that agrees but does not resend in time refunds the case amount.
        Transition(
            "timeout_refund",
            "awaiting_resend",
            "refunded",
            SYSTEM,
            "resend ⚙ resend 48 h",
            effects=("refund",),
        ),
        Transition(
            "confirm_received",
            "resend_shipped",
            "completed",
            CONSUMER_OR_SYSTEM,
            "resend ⚙ receipt 7 days",
        ),
        Transition(
            "report_problem", "resend_shipped", "platform_review", CONSUMER, "resend report_problem"
        ),
        Transition(
            "reapply",
            "refused",
            "awaiting_merchant",
            CONSUMER,
            "resend ⚙ reapply",
            effects=("record_reapplication",),
        ),
        Transition("request_intervention", "refused", "platform_review", CONSUMER, "2.7"),
        Transition("expire", "refused", "expired", SYSTEM, "resend ⚙ refused 7 days", pdd=12),
        *consumer_cancel(["awaiting_merchant", "awaiting_resend", "refused"]),
        *money_returned_elsewhere(STATUSES),
        *platform_intervention(STATUSES),
    ),
    timers=(
        Timer(
            "awaiting_merchant",
            hours(48, setting="merchant_response_hours"),
            "agree",
            "resend ⚙ merchant 48 h",
            "merchant_response_deadline",
        ),
        Timer(
            "awaiting_resend",
            hours(48, setting="resend_ship_hours"),
            "timeout_refund",
            "resend ⚙ resend 48 h",
            "resend_ship_deadline",
        ),
        Timer(
            "resend_shipped",
            days(7, counting_start_day=True, setting="receipt_days"),
            "confirm_received",
            "resend ⚙ receipt 7 days",
            "receipt_deadline",
        ),
        Timer(
            "refused",
            days(7, setting="refused_expiry_days"),
            "expire",
            "resend ⚙ refused 7 days",
            "reapply_deadline",
        ),
    ),
)
