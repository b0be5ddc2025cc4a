"""Benchmark: RFM end to end, and 80/20 concentration.

Measures, in one run:

* RFM summary + 5-quantile scoring + 10-segment labels, end to end from
  numpy arrays (10M transactions / 500k customers from the simulator, with
  non-contiguous int ids and with string ids): crmkit against an idiomatic
  pandas groupby, polars (all threads) and DuckDB;
* peak extra memory (tracemalloc) of crmkit and pandas for the same pipeline;
* ``lorenz_curve``, ``gini`` and ``abc_classes`` on 5M customer values
  against a bare ``np.cumsum(np.sort(values))``.

Run: ``python benchmarks/bench_segmentation.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
from _timing import median_time, report

from crmkit import Transactions
from crmkit.datasets import PurchaseProcess, simulate_transactions
from crmkit.segmentation import (
    RFM_GRID_10,
    abc_classes,
    assign_segments,
    gini,
    lorenz_curve,
    rfm_scores,
    rfm_summary,
)

AS_OF = np.datetime64("2025-01-01", "us")

# the same 10-segment recency x frequency grid, as the baselines would write it
_LOOKUP = RFM_GRID_10.lookup()
SEG_MAP = {
    r * 10 + f: RFM_GRID_10.segments[_LOOKUP[r, f]] for r in range(1, 6) for f in range(1, 6)
}


def make_columns(n_customers: int, seed: int = 0) -> dict[str, np.ndarray]:
    tx = simulate_transactions(
        n_customers,
        "2022-01-01",
        "2024-12-31",
        seed=seed,
        purchase=PurchaseProcess(r=2.0, alpha=7.5, a=0.3, b=6.0),
    )
    return {"customer": tx.customer, "timestamp": tx.timestamp, "amount": tx.amount}


def crmkit_rfm(cols: dict[str, np.ndarray]) -> object:
    tx = Transactions.from_arrays(**cols)
    summary = rfm_summary(tx, unit="day", as_of=AS_OF, purchases="all")
    return assign_segments(rfm_scores(summary, k=5))


def pandas_rfm(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    rfm = df.groupby("customer").agg(
        last=("timestamp", "max"), frequency=("amount", "size"), monetary=("amount", "sum")
    )
    rfm["recency"] = (pd.Timestamp(AS_OF) - rfm["last"]).dt.total_seconds() / 86_400
    rfm["r"] = pd.qcut(rfm["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
    rfm["f"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    rfm["m"] = pd.qcut(rfm["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    rfm["segment"] = (rfm["r"] * 10 + rfm["f"]).map(SEG_MAP)
    return rfm


def polars_rfm(cols: dict[str, np.ndarray]) -> pl.DataFrame:
    df = pl.DataFrame(cols)
    as_of = pl.lit(AS_OF.astype("datetime64[us]").item()).cast(pl.Datetime("us"))
    rfm = df.group_by("customer").agg(
        pl.col("timestamp").max().alias("last"),
        pl.len().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )
    rfm = rfm.with_columns(
        ((as_of - pl.col("last")).dt.total_microseconds() / 86_400e6).alias("recency")
    )

    def score(col: str, *, reverse: bool) -> pl.Expr:
        rank = pl.col(col).rank("ordinal", descending=reverse)
        return ((rank - 1) * 5 // pl.len() + 1).alias(col[0])

    rfm = rfm.with_columns(
        score("recency", reverse=True),
        score("frequency", reverse=False),
        score("monetary", reverse=False),
    )
    return rfm.with_columns(
        (pl.col("r") * 10 + pl.col("f")).replace_strict(SEG_MAP).alias("segment")
    )


def duckdb_rfm(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    con = duckdb.connect()
    con.register("tx", pa.table(cols))
    cases = " ".join(f"WHEN {code} THEN '{name}'" for code, name in SEG_MAP.items())
    cases = cases.replace("can't", "can''t")
    sql = f"""
    WITH s AS (
      SELECT customer, max(timestamp) AS last, count(*) AS frequency, sum(amount) AS monetary
      FROM tx GROUP BY customer
    ), q AS (
      SELECT *, epoch_us(TIMESTAMP '2025-01-01' - last) / 86400e6 AS recency,
        ntile(5) OVER (ORDER BY last ASC) AS r,
        ntile(5) OVER (ORDER BY frequency) AS f,
        ntile(5) OVER (ORDER BY monetary) AS m
      FROM s
    )
    SELECT customer, recency, frequency, monetary, r, f, m,
      CASE r * 10 + f {cases} END AS segment
    FROM q
    """  # noqa: S608  (built from constants only)
    out = con.execute(sql).fetchnumpy()
    con.close()
    return out


def peak_memory(fn, cols) -> float:
    tracemalloc.start()
    fn(cols)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Median time of each function, run round-robin so a shared machine's load hits all alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def crmkit_summary(cols):
    return rfm_summary(Transactions.from_arrays(**cols), unit="day", as_of=AS_OF, purchases="all")


def pandas_summary(cols):
    df = pd.DataFrame(cols)
    return df.groupby("customer").agg(
        last=("timestamp", "max"), frequency=("amount", "size"), monetary=("amount", "sum")
    )


def polars_summary(cols):
    return (
        pl.DataFrame(cols)
        .group_by("customer")
        .agg(
            pl.col("timestamp").max().alias("last"),
            pl.len().alias("frequency"),
            pl.col("amount").sum().alias("monetary"),
        )
    )


def duckdb_summary(cols):
    con = duckdb.connect()
    con.register("tx", pa.table(cols))
    out = con.execute(
        "SELECT customer, max(timestamp), count(*), sum(amount) FROM tx GROUP BY customer"
    ).fetchnumpy()
    con.close()
    return out


def bench_rfm(cols: dict[str, np.ndarray], label: str, repeats: int) -> None:
    for arr in cols.values():
        arr.flags.writeable = False
    n_rows = cols["amount"].size
    n_customers = np.unique(cols["customer"]).size
    print(f"RFM end to end ({label}), {n_rows:,} rows, {n_customers:,} customers")
    seg = crmkit_rfm(cols)
    assert seg.customer.size == pandas_rfm(cols).shape[0]
    t = interleaved(
        {
            "crmkit": lambda: crmkit_rfm(cols),
            "pandas": lambda: pandas_rfm(cols),
            "polars": lambda: polars_rfm(cols),
            "duckdb": lambda: duckdb_rfm(cols),
        },
        repeats,
    )
    for name in ("pandas", "polars", "duckdb"):
        report(f"rfm end to end {label} vs {name}", t["crmkit"], name, t[name])
    t = interleaved(
        {
            "crmkit": lambda: crmkit_summary(cols),
            "pandas": lambda: pandas_summary(cols),
            "polars": lambda: polars_summary(cols),
            "duckdb": lambda: duckdb_summary(cols),
            "bare read": lambda: [c.sum() for c in cols.values() if c.dtype.kind == "f"],
        },
        repeats,
    )
    for name in ("pandas", "polars", "duckdb", "bare read"):
        report(f"summary only {label} vs {name}", t["crmkit"], name, t[name])
    mem_c = peak_memory(crmkit_rfm, cols)
    mem_p = peak_memory(pandas_rfm, cols)
    print(
        f"peak extra memory {label}: crmkit {mem_c:.0f} MiB, pandas {mem_p:.0f} MiB, "
        f"ratio {mem_c / mem_p:.2f}x"
    )


def bench_concentration(n: int, repeats: int) -> None:
    values = np.random.default_rng(1).lognormal(3.0, 1.5, n)
    values.flags.writeable = False
    print(f"concentration, {n:,} customer values")
    t_bare = median_time(lambda: np.cumsum(np.sort(values)), repeats=repeats)
    for name, fn in (
        ("lorenz_curve", lorenz_curve),
        ("gini", gini),
        ("abc_classes", abc_classes),
    ):
        report(name, median_time(lambda fn=fn: fn(values), repeats=repeats), "sort+cumsum", t_bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="25k customers, 3 repeats")
    args = parser.parse_args()
    n_customers, repeats = (25_000, 3) if args.quick else (args.customers, args.repeats)
    cols = make_columns(n_customers)
    bench_rfm(dict(cols), "int ids", repeats)
    str_cols = dict(cols)
    width = len(str(int(cols["customer"].max())))  # ids like "C0195277", as the simulator's
    str_cols["customer"] = np.strings.add(
        "C", np.strings.zfill(cols["customer"].astype(str), width)
    )
    bench_rfm(str_cols, "str ids", repeats)
    bench_concentration(250_000 if args.quick else 5_000_000, repeats)


if __name__ == "__main__":
    main()
