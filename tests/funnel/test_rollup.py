"""Rollups along a hierarchy, submissions, adjustments with their audit, and submitter bias."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    MEASURES,
    Hierarchy,
    Opportunities,
    fit_submission_bias,
    forecast_pipeline,
    rollup_forecast,
)


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[str], list[str | None]]:
    """A random forest: node i's parent is an earlier node (or none)."""
    n = draw(st.integers(1, 15))
    parents: list[str | None] = [None]
    for i in range(1, n):
        p = draw(st.integers(-1, i - 1))
        parents.append(None if p < 0 else f"n{p:02d}")
    nodes = [f"n{i:02d}" for i in range(n)]
    perm = draw(st.permutations(range(n)))
    return [nodes[i] for i in perm], [parents[i] for i in perm]


@settings(max_examples=120, deadline=None)
@given(trees(), st.data())
def test_rollups_equal_the_sum_of_children(tree, data):
    nodes, parents = tree
    h = Hierarchy.from_arrays(node=nodes, parent=parents)
    n = data.draw(st.integers(1, 30))
    owner = data.draw(st.lists(st.sampled_from(nodes), min_size=n, max_size=n))
    amounts = data.draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n))
    stages = data.draw(st.lists(st.sampled_from(DEFAULT_PROCESS.names), min_size=n, max_size=n))
    days = data.draw(st.lists(st.integers(0, 90), min_size=n, max_size=n))
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=np.arange(n),
        amount=np.asarray(amounts, dtype=float),
        stage=stages,
        close_date=np.datetime64("2024-01-01") + np.asarray(days, dtype="m8[D]"),
        dimensions={"owner": owner},
    )
    f = forecast_pipeline(opps, period="month", by=["owner"], probabilities="configured")
    r = rollup_forecast(f, h, node="owner")
    for measure in ("closed", "commit", "best_case", "pipeline"):  # whole amounts: exact
        for period in np.unique(r.period).tolist():
            m = r.rows(period=period)
            value = dict(
                zip(r.node[m].tolist(), r.column(measure, kind="system")[m].tolist(), strict=True)
            )
            own = dict.fromkeys(nodes, 0.0)
            sel = f.period == period
            fm = {
                "closed": f.closed_won,
                "commit": f.closed_won + f.commit,
                "best_case": f.closed_won + f.commit + f.best_case,
                "pipeline": f.closed_won + f.commit + f.best_case + f.pipeline_category,
            }[measure]
            for o, v in zip(f.groups["owner"][sel].tolist(), fm[sel].tolist(), strict=True):
                own[o] += v
            for x, _p in zip(nodes, parents, strict=True):
                kids = sum(value[c] for c, q in zip(nodes, parents, strict=True) if q == x)
                assert value[x] == own[x] + kids
    roots = r.depth == 0
    e = r.column("expected", kind="system")
    assert e[roots].sum() == pytest.approx(f.expected_total.sum(), rel=1e-12)
    np.testing.assert_array_equal(r.value, r.system)  # no adjustment, no change


def _network() -> tuple[Hierarchy, object]:
    h = Hierarchy.from_arrays(
        node=["china", "north", "south", "beijing", "shenyang", "shanghai", "guangzhou"],
        parent=[None, "china", "china", "north", "north", "south", "south"],
        level=["country", "region", "region", "dealer", "dealer", "dealer", "dealer"],
    )
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4, 5],
        amount=[100.0, 200.0, 300.0, 400.0, 50.0],
        stage=["close", "close", "close", "close", "won"],
        close_date=["2024-07-10"] * 5,
        dimensions={"dealer": ["beijing", "shenyang", "shanghai", "guangzhou", "beijing"]},
    )
    f = forecast_pipeline(opps, period="month", by=["dealer"], probabilities="configured")
    return h, f


def test_adjustments_override_a_childs_number_from_the_adjusters_level_up():
    h, f = _network()
    adj = {
        "period": ["2024-07", "2024-07", "2024-07", "2024-07"],
        "node": ["beijing", "north", "beijing", "shanghai"],
        "adjuster": ["north", "china", "north", "china"],
        "measure": ["commit"] * 4,
        "amount": [120.0, 250.0, 90.0, 100.0],
        "author": ["li", "wang", "li", "wang"],
        "at": ["2024-07-01", "2024-07-03", "2024-07-02", "2024-07-03"],
    }
    r = rollup_forecast(f, h, node="dealer", adjustments=adj)
    v = dict(zip(r.node.tolist(), r.column("commit", kind="value").tolist(), strict=True))
    # beijing keeps its own 150 (100 commit + 50 won); north sees li's latest 90 for it
    assert v["beijing"] == 150.0
    assert v["north"] == 90.0 + 200.0
    # china overrides north (250) and shanghai (100): 250 + 100 + guangzhou 400
    assert v["china"] == 250.0 + 100.0 + 400.0
    a = r.audit
    assert a.superseded.tolist() == [True, False, False, False]
    assert a.before.tolist() == [150.0, 290.0, 150.0, 300.0]
    assert a.change.tolist() == [0.0, -40.0, -60.0, -200.0]
    assert v["south"] == 700.0
    assert v["shenyang"] == 200.0
    json.dumps(r.to_dict()["audit"])


def test_submissions_sit_beside_the_system_numbers():
    h, f = _network()
    subs = {
        "period": ["2024-07", "2024-07"],
        "node": ["north", "china"],
        "measure": ["commit", "best_case"],
        "amount": [280.0, 1000.0],
    }
    r = rollup_forecast(f, h, node="dealer", submissions=subs)
    north = r.rows(node="north")
    assert r.column("commit", kind="submitted")[north].tolist() == [280.0]
    assert r.column("commit", kind="system")[north].tolist() == [350.0]
    assert np.isnan(r.column("commit", kind="submitted")[r.rows(node="south")]).all()
    assert r.column("best_case", kind="submitted")[r.rows(node="china")].tolist() == [1000.0]
    assert r.measures == MEASURES
    frame = r.to_frame()
    assert {"commit", "commit_value", "commit_submitted", "expected_adjustment"} <= set(frame)
    with pytest.raises(InputError) as err:
        r.column("commit", kind="gut")
    assert err.value.field == "kind"


def test_hierarchy_errors_name_field_and_rows():
    with pytest.raises(InputError, match="cycle") as err:
        Hierarchy.from_arrays(node=["a", "b", "c", "d"], parent=["b", "c", "a", None])
    assert err.value.field == "parent"
    assert set(err.value.positions) == {0, 1, 2}
    with pytest.raises(InputError, match="several parents") as err:
        Hierarchy.from_arrays(node=["a", "b", "c", "c"], parent=[None, "a", "a", "b"])
    assert err.value.field == "node"
    assert err.value.positions == (2, 3)
    with pytest.raises(InputError, match="once") as err:
        Hierarchy.from_arrays(node=["a", "a"], parent=[None, None])
    assert err.value.field == "node"
    with pytest.raises(InputError, match="must name a node") as err:
        Hierarchy.from_arrays(node=["a", "b"], parent=[None, "zz"])
    assert err.value.field == "parent"
    assert err.value.values == ("zz",)
    with pytest.raises(InputError) as err:
        Hierarchy.from_arrays(node=["a", "b"], parent=[None])
    assert err.value.field == "parent"


def test_rollup_errors_name_field_and_rows():
    h, f = _network()
    base = {"period": ["2024-07"], "node": ["north"], "measure": ["commit"], "amount": [1.0]}
    with pytest.raises(InputError, match="period") as err:
        rollup_forecast(f, h, node="dealer", submissions=base | {"period": ["2031-01"]})
    assert err.value.field == "period"
    assert err.value.values == ("2031-01",)
    with pytest.raises(InputError, match="nodes of the hierarchy") as err:
        rollup_forecast(f, h, node="dealer", submissions=base | {"node": ["mars"]})
    assert err.value.field == "node"
    with pytest.raises(InputError, match="measure") as err:
        rollup_forecast(f, h, node="dealer", submissions=base | {"measure": ["gut"]})
    assert err.value.field == "measure"
    with pytest.raises(InputError, match="once") as err:
        rollup_forecast(f, h, node="dealer", submissions={k: v * 2 for k, v in base.items()})
    assert err.value.field == "node"
    adj = {
        "period": ["2024-07"],
        "node": ["north"],
        "adjuster": ["beijing"],
        "measure": ["commit"],
        "amount": [1.0],
        "author": ["li"],
        "at": ["2024-07-01"],
    }
    with pytest.raises(InputError, match="ancestor") as err:
        rollup_forecast(f, h, node="dealer", adjustments=adj)
    assert err.value.field == "adjuster"
    assert err.value.values == ("beijing",)
    with pytest.raises(InputError, match="ancestor"):
        rollup_forecast(f, h, node="dealer", adjustments=adj | {"adjuster": ["north"]})
    with pytest.raises(InputError, match="must differ") as err:
        rollup_forecast(
            f,
            h,
            node="dealer",
            adjustments={k: v * 2 for k, v in (adj | {"adjuster": ["china"]}).items()},
        )
    assert err.value.field == "at"
    with pytest.raises(InputError, match="columns") as err:
        rollup_forecast(f, h, node="dealer", adjustments={"period": ["2024-07"]})
    assert err.value.field == "adjustments"
    with pytest.raises(InputError) as err:
        rollup_forecast(f, h, node="owner")
    assert err.value.field == "node"
    small = Hierarchy.from_arrays(node=["china"], parent=[None])
    with pytest.raises(InputError, match="nodes of the hierarchy") as err:
        rollup_forecast(f, small, node="dealer")
    assert err.value.field == "dealer"


def test_submission_bias_and_correction_by_hand():
    h, f = _network()
    r = rollup_forecast(f, h, node="dealer")
    past = {
        "period": ["2024-07", "2024-07"],
        "node": ["north", "south"],
        "measure": ["closed", "closed"],
        "amount": [100.0, 25.0],
    }
    b = fit_submission_bias(past, r, measure="closed")
    # only beijing's 50 was won in July: north called 100 (bias +1), south 25 against 0
    assert b.node.tolist() == ["north", "south"]
    assert b.bias[0] == 1.0
    assert np.isnan(b.bias[1])
    assert b.correction.tolist() == [0.5, 0.0]
    assert b.hit_rate.tolist() == [0.0, 0.0]
    c = b.correct(
        {
            "period": ["2024-08", "2024-08"],
            "node": ["north", "china"],
            "measure": ["closed", "closed"],
            "amount": [80.0, 10.0],
        }
    )
    assert c.corrected.tolist() == [40.0, 10.0]
    assert c.has_history.tolist() == [True, False]
    with pytest.raises(InputError) as err:
        fit_submission_bias(past, r, measure="hunch")
    assert err.value.field == "measure"
    with pytest.raises(InputError, match="no 'commit' submission to score") as err:
        fit_submission_bias(past, r, measure="commit")
    assert err.value.field == "submissions"
    later = past | {"period": ["2024-08", "2024-08"]}
    with pytest.raises(InputError, match="with an actual") as err:
        fit_submission_bias(later, r, measure="closed")
    assert err.value.field == "actuals"


def test_rollup_keeps_horizons_apart_even_with_the_same_bounds():
    from crmkit.periods import Horizon

    h, _ = _network()
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2],
        amount=[100.0, 50.0],
        stage=["won", "won"],
        close_date=["2024-07-10", "2024-08-03"],
        dimensions={"dealer": ["beijing", "shanghai"]},
    )
    spans = [
        Horizon.next_days("2024-07-01", 31),
        Horizon.next_periods("2024-07-01", "month", 1, include_current=True),
        Horizon.next_periods("2024-07-01", "month", 3, include_current=True),
    ]
    f = forecast_pipeline(opps, period=spans, by=["dealer"], probabilities="configured")
    r = rollup_forecast(f, h, node="dealer")
    china = r.rows(node="china")
    assert r.period[china].tolist() == [
        "next 31 days from 2024-07-01",
        "2024-07",
        "2024-07 to 2024-09",
    ]
    assert r.column("closed", kind="system")[china].tolist() == [100.0, 100.0, 150.0]
