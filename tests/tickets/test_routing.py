"""Routing and priority (issue 4, "Routing and priority"): rules as data on type, category,
amount, shop, region and consumer history; priority raised for large amounts, severe complaints
and repeat contacts; assignment by least open work among available staff; manual
reassignment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.core.models import Event, Role
from aftersales.tickets import routing
from aftersales.tickets.models import RoutingRule, Ticket, TicketTask
from tests.conftest import make_caller
from tests.factories import T0, CarrierFactory

LOGISTICS = "logistics to the shop and carrier"
QUALITY = "quality to the shop"
COUNTERFEIT = "counterfeit is serious"
HARASSMENT = "harassment to the platform at once"
COMPLAINTS = "complaints to the platform"
INQUIRIES = "inquiries to the shop"
LARGE = "large amount"
REPEAT = "repeat contact"


def open_ticket(caller: Any, **body: Any) -> dict[str, Any]:
    response = caller.post("/tickets", {"title": "售后问题", **body})
    assert response.status_code == 201, response.content
    return response.json()


def act(caller: Any, ticket_no: str, action: str, body: Any = None) -> dict[str, Any]:
    response = caller.post(f"/tickets/{ticket_no}/actions/{action}", body or {})
    assert response.status_code == 200, (action, response.content)
    return response.json()


def routed(ticket: dict[str, Any]) -> tuple[str, int, list[str], str | None]:
    """(team, priority, the rules that matched, assignee), checked against the stored row and
    the create event."""
    stored = Ticket.objects.select_related("assignee").get(ticket_no=ticket["ticket_no"])
    event = Event.objects.get(subject_kind="ticket", subject_key=stored.ticket_no, seq=1)
    rules = event.data["routing"]
    assert stored.routing_rule == ", ".join(rules)[:80]  # the column keeps 80 characters
    assignee = stored.assignee.username if stored.assignee else None
    assert (stored.team, stored.priority, assignee) == (
        ticket["team"],
        ticket["priority"],
        ticket["assignee"],
    )
    assert (event.data["team"], event.data["priority"], event.data["assignee"]) == (
        stored.team,
        stored.priority,
        assignee,
    )
    return stored.team, stored.priority, rules, assignee


def consumer_ticket(market: Any, type: str, subtype: str, **order: Any) -> dict[str, Any]:
    order_row = market.order(carrier=market.carrier, **order)
    return open_ticket(market.consumer, type=type, subtype=subtype, order_sn=order_row.order_sn)


# --- the default rules ------------------------------------------------------------------------


def test_a_logistics_ticket_goes_to_the_shop_with_a_task_for_the_carrier(market, travel):
    ticket = consumer_ticket(market, "logistics", "signed_not_received")

    assert routed(ticket) == ("shop", 3, [LOGISTICS], market.merchant.user.username)
    assert (ticket["shop"], ticket["carrier"]) == (market.shop.code, market.carrier.code)
    assert sorted(
        TicketTask.objects.filter(ticket__ticket_no=ticket["ticket_no"]).values_list(
            "party", flat=True
        )
    ) == ["carrier", "shop"]


@pytest.mark.parametrize(
    ("type", "subtype", "team", "priority", "rules"),
    [
        ("quality", "faulty", "shop", 3, [QUALITY]),
        # a counterfeit is P2: its rule must come before "quality to the shop" (P3)
        ("quality", "counterfeit", "shop", 2, [COUNTERFEIT, QUALITY]),
        ("complaint", "harassment", "platform", 1, [HARASSMENT, COMPLAINTS]),
        ("complaint", "service_attitude", "platform", 2, [COMPLAINTS]),
        ("complaint", "broken_promise", "platform", 2, [COMPLAINTS]),
        ("inquiry", "urge_shipment", "shop", 4, [INQUIRIES]),
    ],
)
def test_each_default_rule(market, travel, type, subtype, team, priority, rules):
    ticket = consumer_ticket(market, type, subtype)

    assignee = market.merchant if team == "shop" else market.agent
    assert routed(ticket) == (team, priority, rules, assignee.user.username)
    # only logistics tickets give the parties tasks
    assert TicketTask.objects.count() == 0


def test_an_inquiry_without_an_order_has_no_shop_and_falls_to_the_platform(market, travel):
    ticket = open_ticket(market.consumer, type="inquiry", subtype="other")

    assert routed(ticket) == ("platform", 4, [INQUIRIES], market.agent.user.username)
    assert (ticket["shop"], ticket["order_sn"]) == (None, None)


@pytest.mark.parametrize(
    ("type", "subtype", "amount_fen", "priority", "rules"),
    [
        ("logistics", "lost", 99_999, 3, [LOGISTICS]),
        ("logistics", "lost", 100_000, 2, [LOGISTICS, LARGE]),
        ("quality", "counterfeit", 100_000, 1, [COUNTERFEIT, QUALITY, LARGE]),
        ("inquiry", "invoice", 250_000, 3, [INQUIRIES, LARGE]),
        ("complaint", "harassment", 100_000, 1, [HARASSMENT, COMPLAINTS, LARGE]),
    ],
)
def test_a_large_amount_raises_the_priority_by_one(
    market, travel, type, subtype, amount_fen, priority, rules
):
    ticket = consumer_ticket(market, type, subtype, amount_fen=amount_fen)

    assert ticket["amount_fen"] == amount_fen
    assert routed(ticket)[1:3] == (priority, rules)


def test_the_amount_named_by_an_agent_counts_too(market, travel):
    ticket = open_ticket(
        market.agent,
        type="logistics",
        subtype="delayed",
        shop=market.shop.code,
        carrier=market.carrier.code,
        amount_fen=120_000,
    )
    assert routed(ticket) == ("shop", 2, [LOGISTICS, LARGE], market.merchant.user.username)


def test_repeat_contacts_within_30_days_raise_the_priority(market, travel):
    # given the consumer's tickets 30 days and 1 day ago, and another consumer's today
    travel.to(T0 - dt.timedelta(days=30))
    first = consumer_ticket(market, "inquiry", "invoice")
    travel.to(T0 - dt.timedelta(days=1))
    second = consumer_ticket(market, "inquiry", "invoice")
    travel.to(T0)
    theirs = market.order(consumer=market.other_consumer.user)
    other = open_ticket(
        market.other_consumer, type="complaint", subtype="broken_promise", order_sn=theirs.order_sn
    )

    # then the first two were not repeats (0 and 1 earlier contacts), the other consumer's
    # neither, and the third contact is raised one step (P4 inquiry -> P3)
    assert routed(first)[1:3] == (4, [INQUIRIES])
    assert routed(second)[1:3] == (4, [INQUIRIES])
    assert routed(other)[1:3] == (2, [COMPLAINTS])
    third = consumer_ticket(market, "inquiry", "invoice")
    assert routed(third)[1:3] == (3, [INQUIRIES, REPEAT])
    assert routing.recent_contacts(market.consumer.user.id, T0) == 3


def test_a_contact_older_than_30_days_is_not_a_repeat(market, travel):
    travel.to(T0 - dt.timedelta(days=30, microseconds=1))
    consumer_ticket(market, "inquiry", "invoice")
    travel.to(T0 - dt.timedelta(days=1))
    consumer_ticket(market, "inquiry", "invoice")
    travel.to(T0)

    ticket = consumer_ticket(market, "inquiry", "invoice")

    assert routed(ticket)[1:3] == (4, [INQUIRIES])


def test_raises_add_up_but_never_above_urgent(market, travel):
    # given two earlier contacts of the consumer
    travel.to(T0 - dt.timedelta(days=3))
    consumer_ticket(market, "inquiry", "invoice")
    consumer_ticket(market, "inquiry", "invoice")
    travel.to(T0)

    # a P2 complaint on a large order, repeated: raised twice, P2 -> P1 (not P0)
    complaint = consumer_ticket(market, "complaint", "service_attitude", amount_fen=100_000)
    assert routed(complaint)[1:3] == (1, [COMPLAINTS, LARGE, REPEAT])
    # a P1 harassment complaint stays P1
    harassment = consumer_ticket(market, "complaint", "harassment", amount_fen=100_000)
    assert routed(harassment)[1:3] == (1, [HARASSMENT, COMPLAINTS, LARGE, REPEAT])
    # a P4 inquiry raised twice is P2
    inquiry = consumer_ticket(market, "inquiry", "invoice", amount_fen=100_000)
    assert routed(inquiry)[1:3] == (2, [INQUIRIES, LARGE, REPEAT])


# --- rules as data ----------------------------------------------------------------------------


def test_a_rule_for_a_region_sends_its_logistics_tickets_to_the_platform(market, travel):
    RoutingRule.objects.create(
        name="remote regions first",
        position=5,
        ticket_type="logistics",
        region="新疆",
        team="platform",
        priority=2,
    )

    remote = consumer_ticket(market, "logistics", "delayed", region="新疆")
    near = consumer_ticket(market, "logistics", "delayed", region="上海")

    assert remote["region"] == "新疆"
    assert routed(remote) == (
        "platform",
        2,
        ["remote regions first", LOGISTICS],
        market.agent.user.username,
    )
    assert routed(near) == ("shop", 3, [LOGISTICS], market.merchant.user.username)
    # the shop and the carrier still have their tasks on the platform's ticket
    assert sorted(
        TicketTask.objects.filter(ticket__ticket_no=remote["ticket_no"]).values_list(
            "party", flat=True
        )
    ) == ["carrier", "shop"]


def test_a_rule_for_a_shop_code_raises_only_that_shops_tickets(market, travel):
    RoutingRule.objects.create(name="key account", shop_code=market.shop.code, raise_priority_by=1)

    ours = consumer_ticket(market, "quality", "faulty")
    theirs = consumer_ticket(market, "quality", "faulty", shop=market.other_shop)

    assert routed(ours) == ("shop", 2, [QUALITY, "key account"], market.merchant.user.username)
    assert routed(theirs) == ("shop", 3, [QUALITY], market.other_merchant.user.username)


def test_a_rule_for_a_category_sends_its_quality_tickets_to_the_platform(market, travel):
    RoutingRule.objects.create(
        name="appliances to the platform",
        position=15,
        ticket_type="quality",
        category="厨房电器",
        team="platform",
    )

    appliance = consumer_ticket(market, "quality", "damaged", category_name="厨房电器")
    phone = consumer_ticket(market, "quality", "damaged", category_name="手机")

    assert routed(appliance) == (
        "platform",
        3,
        ["appliances to the platform", QUALITY],
        market.agent.user.username,
    )
    assert routed(phone) == ("shop", 3, [QUALITY], market.merchant.user.username)


def test_a_rule_may_give_a_logistics_ticket_to_the_carrier(market, travel):
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    RoutingRule.objects.create(
        name="lost parcels to the carrier",
        position=5,
        ticket_type="logistics",
        subtype="lost",
        team="carrier",
    )

    ticket = consumer_ticket(market, "logistics", "lost")

    assert routed(ticket) == (
        "carrier",
        3,
        ["lost parcels to the carrier", LOGISTICS],
        carrier_staff.user.username,
    )


def test_inactive_rules_are_ignored(market, travel):
    RoutingRule.objects.create(
        name="paused experiment", position=1, ticket_type="quality", team="platform", priority=1
    )
    RoutingRule.objects.filter(name=LARGE).update(active=False)
    RoutingRule.objects.filter(name="paused experiment").update(active=False)

    ticket = consumer_ticket(market, "quality", "faulty", amount_fen=500_000)

    assert routed(ticket) == ("shop", 3, [QUALITY], market.merchant.user.username)


def test_route_applies_matching_rules_in_order():
    """Unit: the first rule naming a team or a priority sets it; raises add up; inactive rules
    and rules whose conditions fail do not count."""
    facts = routing.Facts(
        ticket_type="quality",
        subtype="damaged",
        categories=frozenset({"手机"}),
        amount_fen=150_000,
        shop_code="acme",
        region="浙江",
        recent_contacts=1,
    )
    rules = [
        RoutingRule(name="off", active=False, team="carrier", priority=1),
        RoutingRule(name="other region", region="新疆", team="carrier"),
        RoutingRule(name="phones", category="手机", team="shop"),
        RoutingRule(name="zhejiang", region="浙江", team="platform", priority=3),
        RoutingRule(name="big", min_amount_fen=150_000, raise_priority_by=1),
        RoutingRule(name="bigger", min_amount_fen=150_001, raise_priority_by=1),
        RoutingRule(name="twice", min_recent_contacts=2, raise_priority_by=1),
        RoutingRule(name="acme", shop_code="acme", raise_priority_by=5),
    ]
    assert routing.route(facts, rules, default_team="platform") == routing.Route(
        team="shop", priority=1, rules=("phones", "zhejiang", "big", "acme")
    )
    assert routing.route(facts, [], default_team="carrier") == routing.Route(
        team="carrier", priority=3, rules=()
    )


# --- assignment -------------------------------------------------------------------------------


def test_new_tickets_go_to_the_available_shop_staff_with_the_least_open_work(market, travel):
    # given a second merchant of the shop, off shift at first
    colleague = make_caller(Role.MERCHANT, shop=market.shop)
    colleague.user.available = False
    colleague.user.save()

    # while off shift, every ticket goes to the merchant on duty
    first = consumer_ticket(market, "quality", "faulty")
    second = consumer_ticket(market, "quality", "faulty")
    assert [routed(t)[3] for t in (first, second)] == [market.merchant.user.username] * 2

    # once available, the colleague (no open tickets) gets the next two, then they are even
    # and the lower id wins
    colleague.user.available = True
    colleague.user.save()
    assigned = [routed(consumer_ticket(market, "quality", "faulty"))[3] for _ in range(3)]
    assert assigned == [
        colleague.user.username,
        colleague.user.username,
        market.merchant.user.username,
    ]

    # resolved tickets are not open work: after resolving two, the merchant has 1 open to the
    # colleague's 2
    act(market.merchant, first["ticket_no"], "resolve", {"resolution": "已处理"})
    act(market.merchant, second["ticket_no"], "resolve", {"resolution": "已处理"})
    assert routed(consumer_ticket(market, "quality", "faulty"))[3] == (
        market.merchant.user.username
    )
    # another shop's staff never counts
    assert not Ticket.objects.filter(assignee=market.other_merchant.user).exists()


def test_unavailable_staff_never_get_tickets(market, travel):
    # given a colleague with no work but unavailable, and the merchant already busy
    colleague = make_caller(Role.MERCHANT, shop=market.shop)
    colleague.user.available = False
    colleague.user.save()

    tickets = [consumer_ticket(market, "quality", "faulty") for _ in range(3)]

    assert {routed(t)[3] for t in tickets} == {market.merchant.user.username}
    # when nobody of the shop is available, the ticket waits unassigned in the shop's queue
    market.merchant.user.available = False
    market.merchant.user.save()
    unassigned = consumer_ticket(market, "quality", "faulty")
    team, _priority, _rules, assignee = routed(unassigned)
    assert (team, assignee) == ("shop", None)
    assert not Ticket.objects.filter(assignee=colleague.user).exists()


def test_platform_tickets_go_to_the_least_busy_available_agent(market, travel):
    second_agent = make_caller(Role.AGENT)
    off_agent = make_caller(Role.AGENT)
    off_agent.user.available = False
    off_agent.user.save()

    assigned = [
        routed(consumer_ticket(market, "complaint", "service_attitude"))[3] for _ in range(3)
    ]

    assert assigned == [
        market.agent.user.username,
        second_agent.user.username,
        market.agent.user.username,
    ]


# --- manual reassignment ----------------------------------------------------------------------


def test_staff_reassign_within_their_party_and_agents_to_any_party(market, travel):
    colleague = make_caller(Role.MERCHANT, shop=market.shop)
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    ticket = consumer_ticket(market, "logistics", "lost")
    no = ticket["ticket_no"]
    assert ticket["assignee"] == market.merchant.user.username

    # the merchant hands it to a colleague
    body = act(market.merchant, no, "assign", {"assignee": colleague.user.username})
    assert (body["assignee"], body["team"], body["status"], body["version"]) == (
        colleague.user.username,
        "shop",
        "open",
        2,
    )
    # an agent gives it to the carrier's staff: the carrier's team has it now
    body = act(market.agent, no, "assign", {"assignee": carrier_staff.user.username})
    assert (body["assignee"], body["team"]) == (carrier_staff.user.username, "carrier")
    # and the carrier's staff hands it back... to an agent? no: to its own colleague only
    carrier_colleague = make_caller(Role.CARRIER, carrier=market.carrier)
    body = act(carrier_staff, no, "assign", {"assignee": carrier_colleague.user.username})
    assert (body["assignee"], body["team"]) == (carrier_colleague.user.username, "carrier")

    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.assignee_id, stored.team, stored.version) == (
        carrier_colleague.user.id,
        "carrier",
        4,
    )
    assert [
        (e.actor, e.data)
        for e in Event.objects.filter(subject_key=no, action="assign").order_by("seq")
    ] == [
        (
            market.merchant.user.username,
            {"from": "open", "party": "shop", "assignee": colleague.user.username, "team": "shop"},
        ),
        (
            market.agent.user.username,
            {
                "from": "open",
                "party": "platform",
                "assignee": carrier_staff.user.username,
                "team": "carrier",
            },
        ),
        (
            carrier_staff.user.username,
            {
                "from": "open",
                "party": "carrier",
                "assignee": carrier_colleague.user.username,
                "team": "carrier",
            },
        ),
    ]


def test_assigning_to_staff_outside_the_ticket_is_refused(market, travel):
    other_carrier_staff = make_caller(Role.CARRIER, carrier=CarrierFactory(code="yto"))
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    retired = make_caller(Role.MERCHANT, shop=market.shop)
    retired.user.is_active = False
    retired.user.save()
    ticket = consumer_ticket(market, "logistics", "lost")
    no = ticket["ticket_no"]

    cases = [
        (market.merchant, market.other_merchant.user.username),  # another shop
        (market.merchant, market.agent.user.username),  # a shop hands over only in the shop
        (market.merchant, carrier_staff.user.username),
        (market.agent, other_carrier_staff.user.username),  # another carrier
        (market.agent, market.consumer.user.username),  # not staff
        (market.agent, retired.user.username),  # deactivated
        (market.agent, "nobody"),
    ]
    for caller, assignee in cases:
        response = caller.post(f"/tickets/{no}/actions/assign", {"assignee": assignee})
        assert response.status_code == 422, (assignee, response.content)
        assert response.json() == {
            "error": {
                "code": "bad_assignee",
                "message": "The assignee must be staff of a party of this ticket.",
                "field": "assignee",
            }
        }
    # the carrier has a task on the shop's ticket but does not hand the ticket on (issue 8)
    response = carrier_staff.post(
        f"/tickets/{no}/actions/assign", {"assignee": market.merchant.user.username}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "not_owner")
    # the consumer may not assign; after resolution nobody may
    response = market.consumer.post(
        f"/tickets/{no}/actions/assign", {"assignee": market.merchant.user.username}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden_party")
    act(market.merchant, no, "resolve", {"resolution": "已补发"})
    response = market.agent.post(
        f"/tickets/{no}/actions/assign", {"assignee": market.merchant.user.username}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "wrong_status")

    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.assignee_id, stored.team, stored.version) == (
        market.merchant.user.id,
        "shop",
        2,
    )
    assert not Event.objects.filter(subject_key=no, action="assign").exists()


def test_staff_of_no_party_cannot_be_assigned_a_ticket_without_that_party(market, travel):
    # given a quality ticket (no carrier) and an agent-opened complaint without a shop
    loose_carrier = make_caller(Role.CARRIER)  # a carrier account not tied to any carrier
    loose_merchant = make_caller(Role.MERCHANT)  # a merchant account of no shop
    quality = consumer_ticket(market, "quality", "faulty")["ticket_no"]
    complaint = open_ticket(market.agent, type="complaint", subtype="service_attitude")["ticket_no"]

    # then neither may be assigned: they are staff of no party of the ticket
    for no, assignee in ((quality, loose_carrier), (complaint, loose_merchant)):
        response = market.agent.post(
            f"/tickets/{no}/actions/assign", {"assignee": assignee.user.username}
        )
        assert response.status_code == 422, response.content
        assert response.json()["error"]["code"] == "bad_assignee"
        assert Ticket.objects.get(ticket_no=no).assignee_id != assignee.user.id
