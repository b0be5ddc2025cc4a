"""The dynamics results as frames and JSON, frames as inputs, read-only inputs left unchanged."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmkit.datasets import simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import (
    Hierarchy,
    PipelineState,
    StageHistory,
    deal_aging,
    detect_change,
    fit_submission_bias,
    fit_time_to_close,
    forecast_pipeline,
    pipeline_movement,
    pipeline_trends,
    rollup_forecast,
)


@pytest.fixture(scope="module")
def sim():
    return simulate_pipeline(
        1500, "2023-01-01", "2024-07-01", seed=21, regions=["a", "b", "c", "d"]
    )


def test_results_become_frames_and_json(sim):
    s0 = PipelineState.from_history(sim.log, as_of="2024-06-01")
    m = pipeline_movement(
        s0, sim.opportunities, period="month", by=["region"], probabilities="configured"
    )
    df = m.to_frame()
    assert list(df.columns[:5]) == ["period", "start_date", "end_date", "region", "n_start"]
    assert {"new", "won", "weighted_advanced", "n_pushed_out"} <= set(df.columns)
    np.testing.assert_allclose(
        df["start"] + df[list(m.components)].sum(axis=1), df["end"], rtol=1e-12, atol=1e-6
    )
    assert len(m.changes.to_frame("polars")) == m.changes.id.size
    json.dumps(m.to_dict())
    aging = deal_aging(sim.log, as_of=sim.as_of)
    frame = aging.to_frame()
    assert list(frame.columns[:3]) == ["id", "owner", "team"]
    json.dumps(aging.to_dict())
    t = pipeline_trends(sim.opportunities, period="quarter", by=["region"])
    assert "region" in t.to_frame().columns
    c = detect_change(
        sim.opportunities,
        metric="deal_size",
        alternative="two-sided",
        period="quarter",
        by=["region"],
    )
    assert c.to_frame()["region"].tolist() == ["a", "b", "c", "d"]
    json.dumps(c.to_dict())
    ttc = fit_time_to_close(sim.log, as_of=sim.as_of)
    assert len(ttc.to_frame()) == 5
    json.dumps(ttc.to_dict())


def test_frames_in_and_read_only_tables_unchanged(sim):
    nodes = np.array(["china", "north", "south", "a", "b", "c", "d"])
    parents = np.array([None, "china", "china", "north", "north", "south", "south"], dtype=object)
    nodes.flags.writeable = False
    parents.flags.writeable = False
    h = Hierarchy.from_frame(pl.DataFrame({"node": nodes, "parent": parents.tolist()}))
    assert h.n_nodes == 7
    f = forecast_pipeline(
        sim.opportunities, period="quarter", by=["region"], probabilities="configured"
    )
    subs = pd.DataFrame(
        {"period": ["2024-Q3"], "node": ["north"], "measure": ["commit"], "amount": [1e5]}
    )
    before = subs.copy()
    r = rollup_forecast(f, h, node="region", submissions=subs)
    pd.testing.assert_frame_equal(subs, before)
    assert r.to_frame()["commit_submitted"].notna().sum() == 1
    past = pd.DataFrame(
        {
            "period": ["2024-Q1", "2024-Q2"],
            "node": ["north", "north"],
            "measure": ["commit", "commit"],
            "amount": [1e5, 1.2e5],
        }
    )
    b = fit_submission_bias(past, r, measure="commit")
    assert b.node.tolist() == ["north"]
    assert b.n_periods.tolist() == [2]


def test_remaining_quantile_checks_its_inputs(sim):
    ttc = fit_time_to_close(sim.history, as_of=sim.as_of)
    got = ttc.remaining_quantile(np.array([0, 4]), np.array([0.0, 3.0]), 0.5)
    assert got.shape == (2,)
    assert ttc.remaining_quantile(["plan"], [0.0], 0.5)[0] >= 0
    with pytest.raises(InputError, match="open stages") as err:
        ttc.remaining_quantile(["won"], [1.0], 0.5)
    assert err.value.field == "stage"
    with pytest.raises(InputError, match=">= 0") as err:
        ttc.remaining_quantile(["plan"], [-1.0], 0.5)
    assert err.value.field == "elapsed_days"
    with pytest.raises(InputError) as err:
        ttc.remaining_quantile(["plan"], [1.0], 1.0)
    assert err.value.field == "q"
    with pytest.raises(InputError, match="same length") as err:
        ttc.remaining_quantile(["plan", "close"], [1.0], 0.5)


def test_state_refuses_dimensions_of_another_kind():
    from crmkit.funnel import DEFAULT_PROCESS

    a = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1],
        stage=["plan"],
        entered=["2024-01-01"],
        dimensions={"team": ["x"]},
    )
    b = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[2],
        stage=["plan"],
        entered=["2024-01-02"],
        dimensions={"team": [7]},
    )
    with pytest.raises(InputError, match="'team' values") as err:
        PipelineState.from_history(a).update(b)
    assert err.value.field == "rows"


def test_rows_of_dynamics_results_can_be_selected(sim):
    aging = deal_aging(sim.log, as_of=sim.as_of)
    stale = aging.filter(aging.stale)
    assert stale.id.tolist() == aging.id[aging.stale].tolist()
    assert stale.groups["region"].tolist() == aging.groups["region"][aging.stale].tolist()
    network = Hierarchy.from_arrays(
        node=["all", "a", "b", "c", "d"], parent=[None, "all", "all", "all", "all"]
    )
    f = forecast_pipeline(
        sim.opportunities, period="quarter", by=["region"], probabilities="configured"
    )
    r = rollup_forecast(f, network, node="region")
    top = r.filter(r.depth == 0)
    assert set(top.node.tolist()) == {"all"}
    assert top.system.shape == (int((r.depth == 0).sum()), len(r.measures))
    m = pipeline_movement(
        PipelineState.from_history(sim.log, as_of="2024-06-01"),
        sim.opportunities,
        period="month",
        probabilities="configured",
    )
    first = m.take([0])
    assert first.amount.shape == (1, len(m.components))
    assert first.changes.id.size == m.changes.id.size  # the log is about deals, not cells
