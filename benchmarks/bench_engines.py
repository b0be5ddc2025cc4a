"""Benchmark: RFM summary + quintile scores inside the engine that holds the rows.

Three comparisons, each in one run, crmkit beside the engine's own code for
the same job (per-customer last purchase, count and sum, then quintile
scores of recency, frequency and monetary value):

* **DuckDB**, 100M order lines of 5M customers (ids like ``C0001234``) in a
  Parquet file: ``rfm_scores(rfm_summary(duckdb.read_parquet(path)))`` vs one
  DuckDB SQL query (``GROUP BY`` + ``ntile(5)``); crmkit's peak Python memory
  (tracemalloc) beside it.
* **polars lazy**, 10M lines (``pl.scan_parquet``) vs polars' own lazy
  ``group_by`` + rank bins.
* **PySpark** ``local[2]``, 10M lines vs Spark SQL (``GROUP BY`` + ``ntile``),
  with the result collected to the driver in both.

crmkit checks every row with the boundary's rules in the engine as well (a
pass the baselines do not make). Run: ``python benchmarks/bench_engines.py
[--quick] [--only duckdb,polars,spark]``; the Parquet files are written to a
temporary folder (about 1.3 GB for 100M rows).
"""

# ruff: noqa: PLC0415  (each section imports only the engine it measures)
from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

AS_OF = dt.datetime(2025, 1, 1)  # noqa: DTZ001  (crmkit's timestamps are UTC-naive)
SPAN_US = 3 * 365 * 86_400 * 1_000_000


def make_parquet(path: Path, n_rows: int, n_customers: int) -> None:
    """Write synthetic order lines with DuckDB (out of core, seconds for 100M rows)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    # numbers and a temporary path of our own, no user input
    sql = f"""
        COPY (
            SELECT 'C' || lpad(CAST(hash(i) % {n_customers} AS VARCHAR), 7, '0') AS customer,
                   TIMESTAMP '2022-01-01'
                     + to_microseconds(CAST(hash(i * 7 + 1) % {SPAN_US} AS BIGINT)) AS timestamp,
                   round(1 + (hash(i * 13 + 5) % 200000) / 1000.0, 2) AS amount
            FROM range({n_rows}) t(i)
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """  # noqa: S608
    con.execute(sql)
    con.close()


def crmkit_job(source: object) -> object:
    from crmkit.segmentation import rfm_scores, rfm_summary

    return rfm_scores(rfm_summary(source, unit="day", as_of=AS_OF), k=5)


SCORES_SQL = """
    WITH rfm AS (
        SELECT customer,
               date_diff('microsecond', max(timestamp), TIMESTAMP '{as_of}') / 86400e6
                   AS recency,
               count(*) AS frequency,
               sum(amount) AS monetary
        FROM {table}
        WHERE timestamp < TIMESTAMP '{as_of}'
        GROUP BY customer
    )
    SELECT customer, recency, frequency, monetary,
           ntile(5) OVER (ORDER BY recency DESC) AS r,
           ntile(5) OVER (ORDER BY frequency) AS f,
           ntile(5) OVER (ORDER BY monetary) AS m
    FROM rfm
"""


def duckdb_section(path: Path, rounds: int) -> None:
    import duckdb

    con = duckdb.connect()
    sql = SCORES_SQL.format(as_of=AS_OF, table=f"read_parquet('{path}')")

    def theirs() -> object:
        return con.sql(sql).to_arrow_table()

    def ours() -> object:
        return crmkit_job(con.read_parquet(str(path)))

    times = _interleaved({"crmkit": ours, "duckdb": theirs}, rounds)
    gc.collect()
    tracemalloc.start()
    result = ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(result.customer)  # type: ignore[attr-defined]
    _report("DuckDB relation over Parquet", times, "duckdb SQL", extra=f"{n:,} customers")
    print(f"  crmkit peak Python memory (tracemalloc): {peak / 2**30:.2f} GiB")


def polars_section(path: Path, rounds: int) -> None:
    import polars as pl

    as_of = pl.lit(AS_OF).cast(pl.Datetime("us"))

    def theirs() -> object:
        rfm = (
            pl.scan_parquet(path)
            .filter(pl.col("timestamp") < as_of)
            .group_by("customer")
            .agg(
                pl.col("timestamp").max().alias("last"),
                pl.len().alias("frequency"),
                pl.col("amount").sum().alias("monetary"),
            )
            .with_columns(
                ((as_of - pl.col("last")).dt.total_microseconds() / 86_400e6).alias("recency")
            )
        )

        def score(col: str, *, descending: bool) -> pl.Expr:
            rank = pl.col(col).rank("ordinal", descending=descending)
            return ((rank - 1) * 5 // pl.len() + 1).alias(col[0])

        return rfm.with_columns(
            score("recency", descending=True),
            score("frequency", descending=False),
            score("monetary", descending=False),
        ).collect()

    def ours() -> object:
        return crmkit_job(pl.scan_parquet(path))

    _report(
        "polars LazyFrame (scan_parquet)",
        _interleaved({"crmkit": ours, "polars": theirs}, rounds),
        "polars lazy",
    )


def spark_section(path: Path, rounds: int) -> None:
    import os

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "6g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.parquet(str(path)).createOrReplaceTempView("orders")
    sql = SCORES_SQL.format(as_of=AS_OF, table="orders").replace(
        f"date_diff('microsecond', max(timestamp), TIMESTAMP '{AS_OF}') / 86400e6",
        f"(unix_micros(TIMESTAMP '{AS_OF}') - unix_micros(max(timestamp))) / 86400e6",
    )

    def theirs() -> object:
        return spark.sql(sql).toArrow()

    def ours() -> object:
        return crmkit_job(spark.read.parquet(str(path)))

    times = _interleaved({"crmkit": ours, "spark": theirs}, rounds)
    _report("PySpark local[2] DataFrame over Parquet", times, "Spark SQL")
    spark.stop()


def _interleaved(jobs: dict[str, object], rounds: int) -> dict[str, float]:
    """Median seconds per job, the jobs alternating so the machine's load hits both alike.

    With more than one round, an untimed warm-up run of each job comes first.
    """
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for fn in jobs.values():  # warm-up: caches, JIT, lazy imports
        if rounds > 1:
            fn()  # type: ignore[operator]
    for _ in range(rounds):
        for name, fn in jobs.items():
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


def _report(title: str, times: dict[str, float], baseline: str, extra: str = "") -> None:
    ours, theirs = times["crmkit"], next(v for k, v in times.items() if k != "crmkit")
    print(
        f"{title}{' (' + extra + ')' if extra else ''}: crmkit {ours:.2f} s, "
        f"{baseline} {theirs:.2f} s, ratio crmkit/baseline {ours / theirs:.2f}x",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1M / 1M rows, one round")
    parser.add_argument("--only", default="duckdb,polars,spark")
    parser.add_argument("--dir", help="keep the Parquet files here (reused when present)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 3; 1 for --quick)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    big, small, rounds = (1_000_000, 1_000_000, 1) if args.quick else (100_000_000, 10_000_000, 3)
    rounds = args.rounds or rounds
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir or tmp)
        for n_rows, sections in ((big, {"duckdb"}), (small, {"polars", "spark"})):
            if not sections & only:
                continue
            path = folder / f"orders-{n_rows}.parquet"
            if not path.exists():
                start = time.perf_counter()
                make_parquet(path, n_rows, max(n_rows // 20, 1000))
                print(f"wrote {n_rows:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
            if "duckdb" in sections & only:
                duckdb_section(path, rounds if n_rows < 50_000_000 else 1)
            if "polars" in sections & only:
                polars_section(path, rounds)
            if "spark" in sections & only:
                spark_section(path, rounds)


if __name__ == "__main__":
    main()
