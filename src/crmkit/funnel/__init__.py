"""Weighted, calibrated pipeline forecasts with their spread, backtests and scorecards.

A sales manager asks "what will we sign next month and next quarter, per
region, and how sure are we?". :mod:`crmkit.funnel` answers with the weighted
forecast (amount x stage probability), learns those probabilities from stage
histories, gives the distribution of the total (exact lattice and Monte
Carlo), backtests itself on past snapshots, scores open deals with an
explainable naive Bayes model and builds rep and team scorecards.

Over time it explains how the pipeline moved between two snapshots (new,
pushed, cut, won, lost), ages open deals against won ones with a censored
time to close, rolls forecasts up a sales hierarchy beside managers' calls,
adjustments and their historical bias, tracks win rate and velocity with tests
for a change, and keeps all of it up to date from a log fed a day at a time.
"""

from crmkit.funnel._aging import DealAging, TimeToClose, deal_aging, fit_time_to_close
from crmkit.funnel._backtest import Backtest, backtest_forecast, pipeline_snapshot, truncate_history
from crmkit.funnel._bias import BiasCorrected, SubmissionBias, fit_submission_bias
from crmkit.funnel._calibration import ReasonBreakdown, StageRates, beta_interval, fit_stage_rates
from crmkit.funnel._change_test import ChangeTest, detect_change
from crmkit.funnel._changes import DealChanges, Waterfall
from crmkit.funnel._distribution import ForecastDistribution, lattice_forecast
from crmkit.funnel._forecast import PipelineForecast, deal_probabilities, forecast_pipeline
from crmkit.funnel._hierarchy import Hierarchy
from crmkit.funnel._history import StageHistory
from crmkit.funnel._montecarlo import simulate_forecast
from crmkit.funnel._movement import COMPONENTS, PipelineMovement, pipeline_movement
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._process import DEFAULT_PROCESS, ForecastCategory, SalesProcess, Stage
from crmkit.funnel._quotas import QuotaAttainment, QuotaDistribution
from crmkit.funnel._reliability import (
    Reliability,
    WinScoreEvaluation,
    evaluate_win_scorer,
    reliability,
)
from crmkit.funnel._rollup import MEASURES, AdjustmentAudit, Rollup, rollup_forecast
from crmkit.funnel._scorecards import Scorecard, scorecards
from crmkit.funnel._scoring import WinScorer, WinScores, fit_win_scorer, score_opportunities
from crmkit.funnel._slip import SlipDistribution, fit_slip
from crmkit.funnel._state import PipelineState
from crmkit.funnel._trends import PipelineTrends, pipeline_trends

__all__ = [
    "COMPONENTS",
    "DEFAULT_PROCESS",
    "MEASURES",
    "AdjustmentAudit",
    "Backtest",
    "BiasCorrected",
    "ChangeTest",
    "DealAging",
    "DealChanges",
    "ForecastCategory",
    "ForecastDistribution",
    "Hierarchy",
    "Opportunities",
    "PipelineForecast",
    "PipelineMovement",
    "PipelineState",
    "PipelineTrends",
    "QuotaAttainment",
    "QuotaDistribution",
    "ReasonBreakdown",
    "Reliability",
    "Rollup",
    "SalesProcess",
    "Scorecard",
    "SlipDistribution",
    "Stage",
    "StageHistory",
    "StageRates",
    "SubmissionBias",
    "TimeToClose",
    "Waterfall",
    "WinScoreEvaluation",
    "WinScorer",
    "WinScores",
    "backtest_forecast",
    "beta_interval",
    "deal_aging",
    "deal_probabilities",
    "detect_change",
    "evaluate_win_scorer",
    "fit_slip",
    "fit_stage_rates",
    "fit_submission_bias",
    "fit_time_to_close",
    "fit_win_scorer",
    "forecast_pipeline",
    "lattice_forecast",
    "pipeline_movement",
    "pipeline_snapshot",
    "pipeline_trends",
    "reliability",
    "rollup_forecast",
    "score_opportunities",
    "scorecards",
    "simulate_forecast",
    "truncate_history",
]
