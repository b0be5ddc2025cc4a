"""RFM summaries of lazy tables (DuckDB, polars LazyFrame, Dask) computed inside their engine.

Only the per-customer table comes back to Python. The input checks run in the
engine as one aggregate query (null and non-finite counts, the time span);
when anything is wrong, or the engine lacks an operation, the caller falls
back to reading the columns, so the detailed row-level ``InputError`` is the
same as for any other input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final, cast

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmkit._frames import read_columns
from crmkit._groups import factorize
from crmkit._input import DATETIME_DTYPE, as_datetime, as_ids, as_readonly, scalar_datetime
from crmkit.errors import InputError
from crmkit.periods import (
    Calendar,
    Frequency,
    default_as_of,
    last_observed_period,
    period_keys,
)

__all__ = ["LazyRFM", "as_lazy", "lazy_btyd_columns", "lazy_rfm_columns"]

_TRUNCATE: Final = {"day": "1d", "month": "1mo", "year": "1y"}
_PERIODS: Final = {"day": "1d", "month": "1mo", "quarter": "1q", "year": "1y"}

LazyRFM = dict[str, Any]


def as_lazy(data: object) -> nw.LazyFrame[Any] | None:
    """Return *data* as a narwhals LazyFrame when it is a lazy table, else None."""
    if isinstance(data, (np.ndarray, list, tuple, dict, Mapping)) or data is None:
        return None
    converted: object = nw.from_native(cast("Any", data), pass_through=True)
    return converted if isinstance(converted, nw.LazyFrame) else None


def _to_datetime(value: np.datetime64) -> dt.datetime:
    out: dt.datetime = value.astype("datetime64[us]").item()
    return out


def _normalised(lf: nw.LazyFrame[Any], c: str, t: str, a: str) -> nw.LazyFrame[Any] | None:
    schema = lf.collect_schema()
    c_type, t_type, a_type = schema[c], schema[t], schema[a]
    if not (c_type.is_integer() or c_type == nw.String):
        return None
    if not a_type.is_numeric():
        return None
    if t_type == nw.Date:
        ts = nw.col(t).cast(nw.Datetime("us"))
    elif isinstance(t_type, nw.Datetime):
        ts = nw.col(t)
        zone = t_type.time_zone
        if zone is not None:
            if zone not in {"UTC", "Etc/UTC"}:
                ts = ts.dt.convert_time_zone("UTC")
            ts = ts.dt.replace_time_zone(None)
    else:
        return None
    return lf.select(
        nw.col(c).alias("customer"),
        ts.alias("timestamp"),
        nw.col(a).cast(nw.Float64).alias("amount"),
    )


def lazy_rfm_columns(
    data: nw.LazyFrame[Any],
    *,
    mapping: Mapping[str, str],
    as_of: object | None,
    start: np.datetime64 | None,
    count_by: str,
    positive_only: bool,
    function: str,
) -> LazyRFM | None:
    """Aggregate a lazy table to per-customer RFM columns in its own engine.

    Returns None when the table needs the row-level path (bad rows, an
    unsupported column type or engine operation, or a ``count_by`` the
    engines do not truncate alike).
    """
    if count_by != "transaction" and count_by not in _TRUNCATE:
        return None
    try:
        return _aggregate(
            data,
            mapping=mapping,
            as_of=as_of,
            start=start,
            count_by=count_by,
            positive_only=positive_only,
            function=function,
        )
    except NotImplementedError:
        return None


def _checked(
    data: nw.LazyFrame[Any], mapping: Mapping[str, str], as_of: object | None, function: str
) -> tuple[nw.LazyFrame[Any], np.datetime64, bool, int] | None:
    """Normalise the columns and check every row inside the engine, in one query.

    Returns the normalised frame, ``as_of`` (and whether it was the default) and
    the number of distinct customers; None when the rows need the detailed path.
    """
    if any(col not in data.collect_schema().names() for col in mapping.values()):
        return None
    lf = _normalised(data, mapping["customer"], mapping["timestamp"], mapping["amount"])
    if lf is None:
        return None
    ts, amount = nw.col("timestamp"), nw.col("amount")
    check = (
        lf.select(
            nw.len().alias("n"),
            nw.col("customer").null_count().alias("null_c"),
            ts.null_count().alias("null_t"),
            amount.null_count().alias("null_a"),
            amount.is_finite().sum().alias("finite"),
            amount.abs().sum().alias("magnitude"),
            ts.min().alias("first"),
            ts.max().alias("last"),
            nw.col("customer").n_unique().alias("customers"),
        )
        .collect()
        .to_dict(as_series=False)
    )
    n = int(check["n"][0])
    if n == 0 or int(check["null_c"][0]) or int(check["null_t"][0]) or int(check["null_a"][0]):
        return None
    if int(check["finite"][0]) != n:
        return None
    if not np.isfinite(float(check["magnitude"][0])):  # as the boundary: no total may overflow
        return None
    first = np.datetime64(check["first"][0], "us")
    last = np.datetime64(check["last"][0], "us")
    if as_of is None:
        return lf, default_as_of(np.array([last], dtype=DATETIME_DTYPE)), True, 0
    end = scalar_datetime(as_of, field="as_of", function=function)
    if end < first:
        raise InputError.for_parameter(
            "as_of",
            f"on or after the first transaction ({first})",
            str(end),
            function=function,
            hint="Every transaction is after as_of, so there is nothing to summarise.",
        )
    return lf, end, False, int(check["customers"][0])


def _aggregate(
    data: nw.LazyFrame[Any],
    *,
    mapping: Mapping[str, str],
    as_of: object | None,
    start: np.datetime64 | None,
    count_by: str,
    positive_only: bool,
    function: str,
) -> LazyRFM | None:
    checked = _checked(data, mapping, as_of, function)
    if checked is None:
        return None
    lf, end, is_default, _ = checked
    ts, amount = nw.col("timestamp"), nw.col("amount")
    end_py = _to_datetime(end)
    in_window = ts < end_py
    counts = [(ts >= end_py).sum().alias("after")]
    if start is not None:
        start_py = _to_datetime(start)
        counts.append(((ts < start_py) & in_window).sum().alias("before"))
        in_window &= ts >= start_py
    counts.extend([in_window.sum().alias("used"), (in_window & (amount <= 0)).sum().alias("non")])
    window_counts = lf.select(*counts).collect().to_dict(as_series=False)
    n_used = int(window_counts["used"][0])
    if n_used == 0:
        return None
    window = lf.filter(in_window)
    buys = window.filter(amount > 0) if positive_only else window
    aggs = [ts.max().alias("last"), ts.min().alias("first"), nw.len().alias("frequency")]
    if count_by != "transaction":
        buys = buys.with_columns(ts.dt.truncate(_TRUNCATE[count_by]).alias("period"))
        aggs[2] = nw.col("period").n_unique().alias("frequency")
    money = window.group_by("customer").agg(amount.sum().alias("monetary"))
    table = money.join(buys.group_by("customer").agg(*aggs), on="customer", how="left")
    eager = table.collect()
    cols = read_columns(
        eager.to_native(),
        {k: k for k in ("customer", "monetary", "last", "first", "frequency")},
        function=function,
    )
    return _finish(
        cols,
        end=end,
        is_default=is_default,
        window_counts=window_counts,
        positive_only=positive_only,
        function=function,
    )


def _finish(
    cols: dict[str, npt.NDArray[Any]],
    *,
    end: np.datetime64,
    is_default: bool,
    window_counts: dict[str, list[Any]],
    positive_only: bool,
    function: str,
) -> LazyRFM:
    freq_raw = np.asarray(cols["frequency"], dtype=np.float64)
    has = np.isfinite(freq_raw) & (freq_raw > 0)
    n_without = int(has.size - np.count_nonzero(has))
    if not has.any():
        raise InputError(
            f"{function} found no purchases (rows with amount > 0) in the window.",
            field="amount",
            hint="Pass purchases='all' to count every row as a purchase.",
        )
    ids = as_ids(cols["customer"][has], field="customer", function=function)
    groups = factorize(ids)
    order = np.empty(ids.size, dtype=np.int64)
    order[groups.codes] = np.arange(ids.size, dtype=np.int64)
    last = as_datetime(cols["last"][has], field="timestamp", function=function).values[order]
    first = as_datetime(cols["first"][has], field="timestamp", function=function).values[order]
    return {
        "customer": as_readonly(groups.uniques),
        "frequency": as_readonly(freq_raw[has][order].astype(np.int64)),
        "monetary": as_readonly(np.asarray(cols["monetary"], dtype=np.float64)[has][order]),
        "last": last.view(np.int64),
        "first": first.view(np.int64),
        "as_of": end,
        "as_of_is_default": is_default,
        "n_rows_used": int(window_counts["used"][0]),
        "n_rows_after_as_of": int(window_counts["after"][0]),
        "n_rows_before_start": int(window_counts.get("before", [0])[0]),
        "n_rows_not_purchases": int(window_counts["non"][0]) if positive_only else 0,
        "n_customers_without_purchase": n_without,
    }


def lazy_btyd_columns(
    data: nw.LazyFrame[Any],
    *,
    mapping: Mapping[str, str],
    as_of: object | None,
    freq: Frequency,
    calendar: Calendar,
    function: str,
) -> LazyRFM | None:
    """Aggregate a lazy table to the buy-till-you-die summary in its own engine.

    Two group-bys run in the engine: (customer, period) sums, then per
    customer the first and last period, the number of periods and the value
    of the repeat periods. Returns None when the row-level path is needed
    (weeks, bad rows, a missing engine operation).
    """
    if freq.value not in _PERIODS:  # engines do not truncate to weeks alike
        return None
    try:
        return _aggregate_btyd(
            data, mapping=mapping, as_of=as_of, freq=freq, calendar=calendar, function=function
        )
    except NotImplementedError:
        return None


def _aggregate_btyd(
    data: nw.LazyFrame[Any],
    *,
    mapping: Mapping[str, str],
    as_of: object | None,
    freq: Frequency,
    calendar: Calendar,
    function: str,
) -> LazyRFM | None:
    checked = _checked(data, mapping, as_of, function)
    if checked is None:
        return None
    lf, end, is_default, n_customers = checked
    end_key = np.array([last_observed_period(end, freq, calendar=calendar)], dtype=np.int64)
    bound = _to_datetime(end)
    ts, amount = nw.col("timestamp"), nw.col("amount")
    counts = (
        lf.select(
            (ts >= bound).sum().alias("after"),
            (ts < bound).sum().alias("used"),
            ((ts < bound) & (amount < 0)).sum().alias("negative"),
        )
        .collect()
        .to_dict(as_series=False)
    )
    n_after = int(counts["after"][0])
    if int(counts["used"][0]) == 0:
        return None
    window = lf.filter(ts < bound).with_columns(ts.dt.truncate(_PERIODS[freq.value]).alias("p"))
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
    table = per_customer.join(repeat, on="customer", how="left").collect()
    names = ("customer", "first", "last", "n_periods", "total", "repeat")
    cols = read_columns(table.to_native(), {k: k for k in names}, function=function)
    ids = as_ids(cols["customer"], field="customer", function=function)
    groups = factorize(ids)
    order = np.empty(ids.size, dtype=np.int64)
    order[groups.codes] = np.arange(ids.size, dtype=np.int64)

    def keys(name: str) -> npt.NDArray[np.int64]:
        times = as_datetime(cols[name], field="timestamp", function=function).values[order]
        return period_keys(times, freq, calendar=calendar)

    repeat_value = np.asarray(cols["repeat"], dtype=np.float64)[order]
    return {
        "customer": as_readonly(groups.uniques),
        "first_key": keys("first"),
        "last_key": keys("last"),
        "end_key": int(end_key[0]),
        "n_periods": np.asarray(cols["n_periods"], dtype=np.int64)[order],
        "total": np.asarray(cols["total"], dtype=np.float64)[order],
        # no repeat period: null from the join (NaN); an overflowing sum stays inf
        "repeat": np.where(np.isnan(repeat_value), 0.0, repeat_value),
        "as_of": end,
        "as_of_is_default": is_default,
        "n_rows_used": int(counts["used"][0]),
        "n_rows_after_as_of": n_after,
        "n_customers_after_as_of": (n_customers - ids.size) if n_after else 0,
        "n_negative_rows": int(counts["negative"][0]),
    }
