"""Type-checked, never run: pins the public signatures of crmkit.funnel.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, assert_type

import numpy as np
import numpy.typing as npt

from crmkit.datasets import SimulatedPipeline, simulate_pipeline
from crmkit.funnel import (
    COMPONENTS,
    DEFAULT_PROCESS,
    MEASURES,
    AdjustmentAudit,
    Backtest,
    BiasCorrected,
    ChangeTest,
    DealAging,
    DealChanges,
    ForecastCategory,
    ForecastDistribution,
    Hierarchy,
    Opportunities,
    PipelineForecast,
    PipelineMovement,
    PipelineState,
    PipelineTrends,
    QuotaAttainment,
    QuotaDistribution,
    ReasonBreakdown,
    Reliability,
    Rollup,
    SalesProcess,
    Scorecard,
    SlipDistribution,
    Stage,
    StageHistory,
    StageRates,
    SubmissionBias,
    TimeToClose,
    Waterfall,
    WinScoreEvaluation,
    WinScorer,
    WinScores,
    backtest_forecast,
    beta_interval,
    deal_aging,
    deal_probabilities,
    detect_change,
    evaluate_win_scorer,
    fit_slip,
    fit_stage_rates,
    fit_submission_bias,
    fit_time_to_close,
    fit_win_scorer,
    forecast_pipeline,
    lattice_forecast,
    pipeline_movement,
    pipeline_snapshot,
    pipeline_trends,
    reliability,
    rollup_forecast,
    score_opportunities,
    scorecards,
    simulate_forecast,
    truncate_history,
)
from crmkit.periods import Calendar, Frequency, Horizon

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def process_api() -> None:
    assert_type(DEFAULT_PROCESS, SalesProcess)
    assert_type(ForecastCategory.COMMIT, Literal[ForecastCategory.COMMIT])
    assert_type(ForecastCategory.BEST_CASE.label, str)
    stage = Stage(name="qualify", probability=0.2, category=ForecastCategory.PIPELINE)
    assert_type(stage, Stage)
    assert_type(stage.name, str)
    assert_type(stage.probability, float)
    assert_type(stage.category, ForecastCategory)
    process = SalesProcess(stages=[stage, Stage(name="propose", probability=0.6)])
    process = SalesProcess(stages=(stage,), won="closed won", lost="closed lost")
    assert_type(process.stages, tuple[Stage, ...])
    assert_type(process.won, str)
    assert_type(process.lost, str)
    assert_type(process.n_stages, int)
    assert_type(process.won_code, int)
    assert_type(process.lost_code, int)
    assert_type(process.names, tuple[str, ...])
    assert_type(process.probabilities, FloatArray)
    assert_type(process.categories, IntArray)
    assert_type(process.code("qualify"), int)


def data_api() -> None:
    history = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1],
        stage=["identify opportunity", "won"],
        entered=["2024-01-01", "2024-02-01"],
        reason=[None, "price"],
        dimensions={"region": ["north"]},
    )
    assert_type(history, StageHistory)
    history = StageHistory.from_frame(
        {"opportunity": [1], "stage": ["won"], "entered": ["2024-01-01"]},
        process=DEFAULT_PROCESS,
        reason="reason",
        dimensions=["region"],
    )
    history = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1],
        stage=["won"],
        entered=["01/02/2024"],
        date_format="%d/%m/%Y",
        valid_years=(1800, 2200),
    )
    history = StageHistory.from_frame(
        {"opportunity": [1], "stage": ["won"], "entered": ["20240101"]},
        process=DEFAULT_PROCESS,
        date_format="%Y%m%d",
        valid_years=(1900, 2100),
    )
    assert_type(history.process, SalesProcess)
    assert_type(history.opportunity, npt.NDArray[Any])
    assert_type(history.offsets, IntArray)
    assert_type(history.row_opportunity, IntArray)
    assert_type(history.stage, IntArray)
    assert_type(history.entered, npt.NDArray[np.datetime64])
    assert_type(history.reason, npt.NDArray[np.str_])
    assert_type(history.dimensions, Mapping[str, npt.NDArray[Any]])
    assert_type(history.n_rows, int)
    assert_type(history.n_opportunities, int)
    assert_type(history.last, IntArray)
    assert_type(history.outcome, IntArray)
    assert_type(history.max_open_stage, IntArray)
    assert_type(history.state_at(np.datetime64("2024-01-15")), IntArray)

    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=["a", "b"],
        amount=[1000.0, 2000.0],
        stage=["identify opportunity", "won"],
        close_date=["2024-03-01", "2024-02-01"],
        created=["2024-01-01", "2024-01-01"],
        category=[ForecastCategory.COMMIT, ForecastCategory.CLOSED],
        probability=[0.5, 1.0],
        dimensions={"region": ["north", "south"]},
    )
    assert_type(opps, Opportunities)
    opps = Opportunities.from_frame(
        {"id": [1], "amount": [1.0], "stage": ["won"], "close": ["2024-01-01"]},
        process=DEFAULT_PROCESS,
        close_date="close",
        dimensions={"region": "territory"},
    )
    opps = Opportunities.from_frame(
        {"id": [1], "amount": [1.0], "stage": ["won"]},
        process=DEFAULT_PROCESS,
        dimensions=["region"],
    )
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1],
        amount=[1.0],
        stage=["won"],
        close_date=[20240101],
        date_format="%Y%m%d",
        valid_years=(1900, 2200),
    )
    opps = Opportunities.from_frame(
        {"id": [1], "amount": [1.0], "stage": ["won"], "close": ["01/02/2024"]},
        process=DEFAULT_PROCESS,
        close_date="close",
        date_format="%d/%m/%Y",
        valid_years=(1900, 2200),
    )
    assert_type(opps.process, SalesProcess)
    assert_type(opps.id, npt.NDArray[Any])
    assert_type(opps.amount, FloatArray)
    assert_type(opps.stage, IntArray)
    assert_type(opps.close_date, npt.NDArray[np.datetime64])
    assert_type(opps.created, npt.NDArray[np.datetime64])
    assert_type(opps.category, IntArray)
    assert_type(opps.probability, FloatArray)
    assert_type(opps.dimensions, Mapping[str, npt.NDArray[Any]])
    assert_type(opps.n_rows, int)
    assert_type(opps.is_open, npt.NDArray[np.bool_])
    assert_type(opps.n_open, int)
    assert_type(opps.stage_names, npt.NDArray[np.str_])
    assert_type(opps.subset(opps.is_open), Opportunities)
    assert_type(opps.to_dict(), dict[str, object])
    assert_type(opps.to_frame(), Any)
    assert_type(opps.to_frame("polars"), Any)


def forecast_api(opps: Opportunities, history: StageHistory) -> None:
    rates = fit_stage_rates(history)
    assert_type(rates, StageRates)
    rates = fit_stage_rates(
        history,
        prior=(1.0, 1.0),
        level=0.8,
        by="region",
        shrinkage=10.0,
        created_before="2024-01-01",
    )
    assert_type(rates.process, SalesProcess)
    assert_type(rates.stage, npt.NDArray[np.str_])
    assert_type(rates.win_rate, FloatArray)
    assert_type(rates.n_reached, IntArray)
    assert_type(rates.cycle_days_won, float)
    assert_type(rates.n_closed, int)
    assert_type(rates.prior, tuple[float, float])
    assert_type(rates.by, str | None)
    assert_type(rates.group, npt.NDArray[Any])
    assert_type(rates.reasons, ReasonBreakdown)
    assert_type(rates.reasons.outcome, npt.NDArray[np.str_])
    assert_type(rates.reasons.count, IntArray)
    assert_type(rates.reasons.share, FloatArray)
    assert_type(rates.probabilities_for(opps), FloatArray)
    assert_type(rates.sales_velocity(opps), float)
    assert_type(rates.table(), dict[str, npt.NDArray[Any]])
    assert_type(rates.to_dict(), dict[str, object])
    assert_type(rates.to_frame("pyarrow"), Any)
    assert_type(rates.to_frame_like({}), Any)

    lower, upper = beta_interval([3, 4], [1, 2], level=0.9)
    assert_type(lower, FloatArray)
    assert_type(upper, FloatArray)

    assert_type(deal_probabilities(opps, "configured"), FloatArray)
    assert_type(deal_probabilities(opps, rates), FloatArray)

    fc = forecast_pipeline(opps, period="month", probabilities="configured")
    assert_type(fc, PipelineForecast)
    fc = forecast_pipeline(
        opps,
        period=Frequency.QUARTER,
        probabilities=rates,
        by=["region"],
        quotas={"period": ["2024Q1"], "region": ["north"], "quota": [1.0]},
        as_of="2024-01-01",
        calendar=Calendar(fiscal_year_start_month=4),
    )
    fc = forecast_pipeline(
        opps, period=Horizon.next_months("2024-01-01", 3), probabilities="configured"
    )
    fc = forecast_pipeline(
        opps, period=[Horizon.next_days("2024-01-01", 30)], probabilities="configured"
    )
    assert_type(fc.period, npt.NDArray[np.str_])
    assert_type(fc.start, npt.NDArray[np.datetime64])
    assert_type(fc.groups, Mapping[str, npt.NDArray[Any]])
    assert_type(fc.n_open, IntArray)
    assert_type(fc.weighted, FloatArray)
    assert_type(fc.expected_total, FloatArray)
    assert_type(fc.attainment, FloatArray)
    assert_type(fc.by, tuple[str, ...])
    assert_type(fc.probabilities, str)
    assert_type(fc.n_overdue, int)
    assert_type(fc.overdue_amount, float)
    assert_type(fc.as_of, np.datetime64 | None)
    assert_type(fc.table(), dict[str, npt.NDArray[Any]])
    assert_type(fc.quota_level, QuotaAttainment | None)
    if fc.quota_level is not None:
        assert_type(fc.quota_level.coverage, FloatArray)
        assert_type(fc.quota_level.groups, Mapping[str, npt.NDArray[Any]])
        assert_type(fc.quota_level.by, tuple[str, ...])


def distribution_api(opps: Opportunities, rates: StageRates) -> None:
    dist = lattice_forecast(opps, period="month", probabilities="configured")
    assert_type(dist, ForecastDistribution)
    dist = lattice_forecast(
        opps,
        period=Frequency.MONTH,
        probabilities=rates,
        by=["region"],
        quotas=None,
        n_points=2**10,
        calendar=Calendar(),
    )
    assert_type(dist.mean, FloatArray)
    assert_type(dist.p10, FloatArray)
    assert_type(dist.p_reach_quota, FloatArray)
    assert_type(dist.slipped_out, float)
    assert_type(dist.method, Literal["lattice", "monte_carlo"])
    assert_type(dist.n_simulations, int)
    assert_type(dist.probabilities, str)
    assert_type(dist.table(), dict[str, npt.NDArray[Any]])
    assert_type(dist.quota_level, QuotaDistribution | None)
    if dist.quota_level is not None:
        assert_type(dist.quota_level.p_reach_quota, FloatArray)
        assert_type(dist.quota_level.p50, FloatArray)
        assert_type(dist.quota_level.by, tuple[str, ...])

    slip = fit_slip(["2024-01-01"], ["2024-01-15"])
    assert_type(slip, SlipDistribution)
    assert_type(slip.days, FloatArray)
    assert_type(slip.mean, float)
    assert_type(slip.median, float)
    assert_type(slip.share_late, float)
    assert_type(slip.n_missing, int)
    slip = fit_slip(["20240101"], [None], date_format="%Y%m%d", valid_years=(1900, 2200))

    mc = simulate_forecast(
        opps, period="quarter", probabilities="configured", n_simulations=1000, seed=1
    )
    assert_type(mc, ForecastDistribution)
    mc = simulate_forecast(
        opps,
        period="quarter",
        probabilities="configured",
        n_simulations=1000,
        seed=np.random.default_rng(1),
    )
    mc = simulate_forecast(
        opps,
        period=Horizon.next_months("2024-01-01", 1),
        probabilities=rates,
        n_simulations=1000,
        seed=np.random.SeedSequence(1),
        by=["region"],
        quotas=None,
        slip=slip,
        as_of="2024-01-01",
        chunk_size=500,
        n_jobs=2,
        calendar=Calendar(),
    )
    assert_type(mc, ForecastDistribution)


def backtest_api(history: StageHistory) -> None:
    assert_type(truncate_history(history, "2024-01-01"), StageHistory)
    snap = pipeline_snapshot(
        history,
        as_of="2024-01-01",
        opportunity=[1],
        amount=[1000.0],
        expected_close=["2024-02-01"],
    )
    assert_type(snap, Opportunities)
    snap = pipeline_snapshot(
        history,
        as_of="01/01/2024",
        opportunity=[1],
        amount=[1000.0],
        expected_close=["01/02/2024"],
        date_format="%d/%m/%Y",
        valid_years=(1900, 2200),
    )
    bt = backtest_forecast(
        history,
        snapshots=["01/01/2023"],
        horizon_days=90,
        opportunity=[1],
        amount=[1000.0],
        expected_close=["01/02/2023"],
        methods=["configured"],
        date_format="%d/%m/%Y",
        valid_years=(1900, 2200),
    )
    bt = backtest_forecast(
        history,
        snapshots=["2023-01-01", "2023-04-01"],
        horizon_days=90,
        methods=["configured", "calibrated"],
    )
    assert_type(bt, Backtest)
    bt = backtest_forecast(
        history,
        snapshots=["2023-01-01"],
        horizon_days=90,
        opportunity=[1],
        amount=[1000.0],
        expected_close=["2023-02-01"],
        methods=["calibrated"],
        maturity_days=30,
        by="region",
        n_points=2**10,
    )
    assert_type(bt.snapshot, npt.NDArray[np.datetime64])
    assert_type(bt.method, npt.NDArray[np.str_])
    assert_type(bt.n_open, IntArray)
    assert_type(bt.forecast, FloatArray)
    assert_type(bt.mape, FloatArray)
    assert_type(bt.horizon_days, int | None)
    assert_type(bt.window_start, npt.NDArray[np.datetime64])
    assert_type(bt.best_method(), str)
    bt = backtest_forecast(
        history,
        snapshots=["2023-01-01"],
        horizon_days=90,
        methods=["calibrated", "calibrated_by_group"],
        calibrate_by="region",
        shrinkage=10.0,
    )
    assert_type(bt.calibrate_by, str | None)


def scoring_api(opps: Opportunities, history: StageHistory, rates: StageRates) -> None:
    scorer = fit_win_scorer(history, fields=["source", "region"])
    assert_type(scorer, WinScorer)
    scorer = fit_win_scorer(
        history,
        fields=["source"],
        team="team",
        smoothing=0.5,
        min_support=10,
        clamp=(0.01, 0.99),
    )
    assert_type(scorer.process, SalesProcess)
    assert_type(scorer.fields, tuple[str, ...])
    assert_type(scorer.team, str | None)
    assert_type(scorer.won_count, Mapping[str, IntArray])
    assert_type(scorer.clamp, tuple[float, float])

    scores = score_opportunities(scorer, opps)
    assert_type(scores, WinScores)
    scores = score_opportunities(scorer, opps, stage=[1, 2])
    assert_type(scores.id, npt.NDArray[Any])
    assert_type(scores.probability, FloatArray)
    assert_type(scores.team_table, npt.NDArray[np.bool_])
    assert_type(scores.likelihood_ratio, FloatArray)
    assert_type(scores.explain(0), dict[str, float])

    rel = reliability([0.2, 0.8], [False, True])
    assert_type(rel, Reliability)
    rel = reliability(np.array([0.2, 0.8]), np.array([0, 1]), n_bins=5)
    assert_type(rel.bin_lower, FloatArray)
    assert_type(rel.count, IntArray)
    assert_type(rel.observed_rate, FloatArray)
    assert_type(rel.brier, float)
    assert_type(rel.base_rate, float)

    ev = evaluate_win_scorer(scorer, history, baseline="configured")
    assert_type(ev, WinScoreEvaluation)
    ev = evaluate_win_scorer(scorer, history, baseline=rates, n_bins=5)
    assert_type(ev.model, Reliability)
    assert_type(ev.baseline, Reliability)
    assert_type(ev.brier, float)
    assert_type(ev.brier_baseline, float)
    assert_type(ev.n_examples, int)
    assert_type(ev.baseline_name, str)

    card = scorecards(opps, history, by="rep", probabilities="configured")
    assert_type(card, Scorecard)
    card = scorecards(
        opps,
        history,
        by="rep",
        probabilities=rates,
        quota={"ann": 1000.0},
        activities={"calls": [3, 4]},
        compare_to="team",
    )
    assert_type(card.group, npt.NDArray[Any])
    assert_type(card.n_open, IntArray)
    assert_type(card.win_rate, FloatArray)
    assert_type(card.parent, npt.NDArray[Any])
    assert_type(card.activities, Mapping[str, FloatArray])
    assert_type(card.by, str)
    assert_type(card.table(), dict[str, npt.NDArray[Any]])


def datasets_api() -> None:
    sim = simulate_pipeline(100, "2022-01-01", "2024-01-01", seed=1)
    assert_type(sim, SimulatedPipeline)
    sim = simulate_pipeline(
        100,
        "2022-01-01",
        "2024-01-01",
        seed=np.random.default_rng(1),
        process=DEFAULT_PROCESS,
        advance=[0.7, 0.6, 0.5, 0.6, 0.8],
        mean_days_in_stage=[10.0, 20.0, 20.0, 15.0, 10.0],
        n_reps=5,
        regions=["beijing", "shenyang", "shanghai", "guangzhou"],
    )
    assert_type(sim.log, StageHistory)
    assert_type(sim.opportunities, Opportunities)
    assert_type(sim.history, StageHistory)
    assert_type(sim.deals, Mapping[str, npt.NDArray[Any]])
    assert_type(sim.true_win_rate, FloatArray)
    assert_type(sim.true_win_rate_by_region, FloatArray)
    assert_type(sim.regions, tuple[str, ...])
    assert_type(sim.as_of, np.datetime64)


def dynamics_api(opps: Opportunities, history: StageHistory, rates: StageRates) -> None:
    state = PipelineState.from_history(history, as_of="2024-01-01")
    assert_type(state, PipelineState)
    state = state.update(history, until="2024-02-01")
    state = state.update(history, since="2024-02-01", until="2024-03-01")
    state = state.update(history)
    state = PipelineState.from_history(history, as_of="01/01/2024", date_format="%d/%m/%Y")
    state = state.update(history, until="01/02/2024", date_format="%d/%m/%Y")
    assert_type(state.snapshot(), Opportunities)
    assert_type(state.stage, IntArray)
    assert_type(state.as_of, np.datetime64 | None)
    assert_type(fit_stage_rates(state), StageRates)
    history = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1],
        stage=["plan"],
        entered=["2024-01-01"],
        amount=[10.0],
        close_date=["2024-03-01"],
    )
    assert_type(history.amount, FloatArray | None)
    assert_type(history.close_date, npt.NDArray[np.datetime64] | None)
    assert_type(COMPONENTS, tuple[str, ...])
    m = pipeline_movement(opps, state, period="month", probabilities=rates, by=["region"])
    m = pipeline_movement(
        opps, opps, period=Horizon.next_days("2024-01-01", 30), probabilities="configured"
    )
    assert_type(m, PipelineMovement)
    assert_type(m.amount, FloatArray)
    assert_type(m.count, IntArray)
    assert_type(m.component("won", weighted=True), FloatArray)
    assert_type(m.changes, DealChanges)
    assert_type(m.changes.pushed, npt.NDArray[np.bool_])
    assert_type(m.waterfall(weighted=False, where={"period": "2024-01"}), Waterfall)
    ttc = fit_time_to_close(history, as_of="2024-02-01")
    assert_type(ttc, TimeToClose)
    assert_type(ttc.remaining_quantile(ttc.curve_stage, ttc.curve_days, 0.5), FloatArray)
    aging = deal_aging(state, as_of="2024-04-01", stale_share=0.8)
    assert_type(aging, DealAging)
    assert_type(aging.stale, npt.NDArray[np.bool_])
    assert_type(aging.expected_close, npt.NDArray[np.datetime64])
    h = Hierarchy.from_arrays(node=["a", "b"], parent=[None, "a"], level=["team", "rep"])
    h = Hierarchy.from_frame({"node": ["a"], "parent": [None]}, level=None)
    assert_type(h.is_ancestor("a", "b"), bool)
    assert_type(h.depth, IntArray)
    f = forecast_pipeline(opps, period="month", by=["owner"], probabilities="configured")
    r = rollup_forecast(f, h, node="owner", submissions=None, adjustments=None)
    assert_type(r, Rollup)
    r = rollup_forecast(f, h, node="owner", adjustments=None, date_format="%d/%m/%Y %H:%M")
    assert_type(r.rows(period="2024-01", node="ana"), npt.NDArray[np.bool_])
    assert_type(r.column("commit", kind="value"), FloatArray)
    assert_type(r.system, FloatArray)
    assert_type(r.measures, tuple[str, ...])
    assert_type(r.audit, AdjustmentAudit)
    assert_type(MEASURES, tuple[str, ...])
    bias = fit_submission_bias(
        {"period": [], "node": [], "measure": [], "amount": []}, r, measure="commit"
    )
    assert_type(bias, SubmissionBias)
    assert_type(
        bias.correct({"period": [], "node": [], "measure": [], "amount": []}), BiasCorrected
    )
    t = pipeline_trends(opps, period="quarter", by=["region"], level=0.8)
    assert_type(t, PipelineTrends)
    assert_type(t.lever_win_rate, FloatArray)
    c = detect_change(
        opps, metric="win_rate", alternative="decrease", period="month", recent=2, baseline=6
    )
    assert_type(c, ChangeTest)
    assert_type(c.alarm, npt.NDArray[np.bool_])
    d = lattice_forecast(
        opps, period="month", probabilities="configured", slip=fit_slip([], []), as_of="2024-01-01"
    )
    assert_type(d, ForecastDistribution)
    bt = backtest_forecast(
        history,
        snapshots=["2024-01-01"],
        period="quarter",
        include_current=True,
        methods=["configured"],
    )
    assert_type(bt.period, str | None)
