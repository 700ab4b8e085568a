"""The merchant workbench and the platform queue as their users expect them (issue 8, item 12):
search by buyer, product and tracking number within the shop, product and buyer columns,
bulk refuse with one reason, and the requester panel beside an intervention."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from aftersales.cases.models import Case
from aftersales.cases.services import create_case, perform_action
from aftersales.core.models import Event
from aftersales.orders.models import OrderItem
from aftersales.tickets.services import create_ticket

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def refund_request(market, *, consumer=None, shop=None, title="测试商品", **order) -> Case:
    consumer = consumer or market.consumer.user
    placed = market.order(consumer=consumer, shop=shop or market.shop, **order)
    OrderItem.objects.filter(order=placed).update(title=title)
    return create_case(
        consumer, order_sn=placed.order_sn, type="refund_only", reason="quality", description="坏了"
    )


def listed(page: str) -> list[str]:
    return re.findall(r'<tr data-case="([^"]+)"', page)


# --- search -------------------------------------------------------------------------------


def test_the_workbench_finds_cases_by_buyer_product_and_tracking_number(market, travel):
    # given cases of two buyers, one of them also at another shop
    market.consumer.user.display_name = "张伟"
    market.consumer.user.save()
    market.other_consumer.user.display_name = "王芳"
    market.other_consumer.user.save()
    phone = refund_request(market, title="华为 Mate 60 手机", tracking_no="SF1234567890123")
    kettle = refund_request(market, consumer=market.other_consumer.user, title="美的电水壶")
    elsewhere = refund_request(
        market, shop=market.other_shop, title="华为 Mate 60 手机", tracking_no="SF999"
    )
    Case.objects.filter(id=kettle.id).update(return_tracking_no="YT5550001112223")
    merchant = signed_in(market.merchant.user)

    def search(text: str) -> list[str]:
        response = merchant.get("/workbench/", {"q": text, "open_only": "on"})
        assert response.status_code == 200
        return listed(response.content.decode())

    # when the merchant searches, then the shop's matching cases are listed, never another's
    assert search("张伟") == [phone.case_no]  # buyer's name
    assert search(market.other_consumer.user.username) == [kettle.case_no]  # buyer's account
    assert search("Mate 60") == [phone.case_no]  # product, part of its title
    assert search("电水壶") == [kettle.case_no]
    assert search("SF1234567890123") == [phone.case_no]  # the order's waybill
    assert search("YT5550001112223") == [kettle.case_no]  # the return's waybill
    assert search(phone.order.order_sn) == [phone.case_no]
    assert search(kettle.case_no) == [kettle.case_no]
    assert elsewhere.case_no not in search("华为")


def test_the_workbench_finds_cases_by_the_receivers_phone(market, travel):
    # given two buyers' cases, one order with the receiver's phone, as the shop keeps it
    mine = refund_request(market, phone="13800138000")
    other = refund_request(market, consumer=market.other_consumer.user, phone="13900139000")
    merchant = signed_in(market.merchant.user)

    def search(text: str) -> list[str]:
        response = merchant.get("/workbench/", {"q": text, "open_only": "on"})
        return listed(response.content.decode())

    # the phone is found however it is typed; a part of it finds nothing
    for typed in ("13800138000", "138 0013 8000", "+86 138-0013-8000"):
        assert search(typed) == [mine.case_no], typed
    assert search("13900139000") == [other.case_no]
    assert search("0013800") == []


def test_a_search_that_finds_nothing_says_so(market, travel):
    # given a shop with an open case
    case = refund_request(market)
    merchant = signed_in(market.merchant.user)

    # when the merchant searches for something no case has
    page = merchant.get("/workbench/", {"q": "不存在的东西", "open_only": "on"}).content.decode()

    # then the page says the search found nothing, not that the queue is empty
    assert "没有找到与“不存在的东西”相符的售后单" in page
    assert "暂无待处理" not in page
    assert case.case_no not in listed(page)
    # and an empty queue without a search still says it is empty
    Case.objects.filter(id=case.id).update(is_open=False)
    assert "暂无待处理" in merchant.get("/workbench/").content.decode()


def test_the_platform_search_finds_cases_by_buyer_across_shops(market, travel):
    market.consumer.user.display_name = "张伟"
    market.consumer.user.save()
    here = refund_request(market)
    there = refund_request(market, shop=market.other_shop)
    agent = signed_in(market.agent.user)
    page = agent.get("/platform/search/", {"q": "张伟", "open_only": "on"}).content.decode()
    assert sorted(listed(page)) == sorted([here.case_no, there.case_no])
    missing = agent.get("/platform/search/", {"q": "查无此人"}).content.decode()
    assert "没有找到与“查无此人”相符的售后单" in missing


# --- columns ------------------------------------------------------------------------------


def test_the_queue_shows_each_cases_product_and_buyer(market, travel):
    # given a case on a kettle bought by 王芳
    market.consumer.user.display_name = "王芳"
    market.consumer.user.save()
    case = refund_request(market, title="美的电水壶 1.7L")

    # when the merchant opens the workbench
    page = signed_in(market.merchant.user).get("/workbench/").content.decode()

    # then the case's row names the product and the buyer, with column headings
    row = page.split(f'<tr data-case="{case.case_no}"', 1)[1].split("</tr>", 1)[0]
    assert "美的电水壶 1.7L" in row and "王芳" in row
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "商品" in head and "买家" in head
    assert market.consumer.user.username not in row  # people are named, not their accounts


# --- bulk refuse --------------------------------------------------------------------------


def test_bulk_refuse_refuses_each_selected_case_with_the_one_reason(market, travel):
    # given three cases awaiting the merchant, and one already refused
    waiting = [refund_request(market) for _ in range(3)]
    done = refund_request(market)
    perform_action(
        market.merchant.user, case_no=done.case_no, action="refuse", fields_in={"reason": "已发货"}
    )
    merchant = signed_in(market.merchant.user)
    events_before = Event.objects.filter(subject_key=done.case_no).count()

    # when the merchant refuses two of them and the refused one together, with one reason
    response = merchant.post(
        "/workbench/refuse/",
        {
            "case_no": [waiting[0].case_no, waiting[1].case_no, done.case_no],
            "reason": "商品无质量问题，已提供检测报告",
        },
        follow=True,
    )

    # then the two are refused with that reason, each through the service
    assert response.status_code == 200
    for case in waiting[:2]:
        case.refresh_from_db()
        assert case.status == "refused"
        last = Event.objects.filter(subject_key=case.case_no).latest("seq")
        assert (last.action, last.data.get("reason")) == (
            "refuse",
            "商品无质量问题，已提供检测报告",
        )
    waiting[2].refresh_from_db()
    assert waiting[2].status == "awaiting_merchant"
    # and the page says how many were refused and which one could not be, in words
    page = response.content.decode()
    assert "已拒绝 2 个售后单" in page
    assert done.case_no in page and "商家已拒绝" in page
    notice = page.split('<ul class="messages">', 1)[1].split("</ul>", 1)[0]
    assert "refuse" not in notice and "refused" not in notice  # words, not action names
    # the case that could not be refused did not change
    assert Event.objects.filter(subject_key=done.case_no).count() == events_before


def test_bulk_refuse_needs_a_reason_and_changes_nothing_without_one(market, travel):
    case = refund_request(market)
    merchant = signed_in(market.merchant.user)
    page = merchant.post(
        "/workbench/refuse/", {"case_no": [case.case_no], "reason": " "}, follow=True
    ).content.decode()
    case.refresh_from_db()
    assert case.status == "awaiting_merchant"
    notice = page.split('<ul class="messages">', 1)[1].split("</ul>", 1)[0]
    assert "拒绝理由" in notice and "reason" not in notice


def test_bulk_refuse_cannot_touch_another_shops_case(market, travel):
    # given a case of another shop
    theirs = refund_request(market, shop=market.other_shop)
    merchant = signed_in(market.merchant.user)

    # when a merchant posts its number to bulk refuse
    page = merchant.post(
        "/workbench/refuse/", {"case_no": [theirs.case_no], "reason": "恶意申请"}, follow=True
    ).content.decode()

    # then it is untouched and reported as not found, like any unknown number
    theirs.refresh_from_db()
    assert theirs.status == "awaiting_merchant"
    assert theirs.case_no in page and "未找到" in page


# --- requester panel ----------------------------------------------------------------------


def test_the_intervention_queue_shows_the_requesters_other_cases_and_tickets(market, travel):
    # given a consumer whose case waits for the platform, with another case and a ticket
    market.consumer.user.display_name = "张伟"
    market.consumer.user.save()
    disputed = refund_request(market)
    perform_action(
        market.merchant.user,
        case_no=disputed.case_no,
        action="refuse",
        fields_in={"reason": "已发货"},
    )
    perform_action(
        market.consumer.user,
        case_no=disputed.case_no,
        action="request_intervention",
        fields_in={"reason": "商品确实有质量问题"},
    )
    disputed.refresh_from_db()
    assert disputed.status == "platform_review"
    other = refund_request(market, shop=market.other_shop)
    ticket = create_ticket(
        market.consumer.user,
        type="inquiry",
        subtype="invoice",
        title="发票怎么开",
        order_sn=other.order.order_sn,
    )
    strangers = refund_request(market, consumer=market.other_consumer.user)

    # when an agent opens the intervention queue
    page = signed_in(market.agent.user).get("/platform/").content.decode()

    # then beside the case: the requester by name, their other case and their ticket, linked
    panel = page.split(f'data-requester-of="{disputed.case_no}"', 1)[1].split("</details>", 1)[0]
    assert "张伟" in panel
    assert f'href="/cases/{other.case_no}/"' in panel
    assert f'href="/tickets/{ticket.ticket_no}/"' in panel
    assert f"/cases/{disputed.case_no}/" not in panel  # the open case is not its own history
    assert strangers.case_no not in panel
