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
    attribution_analysis,
    campaigns_analysis,
    lift_analysis,
)
from crmkit.report._analyses._value import clv_analysis, profitability_analysis

__all__ = [
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
    "concentration_analysis",
    "day",
    "forecast_analysis",
    "lift_analysis",
    "migration_analysis",
    "money",
    "pct",
    "products_analysis",
    "profitability_analysis",
    "rfm_analysis",
    "segments_analysis",
    "stages_analysis",
    "summary_notes",
    "trends_analysis",
]
