"""Bad-input cases: crmkit.roi's finance core, campaigns, lift, attribution and business case,
and their simulators in crmkit.datasets (the rest of roi joins with the area's sweep)."""

from __future__ import annotations

import pandas as pd

from crmkit import datasets, roi
from tests.badinput.core import Case, Opt

_FLOWS = [-100.0, 30.0, 40.0, 50.0]
_DATES = ["2024-01-01", "2024-07-01", "2025-01-01", "2025-07-01"]


def _case() -> roi.BusinessCase:
    return roi.BusinessCase(
        costs=(
            roi.CostItem(name="licences", category="technology", one_off=100.0, recurring=10.0),
        ),
        benefits=(roi.BenefitStream(name="service", kind="cost reduction", value=60.0),),
        periods=3,
        discount_rate=0.1,
        first_period=0,
    )


def _paths_tables() -> dict[str, object]:
    return {
        "touchpoints": {
            "customer": ["a", "a", "b"],
            "timestamp": ["2024-01-01", "2024-01-05", "2024-01-03"],
            "channel": ["email", "search", "email"],
        },
        "conversions": {
            "customer": ["a", "b"],
            "timestamp": ["2024-01-06", "2024-01-04"],
            "value": [120.0, 80.0],
        },
        "lookback_days": 30.0,
    }


CASES = [
    Case(
        "roi.npv",
        roi.npv,
        lambda: {"rate": 0.08, "cashflows": list(_FLOWS), "first_period": 0},
        params={"rate": "number", "first_period": "int"},
        columns={"cashflows": "number"},
    ),
    Case("roi.irr", roi.irr, lambda: {"cashflows": list(_FLOWS)}, columns={"cashflows": "number"}),
    Case(
        "roi.irr_roots",
        roi.irr_roots,
        lambda: {"cashflows": list(_FLOWS)},
        columns={"cashflows": "number"},
    ),
    Case(
        "roi.mirr",
        roi.mirr,
        lambda: {"cashflows": list(_FLOWS), "finance_rate": 0.1, "reinvest_rate": 0.12},
        params={"finance_rate": "number", "reinvest_rate": "number"},
        columns={"cashflows": "number"},
    ),
    Case(
        "roi.xnpv",
        roi.xnpv,
        lambda: {"rate": 0.08, "cashflows": list(_FLOWS), "dates": list(_DATES)},
        params={"rate": "number"},
        columns={"dates": "date"},
    ),
    Case(
        "roi.xirr",
        roi.xirr,
        lambda: {"cashflows": list(_FLOWS), "dates": list(_DATES)},
        columns={"dates": "date"},
    ),
    Case(
        "roi.payback_period",
        roi.payback_period,
        lambda: {"cashflows": list(_FLOWS), "first_period": 0},
        params={"first_period": "int"},
        columns={"cashflows": "number"},
    ),
    Case(
        "roi.discounted_payback_period",
        roi.discounted_payback_period,
        lambda: {"rate": 0.05, "cashflows": list(_FLOWS), "first_period": 1},
        params={"rate": "number", "first_period": "int"},
        columns={"cashflows": "number"},
    ),
    Case(
        "roi.sample_size_for_lift",
        roi.sample_size_for_lift,
        lambda: {
            "baseline_rate": 0.02,
            "minimum_lift": 0.01,
            "power": 0.8,
            "confidence": 0.95,
            "control_share": 0.1,
        },
        params={
            "baseline_rate": "probability",
            "minimum_lift": "probability",
            "power": "probability",
            "confidence": "probability",
            "control_share": "probability",
        },
    ),
    Case(
        "roi.minimum_detectable_lift",
        roi.minimum_detectable_lift,
        lambda: {
            "baseline_rate": 0.02,
            "treated": 20_000,
            "control": 2_000,
            "power": 0.8,
            "confidence": 0.95,
        },
        params={
            "baseline_rate": "probability",
            "treated": "count",
            "control": "count",
            "power": "probability",
            "confidence": "probability",
        },
    ),
    Case(
        "roi.lift_test",
        roi.lift_test,
        lambda: {
            "population": 11_000,
            "control": 1_000,
            "responders": 420,
            "control_responders": 25,
            "confidence": 0.95,
        },
        params={
            "population": "count",
            "control": "count",
            "responders": "count",
            "control_responders": "count",
            "confidence": "probability",
        },
        # a huge population leaves control and responders valid; huge responders or a huge
        # control group exceed their group, named by what they exceed or by themselves
        fields={"responders": ("responders",), "control": ("control",)},
        # incremental revenue, profit and ROI are NaN exactly when revenues are not given
        nonfinite=frozenset({"incremental_revenue", "incremental_profit", "incremental_roi"}),
    ),
    Case(
        "roi.TimeDecay",
        roi.TimeDecay,
        lambda: {"half_life_days": 7.0},
        params={"half_life_days": "positive"},
    ),
    Case(
        "roi.PositionBased",
        roi.PositionBased,
        lambda: {"first": 0.4, "middle": 0.2, "last": 0.4},
        params={"first": "probability", "middle": "probability", "last": "probability"},
        fields={"first": ("weights",), "middle": ("weights",), "last": ("weights",)},
    ),
    Case("roi.MarkovChain", roi.MarkovChain, lambda: {"order": 2}, params={"order": "count"}),
    Case(
        "roi.LastNonDirect",
        roi.LastNonDirect,
        lambda: {"direct": ["direct", "brand search"]},
        params={"direct": "names"},
    ),
    Case(
        "roi.touchpoint_paths",
        roi.touchpoint_paths,
        _paths_tables,
        params={"lookback_days": Opt("positive"), "channels": Opt("names")},
        tables={
            "touchpoints": {"customer": "id", "timestamp": "date", "channel": "label"},
            "conversions": {"customer": "id", "timestamp": "date", "value": "amount"},
        },
        empty="result",  # no conversion is valid (nothing to credit); no touch for one is not
        fields={"touchpoints": ("timestamp",)},  # a lone touch left a conversion without one
    ),
    Case(
        "roi.Campaigns.from_arrays",
        roi.Campaigns.from_arrays,
        lambda: {
            "campaign": ["spring", "fair"],
            "budget": [1_000.0, 5_000.0],
            "spend": [900.0, 6_000.0],
            "start": ["2024-01-01", "2024-02-01"],
        },
        columns={"campaign": "id", "budget": "amount", "spend": "amount", "start": "date"},
        empty="result",
    ),
    Case(
        "roi.CostItem",
        roi.CostItem,
        lambda: {
            "name": "licences",
            "category": "technology",
            "one_off": 100.0,
            "recurring": 10.0,
            "escalation": 0.03,
        },
        params={
            "name": "text",
            "category": "choice",
            "one_off": "positive",
            "recurring": "positive",
            "escalation": "number",
        },
    ),
    Case(
        "roi.BenefitStream",
        roi.BenefitStream,
        lambda: {"name": "service", "kind": "cost reduction", "value": 60.0, "start": 1},
        params={"name": "text", "kind": "choice", "value": "positive", "start": "int"},
    ),
    Case(
        "roi.BusinessCase",
        roi.BusinessCase,
        lambda: {
            "costs": _case().costs,
            "benefits": _case().benefits,
            "periods": 3,
            "discount_rate": 0.1,
            "first_period": 0,
            "period_unit": "year",
            "start": "2025-01-01",
        },
        params={
            "periods": "count",
            "discount_rate": "number",
            "first_period": "int",
            "period_unit": "choice",
            "start": Opt("date"),
        },
    ),
    Case(
        "roi.Uniform",
        roi.Uniform,
        lambda: {"low": 0.8, "high": 1.2},
        params={"low": "positive", "high": "positive"},
        fields={"low": ("high",)},  # a low above high is refused as high not above low
    ),
    Case(
        "roi.Triangular",
        roi.Triangular,
        lambda: {"low": 0.8, "mode": 1.0, "high": 1.2},
        params={"low": "positive", "mode": "positive", "high": "positive"},
        fields={"low": ("mode",), "mode": ("high",)},  # the order low <= mode <= high
    ),
    Case(
        "roi.Campaigns.from_frame",
        roi.Campaigns.from_frame,
        lambda: {
            "frame": pd.DataFrame({"id": ["a", "b"], "budget": [10.0, 20.0], "cost": [9.0, 25.0]}),
            "campaign": "id",
            "spend": "cost",
        },
        params={"campaign": "frame_column", "budget": "frame_column", "spend": "frame_column"},
    ),
    Case(
        "roi.sensitivity",
        roi.sensitivity,
        lambda: {"case": _case(), "change": 0.1},
        params={"change": "probability"},
    ),
    Case(
        "roi.simulate_business_case",
        roi.simulate_business_case,
        lambda: {
            "case": _case(),
            "distributions": {"service": roi.Uniform(low=0.8, high=1.2)},
            "n_simulations": 500,
            "seed": 1,
        },
        params={"n_simulations": "count", "seed": "seed"},
        nonfinite=frozenset({"payback_period"}),  # NaN exactly where not paid back
    ),
    Case(
        "datasets.simulate_touchpoints",
        datasets.simulate_touchpoints,
        lambda: {"n_customers": 200, "start": "2024-01-01", "end": "2024-07-01", "seed": 3},
        params={
            "n_customers": "count",
            "start": "date",
            "end": "date",
            "seed": "seed",
            "mean_gap_days": "positive",
        },
    ),
    Case(
        "datasets.simulate_campaigns",
        datasets.simulate_campaigns,
        lambda: {"n_opportunities": 200, "start": "2024-01-01", "end": "2024-07-01", "seed": 3},
        params={"n_opportunities": "count", "start": "date", "end": "date", "seed": "seed"},
        nonfinite=frozenset({"probability"}),  # deals' entered win probability: NaN = the stage's
    ),
]

EXEMPT: dict[str, str] = {
    "datasets.SimulatedCampaigns": "the result of simulate_campaigns, not built by callers",
    "datasets.SimulatedTouchpoints": "the result of simulate_touchpoints, not built by callers",
}
