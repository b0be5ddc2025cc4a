"""Benchmark: validating transactions at the boundary.

Measures, in one run:

* ``Transactions.from_arrays`` on N rows of numpy arrays. It validates the
  columns and factorises the customer ids once (every analysis groups by
  them), so it is timed in two parts: the validation against a bare
  ``np.isfinite(amount).all()`` (the target: no more than 3 such passes), and
  the factorisation against ``pandas.factorize(ids, sort=True)``, the
  well-known way to get sorted dense codes;
* ``Transactions.from_frame`` on a pandas frame against the plain pandas
  equivalent (null checks, finiteness, refund count, datetime conversion).

Run: ``python benchmarks/bench_transactions.py [--rows N] [--quick]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _timing import median_time, report

from crmkit import Transactions
from crmkit._groups import factorize
from crmkit._input import as_amounts, as_datetime, as_ids


def make_columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_customers = max(1, n // 20)
    ids = (rng.integers(0, n_customers, size=n) * 7 + 1_000).astype(np.int64)
    start = np.datetime64("2022-01-01T00:00:00", "us").astype(np.int64)
    span = 2 * 365 * 86_400 * 1_000_000
    ts = np.sort(rng.integers(start, start + span, size=n)).astype("datetime64[us]")
    amount = rng.gamma(2.0, 30.0, size=n)
    amount[rng.uniform(size=n) < 0.02] *= -1.0  # refunds
    return {"customer": ids, "timestamp": ts, "amount": amount}


def pandas_validation(df: pd.DataFrame) -> None:
    if df[["customer", "timestamp", "amount"]].isna().to_numpy().any():
        raise ValueError
    if not np.isfinite(df["amount"].to_numpy()).all():
        raise ValueError
    int((df["amount"] < 0).sum())
    pd.to_datetime(df["timestamp"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="1M rows, 3 repeats")
    args = parser.parse_args()
    rows, repeats = (1_000_000, 3) if args.quick else (args.rows, args.repeats)
    cols = make_columns(rows)
    for arr in cols.values():
        arr.flags.writeable = False
    print(f"transactions boundary, {rows:,} rows, median of {repeats}")

    def validate() -> None:
        as_ids(cols["customer"], field="customer", function="bench")
        as_datetime(cols["timestamp"], field="timestamp", function="bench")
        as_amounts(cols["amount"], field="amount", function="bench")

    t_valid = median_time(validate, repeats=repeats)
    t_pass = median_time(lambda: np.isfinite(cols["amount"]).all(), repeats=repeats)
    report("validation (numpy columns)", t_valid, "np.isfinite(amount).all()", t_pass)
    print(f"  = {t_valid / t_pass:.2f} full passes over the data (target <= 3)")
    t_fact = median_time(lambda: factorize(cols["customer"]), repeats=repeats)
    t_pd = median_time(lambda: pd.factorize(cols["customer"], sort=True), repeats=repeats)
    report("customer factorisation", t_fact, "pandas.factorize(sort=True)", t_pd)
    t_crmkit = median_time(lambda: Transactions.from_arrays(**cols), repeats=repeats)
    print(f"from_arrays in all (validation + factorisation): {t_crmkit:.4f} s")

    df = pd.DataFrame(cols)
    t_frame = median_time(
        lambda: Transactions.from_frame(
            df, customer="customer", timestamp="timestamp", amount="amount"
        ),
        repeats=repeats,
    )
    t_pandas = median_time(lambda: pandas_validation(df), repeats=repeats)
    report("from_frame (pandas)", t_frame, "plain pandas validation", t_pandas)


if __name__ == "__main__":
    main()
