"""`aftersales demo` (spec/api.md): a realistic marketplace with cases in every status of every
workflow, each reached through the real services and the deadline sweeper."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from aftersales.cases.models import Case
from aftersales.cases.workflows import WORKFLOWS
from aftersales.catalog.models import Carrier, Shop
from aftersales.core import clock
from aftersales.core.models import ApiToken, Event, Role, User
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.demo import data
from aftersales.ledger.models import Coupon, EntryKind, LedgerEntry
from aftersales.ledger.services import compensation_for, shop_balance
from aftersales.orders.models import Order, OrderItem
from aftersales.tickets.models import Ticket

pytestmark = pytest.mark.django_db

ROUTE_COUNT = sum(
    len(routes) for by_status in data.ROUTES.values() for routes in by_status.values()
)
ACCOUNT_LINE = re.compile(r"^(\S+)\s+(admin|agent|merchant|consumer|carrier)\s+(\S+)\s+(as_\S+)$")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo sets 27 passwords; the default PBKDF2 cost is not what these tests measure.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Shop,
            Carrier,
            User,
            ApiToken,
            Order,
            OrderItem,
            Case,
            Event,
            Deadline,
            LedgerEntry,
            Coupon,
        )
    }


def test_demo_loads_on_an_empty_database_with_a_case_in_every_status_of_every_workflow():
    # given an empty marketplace
    assert (Shop.objects.count(), User.objects.count(), Order.objects.count()) == (0, 0, 0)

    # when the demo is loaded
    output = run_demo()

    # then the summary names what was created
    now = clock.now()
    events = Event.objects.filter(subject_kind="case")
    assert output.splitlines()[0] == (
        f"Loaded the demo marketplace: 5 shops, 5 carriers, 32 accounts, "
        f"{ROUTE_COUNT + data.EXTRA_ORDERS} orders, {ROUTE_COUNT} cases, {events.count()} events."
    )
    # shops, carriers and people
    assert {s.code: (s.name, s.return_address) for s in Shop.objects.all()} == {
        spec.code: (spec.name, spec.return_address) for spec in data.SHOPS
    }
    assert dict(Carrier.objects.values_list("code", "name")) == {
        "sf": "顺丰速运",
        "zto": "中通快递",
        "yto": "圆通速递",
        "yunda": "韵达快递",
        "jd": "京东物流",
    }
    assert Counter(User.objects.values_list("role", flat=True)) == {
        Role.ADMIN: 1,
        Role.AGENT: 1,
        Role.MERCHANT: 5,
        Role.CONSUMER: 20,
        Role.CARRIER: 5,
    }
    # every carrier has a desk account, linked to it
    assert dict(
        User.objects.filter(role=Role.CARRIER).values_list("username", "carrier__code")
    ) == {f"courier-{code}": code for code, _name in data.CARRIERS}
    # tickets worked by shops and carriers, and a chat waiting for an agent
    from aftersales.assistant.models import Conversation
    from aftersales.tickets.models import Ticket, TicketMessage

    assert output.splitlines()[1].startswith("Loaded ") and "tickets" in output.splitlines()[1]
    assert set(Ticket.objects.values_list("type", flat=True)) >= {
        "logistics",
        "quality",
        "complaint",
    }
    assert TicketMessage.objects.filter(party="carrier").exists()
    assert Conversation.objects.filter(status="queued", handover_priority=1).exists()
    assert dict(User.objects.filter(role=Role.MERCHANT).values_list("username", "shop__code")) == {
        f"merchant{n}": spec.code for n, spec in enumerate(data.SHOPS, start=1)
    }
    assert User.objects.get(username="consumer1").display_name == "张伟"
    # orders in every state, across categories (repair categories and others)
    orders = Order.objects.all()
    assert orders.count() == ROUTE_COUNT + data.EXTRA_ORDERS
    assert orders.filter(shipped_at__isnull=True, received_at__isnull=True).count() > 0
    assert orders.filter(shipped_at__isnull=False, received_at__isnull=True).count() > 0
    assert orders.filter(received_at__isnull=False).count() > 0
    assert not orders.filter(paid_at__isnull=True).exists()
    categories = set(OrderItem.objects.values_list("category__name", flat=True))
    assert {"手机", "电脑", "厨房电器", "服装", "生鲜"} <= categories
    assert not Case.objects.filter(type="repair", order__items__category__repairable=False).exists()

    # every (type, status) pair of the workflow tables exists, and nothing else
    pairs = set(Case.objects.values_list("type", "status"))
    assert pairs == {(t, s) for t, workflow in WORKFLOWS.items() for s in workflow.statuses}
    assert Case.objects.count() == ROUTE_COUNT

    for case in Case.objects.select_related("consumer"):
        workflow = WORKFLOWS[case.type]
        chain = list(events.filter(subject_key=case.case_no).order_by("seq"))
        # the history starts with the consumer's request and runs forward in the past
        assert (chain[0].action, chain[0].actor) == ("create", case.consumer.username)
        assert [e.at for e in chain] == sorted({e.at for e in chain})
        assert chain[-1].at < now and chain[-1].data["to"] == case.status
        assert case.is_open == (not workflow.is_terminal(case.status))
        # pending deadlines are exactly the status's timers, all ahead of the real now
        pending = Deadline.objects.filter(
            subject_kind="case", subject_id=case.id, status=DeadlineStatus.PENDING
        )
        assert sorted(pending.values_list("name", flat=True)) == sorted(
            t.name for t in workflow.timers_in(case.status)
        ), case.case_no
        assert all(due > now for due in pending.values_list("due_at", flat=True))
        # timers fired as `system`, with the deadline they fired
        for event in chain:
            if event.actor == "system":
                assert (
                    event.data["deadline"]
                    and dt.datetime.fromisoformat(event.data["due_at"]) < event.at
                )
    # the history spreads over the past weeks
    assert events.order_by("at").first().at < now - dt.timedelta(days=14)
    # statuses reached by timers only were reached by the sweeper
    for case in Case.objects.filter(status="expired"):
        last = events.filter(subject_key=case.case_no).latest("seq")
        assert (last.actor, last.action) == ("system", "expire")
    assert events.filter(actor="system").values("action").distinct().count() >= 6

    # money: each shop's balance is its opening balance less what its cases cost it
    for spec in data.SHOPS:
        cases = Case.objects.filter(shop__code=spec.code)
        refunds = sum(cases.values_list("refunded_fen", flat=True))
        coupons = sum(
            Coupon.objects.filter(shop__code=spec.code).values_list("amount_fen", flat=True)
        )
        shipping = sum(
            cases.filter(signed_at__isnull=False).values_list("return_shipping_fen", flat=True)
        )
        assert shop_balance(Shop.objects.get(code=spec.code).id) == (
            spec.balance_fen - refunds - coupons - shipping
        )
    assert Case.objects.filter(status="refunded", refunded_fen=0).count() == 0
    assert Case.objects.exclude(status="refunded").exclude(refunded_fen=0).count() == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND, shop__isnull=False).count() == (
        Case.objects.filter(status="refunded").count()
    )
    compensated = {
        e.subject_key
        for e in events.filter(action="rule")
        if e.data["outcome"] == "refund_with_compensation"
    } | {
        e.subject_key
        for e in events.filter(action="timeout_refund")
        if e.data["from"] == "repairing"
    }
    assert compensated and {c.case.case_no for c in Coupon.objects.all()} == compensated
    for coupon in Coupon.objects.select_related("case__order"):
        assert coupon.amount_fen == compensation_for(coupon.case.order.amount_fen)

    # and every event chain verifies
    out = io.StringIO()
    call_command("verify_log", stdout=out)
    # every chain verifies: the cases' and the demo tickets'
    assert out.getvalue() == f"ok {Event.objects.count()} events\n"
    assert Event.objects.filter(subject_kind="ticket").exists()


def test_running_the_demo_twice_changes_nothing():
    # given a loaded demo
    run_demo()
    before = snapshot()

    # when it is loaded again
    output = run_demo()

    # then it says so and creates nothing
    assert output == (
        "The demo marketplace is already loaded (shops demo-huaqiang, demo-meijia, demo-chaoyi, "
        "demo-xianguo, demo-lejia); nothing to do.\n"
    )
    assert snapshot() == before
    assert before["Shop"] == 5 and before["Case"] == ROUTE_COUNT


def test_demo_accounts_sign_in_with_their_password_and_call_the_api_with_their_token():
    # given the demo, with its table of accounts
    output = run_demo()
    table = [m.groups() for m in map(ACCOUNT_LINE.match, output.splitlines()) if m]
    expected = (
        [("admin", "admin", "-"), ("agent", "agent", "-")]
        + [(spec.merchant, "merchant", spec.code) for spec in data.SHOPS]
        + [(f"consumer{n}", "consumer", "-") for n in range(1, 21)]
        + [(f"courier-{code}", "carrier", code) for code, _name in data.CARRIERS]
    )
    assert [row[:3] for row in table] == expected
    assert "Demo accounts (password demo1234):" in output.splitlines()
    # the columns are named, the tokens as API tokens
    assert re.search(r"^username\s+role\s+shop or carrier\s+API token \(", output, re.M)

    client = Client()
    for username, role, shop, token in table:
        user = User.objects.get(username=username)
        linked = user.shop or user.carrier
        assert (user.role, linked.code if linked else "-") == (role, shop)
        assert authenticate(username=username, password="demo1234") == user
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        # when each account lists the cases it may see
        response = client.get("/api/v1/cases", {"limit": 100}, **auth)

        # then its token authenticates it, and it sees what its role may see
        assert response.status_code == 200, username
        listed = {item["case_no"] for item in response.json()["items"]}
        if role == Role.CONSUMER:
            assert listed == set(
                Case.objects.filter(consumer=user).values_list("case_no", flat=True)
            )
        elif role == Role.MERCHANT:
            own = set(Case.objects.filter(shop=user.shop).values_list("case_no", flat=True))
            assert listed <= own and len(listed) == min(100, len(own)) > 0
        elif role == Role.CARRIER:
            assert listed == set()  # carriers are not parties to after-sales cases
        else:
            assert len(listed) == min(100, ROUTE_COUNT)
        if role == Role.MERCHANT:
            shop_response = client.get(f"/api/v1/shops/{shop}", **auth)
            assert shop_response.status_code == 200
            assert shop_response.json()["balance_fen"] == shop_balance(user.shop_id)
            other = next(s.code for s in data.SHOPS if s.code != shop)
            assert client.get(f"/api/v1/shops/{other}", **auth).status_code == 404

    assert authenticate(username="consumer1", password="wrong") is None
    bad = client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer as_not-a-demo-token")
    assert bad.status_code == 401


def test_a_workflow_status_without_a_demo_route_stops_the_demo_before_it_writes(monkeypatch):
    # given a workflow status the demo has no route to
    routes = {**data.ROUTES, "resend": dict(data.ROUTES["resend"])}
    del routes["resend"]["awaiting_resend"]
    monkeypatch.setattr(data, "ROUTES", routes)

    # when the demo is loaded, then it refuses, naming the status, and writes nothing
    with pytest.raises(CommandError, match=r"resend: missing \['awaiting_resend'\]"):
        run_demo()
    assert snapshot() == dict.fromkeys(snapshot(), 0)


def test_every_demo_carrier_signs_in_and_sees_its_ticket_console():
    # given the demo
    run_demo()

    for code, _name in data.CARRIERS:
        # when the carrier's desk signs in with the demo password
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert client.login(username=f"courier-{code}", password=data.DEMO_PASSWORD), code

        # then its home is the ticket console, showing its own tickets only
        response = client.get("/", follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == "/tickets/"
        page = response.content.decode()
        shown = set(re.findall(r'data-ticket="([^"]+)"', page))
        own = set(
            Ticket.objects.filter(carrier__code=code, is_open=True).values_list(
                "ticket_no", flat=True
            )
        )
        assert shown == own, code
    # the carriers the demo's logistics tickets name have work waiting
    assert Ticket.objects.filter(carrier__isnull=False, is_open=True).exists()
