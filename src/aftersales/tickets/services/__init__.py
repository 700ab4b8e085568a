"""Every write to a ticket: opening (`creation`), the parties' actions and the SLA timers
(`actions`, with one handler per action in `handlers`). One transaction and one chained event
each. Callers import from here."""

from aftersales.tickets.services.actions import allowed_actions, fire_deadline, perform
from aftersales.tickets.services.creation import SYSTEM_ACTOR, create_ticket

__all__ = ["SYSTEM_ACTOR", "allowed_actions", "create_ticket", "fire_deadline", "perform"]
