"""Bad-input cases: crmkit.lifecycle (and the lifecycle simulator of crmkit.datasets).

Results documented to hold NaN say exactly where (``nonfinite``): a transition
matrix's standard errors for rows not estimated from data, a stage's mean and
median stay when none (or too few) of its stays ended, the time-to-target
median when fewer than half reach it, and a cohort table's cells after
``as_of`` and its churn at k = 0.
"""

from __future__ import annotations

from crmkit.datasets import simulate_lifecycle
from crmkit.lifecycle import (
    Condition,
    CustomerState,
    LifecycleModel,
    Stage,
    StageChange,
    StageThresholds,
    Transition,
    TransitionMatrix,
    absorption,
    apply,
    churn_by_period,
    classify_stages,
    cohort_retention,
    dwyer_lifecycle,
    lifecycle_metrics,
    marketing_funnel,
    migration_value,
    project_stages,
    prospect_lifecycle,
    relationship_lifecycle,
    replay,
    stage_panel,
    steady_state,
    time_between,
    time_between_stages,
    time_in_stage,
    time_in_stages,
    transition_matrix,
)
from crmkit.periods import Calendar
from tests.badinput.core import Case, Opt

# --------------------------------------------------------------------------- values


def _tiers() -> LifecycleModel:
    """A loyalty lifecycle with one guarded move (it reads the context value 'spend')."""
    return LifecycleModel(
        name="tiers",
        stages=["member", "gold", "closed"],
        initial="member",
        terminal=["closed"],
        transitions=[
            Transition(name="promote", source="member", target="gold", guard=["spend >= 1000"]),
            Transition(name="demote", source="gold", target="member"),
            Transition(name="close", source=["member", "gold"], target="closed"),
        ],
    )


def _model_args() -> dict[str, object]:
    return {
        "name": "newsletter",
        "stages": ["subscriber", "buyer", "unsubscribed"],
        "initial": "subscriber",
        "terminal": ["unsubscribed"],
        "transitions": [
            Transition(name="order", source="subscriber", target="buyer"),
            Transition(name="unsubscribe", source=["subscriber", "buyer"], target="unsubscribed"),
        ],
        "description": "a newsletter's readers",
    }


def _change() -> StageChange:
    return StageChange(
        source="member",
        target="gold",
        event="promote",
        transition="promote",
        at="2024-02-01",
        context={"spend": 1500.0},
    )


def _state() -> CustomerState:
    return CustomerState(
        model="tiers", customer="c-1", stage="gold", started_at="2024-01-01", history=[_change()]
    )


def _matrix() -> TransitionMatrix:
    return TransitionMatrix.from_probabilities(
        [[0.8, 0.2, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]], stages=["active", "lapsed", "lost"]
    )


# --------------------------------------------------------------------------- tables


def _panel() -> dict[str, object]:
    return {
        "customer": [1, 1, 1, 2, 2, 3],
        "period": [1, 2, 3, 1, 2, 1],
        "stage": ["active", "active", "lapsed", "active", "lapsed", "active"],
    }


def _entries() -> dict[str, object]:
    return {
        "customer": [7, 7, 8, 7, 8],
        "stage": ["lead", "customer", "lead", "churned", "customer"],
        "timestamp": ["2024-01-02", "2024-01-20", "2024-02-03", "2024-03-03", "2024-03-25"],
    }


def _activity() -> dict[str, object]:
    return {
        "customer": [1, 1, 2, 2, 3, 3],
        "timestamp": [
            "2024-01-05",
            "2024-02-03",
            "2024-01-20",
            "2024-03-01",
            "2024-02-11",
            "2024-03-15",
        ],
    }


def _purchases() -> dict[str, object]:
    return {
        "customer": ["a", "a", "a", "b", "b"],
        "timestamp": ["2023-10-01", "2024-01-15", "2024-03-15", "2024-02-01", "2024-04-20"],
        "amount": [100.0, 50.0, 60.0, 20.0, 30.0],
    }


def _metrics() -> dict[str, object]:
    return {
        "customer": [1, 2, 3, 4],
        "tenure_days": [400.0, 400.0, 400.0, 60.0],
        "recency_days": [10.0, 100.0, 20.0, 5.0],
        "frequency": [14, 12, 9, 2],
        "recent_count": [4, 1, 5, 2],
        "earlier_count": [4, 3, 2, 0],
        "recent_spend": [400.0, 60.0, 500.0, 80.0],
        "earlier_spend": [380.0, 200.0, 210.0, 0.0],
    }


def _log() -> dict[str, object]:
    return {
        "customer": [1, 2, 1, 2, 1],
        "event": ["promote", "promote", "demote", "close", "promote"],
        "timestamp": ["2024-01-02", "2024-01-03", "2024-02-01", "2024-02-05", "2024-03-01"],
        "spend": [1500.0, 300.0, 0.0, 0.0, 1200.0],
    }


def _initial() -> dict[str, object]:
    return {
        "customer": [1, 2, 3],
        "stage": ["member", "member", "gold"],
        "entered_at": ["2024-01-01", "2024-01-01", "2023-12-01"],
    }


_ENTRIES = {"customer": "id", "stage": "label", "timestamp": "date"}
_ENTRY_COLUMNS = {
    "customer": "frame_column",
    "stage": "frame_column",
    "timestamp": "frame_column",
    "date_format": Opt("choice"),
}
_ACTIVITY_PARAMS = {
    "frequency": "choice",
    "as_of": Opt("date"),
    "calendar": "value",
    "customer": "frame_column",
    "timestamp": "frame_column",
    "date_format": Opt("choice"),
}

CASES = [
    # ----------------------------------------------------------------- definitions
    Case(
        "lifecycle.Stage",
        Stage,
        lambda: {"name": "lead", "description": "left contact details"},
        params={"name": "text"},
    ),
    Case(
        "lifecycle.Transition",
        Transition,
        lambda: {
            "name": "qualify",
            "source": ["lead"],
            "target": "mql",
            "event": "qualify",
            "guard": ["score >= 50"],
        },
        params={"name": "text", "target": "text", "event": Opt("text")},
    ),
    Case(
        "lifecycle.Condition",
        Condition,
        lambda: {"field": "spend_90d", "op": ">=", "value": 500.0},
        params={"field": "text", "op": "choice", "value": "number"},
    ),
    Case(
        "lifecycle.LifecycleModel",
        LifecycleModel,
        _model_args,
        params={"name": "text", "stages": "names", "initial": "text", "terminal": "names"},
    ),
    Case(
        "lifecycle.LifecycleModel.from_dict",
        LifecycleModel.from_dict,
        lambda: {"data": prospect_lifecycle().to_dict()},
        params={"data": "value"},
        fields={"data": ("schema",)},  # an empty dict is refused for its missing schema
    ),
    Case("lifecycle.relationship_lifecycle", relationship_lifecycle, dict),
    Case("lifecycle.dwyer_lifecycle", dwyer_lifecycle, dict),
    Case("lifecycle.prospect_lifecycle", prospect_lifecycle, dict),
    Case("lifecycle.marketing_funnel", marketing_funnel, dict),
    # ----------------------------------------------------------------- one customer
    Case(
        "lifecycle.StageChange",
        StageChange,
        lambda: {
            "source": "member",
            "target": "gold",
            "event": "promote",
            "transition": "promote",
            "at": "2024-02-01",
            "context": {"spend": 1500.0},
        },
        params={
            "source": "text",
            "target": "text",
            "event": "text",
            "transition": "text",
            "at": "date",
        },  # context: an empty one is valid here (tests/lifecycle/test_boundary.py)
    ),
    Case(
        "lifecycle.CustomerState",
        CustomerState,
        lambda: {
            "model": "tiers",
            "customer": "c-1",
            "stage": "gold",
            "started_at": "2024-01-01",
            "history": [_change()],
        },
        params={"model": "text", "stage": "text", "started_at": "date"},
    ),
    Case(
        "lifecycle.CustomerState.start",
        CustomerState.start,
        lambda: {"model": _tiers(), "at": "2024-01-01", "customer": 17},
        params={"model": "value", "at": "date"},
    ),
    Case(
        "lifecycle.CustomerState.from_dict",
        CustomerState.from_dict,
        lambda: {"data": _state().to_dict()},
        params={"data": "value"},
        fields={"data": ("schema",)},  # an empty dict is refused for its missing schema
    ),
    Case(
        "lifecycle.apply",
        apply,
        lambda: {
            "model": _tiers(),
            "state": CustomerState.start(_tiers(), at="2024-01-01"),
            "event": "promote",
            "at": "2024-02-01",
            "context": {"spend": 1500.0},
        },
        params={
            "model": "value",
            "state": "value",
            "event": "choice",
            "at": "date",
            "context": Opt("numbers"),
        },
    ),
    Case(
        "lifecycle.time_in_stages",
        time_in_stages,
        lambda: {"state": _state(), "as_of": "2024-06-01"},
        params={"state": "value", "as_of": "date"},
    ),
    Case(
        "lifecycle.time_between",
        time_between,
        lambda: {"state": _state(), "source": "member", "target": "gold"},
        params={"state": "value", "source": "text", "target": "text"},
    ),
    # ----------------------------------------------------------------- many customers
    Case(
        "lifecycle.replay",
        replay,
        lambda: {
            "model": _tiers(),
            "data": _log(),
            "context": ["spend"],
            "initial": _initial(),
            "strict": False,
        },
        params={
            "model": "value",
            "context": "names",
            "strict": "flag",
            "customer": "frame_column",
            "event": "frame_column",
            "timestamp": "frame_column",
            "date_format": Opt("choice"),
        },
        tables={
            "data": {"customer": "id", "event": "label", "timestamp": "date", "spend": "number"},
            "initial": {"customer": "id", "stage": "label", "entered_at": "date"},
        },
        empty="result",  # applies events: an empty batch changes nothing
        # an initial table without the log's customers is refused on the log's column
        fields={"initial": ("customer",)},
    ),
    Case(
        "lifecycle.StageThresholds",
        StageThresholds,
        lambda: {
            "new_days": 180.0,
            "lapse_ratio": 3.0,
            "lapse_min_days": 180.0,
            "overdue_ratio": 1.5,
            "falling_ratio": 0.67,
            "rising_ratio": 1.5,
            "min_trend_purchases": 4.0,
        },
        params={
            "new_days": "positive",
            "lapse_ratio": "positive",
            "lapse_min_days": "positive",
            "overdue_ratio": "positive",
            "falling_ratio": "positive",
            "rising_ratio": "positive",
            "min_trend_purchases": "positive",
        },
    ),
    Case(
        "lifecycle.lifecycle_metrics",
        lifecycle_metrics,
        lambda: {"transactions": _purchases(), "as_of": "2024-05-01", "window_days": 60.0},
        params={
            "as_of": Opt("date"),
            "window_days": "positive",
            "customer": "frame_column",
            "timestamp": "frame_column",
            "amount": "frame_column",
            "date_format": Opt("choice"),
        },
        tables={"transactions": {"customer": "id", "timestamp": "date", "amount": "amount"}},
    ),
    Case(
        "lifecycle.classify_stages",
        classify_stages,
        lambda: {"data": _metrics(), "thresholds": StageThresholds(lapse_ratio=4.0)},
        params={"thresholds": Opt("value")},
        tables={
            "data": {
                "customer": "id",
                "tenure_days": "number",
                "recency_days": "number",
                "frequency": "number",
                "recent_count": "number",
                "earlier_count": "number",
                "recent_spend": "number",
                "earlier_spend": "number",
            }
        },
    ),
    Case(
        "lifecycle.stage_panel",
        stage_panel,
        lambda: {
            "data": _entries(),
            "frequency": "month",
            "as_of": "2024-05-01",
            "calendar": Calendar(),
        },
        params={"frequency": "choice", "as_of": "date", "calendar": "value", **_ENTRY_COLUMNS},
        tables={"data": _ENTRIES},
    ),
    Case(
        "lifecycle.time_in_stage",
        time_in_stage,
        lambda: {"data": _entries(), "as_of": "2024-05-01"},
        params={"as_of": "date", **_ENTRY_COLUMNS},
        tables={"data": _ENTRIES},
        nonfinite=frozenset({"mean_completed_days", "median_days"}),
    ),
    Case(
        "lifecycle.time_between_stages",
        time_between_stages,
        lambda: {"data": _entries(), "source": "lead", "target": "customer", "as_of": "2024-05-01"},
        params={"source": "text", "target": "text", "as_of": "date", **_ENTRY_COLUMNS},
        tables={"data": _ENTRIES},
        nonfinite=frozenset({"median_days"}),
    ),
    Case(
        "lifecycle.cohort_retention",
        cohort_retention,
        lambda: {
            "data": _activity(),
            "frequency": "month",
            "as_of": "2024-04-01",
            "calendar": Calendar(),
        },
        params=_ACTIVITY_PARAMS,
        tables={"data": {"customer": "id", "timestamp": "date"}},
        nonfinite=frozenset({"retention", "churn_rate"}),
    ),
    Case(
        "lifecycle.churn_by_period",
        churn_by_period,
        lambda: {
            "data": _activity(),
            "frequency": "month",
            "as_of": "2024-04-01",
            "calendar": Calendar(),
        },
        params=_ACTIVITY_PARAMS,
        tables={"data": {"customer": "id", "timestamp": "date"}},
    ),
    # ----------------------------------------------------------------- Markov chains
    Case(
        "lifecycle.transition_matrix",
        transition_matrix,
        lambda: {"data": _panel(), "stages": ["active", "lapsed", "lost"]},
        params={
            "stages": Opt("names"),
            "customer": "frame_column",
            "period": "frame_column",
            "stage": "frame_column",
            "date_format": Opt("choice"),
        },
        tables={"data": {"customer": "id", "period": "id", "stage": "label"}},
        nonfinite=frozenset({"standard_errors"}),
    ),
    Case(
        "lifecycle.TransitionMatrix.from_probabilities",
        TransitionMatrix.from_probabilities,
        lambda: {"probabilities": [[0.9, 0.1], [0.2, 0.8]], "stages": ["active", "lapsed"]},
        params={"probabilities": "numbers", "stages": "names"},
        nonfinite=frozenset({"standard_errors"}),  # a given matrix has no sampling error
    ),
    Case(
        "lifecycle.project_stages",
        project_stages,
        lambda: {"matrix": _matrix(), "initial": {"active": 1000, "lapsed": 50}, "periods": 6},
        params={"matrix": "value", "initial": "numbers", "periods": "count"},
    ),
    Case(
        "lifecycle.steady_state",
        steady_state,
        lambda: {
            "matrix": TransitionMatrix.from_probabilities(
                [[0.9, 0.1], [0.3, 0.7]], stages=["active", "lapsed"]
            )
        },
        params={"matrix": "value"},
    ),
    Case(
        "lifecycle.absorption",
        absorption,
        lambda: {"matrix": _matrix(), "absorbing": ["lost"]},
        params={"matrix": "value", "absorbing": Opt("names")},
    ),
    Case(
        "lifecycle.migration_value",
        migration_value,
        lambda: {
            "matrix": _matrix(),
            "reward": {"active": 40.0},
            "cost": [5.0, 2.0, 0.0],
            "discount_rate": 0.01,
            "horizon": 24,
        },
        params={
            "matrix": "value",
            "reward": "numbers",  # cost may be one number for every stage: unit-tested
            "discount_rate": "number",
            "horizon": Opt("count"),
        },
    ),
    # ----------------------------------------------------------------- simulator
    Case(
        "datasets.simulate_lifecycle",
        simulate_lifecycle,
        lambda: {
            "n_customers": 50,
            "probabilities": [[0.9, 0.1], [0.2, 0.8]],
            "stages": ["active", "lapsed"],
            "n_periods": 6,
            "start": "2024-01-01",
            "frequency": "month",
            "initial": [0.5, 0.5],
            "acquisition_periods": 2,
            "seed": 7,
        },
        params={
            "n_customers": "count",
            "probabilities": "numbers",
            "stages": Opt("names"),
            "model": Opt("value"),
            "n_periods": "count",
            "start": "date",
            "frequency": "choice",
            "initial": Opt("numbers"),
            "acquisition_periods": "count",
            "seed": "seed",
        },
    ),
]

EXEMPT: dict[str, str] = {}
