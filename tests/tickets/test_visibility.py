"""Several parties on one ticket (issue 4): each sees its own tickets and tasks, a carrier
never sees another carrier's tickets nor any after-sales case, internal notes stay among the
staff. "Not yours" is the same 404 as "does not exist" (CONVENTIONS 7)."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.cases.models import Case
from aftersales.core.models import Event, Role
from aftersales.tickets.models import Ticket, TicketMessage
from tests.conftest import make_caller
from tests.factories import CarrierFactory


def open_ticket(caller: Any, **body: Any) -> dict[str, Any]:
    response = caller.post("/tickets", {"title": "包裹丢了", **body})
    assert response.status_code == 201, response.content
    return response.json()


def act(caller: Any, ticket_no: str, action: str, body: Any = None) -> dict[str, Any]:
    response = caller.post(f"/tickets/{ticket_no}/actions/{action}", body or {})
    assert response.status_code == 200, (action, response.content)
    return response.json()


def view(caller: Any, ticket_no: str) -> dict[str, Any]:
    response = caller.get(f"/tickets/{ticket_no}")
    assert response.status_code == 200, response.content
    return response.json()


def listed(caller: Any) -> list[str]:
    response = caller.get("/tickets")
    assert response.status_code == 200, response.content
    return [t["ticket_no"] for t in response.json()["items"]]


def assert_ticket_not_found(response: Any, ticket_no: str) -> None:
    assert response.status_code == 404, response.content
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": f"Ticket {ticket_no} not found.",
            "field": "ticket_no",
        }
    }


@pytest.fixture
def parties(market):
    """A logistics ticket of the market's consumer on a parcel of carrier sf, another carrier
    (yto) with a ticket of its own, and staff of both carriers."""
    sf_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    yto = CarrierFactory(code="yto", name="圆通速递")
    yto_staff = make_caller(Role.CARRIER, carrier=yto)
    order = market.order(carrier=market.carrier)
    sf_ticket = open_ticket(
        market.consumer, type="logistics", subtype="lost", order_sn=order.order_sn
    )
    yto_order = market.order(carrier=yto, consumer=market.other_consumer.user)
    yto_ticket = open_ticket(
        market.other_consumer, type="logistics", subtype="delayed", order_sn=yto_order.order_sn
    )

    class Parties:
        pass

    p = Parties()
    p.sf, p.yto, p.order = sf_staff, yto_staff, order
    p.sf_no, p.yto_no = sf_ticket["ticket_no"], yto_ticket["ticket_no"]
    return p


# --- carriers ---------------------------------------------------------------------------------


def test_a_carrier_sees_only_its_own_tickets(market, travel, parties):
    # each carrier lists and reads only the tickets on its parcels
    assert listed(parties.sf) == [parties.sf_no]
    assert listed(parties.yto) == [parties.yto_no]
    assert view(parties.sf, parties.sf_no)["carrier"] == "sf"

    # another carrier's ticket does not exist for it: reading or acting is the same 404
    assert_ticket_not_found(parties.yto.get(f"/tickets/{parties.sf_no}"), parties.sf_no)
    for action, body in (
        ("reply", {"body": "我们来处理"}),
        ("resolve", {"resolution": "已派送"}),
        ("escalate", {}),
        ("assign", {"assignee": parties.yto.user.username}),
    ):
        response = parties.yto.post(f"/tickets/{parties.sf_no}/actions/{action}", body)
        assert_ticket_not_found(response, parties.sf_no)
    assert_ticket_not_found(parties.yto.get("/tickets/TK2612019999999999"), "TK2612019999999999")

    # and nothing happened to it
    stored = Ticket.objects.get(ticket_no=parties.sf_no)
    assert (stored.version, stored.status, stored.escalated) == (1, "open", False)
    assert TicketMessage.objects.count() == 0
    assert Event.objects.filter(subject_key=parties.sf_no).count() == 1


def test_a_ticket_opened_by_an_agent_for_a_carrier_is_that_carriers_only(market, travel, parties):
    ticket = open_ticket(
        market.agent,
        type="logistics",
        subtype="no_tracking_update",
        shop=market.shop.code,
        carrier="yto",
        region="浙江",
    )
    assert listed(parties.yto) == [ticket["ticket_no"], parties.yto_no]
    assert listed(parties.sf) == [parties.sf_no]
    assert listed(market.merchant) == [ticket["ticket_no"], parties.yto_no, parties.sf_no]
    assert listed(market.other_merchant) == []


def test_a_carrier_never_sees_an_after_sales_case(market, travel, parties):
    # given a case the consumer filed on the very order the carrier's ticket is about
    response = market.consumer.post(
        "/cases",
        {"order_sn": parties.order.order_sn, "type": "refund_only", "reason": "not_received"},
    )
    assert response.status_code == 201, response.content
    case_no = response.json()["case_no"]

    # then for the carrier no case exists
    page = parties.sf.get("/cases")
    assert page.status_code == 200, page.content
    assert page.json() == {"items": [], "next_cursor": None}
    for response in (
        parties.sf.get(f"/cases/{case_no}"),
        parties.sf.post(f"/cases/{case_no}/actions/agree", {}),
    ):
        assert response.status_code == 404, response.content
        assert response.json() == {
            "error": {
                "code": "not_found",
                "message": f"Case {case_no} not found.",
                "field": "case_no",
            }
        }
    assert Case.objects.get(case_no=case_no).version == 1
    # while the carrier's own ticket names no case
    assert view(parties.sf, parties.sf_no)["case_no"] is None


# --- shops and consumers ----------------------------------------------------------------------


def test_a_shop_never_sees_another_shops_ticket(market, travel, parties):
    no = parties.sf_no
    assert listed(market.merchant) == [parties.yto_no, no]  # both orders are of market.shop
    theirs_order = market.order(shop=market.other_shop)
    theirs = open_ticket(
        market.consumer, type="quality", subtype="damaged", order_sn=theirs_order.order_sn
    )["ticket_no"]

    assert listed(market.other_merchant) == [theirs]
    assert_ticket_not_found(market.other_merchant.get(f"/tickets/{no}"), no)
    assert_ticket_not_found(
        market.other_merchant.post(f"/tickets/{no}/actions/reply", {"body": "我们处理"}), no
    )
    assert_ticket_not_found(market.merchant.get(f"/tickets/{theirs}"), theirs)
    assert_ticket_not_found(
        market.merchant.post(f"/tickets/{theirs}/actions/convert", {"case_type": "repair"}), theirs
    )
    assert Case.objects.count() == 0
    assert TicketMessage.objects.count() == 0


def test_a_consumer_sees_only_their_own_tickets(market, travel, parties):
    assert listed(market.consumer) == [parties.sf_no]
    assert listed(market.other_consumer) == [parties.yto_no]
    assert_ticket_not_found(market.other_consumer.get(f"/tickets/{parties.sf_no}"), parties.sf_no)
    assert_ticket_not_found(
        market.other_consumer.post(f"/tickets/{parties.sf_no}/actions/reply", {"body": "?"}),
        parties.sf_no,
    )
    # the platform sees everything
    assert listed(market.agent) == [parties.yto_no, parties.sf_no]
    assert listed(market.admin) == [parties.yto_no, parties.sf_no]


# --- what each party sees inside one ticket ---------------------------------------------------


def test_each_party_sees_only_its_own_tasks_and_the_consumer_no_deadlines(market, travel, parties):
    no = parties.sf_no
    shop_view = view(market.merchant, no)
    carrier_view = view(parties.sf, no)
    consumer_view = view(market.consumer, no)
    platform_view = view(market.agent, no)

    assert [t["party"] for t in shop_view["tasks"]] == ["shop"]
    assert [t["party"] for t in carrier_view["tasks"]] == ["carrier"]
    assert consumer_view["tasks"] == []
    assert [t["party"] for t in platform_view["tasks"]] == ["shop", "carrier"]
    assert [t["description"] for t in carrier_view["tasks"]] == [
        "Locate the parcel and report its state"
    ]
    # the staff see the SLA; the consumer does not
    names = ["first_response_warning", "first_response_breach"]
    names += ["resolution_warning", "resolution_breach"]
    for staff_view in (shop_view, carrier_view, platform_view):
        assert [d["name"] for d in staff_view["deadlines"]] == names
    assert consumer_view["deadlines"] == []


def test_internal_notes_are_hidden_from_the_consumer_messages_and_events(market, travel, parties):
    no = parties.sf_no
    # given an internal note by the carrier, then a public reply by the shop, and the
    # consumer's own message
    act(parties.sf, no, "reply", {"body": "包裹在转运中心破损，内部核实中", "internal": True})
    travel.by(minutes=5)
    act(market.merchant, no, "reply", {"body": "已为您联系快递，请稍候"})
    travel.by(minutes=5)
    act(market.consumer, no, "reply", {"body": "好的，谢谢"})
    internal, public, consumers = TicketMessage.objects.order_by("id")
    assert internal.visible_to == ["platform", "shop", "carrier"]
    assert public.visible_to == consumers.visible_to == ["platform", "consumer", "shop", "carrier"]

    # then the consumer reads neither the note nor the event that refers to it
    consumer_view = view(market.consumer, no)
    assert [(m["party"], m["body"], m["internal"]) for m in consumer_view["messages"]] == [
        ("shop", "已为您联系快递，请稍候", False),
        ("consumer", "好的，谢谢", False),
    ]
    assert [(e["seq"], e["action"]) for e in consumer_view["events"]] == [
        (1, "create"),
        (3, "reply"),
        (4, "reply"),
    ]
    assert internal.id not in {e["data"].get("message_id") for e in consumer_view["events"]}
    # every staff party reads all three, the note marked internal
    for staff in (market.merchant, parties.sf, market.agent):
        staff_view = view(staff, no)
        assert [(m["party"], m["internal"]) for m in staff_view["messages"]] == [
            ("carrier", True),
            ("shop", False),
            ("consumer", False),
        ]
        assert [e["seq"] for e in staff_view["events"]] == [1, 2, 3, 4]
    assert Event.objects.get(subject_key=no, seq=2).data == {
        "from": "open",
        "party": "carrier",
        "message_id": internal.id,
        "internal": True,
        "first_response": True,
        "to": "in_progress",
    }


def test_consumers_cannot_post_internal_notes(market, travel, parties):
    no = parties.sf_no

    response = market.consumer.post(
        f"/tickets/{no}/actions/reply", {"body": "只给商家看", "internal": True}
    )

    assert response.status_code == 400, response.content
    assert response.json() == {
        "error": {
            "code": "bad_request",
            "message": "Consumers cannot post internal notes.",
            "field": "internal",
        }
    }
    assert TicketMessage.objects.count() == 0
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.version, stored.event_seq) == (1, 1)
    # a plain message is fine
    body = act(market.consumer, no, "reply", {"body": "请尽快", "internal": False})
    assert [(m["body"], m["internal"]) for m in body["messages"]] == [("请尽快", False)]


def test_staff_without_a_shop_or_carrier_see_nothing(market, travel, parties):
    loose_merchant = make_caller(Role.MERCHANT)
    loose_carrier = make_caller(Role.CARRIER)
    for caller in (loose_merchant, loose_carrier):
        assert listed(caller) == []
        assert_ticket_not_found(caller.get(f"/tickets/{parties.sf_no}"), parties.sf_no)
