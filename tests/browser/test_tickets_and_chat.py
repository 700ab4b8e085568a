"""Browser journeys of the ticket consoles (issue: logistics ticket solved by shop and
carrier) and of the assistant's chat panel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from aftersales.assistant.models import Conversation
from aftersales.cases.models import Case
from aftersales.core.services import create_user
from aftersales.tickets.models import Ticket
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def person(username: str, role: str, **extra):
    return create_user(username=username, role=role, password=PASSWORD, **extra)[0]


def act(page: Page, action: str, **fields: str) -> None:
    details = page.locator(f'details[data-action="{action}"]')
    details.evaluate("d => { d.open = true; }")
    for name, value in fields.items():
        field = details.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    details.locator(f'button[name="submit-{action}"]').click()


def test_a_logistics_ticket_solved_by_shop_and_carrier(web, market, travel):
    consumer = person("xiaohong", "consumer", display_name="小红")
    merchant = person("shopkeeper", "merchant", shop=market.shop.code)
    courier = person("sf-desk", "carrier", carrier=market.carrier.code)
    order = market.order(consumer=consumer, carrier=market.carrier, received_at=None)

    # The consumer reports a lost parcel from the order page
    page = web.sign_in(consumer)
    page.goto(f"/my/orders/{order.order_sn}/ticket/")
    page.locator("select[name=subtype]").select_option("logistics:lost")
    page.locator("input[name=title]").fill("快递一直没到")
    page.locator("textarea[name=description]").fill("显示已揽收，之后一周没有更新")
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/tickets/TK\d+/$"))
    ticket = Ticket.objects.get(order=order)
    assert (ticket.team, ticket.carrier_id) == ("shop", market.carrier.id)

    # The carrier sees it in its own console and answers with its task
    carrier_page = web.sign_in(courier)
    expect(carrier_page).to_have_url(re.compile(r"/tickets/$"))
    carrier_page.locator(f'tr[data-ticket="{ticket.ticket_no}"] a').first.click()
    expect(carrier_page.locator("[data-testid=task]")).to_have_count(1)
    act(carrier_page, "complete_task", body="包裹在杭州转运中心滞留，已加急派送")
    expect(carrier_page.locator("[data-testid=messages]")).to_contain_text("杭州转运中心")

    # The shop reads the carrier's reply and resolves the ticket
    shop_page = web.sign_in(merchant)
    shop_page.goto(f"/tickets/{ticket.ticket_no}/")
    expect(shop_page.locator("[data-testid=messages]")).to_contain_text("杭州转运中心")
    act(shop_page, "resolve", resolution="快递明天送达，如未收到我们补发")
    expect(shop_page.locator("[data-testid=ticket-status]")).to_have_text("已解决")

    # The consumer sees the resolution on the same ticket
    page.goto(f"/tickets/{ticket.ticket_no}/")
    expect(page.locator("[data-testid=ticket-status]")).to_have_text("已解决")
    expect(page.locator("#ticket-panel")).to_contain_text("如未收到我们补发")
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert ticket.tasks.get(party="carrier").done_at is not None


def test_the_chat_panel_files_a_return(web, market, travel):
    consumer = person("xiaogang", "consumer", display_name="小刚")
    order = market.order(consumer=consumer, category_name="服装")
    page = web.sign_in(consumer)
    page.goto("/assistant/")
    page.locator("[data-testid=chat-input]").fill(f"订单{order.order_sn}衣服不合适我想退货")
    page.locator("[data-testid=chat-send]").click()
    log = page.locator("[data-testid=chat-log]")
    expect(log.locator(".bubble.assistant").last).to_contain_text("确认")
    expect(page.locator("[data-testid=chat-input]")).to_have_value("")
    page.locator("[data-testid=chat-input]").fill("确认")
    page.locator("[data-testid=chat-send]").click()
    expect(log.locator(".bubble.assistant").last).to_contain_text("售后单号")
    case = Case.objects.get(order=order)
    assert case.type == "return_refund"
    expect(log.locator(".bubble.assistant").last).to_contain_text(case.case_no)
    conversation = Conversation.objects.get(consumer=consumer)
    assert conversation.messages.count() == 4
