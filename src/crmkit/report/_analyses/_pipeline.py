"""What the pipeline will sign: the forecast with its spread, and win rates learnt from history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from crmkit.funnel import Opportunities, StageRates, forecast_pipeline, lattice_forecast
from crmkit.periods import Horizon
from crmkit.report._analyses._base import Analysis, ChartRequest, Column, Detail, day, money, pct
from crmkit.report._model import Table

__all__ = ["calibration_analysis", "forecast_analysis"]


def forecast_analysis(
    opportunities: Opportunities,
    *,
    periods: Sequence[Horizon],
    rates: StageRates | None,
    by: Sequence[str],
    quotas: object | None,
    as_of: object,
) -> Analysis:
    """Pipeline forecast per period: weighted value and its spread (P10, P50, P90)."""
    probabilities: Any = rates if rates is not None else "configured"
    weighted = forecast_pipeline(
        opportunities,
        period=list(periods),
        probabilities=probabilities,
        by=list(by),
        quotas=quotas,
        as_of=as_of,
    )
    spread = lattice_forecast(
        opportunities, period=list(periods), probabilities=probabilities, by=list(by), quotas=quotas
    )
    source = (
        f"win rates calibrated on {rates.n_closed:,} closed deals"
        if rates is not None
        else "the sales process's configured stage probabilities"
    )
    headlines = [
        f"{opportunities.n_open:,} open deals as of {day(weighted.as_of)}, forecast with {source}."
    ]
    rows = []
    for i in range(weighted.period.size):
        group = ", ".join(str(weighted.groups[name][i]) for name in by)
        rows.append(
            (
                weighted.period[i],
                group or "all",
                weighted.n_open[i],
                weighted.pipeline[i],
                weighted.weighted[i],
                spread.p10[i],
                spread.p50[i],
                spread.p90[i],
                spread.p_reach_quota[i] if quotas is not None else None,
            )
        )
        if not by:
            headlines.append(
                f"{weighted.period[i]}: weighted forecast {money(float(weighted.weighted[i]))} "
                f"from {money(float(weighted.pipeline[i]))} of open pipeline; 80 % of outcomes "
                f"fall between {money(float(spread.p10[i]))} and "
                f"{money(float(spread.p90[i]))}."
            )
    notes = []
    if weighted.n_overdue:
        notes.append(
            f"{weighted.n_overdue:,} open deals ({money(weighted.overdue_amount)}) are past "
            "their expected close date: they count in the current period."
        )
    charts = [ChartRequest(name="forecast_fan", title="Forecast and its spread", result=spread)]
    if quotas is not None:
        charts.append(
            ChartRequest(name="quota_chart", title="Chance of reaching quota", result=spread)
        )
    columns = {
        **weighted.table(),
        **{k: spread.table()[k] for k in ("p10", "p50", "p90", "p_reach_quota")},
        **{name: weighted.groups[name] for name in by},
    }
    shown: list[Column] = [("period", "period", "text")]
    shown += [(name, name, "text") for name in by]
    shown += [
        ("n_open", "open deals", "count"),
        ("pipeline", "pipeline", "money"),
        ("weighted", "weighted", "money"),
        ("p10", "P10", "money"),
        ("p50", "P50", "money"),
        ("p90", "P90", "money"),
    ]
    if quotas is not None:
        shown += [("quota", "quota", "money"), ("p_reach_quota", "P(quota)", "share")]
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title="Pipeline forecast with its spread",
                columns=(
                    "period",
                    "group",
                    "open deals",
                    "pipeline",
                    "weighted",
                    "P10",
                    "P50",
                    "P90",
                    "P(reach quota)",
                ),
                formats=(
                    "text",
                    "text",
                    "count",
                    "money",
                    "money",
                    "money",
                    "money",
                    "money",
                    "share",
                ),
                rows=rows,
                function="crmkit.funnel.forecast_pipeline, crmkit.funnel.lattice_forecast",
            )
        ],
        charts=charts,
        functions=[
            "crmkit.periods.Horizon.next_periods",
            "crmkit.funnel.forecast_pipeline",
            "crmkit.funnel.lattice_forecast",
        ],
        notes=notes,
        detail=Detail(title="Forecast", columns=columns, shown=shown, result=weighted, rows=50),
    )


def calibration_analysis(rates: StageRates) -> Analysis:
    """Win rate from each stage, learnt from past deals, against the configured probabilities."""
    process = rates.process
    configured = np.asarray([s.probability for s in process.stages])
    level = pct(rates.level)
    return Analysis(
        headlines=[
            (
                f"{rates.n_closed:,} closed deals ({rates.n_open_excluded:,} still open, left out) "
                f"teach the win rates; won deals took {rates.median_cycle_days_won:.0f} days "
                "(median)."
            )
        ],
        tables=[
            Table(
                title=f"Win rate from each stage: configured and calibrated ({level} interval)",
                columns=("stage", "deals reached", "configured", "calibrated", "low", "high"),
                formats=("text", "count", "share", "share", "share", "share"),
                rows=[
                    (
                        rates.stage[i],
                        rates.n_reached[i],
                        configured[i],
                        rates.win_rate[i],
                        rates.lower[i],
                        rates.upper[i],
                    )
                    for i in range(rates.stage.size)
                ],
                function="crmkit.funnel.fit_stage_rates",
            )
        ],
        charts=[
            ChartRequest(name="funnel_chart", title="Stage conversion", result=rates),
            ChartRequest(
                name="calibration_chart", title="Configured vs calibrated win rates", result=rates
            ),
        ],
        functions=["crmkit.funnel.fit_stage_rates"],
        detail=Detail(
            title="Win rate from each stage",
            columns={**rates.table(), "configured": configured},
            shown=[
                ("stage", "stage", "text"),
                ("n_reached", "deals reached", "count"),
                ("configured", "configured", "share"),
                ("win_rate", "calibrated", "share"),
                ("lower", "low", "share"),
                ("upper", "high", "share"),
                ("median_days", "median days", "number"),
            ],
            result=rates,
            rows=50,
        ),
    )
