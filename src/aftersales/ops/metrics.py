"""The process's Prometheus metrics, and the one-line recorders the domains call.

With several processes (gunicorn workers, `aftersales worker`), set PROMETHEUS_MULTIPROC_DIR
to a directory that all processes of one host share (docs/deploy.md): prometheus_client then
keeps each process's samples in a file there and `/metrics` sums them. The variable must be set
before prometheus_client is first imported, i.e. in the process's environment.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _MULTIPROC_DIR:
    # prometheus_client writes its sample files there from the first observation on.
    Path(_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402  (after the directory exists)
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import REGISTRY, Collector  # noqa: E402

REQUEST_LATENCY = Histogram(
    "aftersales_http_request_duration_seconds",
    "Time to answer an HTTP request, by the URL pattern it resolved to (not the raw path).",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEADLINE_LATENESS = Histogram(
    "aftersales_deadline_lateness_seconds",
    "From a deadline's due time to the sweep that fired it, observed when its batch commits.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400),
)
WEBHOOK_DELIVERIES = Counter(
    "aftersales_webhook_delivery_attempts",
    "Webhook delivery attempts by outcome (delivered, retrying, failed).",
    ["outcome"],
)


def observe_request(*, method: str, route: str, status_code: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(method, route, f"{status_code // 100}xx").observe(seconds)


def observe_deadlines_fired(lateness: Iterable[dt.timedelta]) -> None:
    """Record the lateness of deadlines that fired in a committed batch."""
    for late in lateness:
        DEADLINE_LATENESS.observe(max(late.total_seconds(), 0.0))


def record_webhook_outcome(outcome: str) -> None:
    """One line for the dispatcher: `record_webhook_outcome("delivered")`."""
    WEBHOOK_DELIVERIES.labels(str(outcome)).inc()


def render(*, scrape_time: Iterable[Collector] = (), multiproc_dir: str | None = None) -> bytes:
    """The text exposition of this process's metrics (or, in multiprocess mode, of every
    process sharing the directory), plus collectors computed now, at scrape time."""
    directory = multiproc_dir or _MULTIPROC_DIR
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    for collector in scrape_time:
        registry.register(collector)
    return generate_latest(registry)


class _Forward(Collector):
    """The process's default registry inside a per-scrape registry (so scrape-time collectors
    are not registered globally, where a second scrape would register them twice)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self):  # type: ignore[no-untyped-def]
        return self._registry.collect()


def mark_process_dead(pid: int) -> None:
    """gunicorn's `child_exit` hook: drop a dead worker's live gauges (multiprocess mode)."""
    if _MULTIPROC_DIR:
        multiprocess.mark_process_dead(pid, _MULTIPROC_DIR)
