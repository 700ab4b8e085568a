"""The ticket workflow (issue 4, "Ticket types"): open → in progress → waiting on a party →
resolved → closed, the parties' tasks, manual escalation, and a quality ticket becoming a
return, exchange or repair case in one action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.cases.models import Case
from aftersales.core.models import Event, Role
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.tickets.models import Ticket, TicketMessage, TicketTask
from aftersales.tickets.workflow import ACTIONS, OPEN_STATUSES, STATUSES, TRANSITIONS
from tests.conftest import make_caller
from tests.factories import SHANGHAI, T0


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(SHANGHAI).isoformat()


def open_ticket(caller: Any, **body: Any) -> dict[str, Any]:
    response = caller.post("/tickets", {"title": "收到的手机无法开机", **body})
    assert response.status_code == 201, response.content
    return response.json()


def act(caller: Any, ticket_no: str, action: str, body: Any = None) -> dict[str, Any]:
    response = caller.post(f"/tickets/{ticket_no}/actions/{action}", body or {})
    assert response.status_code == 200, (action, response.content)
    return response.json()


def refused(caller: Any, ticket_no: str, action: str, body: Any = None) -> tuple[int, dict]:
    response = caller.post(f"/tickets/{ticket_no}/actions/{action}", body or {})
    assert response.status_code >= 400, (action, response.content)
    return response.status_code, response.json()


def events(ticket_no: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.actor, e.action, e.data)
        for e in Event.objects.filter(subject_kind="ticket", subject_key=ticket_no).order_by("seq")
    ]


def pending(ticket_no: str) -> list[str]:
    ticket_id = Ticket.objects.get(ticket_no=ticket_no).id
    return sorted(
        Deadline.objects.filter(
            subject_kind="ticket", subject_id=ticket_id, status=DeadlineStatus.PENDING
        ).values_list("name", flat=True)
    )


def logistics(market: Any) -> tuple[dict[str, Any], Any]:
    """A logistics ticket on an order the carrier shipped, and the carrier's staff member."""
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    order = market.order(carrier=market.carrier)
    ticket = open_ticket(market.consumer, type="logistics", subtype="lost", order_sn=order.order_sn)
    return ticket, carrier_staff


# --- the table --------------------------------------------------------------------------------


def test_the_table_names_every_status_and_who_acts():
    assert STATUSES == ("open", "in_progress", "waiting", "resolved", "closed")
    table = {t.action: (t.sources, t.target, t.by) for t in TRANSITIONS}
    assert set(table) == ACTIONS
    assert table["close"] == (("resolved",), "closed", ("consumer", "platform", "system"))
    assert table["reopen"] == (("resolved", "closed"), "in_progress", ("consumer", "platform"))
    assert table["resolve"] == (OPEN_STATUSES, "resolved", ("shop", "carrier", "platform"))
    assert table["convert"] == (OPEN_STATUSES, "resolved", ("shop", "platform"))
    assert table["sla_breach"] == (OPEN_STATUSES, None, ("system",))
    assert table["sla_warning"] == (OPEN_STATUSES, None, ("system",))
    assert "consumer" not in table["request_info"][2]
    assert [t.action for t in TRANSITIONS if t.only_types] == ["convert"]


# --- a logistics ticket through every status --------------------------------------------------


def test_a_logistics_ticket_goes_through_every_status(market, travel):
    # given a logistics ticket the consumer opened at T0
    ticket, carrier_staff = logistics(market)
    no = ticket["ticket_no"]
    assert (ticket["status"], ticket["waiting_on"]) == ("open", None)

    # when the shop answers, it is in progress
    travel.by(hours=1)
    body = act(market.merchant, no, "reply", {"body": "已联系快递核实"})
    assert body["status"] == "in_progress"

    # when the carrier asks the consumer for the address, it waits on the consumer
    travel.by(hours=1)
    body = act(
        carrier_staff, no, "request_info", {"from_party": "consumer", "body": "请确认收货地址"}
    )
    assert (body["status"], body["waiting_on"]) == ("waiting", "consumer")

    # a staff reply meanwhile does not end the wait
    body = act(market.merchant, no, "reply", {"body": "等待用户回复"})
    assert (body["status"], body["waiting_on"]) == ("waiting", "consumer")

    # when the consumer answers, work resumes
    travel.by(hours=1)
    body = act(market.consumer, no, "reply", {"body": "地址是浦东新区世纪大道100号"})
    assert (body["status"], body["waiting_on"]) == ("in_progress", None)

    # when the shop, whose team it is, resolves it, and the consumer closes it
    travel.by(hours=1)
    body = act(market.merchant, no, "resolve", {"resolution": "包裹已重新派送"})
    assert (body["status"], body["resolution"], body["resolved_at"]) == (
        "resolved",
        "包裹已重新派送",
        iso(T0 + dt.timedelta(hours=4)),
    )
    body = act(market.consumer, no, "close")

    # then it is closed, and every step is one chained event
    assert (body["status"], body["closed_at"]) == ("closed", iso(T0 + dt.timedelta(hours=4)))
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.status, stored.is_open, stored.version, stored.event_seq) == (
        "closed",
        False,
        7,
        7,
    )
    assert [
        (actor, action, data.get("from"), data.get("to")) for actor, action, data in events(no)
    ] == [
        (market.consumer.user.username, "create", None, "open"),
        (market.merchant.user.username, "reply", "open", "in_progress"),
        (carrier_staff.user.username, "request_info", "in_progress", "waiting"),
        (market.merchant.user.username, "reply", "waiting", None),
        (market.consumer.user.username, "reply", "waiting", "in_progress"),
        (market.merchant.user.username, "resolve", "in_progress", "resolved"),
        (market.consumer.user.username, "close", "resolved", "closed"),
    ]
    assert pending(no) == []
    assert TicketMessage.objects.filter(ticket=stored).count() == 4


def test_each_party_completes_its_own_task(market, travel):
    # given a logistics ticket: one task for the shop, one for the carrier, due with the first
    # response (P3: 12 h)
    ticket, carrier_staff = logistics(market)
    no = ticket["ticket_no"]
    tasks = {t.party: t for t in TicketTask.objects.filter(ticket__ticket_no=no)}
    assert sorted(tasks) == ["carrier", "shop"]
    assert all(t.due_at == T0 + dt.timedelta(hours=12) for t in tasks.values())

    # the carrier cannot complete the shop's task
    status, error = refused(
        carrier_staff, no, "complete_task", {"task_id": tasks["shop"].id, "body": "已处理"}
    )
    assert (status, error["error"]["code"], error["error"]["field"]) == (
        404,
        "not_found",
        "task_id",
    )

    # when the carrier completes its own
    travel.by(hours=2)
    body = act(
        carrier_staff, no, "complete_task", {"task_id": tasks["carrier"].id, "body": "包裹在杭州"}
    )

    # then its task is done, the shop's is not
    assert body["tasks"] == [
        {
            "id": tasks["carrier"].id,
            "party": "carrier",
            "description": "Locate the parcel and report its state",
            "due_at": iso(T0 + dt.timedelta(hours=12)),
            "done_at": iso(T0 + dt.timedelta(hours=2)),
        }
    ]
    tasks["shop"].refresh_from_db()
    assert tasks["shop"].done_at is None
    message = TicketMessage.objects.get(ticket__ticket_no=no)
    assert (message.party, message.body) == ("carrier", "包裹在杭州")
    assert events(no)[-1] == (
        carrier_staff.user.username,
        "complete_task",
        {
            "from": "open",
            "to": "in_progress",
            "party": "carrier",
            "task_id": tasks["carrier"].id,
            "message_id": message.id,
            "internal": False,
            "first_response": True,
        },
    )
    # a second time is a conflict
    status, error = refused(
        carrier_staff, no, "complete_task", {"task_id": tasks["carrier"].id, "body": "再报一次"}
    )
    assert (status, error["error"]["code"]) == (409, "task_done")
    assert [a for _actor, a, _d in events(no)] == ["create", "complete_task"]


def test_completing_a_task_with_a_message_answers_like_a_reply(market, travel):
    # given a logistics ticket the carrier put to the shop (waiting on the shop)
    ticket, carrier_staff = logistics(market)
    no = ticket["ticket_no"]
    act(carrier_staff, no, "request_info", {"from_party": "shop", "body": "请提供发货底单"})
    shop_task = TicketTask.objects.get(ticket__ticket_no=no, party="shop")

    # when the shop completes its task with a message
    body = act(
        market.merchant, no, "complete_task", {"task_id": shop_task.id, "body": "底单已上传"}
    )

    # then the message is posted and, like any reply by the awaited party, work resumes
    assert [m["body"] for m in body["messages"]] == ["请提供发货底单", "底单已上传"]
    assert (body["status"], body["waiting_on"]) == ("in_progress", None)
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.status, stored.waiting_on) == ("in_progress", "")


def test_a_party_may_escalate_once_to_the_platform(market, travel):
    # given a logistics ticket with the shop
    ticket, _carrier_staff = logistics(market)
    no = ticket["ticket_no"]

    # when the shop escalates it
    body = act(market.merchant, no, "escalate", {"reason": "快递不配合"})

    # then the platform's least busy available agent has it; the shop still sees it
    assert (body["escalated"], body["team"], body["assignee"], body["status"]) == (
        True,
        "platform",
        market.agent.user.username,
        "open",
    )
    assert events(no)[-1] == (
        market.merchant.user.username,
        "escalate",
        {
            "from": "open",
            "party": "shop",
            "reason": "快递不配合",
            "team": "platform",
            "assignee": market.agent.user.username,
        },
    )
    assert "escalate" not in body["allowed_actions"]
    # a second escalation is refused
    status, error = refused(market.merchant, no, "escalate", {})
    assert (status, error["error"]["code"]) == (409, "guard_failed")
    # the consumer may not escalate, nor may anyone fire the system's SLA actions
    assert refused(market.consumer, no, "escalate")[0] == 403
    for action in ("sla_breach", "sla_warning"):
        status, error = refused(market.agent, no, action)
        assert (status, error["error"]["code"]) == (403, "forbidden_party")
    assert [a for _actor, a, _d in events(no)] == ["create", "escalate"]


def test_actions_in_the_wrong_status_are_409_and_change_nothing(market, travel):
    ticket, _carrier_staff = logistics(market)
    no = ticket["ticket_no"]

    status, error = refused(market.consumer, no, "close")
    assert (status, error) == (
        409,
        {
            "error": {
                "code": "wrong_status",
                "message": "Action close is not possible while the ticket is open.",
                "field": None,
            }
        },
    )
    act(market.merchant, no, "resolve", {"resolution": "已补发"})
    for caller, action, body in (
        (market.merchant, "resolve", {"resolution": "再次处理"}),
        (market.merchant, "reply", {"body": "补充说明"}),
        (market.consumer, "reply", {"body": "还有问题"}),
        (market.agent, "assign", {"assignee": market.merchant.user.username}),
    ):
        status, error = refused(caller, no, action, body)
        assert (status, error["error"]["code"]) == (409, "wrong_status")
    assert Ticket.objects.get(ticket_no=no).version == 2
    assert [a for _actor, a, _d in events(no)] == ["create", "resolve"]


def test_request_info_must_name_another_party_of_the_ticket(market, travel):
    order = market.order()
    ticket = open_ticket(market.consumer, type="quality", subtype="faulty", order_sn=order.order_sn)
    no = ticket["ticket_no"]
    for from_party in ("shop", "carrier", "nobody"):
        status, error = refused(
            market.merchant, no, "request_info", {"from_party": from_party, "body": "?"}
        )
        assert (status, error["error"]) == (
            400,
            {
                "code": "bad_request",
                "message": "from_party must be another party of this ticket.",
                "field": "from_party",
            },
        )
    assert TicketMessage.objects.count() == 0
    assert Ticket.objects.get(ticket_no=no).status == "open"


# --- a quality ticket becomes a case ----------------------------------------------------------


@pytest.mark.parametrize(
    ("subtype", "case_type", "reason"),
    [
        ("faulty", "repair", "faulty"),
        ("damaged", "return_refund", "damaged"),
        ("counterfeit", "return_refund", "quality"),
        ("not_as_described", "exchange", "not_as_described"),
    ],
)
def test_a_quality_ticket_becomes_a_case_in_one_action(market, travel, subtype, case_type, reason):
    # given a quality ticket on the consumer's phone order
    order = market.order()
    ticket = open_ticket(
        market.consumer,
        type="quality",
        subtype=subtype,
        order_sn=order.order_sn,
        description="开机后屏幕闪烁",
    )
    no = ticket["ticket_no"]
    assert "convert" in market.merchant.get(f"/tickets/{no}").json()["allowed_actions"]

    # when the shop converts it
    travel.by(hours=1)
    body = act(market.merchant, no, "convert", {"case_type": case_type})

    # then the consumer has a case of that type with the mapped reason, linked to the ticket,
    # and the ticket is resolved by it
    case = Case.objects.get()
    assert (case.order_id, case.consumer_id, case.shop_id, case.type, case.reason) == (
        order.id,
        market.consumer.user.id,
        market.shop.id,
        case_type,
        reason,
    )
    assert (case.status, case.amount_fen, case.created_at) == (
        "awaiting_merchant",
        20_000,
        T0 + dt.timedelta(hours=1),
    )
    assert case.description == f"From ticket {no}: 开机后屏幕闪烁"
    resolution = f"Converted to case {case.case_no}"
    assert (body["status"], body["case_no"], body["resolution"]) == (
        "resolved",
        case.case_no,
        resolution,
    )
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.case_id, stored.status, stored.is_open, stored.resolved_at) == (
        case.id,
        "resolved",
        False,
        T0 + dt.timedelta(hours=1),
    )
    assert events(no)[-1] == (
        market.merchant.user.username,
        "convert",
        {
            "from": "open",
            "party": "shop",
            "case_no": case.case_no,
            "resolution": resolution,
            "to": "resolved",
        },
    )
    assert pending(no) == ["auto_close"]
    # the consumer sees the case as their own
    mine = market.consumer.get(f"/cases/{case.case_no}")
    assert mine.status_code == 200, mine.content
    assert (mine.json()["type"], mine.json()["reason"]) == (case_type, reason)
    assert market.consumer.get(f"/tickets/{no}").json()["case_no"] == case.case_no


def _quality_ticket(market: Any, **order: Any) -> str:
    o = market.order(**order)
    return open_ticket(market.consumer, type="quality", subtype="faulty", order_sn=o.order_sn)[
        "ticket_no"
    ]


def _unchanged(no: str) -> None:
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.status, stored.version, stored.case_id, stored.resolved_at) == (
        "open",
        1,
        None,
        None,
    )
    assert [a for _actor, a, _d in events(no)] == ["create"]
    assert pending(no) == [
        "first_response_breach",
        "first_response_warning",
        "resolution_breach",
        "resolution_warning",
    ]


def test_an_ineligible_conversion_is_422_and_leaves_the_ticket_as_it_was(market, travel):
    # given a quality ticket on clothing (not a repair category)
    no = _quality_ticket(market, category_name="服装")

    # when the shop tries to turn it into a repair
    response = market.merchant.post(f"/tickets/{no}/actions/convert", {"case_type": "repair"})

    # then the case rule refuses it, and nothing happened
    assert response.status_code == 422, response.content
    assert response.json() == {
        "error": {
            "code": "not_eligible",
            "message": "Repair applies only to the categories listed in rule 1.2.",
            "field": "type",
            "rule": "1.2",
        }
    }
    assert Case.objects.count() == 0
    _unchanged(no)


def test_an_exchange_after_fifteen_days_is_422(market, travel):
    no = _quality_ticket(
        market,
        received_at=T0 - dt.timedelta(days=20),
        shipped_at=T0 - dt.timedelta(days=22),
        paid_at=T0 - dt.timedelta(days=23),
    )
    response = market.agent.post(f"/tickets/{no}/actions/convert", {"case_type": "exchange"})
    assert response.status_code == 422, response.content
    assert (response.json()["error"]["code"], response.json()["error"]["rule"]) == (
        "not_eligible",
        "exchange ⚙ 15 days",
    )
    assert Case.objects.count() == 0
    _unchanged(no)


def test_a_conversion_while_a_case_of_that_type_is_open_is_409(market, travel):
    order = market.order()
    existing = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "repair", "reason": "faulty"}
    )
    assert existing.status_code == 201, existing.content
    ticket = open_ticket(market.consumer, type="quality", subtype="faulty", order_sn=order.order_sn)
    no = ticket["ticket_no"]

    response = market.merchant.post(f"/tickets/{no}/actions/convert", {"case_type": "repair"})

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "duplicate_case"
    assert Case.objects.count() == 1
    _unchanged(no)


def test_who_may_convert_what(market, travel):
    no = _quality_ticket(market)
    # the consumer files cases themselves; a carrier is not a party of a quality ticket
    status, error = refused(market.consumer, no, "convert", {"case_type": "repair"})
    assert (status, error["error"]["code"]) == (403, "forbidden_party")
    # only return, exchange or repair
    status, error = refused(market.merchant, no, "convert", {"case_type": "refund_only"})
    assert (status, error["error"]) == (
        400,
        {
            "code": "bad_request",
            "message": "case_type must be one of: return_refund, exchange, repair.",
            "field": "case_type",
        },
    )
    _unchanged(no)
    # a logistics ticket does not become a case
    ticket, carrier_staff = logistics(market)
    status, error = refused(
        market.merchant, ticket["ticket_no"], "convert", {"case_type": "repair"}
    )
    assert (status, error["error"]["code"]) == (409, "wrong_type")
    assert (
        "convert"
        not in market.merchant.get(f"/tickets/{ticket['ticket_no']}").json()["allowed_actions"]
    )
    assert refused(carrier_staff, ticket["ticket_no"], "convert", {"case_type": "repair"})[0] == 403
    # a quality ticket without an order (opened by an agent for a shop) cannot
    orderless = open_ticket(
        market.agent, type="quality", subtype="counterfeit", shop=market.shop.code
    )
    status, error = refused(
        market.agent, orderless["ticket_no"], "convert", {"case_type": "return_refund"}
    )
    assert (status, error["error"]["code"], error["error"]["field"]) == (
        422,
        "no_order",
        "case_type",
    )
    assert Case.objects.count() == 0
