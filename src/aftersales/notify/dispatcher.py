"""The webhook dispatcher: sends the outbox rows that `services.publish` wrote.

Delivery
    `deliver_due(now=…)` claims due pending deliveries with `SELECT … FOR UPDATE SKIP LOCKED`
    (as the deadline sweeper does) and, in the same short transaction, counts the attempt and
    pushes `next_attempt_at` past the time the batch may take (the claim). It then POSTs each
    one outside any transaction, so no row lock or database connection is held while a
    receiver is slow, and records the outcome. Any number of workers share the outbox; each
    delivery is sent once per attempt. A worker that dies mid-batch leaves its claims to run
    out, after which another worker retries them.

    A 2xx answer delivers. Anything else (another status, a redirect, which is never
    followed, a refused or reset connection, no answer within the timeout, an address the
    egress filter refuses: see egress.py) is retried after 1, 2, 4 … minutes; the 8th failed
    attempt marks the delivery `failed`. Deliveries of an inactive endpoint wait until it is
    active again, and so do those of an endpoint whose circuit breaker is open (breaker.py),
    without spending attempts.

    The worker runs this in its own threads (delivery_loop.py), never in the deadline sweep:
    a receiver that hangs holds one delivery thread for the timeout, nothing else.

What a receiver gets
    `POST <url>` with the event's JSON as the body (UTF-8) and the headers

    - `X-Aftersales-Event`: the event type, e.g. `case.refuse`;
    - `X-Aftersales-Delivery`: the delivery id, the same on every retry (deduplicate on it);
    - `X-Aftersales-Timestamp`: the sending time in unix seconds;
    - `X-Aftersales-Signature`: `sha256=` + hex HMAC-SHA256 keyed with the endpoint's secret
      over `f"{timestamp}.{body}"`.

    A receiver checks it with `verify_signature(secret, timestamp, raw_body, signature,
    now)`, or its own few lines of HMAC, and rejects a timestamp more than 5 minutes away
    from its clock (a replayed request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q

from aftersales.core import clock
from aftersales.notify import breaker, egress
from aftersales.notify.config import webhook_setting
from aftersales.notify.models import DeliveryStatus, WebhookDelivery
from aftersales.ops import metrics

log = logging.getLogger("aftersales.webhooks")

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
TIMEOUT_SECONDS = 5.0  # default of AFTERSALES_WEBHOOK_TIMEOUT_SECONDS: connect, and each read
SIGNATURE_TOLERANCE_SECONDS = 300
USER_AGENT = "Aftersales-Webhooks/1"


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4 … minutes."""
    return FIRST_RETRY * 2 ** (attempts - 1)


def claim_period(batch_size: int) -> dt.timedelta:
    """How long claimed deliveries stay out of other workers' reach: long enough for every
    one of the batch to time out."""
    return dt.timedelta(seconds=60 + batch_size * (timeout_seconds() * 2 + 1))


def timeout_seconds() -> float:
    return float(webhook_setting("TIMEOUT_SECONDS", TIMEOUT_SECONDS))


# --- signing --------------------------------------------------------------------------------


def encode_body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """`sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes | str,
    signature: str,
    now: dt.datetime,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """True when `signature` (the `X-Aftersales-Signature` header) signs exactly `body` (the
    raw request body) at `timestamp` (the `X-Aftersales-Timestamp` header) with `secret`, and
    the timestamp is within `tolerance` seconds of `now`."""
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    if abs(now.timestamp() - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), str(signature).strip())


# --- sending --------------------------------------------------------------------------------


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """Send one attempt; returns the HTTP status (None without an answer) and an error.

    The egress filter resolves the endpoint's host now and the connection goes only to the
    address it checked; a refused address sends nothing and says why."""
    body = encode_body(delivery.payload)
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Aftersales-Event": delivery.event_type,
        "X-Aftersales-Delivery": str(delivery.id),
        "X-Aftersales-Timestamp": str(timestamp),
        "X-Aftersales-Signature": sign(delivery.endpoint.secret, timestamp, body),
    }
    try:
        target = egress.parse(delivery.endpoint.url)
        http_connection = egress.open_connection(target, timeout=timeout_seconds())
    except egress.ForbiddenAddress as error:
        return None, f"not sent: {error}; webhooks go to public addresses only"
    except (egress.UnusableURL, OSError, UnicodeError) as error:
        return None, repr(error)[:2000]  # e.g. the name does not resolve
    try:
        # The whole exchange gets twice the timeout (a connect and a read's worth).
        with egress.cut_off_after(http_connection, 2 * timeout_seconds()):
            http_connection.request("POST", target.path, body=body, headers=headers)
            response = http_connection.getresponse()
            status = response.status
            # A receiver's answer is read only this far: its body means nothing to us.
            excerpt = response.read(300).decode(errors="replace")
    except (OSError, http.client.HTTPException, ValueError) as error:
        # refused, reset, timed out, or an answer that is not HTTP
        return None, repr(error)[:2000]
    finally:
        http_connection.close()
    if 200 <= status < 300:
        return status, ""
    return status, f"HTTP {status}: {excerpt}".strip().rstrip(":")


@dataclass
class DeliveryResult:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    paused: int = 0  # claimed, then handed back unsent: the endpoint's breaker opened


@dataclass
class InFlight:
    """The endpoints this process is sending to right now: each gets one delivery at a time,
    so that a receiver that hangs holds one delivery thread, not all of them."""

    endpoint_ids: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _claim(now: dt.datetime, batch_size: int, in_flight: InFlight | None) -> list[WebhookDelivery]:
    busy = in_flight.endpoint_ids if in_flight else set()
    with transaction.atomic():
        due = (
            WebhookDelivery.objects.filter(
                status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True
            )
            .filter(Q(endpoint__paused_until__isnull=True) | Q(endpoint__paused_until__lte=now))
            .exclude(endpoint_id__in=busy)
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        candidates = list(due.select_related("endpoint")[:batch_size])
        # An endpoint whose breaker let its cool-down pass gets one probe, not a batch.
        claimed = breaker.admit(candidates, now=now)
        WebhookDelivery.objects.filter(id__in=[d.id for d in claimed]).update(
            attempts=F("attempts") + 1, next_attempt_at=now + claim_period(len(claimed))
        )
    if in_flight is not None:
        busy.update(d.endpoint_id for d in claimed)
    for delivery in claimed:
        delivery.attempts += 1
    return claimed


@contextmanager
def _claiming(in_flight: InFlight | None) -> Iterator[None]:
    if in_flight is None:
        yield
        return
    with in_flight.lock:  # claim and mark busy as one step among this process's threads
        yield


def _record(
    delivery: WebhookDelivery, status_code: int | None, error: str, now: dt.datetime
) -> tuple[str, bool]:
    """Store an attempt's outcome; returns it and whether the endpoint's breaker is open."""
    changes: dict[str, Any] = {"last_status_code": status_code, "last_error": error}
    if not error:
        changes |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
    elif delivery.attempts >= MAX_ATTEMPTS:
        changes |= {"status": DeliveryStatus.FAILED}
    else:
        changes |= {"next_attempt_at": now + retry_delay(delivery.attempts)}
    opened = False
    with transaction.atomic():
        WebhookDelivery.objects.filter(id=delivery.id, status=DeliveryStatus.PENDING).update(
            **changes
        )
        if error:
            # The cool-down starts when the failure is known, not when the attempt began.
            opened = breaker.record_failure(delivery.endpoint_id, now=clock.now())
        else:
            breaker.record_success(delivery.endpoint_id)
    metrics.record_webhook_outcome(changes.get("status", "retrying"))
    return str(changes.get("status", "retrying")), opened


def _hand_back(delivery: WebhookDelivery, now: dt.datetime) -> None:
    # Not sent: the attempt counted at the claim is given back, and it is due again at once
    # (it goes out when the breaker lets its endpoint through).
    WebhookDelivery.objects.filter(id=delivery.id, status=DeliveryStatus.PENDING).update(
        attempts=F("attempts") - 1, next_attempt_at=now
    )


def deliver_due(
    *, now: dt.datetime, batch_size: int = 50, in_flight: InFlight | None = None
) -> DeliveryResult:
    """Send up to `batch_size` deliveries that are due at `now`, once each, one after
    another. With `in_flight` (the delivery threads' shared record), endpoints another
    thread is sending to are left for later."""
    result = DeliveryResult()
    with _claiming(in_flight):
        claimed = _claim(now, batch_size, in_flight)
    result.claimed = len(claimed)
    paused_endpoints: set[int] = set()
    try:
        for delivery in claimed:
            if delivery.endpoint_id in paused_endpoints:
                _hand_back(delivery, now)
                result.paused += 1
                continue
            status_code, error = _post(delivery)
            outcome, opened = _record(delivery, status_code, error, now)
            if opened:
                paused_endpoints.add(delivery.endpoint_id)
            if outcome == DeliveryStatus.DELIVERED:
                result.delivered += 1
            elif outcome == DeliveryStatus.FAILED:
                result.failed += 1
                log.warning("webhook delivery %s failed for good: %s", delivery.id, error)
            else:
                result.retrying += 1
                log.info(
                    "webhook delivery %s attempt %d: %s", delivery.id, delivery.attempts, error
                )
    finally:
        if in_flight is not None:
            with in_flight.lock:
                in_flight.endpoint_ids.difference_update(d.endpoint_id for d in claimed)
    return result
