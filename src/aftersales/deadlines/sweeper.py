"""The sweeper: fires every due deadline exactly once, as the `system` actor.

Work is claimed in batches with `SELECT … FOR UPDATE SKIP LOCKED`, so any number of workers
share one PostgreSQL database without firing a deadline twice. A batch commits as one
transaction and each deadline runs in its own savepoint: a worker killed mid-batch commits
nothing of it, and the next pass fires those deadlines. Each subject kind registers a handler
that locks its subject and calls its own service, the one a person's action goes through.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, OperationalError, connection, transaction

from aftersales.core import clock
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.ops import metrics

log = logging.getLogger("aftersales.sweeper")

# A handler fires one deadline. It returns False when its subject is busy (locked by another
# transaction), so the deadline stays pending for the next pass.
Handler = Callable[[Deadline, dt.datetime], bool]
_handlers: dict[str, Handler] = {}


def register(subject_kind: str, handler: Handler) -> None:
    _handlers[subject_kind] = handler


# Other periodic work of the worker loop (e.g. webhook delivery), run after each sweep with
# the current time; a domain registers its job when its app loads.
Job = Callable[[dt.datetime], object]
_jobs: list[Job] = []


def register_job(job: Job) -> None:
    if job not in _jobs:
        _jobs.append(job)


# Work that waits on the outside world (webhook delivery) runs beside the sweep in threads of
# its own, never in this loop: a loop starts its threads, which run until the event is set.
Loop = Callable[[threading.Event], list[threading.Thread]]
_loops: list[Loop] = []


def register_loop(loop: Loop) -> None:
    if loop not in _loops:
        _loops.append(loop)


@dataclass
class SweepResult:
    fired: int = 0
    skipped_busy: int = 0
    failed: int = 0
    claimed: int = 0


def _claim(now: dt.datetime, batch_size: int) -> list[Deadline]:
    # `due_at` is the last instant of the period (23:59:59.999999 of the last day): the
    # default outcome applies once it has passed, not at it.
    due = Deadline.objects.filter(status=DeadlineStatus.PENDING, due_at__lt=now).order_by(
        "due_at", "id"
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return list(due[:batch_size])


def sweep_batch(*, now: dt.datetime, batch_size: int = 200) -> SweepResult:
    """Fire up to `batch_size` due deadlines in one transaction."""
    result = SweepResult()
    lateness: list[dt.timedelta] = []
    with transaction.atomic():
        claimed = _claim(now, batch_size)
        result.claimed = len(claimed)
        for deadline in claimed:
            handler = _handlers[deadline.subject_kind]
            try:
                with transaction.atomic():
                    if handler(deadline, now):
                        result.fired += 1
                        lateness.append(now - deadline.due_at)
                    else:
                        result.skipped_busy += 1
            except OperationalError:
                raise  # the connection or a lock failed: the whole batch is retried
            except Exception as error:  # one broken deadline must not block the others
                log.exception("deadline %s failed", deadline.id)
                _record_failure(deadline, error, now)
                result.failed += 1
    metrics.observe_deadlines_fired(lateness)  # only once the batch has committed
    return result


MAX_ATTEMPTS = 5


def _record_failure(deadline: Deadline, error: Exception, now: dt.datetime) -> None:
    attempts = deadline.attempts + 1
    Deadline.objects.filter(id=deadline.id).update(
        attempts=attempts,
        last_error=repr(error)[:2000],
        # Back off so that a failing deadline does not starve the others; give up eventually.
        due_at=now + dt.timedelta(minutes=2**attempts),
        status=DeadlineStatus.FAILED if attempts >= MAX_ATTEMPTS else DeadlineStatus.PENDING,
    )


def sweep(
    *, now: dt.datetime | None = None, batch_size: int = 200, max_batches: int | None = None
) -> SweepResult:
    """One pass: fire batches until nothing due is left (or `max_batches`)."""
    total = SweepResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        result = sweep_batch(now=now or clock.now(), batch_size=batch_size)
        batches += 1
        total.fired += result.fired
        total.skipped_busy += result.skipped_busy
        total.failed += result.failed
        # Firing may schedule timers that are already due (a clock jump past several
        # periods), so keep going while batches fire; stop when nothing fired, also when all
        # that is left is busy (retried next pass, not spun on while its case is held).
        if result.fired + result.failed == 0:
            break
    return total


def run_forever(
    *,
    interval_seconds: float = 1.0,
    batch_size: int = 200,
    should_stop: Callable[[], bool] = lambda: False,
    stop_grace_seconds: float = 2.0,
) -> None:
    """The worker: the registered loops' threads, and in this thread a sweep and the jobs
    every `interval_seconds`, until `should_stop()`. Then the loops are told to stop and
    given `stop_grace_seconds` to finish; a thread still waiting on a partner after that is
    left behind (a daemon thread: its claim runs out and another pass retries it)."""
    stop = threading.Event()
    threads = [thread for loop in _loops for thread in loop(stop)]
    try:
        while not should_stop():
            try:
                result = sweep(batch_size=batch_size)
                if result.fired or result.failed:
                    log.info("fired %d, failed %d", result.fired, result.failed)
            except DatabaseError:
                log.exception("sweep failed; retrying")
                connection.close()
            for job in _jobs:
                try:
                    job(clock.now())
                except DatabaseError:
                    log.exception("job %s failed; retrying", getattr(job, "__name__", job))
                    connection.close()
            _sleep(interval_seconds, should_stop)
    finally:
        stop.set()
        give_up_at = time.monotonic() + stop_grace_seconds
        for thread in threads:
            thread.join(timeout=max(0.0, give_up_at - time.monotonic()))


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    # In slices, so that a stop request is heard within a tenth of a second.
    wake_at = time.monotonic() + seconds
    while not should_stop() and (left := wake_at - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))
