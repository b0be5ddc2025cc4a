"""Calibration from stage histories: recovery of the simulator's truth, counts, timings, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crmkit.datasets import simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    Opportunities,
    StageHistory,
    deal_probabilities,
    fit_stage_rates,
    forecast_pipeline,
)


def _history() -> StageHistory:
    # opp 1: identify -> qualify -> plan -> won; opp 2: identify -> lost;
    # opp 3: qualify (skipped identify) -> lost; opp 4: still open in plan
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 2, 1, 1, 2, 3, 3, 1, 4, 4],
        stage=[
            "identify opportunity",
            "identify opportunity",
            "qualify",
            "plan",
            "lost",
            "qualify",
            "lost",
            "won",
            "identify opportunity",
            "plan",
        ],
        entered=[
            "2024-01-01",
            "2024-01-03",
            "2024-01-11",
            "2024-01-21",
            "2024-01-13",
            "2024-02-01",
            "2024-02-05",
            "2024-02-20",
            "2024-03-01",
            "2024-03-04",
        ],
        reason=["", "", "", "", "price", "", "timing", "fit", "", ""],
        dimensions={"team": ["a", "b", "a", "a", "b", "a", "a", "a", "b", "b"]},
    )


def test_counts_rates_and_timings_by_hand():
    rates = fit_stage_rates(_history(), prior=(1.0, 1.0))
    # reached: identify {1,2,3}, qualify {1,3}, plan..close {1}; won {1}
    assert rates.n_reached.tolist() == [3, 2, 1, 1, 1]
    assert rates.n_won.tolist() == [1, 1, 1, 1, 1]
    assert rates.win_rate.tolist() == pytest.approx([2 / 5, 2 / 4, 2 / 3, 2 / 3, 2 / 3])
    assert rates.conversion[:2].tolist() == pytest.approx([2 / 3, 1 / 2])
    assert np.all(rates.lower <= rates.win_rate)
    assert np.all(rates.win_rate <= rates.upper)
    assert rates.n_closed == 3
    assert rates.n_open_excluded == 1
    # identify spells: opp1 10 days, opp2 10 days, opp4 3 days (open deal, completed spell)
    assert rates.n_spells[0] == 3
    assert rates.median_days[0] == 10.0
    assert rates.mean_days[0] == pytest.approx(23 / 3)
    assert rates.cycle_days_won == 50.0
    assert rates.cycle_days_lost == pytest.approx((10 + 4) / 2)
    reasons = dict(
        zip(
            zip(rates.reasons.outcome, rates.reasons.reason, strict=True),
            rates.reasons.count,
            strict=True,
        )
    )
    assert reasons == {("won", "fit"): 1, ("lost", "price"): 1, ("lost", "timing"): 1}
    json.dumps(rates.to_dict())


def test_shrinkage_pulls_small_groups_to_the_overall_rate():
    h = _history()
    none = fit_stage_rates(h, by="team", shrinkage=0.0)
    strong = fit_stage_rates(h, by="team", shrinkage=1e6)
    assert none.group.tolist() == ["a", "b"]
    # team b: one closed deal, lost at identify -> raw rate 0
    assert none.group_win_rate[1, 0] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(
        strong.group_win_rate, np.broadcast_to(strong.win_rate, (2, 5)), atol=1e-5
    )
    assert none.group_n_reached.sum(axis=0).tolist() == none.n_reached.tolist()
    # a subnormal shrinkage behaves like zero instead of overflowing the Beta quantiles
    tiny = fit_stage_rates(h, by="team", shrinkage=2.2e-311)
    np.testing.assert_allclose(tiny.group_win_rate, none.group_win_rate, atol=1e-9)
    assert np.isfinite(tiny.group_lower).all()


def test_calibrated_probabilities_feed_the_forecast():
    h = _history()
    rates = fit_stage_rates(h, by="team", shrinkage=2.0)
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[10, 11, 12, 13],
        amount=[100.0, 100.0, 100.0, 100.0],
        stage=["plan", "plan", "won", "lost"],
        close_date=["2024-05-01"] * 4,
        dimensions={"team": ["a", "zz", "a", "a"]},
    )
    p = deal_probabilities(opps, rates)
    assert p[0] == pytest.approx(rates.group_win_rate[0, 2])
    assert p[1] == pytest.approx(rates.win_rate[2])  # unseen team: overall rate
    assert p[2:].tolist() == [1.0, 0.0]
    f = forecast_pipeline(opps, period="month", probabilities=rates)
    assert f.probabilities == "calibrated"
    assert f.weighted[0] == pytest.approx(100 * (p[0] + p[1]))


def test_credible_intervals_cover_the_truth_at_about_their_level():
    hits, total, region_hits, region_total = 0, 0, 0, 0
    for seed in range(16):
        sim = simulate_pipeline(1500, "2022-01-01", "2024-01-01", seed=seed)
        rates = fit_stage_rates(
            sim.history, created_before="2023-06-01", level=0.9, by="region", shrinkage=0.0
        )
        inside = (rates.lower <= sim.true_win_rate) & (sim.true_win_rate <= rates.upper)
        hits += int(inside.sum())
        total += inside.size
        order = [sim.regions.index(g) for g in rates.group]
        truth = sim.true_win_rate_by_region[order]
        rin = (rates.group_lower <= truth) & (truth <= rates.group_upper)
        region_hits += int(rin.sum())
        region_total += rin.size
    assert 0.75 <= hits / total <= 1.0
    assert 0.75 <= region_hits / region_total <= 1.0


def test_history_out_of_time_order_is_rejected():
    with pytest.raises(InputError) as err:
        StageHistory.from_arrays(
            process=DEFAULT_PROCESS,
            opportunity=[1, 1, 2],
            stage=["qualify", "plan", "plan"],
            entered=["2024-02-01", "2024-01-01", "2024-01-01"],
        )
    assert err.value.field == "entered"
    assert err.value.positions == (1,)


def test_revisiting_a_closed_outcome_is_rejected():
    with pytest.raises(InputError) as err:
        StageHistory.from_arrays(
            process=DEFAULT_PROCESS,
            opportunity=[5, 5, 5, 5],
            stage=["plan", "won", "close", "lost"],
            entered=["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"],
        )
    assert err.value.field == "stage"
    assert err.value.n_bad == 2
    assert err.value.positions == (2, 3)


def test_no_closed_deals_and_bad_parameters():
    open_only = StageHistory.from_arrays(
        process=DEFAULT_PROCESS, opportunity=[1], stage=["plan"], entered=["2024-01-01"]
    )
    with pytest.raises(InputError, match="closed"):
        fit_stage_rates(open_only)
    h = _history()
    with pytest.raises(InputError, match="prior"):
        fit_stage_rates(h, prior=(0.0, 1.0))
    with pytest.raises(InputError, match="level"):
        fit_stage_rates(h, level=1.0)
    with pytest.raises(InputError, match="by"):
        fit_stage_rates(h, by="region")
    with pytest.raises(InputError, match="shrinkage"):
        fit_stage_rates(h, shrinkage=-1.0)


def test_state_at_and_cohort_filter():
    h = _history()
    assert h.state_at(np.datetime64("2024-01-15", "us")).tolist() == [1, 6, -1, -1]
    rates = fit_stage_rates(h, created_before="2024-01-02")
    assert rates.n_closed == 1
    assert rates.n_cohort_excluded == 3


def test_simulator_is_seeded_and_consistent():
    a = simulate_pipeline(300, "2023-01-01", "2024-01-01", seed=9)
    b = simulate_pipeline(300, "2023-01-01", "2024-01-01", seed=9)
    np.testing.assert_array_equal(a.opportunities.amount, b.opportunities.amount)
    np.testing.assert_array_equal(a.history.entered, b.history.entered)
    o = a.opportunities
    # closed deals' stage matches the history's outcome and the truth
    outcome = a.history.outcome
    np.testing.assert_array_equal(np.minimum(outcome, 7), np.minimum(o.stage, 7))
    won = o.stage == DEFAULT_PROCESS.won_code
    assert np.all(a.deals["outcome"][won] == "won")
    assert np.all(o.close_date[o.is_open] >= a.as_of)
    assert np.all(a.history.entered < a.as_of)
    assert set(a.history.reason[a.history.last][~o.is_open]) - {""}
    with pytest.raises(InputError):
        simulate_pipeline(0, "2023-01-01", "2024-01-01", seed=1)
    with pytest.raises(InputError):
        simulate_pipeline(10, "2024-01-01", "2023-01-01", seed=1)


def test_sales_velocity_formula():
    rates = fit_stage_rates(_history(), prior=(1.0, 1.0))
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3],
        amount=[100.0, 300.0, 50.0],
        stage=["plan", "qualify", "won"],
    )
    expected = 2 * rates.win_rate[0] * 200.0 / rates.cycle_days_won
    assert rates.sales_velocity(opps) == pytest.approx(expected)
    assert rates.sales_velocity(opps.subset(~opps.is_open)) == 0.0
