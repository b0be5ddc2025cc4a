"""Calendar periods: weeks, months, quarters, years and fiscal years, and horizons.

Every forecast and cohort table in crmkit groups timestamps by a period of a
:class:`Frequency` under a :class:`Calendar` (which day a week starts on,
which month a fiscal year starts in). Periods are identified by an integer
*key* (an ordinal counted from 1970), so grouping by period is grouping by an
integer; :func:`bucket` turns timestamps into keys plus a table of every
period between the first and the last, empty ones included.

Horizons ("the next 30 days", "the next 3 months from as_of") are
:class:`Horizon` values, built with calendar-aware month arithmetic from
python-dateutil (31 January + 1 month is the end of February).

Examples
--------
A retailer whose fiscal year starts in April:

>>> import numpy as np
>>> from crmkit.periods import Calendar, bucket
>>> fy = Calendar(fiscal_year_start_month=4)
>>> b = bucket(
...     np.array(["2024-03-31", "2024-04-01"], dtype="datetime64[D]"),
...     "fiscal_year",
...     calendar=fy,
... )
>>> b.label.tolist()
['FY2024', 'FY2025']
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt
from dateutil.relativedelta import relativedelta

from crmkit._input import DATETIME_DTYPE, DEFAULT_YEARS, as_datetime, scalar_datetime, to_array
from crmkit._params import choice, flag, instance, integer
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError

__all__ = [
    "Calendar",
    "Frequency",
    "FrequencyLike",
    "Horizon",
    "PeriodBuckets",
    "Weekday",
    "bucket",
    "default_as_of",
    "last_observed_period",
    "period_bounds",
    "period_keys",
    "period_labels",
]

IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]

_EPOCH_WEEKDAY: Final = 3  # 1970-01-01 was a Thursday (Monday = 0)
_ONE_DAY: Final = np.timedelta64(1, "D")


class Frequency(enum.StrEnum):
    """The length of a period.

    ``fiscal_quarter`` and ``fiscal_year`` follow the calendar's fiscal year
    start month; the others are calendar periods.
    """

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    FISCAL_QUARTER = "fiscal_quarter"
    FISCAL_YEAR = "fiscal_year"


FrequencyLike = (
    Frequency | Literal["day", "week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year"]
)
"""A :class:`Frequency` or its string value, e.g. ``"month"``."""


class Weekday(enum.IntEnum):
    """Day a week starts on (Monday = 0, as in :mod:`datetime`)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


def _check_month(_inst: object, _attr: attrs.Attribute[int], value: object) -> None:
    integer(value, name="fiscal_year_start_month", function="Calendar", minimum=1, maximum=12)


def _weekday(value: object) -> Weekday:
    """Return the Weekday of a member or its int value 0 (Monday) to 6; bools, names refused."""
    if isinstance(value, Weekday):
        return value
    return Weekday(integer(value, name="week_start", function="Calendar", minimum=0, maximum=6))


def _check_label(_inst: object, _attr: attrs.Attribute[str], value: object) -> None:
    choice(value, ("end", "start"), name="fiscal_year_label", function="Calendar")


@attrs.frozen(kw_only=True)
class Calendar:
    """How weeks and fiscal years are laid out.

    Attributes
    ----------
    week_start : Weekday
        First day of a week; default Monday (ISO 8601).
    fiscal_year_start_month : int
        Month (1-12) a fiscal year starts in; default 1 (fiscal = calendar year).
    fiscal_year_label : {"end", "start"}
        Name a fiscal year after the calendar year it ends in (default, the
        common US usage: FY2025 runs April 2024 - March 2025) or starts in.

    Examples
    --------
    >>> Calendar(week_start=Weekday.SUNDAY, fiscal_year_start_month=10).fiscal_year_start_month
    10
    """

    week_start: Weekday = attrs.field(default=Weekday.MONDAY, converter=_weekday)
    fiscal_year_start_month: int = attrs.field(default=1, validator=_check_month)
    fiscal_year_label: Literal["end", "start"] = attrs.field(default="end", validator=_check_label)


DEFAULT_CALENDAR: Final = Calendar()


def _frequency(freq: object, function: str) -> Frequency:
    return choice(freq, Frequency, name="freq", function=function)


def _calendar(calendar: object, function: str) -> Calendar:
    return instance(calendar, Calendar, name="calendar", function=function, what="a Calendar")


def _times(timestamps: npt.ArrayLike, function: str) -> TimeArray:
    return as_datetime(timestamps, field="timestamps", function=function).values


# period keys a valid timestamp can have: those of the default window of years
_KEY_YEARS: Final = (DEFAULT_YEARS[0], DEFAULT_YEARS[1])


def _period_keys_in(
    keys: npt.ArrayLike, freq: Frequency, calendar: Calendar, function: str
) -> IntArray:
    """Integer period keys whose periods start inside the window of valid years."""
    raw = to_array(keys, field="keys", function=function)
    if raw.dtype.kind not in "iu":
        raise InputError(
            f"The 'keys' column of {function} must hold integer period keys; got dtype "
            f"{raw.dtype}.",
            field="keys",
            hint="Pass keys from period_keys().",
        )
    k = raw.astype(np.int64, copy=False)
    bounds = np.array(
        [f"{_KEY_YEARS[0]}-01-01", f"{_KEY_YEARS[1]}-12-31"], dtype="datetime64[D]"
    ).astype(DATETIME_DTYPE)
    lo, hi = _keys(bounds, freq, calendar).tolist()
    if k.size and (int(k.min()) < lo or int(k.max()) > hi):
        bad = (k < lo) | (k > hi)
        raise InputError.for_rows(
            "keys",
            f"must be {freq.value} keys of the years {_KEY_YEARS[0]}-{_KEY_YEARS[1]} "
            f"({lo} to {hi})",
            positions=np.flatnonzero(bad)[:5].tolist(),
            values=k[bad][:5].tolist(),
            n_bad=int(bad.sum()),
            function=function,
        )
    return k


def period_keys(
    timestamps: npt.ArrayLike,
    freq: FrequencyLike,
    *,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> IntArray:
    """Return the integer key of the period each timestamp falls in.

    Keys are ordinals counted from 1970 (days, weeks, months, quarters or
    years), so consecutive periods have consecutive keys.

    Parameters
    ----------
    timestamps : array_like, shape (n,)
        Datetimes (any form :class:`~crmkit.Transactions` accepts).
    freq : Frequency or str
        Period length.
    calendar : Calendar
        Week start and fiscal year start.

    Returns
    -------
    ndarray of int64, shape (n,)
        One key per timestamp.

    Examples
    --------
    >>> import numpy as np
    >>> period_keys(np.array(["1970-02-15", "1971-01-01"], dtype="datetime64[D]"), "month").tolist()
    [1, 12]
    """
    f = _frequency(freq, "period_keys")
    cal = _calendar(calendar, "period_keys")
    return _keys(_times(timestamps, "period_keys"), f, cal)


def _keys(times: TimeArray, freq: Frequency, calendar: Calendar) -> IntArray:
    if freq is Frequency.DAY:
        return times.astype("datetime64[D]").astype(np.int64)
    if freq is Frequency.WEEK:
        days = times.astype("datetime64[D]").astype(np.int64)
        return (days - (int(calendar.week_start) - _EPOCH_WEEKDAY)) // 7
    months = times.astype("datetime64[M]").astype(np.int64)
    shift = calendar.fiscal_year_start_month - 1
    if freq is Frequency.MONTH:
        return months
    if freq is Frequency.QUARTER:
        return months // 3
    if freq is Frequency.YEAR:
        return months // 12
    if freq is Frequency.FISCAL_QUARTER:
        return (months - shift) // 3
    return (months - shift) // 12


def last_observed_period(
    as_of: object,
    freq: FrequencyLike,
    *,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> int:
    """Return the key of the last period observed before ``as_of`` (exclusive).

    ``as_of`` is the exclusive end of observation everywhere in crmkit, so
    the last observed period is the one holding the instant just before it:
    as of midnight on 1 July, the last observed month is June. Period counts
    (a customer's age ``T``, the periods of a cohort) run to this period.

    Parameters
    ----------
    as_of : date-like
        End of observation, exclusive.
    freq : Frequency or str
        Period length.
    calendar : Calendar
        Week start and fiscal year start.

    Returns
    -------
    int
        A period key as :func:`period_keys` gives.

    Examples
    --------
    >>> last_observed_period("2024-07-01", "month") == period_keys(
    ...     np.array(["2024-06-30"], dtype="M8[D]"), "month"
    ... )[0]
    np.True_
    >>> last_observed_period("2024-07-01T12:00", "month") == period_keys(
    ...     np.array(["2024-07-01"], dtype="M8[D]"), "month"
    ... )[0]
    np.True_
    """
    f = _frequency(freq, "last_observed_period")
    cal = _calendar(calendar, "last_observed_period")
    end = scalar_datetime(as_of, field="as_of", function="last_observed_period")
    last_instant = end - np.timedelta64(1, "us")
    return int(_keys(np.array([last_instant], dtype=DATETIME_DTYPE), f, cal)[0])


def period_bounds(
    keys: npt.ArrayLike,
    freq: FrequencyLike,
    *,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> tuple[TimeArray, TimeArray]:
    """Return the start (inclusive) and end (exclusive) of each period key.

    Parameters
    ----------
    keys : array_like of int, shape (k,)
        Period keys from :func:`period_keys`.
    freq : Frequency or str
        Period length.
    calendar : Calendar
        Week start and fiscal year start.

    Returns
    -------
    start, end : ndarray of datetime64[us], shape (k,)
        Half-open bounds ``[start, end)``.

    Examples
    --------
    >>> s, e = period_bounds([216], "quarter")
    >>> str(s[0].astype("datetime64[D]")), str(e[0].astype("datetime64[D]"))
    ('2024-01-01', '2024-04-01')
    """
    f = _frequency(freq, "period_bounds")
    cal = _calendar(calendar, "period_bounds")
    k = _period_keys_in(keys, f, cal, "period_bounds")
    start = _starts(k, f, cal)
    end = _starts(k + 1, f, cal)
    return start, end


def _starts(keys: IntArray, freq: Frequency, calendar: Calendar) -> TimeArray:
    if freq is Frequency.DAY:
        days = keys
    elif freq is Frequency.WEEK:
        days = keys * 7 + (int(calendar.week_start) - _EPOCH_WEEKDAY)
    else:
        shift = calendar.fiscal_year_start_month - 1
        months = {
            Frequency.MONTH: keys,
            Frequency.QUARTER: keys * 3,
            Frequency.YEAR: keys * 12,
            Frequency.FISCAL_QUARTER: keys * 3 + shift,
            Frequency.FISCAL_YEAR: keys * 12 + shift,
        }[freq]
        return months.astype("datetime64[M]").astype(DATETIME_DTYPE)
    return days.astype("datetime64[D]").astype(DATETIME_DTYPE)


def period_labels(
    keys: npt.ArrayLike,
    freq: FrequencyLike,
    *,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> npt.NDArray[np.str_]:
    """Return a human label for each period key.

    Labels: days ``2024-03-05``; weeks ``2024-W10`` (ISO week) when weeks start
    on Monday, else ``week of 2024-03-03``; months ``2024-03``; quarters
    ``2024-Q1``; years ``2024``; fiscal quarters ``FY2025-Q1`` and fiscal
    years ``FY2025`` (named by the calendar's ``fiscal_year_label`` rule).

    Parameters
    ----------
    keys : array_like of int, shape (k,)
        Period keys from :func:`period_keys`.
    freq : Frequency or str
        Period length.
    calendar : Calendar
        Week start and fiscal year start.

    Returns
    -------
    ndarray of str, shape (k,)
        One label per key.

    Examples
    --------
    >>> period_labels([648, 649], "month").tolist()
    ['2024-01', '2024-02']
    >>> fy = Calendar(fiscal_year_start_month=4)
    >>> period_labels(
    ...     period_keys(np.array(["2024-05-01"], dtype="M8[D]"), "fiscal_quarter", calendar=fy),
    ...     "fiscal_quarter",
    ...     calendar=fy,
    ... ).tolist()
    ['FY2025-Q1']
    """
    f = _frequency(freq, "period_labels")
    calendar = _calendar(calendar, "period_labels")
    k = _period_keys_in(keys, f, calendar, "period_labels")
    if f is Frequency.DAY:
        return k.astype("datetime64[D]").astype(str)
    if f is Frequency.WEEK:
        starts = _starts(k, f, calendar).astype("datetime64[D]")
        if calendar.week_start is Weekday.MONDAY:
            return np.array([_iso_week(d) for d in starts.tolist()], dtype=str)
        return np.strings.add("week of ", starts.astype(str))
    if f is Frequency.MONTH:
        return k.astype("datetime64[M]").astype(str)
    if f is Frequency.YEAR:
        return (1970 + k).astype(str)
    if f is Frequency.QUARTER:
        years = (1970 + k // 4).astype(str)
        return np.strings.add(np.strings.add(years, "-Q"), (k % 4 + 1).astype(str))
    shift = calendar.fiscal_year_start_month - 1
    per_year = 4 if f is Frequency.FISCAL_QUARTER else 1
    fy_index = k // per_year  # fiscal years since the one starting in 1970
    start_year = 1970 + (fy_index * 12 + shift) // 12
    named = start_year + (1 if calendar.fiscal_year_label == "end" and shift else 0)
    labels = np.strings.add("FY", named.astype(str))
    if f is Frequency.FISCAL_QUARTER:
        labels = np.strings.add(np.strings.add(labels, "-Q"), (k % 4 + 1).astype(str))
    return labels


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@attrs.frozen(kw_only=True, repr=False)
class PeriodBuckets(Result):
    """Timestamps assigned to periods, with a table of every period in the span.

    Attributes
    ----------
    freq : Frequency
        Period length.
    calendar : Calendar
        Week start and fiscal year start used.
    codes : ndarray of int64, shape (n,)
        For each input timestamp, the row of its period in the table below.
    key : ndarray of int64, shape (k,)
        Period keys, consecutive from the first to the last period.
    start, end : ndarray of datetime64[us], shape (k,)
        Half-open bounds of each period.
    label : ndarray of str, shape (k,)
        Human label of each period.
    count : ndarray of int64, shape (k,)
        Timestamps per period (zero for empty periods, which are kept).
    """

    _table: ClassVar[tuple[str, ...]] = ("key", "label", "start", "end", "count")
    _kinds: ClassVar[Mapping[str, Kind]] = {"key": "id"}

    freq: Frequency
    calendar: Calendar
    codes: IntArray
    key: IntArray
    start: TimeArray
    end: TimeArray
    label: npt.NDArray[np.str_]
    count: IntArray


def bucket(
    timestamps: npt.ArrayLike,
    freq: FrequencyLike,
    *,
    calendar: Calendar = DEFAULT_CALENDAR,
    first: object | None = None,
    last: object | None = None,
) -> PeriodBuckets:
    """Assign timestamps to periods and list every period in their span.

    Parameters
    ----------
    timestamps : array_like, shape (n,)
        Datetimes in any form :class:`~crmkit.Transactions` accepts.
    freq : Frequency or str
        Period length.
    calendar : Calendar
        Week start and fiscal year start.
    first, last : date-like, optional
        Widen the table to start at the period containing *first* and end at
        the one containing *last* (e.g. a forecast horizon), so periods with
        no timestamps still appear.

    Returns
    -------
    PeriodBuckets
        Per-timestamp codes and a per-period table.

    Raises
    ------
    InputError
        If there are no timestamps and no *first*/*last* to span.

    Examples
    --------
    >>> import numpy as np
    >>> ts = np.array(["2024-01-15", "2024-03-02", "2024-03-30"], dtype="datetime64[D]")
    >>> b = bucket(ts, "month")
    >>> b.label.tolist(), b.count.tolist(), b.codes.tolist()
    (['2024-01', '2024-02', '2024-03'], [1, 0, 2], [0, 2, 2])
    """
    f = _frequency(freq, "bucket")
    calendar = _calendar(calendar, "bucket")
    times = _times(timestamps, "bucket")
    keys = _keys(times, f, calendar)
    bounds = [int(keys.min()), int(keys.max())] if keys.size else []
    for name, edge in (("first", first), ("last", last)):
        if edge is not None:
            edge_key = _keys(
                np.array([scalar_datetime(edge, field=name, function="bucket")]),
                f,
                calendar,
            )
            bounds.append(int(edge_key[0]))
    if not bounds:
        raise InputError(
            "bucket needs at least one timestamp, or first/last to span.",
            field="timestamps",
        )
    lo, hi = min(bounds), max(bounds)
    table_keys = np.arange(lo, hi + 1, dtype=np.int64)
    codes = keys - lo
    start, end = period_bounds(table_keys, f, calendar=calendar)
    return PeriodBuckets(
        freq=f,
        calendar=calendar,
        codes=codes,
        key=table_keys,
        start=start,
        end=end,
        label=period_labels(table_keys, f, calendar=calendar),
        count=bincount(codes, minlength=table_keys.size).astype(np.int64),
    )


def _check_as_of(_inst: object, _attr: attrs.Attribute[object], value: object) -> None:
    if not isinstance(value, np.datetime64) or value.dtype != DATETIME_DTYPE:
        raise InputError("Horizon bounds must be datetime64[us].", field=_attr.name)


@attrs.frozen(kw_only=True)
class Horizon:
    """A half-open time window ``[start, end)``, such as "the next 90 days".

    Build one with :meth:`next_days`, :meth:`next_months` or
    :meth:`next_periods`; each takes an explicit ``as_of``.

    Attributes
    ----------
    start, end : numpy.datetime64
        Bounds, ``datetime64[us]``; ``end`` is exclusive.
    label : str
        What the window is, e.g. ``"next 3 months from 2024-01-31"``.

    Examples
    --------
    >>> h = Horizon.next_months("2024-01-31", 1)
    >>> str(h.end.astype("datetime64[D]"))
    '2024-02-29'
    """

    start: np.datetime64 = attrs.field(validator=_check_as_of)
    end: np.datetime64 = attrs.field(validator=_check_as_of)
    label: str

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise InputError(
                f"A Horizon must end after it starts; got {self.start} to {self.end}.",
                field="end",
            )

    def contains(self, timestamps: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Return which timestamps fall inside ``[start, end)``.

        Parameters
        ----------
        timestamps : array_like, shape (n,)
            Datetimes.

        Returns
        -------
        ndarray of bool, shape (n,)

        Examples
        --------
        >>> Horizon.next_days("2024-01-01", 30).contains(["2024-01-30", "2024-01-31"]).tolist()
        [True, False]
        """
        times = _times(timestamps, "Horizon.contains")
        return (times >= self.start) & (times < self.end)

    @classmethod
    def next_days(cls, as_of: object, days: int) -> Horizon:
        """Build the window of *days* days starting at *as_of*.

        Parameters
        ----------
        as_of : date-like
            Start of the window (inclusive).
        days : int
            Length, >= 1.

        Returns
        -------
        Horizon

        Examples
        --------
        >>> Horizon.next_days("2024-06-01", 90).label
        'next 90 days from 2024-06-01'
        """
        n = _positive_int(days, "days", "Horizon.next_days", _MAX_SPAN_DAYS)
        start = scalar_datetime(as_of, field="as_of", function="Horizon.next_days")
        end = _in_window(
            start + np.timedelta64(n, "D").astype("timedelta64[us]"), "days", "Horizon.next_days"
        )
        return cls(start=start, end=end, label=f"next {n} days from {_day(start)}")

    @classmethod
    def next_months(cls, as_of: object, months: int) -> Horizon:
        """Build the window of *months* calendar months from *as_of* (month ends clip).

        Parameters
        ----------
        as_of : date-like
            Start of the window (inclusive).
        months : int
            Length, >= 1.

        Returns
        -------
        Horizon

        Examples
        --------
        >>> str(Horizon.next_months("2024-11-30", 3).end)
        '2025-02-28T00:00:00.000000'
        """
        n = _positive_int(months, "months", "Horizon.next_months", _MAX_SPAN_DAYS // 28)
        start = scalar_datetime(as_of, field="as_of", function="Horizon.next_months")
        start_py = start.astype(dt.datetime)
        end = _in_window(
            np.datetime64(start_py + relativedelta(months=n), "us"),
            "months",
            "Horizon.next_months",
        )
        unit = "month" if n == 1 else "months"
        return cls(start=start, end=end, label=f"next {n} {unit} from {_day(start)}")

    @classmethod
    def next_periods(
        cls,
        as_of: object,
        freq: FrequencyLike,
        n: int,
        *,
        calendar: Calendar = DEFAULT_CALENDAR,
        include_current: bool = False,
    ) -> Horizon:
        """Whole periods after the one containing *as_of* (or from it, if asked).

        Parameters
        ----------
        as_of : date-like
            The reference time.
        freq : Frequency or str
            Period length.
        n : int
            Number of whole periods, >= 1.
        calendar : Calendar
            Week start and fiscal year start.
        include_current : bool
            Start with the period containing *as_of* instead of the next one.

        Returns
        -------
        Horizon

        Examples
        --------
        >>> Horizon.next_periods("2024-02-10", "quarter", 1).label
        '2024-Q2'
        """
        f = _frequency(freq, "Horizon.next_periods")
        include_current = flag(
            include_current, name="include_current", function="Horizon.next_periods"
        )
        calendar = _calendar(calendar, "Horizon.next_periods")
        count = _positive_int(n, "n", "Horizon.next_periods", _MAX_SPAN_DAYS)
        ref = scalar_datetime(as_of, field="as_of", function="Horizon.next_periods")
        key = int(_keys(np.array([ref]), f, calendar)[0]) + (0 if include_current else 1)
        last_day = np.array([f"{DEFAULT_YEARS[1]}-12-31"], dtype="datetime64[D]")
        if key + count - 1 > int(_keys(last_day.astype(DATETIME_DTYPE), f, calendar)[0]):
            raise InputError.for_parameter(
                "n",
                f"small enough that the window ends by {DEFAULT_YEARS[1]}-12-31",
                count,
                function="Horizon.next_periods",
            )
        keys = np.array([key, key + count - 1], dtype=np.int64)
        starts, ends = period_bounds(keys, f, calendar=calendar)
        labels = period_labels(keys, f, calendar=calendar)
        label = str(labels[0]) if count == 1 else f"{labels[0]} to {labels[1]}"
        return cls(start=starts[0], end=ends[1], label=label)


_MAX_SPAN_DAYS: Final = 366 * (DEFAULT_YEARS[1] - DEFAULT_YEARS[0] + 1)
"""No window is longer than the span of valid years (beyond it, the end is a misread)."""


def _positive_int(value: object, name: str, function: str, maximum: int) -> int:
    return integer(value, name=name, function=function, minimum=1, maximum=maximum)


def _in_window(end: np.datetime64, name: str, function: str) -> np.datetime64:
    """Refuse a window whose end falls after the last valid year."""
    last = np.datetime64(f"{DEFAULT_YEARS[1] + 1}-01-01", "us")
    if end > last:
        raise InputError.for_parameter(
            name,
            f"short enough that the window ends by {DEFAULT_YEARS[1]}-12-31",
            f"a window ending {_day(end)}",
            function=function,
        )
    return end


def _day(value: np.datetime64) -> str:
    return str(value.astype("datetime64[D]"))


def default_as_of(timestamps: npt.ArrayLike) -> np.datetime64:
    """Return the conventional ``as_of``: midnight after the last timestamp.

    Parameters
    ----------
    timestamps : array_like, shape (n,)
        Observation times; at least one.

    Returns
    -------
    numpy.datetime64
        ``datetime64[us]`` at the start of the day after the latest timestamp.

    Examples
    --------
    >>> str(default_as_of(["2024-03-01T15:30", "2024-02-01"]))
    '2024-03-02T00:00:00.000000'
    """
    times = _times(timestamps, "default_as_of")
    if times.size == 0:
        raise InputError("default_as_of needs at least one timestamp.", field="timestamps")
    last_day = times.max().astype("datetime64[D]")
    out: np.datetime64 = (last_day + _ONE_DAY).astype(DATETIME_DTYPE)
    return out
