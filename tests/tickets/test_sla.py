"""Ticket SLA (issue 4, "SLA"): first-response and resolution targets per type and priority
as deadline rows of the one engine, a warning before the breach, escalation to the platform on
breach, paused while waiting on the consumer; closing and reopening (workflow.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.core.models import Event, Role
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.tickets.models import RoutingRule, SlaTarget, Ticket
from tests.conftest import make_caller
from tests.factories import SHANGHAI, T0

US = dt.timedelta(microseconds=1)
LOGISTICS_P3 = "SLA logistics P3"


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0):
    """An instant on the Shanghai wall clock in December 2026."""
    return dt.datetime(2026, month, day, hour, minute, second, us, tzinfo=SHANGHAI)


def end_of(month: int, day: int) -> dt.datetime:
    return at(month, day, 23, 59, 59, 999999)


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(SHANGHAI).isoformat()


def open_ticket(caller: Any, **body: Any) -> dict[str, Any]:
    response = caller.post("/tickets", {"title": "包裹三天没有物流更新", **body})
    assert response.status_code == 201, response.content
    return response.json()


def act(caller: Any, ticket_no: str, action: str, body: Any = None, **kw: Any) -> dict[str, Any]:
    response = caller.post(f"/tickets/{ticket_no}/actions/{action}", body or {}, **kw)
    assert response.status_code == 200, (action, response.content)
    return response.json()


def logistics_ticket(market: Any, **order: Any) -> dict[str, Any]:
    """The consumer opens a logistics ticket on an order shipped by the carrier: routed to the
    shop at P3 (default rules)."""
    order = market.order(carrier=market.carrier, **order)
    ticket = open_ticket(market.consumer, type="logistics", subtype="lost", order_sn=order.order_sn)
    assert (ticket["team"], ticket["priority"]) == ("shop", 3)
    return ticket


def rows(ticket_no: str) -> dict[str, tuple[str, dt.datetime]]:
    """The ticket's deadline rows: name -> (status, due_at) (names are unique per ticket here)."""
    ticket_id = Ticket.objects.get(ticket_no=ticket_no).id
    found = Deadline.objects.filter(subject_kind="ticket", subject_id=ticket_id).order_by("id")
    return {d.name: (d.status, d.due_at) for d in found}


def sla_deadline(name: str, due: dt.datetime, action: str, *, paused: bool = False, rule=None):
    return {
        "name": name,
        "due_at": iso(due),
        "default_action": action,
        "rule": rule or LOGISTICS_P3,
        "paused": paused,
    }


def events(ticket_no: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.actor, e.action, e.data)
        for e in Event.objects.filter(subject_kind="ticket", subject_key=ticket_no).order_by("seq")
    ]


def fire_at(travel: Any, instant: dt.datetime) -> int:
    travel.to(instant)
    return sweep().fired


def fires_after(travel: Any, due: dt.datetime) -> None:
    """Nothing fires a microsecond before `due`; one deadline fires once it has passed."""
    assert fire_at(travel, due - US) == 0
    assert fire_at(travel, due + US) == 1


# --- the targets ------------------------------------------------------------------------------

# The default targets (migration 0002): (first response h, resolution h, resolution days, warn).
DEFAULT_TARGETS = {
    ("logistics", 1): (2, 24, None, 60),
    ("logistics", 2): (4, 48, None, 120),
    ("logistics", 3): (12, None, 3, 120),
    ("logistics", 4): (24, None, 7, 120),
    ("quality", 1): (2, 24, None, 60),
    ("quality", 2): (4, 48, None, 120),
    ("quality", 3): (24, None, 3, 120),
    ("quality", 4): (48, None, 7, 120),
    ("complaint", 1): (1, 12, None, 60),
    ("complaint", 2): (4, 24, None, 120),
    ("complaint", 3): (12, None, 2, 120),
    ("complaint", 4): (24, None, 5, 120),
    ("inquiry", 1): (2, 12, None, 60),
    ("inquiry", 2): (4, 24, None, 120),
    ("inquiry", 3): (12, None, 2, 120),
    ("inquiry", 4): (24, None, 3, 120),
}
SUBTYPE = {"logistics": "delayed", "quality": "faulty", "complaint": "broken_promise"}
SUBTYPE["inquiry"] = "invoice"


def test_the_default_targets_are_one_row_per_type_and_priority(db):
    assert {
        (t.ticket_type, t.priority): (
            t.first_response_hours,
            t.resolution_hours,
            t.resolution_days,
            t.warn_before_minutes,
        )
        for t in SlaTarget.objects.all()
    } == DEFAULT_TARGETS


@pytest.mark.parametrize(("ticket_type", "priority"), sorted(DEFAULT_TARGETS))
def test_a_new_ticket_gets_the_deadlines_of_its_target_row(market, travel, ticket_type, priority):
    # given a rule that puts every ticket of the type at the priority
    RoutingRule.objects.create(
        name="forced", position=1, ticket_type=ticket_type, priority=priority
    )
    target = SlaTarget.objects.get(ticket_type=ticket_type, priority=priority)
    order = market.order(carrier=market.carrier)

    # when the consumer opens a ticket at T0 (2026-12-01 20:00 Shanghai)
    ticket = open_ticket(
        market.consumer, type=ticket_type, subtype=SUBTYPE[ticket_type], order_sn=order.order_sn
    )

    # then the first response is due N exact hours later, the resolution N exact hours or at
    # the end of the N-th natural day after today, each warned warn_before_minutes before
    assert ticket["priority"] == priority
    first = T0 + dt.timedelta(hours=target.first_response_hours)
    if target.resolution_hours is not None:
        resolve_by = T0 + dt.timedelta(hours=target.resolution_hours)
    else:
        resolve_by = end_of(12, 1 + target.resolution_days)
    warn = dt.timedelta(minutes=target.warn_before_minutes)
    rule = f"SLA {ticket_type} P{priority}"
    expected = {
        "first_response_warning": (first - warn, "sla_warning"),
        "first_response_breach": (first, "sla_breach"),
        "resolution_warning": (resolve_by - warn, "sla_warning"),
        "resolution_breach": (resolve_by, "sla_breach"),
    }
    assert market.agent.get(f"/tickets/{ticket['ticket_no']}").json()["deadlines"] == [
        sla_deadline(name, due, action, rule=rule)
        for name, (due, action) in sorted(expected.items(), key=lambda kv: kv[1][0])
    ]
    assert rows(ticket["ticket_no"]) == {
        name: (DeadlineStatus.PENDING, due) for name, (due, _action) in expected.items()
    }
    stored = Deadline.objects.filter(subject_kind="ticket").values_list(
        "in_status", "rule", "action"
    )
    assert sorted(stored) == sorted(("*", rule, action) for _due, action in expected.values())


def test_natural_day_resolution_ends_at_midnight_shanghai_not_utc(market, travel):
    # given a ticket opened at 23:30 and one at 00:10 the next day (16:10 UTC on the 1st)
    travel.to(at(12, 1, 23, 30))
    late = logistics_ticket(market)
    travel.to(at(12, 2, 0, 10))
    after_midnight = logistics_ticket(market)

    # then three natural days end at 24:00 Shanghai of the third day after the opening day
    assert rows(late["ticket_no"])["resolution_breach"] == (DeadlineStatus.PENDING, end_of(12, 4))
    assert rows(after_midnight["ticket_no"])["resolution_breach"] == (
        DeadlineStatus.PENDING,
        end_of(12, 5),
    )
    assert rows(after_midnight["ticket_no"])["resolution_warning"] == (
        DeadlineStatus.PENDING,
        at(12, 5, 21, 59, 59, 999999),
    )
    assert Deadline.objects.get(
        subject_id=Ticket.objects.get(ticket_no=after_midnight["ticket_no"]).id,
        name="resolution_breach",
    ).due_at == dt.datetime(2026, 12, 5, 15, 59, 59, 999999, tzinfo=dt.UTC)


# --- warning and breach -----------------------------------------------------------------------


def test_first_response_warning_then_breach_escalates_to_an_available_agent(market, travel):
    # given an off-shift agent and an available one, and a logistics ticket at T0 (P3: first
    # response within 12 h, warned 120 min before)
    market.agent.user.available = False
    market.agent.user.save()
    on_duty = make_caller(Role.AGENT)
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    assert ticket["assignee"] == market.merchant.user.username

    # when the warning falls due at 06:00 the next morning
    fires_after(travel, at(12, 2, 6))

    # then the warning is recorded by the system and nothing else changes
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.status, stored.escalated, stored.team, stored.version) == (
        "open",
        False,
        "shop",
        2,
    )
    assert stored.assignee_id == market.merchant.user.id
    assert events(no)[-1] == (
        "system",
        "sla_warning",
        {
            "from": "open",
            "party": "system",
            "warning": "first_response_warning",
            "rule": LOGISTICS_P3,
            "deadline": "first_response_warning",
        },
    )
    assert rows(no)["first_response_warning"] == (DeadlineStatus.FIRED, at(12, 2, 6))
    assert rows(no)["first_response_breach"] == (DeadlineStatus.PENDING, at(12, 2, 8))

    # when the target itself (08:00) passes without a staff reply
    fires_after(travel, at(12, 2, 8))

    # then the ticket is escalated to the platform's queue, to the available agent
    body = market.agent.get(f"/tickets/{no}").json()
    assert (body["escalated"], body["team"], body["assignee"], body["status"]) == (
        True,
        "platform",
        on_duty.user.username,
        "open",
    )
    assert body["version"] == 3
    assert "escalate" not in body["allowed_actions"]
    assert events(no)[-1] == (
        "system",
        "sla_breach",
        {
            "from": "open",
            "party": "system",
            "breach": "first_response_breach",
            "reason": "SLA breach",
            "team": "platform",
            "assignee": on_duty.user.username,
            "rule": LOGISTICS_P3,
            "deadline": "first_response_breach",
        },
    )
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.escalated, stored.team, stored.assignee_id) == (
        True,
        "platform",
        on_duty.user.id,
    )
    assert Deadline.objects.get(subject_id=stored.id, name="first_response_breach").fired_at == (
        at(12, 2, 8) + US
    )
    # the platform console lists it among the escalations; the shop no longer owns it
    escalated = market.agent.get("/tickets", escalated="true").json()["items"]
    assert [t["ticket_no"] for t in escalated] == [no]
    assert body["deadlines"] == [
        sla_deadline("resolution_warning", at(12, 4, 21, 59, 59, 999999), "sla_warning"),
        sla_deadline("resolution_breach", end_of(12, 4), "sla_breach"),
    ]


def test_a_later_breach_of_an_escalated_ticket_is_recorded_without_reassigning(market, travel):
    # given a ticket already escalated by its first-response breach
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    assert fire_at(travel, at(12, 2, 8) + US) == 2  # warning and breach
    assert Ticket.objects.get(ticket_no=no).assignee_id == market.agent.user.id
    second_agent = make_caller(Role.AGENT)
    act(market.agent, no, "assign", {"assignee": second_agent.user.username})

    # when the resolution warning and breach pass as well
    fires_after(travel, at(12, 4, 21, 59, 59, 999999))
    fires_after(travel, end_of(12, 4))

    # then both are recorded, and the ticket stays with the agent who holds it
    assert [(a, action) for a, action, _d in events(no)] == [
        (market.consumer.user.username, "create"),
        ("system", "sla_warning"),
        ("system", "sla_breach"),
        (market.agent.user.username, "assign"),
        ("system", "sla_warning"),
        ("system", "sla_breach"),
    ]
    assert events(no)[-1][2] == {
        "from": "open",
        "party": "system",
        "breach": "resolution_breach",
        "rule": LOGISTICS_P3,
        "deadline": "resolution_breach",
    }
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.assignee_id, stored.team, stored.escalated) == (
        second_agent.user.id,
        "platform",
        True,
    )
    assert all(status == DeadlineStatus.FIRED for status, _due in rows(no).values())


def test_a_first_staff_reply_cancels_the_first_response_deadlines(market, travel):
    # given a logistics ticket at T0; the consumer adds a message first (not a response)
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    travel.by(minutes=30)
    act(market.consumer, no, "reply", {"body": "请尽快处理"})
    assert Ticket.objects.get(ticket_no=no).first_response_at is None
    assert rows(no)["first_response_breach"] == (DeadlineStatus.PENDING, at(12, 2, 8))

    # when the carrier answers an hour after opening
    travel.to(at(12, 1, 21))
    body = act(carrier(market), no, "reply", {"body": "包裹在转运中心，明天派送"})

    # then the first response is recorded and its deadlines are cancelled
    assert body["first_response_at"] == iso(at(12, 1, 21))
    assert events(no)[-1][2]["first_response"] is True
    assert rows(no) == {
        "first_response_warning": (DeadlineStatus.CANCELLED, at(12, 2, 6)),
        "first_response_breach": (DeadlineStatus.CANCELLED, at(12, 2, 8)),
        "resolution_warning": (DeadlineStatus.PENDING, at(12, 4, 21, 59, 59, 999999)),
        "resolution_breach": (DeadlineStatus.PENDING, end_of(12, 4)),
    }
    assert [d["name"] for d in market.merchant.get(f"/tickets/{no}").json()["deadlines"]] == [
        "resolution_warning",
        "resolution_breach",
    ]
    # nothing fires when the first-response target passes, and the ticket is not escalated
    assert fire_at(travel, at(12, 2, 8) + US) == 0
    assert Ticket.objects.get(ticket_no=no).escalated is False
    # a second staff reply does not move the first response
    travel.by(hours=1)
    act(market.merchant, no, "reply", {"body": "已联系快递"})
    assert Ticket.objects.get(ticket_no=no).first_response_at == at(12, 1, 21)


def carrier(market: Any) -> Any:
    """A staff member of the market's carrier (made once per test)."""
    if not hasattr(market, "_carrier_staff"):
        market._carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    return market._carrier_staff


# --- pause while waiting on the consumer ------------------------------------------------------


def test_waiting_on_the_consumer_pauses_the_sla_and_the_reply_shifts_it(market, travel):
    # given a logistics ticket at T0 (resolution due 12-04 24:00, warned at 21:59:59.999999)
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]

    # when the shop asks the consumer for photos at 22:00
    travel.to(at(12, 1, 22))
    body = act(
        market.merchant, no, "request_info", {"from_party": "consumer", "body": "请提供面单照片"}
    )

    # then the ticket waits on the consumer and its SLA deadlines stand still
    assert (body["status"], body["waiting_on"]) == ("waiting", "consumer")
    assert rows(no) == {
        # asking is the first response
        "first_response_warning": (DeadlineStatus.CANCELLED, at(12, 2, 6)),
        "first_response_breach": (DeadlineStatus.CANCELLED, at(12, 2, 8)),
        "resolution_warning": (DeadlineStatus.PAUSED, at(12, 4, 21, 59, 59, 999999)),
        "resolution_breach": (DeadlineStatus.PAUSED, end_of(12, 4)),
    }
    assert body["deadlines"] == [
        sla_deadline(
            "resolution_warning", at(12, 4, 21, 59, 59, 999999), "sla_warning", paused=True
        ),
        sla_deadline("resolution_breach", end_of(12, 4), "sla_breach", paused=True),
    ]
    assert Ticket.objects.get(ticket_no=no).sla_paused_at == at(12, 1, 22)

    # when three days pass (beyond the original warning) and nothing fires
    assert fire_at(travel, at(12, 4, 22)) == 0
    # and the consumer answers
    body = act(market.consumer, no, "reply", {"body": "照片已上传"})

    # then work resumes and every deadline moved later by exactly the three paused days
    assert (body["status"], body["waiting_on"]) == ("in_progress", None)
    assert rows(no)["resolution_warning"] == (
        DeadlineStatus.PENDING,
        at(12, 7, 21, 59, 59, 999999),
    )
    assert rows(no)["resolution_breach"] == (DeadlineStatus.PENDING, end_of(12, 7))
    assert Ticket.objects.get(ticket_no=no).sla_paused_at is None
    assert [(a, action) for a, action, _d in events(no)] == [
        (market.consumer.user.username, "create"),
        (market.merchant.user.username, "request_info"),
        (market.consumer.user.username, "reply"),
    ]
    # and the shifted deadlines fire at their new instants
    fires_after(travel, at(12, 7, 21, 59, 59, 999999))
    fires_after(travel, end_of(12, 7))
    assert Ticket.objects.get(ticket_no=no).escalated is True


def test_waiting_on_the_carrier_does_not_pause_the_sla(market, travel):
    # given a logistics ticket at T0
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]

    # when the shop asks the carrier to trace the parcel
    travel.to(at(12, 1, 22))
    body = act(market.merchant, no, "request_info", {"from_party": "carrier", "body": "请查件"})

    # then the ticket waits on the carrier but the clock keeps running
    assert (body["status"], body["waiting_on"]) == ("waiting", "carrier")
    assert rows(no)["resolution_breach"] == (DeadlineStatus.PENDING, end_of(12, 4))
    assert Ticket.objects.get(ticket_no=no).sla_paused_at is None
    fires_after(travel, at(12, 4, 21, 59, 59, 999999))
    assert events(no)[-1][:2] == ("system", "sla_warning")

    # and the carrier's answer resumes work without moving any deadline
    travel.to(at(12, 4, 23))
    body = act(carrier(market), no, "reply", {"body": "包裹已找到，明日派送"})
    assert (body["status"], body["waiting_on"]) == ("in_progress", None)
    assert rows(no)["resolution_breach"] == (DeadlineStatus.PENDING, end_of(12, 4))


def test_asking_the_carrier_after_the_consumer_restarts_the_clock(market, travel):
    # given a ticket whose clock stopped while waiting on the consumer from 22:00
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    travel.to(at(12, 1, 22))
    act(market.merchant, no, "request_info", {"from_party": "consumer", "body": "请提供面单照片"})

    # when, a day later, the shop turns to the carrier instead: the ticket no longer waits on
    # the consumer
    travel.to(at(12, 2, 22))
    body = act(market.merchant, no, "request_info", {"from_party": "carrier", "body": "请查件"})

    # then the SLA runs again, shifted by the day it stood still
    assert (body["status"], body["waiting_on"]) == ("waiting", "carrier")
    assert rows(no)["resolution_breach"] == (DeadlineStatus.PENDING, end_of(12, 5))
    assert Ticket.objects.get(ticket_no=no).sla_paused_at is None


def test_resolving_stops_the_sla_also_while_paused(market, travel):
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    act(market.merchant, no, "request_info", {"from_party": "consumer", "body": "请提供面单照片"})

    travel.by(hours=2)
    act(market.merchant, no, "resolve", {"resolution": "已补发"})

    assert {name: status for name, (status, _due) in rows(no).items()} == {
        "first_response_warning": DeadlineStatus.CANCELLED,
        "first_response_breach": DeadlineStatus.CANCELLED,
        "resolution_warning": DeadlineStatus.CANCELLED,
        "resolution_breach": DeadlineStatus.CANCELLED,
        "auto_close": DeadlineStatus.PENDING,
    }
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.sla_paused_at, stored.waiting_on, stored.is_open) == (None, "", False)
    assert fire_at(travel, at(12, 6)) == 0


# --- closing and reopening --------------------------------------------------------------------


def test_a_resolved_ticket_closes_itself_seven_natural_days_later(market, travel):
    # given a ticket resolved at 21:00 on 12-01
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    travel.to(at(12, 1, 21))
    body = act(market.merchant, no, "resolve", {"resolution": "已补发"})
    assert body["resolved_at"] == iso(at(12, 1, 21))
    assert body["deadlines"] == [
        {
            "name": "auto_close",
            "due_at": iso(end_of(12, 8)),
            "default_action": "close",
            "rule": "ticket ⚙ auto close 7 days",
            "paused": False,
        }
    ]
    assert body["allowed_actions"] == []
    assert sorted(market.consumer.get(f"/tickets/{no}").json()["allowed_actions"]) == [
        "close",
        "reopen",
    ]

    # when the seventh day after the resolution ends
    fires_after(travel, end_of(12, 8))

    # then the system closes it
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.status, stored.is_open, stored.closed_at) == (
        "closed",
        False,
        end_of(12, 8) + US,
    )
    assert events(no)[-1] == (
        "system",
        "close",
        {
            "from": "resolved",
            "party": "system",
            "rule": "ticket ⚙ auto close 7 days",
            "deadline": "auto_close",
            "to": "closed",
        },
    )
    assert rows(no)["auto_close"] == (DeadlineStatus.FIRED, end_of(12, 8))
    # and the reopen window is over with it
    assert market.consumer.get(f"/tickets/{no}").json()["allowed_actions"] == []
    response = market.consumer.post(f"/tickets/{no}/actions/reopen", {"reason": "又丢了"})
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "guard_failed"
    assert Ticket.objects.get(ticket_no=no).status == "closed"


def test_reopen_is_possible_until_the_seventh_day_after_resolution_ends(market, travel):
    # given a ticket resolved at 21:00 on 12-01 and closed by the consumer the next day
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    travel.to(at(12, 1, 21))
    act(market.merchant, no, "resolve", {"resolution": "已补发"})
    travel.to(at(12, 2, 9))
    closed = act(market.consumer, no, "close")
    assert (closed["status"], closed["closed_at"]) == ("closed", iso(at(12, 2, 9)))
    assert rows(no)["auto_close"] == (DeadlineStatus.CANCELLED, end_of(12, 8))

    # when the consumer reopens it at the last instant of the window
    travel.to(end_of(12, 8))
    body = act(market.consumer, no, "reopen", {"reason": "补发的也没收到"})

    # then work resumes with fresh resolution deadlines (P3: three natural days)
    assert (body["status"], body["resolved_at"], body["closed_at"]) == ("in_progress", None, None)
    assert body["deadlines"] == []  # the consumer is not shown the SLA
    assert market.merchant.get(f"/tickets/{no}").json()["deadlines"] == [
        sla_deadline("resolution_warning", at(12, 11, 21, 59, 59, 999999), "sla_warning"),
        sla_deadline("resolution_breach", end_of(12, 11), "sla_breach"),
    ]
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.is_open, stored.resolved_at, stored.closed_at) == (True, None, None)
    assert events(no)[-1] == (
        market.consumer.user.username,
        "reopen",
        {"from": "closed", "party": "consumer", "reason": "补发的也没收到", "to": "in_progress"},
    )


def test_reopen_after_the_window_is_409_and_changes_nothing(market, travel):
    # given a ticket resolved at 21:00 on 12-01 (window: until 12-08 24:00)
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    travel.to(at(12, 1, 21))
    act(market.merchant, no, "resolve", {"resolution": "已补发"})

    # when the consumer tries one microsecond after the window (before any sweep)
    travel.to(end_of(12, 8) + US)
    response = market.consumer.post(f"/tickets/{no}/actions/reopen", {"reason": "还是没收到"})

    # then it is refused and the ticket is still resolved, its auto-close still pending
    assert response.status_code == 409, response.content
    assert response.json() == {
        "error": {
            "code": "guard_failed",
            "message": "Action reopen is not possible on this ticket now.",
            "field": None,
        }
    }
    stored = Ticket.objects.get(ticket_no=no)
    assert (stored.status, stored.version) == ("resolved", 2)
    assert [action for _a, action, _d in events(no)] == ["create", "resolve"]
    assert rows(no)["auto_close"] == (DeadlineStatus.PENDING, end_of(12, 8))
    assert "reopen" not in market.consumer.get(f"/tickets/{no}").json()["allowed_actions"]


def test_the_platform_reopens_a_resolved_ticket_and_its_auto_close_is_cancelled(market, travel):
    ticket = logistics_ticket(market)
    no = ticket["ticket_no"]
    travel.to(at(12, 1, 21))
    act(market.merchant, no, "resolve", {"resolution": "已补发"})

    travel.to(at(12, 3, 10))
    body = act(market.agent, no, "reopen", {"reason": "用户来电仍未收到"})

    assert (body["status"], body["resolved_at"]) == ("in_progress", None)
    assert rows(no)["auto_close"] == (DeadlineStatus.CANCELLED, end_of(12, 8))
    assert body["deadlines"] == [
        sla_deadline("resolution_warning", at(12, 6, 21, 59, 59, 999999), "sla_warning"),
        sla_deadline("resolution_breach", end_of(12, 6), "sla_breach"),
    ]
    # the old auto-close never fires on the reopened ticket
    assert fire_at(travel, end_of(12, 6) - US) == 1  # only the new resolution warning
    assert Ticket.objects.get(ticket_no=no).status == "in_progress"
