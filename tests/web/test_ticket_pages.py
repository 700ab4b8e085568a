"""Tickets in the consoles: a consumer reports a problem; shop and carrier work it."""

from __future__ import annotations

from django.test import Client

from aftersales.core.models import Role
from aftersales.tickets.models import Ticket
from tests.conftest import make_caller


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_logistics_ticket_through_the_consoles(market, travel):
    carrier = make_caller(Role.CARRIER, carrier=market.carrier).user
    other_carrier = make_caller(Role.CARRIER, carrier=None).user
    order = market.order(carrier=market.carrier)
    consumer = signed_in(market.consumer.user)
    response = consumer.post(
        f"/my/orders/{order.order_sn}/ticket/",
        {
            "subtype": "logistics:lost",
            "title": "快递一直没到",
            "description": "显示已揽收后没有更新",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    ticket = Ticket.objects.get(order=order)
    assert (ticket.type, ticket.subtype, ticket.team) == ("logistics", "lost", "shop")
    # The carrier's console lists it; another carrier user gets 404
    carrier_client = signed_in(carrier)
    assert ticket.ticket_no in carrier_client.get("/tickets/").content.decode()
    assert signed_in(other_carrier).get(f"/tickets/{ticket.ticket_no}/").status_code == 404
    task = ticket.tasks.get(party="carrier")
    response = carrier_client.post(
        f"/tickets/{ticket.ticket_no}/act/complete_task/",
        {
            "version": ticket.version,
            "task_id": task.id,
            "body": "包裹在杭州转运中心滞留，已加急",
        },
    )
    assert response.status_code == 302
    shop = signed_in(market.merchant.user)
    page = shop.get(f"/tickets/{ticket.ticket_no}/").content.decode()
    assert "包裹在杭州转运中心滞留" in page
    ticket.refresh_from_db()
    response = shop.post(
        f"/tickets/{ticket.ticket_no}/act/resolve/",
        {
            "version": ticket.version,
            "resolution": "已安排补发",
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.resolution == "已安排补发"
    assert "已安排补发" in consumer.get(f"/tickets/{ticket.ticket_no}/").content.decode()
