"""The circuit breaker of each webhook endpoint, kept in the endpoint's row so that every
worker process sees the same state.

- closed: deliveries go out as they fall due;
- open: after `FAILURES` failed attempts in a row the endpoint is paused for `COOLDOWN`;
  its deliveries wait unclaimed, so they spend no attempts while the receiver is down;
- half-open: once the cool-down has passed, one delivery is let through as a probe (and the
  pause re-armed, so no other worker sends a second one). A success closes the breaker and
  the waiting deliveries follow; a failure opens it for another cool-down.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db.models import F

from aftersales.notify.config import webhook_setting
from aftersales.notify.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("aftersales.webhooks")

FAILURES = 5  # default of AFTERSALES_WEBHOOK_BREAKER_FAILURES
COOLDOWN_SECONDS = 300.0  # default of AFTERSALES_WEBHOOK_BREAKER_COOLDOWN_SECONDS


def failures_to_open() -> int:
    return int(webhook_setting("BREAKER_FAILURES", FAILURES))


def cooldown() -> dt.timedelta:
    seconds = float(webhook_setting("BREAKER_COOLDOWN_SECONDS", COOLDOWN_SECONDS))
    return dt.timedelta(seconds=seconds)


def admit(candidates: Iterable[WebhookDelivery], *, now: dt.datetime) -> list[WebhookDelivery]:
    """Of the due deliveries just selected (endpoints not paused at `now`), those that may go:
    all of a closed endpoint's, one probe of a half-open endpoint's, if this caller wins it."""
    admitted: list[WebhookDelivery] = []
    probing: dict[int, bool] = {}
    for delivery in candidates:
        endpoint = delivery.endpoint
        if endpoint.consecutive_failures < failures_to_open():
            admitted.append(delivery)
            continue
        if endpoint.id not in probing:
            # Re-arm the pause only if nobody did since we read it: one probe among workers.
            won = (
                WebhookEndpoint.objects.filter(
                    id=endpoint.id, paused_until=endpoint.paused_until
                ).update(paused_until=now + cooldown())
                if endpoint.paused_until is not None
                else WebhookEndpoint.objects.filter(
                    id=endpoint.id, paused_until__isnull=True
                ).update(paused_until=now + cooldown())
            )
            probing[endpoint.id] = bool(won)
            if won:
                log.info("webhook endpoint %s half-open: sending one probe", endpoint.id)
                admitted.append(delivery)
    return admitted


def record_failure(endpoint_id: int, *, now: dt.datetime) -> bool:
    """Count a failed attempt; True when the breaker is (now) open."""
    WebhookEndpoint.objects.filter(id=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    opened = WebhookEndpoint.objects.filter(
        id=endpoint_id, consecutive_failures__gte=failures_to_open()
    ).update(paused_until=now + cooldown())
    if opened:
        log.warning("webhook endpoint %s paused until %s", endpoint_id, now + cooldown())
    return bool(opened)


def record_success(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(id=endpoint_id).exclude(
        consecutive_failures=0, paused_until__isnull=True
    ).update(consecutive_failures=0, paused_until=None)
