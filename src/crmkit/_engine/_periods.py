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

from typing import Any, Final

import narwhals.stable.v2 as nw

from crmkit.periods import Calendar, Frequency

__all__ = ["with_period_key"]

_EPOCH_WEEKDAY: Final = 3  # 1970-01-01 was a Thursday (Monday = 0), as in crmkit.periods
_WEEKS_BACK: Final = 200_000  # weeks before 1970 the offset covers (back past year 1)
_YEARS_BACK: Final = 3_000  # years before 1970 the month offset covers


_TMP: Final = "_crmkit_"


def _col(name: str) -> nw.Expr:
    return nw.col(_TMP + name)


def _with_day_number(frame: nw.LazyFrame[Any], ts: str, name: str) -> nw.LazyFrame[Any]:
    """Add days since 1970-01-01 of column *ts* (Hinnant's ``days_from_civil``) as *name*.

    Built in steps, one column each, so no sub-expression is repeated: an
    engine that inlines expressions (DuckDB binds SQL text) gets a small query.
    """
    t = nw.col(ts)
    month = t.dt.month().cast(nw.Int64)
    early = (month <= 2).cast(nw.Int64)
    frame = frame.with_columns(
        (t.dt.year().cast(nw.Int64) - early).alias(_TMP + "y"),  # years counted from March
        (month + 12 * early - 3).alias(_TMP + "mp"),  # March = 0 ... February = 11
        t.dt.day().cast(nw.Int64).alias(_TMP + "d"),
    )
    frame = frame.with_columns((_col("y") // 400).alias(_TMP + "era"))  # y >= 0 here
    frame = frame.with_columns(
        (_col("y") - _col("era") * 400).alias(_TMP + "yoe"),
        ((153 * _col("mp") + 2) // 5 + _col("d") - 1).alias(_TMP + "doy"),
    )
    yoe = _col("yoe")
    doe = yoe * 365 + yoe // 4 - yoe // 100 + _col("doy")
    frame = frame.with_columns((_col("era") * 146_097 + doe - 719_468).alias(name))
    return frame.drop(*(_TMP + n for n in ("y", "mp", "d", "era", "yoe", "doy")))


def _floor_div(value: nw.Expr, divisor: int, offset: int) -> nw.Expr:
    """``value // divisor`` for value >= -offset * divisor, over a non-negative operand."""
    return (value + offset * divisor) // divisor - offset


def with_period_key(
    frame: nw.LazyFrame[Any], ts: str, freq: Frequency, calendar: Calendar, *, name: str
) -> nw.LazyFrame[Any]:
    """Add the period key of column *ts* as column *name*: :func:`~crmkit.periods.period_keys`.

    Parameters
    ----------
    frame : narwhals LazyFrame
        Holds *ts*, UTC-naive datetimes.
    ts : str
        The datetime column.
    freq : Frequency
        The period.
    calendar : Calendar
        Week start and fiscal year start month.
    name : str
        The new column: Int64 keys, consecutive periods having consecutive keys.

    Returns
    -------
    narwhals LazyFrame
        *frame* with the key column added.
    """
    if freq is Frequency.DAY:
        return _with_day_number(frame, ts, name)
    if freq is Frequency.WEEK:
        shift = int(calendar.week_start) - _EPOCH_WEEKDAY
        frame = _with_day_number(frame, ts, _TMP + "day")
        key = _floor_div(_col("day") - shift, 7, _WEEKS_BACK)
        return frame.with_columns(key.alias(name)).drop(_TMP + "day")
    t = nw.col(ts)
    months = (t.dt.year().cast(nw.Int64) - 1970) * 12 + t.dt.month().cast(nw.Int64) - 1
    shift = calendar.fiscal_year_start_month - 1
    months_back = 12 * _YEARS_BACK
    if freq is Frequency.MONTH:
        key = months
    elif freq is Frequency.QUARTER:
        key = _floor_div(months, 3, months_back // 3)
    elif freq is Frequency.YEAR:
        key = _floor_div(months, 12, _YEARS_BACK)
    elif freq is Frequency.FISCAL_QUARTER:
        key = _floor_div(months - shift, 3, months_back // 3)
    else:
        key = _floor_div(months - shift, 12, _YEARS_BACK)
    return frame.with_columns(key.alias(name))
