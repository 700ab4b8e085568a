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


def test_suggested_reply_sent_to_the_consumer_lands_in_the_inbox(market, travel):
    order = market.order()
    case_no = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "repair", "reason": "faulty"}
    ).json()["case_no"]
    merchant = signed_in(market.merchant.user)
    page = merchant.get(f"/cases/{case_no}/").content.decode()
    assert 'data-testid="suggestions"' in page and "您好" in page
    # The consumer's own page shows no suggestions
    consumer = signed_in(market.consumer.user)
    assert 'data-testid="suggestions"' not in consumer.get(f"/cases/{case_no}/").content.decode()
    response = merchant.post(f"/cases/{case_no}/message/", {"text": "您好，已收到，明天处理"})
    assert response.status_code == 302
    inbox = consumer.get("/inbox/").content.decode()
    assert "明天处理" in inbox
    # Another shop's merchant cannot write to this consumer
    other = signed_in(market.other_merchant.user)
    assert other.post(f"/cases/{case_no}/message/", {"text": "hi"}).status_code == 404
    # Mark all read clears the unread badge
    assert 'data-testid="inbox-link"' in inbox
    consumer.post("/inbox/read-all/")
    from aftersales.notify.models import Notification

    assert not Notification.objects.filter(recipient=market.consumer.user, read_at=None).exists()


def test_admin_site_is_for_the_admin_role_only(market):
    market.agent.user.is_staff = True  # even a staff flag does not open it
    market.agent.user.save()
    assert signed_in(market.agent.user).get("/admin/").status_code == 302
    market.admin.user.is_staff = True
    market.admin.user.save()
    assert signed_in(market.admin.user).get("/admin/").status_code == 200
