"""Fuzzing the published contract: schemathesis generates requests from
`/api/v1/openapi.json` and sends them to the Django app in-process, as an admin and as a
consumer. Whatever it sends, the API never answers 5xx ("Never 500 for bad input",
spec/api.md) and every documented answer matches its response schema.

A small marketplace (shops, a carrier, orders, cases in several statuses) exists during each
test, and hooks steer some path parameters, query filters and bodies to its real shop codes,
order numbers, case numbers, actions and action fields, so that requests reach the handlers
and services, not only the 404 branch. Examples are derandomized: a run is reproducible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from aftersales.cases.models import Case, Reason
from aftersales.cases.workflows import CASE_TYPES
from aftersales.cases.workflows.base import ACTION_FIELDS
from aftersales.deadlines.sweeper import sweep
from aftersales.orders.models import Order
from tests.factories import T0

CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

# Real identifiers of the current test's marketplace, filled by the `fuzz_market` fixture.
KNOWN: dict[str, list[str]] = {}

# A body each action really takes (spec/workflows.md "Action fields").
ACTION_BODIES: dict[str, dict[str, Any]] = {
    "agree": {"return_address": "上海市浦东新区世纪大道100号 售后部"},
    "refuse": {"reason": "商品与描述相符"},
    "refuse_return": {"reason": "退回商品已损坏", "evidence": ["att-1"]},
    "ship_return": {"carrier": "sf", "tracking_no": "SF1234567890", "return_shipping_fen": 1200},
    "ship_repaired": {"carrier": "sf", "tracking_no": "SF1234567891"},
    "ship_back": {"carrier": "sf", "tracking_no": "SF1234567892"},
    "ship_replacement": {"carrier": "sf", "tracking_no": "SF1234567893"},
    "ship_resend": {"carrier": "sf", "tracking_no": "SF1234567894"},
    "inspect": {"result": "fails", "report": "主板进水，不在保修范围"},
    "negotiate": {"terms": "商家补偿50元", "amount_fen": 5000},
    "request_intervention": {"reason": "商家拒绝处理"},
    "cancel": {"reason": "不想要了"},
    "reapply": {"description": "补充了照片"},
    "shorten_deadline": {"remaining_hours": 30},
    "intervene": {"reason": "平台主动介入"},
    "rule": {"outcome": "partial_refund", "amount_fen": 5000, "note": "依据2.7裁定"},
}
ACTIONS_LABEL = "POST /api/v1/cases/{case_no}/actions/{action}"


def _known_or(name: str, value: Any) -> st.SearchStrategy:
    known = KNOWN.get(name)
    return st.one_of(st.just(value), st.sampled_from(known)) if known else st.just(value)


def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: Any
) -> st.SearchStrategy:
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {name: _known_or(name, value) for name, value in path_parameters.items()}
    )


def flatmap_query(context: schemathesis.HookContext, query: Any) -> st.SearchStrategy:
    if (
        not isinstance(query, dict)
        or context.operation is None
        or context.operation.label != "GET /api/v1/cases"
    ):
        return st.just(query)
    return st.fixed_dictionaries(
        {
            name: _known_or(
                {"shop": "code", "status": "status", "type": "type"}.get(name, ""), value
            )
            for name, value in query.items()
        }
    )


def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    if not isinstance(body, dict) or context.operation is None:
        return st.just(body)
    if context.operation.label == "POST /api/v1/cases" and KNOWN.get("order_sn"):
        realistic = st.fixed_dictionaries(
            {
                "order_sn": st.sampled_from(KNOWN["order_sn"]),
                "type": st.sampled_from(CASE_TYPES),
                "reason": st.sampled_from(Reason.values),
            }
        )
        return st.one_of(st.just(body), realistic.map(lambda real: {**body, **real}))
    return st.just(body)


def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> st.SearchStrategy:
    """Half of the action requests: a real case, an action and a body that action takes."""
    if context.operation is None or context.operation.label != ACTIONS_LABEL or not KNOWN:
        return st.just(case)

    def realistic(choice: tuple[str, str]) -> schemathesis.Case:
        case_no, action = choice
        case.path_parameters = {"case_no": case_no, "action": action}
        case.body = dict(ACTION_BODIES.get(action, {}))
        return case

    choices = st.tuples(st.sampled_from(KNOWN["case_no"]), st.sampled_from(sorted(ACTION_FIELDS)))
    return st.one_of(st.just(case), choices.map(realistic))


def load_schema(*, coverage: bool) -> schemathesis.BaseSchema:
    """The API's OpenAPI document, served in-process by the WSGI app, with the hooks. The
    coverage phase (deterministic boundary cases of every parameter) is role-blind, so it
    runs once, as the admin; its requests with methods the API does not route are skipped."""
    config = {"phases": {"coverage": {"enabled": coverage, "unexpected-methods": []}}}
    # Loaded at collection, outside any test's database: the rate limits (counted in the
    # database cache) are off for it as for the tests (conftest).
    with override_settings(AFTERSALES_RATE_LIMITS={}):
        loaded = schemathesis.openapi.from_wsgi(
            # Django's handler, not aftersales.wsgi: that refuses production mode without a key.
            "/api/v1/openapi.json",
            get_wsgi_application(),
            config=schemathesis.Config.from_dict(config),
        )
    for hook in (flatmap_path_parameters, flatmap_query, flatmap_body, flatmap_case):
        loaded.hook(hook)
    return loaded


admin_schema = load_schema(coverage=True)
consumer_schema = load_schema(coverage=False)


@contextlib.contextmanager
def in_process_request() -> Iterator[None]:
    """Serve a request inside the test's transaction, as Django's test client does: the WSGI
    app must not close the connection around the request (on PostgreSQL that would drop the
    test transaction with the marketplace in it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call_as(caller, case: schemathesis.Case) -> None:
    with in_process_request():
        case.call_and_validate(headers={"Authorization": f"Bearer {caller.token}"}, checks=CHECKS)


@pytest.fixture
def fuzz_market(market, travel):
    """Shops, a carrier, orders of both consumers and cases in several statuses."""
    orders = [market.order() for _ in range(4)] + [
        market.order(category_name="服装", shipped_at=None, received_at=None),
        market.order(consumer=market.other_consumer.user),
    ]
    consumer, merchant = market.consumer, market.merchant

    def file(order: Order, case_type: str, reason: str = "quality") -> str:
        response = consumer.post(
            "/cases", {"order_sn": order.order_sn, "type": case_type, "reason": reason}
        )
        assert response.status_code == 201, response.json()
        return response.json()["case_no"]

    resending = file(orders[3], "resend", "missing_item")
    travel.by(hours=49)
    assert sweep().fired == 1  # resend: the merchant's silence means agreement
    waiting = file(orders[0], "refund_only")
    returning = file(orders[1], "return_refund")
    assert merchant.act(returning, "agree").status_code == 200
    reviewing = file(orders[2], "repair", "faulty")
    assert merchant.act(reviewing, "refuse", {"reason": "人为损坏"}).status_code == 200
    KNOWN.clear()
    KNOWN.update(
        {
            "code": [market.shop.code, market.other_shop.code],
            "order_sn": [o.order_sn for o in orders],
            "case_no": [waiting, returning, reviewing, resending],
            "action": sorted(ACTION_FIELDS),
            "status": sorted(set(Case.objects.values_list("status", flat=True))),
            "type": list(CASE_TYPES),
        }
    )
    yield market
    KNOWN.clear()


@admin_schema.parametrize()
@FUZZ_SETTINGS
def test_no_server_error_as_admin(case, fuzz_market):
    call_as(fuzz_market.admin, case)


@consumer_schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=20)
def test_no_server_error_as_consumer(case, fuzz_market):
    call_as(fuzz_market.consumer, case)


# -- what the fuzzing found, pinned ---------------------------------------------------------

# Instants that exist with their offset but not in UTC or in the platform's zone (Python's
# datetime ends at year 9999): bad input, to be refused, never a 500.
UNREPRESENTABLE_TIMES = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:00:00+00:00",
]


@pytest.mark.parametrize("when", UNREPRESENTABLE_TIMES)
def test_an_order_time_outside_the_calendar_is_refused(market, when):
    body = {
        "order_sn": "FUZZ-1",
        "shop": market.shop.code,
        "consumer": market.consumer.user.username,
        "items": [
            {"sku": "S1", "title": "手机", "category": "手机", "quantity": 1, "unit_price_fen": 100}
        ],
        "amount_fen": 100,
        "paid_at": when,
    }
    market.admin.client.raise_request_exception = False  # a 500 is the answer under test
    response = market.admin.post("/orders", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "paid_at"
    assert not Order.objects.filter(order_sn="FUZZ-1").exists()


@pytest.mark.parametrize("when", UNREPRESENTABLE_TIMES[:2])
def test_a_case_filter_time_outside_the_calendar_is_refused(market, when):
    market.consumer.client.raise_request_exception = False  # a 500 is the answer under test
    response = market.consumer.get("/cases", updated_after=when)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "updated_after"


NUL = "\x00"


@pytest.mark.parametrize(
    "request_",
    [
        ("get", "/cases", {"status": f"refunded{NUL}"}),
        ("get", f"/cases/AS{NUL}1", None),
        ("get", f"/orders/S{NUL}1", None),
        ("post", "/cases", {"order_sn": f"S{NUL}1", "type": "refund_only", "reason": "quality"}),
        (
            "post",
            "/shops",
            {
                "code": "nulshop",
                "name": f"店{NUL}",
                "balance_fen": 0,
                "return_address": "上海市浦东新区世纪大道100号",
            },
        ),
        ("post", "/carriers", {"code": "nulcarrier", "name": f"快递{NUL}"}),
    ],
    ids=["list-filter", "case-path", "order-path", "case-body", "shop-body", "carrier-body"],
)
def test_a_nul_character_in_text_is_never_a_server_error(market, request_):
    # PostgreSQL cannot store or compare text with NUL (0x00) characters; the API must
    # answer as for any other bad input (SQLite accepts them: there any non-5xx is right).
    method, path, data = request_
    caller = market.admin if path in ("/shops", "/carriers") else market.consumer
    caller.client.raise_request_exception = False  # a 500 is the answer under test
    response = caller.get(path, **(data or {})) if method == "get" else caller.post(path, data)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message", "field"}


def test_the_fixture_marketplace_has_cases_in_several_statuses(fuzz_market):
    statuses = dict(Case.objects.values_list("type", "status"))
    assert statuses == {
        "refund_only": "awaiting_merchant",
        "return_refund": "awaiting_return",
        "repair": "platform_review",
        "resend": "awaiting_resend",
    }
    # The resend deadline fired when the sweeper ran 49 hours after T0.
    assert Case.objects.get(type="resend").updated_at == T0 + dt.timedelta(hours=49)
