"""Partners that fail: the circuit breaker, and the worker beside a receiver that hangs, one
that resets the connection and one that answers 500 (on loopback, a few seconds)."""

from __future__ import annotations

import datetime as dt
import socket
import statistics
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection

from aftersales.core import clock
from aftersales.deadlines import sweeper
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.notify.dispatcher import DeliveryResult, deliver_due
from aftersales.notify.models import WebhookDelivery, WebhookEndpoint
from tests.factories import T0
from tests.notify.test_webhooks import endpoint


def owe(hook: WebhookEndpoint, count: int) -> None:
    """`count` events owed to this endpoint alone (as `services.publish` writes them)."""
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=hook,
            event_id=f"{hook.id}-{n}",
            event_type="case.test",
            payload={"n": n},
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )
        for n in range(count)
    )


def states(hook: WebhookEndpoint) -> list[tuple[str, int]]:
    return [(d.status, d.attempts) for d in hook.deliveries.order_by("id")]


def test_the_breaker_pauses_a_failing_endpoint_without_spending_attempts_then_closes(
    market, travel, receiver, settings
):
    # Given an endpoint that fails three times, then answers 200; the breaker opens after two
    # failures in a row for a minute; four deliveries owed to it
    settings.AFTERSALES_WEBHOOK_BREAKER_FAILURES = 2
    settings.AFTERSALES_WEBHOOK_BREAKER_COOLDOWN_SECONDS = 60
    hook = endpoint(market.shop, receiver.url())
    receiver.answers = [500, 500, 500]
    owe(hook, 4)

    # When the dispatcher runs: two attempts fail and the breaker opens
    assert deliver_due(now=clock.now()) == DeliveryResult(claimed=4, retrying=2, paused=2)

    # Then the other two were handed back unsent, their attempts not spent
    assert len(receiver.requests) == 2
    assert states(hook) == [("pending", 1), ("pending", 1), ("pending", 0), ("pending", 0)]
    hook.refresh_from_db()
    assert (hook.consecutive_failures, hook.paused_until) == (2, T0 + dt.timedelta(minutes=1))

    # When a second short of the cool-down passes, nothing is sent
    travel.by(seconds=59)
    assert deliver_due(now=clock.now()) == DeliveryResult()
    assert states(hook)[2:] == [("pending", 0), ("pending", 0)]

    # When the cool-down is over, one probe goes out (of the four now due); it fails
    travel.by(seconds=1)
    assert deliver_due(now=clock.now()) == DeliveryResult(claimed=1, retrying=1)
    assert states(hook) == [("pending", 1), ("pending", 1), ("pending", 1), ("pending", 0)]
    hook.refresh_from_db()
    assert (hook.consecutive_failures, hook.paused_until) == (3, T0 + dt.timedelta(minutes=2))
    assert deliver_due(now=clock.now()) == DeliveryResult()

    # When the next cool-down is over, the probe succeeds and closes the breaker
    travel.by(minutes=1)
    assert deliver_due(now=clock.now()) == DeliveryResult(claimed=1, delivered=1)
    hook.refresh_from_db()
    assert (hook.consecutive_failures, hook.paused_until) == (0, None)

    # Then everything waiting goes out
    assert deliver_due(now=clock.now()) == DeliveryResult(claimed=3, delivered=3)
    assert states(hook) == [("delivered", 2), ("delivered", 2), ("delivered", 2), ("delivered", 1)]
    assert len(receiver.requests) == 7


# --- the worker beside failing partners ------------------------------------------------------


class Hanging:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return

    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks"

    def close(self) -> None:
        self.listener.close()
        for held in self.held:
            held.close()


class Resetting(Hanging):
    """Accepts connections and resets them (RST, not a clean close)."""

    def _accept(self) -> None:
        while True:
            try:
                accepted = self.listener.accept()[0]
            except OSError:
                return
            accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            accepted.close()


class FailingThenOk:
    """Answers 500 to the first `failures` requests, then 200; records when each came."""

    def __init__(self, failures: int) -> None:
        self.arrivals: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.arrivals.append(time.monotonic())
                status = 500 if len(outer.arrivals) <= failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fault_test_deadlines() -> Iterator[None]:
    def fire(deadline: Deadline, now: dt.datetime) -> bool:
        Deadline.objects.filter(id=deadline.id).update(
            status=DeadlineStatus.FIRED, fired_at=clock.now()
        )
        return True

    sweeper.register("faulttest", fire)
    yield
    sweeper._handlers.pop("faulttest")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deadlines_stay_on_time_while_partners_hang_reset_and_fail(
    market, settings, fault_test_deadlines
):
    # Given three receivers: one that hangs, one that resets, one that answers 500 twice;
    # a 1 s timeout, a breaker opening after 2 failures for 1.5 s; four deliveries each
    settings.AFTERSALES_WEBHOOK_TIMEOUT_SECONDS = 1.0
    settings.AFTERSALES_WEBHOOK_BREAKER_FAILURES = 2
    settings.AFTERSALES_WEBHOOK_BREAKER_COOLDOWN_SECONDS = 1.5
    settings.AFTERSALES_WEBHOOK_CONCURRENCY = 3
    settings.AFTERSALES_WEBHOOK_IDLE_SECONDS = 0.05
    hanging, resetting, failing = Hanging(), Resetting(), FailingThenOk(failures=2)
    try:
        hooks = {
            name: endpoint(market.shop, server.url())
            for name, server in (("hang", hanging), ("reset", resetting), ("500", failing))
        }
        for hook in hooks.values():
            owe(hook, 4)
        # and deadlines falling due every 0.3 s over the next 4 s
        started = clock.now()
        Deadline.objects.bulk_create(
            Deadline(
                subject_kind="faulttest",
                subject_id=n,
                name="fault_test",
                in_status="any",
                due_at=started + dt.timedelta(seconds=0.3 * n),
                action="fire",
                rule="test 1",
                created_at=started,
            )
            for n in range(1, 14)
        )

        # When the worker runs for 5 s, then is asked to stop
        stop = threading.Event()
        errors: list[BaseException] = []

        def work() -> None:
            try:
                sweeper.run_forever(interval_seconds=0.05, should_stop=stop.is_set)
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        worker = threading.Thread(target=work)
        worker.start()
        time.sleep(5)
        stop_requested = time.monotonic()
        stop.set()
        worker.join(timeout=10)
        stopped_in = time.monotonic() - stop_requested
        ended = clock.now()

        # Then it stopped within a few seconds
        assert not worker.is_alive() and errors == []
        assert stopped_in < 3, stopped_in
        # and every deadline fired on time, the hanging receiver notwithstanding
        fired = list(Deadline.objects.filter(subject_kind="faulttest"))
        assert {d.status for d in fired} == {"fired"}
        lateness = sorted((d.fired_at - d.due_at).total_seconds() for d in fired)
        assert lateness[-1] < 0.5, lateness
        assert statistics.median(lateness) < 0.25, lateness

        # and each failed attempt is retried with backoff (the first retry a minute later)
        for name in ("hang", "reset", "500"):
            for delivery in hooks[name].deliveries.filter(attempts__gt=0, status="pending"):
                assert delivery.attempts == 1
                assert started + dt.timedelta(seconds=60) <= delivery.next_attempt_at
                assert delivery.next_attempt_at <= ended + dt.timedelta(seconds=60)
                assert delivery.last_error
        hang_errors = {d.last_error for d in hooks["hang"].deliveries.filter(attempts=1)}
        assert hang_errors and all("timed out" in e for e in hang_errors), hang_errors

        # and the breaker held back the failing receivers' deliveries, unspent: the hanging
        # one (1 s an attempt) got at most three attempts at four deliveries
        for name in ("hang", "reset"):
            hook = WebhookEndpoint.objects.get(id=hooks[name].id)
            assert hook.consecutive_failures >= 2
            assert hook.paused_until is not None
        assert ("pending", 0) in states(hooks["hang"])
        assert {s for s, _ in states(hooks["reset"])} == {"pending"}
        # and the one that recovered: it opened after two 500s, the probe after the cool-down
        # succeeded, closed it, and the rest followed
        _first, second, probe, *rest = failing.arrivals
        assert probe - second >= 1.4
        assert len(rest) == 1
        assert states(hooks["500"]) == [
            ("pending", 1),
            ("pending", 1),
            ("delivered", 1),
            ("delivered", 1),
        ]
        recovered = WebhookEndpoint.objects.get(id=hooks["500"].id)
        assert (recovered.consecutive_failures, recovered.paused_until) == (0, None)
        assert [d.last_status_code for d in hooks["500"].deliveries.order_by("id")] == [
            500,
            500,
            200,
            200,
        ]
    finally:
        for server in (hanging, resetting, failing):
            server.close()


class Dripping(Hanging):
    """Answers one byte of its status line every 0.2 s: each read is quick, the answer never
    ends."""

    def _accept(self) -> None:
        while True:
            try:
                accepted = self.listener.accept()[0]
            except OSError:
                return
            self.held.append(accepted)
            threading.Thread(target=self._drip, args=(accepted,), daemon=True).start()

    def _drip(self, accepted: socket.socket) -> None:
        try:
            accepted.recv(65536)
            for _ in range(200):
                accepted.sendall(b"X")
                time.sleep(0.2)
        except OSError:
            return


def test_a_receiver_that_drips_its_answer_is_cut_off_after_twice_the_timeout(
    market, travel, settings
):
    # Given a 0.5 s timeout and a receiver whose every read comes in time but never ends
    settings.AFTERSALES_WEBHOOK_TIMEOUT_SECONDS = 0.5
    dripping = Dripping()
    try:
        hook = endpoint(market.shop, dripping.url())
        owe(hook, 1)

        # When the dispatcher sends to it
        began = time.monotonic()
        assert deliver_due(now=clock.now()) == DeliveryResult(claimed=1, retrying=1)

        # Then the attempt was given up after about a second, not forty
        assert time.monotonic() - began < 3
        delivery = hook.deliveries.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "pending",
            1,
            None,
        )
    finally:
        dripping.close()
