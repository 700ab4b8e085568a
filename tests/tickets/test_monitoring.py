"""Automatic tickets from monitoring: exactly one per shop or carrier region while open."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command

from aftersales.core import clock
from aftersales.tickets import monitoring
from aftersales.tickets.models import Ticket


def ship(market, n: int, *, delayed: int, shop=None, region="浙江", carrier=None):
    """n orders shipped 6 days ago; `delayed` of them not received yet (5 days expected)."""
    now = clock.now()
    for i in range(n):
        market.order(
            shop=shop or market.shop,
            region=region,
            carrier=carrier or market.carrier,
            paid_at=now - dt.timedelta(days=7),
            shipped_at=now - dt.timedelta(days=6),
            received_at=None if i < delayed else now - dt.timedelta(days=4),
        )


def test_a_shop_over_the_threshold_gets_exactly_one_ticket(market, travel):
    # Given 20 shipments in the last 7 days, 2 of them delayed: 100‰, at the threshold
    ship(market, 20, delayed=2)
    ship(market, 20, delayed=1, shop=market.other_shop)  # 50‰: under it
    # When monitoring runs twice
    first = monitoring.run(clock.now())
    second = monitoring.run(clock.now())
    # Then one logistics ticket went to the shop, none to the other shop, none the second time
    assert [(t.shop_id, t.type, t.subtype, t.team, t.source) for t in first] == [
        (market.shop.id, "logistics", "delayed", "shop", "monitoring")
    ]
    assert second == []
    assert Ticket.objects.filter(shop=market.shop).count() == 1
    assert "100‰" in first[0].title
    assert Ticket.objects.filter(shop=market.other_shop).count() == 0


def test_a_new_ticket_only_after_the_open_one_is_closed(market, travel):
    ship(market, 20, delayed=5)
    (ticket,) = monitoring.run(clock.now())
    market.merchant.post(f"/tickets/{ticket.ticket_no}/actions/resolve", {"resolution": "换快递"})
    assert monitoring.run(clock.now()) == []  # resolved, not closed: it may still reopen
    travel.by(days=8)
    from aftersales.deadlines.sweeper import sweep

    sweep()
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    # Once it is closed, the shop's new delayed shipments bring a new ticket
    ship(market, 20, delayed=5)
    assert len(monitoring.run(clock.now())) == 1


def test_small_volume_says_nothing(market, travel):
    ship(market, 19, delayed=19, region="")
    assert monitoring.run(clock.now()) == []


def test_a_carrier_with_many_delays_in_one_region(market, travel):
    ship(market, 12, delayed=10, region="广东", shop=market.other_shop)
    ship(market, 12, delayed=9, region="四川", shop=market.other_shop)
    out = io.StringIO()
    call_command("monitor", stdout=out)
    carrier_tickets = Ticket.objects.filter(carrier=market.carrier, shop__isnull=True)
    assert [(t.region, t.team, t.monitor_key) for t in carrier_tickets] == [
        ("广东", "carrier", "carrier-region:sf:广东")
    ]
    assert out.getvalue().strip().splitlines()[-1].startswith("opened ")
