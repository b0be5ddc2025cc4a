"""Time in stage, acquisition-cohort retention and churn per period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._engine import activity_periods
from crmkit._frames import Backend, to_backend
from crmkit._groups import Factorized, factorize
from crmkit._input import (
    DATETIME_DTYPE,
    as_datetime,
    as_ids,
    as_readonly,
    check_date_format,
    scalar_datetime,
)
from crmkit._params import choice, instance
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit._survival import km_median
from crmkit._transactions import Transactions, customer_groups
from crmkit.errors import InputError
from crmkit.lifecycle._columns import columns, nonempty_rows
from crmkit.lifecycle._entries import stage_entries
from crmkit.periods import (
    DEFAULT_CALENDAR,
    Calendar,
    Frequency,
    FrequencyLike,
    default_as_of,
    last_observed_period,
    period_keys,
    period_labels,
)

__all__ = [
    "CohortRetention",
    "PeriodChurn",
    "StageSpells",
    "TimeInStage",
    "churn_by_period",
    "cohort_retention",
    "time_in_stage",
]

_US_PER_DAY: Final = 86_400_000_000
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, repr=False)
class StageSpells(Result):
    """One row per stay of a customer in a stage.

    Attributes
    ----------
    customer : ndarray, shape (m,)
        Customer id.
    stage : ndarray of str, shape (m,)
        Stage of the stay.
    start, end : ndarray of datetime64[us], shape (m,)
        Entry and exit (``as_of`` for stays still open).
    days : ndarray of float64, shape (m,)
        Duration in days.
    censored : ndarray of bool, shape (m,)
        Whether the stay was still open at ``as_of``.

    Examples
    --------
    >>> from crmkit.lifecycle import time_in_stage
    >>> t = time_in_stage(
    ...     {
    ...         "customer": [1, 1],
    ...         "stage": ["trial", "paid"],
    ...         "timestamp": ["2024-01-01", "2024-01-08"],
    ...     },
    ...     as_of="2024-01-10",
    ... )
    >>> t.spells.days.tolist(), t.spells.censored.tolist()
    ([7.0, 2.0], [False, True])
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "stage", "start", "end", "days", "censored")
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id", "days": "number"}
    _rows: ClassVar[tuple[str, ...]] = _table

    customer: npt.NDArray[Any]
    stage: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    days: FloatArray
    censored: npt.NDArray[np.bool_]


@attrs.frozen(kw_only=True, repr=False)
class TimeInStage(Result):
    """Distribution of time spent per stay in each stage.

    Attributes
    ----------
    stage : ndarray of str, shape (S,)
        Stages (sorted).
    n_spells : ndarray of int64, shape (S,)
        Stays observed.
    n_censored : ndarray of int64, shape (S,)
        Stays still open at ``as_of``.
    mean_completed_days : ndarray of float64, shape (S,)
        Mean duration of the completed stays (NaN if none completed).
    median_days : ndarray of float64, shape (S,)
        Kaplan-Meier median duration, using the open stays as censored
        observations (NaN when fewer than half the stays are known to end).
    spells : StageSpells
        The individual stays.
    as_of : numpy.datetime64
        End of observation (exclusive).
    n_rows_after_as_of : int
        Entries at or after ``as_of`` (excluded).

    Examples
    --------
    >>> from crmkit.lifecycle import time_in_stage
    >>> t = time_in_stage(
    ...     {
    ...         "customer": [1, 2],
    ...         "stage": ["trial", "trial"],
    ...         "timestamp": ["2024-01-01", "2024-01-05"],
    ...     },
    ...     as_of="2024-01-11",
    ... )
    >>> t.n_spells.tolist(), t.n_censored.tolist()
    ([2], [2])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "stage",
        "n_spells",
        "n_censored",
        "mean_completed_days",
        "median_days",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "mean_completed_days": "number",
        "median_days": "number",
    }
    _plot: ClassVar[str] = "survival_curves"

    stage: npt.NDArray[np.str_]
    n_spells: IntArray
    n_censored: IntArray
    mean_completed_days: FloatArray
    median_days: FloatArray
    spells: StageSpells
    as_of: np.datetime64
    n_rows_after_as_of: int


def time_in_stage(
    data: object,
    *,
    as_of: object,
    customer: str = "customer",
    stage: str = "stage",
    timestamp: str = "timestamp",
    date_format: str | None = None,
) -> TimeInStage:
    """Time-in-stage distributions from stage entries (a history log).

    Parameters
    ----------
    data : Replay, StageLog, DataFrame-like or mapping of arrays
        Rows "customer entered stage at timestamp"; from a replay, its
        recorded changes (``target`` and ``at``). A customer's stay lasts until
        their next entry.
    as_of : date, datetime, ISO string or numpy.datetime64
        End of observation, exclusive: stays still open are censored here;
        entries at or after it are excluded and counted.
    customer, stage, timestamp : str
        Column names (tables only).
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (tables only).

    Returns
    -------
    TimeInStage
        Per stage: stays, censored stays, mean completed duration, Kaplan-Meier
        median; and the stays themselves.

    Raises
    ------
    InputError
        On empty data, null ids, bad timestamps, or no entry before ``as_of``.

    Notes
    -----
    From a :class:`StageLog`, only stays that began with a recorded change are
    known; the stay before a customer's first change has no known start and is
    not counted. The Kaplan-Meier estimate is
    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` over the completed stays, the
    median the first duration with ``S(t) <= 0.5`` (Kaplan & Meier, 1958).
    ``mean_completed_days`` is NaN for a stage none of whose stays ended
    (``n_spells == n_censored``) and ``median_days`` NaN when fewer than half
    of a stage's stays are known to end; every other number is finite.

    References
    ----------
    .. [1] Kaplan, E. L. and Meier, P. (1958). "Nonparametric Estimation from
       Incomplete Observations". JASA 53(282), 457-481.

    Examples
    --------
    Two trial users; one converted after 14 days, the other is still in trial:

    >>> entries = {
    ...     "customer": [1, 1, 2],
    ...     "stage": ["trial", "paying", "trial"],
    ...     "timestamp": ["2024-01-01", "2024-01-15", "2024-01-20"],
    ... }
    >>> t = time_in_stage(entries, as_of="2024-01-31")
    >>> t.stage.tolist(), t.n_spells.tolist(), t.n_censored.tolist()
    (['paying', 'trial'], [1, 2], [1, 1])
    >>> t.mean_completed_days.tolist()[1], t.median_days.tolist()[1]
    (14.0, 14.0)
    """
    function = "time_in_stage"
    end = scalar_datetime(as_of, field="as_of", function=function)
    entries = stage_entries(
        data,
        customer=customer,
        stage=stage,
        timestamp=timestamp,
        date_format=check_date_format(date_format, function=function),
        end=end,
        function=function,
    )
    cfac = factorize(entries.customer)
    sfac = factorize(entries.stage)
    t = entries.at.view(np.int64)
    order = np.lexsort((np.arange(t.size), t, cfac.codes))
    c = cfac.codes[order]
    st = t[order]
    last = np.ones(c.size, dtype=bool)
    last[:-1] = c[1:] != c[:-1]
    stop = np.empty_like(st)
    stop[:-1] = st[1:]
    stop[last] = int(end.astype(np.int64))
    days = (stop - st).astype(np.float64) / _US_PER_DAY
    groups = sfac.codes[order]
    k = sfac.n_groups
    n_spells = bincount(groups, minlength=k).astype(np.int64)
    n_cens = bincount(groups[last], minlength=k).astype(np.int64)
    done = ~last
    total_done = bincount(groups[done], weights=days[done], minlength=k)
    n_done = n_spells - n_cens
    mean_done = np.full(k, np.nan)
    np.divide(total_done, n_done, out=mean_done, where=n_done > 0)
    median = km_median(groups, days, done, k)
    spells = StageSpells(
        customer=as_readonly(cfac.uniques[c]),
        stage=as_readonly(sfac.uniques[groups].astype(str)),
        start=as_readonly(st.view(DATETIME_DTYPE)),
        end=as_readonly(stop.view(DATETIME_DTYPE)),
        days=as_readonly(days),
        censored=as_readonly(last),
    )
    return TimeInStage(
        stage=as_readonly(sfac.uniques.astype(str)),
        n_spells=as_readonly(n_spells),
        n_censored=as_readonly(n_cens),
        mean_completed_days=as_readonly(mean_done),
        median_days=as_readonly(median),
        spells=spells,
        as_of=end,
        n_rows_after_as_of=entries.n_after,
    )


@attrs.frozen(kw_only=True)
class _Activity:
    """Distinct (customer code, period key) pairs of activity before ``as_of``."""

    codes: IntArray
    keys: IntArray
    last_key: int
    frequency: Frequency
    calendar: Calendar
    as_of: np.datetime64
    as_of_is_default: bool
    n_after: int


def _activity(
    data: object,
    *,
    customer: str,
    timestamp: str,
    as_of: object,
    frequency: object,
    calendar: object,
    date_format: object,
    function: str,
) -> _Activity:
    """Read activity rows, cut them at ``as_of`` and reduce them to (customer, period) pairs."""
    freq = choice(frequency, Frequency, name="frequency", function=function)
    cal = instance(calendar, Calendar, name="calendar", function=function, what="a Calendar")
    fmt = check_date_format(date_format, function=function)
    if not isinstance(data, Transactions):
        pushed = _activity_in_engine(
            data,
            customer=customer,
            timestamp=timestamp,
            as_of=as_of,
            frequency=freq,
            calendar=cal,
            function=function,
        )
        if pushed is not None:
            return pushed
    groups: Factorized
    if isinstance(data, Transactions):
        groups, times = customer_groups(data), data.timestamp
    else:
        cols = columns(data, {"customer": customer, "timestamp": timestamp}, function=function)
        ids = as_ids(cols["customer"], field="customer", function=function, column=customer)
        times = as_datetime(
            cols["timestamp"],
            field="timestamp",
            function=function,
            column=timestamp,
            date_format=fmt,
        ).values
        nonempty_rows(ids.shape[0], function=function)
        groups = factorize(ids)
    is_default = as_of is None
    end = (
        default_as_of(times)
        if is_default
        else scalar_datetime(as_of, field="as_of", function=function)
    )
    keep = times < end
    n_after = int(keep.size - np.count_nonzero(keep))
    if n_after == keep.size:
        raise InputError.for_parameter(
            "as_of",
            f"after the first activity row ({times.min()})",
            str(end),
            function=function,
            hint="Every row is at or after as_of, so nothing is observed.",
        )
    if n_after:
        groups, times = groups.take(keep), times[keep]
    keys = period_keys(times, freq, calendar=cal)
    last_key = last_observed_period(end, freq, calendar=cal)
    lo = int(keys.min())
    span = last_key - lo + 1
    pair = np.unique(groups.codes * np.int64(span) + (keys - lo))
    return _Activity(
        codes=pair // span,
        keys=pair % span + lo,
        last_key=last_key,
        frequency=freq,
        calendar=cal,
        as_of=end,
        as_of_is_default=is_default,
        n_after=n_after,
    )


def _activity_in_engine(
    data: object,
    *,
    customer: str,
    timestamp: str,
    as_of: object,
    frequency: Frequency,
    calendar: Calendar,
    function: str,
) -> _Activity | None:
    """Return the pairs of :func:`_activity` formed in a lazy table's engine (None: numpy)."""
    given = None if as_of is None else scalar_datetime(as_of, field="as_of", function=function)
    held = activity_periods(
        data,
        customer=customer,
        timestamp=timestamp,
        freq=frequency,
        calendar=calendar,
        function=function,
        before=given,
    )
    if held is None:
        return None
    end = default_as_of(np.array([held.last], dtype=DATETIME_DTYPE)) if given is None else given
    if held.keys.size == 0:  # every row at or after as_of
        raise InputError.for_parameter(
            "as_of",
            f"after the first activity row ({held.first})",
            str(end),
            function=function,
            hint="Every row is at or after as_of, so nothing is observed.",
        )
    last_key = last_observed_period(end, frequency, calendar=calendar)
    lo = int(held.keys.min())
    span = last_key - lo + 1
    pair = np.unique(held.codes * np.int64(span) + (held.keys - lo))
    return _Activity(
        codes=pair // span,
        keys=pair % span + lo,
        last_key=last_key,
        frequency=frequency,
        calendar=calendar,
        as_of=end,
        as_of_is_default=given is None,
        n_after=held.n_late,
    )


@attrs.frozen(kw_only=True, repr=False)
class CohortRetention(Result):
    """Acquisition-cohort retention: cohort x periods since acquisition.

    Attributes
    ----------
    cohort : ndarray of str, shape (C,)
        Label of the acquisition period.
    size : ndarray of int64, shape (C,)
        Customers acquired in the cohort.
    periods_since : ndarray of int64, shape (K,)
        0, 1, ..., K-1.
    active : ndarray of int64, shape (C, K)
        Cohort customers active k periods after acquisition.
    retained : ndarray of int64, shape (C, K)
        Cohort customers active both k - 1 and k periods after acquisition
        (0 at k = 0).
    retention : ndarray of float64, shape (C, K)
        ``active / size``; NaN exactly where ``observable`` is False (the
        period lies after ``as_of``). Customers who come back after a silent
        period make it rise again, as purchase data does.
    observable : ndarray of bool, shape (C, K)
        Where the cell lies on or before the last period of observation.
    churn_rate : ndarray of float64, shape (K,)
        Per period since acquisition, pooled over the cohorts observable at
        k: the share of the customers active at k - 1 who are not active at
        k, ``1 - sum retained[:, k] / sum active[:, k - 1]``. Always in
        [0, 1]; NaN at k = 0 and where none of those cohorts had a customer
        active at k - 1.
    frequency : Frequency
        Period length.
    as_of : numpy.datetime64
        End of observation, exclusive (the last period may be partial).
    as_of_is_default : bool
        Whether ``as_of`` was the default (midnight after the last row).
    n_rows_after_as_of : int
        Activity rows at or after ``as_of`` (excluded).

    Examples
    --------
    >>> from crmkit.lifecycle import cohort_retention
    >>> r = cohort_retention(
    ...     {"customer": [1, 1], "timestamp": ["2024-01-02", "2024-02-02"]}, frequency="month"
    ... )
    >>> r.retention.tolist()
    [[1.0, 1.0]]
    """

    _table: ClassVar[tuple[str, ...]] = ("cohort", "size")
    _kinds: ClassVar[Mapping[str, Kind]] = {"retention": "share", "churn_rate": "share"}
    _plot: ClassVar[str] = "cohort_heatmap"

    cohort: npt.NDArray[np.str_]
    size: IntArray
    periods_since: IntArray
    active: IntArray
    retained: IntArray
    retention: FloatArray
    observable: npt.NDArray[np.bool_]
    churn_rate: FloatArray
    frequency: Frequency
    as_of: np.datetime64
    as_of_is_default: bool
    n_rows_after_as_of: int

    def triangle(self, form: Literal["long", "wide"]) -> dict[str, npt.NDArray[Any]]:
        """Return the cohort triangle as columns, long (one row per cell) or wide.

        Parameters
        ----------
        form : {"long", "wide"}
            ``"long"``: one row per observable (cohort, periods since) cell with
            ``cohort``, ``size``, ``periods_since``, ``active`` and ``retention``.
            ``"wide"``: one row per cohort with ``cohort``, ``size`` and one
            retention column per period since acquisition (``month_0``,
            ``month_1``, ...; NaN after ``as_of``).

        Returns
        -------
        dict of str to ndarray
            Equal-length columns.

        Raises
        ------
        InputError
            If *form* is neither ``"long"`` nor ``"wide"``.

        Examples
        --------
        >>> r = cohort_retention(
        ...     {"customer": [1, 1, 2], "timestamp": ["2024-01-02", "2024-02-02", "2024-02-09"]},
        ...     frequency="month",
        ... )
        >>> r.triangle("wide")["month_1"].tolist()
        [1.0, nan]
        >>> r.triangle("long")["periods_since"].tolist()
        [0, 1, 0]
        """
        form_ = choice(form, ("long", "wide"), name="form", function="CohortRetention.triangle")
        if form_ == "wide":
            wide = {"cohort": self.cohort, "size": self.size}
            unit = self.frequency.value
            wide |= {f"{unit}_{k}": self.retention[:, k] for k in self.periods_since.tolist()}
            return wide
        rows, cols = np.nonzero(self.observable)
        return {
            "cohort": self.cohort[rows],
            "size": self.size[rows],
            "periods_since": self.periods_since[cols],
            "active": self.active[rows, cols],
            "retention": self.retention[rows, cols],
        }

    def to_frame(
        self,
        backend: Backend = "pandas",
        *,
        form: Literal["cohorts", "long", "wide"] = "cohorts",
    ) -> Any:  # noqa: ANN401
        """Return the cohorts, or the cohort triangle, as a DataFrame of *backend*.

        Parameters
        ----------
        backend : {"pandas", "polars", "pyarrow"}
            The frame library to build.
        form : {"cohorts", "long", "wide"}
            ``"cohorts"``: one row per cohort with its size; ``"long"`` and
            ``"wide"``: the retention triangle (see :meth:`triangle`).

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> r = cohort_retention(
        ...     {"customer": [1, 1, 2], "timestamp": ["2024-01-02", "2024-02-02", "2024-02-09"]},
        ...     frequency="month",
        ... )
        >>> r.to_frame(form="wide").columns.tolist()
        ['cohort', 'size', 'month_0', 'month_1']
        """
        shape = choice(
            form, ("cohorts", "long", "wide"), name="form", function="CohortRetention.to_frame"
        )
        if shape == "cohorts":
            return super().to_frame(backend)
        return to_backend(self.triangle(cast("Literal['long', 'wide']", shape)), backend)


def cohort_retention(
    data: object,
    *,
    frequency: FrequencyLike,
    as_of: object = None,
    customer: str = "customer",
    timestamp: str = "timestamp",
    calendar: Calendar = DEFAULT_CALENDAR,
    date_format: str | None = None,
) -> CohortRetention:
    """Build the acquisition-cohort retention table from activity rows.

    Parameters
    ----------
    data : Transactions, DataFrame-like or mapping of arrays
        Activity rows (purchases, logins, panel rows in an active stage):
        a customer is active in a period when they have a row in it, and
        acquired in the period of their first row.
    frequency : Frequency or str
        Period length (``"month"``, ``"quarter"``, ...).
    as_of : date, datetime, ISO string or numpy.datetime64, optional
        End of observation, exclusive; default midnight after the last row.
        Rows at or after it are excluded and counted
        (``n_rows_after_as_of``); periods run to the one holding the instant
        just before it (:func:`crmkit.periods.last_observed_period`).
    customer, timestamp : str
        Column names (tables only).
    calendar : Calendar
        Week start and fiscal year.
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (tables only).

    Returns
    -------
    CohortRetention
        Cohort sizes, active and retained counts, retention rates and churn
        per period since acquisition.

    Raises
    ------
    InputError
        On empty data, null ids, bad timestamps, an unknown frequency, or no
        row before ``as_of``.

    Notes
    -----
    Churn counts who leaves, not the net change: with ``A_k`` the cohort
    customers active k periods after acquisition, ``churn_k = 1 - |A_{k-1}
    cap A_k| / |A_{k-1}|``, the definition :func:`churn_by_period` uses per
    calendar period. It cannot be negative even when returning customers
    make ``|A_k|`` larger than ``|A_{k-1}|``.

    Examples
    --------
    >>> rows = {
    ...     "customer": [1, 1, 2, 2, 3],
    ...     "timestamp": ["2024-01-05", "2024-02-03", "2024-01-20", "2024-03-01", "2024-02-11"],
    ... }
    >>> r = cohort_retention(rows, frequency="month", as_of="2024-04-01")
    >>> r.cohort.tolist(), r.size.tolist()
    (['2024-01', '2024-02'], [2, 1])
    >>> r.active.tolist()
    [[2, 1, 1], [1, 0, 0]]
    >>> r.observable.tolist()
    [[True, True, True], [True, True, False]]

    Customer 2 skipped February and came back in March, so the January
    cohort's retention stays at 0.5 in March; but customer 1, active in
    February, did not come back: churn in month 2 is one of one, not the zero
    the unchanged count would suggest.

    >>> r.retained.tolist()
    [[0, 1, 0], [0, 0, 0]]
    >>> r.churn_rate[1:].round(3).tolist()
    [0.667, 1.0]
    """
    function = "cohort_retention"
    act = _activity(
        data,
        customer=customer,
        timestamp=timestamp,
        as_of=as_of,
        frequency=frequency,
        calendar=calendar,
        date_format=date_format,
        function=function,
    )
    codes, keys, last_key = act.codes, act.keys, act.last_key
    n_customers = int(codes.max()) + 1
    first = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, keys)
    cohorts = np.unique(first)
    c_index = np.searchsorted(cohorts, first)
    since = keys - first[codes]
    K = int(last_key - cohorts[0]) + 1
    C = cohorts.size
    cell = c_index[codes] * K + since
    active = bincount(cell, minlength=C * K).reshape(C, K).astype(np.int64)
    # pairs are sorted by (customer, period): a customer's consecutive periods
    kept = (codes[1:] == codes[:-1]) & (keys[1:] == keys[:-1] + 1)
    retained = bincount(cell[1:][kept], minlength=C * K).reshape(C, K).astype(np.int64)
    size = active[:, 0].copy()
    observable = (cohorts[:, None] + np.arange(K)[None, :]) <= last_key
    retention = np.full((C, K), np.nan)
    np.divide(active, size[:, None], out=retention, where=observable)
    before = (active[:, :-1] * observable[:, 1:]).sum(axis=0)
    stayed = (retained[:, 1:] * observable[:, 1:]).sum(axis=0)
    churn = np.full(K, np.nan)
    np.divide(before - stayed, before, out=churn[1:], where=before > 0)
    return CohortRetention(
        cohort=as_readonly(period_labels(cohorts, act.frequency, calendar=act.calendar)),
        size=as_readonly(size),
        periods_since=as_readonly(np.arange(K, dtype=np.int64)),
        active=as_readonly(active),
        retained=as_readonly(retained),
        retention=as_readonly(retention),
        observable=as_readonly(observable),
        churn_rate=as_readonly(churn),
        frequency=act.frequency,
        as_of=act.as_of,
        as_of_is_default=act.as_of_is_default,
        n_rows_after_as_of=act.n_after,
    )


@attrs.frozen(kw_only=True, repr=False)
class PeriodChurn(Result):
    """Churn per calendar period: who was active last period and is not this period.

    Attributes
    ----------
    period : ndarray of str, shape (m,)
        Period label (from the second observed period to the last).
    active_previous : ndarray of int64, shape (m,)
        Customers active in the previous period.
    retained : ndarray of int64, shape (m,)
        Of those, active again in this period.
    churned : ndarray of int64, shape (m,)
        ``active_previous - retained``.
    churn_rate : ndarray of float64, shape (m,)
        ``churned / active_previous`` (0 when nobody was active before).
    new : ndarray of int64, shape (m,)
        Customers whose first activity is in this period.
    active : ndarray of int64, shape (m,)
        Customers active in this period.
    frequency : Frequency
        Period length.
    as_of : numpy.datetime64
        End of observation, exclusive.
    as_of_is_default : bool
        Whether ``as_of`` was the default (midnight after the last row).
    n_rows_after_as_of : int
        Activity rows at or after ``as_of`` (excluded).

    Examples
    --------
    >>> from crmkit.lifecycle import churn_by_period
    >>> c = churn_by_period(
    ...     {"customer": [1, 2, 2], "timestamp": ["2024-01-02", "2024-01-03", "2024-02-01"]},
    ...     frequency="month",
    ... )
    >>> c.churn_rate.tolist()
    [0.5]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "active_previous",
        "retained",
        "churned",
        "churn_rate",
        "new",
        "active",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {"churn_rate": "share"}
    _rows: ClassVar[tuple[str, ...]] = _table
    _plot: ClassVar[str] = "churn_chart"

    period: npt.NDArray[np.str_]
    active_previous: IntArray
    retained: IntArray
    churned: IntArray
    churn_rate: FloatArray
    new: IntArray
    active: IntArray
    frequency: Frequency
    as_of: np.datetime64
    as_of_is_default: bool
    n_rows_after_as_of: int


def churn_by_period(
    data: object,
    *,
    frequency: FrequencyLike,
    as_of: object = None,
    customer: str = "customer",
    timestamp: str = "timestamp",
    calendar: Calendar = DEFAULT_CALENDAR,
    date_format: str | None = None,
) -> PeriodChurn:
    """Churn rate per calendar period from activity rows.

    Parameters
    ----------
    data : Transactions, DataFrame-like or mapping of arrays
        Activity rows; a customer is active in a period when they have a row in it.
    frequency : Frequency or str
        Period length.
    as_of : date, datetime, ISO string or numpy.datetime64, optional
        End of observation, exclusive; default midnight after the last row.
        Rows at or after it are excluded and counted.
    customer, timestamp : str
        Column names (tables only).
    calendar : Calendar
        Week start and fiscal year.
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (tables only).

    Returns
    -------
    PeriodChurn
        One row per period after the first.

    Raises
    ------
    InputError
        On empty data, null ids, bad timestamps, an unknown frequency, or no
        row before ``as_of``.

    Notes
    -----
    ``churn_t = 1 - |A_{t-1} cap A_t| / |A_{t-1}|`` with ``A_t`` the customers
    active in period *t*.

    Examples
    --------
    >>> rows = {
    ...     "customer": [1, 2, 1, 3],
    ...     "timestamp": ["2024-01-02", "2024-01-09", "2024-02-05", "2024-02-07"],
    ... }
    >>> c = churn_by_period(rows, frequency="month")
    >>> c.period.tolist(), c.churn_rate.tolist(), c.new.tolist()
    (['2024-02'], [0.5], [1])
    """
    function = "churn_by_period"
    act = _activity(
        data,
        customer=customer,
        timestamp=timestamp,
        as_of=as_of,
        frequency=frequency,
        calendar=calendar,
        date_format=date_format,
        function=function,
    )
    codes, keys, last_key = act.codes, act.keys, act.last_key
    lo = int(keys.min())
    P = last_key - lo + 1
    idx = keys - lo
    active = bincount(idx, minlength=P).astype(np.int64)
    # pairs are sorted by (customer, period): consecutive rows of a customer
    same = codes[1:] == codes[:-1]
    next_period = same & (idx[1:] == idx[:-1] + 1)
    retained = bincount(idx[1:][next_period], minlength=P).astype(np.int64)
    first = np.ones(codes.size, dtype=bool)
    first[1:] = ~same
    new = bincount(idx[first], minlength=P).astype(np.int64)
    prev = active[:-1]
    ret = retained[1:]
    rate = np.zeros(P - 1)
    np.divide(prev - ret, prev, out=rate, where=prev > 0)
    labels = period_labels(np.arange(lo + 1, last_key + 1), act.frequency, calendar=act.calendar)
    return PeriodChurn(
        period=as_readonly(labels),
        active_previous=as_readonly(prev),
        retained=as_readonly(ret),
        churned=as_readonly(prev - ret),
        churn_rate=as_readonly(rate),
        new=as_readonly(new[1:]),
        active=as_readonly(active[1:]),
        frequency=act.frequency,
        as_of=act.as_of,
        as_of_is_default=act.as_of_is_default,
        n_rows_after_as_of=act.n_after,
    )
