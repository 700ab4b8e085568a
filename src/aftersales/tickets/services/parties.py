"""Who a new ticket is about and between: its order, consumer, shop and carrier, and the amount
routing may look at. The parties come from the order (or, without one, from the platform: an
agent or the monitoring job), never from what a consumer names (docs/tickets.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from aftersales.catalog.models import Carrier, Shop
from aftersales.core.errors import BadRequest, NotFound, RuleViolation
from aftersales.core.models import Role, User
from aftersales.core.money import yuan
from aftersales.orders.models import Order

# A consumer's ticket of these types is about one of their orders: a parcel, a product, or
# the shop that sold it. An inquiry may be about nothing in particular.
ORDER_NEEDED = frozenset({"logistics", "quality", "complaint"})


@dataclass(frozen=True)
class TicketParties:
    order: Order | None
    consumer: User | None
    shop: Shop | None
    carrier: Carrier | None
    amount_fen: int | None


def _order(actor: User | None, order_sn: str) -> Order:
    orders = Order.objects.select_related("shop", "carrier", "consumer")
    if actor is not None and actor.role == Role.CONSUMER:
        orders = orders.filter(consumer_id=actor.id)  # another's order: the same 404
    order = orders.filter(order_sn=order_sn).first()
    if order is None:
        raise NotFound(_("Order %(o)s not found.") % {"o": order_sn}, field="order_sn")
    return order


def _named_shop(code: str) -> Shop:
    shop = Shop.objects.filter(code=code).first()
    if shop is None:
        raise RuleViolation(
            _("Unknown shop %(s)s.") % {"s": code}, code="unknown_shop", field="shop"
        )
    return shop


def _named_carrier(code: str) -> Carrier:
    carrier = Carrier.objects.filter(code=code).first()
    if carrier is None:
        raise RuleViolation(
            _("Unknown carrier %(c)s.") % {"c": code}, code="unknown_carrier", field="carrier"
        )
    return carrier


def _amount(order: Order | None, amount_fen: int | None, *, by_consumer: bool) -> int | None:
    if order is None:
        if amount_fen is not None and by_consumer:
            raise RuleViolation(
                _("An amount can only be given for an order: open the ticket from the order."),
                code="amount_without_order",
                field="amount_fen",
            )
        return amount_fen
    if amount_fen is None:
        return order.amount_fen
    if amount_fen > order.amount_fen:
        raise RuleViolation(
            _("The amount cannot be more than the order's amount, %(max)s yuan.")
            % {"max": yuan(order.amount_fen)},
            code="amount_over_order",
            field="amount_fen",
            params={"max_fen": order.amount_fen},
        )
    return amount_fen


def resolve_parties(
    actor: User | None,
    *,
    type: str,
    order_sn: str | None,
    amount_fen: int | None,
    shop: str | None,
    carrier: str | None,
) -> TicketParties:
    """The ticket's parties, or the typed error saying what to change. A consumer's logistics,
    quality or complaint ticket is on their own order; a logistics ticket needs a shipped
    order and its carrier is the order's; an amount is at most the order's."""
    by_consumer = actor is not None and actor.role == Role.CONSUMER
    if by_consumer:
        for field, value in (("shop", shop), ("carrier", carrier)):
            if value:
                raise RuleViolation(
                    _("The platform chooses who handles a ticket; it comes from the order."),
                    code="party_chosen_by_platform",
                    field=field,
                )
    order = _order(actor, order_sn) if order_sn else None
    if order is None and by_consumer and type in ORDER_NEEDED:
        raise BadRequest(
            _("This kind of ticket is about an order: open it from the order."),
            code="order_needed",
            field="order_sn",
        )
    if order is not None:
        if type == "logistics" and order.shipped_at is None:
            raise RuleViolation(
                _("The order has not been shipped yet: ask the shop to ship it instead."),
                code="not_shipped",
                field="order_sn",
            )
        for field, named, own in (
            ("shop", shop, order.shop.code),
            ("carrier", carrier, order.carrier.code if order.carrier else None),
        ):
            if named and named != own:
                raise RuleViolation(
                    _("The order's shop and carrier handle a ticket on it."),
                    code="party_not_of_order",
                    field=field,
                )
        return TicketParties(
            order=order,
            consumer=order.consumer,
            shop=order.shop,
            carrier=order.carrier if type == "logistics" else None,
            amount_fen=_amount(order, amount_fen, by_consumer=by_consumer),
        )
    return TicketParties(
        order=None,
        consumer=actor if by_consumer else None,
        shop=_named_shop(shop) if shop else None,
        carrier=_named_carrier(carrier) if carrier and type == "logistics" else None,
        amount_fen=_amount(None, amount_fen, by_consumer=by_consumer),
    )
