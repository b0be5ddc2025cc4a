"""Time in stage, acquisition-cohort retention and churn per period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._engine import activity_periods
from crmkit._frames import Backend, to_backend
from crmkit._groups import factorize
from crmkit._input import DATETIME_DTYPE, as_datetime, as_ids, as_readonly, scalar_datetime
from crmkit._params import choice
from crmkit._results import Kind, Result
from crmkit._transactions import Transactions
from crmkit.errors import InputError
from crmkit.lifecycle._columns import columns
from crmkit.lifecycle._entries import reject_after_as_of, stage_entries
from crmkit.periods import (
    DEFAULT_CALENDAR,
    Calendar,
    Frequency,
    FrequencyLike,
    default_as_of,
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
        End of observation.

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


def km_median(
    groups: IntArray, days: FloatArray, event: npt.NDArray[np.bool_], k: int
) -> FloatArray:
    """Kaplan-Meier median per group, vectorised over groups."""
    order = np.lexsort((~event, days, groups))
    g = groups[order]
    d = days[order]
    e = event[order].astype(np.float64)
    size = np.bincount(g, minlength=k)
    starts = np.zeros(k, dtype=np.int64)
    np.cumsum(size[:-1], out=starts[1:])
    rank = np.arange(g.size) - starts[g]
    at_risk = (size[g] - rank).astype(np.float64)
    factor = 1.0 - e / at_risk
    zero = factor <= 0.0  # everyone left at risk ended here: S drops to 0 for good
    cum = np.cumsum(np.log(np.where(zero, 1.0, factor)))
    zeros = np.cumsum(zero)
    head = starts[g]
    log_s = cum - np.concatenate([[0.0], cum])[head]
    n_zero = zeros - np.concatenate([[0], zeros])[head]
    surv = np.where(n_zero > 0, 0.0, np.exp(log_s))
    hit = np.where(surv <= 0.5 + 1e-12, d, np.inf)  # exp(log) rounding at exactly 1/2
    median = np.full(k, np.inf)
    np.minimum.at(median, g, hit)
    median[~np.isfinite(median)] = np.nan
    return median


def time_in_stage(
    data: object,
    *,
    as_of: object,
    customer: str = "customer",
    stage: str = "stage",
    timestamp: str = "timestamp",
) -> TimeInStage:
    """Time-in-stage distributions from stage entries (a history log).

    Parameters
    ----------
    data : Replay, StageLog, DataFrame-like or mapping of arrays
        Rows "customer entered stage at timestamp"; from a replay, its
        recorded changes (``target`` and ``at``). A customer's stay lasts until
        their next entry.
    as_of : date, datetime, ISO string or numpy.datetime64
        End of observation; stays still open are censored here. Must not be
        earlier than any entry.
    customer, stage, timestamp : str
        Column names (tables only).

    Returns
    -------
    TimeInStage
        Per stage: stays, censored stays, mean completed duration, Kaplan-Meier
        median; and the stays themselves.

    Raises
    ------
    InputError
        On null ids, bad timestamps or entries after ``as_of``.

    Notes
    -----
    From a :class:`StageLog`, only stays that began with a recorded change are
    known; the stay before a customer's first change has no known start and is
    not counted. The Kaplan-Meier estimate is
    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` over the completed stays, the
    median the first duration with ``S(t) <= 0.5`` (Kaplan & Meier, 1958).

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
    ids, names, times = stage_entries(
        data, customer=customer, stage=stage, timestamp=timestamp, function=function
    )
    reject_after_as_of(times, end, field=timestamp, function=function, allow_equal=True)
    cfac = factorize(ids)
    sfac = factorize(names)
    t = times.view(np.int64)
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
    n_spells = np.bincount(groups, minlength=k).astype(np.int64)
    n_cens = np.bincount(groups[last], minlength=k).astype(np.int64)
    done = ~last
    total_done = np.bincount(groups[done], weights=days[done], minlength=k)
    n_done = n_spells - n_cens
    mean_done = np.full(k, np.nan)
    np.divide(total_done, n_done, out=mean_done, where=n_done > 0)
    median = km_median(groups, days, done, k) if c.size else np.zeros(0)
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
    )


def _activity(
    data: object,
    *,
    customer: str,
    timestamp: str,
    as_of: object,
    frequency: FrequencyLike,
    calendar: Calendar,
    function: str,
) -> tuple[IntArray, IntArray, int, Frequency, np.datetime64]:
    """Distinct (customer code, period key) pairs of activity, and the last observable key."""
    pushed = (
        None
        if isinstance(data, Transactions)
        else _activity_in_engine(
            data,
            customer=customer,
            timestamp=timestamp,
            as_of=as_of,
            frequency=frequency,
            calendar=calendar,
            function=function,
        )
    )
    if pushed is not None:
        return pushed
    if isinstance(data, Transactions):
        ids, times = data.customer, data.timestamp
    else:
        cols = columns(data, {"customer": customer, "timestamp": timestamp}, function=function)
        ids = as_ids(cols["customer"], field=customer, function=function)
        times = as_datetime(cols["timestamp"], field=timestamp, function=function).values
    if ids.size == 0:
        raise InputError(f"{function} needs at least one activity row.", field="data")
    freq = Frequency(frequency)
    end = (
        default_as_of(times)
        if as_of is None
        else scalar_datetime(as_of, field="as_of", function=function)
    )
    late = times >= end
    if late.any():
        pos = np.flatnonzero(late)
        raise InputError.for_rows(
            timestamp,
            f"must be before as_of ({end})",
            positions=pos[:5].tolist(),
            values=[str(v) for v in times[pos[:5]]],
            n_bad=int(pos.size),
            function=function,
            hint="Filter the rows or pass a later as_of.",
        )
    keys = period_keys(times, freq, calendar=calendar)
    last_key = int(
        period_keys(np.array([end - np.timedelta64(1, "us")]), freq, calendar=calendar)[0]
    )
    cfac = factorize(ids)
    lo = int(keys.min())
    span = last_key - lo + 1
    pair = np.unique(cfac.codes * np.int64(span) + (keys - lo))
    return pair // span, pair % span + lo, last_key, freq, end


def _activity_in_engine(
    data: object,
    *,
    customer: str,
    timestamp: str,
    as_of: object,
    frequency: FrequencyLike,
    calendar: Calendar,
    function: str,
) -> tuple[IntArray, IntArray, int, Frequency, np.datetime64] | None:
    """Return the pairs of :func:`_activity` formed in a lazy table's engine (None: numpy)."""
    freq = Frequency(frequency)
    given = None if as_of is None else scalar_datetime(as_of, field="as_of", function=function)
    held = activity_periods(
        data,
        customer=customer,
        timestamp=timestamp,
        freq=freq,
        calendar=calendar,
        function=function,
        before=given,
    )
    if held is None:
        return None
    end = default_as_of(np.array([held.last], dtype=DATETIME_DTYPE)) if given is None else given
    if held.n_late:
        shown = [str(v) for v in held.late]
        raise InputError(
            f"The {timestamp!r} column of {function} must be before as_of ({end}): "
            f"{held.n_late} bad rows in the {held.engine} table, first with values {shown!r} "
            "(a lazy table has no row positions).",
            field=timestamp,
            n_bad=held.n_late,
            values=shown,
            hint="Filter the rows or pass a later as_of.",
        )
    last_key = int(
        period_keys(np.array([end - np.timedelta64(1, "us")]), freq, calendar=calendar)[0]
    )
    lo = int(held.keys.min())
    span = last_key - lo + 1
    pair = np.unique(held.codes * np.int64(span) + (held.keys - lo))
    return pair // span, pair % span + lo, last_key, freq, end


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
    retention : ndarray of float64, shape (C, K)
        ``active / size``; NaN where the period lies after ``as_of``.
    observable : ndarray of bool, shape (C, K)
        Where the cell lies on or before the last period of observation.
    churn_rate : ndarray of float64, shape (K,)
        Per period since acquisition, pooled over the cohorts observable in
        both periods: ``1 - sum active[k] / sum active[k - 1]`` (NaN at k = 0).
    frequency : Frequency
        Period length.
    as_of : numpy.datetime64
        End of observation (the last period may be partial).

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
    retention: FloatArray
    observable: npt.NDArray[np.bool_]
    churn_rate: FloatArray
    frequency: Frequency
    as_of: np.datetime64

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
        End of observation; default the day after the last row.
    customer, timestamp : str
        Column names (tables only).
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    CohortRetention
        Cohort sizes, active counts, retention rates and churn per period
        since acquisition.

    Raises
    ------
    InputError
        On empty data, null ids, bad timestamps or rows on/after ``as_of``.

    Examples
    --------
    >>> rows = {
    ...     "customer": [1, 1, 2, 2, 3],
    ...     "timestamp": ["2024-01-05", "2024-02-03", "2024-01-20", "2024-03-01", "2024-02-11"],
    ... }
    >>> r = cohort_retention(rows, frequency="month", as_of="2024-03-31")
    >>> r.cohort.tolist(), r.size.tolist()
    (['2024-01', '2024-02'], [2, 1])
    >>> r.active.tolist()
    [[2, 1, 1], [1, 0, 0]]
    >>> r.observable.tolist()
    [[True, True, True], [True, True, False]]
    """
    function = "cohort_retention"
    codes, keys, last_key, freq, end = _activity(
        data,
        customer=customer,
        timestamp=timestamp,
        as_of=as_of,
        frequency=frequency,
        calendar=calendar,
        function=function,
    )
    n_customers = int(codes.max()) + 1
    first = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, keys)
    cohorts = np.unique(first)
    c_index = np.searchsorted(cohorts, first)
    since = keys - first[codes]
    K = int(last_key - cohorts[0]) + 1
    C = cohorts.size
    active = np.bincount(c_index[codes] * K + since, minlength=C * K).reshape(C, K).astype(np.int64)
    size = active[:, 0].copy()
    observable = (cohorts[:, None] + np.arange(K)[None, :]) <= last_key
    retention = np.full((C, K), np.nan)
    np.divide(active, size[:, None], out=retention, where=observable)
    churn = np.full(K, np.nan)
    for k in range(1, K):
        both = observable[:, k]
        prev = active[both, k - 1].sum()
        if prev > 0:
            churn[k] = 1.0 - active[both, k].sum() / prev
    return CohortRetention(
        cohort=as_readonly(period_labels(cohorts, freq, calendar=calendar)),
        size=as_readonly(size),
        periods_since=as_readonly(np.arange(K, dtype=np.int64)),
        active=as_readonly(active),
        retention=as_readonly(retention),
        observable=as_readonly(observable),
        churn_rate=as_readonly(churn),
        frequency=freq,
        as_of=end,
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
        End of observation.

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


def churn_by_period(
    data: object,
    *,
    frequency: FrequencyLike,
    as_of: object = None,
    customer: str = "customer",
    timestamp: str = "timestamp",
    calendar: Calendar = DEFAULT_CALENDAR,
) -> PeriodChurn:
    """Churn rate per calendar period from activity rows.

    Parameters
    ----------
    data : Transactions, DataFrame-like or mapping of arrays
        Activity rows; a customer is active in a period when they have a row in it.
    frequency : Frequency or str
        Period length.
    as_of : date, datetime, ISO string or numpy.datetime64, optional
        End of observation; default the day after the last row.
    customer, timestamp : str
        Column names (tables only).
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    PeriodChurn
        One row per period after the first.

    Raises
    ------
    InputError
        On empty data, null ids, bad timestamps or rows on/after ``as_of``.

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
    codes, keys, last_key, freq, end = _activity(
        data,
        customer=customer,
        timestamp=timestamp,
        as_of=as_of,
        frequency=frequency,
        calendar=calendar,
        function=function,
    )
    lo = int(keys.min())
    P = last_key - lo + 1
    idx = keys - lo
    active = np.bincount(idx, minlength=P).astype(np.int64)
    # pairs are sorted by (customer, period): consecutive rows of a customer
    same = codes[1:] == codes[:-1]
    next_period = same & (idx[1:] == idx[:-1] + 1)
    retained = np.bincount(idx[1:][next_period], minlength=P).astype(np.int64)
    first = np.ones(codes.size, dtype=bool)
    first[1:] = ~same
    new = np.bincount(idx[first], minlength=P).astype(np.int64)
    prev = active[:-1]
    ret = retained[1:]
    rate = np.zeros(P - 1)
    np.divide(prev - ret, prev, out=rate, where=prev > 0)
    return PeriodChurn(
        period=as_readonly(period_labels(np.arange(lo + 1, last_key + 1), freq, calendar=calendar)),
        active_previous=as_readonly(prev),
        retained=as_readonly(ret),
        churned=as_readonly(prev - ret),
        churn_rate=as_readonly(rate),
        new=as_readonly(new[1:]),
        active=as_readonly(active[1:]),
        frequency=freq,
        as_of=end,
    )
