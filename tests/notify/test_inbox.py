"""Every party's inbox: who hears of what on a case, unread counts, reading, visibility."""

from __future__ import annotations

import datetime as dt

from aftersales.cases.models import Case
from aftersales.core.models import Event, Role
from aftersales.deadlines.sweeper import sweep
from aftersales.notify import services as notify
from aftersales.notify.models import Notification, WebhookDelivery
from tests.api import act, assert_error, file_case
from tests.conftest import make_caller
from tests.factories import SHANGHAI, T0
from tests.notify import inbox, stored

EMPTY = {"items": [], "next_cursor": None, "unread_count": 0}


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(SHANGHAI).isoformat()


def test_the_shops_merchants_hear_of_a_new_request_and_nobody_else_does(market, travel):
    # Given a shop with two merchants
    colleague = make_caller(Role.MERCHANT, shop=market.shop)
    order = market.order()

    # When the consumer files a refund request
    case_no = file_case(market.consumer, order)["case_no"]

    # Then each merchant of the shop has one unread line about it, in Chinese
    event = Event.objects.get(subject_kind="case", subject_key=case_no)
    for merchant in (market.merchant, colleague):
        line = Notification.objects.get(recipient=merchant.user)
        assert inbox(merchant) == {
            "items": [
                {
                    "id": line.id,
                    "kind": "case.create",
                    "subject_kind": "case",
                    "subject_key": case_no,
                    "title": f"新的售后申请 {case_no}",
                    "body": f"仅退款，订单 {order.order_sn}。当前状态：待商家处理。",
                    "created_at": iso(T0),
                    "read_at": None,
                }
            ],
            "next_cursor": None,
            "unread_count": 1,
        }
        assert line.source_key == f"event:{event.id}"
    # and the consumer who filed it, the other shop and the platform hear nothing
    for caller in (
        market.consumer,
        market.other_consumer,
        market.other_merchant,
        market.agent,
        market.admin,
    ):
        assert inbox(caller) == EMPTY
    assert Notification.objects.count() == 2


def test_a_refusal_reaches_the_consumer_and_its_platform_review_every_agent(market, travel):
    # Given a repair request and a second platform agent
    second_agent = make_caller(Role.AGENT)
    order = market.order()
    case_no = file_case(market.consumer, order, type="repair", reason="faulty")["case_no"]

    # When the merchant refuses it an hour later (a refused repair goes to the platform)
    travel.by(hours=1)
    act(market.merchant, case_no, "refuse", {"reason": "人为损坏，不予维修"})

    # Then the consumer hears of the refusal
    line = Notification.objects.get(recipient=market.consumer.user)
    assert inbox(market.consumer) == {
        "items": [
            {
                "id": line.id,
                "kind": "case.refuse",
                "subject_kind": "case",
                "subject_key": case_no,
                "title": f"售后单 {case_no}：商家选择了“拒绝”",
                "body": f"维修，订单 {order.order_sn}。当前状态：平台介入中。",
                "created_at": iso(T0 + dt.timedelta(hours=1)),
                "read_at": None,
            }
        ],
        "next_cursor": None,
        "unread_count": 1,
    }
    # and every agent hears that the case waits for a ruling
    for agent in (market.agent, second_agent):
        assert stored(agent.user) == [
            ("case.platform_review", case_no, f"售后单 {case_no} 等待平台裁决")
        ]
    # but the merchant who refused hears nothing new, and administrators nothing at all
    assert stored(market.merchant.user) == [("case.create", case_no, f"新的售后申请 {case_no}")]
    assert stored(market.admin.user) == []

    # When an agent rules for a refund
    travel.by(hours=1)
    act(market.agent, case_no, "rule", {"outcome": "refund", "note": "核实检测报告"})

    # Then the consumer and the merchant hear the ruling; the agent who ruled does not
    ruled = ("case.rule", case_no, f"售后单 {case_no}：平台裁决“退款”")
    assert stored(market.consumer.user)[-1] == ruled
    assert stored(market.merchant.user)[-1] == ruled
    assert Notification.objects.get(recipient=market.merchant.user, kind="case.rule").body == (
        f"维修，订单 {order.order_sn}。当前状态：已退款。"
    )
    assert stored(market.agent.user) == [
        ("case.platform_review", case_no, f"售后单 {case_no} 等待平台裁决")
    ]
    assert inbox(market.consumer)["unread_count"] == 2


def test_a_fired_timer_reaches_the_consumer_and_the_merchant(market, travel):
    # Given a refund request the merchant leaves unanswered for 48 hours
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    # When the sweeper applies the default outcome after the deadline
    travel.to(T0 + dt.timedelta(hours=48, seconds=1))
    assert sweep().fired == 1

    # Then both parties hear that the deadline passed and what it did
    expired = ("case.agree", case_no, f"售后单 {case_no}：期限已过，已自动“同意”")
    assert stored(market.consumer.user) == [expired]
    assert stored(market.merchant.user) == [
        ("case.create", case_no, f"新的售后申请 {case_no}"),
        expired,
    ]
    assert Notification.objects.get(recipient=market.consumer.user).body == (
        f"仅退款，订单 {order.order_sn}。当前状态：已退款。"
    )
    assert stored(market.agent.user) == []


def test_the_consumers_own_step_reaches_the_merchant_only(market, travel):
    # Given a refund request
    case_no = file_case(market.consumer, market.order())["case_no"]

    # When the consumer cancels it
    act(market.consumer, case_no, "cancel", {"reason": "不需要了"})

    # Then the merchant hears of it and the consumer does not
    assert stored(market.merchant.user) == [
        ("case.create", case_no, f"新的售后申请 {case_no}"),
        ("case.cancel", case_no, f"售后单 {case_no}：消费者选择了“撤销申请”"),
    ]
    assert stored(market.consumer.user) == []


def test_reading_one_and_all_updates_the_unread_count(market, travel):
    # Given three new requests in the merchant's inbox
    case_nos = [file_case(market.consumer, market.order())["case_no"] for _ in range(3)]
    lines = list(Notification.objects.filter(recipient=market.merchant.user).order_by("id"))
    assert [n.subject_key for n in lines] == case_nos
    assert inbox(market.merchant, unread="true")["unread_count"] == 3

    # When the merchant reads the second one an hour later
    travel.by(hours=1)
    response = market.merchant.post(f"/me/notifications/{lines[1].id}/read")

    # Then it is marked read, in the response and the database
    assert response.status_code == 200, response.content
    read_at = T0 + dt.timedelta(hours=1)
    assert response.json() == {
        "id": lines[1].id,
        "kind": "case.create",
        "subject_kind": "case",
        "subject_key": case_nos[1],
        "title": f"新的售后申请 {case_nos[1]}",
        "body": lines[1].body,
        "created_at": iso(T0),
        "read_at": iso(read_at),
    }
    assert Notification.objects.get(id=lines[1].id).read_at == read_at
    # and the unread filter and count leave it out
    unread = inbox(market.merchant, unread="true")
    assert [n["id"] for n in unread["items"]] == [lines[2].id, lines[0].id]
    assert unread["unread_count"] == 2
    everything = inbox(market.merchant)
    assert [n["id"] for n in everything["items"]] == [lines[2].id, lines[1].id, lines[0].id]
    assert everything["unread_count"] == 2

    # When it is read again later, the first reading time stays
    travel.by(hours=1)
    again = market.merchant.post(f"/me/notifications/{lines[1].id}/read")
    assert (again.status_code, again.json()["read_at"]) == (200, iso(read_at))

    # When the merchant marks everything read
    response = market.merchant.post("/me/notifications/read-all")

    # Then the two unread ones are marked at this time, the read one keeps its time
    assert (response.status_code, response.json()) == (200, {"marked": 2, "unread_count": 0})
    assert [
        n.read_at
        for n in Notification.objects.filter(recipient=market.merchant.user).order_by("id")
    ] == [read_at + dt.timedelta(hours=1), read_at, read_at + dt.timedelta(hours=1)]
    assert inbox(market.merchant, unread="true") == EMPTY
    # and doing it again marks nothing
    again = market.merchant.post("/me/notifications/read-all")
    assert again.json() == {"marked": 0, "unread_count": 0}


def test_nobody_sees_or_reads_another_users_notifications(market, travel):
    # Given a line in the consumer's inbox and one in the other consumer's
    mine = file_case(market.consumer, market.order())["case_no"]
    theirs = file_case(market.other_consumer, market.order(consumer=market.other_consumer.user))[
        "case_no"
    ]
    act(market.merchant, mine, "refuse", {"reason": "商品已使用，不支持退款"})
    act(market.merchant, theirs, "refuse", {"reason": "商品已使用，不支持退款"})
    my_line = Notification.objects.get(recipient=market.consumer.user)
    their_line = Notification.objects.get(recipient=market.other_consumer.user)

    # Then each consumer's inbox holds only their own line
    assert [n["subject_key"] for n in inbox(market.consumer)["items"]] == [mine]
    assert [n["subject_key"] for n in inbox(market.other_consumer)["items"]] == [theirs]

    # When the other consumer, the other shop's merchant or an agent tries to read mine
    for caller in (market.other_consumer, market.other_merchant, market.agent):
        response = caller.post(f"/me/notifications/{my_line.id}/read")
        # Then it is the same 404 as a notification that does not exist
        assert_error(
            response,
            404,
            code="not_found",
            field="notification_id",
            message=f"Notification {my_line.id} not found.",
        )
    assert_error(
        market.consumer.post("/me/notifications/999999/read"),
        404,
        code="not_found",
        field="notification_id",
        message="Notification 999999 not found.",
    )
    # and reading everything of one's own touches nobody else's
    assert market.other_consumer.post("/me/notifications/read-all").json() == {
        "marked": 1,
        "unread_count": 0,
    }
    my_line.refresh_from_db()
    their_line.refresh_from_db()
    assert (my_line.read_at, their_line.read_at) == (None, T0)
    assert inbox(market.consumer)["unread_count"] == 1


def test_the_inbox_pages_by_cursor_and_checks_its_query(market, travel):
    # Given three lines in the merchant's inbox
    for _ in range(3):
        file_case(market.consumer, market.order())
    ids = list(
        Notification.objects.filter(recipient=market.merchant.user)
        .order_by("-id")
        .values_list("id", flat=True)
    )

    # When the merchant pages two at a time
    first = inbox(market.merchant, limit=2)
    second = inbox(market.merchant, limit=2, cursor=first["next_cursor"])

    # Then the pages cover the inbox newest first, once
    assert [n["id"] for n in first["items"]] == ids[:2]
    assert first["next_cursor"] is not None and first["unread_count"] == 3
    assert [n["id"] for n in second["items"]] == ids[2:]
    assert second["next_cursor"] is None
    # and a broken cursor, a limit out of range or no token are the contract's errors
    assert_error(
        market.merchant.get("/me/notifications", cursor="!!"),
        400,
        code="bad_request",
        field="cursor",
        message="cursor is not valid.",
    )
    assert_error(
        market.merchant.get("/me/notifications", limit=0),
        400,
        code="bad_request",
        field="limit",
        message="limit must be between 1 and 100.",
    )
    anonymous = market.merchant.client.get("/api/v1/me/notifications")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"


def test_reporting_the_same_event_twice_adds_nothing(market, travel):
    # Given a refused request: the consumer has heard of the refusal
    case_no = file_case(market.consumer, market.order())["case_no"]
    act(market.merchant, case_no, "refuse", {"reason": "商品已使用，不支持退款"})
    case = Case.objects.get(case_no=case_no)
    refusal = Event.objects.get(subject_key=case_no, action="refuse")
    before = (Notification.objects.count(), WebhookDelivery.objects.count())

    # When the same event is reported again (a retried job)
    notify.case_changed(case, refusal, T0 + dt.timedelta(hours=1))

    # Then no line and no delivery is added
    assert (Notification.objects.count(), WebhookDelivery.objects.count()) == before
    assert stored(market.consumer.user) == [
        ("case.refuse", case_no, f"售后单 {case_no}：商家选择了“拒绝”")
    ]
