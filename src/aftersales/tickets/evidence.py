"""The ticket chains, under the event log's verification and the signed checkpoints."""

from aftersales.core import eventlog
from aftersales.tickets.models import Ticket

eventlog.register_chained("ticket", Ticket, "ticket_no")
