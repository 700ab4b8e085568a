"""`/api/v1/cases`, `/orders/{sn}`, `/me/coupons` and the OpenAPI document (spec/api.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from aftersales.cases.models import Case
from aftersales.core.models import Event, Role
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.ledger.models import Coupon, EntryKind, LedgerEntry
from tests.api import act, db_case, events_of, file_case, refund_entries
from tests.conftest import make_caller
from tests.factories import SHANGHAI, T0

CASE_NO = re.compile(r"^AS261201\d{10}$")
T0_ISO = "2026-12-01T20:00:00+08:00"


def test_filing_a_case_returns_the_contract_body_and_stores_it(market, travel):
    order = market.order()

    response = market.consumer.post(
        "/cases",
        {
            "order_sn": order.order_sn,
            "type": "refund_only",
            "reason": "quality",
            "description": "屏幕有划痕",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert CASE_NO.match(body["case_no"])
    stored = db_case(body["case_no"])
    event = Event.objects.get(subject_kind="case", subject_key=body["case_no"])
    assert body == {
        "case_no": stored.case_no,
        "order_sn": order.order_sn,
        "shop": market.shop.code,
        "type": "refund_only",
        "status": "awaiting_merchant",
        "pdd_status": 2,
        "reason": "quality",
        "description": "屏幕有划痕",
        "amount_fen": 20_000,
        "refunded_fen": 0,
        "recommended_outcome": None,
        "return_address": None,
        "version": 1,
        "created_at": T0_ISO,
        "updated_at": T0_ISO,
        "deadlines": [
            {
                "name": "merchant_response_deadline",
                "due_at": "2026-12-03T20:00:00+08:00",
                "default_action": "agree",
                "rule": "refund_only ⚙ merchant 48 h",
            }
        ],
        "allowed_actions": ["cancel"],
        "events": [
            {
                "seq": 1,
                "at": T0_ISO,
                "actor": market.consumer.user.username,
                "action": "create",
                "data": event.data,
                "hash": event.hash,
            }
        ],
    }
    assert (
        event.data
        | {
            "type": "refund_only",
            "reason": "quality",
            "amount_fen": 20_000,
            "to": "awaiting_merchant",
            "order_sn": order.order_sn,
            "description": "屏幕有划痕",
        }
        == event.data
    )
    assert re.fullmatch(r"[0-9a-f]{64}", event.hash)
    assert (
        stored.order_id,
        stored.consumer_id,
        stored.shop_id,
        stored.status,
        stored.is_open,
        stored.amount_fen,
        stored.version,
    ) == (order.id, market.consumer.user.id, market.shop.id, "awaiting_merchant", True, 20_000, 1)
    assert response["ETag"] == '"1"'


def test_a_partial_amount_is_kept(market, travel):
    order = market.order()
    body = file_case(market.consumer, order, amount_fen=5_000)
    assert body["amount_fen"] == 5_000
    assert db_case(body["case_no"]).amount_fen == 5_000


def test_allowed_actions_depend_on_the_caller(market, travel):
    # given one refund-only case awaiting the merchant
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    def allowed(caller) -> list[str]:
        response = caller.get(f"/cases/{case_no}")
        assert response.status_code == 200, response.content
        return response.json()["allowed_actions"]

    # then each party sees only what it may do now
    assert allowed(market.consumer) == ["cancel"]
    assert allowed(market.merchant) == ["agree", "refuse", "offer"]
    assert allowed(market.agent) == ["shorten_deadline", "intervene"]
    assert allowed(market.admin) == ["shorten_deadline", "intervene"]

    # and after the merchant refuses, the initiative passes to the consumer
    refused = act(market.merchant, case_no, "refuse", {"reason": "商品无质量问题"})
    assert refused["allowed_actions"] == []
    assert allowed(market.consumer) == ["reapply", "request_intervention", "cancel"]
    assert allowed(market.merchant) == []
    assert allowed(market.agent) == ["intervene"]

    # in platform review only the agent acts
    act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})
    assert allowed(market.consumer) == []
    assert allowed(market.merchant) == []
    assert allowed(market.agent) == ["rule"]


def test_allowed_actions_follow_guards_in_repair(market, travel):
    # given a repair whose returned item is being inspected, not yet signed for
    order = market.order()
    case_no = file_case(market.consumer, order, type="repair", reason="faulty")["case_no"]
    act(market.merchant, case_no, "agree", {})
    act(market.consumer, case_no, "ship_return", {"carrier": "sf", "tracking_no": "SF1234567890"})
    assert market.merchant.get(f"/cases/{case_no}").json()["allowed_actions"] == [
        "confirm_receipt",
        "inspect",
    ]
    assert market.consumer.get(f"/cases/{case_no}").json()["allowed_actions"] == ["cancel"]

    # when the merchant signs for it, signing is no longer offered
    signed = act(market.merchant, case_no, "confirm_receipt", {})
    assert signed["status"] == "inspecting"
    assert signed["allowed_actions"] == ["inspect"]
    assert db_case(case_no).signed_at == T0


REFUSE = ("merchant", "refuse", {"reason": "商品无质量问题"})
SHIP_RETURN = ("consumer", "ship_return", {"carrier": "sf", "tracking_no": "SF1234567890"})


@pytest.mark.parametrize(
    ("case_type", "reason", "steps", "statuses"),
    [
        (
            "refund_only",
            "quality",
            [
                REFUSE,
                ("consumer", "request_intervention", {"reason": "商家拒绝不合理"}),
                ("agent", "rule", {"outcome": "reject", "note": "核实凭证后裁定"}),
            ],
            [("awaiting_merchant", 2), ("refused", 6), ("platform_review", 8), ("closed", 9)],
        ),
        (
            "refund_only",
            "quality",
            [("merchant", "agree", {})],
            [("awaiting_merchant", 2), ("refunded", 10)],
        ),
        (
            "refund_only",
            "quality",
            [("consumer", "cancel", {})],
            [("awaiting_merchant", 2), ("cancelled", 11)],
        ),
        (
            "return_refund",
            "quality",
            [("merchant", "agree", {}), SHIP_RETURN, ("merchant", "confirm_return", {})],
            [
                ("awaiting_merchant", 3),
                ("awaiting_return", 7),
                ("return_in_transit", 3),
                ("refunded", 10),
            ],
        ),
        (
            "exchange",
            "wrong_item",
            [
                ("merchant", "agree", {}),
                SHIP_RETURN,
                ("merchant", "ship_replacement", {"carrier": "sf", "tracking_no": "SF2234567890"}),
                ("consumer", "confirm_received", {}),
            ],
            [
                ("awaiting_merchant", 14),
                ("awaiting_return", 15),
                ("return_in_transit", 14),
                ("replacement_shipped", 18),
                ("completed", 16),
            ],
        ),
        (
            "resend",
            "missing_item",
            [
                ("merchant", "agree", {}),
                ("merchant", "ship_resend", {"carrier": "sf", "tracking_no": "SF3234567890"}),
            ],
            [("awaiting_merchant", 14), ("awaiting_resend", 32), ("resend_shipped", 18)],
        ),
        (
            "repair",
            "faulty",
            [
                ("merchant", "agree", {}),
                SHIP_RETURN,
                ("merchant", "inspect", {"result": "meets"}),
                ("merchant", "ship_repaired", {"carrier": "sf", "tracking_no": "SF4234567890"}),
                ("consumer", "confirm_received", {}),
            ],
            [
                ("awaiting_merchant", 21),
                ("awaiting_return", 22),
                ("inspecting", 22),
                ("repairing", 22),
                ("repaired_shipped", 27),
                ("completed", 25),
            ],
        ),
        (
            "repair",
            "faulty",
            [
                ("merchant", "refuse", {"reason": "不在保修范围"}),
                ("agent", "rule", {"outcome": "reject", "note": "核实凭证后裁定"}),
            ],
            [("awaiting_merchant", 21), ("platform_review", 8), ("closed", 24)],
        ),
    ],
)
def test_pdd_status_follows_the_status(market, travel, case_type, reason, steps, statuses):
    order = market.order()
    body = file_case(market.consumer, order, type=case_type, reason=reason)
    seen = [(body["status"], body["pdd_status"])]
    for who, action, fields in steps:
        body = act(getattr(market, who), body["case_no"], action, fields)
        seen.append((body["status"], body["pdd_status"]))
    assert seen == statuses
    stored = db_case(body["case_no"])
    assert (stored.status, stored.pdd_status) == statuses[-1]


def test_expired_refund_only_has_pdd_12(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    act(market.merchant, case_no, "refuse", {"reason": "商品无质量问题"})

    travel.to(dt.datetime(2026, 12, 9, 0, 0, tzinfo=SHANGHAI))
    assert sweep().fired == 1

    body = market.consumer.get(f"/cases/{case_no}").json()
    assert (body["status"], body["pdd_status"], body["allowed_actions"]) == ("expired", 12, [])
    assert body["events"][-1]["actor"] == "system"


@pytest.mark.parametrize(
    ("case_type", "reason", "pdd"),
    [
        ("return_refund", "quality", 13),
        ("exchange", "wrong_item", 17),
        ("repair", "faulty", 13),
    ],
)
def test_expired_return_has_the_types_own_pdd(market, travel, case_type, reason, pdd):
    # given the merchant agreed at T0 and the consumer never ships the item back
    order = market.order()
    case_no = file_case(market.consumer, order, type=case_type, reason=reason)["case_no"]
    act(market.merchant, case_no, "agree", {})

    # when the 7 days for the return have passed
    travel.to(dt.datetime(2026, 12, 9, 0, 0, tzinfo=SHANGHAI))
    assert sweep().fired == 1

    body = market.consumer.get(f"/cases/{case_no}").json()
    assert (body["status"], body["pdd_status"]) == ("expired", pdd)
    assert db_case(case_no).pdd_status == pdd


def test_etag_is_the_version_and_every_change_increments_it(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order, type="repair", reason="faulty")["case_no"]

    def fetch():
        response = market.merchant.get(f"/cases/{case_no}")
        assert response.status_code == 200
        assert response["ETag"] == f'"{response.json()["version"]}"'
        return response.json()["version"]

    assert fetch() == 1

    # a change that keeps the status (the agent shortens the deadline) is still a change
    travel.by(hours=1)
    response = market.agent.act(case_no, "shorten_deadline", {"remaining_hours": 24})
    assert response.status_code == 200, response.content
    assert (response.json()["version"], response["ETag"]) == (2, '"2"')
    assert response.json()["status"] == "awaiting_merchant"
    assert response.json()["deadlines"][0]["due_at"] == "2026-12-02T21:00:00+08:00"
    assert fetch() == 2

    # a refused action changes nothing
    assert (
        market.consumer.act(
            case_no, "ship_return", {"carrier": "sf", "tracking_no": "SF1234"}
        ).status_code
        == 409
    )
    assert fetch() == 2

    response = market.merchant.act(case_no, "agree", {})
    assert (response.json()["version"], response["ETag"]) == (3, '"3"')
    assert fetch() == 3
    assert db_case(case_no).version == 3
    assert events_of(case_no) == ["create", "shorten_deadline", "agree"]


def test_cursor_pagination_walks_every_case_once(market, travel):
    # given seven cases, filed a minute apart
    filed = []
    for _ in range(7):
        filed.append(file_case(market.consumer, market.order())["case_no"])
        travel.by(minutes=1)

    # when the consumer walks the list three at a time
    pages, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        response = market.consumer.get("/cases", **params)
        assert response.status_code == 200, response.content
        page = response.json()
        pages.append([item["case_no"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
        assert len(pages) < 10

    # then pages of 3, 3, 1, newest first, with no duplicates or gaps
    assert [len(p) for p in pages] == [3, 3, 1]
    walked = [case_no for page in pages for case_no in page]
    assert walked == list(reversed(filed))


def test_a_full_last_page_has_no_next_cursor(market, travel):
    for _ in range(3):
        file_case(market.consumer, market.order())
    page = market.consumer.get("/cases", limit="3").json()
    assert len(page["items"]) == 3
    assert page["next_cursor"] is None


def test_filters_status_type_shop_and_updated_after(market, travel):
    # given cases of two types in two shops, one refused an hour later
    refund = file_case(market.consumer, market.order())["case_no"]
    repair = file_case(market.consumer, market.order(), type="repair", reason="faulty")["case_no"]
    elsewhere = file_case(market.consumer, market.order(shop=market.other_shop))["case_no"]
    travel.by(hours=1)
    act(market.merchant, refund, "refuse", {"reason": "商品无质量问题"})

    def listed(**params) -> list[str]:
        response = market.agent.get("/cases", **params)
        assert response.status_code == 200, response.content
        return [item["case_no"] for item in response.json()["items"]]

    assert listed() == [elsewhere, repair, refund]
    assert listed(status="refused") == [refund]
    assert listed(status="awaiting_merchant") == [elsewhere, repair]
    assert listed(type="repair") == [repair]
    assert listed(type="refund_only") == [elsewhere, refund]
    assert listed(shop=market.other_shop.code) == [elsewhere]
    assert listed(shop=market.shop.code, type="refund_only") == [refund]
    assert listed(shop="noshop") == []
    assert listed(updated_after=T0.isoformat()) == [refund]
    assert listed(updated_after="2026-12-01T11:59:59Z") == [elsewhere, repair, refund]
    assert listed(updated_after="2026-12-01T21:00:00+08:00") == []


def test_list_shows_each_caller_only_what_they_may_see(market, travel):
    mine = file_case(market.consumer, market.order())["case_no"]
    mine_elsewhere = file_case(market.consumer, market.order(shop=market.other_shop))["case_no"]
    theirs = file_case(market.other_consumer, market.order(consumer=market.other_consumer.user))[
        "case_no"
    ]
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)

    def listed(caller) -> set[str]:
        response = caller.get("/cases")
        assert response.status_code == 200, response.content
        return {item["case_no"] for item in response.json()["items"]}

    assert listed(market.consumer) == {mine, mine_elsewhere}
    assert listed(market.other_consumer) == {theirs}
    assert listed(market.merchant) == {mine, theirs}
    assert listed(market.other_merchant) == {mine_elsewhere}
    assert listed(market.agent) == {mine, mine_elsewhere, theirs}
    assert listed(market.admin) == {mine, mine_elsewhere, theirs}
    assert listed(carrier_staff) == set()

    # list items carry the caller's own allowed actions
    item = market.merchant.get("/cases", shop=market.shop.code).json()["items"][0]
    assert item["allowed_actions"] == ["agree", "refuse", "offer"]
    assert item == market.merchant.get(f"/cases/{item['case_no']}").json()


def test_get_order_for_admin_consumer_and_merchant(market, travel):
    order = market.order()
    expected = {
        "order_sn": order.order_sn,
        "shop": market.shop.code,
        "consumer": market.consumer.user.username,
        "amount_fen": 20_000,
        "paid_at": "2026-11-26T20:00:00+08:00",
        "shipped_at": "2026-11-27T20:00:00+08:00",
        "received_at": "2026-11-29T20:00:00+08:00",
        "carrier": None,
        "tracking_no": "",
        "region": "",
        "phone": "",
        "merchant_promise_until": None,
        "shipment_intercepted_at": None,
        "items": [
            {
                "sku": "SKU-1",
                "title": "测试商品",
                "category": "手机",
                "quantity": 1,
                "unit_price_fen": 20_000,
            }
        ],
    }
    for caller in (market.admin, market.consumer, market.merchant):
        response = caller.get(f"/orders/{order.order_sn}")
        assert response.status_code == 200, response.content
        assert response.json() == expected
    for caller in (market.other_consumer, market.other_merchant):
        assert caller.get(f"/orders/{order.order_sn}").status_code == 404


def test_agreeing_before_shipment_intercepts_the_order(market, travel):
    order = market.order(shipped_at=None, received_at=None)
    case_no = file_case(market.consumer, order)["case_no"]
    act(market.merchant, case_no, "agree", {})
    body = market.consumer.get(f"/orders/{order.order_sn}").json()
    assert body["shipment_intercepted_at"] == T0_ISO
    order.refresh_from_db()
    assert order.shipment_intercepted_at == T0


def test_coupons_after_a_compensated_ruling(market, travel):
    # given a refund-only case refused and brought to the platform
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    act(market.merchant, case_no, "refuse", {"reason": "商品无质量问题"})
    act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})
    assert market.consumer.get("/me/coupons").json() == []

    # when the agent rules a refund with compensation
    travel.by(hours=2)
    ruled = act(
        market.agent,
        case_no,
        "rule",
        {"outcome": "refund_with_compensation", "note": "商家拒绝理由不成立"},
    )

    # then the case is refunded and the consumer holds one coupon of min(30%, 5000 fen)
    assert (ruled["status"], ruled["pdd_status"], ruled["refunded_fen"]) == ("refunded", 10, 20_000)
    coupon = Coupon.objects.get()
    response = market.consumer.get("/me/coupons")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": coupon.id,
            "amount_fen": 5_000,
            "shop": market.shop.code,
            "case_no": case_no,
            "rule": "2.7",
            "issued_at": "2026-12-01T22:00:00+08:00",
            "used_at": None,
        }
    ]
    assert market.other_consumer.get("/me/coupons").json() == []
    assert refund_entries(case_no) == [("consumer", 20_000), ("shop", -20_000)]
    assert list(
        LedgerEntry.objects.filter(case__case_no=case_no, kind=EntryKind.COMPENSATION).values_list(
            "shop_id", "amount_fen"
        )
    ) == [(market.shop.id, -5_000)]
    assert ruled["events"][-1]["data"]["compensation_fen"] == 5_000


def test_timers_are_listed_only_while_pending(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    refused = act(market.merchant, case_no, "refuse", {"reason": "商品无质量问题"})
    assert refused["deadlines"] == [
        {
            "name": "reapply_deadline",
            "due_at": "2026-12-08T23:59:59.999999+08:00",
            "default_action": "expire",
            "rule": "refund_only ⚙ refused 7 days",
        }
    ]
    assert list(
        Deadline.objects.filter(subject_id=db_case(case_no).id)
        .order_by("id")
        .values_list("name", "status")
    ) == [
        ("merchant_response_deadline", DeadlineStatus.CANCELLED),
        ("reapply_deadline", DeadlineStatus.PENDING),
    ]
    cancelled = act(market.consumer, case_no, "cancel", {})
    assert cancelled["deadlines"] == []
    assert Case.objects.get(case_no=case_no).is_open is False


def test_openapi_lists_the_v1_paths():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    listed = {path: set(ops) for path, ops in document["paths"].items()}
    expected = {
        "/api/v1/shops": {"post"},
        "/api/v1/shops/{code}": {"get"},
        "/api/v1/shops/{code}/ledger": {"get"},
        "/api/v1/carriers": {"post"},
        "/api/v1/orders": {"post"},
        "/api/v1/orders/{order_sn}": {"get"},
        "/api/v1/cases": {"get", "post"},
        "/api/v1/cases/{case_no}": {"get"},
        "/api/v1/cases/{case_no}/actions/{action}": {"post"},
        "/api/v1/me/coupons": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= listed.get(path, set()), path
    assert Client().get("/api/v1/docs").status_code == 200
