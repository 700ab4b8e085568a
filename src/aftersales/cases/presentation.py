"""Words for people: statuses, actions and default outcomes in plain language (translated)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.cases.models import Reason
from aftersales.core.money import yuan

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
    "offer_pending": _("The merchant made an offer: waiting for your answer"),
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
    "close_settled": _("Closed: already refunded elsewhere"),
    "offer": _("Make an offer"),
    "accept_offer": _("Accept the offer"),
    "decline_offer": _("Decline the offer"),
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
    "decline_offer": _("the offer is deemed declined and your request goes back to the merchant"),
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


# Facts an event may record, in words (cases/effects.py writes the codes).
GOODS_LABELS = {
    "return_first": _("The goods go back to the merchant before the refund"),
    "with_merchant": _("The goods are with the merchant"),
    "kept_by_consumer": _("The consumer keeps the goods"),
}
CLOSING_REASON_LABELS = {
    "money_already_returned": _(
        "Closed: the money for these items was already returned by another request"
    ),
}


def status_label(case) -> str:
    """The case's status in words; a refund of less than was asked says so."""
    if case.status == "refunded" and 0 < case.refunded_fen < case.amount_fen:
        return str(_("Partly refunded: ¥%(r)s of ¥%(a)s")) % {
            "r": yuan(case.refunded_fen),
            "a": yuan(case.amount_fen),
        }
    return str(STATUS_LABELS.get(case.status, case.status))
