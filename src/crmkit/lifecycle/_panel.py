"""Stage histories to period panels: the stage of every customer at the end of every period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_readonly, check_date_format, scalar_datetime
from crmkit._params import choice, instance, work_limit
from crmkit._results import Kind, Result
from crmkit.lifecycle._entries import stage_entries
from crmkit.periods import (
    DEFAULT_CALENDAR,
    Calendar,
    Frequency,
    FrequencyLike,
    last_observed_period,
    period_keys,
    period_labels,
)

__all__ = ["StagePanel", "stage_panel"]

_MAX_ROWS: Final = 10**8  # rows (customers x periods) stage_panel builds at most


@attrs.frozen(kw_only=True, repr=False)
class StagePanel(Result):
    """One row per customer and period: the stage at the end of the period.

    Attributes
    ----------
    customer : ndarray, shape (m,)
        Customer id.
    period : ndarray of int64, shape (m,)
        Period key (consecutive periods have consecutive keys, see
        :func:`crmkit.periods.period_keys`).
    label : ndarray of str, shape (m,)
        Human label of the period (``2024-03``, ``2024-Q1``, ...).
    stage : ndarray of str, shape (m,)
        Stage at the end of the period.
    frequency : Frequency
        Period length.
    as_of : numpy.datetime64
        End of observation, exclusive; the period holding the instant just
        before it is the last one (possibly partial).
    n_rows_after_as_of : int
        Stage entries at or after ``as_of`` (excluded).

    Examples
    --------
    >>> from crmkit.lifecycle import stage_panel
    >>> p = stage_panel(
    ...     {"customer": [1], "stage": ["lead"], "timestamp": ["2024-01-15"]},
    ...     frequency="quarter",
    ...     as_of="2024-07-01",
    ... )
    >>> p.label.tolist(), p.stage.tolist()
    (['2024-Q1', '2024-Q2'], ['lead', 'lead'])
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "period", "label", "stage")
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id", "period": "id"}
    _rows: ClassVar[tuple[str, ...]] = _table
    _plot: ClassVar[str] = "stage_flow"

    customer: npt.NDArray[Any]
    period: npt.NDArray[np.int64]
    label: npt.NDArray[np.str_]
    stage: npt.NDArray[np.str_]
    frequency: Frequency
    as_of: np.datetime64
    n_rows_after_as_of: int


def stage_panel(
    data: object,
    *,
    frequency: FrequencyLike,
    as_of: object,
    customer: str = "customer",
    stage: str = "stage",
    timestamp: str = "timestamp",
    calendar: Calendar = DEFAULT_CALENDAR,
    date_format: str | None = None,
) -> StagePanel:
    """Turn stage histories into a panel: each customer's stage at the end of each period.

    Parameters
    ----------
    data : Replay, StageLog, DataFrame-like or mapping of arrays
        Rows "customer entered stage at timestamp"; from a replay, its
        recorded changes (the stage entered and when).
    frequency : Frequency or str
        Period length (``"month"``, ``"week"``, ...).
    as_of : date, datetime, ISO string or numpy.datetime64
        End of observation, exclusive: entries at or after it are excluded
        and counted. The panel runs from each customer's first entry period
        to the period holding the instant just before ``as_of``
        (:func:`crmkit.periods.last_observed_period`).
    customer, stage, timestamp : str
        Column names (tables only).
    calendar : Calendar
        Week start and fiscal year.
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (tables only).

    Returns
    -------
    StagePanel
        Ready for :func:`transition_matrix` (columns ``customer``, ``period``, ``stage``).

    Raises
    ------
    InputError
        On empty data, null ids, bad timestamps, an unknown frequency, no
        entry before ``as_of``, or a panel of more than 10**8 rows (use a
        longer period).

    Notes
    -----
    Several changes inside one period count once: the panel records where
    the customer stands at the period end, which is what a discrete-time
    migration model (Pfeifer & Carraway, 2000) describes.

    Examples
    --------
    A customer who buys in January, churns in March and is won back the same month:

    >>> entries = {
    ...     "customer": [7, 7, 7, 7],
    ...     "stage": ["prospect", "customer", "churned", "customer"],
    ...     "timestamp": ["2024-01-02", "2024-01-20", "2024-03-03", "2024-03-25"],
    ... }
    >>> p = stage_panel(entries, frequency="month", as_of="2024-05-01")
    >>> list(zip(p.label.tolist(), p.stage.tolist()))
    [('2024-01', 'customer'), ('2024-02', 'customer'), ('2024-03', 'customer'), ('2024-04', 'customer')]
    """  # noqa: E501
    function = "stage_panel"
    end = scalar_datetime(as_of, field="as_of", function=function)
    freq = choice(frequency, Frequency, name="frequency", function=function)
    cal = instance(calendar, Calendar, name="calendar", function=function, what="a Calendar")
    entries = stage_entries(
        data,
        customer=customer,
        stage=stage,
        timestamp=timestamp,
        date_format=check_date_format(date_format, function=function),
        end=end,
        function=function,
    )
    ids, names, times = entries.customer, entries.stage, entries.at
    last_key = last_observed_period(end, freq, calendar=cal)
    keys = period_keys(times, freq, calendar=cal)
    cfac = factorize(ids)
    order = np.lexsort((np.arange(ids.size), times.view(np.int64), cfac.codes))
    c = cfac.codes[order]
    k = keys[order]
    lo = int(k.min())
    span = last_key - lo + 2
    entry_key = c * np.int64(span) + (k - lo)
    head = np.ones(c.size, dtype=bool)
    head[1:] = c[1:] != c[:-1]
    first_key = k[head]
    cust = c[head]
    n_rows = last_key - first_key + 1
    work_limit(
        int(n_rows.sum()),
        limit=_MAX_ROWS,
        name="frequency",
        function=function,
        what=f"panel rows ({cust.size:,} customers, each from its first {freq.value} to as_of)",
    )
    row_cust = np.repeat(cust, n_rows)
    offsets = np.zeros(cust.size, dtype=np.int64)
    np.cumsum(n_rows[:-1], out=offsets[1:])
    row_period = np.arange(row_cust.size, dtype=np.int64) - np.repeat(offsets, n_rows)
    row_period += np.repeat(first_key, n_rows)
    query = row_cust * np.int64(span) + (row_period - lo)
    idx = np.searchsorted(entry_key, query, side="right") - 1
    stage_sorted = names[order]
    return StagePanel(
        customer=as_readonly(cfac.uniques[row_cust]),
        period=as_readonly(row_period),
        label=as_readonly(
            period_labels(np.arange(lo, last_key + 1), freq, calendar=cal)[row_period - lo]
        ),
        stage=as_readonly(stage_sorted[idx]),
        frequency=freq,
        as_of=end,
        n_rows_after_as_of=entries.n_after,
    )
