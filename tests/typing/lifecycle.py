"""Type-checked, never run: pins the public signatures of crmkit.lifecycle.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_type

import numpy as np
import numpy.typing as npt

from crmkit.datasets import SimulatedLifecycle, simulate_lifecycle
from crmkit.lifecycle import (
    Absorption,
    CohortRetention,
    CustomerState,
    LifecycleMetrics,
    LifecycleModel,
    MigrationValue,
    PeriodChurn,
    Replay,
    StageClassification,
    StagePanel,
    StageProjection,
    SteadyState,
    TimeBetweenStages,
    TimeInStage,
    TransitionMatrix,
    absorption,
    apply,
    churn_by_period,
    classify_stages,
    cohort_retention,
    lifecycle_metrics,
    migration_value,
    project_stages,
    prospect_lifecycle,
    replay,
    stage_panel,
    steady_state,
    time_between,
    time_between_stages,
    time_in_stage,
    time_in_stages,
    transition_matrix,
)


def lifecycle_api() -> None:
    model = prospect_lifecycle()
    assert_type(model, LifecycleModel)
    assert_type(LifecycleModel.from_dict(model.to_dict()), LifecycleModel)
    assert_type(model.to_mermaid(), str)
    state = CustomerState.start(model, at="2024-01-01")
    state = apply(model, state, "purchase", at="2024-01-02", context={"x": 1.0})
    assert_type(state, CustomerState)
    assert_type(time_in_stages(state, as_of="2024-02-01"), dict[str, np.timedelta64])
    assert_type(time_between(state, "prospect", "customer"), np.timedelta64 | None)
    log = {"customer": [1], "event": ["purchase"], "timestamp": ["2024-01-02"]}
    r = replay(model, log, strict=False)
    assert_type(r, Replay)
    assert_type(r.customer_state(model, 1), CustomerState)
    assert_type(r.changes.guard_context, Mapping[str, npt.NDArray[np.float64]])
    assert_type(r.changes.guard_transition, npt.NDArray[np.int16])
    assert_type(classify_stages(lifecycle_metrics(log)), StageClassification)
    assert_type(lifecycle_metrics(log, window_days=30.0), LifecycleMetrics)
    m = transition_matrix(r, stages=model)
    assert_type(m, TransitionMatrix)
    assert_type(project_stages(m, {"prospect": 10.0}, periods=3), StageProjection)
    assert_type(steady_state(m), SteadyState)
    assert_type(absorption(m, absorbing=["churned"]), Absorption)
    assert_type(migration_value(m, reward=[1.0] * 5, discount_rate=0.1), MigrationValue)
    assert_type(time_in_stage(r, as_of="2024-03-01"), TimeInStage)
    assert_type(
        time_between_stages(r, source="prospect", target="customer", as_of="2024-03-01"),
        TimeBetweenStages,
    )
    assert_type(stage_panel(r, frequency="month", as_of="2024-03-01"), StagePanel)
    assert_type(cohort_retention(log, frequency="month"), CohortRetention)
    assert_type(churn_by_period(log, frequency="month"), PeriodChurn)
    sim = simulate_lifecycle(
        10, probabilities=[[1.0]], stages=["a"], n_periods=2, start="2024-01-01", seed=1
    )
    assert_type(sim, SimulatedLifecycle)


def lifecycle_boundary() -> None:
    """The column keywords, date_format and seeds of issue 9."""
    model = prospect_lifecycle()
    log = {"customer": [1], "event": ["purchase"], "timestamp": ["02/01/2024"]}
    r = replay(model, log, context=[], strict=True, date_format="%d/%m/%Y")
    assert_type(r, Replay)
    tx = {"cust": [1], "day": ["20240102"], "eur": [5.0]}
    m = lifecycle_metrics(
        tx, customer="cust", timestamp="day", amount="eur", date_format="%Y%m%d", as_of=None
    )
    assert_type(m.n_rows_after_as_of, int)
    assert_type(m.as_of_is_default, bool)
    entries = {"customer": [1], "stage": ["lead"], "timestamp": ["02/01/2024"]}
    assert_type(
        stage_panel(entries, frequency="month", as_of="2024-03-01", date_format="%d/%m/%Y"),
        StagePanel,
    )
    assert_type(time_in_stage(entries, as_of="2024-03-01", date_format=None), TimeInStage)
    assert_type(
        time_between_stages(
            entries, source="lead", target="customer", as_of="2024-03-01", date_format=None
        ),
        TimeBetweenStages,
    )
    c = cohort_retention(entries, frequency="month", date_format="%d/%m/%Y")
    assert_type(c.retained, npt.NDArray[np.int64])
    assert_type(c.n_rows_after_as_of, int)
    assert_type(churn_by_period(entries, frequency="week", date_format=None), PeriodChurn)
    panel = {"customer": [1], "period": ["01/2024"], "stage": ["lead"]}
    assert_type(transition_matrix(panel, stages=["lead"], date_format="%m/%Y"), TransitionMatrix)
    for seed in (np.random.default_rng(1), np.random.SeedSequence(1), 3):
        assert_type(
            simulate_lifecycle(
                5, probabilities=[[1.0]], stages=["a"], n_periods=2, start="2024-01-01", seed=seed
            ),
            SimulatedLifecycle,
        )
