"""Who are the best customers, how concentrated is revenue, whom to treat differently.

RFM and buy-till-you-die summaries, RFM scores, named segments from checked
rule tables, 80/20 concentration, value tiers, the value x potential matrix,
share of wallet, and product mix and cross-sell affinity.
"""

from crmkit.segmentation._scores import (
    DimensionScores,
    RFMScores,
    ScoringMethod,
    rfm_scores,
    score_values,
)
from crmkit.segmentation._summary import (
    BTYDSummary,
    CountBy,
    RFMSummary,
    TimeUnit,
    btyd_summary,
    rfm_summary,
)

__all__ = [
    "BTYDSummary",
    "CountBy",
    "DimensionScores",
    "RFMScores",
    "RFMSummary",
    "ScoringMethod",
    "TimeUnit",
    "btyd_summary",
    "rfm_scores",
    "rfm_summary",
    "score_values",
]
