"""Who the customers are: RFM scores, named segments, concentration, trends per segment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crmkit.periods import FrequencyLike
from crmkit.report._analyses._base import Analysis, ChartRequest, Detail, money, pct
from crmkit.report._model import Table
from crmkit.segmentation import (
    RFMScores,
    RFMSummary,
    Segments,
    abc_classes,
    gini,
    lorenz_curve,
    pareto_point,
    segment_summary,
    segment_trends,
    top_share,
)

__all__ = [
    "concentration_analysis",
    "rfm_analysis",
    "segments_analysis",
    "summary_notes",
    "trends_analysis",
]


def summary_notes(summary: RFMSummary) -> list[str]:
    """Say what an RFM summary left out or netted, in words."""
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
    return notes


def rfm_analysis(summary: RFMSummary, scores: RFMScores, *, source: str) -> Analysis:
    """Recency, frequency and monetary value per customer, with their scores."""
    unit = summary.unit.value
    return Analysis(
        headlines=[f"{summary.customer.size:,} customers from {source}; scores 1 to {scores.k}."],
        functions=["crmkit.segmentation.rfm_summary", "crmkit.segmentation.rfm_scores"],
        detail=Detail(
            title="RFM per customer",
            columns={**summary.table(), **scores.table()},
            shown=[
                ("customer", "customer", "text"),
                ("recency", f"recency ({unit}s)", "number"),
                ("frequency", "frequency", "count"),
                ("monetary", "monetary", "money"),
                ("recency_score", "R", "count"),
                ("frequency_score", "F", "count"),
                ("monetary_score", "M", "count"),
                ("cell", "cell", "text"),
            ],
            result=scores,
        ),
    )


def segments_analysis(segments: Segments) -> Analysis:
    """Named RFM segments: which brings the most revenue, the segment table, the maps."""
    table = segment_summary(segments)
    order = np.argsort(-table.revenue_share, kind="stable")
    order = order[table.customers[order] > 0]
    best = int(order[0])
    rows = [
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
    return Analysis(
        headlines=[
            (
                f"The '{table.segment[best]}' segment brings the most revenue: "
                f"{pct(float(table.revenue_share[best]))} of it from "
                f"{pct(float(table.customer_share[best]))} of customers."
            )
        ],
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
                rows=rows,
                function="crmkit.segmentation.segment_summary",
            )
        ],
        charts=[
            ChartRequest(name="segment_map", title="RFM segment map", result=segments),
            ChartRequest(
                name="rfm_heatmap",
                title="Customers per recency and frequency score",
                result=segments.scores,
            ),
            ChartRequest(
                name="segment_bars", title="Customers and revenue per segment", result=table
            ),
        ],
        functions=[
            "crmkit.segmentation.rfm_summary",
            "crmkit.segmentation.rfm_scores",
            "crmkit.segmentation.assign_segments",
            "crmkit.segmentation.segment_summary",
        ],
        detail=Detail(
            title="Segment per customer",
            columns={**segments.scores.table(), "segment": segments.segment},
            shown=[
                ("customer", "customer", "text"),
                ("segment", "segment", "text"),
                ("recency_score", "R", "count"),
                ("frequency_score", "F", "count"),
                ("monetary_score", "M", "count"),
            ],
            result=segments,
        ),
    )


def concentration_analysis(
    summary: RFMSummary, *, thresholds: Sequence[float] = (0.8, 0.95)
) -> Analysis:
    """Revenue concentration: the top shares, the 80/20 point, Gini and ABC classes."""
    revenue = summary.monetary
    a, b = (float(t) for t in thresholds)
    abc = abc_classes(revenue, thresholds=(a, b), customer=summary.customer)
    top1, top10, top20 = (float(top_share(revenue, p)) for p in (0.01, 0.1, 0.2))
    return Analysis(
        headlines=[
            f"The top 20 % of customers bring {pct(top20)} of revenue; {pareto_point(revenue)}.",
            f"The top 1 % bring {pct(top1)} of revenue and the top 10 % {pct(top10)}.",
            (
                f"Revenue concentration (Gini) is {gini(revenue):.2f} on a scale from 0 "
                "(everyone spends the same) to 1 (one customer brings everything)."
            ),
        ],
        tables=[
            Table(
                title=f"ABC classes of customer revenue ({pct(a)} / {pct(b)})",
                columns=("class", "customers", "share of revenue"),
                formats=("text", "count", "share"),
                rows=[(k, abc.customers[k], abc.value_share[k]) for k in abc.labels],
                function="crmkit.segmentation.abc_classes",
            )
        ],
        charts=[
            ChartRequest(
                name="lorenz_chart",
                title="Concentration of revenue (Lorenz curve)",
                result=lorenz_curve(revenue),
            ),
            ChartRequest(name="abc_chart", title="ABC classes", result=abc),
        ],
        functions=[
            "crmkit.segmentation.top_share",
            "crmkit.segmentation.pareto_point",
            "crmkit.segmentation.gini",
            "crmkit.segmentation.lorenz_curve",
            "crmkit.segmentation.abc_classes",
        ],
        detail=Detail(
            title="ABC class per customer",
            columns=abc.table(),
            shown=[
                ("customer", "customer", "text"),
                ("value", "revenue", "money"),
                ("abc_class", "class", "text"),
            ],
            result=abc,
        ),
    )


def trends_analysis(
    transactions: object, segments: Segments, *, freq: FrequencyLike, as_of: object
) -> Analysis:
    """Purchase trends per segment: revenue per period, who grew and who shrank."""
    trends = segment_trends(transactions, segments, freq=freq, as_of=as_of)
    revenue = trends.matrix("revenue")
    names = list(trends.segment_names)
    noun = trends.freq.value.replace("_", " ")
    complete = revenue if trends.last_period_complete else revenue[:-1]
    headlines = []
    notes = []
    if complete.shape[0] >= 2:
        first, last = complete[0].sum(), complete[-1].sum()
        change = (last - first) / abs(first) if first else float("nan")
        said = f"{change:+.0%}".replace("%", " %") if np.isfinite(change) else "from nothing"
        headlines.append(
            f"Revenue per {noun} went from {money(float(first))} in {trends.periods[0]} to "
            f"{money(float(last))} in {trends.periods[complete.shape[0] - 1]} ({said})."
        )
        delta = complete[-1] - complete[0]
        up, down = int(np.argmax(delta)), int(np.argmin(delta))
        if delta[up] > 0:
            headlines.append(
                f"'{names[up]}' grew the most, by {money(float(delta[up]))} a {noun}; "
                + (
                    f"'{names[down]}' shrank the most, by {money(float(-delta[down]))}."
                    if delta[down] < 0
                    else "no segment shrank."
                )
            )
    if not trends.last_period_complete:
        notes.append(
            f"The last {noun} ({trends.periods[-1]}) ends after as_of: its figures cover only "
            "part of it."
        )
    if trends.n_customers_unsegmented:
        notes.append(
            f"{trends.n_customers_unsegmented:,} customers without a segment bring "
            f"{money(float(trends.unsegmented_revenue.sum()))} of revenue, not in the trends."
        )
    shown = np.arange(trends.periods.size)[-8:]
    orders, active = trends.matrix("orders"), trends.matrix("customers")
    # a column per segment that bought in the periods shown (the others are all zeros)
    bought = [j for j in range(len(names)) if np.any(revenue[shown, j] != 0)]
    rows = [
        (
            trends.periods[i],
            float(revenue[i].sum()),
            int(orders[i].sum()),
            int(active[i].sum()),
            *(float(revenue[i, j]) for j in bought),
        )
        for i in shown
    ]
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title=f"Revenue per {noun} and segment (the last {shown.size})",
                columns=(
                    noun,
                    "revenue",
                    "orders",
                    "active customers",
                    *(names[j] for j in bought),
                ),
                formats=("text", "money", "count", "count", *(("money",) * len(bought))),
                rows=rows,
                function="crmkit.segmentation.segment_trends",
            )
        ],
        charts=[
            ChartRequest(
                name="segment_trends_chart",
                title=f"Revenue per {noun} by segment",
                result=trends,
            )
        ],
        functions=["crmkit.segmentation.segment_trends"],
        notes=notes,
        detail=Detail(
            title=f"Revenue, orders and active customers per {noun} and segment",
            columns=trends.table(),
            shown=[
                ("period", noun, "text"),
                ("segment", "segment", "text"),
                ("revenue", "revenue", "money"),
                ("orders", "orders", "count"),
                ("customers", "active customers", "count"),
            ],
            result=trends,
        ),
    )
