"""How loyal the customers are: lifecycle stages, cohort retention, churn, segment migration."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from crmkit._transactions import Transactions
from crmkit.lifecycle import churn_by_period, classify_stages, cohort_retention, lifecycle_metrics
from crmkit.periods import FrequencyLike
from crmkit.report._analyses._base import Analysis, ChartRequest, Detail, pct
from crmkit.report._model import Table
from crmkit.segmentation import RFMSummary, assign_segments, rfm_scores, segment_migration

__all__ = ["churn_analysis", "cohorts_analysis", "migration_analysis", "stages_analysis"]


def stages_analysis(tx: Transactions, *, as_of: object, window_days: float) -> Analysis:
    """Relationship stage per customer (exploration, build-up, maturity, decline, ...)."""
    metrics = lifecycle_metrics(tx, as_of=as_of, window_days=window_days)
    stages = classify_stages(metrics)
    total = sum(stages.stage_counts.values())
    ranked = sorted(stages.stage_counts.items(), key=lambda kv: -kv[1])
    return Analysis(
        headlines=[
            "Relationship stages by buying behaviour: "
            + ", ".join(f"{stage.replace('_', ' ')} {pct(n / total)}" for stage, n in ranked if n)
            + " of customers."
        ],
        tables=[
            Table(
                title="Relationship stages",
                columns=("stage", "customers", "share"),
                formats=("text", "count", "share"),
                rows=[(stage, n, n / total) for stage, n in ranked],
                function="crmkit.lifecycle.classify_stages",
            )
        ],
        functions=["crmkit.lifecycle.lifecycle_metrics", "crmkit.lifecycle.classify_stages"],
        detail=Detail(
            title="Stage per customer",
            columns={**metrics.table(), "stage": stages.stage, "rule": stages.rule},
            shown=[
                ("customer", "customer", "text"),
                ("stage", "stage", "text"),
                ("rule", "rule", "text"),
                ("recency_days", "recency (days)", "number"),
                ("frequency", "orders", "count"),
            ],
            result=stages,
        ),
        as_of=metrics.as_of,
    )


def cohorts_analysis(tx: Transactions, *, as_of: object, frequency: FrequencyLike) -> Analysis:
    """Cohort retention: the share of each first-purchase cohort buying n periods later."""
    cohorts = cohort_retention(tx, frequency=frequency, as_of=as_of)
    noun = cohorts.frequency.value.replace("_", " ")
    headlines = []
    third = np.flatnonzero(cohorts.periods_since == 3)
    seen = cohorts.observable[:, third[0]] if third.size else np.zeros(0, dtype=bool)
    if seen.any():
        at = np.flatnonzero(seen)
        i = int(at[np.argmax(cohorts.size[at])])
        headlines.append(
            f"Of the {cohorts.size[i]:,} customers who first bought in {cohorts.cohort[i]}, "
            f"{pct(float(cohorts.retention[i, third[0]]))} bought again in their third "
            f"{noun} after it."
        )
    n_periods = min(7, cohorts.periods_since.size)
    rows = [
        (
            cohorts.cohort[i],
            cohorts.size[i],
            *(
                float(cohorts.retention[i, j]) if cohorts.observable[i, j] else None
                for j in range(n_periods)
            ),
        )
        for i in np.arange(cohorts.cohort.size)[-12:]
    ]
    columns: dict[str, Any] = {"cohort": cohorts.cohort, "size": cohorts.size}
    for j, since in enumerate(cohorts.periods_since):
        shares = np.where(cohorts.observable[:, j], cohorts.retention[:, j], np.nan)
        columns[f"period_{int(since)}"] = shares
    shown_periods = cohorts.periods_since[: min(8, cohorts.periods_since.size)]
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title=(
                    f"Cohort retention (share of a cohort buying n {noun}s after its first {noun})"
                ),
                columns=("cohort", "customers", *(f"{noun} {j}" for j in range(n_periods))),
                formats=("text", "count", *(("share",) * n_periods)),
                rows=rows,
                function="crmkit.lifecycle.cohort_retention",
            )
        ],
        charts=[
            ChartRequest(name="cohort_heatmap", title="Cohort retention", result=cohorts),
            ChartRequest(
                name="retention_curves", title="Retention curves per cohort", result=cohorts
            ),
        ],
        functions=["crmkit.lifecycle.cohort_retention"],
        detail=Detail(
            title=f"Retention per {noun} since the first purchase",
            columns=columns,
            shown=[
                ("cohort", "cohort", "text"),
                ("size", "customers", "count"),
                *((f"period_{int(s)}", str(int(s)), "share") for s in shown_periods),
            ],
            result=cohorts,
            rows=12,
        ),
        as_of=cohorts.as_of,
    )


def churn_analysis(tx: Transactions, *, as_of: object) -> Analysis:
    """Buyers, newcomers and churn per month."""
    churn = churn_by_period(tx, frequency="month", as_of=as_of)
    headlines = []
    if churn.period.size:
        last = churn.period.size - 1
        headlines.append(
            f"In {churn.period[last]}, {churn.active[last]:,} customers bought "
            f"({churn.new[last]:,} of them for the first time); "
            f"{pct(float(churn.churn_rate[last]))} of the previous month's buyers did not "
            "come back."
        )
    return Analysis(
        headlines=headlines,
        charts=[
            ChartRequest(
                name="churn_chart", title="Buyers, newcomers and churn per month", result=churn
            )
        ],
        functions=["crmkit.lifecycle.churn_by_period"],
    )


def migration_analysis(tx: Transactions, summary: RFMSummary, *, days: int) -> Analysis:
    """Segment moves over the last *days*: RFM segments then and now, on the same score edges."""
    earlier = summary.as_of - np.timedelta64(days, "D")
    if not summary.first_purchase.min() < earlier:
        return Analysis(
            notes=[f"Segment migration needs more than {days} days of history before as_of."]
        )
    from crmkit.segmentation import rfm_summary  # noqa: PLC0415  (the earlier snapshot)

    before = assign_segments(rfm_scores(rfm_summary(tx, unit="day", as_of=earlier)))
    after = assign_segments(
        rfm_scores(summary, method="thresholds", edges=cast("Any", before.scores.edges))
    )
    migration = segment_migration(before, after)
    flows = [
        (migration.from_segment[i], migration.to_segment[i], migration.customers[i])
        for i in np.argsort(-migration.customers, kind="stable")
        if migration.from_segment[i] != migration.to_segment[i] and migration.customers[i]
    ][:8]
    return Analysis(
        headlines=[
            f"Over the last {days} days the largest segment move was "
            f"{flows[0][2]:,} customers from '{flows[0][0]}' to '{flows[0][1]}'."
            if flows
            else f"No customer changed RFM segment over the last {days} days."
        ],
        tables=[
            Table(
                title=f"Largest segment moves over the last {days} days",
                columns=("from", "to", "customers"),
                formats=("text", "text", "count"),
                rows=flows,
                function="crmkit.segmentation.segment_migration",
            )
        ],
        charts=[
            ChartRequest(name="migration_heatmap", title="Segment migration", result=migration)
        ],
        functions=["crmkit.segmentation.segment_migration"],
    )
