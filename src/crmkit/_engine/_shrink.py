"""Shrinking rows to cells in the engine, for the areas whose numpy code needs only the cells.

Two shapes cover most heavy steps:

* :func:`transaction_cells`: one row per (customer, key...) cell with the
  summed amount and the earliest timestamp, as a :class:`~crmkit.Transactions`
  value. A kernel whose result depends only on per-cell revenue and on which
  cells exist (product mix, affinity, cross-sell) gives the same result on
  the cells as on the rows.
* :func:`activity_periods`: the distinct (customer, period) pairs of
  activity (cohort retention, holdout purchase counts), with the count of
  rows at or after a cut-off.

Both check the rows in the engine with the boundary's rules first
(:func:`~crmkit._engine.engine_table`) and return None when the numpy path
should run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmkit._engine._periods import with_period_key
from crmkit._engine._table import (
    EngineTable,
    Field,
    count_true,
    engine_table,
    instant,
    pushdown,
)
from crmkit._groups import factorize
from crmkit._input import as_ids
from crmkit._transactions import Transactions
from crmkit.periods import Calendar, Frequency

__all__ = ["ActivityPeriods", "activity_periods", "transaction_cells"]


def transaction_cells(
    data: object,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    keys: Mapping[str, str],
    function: str,
) -> tuple[Transactions, str] | None:
    """Return one transaction per (customer, *keys*) cell, summed in the engine, and its name.

    The cells keep the customer, the key columns (as ``extra``), the summed
    amount and the earliest timestamp of their rows. None: use the numpy path.
    """
    fields = [
        Field("customer", customer, "id"),
        Field("timestamp", timestamp, "time"),
        Field("amount", amount, "amount"),
        *(Field(name, column, "id") for name, column in keys.items()),
    ]

    def run() -> tuple[dict[str, Any], str] | None:
        table = engine_table(data, fields, function=function)
        if table is None:
            return None
        cells = table.frame.group_by("customer", *keys).agg(
            nw.col("amount").sum().alias("amount"), nw.col("timestamp").min().alias("timestamp")
        )
        return table.collect("sum the cells", cells), table.engine

    pushed = pushdown(data, function, run)
    if pushed is None:
        return None
    cols, engine = pushed
    tx = Transactions.from_arrays(
        customer=cols["customer"],
        timestamp=cols["timestamp"],
        amount=cols["amount"],
        extra={name: cols[name] for name in keys},
    )
    return tx, engine


@attrs.frozen(kw_only=True)
class ActivityPeriods:
    """Distinct (customer, period) pairs of activity, shrunk in the engine.

    Attributes
    ----------
    customers : ndarray, shape (k,)
        The distinct customer ids of the pairs, ascending.
    codes, keys : ndarray of int64, shape (n_pairs,)
        Per pair, the position of its customer in ``customers`` and its period key.
    first, last : numpy.datetime64
        The earliest and latest instant of all rows.
    n_late : int
        Rows at or after the cut-off (``before``), not in the pairs.
    late : list
        The first few late timestamps (for an error naming them).
    engine : str
        Where the pairs were formed.
    """

    customers: npt.NDArray[Any]
    codes: npt.NDArray[np.int64]
    keys: npt.NDArray[np.int64]
    first: np.datetime64
    last: np.datetime64
    n_late: int
    late: list[object]
    engine: str


def activity_periods(
    data: object,
    *,
    customer: str,
    timestamp: str,
    freq: Frequency,
    calendar: Calendar,
    function: str,
    before: np.datetime64 | None = None,
    window: tuple[np.datetime64, np.datetime64] | None = None,
) -> ActivityPeriods | None:
    """Return the distinct (customer, period key) pairs of the rows, formed in the engine.

    Rows at or after *before* are counted (and the first few kept) but left
    out; with *window* ``(start, end)`` only rows with ``start <= t < end``
    (the raw timestamp, before periods are formed) make pairs. None: use the
    numpy path.
    """
    fields = [Field("customer", customer, "id"), Field("timestamp", timestamp, "time")]
    ts = nw.col("timestamp")
    cut = None if before is None else instant(before)
    extra = {} if cut is None else {"late": count_true(ts >= cut)}
    span = None if window is None else (instant(window[0]), instant(window[1]))

    def run() -> tuple[EngineTable, dict[str, Any], int, list[object]] | None:
        table = engine_table(data, fields, function=function, extra=extra)
        if table is None:
            return None
        n_late = int(table.extra.get("late", 0))
        late: list[object] = []
        rows = table.frame
        if cut is not None:
            if n_late:
                shown = rows.filter(ts >= cut).select("timestamp").head(5)

                def late_rows() -> list[object]:
                    return list(shown.collect()["timestamp"].to_list())

                late = table.run("show the late rows", late_rows)
            rows = rows.filter(ts < cut)
        if span is not None:
            rows = rows.filter((ts >= span[0]) & (ts < span[1]))
        rows = with_period_key(rows, "timestamp", freq, calendar, name="p")
        pairs = rows.group_by("customer", "p").agg(nw.len().alias("n")).select("customer", "p")
        return table, table.collect("form the (customer, period) pairs", pairs), n_late, late

    pushed = pushdown(data, function, run)
    if pushed is None:
        return None
    table, cols, n_late, late = pushed
    groups = factorize(as_ids(cols["customer"], field="customer", function=function))
    return ActivityPeriods(
        customers=groups.uniques,
        codes=groups.codes,
        keys=np.asarray(cols["p"], dtype=np.int64),
        first=table.first["timestamp"],
        last=table.last["timestamp"],
        n_late=n_late,
        late=late,
        engine=table.engine,
    )
