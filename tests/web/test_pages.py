"""The consoles through Django's test client: each role's pages, forms and access rules."""

from __future__ import annotations

import io

import pytest
from django.test import Client, override_settings

from aftersales.cases.models import Attachment, Case
from aftersales.deadlines.sweeper import sweep

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def file_repair(market, order) -> Case:
    client = signed_in(market.consumer.user)
    photo = io.BytesIO(PNG)
    photo.name = "broken.png"
    response = client.post(
        f"/my/orders/{order.order_sn}/",
        {
            "type": "repair",
            "reason": "faulty",
            "description": "屏幕不亮",
            "amount": "",
            "photos": [photo],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Case.objects.get(order=order, type="repair")


@override_settings(AFTERSALES_DEMO=True)  # listed in demo mode only (tests/web/test_security.py)
def test_login_page_names_the_demo_accounts_that_exist(db, market):
    from aftersales.core.models import User

    User.objects.create_user("consumer1", password="demo1234", role="consumer")
    page = Client().get("/login/").content.decode()
    assert "consumer1" in page and "demo1234" in page
    assert "merchant1" not in page  # not created here


def test_consumer_files_a_repair_with_a_photo_and_sees_the_case(market, travel):
    order = market.order()
    case = file_repair(market, order)
    photo = Attachment.objects.get(case=case)
    assert photo.content_type == "image/png"
    page = signed_in(market.consumer.user).get(f"/cases/{case.case_no}/").content.decode()
    assert case.case_no in page and "屏幕不亮" in page
    assert f"/files/{photo.public_id}/" in page


def test_ineligible_types_are_shown_with_the_reason(market, travel):
    order = market.order(category_name="服装")
    page = signed_in(market.consumer.user).get(f"/my/orders/{order.order_sn}/").content.decode()
    assert 'data-type="repair"' in page
    assert "1.2" in page  # the rule that refuses repair for this category


def test_a_bad_photo_is_refused_and_nothing_is_created(market, travel):
    order = market.order()
    fake = io.BytesIO(b"MZ this is not an image")
    fake.name = "virus.png"
    response = signed_in(market.consumer.user).post(
        f"/my/orders/{order.order_sn}/",
        {
            "type": "repair",
            "reason": "faulty",
            "description": "坏了",
            "photos": [fake],
        },
    )
    assert response.status_code == 422
    assert "virus.png" in response.content.decode()
    assert not Case.objects.filter(order=order).exists()
    assert not Attachment.objects.exists()


def test_merchant_agrees_in_the_workbench_and_the_sweeper_defaults_later(market, travel):
    case = file_repair(market, market.order())
    merchant = signed_in(market.merchant.user)
    queue = merchant.get("/workbench/").content.decode()
    assert case.case_no in queue
    response = merchant.post(
        f"/cases/{case.case_no}/act/agree/",
        {
            "version": case.version,
            "return_address": "杭州市西湖区文三路1号",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "awaiting_return" and case.return_address == "杭州市西湖区文三路1号"
    travel.by(days=8)
    assert sweep().fired == 1
    case.refresh_from_db()
    assert case.status == "expired"


def test_a_validation_error_keeps_what_was_typed(market, travel):
    case = file_repair(market, market.order())
    merchant = signed_in(market.merchant.user)
    response = merchant.post(
        f"/cases/{case.case_no}/act/refuse/",
        {
            "version": case.version,
            "reason": "x",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "reason must be 2 to 500 characters" in page or "2" in page
    case.refresh_from_db()
    assert case.status == "awaiting_merchant"


def test_stale_version_is_refused_on_the_page(market, travel):
    case = file_repair(market, market.order())
    merchant = signed_in(market.merchant.user)
    response = merchant.post(f"/cases/{case.case_no}/act/agree/", {"version": case.version - 1 + 5})
    assert response.status_code == 409
    case.refresh_from_db()
    assert case.status == "awaiting_merchant"


def test_bulk_agree(market, travel):
    cases = [file_repair(market, market.order()) for _ in range(3)]
    merchant = signed_in(market.merchant.user)
    response = merchant.post("/workbench/agree/", {"case_no": [c.case_no for c in cases[:2]]})
    assert response.status_code == 302
    statuses = {c.case_no: Case.objects.get(id=c.id).status for c in cases}
    assert statuses == {
        cases[0].case_no: "awaiting_return",
        cases[1].case_no: "awaiting_return",
        cases[2].case_no: "awaiting_merchant",
    }


def test_merchant_of_another_shop_gets_404(market, travel):
    case = file_repair(market, market.order())
    other = signed_in(market.other_merchant.user)
    assert other.get(f"/cases/{case.case_no}/").status_code == 404
    assert other.post(f"/cases/{case.case_no}/act/agree/", {"version": 1}).status_code == 404


def test_consumer_cannot_open_another_consumers_photo(market, travel):
    case = file_repair(market, market.order())
    photo = Attachment.objects.get(case=case)
    assert signed_in(market.consumer.user).get(f"/files/{photo.public_id}/").status_code == 200
    assert (
        signed_in(market.other_consumer.user).get(f"/files/{photo.public_id}/").status_code == 404
    )
    assert Client().get(f"/files/{photo.public_id}/").status_code == 302  # to sign-in


def test_csrf_is_enforced_on_forms(market, travel):
    case = file_repair(market, market.order())
    client = Client(enforce_csrf_checks=True)
    client.force_login(market.merchant.user)
    response = client.post(f"/cases/{case.case_no}/act/agree/", {"version": case.version})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "awaiting_merchant"


def test_agent_rules_with_compensation_and_ledger_shows_it(market, travel):
    case = file_repair(market, market.order())
    merchant = signed_in(market.merchant.user)
    merchant.post(
        f"/cases/{case.case_no}/act/refuse/", {"version": case.version, "reason": "不在保修范围"}
    )
    case.refresh_from_db()
    assert case.status == "platform_review"
    agent = signed_in(market.agent.user)
    queue = agent.get("/platform/").content.decode()
    assert case.case_no in queue
    page = agent.get(f"/cases/{case.case_no}/").content.decode()
    assert 'data-testid="chain"' in page
    response = agent.post(
        f"/cases/{case.case_no}/act/rule/",
        {
            "version": case.version,
            "outcome": "refund_with_compensation",
            "note": "商家拒绝维修",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "refunded" and case.refunded_fen == 20_000
    ledger_page = merchant.get("/workbench/ledger/").content.decode()
    assert "-¥200.00" in ledger_page and "-¥50.00" in ledger_page


@pytest.mark.parametrize("path", ["/workbench/", "/platform/", "/my/orders/"])
def test_role_pages_are_closed_to_other_roles(market, path):
    assert (
        signed_in(market.other_consumer.user if path != "/my/orders/" else market.agent.user)
        .get(path)
        .status_code
        == 404
    )


def test_the_timeline_speaks_words_not_codes(market, travel):
    case = file_repair(market, market.order())
    page = signed_in(market.consumer.user).get(f"/cases/{case.case_no}/").content.decode()
    timeline = page.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "商品故障" in timeline and "待商家处理" in timeline  # reason and status in words
    assert "faulty" not in timeline and "awaiting_merchant" not in timeline
    assert "&#x27;" not in timeline  # no Python tuples rendered
