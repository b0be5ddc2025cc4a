"""Who are the best customers, how concentrated is revenue, whom to treat differently.

RFM and buy-till-you-die summaries, RFM scores, named segments from checked
rule tables, 80/20 concentration, value tiers, the value x potential matrix,
share of wallet, and product mix and cross-sell affinity.
"""

from crmkit.segmentation._concentration import (
    ABCClasses,
    LorenzCurve,
    ParetoPoint,
    abc_classes,
    gini,
    lorenz_curve,
    pareto_point,
    top_share,
)
from crmkit.segmentation._rules import (
    RFM_GRID_10,
    RFM_GRID_11,
    RuleTable,
    RuleTableCheck,
    ScoreRange,
    SegmentRule,
    check_rule_table,
)
from crmkit.segmentation._scores import (
    DimensionScores,
    RFMScores,
    ScoringMethod,
    rfm_scores,
    score_values,
)
from crmkit.segmentation._segments import (
    SegmentMigration,
    Segments,
    SegmentSummary,
    assign_segments,
    segment_migration,
    segment_summary,
)
from crmkit.segmentation._summary import (
    BTYDSummary,
    CountBy,
    RFMSummary,
    TimeUnit,
    btyd_summary,
    rfm_summary,
)
from crmkit.segmentation._value import (
    Absolute,
    Quantile,
    ShareOfWallet,
    ValueClasses,
    ValueMatrix,
    ValueTiers,
    share_of_wallet,
    value_classes,
    value_potential_matrix,
    value_tiers,
)

__all__ = [
    "RFM_GRID_10",
    "RFM_GRID_11",
    "ABCClasses",
    "Absolute",
    "BTYDSummary",
    "CountBy",
    "DimensionScores",
    "LorenzCurve",
    "ParetoPoint",
    "Quantile",
    "RFMScores",
    "RFMSummary",
    "RuleTable",
    "RuleTableCheck",
    "ScoreRange",
    "ScoringMethod",
    "SegmentMigration",
    "SegmentRule",
    "SegmentSummary",
    "Segments",
    "ShareOfWallet",
    "TimeUnit",
    "ValueClasses",
    "ValueMatrix",
    "ValueTiers",
    "abc_classes",
    "assign_segments",
    "btyd_summary",
    "check_rule_table",
    "gini",
    "lorenz_curve",
    "pareto_point",
    "rfm_scores",
    "rfm_summary",
    "score_values",
    "segment_migration",
    "segment_summary",
    "share_of_wallet",
    "top_share",
    "value_classes",
    "value_potential_matrix",
    "value_tiers",
]
