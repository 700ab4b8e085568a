"""The consoles in a real browser, as a new user meets them: a stale form in a second tab, and
every table readable on a 390 px phone."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from aftersales.cases import services
from aftersales.cases.models import Case
from aftersales.cases.presentation import STATUS_LABELS
from aftersales.core.models import Event, User
from aftersales.core.services import create_user
from tests.browser.conftest import PASSWORD, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def zh(text) -> str:
    with translation.override("zh-hans"):
        return gettext(str(text)) if isinstance(text, str) else str(text)


def person(username: str, role: str, **extra) -> User:
    user, _token = create_user(username=username, role=role, password=PASSWORD, **extra)
    return user


def return_request(consumer: User, order) -> Case:
    return services.create_case(
        consumer, order_sn=order.order_sn, type="return_refund", reason="quality"
    )


def test_a_second_tab_that_agrees_after_the_first_refused_is_told_what_changed(web, market, travel):
    consumer = person("xiaoming", "consumer", display_name="小明")
    merchant = person("shopkeeper", "merchant", shop=market.shop.code)
    case = return_request(consumer, market.order(consumer=consumer))

    # Given the merchant has the case open in two tabs
    tab_a = web.sign_in(merchant)
    tab_b = tab_a.context.new_page()
    for tab in (tab_a, tab_b):
        tab.goto(f"/cases/{case.case_no}/")
        expect(tab.locator("[data-testid=case-status]")).to_have_text(
            zh(STATUS_LABELS["awaiting_merchant"])
        )

    # When tab A refuses
    refuse = tab_a.locator('details[data-action="refuse"]')
    refuse.evaluate("d => { d.open = true; }")
    refuse.locator("textarea[name=reason]").fill("商品完好，不同意退货")
    refuse.locator('button[name="submit-refuse"]').click()
    expect(tab_a.locator("[data-testid=case-status]")).to_have_text(zh(STATUS_LABELS["refused"]))

    # and tab B, still showing the old form, clicks agree
    agree = tab_b.locator('details[data-action="agree"]')
    agree.evaluate("d => { d.open = true; }")
    with tab_b.expect_response(lambda r: "/act/agree/" in r.url) as answer:
        agree.locator('button[name="submit-agree"]').click()

    # then B gets 409 and a message in words, with the fresh panel
    assert answer.value.status == 409
    expect(tab_b.locator("#case-panel .messages li.error")).to_have_text(
        "该售后单已变更：商家已拒绝。请查看最新状态后再操作。"
    )
    expect(tab_b.locator("[data-testid=case-status]")).to_have_text(zh(STATUS_LABELS["refused"]))
    expect(tab_b.locator('details[data-action="agree"]')).to_have_count(0)
    # and the case was refused once and never agreed
    case.refresh_from_db()
    assert case.status == "refused"
    assert list(
        Event.objects.filter(subject_key=case.case_no)
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["create", "refuse"]


# The narrowest a table cell with more than two characters may be at 390 px: about three.
MIN_CELL_PX = 40


def _narrow_cells(page: Page) -> list[str]:
    return page.evaluate(
        """min => Array.from(document.querySelectorAll('table td, table th'))
            .filter(c => c.innerText.trim().length > 2 && c.getClientRects().length)
            .filter(c => c.getBoundingClientRect().width < min)
            .map(c => {
                const px = Math.round(c.getBoundingClientRect().width);
                return `${c.innerText.trim().slice(0, 20)}: ${px}px`;
            })""",
        MIN_CELL_PX,
    )


def test_tables_keep_readable_columns_on_a_390px_phone(web, market, travel):
    consumer = person("xiaoming", "consumer", display_name="小明")
    merchant = person("shopkeeper", "merchant", shop=market.shop.code)
    agent = person("agent-li", "agent")
    cases = [
        return_request(consumer, market.order(consumer=consumer, category_name=name))
        for name in ("手机", "电脑", "家电")
    ]
    services.perform_action(
        merchant,
        case_no=cases[0].case_no,
        action="refuse",
        fields_in={"reason": "商品完好，包装齐全，不影响二次销售，不同意退货退款"},
    )
    services.perform_action(
        merchant,
        case_no=cases[1].case_no,
        action="agree",
        fields_in={"return_address": "杭州市西湖区文三路1号 售后部"},
    )
    pages = {
        consumer: ["/my/orders/", "/inbox/", "/my/coupons/"],
        merchant: ["/workbench/", "/workbench/ledger/", "/inbox/"],
        agent: ["/platform/", "/platform/search/", "/platform/chats/"],
    }
    problems: dict[str, list[str]] = {}
    for user, paths in pages.items():
        page = web.sign_in(user, viewport=PHONE)
        for path in paths:
            page.goto(path)
            expect(page.locator("table").first).to_be_visible()
            narrow = _narrow_cells(page)
            if narrow:
                problems[f"{user.username} {path}"] = narrow
            # The page itself does not scroll sideways: a wide table scrolls in its wrapper.
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                problems.setdefault(f"{user.username} {path}", []).append(f"page {width}px")
    assert problems == {}
