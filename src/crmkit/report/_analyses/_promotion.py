"""Which campaigns paid back, what hold-out groups say they caused, how models credit channels."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from crmkit.funnel import Opportunities
from crmkit.report._analyses._base import Analysis, ChartRequest, Column, Detail, money, pct
from crmkit.report._model import Table
from crmkit.roi import (
    AttributedRevenue,
    AttributionComparison,
    AttributionModel,
    CampaignResults,
    Campaigns,
    DealRevenue,
    FirstTouch,
    LastTouch,
    LiftTest,
    Linear,
    MarkovChain,
    PositionBased,
    TouchpointPaths,
    WShaped,
    campaign_results,
    compare_attribution,
    lift_test,
)

__all__ = [
    "HOLDOUT_COLUMNS",
    "attribution_analysis",
    "campaigns_analysis",
    "compare_models",
    "default_models",
    "holdout_lift",
    "lift_analysis",
    "rank_campaigns",
]

HOLDOUT_COLUMNS = ("campaign", "population", "control", "responders", "control_responders")
"""The columns of the hold-out tests, one row per campaign (:func:`crmkit.roi.lift_test`'s)."""


def rank_campaigns(
    campaigns: Campaigns,
    *,
    leads: npt.ArrayLike | None,
    opportunities: Opportunities | None,
    revenue: DealRevenue | AttributedRevenue,
    by: Sequence[str] = (),
) -> Analysis:
    """Work out the campaign results, per campaign and per *by* group, and word them."""
    per_campaign = campaign_results(
        campaigns, leads=leads, opportunities=opportunities, revenue=revenue
    )
    by_group = (
        campaign_results(
            campaigns, leads=leads, opportunities=opportunities, revenue=revenue, by=list(by)
        )
        if by
        else None
    )
    return campaigns_analysis(per_campaign, by_group)


def holdout_lift(holdout: Mapping[str, npt.ArrayLike]) -> Analysis:
    """Test each campaign against its hold-out group (columns :data:`HOLDOUT_COLUMNS`)."""
    return lift_analysis(
        lift_test(
            campaign=holdout["campaign"],
            population=holdout["population"],
            control=holdout["control"],
            responders=holdout["responders"],
            control_responders=holdout["control_responders"],
        )
    )


def default_models(*, milestones: bool) -> list[AttributionModel]:
    """Return the models compared by default: four rules, W-shaped (with milestones), Markov."""
    rules: list[AttributionModel] = [FirstTouch(), LastTouch(), Linear(), PositionBased()]
    return [*rules, *([WShaped()] if milestones else []), MarkovChain()]


def compare_models(paths: TouchpointPaths, models: Sequence[AttributionModel]) -> Analysis:
    """Credit the conversions of *paths* by each model and word how they differ."""
    return attribution_analysis(compare_attribution(paths, models=list(models)), paths)


def _ratio(x: float, kind: str) -> str:
    """Write a ratio for a sentence; the three non-finite cases in words."""
    if math.isnan(x):
        return "none (nothing spent, nothing gained)"
    if math.isinf(x):
        return "unbounded (gains with nothing spent)" if x > 0 else "unbounded losses"
    return pct(x) if kind == "share" else money(x)


def _labels(results: CampaignResults) -> list[str]:
    keys = results.by or ("campaign",)
    columns = [np.asarray(results.groups[k]).astype(str) for k in keys]
    return [" / ".join(parts) for parts in zip(*columns, strict=True)]


def _rows_table(results: CampaignResults, *, title: str, limit: int) -> Table:
    labels = _labels(results)
    order = np.argsort(np.where(np.isnan(results.roi), np.inf, -results.roi), kind="stable")
    deals = results.revenue_source == "won deals"
    rows = [
        (
            labels[i],
            results.spend[i],
            results.leads[i],
            results.won_deals[i] if deals else results.conversions[i],
            results.revenue[i],
            results.gross_profit[i],
            results.cac[i],
            results.roi[i],
            results.payback_days[i],
        )
        for i in order[:limit]
    ]
    heading = " / ".join(results.by) if results.by else "campaign"
    return Table(
        title=title,
        columns=(
            heading,
            "spend",
            "leads",
            "won deals" if deals else "conversions",
            "revenue",
            "gross profit",
            "CAC",
            "ROI",
            "payback (days)",
        ),
        formats=("text", "money", "count", "number", "money", "money", "money", "share", "number"),
        rows=rows,
        function="crmkit.roi.campaign_results",
    )


def campaigns_analysis(
    per_campaign: CampaignResults, by_group: CampaignResults | None = None
) -> Analysis:
    """Which campaigns paid back: spend, funnel, revenue, ROI, CAC and payback."""
    t = per_campaign.totals
    main = by_group if by_group is not None else per_campaign
    labels = _labels(main)
    leads = f"{t.leads:,.0f} leads, " if math.isfinite(t.leads) else ""
    counted = (
        f"{t.won_deals:,.0f} won deals"
        if per_campaign.revenue_source == "won deals"
        else f"{t.conversions:,.1f} conversions ({per_campaign.revenue_source})"
    )
    headlines = [
        (
            f"{t.n_campaigns:,} campaigns spent {money(t.spend)} (budget {money(t.budget)}) for "
            f"{leads}{counted} and {money(t.gross_profit)} of gross profit: "
            f"ROI {_ratio(t.roi, 'share')}, "
            f"cost per conversion {_ratio(t.cac, 'money')}."
        ),
    ]
    finite = np.flatnonzero(np.isfinite(main.roi))
    if finite.size:
        best = int(finite[np.argmax(main.roi[finite])])
        worst = int(finite[np.argmin(main.roi[finite])])
        headlines.append(
            f"'{labels[best]}' returned the most (ROI {pct(float(main.roi[best]))} on "
            f"{money(float(main.spend[best]))}); '{labels[worst]}' the least (ROI "
            f"{pct(float(main.roi[worst]))} on {money(float(main.spend[worst]))})."
        )
    paid = np.flatnonzero(per_campaign.paid_back & (per_campaign.spend > 0))
    if paid.size:
        fastest = int(paid[np.argmin(per_campaign.payback_days[paid])])
        headlines.append(
            f"{paid.size:,} of {per_campaign.roi.size:,} campaigns paid back their spend; the "
            f"fastest, '{_labels(per_campaign)[fastest]}', in "
            f"{per_campaign.payback_days[fastest]:.0f} days."
        )
    else:
        headlines.append("No campaign has paid back its spend yet.")
    tables = []
    charts = []
    if by_group is not None:
        by = " and ".join(by_group.by)
        tables.append(_rows_table(by_group, title=f"Campaign results by {by}", limit=20))
        charts.append(
            ChartRequest(name="campaign_roi_chart", title=f"ROI by {by}", result=by_group)
        )
    tables.append(_rows_table(per_campaign, title="The campaigns with the highest ROI", limit=10))
    charts.append(
        ChartRequest(
            name="campaign_roi_chart",
            title="ROI per campaign (the best and the worst)",
            result=per_campaign,
            options={"top": 12},
        )
    )
    functions = ["crmkit.roi.campaign_results"]
    if per_campaign.model is not None:
        functions += ["crmkit.roi.touchpoint_paths", "crmkit.roi.attribution_credits"]
    shown: list[Column] = [(k, k, "text") for k in (main.by or ("campaign",))]
    shown += [
        ("spend", "spend", "money"),
        ("leads", "leads", "count"),
        ("conversions", "conversions", "number"),
        ("gross_profit", "gross profit", "money"),
        ("cac", "CAC", "money"),
        ("roi", "ROI", "share"),
        ("payback_days", "payback (days)", "number"),
    ]
    notes = []
    if not math.isfinite(t.leads):
        notes.append("Leads were not given: cost per lead and lead conversion are not known.")
    return Analysis(
        headlines=headlines,
        tables=tables,
        charts=charts,
        functions=functions,
        notes=notes,
        detail=Detail(
            title="Campaign results" + (f" by {' and '.join(main.by)}" if main.by else ""),
            columns=main.table(),
            shown=shown,
            result=main,
            rows=50,
        ),
    )


def lift_analysis(test: LiftTest) -> Analysis:
    """Say what hold-out groups show the campaigns caused: lift, its interval, its value."""
    n = int(test.campaign.size)
    level = pct(test.confidence)
    sig = int(np.count_nonzero(test.significant))
    headlines = [
        f"{sig:,} of {n:,} campaigns with a hold-out group beat it ({level} confidence, two-sided)."
    ]
    if n:
        i = int(np.argmax(test.incremental_responders))
        headlines.append(
            f"'{test.campaign[i]}': {pct(test.response_rate[i], 1)} of the contacted responded "
            f"against {pct(test.control_rate[i], 1)} of its hold-out group, a lift of "
            f"{100 * test.absolute_lift[i]:+.1f} points ({100 * test.ci_low[i]:+.1f} to "
            f"{100 * test.ci_high[i]:+.1f}); {test.incremental_responders[i]:,.0f} responses "
            "are incremental."
        )
    rows = [
        (
            test.campaign[i],
            test.treated[i],
            test.control[i],
            test.response_rate[i],
            test.control_rate[i],
            test.absolute_lift[i],
            test.ci_low[i],
            test.ci_high[i],
            f"{test.p_value[i]:.3f}" if test.p_value[i] >= 0.001 else "< 0.001",
            test.incremental_responders[i],
        )
        for i in np.argsort(-test.absolute_lift, kind="stable")
    ]
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title=f"Lift against the hold-out group ({level} interval)",
                columns=(
                    "campaign",
                    "contacted",
                    "held out",
                    "response",
                    "hold-out response",
                    "lift",
                    "low",
                    "high",
                    "p-value",
                    "incremental responses",
                ),
                formats=(
                    "text",
                    "count",
                    "count",
                    "share",
                    "share",
                    "share",
                    "share",
                    "share",
                    "text",
                    "number",
                ),
                rows=rows,
                function="crmkit.roi.lift_test",
            )
        ],
        charts=[ChartRequest(name="lift_chart", title="Lift with its interval", result=test)],
        functions=["crmkit.roi.lift_test"],
        notes=[f"Interval and test: {test.method}."],
        detail=Detail(
            title="Lift per campaign",
            columns=test.table(),
            shown=[
                ("campaign", "campaign", "text"),
                ("treated", "contacted", "count"),
                ("control", "held out", "count"),
                ("response_rate", "response", "share"),
                ("control_rate", "hold-out", "share"),
                ("absolute_lift", "lift", "share"),
                ("ci_low", "low", "share"),
                ("ci_high", "high", "share"),
                ("p_value", "p", "number"),
            ],
            result=test,
            rows=50,
        ),
    )


def attribution_analysis(comparison: AttributionComparison, paths: TouchpointPaths) -> Analysis:
    """How each attribution model shares the converted value out over the channels."""
    value = np.asarray(comparison.value, dtype=np.float64)
    totals = value.sum(axis=0)
    share = np.zeros_like(value)
    np.divide(value, totals[None, :], out=share, where=totals[None, :] > 0)
    channels = [str(c) for c in comparison.channel.tolist()]
    models = list(comparison.models)
    window = (
        f"within {paths.lookback_days:g} days before each conversion"
        if paths.lookback_days is not None
        else "at any time before each conversion"
    )
    headlines = [
        (
            f"{paths.n_conversions:,} conversions worth {money(paths.converted_value)} followed "
            f"{paths.n_touches:,} touches in {len(channels)} channels ({window}); "
            f"{paths.n_non_converting:,} "
            f"{'journey' if paths.n_non_converting == 1 else 'journeys'} did not convert."
        )
    ]
    if channels and models:
        spread = share.max(axis=1) - share.min(axis=1)
        i = int(np.argmax(spread))
        lo, hi = int(np.argmin(share[i])), int(np.argmax(share[i]))
        headlines.append(
            f"The models disagree most on {channels[i]}: {pct(float(share[i, lo]))} of the "
            f"credit under {models[lo]}, {pct(float(share[i, hi]))} under {models[hi]}."
        )
        for m, model in enumerate(models):
            if model.startswith(("Markov", "Shapley")):
                top = int(np.argmax(share[:, m]))
                headlines.append(
                    f"The data-driven {model}, which also learns from the journeys that do not "
                    f"convert, gives {channels[top]} the most: {pct(float(share[top, m]))} of "
                    "the value."
                )
                break
    notes = [
        (
            "Attribution shares conversions out; it does not measure what a channel caused: a "
            "hold-out group does (lift)."
        )
    ]
    left = [
        f"{n:,} {'touch' if n == 1 else 'touches'} {where}"
        for n, where in (
            (paths.n_touches_after_conversion, "after their conversion"),
            (paths.n_touches_outside_lookback, "before the lookback window"),
        )
        if n
    ]
    if left:
        notes.append(f"Left out of every path: {' and '.join(left)}.")
    n_out = paths.n_conversions_outside_lookback
    if n_out:
        notes.append(
            f"{n_out:,} {'conversion' if n_out == 1 else 'conversions'} "
            f"({money(paths.unattributed_value)}) had no touch in the window: no model "
            f"credits {'it' if n_out == 1 else 'them'}."
        )
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title="Share of the converted value credited to each channel, by model",
                columns=("channel", *models),
                formats=("text", *(("share",) * len(models))),
                rows=[(c, *share[k].tolist()) for k, c in enumerate(channels)],
                function="crmkit.roi.compare_attribution",
            )
        ],
        charts=[
            ChartRequest(
                name="attribution_chart", title="Attribution across models", result=comparison
            )
        ],
        functions=["crmkit.roi.touchpoint_paths", "crmkit.roi.compare_attribution"],
        notes=notes,
        detail=Detail(
            title="Value credited per channel and model",
            columns=comparison.table(),
            shown=[("channel", "channel", "text"), *((m, m, "money") for m in models)],
            result=comparison,
            rows=100,
        ),
    )
