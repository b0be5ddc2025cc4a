"""Benchmark: the path users take — RFM + quintile scores on a frame with string ids.

Measures, in one run, on 10M order lines of 500k customers with ids like
``C0001234`` (the CSV most users have, read into pandas or polars):

* crmkit ``rfm_scores(rfm_summary(frame))`` against the frame library's own
  idiomatic code for the same job (pandas ``groupby`` + ``qcut`` of ranks;
  polars ``group_by`` + rank bins on all threads), medians of interleaved
  runs so the shared machine's load hits both alike;
* the extra peak memory of each job (VmHWM above the frame, in a fresh
  process per job: Linux resets the high-water mark through
  ``/proc/self/clear_refs``), so allocations made by the frame libraries'
  native code count too.

Run: ``python benchmarks/bench_frames.py [--quick]``.
"""

# ruff: noqa: PLC0415  (each child process imports only the libraries its job measures)
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

AS_OF = np.datetime64("2025-01-01", "us")
JOBS = ("crmkit-pandas", "pandas", "crmkit-polars", "polars")


def make_parquet(path: Path, n_rows: int, n_customers: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    cust = rng.integers(0, n_customers, n_rows)
    ids = np.char.add("C", np.char.zfill(cust.astype(str), 7))
    seconds = rng.integers(0, 3 * 365 * 86_400, n_rows).astype("timedelta64[s]")
    ts = (np.datetime64("2022-01-01", "us") + seconds).astype("datetime64[us]")
    amount = rng.gamma(2.0, 20.0, n_rows).round(2)
    pq.write_table(pa.table({"customer": ids, "timestamp": ts, "amount": amount}), path)


def load(path: str, library: str):
    if library == "pandas":
        import pandas as pd

        return pd.read_parquet(path)
    import polars as pl

    return pl.read_parquet(path)


def crmkit_job(frame):
    from crmkit.segmentation import rfm_scores, rfm_summary

    return rfm_scores(rfm_summary(frame, unit="day", as_of=AS_OF), k=5)


def pandas_job(df):
    import pandas as pd

    rfm = df.groupby("customer").agg(
        last=("timestamp", "max"), frequency=("amount", "size"), monetary=("amount", "sum")
    )
    rfm["recency"] = (pd.Timestamp(AS_OF) - rfm["last"]).dt.total_seconds() / 86_400
    rfm["r"] = pd.qcut(rfm["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
    rfm["f"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    rfm["m"] = pd.qcut(rfm["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    return rfm


def polars_job(df):
    import polars as pl

    as_of = pl.lit(AS_OF.item()).cast(pl.Datetime("us"))
    rfm = df.group_by("customer").agg(
        pl.col("timestamp").max().alias("last"),
        pl.len().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )
    rfm = rfm.with_columns(
        ((as_of - pl.col("last")).dt.total_microseconds() / 86_400e6).alias("recency")
    )

    def score(col: str, *, descending: bool) -> pl.Expr:
        rank = pl.col(col).rank("ordinal", descending=descending)
        return ((rank - 1) * 5 // pl.len() + 1).alias(col[0])

    return rfm.with_columns(
        score("recency", descending=True),
        score("frequency", descending=False),
        score("monetary", descending=False),
    )


RUNNERS = {
    "crmkit-pandas": ("pandas", crmkit_job),
    "pandas": ("pandas", pandas_job),
    "crmkit-polars": ("polars", crmkit_job),
    "polars": ("polars", polars_job),
}


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def child(path: str, job: str, mode: str) -> None:
    """Run one job in this process and print its time, or its extra peak memory.

    Memory is measured on the first run after loading (nothing freed yet to
    reuse), with the libraries imported beforehand; time on a second run.
    """
    library, fn = RUNNERS[job]
    frame = load(path, library)
    # import costs are not the job's memory
    import pyarrow.compute  # noqa: F401

    import crmkit.segmentation  # noqa: F401

    if mode == "memory":
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to now
        before = _status("VmRSS")
        fn(frame)
        print(_status("VmHWM") - before)
        return
    fn(frame)  # warm-up: first-touch page faults, lazy imports
    start = time.perf_counter()
    fn(frame)
    print(time.perf_counter() - start)


def run_child(path: Path, job: str, mode: str) -> float:
    cmd = [sys.executable, __file__, "--child", str(path), job, mode]
    return float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "JOB", "MODE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    n_rows, n_customers, rounds = (1_000_000, 50_000, 3) if args.quick else (10_000_000, 500_000, 5)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.parquet"
        make_parquet(path, n_rows, n_customers)
        print(f"RFM summary + quintile scores, {n_rows:,} rows, {n_customers:,} string ids")
        times: dict[str, list[float]] = {job: [] for job in JOBS}
        memory: dict[str, float] = {}
        for _ in range(rounds):  # one process per job and round, interleaved
            for job in JOBS:
                times[job].append(run_child(path, job, "time"))
        for job in JOBS:
            memory[job] = run_child(path, job, "memory") / 2**20
    med = {job: statistics.median(t) for job, t in times.items()}
    for library in ("pandas", "polars"):
        ours, theirs = med[f"crmkit-{library}"], med[library]
        print(
            f"  {library} frame in: crmkit {ours:.3f} s, +{memory[f'crmkit-{library}']:.0f} MiB"
            f" | {library} own {theirs:.3f} s, +{memory[library]:.0f} MiB"
            f" | ratio {theirs / ours:.2f} (above 1: crmkit faster)"
        )


if __name__ == "__main__":
    main()
