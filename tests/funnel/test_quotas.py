"""Quotas at a coarser level than the forecast: roll-ups, P(reach) of the SUM, bad tables."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings

from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    Opportunities,
    QuotaAttainment,
    QuotaDistribution,
    fit_slip,
    forecast_pipeline,
    lattice_forecast,
    simulate_forecast,
)
from crmkit.periods import Horizon
from tests.funnel.strategies import build, opportunity_columns


def _opps() -> Opportunities:
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4, 5, 6],
        amount=[10_000.0, 20_000.0, 5_000.0, 7_000.0, 12_000.0, 3_000.0],
        stage=["plan", "close", "propose solution", "won", "qualify", "close"],
        close_date=[
            "2024-07-10",
            "2024-07-25",
            "2024-07-03",
            "2024-07-02",
            "2024-07-15",
            "2024-08-01",
        ],
        dimensions={
            "region": ["north", "north", "north", "south", "south", "south"],
            "product": ["sw", "svc", "sw", "sw", "svc", "sw"],
        },
    )


def _enumerate(a: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bits = np.array(list(itertools.product([0, 1], repeat=a.size)), dtype=float)
    return bits @ a, np.prod(np.where(bits == 1, p, 1 - p), axis=1)


REGION_QUOTAS = {"period": ["2024-07", "2024-07"], "region": ["north", "south"]}


def test_pipeline_quotas_per_region_while_grouping_by_region_and_product():
    quotas = {**REGION_QUOTAS, "quota": [40_000.0, 10_000.0]}
    f = forecast_pipeline(
        _opps(), period="month", by=["region", "product"], probabilities="configured", quotas=quotas
    )
    assert np.isnan(f.quota).all()  # the cells are finer than the quotas
    q = f.quota_level
    assert isinstance(q, QuotaAttainment)
    assert q.by == ("region",)
    t = q.to_frame().set_index(["period", "region"])
    assert t.loc[("2024-07", "north"), "pipeline"] == 35_000.0
    assert t.loc[("2024-07", "south"), "closed_won"] == 7_000.0
    assert t.loc[("2024-07", "south"), "attainment"] == pytest.approx(0.7)
    assert t.loc[("2024-07", "south"), "remaining_quota"] == 3_000.0
    assert t.loc[("2024-07", "south"), "coverage"] == pytest.approx(12_000.0 / 3_000.0)
    assert t.loc[("2024-07", "north"), "coverage"] == pytest.approx(35_000.0 / 40_000.0)
    assert np.isnan(t.loc[("2024-08", "south"), "quota"])  # a cell without a quota
    json.dumps(f.to_dict())


def test_one_total_per_period_and_quota_only_periods():
    f = forecast_pipeline(
        _opps(),
        period="month",
        by=["region"],
        probabilities="configured",
        quotas=pl.DataFrame({"period": ["2024-07", "2024-09"], "quota": [50_000.0, 1.0]}),
    )
    q = f.quota_level
    assert q is not None
    assert q.by == ()
    assert q.period.tolist() == ["2024-07", "2024-08", "2024-09"]
    assert q.weighted[0] == pytest.approx(f.weighted[f.period == "2024-07"].sum())
    assert q.pipeline[2] == 0.0
    assert q.coverage[2] == 0.0
    assert f.period.tolist().count("2024-09") == 0  # quota-only periods are quota-level rows


def test_same_level_quotas_keep_the_cell_columns_and_fill_the_level_table():
    quotas = pd.DataFrame({**REGION_QUOTAS, "quota": [40_000.0, 10_000.0]})
    f = forecast_pipeline(
        _opps(), period="month", by=["region"], probabilities="configured", quotas=quotas
    )
    assert f.quota_level is not None
    np.testing.assert_array_equal(f.quota, f.quota_level.quota)
    np.testing.assert_array_equal(f.coverage, f.quota_level.coverage)


@pytest.mark.parametrize(
    ("quotas", "field"),
    [
        ({"period": ["2024-07"], "team": ["a"], "quota": [1.0]}, "team"),
        ({"period": ["2024-07"], "region": ["north"]}, "quota"),
        ({"region": ["north"], "quota": [1.0]}, "period"),
    ],
)
def test_quota_tables_with_wrong_columns_name_the_column(quotas, field):
    for fn in (forecast_pipeline, lattice_forecast):
        with pytest.raises(InputError) as err:
            fn(_opps(), period="month", by=["region"], probabilities="configured", quotas=quotas)
        assert err.value.field == field
        assert repr(field) in str(err.value)


def test_duplicate_quota_rows_at_the_coarse_level_are_rejected():
    for fn in (forecast_pipeline, lattice_forecast):
        with pytest.raises(InputError, match="each period x region cell at most one quota"):
            fn(
                _opps(),
                period="month",
                by=["region", "product"],
                probabilities="configured",
                quotas={
                    "period": ["2024-07", "2024-07"],
                    "region": ["north", "north"],
                    "quota": [1.0, 2.0],
                },
            )


def test_lattice_and_monte_carlo_use_the_distribution_of_the_sum():
    opps = _opps()
    quotas = {**REGION_QUOTAS, "quota": [25_000.0, 15_000.0]}
    lat = lattice_forecast(
        opps, period="month", by=["region", "product"], probabilities="configured", quotas=quotas
    )
    q = lat.quota_level
    assert isinstance(q, QuotaDistribution)
    north = np.array([10_000.0, 20_000.0, 5_000.0]), np.array([0.4, 0.8, 0.6])
    values, probs = _enumerate(*north)
    exact_north = probs[values >= 25_000].sum()
    values, probs = _enumerate(np.array([12_000.0]), np.array([0.2]))
    exact_south = probs[values + 7_000 >= 15_000].sum()
    t = q.to_frame().set_index(["period", "region"])
    assert t.loc[("2024-07", "north"), "p_reach_quota"] == pytest.approx(exact_north, abs=1e-9)
    assert t.loc[("2024-07", "south"), "p_reach_quota"] == pytest.approx(exact_south, abs=1e-9)
    assert t.loc[("2024-07", "north"), "expected"] == pytest.approx(10_000 * 0.4 + 16_000 + 3_000)
    assert np.isnan(lat.p_reach_quota).all()
    mc = simulate_forecast(
        opps,
        period="month",
        by=["region", "product"],
        probabilities="configured",
        quotas=quotas,
        n_simulations=40_000,
        seed=3,
    )
    assert mc.quota_level is not None
    m = mc.quota_level.to_frame().set_index(["period", "region"])
    se = np.sqrt(exact_north * (1 - exact_north) / 40_000)
    assert abs(m.loc[("2024-07", "north"), "p_reach_quota"] - exact_north) < 5 * se
    # the sum of the simulated cells: its mean is exactly the sum of the cell means
    mean_north = mc.mean[(mc.period == "2024-07") & (mc.groups["region"] == "north")].sum()
    assert m.loc[("2024-07", "north"), "mean"] == pytest.approx(mean_north, rel=1e-12)
    json.dumps(mc.to_dict())


@settings(max_examples=40, deadline=None)
@given(opportunity_columns(max_rows=14))
def test_coarse_quotas_equal_forecasting_at_the_quota_level(cols):
    opps = build(cols)
    quotas = {
        "period": ["2024-03", "2024-03", "2024-06"],
        "region": ["north", "south", "east"],
        "quota": [1e6, 5e5, 0.0],
    }
    fine = {"period": "month", "by": ["region", "product"], "probabilities": "configured"}
    coarse = {"period": "month", "by": ["region"], "probabilities": "configured"}
    f = forecast_pipeline(opps, quotas=quotas, **fine)
    g = forecast_pipeline(opps, quotas=quotas, **coarse)
    assert f.quota_level is not None
    assert g.quota_level is not None
    np.testing.assert_array_equal(f.quota_level.period, g.period)
    np.testing.assert_array_equal(f.quota_level.groups["region"], g.groups["region"])
    for name in ("pipeline", "weighted", "closed_won", "quota", "coverage", "n_open"):
        np.testing.assert_allclose(
            getattr(f.quota_level, name), getattr(g, name), rtol=1e-9, atol=1e-6
        )
    lf = lattice_forecast(opps, quotas=quotas, n_points=1024, **fine)
    lg = lattice_forecast(opps, quotas=quotas, n_points=1024, **coarse)
    assert lf.quota_level is not None
    np.testing.assert_allclose(lf.quota_level.p_reach_quota, lg.p_reach_quota, atol=1e-12)
    np.testing.assert_allclose(lf.quota_level.p50, lg.p50, rtol=1e-12)
    np.testing.assert_allclose(lf.quota_level.expected, lg.expected, rtol=1e-9, atol=1e-6)


def test_monte_carlo_with_slip_reports_the_quota_level():
    opps = _opps()
    slip = fit_slip(["2024-01-01"] * 3, ["2024-01-01", "2024-01-11", "2024-02-10"])
    mc = simulate_forecast(
        opps,
        period="month",
        by=["region", "product"],
        probabilities="configured",
        quotas={"period": ["2024-07"], "quota": [30_000.0]},
        n_simulations=2_000,
        seed=1,
        slip=slip,
        as_of="2024-07-01",
    )
    q = mc.quota_level
    assert q is not None
    assert q.period.tolist() == ["2024-07", "2024-08"]
    assert 0.0 <= q.p_reach_quota[0] <= 1.0
    assert np.isnan(q.p_reach_quota[1])


def test_slipped_wins_count_toward_a_quota_only_period():
    opps = _opps()
    slip = fit_slip(["2024-01-01"], ["2024-03-03"])  # every win closes 62 days late
    mc = simulate_forecast(
        opps,
        period="month",
        by=["region", "product"],
        probabilities="configured",
        quotas={"period": ["2024-09"], "quota": [25_000.0]},
        n_simulations=40_000,
        seed=2,
        slip=slip,
        as_of="2024-07-01",
    )
    assert "2024-09" not in mc.period.tolist()  # no deal is expected to close then
    q = mc.quota_level
    assert q is not None
    sept = q.period.tolist().index("2024-09")
    # July's open deals all land in September (the won deal stays in July)
    a = np.array([10_000.0, 20_000.0, 5_000.0, 12_000.0])
    values, probs = _enumerate(a, np.array([0.4, 0.8, 0.6, 0.2]))
    exact = probs[values >= 25_000].sum()
    se = np.sqrt(exact * (1 - exact) / 40_000)
    assert abs(q.p_reach_quota[sept] - exact) < 5 * se
    assert abs(q.mean[sept] - (a * [0.4, 0.8, 0.6, 0.2]).sum()) < 5 * q.amount_tolerance[sept]
    # in the cell table those wins (and deal 6's, pushed to October) slipped out
    assert mc.slipped_out == pytest.approx(q.mean[sept] + 0.8 * 3_000.0, rel=0.01)


@settings(max_examples=15, deadline=None)
@given(opportunity_columns(max_rows=12))
def test_with_slip_the_quota_level_sums_the_same_futures(cols):
    opps = build(cols)
    slip = fit_slip(["2024-01-01"] * 3, ["2024-01-01", "2024-01-20", "2024-03-01"])
    mc = simulate_forecast(
        opps,
        period="quarter",
        by=["region", "product"],
        probabilities="configured",
        quotas={"period": ["2024-Q1"], "region": ["north"], "quota": [1e6]},
        n_simulations=300,
        seed=4,
        slip=slip,
        as_of="2024-01-01",
    )
    q = mc.quota_level
    assert q is not None
    # the same futures: a quota-level cell holds its cells' wins and possibly wins that
    # slipped into a (period, region) with no cell of its own, never less
    for j in range(q.period.size):
        mine = (mc.period == q.period[j]) & (mc.groups["region"] == q.groups["region"][j])
        assert q.mean[j] >= mc.mean[mine].sum() - 1e-6 * (1 + abs(q.mean[j]))
    everything = mc.mean.sum() + mc.slipped_out
    assert q.mean.sum() <= everything + 1e-6 * (1 + everything)


def test_horizons_read_only_columns_and_a_region_without_deals():
    month = Horizon.next_days("2024-07-01", 31)
    ninety = Horizon.next_days("2024-07-01", 90)
    cols = {
        "period": np.array([month.label, ninety.label, ninety.label]),
        "region": np.array(["north", "north", "west"]),
        "quota": np.array([30_000.0, 40_000.0, 5_000.0]),
    }
    for v in cols.values():
        v.flags.writeable = False
    before = {k: v.copy() for k, v in cols.items()}
    lat = lattice_forecast(
        _opps(),
        period=[month, ninety],
        by=["region", "product"],
        probabilities="configured",
        quotas=cols,
    )
    for k, v in cols.items():
        np.testing.assert_array_equal(v, before[k])
    q = lat.quota_level
    assert q is not None
    t = q.to_frame().set_index(["period", "region"])
    # a deal in both horizons counts in both; north's July deals are also in the 90 days
    assert t.loc[(ninety.label, "north"), "expected"] == t.loc[(month.label, "north"), "expected"]
    assert t.loc[(ninety.label, "west"), "n_open"] == 0
    assert t.loc[(ninety.label, "west"), "p_reach_quota"] == 0.0
    assert t.loc[(ninety.label, "south"), "closed_won"] == 7_000.0


def test_a_frame_with_an_unknown_column_is_rejected_by_name():
    quotas = pd.DataFrame({"period": ["2024-07"], "owner": ["ana"], "quota": [1.0]})
    with pytest.raises(InputError, match="'owner'") as err:
        simulate_forecast(
            _opps(),
            period="month",
            by=["region"],
            probabilities="configured",
            quotas=quotas,
            n_simulations=10,
            seed=0,
        )
    assert err.value.field == "owner"
