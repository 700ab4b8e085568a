"""The consoles ask only what a step needs, and offer only what would be accepted."""

import re

from django.test import Client

from aftersales.cases.services import create_case, perform_action
from tests.factories import phone_and_cover_order


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def agree_form(page: str) -> str:
    match = re.search(r"<form[^>]*act/agree/.*?</form>", page, re.S)
    assert match, "the agree form is on the page"
    return match.group(0)


def test_agreeing_to_a_refund_only_asks_for_no_return_address(market, travel):
    order = market.order()
    case = create_case(
        market.consumer.user, order_sn=order.order_sn, type="refund_only", reason="damaged"
    )
    page = signed_in(market.merchant.user).get(f"/cases/{case.case_no}/").content.decode()
    assert 'name="return_address"' not in agree_form(page)


def test_agreeing_to_a_return_asks_for_the_return_address(market, travel):
    order = market.order()
    case = create_case(
        market.consumer.user, order_sn=order.order_sn, type="return_refund", reason="damaged"
    )
    page = signed_in(market.merchant.user).get(f"/cases/{case.case_no}/").content.decode()
    assert 'name="return_address"' in agree_form(page)


def available_types(client, order) -> list[str]:
    page = client.get(f"/my/orders/{order.order_sn}/").content.decode()
    return re.findall(r'class="option "\s+data-type="(\w+)"', page)


def test_a_refunded_order_offers_no_request(market, travel):
    order = market.order()
    consumer = signed_in(market.consumer.user)
    assert "refund_only" in available_types(consumer, order)
    case = create_case(
        market.consumer.user, order_sn=order.order_sn, type="refund_only", reason="damaged"
    )
    # while a request is open on the item, nothing else is offered
    assert available_types(consumer, order) == []
    perform_action(market.merchant.user, case_no=case.case_no, action="agree", fields_in={})
    # and once its money is back, nothing is offered either
    assert available_types(consumer, order) == []
    page = consumer.get(f"/my/orders/{order.order_sn}/").content.decode()
    assert "已全额退款" in page or "refunded in full" in page


def test_the_consumer_chooses_which_items_a_request_concerns(market, travel):
    # Given an order of a phone and a phone case
    order = phone_and_cover_order(market)
    consumer = signed_in(market.consumer.user)
    page = consumer.get(f"/my/orders/{order.order_sn}/").content.decode()
    assert 'name="items" value="COVER"' in page and "¥50.00" in page
    # When they ask for a refund of the phone case only
    response = consumer.post(
        f"/my/orders/{order.order_sn}/",
        {"type": "refund_only", "reason": "damaged", "description": "", "items": ["COVER"]},
    )
    assert response.status_code == 302
    case = order.cases.get()
    # Then the request claims the case's share, and the page lists that item alone
    assert case.amount_fen == 5_000
    assert [c.order_item.sku for c in case.claims.all()] == ["COVER"]
    page = consumer.get(f"/cases/{case.case_no}/").content.decode()
    assert re.findall(r'data-testid="claimed-item">([^<]+)<', page) == ["手机壳 ×1 "]
    # And the phone can still be returned
    page = consumer.get(f"/my/orders/{order.order_sn}/").content.decode()
    assert 'data-type="return_refund"' in page
    assert "return_refund" in available_types(consumer, order)


def test_the_ledger_page_shows_the_deposit_and_which_account_paid(market, travel):
    from aftersales.ledger import services as ledger
    from aftersales.ledger.models import LedgerEntry

    shop = market.shop
    LedgerEntry.objects.filter(shop=shop).delete()
    shop.security_deposit_target_fen = 10_000
    shop.save(update_fields=["security_deposit_target_fen"])
    ledger.pay_security_deposit(shop=shop, amount_fen=10_000, now=shop.created_at)
    order = market.order()
    case = create_case(
        market.consumer.user, order_sn=order.order_sn, type="refund_only", reason="damaged"
    )
    perform_action(market.merchant.user, case_no=case.case_no, action="agree", fields_in={})
    page = signed_in(market.merchant.user).get("/workbench/ledger/").content.decode()
    assert 'data-testid="balance">-¥100.00<' in page
    assert 'data-testid="security-deposit">¥0.00<' in page
    assert "<td>退款</td><td>保证金</td><td>-¥100.00</td>" in page
    assert "低于应缴的 ¥100.00" in page
