"""Registers the ticket handler with the deadline sweeper."""

from aftersales.deadlines import sweeper
from aftersales.tickets.services import fire_deadline

sweeper.register("ticket", fire_deadline)
