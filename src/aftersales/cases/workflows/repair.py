"""维修 repair: Pinduoduo's repair after-sales rules (seed 000), clause by clause.

Read beside the rule text: every transition and timer names its clause. ⚙ marks a policy
choice where the rule is silent (spec/workflows.md).
"""

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
    money_returned_elsewhere,
    platform_intervention,
)
from aftersales.core.periods import days, hours

RWC = "refund_with_compensation"

STATUSES = {
    "awaiting_merchant": 21,
    "awaiting_return": 22,
    "inspecting": 22,
    "repairing": 22,
    "repaired_shipped": 27,
    "inspection_failed": 27,
    "returning_unrepaired": 27,
    "unrepaired_shipped": 27,
    "negotiated": 27,
    "returning_after_cancel": 11,
    "awaiting_replacement": 14,
    "replacement_shipped": 18,
    "platform_review": 8,
    "completed": 25,
    "refunded": 10,
    "cancelled": 11,
    "closed": 24,
    "expired": 13,
}

WORKFLOW = Workflow(
    type="repair",
    pdd_type=5,
    statuses=STATUSES,
    transitions=(
        # 2.2 The merchant handles the application within 48 hours; silence means agreement.
        Transition(
            "agree",
            "awaiting_merchant",
            "awaiting_return",
            MERCHANT_OR_SYSTEM,
            "2.2",
            effects=("set_return_address",),
        ),
        # 2.6(4) A merchant refusing repair goes to the platform, which may refund + compensate.
        Transition(
            "refuse",
            "awaiting_merchant",
            "platform_review",
            MERCHANT,
            "2.6(4)",
            effects=("record_refusal",),
            recommend=RWC,
        ),
        # 2.2 The platform may shorten the limit, never below 24 hours remaining.
        Transition(
            "shorten_deadline",
            "awaiting_merchant",
            None,
            AGENT,
            "2.2",
            effects=("shorten_merchant_deadline",),
        ),
        # 2.3 The consumer sends the item back and uploads the tracking number.
        Transition(
            "ship_return",
            "awaiting_return",
            "inspecting",
            CONSUMER,
            "2.3",
            effects=("record_return_shipment",),
        ),
        Transition("expire", "awaiting_return", "expired", SYSTEM, "2.3 ⚙ return 7 days"),
        # 2.3 Within 7 days (counting the upload day) the merchant signs, inspects, uploads.
        Transition(
            "confirm_receipt",
            "inspecting",
            None,
            MERCHANT,
            "2.3",
            guard="not_signed",
            effects=("sign",),
        ),
        Transition(
            "inspect",
            "inspecting",
            "repairing",
            MERCHANT_OR_SYSTEM,
            "2.3",
            when={"result": "meets"},
            effects=("sign", "record_inspection"),
        ),
        # 2.3.2 Not repairable: the merchant must upload an inspection report and reject.
        Transition(
            "inspect",
            "inspecting",
            "inspection_failed",
            MERCHANT,
            "2.3.2",
            when={"result": "fails"},
            effects=("sign", "record_inspection"),
        ),
        # 2.4 The consumer may cancel before the repaired item ships; a signed item goes back.
        Transition("cancel", "awaiting_merchant", "cancelled", CONSUMER, "2.4"),
        Transition("cancel", "awaiting_return", "cancelled", CONSUMER, "2.4"),
        Transition("cancel", "inspecting", "cancelled", CONSUMER, "2.4", guard="not_signed"),
        Transition(
            "cancel", "inspecting", "returning_after_cancel", CONSUMER, "2.4", guard="signed"
        ),
        Transition("cancel", "repairing", "returning_after_cancel", CONSUMER, "2.4"),
        # 2.3.1 Repair and ship back within 20 days of the consumer's return.
        Transition(
            "ship_repaired",
            "repairing",
            "repaired_shipped",
            MERCHANT,
            "2.3.1",
            effects=("record_outbound_shipment",),
        ),
        # 2.6(1) Not repaired or shipped back in time: refund and compensation, at once.
        Transition(
            "timeout_refund",
            "repairing",
            "refunded",
            SYSTEM,
            "2.6(1)",
            effects=("refund", "compensate"),
        ),
        # 2.3.1 The consumer must receive it within 7 days of the upload (counting that day).
        Transition(
            "confirm_received", "repaired_shipped", "completed", CONSUMER_OR_SYSTEM, "2.3.1"
        ),
        Transition(
            "report_not_received",
            "repaired_shipped",
            "platform_review",
            CONSUMER,
            "2.6(2)",
            recommend=RWC,
        ),
        # 2.3.2 Within 3 days the consumer accepts (1), negotiates (2) or asks the platform (3);
        # silence counts as accepting (4).
        Transition(
            "accept_result",
            "inspection_failed",
            "returning_unrepaired",
            CONSUMER_OR_SYSTEM,
            "2.3.2(1)",
        ),
        Transition(
            "negotiate",
            "inspection_failed",
            "negotiated",
            CONSUMER,
            "2.3.2(2)",
            effects=("record_negotiation",),
        ),
        Transition(
            "request_intervention", "inspection_failed", "platform_review", CONSUMER, "2.3.2(3)"
        ),
        # 2.3.2(1) Ship the item back with the report within 48 hours.
        Transition(
            "ship_back",
            "returning_unrepaired",
            "unrepaired_shipped",
            MERCHANT,
            "2.3.2(1)",
            effects=("record_outbound_shipment",),
        ),
        Transition(
            "escalate",
            "returning_unrepaired",
            "platform_review",
            SYSTEM,
            "2.3.2(1) ⚙ ship back 48 h",
        ),
        Transition(
            "confirm_received", "unrepaired_shipped", "completed", CONSUMER_OR_SYSTEM, "2.3.2(1)"
        ),
        Transition(
            "report_not_received",
            "unrepaired_shipped",
            "platform_review",
            CONSUMER,
            "2.6(2)",
            recommend=RWC,
        ),
        # 2.3.2(2) The merchant follows the negotiated solution, or 2.6(3) applies.
        Transition("fulfil", "negotiated", "completed", MERCHANT, "2.3.2(2)"),
        Transition(
            "report_breach", "negotiated", "platform_review", CONSUMER, "2.6(3)", recommend=RWC
        ),
        # 2.4 A signed item goes back within 2 days of the cancellation (counting that day).
        Transition(
            "ship_back",
            "returning_after_cancel",
            "cancelled",
            MERCHANT,
            "2.4",
            effects=("record_outbound_shipment",),
        ),
        Transition(
            "escalate",
            "returning_after_cancel",
            "platform_review",
            SYSTEM,
            "2.4 ⚙ ship back 2 days",
        ),
        # 2.7 After a ruling of `exchange` the merchant must comply.
        Transition(
            "ship_replacement",
            "awaiting_replacement",
            "replacement_shipped",
            MERCHANT,
            "2.7",
            effects=("record_outbound_shipment",),
        ),
        Transition(
            "timeout_refund",
            "awaiting_replacement",
            "refunded",
            SYSTEM,
            "2.7 ⚙ replacement 7 days",
            effects=("refund",),
        ),
        Transition(
            "confirm_received",
            "replacement_shipped",
            "completed",
            CONSUMER_OR_SYSTEM,
            "2.7 ⚙ receipt 7 days",
        ),
        Transition("report_problem", "replacement_shipped", "platform_review", CONSUMER, "2.7"),
        # 2.6(5), 2.7 The agent rules; a ruled repair restarts the 20 days on the ruling day ⚙.
        *money_returned_elsewhere(STATUSES),
        *platform_intervention(
            STATUSES,
            closed_pdd=24,
            extra_rulings={
                "repair": ("repairing", ("restart_repair_period",)),
                "exchange": ("awaiting_replacement", ()),
            },
        ),
    ),
    timers=(
        Timer("awaiting_merchant", hours(48), "agree", "2.2", "merchant_response_deadline"),
        Timer(
            "awaiting_return",
            days(7, setting="return_shipment_days"),
            "expire",
            "2.3 ⚙ return 7 days",
            "return_shipment_deadline",
        ),
        Timer(
            "inspecting",
            days(7, counting_start_day=True),
            "inspect",
            "2.3",
            "inspection_deadline",
            params={"result": "meets"},
        ),
        Timer(
            "repairing",
            days(20, counting_start_day=True),
            "timeout_refund",
            "2.6(1)",
            "repair_deadline",
            anchor="repair_period_start",
        ),
        Timer(
            "repaired_shipped",
            days(7, counting_start_day=True),
            "confirm_received",
            "2.3.1",
            "receipt_deadline",
        ),
        Timer("inspection_failed", days(3), "accept_result", "2.3.2(4)", "decision_deadline"),
        Timer(
            "returning_unrepaired",
            hours(48),
            "escalate",
            "2.3.2(1) ⚙ ship back 48 h",
            "ship_back_deadline",
        ),
        Timer(
            "unrepaired_shipped",
            days(7, counting_start_day=True),
            "confirm_received",
            "2.3.2(1)",
            "receipt_deadline",
        ),
        Timer(
            "returning_after_cancel",
            days(2, counting_start_day=True),
            "escalate",
            "2.4 ⚙ ship back 2 days",
            "ship_back_deadline",
        ),
        Timer(
            "awaiting_replacement",
            days(7, counting_start_day=True, setting="replacement_ship_days"),
            "timeout_refund",
            "2.7 ⚙ replacement 7 days",
            "replacement_ship_deadline",
        ),
        Timer(
            "replacement_shipped",
            days(7, counting_start_day=True, setting="receipt_days"),
            "confirm_received",
            "2.7 ⚙ receipt 7 days",
            "receipt_deadline",
        ),
    ),
)
