"""Each analysis of the report and the command line, computed and put in words once.

Presentation layer (private): the command line prints an :class:`Analysis`,
the report puts several into each of its sections.
"""

from crmkit.report._analyses._base import (
    Analysis,
    ChartRequest,
    Column,
    Detail,
    combine,
    day,
    money,
    pct,
)
from crmkit.report._analyses._business_case import business_case_analysis
from crmkit.report._analyses._customers import (
    concentration_analysis,
    rfm_analysis,
    segments_analysis,
    summary_notes,
    trends_analysis,
)
from crmkit.report._analyses._lifecycle import (
    churn_analysis,
    cohorts_analysis,
    migration_analysis,
    stages_analysis,
)
from crmkit.report._analyses._pipeline import calibration_analysis, forecast_analysis
from crmkit.report._analyses._products import products_analysis
from crmkit.report._analyses._promotion import (
    HOLDOUT_COLUMNS,
    attribution_analysis,
    campaigns_analysis,
    compare_models,
    default_models,
    holdout_lift,
    lift_analysis,
    rank_campaigns,
)
from crmkit.report._analyses._value import clv_analysis, profitability_analysis

__all__ = [
    "HOLDOUT_COLUMNS",
    "Analysis",
    "ChartRequest",
    "Column",
    "Detail",
    "attribution_analysis",
    "business_case_analysis",
    "calibration_analysis",
    "campaigns_analysis",
    "churn_analysis",
    "clv_analysis",
    "cohorts_analysis",
    "combine",
    "compare_models",
    "concentration_analysis",
    "day",
    "default_models",
    "forecast_analysis",
    "holdout_lift",
    "lift_analysis",
    "migration_analysis",
    "money",
    "pct",
    "products_analysis",
    "profitability_analysis",
    "rank_campaigns",
    "rfm_analysis",
    "segments_analysis",
    "stages_analysis",
    "summary_notes",
    "trends_analysis",
]
