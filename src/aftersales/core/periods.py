"""Counting time as the rules do (spec/workflows.md, "Counting time"; repair rule 3.1).

- "N hours" is exact.
- "N days" are natural days in the platform's zone; the first day is the day after the start
  and the period ends at 24:00 of the last day.
- "N days counting the day" (含当日) makes the start day day 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from aftersales.core.clock import platform_zone

END_OF_DAY = dt.time(23, 59, 59, 999999)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """23:59:59.999999 of `day` in the platform zone, as an aware UTC datetime."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=platform_zone()).astimezone(dt.UTC)


def local_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone(platform_zone()).date()


@dataclass(frozen=True)
class Period:
    """A length of time as a rule writes it. `setting` names the policy key that may override
    `amount` (the ⚙ policy choices)."""

    unit: Literal["hours", "days"]
    amount: int
    counting_start_day: bool = False
    setting: str | None = None

    def due(self, start: dt.datetime, amount: int | None = None) -> dt.datetime:
        n = self.amount if amount is None else amount
        if self.unit == "hours":
            return (start + dt.timedelta(hours=n)).astimezone(dt.UTC)
        last_day = local_date(start) + dt.timedelta(days=n - 1 if self.counting_start_day else n)
        return end_of_local_day(last_day)

    def describe(self) -> str:
        if self.unit == "hours":
            return f"{self.amount} h"
        return f"{self.amount} days" + (
            " counting the start day" if self.counting_start_day else ""
        )


def hours(n: int, *, setting: str | None = None) -> Period:
    return Period("hours", n, setting=setting)


def days(n: int, *, counting_start_day: bool = False, setting: str | None = None) -> Period:
    return Period("days", n, counting_start_day=counting_start_day, setting=setting)
