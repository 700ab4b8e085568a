"""Tickets in the consoles: a consumer reports a problem; shop and carrier work it."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client

from aftersales.cases.models import Attachment
from aftersales.core.models import Event, Role
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.tickets.models import Ticket
from tests.conftest import make_caller
from tests.factories import SHANGHAI, T0

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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


# --- issue 8: one source for each deadline shown; the page in people's words --------------------

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def shown(instant: dt.datetime) -> str:
    """How the consoles write a time: local (Asia/Shanghai), month and day in Chinese."""
    local = instant.astimezone(SHANGHAI)
    return f"{local.month:02d}月{local.day:02d}日 {local:%H:%M}"


def quality_ticket(market, **body) -> Ticket:
    order = market.order()
    response = market.consumer.post(
        "/tickets",
        {
            "type": "quality",
            "subtype": "damaged",
            "title": "屏幕有裂痕",
            "order_sn": order.order_sn,
            **body,
        },
    )
    assert response.status_code == 201, response.content
    return Ticket.objects.get(ticket_no=response.json()["ticket_no"])


def test_the_sla_card_shows_the_deadline_rows_that_fire(market, travel):
    # given a P3 quality ticket opened 12-03 10:00: first response within 24 h, resolution
    # within 3 natural days (12-06 24:00)
    travel.to(at(3, 10))
    ticket = quality_ticket(market)
    # when the first response is missed and the sweep runs just after 12-04 10:00
    travel.to(at(4, 10, 1))
    fired = 0
    while batch := sweep().fired:  # its warning (08:00) and its breach
        fired += batch
    assert fired == 2
    page = signed_in(market.agent.user).get(f"/tickets/{ticket.ticket_no}/").content.decode()

    # then the card shows each SLA deadline by name with its row's due time, the breached
    # first response included, and the timeline names the deadline that was breached
    rows = {d.name: d for d in Deadline.objects.filter(subject_kind="ticket", subject_id=ticket.id)}
    assert rows["first_response_breach"].due_at == at(4, 10)
    assert rows["first_response_breach"].status == DeadlineStatus.FIRED
    card = page[page.index('data-testid="sla-card"') :]
    card = card[: card.index("</div>")]
    assert re.search(r"首次响应.*?" + shown(at(4, 10)) + r".*?已超时", card, re.S), card
    resolve_by = rows["resolution_breach"].due_at
    assert shown(resolve_by) == "12月06日 23:59"
    assert re.search(r"解决.*?" + shown(resolve_by), card, re.S), card
    timeline = page[page.index('data-testid="timeline"') :]
    assert re.search(r"超出时效.*?首次响应.*?" + shown(at(4, 10)), timeline, re.S), timeline
    assert not ISO_TIME.search(page)
    # and the consumer's page shows none of it: the SLA is the team's
    page = signed_in(market.consumer.user).get(f"/tickets/{ticket.ticket_no}/").content.decode()
    assert "超出时效" not in page and "首次响应" not in page and 'data-testid="sla' not in page


def test_the_consumers_ticket_page_shows_no_internal_fields(market, travel):
    # given a complaint: P2, the platform's team, assigned to an agent
    order = market.order()
    response = market.consumer.post(
        "/tickets",
        {
            "type": "complaint",
            "subtype": "service_attitude",
            "title": "客服不回复",
            "order_sn": order.order_sn,
        },
    )
    ticket = Ticket.objects.get(ticket_no=response.json()["ticket_no"])
    assert (ticket.priority, ticket.team, ticket.assignee) == (2, "platform", market.agent.user)
    market.agent.post(f"/tickets/{ticket.ticket_no}/actions/reply", {"body": "您好，我们正在核实"})
    consumer = signed_in(market.consumer.user)
    for page in (
        consumer.get(f"/tickets/{ticket.ticket_no}/").content.decode(),
        consumer.get("/tickets/").content.decode(),
    ):
        assert "您好，我们正在核实" in page or ticket.ticket_no in page
        assert market.agent.user.username not in page
        assert not re.search(r"\bP[1-4]\b", page)
        assert "优先级" not in page and "处理团队" not in page and "处理人" not in page
        assert 'data-testid="sla' not in page
        assert not ISO_TIME.search(page)


def test_the_carriers_ticket_page_writes_times_as_the_consoles_do(market, travel):
    carrier = make_caller(Role.CARRIER, carrier=market.carrier)
    order = market.order(carrier=market.carrier)
    no = market.consumer.post(
        "/tickets",
        {"type": "logistics", "subtype": "lost", "title": "丢件", "order_sn": order.order_sn},
    ).json()["ticket_no"]
    task = Ticket.objects.get(ticket_no=no).tasks.get(party="carrier")
    travel.by(minutes=30)
    carrier.post(
        f"/tickets/{no}/actions/complete_task", {"task_id": task.id, "body": "包裹在转运中心"}
    )
    page = signed_in(carrier.user).get(f"/tickets/{no}/").content.decode()
    assert not ISO_TIME.search(page), ISO_TIME.findall(page)
    assert shown(T0 + dt.timedelta(minutes=30)) in page  # the reply and the task done
    assert "P3" not in page
    panel = page[page.index('id="ticket-panel"') :]  # the header names the signed-in account
    for user in (market.consumer.user, market.merchant.user, carrier.user):
        assert user.username not in panel


def new_ticket_form(market, order, **data):
    client = signed_in(market.consumer.user)
    return client.post(
        f"/my/orders/{order.order_sn}/ticket/",
        {"subtype": "quality:damaged", "title": "屏幕碎了", "description": "收到就裂了", **data},
    )


def upload(name: str, content: bytes) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


def test_a_damaged_goods_ticket_takes_photos_that_only_its_parties_see(market, travel):
    order = market.order()
    # the form says what it takes
    form = signed_in(market.consumer.user).get(f"/my/orders/{order.order_sn}/ticket/")
    assert 'type="file"' in form.content.decode() and "5 MB" in form.content.decode()
    # when the consumer reports damage with two photos
    response = new_ticket_form(market, order, photos=[upload("a.png", PNG), upload("b.png", PNG)])
    assert response.status_code == 302, response.content.decode()[:1500]
    ticket = Ticket.objects.get(order=order)
    photos = list(ticket.photos.order_by("id"))
    assert [(p.content_type, p.case_id, p.uploaded_by_id) for p in photos] == [
        ("image/png", None, market.consumer.user.id)
    ] * 2
    # then the shop sees them on the ticket page and may open them; another consumer may not
    shop = signed_in(market.merchant.user)
    page = shop.get(f"/tickets/{ticket.ticket_no}/").content.decode()
    url = f"/tickets/{ticket.ticket_no}/photos/{photos[0].public_id}/"
    assert url in page
    assert shop.get(url).status_code == 200
    assert signed_in(market.other_consumer.user).get(url).status_code == 404
    assert signed_in(market.other_merchant.user).get(url).status_code == 404


@pytest.mark.parametrize(
    "photos",
    [
        [("report.pdf", b"%PDF-1.4 not a photo")],
        [("big.png", PNG + b"\x00" * (5 * 1024 * 1024))],
        [(f"p{i}.png", PNG) for i in range(10)],
    ],
    ids=["pdf", "over-5-MB", "ten"],
)
def test_a_refused_photo_opens_no_ticket_and_stores_nothing(market, travel, photos):
    order = market.order()
    response = new_ticket_form(market, order, photos=[upload(n, c) for n, c in photos])
    assert response.status_code == 422
    assert 'class="errorlist' in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not Event.objects.filter(subject_kind="ticket").exists()
