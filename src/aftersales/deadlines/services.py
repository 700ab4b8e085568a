"""Scheduling and cancelling deadlines. Called by the owning domain's services inside their
transaction; never directly by views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from aftersales.deadlines.models import Deadline, DeadlineStatus


def schedule(
    *,
    subject_kind: str,
    subject_id: int,
    name: str,
    in_status: str,
    due_at: dt.datetime,
    action: str,
    params: dict[str, Any] | None,
    rule: str,
    now: dt.datetime,
) -> Deadline:
    return Deadline.objects.create(
        subject_kind=subject_kind,
        subject_id=subject_id,
        name=name,
        in_status=in_status,
        due_at=due_at,
        action=action,
        params=params or {},
        rule=rule,
        created_at=now,
    )


def cancel_pending(*, subject_kind: str, subject_id: int, except_id: int | None = None) -> int:
    """Cancel every pending deadline of a subject (it left the status they belong to)."""
    pending = Deadline.objects.filter(
        subject_kind=subject_kind, subject_id=subject_id, status=DeadlineStatus.PENDING
    )
    if except_id is not None:
        pending = pending.exclude(id=except_id)
    return pending.update(status=DeadlineStatus.CANCELLED)


def mark_fired(deadline: Deadline, *, now: dt.datetime) -> None:
    deadline.status = DeadlineStatus.FIRED
    deadline.fired_at = now
    deadline.attempts += 1
    deadline.save(update_fields=["status", "fired_at", "attempts"])


def cancel(deadline: Deadline) -> None:
    deadline.status = DeadlineStatus.CANCELLED
    deadline.save(update_fields=["status"])


def reschedule(deadline: Deadline, *, due_at: dt.datetime) -> None:
    deadline.due_at = due_at
    deadline.save(update_fields=["due_at"])


def pause_pending(*, subject_kind: str, subject_id: int) -> int:
    """Stop a subject's clock: its pending deadlines wait until `resume_paused`."""
    return Deadline.objects.filter(
        subject_kind=subject_kind, subject_id=subject_id, status=DeadlineStatus.PENDING
    ).update(status=DeadlineStatus.PAUSED)


def resume_paused(*, subject_kind: str, subject_id: int, paused_for: dt.timedelta) -> int:
    """Restart a paused clock: each deadline moves later by the time it stood still."""
    return Deadline.objects.filter(
        subject_kind=subject_kind, subject_id=subject_id, status=DeadlineStatus.PAUSED
    ).update(status=DeadlineStatus.PENDING, due_at=F("due_at") + paused_for)


def cancel_named(*, subject_kind: str, subject_id: int, names: tuple[str, ...]) -> int:
    return Deadline.objects.filter(
        subject_kind=subject_kind,
        subject_id=subject_id,
        name__in=names,
        status__in=(DeadlineStatus.PENDING, DeadlineStatus.PAUSED),
    ).update(status=DeadlineStatus.CANCELLED)
