"""Benchmark: attribution models on a million customer journeys against pandas.

Measures, in one run, on N simulated journeys (default 1,000,000, about five touches each,
ten channels; ``simulate_touchpoints``):

* every rule-based and milestone model (first touch, last touch, last non-direct, linear,
  time decay, position-based, W-shaped, full path) with ``attribute`` on prepared
  ``TouchpointPaths``, against a straightforward pandas implementation of the same model on
  the same journeys already sorted in a DataFrame (group-by cumcount / size / transform);
  target: at least 5x faster. The credited revenue per channel is checked equal;
* building the paths once (validation, join, window) against pandas' merge and filter;
* the Markov removal effect (first and second order) against the same chain built with
  pandas (value_counts of transitions) and solved with numpy; target: under 5 s;
* Shapley values over the ten channels (1,024 subsets); target: under 10 s;
* the peak memory traced during each crmkit call (target: under 2 GiB).

Run: ``python benchmarks/bench_attribution.py [--journeys N] [--repeats R] [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
from _timing import median_time, report

from crmkit.datasets import simulate_touchpoints
from crmkit.roi import (
    FirstTouch,
    FullPath,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    PositionBased,
    Shapley,
    TimeDecay,
    WShaped,
    attribute,
    touchpoint_paths,
)

CHANNELS = {f"ch{i}": (1.0 + 0.2 * i, 0.01 + 0.008 * i, 0.15) for i in range(10)}
DIRECT = "ch0"
HALF_LIFE = 7.0


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def prepare_frame(touchpoints, conversions) -> pd.DataFrame:
    tp = pd.DataFrame({k: np.asarray(v) for k, v in touchpoints.items()})
    cv = pd.DataFrame({k: np.asarray(v) for k, v in conversions.items()})
    cv = cv.rename(columns={"timestamp": "converted_at"})
    df = tp.merge(cv, on="customer", how="inner")
    df = df[df["timestamp"] <= df["converted_at"]]
    return df.sort_values(["customer", "timestamp"], kind="stable").reset_index(drop=True)


def _roles(df: pd.DataFrame, weights: dict[str, float], rest: float) -> pd.Series:
    """Role-based credit: each role's weight to its touch, rest shared, absent roles spread."""
    g = df.groupby("customer", sort=False)
    pos = g.cumcount()
    n = g["channel"].transform("size")
    flags = {}
    if "first" in weights:
        flags["first"] = pos == 0
    if "last" in weights:
        flags["last"] = pos == n - 1
    for role, column in (("lead", "lead_created"), ("opportunity", "opportunity_created")):
        if role in weights:
            before = df["timestamp"] <= df[column]
            count = before.groupby(df["customer"], sort=False).transform("sum")
            flags[role] = before & (pos == count - 1)
    credit = pd.Series(0.0, index=df.index)
    is_role = pd.Series(data=False, index=df.index)
    present_total = pd.Series(0.0, index=df.index)
    for role, flag in flags.items():
        has = flag.groupby(df["customer"], sort=False).transform("any")
        present_total += has * weights[role]
        credit += flag * weights[role]
        is_role |= flag
    n_rest = (~is_role).groupby(df["customer"], sort=False).transform("sum")
    present_total += (n_rest > 0) * rest
    credit += (~is_role) * rest / n_rest.clip(lower=1)
    return credit / present_total


def pandas_model(df: pd.DataFrame, name: str) -> pd.Series:
    g = df.groupby("customer", sort=False)
    if name == "first touch":
        credit = (g.cumcount() == 0).astype(float)
    elif name == "last touch":
        credit = (g.cumcount() == g["channel"].transform("size") - 1).astype(float)
    elif name == "last non-direct":
        non_direct = df["channel"] != DIRECT
        idx = pd.Series(np.where(non_direct, np.arange(len(df)), -1), index=df.index)
        best = idx.groupby(df["customer"], sort=False).transform("max")
        last = g.cumcount() == g["channel"].transform("size") - 1
        credit = ((idx == best) & non_direct | (best < 0) & last).astype(float)
    elif name == "linear":
        credit = 1.0 / g["channel"].transform("size")
    elif name.startswith("time decay"):
        latest = g["timestamp"].transform("max")
        age = (latest - df["timestamp"]) / pd.Timedelta(days=1)
        weight = np.exp2(-age / HALF_LIFE)
        credit = weight / weight.groupby(df["customer"], sort=False).transform("sum")
    elif name.startswith("position-based"):
        credit = _roles(df, {"first": 0.4, "last": 0.4}, 0.2)
    elif name == "W-shaped":
        credit = _roles(df, {"first": 0.3, "lead": 0.3, "opportunity": 0.3}, 0.1)
    else:  # full path
        weights = {"first": 0.225, "lead": 0.225, "opportunity": 0.225, "last": 0.225}
        credit = _roles(df, weights, 0.1)
    return (credit * df["value"]).groupby(df["channel"]).sum()


def pandas_removal_effects(tp: pd.DataFrame, converted: set) -> np.ndarray:
    """First-order removal effects: transitions counted by pandas, chain solved by numpy."""
    channels = sorted(tp["channel"].unique())
    code = {c: i + 1 for i, c in enumerate(channels)}
    size = len(channels) + 3
    conv, null = size - 2, size - 1
    state = tp["channel"].map(code).to_numpy()
    first = (tp["customer"] != tp["customer"].shift()).to_numpy()
    last = (tp["customer"] != tp["customer"].shift(-1)).to_numpy()
    prev = np.where(first, 0, np.roll(state, 1))
    ends = tp.loc[last, "customer"].isin(converted).to_numpy()
    pairs = pd.concat(
        [
            pd.DataFrame({"a": prev, "b": state}),
            pd.DataFrame({"a": state[last], "b": np.where(ends, conv, null)}),
        ]
    ).value_counts()
    counts = np.zeros((size, size))
    counts[pairs.index.get_level_values(0), pairs.index.get_level_values(1)] = pairs.to_numpy()
    counts[conv, conv] = counts[null, null] = 1.0
    P = counts / counts.sum(axis=1, keepdims=True)

    def p_conv(M):
        n = size - 2
        return np.linalg.solve(np.eye(n) - M[:n, :n], M[:n, conv])[0]

    base = p_conv(P)
    out = []
    for c in range(1, len(channels) + 1):
        M = P.copy()
        M[:, null] += M[:, c]
        M[:, c] = 0.0
        M[c, :] = 0.0
        M[c, null] = 1.0
        out.append(1.0 - p_conv(M) / base)
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100,000 journeys, 1 repeat")
    args = parser.parse_args()
    n, repeats = (100_000, 1) if args.quick else (args.journeys, args.repeats)
    start = time.perf_counter()
    sim = simulate_touchpoints(n, "2023-01-01", "2025-01-01", seed=2024, channels=CHANNELS)
    n_touches = np.asarray(sim.touchpoints["customer"]).size
    print(
        f"attribution, {n:,} journeys, {n_touches:,} touches ({n_touches / n:.2f} per journey), "
        f"{len(CHANNELS)} channels (simulated in {time.perf_counter() - start:.1f} s), "
        f"median of {repeats}"
    )
    kwargs = {"lead_created": "lead_created", "opportunity_created": "opportunity_created"}

    def build():
        return touchpoint_paths(sim.touchpoints, sim.conversions, lookback_days=None, **kwargs)

    t_build = median_time(build, repeats=repeats)
    t_frame = median_time(lambda: prepare_frame(sim.touchpoints, sim.conversions), repeats=repeats)
    report("build the paths", t_build, "pandas merge + filter + sort", t_frame)
    paths = build()
    df = prepare_frame(sim.touchpoints, sim.conversions)
    print(f"  {paths.n_conversions:,} conversions, {len(df):,} touches on converting paths")

    models = [
        FirstTouch(),
        LastTouch(),
        LastNonDirect(direct=[DIRECT]),
        Linear(),
        TimeDecay(half_life_days=HALF_LIFE),
        PositionBased(),
        WShaped(),
        FullPath(),
    ]
    ratios = []
    for model in models:
        ours = attribute(paths, model=model)
        theirs = pandas_model(df, model.label).reindex(ours.channel).fillna(0.0).to_numpy()
        np.testing.assert_allclose(ours.value, theirs, rtol=1e-9)
        t_ours = median_time(lambda m=model: attribute(paths, model=m), repeats=repeats)
        t_pd = median_time(lambda m=model: pandas_model(df, m.label), repeats=repeats, warmup=0)
        report(f"{model.label}", t_ours, "pandas", t_pd)
        mib = peak_mib(lambda m=model: attribute(paths, model=m))
        print(f"  speed-up {t_pd / t_ours:.1f}x (target 5x), peak {mib:.0f} MiB")
        ratios.append(t_pd / t_ours)
    print(f"  rule-based speed-ups: min {min(ratios):.1f}x, median {np.median(ratios):.1f}x")

    tp = pd.DataFrame({k: np.asarray(v) for k, v in sim.touchpoints.items()})
    converted = set(np.asarray(sim.conversions["customer"]).tolist())
    t_markov = median_time(lambda: attribute(paths, model=MarkovChain()), repeats=repeats)
    t_pd_markov = median_time(lambda: pandas_removal_effects(tp, converted), repeats=repeats)
    report("Markov removal effect, order 1", t_markov, "pandas counts + numpy solves", t_pd_markov)
    ours = attribute(paths, model=MarkovChain()).weights.weight
    theirs = pandas_removal_effects(tp, converted)
    print(
        f"  target under 5 s: {'met' if t_markov < 5 else 'NOT met'}; "
        f"largest difference of the removal effects {np.max(np.abs(ours - theirs)):.1e}; "
        f"peak {peak_mib(lambda: attribute(paths, model=MarkovChain())):.0f} MiB"
    )
    t_order2 = median_time(lambda: attribute(paths, model=MarkovChain(order=2)), repeats=repeats)
    states = attribute(paths, model=MarkovChain(order=2)).weights.n_states
    print(f"Markov removal effect, order 2 ({states} states): crmkit {t_order2:.4f} s")
    t_shapley = median_time(lambda: attribute(paths, model=Shapley()), repeats=repeats)
    print(
        f"Shapley values, {len(CHANNELS)} channels (1,024 subsets): crmkit {t_shapley:.4f} s; "
        f"target under 10 s: {'met' if t_shapley < 10 else 'NOT met'}; "
        f"peak {peak_mib(lambda: attribute(paths, model=Shapley())):.0f} MiB"
    )


if __name__ == "__main__":
    main()
