"""Periods: keys, bounds and labels agree with python-dateutil calendar arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.periods import (
    Calendar,
    Frequency,
    Horizon,
    Weekday,
    bucket,
    default_as_of,
    period_bounds,
    period_keys,
    period_labels,
)
from tests.strategies import naive_datetimes

calendars = st.builds(
    Calendar,
    week_start=st.sampled_from(list(Weekday)),
    fiscal_year_start_month=st.integers(1, 12),
    fiscal_year_label=st.sampled_from(["end", "start"]),
)


@settings(max_examples=200, deadline=None)
@given(naive_datetimes, st.sampled_from(list(Frequency)), calendars)
def test_every_timestamp_lies_in_its_period(when, freq, calendar):
    ts = np.array([when], dtype="M8[us]")
    key = period_keys(ts, freq, calendar=calendar)
    start, end = period_bounds(key, freq, calendar=calendar)
    assert start[0] <= ts[0] < end[0]
    # the next period starts where this one ends
    nxt, _ = period_bounds(key + 1, freq, calendar=calendar)
    assert nxt[0] == end[0]


@settings(max_examples=200, deadline=None)
@given(naive_datetimes, calendars)
def test_period_starts_match_dateutil(when, calendar):
    ts = np.array([when], dtype="M8[us]")
    day = when.date()
    # week: the last week_start day on or before the date
    back = (day.weekday() - int(calendar.week_start)) % 7
    expected_week = day - dt.timedelta(days=back)
    start, _ = period_bounds(period_keys(ts, "week", calendar=calendar), "week", calendar=calendar)
    assert start[0].astype(dt.datetime).date() == expected_week
    # fiscal year: the last 1st of the start month on or before the date
    fy_start = dt.date(day.year, calendar.fiscal_year_start_month, 1)
    if fy_start > day:
        fy_start -= relativedelta(years=1)
    start, end = period_bounds(
        period_keys(ts, "fiscal_year", calendar=calendar), "fiscal_year", calendar=calendar
    )
    assert start[0].astype(dt.datetime).date() == fy_start
    assert end[0].astype(dt.datetime).date() == fy_start + relativedelta(years=1)


def test_labels():
    ts = np.array(["2024-01-01", "2024-05-15", "2024-12-31"], dtype="M8[D]")
    assert period_labels(period_keys(ts, "month"), "month").tolist() == [
        "2024-01",
        "2024-05",
        "2024-12",
    ]
    assert period_labels(period_keys(ts, "quarter"), "quarter").tolist() == [
        "2024-Q1",
        "2024-Q2",
        "2024-Q4",
    ]
    assert period_labels(period_keys(ts, "year"), "year").tolist() == ["2024"] * 3
    # ISO weeks: 2024-12-31 is in 2025-W01
    assert period_labels(period_keys(ts, "week"), "week").tolist() == [
        "2024-W01",
        "2024-W20",
        "2025-W01",
    ]
    sunday = Calendar(week_start=Weekday.SUNDAY)
    assert period_labels(
        period_keys(ts[:1], "week", calendar=sunday), "week", calendar=sunday
    ).tolist() == ["week of 2023-12-31"]
    # US federal fiscal year starts in October and is named by its end year
    oct_fy = Calendar(fiscal_year_start_month=10)
    keys = period_keys(ts, "fiscal_year", calendar=oct_fy)
    assert period_labels(keys, "fiscal_year", calendar=oct_fy).tolist() == [
        "FY2024",
        "FY2024",
        "FY2025",
    ]
    q = period_keys(ts, "fiscal_quarter", calendar=oct_fy)
    assert period_labels(q, "fiscal_quarter", calendar=oct_fy).tolist() == [
        "FY2024-Q2",
        "FY2024-Q3",
        "FY2025-Q1",
    ]
    by_start = Calendar(fiscal_year_start_month=10, fiscal_year_label="start")
    assert period_labels(keys, "fiscal_year", calendar=by_start).tolist() == [
        "FY2023",
        "FY2023",
        "FY2024",
    ]


def test_bucket_keeps_empty_periods_and_widens():
    ts = np.array(["2024-01-15", "2024-04-02"], dtype="M8[D]")
    b = bucket(ts, "month", last="2024-06-30")
    assert b.label.tolist() == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert b.count.tolist() == [1, 0, 0, 1, 0, 0]
    assert b.codes.tolist() == [0, 3]
    with pytest.raises(InputError):
        bucket(np.array([], dtype="M8[D]"), "month")


def test_horizons():
    h = Horizon.next_months("2024-01-31", 1)
    assert str(h.end) == "2024-02-29T00:00:00.000000"
    assert Horizon.next_days("2024-03-01", 30).contains(
        np.array(["2024-02-29", "2024-03-01", "2024-03-30T23:59", "2024-03-31"], dtype="M8[m]")
    ).tolist() == [False, True, True, False]
    q = Horizon.next_periods("2024-02-10", "quarter", 2)
    assert (str(q.start), str(q.end)) == (
        "2024-04-01T00:00:00.000000",
        "2024-10-01T00:00:00.000000",
    )
    assert q.label == "2024-Q2 to 2024-Q3"
    cur = Horizon.next_periods("2024-02-10", "month", 1, include_current=True)
    assert cur.label == "2024-02"
    with pytest.raises(InputError, match="'months' parameter"):
        Horizon.next_months("2024-01-01", 0)
    with pytest.raises(InputError, match="'freq' parameter"):
        Horizon.next_periods("2024-01-01", "fortnight", 1)  # type: ignore[arg-type]


def test_default_as_of_is_midnight_after_last():
    assert str(default_as_of(["2024-03-01T23:59:59", "2024-01-01"])) == "2024-03-02T00:00:00.000000"


def test_calendar_validation():
    with pytest.raises(InputError, match="fiscal_year_start_month"):
        Calendar(fiscal_year_start_month=13)
    with pytest.raises(ValueError):
        Calendar(week_start=9)


@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        (lambda: Calendar(week_start=7), "week_start", "int in [0, 6]"),
        (lambda: Calendar(week_start=True), "week_start", "int in [0, 6]"),
        (lambda: Calendar(week_start="monday"), "week_start", "int in [0, 6]"),
        (lambda: Calendar(fiscal_year_start_month=13), "fiscal_year_start_month", "[1, 12]"),
        (lambda: Calendar(fiscal_year_label="mid"), "fiscal_year_label", "'end', 'start'"),
        (lambda: Horizon.next_days("2024-01-01", 10**12), "days", "int in [1,"),
        (lambda: Horizon.next_days("2024-01-01", 80_000), "days", "ends by 2200-12-31"),
        (lambda: Horizon.next_days("2024-01-01", 1.5), "days", "an int"),
        (lambda: Horizon.next_months("2024-01-01", 10**9), "months", "int in [1,"),
        (lambda: Horizon.next_months("2024-01-01", 3000), "months", "ends by 2200-12-31"),
        (lambda: Horizon.next_periods("2024-01-01", "year", 500), "n", "ends by"),
        (lambda: Horizon.next_days("", 3), "as_of", "must not be null"),
        (lambda: Horizon.next_days("19970101", 3), "as_of", "date_format"),
        (lambda: period_labels([10**15], "day"), "keys", "years 1900-2200"),
        (lambda: period_labels([1.5], "day"), "keys", "integer period keys"),
        (lambda: period_bounds([10**12], "month"), "keys", "years 1900-2200"),
        (lambda: period_keys(["2024-01-01", ""], "day"), "timestamps", "must not be null"),
        (lambda: period_keys(["2024-01-01"], "fortnight"), "freq", "one of"),
        (lambda: period_keys(["2024-01-01"], "day", calendar="iso"), "calendar", "a Calendar"),
        (lambda: default_as_of(["NaT"]), "timestamps", "must not be null"),
        (
            lambda: default_as_of(np.array(["2024-01-01", "NaT"], dtype="M8[D]")),
            "timestamps",
            "null",
        ),
        (
            lambda: default_as_of(np.array(["300000-01-01"], dtype="M8[D]")),
            "timestamps",
            "years 1900-2200",
        ),
    ],
)
def test_bad_period_inputs_name_the_field(call, field, words):
    with pytest.raises(InputError) as info:
        call()
    assert info.value.field == field
    assert words in str(info.value)


def test_week_start_takes_an_int():
    assert Calendar(week_start=6).week_start is Weekday.SUNDAY
    assert Calendar(week_start=Weekday.TUESDAY).week_start is Weekday.TUESDAY
