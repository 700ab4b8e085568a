"""The webhook dispatcher: sends the outbox rows that `services.publish` wrote.

Delivery
    `deliver_due(now=…)` claims due pending deliveries with `SELECT … FOR UPDATE SKIP LOCKED`
    (as the deadline sweeper does) and, in the same short transaction, counts the attempt and
    pushes `next_attempt_at` past the time the batch may take (the claim). It then POSTs each
    one outside any transaction, so no row lock or database connection is held while a
    receiver is slow, and records the outcome. Any number of workers share the outbox; each
    delivery is sent once per attempt. A worker that dies mid-batch leaves its claims to run
    out, after which another worker retries them.

    A 2xx answer delivers. Anything else (another status, a redirect, a refused connection,
    no answer within 5 s) is retried after 1, 2, 4 … minutes; the 8th failed attempt marks the
    delivery `failed`. Deliveries of an inactive endpoint wait until it is active again.

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
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from aftersales.core import clock
from aftersales.notify.models import DeliveryStatus, WebhookDelivery

log = logging.getLogger("aftersales.webhooks")

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
TIMEOUT_SECONDS = 5.0
SIGNATURE_TOLERANCE_SECONDS = 300
USER_AGENT = "Aftersales-Webhooks/1"


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4 … minutes."""
    return FIRST_RETRY * 2 ** (attempts - 1)


def claim_period(batch_size: int) -> dt.timedelta:
    """How long claimed deliveries stay out of other workers' reach: long enough for every
    one of the batch to time out."""
    return dt.timedelta(seconds=60 + batch_size * (TIMEOUT_SECONDS + 1))


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


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a redirect as a GET without the body: treat it as a failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """Send one attempt; returns the HTTP status (None without an answer) and an error."""
    body = encode_body(delivery.payload)
    timestamp = int(clock.now().timestamp())
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Aftersales-Event": delivery.event_type,
            "X-Aftersales-Delivery": str(delivery.id),
            "X-Aftersales-Timestamp": str(timestamp),
            "X-Aftersales-Signature": sign(delivery.endpoint.secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
            return status, "" if 200 <= status < 300 else f"HTTP {status}"
    except urllib.error.HTTPError as error:
        with error:
            excerpt = error.read(300).decode(errors="replace")
        return error.code, f"HTTP {error.code}: {excerpt}".strip().rstrip(":")
    except (OSError, http.client.HTTPException, ValueError) as error:
        # refused, reset, timed out, or a URL the network library cannot use
        return None, repr(error)[:2000]


@dataclass
class DeliveryResult:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def _claim(now: dt.datetime, batch_size: int) -> list[WebhookDelivery]:
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due.select_related("endpoint")[:batch_size])
        WebhookDelivery.objects.filter(id__in=[d.id for d in claimed]).update(
            attempts=F("attempts") + 1, next_attempt_at=now + claim_period(batch_size)
        )
    for delivery in claimed:
        delivery.attempts += 1
    return claimed


def _record(
    delivery: WebhookDelivery, status_code: int | None, error: str, now: dt.datetime
) -> str:
    changes: dict[str, Any] = {"last_status_code": status_code, "last_error": error}
    if not error:
        changes |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
    elif delivery.attempts >= MAX_ATTEMPTS:
        changes |= {"status": DeliveryStatus.FAILED}
    else:
        changes |= {"next_attempt_at": now + retry_delay(delivery.attempts)}
    WebhookDelivery.objects.filter(id=delivery.id, status=DeliveryStatus.PENDING).update(**changes)
    return str(changes.get("status", "retrying"))


def deliver_due(*, now: dt.datetime, batch_size: int = 50) -> DeliveryResult:
    """Send up to `batch_size` deliveries that are due at `now`, once each."""
    result = DeliveryResult()
    claimed = _claim(now, batch_size)
    result.claimed = len(claimed)
    for delivery in claimed:
        status_code, error = _post(delivery)
        outcome = _record(delivery, status_code, error, now)
        if outcome == DeliveryStatus.DELIVERED:
            result.delivered += 1
        elif outcome == DeliveryStatus.FAILED:
            result.failed += 1
            log.warning("webhook delivery %s failed for good: %s", delivery.id, error)
        else:
            result.retrying += 1
            log.info("webhook delivery %s attempt %d: %s", delivery.id, delivery.attempts, error)
    return result


def deliver_due_job(now: dt.datetime, *, batch_size: int = 50, max_batches: int = 20) -> None:
    """The worker loop's job: batches until a batch is not full (or `max_batches`)."""
    for _batch in range(max_batches):
        if deliver_due(now=now, batch_size=batch_size).claimed < batch_size:
            return
