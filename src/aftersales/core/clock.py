"""The one source of the current time.

Everything asks `clock.now()`; tests travel in time with time-machine (which moves what
`django.utils.timezone.now` sees) or by installing a fixed clock with `clock.frozen_at(...)`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_override: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    if _override is not None:
        return _override
    return timezone.now()


@contextlib.contextmanager
def frozen_at(instant: dt.datetime) -> Iterator[None]:
    """Fix `now()` at `instant` (aware) inside the block."""
    global _override
    if instant.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    previous, _override = _override, instant.astimezone(dt.UTC)
    try:
        yield
    finally:
        _override = previous


def platform_zone() -> ZoneInfo:
    """The platform's civil time zone, in which 'days' are counted (rule 3.1)."""
    return ZoneInfo(settings.TIME_ZONE)
