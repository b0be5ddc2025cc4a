"""Customer lifecycle state machines, stage classification and migration analytics.

Define a lifecycle declaratively (:class:`LifecycleModel`), move customers
through it one event at a time (:func:`apply`) or replay whole event logs
(:func:`replay`), and analyse how customers migrate between stages.

Examples
--------
>>> from crmkit.lifecycle import CustomerState, apply, prospect_lifecycle
>>> model = prospect_lifecycle()
>>> state = apply(model, CustomerState.start(model, at="2024-03-01"), "purchase", at="2024-03-04")
>>> state.stage
'customer'
"""

from crmkit.lifecycle._between import TimeBetweenStages, time_between_stages
from crmkit.lifecycle._builtin import (
    dwyer_lifecycle,
    marketing_funnel,
    prospect_lifecycle,
    relationship_lifecycle,
)
from crmkit.lifecycle._chain import (
    Absorption,
    MigrationValue,
    StageProjection,
    SteadyState,
    absorption,
    migration_value,
    project_stages,
    steady_state,
)
from crmkit.lifecycle._classify import (
    CLASSIFICATION_RULES,
    LifecycleMetrics,
    StageClassification,
    StageThresholds,
    classify_stages,
    lifecycle_metrics,
)
from crmkit.lifecycle._guard import Comparison, Condition
from crmkit.lifecycle._matrix import TransitionMatrix, transition_matrix
from crmkit.lifecycle._model import LifecycleModel, Stage, Transition
from crmkit.lifecycle._panel import StagePanel, stage_panel
from crmkit.lifecycle._replay import RejectReason, Replay, StageLog, replay
from crmkit.lifecycle._retention import (
    CohortRetention,
    PeriodChurn,
    StageSpells,
    TimeInStage,
    churn_by_period,
    cohort_retention,
    time_in_stage,
)
from crmkit.lifecycle._state import (
    CustomerState,
    StageChange,
    apply,
    time_between,
    time_in_stages,
)

__all__ = [
    "CLASSIFICATION_RULES",
    "Absorption",
    "CohortRetention",
    "Comparison",
    "Condition",
    "CustomerState",
    "LifecycleMetrics",
    "LifecycleModel",
    "MigrationValue",
    "PeriodChurn",
    "RejectReason",
    "Replay",
    "Stage",
    "StageChange",
    "StageClassification",
    "StageLog",
    "StagePanel",
    "StageProjection",
    "StageSpells",
    "StageThresholds",
    "SteadyState",
    "TimeBetweenStages",
    "TimeInStage",
    "Transition",
    "TransitionMatrix",
    "absorption",
    "apply",
    "churn_by_period",
    "classify_stages",
    "cohort_retention",
    "dwyer_lifecycle",
    "lifecycle_metrics",
    "marketing_funnel",
    "migration_value",
    "project_stages",
    "prospect_lifecycle",
    "relationship_lifecycle",
    "replay",
    "stage_panel",
    "steady_state",
    "time_between",
    "time_between_stages",
    "time_in_stage",
    "time_in_stages",
    "transition_matrix",
]
