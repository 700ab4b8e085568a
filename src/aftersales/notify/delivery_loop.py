"""The worker's webhook delivery: threads of its own beside the deadline sweep.

Why threads in the worker process rather than a separate command: the spec's worker is "the
deadline sweeper and job runner", `aftersales serve` runs that worker inside the web
process on SQLite, and a delivery spends its time waiting on a partner's socket (which
releases the GIL), not computing. So `aftersales worker` keeps starting everything, and the
sweep's thread never waits on a partner: a receiver that hangs holds one delivery thread
until the timeout, and each endpoint gets at most one of this process's threads at a time.

Each thread has its own database connection (Django's are per thread), closed when the
thread ends or after a database error. On stop, the threads finish the attempt in hand
(bounded by the timeout) or are abandoned as daemon threads when the process exits: an
abandoned attempt was counted when it was claimed and is retried when its claim runs out;
nothing is marked delivered that a receiver did not answer with a 2xx.
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connection

from aftersales.core import clock
from aftersales.notify.config import webhook_setting
from aftersales.notify.dispatcher import InFlight, deliver_due

log = logging.getLogger("aftersales.webhooks")

CONCURRENCY = 4  # default of AFTERSALES_WEBHOOK_CONCURRENCY: deliveries in flight per process
IDLE_SECONDS = 0.5  # default of AFTERSALES_WEBHOOK_IDLE_SECONDS: the wait when nothing is due


def _name_session() -> None:
    # On PostgreSQL the delivery threads' sessions say what they are in pg_stat_activity
    # ("<the worker's application_name> webhooks"), apart from the sweep's session.
    if connection.vendor != "postgresql" or connection.connection is not None:
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('application_name',"
            " left(current_setting('application_name') || ' webhooks', 63), false)"
        )


def _deliver_until(stop: threading.Event, in_flight: InFlight, idle_seconds: float) -> None:
    try:
        while not stop.is_set():
            claimed = 0
            try:
                _name_session()
                claimed = deliver_due(now=clock.now(), batch_size=1, in_flight=in_flight).claimed
            except DatabaseError:
                log.exception("webhook delivery failed; retrying")
                connection.close()
            if not claimed:
                stop.wait(idle_seconds)
    finally:
        connection.close()


def start(stop: threading.Event) -> list[threading.Thread]:
    """Start the delivery threads; they run until `stop` is set (the sweeper's `Loop`)."""
    concurrency = max(1, int(webhook_setting("CONCURRENCY", CONCURRENCY)))
    idle_seconds = float(webhook_setting("IDLE_SECONDS", IDLE_SECONDS))
    in_flight = InFlight()
    threads = [
        threading.Thread(
            target=_deliver_until,
            args=(stop, in_flight, idle_seconds),
            name=f"webhooks-{n}",
            daemon=True,  # a thread stuck on a partner must not hold up the process's exit
        )
        for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    return threads
