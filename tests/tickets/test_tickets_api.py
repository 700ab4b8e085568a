"""`/api/v1/tickets` with the conventions of `/cases` (spec/api.md): the body, the error
shape and statuses, If-Match, Idempotency-Key, cursor pagination and allowed_actions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from aftersales.core.models import Event, IdempotencyRecord, Role
from aftersales.deadlines.models import Deadline
from aftersales.tickets.models import Ticket, TicketMessage, TicketTask
from tests.conftest import make_caller

TICKET_NO = re.compile(r"^TK261201\d{10}$")
T0_ISO = "2026-12-01T20:00:00+08:00"
KEY = {"Idempotency-Key": "8d7e-ticket-request-1"}


def open_ticket(caller: Any, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return caller.post("/tickets", {"title": "包裹丢了", **body}, headers=headers)


def created(caller: Any, **body: Any) -> dict[str, Any]:
    response = open_ticket(caller, **body)
    assert response.status_code == 201, response.content
    return response.json()


def act(caller: Any, ticket_no: str, action: str, body: Any = None, **kw: Any) -> Any:
    return caller.post(f"/tickets/{ticket_no}/actions/{action}", body or {}, **kw)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    return response.json()


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message", "field"}
    return body["error"]


def logistics(market: Any) -> dict[str, Any]:
    order = market.order(carrier=market.carrier)
    return created(market.consumer, type="logistics", subtype="lost", order_sn=order.order_sn)


# --- creation ---------------------------------------------------------------------------------


def test_opening_a_ticket_returns_the_body_and_stores_it(market, travel):
    order = market.order(carrier=market.carrier, region="上海")

    response = open_ticket(
        market.consumer,
        type="logistics",
        subtype="lost",
        order_sn=order.order_sn,
        description="物流显示已签收，但我没有收到",
    )

    assert response.status_code == 201, response.content
    assert response["ETag"] == '"1"'
    body = response.json()
    assert TICKET_NO.match(body["ticket_no"])
    stored = Ticket.objects.get(ticket_no=body["ticket_no"])
    event = Event.objects.get(subject_kind="ticket", subject_key=stored.ticket_no)
    assert body == {
        "ticket_no": stored.ticket_no,
        "type": "logistics",
        "subtype": "lost",
        "status": "open",
        "priority": 3,
        "title": "包裹丢了",
        "description": "物流显示已签收，但我没有收到",
        "source": "consumer",
        "order_sn": order.order_sn,
        "case_no": None,
        "shop": market.shop.code,
        "carrier": "sf",
        "region": "上海",
        "amount_fen": 20_000,
        "team": "shop",
        "assignee": market.merchant.user.username,
        "waiting_on": None,
        "escalated": False,
        "version": 1,
        "created_at": T0_ISO,
        "updated_at": T0_ISO,
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "resolution": "",
        "allowed_actions": ["reply"],
        "tasks": [],
        "deadlines": [],
        "messages": [],
        "events": [
            {
                "seq": 1,
                "at": T0_ISO,
                "actor": market.consumer.user.username,
                "action": "create",
                "data": {
                    "type": "logistics",
                    "subtype": "lost",
                    "to": "open",
                    "team": "shop",
                    "priority": 3,
                    "routing": ["logistics to the shop and carrier"],
                    "assignee": market.merchant.user.username,
                    "source": "consumer",
                },
                "hash": event.hash,
            }
        ],
    }
    assert re.fullmatch(r"[0-9a-f]{64}", event.hash)
    assert (
        stored.order_id,
        stored.consumer_id,
        stored.shop_id,
        stored.carrier_id,
        stored.assignee_id,
        stored.is_open,
        stored.event_seq,
        stored.event_head,
    ) == (
        order.id,
        market.consumer.user.id,
        market.shop.id,
        market.carrier.id,
        market.merchant.user.id,
        True,
        1,
        event.hash,
    )
    assert TicketTask.objects.filter(ticket=stored).count() == 2
    assert Deadline.objects.filter(subject_kind="ticket", subject_id=stored.id).count() == 4


def test_an_agent_opens_a_ticket_for_a_shop_without_an_order(market, travel):
    body = created(
        market.agent,
        type="complaint",
        subtype="broken_promise",
        shop=market.shop.code,
        amount_fen=3_000,
        region="广东",
    )
    assert (body["source"], body["shop"], body["order_sn"], body["carrier"]) == (
        "agent",
        market.shop.code,
        None,
        None,
    )
    assert (body["amount_fen"], body["region"], body["team"]) == (3_000, "广东", "platform")
    stored = Ticket.objects.get(ticket_no=body["ticket_no"])
    assert (stored.consumer_id, stored.order_id) == (None, None)


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.CARRIER])
def test_only_consumers_and_agents_open_tickets(market, travel, role):
    caller = make_caller(role, shop=market.shop) if role == Role.MERCHANT else make_caller(role)
    response = open_ticket(caller, type="complaint", subtype="harassment")
    assert error(response, 403) == {
        "code": "forbidden_role",
        "message": "Only consumers and platform agents open tickets.",
        "field": None,
    }
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"type": "refund", "subtype": "lost"},
            400,
            {
                "code": "bad_request",
                "message": "type must be one of: logistics, quality, complaint, inquiry.",
                "field": "type",
            },
        ),
        (
            {"type": "logistics", "subtype": "faulty"},
            400,
            {
                "code": "bad_request",
                "message": "subtype must be one of: lost, delayed, no_tracking_update, "
                "signed_not_received.",
                "field": "subtype",
            },
        ),
        (
            {"type": "quality", "subtype": "faulty"},
            400,
            {
                "code": "order_needed",
                "message": "This kind of ticket is about an order: open it from the order.",
                "field": "order_sn",
            },
        ),
        (
            {"type": "quality", "subtype": "faulty", "order_sn": "no-such-order"},
            404,
            {"code": "not_found", "message": "Order no-such-order not found.", "field": "order_sn"},
        ),
    ],
)
def test_bad_requests_to_open_a_ticket(market, travel, body, status, expected):
    assert error(open_ticket(market.consumer, **body), status) == expected
    assert Ticket.objects.count() == 0


def test_a_consumer_cannot_open_a_ticket_on_another_consumers_order(market, travel):
    theirs = market.order(consumer=market.other_consumer.user)
    response = open_ticket(
        market.consumer, type="quality", subtype="faulty", order_sn=theirs.order_sn
    )
    assert error(response, 404) == {
        "code": "not_found",
        "message": f"Order {theirs.order_sn} not found.",
        "field": "order_sn",
    }
    assert Ticket.objects.count() == 0


def test_unknown_shop_or_carrier_is_422(market, travel):
    response = open_ticket(market.agent, type="inquiry", subtype="other", shop="no-shop")
    assert error(response, 422) == {
        "code": "unknown_shop",
        "message": "Unknown shop no-shop.",
        "field": "shop",
    }
    response = open_ticket(
        market.agent, type="logistics", subtype="lost", shop=market.shop.code, carrier="zto"
    )
    assert error(response, 422) == {
        "code": "unknown_carrier",
        "message": "Unknown carrier zto.",
        "field": "carrier",
    }
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "inquiry", "subtype": "other", "priority": 1}, "priority"),
        ({"type": "inquiry", "subtype": "other", "amount_fen": "100"}, "amount_fen"),
        ({"type": "inquiry", "subtype": "other", "amount_fen": -1}, "amount_fen"),
        ({"type": "inquiry", "subtype": "other", "title": ""}, "title"),
        ({"subtype": "other"}, "type"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field(market, travel, body, field):
    assert error(open_ticket(market.consumer, **body), 400)["field"] == field
    assert error(open_ticket(market.consumer, **body), 400)["code"] == "invalid"
    assert Ticket.objects.count() == 0


def test_malformed_json_is_400(market, travel):
    response = market.consumer.post("/tickets", '{"type": "inquiry", ')
    assert error(response, 400)["code"] in ("invalid", "bad_request")
    assert Ticket.objects.count() == 0


# --- authentication and visibility --------------------------------------------------------------


def test_no_or_bad_token_is_401(market, travel):
    no = logistics(market)["ticket_no"]
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    for response in (
        anonymous.get("/api/v1/tickets"),
        anonymous.get(f"/api/v1/tickets/{no}"),
        anonymous.post(
            "/api/v1/tickets",
            {"type": "inquiry", "subtype": "other", "title": "?"},
            content_type="application/json",
        ),
        anonymous.post(
            f"/api/v1/tickets/{no}/actions/reply", {"body": "?"}, content_type="application/json"
        ),
        anonymous.get("/api/v1/tickets", HTTP_AUTHORIZATION="Bearer as_not-a-real-token"),
    ):
        assert error(response, 401) == {
            "code": "unauthorized",
            "message": "A valid bearer token is required.",
            "field": "Authorization",
        }
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.count() == 0


def test_an_unknown_ticket_is_404(market, travel):
    for response in (
        market.agent.get("/tickets/TK0000000000000000"),
        act(market.agent, "TK0000000000000000", "reply", {"body": "?"}),
    ):
        assert error(response, 404) == {
            "code": "not_found",
            "message": "Ticket TK0000000000000000 not found.",
            "field": "ticket_no",
        }


# --- actions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        (
            "fly",
            {},
            {"code": "unknown_action", "message": "Unknown action fly.", "field": "action"},
        ),
        (
            "resolve",
            {},
            {"code": "bad_request", "message": "resolution is required.", "field": "resolution"},
        ),
        (
            "reply",
            {"body": ""},
            {"code": "bad_request", "message": "body is required.", "field": "body"},
        ),
        (
            "reply",
            {"body": "长" * 5001},
            {
                "code": "bad_request",
                "message": "body must be 1 to 5000 characters.",
                "field": "body",
            },
        ),
        (
            "reply",
            {"body": "好的", "case_type": "repair"},
            {
                "code": "bad_request",
                "message": "Unknown field case_type for action reply.",
                "field": "case_type",
            },
        ),
    ],
)
def test_bad_action_requests_are_400_and_change_nothing(market, travel, action, body, expected):
    no = logistics(market)["ticket_no"]
    assert error(act(market.merchant, no, action, body), 400) == expected
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.version, stored.event_seq, stored.status) == (1, 1, "open")
    assert TicketMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"), [({"body": 5}, "body"), ({"body": "x", "colour": "red"}, "colour")]
)
def test_mistyped_or_unknown_action_fields_are_400(market, travel, body, field):
    no = logistics(market)["ticket_no"]
    found = error(act(market.merchant, no, "reply", body), 400)
    assert (found["code"], found["field"]) == ("invalid", field)
    assert found["message"].startswith(f"{field}: ")
    assert TicketMessage.objects.count() == 0


def test_a_party_may_not_take_another_partys_action_403(market, travel):
    no = logistics(market)["ticket_no"]
    assert error(act(market.consumer, no, "resolve", {"resolution": "我自己解决了"}), 403) == {
        "code": "forbidden_party",
        "message": "You may not take the action resolve.",
        "field": None,
    }
    assert Ticket.objects.get(ticket_no=no).status == "open"


def test_stale_if_match_is_409_and_a_current_one_passes(market, travel):
    no = logistics(market)["ticket_no"]
    first = market.merchant.get(f"/tickets/{no}")
    assert first["ETag"] == '"1"'

    # the carrier's reply moves the ticket to version 2 (If-Match current: accepted)
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    moved = act(carrier_staff, no, "reply", {"body": "查件中"}, headers={"If-Match": '"1"'})
    assert (moved.status_code, moved["ETag"]) == (200, '"2"')

    # the shop, still looking at version 1, is refused
    response = act(
        market.merchant, no, "resolve", {"resolution": "已补发"}, headers={"If-Match": '"1"'}
    )
    assert error(response, 409) == {
        "code": "stale_version",
        "message": "The ticket has changed (version 2); reload it and try again.",
        "field": "If-Match",
    }
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.status, stored.version, stored.resolved_at) == ("in_progress", 2, None)

    # a weak or bare current version passes
    body = ok(
        act(market.merchant, no, "resolve", {"resolution": "已补发"}, headers={"If-Match": 'W/"2"'})
    )
    assert (body["status"], body["version"]) == ("resolved", 3)


@pytest.mark.parametrize("if_match", ["latest", '"one"', "1.0", "-1", ""])
def test_malformed_if_match_is_400(market, travel, if_match):
    no = logistics(market)["ticket_no"]
    found = error(
        act(market.merchant, no, "reply", {"body": "好"}, headers={"If-Match": if_match}), 400
    )
    assert (found["code"], found["field"]) == ("bad_request", "If-Match")
    assert TicketMessage.objects.count() == 0


# --- idempotency ----------------------------------------------------------------------------------


def test_opening_twice_with_the_same_key_opens_one_ticket(market, travel):
    order = market.order(carrier=market.carrier)
    body = {"type": "logistics", "subtype": "lost", "order_sn": order.order_sn}

    first = open_ticket(market.consumer, headers=KEY, **body)
    travel.by(minutes=3)
    again = open_ticket(market.consumer, headers=KEY, **body)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"] == '"1"'
    assert list(Ticket.objects.values_list("ticket_no", flat=True)) == [first.json()["ticket_no"]]
    assert TicketTask.objects.count() == 2
    assert Deadline.objects.filter(subject_kind="ticket").count() == 4
    assert Event.objects.filter(subject_kind="ticket").count() == 1
    assert IdempotencyRecord.objects.filter(user=market.consumer.user).count() == 1


def test_an_action_twice_with_the_same_key_posts_one_message(market, travel):
    no = logistics(market)["ticket_no"]

    first = act(market.merchant, no, "reply", {"body": "已联系快递"}, headers=KEY)
    travel.by(seconds=20)
    again = act(market.merchant, no, "reply", {"body": "已联系快递"}, headers=KEY)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["ETag"] == '"2"'
    assert list(TicketMessage.objects.values_list("body", flat=True)) == ["已联系快递"]
    assert list(
        Event.objects.filter(subject_key=no).order_by("seq").values_list("action", flat=True)
    ) == ["create", "reply"]
    # the same key with another body is refused
    response = act(market.merchant, no, "reply", {"body": "另一条"}, headers=KEY)
    assert error(response, 422) == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was used with a different request.",
        "field": "Idempotency-Key",
    }
    assert TicketMessage.objects.count() == 1
    assert Ticket.objects.get(ticket_no=no).version == 2


# --- the list -------------------------------------------------------------------------------------


def test_the_list_pages_with_a_cursor_newest_first(market, travel):
    numbers = [
        created(market.consumer, type="inquiry", subtype="invoice", title=f"发票 {i}")["ticket_no"]
        for i in range(5)
    ]

    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = market.agent.get("/tickets", **params)
        assert response.status_code == 200, response.content
        page = response.json()
        pages.append(len(page["items"]))
        seen += [t["ticket_no"] for t in page["items"]]
        assert all("events" in t and t["events"] == [] for t in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [2, 2, 1]
    assert seen == numbers[::-1]


def test_the_list_filters_by_status_type_and_escalation(market, travel):
    quality = created(
        market.consumer, type="quality", subtype="faulty", order_sn=market.order().order_sn
    )["ticket_no"]
    inquiry = created(market.consumer, type="inquiry", subtype="invoice")["ticket_no"]
    complaint = created(
        market.consumer,
        type="complaint",
        subtype="broken_promise",
        order_sn=market.order().order_sn,
    )["ticket_no"]
    ok(act(market.merchant, quality, "resolve", {"resolution": "已换新"}))
    ok(act(market.agent, complaint, "escalate", {"reason": "用户多次投诉"}))

    def numbers(**filters: str) -> list[str]:
        response = market.agent.get("/tickets", **filters)
        assert response.status_code == 200, response.content
        return [t["ticket_no"] for t in response.json()["items"]]

    assert numbers(status="resolved") == [quality]
    assert numbers(status="open") == [complaint, inquiry]
    assert numbers(type="inquiry") == [inquiry]
    assert numbers(escalated="true") == [complaint]
    assert numbers(escalated="false") == [inquiry, quality]
    assert numbers(type="complaint", escalated="false") == []


@pytest.mark.parametrize("cursor", ["!!!", "Yw", "bm90LWEtY3Vyc29y", "w7w"])
def test_a_bad_cursor_is_400(market, travel, cursor):
    assert error(market.agent.get("/tickets", cursor=cursor), 400) == {
        "code": "bad_request",
        "message": "cursor is not valid.",
        "field": "cursor",
    }


@pytest.mark.parametrize("limit", ["0", "101", "-3"])
def test_a_limit_out_of_range_is_400(market, travel, limit):
    assert error(market.agent.get("/tickets", limit=limit), 400) == {
        "code": "bad_request",
        "message": "limit must be between 1 and 100.",
        "field": "limit",
    }


def test_an_unknown_type_filter_is_400_as_for_cases(market, travel):
    created(market.consumer, type="inquiry", subtype="invoice")
    assert error(market.agent.get("/tickets", type="refund_only"), 400) == {
        "code": "bad_request",
        "message": "type must be one of: logistics, quality, complaint, inquiry.",
        "field": "type",
    }


# --- allowed_actions ------------------------------------------------------------------------------

STAFF_OPEN = ["reply", "request_info", "complete_task", "assign", "escalate", "resolve"]
# A party with a task on a ticket another team owns works its task (issue 8, item 6).
PARTY_OPEN = ["reply", "request_info", "complete_task", "escalate"]


def test_allowed_actions_depend_on_the_party_and_the_status(market, travel):
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    no = logistics(market)["ticket_no"]
    quality = created(
        market.consumer, type="quality", subtype="damaged", order_sn=market.order().order_sn
    )["ticket_no"]

    def allowed(caller: Any, ticket_no: str) -> list[str]:
        return ok(caller.get(f"/tickets/{ticket_no}"))["allowed_actions"]

    # open
    assert allowed(market.consumer, no) == ["reply"]
    for staff in (market.merchant, market.agent, market.admin):
        assert allowed(staff, no) == STAFF_OPEN  # the shop's team owns it
    assert allowed(carrier_staff, no) == PARTY_OPEN
    assert allowed(market.merchant, quality) == [*STAFF_OPEN, "convert"]
    assert allowed(market.agent, quality) == [*STAFF_OPEN, "convert"]
    assert allowed(market.consumer, quality) == ["reply"]

    # escalated: nobody escalates again, and the platform owns it now
    ok(act(carrier_staff, no, "escalate", {}))
    assert allowed(market.merchant, no) == [a for a in PARTY_OPEN if a != "escalate"]
    assert allowed(market.agent, no) == [a for a in STAFF_OPEN if a != "escalate"]

    # resolved: the consumer and the platform close or reopen, the staff of the parties wait
    ok(act(market.agent, no, "resolve", {"resolution": "已派送"}))
    assert allowed(market.consumer, no) == ["close", "reopen"]
    assert allowed(market.agent, no) == ["close", "reopen"]
    assert allowed(market.merchant, no) == []
    assert allowed(carrier_staff, no) == []

    # closed: only reopening, within the window
    ok(act(market.consumer, no, "close"))
    assert allowed(market.consumer, no) == ["reopen"]
    assert allowed(market.agent, no) == ["reopen"]
    assert allowed(market.merchant, no) == []
