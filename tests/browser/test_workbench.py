"""The merchant's workbench in a browser: find cases by product, refuse a batch with one
reason, and read which could not be refused (issue 8, item 12)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from aftersales.cases import services
from aftersales.cases.models import Case
from aftersales.core.models import Event
from aftersales.core.services import create_user
from aftersales.orders.models import OrderItem
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE


def refund_request(market, consumer, title: str) -> Case:
    order = market.order(consumer=consumer)
    OrderItem.objects.filter(order=order).update(title=title)
    return services.create_case(
        consumer, order_sn=order.order_sn, type="refund_only", reason="quality", description="坏了"
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_merchant_finds_cases_by_product_and_refuses_them_with_one_reason(
    web, market, travel, viewport
):
    # given a shop with two kettle requests from 王芳, one already refused, and a phone case
    buyer, _token = create_user(
        username="wangfang", role="consumer", password=PASSWORD, display_name="王芳"
    )
    merchant, _token = create_user(
        username="shopkeeper", role="merchant", password=PASSWORD, shop=market.shop.code
    )
    kettles = [refund_request(market, buyer, "美的电水壶 1.7L") for _ in range(2)]
    phone = refund_request(market, buyer, "华为 Mate 60 手机")
    page = web.sign_in(merchant, viewport=viewport)
    page.goto("/workbench/")
    expect(page.locator("[data-testid=queue] tbody tr[data-case]")).to_have_count(3)

    # when the merchant searches for the product by part of its name
    search = page.get_by_label("搜索")
    search.fill("电水壶")
    search.press("Enter")

    # then only the kettles are listed, with the product and the buyer in words
    rows = page.locator("[data-testid=queue] tbody tr[data-case]")
    expect(rows).to_have_count(2)
    for case in kettles:
        row = page.locator(f'tr[data-case="{case.case_no}"]')
        expect(row).to_contain_text("美的电水壶 1.7L")
        expect(row).to_contain_text("王芳")
    expect(page.locator(f'tr[data-case="{phone.case_no}"]')).to_have_count(0)
    assert "q=" in page.url  # the search is in the address, to reload or share

    # and a search that finds nothing says so
    search.fill("空气炸锅")
    search.press("Enter")
    expect(page.locator("[data-testid=queue-empty]")).to_have_text(
        "没有找到与“空气炸锅”相符的售后单。"
    )

    # when the merchant selects the kettles, while one of them is refused in another tab,
    # and refuses both with one reason
    search.fill("电水壶")
    search.press("Enter")
    expect(rows).to_have_count(2)
    page.wait_for_load_state("networkidle")  # the search's change and submit both refresh
    for case in kettles:
        page.get_by_label(case.case_no).check()
    services.perform_action(
        merchant, case_no=kettles[1].case_no, action="refuse", fields_in={"reason": "已在别处处理"}
    )
    page.get_by_label("拒绝理由").fill("商品无质量问题，已提供检测报告")
    page.get_by_role("button", name="批量拒绝").click()

    # then the first is refused with that reason; the other is named, with why, in words
    notices = page.locator(".messages")
    expect(notices).to_contain_text("已拒绝 1 个售后单。")
    expect(notices).to_contain_text(
        f"{kettles[1].case_no} 未拒绝：页面显示后它已有变化，现在是“商家已拒绝”，请查看后再处理。"
    )
    refused = Event.objects.filter(subject_key=kettles[0].case_no).latest("seq")
    assert (refused.action, refused.data["reason"]) == ("refuse", "商品无质量问题，已提供检测报告")
    assert Event.objects.filter(subject_key=kettles[1].case_no, action="refuse").count() == 1
    phone.refresh_from_db()
    assert phone.status == "awaiting_merchant"
    # and the workbench fits the screen: the table scrolls inside its card, the page does not
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the workbench is {widths[0]} px wide"
