"""Type-checked, never run: pins the public signatures of crmkit.plot and the result rows API.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from typing import Literal, assert_type

import numpy as np
from matplotlib.axes import Axes

from crmkit import plot
from crmkit.funnel import Backtest, ForecastDistribution, Scorecard, StageRates, WinScoreEvaluation
from crmkit.lifecycle import CohortRetention, StagePanel, TimeInStage, TransitionMatrix
from crmkit.roi import (
    AttributionComparison,
    BGNBDFit,
    BusinessCaseResult,
    BusinessCaseSimulation,
    CampaignResults,
    CustomerCLV,
    CustomerPnL,
    FrequencyRecencyMatrix,
    LiftTest,
    PurchaseTracking,
    RepeatPurchaseHistogram,
    Sensitivity,
    WhaleCurve,
    alive_matrix,
    expected_purchases_matrix,
    purchase_tracking,
    repeat_purchase_histogram,
)
from crmkit.segmentation import BTYDSummary, LorenzCurve, RFMSummary, Segments


def charts(  # noqa: PLR0917  (one parameter per result type)
    seg: Segments,
    lorenz: LorenzCurve,
    cohorts: CohortRetention,
    matrix: TransitionMatrix,
    panel: StagePanel,
    tis: TimeInStage,
    rates: StageRates,
    dist: ForecastDistribution,
    evaluation: WinScoreEvaluation,
    bt: Backtest,
    card: Scorecard,
    whale: WhaleCurve,
    pnl: CustomerPnL,
    fr: FrequencyRecencyMatrix,
    hist: RepeatPurchaseHistogram,
    tr: PurchaseTracking,
    clv: CustomerCLV,
    ax: Axes,
) -> None:
    assert_type(plot.segment_map(seg, size="revenue", ax=ax), Axes)
    assert_type(plot.lorenz_chart(lorenz), Axes)
    assert_type(plot.cohort_heatmap(cohorts), Axes)
    assert_type(plot.retention_curves(cohorts, ax=ax), Axes)
    assert_type(plot.transition_heatmap(matrix), Axes)
    assert_type(plot.stage_flow(panel, share=False), Axes)
    assert_type(plot.survival_curves(tis, level=0.9), Axes)
    assert_type(plot.funnel_chart(rates), Axes)
    assert_type(plot.calibration_chart(rates), Axes)
    assert_type(plot.forecast_fan(dist), Axes)
    assert_type(plot.quota_chart(dist), Axes)
    assert_type(plot.reliability_diagram(evaluation), Axes)
    assert_type(plot.backtest_chart(bt, group="all"), Axes)
    assert_type(plot.scorecard_chart(card, metrics=["win_rate"]), Axes)
    assert_type(plot.whale_chart(whale), Axes)
    assert_type(plot.pnl_waterfall(pnl, customer=7), Axes)
    assert_type(plot.frequency_recency_heatmap(fr), Axes)
    assert_type(plot.repeat_purchase_chart(hist), Axes)
    assert_type(plot.tracking_chart(tr, cumulative=False), Axes)
    assert_type(plot.clv_histogram(clv, bins=30), Axes)
    assert_type(seg.plot(), Axes)
    assert_type(seg.plot(ax=ax), Axes)


def rows(summary: RFMSummary, btyd: BTYDSummary, seg: Segments, cohorts: CohortRetention) -> None:
    assert_type(summary.filter(summary.monetary_mean > 0), RFMSummary)
    assert_type(btyd.take(np.array([0, 2])), BTYDSummary)
    assert_type(seg.take(seg.segment == "champions"), Segments)
    assert_type(summary.column_names["customer"], str)
    shape: Literal["long", "wide"] = "wide"
    assert_type(cohorts.triangle(shape)["cohort"], np.ndarray)
    cohorts.to_frame("polars", form="long")


def model_views(fit: BGNBDFit, summary: BTYDSummary) -> None:
    assert_type(alive_matrix(fit, summary, T=52.0, max_frequency=20), FrequencyRecencyMatrix)
    assert_type(expected_purchases_matrix(fit, summary, t=13.0), FrequencyRecencyMatrix)
    assert_type(repeat_purchase_histogram(fit, summary, max_frequency=7), RepeatPurchaseHistogram)
    assert_type(
        purchase_tracking(
            fit,
            {},
            freq="week",
            as_of="2024-01-01",
            calibration_end="2023-07-01",
            date_format="%Y-%m-%d",
        ),
        PurchaseTracking,
    )


def promotion_charts(  # noqa: PLR0917  (one parameter per result type)
    results: CampaignResults,
    comparison: AttributionComparison,
    lift: LiftTest,
    plan: BusinessCaseResult,
    tornado: Sensitivity,
    futures: BusinessCaseSimulation,
    ax: Axes,
) -> None:
    assert_type(plot.campaign_roi_chart(results, top=12, ax=ax), Axes)
    assert_type(plot.attribution_chart(comparison), Axes)
    assert_type(plot.lift_chart(lift, ax=ax), Axes)
    assert_type(plot.cash_flow_chart(plan), Axes)
    assert_type(plot.tornado_chart(tornado, top=5), Axes)
    assert_type(plot.npv_distribution_chart(futures, bins=40), Axes)
    assert_type(plan.plot(ax=ax), Axes)
