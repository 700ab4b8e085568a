"""Admin reference data (`/shops`, `/carriers`, `/orders`), shop money, and `createuser`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from aftersales.catalog.models import Carrier, Shop
from aftersales.core.models import ApiToken, Role, User
from aftersales.ledger.models import EntryKind, LedgerEntry
from aftersales.orders.models import Order
from tests.api import act, assert_error, file_case
from tests.conftest import ApiCaller, make_caller
from tests.factories import T0

T0_ISO = "2026-12-01T20:00:00+08:00"
SHOP = {
    "code": "acme",
    "name": "极客数码旗舰店",
    "balance_fen": 50_000,
    "return_address": "浙江省杭州市余杭区文一西路969号 售后部",
}


def order_body(market, **extra) -> dict:
    return {
        "order_sn": "ACME-0001",
        "shop": "acme",
        "consumer": market.consumer.user.username,
        "items": [
            {
                "sku": "PHONE-1",
                "title": "智能手机",
                "category": "手机",
                "quantity": 1,
                "unit_price_fen": 18_000,
            },
            {
                "sku": "CASE-1",
                "title": "手机壳",
                "category": "手机配件",
                "quantity": 2,
                "unit_price_fen": 1_000,
            },
        ],
        "amount_fen": 20_000,
        "paid_at": "2026-11-26T20:00:00+08:00",
        "shipped_at": "2026-11-27T12:00:00Z",
        "received_at": "2026-11-29T20:00:00+08:00",
        "carrier": "sf",
        "tracking_no": "SF9876543210",
        "region": "上海",
        "phone": "+86 138-0013-8000",
        **extra,
    }


def test_admin_creates_a_shop_with_an_opening_balance(market, travel):
    response = market.admin.post("/shops", SHOP)

    assert response.status_code == 201, response.content
    assert response.json() == {
        **SHOP,
        "promised_after_sales_days": None,
        "security_deposit_fen": 0,
        "debt_fen": 0,
    }
    shop = Shop.objects.get(code="acme")
    assert (shop.name, shop.return_address) == (SHOP["name"], SHOP["return_address"])
    assert list(LedgerEntry.objects.filter(shop=shop).values_list("kind", "amount_fen")) == [
        (EntryKind.DEPOSIT, 50_000)
    ]


def test_shop_validation_is_400(market, travel):
    response = market.admin.post("/shops", {**SHOP, "code": "Bad Code!"})
    assert_error(
        response,
        400,
        code="invalid",
        message="code: String should match pattern '^[a-z0-9][a-z0-9_-]{1,31}$'",
        field="code",
    )
    response = market.admin.post("/shops", {**SHOP, "balance_fen": "lots"})
    assert_error(
        response,
        400,
        code="invalid",
        message_starts="balance_fen: Input should be a valid integer",
        field="balance_fen",
    )
    assert not Shop.objects.filter(code__in=["acme", "Bad Code!"]).exists()


def test_shop_balance_and_ledger_after_a_refund(market, travel):
    # given a shop created through the API, its merchant, and an order in it
    assert market.admin.post("/shops", SHOP).status_code == 201
    merchant = make_caller(Role.MERCHANT, shop=Shop.objects.get(code="acme"))
    created = market.admin.post("/orders", order_body(market))
    assert created.status_code == 201, created.content

    # when the consumer asks for a refund and the merchant agrees an hour later
    case_no = file_case(market.consumer, Order.objects.get(order_sn="ACME-0001"))["case_no"]
    travel.by(hours=1)
    refunded = act(merchant, case_no, "agree", {})
    assert refunded["status"] == "refunded"

    # then the balance is the deposit less the refund, for the admin and the shop's merchant
    for caller in (market.admin, merchant):
        response = caller.get("/shops/acme")
        assert response.status_code == 200, response.content
        assert response.json()["balance_fen"] == 30_000
    assert market.merchant.get("/shops/acme").status_code == 404

    # and the ledger lists the refund before the opening deposit
    response = merchant.get("/shops/acme/ledger")
    assert response.status_code == 200, response.content
    entries = list(LedgerEntry.objects.filter(shop__code="acme").order_by("-id"))
    assert response.json() == {
        "shop": "acme",
        "balance_fen": 30_000,
        "security_deposit_fen": 0,
        "items": [
            {
                "id": entries[0].id,
                "kind": "refund",
                "account": "available",
                "amount_fen": -20_000,
                "case_no": case_no,
                "memo": f"退款 {case_no}",
                "created_at": "2026-12-01T21:00:00+08:00",
            },
            {
                "id": entries[1].id,
                "kind": "deposit",
                "account": "available",
                "amount_fen": 50_000,
                "case_no": None,
                "memo": "opening balance",
                "created_at": T0_ISO,
            },
        ],
    }
    assert market.admin.get("/shops/acme/ledger").json() == response.json()
    # the consumer's side of the refund is not on the shop's ledger
    assert (
        LedgerEntry.objects.filter(
            consumer=market.consumer.user, kind=EntryKind.REFUND, amount_fen=20_000
        ).count()
        == 1
    )


def test_ledger_limit(market, travel):
    assert market.admin.post("/shops", SHOP).status_code == 201
    page = market.admin.get("/shops/acme/ledger", limit="1").json()
    assert [item["kind"] for item in page["items"]] == ["deposit"]
    assert_error(
        market.admin.get("/shops/acme/ledger", limit="0"),
        400,
        code="bad_request",
        message="limit must be between 1 and 500.",
        field="limit",
    )


def test_admin_creates_a_carrier(market, travel):
    response = market.admin.post("/carriers", {"code": "zto", "name": "中通快递"})
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "zto", "name": "中通快递"}
    assert Carrier.objects.get(code="zto").name == "中通快递"


def test_admin_creates_an_order(market, travel):
    assert market.admin.post("/shops", SHOP).status_code == 201

    response = market.admin.post("/orders", order_body(market))

    assert response.status_code == 201, response.content
    assert response.json() == {
        "order_sn": "ACME-0001",
        "shop": "acme",
        "consumer": market.consumer.user.username,
        "amount_fen": 20_000,
        "paid_at": "2026-11-26T20:00:00+08:00",
        "shipped_at": "2026-11-27T20:00:00+08:00",
        "received_at": "2026-11-29T20:00:00+08:00",
        "carrier": "sf",
        "tracking_no": "SF9876543210",
        "region": "上海",
        "phone": "13800138000",
        "merchant_promise_until": None,
        "shipment_intercepted_at": None,
        "items": [
            {
                "sku": "PHONE-1",
                "title": "智能手机",
                "category": "手机",
                "quantity": 1,
                "unit_price_fen": 18_000,
            },
            {
                "sku": "CASE-1",
                "title": "手机壳",
                "category": "手机配件",
                "quantity": 2,
                "unit_price_fen": 1_000,
            },
        ],
    }
    order = Order.objects.get(order_sn="ACME-0001")
    assert (order.shop.code, order.consumer_id, order.amount_fen, order.carrier.code) == (
        "acme",
        market.consumer.user.id,
        20_000,
        "sf",
    )
    assert sorted(order.items.values_list("sku", "category__name", "quantity")) == [
        ("CASE-1", "手机配件", 2),
        ("PHONE-1", "手机", 1),
    ]
    assert market.consumer.get("/orders/ACME-0001").json() == response.json()


@pytest.mark.parametrize(
    ("extra", "status", "code", "message", "field"),
    [
        ({"shop": "noshop"}, 422, "unknown_shop", "Unknown shop noshop.", "shop"),
        ({"consumer": "nobody"}, 422, "unknown_consumer", "Unknown consumer nobody.", "consumer"),
        (
            {"received_at": "2026-11-27T10:00:00+08:00"},
            422,
            "inconsistent_times",
            "received_at is before shipped_at.",
            "received_at",
        ),
        (
            {"paid_at": "2026-11-26T20:00:00"},
            400,
            "invalid",
            "paid_at: Value error, needs a time zone offset, e.g. 2026-12-01T20:00:00+08:00",
            "paid_at",
        ),
        (
            # Found by schemathesis: converting year 9999 at -23:00 to UTC overflows.
            {"paid_at": "9999-12-31T23:59:59-23:00"},
            400,
            "invalid",
            "paid_at: Value error, must be between the years 1970 and 2200",
            "paid_at",
        ),
        (
            {"items": []},
            400,
            "invalid",
            "items: List should have at least 1 item after validation, not 0",
            "items",
        ),
    ],
)
def test_order_rules(market, travel, extra, status, code, message, field):
    assert market.admin.post("/shops", SHOP).status_code == 201
    response = market.admin.post("/orders", order_body(market, **extra))
    assert_error(response, status, code=code, message=message, field=field)
    assert not Order.objects.filter(order_sn="ACME-0001").exists()


def test_order_for_a_merchant_is_refused(market, travel):
    assert market.admin.post("/shops", SHOP).status_code == 201
    response = market.admin.post(
        "/orders", order_body(market, consumer=market.merchant.user.username)
    )
    assert_error(
        response,
        422,
        code="unknown_consumer",
        message=f"Unknown consumer {market.merchant.user.username}.",
        field="consumer",
    )


# --- aftersales createuser ---------------------------------------------------------------


def createuser(*args: str) -> list[str]:
    out = StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue().splitlines()


def test_createuser_prints_a_working_token_last(market, travel):
    lines = createuser("alice", "--role", "consumer")

    assert lines[0] == "created consumer alice"
    token = lines[-1]
    alice = User.objects.get(username="alice")
    assert (alice.role, alice.shop_id) == (Role.CONSUMER, None)
    assert ApiToken.objects.filter(user=alice).count() == 1
    caller = ApiCaller(user=alice, token=token)
    response = caller.get("/me/coupons")
    assert response.status_code == 200, response.content
    assert response.json() == []


def test_createuser_merchant_of_a_shop(market, travel):
    token = createuser("bob", "--role", "merchant", "--shop", market.shop.code)[-1]

    bob = User.objects.get(username="bob")
    assert (bob.role, bob.shop_id) == (Role.MERCHANT, market.shop.id)
    response = ApiCaller(user=bob, token=token).get(f"/shops/{market.shop.code}")
    assert response.status_code == 200, response.content
    assert response.json()["balance_fen"] == 100_000


def test_createuser_with_an_unknown_shop_fails(market, travel):
    with pytest.raises(CommandError) as refused:
        createuser("carol", "--role", "merchant", "--shop", "noshop")
    assert str(refused.value) == "Unknown shop noshop."
    assert not User.objects.filter(username="carol").exists()

    with pytest.raises(CommandError) as refused:
        createuser("carol", "--role", "merchant")
    assert str(refused.value) == "A merchant needs --shop."
    assert not User.objects.filter(username="carol").exists()


def test_createuser_twice_fails(market, travel):
    createuser("dave", "--role", "agent")
    with pytest.raises(CommandError) as refused:
        createuser("dave", "--role", "agent")
    assert str(refused.value) == "User dave already exists."
    assert ApiToken.objects.filter(user__username="dave").count() == 1
    assert ApiToken.objects.get(user__username="dave").created_at == T0


def test_admin_opens_a_shop_with_a_security_deposit(market, travel):
    response = market.admin.post("/shops", {**SHOP, "security_deposit_fen": 20_000})
    assert response.status_code == 201, response.content
    assert (response.json()["balance_fen"], response.json()["security_deposit_fen"]) == (
        50_000,
        20_000,
    )
    shop = Shop.objects.get(code="acme")
    assert shop.security_deposit_target_fen == 20_000


def test_an_order_phone_that_is_not_a_phone_is_refused(market, travel):
    assert market.admin.post("/shops", SHOP).status_code == 201
    for phone in ("12345", "138001380001", "电话"):
        response = market.admin.post("/orders", order_body(market, phone=phone))
        assert response.status_code == 400, phone
        assert response.json()["error"]["field"] == "phone"
    assert not Order.objects.filter(order_sn="ACME-0001").exists()
