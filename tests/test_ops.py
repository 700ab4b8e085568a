"""Operations: /healthz, /readyz and /metrics (docs/deploy.md)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from prometheus_client import REGISTRY

from aftersales.cases.services import create_case
from aftersales.deadlines.models import Deadline
from aftersales.deadlines.sweeper import sweep
from aftersales.ops import metrics, views
from tests.factories import T0


def scrape(client: Client | None = None, **headers: str) -> str:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample line in the text exposition, or None if absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return None


# -- /healthz and /readyz ----------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database(client):
    # no django_db mark: any query would raise "Database access not allowed"
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_is_ready_on_a_migrated_database(client, monkeypatch):
    monkeypatch.setattr(views, "_migrated", False)
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "reason": "ok"})


@pytest.mark.django_db  # pytest-django guards every backend's connect
def test_readyz_is_503_naming_the_first_unapplied_migration(client, monkeypatch, tmp_path):
    # given a reachable database that nobody migrated
    empty = {**views.probe_settings(), "ENGINE": "django.db.backends.sqlite3"}
    empty.update(NAME=str(tmp_path / "empty.sqlite3"), OPTIONS={})
    monkeypatch.setattr(views, "probe_settings", lambda: empty)
    monkeypatch.setattr(views, "_migrated", False)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["reason"].endswith("migrations not applied, e.g. admin.0001_initial")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung PostgreSQL)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def postgres_at(port: int) -> dict:
    return {
        **views.probe_settings(),
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "aftersales",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "OPTIONS": {"connect_timeout": views.READY_TIMEOUT_SECONDS},
    }


@pytest.mark.django_db  # pytest-django guards every backend's connect
def test_readyz_is_503_within_its_timeout_when_the_database_hangs(
    client, monkeypatch, silent_server
):
    hung = postgres_at(silent_server)
    monkeypatch.setattr(views, "probe_settings", lambda: hung)
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "database unreachable: OperationalError",
    }
    assert views.READY_TIMEOUT_SECONDS - 0.5 < elapsed < views.READY_TIMEOUT_SECONDS + 3


def test_the_probe_sets_a_connect_and_statement_timeout_on_postgresql(monkeypatch):
    monkeypatch.setitem(
        connection.settings_dict, "ENGINE", "django.db.backends.postgresql"
    )  # as DATABASE_URL=postgres://… configures it
    options = views.probe_settings()["OPTIONS"]
    assert options["connect_timeout"] == 2
    assert options["options"] == "-c statement_timeout=2000"


# -- who may read /metrics ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # the test client's REMOTE_ADDR is 127.0.0.1
        ({"REMOTE_ADDR": "10.1.2.3"}, False),
        # through nginx every request comes from 127.0.0.1: a forwarded one is not local
        ({"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, False),
        ({"HTTP_X_REAL_IP": "203.0.113.9"}, False),
    ],
)
def test_metrics_are_for_allow_listed_addresses(client, headers, allowed):
    response = client.get("/metrics", **headers)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert response.json()["error"]["code"] == "forbidden"
        assert b"aftersales_" not in response.content


@pytest.mark.django_db
def test_metrics_with_the_token_from_anywhere(client, settings):
    settings.AFTERSALES_METRICS_TOKEN = "s3cret-scrape-token"
    outside = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert client.get("/metrics", **outside).status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", **outside)
    assert wrong.status_code == 403
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", **outside)
    assert right.status_code == 200


@pytest.mark.django_db
def test_the_allow_list_is_a_setting(client, settings):
    settings.AFTERSALES_METRICS_ALLOWED_IPS = "10.0.0.8"
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.8").status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback is no longer listed


# -- what /metrics says ------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_latency_is_labelled_by_route_pattern_and_status_class(client):
    name = "aftersales_http_request_duration_seconds_count"
    route = {"method": "GET", "route": "api/v1/cases/<case_no>", "status": "4xx"}
    before = sample(scrape(client), name, **route) or 0
    # when two different cases are asked for (unauthenticated: 401) and a made-up path
    client.get("/api/v1/cases/AS0000000001")
    client.get("/api/v1/cases/AS0000000002")
    client.get("/no/such/page/42")
    text = scrape(client)
    assert sample(text, name, **route) == before + 2  # one series for both paths
    assert "AS0000000001" not in text
    assert sample(text, name, method="GET", route="<unresolved>", status="4xx") >= 1
    assert "/no/such/page/42" not in text


@pytest.mark.django_db
def test_queue_depths_are_counted_at_scrape_time(client, market, travel):
    # given two cases waiting for the merchant, whose 48 h response deadlines fall due
    for _ in range(2):
        create_case(
            market.consumer.user,
            order_sn=market.order().order_sn,
            type="refund_only",
            reason="quality",
            now=T0,
        )
    text = scrape(client)
    assert sample(text, "aftersales_queue_depth", queue="cases_awaiting_merchant") == 2
    assert sample(text, "aftersales_queue_depth", queue="deadlines_due") == 0
    assert sample(text, "aftersales_deadline_oldest_due_seconds") == 0
    # when the clock passes the first due time by 90 seconds
    first_due = Deadline.objects.order_by("due_at").values_list("due_at", flat=True)[0]
    travel.to(first_due + dt.timedelta(seconds=90))
    text = scrape(client)
    assert sample(text, "aftersales_queue_depth", queue="deadlines_due") >= 1
    assert sample(text, "aftersales_deadline_oldest_due_seconds") == 90
    assert sample(text, "aftersales_queue_depth", queue="webhook_deliveries_pending") == 0


@pytest.mark.django_db
def test_deadline_lateness_is_observed_when_the_sweeper_fires(market):
    case = create_case(
        market.consumer.user,
        order_sn=market.order().order_sn,
        type="refund_only",
        reason="quality",
        now=T0,
    )
    due_at = Deadline.objects.get(subject_id=case.id).due_at
    count = REGISTRY.get_sample_value("aftersales_deadline_lateness_seconds_count")
    total = REGISTRY.get_sample_value("aftersales_deadline_lateness_seconds_sum")
    under_10 = REGISTRY.get_sample_value(
        "aftersales_deadline_lateness_seconds_bucket", {"le": "10.0"}
    )
    # when the sweeper fires it 7 seconds after it fell due
    assert sweep(now=due_at + dt.timedelta(seconds=7)).fired == 1
    assert REGISTRY.get_sample_value("aftersales_deadline_lateness_seconds_count") == count + 1
    assert REGISTRY.get_sample_value("aftersales_deadline_lateness_seconds_sum") == pytest.approx(
        total + 7
    )
    assert (
        REGISTRY.get_sample_value("aftersales_deadline_lateness_seconds_bucket", {"le": "10.0"})
        == under_10 + 1
    )
    # and a sweep that fires nothing observes nothing
    sweep(now=due_at + dt.timedelta(seconds=8))
    assert REGISTRY.get_sample_value("aftersales_deadline_lateness_seconds_count") == count + 1


def test_webhook_outcomes_are_counted_by_outcome():
    def value(outcome: str) -> float:
        name = "aftersales_webhook_delivery_attempts_total"
        return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0

    before = value("retrying"), value("delivered")
    metrics.record_webhook_outcome("retrying")
    metrics.record_webhook_outcome("retrying")
    assert (value("retrying"), value("delivered")) == (before[0] + 2, before[1])


def test_multiprocess_mode_sums_what_other_processes_recorded(tmp_path):
    # given a worker process (as `aftersales worker` under gunicorn's deploy) that records
    # into a shared PROMETHEUS_MULTIPROC_DIR and exits
    child = (
        "import datetime as dt\n"
        "from aftersales.ops import metrics\n"
        "metrics.observe_deadlines_fired([dt.timedelta(seconds=3)])\n"
        "metrics.record_webhook_outcome('delivered')\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", child], env=env, check=True, timeout=60)
    # then a scrape of that directory sums both processes' samples
    text = metrics.render(multiproc_dir=str(tmp_path / "prom")).decode()
    assert sample(text, "aftersales_deadline_lateness_seconds_count") == 2
    assert sample(text, "aftersales_deadline_lateness_seconds_sum") == 6
    assert sample(text, "aftersales_webhook_delivery_attempts_total", outcome="delivered") == 2


@pytest.mark.django_db
def test_the_dispatcher_counts_each_attempts_outcome(market, travel, settings):
    from tests.api import file_case
    from tests.notify.test_webhooks import Receiver, deliver, endpoint

    def value(outcome: str) -> float:
        name = "aftersales_webhook_delivery_attempts_total"
        return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0

    # given a receiver on loopback (allowed here) that answers 500 once, then 200
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    receiver = Receiver()
    try:
        endpoint(market.shop, receiver.url())
        receiver.answers = [500]
        file_case(market.consumer, market.order())
        before = value("retrying"), value("delivered")
        # when the dispatcher tries, and a minute later tries again
        deliver()
        travel.by(minutes=1)
        deliver()
    finally:
        receiver.close()
    # then one attempt of each outcome was counted
    assert (value("retrying"), value("delivered")) == (before[0] + 1, before[1] + 1)
