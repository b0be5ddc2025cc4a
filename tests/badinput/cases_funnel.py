"""Bad-input cases: crmkit.funnel's values, forecasts, calibration, scoring and backtests.

The pipeline-dynamics functions (movement, aging, rollups, trends, change tests)
have their cases in ``cases_funnel_dynamics.py``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmkit.funnel import (
    DEFAULT_PROCESS,
    ForecastCategory,
    Opportunities,
    PipelineState,
    SalesProcess,
    Stage,
    StageHistory,
    WinScorer,
    backtest_forecast,
    beta_interval,
    deal_probabilities,
    evaluate_win_scorer,
    fit_slip,
    fit_stage_rates,
    fit_win_scorer,
    forecast_pipeline,
    lattice_forecast,
    pipeline_snapshot,
    reliability,
    score_opportunities,
    scorecards,
    simulate_forecast,
    truncate_history,
)
from crmkit.periods import DEFAULT_CALENDAR
from tests.badinput.core import Case, Opt

EXEMPT: dict[str, str] = {
    "funnel.Opportunities": "the attrs form of validated arrays; built by from_arrays and "
    "from_frame (cases below), which every public path goes through",
    "funnel.StageHistory": "the attrs form of validated arrays; built by from_arrays and "
    "from_frame (cases below)",
    "funnel.PipelineState": "the attrs form of a summary; built by from_history (case in "
    "cases_funnel_dynamics.py) and update (case below)",
    "funnel.Hierarchy": "the attrs form of a validated tree; built by from_arrays and "
    "from_frame (cases in cases_funnel_dynamics.py)",
}

# ------------------------------------------------------------------ stage histories

_ROWS: list[tuple[int, str, str]] = [
    (1, "qualify", "2024-01-02"),
    (1, "plan", "2024-01-10"),
    (1, "won", "2024-01-25"),
    (2, "qualify", "2024-01-03"),
    (2, "lost", "2024-01-20"),
    (3, "plan", "2024-01-05"),
    (3, "close", "2024-01-15"),
    (3, "won", "2024-02-10"),
    (4, "qualify", "2024-01-08"),
    (4, "plan", "2024-01-22"),
    (4, "lost", "2024-02-05"),
    (5, "qualify", "2024-01-12"),
    (5, "plan", "2024-02-01"),
    (6, "plan", "2024-01-15"),
    (6, "close", "2024-02-12"),
    (7, "qualify", "2024-02-03"),
    (7, "won", "2024-02-20"),
    (8, "qualify", "2024-02-05"),
    (8, "lost", "2024-02-25"),
]
_REGION = {1: "north", 2: "south", 3: "north", 4: "south", 5: "north", 6: "south", 7: "north"}
_SOURCE = {1: "web", 2: "event", 3: "event", 4: "web", 5: "web", 6: "event", 7: "referral"}
_TEAM = {1: "alpha", 2: "alpha", 3: "beta", 4: "beta", 5: "alpha", 6: "beta", 7: "alpha"}
_IDS = list(range(1, 9))
_EXPECTED = [
    "2024-01-30",
    "2024-01-25",
    "2024-02-15",
    "2024-02-20",
    "2024-03-01",
    "2024-02-28",
    "2024-02-25",
    "2024-03-05",
]


def _history_columns() -> dict[str, Any]:
    opp = [r[0] for r in _ROWS]
    return {
        "opportunity": opp,
        "stage": [r[1] for r in _ROWS],
        "entered": [r[2] for r in _ROWS],
        "amount": [100.0 + 10 * o for o in opp],
        "close_date": [_EXPECTED[o - 1] for o in opp],
    }


def _dims(key: list[int]) -> dict[str, list[str]]:
    return {
        "region": [_REGION.get(o, "south") for o in key],
        "source": [_SOURCE.get(o, "web") for o in key],
        "team": [_TEAM.get(o, "beta") for o in key],
    }


def _history(*, log: bool = False) -> StageHistory:
    cols = _history_columns()
    if not log:
        del cols["amount"], cols["close_date"]
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS, dimensions=_dims(cols["opportunity"]), **cols
    )


def _history_call() -> dict[str, Any]:
    cols = _history_columns()
    return {
        "process": DEFAULT_PROCESS,
        **cols,
        "reason": ["", "", "fit", "", "price", "", "", "fit", "", "", "price"] + [""] * 8,
        "dimensions": {"team": _dims(cols["opportunity"])["team"]},
    }


def _history_frame_call() -> dict[str, Any]:
    cols = _history_columns()
    frame = pd.DataFrame(
        {
            "opp": cols["opportunity"],
            "step": cols["stage"],
            "at": cols["entered"],
            "value": cols["amount"],
            "team": _dims(cols["opportunity"])["team"],
        }
    )
    return {
        "frame": frame,
        "process": DEFAULT_PROCESS,
        "opportunity": "opp",
        "stage": "step",
        "entered": "at",
        "amount": "value",
        "dimensions": ["team"],
    }


def _update_call(**kwargs: object) -> PipelineState:
    state = PipelineState.from_history(_history(), as_of="2024-01-15")
    return state.update(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ opportunities


def _opps_columns() -> dict[str, Any]:
    return {
        "id": [11, 12, 13, 14, 15, 16],
        "amount": [1_000.0, 2_500.0, 800.0, 4_000.0, 1_200.0, 300.0],
        "stage": ["plan", "close", "won", "qualify", "propose solution", "lost"],
        "close_date": [
            "2024-07-10",
            "2024-07-25",
            "2024-07-03",
            "2024-08-15",
            "2024-08-20",
            "2024-07-12",
        ],
        "created": [
            "2024-05-01",
            "2024-05-03",
            "2024-04-20",
            "2024-04-01",
            "2024-06-01",
            "2024-05-05",
        ],
        "probability": [0.45, None, 0.2, None, 0.7, 0.1],
    }


def _opps() -> Opportunities:
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        **_opps_columns(),
        dimensions={"region": ["north", "south", "north", "south", "north", "south"]},
    )


def _opps_call() -> dict[str, Any]:
    return {
        "process": DEFAULT_PROCESS,
        **_opps_columns(),
        "category": ["commit", None, "", "best case", "pipeline", ""],
        "dimensions": {"region": ["north", "south", "north", "south", "north", "south"]},
    }


def _opps_frame_call() -> dict[str, Any]:
    cols = _opps_columns()
    frame = pd.DataFrame(
        {
            "opp": cols["id"],
            "value": cols["amount"],
            "step": cols["stage"],
            "closing": cols["close_date"],
            "region": ["north", "south", "north", "south", "north", "south"],
        }
    )
    return {
        "frame": frame,
        "process": DEFAULT_PROCESS,
        "id": "opp",
        "amount": "value",
        "stage": "step",
        "close_date": "closing",
        "dimensions": ["region"],
    }


def _quotas() -> dict[str, list[Any]]:
    return {"period": ["2024-07", "2024-08"], "region": ["north", "south"], "quota": [900.0, 3e3]}


_QUOTAS = {"period": "label", "region": "id", "quota": "amount"}


def _slip() -> object:
    return fit_slip(
        ["2024-01-10", "2024-02-01", "2024-03-01"], ["2024-01-20", "2024-01-31", "2024-03-11"]
    )


def _forecast_call() -> dict[str, Any]:
    return {
        "opportunities": _opps(),
        "period": "month",
        "probabilities": "configured",
        "by": ["region"],
        "quotas": _quotas(),
        "as_of": "2024-07-01",
        "calendar": DEFAULT_CALENDAR,
    }


_FORECAST_PARAMS: dict[str, Any] = {
    "opportunities": "value",
    "period": "choice",
    "probabilities": "choice",
    "by": "names",
    "calendar": "value",
}
# NaN where a cell has no quota (documented on PipelineForecast / ForecastDistribution)
_NO_QUOTA = frozenset({"quota", "attainment", "remaining_quota", "coverage", "p_reach_quota"})


# ------------------------------------------------------------------ scoring


def _scorer() -> WinScorer:
    return fit_win_scorer(_history(), fields=["source"], team="team", min_support=0)


def _open_opps() -> Opportunities:
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[21, 22, 23],
        amount=[10.0, 20.0, 30.0],
        stage=["plan", "qualify", "close"],
        dimensions={"source": ["web", "event", "fax"], "team": ["alpha", "beta", "alpha"]},
    )


def _backtest_call() -> dict[str, Any]:
    return {
        "history": _history(),
        "snapshots": ["2024-02-01"],
        "horizon_days": 60,
        "methods": ["configured", "calibrated"],
        "opportunity": list(_IDS),
        "amount": [100.0 + 10 * o for o in _IDS],
        "expected_close": list(_EXPECTED),
        "n_points": 512,
    }


_SCORECARD_NAN = frozenset(
    {
        "win_rate",
        "cycle_days",
        "velocity",
        "quota",
        "coverage",
        "conversion",
        "conversion_vs_all",
        "conversion_vs_parent",
        "overall_conversion",
        "activities",
    }
)

CASES = [
    Case(
        "funnel.Stage",
        Stage,
        lambda: {"name": "demo", "probability": 0.3, "category": ForecastCategory.BEST_CASE},
        params={"name": "text", "probability": "probability", "category": "value"},
    ),
    Case(
        "funnel.SalesProcess",
        SalesProcess,
        lambda: {
            "stages": (Stage(name="lead", probability=0.1), Stage(name="demo", probability=0.4)),
            "won": "signed",
            "lost": "dropped",
        },
        params={"stages": "value", "won": "text", "lost": "text"},
    ),
    Case(
        "funnel.Opportunities.from_arrays",
        Opportunities.from_arrays,
        _opps_call,
        params={"process": "value", "date_format": Opt("choice")},
        columns={
            "id": "id",
            "amount": "amount",
            "stage": "label",
            "close_date": "optional_date",
            "created": "optional_date",
            "probability": "optional_probability",
        },
        tables={"dimensions": {"region": "id"}},
        fields={"dimensions": ("region",)},  # a dimension of another length names itself
        nonfinite=frozenset({"probability"}),  # NaN: no probability entered (documented)
    ),
    Case(
        "funnel.Opportunities.from_frame",
        Opportunities.from_frame,
        _opps_frame_call,
        params={
            "process": "value",
            "id": "frame_column",
            "amount": "frame_column",
            "stage": "frame_column",
            "close_date": Opt("frame_column"),
            "dimensions": "names",
            "date_format": Opt("choice"),
        },
        nonfinite=frozenset({"probability"}),
    ),
    Case(
        "funnel.StageHistory.from_arrays",
        StageHistory.from_arrays,
        _history_call,
        params={"process": "value", "date_format": Opt("choice")},
        columns={
            "opportunity": "id",
            "stage": "label",
            "entered": "date",
            "amount": "amount",
            "close_date": "date",
        },
        tables={"dimensions": {"team": "id"}},
        empty="result",  # a day without stage changes is a valid (empty) log
        fields={"dimensions": ("team",)},
    ),
    Case(
        "funnel.StageHistory.from_frame",
        StageHistory.from_frame,
        _history_frame_call,
        params={
            "process": "value",
            "opportunity": "frame_column",
            "stage": "frame_column",
            "entered": "frame_column",
            "amount": Opt("frame_column"),
            "dimensions": "names",
            "date_format": Opt("choice"),
        },
    ),
    Case(
        "funnel.PipelineState.update",
        _update_call,
        lambda: {"rows": _history(), "until": "2024-02-15"},
        params={
            "rows": "value",
            "since": Opt("date"),
            "until": Opt("date"),
            "date_format": Opt("choice"),
        },
    ),
    Case(
        "funnel.truncate_history",
        truncate_history,
        lambda: {"history": _history(), "as_of": "2024-02-01"},
        params={"history": "value", "as_of": "date"},
    ),
    Case(
        "funnel.pipeline_snapshot",
        pipeline_snapshot,
        lambda: {
            "history": _history(),
            "as_of": "2024-02-01",
            "opportunity": list(_IDS),
            "amount": [100.0 + 10 * o for o in _IDS],
            "expected_close": list(_EXPECTED),
        },
        params={"history": "value", "as_of": "date", "date_format": Opt("choice")},
        columns={"opportunity": "id", "amount": "amount", "expected_close": "optional_date"},
        nonfinite=frozenset({"probability"}),  # NaN: no probability entered on the deals
    ),
    Case(
        "funnel.pipeline_snapshot",
        pipeline_snapshot,
        lambda: {"history": _history(log=True), "as_of": "2024-02-01"},
        params={"history": "value", "as_of": "date"},
        nonfinite=frozenset({"probability"}),
    ),
    Case(
        "funnel.backtest_forecast",
        backtest_forecast,
        _backtest_call,
        params={
            "history": "value",
            "horizon_days": Opt("count"),
            "methods": "names",
            "maturity_days": "count",
            "shrinkage": "positive",
            "n_points": "count",
            "include_current": "flag",
            "calendar": "value",
            "by": Opt("text"),
            "date_format": Opt("choice"),
        },
        columns={"opportunity": "id", "amount": "amount", "expected_close": "optional_date"},
        nonfinite=frozenset({"mape", "bias"}),  # NaN where no actual was positive (documented)
    ),
    Case(
        "funnel.backtest_forecast",
        backtest_forecast,
        lambda: {
            "history": _history(log=True),
            "snapshots": ["2024-02-01", "2024-02-10"],
            "period": "month",
            "methods": ["configured", "calibrated_by_group"],
            "calibrate_by": "region",
            "by": "region",
        },
        params={"period": Opt("choice"), "calibrate_by": Opt("text")},
        nonfinite=frozenset({"mape", "bias"}),
    ),
    Case(
        "funnel.beta_interval",
        beta_interval,
        lambda: {"successes": [8.5, 3.0, 0.5], "failures": [2.5, 1.0, 4.5], "level": 0.9},
        params={"level": "probability"},
        columns={"successes": "number", "failures": "number"},
        empty="result",  # element-wise: no parameters, no intervals
        fields={"successes": ("failures",), "failures": ("successes",)},
    ),
    Case(
        "funnel.deal_probabilities",
        deal_probabilities,
        lambda: {"opportunities": _opps(), "probabilities": "configured"},
        params={"opportunities": "value", "probabilities": "choice"},
    ),
    Case(
        "funnel.forecast_pipeline",
        forecast_pipeline,
        _forecast_call,
        params={**_FORECAST_PARAMS, "as_of": Opt("date")},
        tables={"quotas": _QUOTAS},
        empty="result",  # a quota table without rows: no quotas
        nonfinite=_NO_QUOTA,
    ),
    Case(
        "funnel.lattice_forecast",
        lattice_forecast,
        lambda: {**_forecast_call(), "n_points": 512, "slip": _slip()},
        params={**_FORECAST_PARAMS, "as_of": "date", "n_points": "count", "slip": Opt("value")},
        tables={"quotas": _QUOTAS},
        empty="result",
        nonfinite=_NO_QUOTA,
    ),
    Case(
        "funnel.simulate_forecast",
        simulate_forecast,
        lambda: {
            **{k: v for k, v in _forecast_call().items() if k != "as_of"},
            "n_simulations": 300,
            "seed": 7,
            "chunk_size": 100,
            "n_jobs": 2,
        },
        params={
            **_FORECAST_PARAMS,
            "n_simulations": "count",
            "seed": "seed",
            "chunk_size": "count",
            "n_jobs": "count",
        },
        tables={"quotas": _QUOTAS},
        empty="result",
        nonfinite=_NO_QUOTA,
    ),
    Case(
        "funnel.simulate_forecast",
        simulate_forecast,
        lambda: {
            "opportunities": _opps(),
            "period": "month",
            "probabilities": "configured",
            "n_simulations": 200,
            "seed": 3,
            "slip": _slip(),
            "as_of": "2024-07-01",
        },
        params={"slip": Opt("value"), "as_of": "date", "n_simulations": "count"},
        nonfinite=_NO_QUOTA,
    ),
    Case(
        "funnel.fit_slip",
        fit_slip,
        lambda: {
            "expected_close": ["2024-01-10", "2024-02-01", "2024-03-01", "2024-03-05"],
            "actual_close": ["2024-01-20", "2024-01-31", "2024-03-11", "2024-03-05"],
        },
        params={"date_format": Opt("choice")},
        columns={"expected_close": "optional_date", "actual_close": "optional_date"},
        fields={"expected_close": ("actual_close",), "actual_close": ("expected_close",)},
    ),
    Case(
        "funnel.fit_stage_rates",
        fit_stage_rates,
        lambda: {
            "history": _history(),
            "prior": (0.5, 0.5),
            "level": 0.9,
            "by": "region",
            "shrinkage": 20.0,
            "created_before": "2024-03-01",
        },
        params={
            "history": "value",
            "prior": "numbers",
            "level": "probability",
            "by": Opt("text"),
            "shrinkage": "positive",
            "created_before": Opt("date"),
        },
        # NaN where documented: no deal reached a stage, no completed stay, no won/lost deal
        nonfinite=frozenset(
            {
                "conversion",
                "mean_days",
                "median_days",
                "cycle_days_won",
                "cycle_days_lost",
                "median_cycle_days_won",
                "median_cycle_days_lost",
            }
        ),
    ),
    Case(
        "funnel.fit_win_scorer",
        fit_win_scorer,
        lambda: {
            "history": _history(),
            "fields": ["source"],
            "team": "team",
            "smoothing": 0.1,
            "min_support": 0,
            "clamp": (1e-4, 1 - 1e-4),
        },
        params={
            "history": "value",
            "fields": "names",
            "team": Opt("text"),
            "smoothing": "positive",
            "min_support": "count",
            "clamp": "numbers",
        },
    ),
    Case(
        "funnel.score_opportunities",
        score_opportunities,
        lambda: {"scorer": _scorer(), "opportunities": _open_opps(), "stage": ["plan"] * 3},
        params={"scorer": "value", "opportunities": "value"},
        columns={"stage": "label"},
        fields={"stage": ("opportunities",)},
    ),
    Case(
        "funnel.reliability",
        reliability,
        lambda: {
            "probability": [0.1, 0.35, 0.8, 0.65, 0.2],
            "won": [False, True, True, 1, 0],
            "n_bins": 4,
        },
        params={"n_bins": "count"},
        columns={"probability": "probability", "won": "flag"},
        fields={"probability": ("won",), "won": ("probability",)},
        nonfinite=frozenset({"mean_predicted", "observed_rate"}),  # NaN in empty bins
    ),
    Case(
        "funnel.evaluate_win_scorer",
        evaluate_win_scorer,
        lambda: {"scorer": _scorer(), "holdout": _history(), "baseline": "configured", "n_bins": 4},
        params={"scorer": "value", "holdout": "value", "baseline": "choice", "n_bins": "count"},
        nonfinite=frozenset({"mean_predicted", "observed_rate"}),
    ),
    Case(
        "funnel.scorecards",
        scorecards,
        lambda: {
            "opportunities": _opps(),
            "history": _history(),
            "by": "region",
            "probabilities": "configured",
            "quota": {"north": 500.0},
            "activities": {"calls": [1.0, 0.0, 2.0, 5.0, 3.0, 1.0]},
        },
        params={
            "opportunities": "value",
            "history": "value",
            "by": "text",
            "probabilities": "choice",
            "compare_to": Opt("text"),
        },
        tables={"activities": {"calls": "number"}},
        fields={"activities": ("calls",)},
        nonfinite=_SCORECARD_NAN,
    ),
]
