"""Bad-input cases: crmkit.datasets (simulate_lifecycle has its own case file)."""

from __future__ import annotations

from crmkit.datasets import (
    PurchaseProcess,
    SpendProcess,
    simulate_contracts,
    simulate_cost_drivers,
    simulate_customer_base,
    simulate_donor_histories,
    simulate_pipeline,
    simulate_purchase_histories,
    simulate_transactions,
)
from crmkit.funnel import DEFAULT_PROCESS
from crmkit.roi import bgbb_from_params, bgnbd_from_params, shifted_beta_geometric_from_params
from tests.badinput.core import Case, Kind, Opt


def _window() -> dict[str, object]:
    return {
        "n_customers": 60,
        "start": "2024-01-01",
        "end": "2024-07-01",
        "seed": 7,
        "purchase": PurchaseProcess(),
        "spend": SpendProcess(),
        "acquisition_fraction": 0.5,
        "refund_rate": 0.02,
        "id_kind": "str",
    }


_WINDOW_PARAMS = {
    "n_customers": "count",
    "start": "date",
    "end": "date",
    "seed": "seed",
    "purchase": Opt("value"),
    "spend": Opt("value"),
    "acquisition_fraction": "probability",
    "refund_rate": "probability",
    "id_kind": "choice",
    "date_format": Opt("choice"),
}


def _drivers() -> dict[str, object]:
    base = simulate_customer_base(40, "2024-01-01", "2024-07-01", seed=3)
    return {"data": base, "seed": 3, "high_touch_share": 0.1}


def _pipeline() -> dict[str, object]:
    return {
        "n_opportunities": 40,
        "start": "2024-01-01",
        "end": "2024-06-01",
        "seed": 1,
        "process": DEFAULT_PROCESS,
        "advance": [0.4, 0.5, 0.55, 0.65, 0.7],
        "mean_days_in_stage": [10.0, 14.0, 21.0, 18.0, 12.0],
        "n_reps": 5,
    }


CASES = [
    Case("datasets.simulate_transactions", simulate_transactions, _window, params=_WINDOW_PARAMS),
    Case("datasets.simulate_customer_base", simulate_customer_base, _window, params=_WINDOW_PARAMS),
    Case(
        "datasets.simulate_cost_drivers",
        simulate_cost_drivers,
        _drivers,
        params={"data": "value", "seed": "seed", "high_touch_share": "probability"},
    ),
    Case(
        "datasets.simulate_pipeline",
        simulate_pipeline,
        _pipeline,
        params={
            "n_opportunities": "count",
            "start": "date",
            "end": "date",
            "seed": "seed",
            "process": "value",
            "advance": Opt("numbers"),
            "mean_days_in_stage": Opt("numbers"),
            "n_reps": "count",
            "date_format": Opt("choice"),
        },
        nonfinite=frozenset({"probability"}),  # Opportunities: NaN where none is entered
    ),
    Case(
        "datasets.PurchaseProcess",
        PurchaseProcess,
        lambda: {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        params={"r": "positive", "alpha": "positive", "a": "positive", "b": "positive"},
    ),
    Case(
        "datasets.SpendProcess",
        SpendProcess,
        lambda: {"p": 6.25, "q": 3.74, "gamma": 15.44},
        params={"p": "positive", "q": "positive", "gamma": "positive"},
    ),
]

_MODEL_PARAMS: dict[str, Kind | Opt] = {
    "model": "value",
    "n_customers": "count",
    "n_periods": "count",
    "seed": "seed",
}

CASES += [
    Case(
        "datasets.simulate_purchase_histories",
        simulate_purchase_histories,
        lambda: {
            "model": bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
            "T": 39.0,
            "n_customers": 50,
            "seed": 1,
        },
        params={"model": "value", "T": "positive", "seed": "seed", "n_customers": Opt("count")},
    ),
    Case(
        "datasets.simulate_donor_histories",
        simulate_donor_histories,
        lambda: {
            "model": bgbb_from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783),
            "n_customers": 50,
            "n_periods": 6,
            "seed": 1,
        },
        params=_MODEL_PARAMS,
    ),
    Case(
        "datasets.simulate_contracts",
        simulate_contracts,
        lambda: {
            "model": shifted_beta_geometric_from_params(alpha=0.704, beta=1.182),
            "n_customers": 50,
            "n_periods": 7,
            "seed": 1,
        },
        params=_MODEL_PARAMS,
    ),
]

EXEMPT = {
    "datasets.SimulatedCustomerBase": "the result of simulate_customer_base, not built by callers",
    "datasets.SimulatedCostDrivers": "the result of simulate_cost_drivers, not built by callers",
    "datasets.SimulatedPipeline": "the result of simulate_pipeline, not built by callers",
    "datasets.load_cdnow": "takes no argument: there is no input to make bad (tests/test_cdnow.py)",
}
