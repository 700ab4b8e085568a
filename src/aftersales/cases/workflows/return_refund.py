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
    counter_offer,
    money_returned_elsewhere,
    platform_intervention,
    rulings_with_return,
)
from aftersales.core.periods import days, hours

STATUSES = {
    "awaiting_merchant": 3,
    "offer_pending": 3,  # the merchant's counter-offer waits for the consumer (⚙)
    "awaiting_return": 7,
    "return_in_transit": 3,
    "refused": 6,
    "platform_review": 8,
    "refunded": 10,
    "cancelled": 11,
    "closed": 9,
    "expired": 12,
}

OFFER_MOVES, OFFER_TIMER = counter_offer("return_refund", with_return=True)

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
            # Receiving the goods bears the consumer's declared return shipping (2.5).
            effects=("sign", "refund"),
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
        *consumer_cancel(["awaiting_merchant", "offer_pending", "awaiting_return"]),
        # ⚙ Once the return is shipped the consumer can no longer cancel.
        Transition(
            "cancel",
            "refused",
            "cancelled",
            CONSUMER,
            "common ⚙ cancel",
            guard="return_not_shipped",
        ),
        *OFFER_MOVES,
        *money_returned_elsewhere(STATUSES),
        # A ruling for the consumer says where the goods go: back first, or kept (2.7).
        *rulings_with_return(),
        *platform_intervention(STATUSES),
    ),
    timers=(
        OFFER_TIMER,
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
