"""Bad-input cases: the funnel's dynamics (movement, aging, rollups, bias, trends, change tests).

The rest of crmkit.funnel has its cases in ``cases_funnel.py``.
"""

from __future__ import annotations

import pandas as pd

from crmkit.funnel import (
    DEFAULT_PROCESS,
    Hierarchy,
    Opportunities,
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
from tests.badinput.core import Case, Opt

EXEMPT: dict[str, str] = {}


def _opps(week: int) -> Opportunities:
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4],
        amount=[100.0, 200.0, 50.0, 80.0 + week],
        stage=["plan", "close" if week else "plan", "won" if week else "qualify", "lost"],
        close_date=["2024-07-10", "2024-07-20", "2024-07-05", "2024-06-20"],
        created=["2024-05-01", "2024-05-03", "2024-04-20", "2024-04-01"],
        dimensions={"region": ["north", "south", "north", "south"]},
    )


def _history() -> StageHistory:
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 2, 2, 3, 3, 4],
        stage=["plan", "won", "plan", "lost", "qualify", "plan", "plan"],
        entered=[
            "2024-01-01",
            "2024-01-20",
            "2024-01-02",
            "2024-02-01",
            "2024-01-05",
            "2024-01-25",
            "2024-02-10",
        ],
    )


def _network() -> Hierarchy:
    return Hierarchy.from_arrays(node=["china", "north", "south"], parent=[None, "china", "china"])


def _forecast() -> object:
    return forecast_pipeline(_opps(1), period="month", by=["region"], probabilities="configured")


def _submissions() -> dict[str, list[object]]:
    return {
        "period": ["2024-07", "2024-07"],
        "node": ["north", "south"],
        "measure": ["commit", "commit"],
        "amount": [150.0, 90.0],
    }


def _adjustments() -> dict[str, list[object]]:
    return {
        "period": ["2024-07", "2024-07"],
        "node": ["north", "south"],
        "adjuster": ["china", "china"],
        "measure": ["commit", "best_case"],
        "amount": [120.0, 60.0],
        "author": ["wei", "wei"],
        "at": ["2024-07-01T09:00", "2024-07-01T09:05"],
    }


def _closed() -> Opportunities:
    n = 24
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=list(range(n)),
        amount=[100.0 + 10 * i for i in range(n)],
        stage=["won" if i % 3 else "lost" for i in range(n)],
        close_date=[f"2024-{1 + i // 4:02d}-15" for i in range(n)],
        created=[f"2023-12-{1 + i:02d}" for i in range(n)],
        dimensions={"region": ["north", "south"] * (n // 2)},
    )


_SUBS = {"period": "label", "node": "id", "measure": "label", "amount": "amount"}

CASES = [
    Case(
        "funnel.pipeline_movement",
        pipeline_movement,
        lambda: {
            "before": _opps(0),
            "after": _opps(1),
            "period": "month",
            "probabilities": "configured",
            "by": ["region"],
        },
        params={"period": "choice", "probabilities": "choice", "by": "names"},
    ),
    Case(
        "funnel.PipelineState.from_history",
        PipelineState.from_history,
        lambda: {"history": _history(), "as_of": "2024-02-01"},
        params={"history": "value", "as_of": Opt("date"), "date_format": Opt("choice")},
    ),
    Case(
        "funnel.fit_time_to_close",
        fit_time_to_close,
        lambda: {"history": _history(), "as_of": "2024-03-01"},
        params={"as_of": "date"},
        nonfinite=frozenset({"p10_days", "median_days", "p90_days"}),
    ),
    Case(
        "funnel.deal_aging",
        deal_aging,
        lambda: {"history": _history(), "as_of": "2024-03-01", "stale_share": 0.9},
        params={"as_of": "date", "stale_share": "probability"},
        nonfinite=frozenset(
            {"in_stage_percentile", "age_percentile", "p10_days", "median_days", "p90_days"}
        ),
    ),
    Case(
        "funnel.Hierarchy.from_arrays",
        Hierarchy.from_arrays,
        lambda: {
            "node": ["china", "north", "south"],
            "parent": [None, "china", "china"],
            "level": ["country", "region", "region"],
        },
        columns={"node": "id", "level": "label"},
    ),
    Case(
        "funnel.Hierarchy.from_frame",
        Hierarchy.from_frame,
        lambda: {
            "frame": pd.DataFrame({"node": ["a", "b"], "parent": [None, "a"]}),
            "node": "node",
            "parent": "parent",
        },
        params={"node": "frame_column", "parent": "frame_column"},
    ),
    Case(
        "funnel.rollup_forecast",
        rollup_forecast,
        lambda: {
            "forecast": _forecast(),
            "hierarchy": _network(),
            "node": "region",
            "submissions": _submissions(),
            "adjustments": _adjustments(),
        },
        params={"date_format": Opt("choice")},
        tables={
            "submissions": _SUBS,
            "adjustments": _SUBS | {"adjuster": "id", "author": "label", "at": "date"},
        },
        empty="result",  # no submission, no adjustment: the system numbers alone
        nonfinite=frozenset({"submitted"}),  # NaN where a node submitted nothing
    ),
    Case(
        "funnel.fit_submission_bias",
        fit_submission_bias,
        lambda: {
            "submissions": _submissions(),
            "actuals": {
                "period": ["2024-07", "2024-07"],
                "node": ["north", "south"],
                "actual": [100.0, 120.0],
            },
            "measure": "commit",
        },
        params={"measure": "choice"},
        tables={
            "submissions": _SUBS,
            "actuals": {"period": "label", "node": "id", "actual": "amount"},
        },
    ),
    Case(
        "funnel.pipeline_trends",
        pipeline_trends,
        lambda: {"opportunities": _closed(), "period": "month", "by": ["region"], "level": 0.9},
        params={"period": "choice", "by": "names", "level": "probability"},
        nonfinite=frozenset(
            {  # NaN where documented: nothing closed, < 2 wins, first period
                "win_rate",
                "win_rate_lower",
                "win_rate_upper",
                "deal_size",
                "deal_size_lower",
                "deal_size_upper",
                "cycle_days",
                "cycle_lower",
                "cycle_upper",
                "velocity_lower",
                "velocity_upper",
                "velocity_change",
                "lever_deals",
                "lever_win_rate",
                "lever_deal_size",
                "lever_cycle",
            }
        ),
    ),
    Case(
        "funnel.detect_change",
        detect_change,
        lambda: {
            "opportunities": _closed(),
            "metric": "win_rate",
            "alternative": "decrease",
            "period": "month",
            "recent": 2,
            "baseline": 3,
            "by": ["region"],
            "alpha": 0.05,
        },
        params={
            "metric": "choice",
            "alternative": "choice",
            "period": "choice",
            "recent": "count",
            "baseline": Opt("count"),
            "by": "names",
            "alpha": "probability",
        },
        nonfinite=frozenset({"recent", "baseline", "change"}),  # NaN for an empty window
    ),
]
