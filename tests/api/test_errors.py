"""Every error status of spec/api.md, in the contract's exact error shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from aftersales.cases.models import Case
from aftersales.catalog.models import Carrier, Shop
from aftersales.core.auth import revoke
from aftersales.core.models import ApiToken, Role
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.ledger.models import Coupon
from aftersales.orders.models import Order
from tests.api import act, assert_error, db_case, events_of, file_case, refund_entries
from tests.conftest import make_caller
from tests.factories import T0

NEW_SHOP = {
    "code": "newshop",
    "name": "新店",
    "balance_fen": 0,
    "return_address": "上海市黄浦区南京东路1号",
}
NEW_CARRIER = {"code": "yto", "name": "圆通速递"}


def new_order_body(market, order_sn: str = "API-ORDER-1", **extra) -> dict:
    return {
        "order_sn": order_sn,
        "shop": market.shop.code,
        "consumer": market.consumer.user.username,
        "items": [
            {
                "sku": "P-1",
                "title": "手机",
                "category": "手机",
                "quantity": 1,
                "unit_price_fen": 20_000,
            }
        ],
        "amount_fen": 20_000,
        "paid_at": "2026-11-26T20:00:00+08:00",
        **extra,
    }


# --- 400: malformed -------------------------------------------------------------------


def test_malformed_json_is_400_and_changes_nothing(market, travel):
    # given a case awaiting the merchant
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    # when the bodies are not JSON
    create = market.consumer.post("/cases", '{"order_sn": "x", "type":')
    action = market.merchant.act(case_no, "refuse", "{reason: nope}")

    # then both are 400 and nothing changed
    for response in (create, action):
        assert_error(
            response, 400, code="bad_request", message="Cannot parse request body", field=None
        )
    assert Case.objects.count() == 1
    assert db_case(case_no).status == "awaiting_merchant"
    assert db_case(case_no).version == 1
    assert events_of(case_no) == ["create"]


def test_unknown_field_in_action_body_is_400_naming_the_field(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    # a field no action takes
    response = market.merchant.act(case_no, "refuse", {"reason": "商品无质量问题", "colour": "red"})
    assert_error(
        response,
        400,
        code="invalid",
        message="colour: Extra inputs are not permitted",
        field="colour",
    )

    # a field another action takes, but not this one
    response = market.merchant.act(
        case_no, "agree", {"outcome": "refund", "note": "核实凭证后裁定"}
    )
    assert_error(
        response,
        400,
        code="bad_request",
        message="Unknown field outcome for action agree.",
        field="outcome",
    )

    assert db_case(case_no).status == "awaiting_merchant"
    assert db_case(case_no).version == 1
    assert events_of(case_no) == ["create"]
    assert refund_entries(case_no) == []


def test_unknown_field_when_filing_a_case_is_400_naming_the_field(market, travel):
    order = market.order()
    response = market.consumer.post(
        "/cases",
        {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality", "photos_url": "x"},
    )
    assert_error(
        response,
        400,
        code="invalid",
        message="photos_url: Extra inputs are not permitted",
        field="photos_url",
    )
    assert Case.objects.count() == 0


def test_wrong_types_are_400_naming_the_field(market, travel):
    order = market.order()

    response = market.consumer.post(
        "/cases",
        {
            "order_sn": order.order_sn,
            "type": "refund_only",
            "reason": "quality",
            "amount_fen": "lots",
        },
    )
    assert_error(
        response,
        400,
        code="invalid",
        message_starts="amount_fen: Input should be a valid integer",
        field="amount_fen",
    )

    response = market.consumer.post("/cases", {"order_sn": order.order_sn, "reason": "quality"})
    assert_error(response, 400, code="invalid", message="type: Field required", field="type")

    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "refund_all", "reason": "quality"}
    )
    assert_error(
        response,
        400,
        code="bad_request",
        message="type must be one of: refund_only, return_refund, exchange, resend, repair.",
        field="type",
    )
    assert Case.objects.count() == 0

    case_no = file_case(market.consumer, order)["case_no"]
    response = market.agent.act(case_no, "shorten_deadline", {"remaining_hours": "soon"})
    assert_error(
        response,
        400,
        code="invalid",
        message_starts="remaining_hours: Input should be a valid integer",
        field="remaining_hours",
    )

    response = market.merchant.act(case_no, "refuse", {"reason": "无质量问题", "evidence": "a.jpg"})
    assert_error(
        response,
        400,
        code="invalid",
        message="evidence: Input should be a valid list",
        field="evidence",
    )

    response = market.merchant.act(case_no, "refuse", {})
    assert_error(response, 400, code="bad_request", message="reason is required.", field="reason")

    response = market.merchant.act(case_no, "dance", {})
    assert_error(
        response, 400, code="unknown_action", message="Unknown action dance.", field="action"
    )

    assert db_case(case_no).version == 1
    assert events_of(case_no) == ["create"]
    assert Deadline.objects.get(subject_id=db_case(case_no).id).due_at == T0 + dt.timedelta(
        hours=48
    )


def test_booleans_and_floats_are_not_integers(market, travel):
    """JSON `true` or `1e3` where an integer is expected is a wrong type (400), not 1 or 1000:
    a malformed body must never move money or deadlines."""
    order = market.order()
    response = market.consumer.post(
        "/cases",
        {
            "order_sn": order.order_sn,
            "type": "refund_only",
            "reason": "quality",
            "amount_fen": True,
        },
    )
    assert_error(
        response,
        400,
        code="invalid",
        message_starts="amount_fen: Input should be a valid integer",
        field="amount_fen",
    )
    assert Case.objects.count() == 0

    case_no = file_case(market.consumer, order)["case_no"]
    for value in (True, 1e3):
        response = market.agent.act(case_no, "shorten_deadline", {"remaining_hours": value})
        assert_error(
            response,
            400,
            code="invalid",
            message_starts="remaining_hours: Input should be a valid integer",
            field="remaining_hours",
        )

    # a partial refund of `true` fen is refused, not paid as 1 fen
    act(market.merchant, case_no, "refuse", {"reason": "商品无质量问题"})
    act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})
    response = market.agent.act(case_no, "rule", {"outcome": "partial_refund", "amount_fen": True})
    assert_error(
        response,
        400,
        code="invalid",
        message_starts="amount_fen: Input should be a valid integer",
        field="amount_fen",
    )
    assert db_case(case_no).status == "platform_review"
    assert refund_entries(case_no) == []


def test_unknown_api_path_is_a_json_404(market, travel):
    response = market.admin.get("/no-such-resource")
    assert_error(response, 404, code="not_found", message="Not found.", field=None)


@pytest.mark.parametrize("cursor", ["!!!", "Yw", "bm90LWEtY3Vyc29y", "w7w"])
def test_bad_cursor_is_400(market, travel, cursor):
    response = market.agent.get("/cases", cursor=cursor)
    assert_error(response, 400, code="bad_request", message="cursor is not valid.", field="cursor")


@pytest.mark.parametrize("limit", ["0", "101", "-3"])
def test_limit_out_of_range_is_400(market, travel, limit):
    response = market.agent.get("/cases", limit=limit)
    assert_error(
        response, 400, code="bad_request", message="limit must be between 1 and 100.", field="limit"
    )


def test_limit_that_is_not_a_number_is_400(market, travel):
    response = market.agent.get("/cases", limit="ten")
    assert_error(
        response,
        400,
        code="invalid",
        message_starts="limit: Input should be a valid integer",
        field="limit",
    )


def test_bad_list_filters_are_400(market, travel):
    response = market.agent.get("/cases", type="refund_all")
    assert_error(
        response,
        400,
        code="bad_request",
        message="type must be one of: refund_only, return_refund, exchange, resend, repair.",
        field="type",
    )
    response = market.agent.get("/cases", updated_after="2026-12-01T20:00:00")
    assert_error(
        response,
        400,
        code="invalid",
        message="updated_after: Value error, needs a time zone offset, "
        "e.g. 2026-12-01T20:00:00+08:00",
        field="updated_after",
    )
    response = market.agent.get("/cases", updated_after="0001-01-01T00:00:00+23:00")
    assert_error(
        response,
        400,
        code="invalid",
        message="updated_after: Value error, must be between the years 1970 and 2200",
        field="updated_after",
    )


@pytest.mark.parametrize("if_match", ["latest", '"one"', "1.0", "-1", ""])
def test_bad_if_match_is_400(market, travel, if_match):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    response = market.merchant.act(case_no, "agree", {}, headers={"If-Match": if_match})

    assert_error(
        response,
        400,
        code="bad_request",
        message="If-Match must be the case version, e.g. 3.",
        field="If-Match",
    )
    assert db_case(case_no).status == "awaiting_merchant"
    assert refund_entries(case_no) == []


# --- 401: no or bad token ---------------------------------------------------------------

UNAUTHORIZED = {
    "code": "unauthorized",
    "message": "A valid bearer token is required.",
    "field": "Authorization",
}


def test_no_token_is_401(market, travel):
    order = market.order()
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")

    for response in (
        anonymous.get("/api/v1/cases"),
        anonymous.get(f"/api/v1/orders/{order.order_sn}"),
        anonymous.post(
            "/api/v1/cases",
            {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality"},
            content_type="application/json",
        ),
    ):
        assert_error(response, 401, **UNAUTHORIZED)
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer as_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "as_token-without-scheme",
        "Bearer " + "x" * 300,
    ],
)
def test_bad_token_is_401(market, travel, authorization):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        "/api/v1/cases", HTTP_AUTHORIZATION=authorization
    )
    assert_error(response, 401, **UNAUTHORIZED)


def test_revoked_token_is_401(market, travel):
    # given the consumer's token works
    assert market.consumer.get("/me/coupons").status_code == 200
    token = ApiToken.objects.get(user=market.consumer.user)

    # when it is revoked
    assert revoke(token.id, user=market.consumer.user, now=T0) is True

    # then it no longer authenticates, for reads and writes alike
    assert_error(market.consumer.get("/me/coupons"), 401, **UNAUTHORIZED)
    order = market.order()
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality"}
    )
    assert_error(response, 401, **UNAUTHORIZED)
    assert Case.objects.count() == 0


def test_token_of_a_deactivated_user_is_401(market, travel):
    market.consumer.user.is_active = False
    market.consumer.user.save(update_fields=["is_active"])
    assert_error(market.consumer.get("/cases"), 401, **UNAUTHORIZED)


# --- 403: the role may not -------------------------------------------------------------


def test_merchant_may_not_take_a_consumer_action(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    response = market.merchant.act(case_no, "cancel", {})

    assert_error(
        response,
        403,
        code="forbidden_party",
        message="You may not take the action cancel.",
        field=None,
    )
    assert db_case(case_no).status == "awaiting_merchant"
    assert events_of(case_no) == ["create"]


def test_consumer_may_not_take_the_agents_rule_action(market, travel):
    # given a case in platform review
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    act(market.merchant, case_no, "refuse", {"reason": "商品无质量问题"})
    act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})

    # when the consumer tries to rule in their own favour
    response = market.consumer.act(
        case_no, "rule", {"outcome": "refund_with_compensation", "note": "核实凭证后裁定"}
    )

    # then 403 and no money moved
    assert_error(
        response,
        403,
        code="forbidden_party",
        message="You may not take the action rule.",
        field=None,
    )
    assert db_case(case_no).status == "platform_review"
    assert refund_entries(case_no) == []
    assert Coupon.objects.count() == 0
    assert events_of(case_no) == ["create", "refuse", "request_intervention"]


@pytest.mark.parametrize("role", ["consumer", "merchant", "agent"])
def test_only_admins_create_shops_orders_and_carriers(market, travel, role):
    caller = getattr(market, role)
    forbidden = {"code": "forbidden_role", "message": "Your role may not do this.", "field": None}

    assert_error(caller.post("/shops", NEW_SHOP), 403, **forbidden)
    assert_error(caller.post("/carriers", NEW_CARRIER), 403, **forbidden)
    assert_error(caller.post("/orders", new_order_body(market)), 403, **forbidden)

    assert not Shop.objects.filter(code="newshop").exists()
    assert not Carrier.objects.filter(code="yto").exists()
    assert not Order.objects.filter(order_sn="API-ORDER-1").exists()


@pytest.mark.parametrize("role", ["merchant", "agent", "admin"])
def test_only_consumers_file_cases(market, travel, role):
    order = market.order()
    response = getattr(market, role).post(
        "/cases", {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality"}
    )
    assert_error(
        response,
        403,
        code="forbidden_party",
        message="Only consumers file after-sales requests.",
        field=None,
    )
    assert Case.objects.count() == 0


def test_only_consumers_have_coupons(market, travel):
    assert_error(
        market.merchant.get("/me/coupons"),
        403,
        code="forbidden_role",
        message="Your role may not do this.",
        field=None,
    )


# --- 404: not found, or not visible: indistinguishable ---------------------------------


def test_case_of_another_shop_looks_exactly_like_a_missing_case(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    missing = "AS2612010000000000"

    hidden = market.other_merchant.get(f"/cases/{case_no}")
    absent = market.other_merchant.get(f"/cases/{missing}")

    assert_error(
        hidden, 404, code="not_found", message=f"Case {case_no} not found.", field="case_no"
    )
    assert_error(
        absent, 404, code="not_found", message=f"Case {missing} not found.", field="case_no"
    )
    assert hidden.json()["error"]["message"].replace(case_no, "N") == absent.json()["error"][
        "message"
    ].replace(missing, "N")
    assert sorted(hidden.headers) == sorted(absent.headers)

    # acting on it is the same 404, not a 403 that would reveal it exists
    response = market.other_merchant.act(case_no, "agree", {})
    assert_error(
        response, 404, code="not_found", message=f"Case {case_no} not found.", field="case_no"
    )
    assert db_case(case_no).status == "awaiting_merchant"
    assert refund_entries(case_no) == []


def test_consumer_cannot_see_another_consumers_case_or_order(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    assert_error(
        market.other_consumer.get(f"/cases/{case_no}"),
        404,
        code="not_found",
        message=f"Case {case_no} not found.",
        field="case_no",
    )
    assert_error(
        market.other_consumer.act(case_no, "cancel", {}),
        404,
        code="not_found",
        message=f"Case {case_no} not found.",
        field="case_no",
    )
    assert_error(
        market.other_consumer.get(f"/orders/{order.order_sn}"),
        404,
        code="not_found",
        message=f"Order {order.order_sn} not found.",
        field="order_sn",
    )
    assert_error(
        market.other_consumer.get("/orders/NO-SUCH-ORDER"),
        404,
        code="not_found",
        message="Order NO-SUCH-ORDER not found.",
        field="order_sn",
    )
    assert db_case(case_no).status == "awaiting_merchant"


def test_consumer_cannot_file_on_another_consumers_order(market, travel):
    order = market.order()
    response = market.other_consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality"}
    )
    assert_error(
        response,
        404,
        code="not_found",
        message=f"Order {order.order_sn} not found.",
        field="order_sn",
    )
    assert Case.objects.count() == 0


def test_ledger_and_shop_of_another_shop_look_like_a_missing_shop(market, travel):
    other = market.other_shop.code
    for path, missing_path in (
        (f"/shops/{other}/ledger", "/shops/noshop/ledger"),
        (f"/shops/{other}", "/shops/noshop"),
    ):
        assert_error(
            market.merchant.get(path),
            404,
            code="not_found",
            message=f"Shop {other} not found.",
            field="code",
        )
        assert_error(
            market.merchant.get(missing_path),
            404,
            code="not_found",
            message="Shop noshop not found.",
            field="code",
        )


# --- 409: conflict ----------------------------------------------------------------------


def test_action_in_the_wrong_status_is_409_and_refunds_nothing_twice(market, travel):
    # given a refunded case
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    act(market.merchant, case_no, "agree", {})

    # when the merchant agrees again
    response = market.merchant.act(case_no, "agree", {})

    # then 409 and still exactly one refund
    assert_error(
        response,
        409,
        code="wrong_status",
        message="Action agree is not possible while the case is refunded.",
        field=None,
    )
    assert refund_entries(case_no) == [("consumer", 20_000), ("shop", -20_000)]
    assert events_of(case_no) == ["create", "agree"]
    assert db_case(case_no).version == 2


def test_second_open_case_for_the_same_order_item_names_the_open_case(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    for type in ("refund_only", "repair"):
        response = market.consumer.post(
            "/cases", {"order_sn": order.order_sn, "type": type, "reason": "damaged"}
        )
        assert_error(
            response,
            409,
            code="duplicate_case",
            message=f"Case {case_no} is already open for 测试商品; wait until it ends before "
            "asking again.",
            field="order_sn",
        )
    # naming the item gives the same answer, on the field that named it
    response = market.consumer.post(
        "/cases",
        {
            "order_sn": order.order_sn,
            "type": "repair",
            "reason": "faulty",
            "items": [{"sku": "SKU-1"}],
        },
    )
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "items"
    assert list(Case.objects.values_list("case_no", flat=True)) == [case_no]


def test_stale_if_match_is_409(market, travel):
    order = market.order()
    case = file_case(market.consumer, order)
    case_no = case["case_no"]

    # the merchant refuses against the version they saw
    refused = act(
        market.merchant,
        case_no,
        "refuse",
        {"reason": "商品无质量问题"},
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert refused["version"] == 2

    # the consumer, still holding version 1, tries to cancel
    response = market.consumer.act(case_no, "cancel", {}, headers={"If-Match": "1"})
    assert_error(
        response,
        409,
        code="stale_version",
        message="The case has changed (version 2); reload it and try again.",
        field="If-Match",
    )
    assert db_case(case_no).status == "refused"
    assert events_of(case_no) == ["create", "refuse"]

    # with the current version (weak ETag form too) it goes through
    cancelled = act(market.consumer, case_no, "cancel", {}, headers={"If-Match": 'W/"2"'})
    assert cancelled["status"] == "cancelled"
    assert cancelled["version"] == 3


def test_duplicate_shop_code_carrier_and_order_sn_are_409(market, travel):
    assert market.admin.post("/shops", NEW_SHOP).status_code == 201
    assert_error(
        market.admin.post("/shops", {**NEW_SHOP, "name": "另一家"}),
        409,
        code="duplicate",
        message="Shop newshop already exists.",
        field="code",
    )
    assert Shop.objects.filter(code="newshop").count() == 1

    assert market.admin.post("/carriers", NEW_CARRIER).status_code == 201
    assert_error(
        market.admin.post("/carriers", NEW_CARRIER),
        409,
        code="duplicate",
        message="Carrier yto already exists.",
        field="code",
    )

    assert market.admin.post("/orders", new_order_body(market)).status_code == 201
    response = market.admin.post("/orders", new_order_body(market, amount_fen=1))
    assert_error(
        response,
        409,
        code="duplicate",
        message="Order API-ORDER-1 already exists.",
        field="order_sn",
    )
    assert Order.objects.get(order_sn="API-ORDER-1").amount_fen == 20_000


# --- 422: valid JSON that breaks a rule --------------------------------------------------


def test_not_eligible_names_the_rule(market, travel):
    clothes = market.order(category_name="服装")
    response = market.consumer.post(
        "/cases", {"order_sn": clothes.order_sn, "type": "repair", "reason": "faulty"}
    )
    assert_error(
        response,
        422,
        code="not_eligible",
        message="Repair applies only to the categories listed in rule 1.2.",
        field="type",
        rule="1.2",
    )

    long_ago = market.order(
        paid_at=T0 - dt.timedelta(days=20),
        shipped_at=T0 - dt.timedelta(days=19),
        received_at=T0 - dt.timedelta(days=10),
    )
    response = market.consumer.post(
        "/cases", {"order_sn": long_ago.order_sn, "type": "return_refund", "reason": "no_reason"}
    )
    assert_error(
        response,
        422,
        code="not_eligible",
        message="No-reason returns are possible within 7 days after receipt.",
        field="type",
        rule="CRPL art. 25",
    )
    assert Case.objects.count() == 0


def test_shortening_below_24_hours_is_deadline_too_short(market, travel):
    order = market.order()
    case = file_case(market.consumer, order, type="repair", reason="faulty")

    response = market.agent.act(case["case_no"], "shorten_deadline", {"remaining_hours": 23})

    assert_error(
        response,
        422,
        code="deadline_too_short",
        message="The remaining time must be at least 24 hours (rule 2.2).",
        field="remaining_hours",
        rule="2.2",
    )
    deadline = Deadline.objects.get(subject_id=db_case(case["case_no"]).id)
    assert deadline.status == DeadlineStatus.PENDING
    assert deadline.due_at == T0 + dt.timedelta(hours=48)
    assert db_case(case["case_no"]).version == 1
    assert events_of(case["case_no"]) == ["create"]


def test_amount_above_the_order_is_amount_exceeds_order(market, travel):
    order = market.order()
    response = market.consumer.post(
        "/cases",
        {
            "order_sn": order.order_sn,
            "type": "refund_only",
            "reason": "quality",
            "amount_fen": 20_001,
        },
    )
    assert_error(
        response,
        422,
        code="amount_exceeds_order",
        message="The amount may not exceed ¥200.00, what the chosen items can still claim.",
        field="amount_fen",
    )
    assert Case.objects.count() == 0


def test_unknown_carrier_is_422(market, travel):
    # given a repair the merchant agreed to
    order = market.order()
    case_no = file_case(market.consumer, order, type="repair", reason="faulty")["case_no"]
    act(market.merchant, case_no, "agree", {})

    # when the consumer ships with a carrier the platform does not know
    response = market.consumer.act(
        case_no, "ship_return", {"carrier": "nope", "tracking_no": "SF1234567890"}
    )

    # then 422 and the return is not recorded
    assert_error(
        response, 422, code="unknown_carrier", message="Unknown carrier nope.", field="carrier"
    )
    case = db_case(case_no)
    assert (case.status, case.version, case.return_carrier, case.return_shipped_at) == (
        "awaiting_return",
        2,
        "",
        None,
    )
    assert events_of(case_no) == ["create", "agree"]

    # an order naming an unknown carrier is refused the same way
    response = market.admin.post(
        "/orders", new_order_body(market, shipped_at="2026-11-27T20:00:00+08:00", carrier="nope")
    )
    assert_error(
        response, 422, code="unknown_carrier", message="Unknown carrier nope.", field="carrier"
    )
    assert not Order.objects.filter(order_sn="API-ORDER-1").exists()


def test_carrier_staff_see_no_cases(market, travel):
    carrier_user = make_caller(Role.CARRIER, carrier=market.carrier)
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    assert carrier_user.get("/cases").json() == {"items": [], "next_cursor": None}
    assert_error(
        carrier_user.get(f"/cases/{case_no}"),
        404,
        code="not_found",
        message=f"Case {case_no} not found.",
        field="case_no",
    )
