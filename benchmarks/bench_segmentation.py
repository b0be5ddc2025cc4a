"""Benchmark: RFM end to end, scores, and 80/20 concentration.

Measures, in one run:

* RFM summary + 5-quantile scoring + 10-segment labels, end to end from
  numpy arrays (10M transactions / 500k customers from the simulator, with
  non-contiguous int ids and with string ids): crmkit against an idiomatic
  pandas groupby, polars (all threads) and DuckDB;
* peak extra memory (tracemalloc) of crmkit and pandas for the same pipeline;
* scores of the RFM summary of 500k simulated customers (three dimensions):
  ``rfm_scores`` quintiles against ``numpy.percentile`` + ``searchsorted``
  (target: within 1.2x) and rank scores against ``pandas.Series.rank(pct=True)``
  + ``ceil`` (target: at least as fast);
* every concentration measure of 5M customer values (Lorenz curve, Gini, top
  share, Pareto point, ABC classes) from one ``concentration`` against one
  ``np.cumsum(np.sort(values))`` (target: within 1.3x), and ``abc_classes``,
  ``lorenz_curve`` and ``gini`` alone against the same baseline.

With ``--compare-with REF`` (e.g. ``main``) the scores and concentration parts
also run the crmkit of that git ref (exported with ``git archive`` into a
temporary directory, run in a subprocess on the same data, interleaved with
nothing else), printed beside today's figures.

Run: ``python benchmarks/bench_segmentation.py [--quick] [--only scores,concentration]
[--compare-with main]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
from _timing import report

from crmkit import Transactions
from crmkit.datasets import PurchaseProcess, simulate_transactions
from crmkit.segmentation import (
    RFM_GRID_10,
    abc_classes,
    assign_segments,
    gini,
    lorenz_curve,
    pareto_point,
    rfm_scores,
    rfm_summary,
    top_share,
)

HERE = Path(__file__).resolve().parent

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


def numpy_quintiles(cols: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The textbook quintile score: percentile edges, then a binary search per value."""
    out = []
    for name, sign in (("recency", -1.0), ("frequency", 1.0), ("monetary", 1.0)):
        v = sign * cols[name]
        edges = np.percentile(v, [20, 40, 60, 80])
        out.append(np.searchsorted(edges, v, side="left") + 1)
    return out


def pandas_rank_scores(cols: dict[str, np.ndarray]) -> list[np.ndarray]:
    """pandas' percentile rank (average ties), then equal-width bins."""
    out = []
    for name, sign in (("recency", -1.0), ("frequency", 1.0), ("monetary", 1.0)):
        pct = pd.Series(sign * cols[name]).rank(pct=True).to_numpy()
        out.append(np.ceil(5 * pct).astype(np.int64))
    return out


def crmkit_scores(cols: dict[str, np.ndarray], method: str) -> object:
    return rfm_scores(cols, k=5, method=method)


def all_measures_single(values: np.ndarray) -> None:
    """Every measure through the single-purpose functions (one sort each: today's main)."""
    lorenz_curve(values)
    top_share(values, 0.2)
    pareto_point(values)
    abc_classes(values)


def all_measures_once(values: np.ndarray) -> None:
    """Every measure from one concentration() (one sort)."""
    from crmkit.segmentation import concentration  # noqa: PLC0415  (absent from older refs)

    c = concentration(values)
    c.lorenz_curve()
    c.top_share(0.2)
    c.pareto_point()
    c.abc_classes()


def has_concentration() -> bool:
    import crmkit.segmentation as seg  # noqa: PLC0415

    return hasattr(seg, "concentration")


def crmkit_timings(data: dict[str, np.ndarray], repeats: int) -> dict[str, float]:
    """Median times of the crmkit calls this benchmark compares across versions."""
    cols = {k: data[k] for k in ("recency", "frequency", "monetary")}
    values = data["values"]
    calls = {
        "quintile scores": lambda: crmkit_scores(cols, "quantile"),
        "rank scores": lambda: crmkit_scores(cols, "rank"),
        "all measures (single functions)": lambda: all_measures_single(values),
        "abc_classes": lambda: abc_classes(values),
        "lorenz_curve": lambda: lorenz_curve(values),
        "gini": lambda: gini(values),
    }
    if has_concentration():
        calls["all measures (concentration)"] = lambda: all_measures_once(values)
    return interleaved(calls, repeats)


def score_columns(n_customers: int) -> dict[str, np.ndarray]:
    cols = make_columns(n_customers, seed=3)
    summary = rfm_summary(
        Transactions.from_arrays(**cols), unit="day", as_of=AS_OF, purchases="all"
    )
    return {
        "recency": np.asarray(summary.recency),
        "frequency": np.asarray(summary.frequency, dtype=np.float64),
        "monetary": np.asarray(summary.monetary),
    }


def bench_scores(cols: dict[str, np.ndarray], repeats: int) -> dict[str, float]:
    n = cols["recency"].size
    distinct = {k: np.unique(v).size for k, v in cols.items()}
    print(f"scores of {n:,} customers (distinct values: {distinct}), median of {repeats}")
    s = crmkit_scores(cols, "rank")
    ranks = pandas_rank_scores(cols)
    same = all(
        np.array_equal(a, b)
        for a, b in zip((s.recency_score, s.frequency_score, s.monetary_score), ranks, strict=True)
    )
    print(f"  rank scores equal pandas rank(pct=True) + ceil on every customer: {same}")
    t = interleaved(
        {
            "crmkit quintiles": lambda: crmkit_scores(cols, "quantile"),
            "numpy": lambda: numpy_quintiles(cols),
            "crmkit ranks": lambda: crmkit_scores(cols, "rank"),
            "pandas": lambda: pandas_rank_scores(cols),
        },
        repeats,
    )
    report("quintile scores (3 dimensions)", t["crmkit quintiles"], "numpy percentile", t["numpy"])
    report("rank scores (3 dimensions)", t["crmkit ranks"], "pandas rank(pct)", t["pandas"])
    return {"quintile scores": t["crmkit quintiles"], "rank scores": t["crmkit ranks"]}


def bench_concentration(values: np.ndarray, repeats: int) -> dict[str, float]:
    print(f"concentration, {values.size:,} customer values, median of {repeats}")
    t = interleaved(
        {
            "sort+cumsum": lambda: np.cumsum(np.sort(values)),
            "all measures (concentration)": lambda: all_measures_once(values),
            "all measures (single functions)": lambda: all_measures_single(values),
            "abc_classes": lambda: abc_classes(values),
            "lorenz_curve": lambda: lorenz_curve(values),
            "gini": lambda: gini(values),
        },
        repeats,
    )
    for name in (
        "all measures (concentration)",
        "all measures (single functions)",
        "abc_classes",
        "lorenz_curve",
        "gini",
    ):
        report(name, t[name], "sort+cumsum", t["sort+cumsum"])
    return t


def compare_with(ref: str, data: dict[str, np.ndarray], repeats: int, now: dict) -> None:
    """Run the same crmkit calls with the crmkit of git *ref*, in a subprocess; print both."""
    with tempfile.TemporaryDirectory(prefix="crmkit-bench-") as tmp:
        archive = Path(tmp, "src.tar")
        root = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],  # noqa: S607
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        with archive.open("wb") as out:
            subprocess.run(["git", "archive", ref, "src"], cwd=root, stdout=out, check=True)  # noqa: S607
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        np.savez(Path(tmp, "data.npz"), **data)
        env = {**os.environ, "PYTHONPATH": str(Path(tmp, "src"))}
        result = subprocess.run(
            [sys.executable, __file__, "--worker", tmp, "--repeats", str(repeats)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        then = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"crmkit of {ref!r} against this tree, same data, median of {repeats}:")
    pairs = [(name, name) for name in then if name in now]
    if "all measures (concentration)" not in then and "all measures (concentration)" in now:
        pairs.append(("all measures (single functions)", "all measures (concentration)"))
    for old_name, new_name in pairs:
        before, after = then[old_name], now[new_name]
        label = old_name if old_name == new_name else f"{old_name} -> {new_name}"
        print(f"  {label}: {ref} {before:.4f} s, now {after:.4f} s, speed-up {before / after:.1f}x")


def worker(directory: str, repeats: int) -> None:
    import crmkit  # noqa: PLC0415

    assert str(Path(crmkit.__file__).resolve()).startswith(str(Path(directory).resolve()))
    with np.load(Path(directory, "data.npz")) as f:
        data = {k: f[k] for k in f.files}
    for arr in data.values():
        arr.flags.writeable = False
    print(json.dumps(crmkit_timings(data, repeats)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--n-values", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="25k customers, 3 repeats")
    parser.add_argument("--only", default="rfm,scores,concentration", help="comma-separated parts")
    parser.add_argument("--compare-with", default=None, help="git ref whose crmkit to measure too")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeats)
        return
    n_customers, repeats = (25_000, 3) if args.quick else (args.customers, args.repeats)
    n_values = 250_000 if args.quick else args.n_values
    parts = set(args.only.split(","))
    if "rfm" in parts:
        cols = make_columns(n_customers)
        bench_rfm(dict(cols), "int ids", repeats)
        str_cols = dict(cols)
        width = len(str(int(cols["customer"].max())))  # ids like "C0195277", as the simulator's
        str_cols["customer"] = np.strings.add(
            "C", np.strings.zfill(cols["customer"].astype(str), width)
        )
        bench_rfm(str_cols, "str ids", repeats)
    data: dict[str, np.ndarray] = {}
    now: dict[str, float] = {}
    if "scores" in parts:
        data.update(score_columns(n_customers))
        for arr in data.values():
            arr.flags.writeable = False
        now.update(bench_scores(data, repeats))
    if "concentration" in parts:
        values = np.random.default_rng(1).lognormal(3.0, 1.5, n_values)
        values.flags.writeable = False
        data["values"] = values
        now.update(bench_concentration(values, repeats))
    if args.compare_with and {"scores", "concentration"} <= parts:
        compare_with(args.compare_with, data, repeats, now)
    elif args.compare_with:
        print("--compare-with needs the scores and concentration parts")


if __name__ == "__main__":
    main()
