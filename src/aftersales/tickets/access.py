"""The one access gate for tickets: "does not exist" and "not yours" are the same 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from aftersales.core.errors import NotFound
from aftersales.core.models import Role, User
from aftersales.tickets.models import Ticket


def visible_tickets(user: User) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if user.role in (Role.AGENT, Role.ADMIN):
        return tickets
    if user.role == Role.CONSUMER:
        return tickets.filter(consumer_id=user.id)
    if user.role == Role.MERCHANT and user.shop_id:
        return tickets.filter(shop_id=user.shop_id)
    if user.role == Role.CARRIER and user.carrier_id:
        return tickets.filter(carrier_id=user.carrier_id)
    return tickets.none()


def access_ticket(user: User, ticket_no: str, *, for_update: bool = False) -> Ticket:
    tickets = visible_tickets(user)
    if for_update:
        tickets = tickets.select_for_update(of=("self",))
    ticket = tickets.filter(ticket_no=ticket_no).first()
    if ticket is None:
        raise NotFound(_("Ticket %(n)s not found.") % {"n": ticket_no}, field="ticket_no")
    return ticket


def party_of(user: User | None, ticket: Ticket) -> str | None:
    if user is None:
        return "system"
    if user.role in (Role.AGENT, Role.ADMIN):
        return "platform"
    if user.role == Role.CONSUMER and ticket.consumer_id == user.id:
        return "consumer"
    if user.role == Role.MERCHANT and ticket.shop_id and user.shop_id == ticket.shop_id:
        return "shop"
    if user.role == Role.CARRIER and ticket.carrier_id and user.carrier_id == ticket.carrier_id:
        return "carrier"
    return None


def parties(ticket: Ticket) -> list[str]:
    """The parties taking part in a ticket."""
    present = ["platform"]
    if ticket.consumer_id:
        present.append("consumer")
    if ticket.shop_id:
        present.append("shop")
    if ticket.carrier_id:
        present.append("carrier")
    return present
