"""仅退款 refund only (spec/workflows.md "refund_only"; all timers are ⚙ policy choices)."""

from aftersales.cases.workflows.base import (
    AGENT,
    CONSUMER,
    MERCHANT,
    MERCHANT_OR_SYSTEM,
    SYSTEM,
    Timer,
    Transition,
    Workflow,
    consumer_cancel,
    counter_offer,
    money_returned_elsewhere,
    platform_intervention,
)
from aftersales.core.periods import days, hours

STATUSES = {
    "awaiting_merchant": 2,
    "offer_pending": 2,  # the merchant's counter-offer waits for the consumer (⚙)
    "refused": 6,
    "platform_review": 8,
    "refunded": 10,
    "cancelled": 11,
    "closed": 9,
    "expired": 12,
}

OFFER_MOVES, OFFER_TIMER = counter_offer("refund_only", with_return=False)

WORKFLOW = Workflow(
    type="refund_only",
    pdd_type=1,
    statuses=STATUSES,
    transitions=(
        # Agreeing before the parcel ships stops it (domain: 拒收 / intercept).
        Transition(
            "agree",
            "awaiting_merchant",
            "refunded",
            MERCHANT_OR_SYSTEM,
            "refund_only ⚙ agree",
            effects=("intercept_unshipped", "refund"),
        ),
        Transition(
            "refuse",
            "awaiting_merchant",
            "refused",
            MERCHANT,
            "refund_only ⚙ refuse",
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
            "reapply",
            "refused",
            "awaiting_merchant",
            CONSUMER,
            "refund_only ⚙ reapply",
            effects=("record_reapplication",),
        ),
        Transition("request_intervention", "refused", "platform_review", CONSUMER, "2.7"),
        Transition("expire", "refused", "expired", SYSTEM, "refund_only ⚙ refused 7 days", pdd=12),
        *consumer_cancel(["awaiting_merchant", "offer_pending", "refused"]),
        *OFFER_MOVES,
        *money_returned_elsewhere(STATUSES),
        *platform_intervention(STATUSES),
    ),
    timers=(
        OFFER_TIMER,
        Timer(
            "awaiting_merchant",
            hours(48, setting="merchant_response_hours"),
            "agree",
            "refund_only ⚙ merchant 48 h",
            "merchant_response_deadline",
        ),
        Timer(
            "refused",
            days(7, setting="refused_expiry_days"),
            "expire",
            "refund_only ⚙ refused 7 days",
            "reapply_deadline",
        ),
    ),
)
