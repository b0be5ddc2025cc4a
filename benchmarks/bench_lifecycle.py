"""Benchmark: lifecycle replay, behavioural classification and transition matrices.

Measures, in one run:

* ``replay`` of a time-ordered event log (10M events, 1M customers) against a
  per-event Python loop over the same (stage, event) -> next-stage table (the
  loop is timed on the first 1M events and scaled linearly to the full log;
  target: at least 2M events/s);
* ``classify_stages`` on 5M customers' metrics against a hand-written
  ``numpy.select`` over the same rules (target: under 1 s);
* ``transition_matrix`` from a 10M-row (customer, period, stage) panel
  against pandas (sort, groupby-shift, crosstab) (target: under 1 s).

Run: ``python benchmarks/bench_lifecycle.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import pandas as pd
from _timing import median_time, report

from crmkit.datasets import simulate_lifecycle
from crmkit.errors import TransitionError
from crmkit.lifecycle import (
    CustomerState,
    StageThresholds,
    apply,
    classify_stages,
    prospect_lifecycle,
    replay,
    transition_matrix,
)

# prospect lifecycle: prospect, interested, customer, upgraded, churned (busy customers)
P_BUSY = np.array(
    [
        [0.30, 0.40, 0.30, 0.00, 0.00],
        [0.00, 0.40, 0.60, 0.00, 0.00],
        [0.00, 0.00, 0.40, 0.30, 0.30],
        [0.00, 0.00, 0.30, 0.40, 0.30],
        [0.00, 0.00, 0.55, 0.00, 0.45],
    ]
)


def cpu_time(fn, *, repeats: int) -> float:
    """Median process (CPU) time: on a shared machine it is steadier than wall time."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(np.median(times))


def cpu_report(name: str, crmkit_fn, baseline_fn, *, repeats: int) -> None:
    a = cpu_time(crmkit_fn, repeats=repeats)
    b = cpu_time(baseline_fn, repeats=repeats)
    print(f"  {name} CPU time: crmkit {a:.4f} s, baseline {b:.4f} s, ratio {a / b:.2f}x")


def event_log(n_customers: int, n_periods: int, seed: int) -> dict[str, np.ndarray]:
    sim = simulate_lifecycle(
        n_customers,
        probabilities=P_BUSY,
        model=prospect_lifecycle(),
        n_periods=n_periods,
        start="2024-01-01",
        frequency="week",
        seed=seed,
    )
    ev = sim.events
    order = np.argsort(ev["timestamp"], kind="stable")  # a log arrives in time order
    return {k: np.ascontiguousarray(v[order]) for k, v in ev.items()}


def python_loop(model, customers, events) -> dict:
    """The per-event baseline: a dict of states and the model's table, one event at a time."""
    table, names = model.event_table()
    ev_index = {e: i for i, e in enumerate(names)}
    lookup = {(s, e): int(table[s, e]) for s in range(table.shape[0]) for e in range(len(names))}
    initial = model.stage_index(model.initial)
    state: dict = {}
    rejected = 0
    for c, e in zip(customers.tolist(), events.tolist(), strict=True):
        s = state.get(c, initial)
        nxt = lookup[s, ev_index[e]]
        if nxt < 0:
            rejected += 1
        else:
            s = nxt
        state[c] = s
    return state


def apply_loop(model, customers, events, times) -> dict:
    """The naive baseline: crmkit's own apply() on immutable states, one event at a time."""
    states: dict = {}
    for c, e, t in zip(customers.tolist(), events.tolist(), times, strict=True):
        s = states.get(c)
        if s is None:
            s = CustomerState.start(model, at=t)
        with contextlib.suppress(TransitionError):
            s = apply(model, s, e, at=t)
        states[c] = s
    return states


def metrics(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 1500, n)
    recency = tenure * rng.uniform(0, 1, n)
    return {
        "customer": np.arange(n, dtype=np.int64),
        "tenure_days": tenure,
        "recency_days": recency,
        "frequency": rng.integers(1, 40, n).astype(np.float64),
        "recent_count": rng.integers(0, 8, n).astype(np.float64),
        "earlier_count": rng.integers(0, 8, n).astype(np.float64),
        "recent_spend": rng.gamma(2.0, 50.0, n),
        "earlier_spend": rng.gamma(2.0, 50.0, n),
    }


def numpy_select(m: dict[str, np.ndarray], th: StageThresholds) -> np.ndarray:
    f = m["frequency"]
    gap = np.where(
        f >= 2, (m["tenure_days"] - m["recency_days"]) / np.maximum(f - 1, 1), th.new_days
    )
    rc, ec, rs, es = m["recent_count"], m["earlier_count"], m["recent_spend"], m["earlier_spend"]
    enough = (rc + ec) >= th.min_trend_purchases
    conds = [
        (m["recency_days"] > th.lapse_ratio * gap) & (m["recency_days"] > th.lapse_min_days),
        m["tenure_days"] < th.new_days,
        f <= 1,
        m["recency_days"] > th.overdue_ratio * gap,
        enough & (ec > 0) & (rc <= th.falling_ratio * ec),
        enough & (es > 0) & (rs <= th.falling_ratio * es),
        enough
        & (
            ((ec > 0) & (rc >= th.rising_ratio * ec))
            | ((ec == 0) & (rc > 0))
            | ((es > 0) & (rs >= th.rising_ratio * es))
        ),
    ]
    stages = [
        "terminated",
        "exploration",
        "exploration",
        "decline",
        "decline",
        "decline",
        "build_up",
    ]
    return np.select(conds, stages, default="maturity")


def panel(n_customers: int, n_periods: int, seed: int) -> dict[str, np.ndarray]:
    sim = simulate_lifecycle(
        n_customers,
        probabilities=P_BUSY,
        stages=prospect_lifecycle().stage_names,
        n_periods=n_periods,
        start="2024-01-01",
        seed=seed,
    )
    return {"customer": sim.customer, "period": sim.period, "stage": sim.stage}


def pandas_matrix(df: pd.DataFrame) -> pd.DataFrame:
    d = df.sort_values(["customer", "period"])
    nxt = d.groupby("customer")["stage"].shift(-1)
    step = d.groupby("customer")["period"].shift(-1) - d["period"]
    ok = step == 1
    return pd.crosstab(d["stage"][ok], nxt[ok])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x smaller inputs, 3 repeats")
    args = parser.parse_args()
    scale, repeats = (10, 3) if args.quick else (1, 5)
    model = prospect_lifecycle()

    log = event_log(1_000_000 // scale, 18, seed=1)
    n_events = log["customer"].size
    print(f"replay: {n_events:,} events, {1_000_000 // scale:,} customers, median of {repeats}")
    t_replay = median_time(lambda: replay(model, log), repeats=repeats)
    n_loop = min(n_events, 1_000_000 // scale)
    cust, ev = log["customer"][:n_loop], log["event"][:n_loop]
    start = time.perf_counter()
    python_loop(model, cust, ev)
    t_loop = (time.perf_counter() - start) * n_events / n_loop
    report("replay", t_replay, f"per-event Python dict loop (scaled from {n_loop:,})", t_loop)
    n_apply = min(n_events, 20_000)
    start = time.perf_counter()
    apply_loop(model, cust[:n_apply], ev[:n_apply], log["timestamp"][:n_apply])
    t_apply = (time.perf_counter() - start) * n_events / n_apply
    report("replay", t_replay, f"apply() per event (scaled from {n_apply:,})", t_apply)
    print(f"  = {n_events / t_replay / 1e6:.2f} M events/s wall (target >= 2)")
    c_replay = cpu_time(lambda: replay(model, log), repeats=repeats)
    print(f"  = {n_events / c_replay / 1e6:.2f} M events/s of CPU time ({c_replay:.3f} s)")

    n = 5_000_000 // scale
    m = metrics(n, seed=2)
    th = StageThresholds()
    t_cls = median_time(lambda: classify_stages(m, thresholds=th), repeats=repeats)
    t_sel = median_time(lambda: numpy_select(m, th), repeats=repeats)
    report(f"classify_stages ({n:,} customers)", t_cls, "numpy.select on the same rules", t_sel)
    cpu_report(
        "classify_stages",
        lambda: classify_stages(m, thresholds=th),
        lambda: numpy_select(m, th),
        repeats=repeats,
    )
    assert (classify_stages(m, thresholds=th).stage == numpy_select(m, th)).all()

    p = panel(1_000_000 // scale, 10, seed=3)
    rows = p["customer"].size
    df = pd.DataFrame(p)
    stages = model.stage_names
    t_tm = median_time(lambda: transition_matrix(p, stages=stages), repeats=repeats)
    t_pd = median_time(lambda: pandas_matrix(df), repeats=repeats)
    report(f"transition_matrix ({rows:,} panel rows)", t_tm, "pandas sort+shift+crosstab", t_pd)
    cpu_report(
        "transition_matrix",
        lambda: transition_matrix(p, stages=stages),
        lambda: pandas_matrix(df),
        repeats=repeats,
    )


if __name__ == "__main__":
    main()
