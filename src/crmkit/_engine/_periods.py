"""Period keys as narwhals expressions: :func:`crmkit.periods.period_keys` inside an engine.

Engines truncate dates differently (weeks start on Monday in DuckDB and polars,
on Sunday in some SQL dialects; none knows crmkit's fiscal years), so the keys
are built from the calendar fields every engine has (year, month, day) with
integer arithmetic only: the civil-date-to-day-number formula of Hinnant [1]_
for days and weeks, ``12 * (year - 1970) + month - 1`` for months. Every
floor division is taken over a non-negative operand (an offset is added and
taken off again), because engines disagree on ``//`` of negative numbers.

References
----------
.. [1] Hinnant, H. (2013). "chrono-Compatible Low-Level Date Algorithms",
   ``days_from_civil``. https://howardhinnant.github.io/date_algorithms.html
"""

from __future__ import annotations

from typing import Final

import narwhals.stable.v2 as nw

from crmkit.periods import Calendar, Frequency

__all__ = ["day_number", "period_key"]

_EPOCH_WEEKDAY: Final = 3  # 1970-01-01 was a Thursday (Monday = 0), as in crmkit.periods
_WEEKS_BACK: Final = 200_000  # weeks before 1970 the offset covers (back past year 1)
_YEARS_BACK: Final = 3_000  # years before 1970 the month offset covers


def day_number(ts: nw.Expr) -> nw.Expr:
    """Return days since 1970-01-01 of a datetime expression (Hinnant's ``days_from_civil``)."""
    year = ts.dt.year().cast(nw.Int64)
    month = ts.dt.month().cast(nw.Int64)
    day = ts.dt.day().cast(nw.Int64)
    early = (month <= 2).cast(nw.Int64)
    y = year - early  # years counted from March, so the leap day ends a year
    era = y // 400  # y >= 0 for every datetime an engine holds
    yoe = y - era * 400
    mp = month + 12 * early - 3  # March = 0 ... February = 11
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _floor_div(value: nw.Expr, divisor: int, offset: int) -> nw.Expr:
    """``value // divisor`` for value >= -offset * divisor, over a non-negative operand."""
    return (value + offset * divisor) // divisor - offset


def period_key(ts: nw.Expr, freq: Frequency, calendar: Calendar) -> nw.Expr:
    """Return the period key of each timestamp, equal to :func:`crmkit.periods.period_keys`.

    Parameters
    ----------
    ts : narwhals Expr
        UTC-naive datetimes.
    freq : Frequency
        The period.
    calendar : Calendar
        Week start and fiscal year start month.

    Returns
    -------
    narwhals Expr
        Int64 keys, consecutive periods having consecutive keys.
    """
    if freq is Frequency.DAY:
        return day_number(ts)
    if freq is Frequency.WEEK:
        shift = int(calendar.week_start) - _EPOCH_WEEKDAY
        return _floor_div(day_number(ts) - shift, 7, _WEEKS_BACK)
    months = (ts.dt.year().cast(nw.Int64) - 1970) * 12 + ts.dt.month().cast(nw.Int64) - 1
    shift = calendar.fiscal_year_start_month - 1
    months_back = 12 * _YEARS_BACK
    if freq is Frequency.MONTH:
        return months
    if freq is Frequency.QUARTER:
        return _floor_div(months, 3, months_back // 3)
    if freq is Frequency.YEAR:
        return _floor_div(months, 12, _YEARS_BACK)
    if freq is Frequency.FISCAL_QUARTER:
        return _floor_div(months - shift, 3, months_back // 3)
    return _floor_div(months - shift, 12, _YEARS_BACK)
