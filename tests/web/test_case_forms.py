"""The consoles ask only what a step needs, and offer only what would be accepted."""

import re

from django.test import Client

from aftersales.cases.services import create_case, perform_action


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
