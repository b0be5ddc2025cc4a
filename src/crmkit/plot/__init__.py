"""Charts of crmkit results, one function per analysis (matplotlib, the ``plot`` extra).

Every function takes the matching result, an optional ``ax`` to draw into,
and returns the matplotlib ``Axes``; ``result.plot()`` draws a result's main
chart. The house style (colour-blind-safe colours, thousands separators,
percentages, titles that state the finding) is applied per call, never to
the global ``rcParams``. matplotlib is imported only when a chart is drawn:
``import crmkit.plot`` alone loads none of it.

Examples
--------
>>> import crmkit.plot
>>> "segment_map" in crmkit.plot.__all__
True
"""

from crmkit.plot._funnel import (
    backtest_chart,
    calibration_chart,
    forecast_fan,
    funnel_chart,
    quota_chart,
    reliability_diagram,
    scorecard_chart,
)
from crmkit.plot._lifecycle import (
    churn_chart,
    cohort_heatmap,
    retention_curves,
    stage_flow,
    survival_curves,
    transition_heatmap,
)
from crmkit.plot._roi import (
    clv_histogram,
    frequency_recency_heatmap,
    holdout_chart,
    pnl_waterfall,
    repeat_purchase_chart,
    segment_profit_chart,
    tracking_chart,
    whale_chart,
)
from crmkit.plot._segmentation import (
    abc_chart,
    customer_pyramid,
    lorenz_chart,
    migration_heatmap,
    rfm_heatmap,
    segment_bars,
    segment_map,
    value_potential_chart,
    wallet_gap_chart,
)
from crmkit.plot._style import OKABE_ITO, TOL_MUTED

__all__ = [
    "OKABE_ITO",
    "TOL_MUTED",
    "abc_chart",
    "backtest_chart",
    "calibration_chart",
    "churn_chart",
    "clv_histogram",
    "cohort_heatmap",
    "customer_pyramid",
    "forecast_fan",
    "frequency_recency_heatmap",
    "funnel_chart",
    "holdout_chart",
    "lorenz_chart",
    "migration_heatmap",
    "pnl_waterfall",
    "quota_chart",
    "reliability_diagram",
    "repeat_purchase_chart",
    "retention_curves",
    "rfm_heatmap",
    "scorecard_chart",
    "segment_bars",
    "segment_map",
    "segment_profit_chart",
    "stage_flow",
    "survival_curves",
    "tracking_chart",
    "transition_heatmap",
    "value_potential_chart",
    "wallet_gap_chart",
    "whale_chart",
]
