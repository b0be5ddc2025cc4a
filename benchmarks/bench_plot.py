"""Benchmark: the P(alive) matrix chart of 1,000,000 customers, beside lifetimes.

Measures, in one run, on the same customers (frequency, recency and T in weeks drawn
from the BG/NBD story with the CDNOW estimates) and the same model:

* crmkit: ``alive_matrix(fit, data)`` (the grid of distinct frequency x recency cells,
  customers counted into it) and ``crmkit.plot.frequency_recency_heatmap``, rendered to
  PNG with Agg;
* lifetimes: ``plot_probability_alive_matrix(model)`` on a ``BetaGeoFitter`` holding the
  same data and parameters, rendered to PNG the same way.

Each prints the median wall time and the peak memory traced by ``tracemalloc`` (numpy
reports its buffers to it) while the chart is computed and drawn; the issue's target for
crmkit is under 2 s and 300 MB.

Run: ``python benchmarks/bench_plot.py [--customers N] [--repeats R] [--quick]``.
"""

from __future__ import annotations

import argparse
import io
import time
import tracemalloc

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _timing import median_time, report
from lifetimes import BetaGeoFitter
from lifetimes.plotting import plot_probability_alive_matrix

from crmkit.plot import frequency_recency_heatmap
from crmkit.roi import alive_matrix, bgnbd_from_params

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def customers(n: int, seed: int) -> dict[str, np.ndarray]:
    """Weekly BG/NBD customers: gamma purchase rates, beta dropout after each purchase."""
    rng = np.random.default_rng(seed)
    big_t = rng.integers(1, 79, n).astype(np.float64)  # first purchase within 78 weeks
    rate = rng.gamma(CDNOW["r"], 1.0 / CDNOW["alpha"], n)
    drop = rng.beta(CDNOW["a"], CDNOW["b"], n)
    # purchases while alive: a geometric number of purchases before dropout, capped by T
    alive_for = rng.exponential(1.0, n) / np.maximum(rate, 1e-12) * rng.geometric(drop, n)
    span = np.minimum(alive_for, big_t)
    x = rng.poisson(rate * span)
    recency = np.where(x > 0, np.floor(span * rng.beta(np.maximum(x, 1), 1.0, n)), 0.0)
    return {"frequency": x.astype(np.float64), "recency": recency, "T": big_t}


def render(ax) -> int:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    plt.close("all")
    return buf.tell()


def traced(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100,000 customers, 1 repeat")
    args = parser.parse_args()
    n, repeats = (100_000, 1) if args.quick else (args.customers, args.repeats)

    start = time.perf_counter()
    data = customers(n, seed=2024)
    fit = bgnbd_from_params(**CDNOW)
    frame = pd.DataFrame(data)
    theirs = BetaGeoFitter()
    theirs.params_ = pd.Series(CDNOW)
    theirs.data = frame
    print(
        f"plot, {n:,} customers, max frequency {int(data['frequency'].max())}, "
        f"max T {int(data['T'].max())} weeks (made in {time.perf_counter() - start:.1f} s), "
        f"median of {repeats}"
    )

    def crmkit_chart() -> None:
        matrix = alive_matrix(fit, data)
        render(frequency_recency_heatmap(matrix))

    def lifetimes_chart() -> None:
        plt.figure(figsize=(7.0, 5.4))
        render(plot_probability_alive_matrix(theirs))

    # the same model on the same grid: the two matrices agree where both are defined
    ours = alive_matrix(fit, data).matrix
    top, big_t = int(data["frequency"].max()), int(data["T"].max())
    grid = theirs.conditional_probability_alive_matrix(top, big_t).T
    valid = ~np.isnan(ours)
    gap = float(np.max(np.abs(ours[valid] - grid[valid]))) if ours.shape == grid.shape else None
    print(f"  same matrix as lifetimes: largest difference {gap}")

    ours_s = median_time(crmkit_chart, repeats=repeats)
    theirs_s = median_time(lifetimes_chart, repeats=repeats)
    ours_mb = traced(crmkit_chart)
    theirs_mb = traced(lifetimes_chart)
    report("P(alive) matrix chart", ours_s, "lifetimes plot_probability_alive_matrix", theirs_s)
    print(f"  peak traced memory: crmkit {ours_mb:.0f} MB, lifetimes {theirs_mb:.0f} MB")
    ok = ours_s < 2.0 and ours_mb < 300
    print(f"  target (under 2 s and 300 MB for crmkit): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
