"""Bad-input cases: the crmkit.plot charts of campaigns, attribution, lift, the business case and
segment trends (each takes its result, its options and an optional ``ax``).

Every valid call draws into a fresh :class:`matplotlib.figure.Figure` made without pyplot,
so no figure is left open and no backend is touched.
"""

from __future__ import annotations

from functools import cache

from crmkit import plot, roi
from crmkit.datasets import simulate_campaigns
from crmkit.segmentation import assign_segments, rfm_scores, rfm_summary, segment_trends
from tests.badinput.core import Case, Opt


def _ax() -> object:
    from matplotlib.figure import Figure

    return Figure(figsize=(6.0, 4.0)).add_subplot()


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


@cache
def _results() -> dict[str, object]:
    """One small result per chart, built once (results are immutable)."""
    sim = simulate_campaigns(150, "2024-01-01", "2025-01-01", seed=2)
    paths = roi.touchpoint_paths(
        sim.touchpoints, sim.conversions, lookback_days=None, channel="medium"
    )
    orders = {
        "customer": ["a", "b", "a", "c", "b", "a"],
        "timestamp": [
            "2024-01-05",
            "2024-01-20",
            "2024-02-11",
            "2024-03-01",
            "2024-03-15",
            "2024-04-02",
        ],
        "amount": [40.0, 15.5, 60.0, 22.0, 18.0, 75.0],
    }
    segments = assign_segments(rfm_scores(rfm_summary(orders, unit="day")))
    return {
        "campaigns": roi.campaign_results(
            sim.campaigns,
            leads=None,
            opportunities=sim.opportunities,
            revenue=roi.DealRevenue(margin=roi.MarginRate(rate=0.3)),
        ),
        "attribution": roi.compare_attribution(paths, models=[roi.FirstTouch(), roi.Linear()]),
        "lift": roi.lift_test(**sim.holdout),
        "plan": roi.evaluate_business_case(_case()),
        "tornado": roi.sensitivity(_case(), change=0.2),
        "futures": roi.simulate_business_case(
            _case(),
            distributions={"service": roi.Uniform(low=0.8, high=1.2)},
            n_simulations=300,
            seed=1,
        ),
        "trends": segment_trends(orders, segments, freq="month", as_of="2024-05-01"),
    }


_OPTION_KINDS = {"top": "count", "bins": "count", "figure": "choice"}


def _chart(name: str, arg: str, key: str, **options: object) -> Case:
    params = {arg: "value", "ax": Opt("value"), **{k: _OPTION_KINDS[k] for k in options}}
    return Case(
        f"plot.{name}",
        getattr(plot, name),
        lambda: {arg: _results()[key], "ax": _ax(), **options},
        params=params,
    )


CASES = [
    _chart("campaign_roi_chart", "results", "campaigns", top=10),
    _chart("attribution_chart", "comparison", "attribution"),
    _chart("lift_chart", "test", "lift"),
    _chart("cash_flow_chart", "result", "plan"),
    _chart("tornado_chart", "sensitivity", "tornado", top=5),
    _chart("npv_distribution_chart", "simulation", "futures", bins=20),
    _chart("segment_trends_chart", "trends", "trends", figure="orders"),
]

EXEMPT: dict[str, str] = {}
