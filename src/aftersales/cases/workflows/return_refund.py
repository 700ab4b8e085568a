"""退货退款 return and refund (spec/workflows.md "return_refund"; timers are ⚙ policy)."""

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
    money_returned_elsewhere,
    platform_intervention,
)
from aftersales.core.periods import days, hours

STATUSES = {
    "awaiting_merchant": 3,
    "awaiting_return": 7,
    "return_in_transit": 3,
    "refused": 6,
    "platform_review": 8,
    "refunded": 10,
    "cancelled": 11,
    "closed": 9,
    "expired": 12,
}

WORKFLOW = Workflow(
    type="return_refund",
    pdd_type=2,
    statuses=STATUSES,
    transitions=(
        Transition(
            "agree",
            "awaiting_merchant",
            "awaiting_return",
            MERCHANT_OR_SYSTEM,
            "return_refund ⚙ agree",
            effects=("set_return_address",),
        ),
        Transition(
            "refuse",
            "awaiting_merchant",
            "refused",
            MERCHANT,
            "return_refund ⚙ refuse",
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
            "ship_return",
            "awaiting_return",
            "return_in_transit",
            CONSUMER,
            "return_refund ship_return",
            effects=("record_return_shipment",),
        ),
        Transition(
            "expire", "awaiting_return", "expired", SYSTEM, "return_refund ⚙ return 7 days", pdd=13
        ),
        Transition(
            "confirm_return",
            "return_in_transit",
            "refunded",
            MERCHANT_OR_SYSTEM,
            "return_refund ⚙ confirm 7 days",
            effects=("refund",),
        ),
        Transition(
            "refuse_return",
            "return_in_transit",
            "refused",
            MERCHANT,
            "return_refund ⚙ refuse_return",
            effects=("record_refusal",),
        ),
        Transition(
            "reapply",
            "refused",
            "awaiting_merchant",
            CONSUMER,
            "return_refund ⚙ reapply",
            effects=("record_reapplication",),
        ),
        Transition("request_intervention", "refused", "platform_review", CONSUMER, "2.7"),
        Transition(
            "expire", "refused", "expired", SYSTEM, "return_refund ⚙ refused 7 days", pdd=12
        ),
        *consumer_cancel(["awaiting_merchant", "awaiting_return"]),
        # ⚙ Once the return is shipped the consumer can no longer cancel.
        Transition(
            "cancel",
            "refused",
            "cancelled",
            CONSUMER,
            "common ⚙ cancel",
            guard="return_not_shipped",
        ),
        *money_returned_elsewhere(STATUSES),
        *platform_intervention(STATUSES),
    ),
    timers=(
        Timer(
            "awaiting_merchant",
            hours(48, setting="merchant_response_hours"),
            "agree",
            "return_refund ⚙ merchant 48 h",
            "merchant_response_deadline",
        ),
        Timer(
            "awaiting_return",
            days(7, setting="return_shipment_days"),
            "expire",
            "return_refund ⚙ return 7 days",
            "return_shipment_deadline",
        ),
        Timer(
            "return_in_transit",
            days(7, counting_start_day=True, setting="return_confirm_days"),
            "confirm_return",
            "return_refund ⚙ confirm 7 days",
            "return_confirm_deadline",
        ),
        Timer(
            "refused",
            days(7, setting="refused_expiry_days"),
            "expire",
            "return_refund ⚙ refused 7 days",
            "reapply_deadline",
        ),
    ),
)
