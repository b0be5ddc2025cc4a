"""Benchmark: the vectorised finance core against a loop of numpy-financial calls.

Measures, in one run, on S scenario cash flows of 10 periods (default 100,000; an
investment, then nine returns):

* ``npv`` with one discount rate per scenario against ``numpy_financial.npv`` called
  once per scenario;
* ``irr`` against ``numpy_financial.irr`` called once per scenario (the loop is timed
  on a sample of rows and scaled up, since it is linear in the rows);
* the largest absolute difference from numpy-financial (target 1e-9) and the peak
  memory traced while crmkit runs (target under 2 GiB);
* a business-case Monte Carlo (``simulate_business_case``) of 10 x S futures of a five-year
  plan against drawing the same multipliers and calling ``npf.npv`` per future (timed on a
  sample, scaled).

The issue's target: at least 50x faster than the loop. Run:
``python benchmarks/bench_finance.py [--scenarios S] [--repeats R] [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import numpy_financial as npf
from _timing import median_time, report

from crmkit.roi import (
    BenefitStream,
    BusinessCase,
    CostItem,
    Triangular,
    Uniform,
    irr,
    npv,
    simulate_business_case,
)


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10,000 scenarios, 2 repeats")
    args = parser.parse_args()
    s, repeats = (10_000, 2) if args.quick else (args.scenarios, args.repeats)
    rng = np.random.default_rng(2024)
    flows = np.abs(rng.normal(15.0, 8.0, (s, 10)))
    flows[:, 0] = -rng.uniform(20.0, 80.0, s)
    rates = rng.uniform(0.0, 0.2, s)
    sample = min(s, 10_000)
    print(f"finance core, {s:,} scenarios x 10 periods, median of {repeats}")

    t_npv = median_time(lambda: npv(rates, flows, first_period=0), repeats=repeats)
    start = time.perf_counter()
    theirs_npv = np.array([npf.npv(r, row) for r, row in zip(rates, flows, strict=True)])
    t_npf_npv = time.perf_counter() - start
    report("npv, one rate per scenario", t_npv, "loop of npf.npv", t_npf_npv)
    print(f"  speed-up {t_npf_npv / t_npv:.0f}x (target 50x)")

    t_irr = median_time(lambda: irr(flows), repeats=repeats)
    start = time.perf_counter()
    theirs_irr = np.array([npf.irr(row) for row in flows[:sample]])
    t_npf_irr = (time.perf_counter() - start) * s / sample
    report("irr", t_irr, f"loop of npf.irr (timed on {sample:,} rows, scaled)", t_npf_irr)
    print(f"  speed-up {t_npf_irr / t_irr:.0f}x (target 50x)")

    ours_npv = npv(rates, flows, first_period=0)
    ours_irr = irr(flows)
    d_npv = np.max(np.abs(ours_npv - theirs_npv))
    d_irr = np.max(np.abs(ours_irr[:sample] - theirs_irr))
    print(
        f"  largest |difference| vs numpy-financial: npv {d_npv:.1e}, irr {d_irr:.1e} (target 1e-9)"
    )
    print(
        f"  peak traced memory: npv {peak_mib(lambda: npv(rates, flows, first_period=0)):.0f} MiB,"
        f" irr {peak_mib(lambda: irr(flows)):.0f} MiB (target under 2,048 MiB)"
    )
    monte_carlo(10 * s, repeats)


def monte_carlo(n: int, repeats: int) -> None:
    case = BusinessCase(
        costs=(
            CostItem(name="licences", category="technology", one_off=80_000.0, recurring=60_000.0),
            CostItem(name="CRM team", category="people", recurring=90_000.0),
        ),
        benefits=(
            BenefitStream.revenue_growth(
                name="cross-sell", extra_revenue=900_000.0, margin_rate=0.3, ramp_up=(0.2, 0.5)
            ),
        ),
        periods=5,
        discount_rate=0.1,
        first_period=0,
    )
    dists = {
        "cross-sell": Triangular(low=0.4, mode=0.9, high=1.2),
        "licences recurring": Uniform(low=0.9, high=1.3),
    }

    def ours():
        return simulate_business_case(case, distributions=dists, n_simulations=n, seed=1)

    t_ours = median_time(ours, repeats=repeats)
    rng = np.random.default_rng(1)
    sample = min(n, 20_000)
    base = np.array(
        [
            [-80_000, -150_000, -150_000, -150_000, -150_000, -150_000],
            [0.0, 54_000, 135_000, 270_000, 270_000, 270_000],
            [0.0, -60_000, -60_000, -60_000, -60_000, -60_000],
        ]
    )
    start = time.perf_counter()
    for _ in range(sample):
        m = np.array([1.0, rng.triangular(0.4, 0.9, 1.2), rng.uniform(0.9, 1.3) - 1.0])
        npf.npv(0.1, m @ base)
    t_loop = (time.perf_counter() - start) * n / sample
    report(f"business-case Monte Carlo, {n:,} futures", t_ours, "loop of draws + npf.npv", t_loop)
    print(f"  speed-up {t_loop / t_ours:.0f}x; peak traced {peak_mib(ours):.0f} MiB")


if __name__ == "__main__":
    main()
