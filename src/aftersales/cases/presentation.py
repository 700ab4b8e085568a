"""Words for people: statuses, actions and default outcomes in plain language (translated)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.cases.models import Reason

TYPE_LABELS = {
    "refund_only": _("Refund only"),
    "return_refund": _("Return and refund"),
    "exchange": _("Exchange"),
    "resend": _("Resend missing item"),
    "repair": _("Repair"),
}

REASON_LABELS = {reason.value: reason.label for reason in Reason}

STATUS_LABELS = {
    "awaiting_merchant": _("Waiting for the merchant"),
    "awaiting_return": _("Waiting for you to send the item back"),
    "return_in_transit": _("Return on its way to the merchant"),
    "inspecting": _("Merchant receiving and inspecting"),
    "repairing": _("Being repaired"),
    "repaired_shipped": _("Repaired item shipped back"),
    "inspection_failed": _("Inspection: not repairable"),
    "returning_unrepaired": _("Merchant to send the item back unrepaired"),
    "unrepaired_shipped": _("Unrepaired item shipped back"),
    "negotiated": _("Agreed solution in progress"),
    "returning_after_cancel": _("Cancelled; merchant to send the item back"),
    "awaiting_replacement": _("Waiting for the replacement"),
    "replacement_shipped": _("Replacement shipped"),
    "awaiting_resend": _("Waiting for the merchant to resend"),
    "resend_shipped": _("Missing item resent"),
    "refused": _("Refused by the merchant"),
    "platform_review": _("Platform reviewing"),
    "refunded": _("Refunded"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
    "closed": _("Closed"),
    "expired": _("Expired"),
}

ACTION_LABELS = {
    "agree": _("Agree"),
    "refuse": _("Refuse"),
    "refuse_return": _("Refuse the return"),
    "ship_return": _("Ship the item back"),
    "ship_repaired": _("Ship the repaired item"),
    "ship_back": _("Ship the item back"),
    "ship_replacement": _("Ship the replacement"),
    "ship_resend": _("Ship the missing item"),
    "inspect": _("Record inspection"),
    "negotiate": _("Propose a solution"),
    "request_intervention": _("Ask the platform to intervene"),
    "report_problem": _("Report a problem"),
    "report_breach": _("Report that the merchant broke the agreement"),
    "report_not_received": _("Report not received"),
    "cancel": _("Cancel the request"),
    "confirm_receipt": _("Confirm receipt of the return"),
    "confirm_return": _("Confirm return and refund"),
    "confirm_received": _("Confirm received"),
    "accept_result": _("Accept the inspection result"),
    "fulfil": _("Mark the agreed solution done"),
    "reapply": _("Apply again"),
    "shorten_deadline": _("Shorten the merchant's deadline"),
    "intervene": _("Intervene"),
    "rule": _("Rule"),
    "create": _("Request filed"),
    "expire": _("Expired"),
    "complete": _("Completed"),
    "timeout_refund": _("Refund on timeout"),
    "escalate": _("Sent to the platform"),
}

# What a pending deadline does when it runs out, in words.
DEFAULT_OUTCOME_LABELS = {
    "agree": _("the merchant is deemed to agree"),
    "expire": _("the request expires"),
    "confirm_return": _("the return is deemed received and refunded"),
    "inspect": _("the item is deemed received and repairable"),
    "timeout_refund": _("you are refunded automatically"),
    "confirm_received": _("the item is deemed received"),
    "accept_result": _("the inspection result is deemed accepted"),
    "escalate": _("the platform takes over"),
}

OUTCOME_LABELS = {
    "refund": _("Refund"),
    "refund_with_compensation": _("Refund with compensation"),
    "partial_refund": _("Partial refund"),
    "reject": _("Reject the request"),
    "repair": _("Order the repair"),
    "exchange": _("Order an exchange"),
}

ROLE_LABELS = {
    "consumer": _("Consumer"),
    "merchant": _("Merchant"),
    "carrier": _("Carrier"),
    "agent": _("Platform agent"),
    "admin": _("Administrator"),
}
