"""In a real browser, on a phone: a consumer asks about one item of a two-item order; the
merchant makes a counter-offer that the consumer declines, then agrees without being asked for
a return address; the refund takes the shop's security deposit and the ledger says so."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from aftersales.cases.models import Case
from aftersales.cases.presentation import STATUS_LABELS
from aftersales.core.models import User
from aftersales.core.services import create_user
from aftersales.ledger import services as ledger
from aftersales.ledger.models import LedgerEntry
from tests.browser.conftest import PASSWORD, PHONE
from tests.factories import phone_and_cover_order

pytestmark = pytest.mark.django_db(transaction=True)


def zh(text) -> str:
    with translation.override("zh-hans"):
        return gettext(str(text))


def person(username: str, role: str, **extra) -> User:
    user, _token = create_user(username=username, role=role, password=PASSWORD, **extra)
    return user


def test_one_item_an_offer_declined_and_a_refund_from_the_deposit(web, market, travel):
    consumer = person("xiaohong", "consumer", display_name="小红")
    merchant = person("keeper", "merchant", shop=market.shop.code)
    shop = market.shop
    LedgerEntry.objects.filter(shop=shop).delete()
    shop.security_deposit_target_fen = 50_000
    shop.save(update_fields=["security_deposit_target_fen"])
    ledger.pay_security_deposit(shop=shop, amount_fen=50_000, now=shop.created_at)
    order = phone_and_cover_order(market, consumer=consumer)

    # The consumer, on a phone, asks for a refund of the phone case only
    page = web.sign_in(consumer, viewport=PHONE)
    page.goto(f"/my/orders/{order.order_sn}/")
    page.select_option("select[name=type]", "refund_only")
    page.select_option("select[name=reason]", "damaged")
    page.get_by_label("手机壳 ×1（¥50.00）").check()
    page.get_by_role("button", name=zh("Submit request")).click()
    expect(page.locator("[data-testid=claimed-item]")).to_have_text(["手机壳 ×1 手机配件 · ¥50.00"])
    case = Case.objects.get(order=order)
    assert case.amount_fen == 5_000

    # The merchant offers ¥30 instead; the form asks for no return address
    shop_page = web.sign_in(merchant, viewport=PHONE)
    shop_page.goto(f"/cases/{case.case_no}/")
    agree = shop_page.locator('details[data-action="agree"]')
    expect(agree.locator("[name=return_address]")).to_have_count(0)
    offer = shop_page.locator('details[data-action="offer"]')
    offer.evaluate("d => { d.open = true; }")
    offer.locator("[name=amount_fen]").fill("30")
    offer.locator("textarea[name=note]").fill("外壳轻微划痕，退您 30 元可以吗？")
    offer.locator('button[name="submit-offer"]').click()
    expect(shop_page.locator("[data-testid=case-status]")).to_have_text(
        zh(STATUS_LABELS["offer_pending"])
    )

    # The consumer declines it
    page.goto(f"/cases/{case.case_no}/")
    decline = page.locator('details[data-action="decline_offer"]')
    decline.evaluate("d => { d.open = true; }")
    decline.locator('button[name="submit-decline_offer"]').click()
    expect(page.locator("[data-testid=case-status]")).to_have_text(
        zh(STATUS_LABELS["awaiting_merchant"])
    )

    # The merchant agrees: ¥50 refunded, all from the deposit (the sales balance is empty)
    shop_page.goto(f"/cases/{case.case_no}/")
    agree = shop_page.locator('details[data-action="agree"]')
    agree.evaluate("d => { d.open = true; }")
    agree.locator('button[name="submit-agree"]').click()
    expect(shop_page.locator("[data-testid=case-status]")).to_have_text(
        zh(STATUS_LABELS["refunded"])
    )
    assert (ledger.shop_balance(shop.id), ledger.security_deposit_balance(shop.id)) == (0, 45_000)
    shop_page.goto("/workbench/ledger/")
    expect(shop_page.locator("[data-testid=security-deposit]")).to_have_text("¥450.00")
    expect(shop_page.locator("[data-testid=ledger] tbody tr").first).to_contain_text("保证金")
    # and the merchant was warned in the inbox
    shop_page.goto("/inbox/")
    expect(shop_page.locator("body")).to_contain_text("已从保证金扣除 ¥50.00")
