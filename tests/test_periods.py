"""Counting time (spec/workflows.md "Counting time"; repair rule 3.1): pure unit tests of
aftersales.core.periods."""

import datetime as dt

from aftersales.core.periods import Period, days, end_of_local_day, hours, local_date
from tests.factories import SHANGHAI

UTC = dt.UTC
UPLOAD = dt.datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI)  # 12:00 UTC the same day


def test_n_hours_is_exact():
    # Given a start at 20:00 on 1 December in Shanghai
    # When the period is 48 hours (rule 2.2)
    due = hours(48).due(UPLOAD)
    # Then it ends exactly 48 hours later, stored in UTC
    assert due == dt.datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert due.tzinfo == UTC
    assert due == UPLOAD + dt.timedelta(hours=48)


def test_n_hours_keeps_minutes_and_microseconds():
    # Given a start with minutes and microseconds
    start = dt.datetime(2026, 12, 1, 9, 17, 3, 250, tzinfo=SHANGHAI)
    # When the period is 24 hours
    # Then nothing is rounded
    assert hours(24).due(start) == dt.datetime(2026, 12, 2, 1, 17, 3, 250, tzinfo=UTC)


def test_n_days_without_counting_the_day_start_the_day_after():
    # Given an upload at 20:00 on 1 December
    # When the period is 7 days not counting the start day
    due = days(7).due(UPLOAD)
    # Then day 1 is 2 December and the period ends at 24:00 of 8 December, Shanghai time
    assert due == dt.datetime(2026, 12, 8, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert due == dt.datetime(2026, 12, 8, 15, 59, 59, 999999, tzinfo=UTC)


def test_n_days_counting_the_day_make_the_start_day_day_1():
    # Given an upload at 20:00 on 1 December (2.3: "含上传当日")
    # When the period is 7 days counting the upload day
    due = days(7, counting_start_day=True).due(UPLOAD)
    # Then it ends at the end of 7 December, Shanghai time
    assert due == dt.datetime(2026, 12, 7, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert due.tzinfo == UTC


def test_repair_20_days_counting_the_upload_day_end_on_20_december():
    # Given the consumer's upload at 20:00 on 1 December (2.3.1)
    # When the repair period is 20 days counting the upload day
    # Then it ends at the end of 20 December
    due = days(20, counting_start_day=True).due(UPLOAD)
    assert due == dt.datetime(2026, 12, 20, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_2_4_two_days_counting_the_cancel_day_end_the_next_day():
    # Given a cancellation at 23:30 on 1 December
    cancel = dt.datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI)
    # Then "2 days counting the cancel day" ends at the end of 2 December
    assert days(2, counting_start_day=True).due(cancel) == dt.datetime(
        2026, 12, 2, 23, 59, 59, 999999, tzinfo=SHANGHAI
    )


def test_days_are_counted_on_the_shanghai_calendar_not_the_utc_one():
    # Given 17:30 UTC on 1 December, which is already 01:30 on 2 December in Shanghai
    start = dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    # Then the start day is 2 December, in both ways of counting
    assert local_date(start) == dt.date(2026, 12, 2)
    assert days(7, counting_start_day=True).due(start) == dt.datetime(
        2026, 12, 8, 23, 59, 59, 999999, tzinfo=SHANGHAI
    )
    assert days(7).due(start) == dt.datetime(2026, 12, 9, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_days_cross_month_and_year_ends():
    # Given a ruling at 15:00 on 25 December
    ruling = dt.datetime(2026, 12, 25, 15, 0, tzinfo=SHANGHAI)
    # Then 20 days counting the ruling day end at the end of 13 January
    assert days(20, counting_start_day=True).due(ruling) == dt.datetime(
        2027, 1, 13, 23, 59, 59, 999999, tzinfo=SHANGHAI
    )
    # And 365 days after receipt on 1 December 2025 end at the end of 1 December 2026
    receipt = dt.datetime(2025, 12, 1, 10, 0, tzinfo=SHANGHAI)
    assert days(365).due(receipt) == dt.datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_end_of_day_is_the_last_microsecond_in_shanghai_stored_as_utc():
    # When the end of 7 December is computed
    end = end_of_local_day(dt.date(2026, 12, 7))
    # Then it is 23:59:59.999999 in Shanghai, i.e. 15:59:59.999999 UTC, in a UTC datetime
    assert end == dt.datetime(2026, 12, 7, 15, 59, 59, 999999, tzinfo=UTC)
    assert end.tzinfo == UTC
    assert end.astimezone(SHANGHAI).isoformat() == "2026-12-07T23:59:59.999999+08:00"
    # And one microsecond later is midnight of the next day, "24:00" of the period
    assert (end + dt.timedelta(microseconds=1)).astimezone(SHANGHAI) == dt.datetime(
        2026, 12, 8, 0, 0, tzinfo=SHANGHAI
    )


def test_an_override_amount_replaces_the_default_length():
    # Given a ⚙ period of 7 days with a policy setting
    period = days(7, counting_start_day=True, setting="receipt_days")
    # When the policy sets 3 days instead
    # Then the period is 3 days counting the start day
    assert period.due(UPLOAD, 3) == dt.datetime(2026, 12, 3, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert period == Period("days", 7, counting_start_day=True, setting="receipt_days")
    assert period.describe() == "7 days counting the start day"
    assert hours(48).describe() == "48 h"
    assert days(3).describe() == "3 days"
