"""Type-checked, never run: pins the public signatures of campaign ROI, attribution and the CRM
business case in crmkit.roi, and of their simulators in crmkit.datasets.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, assert_type

import numpy as np
import numpy.typing as npt

from crmkit.datasets import (
    SimulatedCampaigns,
    SimulatedTouchpoints,
    simulate_campaigns,
    simulate_touchpoints,
)
from crmkit.errors import InputError, TooManyChannelsError
from crmkit.funnel import Opportunities
from crmkit.roi import (
    SHAPLEY_MAX_CHANNELS,
    AttributedRevenue,
    Attribution,
    AttributionComparison,
    AttributionModel,
    BenefitStream,
    BusinessCase,
    BusinessCaseResult,
    BusinessCaseSimulation,
    CampaignResults,
    Campaigns,
    CampaignTotals,
    ChannelValue,
    ChannelWeights,
    ConversionCredits,
    CostItem,
    CustomerCLV,
    CustomerPnL,
    CustomerRevenue,
    DealRevenue,
    DetectableLift,
    FirstTouch,
    FullPath,
    LastNonDirect,
    LastTouch,
    LiftTest,
    Linear,
    MarginRate,
    MarkovChain,
    PositionBased,
    SampleSize,
    ScenarioResults,
    Sensitivity,
    Shapley,
    TimeDecay,
    TouchpointPaths,
    Triangular,
    Uniform,
    WShaped,
    attribute,
    attribution_credits,
    campaign_results,
    clv_attribution,
    compare_attribution,
    evaluate_business_case,
    lift_test,
    minimum_detectable_lift,
    sample_size_for_lift,
    scenarios,
    sensitivity,
    simulate_business_case,
    touchpoint_paths,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def attribution(clv: CustomerCLV) -> None:
    sim = simulate_touchpoints(100, "2024-01-01", "2024-06-01", seed=1)
    assert_type(sim, SimulatedTouchpoints)
    assert_type(sim.true_removal_effect, FloatArray)
    assert_type(sim.true_conversion_probability, float)
    paths = touchpoint_paths(
        sim.touchpoints,
        sim.conversions,
        lookback_days=90,
        channels=["web", "email"],
        lead_created="lead_created",
        opportunity_created="opportunity_created",
    )
    assert_type(paths, TouchpointPaths)
    assert_type(paths.channels, tuple[str, ...])
    assert_type(paths.n_conversions, int)
    assert_type(paths.converted_value, float)
    assert_type(paths.n_touches_outside_lookback, int)
    assert_type(touchpoint_paths({}, {}, lookback_days=None), TouchpointPaths)
    models: list[AttributionModel] = [
        FirstTouch(),
        LastTouch(),
        LastNonDirect(direct=["direct"]),
        Linear(),
        TimeDecay(half_life_days=7.0),
        PositionBased(first=0.4, middle=0.2, last=0.4),
        WShaped(first=0.3, lead=0.3, opportunity=0.3, rest=0.1),
        FullPath(),
        MarkovChain(order=2),
        Shapley(),
    ]
    result = attribute(paths, model=models[0])
    assert_type(result, Attribution)
    assert_type(result.value, FloatArray)
    assert_type(result.channel, npt.NDArray[np.str_])
    assert_type(result.weights, ChannelWeights | None)
    assert_type(result.unattributed_value, float)
    weights = attribute(paths, model=MarkovChain()).weights
    if weights is not None:
        assert_type(weights.kind, Literal["removal effect", "shapley value"])
        assert_type(weights.share, FloatArray)
    credited = attribution_credits(paths, model=Shapley())
    assert_type(credited, ConversionCredits)
    assert_type(credited.customer, npt.NDArray[Any])
    assert_type(credited.credit, FloatArray)
    table = compare_attribution(paths, models=models)
    assert_type(table, AttributionComparison)
    assert_type(table.value, FloatArray)
    assert_type(table.models, tuple[str, ...])
    value = clv_attribution(paths, model=Linear(), clv=clv, spend={"web": 100.0})
    assert_type(value, ChannelValue)
    assert_type(value.ltv_to_cac, FloatArray)
    assert_type(clv_attribution(paths, model=Linear(), clv=[1.0], customer=[1]), ChannelValue)
    limit: int = SHAPLEY_MAX_CHANNELS
    assert_type(limit, int)
    err: InputError = TooManyChannelsError("too many", field="model")
    assert_type(err.field, str | None)


def campaigns(opps: Opportunities, pnl: CustomerPnL, paths: TouchpointPaths) -> None:
    sim = simulate_campaigns(100, "2024-01-01", "2024-06-01", seed=1)
    assert_type(sim, SimulatedCampaigns)
    assert_type(sim.campaigns, Campaigns)
    assert_type(sim.opportunities, Opportunities)
    assert_type(sim.true_cost_per_lead, Mapping[str, float])
    table = Campaigns.from_arrays(
        campaign=["a"], budget=[1.0], spend=[1.0], start=["2024-01-01"], dimensions={"ch": ["x"]}
    )
    assert_type(table, Campaigns)
    assert_type(
        Campaigns.from_frame({"campaign": ["a"], "budget": [1.0], "spend": [1.0]}), Campaigns
    )
    assert_type(table.n_campaigns, int)
    r = campaign_results(
        table,
        leads=["a"],
        opportunities=opps,
        revenue=DealRevenue(margin=MarginRate(rate=0.3)),
        by=["ch"],
        campaign_dimension="campaign",
    )
    assert_type(r, CampaignResults)
    assert_type(r.roi, FloatArray)
    assert_type(r.paid_back, npt.NDArray[np.bool_])
    assert_type(r.totals, CampaignTotals)
    assert_type(r.totals.roi, float)
    assert_type(r.rank("roi", descending=False), CampaignResults)
    assert_type(r.groups, Mapping[str, npt.NDArray[Any]])
    attributed = AttributedRevenue(paths=paths, model=Linear(), margin=MarginRate(rate=0.3))
    assert_type(
        campaign_results(table, leads=None, opportunities=None, revenue=attributed),
        CampaignResults,
    )
    acquired = CustomerRevenue(pnl=pnl, customer=[1], campaign=["a"])
    assert_type(
        campaign_results(table, leads=None, opportunities=None, revenue=acquired), CampaignResults
    )


def lift() -> None:
    t = lift_test(
        population=[1_000],
        control=[100],
        responders=[50],
        control_responders=[3],
        confidence=0.9,
        revenue=[10.0],
        control_revenue=[1.0],
        margin_rate=0.4,
        cost=[5.0],
    )
    assert_type(t, LiftTest)
    assert_type(t.ci_low, FloatArray)
    assert_type(t.significant, npt.NDArray[np.bool_])
    assert_type(t.method, str)
    s = sample_size_for_lift(
        baseline_rate=0.02, minimum_lift=0.01, power=0.8, confidence=0.95, control_share=0.1
    )
    assert_type(s, SampleSize)
    assert_type(s.treated, int)
    d = minimum_detectable_lift(
        baseline_rate=0.02, treated=1_000, control=100, power=0.8, confidence=0.95
    )
    assert_type(d, DetectableLift)
    assert_type(d.absolute_lift, float)


def business_case() -> None:
    case = BusinessCase(
        costs=(
            CostItem(name="a", category="technology", one_off=1.0, recurring=1.0),
            CostItem.scheduled(name="b", category="process", periods=[0, 1], amounts=[1.0, 2.0]),
        ),
        benefits=(
            BenefitStream(name="c", kind="cost reduction", value=1.0, ramp_up=(0.5,)),
            BenefitStream.revenue_growth(name="d", extra_revenue=10.0, margin_rate=0.3),
        ),
        periods=5,
        discount_rate=0.1,
        first_period=0,
        period_unit="year",
        start=np.datetime64("2025-01-01"),
    )
    assert_type(case.assumptions, tuple[str, ...])
    r = evaluate_business_case(case)
    assert_type(r, BusinessCaseResult)
    assert_type(r.npv, float)
    assert_type(r.irr, float | None)
    assert_type(r.irr_roots, tuple[float, ...])
    assert_type(r.payback_period, float | None)
    assert_type(r.break_even_period, int | None)
    assert_type(r.tco, Mapping[str, float])
    tornado = sensitivity(case, change=0.1)
    assert_type(tornado, Sensitivity)
    assert_type(tornado.swing, FloatArray)
    named = scenarios(case, {"pessimistic": {"c": 0.8}})
    assert_type(named, ScenarioResults)
    assert_type(named.irr, FloatArray)
    sim = simulate_business_case(
        case,
        distributions={
            "c": Triangular(low=0.5, mode=1.0, high=1.1),
            "d": Uniform(low=0.8, high=1.2),
        },
        n_simulations=100,
        seed=np.random.default_rng(1),
    )
    assert_type(sim, BusinessCaseSimulation)
    assert_type(sim.p_npv_negative, float)
    assert_type(sim.npv, FloatArray)
