"""``crmkit.report.build``: the seven views of customer analysis from crmkit's own results.

Presentation layer: every number comes from a public crmkit function, named in
the section it appears in; this module only chooses the calls, orders and cuts
their results for reading, and puts them in words.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np

from crmkit._transactions import Transactions, read_transactions
from crmkit._version import __version__
from crmkit.errors import FitError
from crmkit.funnel import (
    Opportunities,
    StageHistory,
    StageRates,
    fit_stage_rates,
    forecast_pipeline,
    lattice_forecast,
)
from crmkit.lifecycle import churn_by_period, classify_stages, cohort_retention, lifecycle_metrics
from crmkit.periods import Horizon
from crmkit.report._charts import ChartMaker
from crmkit.report._model import Chart, Report, Section, Table
from crmkit.roi import (
    CostColumn,
    CustomerPnL,
    MarginRate,
    customer_pnl,
    profit_by_segment,
    unprofitable_customers,
    whale_curve,
)
from crmkit.segmentation import (
    RFMSummary,
    Segments,
    abc_classes,
    assign_segments,
    cross_sell,
    gini,
    lorenz_curve,
    pareto_point,
    product_affinity,
    product_mix,
    rfm_scores,
    rfm_summary,
    segment_migration,
    segment_summary,
    top_share,
    value_tiers,
)

__all__ = ["SECTION_TITLES", "build"]

SECTION_TITLES: Mapping[str, str] = {
    "profiling": "Profiling",
    "persistency": "Persistency",
    "profitability": "Profitability",
    "performance": "Performance",
    "prospecting": "Prospecting",
    "product": "Product",
    "promotion": "Promotion",
}
"""The seven views of customer analysis, in the order the report shows them."""

_FN = "crmkit.report.build"
_MIGRATION_DAYS = 90
_CLV_PERIODS = 12  # calendar months from as_of
_MONTHLY_DISCOUNT = 0.01


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _day(t: object) -> str:
    return str(np.asarray(t).astype("datetime64[D]"))


class _Context:
    """What every section shares: the transactions, as_of, the RFM segments, the charts."""

    def __init__(self, tx: Transactions, as_of: object | None, charts: ChartMaker) -> None:
        self.tx = tx
        self.charts = charts
        self.summary: RFMSummary = rfm_summary(tx, unit="day", as_of=as_of)
        self.as_of = self.summary.as_of
        self.segments: Segments = assign_segments(rfm_scores(self.summary))


def _profiling(ctx: _Context) -> Section:
    summary, segments = ctx.summary, ctx.segments
    revenue = summary.monetary
    table = segment_summary(segments)
    curve = lorenz_curve(revenue)
    abc = abc_classes(revenue, customer=summary.customer)
    top20 = float(top_share(revenue, 0.2))
    point = pareto_point(revenue)
    order = np.argsort(-table.revenue_share, kind="stable")
    order = order[table.customers[order] > 0]
    best = int(order[0])
    first, last = summary.first_purchase.min(), summary.last_purchase.max()
    headlines = [
        (
            f"{ctx.tx.n_customers:,} customers, {ctx.tx.n_rows:,} orders between "
            f"{_day(first)} and {_day(last)}, {_money(float(revenue.sum()))} of revenue in total."
        ),
        f"The top 20 % of customers bring {_pct(top20)} of revenue; {point}.",
        (
            f"The '{table.segment[best]}' segment brings the most revenue: "
            f"{_pct(float(table.revenue_share[best]))} of it from "
            f"{_pct(float(table.customer_share[best]))} of customers."
        ),
        (
            f"Revenue concentration (Gini) is {gini(revenue):.2f} on a scale from 0 (everyone "
            "spends the same) to 1 (one customer brings everything)."
        ),
    ]
    seg_rows = [
        (
            table.segment[i],
            table.customers[i],
            table.customer_share[i],
            table.revenue_share[i],
            table.mean_recency[i],
            table.mean_frequency[i],
            table.mean_monetary[i],
        )
        for i in order
    ]
    abc_rows = [(label, abc.customers[label], abc.value_share[label]) for label in abc.labels]
    notes = []
    if summary.n_rows_not_purchases:
        notes.append(
            f"{summary.n_rows_not_purchases:,} rows with an amount of zero or less (refunds) "
            "are netted into revenue but not counted as purchases."
        )
    if summary.n_rows_after_as_of:
        notes.append(f"{summary.n_rows_after_as_of:,} rows at or after as_of are left out.")
    if summary.n_customers_without_purchase:
        notes.append(
            f"{summary.n_customers_without_purchase:,} customers have no purchase of a positive "
            "amount and are not scored."
        )
    return Section(
        key="profiling",
        title=SECTION_TITLES["profiling"],
        question="Who are the customers, and how concentrated is their value?",
        headlines=headlines,
        tables=[
            Table(
                title="RFM segments, by revenue share",
                columns=(
                    "segment",
                    "customers",
                    "share of customers",
                    "share of revenue",
                    "mean recency (days)",
                    "mean purchases",
                    "mean revenue",
                ),
                formats=("text", "count", "share", "share", "number", "number", "money"),
                rows=seg_rows,
                function="crmkit.segmentation.segment_summary",
            ),
            Table(
                title="ABC classes of customer revenue (80 % / 95 %)",
                columns=("class", "customers", "share of revenue"),
                formats=("text", "count", "share"),
                rows=abc_rows,
                function="crmkit.segmentation.abc_classes",
            ),
        ],
        charts=[
            ctx.charts.chart("segment_map", "RFM segment map", segments),
            ctx.charts.chart(
                "rfm_heatmap", "Customers per recency and frequency score", segments.scores
            ),
            ctx.charts.chart("segment_bars", "Customers and revenue per segment", table),
            ctx.charts.chart("lorenz_chart", "Concentration of revenue (Lorenz curve)", curve),
            ctx.charts.chart("abc_chart", "ABC classes", abc),
        ],
        functions=[
            "crmkit.segmentation.rfm_summary",
            "crmkit.segmentation.rfm_scores",
            "crmkit.segmentation.assign_segments",
            "crmkit.segmentation.segment_summary",
            "crmkit.segmentation.top_share",
            "crmkit.segmentation.pareto_point",
            "crmkit.segmentation.gini",
            "crmkit.segmentation.lorenz_curve",
            "crmkit.segmentation.abc_classes",
        ],
        notes=notes,
        docs="segmentation",
    )


def _persistency(ctx: _Context) -> Section:
    tx, as_of = ctx.tx, ctx.as_of
    stages = classify_stages(lifecycle_metrics(tx, as_of=as_of, window_days=90))
    cohorts = cohort_retention(tx, frequency="month", as_of=as_of)
    churn = churn_by_period(tx, frequency="month", as_of=as_of)
    total = sum(stages.stage_counts.values())
    ranked = sorted(stages.stage_counts.items(), key=lambda kv: -kv[1])
    headlines = [
        "Relationship stages by buying behaviour: "
        + ", ".join(f"{stage.replace('_', ' ')} {_pct(n / total)}" for stage, n in ranked if n)
        + " of customers."
    ]
    if churn.period.size:
        last = churn.period.size - 1
        headlines.append(
            f"In {churn.period[last]}, {churn.active[last]:,} customers bought "
            f"({churn.new[last]:,} of them for the first time); "
            f"{_pct(float(churn.churn_rate[last]))} of the previous month's buyers did not "
            "come back."
        )
    month3 = np.flatnonzero(cohorts.periods_since == 3)
    observable = cohorts.observable[:, month3[0]] if month3.size else np.zeros(0, dtype=bool)
    if observable.any():
        seen = np.flatnonzero(observable)
        i = int(seen[np.argmax(cohorts.size[seen])])
        headlines.append(
            f"Of the {cohorts.size[i]:,} customers who first bought in {cohorts.cohort[i]}, "
            f"{_pct(float(cohorts.retention[i, month3[0]]))} bought again in their third "
            "month after it."
        )
    n_periods = min(7, cohorts.periods_since.size)
    shown = np.arange(cohorts.cohort.size)[-12:]
    cohort_rows = [
        (
            cohorts.cohort[i],
            cohorts.size[i],
            *tuple(
                float(cohorts.retention[i, j]) if cohorts.observable[i, j] else None
                for j in range(n_periods)
            ),
        )
        for i in shown
    ]
    charts = [
        ctx.charts.chart("cohort_heatmap", "Cohort retention", cohorts),
        ctx.charts.chart("retention_curves", "Retention curves per cohort", cohorts),
        ctx.charts.chart("churn_chart", "Buyers, newcomers and churn per month", churn),
    ]
    functions = [
        "crmkit.lifecycle.lifecycle_metrics",
        "crmkit.lifecycle.classify_stages",
        "crmkit.lifecycle.cohort_retention",
        "crmkit.lifecycle.churn_by_period",
    ]
    tables = [
        Table(
            title="Relationship stages",
            columns=("stage", "customers", "share"),
            formats=("text", "count", "share"),
            rows=[(stage, n, n / total) for stage, n in ranked],
            function="crmkit.lifecycle.classify_stages",
        ),
        Table(
            title="Cohort retention (share of a cohort buying n months after its first month)",
            columns=("cohort", "customers", *(f"month {j}" for j in range(n_periods))),
            formats=("text", "count", *(("share",) * n_periods)),
            rows=cohort_rows,
            function="crmkit.lifecycle.cohort_retention",
        ),
    ]
    notes = []
    earlier = as_of - np.timedelta64(_MIGRATION_DAYS, "D")
    if ctx.summary.first_purchase.min() < earlier:
        before = assign_segments(rfm_scores(rfm_summary(tx, unit="day", as_of=earlier)))
        after = assign_segments(
            rfm_scores(ctx.summary, method="thresholds", edges=cast("Any", before.scores.edges))
        )
        migration = segment_migration(before, after)
        flows = [
            (migration.from_segment[i], migration.to_segment[i], migration.customers[i])
            for i in np.argsort(-migration.customers, kind="stable")
            if migration.from_segment[i] != migration.to_segment[i] and migration.customers[i]
        ][:8]
        headlines.append(
            f"Over the last {_MIGRATION_DAYS} days the largest segment move was "
            f"{flows[0][2]:,} customers from '{flows[0][0]}' to '{flows[0][1]}'."
            if flows
            else f"No customer changed RFM segment over the last {_MIGRATION_DAYS} days."
        )
        tables.append(
            Table(
                title=f"Largest segment moves over the last {_MIGRATION_DAYS} days",
                columns=("from", "to", "customers"),
                formats=("text", "text", "count"),
                rows=flows,
                function="crmkit.segmentation.segment_migration",
            )
        )
        charts.append(ctx.charts.chart("migration_heatmap", "Segment migration", migration))
        functions.append("crmkit.segmentation.segment_migration")
    else:
        notes.append(
            f"Segment migration needs more than {_MIGRATION_DAYS} days of history before as_of."
        )
    return Section(
        key="persistency",
        title=SECTION_TITLES["persistency"],
        question="How loyal are the customers, and where are they in their lifecycle?",
        headlines=headlines,
        tables=tables,
        charts=charts,
        functions=functions,
        notes=notes,
        docs="lifecycle",
    )


def _profitability(ctx: _Context, pnl: CustomerPnL) -> Section:
    whale = whale_curve(pnl)
    worst = unprofitable_customers(pnl)
    tiers = value_tiers(pnl.revenue, customer=pnl.customer)
    by_tier = profit_by_segment(pnl, segment=tiers.tier, segment_customer=tiers.customer)
    by_segment = profit_by_segment(
        pnl, segment=ctx.segments.segment, segment_customer=ctx.segments.customer
    )
    headlines = [
        (
            f"Customers brought {_money(float(pnl.revenue.sum()))} of revenue, "
            f"{_money(float(pnl.gross_margin.sum()))} of gross margin and "
            f"{_money(whale.total_profit)} of profit after "
            f"{_money(float(pnl.cost_to_serve.sum()))} "
            "of cost to serve."
        ),
        (
            f"The most profitable {_pct(whale.peak_share_of_customers)} of customers earn "
            f"{_pct(whale.peak_share_of_total)} of the total profit; the other "
            f"{whale.n_unprofitable:,} unprofitable customers give back "
            f"{_money(whale.tail_give_back)}."
        ),
    ]
    if worst.n_customers and worst.main_cost_driver.size:
        drivers, counts = np.unique(worst.main_cost_driver, return_counts=True)
        top = int(np.argmax(counts))
        headlines.append(
            f"The main cost driver of the most unprofitable customers is {drivers[top]} "
            f"({counts[top]:,} of {worst.main_cost_driver.size:,})."
        )
    pyramid = [
        (
            by_tier.segment[i],
            by_tier.n_customers[i],
            by_tier.revenue[i],
            by_tier.profit[i],
            by_tier.n_unprofitable[i],
        )
        for i in np.argsort(-by_tier.revenue, kind="stable")
    ]
    top_loss = [
        (
            worst.customer[i],
            worst.revenue[i],
            worst.cost_to_serve[i],
            worst.profit[i],
            worst.main_cost_driver[i],
        )
        for i in range(min(8, worst.customer.size))
    ]
    return Section(
        key="profitability",
        title=SECTION_TITLES["profitability"],
        question="Which customers make money, and which cost more than they bring?",
        headlines=headlines,
        tables=[
            Table(
                title="Profit by tier of the customer pyramid",
                columns=("tier", "customers", "revenue", "profit", "unprofitable"),
                formats=("text", "count", "money", "money", "count"),
                rows=pyramid,
                function="crmkit.roi.profit_by_segment",
            ),
            Table(
                title="The most unprofitable customers and their main cost driver",
                columns=("customer", "revenue", "cost to serve", "profit", "main cost driver"),
                formats=("text", "money", "money", "money", "text"),
                rows=top_loss,
                function="crmkit.roi.unprofitable_customers",
            ),
        ],
        charts=[
            ctx.charts.chart("whale_chart", "Whale curve of cumulative profit", whale),
            ctx.charts.chart("customer_pyramid", "Customer pyramid", tiers),
            ctx.charts.chart("segment_profit_chart", "Profit per RFM segment", by_segment),
            ctx.charts.chart("pnl_waterfall", "From revenue to profit", pnl),
        ],
        functions=[
            "crmkit.roi.customer_pnl",
            "crmkit.roi.whale_curve",
            "crmkit.roi.unprofitable_customers",
            "crmkit.segmentation.value_tiers",
            "crmkit.roi.profit_by_segment",
        ],
        notes=[],
        docs="roi",
    )


def _performance(
    ctx: _Context,
    *,
    opportunities: Opportunities,
    history: StageHistory | None,
    quotas: object | None,
    by: Sequence[str],
    as_of: object | None,
) -> Section:
    anchor = ctx.as_of if as_of is None else as_of
    rates: StageRates | None = fit_stage_rates(history) if history is not None else None
    probabilities: Any = rates if rates is not None else "configured"
    month = Horizon.next_periods(anchor, "month", 1, include_current=True)
    quarter = Horizon.next_periods(anchor, "quarter", 1, include_current=True)
    periods = [month, quarter]
    weighted = forecast_pipeline(
        opportunities,
        period=periods,
        probabilities=probabilities,
        by=by,
        quotas=quotas,
        as_of=anchor,
    )
    spread = lattice_forecast(
        opportunities, period=periods, probabilities=probabilities, by=by, quotas=quotas
    )
    source = (
        f"win rates calibrated on {rates.n_closed:,} closed deals"
        if rates is not None
        else "the sales process's configured stage probabilities"
    )
    headlines = [
        f"{opportunities.n_open:,} open deals, forecast with {source}.",
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
                f"{weighted.period[i]}: weighted forecast {_money(float(weighted.weighted[i]))} "
                f"from {_money(float(weighted.pipeline[i]))} of open pipeline; 80 % of outcomes "
                f"fall between {_money(float(spread.p10[i]))} and "
                f"{_money(float(spread.p90[i]))}."
            )
    tables = [
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
    ]
    charts = [ctx.charts.chart("forecast_fan", "Forecast and its spread", spread)]
    functions = [
        "crmkit.periods.Horizon.next_periods",
        "crmkit.funnel.forecast_pipeline",
        "crmkit.funnel.lattice_forecast",
    ]
    if quotas is not None:
        charts.append(ctx.charts.chart("quota_chart", "Chance of reaching quota", spread))
    if rates is not None:
        functions.insert(0, "crmkit.funnel.fit_stage_rates")
        process = opportunities.process
        tables.append(
            Table(
                title="Win rate from each stage: configured and calibrated (90 % interval)",
                columns=("stage", "deals reached", "configured", "calibrated", "low", "high"),
                formats=("text", "count", "share", "share", "share", "share"),
                rows=[
                    (
                        rates.stage[i],
                        rates.n_reached[i],
                        process.stages[i].probability,
                        rates.win_rate[i],
                        rates.lower[i],
                        rates.upper[i],
                    )
                    for i in range(rates.stage.size)
                ],
                function="crmkit.funnel.fit_stage_rates",
            )
        )
        charts.append(ctx.charts.chart("funnel_chart", "Stage conversion", rates))
        charts.append(
            ctx.charts.chart("calibration_chart", "Configured vs calibrated win rates", rates)
        )
    notes = []
    if weighted.n_overdue:
        notes.append(
            f"{weighted.n_overdue:,} open deals ({_money(weighted.overdue_amount)}) are past "
            "their expected close date: they count in the current period."
        )
    notes.append(
        "Purchase trends per segment are not in the report yet (no crmkit function gives "
        "revenue per period and segment)."
    )
    return Section(
        key="performance",
        title=SECTION_TITLES["performance"],
        question="What will we sign next month and next quarter, and how sure are we?",
        headlines=headlines,
        tables=tables,
        charts=charts,
        functions=functions,
        notes=notes,
        docs="funnel",
    )


def _prospecting(ctx: _Context) -> Section:
    from crmkit.roi import (  # noqa: PLC0415
        CalendarPeriods,
        alive_matrix,
        customer_clv,
        fit_bgnbd,
        fit_gamma_gamma,
        repeat_purchase_histogram,
    )
    from crmkit.segmentation import Quantile, btyd_summary, value_potential_matrix  # noqa: PLC0415

    summary = btyd_summary(ctx.tx, freq="week", as_of=ctx.as_of)
    purchases = fit_bgnbd(summary)
    keep = (summary.frequency == 0) | (summary.monetary_value > 0)
    buyers = {name: column[keep] for name, column in summary.table().items()}
    spend = fit_gamma_gamma(buyers)
    clv = customer_clv(
        purchases,
        spend,
        buyers,
        periods=_CLV_PERIODS,
        calendar=CalendarPeriods(as_of=ctx.as_of, freq="month", time_unit="week"),
        discount_rate=_MONTHLY_DISCOUNT,
    )
    ranked = np.argsort(-clv.clv, kind="stable")
    n_top = max(1, clv.clv.size // 10)
    positive = float(clv.clv[clv.clv > 0].sum())
    headlines = [
        (
            f"The customers are expected to bring {_money(clv.total_clv)} over the next "
            f"{_CLV_PERIODS} months (discounted at {_MONTHLY_DISCOUNT:.0%} a month)."
        ),
        (
            f"The top 10 % of customers by lifetime value hold "
            f"{_pct(float(clv.clv[ranked[:n_top]].sum()) / positive if positive else 0.0)} "
            "of it."
        ),
        (
            f"{_pct(float(np.mean(clv.p_alive > 0.5)))} of customers are more likely alive than "
            "not (probability alive above 50 %)."
        ),
    ]
    notes = []
    for name, fit in (("BG/NBD", purchases), ("Gamma-Gamma", spend)):
        diag = fit.diagnostics
        if diag.degenerate:
            notes.append(
                f"The {name} fit is degenerate, so its values are not estimates: {diag.summary()}."
            )
        elif not diag.converged or diag.warnings:
            said = "; ".join(diag.warnings) or diag.optimizer_message
            notes.append(f"The {name} fit should be read with care: {said}.")
    if spend.independence is not None and not spend.independence.plausible:
        notes.append(
            "Spend per purchase is correlated with purchase frequency "
            f"({spend.independence.correlation:.2f}): Gamma-Gamma assumes it is not."
        )
    excluded = int(np.count_nonzero(~keep))
    if excluded:
        notes.append(
            f"{excluded:,} customers whose repeat purchases net to zero or less (returned "
            "everything) are left out of lifetime value."
        )
    charts = [
        ctx.charts.chart("clv_histogram", "Distribution of lifetime value", clv),
        ctx.charts.chart(
            "frequency_recency_heatmap",
            "Probability alive by frequency and recency",
            alive_matrix(purchases, summary),
        ),
        ctx.charts.chart(
            "repeat_purchase_chart",
            "Repeat purchases: the model against the data",
            repeat_purchase_histogram(purchases, summary),
        ),
    ]
    functions = [
        "crmkit.segmentation.btyd_summary",
        "crmkit.roi.fit_bgnbd",
        "crmkit.roi.fit_gamma_gamma",
        "crmkit.roi.customer_clv",
        "crmkit.roi.alive_matrix",
        "crmkit.roi.repeat_purchase_histogram",
    ]
    where = np.searchsorted(ctx.summary.customer, clv.customer)
    if np.array_equal(
        ctx.summary.customer[np.minimum(where, ctx.summary.customer.size - 1)], clv.customer
    ):
        matrix = value_potential_matrix(
            ctx.summary.monetary[where],
            clv.clv,
            current_threshold=Quantile(0.8),
            potential_threshold=Quantile(0.8),
            customer=clv.customer,
        )
        counts = matrix.customers
        headlines.append(
            f"By value so far and value to come (top 20 % of each): {counts['core']:,} core "
            f"customers to keep, {counts['grow']:,} to grow, {counts['maintain']:,} to "
            "maintain."
        )
        charts.append(
            ctx.charts.chart("value_potential_chart", "Value so far and value to come", matrix)
        )
        functions.append("crmkit.segmentation.value_potential_matrix")
    params = ", ".join(f"{k} = {v:.3g}" for k, v in purchases.params.items())
    top_rows = [
        (
            clv.customer[i],
            clv.p_alive[i],
            clv.expected_purchases[i],
            clv.value_per_purchase[i],
            clv.clv[i],
        )
        for i in ranked[:10]
    ]
    return Section(
        key="prospecting",
        title=SECTION_TITLES["prospecting"],
        question="What are the customers worth from here on, and who is still with us?",
        headlines=[*headlines, f"BG/NBD parameters: {params}."],
        tables=[
            Table(
                title=f"Highest expected value over the next {_CLV_PERIODS} months",
                columns=(
                    "customer",
                    "P(alive)",
                    "expected purchases",
                    "value per purchase",
                    "lifetime value",
                ),
                formats=("text", "share", "number", "money", "money"),
                rows=top_rows,
                function="crmkit.roi.customer_clv",
            )
        ],
        charts=charts,
        functions=functions,
        notes=notes,
        docs="roi",
    )


def _product(ctx: _Context, product: str) -> Section:
    mix = product_mix(ctx.tx, product=product, segments=ctx.segments)
    affinity = product_affinity(ctx.tx, product=product, min_support=0.01)
    offers = cross_sell(ctx.tx, ctx.segments, n=3, product=product)
    share = np.asarray(mix.segment_share)
    names = list(mix.segment_names)
    products = [str(p) for p in mix.products]
    headlines = [f"{len(products)} products bought by {mix.customers.size:,} customers."]
    by_lift = np.argsort(-affinity.lift, kind="stable")
    if by_lift.size:
        i = int(by_lift[0])
        headlines.append(
            f"Customers who buy {affinity.antecedent[i]} are {affinity.lift[i]:.1f} times as "
            f"likely as others to buy {affinity.consequent[i]} "
            f"({_pct(float(affinity.confidence[i]))} of them do)."
        )
    first_offer = np.flatnonzero(offers.rank == 1)
    if first_offer.size:
        offered, counts = np.unique(offers.product[first_offer], return_counts=True)
        top = int(np.argmax(counts))
        headlines.append(
            f"The most frequent next offer is {offered[top]}, the first cross-sell "
            f"suggestion for {counts[top]:,} customers."
        )
    return Section(
        key="product",
        title=SECTION_TITLES["product"],
        question="What do customers buy, and what should we offer them next?",
        headlines=headlines,
        tables=[
            Table(
                title="Share of each segment's revenue by product",
                columns=("segment", *products),
                formats=("text", *(("share",) * len(products))),
                rows=[(names[s], *share[s].tolist()) for s in range(len(names))],
                function="crmkit.segmentation.product_mix",
            ),
            Table(
                title="Strongest product affinities (bought by at least 1 % of customers)",
                columns=("who buy", "also buy", "customers", "confidence", "lift"),
                formats=("text", "text", "count", "share", "number"),
                rows=[
                    (
                        affinity.antecedent[i],
                        affinity.consequent[i],
                        affinity.customers_both[i],
                        affinity.confidence[i],
                        affinity.lift[i],
                    )
                    for i in by_lift[:8]
                ],
                function="crmkit.segmentation.product_affinity",
            ),
        ],
        charts=[],
        functions=[
            "crmkit.segmentation.product_mix",
            "crmkit.segmentation.product_affinity",
            "crmkit.segmentation.cross_sell",
        ],
        notes=[],
        docs="segmentation",
    )


def _promotion_missing() -> str:
    return (
        "campaign ROI, lift and attribution are not in this crmkit version yet "
        "(the crmkit.roi campaign functions)"
    )


def _extras(product: str | None, margin: CostColumn | MarginRate | None) -> list[str]:
    names = [product] if product is not None else []
    if isinstance(margin, MarginRate) and margin.by is not None:
        names.append(margin.by)
    if isinstance(margin, CostColumn):
        names.append(margin.column)
    return list(dict.fromkeys(names))


def build(
    transactions: object,
    *,
    as_of: object | None = None,
    product: str | None = None,
    margin: CostColumn | MarginRate | None = None,
    activities: object | None = None,
    unit_costs: Mapping[str, float] | None = None,
    activity_customer: str = "customer",
    opportunities: Opportunities | None = None,
    history: StageHistory | None = None,
    quotas: object | None = None,
    by: Sequence[str] = (),
    charts: bool = True,
    title: str = "Customer analysis",
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> Report:
    """Build the 7P customer-analysis report from transactions and whatever else is known.

    The seven views of customer analysis used in CRM practice, each computed
    by crmkit's own functions (named in the section): Profiling (who the
    customers are: segments, concentration, 80/20), Persistency (lifecycle
    stages, migration, cohort retention), Profitability (P&L, whale curve,
    pyramid, customers to fix), Performance (pipeline forecast with its
    spread), Prospecting (lifetime value, probability alive), Product (mix and
    cross-sell) and Promotion (campaigns). A section whose input was not
    given is left out and listed in :attr:`Report.not_computed` with what to
    give.

    Parameters
    ----------
    transactions : Transactions, DataFrame, mapping of columns or records
        The purchases (``customer``, ``timestamp``, ``amount``; refunds
        negative). Needed by every section.
    as_of : date-like, optional
        End of observation (exclusive); default midnight after the last
        purchase. The pipeline forecast starts from it too.
    product : str, optional
        The product (or category) column of the transactions; adds Product.
    margin : CostColumn or MarginRate, optional
        How gross margin is found; with it, Profitability is computed (cost
        to serve from *activities* and *unit_costs* when given).
    activities : DataFrame or mapping of columns, optional
        Activity counts per customer, as :func:`crmkit.roi.customer_pnl` takes them.
    unit_costs : mapping of str to float, optional
        Cost of one unit of each activity; required with *activities*.
    activity_customer : str
        The customer column of *activities*.
    opportunities : Opportunities, optional
        The sales pipeline; adds Performance.
    history : StageHistory, optional
        Stage histories of past deals: the forecast then uses calibrated win
        rates (:func:`crmkit.funnel.fit_stage_rates`) instead of the
        configured ones.
    quotas : DataFrame or mapping of columns, optional
        Quotas per period (and *by* group), as :func:`crmkit.funnel.forecast_pipeline` takes them.
    by : sequence of str
        Opportunity dimensions to forecast per (e.g. ``["region"]``).
    charts : bool, default True
        Draw the charts with :mod:`crmkit.plot` (needs the ``plot`` extra);
        False leaves the chart slots empty, saying so.
    title : str
        The page title.
    customer, timestamp, amount : str
        Column names of the transactions, when they are a table.
    date_format : str, optional
        strftime layout of the transaction dates when they are not ISO-8601.

    Returns
    -------
    Report
        The sections computed, the ones left out and why.

    Raises
    ------
    InputError
        For bad input, from the crmkit function that reads it.

    Notes
    -----
    Prospecting needs scipy (the ``models`` extra); without it, or when the
    BG/NBD fit fails, it is listed as not computed with the reason. Promotion
    is not computed yet: the campaign functions are not in this version.

    References
    ----------
    Buttle, F., & Maklan, S. (2019). *Customer Relationship Management:
    Concepts and Technologies* (4th ed.), ch. 6-7 (analytical CRM). Routledge.

    Examples
    --------
    A shop's orders, with a margin of 30 %:

    >>> from crmkit.datasets import simulate_transactions
    >>> from crmkit.report import build
    >>> from crmkit.roi import MarginRate
    >>> orders = simulate_transactions(500, "2023-01-01", "2025-01-01", seed=3)
    >>> report = build(orders, margin=MarginRate(rate=0.3), product="product", charts=False)
    >>> [s.title for s in report.sections]
    ['Profiling', 'Persistency', 'Profitability', 'Prospecting', 'Product']
    >>> report.not_computed["Performance"]
    'give opportunities (crmkit report --opportunities FILE) to add Performance'
    >>> report.section("profiling").headlines[1]  # doctest: +ELLIPSIS
    'The top 20 % of customers bring ... % of revenue; the top ...% of customers bring ...'
    """
    tx = read_transactions(
        transactions,
        function=_FN,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        extra=_extras(product, margin),
        date_format=date_format,
        data_name="transactions",
    )
    ctx = _Context(tx, as_of, ChartMaker(enabled=charts))
    sections: dict[str, Section] = {
        "profiling": _profiling(ctx),
        "persistency": _persistency(ctx),
    }
    missing: dict[str, str] = {}
    if margin is not None:
        pnl = customer_pnl(
            tx,
            margin=margin,
            activities=activities,
            unit_costs=unit_costs,
            activity_customer=activity_customer,
        )
        sections["profitability"] = _profitability(ctx, pnl)
    else:
        missing["Profitability"] = (
            "give a margin (crmkit report --margin RATE or --cogs COLUMN, with --costs FILE "
            "for cost to serve) to add Profitability"
        )
    if opportunities is not None:
        sections["performance"] = _performance(
            ctx, opportunities=opportunities, history=history, quotas=quotas, by=by, as_of=as_of
        )
    else:
        missing["Performance"] = (
            "give opportunities (crmkit report --opportunities FILE) to add Performance"
        )
    if importlib.util.find_spec("scipy") is None:
        missing["Prospecting"] = (
            'needs scipy for the lifetime-value models: pip install "crmkit[models]"'
        )
    else:
        try:
            sections["prospecting"] = _prospecting(ctx)
        except FitError as err:
            missing["Prospecting"] = f"the lifetime-value model could not be fitted: {err}"
    if product is not None:
        sections["product"] = _product(ctx, product)
    else:
        missing["Product"] = (
            "give the product column (crmkit report --product COLUMN) to add Product"
        )
    missing["Promotion"] = _promotion_missing()
    ordered = [sections[key] for key in SECTION_TITLES if key in sections]
    inputs = {
        "transactions": f"{tx.n_rows:,} rows, {tx.n_customers:,} customers",
    }
    if opportunities is not None:
        inputs["opportunities"] = f"{opportunities.n_rows:,} deals, {opportunities.n_open:,} open"
    if history is not None:
        inputs["stage history"] = f"{history.n_rows:,} rows, {history.n_opportunities:,} deals"
    return Report(
        title=title,
        as_of=ctx.as_of,
        as_of_is_default=ctx.summary.as_of_is_default,
        inputs=inputs,
        sections=ordered,
        not_computed={
            k: missing[k] for k in (SECTION_TITLES[s] for s in SECTION_TITLES) if k in missing
        },
        crmkit_version=__version__,
    )


def _chart_slots(report: Report) -> list[Chart]:
    """Every chart slot of *report*, section by section (for tests and summaries)."""
    return [chart for section in report.sections for chart in section.charts]
