"""Weighted forecast: invariants, a pandas oracle, quotas, horizons and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from crmkit.errors import InputError
from crmkit.funnel import DEFAULT_PROCESS, Opportunities, forecast_pipeline
from crmkit.periods import Calendar, Horizon
from tests.funnel.strategies import build, opportunity_columns


@settings(max_examples=60, deadline=None)
@given(opportunity_columns())
def test_weighted_never_exceeds_pipeline_and_is_additive_across_dimensions(cols):
    opps = build(cols)
    total = forecast_pipeline(opps, period="quarter", probabilities="configured")
    by_region = forecast_pipeline(opps, period="quarter", by=["region"], probabilities="configured")
    by_both = forecast_pipeline(
        opps, period="quarter", by=["region", "product"], probabilities="configured"
    )
    for f in (total, by_region, by_both):
        assert np.all(f.weighted <= f.pipeline * (1 + 1e-12) + 1e-9)
    for col in ("weighted", "pipeline", "closed_won", "commit", "best_case", "pipeline_category"):
        for f in (by_region, by_both):
            per_period = pd.Series(getattr(f, col)).groupby(f.period).sum()
            ref = pd.Series(getattr(total, col), index=total.period)
            np.testing.assert_allclose(
                per_period.reindex(ref.index).fillna(0), ref, rtol=1e-9, atol=1e-6
            )
    open_mask = opps.is_open
    assert by_both.pipeline.sum() == pytest.approx(opps.amount[open_mask].sum())
    won = opps.stage == DEFAULT_PROCESS.won_code
    assert by_both.closed_won.sum() == pytest.approx(opps.amount[won].sum())
    assert by_both.n_open.sum() == open_mask.sum()


def test_matches_a_pandas_groupby_oracle():
    rng = np.random.default_rng(4)
    n = 500
    stages = rng.choice(np.asarray(DEFAULT_PROCESS.names), n)
    df = pd.DataFrame(
        {
            "id": np.arange(n),
            "amount": rng.uniform(0, 1e5, n).round(2),
            "stage": stages,
            "close": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "region": rng.choice(["n", "s"], n),
        }
    )
    opps = Opportunities.from_frame(
        df, process=DEFAULT_PROCESS, close_date="close", dimensions=["region"]
    )
    f = forecast_pipeline(opps, period="month", by=["region"], probabilities="configured")
    probs = dict(zip(DEFAULT_PROCESS.names, DEFAULT_PROCESS.probabilities, strict=True))
    live = df[df.stage != "lost"].assign(
        p=lambda d: d.stage.map(probs),
        is_open=lambda d: ~d.stage.isin(["won"]),
        month=lambda d: d.close.dt.strftime("%Y-%m"),
    )
    live["w"] = np.where(live.is_open, live.amount * live.p, 0.0)
    expected = live.groupby(["month", "region"]).w.sum()
    got = pd.Series(f.weighted, index=pd.MultiIndex.from_arrays([f.period, f.groups["region"]]))
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )
    frame = f.to_frame()
    assert list(frame.columns[:4]) == ["period", "start", "end", "region"]
    json.dumps(f.to_dict())


def _small() -> Opportunities:
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4, 5],
        amount=[10_000.0, 20_000.0, 5_000.0, 8_000.0, 99_000.0],
        stage=["plan", "close", "won", "qualify", "lost"],
        close_date=["2024-07-10", "2024-07-25", "2024-07-03", "2024-08-15", "2024-07-01"],
        category=["commit", None, None, "omitted", None],
        dimensions={"region": ["north", "north", "south", "south", "north"]},
    )


def test_known_values_categories_and_lost_deals():
    f = forecast_pipeline(_small(), period="month", probabilities="configured", as_of="2024-07-20")
    assert f.period.tolist() == ["2024-07", "2024-08"]
    # July: plan 10k x 0.4 + close 20k x 0.8; the lost 99k deal is never pipeline
    assert f.weighted.tolist() == [20_000.0, 1_600.0]
    assert f.pipeline.tolist() == [30_000.0, 8_000.0]
    assert f.closed_won.tolist() == [5_000.0, 0.0]
    assert f.commit.tolist() == [30_000.0, 0.0]  # override + close stage default
    assert f.omitted.tolist() == [0.0, 8_000.0]
    assert f.n_lost == 1
    assert f.n_overdue == 1  # the plan deal expected 2024-07-10
    assert f.overdue_amount == 10_000.0


def test_quota_attainment_and_coverage():
    quotas = pd.DataFrame(
        {
            "period": ["2024-07", "2024-08", "2024-09"],
            "region": ["south", "south", "north"],
            "quota": [15_000.0, 4_000.0, 50_000.0],
        }
    )
    f = forecast_pipeline(
        _small(), period="month", by=["region"], probabilities="configured", quotas=quotas
    )
    t = f.to_frame().set_index(["period", "region"])
    assert t.loc[("2024-07", "south"), "attainment"] == pytest.approx(5_000 / 15_000)
    assert t.loc[("2024-07", "south"), "remaining_quota"] == 10_000.0
    assert t.loc[("2024-07", "south"), "coverage"] == 0.0
    assert t.loc[("2024-08", "south"), "coverage"] == pytest.approx(8_000 / 4_000)
    # a quota with no deals still gets a row, with zero coverage
    assert t.loc[("2024-09", "north"), "pipeline"] == 0.0
    assert t.loc[("2024-09", "north"), "coverage"] == 0.0
    assert np.isnan(t.loc[("2024-07", "north"), "quota"])


def test_quota_for_a_period_that_does_not_exist():
    with pytest.raises(InputError) as err:
        forecast_pipeline(
            _small(),
            period="month",
            probabilities="configured",
            quotas={"period": ["2024-13", "2024-Q3"], "quota": [1.0, 2.0]},
        )
    assert err.value.n_bad == 2
    assert "2024-13" in str(err.value)


def test_duplicate_quota_cells_are_rejected():
    with pytest.raises(InputError, match="at most one quota"):
        forecast_pipeline(
            _small(),
            period="month",
            probabilities="configured",
            quotas={"period": ["2024-07", "2024-07"], "quota": [1.0, 2.0]},
        )


def test_missing_close_date_is_an_error_for_open_deals_only():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[11, 12, 13],
        amount=[1.0, 2.0, 3.0],
        stage=["plan", "lost", "qualify"],
        close_date=["2024-01-01", None, None],
    )
    with pytest.raises(InputError) as err:
        forecast_pipeline(opps, period="month", probabilities="configured")
    assert err.value.field == "close_date"
    assert err.value.n_bad == 1
    assert err.value.values == (13,)  # noqa: PD011  (InputError.values, not pandas)


def test_horizons_overlap_and_fiscal_quarters():
    opps = _small()
    hs = [Horizon.next_days("2024-07-01", 30), Horizon.next_days("2024-07-01", 90)]
    f = forecast_pipeline(opps, period=hs, probabilities="configured")
    assert f.period.tolist() == [hs[0].label, hs[1].label]
    assert f.weighted.tolist() == [20_000.0, 21_600.0]
    fq = forecast_pipeline(
        opps,
        period="fiscal_quarter",
        probabilities="configured",
        calendar=Calendar(fiscal_year_start_month=7),
    )
    assert fq.period.tolist() == ["FY2025-Q1"]


def test_bad_arguments():
    with pytest.raises(InputError, match="by"):
        forecast_pipeline(_small(), period="month", by=["country"], probabilities="configured")
    with pytest.raises(InputError, match="period"):
        forecast_pipeline(_small(), period="fortnight", probabilities="configured")
    with pytest.raises(InputError, match="probabilities"):
        forecast_pipeline(_small(), period="month", probabilities="guess")  # type: ignore[arg-type]


def test_quota_for_a_dimension_value_without_deals_gets_a_row():
    f = forecast_pipeline(
        _small(),
        period="month",
        by=["region"],
        probabilities="configured",
        quotas={"period": ["2024-07"], "region": ["west"], "quota": [10_000.0]},
    )
    t = f.to_frame().set_index(["period", "region"])
    assert t.loc[("2024-07", "west"), "pipeline"] == 0.0
    assert t.loc[("2024-07", "west"), "coverage"] == 0.0
    assert t["weighted"].sum() == pytest.approx(21_600.0)


def test_quotas_without_any_deal_and_weekly_labels():
    lost_only = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[1], amount=[5.0], stage=["lost"], close_date=["2024-01-01"]
    )
    f = forecast_pipeline(
        lost_only,
        period="week",
        probabilities="configured",
        quotas={"period": ["2031-W02"], "quota": [100.0]},
    )
    assert f.period.tolist() == ["2031-W02"]
    assert str(f.start[0]) == "2031-01-06T00:00:00.000000"
    assert f.coverage.tolist() == [0.0]
    assert f.n_lost == 1


def test_entered_probabilities_override_the_stage_for_configured_forecasts():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3],
        amount=[1_000.0, 1_000.0, 1_000.0],
        stage=["plan", "plan", "won"],
        close_date=["2024-07-01"] * 3,
        probability=[0.9, None, 0.1],
    )
    assert np.isnan(opps.probability[2])  # ignored on closed deals
    f = forecast_pipeline(opps, period="month", probabilities="configured")
    assert f.weighted.tolist() == [900.0 + 400.0]
    assert f.closed_won.tolist() == [1_000.0]
    with pytest.raises(InputError) as err:
        Opportunities.from_arrays(
            process=DEFAULT_PROCESS,
            id=[1, 2],
            amount=[1.0, 1.0],
            stage=["plan"] * 2,
            probability=[40, 0.5],
        )
    assert err.value.field == "probability"
    assert err.value.positions == (0,)
    assert "0.4" in str(err.value)
