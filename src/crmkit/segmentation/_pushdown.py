"""RFM and buy-till-you-die summaries of lazy tables, shrunk to one row per customer in the engine.

Built on :mod:`crmkit._engine`: the rows are checked there with the
boundary's rules, the window is counted there, and only the per-customer
aggregates (sum, count or distinct periods, first and last instant or
period) come back. :mod:`crmkit.segmentation._summary` then finishes both
paths with the same code. Counting by period uses
:func:`crmkit._engine.with_period_key`, so weeks (with the calendar's week start),
months, quarters and years are the keys of :func:`crmkit.periods.period_keys`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmkit._engine import (
    EngineTable,
    Field,
    count_true,
    engine_table,
    in_id_order,
    instant,
    pushdown,
    with_period_key,
)
from crmkit._input import DATETIME_DTYPE, as_datetime, as_readonly, scalar_datetime
from crmkit.errors import InputError
from crmkit.periods import Calendar, Frequency, default_as_of, last_observed_period

__all__ = [
    "LazyRFM",
    "lazy_btyd_columns",
    "lazy_rfm_columns",
    "no_purchases_error",
    "start_error",
    "window_error",
]

LazyRFM = dict[str, Any]

_FIELDS: Final = ("customer", "timestamp", "amount")


def _fields(mapping: dict[str, str]) -> list[Field]:
    kinds = {"customer": "id", "timestamp": "time", "amount": "amount"}
    return [Field(name, mapping[name], kinds[name]) for name in _FIELDS]  # type: ignore[arg-type]


def start_error(start: np.datetime64, end: np.datetime64, function: str) -> InputError:
    """Return the error for a ``start`` not before ``as_of`` (numpy and engine paths alike)."""
    return InputError.for_parameter("start", f"before as_of ({end})", str(start), function=function)


def window_error(start: np.datetime64 | None, end: np.datetime64, function: str) -> InputError:
    """Return the error for a window ``[start, as_of)`` without rows."""
    return InputError(
        f"{function} found no transactions in the window [{start}, {end}).",
        field="as_of",
        hint="Widen the window with an earlier start or a later as_of.",
    )


def no_purchases_error(function: str) -> InputError:
    """Return the error for a window whose rows are all refunds or zero amounts."""
    return InputError(
        f"{function} found no purchases (rows with amount > 0) in the window.",
        field="amount",
        hint="Pass purchases='all' to count every row as a purchase.",
    )


def _as_of(
    table: EngineTable, end: np.datetime64 | None, function: str
) -> tuple[np.datetime64, bool]:
    """``as_of`` as the numpy path reads it: default midnight after the last row."""
    if end is None:
        return default_as_of(np.array([table.last["timestamp"]], dtype=DATETIME_DTYPE)), True
    first = table.first["timestamp"]
    if end < first:
        raise InputError.for_parameter(
            "as_of",
            f"on or after the first transaction ({first})",
            str(end),
            function=function,
            hint="Every transaction is after as_of, so there is nothing to summarise.",
        )
    return end, False


def lazy_rfm_columns(
    data: object,
    *,
    mapping: dict[str, str],
    as_of: object | None,
    start: np.datetime64 | None,
    count_by: str,
    positive_only: bool,
    calendar: Calendar,
    function: str,
) -> LazyRFM | None:
    """Aggregate a lazy table to per-customer RFM columns in its own engine.

    Returns None when the numpy path should run (not lazy, small, a column
    type only numpy reads, or an operation the engine lacks).
    """
    end = None if as_of is None else scalar_datetime(as_of, field="as_of", function=function)
    counts = None if end is None else _window_counts(end, start, positive_only=positive_only)

    def run() -> LazyRFM | None:
        table = engine_table(data, _fields(mapping), function=function, extra=counts)
        if table is None:
            return None
        return _rfm(
            table,
            end=end,
            start=start,
            count_by=count_by,
            positive_only=positive_only,
            calendar=calendar,
        )

    return pushdown(data, function, run)


def _window(end: np.datetime64, start: np.datetime64 | None) -> nw.Expr:
    ts = nw.col("timestamp")
    inside = ts < instant(end)
    return inside if start is None else inside & (ts >= instant(start))


def _window_counts(
    end: np.datetime64, start: np.datetime64 | None, *, positive_only: bool
) -> dict[str, nw.Expr]:
    """Rows after ``as_of``, before ``start``, used, and not purchases: one scan's aggregates."""
    ts, amount = nw.col("timestamp"), nw.col("amount")
    in_window = _window(end, start)
    counts = {"after": count_true(ts >= instant(end)), "used": count_true(in_window)}
    if start is not None:
        counts["before"] = count_true((ts < instant(start)) & (ts < instant(end)))
    if positive_only:
        counts["non"] = count_true(in_window & (amount <= 0))
    return counts


def _rfm(
    table: EngineTable,
    *,
    end: np.datetime64 | None,
    start: np.datetime64 | None,
    count_by: str,
    positive_only: bool,
    calendar: Calendar,
) -> LazyRFM:
    function = table.function
    as_of, is_default = _as_of(table, end, function)
    if start is not None and start >= as_of:
        raise start_error(start, as_of, function)
    window_counts = table.extra
    if is_default:  # as_of is known only now: the window's counts take a scan of their own
        counts = _window_counts(as_of, start, positive_only=positive_only)
        window_counts = table.scalars("count the rows in the window", counts)
    if not window_counts["used"]:
        raise window_error(start, as_of, function)
    ts, amount = nw.col("timestamp"), nw.col("amount")
    rows = table.frame.filter(_window(as_of, start))
    if count_by == "transaction" and not window_counts.get("non", 0):
        # every row in the window is a purchase (the counts say so): plain aggregates
        per_customer = rows.group_by("customer").agg(
            amount.sum().alias("monetary"),
            ts.max().alias("last"),
            ts.min().alias("first"),
            nw.len().alias("frequency"),
        )
        return _rfm_columns(table, per_customer, as_of, is_default, window_counts)
    is_buy = amount > 0 if positive_only else nw.lit(value=True)
    # one pass, no join: refunds add to monetary; only purchases move first, last, frequency
    rows = rows.with_columns(
        nw.when(is_buy).then(ts).alias("buy_ts"), is_buy.cast(nw.Int64).alias("is_buy")
    )
    if count_by == "transaction":
        per_customer = rows.group_by("customer").agg(
            amount.sum().alias("monetary"),
            nw.col("buy_ts").max().alias("last"),
            nw.col("buy_ts").min().alias("first"),
            nw.col("is_buy").sum().alias("frequency"),
        )
    else:
        # distinct periods with a purchase: (customer, period) cells, then customers
        # (a grouped n_unique is not exact in every engine: Dask sums it over partitions)
        cells = with_period_key(rows, "timestamp", Frequency(count_by), calendar, name="p")
        per_customer = (
            cells.group_by("customer", "p")
            .agg(
                amount.sum().alias("value"),
                nw.col("buy_ts").max().alias("last"),
                nw.col("buy_ts").min().alias("first"),
                nw.col("is_buy").max().alias("bought"),
            )
            .group_by("customer")
            .agg(
                nw.col("value").sum().alias("monetary"),
                nw.col("last").max().alias("last"),
                nw.col("first").min().alias("first"),
                nw.col("bought").sum().alias("frequency"),
            )
        )
    return _rfm_columns(table, per_customer, as_of, is_default, window_counts)


def _rfm_columns(
    table: EngineTable,
    per_customer: nw.LazyFrame[Any],
    as_of: np.datetime64,
    is_default: bool,
    window_counts: Mapping[str, Any],
) -> LazyRFM:
    """Collect the per-customer aggregates, in ascending id order."""
    function = table.function
    cols = table.collect("aggregate per customer", per_customer, ids=["customer"])
    customers, order = in_id_order(cols, field="customer", function=function)
    freq_raw = np.asarray(cols["frequency"], dtype=np.float64)[order]
    has = np.isfinite(freq_raw) & (freq_raw > 0)
    if not has.any():
        raise no_purchases_error(function)
    kept = order[has]

    def times(name: str) -> npt.NDArray[np.int64]:
        raw = np.asarray(cols[name])[kept]
        return as_datetime(raw, field="timestamp", function=function).values.view(np.int64)

    return {
        "customer": as_readonly(customers[has]),
        "frequency": as_readonly(freq_raw[has].astype(np.int64)),
        "monetary": as_readonly(np.asarray(cols["monetary"], dtype=np.float64)[kept]),
        "last": times("last"),
        "first": times("first"),
        "as_of": as_of,
        "as_of_is_default": is_default,
        "n_rows_used": int(window_counts["used"]),
        "n_rows_after_as_of": int(window_counts["after"]),
        "n_rows_before_start": int(window_counts.get("before", 0)),
        "n_rows_not_purchases": int(window_counts.get("non", 0)),
        "n_customers_without_purchase": int(has.size - np.count_nonzero(has)),
        "computed_in": table.engine,
    }


def lazy_btyd_columns(
    data: object,
    *,
    mapping: dict[str, str],
    as_of: object | None,
    freq: Frequency,
    calendar: Calendar,
    function: str,
) -> LazyRFM | None:
    """Aggregate a lazy table to the buy-till-you-die summary in its own engine.

    Two group-bys run in the engine: (customer, period) sums, then per
    customer the first and last period, the number of periods, the total and
    the value of the repeat periods. Returns None when the numpy path runs.
    """
    end = None if as_of is None else scalar_datetime(as_of, field="as_of", function=function)

    def run() -> LazyRFM | None:
        table = engine_table(data, _fields(mapping), function=function)
        if table is None:
            return None
        return _btyd(table, end=end, freq=freq, calendar=calendar)

    return pushdown(data, function, run)


def _btyd(
    table: EngineTable, *, end: np.datetime64 | None, freq: Frequency, calendar: Calendar
) -> LazyRFM:
    function = table.function
    end, is_default = _as_of(table, end, function)
    bound = instant(end)
    ts, amount = nw.col("timestamp"), nw.col("amount")
    counts = table.scalars(
        "count the rows in the window",
        {
            "used": count_true(ts < bound),
            "negative": count_true((ts < bound) & (amount < 0)),
        },
    )
    window = with_period_key(table.frame.filter(ts < bound), "timestamp", freq, calendar, name="p")
    periods = window.group_by("customer", "p").agg(amount.sum().alias("value"))
    per_customer = periods.group_by("customer").agg(
        nw.col("p").min().alias("first"),
        nw.col("p").max().alias("last"),
        nw.len().alias("n_periods"),
        nw.col("value").sum().alias("total"),
    )
    repeat = (
        periods.join(per_customer.select("customer", "first"), on="customer")
        .filter(nw.col("p") != nw.col("first"))
        .group_by("customer")
        .agg(nw.col("value").sum().alias("repeat"))
    )
    summary = per_customer.join(repeat, on="customer", how="left")
    cols = table.collect("aggregate per customer", summary, ids=["customer"])
    customers, order = in_id_order(cols, field="customer", function=function)
    repeat_value = np.asarray(cols["repeat"], dtype=np.float64)[order]
    n_used = int(counts["used"])
    n_after = table.n_rows - n_used
    n_gone = 0
    if n_after:
        everyone = table.frame.select("customer").unique().select(nw.len().alias("n"))
        n_all = table.scalars("count the customers", {"n": nw.col("n").max()}, frame=everyone)
        n_gone = int(n_all["n"]) - customers.size
    return {
        "customer": as_readonly(customers),
        "first_key": np.asarray(cols["first"], dtype=np.int64)[order],
        "last_key": np.asarray(cols["last"], dtype=np.int64)[order],
        "end_key": last_observed_period(end, freq, calendar=calendar),
        "n_periods": np.asarray(cols["n_periods"], dtype=np.int64)[order],
        "total": np.asarray(cols["total"], dtype=np.float64)[order],
        # no repeat period: null from the join (NaN); an overflowing sum stays inf
        "repeat": np.where(np.isnan(repeat_value), 0.0, repeat_value),
        "as_of": end,
        "as_of_is_default": is_default,
        "n_rows_used": n_used,
        "n_rows_after_as_of": n_after,
        "n_customers_after_as_of": n_gone,
        "n_negative_rows": int(counts["negative"]),
        "computed_in": table.engine,
    }
