"""Outgoing webhooks: signing, the outbox written with the change, delivery to a real HTTP
server, retries with backoff, exactly one delivery per event, and the delivery log."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import itertools
import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection, transaction

from aftersales.cases.models import Case
from aftersales.cases.services import perform_action
from aftersales.core import clock
from aftersales.core.models import Event
from aftersales.deadlines import sweeper
from aftersales.notify import delivery_loop, services
from aftersales.notify.dispatcher import (
    MAX_ATTEMPTS,
    DeliveryResult,
    deliver_due,
    retry_delay,
    sign,
    verify_signature,
)
from aftersales.notify.models import Notification, WebhookDelivery, WebhookEndpoint
from tests.api import assert_error, file_case
from tests.factories import SHANGHAI, T0

REFUSAL = {"reason": "商品已使用，不支持退款"}


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(SHANGHAI).isoformat()


# --- a real receiver ------------------------------------------------------------------------


@dataclasses.dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """An HTTP server on 127.0.0.1 (a random port) that records every request and answers
    with the next status of `answers`, 200 when they have run out."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: list[int] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 200
                reply = b"ok" if status < 300 else b"nope"
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hooks") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def endpoint(shop: Any, url: str, **kw: Any) -> WebhookEndpoint:
    """An endpoint registered by the platform's own tooling (local addresses allowed)."""
    return services.create_endpoint(shop=shop, url=url, now=clock.now(), allow_private=True, **kw)


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    """The signature recomputed the way a receiver would, with the standard library."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def case_payload(case_no: str, event: Event, **changes: Any) -> dict[str, Any]:
    case = Case.objects.select_related("order", "shop").get(case_no=case_no)
    return {
        "case_no": case_no,
        "order_sn": case.order.order_sn,
        "shop": case.shop.code,
        "type": case.type,
        "status": case.status,
        "pdd_status": case.pdd_status,
        "version": case.version,
        "action": event.action,
        "actor": event.actor,
        "at": iso(event.at),
        "data": event.data,
        **changes,
    }


def deliver() -> DeliveryResult:
    return deliver_due(now=clock.now())


# --- signing --------------------------------------------------------------------------------


def test_a_signature_is_the_hmac_of_timestamp_and_body_and_verifies_only_unchanged():
    secret, body = "whsec_test", '{"case_no":"AS1","status":"退款"}'.encode()
    timestamp = int(T0.timestamp())

    signature = sign(secret, timestamp, body)

    # The receiver's own HMAC over f"{timestamp}.{body}" gives the same value
    assert signature == signature_of(secret, str(timestamp), body)
    assert verify_signature(secret, str(timestamp), body, signature, now=T0)
    assert verify_signature(secret, timestamp, body.decode(), signature, now=T0)
    # up to five minutes either way
    assert verify_signature(secret, timestamp, body, signature, now=T0 + dt.timedelta(seconds=300))
    assert verify_signature(secret, timestamp, body, signature, now=T0 - dt.timedelta(seconds=300))
    # A changed body, secret, timestamp or signature fails
    assert not verify_signature(secret, timestamp, body.replace(b"AS1", b"AS2"), signature, T0)
    assert not verify_signature("whsec_other", timestamp, body, signature, now=T0)
    assert not verify_signature(secret, timestamp + 1, body, signature, now=T0)
    tampered = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert not verify_signature(secret, timestamp, body, tampered, now=T0)
    assert not verify_signature(secret, timestamp, body, signature.removeprefix("sha256="), T0)
    assert not verify_signature(secret, timestamp, body, "", now=T0)
    assert not verify_signature(secret, "soon", body, signature, now=T0)
    # and so does a stale (replayed) or far-future timestamp
    assert not verify_signature(secret, timestamp, body, signature, T0 + dt.timedelta(seconds=301))
    assert not verify_signature(secret, timestamp, body, signature, T0 - dt.timedelta(seconds=301))


# --- delivery -------------------------------------------------------------------------------


def test_a_case_event_is_delivered_once_signed_to_each_endpoint_that_wants_it(
    market, travel, receiver
):
    # Given the shop's endpoint, a platform-wide one, one for refusals only and another shop's
    shop_hook = endpoint(market.shop, receiver.url("/shop"))
    platform_hook = endpoint(None, receiver.url("/platform"), event_types=["case.*"])
    refusals_hook = endpoint(market.shop, receiver.url("/refusals"), event_types=["case.refuse"])
    endpoint(market.other_shop, receiver.url("/other"))

    # When the consumer files a request
    case_no = file_case(market.consumer, market.order())["case_no"]

    # Then one delivery per interested endpoint waits in the outbox, nothing is sent yet
    event = Event.objects.get(subject_kind="case", subject_key=case_no)
    payload = case_payload(case_no, event)
    assert payload["data"]["to"] == "awaiting_merchant"
    owed = WebhookDelivery.objects.order_by("endpoint_id")
    assert [
        (d.endpoint_id, d.event_id, d.event_type, d.payload, d.status, d.attempts) for d in owed
    ] == [
        (shop_hook.id, str(event.id), "case.create", payload, "pending", 0),
        (platform_hook.id, str(event.id), "case.create", payload, "pending", 0),
    ]
    assert receiver.requests == []

    # When the dispatcher runs
    result = deliver()

    # Then each endpoint received the event once, signed
    assert result == DeliveryResult(claimed=2, delivered=2)
    assert sorted(r.path for r in receiver.requests) == ["/platform", "/shop"]
    timestamp = str(int(T0.timestamp()))
    for request in receiver.requests:
        delivery = owed.get(endpoint__url=receiver.url(request.path))
        assert request.json == payload
        assert request.headers["content-type"] == "application/json; charset=utf-8"
        assert request.headers["x-aftersales-event"] == "case.create"
        assert request.headers["x-aftersales-delivery"] == str(delivery.id)
        assert request.headers["x-aftersales-timestamp"] == timestamp
        secret = delivery.endpoint.secret
        assert request.headers["x-aftersales-signature"] == signature_of(
            secret, timestamp, request.body
        )
        assert verify_signature(
            secret, timestamp, request.body, request.headers["x-aftersales-signature"], now=T0
        )
    # and the outbox records it
    assert [
        (d.status, d.attempts, d.last_status_code, d.last_error, d.delivered_at) for d in owed.all()
    ] == [("delivered", 1, 200, "", T0)] * 2

    # When the dispatcher runs again, now and a day later
    assert deliver() == DeliveryResult()
    travel.by(days=1)
    assert deliver() == DeliveryResult()

    # Then nothing is sent twice
    assert len(receiver.requests) == 2

    # When the merchant refuses, the refusals endpoint gets that event too
    act_time = clock.now()
    perform_action(market.merchant.user, case_no=case_no, action="refuse", fields_in=REFUSAL)
    assert deliver() == DeliveryResult(claimed=3, delivered=3)
    refusal = Event.objects.get(subject_key=case_no, action="refuse")
    later = receiver.requests[2:]
    assert sorted(r.path for r in later) == ["/platform", "/refusals", "/shop"]
    assert all(r.json == case_payload(case_no, refusal) for r in later)
    assert {r.headers["x-aftersales-timestamp"] for r in later} == {str(int(act_time.timestamp()))}
    assert refusals_hook.deliveries.get().event_id == str(refusal.id)


def test_a_failed_delivery_is_retried_after_a_minute_with_the_same_id(market, travel, receiver):
    # Given an endpoint that answers 500 once, then 200
    hook = endpoint(market.shop, receiver.url())
    receiver.answers = [500]
    file_case(market.consumer, market.order())

    # When the dispatcher runs
    assert deliver() == DeliveryResult(claimed=1, retrying=1)

    # Then the failure is recorded and the next attempt is due in a minute
    delivery = hook.deliveries.get()
    assert (
        delivery.status,
        delivery.attempts,
        delivery.last_status_code,
        delivery.last_error,
        delivery.next_attempt_at,
        delivery.delivered_at,
    ) == ("pending", 1, 500, "HTTP 500: nope", T0 + dt.timedelta(minutes=1), None)

    # When 59 seconds pass, nothing is due yet
    travel.by(seconds=59)
    assert deliver() == DeliveryResult()
    assert len(receiver.requests) == 1

    # When the minute is up
    travel.by(seconds=1)
    assert deliver() == DeliveryResult(claimed=1, delivered=1)

    # Then the same delivery arrives again, the same body, signed at its new time
    first, second = receiver.requests
    assert second.body == first.body
    assert second.headers["x-aftersales-delivery"] == first.headers["x-aftersales-delivery"]
    retried_at = str(int((T0 + dt.timedelta(minutes=1)).timestamp()))
    assert second.headers["x-aftersales-timestamp"] == retried_at
    assert second.headers["x-aftersales-signature"] == signature_of(
        hook.secret, retried_at, second.body
    )
    delivery.refresh_from_db()
    assert (
        delivery.status,
        delivery.attempts,
        delivery.last_status_code,
        delivery.last_error,
        delivery.delivered_at,
    ) == ("delivered", 2, 200, "", T0 + dt.timedelta(minutes=1))


def test_delivery_backs_off_doubling_and_gives_up_after_eight_attempts(market, travel, receiver):
    # Given an endpoint that always answers 500
    hook = endpoint(market.shop, receiver.url())
    receiver.answers = [500] * 20
    file_case(market.consumer, market.order())
    delivery = hook.deliveries.get()

    # When the dispatcher runs whenever the next attempt is due
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver().claimed == 1
        delivery.refresh_from_db()
        if attempt == MAX_ATTEMPTS:
            break
        # Then each failure waits twice as long as the one before, and not a second less
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        assert delivery.next_attempt_at == clock.now() + retry_delay(attempt)
        travel.by(seconds=retry_delay(attempt).total_seconds() - 1)
        assert deliver() == DeliveryResult()
        travel.by(seconds=1)

    # Then the eighth failure gives up
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 8, 500)
    sent_at = [int(r.headers["x-aftersales-timestamp"]) for r in receiver.requests]
    assert [b - a for a, b in itertools.pairwise(sent_at)] == [
        60 * minutes for minutes in (1, 2, 4, 8, 16, 32, 64)
    ]
    # and nothing is sent any more
    travel.by(days=2)
    assert deliver() == DeliveryResult()
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_a_refused_connection_or_a_redirect_counts_as_a_failure(market, travel, receiver):
    # Given an endpoint on a port nobody listens on, and one that redirects
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    nobody = endpoint(market.shop, f"http://127.0.0.1:{closed_port}/hooks")
    redirecting = endpoint(market.shop, receiver.url("/moved"))
    receiver.answers = [302]
    file_case(market.consumer, market.order())

    # When the dispatcher runs
    assert deliver() == DeliveryResult(claimed=2, retrying=2)

    # Then both wait for a retry; the redirect was not followed
    refused = nobody.deliveries.get()
    assert (refused.status, refused.attempts, refused.last_status_code) == ("pending", 1, None)
    assert "Connection refused" in refused.last_error
    moved = redirecting.deliveries.get()
    assert (moved.status, moved.attempts, moved.last_status_code, moved.last_error) == (
        "pending",
        1,
        302,
        "HTTP 302: nope",
    )
    assert [r.path for r in receiver.requests] == ["/moved"]


def test_nothing_is_delivered_when_the_change_that_published_rolls_back(market, travel, receiver):
    # Given a request already delivered to the shop's endpoint
    hook = endpoint(market.shop, receiver.url())
    case_no = file_case(market.consumer, market.order())["case_no"]
    assert deliver().delivered == 1

    class RequestFailed(Exception):
        pass

    # When the merchant's refusal publishes its event but the surrounding transaction fails
    with pytest.raises(RequestFailed), transaction.atomic():
        perform_action(market.merchant.user, case_no=case_no, action="refuse", fields_in=REFUSAL)
        assert hook.deliveries.filter(event_type="case.refuse").count() == 1
        raise RequestFailed

    # Then neither the delivery nor the consumer's notification exist, and nothing is sent
    assert hook.deliveries.filter(event_type="case.refuse").count() == 0
    assert Notification.objects.filter(kind="case.refuse").count() == 0
    assert Case.objects.get(case_no=case_no).status == "awaiting_merchant"
    assert deliver() == DeliveryResult()
    assert [r.headers["x-aftersales-event"] for r in receiver.requests] == ["case.create"]


def test_publishing_an_event_twice_owes_it_once(market, travel, receiver):
    # Given a request delivered to the shop's endpoint
    hook = endpoint(market.shop, receiver.url())
    case_no = file_case(market.consumer, market.order())["case_no"]
    assert deliver().delivered == 1
    case = Case.objects.get(case_no=case_no)
    event = Event.objects.get(subject_key=case_no)

    # When the same event is reported again
    services.case_changed(case, event, clock.now())

    # Then no second delivery is owed and nothing more is sent
    assert hook.deliveries.count() == 1
    assert deliver() == DeliveryResult()
    assert len(receiver.requests) == 1


def test_an_inactive_endpoints_deliveries_wait_until_it_is_active(market, travel, receiver):
    # Given an endpoint switched off after an event was owed to it
    hook = endpoint(market.shop, receiver.url())
    file_case(market.consumer, market.order())
    WebhookEndpoint.objects.filter(id=hook.id).update(active=False)

    # Then the dispatcher leaves its delivery alone
    assert deliver() == DeliveryResult()
    assert hook.deliveries.get().status == "pending"

    # and no new event is owed to it
    file_case(market.consumer, market.order())
    assert hook.deliveries.count() == 1

    # When it is switched on again, the waiting delivery goes out
    WebhookEndpoint.objects.filter(id=hook.id).update(active=True)
    assert deliver() == DeliveryResult(claimed=1, delivered=1)
    assert len(receiver.requests) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_webhooks_in_threads_beside_its_sweep(market, receiver, settings):
    # Given the notify app registered its delivery loop with the worker, and an owed delivery
    assert delivery_loop.start in sweeper._loops
    settings.AFTERSALES_WEBHOOK_IDLE_SECONDS = 0.05
    hook = endpoint(market.shop, receiver.url())
    file_case(market.consumer, market.order())

    # When the worker runs until the delivery is out (or ten seconds)
    def delivered() -> bool:
        return hook.deliveries.filter(status="delivered").exists()

    clock_started = clock.now()
    sweeper.run_forever(
        interval_seconds=0.05,
        should_stop=lambda: delivered() or (clock.now() - clock_started).total_seconds() > 10,
    )

    # Then the delivery was sent, once
    assert hook.deliveries.get().status == "delivered"
    assert len(receiver.requests) == 1


# --- the API --------------------------------------------------------------------------------


def test_a_merchant_registers_an_endpoint_and_sees_its_secret_once(market, travel):
    # When the merchant registers an endpoint for case events
    response = market.merchant.post(
        f"/shops/{market.shop.code}/webhooks",
        {"url": "https://erp.example.com/aftersales", "event_types": ["case.*"]},
    )

    # Then it is stored with a fresh secret, shown in this response
    assert response.status_code == 201, response.content
    stored = WebhookEndpoint.objects.get()
    assert response.json() == {
        "id": stored.id,
        "url": "https://erp.example.com/aftersales",
        "event_types": ["case.*"],
        "active": True,
        "created_at": iso(T0),
        "secret": stored.secret,
    }
    assert stored.shop == market.shop
    assert stored.secret.startswith("whsec_") and len(stored.secret) == 54

    # and a second endpoint without event types hears everything
    second = market.admin.post(
        f"/shops/{market.shop.code}/webhooks", {"url": "http://crm.example.com/in"}
    )
    assert second.status_code == 201, second.content
    assert second.json()["event_types"] == ["*"]
    assert second.json()["secret"] != stored.secret

    # When the shop's merchant or an admin lists the endpoints
    listed = [
        {
            "id": stored.id,
            "url": "https://erp.example.com/aftersales",
            "event_types": ["case.*"],
            "active": True,
            "created_at": iso(T0),
        },
        {
            "id": second.json()["id"],
            "url": "http://crm.example.com/in",
            "event_types": ["*"],
            "active": True,
            "created_at": iso(T0),
        },
    ]
    # Then the secrets are not shown again
    for caller in (market.merchant, market.admin):
        response = caller.get(f"/shops/{market.shop.code}/webhooks")
        assert (response.status_code, response.json()) == (200, listed)


def test_only_the_shops_merchants_and_admins_reach_its_webhooks(market, travel):
    endpoint(market.shop, "https://erp.example.com/aftersales")
    code = market.shop.code
    for caller in (market.other_merchant, market.consumer, market.agent):
        for response in (
            caller.get(f"/shops/{code}/webhooks"),
            caller.get(f"/shops/{code}/webhooks/deliveries"),
            caller.post(f"/shops/{code}/webhooks", {"url": "https://evil.example.com/x"}),
        ):
            assert_error(
                response, 404, code="not_found", field="code", message=f"Shop {code} not found."
            )
    assert WebhookEndpoint.objects.count() == 1
    assert market.other_merchant.get(f"/shops/{market.other_shop.code}/webhooks").json() == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://erp.example.com/in", "url must be an http or https address."),
        ("erp.example.com/in", "url must be an http or https address."),
        ("https://erp.example.com:port/in", "url must be an http or https address."),
        ("https://erp.example.com:0/in", "url must be an http or https address."),
        ("https://user:pw@erp.example.com/in", "url must not contain a user name or password."),
        ("https://token@erp.example.com/in", "url must not contain a user name or password."),
    ],
)
def test_an_endpoint_must_be_an_http_address_without_credentials(market, travel, url, message):
    response = market.merchant.post(f"/shops/{market.shop.code}/webhooks", {"url": url})
    assert_error(response, 400, code="bad_request", field="url", message=message)
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/in",
        "http://localhost./in",
        "http://LOCALHOST/in",
        "http://api.localhost/in",
        "http://127.0.0.1:9000/in",
        "http://2130706433:8103/x",  # 127.0.0.1 as one number
        "http://127.1/x",
        "http://0x7f000001/x",
        "http://0177.0.0.1/x",  # octal
        "http://0.0.0.0/x",
        "http://10.1.2.3/in",
        "http://192.168.0.1/in",
        "http://100.64.0.1/in",  # carrier-grade NAT
        "http://169.254.169.254/latest/meta-data",
        "http://2852039166/latest/meta-data",  # 169.254.169.254 as one number
        "http://224.0.0.1/in",
        "http://[::1]/in",
        "http://[::ffff:127.0.0.1]/in",
        "http://[::ffff:a9fe:a9fe]/in",
        "http://[fe80::1]/in",
        "http://[fd00::1]/in",
    ],
)
def test_an_endpoint_must_not_be_a_local_or_private_address(market, travel, url, settings):
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = []
    response = market.merchant.post(f"/shops/{market.shop.code}/webhooks", {"url": url})
    assert_error(
        response,
        422,
        code="forbidden_address",
        field="url",
        message="url must be a public address.",
    )
    assert WebhookEndpoint.objects.count() == 0


def test_the_delivery_log_shows_each_deliverys_last_outcome(market, travel, receiver):
    # Given the shop's endpoint failing once, and another shop's endpoint
    hook = endpoint(market.shop, receiver.url())
    endpoint(market.other_shop, receiver.url("/other"))
    receiver.answers = [500]
    case_no = file_case(market.consumer, market.order())["case_no"]
    event = Event.objects.get(subject_key=case_no)
    deliver()
    delivery = hook.deliveries.get()
    log_path = f"/shops/{market.shop.code}/webhooks/deliveries"

    # When the merchant reads the delivery log
    response = market.merchant.get(log_path)

    # Then it shows the failed attempt and when the next one is due
    failed_once = {
        "id": delivery.id,
        "endpoint_id": hook.id,
        "event_id": str(event.id),
        "event_type": "case.create",
        "status": "pending",
        "attempts": 1,
        "next_attempt_at": iso(T0 + dt.timedelta(minutes=1)),
        "last_status_code": 500,
        "last_error": "HTTP 500: nope",
        "delivered_at": None,
        "created_at": iso(T0),
    }
    assert (response.status_code, response.json()) == (
        200,
        {"items": [failed_once], "next_cursor": None},
    )

    # When the retry succeeds
    travel.by(minutes=1)
    deliver()

    # Then the log shows it delivered, to the admin too, and filters by status
    delivered = failed_once | {
        "status": "delivered",
        "attempts": 2,
        "next_attempt_at": None,
        "last_status_code": 200,
        "last_error": None,
        "delivered_at": iso(T0 + dt.timedelta(minutes=1)),
    }
    assert market.admin.get(log_path).json() == {"items": [delivered], "next_cursor": None}
    assert market.merchant.get(log_path, status="delivered").json()["items"] == [delivered]
    assert market.merchant.get(log_path, status="failed").json()["items"] == []
    assert_error(
        market.merchant.get(log_path, status="lost"),
        400,
        code="bad_request",
        field="status",
        message="status must be one of: pending, delivered, failed.",
    )
    # and the other shop's log does not show it
    other_log = market.other_merchant.get(f"/shops/{market.other_shop.code}/webhooks/deliveries")
    assert other_log.json() == {"items": [], "next_cursor": None}


# --- many workers on PostgreSQL -------------------------------------------------------------


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    """Run `work` in a thread with its own database connection; collects its exception."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_send_each_delivery_exactly_once(market, travel, receiver):
    # Given twelve events owed to one endpoint
    hook = endpoint(market.shop, receiver.url())
    for n in range(12):
        services.publish(
            shop_id=market.shop.id,
            event_type="case.test",
            payload={"n": n},
            event_id=f"test-{n}",
            now=clock.now(),
        )

    # When four workers dispatch at the same time, two deliveries a batch, until none is due
    start = threading.Barrier(4)
    results: list[DeliveryResult] = []

    def work() -> None:
        start.wait(timeout=30)
        while True:
            result = deliver_due(now=clock.now(), batch_size=2)
            results.append(result)
            if result.claimed == 0:
                return

    workers = [in_thread(work) for _ in range(4)]
    for thread, errors in workers:
        thread.join()
        assert errors == []

    # Then every event arrived exactly once
    assert sorted(r.json["n"] for r in receiver.requests) == list(range(12))
    assert len({r.headers["x-aftersales-delivery"] for r in receiver.requests}) == 12
    assert sum(r.delivered for r in results) == 12
    assert sum(r.claimed for r in results) == 12
    assert list(hook.deliveries.values_list("status", "attempts").distinct()) == [("delivered", 1)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_delivery_locked_by_another_worker_is_skipped_not_waited_for(market, travel, receiver):
    # Given an owed delivery that another worker holds locked
    hook = endpoint(market.shop, receiver.url())
    file_case(market.consumer, market.order())
    delivery = hook.deliveries.get()
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with transaction.atomic():
            list(WebhookDelivery.objects.select_for_update().filter(id=delivery.id))
            locked.set()
            release.wait(timeout=30)

    thread, errors = in_thread(hold_lock)
    assert locked.wait(timeout=30)

    # When this worker dispatches, it skips the locked row at once
    assert deliver() == DeliveryResult()
    assert receiver.requests == []

    # When the other worker lets go, the delivery goes out once
    release.set()
    thread.join()
    assert errors == []
    assert deliver() == DeliveryResult(claimed=1, delivered=1)
    assert deliver() == DeliveryResult()
    assert len(receiver.requests) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_sends_only_what_has_committed(market, travel, receiver):
    # Given a request delivered to the shop's endpoint
    hook = endpoint(market.shop, receiver.url())
    case_no = file_case(market.consumer, market.order())["case_no"]
    assert deliver().delivered == 1

    class RolledBack(Exception):
        pass

    def refuse_in_a_request(*, commit: bool, published: threading.Event, go: threading.Event):
        def work() -> None:
            try:
                with transaction.atomic():
                    perform_action(
                        market.merchant.user, case_no=case_no, action="refuse", fields_in=REFUSAL
                    )
                    published.set()
                    go.wait(timeout=30)
                    if not commit:
                        raise RolledBack
            except RolledBack:
                pass

        return in_thread(work)

    # When a refusal has published its event but its transaction is still open
    published, go = threading.Event(), threading.Event()
    thread, errors = refuse_in_a_request(commit=False, published=published, go=go)
    assert published.wait(timeout=30)
    # Then the dispatcher does not see it
    assert deliver() == DeliveryResult()
    # and when that transaction rolls back, it never will
    go.set()
    thread.join()
    assert errors == []
    assert deliver() == DeliveryResult()
    assert hook.deliveries.count() == 1
    assert Notification.objects.filter(kind="case.refuse").count() == 0

    # When the refusal is made again and commits
    published, go = threading.Event(), threading.Event()
    thread, errors = refuse_in_a_request(commit=True, published=published, go=go)
    assert published.wait(timeout=30)
    assert deliver() == DeliveryResult()  # not before the commit
    go.set()
    thread.join()
    assert errors == []

    # Then it is delivered, once
    assert deliver() == DeliveryResult(claimed=1, delivered=1)
    assert deliver() == DeliveryResult()
    assert [r.headers["x-aftersales-event"] for r in receiver.requests] == [
        "case.create",
        "case.refuse",
    ]
