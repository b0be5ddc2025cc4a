"""Inputs are never modified, and any frame library works at the boundary."""

import duckdb
import numpy as np
import polars as pl

from crmkit.datasets import simulate_lifecycle
from crmkit.lifecycle import (
    churn_by_period,
    classify_stages,
    cohort_retention,
    lifecycle_metrics,
    prospect_lifecycle,
    replay,
    stage_panel,
    time_in_stage,
    transition_matrix,
)

P = np.array(
    [
        [0.7, 0.2, 0.1, 0.0, 0.0],
        [0.0, 0.6, 0.4, 0.0, 0.0],
        [0.0, 0.0, 0.8, 0.1, 0.1],
        [0.0, 0.0, 0.1, 0.85, 0.05],
        [0.0, 0.0, 0.2, 0.0, 0.8],
    ]
)


def _frozen(d):
    out = {}
    for k, v in d.items():
        a = np.array(v)
        a.flags.writeable = False
        out[k] = a
    return out


def test_read_only_inputs_everywhere():
    sim = simulate_lifecycle(
        200, probabilities=P, model=prospect_lifecycle(), n_periods=6, start="2024-01-01", seed=9
    )
    panel = _frozen({"customer": sim.customer, "period": sim.period, "stage": sim.stage})
    before = {k: v.copy() for k, v in panel.items()}
    transition_matrix(panel, stages=prospect_lifecycle())
    log = _frozen(sim.events)
    r = replay(prospect_lifecycle(), log)
    entries = _frozen(
        {"customer": r.changes.customer, "stage": r.changes.target, "timestamp": r.changes.at}
    )
    time_in_stage(entries, as_of="2024-08-01")
    stage_panel(entries, frequency="month", as_of="2024-08-01")
    activity = _frozen({"customer": sim.customer, "timestamp": sim.period_start})
    cohort_retention(activity, frequency="month", as_of="2024-08-01")
    churn_by_period(activity, frequency="month", as_of="2024-08-01")
    tx = _frozen(
        {
            "customer": sim.customer,
            "timestamp": sim.period_start,
            "amount": np.ones(sim.customer.size),
        }
    )
    classify_stages(lifecycle_metrics(tx).table())
    for k, v in panel.items():
        assert np.array_equal(v, before[k])


def test_duckdb_and_polars_event_logs_agree():
    sim = simulate_lifecycle(
        100, probabilities=P, model=prospect_lifecycle(), n_periods=5, start="2024-01-01", seed=1
    )
    ev = sim.events
    frame = pl.DataFrame(
        {"customer": ev["customer"], "event": ev["event"], "timestamp": ev["timestamp"]}
    )
    from_polars = replay(prospect_lifecycle(), frame)
    con = duckdb.connect()
    rel = con.from_arrow(frame.to_arrow())
    from_duckdb = replay(prospect_lifecycle(), rel)
    assert from_polars.stage.tolist() == from_duckdb.stage.tolist()
    assert from_polars.customer.tolist() == from_duckdb.customer.tolist()
