"""Stage histories to period panels: the stage of every customer at the end of every period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_readonly, scalar_datetime
from crmkit._results import Kind, Result
from crmkit.lifecycle._entries import reject_after_as_of, stage_entries
from crmkit.periods import (
    DEFAULT_CALENDAR,
    Calendar,
    Frequency,
    FrequencyLike,
    period_keys,
    period_labels,
)

__all__ = ["StagePanel", "stage_panel"]


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
        End of observation; its period is the last one (possibly partial).

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


def stage_panel(
    data: object,
    *,
    frequency: FrequencyLike,
    as_of: object,
    customer: str = "customer",
    stage: str = "stage",
    timestamp: str = "timestamp",
    calendar: Calendar = DEFAULT_CALENDAR,
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
        End of observation; no entry may be later. The panel runs from each
        customer's first entry period to the period containing the instant
        just before ``as_of``.
    customer, stage, timestamp : str
        Column names (tables only).
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    StagePanel
        Ready for :func:`transition_matrix` (columns ``customer``, ``period``, ``stage``).

    Raises
    ------
    InputError
        On entries after ``as_of``, null ids or bad timestamps.

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
    freq = Frequency(frequency)
    ids, names, times = stage_entries(
        data, customer=customer, stage=stage, timestamp=timestamp, function=function
    )
    reject_after_as_of(times, end, field=timestamp, function=function, allow_equal=False)
    last_key = int(
        period_keys(np.array([end - np.timedelta64(1, "us")]), freq, calendar=calendar)[0]
    )
    if ids.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return StagePanel(
            customer=as_readonly(ids[:0]),
            period=as_readonly(empty),
            label=as_readonly(np.zeros(0, dtype=str)),
            stage=as_readonly(np.zeros(0, dtype=str)),
            frequency=freq,
            as_of=end,
        )
    keys = period_keys(times, freq, calendar=calendar)
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
            period_labels(np.arange(lo, last_key + 1), freq, calendar=calendar)[row_period - lo]
        ),
        stage=as_readonly(stage_sorted[idx]),
        frequency=freq,
        as_of=end,
    )
