"""The platform's own monitoring opens logistics tickets (seed 001): a shop whose logistics
exception rate over a rolling 7 days is over the threshold, and a carrier with many delays in
one region. One ticket per subject until it is closed: the unique `monitor_key` makes a
second impossible."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from aftersales.core.errors import Conflict
from aftersales.orders.models import Order
from aftersales.tickets import services
from aftersales.tickets.models import Ticket

DEFAULTS = {
    "window_days": 7,
    # A parcel not received this long after shipping counts as delayed.
    "expected_delivery_days": 5,
    # Exception rate threshold in per mille (100 = 10%), and the volume below which a rate
    # says nothing.
    "shop_exception_rate_permille": 100,
    "shop_min_shipments": 20,
    "carrier_region_min_delays": 10,
}


def setting(key: str) -> int:
    overrides = getattr(settings, "AFTERSALES_MONITORING", {}) or {}
    return int(overrides.get(key, DEFAULTS[key]))


@dataclass(frozen=True)
class ShopRate:
    shop_id: int
    shop_code: str
    shipments: int
    exceptions: int

    @property
    def permille(self) -> int:
        return self.exceptions * 1000 // self.shipments if self.shipments else 0


def _exception(now: dt.datetime) -> Q:
    late = dt.timedelta(days=setting("expected_delivery_days"))
    return (
        Q(received_at__gt=F("shipped_at") + late)
        | Q(received_at__isnull=True, shipped_at__lt=now - late)
        | Q(tickets__type="logistics", tickets__subtype__in=("lost", "delayed"))
    )


def _shipped_in_window(now: dt.datetime):
    start = now - dt.timedelta(days=setting("window_days"))
    return Order.objects.filter(
        shipped_at__gte=start, shipped_at__lte=now, shipment_intercepted_at__isnull=True
    )


def shop_rates(now: dt.datetime) -> list[ShopRate]:
    rows = (
        _shipped_in_window(now)
        .values("shop_id", "shop__code")
        .annotate(
            shipments=Count("id", distinct=True),
            exceptions=Count("id", filter=_exception(now), distinct=True),
        )
        .order_by("shop__code")
    )
    return [ShopRate(r["shop_id"], r["shop__code"], r["shipments"], r["exceptions"]) for r in rows]


def carrier_region_delays(now: dt.datetime) -> list[tuple[str, str, int]]:
    rows = (
        _shipped_in_window(now)
        .filter(_exception(now), carrier__isnull=False)
        .exclude(region="")
        .values("carrier__code", "region")
        .annotate(delays=Count("id", distinct=True))
        .order_by("carrier__code", "region")
    )
    return [(r["carrier__code"], r["region"], r["delays"]) for r in rows]


def _open_once(monitor_key: str, **ticket) -> Ticket | None:
    if Ticket.objects.filter(monitor_key=monitor_key).exclude(status="closed").exists():
        return None
    try:
        return services.create_ticket(None, monitor_key=monitor_key, **ticket)
    except Conflict:
        return None  # another worker opened it a moment ago


def run(now: dt.datetime) -> list[Ticket]:
    """One monitoring pass; returns the tickets it opened. Safe to run any number of times."""
    opened = []
    threshold = setting("shop_exception_rate_permille")
    for rate in shop_rates(now):
        if rate.shipments < setting("shop_min_shipments") or rate.permille < threshold:
            continue
        ticket = _open_once(
            f"shop-logistics:{rate.shop_code}",
            type="logistics",
            subtype="delayed",
            shop=rate.shop_code,
            now=now,
            title=_("Logistics exception rate %(r)s‰ over the last 7 days") % {"r": rate.permille},
            description=_("%(e)d of %(s)d shipments delayed or lost; threshold %(t)s‰.")
            % {"e": rate.exceptions, "s": rate.shipments, "t": threshold},
        )
        if ticket:
            opened.append(ticket)
    for carrier, region, delays in carrier_region_delays(now):
        if delays < setting("carrier_region_min_delays"):
            continue
        ticket = _open_once(
            f"carrier-region:{carrier}:{region}",
            type="logistics",
            subtype="delayed",
            carrier=carrier,
            region=region,
            now=now,
            title=_("%(n)d delayed parcels in %(r)s over the last 7 days")
            % {"n": delays, "r": region},
        )
        if ticket:
            opened.append(ticket)
    return opened


HOURLY = dt.timedelta(hours=1)
_last_run: dt.datetime | None = None


def hourly_job(now: dt.datetime) -> None:
    """The worker loop calls this after every sweep; monitoring runs once an hour per
    worker (several workers may run it: the monitor keys keep it to one ticket)."""
    global _last_run
    if _last_run is None or now - _last_run >= HOURLY:
        _last_run = now
        run(now)
