"""Words for people about tickets (translated)."""

from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "open": _("Open"),
    "in_progress": _("In progress"),
    "waiting": _("Waiting on a party"),
    "resolved": _("Resolved"),
    "closed": _("Closed"),
}

SUBTYPE_LABELS = {
    "lost": _("Parcel lost"),
    "delayed": _("Delivery delayed"),
    "no_tracking_update": _("No tracking update"),
    "signed_not_received": _("Signed for but not received"),
    "damaged": _("Damaged"),
    "faulty": _("Faulty"),
    "counterfeit": _("Counterfeit"),
    "not_as_described": _("Not as described"),
    "service_attitude": _("Service attitude"),
    "broken_promise": _("Broken promise"),
    "harassment": _("Harassment"),
    "urge_shipment": _("Please ship my order"),
    "change_address": _("Change the address"),
    "invoice": _("Invoice"),
    "other": _("Other"),
}

ACTION_LABELS = {
    "reply": _("Reply"),
    "request_info": _("Ask a party for information"),
    "complete_task": _("Mark my task done"),
    "assign": _("Reassign"),
    "escalate": _("Escalate to the platform"),
    "resolve": _("Resolve"),
    "convert": _("Turn into an after-sales case"),
    "close": _("Close"),
    "reopen": _("Reopen"),
    "create": _("Ticket opened"),
    "sla_warning": _("SLA warning"),
    "sla_breach": _("SLA breached"),
}

PARTY_LABELS = {
    "consumer": _("Consumer"),
    "shop": _("Shop"),
    "carrier": _("Carrier"),
    "platform": _("Platform"),
    "system": _("System"),
}
