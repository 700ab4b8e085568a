"""Issue 8, "Tickets" 5 and 6: a consumer's ticket is tied to their own order where its type
needs one, its amount is capped to the order's, the platform's routing alone chooses the
parties; parties act on their own tasks, and only the ticket's owner resolves it."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.core.models import Event, Role
from aftersales.tickets.models import Ticket, TicketMessage, TicketTask
from tests.conftest import make_caller
from tests.factories import T0, CarrierFactory


def open_ticket(caller: Any, **body: Any) -> Any:
    return caller.post("/tickets", {"title": "有问题", **body})


def act(caller: Any, ticket_no: str, action: str, body: Any = None) -> Any:
    return caller.post(f"/tickets/{ticket_no}/actions/{action}", body or {})


def refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()["error"]


def nothing_opened() -> None:
    assert Ticket.objects.count() == 0
    assert TicketTask.objects.count() == 0
    assert not Event.objects.filter(subject_kind="ticket").exists()


# --- 5. the consumer's own order, its amount, the platform's parties ---------------------------


@pytest.mark.parametrize("ticket_type", ["logistics", "quality", "complaint"])
def test_a_consumer_ticket_of_a_type_about_an_order_needs_the_order(market, travel, ticket_type):
    subtype = {"logistics": "lost", "quality": "damaged", "complaint": "service_attitude"}
    # when the consumer opens it with no order
    response = open_ticket(market.consumer, type=ticket_type, subtype=subtype[ticket_type])
    # then it is refused, naming the order, and nothing is opened
    error = refused(response, 400)
    assert (error["code"], error["field"]) == ("order_needed", "order_sn")
    nothing_opened()
    # and naming any shop instead of an order does not help
    response = open_ticket(
        market.consumer, type=ticket_type, subtype=subtype[ticket_type], shop=market.shop.code
    )
    error = refused(response, 422)
    assert (error["code"], error["field"]) == ("party_chosen_by_platform", "shop")
    nothing_opened()


def test_a_complaint_on_another_consumers_order_is_the_same_404(market, travel):
    theirs = market.order(consumer=market.other_consumer.user)
    response = open_ticket(
        market.consumer, type="complaint", subtype="harassment", order_sn=theirs.order_sn
    )
    assert refused(response, 404) == {
        "code": "not_found",
        "message": f"Order {theirs.order_sn} not found.",
        "field": "order_sn",
    }
    nothing_opened()


def test_an_amount_over_the_orders_is_refused_and_does_not_raise_the_priority(market, travel):
    # given a 200-yuan order
    order = market.order()
    # when the consumer claims 9,999,999.99 yuan on a complaint
    response = open_ticket(
        market.consumer,
        type="complaint",
        subtype="service_attitude",
        order_sn=order.order_sn,
        amount_fen=999_999_999,
    )
    # then 422 names the amount and no ticket exists
    error = refused(response, 422)
    assert (error["code"], error["field"]) == ("amount_over_order", "amount_fen")
    nothing_opened()
    # and the order's own amount is accepted, at the complaint's normal priority
    response = open_ticket(
        market.consumer,
        type="complaint",
        subtype="service_attitude",
        order_sn=order.order_sn,
        amount_fen=20_000,
    )
    assert response.status_code == 201, response.content
    assert (response.json()["amount_fen"], response.json()["priority"]) == (20_000, 2)


def test_an_amount_needs_an_order_to_be_capped_by(market, travel):
    response = open_ticket(market.consumer, type="inquiry", subtype="other", amount_fen=100)
    error = refused(response, 422)
    assert (error["code"], error["field"]) == ("amount_without_order", "amount_fen")
    nothing_opened()


def test_an_inquiry_may_have_no_order(market, travel):
    response = open_ticket(market.consumer, type="inquiry", subtype="invoice")
    assert response.status_code == 201, response.content
    stored = Ticket.objects.get()
    assert (stored.order_id, stored.shop_id, stored.carrier_id) == (None, None, None)


def test_a_logistics_ticket_on_an_unshipped_order_is_refused_and_no_carrier_gets_a_task(
    market, travel
):
    # given an order paid but not shipped (no carrier yet)
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    order = market.order(shipped_at=None, received_at=None)
    # when the consumer opens a logistics ticket naming a carrier
    response = open_ticket(
        market.consumer,
        type="logistics",
        subtype="lost",
        order_sn=order.order_sn,
        carrier=market.carrier.code,
    )
    # then it is refused and the carrier sees nothing
    assert refused(response, 422)["field"] in ("carrier", "order_sn")
    nothing_opened()
    assert carrier_staff.get("/tickets").json()["items"] == []
    # and without naming a carrier: the order is not shipped, 422 naming the order
    response = open_ticket(
        market.consumer, type="logistics", subtype="lost", order_sn=order.order_sn
    )
    error = refused(response, 422)
    assert (error["code"], error["field"]) == ("not_shipped", "order_sn")
    nothing_opened()


def test_a_consumer_may_not_name_the_carrier_or_the_shop(market, travel):
    # given a shipped order carried by market.carrier, and another carrier with staff
    other = CarrierFactory(code="yto")
    other_staff = make_caller(Role.CARRIER, carrier=other)
    order = market.order(carrier=market.carrier)
    for field, value in (("carrier", other.code), ("shop", market.other_shop.code)):
        response = open_ticket(
            market.consumer,
            type="logistics",
            subtype="lost",
            order_sn=order.order_sn,
            **{field: value},
        )
        error = refused(response, 422)
        assert (error["code"], error["field"]) == ("party_chosen_by_platform", field)
    nothing_opened()
    assert other_staff.get("/tickets").json()["items"] == []
    # the order's carrier gets the task
    response = open_ticket(
        market.consumer, type="logistics", subtype="lost", order_sn=order.order_sn
    )
    assert response.json()["carrier"] == market.carrier.code
    assert list(TicketTask.objects.values_list("party", flat=True).order_by("party")) == [
        "carrier",
        "shop",
    ]


# --- 6. parties act on their own tasks; the owner resolves ----------------------------------


def logistics_ticket(market: Any) -> tuple[str, Any, TicketTask]:
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    order = market.order(carrier=market.carrier)
    response = open_ticket(
        market.consumer, type="logistics", subtype="lost", order_sn=order.order_sn
    )
    assert response.status_code == 201, response.content
    no = response.json()["ticket_no"]
    return no, carrier_staff, TicketTask.objects.get(ticket__ticket_no=no, party="carrier")


@pytest.mark.parametrize("body", [None, "", "好", "长" * 2001])
def test_a_task_is_completed_with_a_reply_of_2_to_2000_characters(market, travel, body):
    no, carrier_staff, task = logistics_ticket(market)
    fields: dict[str, Any] = {"task_id": task.id}
    if body is not None:
        fields["body"] = body
    error = refused(act(carrier_staff, no, "complete_task", fields), 400)
    assert error["field"] == "body"
    task.refresh_from_db()
    assert task.done_at is None
    assert not TicketMessage.objects.exists()
    assert list(Event.objects.filter(subject_key=no).values_list("action", flat=True)) == ["create"]
    # two characters are enough
    response = act(carrier_staff, no, "complete_task", {"task_id": task.id, "body": "已找"})
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.done_at == T0


def test_a_carrier_does_not_resolve_a_ticket_the_platform_owns(market, travel):
    # given a logistics ticket escalated to the platform
    no, carrier_staff, task = logistics_ticket(market)
    assert act(market.agent, no, "escalate", {"reason": "丢件"}).status_code == 200
    act(carrier_staff, no, "complete_task", {"task_id": task.id, "body": "包裹已找到"})
    stored = Ticket.objects.get(ticket_no=no)
    assert stored.team == "platform"
    version = stored.version
    # the carrier is not offered resolve, reassign or convert
    allowed = carrier_staff.get(f"/tickets/{no}").json()["allowed_actions"]
    assert not {"resolve", "assign", "convert"} & set(allowed)
    # when it tries to resolve, or to hand the ticket to itself
    assert (
        refused(act(carrier_staff, no, "resolve", {"resolution": "已签收"}), 403)["code"]
        == "not_owner"
    )
    colleague = make_caller(Role.CARRIER, carrier=market.carrier)
    assert (
        refused(act(carrier_staff, no, "assign", {"assignee": colleague.user.username}), 403)[
            "code"
        ]
        == "not_owner"
    )
    # then nothing changed
    stored.refresh_from_db()
    assert (stored.status, stored.version, stored.team, stored.resolved_at) == (
        "in_progress",
        version,
        "platform",
        None,
    )
    assert not Event.objects.filter(subject_key=no, action__in=("resolve", "assign")).exists()
    # and the platform, its owner, resolves it
    assert act(market.agent, no, "resolve", {"resolution": "已签收"}).status_code == 200


def test_the_shop_resolves_the_ticket_its_team_owns_but_not_the_carrier(market, travel):
    no, carrier_staff, _task = logistics_ticket(market)
    assert Ticket.objects.get(ticket_no=no).team == "shop"
    assert (
        refused(act(carrier_staff, no, "resolve", {"resolution": "已派送"}), 403)["code"]
        == "not_owner"
    )
    assert Ticket.objects.get(ticket_no=no).status == "open"
    response = act(market.merchant, no, "resolve", {"resolution": "已补发"})
    assert response.status_code == 200 and response.json()["status"] == "resolved"
