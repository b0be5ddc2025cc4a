"""Benchmark: pipeline forecasting hot paths.

Measures, in one run:

* the weighted forecast over N opportunities grouped by month x region x
  product line, against the same in pandas (target: not slower than pandas);
* Monte Carlo of 10,000 deals x 100,000 simulations against a bare chunked
  float32 numpy draw (target: under 5 s, peak memory under 1 GiB);
* the lattice distribution of the same deals, with its stated error bound,
  against the Monte Carlo run (target: under 1 s);
* calibration over ~1,000,000 stage-history rows (validation + fit) against
  a pandas groupby computing the same reached/won counts (target: under 2 s).

Run: ``python benchmarks/bench_funnel.py [--quick]``.
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
import pandas as pd
from _timing import median_time, report

from crmkit.funnel import (
    DEFAULT_PROCESS,
    Opportunities,
    StageHistory,
    fit_stage_rates,
    forecast_pipeline,
    lattice_forecast,
    simulate_forecast,
)
from crmkit.funnel._lattice import lattice_sum


def make_opportunities(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    names = np.asarray(DEFAULT_PROCESS.names)
    return {
        "id": np.arange(n, dtype=np.int64),
        "amount": rng.lognormal(9.5, 0.8, n).round(2),
        "stage": names[rng.integers(0, len(names), n)],
        "close_date": (
            np.datetime64("2024-01-01", "us")
            + rng.integers(0, 365 * 86_400_000_000, n).astype("timedelta64[us]")
        ),
        "region": np.asarray(["north", "south", "east", "west"])[rng.integers(0, 4, n)],
        "product": np.asarray(["software", "services", "hardware"])[rng.integers(0, 3, n)],
    }


def pandas_forecast(df: pd.DataFrame, probs: dict[str, float]) -> pd.DataFrame:
    live = df[df["stage"] != "lost"]
    p = live["stage"].map(probs)
    is_open = live["stage"] != "won"
    out = live.assign(
        month=live["close_date"].dt.to_period("M"),
        pipeline=live["amount"].where(is_open, 0.0),
        weighted=(live["amount"] * p).where(is_open, 0.0),
        closed_won=live["amount"].where(~is_open, 0.0),
    )
    return out.groupby(["month", "region", "product"], observed=True)[
        ["pipeline", "weighted", "closed_won"]
    ].sum()


def bare_monte_carlo(amount: np.ndarray, p: np.ndarray, n_sims: int, chunk: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    p32, a32 = p.astype(np.float32), amount.astype(np.float32)
    out = np.empty(n_sims)
    for lo in range(0, n_sims, chunk):
        size = min(chunk, n_sims - lo)
        out[lo : lo + size] = (rng.random((size, p.size), dtype=np.float32) < p32) @ a32
    return out


def make_history(n_opps: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = DEFAULT_PROCESS.n_stages
    top = rng.integers(0, k, n_opps)
    won = (rng.random(n_opps) < 0.3) & (top == k - 1)
    rows = top + 2
    opp = np.repeat(np.arange(n_opps), rows)
    start = np.repeat(np.cumsum(rows) - rows, rows)
    pos = np.arange(opp.size) - start
    last = pos == np.repeat(rows - 1, rows)
    stage = np.where(last, np.where(won[opp], k, k + 1), pos)
    t0 = np.datetime64("2022-01-01", "us") + rng.integers(0, 700, n_opps).astype("timedelta64[D]")
    entered = t0[opp] + (pos * 86_400_000_000 * 9).astype("timedelta64[us]")
    team = np.asarray(["alpha", "beta", "gamma"])[rng.integers(0, 3, n_opps)][opp]
    return {"opportunity": opp, "stage": stage, "entered": entered, "team": team}


def pandas_calibration(h: pd.DataFrame) -> pd.Series:
    k = DEFAULT_PROCESS.n_stages
    g = h.sort_values(["opportunity", "entered"], kind="stable").groupby("opportunity")
    last = g["stage"].last()
    top = h[h["stage"] < k].groupby("opportunity")["stage"].max()
    closed = last >= k
    reach = top.reindex(last.index).where(last != k, k - 1)[closed]
    won = (last == k)[closed]
    reached = reach.value_counts().reindex(range(k), fill_value=0)[::-1].cumsum()[::-1]
    wins = reach[won].value_counts().reindex(range(k), fill_value=0)[::-1].cumsum()[::-1]
    return wins / reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    args = parser.parse_args()
    quick = args.quick
    repeats = 3 if quick else 5
    n_opps = 100_000 if quick else 1_000_000
    n_deals, n_sims = (2_000, 10_000) if quick else (10_000, 100_000)
    n_hist_opps = 30_000 if quick else 280_000

    cols = make_opportunities(n_opps)
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=cols["id"],
        amount=cols["amount"],
        stage=cols["stage"],
        close_date=cols["close_date"],
        dimensions={"region": cols["region"], "product": cols["product"]},
    )
    df = pd.DataFrame(cols)
    df["region"] = df["region"].astype("category")
    df["product"] = df["product"].astype("category")
    probs = dict(zip(DEFAULT_PROCESS.names, DEFAULT_PROCESS.probabilities, strict=True))
    print(f"funnel, median of {repeats} (shared 2-core machine)")
    t_c = median_time(
        lambda: forecast_pipeline(
            opps, period="month", by=["region", "product"], probabilities="configured"
        ),
        repeats=repeats,
    )
    t_p = median_time(lambda: pandas_forecast(df, probs), repeats=repeats)
    report(f"weighted forecast, {n_opps:,} opps, month x region x product", t_c, "pandas", t_p)
    t_in = median_time(
        lambda: Opportunities.from_arrays(
            process=DEFAULT_PROCESS,
            id=cols["id"],
            amount=cols["amount"],
            stage=cols["stage"],
            close_date=cols["close_date"],
            dimensions={"region": cols["region"], "product": cols["product"]},
        ),
        repeats=repeats,
    )
    t_df = median_time(
        lambda: pd.DataFrame(cols).astype({"region": "category", "product": "category"}),
        repeats=repeats,
    )
    report("  boundary: Opportunities.from_arrays", t_in, "pandas frame + categories", t_df)

    rng = np.random.default_rng(3)
    deals = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=np.arange(n_deals),
        amount=rng.lognormal(10, 0.8, n_deals).round(2),
        stage=rng.integers(0, 5, n_deals),
        close_date=np.full(n_deals, np.datetime64("2024-07-15", "us")),
    )
    p = DEFAULT_PROCESS.probabilities[deals.stage]

    def run_mc() -> object:
        return simulate_forecast(
            deals, period="month", probabilities="configured", n_simulations=n_sims, seed=1
        )

    tracemalloc.start()
    run_mc()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t_mc = median_time(run_mc, repeats=max(1, repeats - 2), warmup=0)
    t_bare = median_time(
        lambda: bare_monte_carlo(deals.amount, p, n_sims, 2_000),
        repeats=max(1, repeats - 2),
        warmup=0,
    )
    report(f"Monte Carlo {n_deals:,} deals x {n_sims:,} sims", t_mc, "bare numpy draw", t_bare)
    t_mc2 = median_time(
        lambda: simulate_forecast(
            deals,
            period="month",
            probabilities="configured",
            n_simulations=n_sims,
            seed=1,
            n_jobs=2,
        ),
        repeats=max(1, repeats - 2),
        warmup=0,
    )
    report("  the same with n_jobs=2", t_mc2, "bare numpy draw", t_bare)
    print(f"  peak traced memory {peak / 2**20:.0f} MiB (target < 1024)")

    t_lat = median_time(
        lambda: lattice_forecast(deals, period="month", probabilities="configured"),
        repeats=repeats,
    )
    report(f"lattice {n_deals:,} deals", t_lat, "Monte Carlo run", t_mc)
    dist = lattice_sum(deals.amount, p, n_points=2**16)
    sd = float(np.sqrt((deals.amount**2 * p * (1 - p)).sum()))
    print(
        f"  error bound: amount {dist.amount_tolerance:,.0f} ({dist.amount_tolerance / sd:.1%} of"
        f" one sd), probability {dist.probability_tolerance:.1e}"
    )

    hist = make_history(n_hist_opps)
    for arr in hist.values():
        arr.flags.writeable = False

    def calibrate() -> object:
        h = StageHistory.from_arrays(
            process=DEFAULT_PROCESS,
            opportunity=hist["opportunity"],
            stage=hist["stage"],
            entered=hist["entered"],
            dimensions={"team": hist["team"]},
        )
        return fit_stage_rates(h, by="team")

    hdf = pd.DataFrame(hist)
    t_cal = median_time(calibrate, repeats=repeats)
    t_pcal = median_time(lambda: pandas_calibration(hdf), repeats=repeats)
    rows = hist["stage"].size
    report(f"calibration, {rows:,} history rows (validate + fit)", t_cal, "pandas groupby", t_pcal)


if __name__ == "__main__":
    main()
