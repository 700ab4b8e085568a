"""换货 exchange (spec/workflows.md "exchange"; timers are ⚙ policy)."""

from aftersales.cases.workflows.base import (
    AGENT, CONSUMER, CONSUMER_OR_SYSTEM, MERCHANT, MERCHANT_OR_SYSTEM, SYSTEM, Timer,
    Transition, Workflow, consumer_cancel, platform_intervention,
)
from aftersales.core.periods import days, hours

STATUSES = {
    "awaiting_merchant": 14, "awaiting_return": 15, "return_in_transit": 14,
    "replacement_shipped": 18, "refused": 15, "awaiting_replacement": 14,
    "platform_review": 8, "completed": 16, "refunded": 10, "cancelled": 11, "closed": 9,
    "expired": 12,
}

WORKFLOW = Workflow(
    type="exchange",
    pdd_type=3,
    statuses=STATUSES,
    transitions=(
        Transition("agree", "awaiting_merchant", "awaiting_return", MERCHANT_OR_SYSTEM,
                   "exchange ⚙ agree", effects=("set_return_address",)),
        Transition("refuse", "awaiting_merchant", "refused", MERCHANT, "exchange ⚙ refuse",
                   effects=("record_refusal",)),
        Transition("shorten_deadline", "awaiting_merchant", None, AGENT, "2.2",
                   effects=("shorten_merchant_deadline",)),
        Transition("ship_return", "awaiting_return", "return_in_transit", CONSUMER,
                   "exchange ship_return", effects=("record_return_shipment",)),
        Transition("expire", "awaiting_return", "expired", SYSTEM, "exchange ⚙ return 7 days",
                   pdd=17),
        Transition("ship_replacement", "return_in_transit", "replacement_shipped", MERCHANT,
                   "exchange ship_replacement", effects=("record_outbound_shipment",)),
        Transition("refuse_return", "return_in_transit", "refused", MERCHANT,
                   "exchange ⚙ refuse_return", effects=("record_refusal",)),
        # ⚙ A merchant that neither ships a replacement nor refuses in time refunds instead.
        Transition("timeout_refund", "return_in_transit", "refunded", SYSTEM,
                   "exchange ⚙ replacement 7 days", effects=("refund",)),
        Transition("confirm_received", "replacement_shipped", "completed", CONSUMER_OR_SYSTEM,
                   "exchange ⚙ receipt 7 days"),
        Transition("report_problem", "replacement_shipped", "platform_review", CONSUMER,
                   "exchange report_problem"),
        Transition("reapply", "refused", "awaiting_merchant", CONSUMER, "exchange ⚙ reapply",
                   effects=("record_reapplication",)),
        Transition("request_intervention", "refused", "platform_review", CONSUMER, "2.7"),
        Transition("expire", "refused", "expired", SYSTEM, "exchange ⚙ refused 7 days",
                   pdd=12),
        # After a ruling of `exchange` (2.7).
        Transition("ship_replacement", "awaiting_replacement", "replacement_shipped", MERCHANT,
                   "2.7", effects=("record_outbound_shipment",)),
        Transition("timeout_refund", "awaiting_replacement", "refunded", SYSTEM,
                   "2.7 ⚙ replacement 7 days", effects=("refund",)),
        *consumer_cancel(["awaiting_merchant", "awaiting_return"]),
        Transition("cancel", "refused", "cancelled", CONSUMER, "common ⚙ cancel",
                   guard="return_not_shipped"),
        *platform_intervention(STATUSES, extra_rulings={
            "exchange": ("awaiting_replacement", ()),
        }),
    ),
    timers=(
        Timer("awaiting_merchant", hours(48, setting="merchant_response_hours"), "agree",
              "exchange ⚙ merchant 48 h", "merchant_response_deadline"),
        Timer("awaiting_return", days(7, setting="return_shipment_days"), "expire",
              "exchange ⚙ return 7 days", "return_shipment_deadline"),
        Timer("return_in_transit",
              days(7, counting_start_day=True, setting="replacement_ship_days"), "timeout_refund",
              "exchange ⚙ replacement 7 days", "replacement_ship_deadline"),
        Timer("replacement_shipped",
              days(7, counting_start_day=True, setting="receipt_days"), "confirm_received",
              "exchange ⚙ receipt 7 days", "receipt_deadline"),
        Timer("refused", days(7, setting="refused_expiry_days"), "expire",
              "exchange ⚙ refused 7 days", "reapply_deadline"),
        Timer("awaiting_replacement",
              days(7, counting_start_day=True, setting="replacement_ship_days"), "timeout_refund",
              "2.7 ⚙ replacement 7 days", "replacement_ship_deadline"),
    ),
)
