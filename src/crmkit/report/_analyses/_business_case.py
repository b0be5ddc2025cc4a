"""Whether a CRM investment pays back: cash flows, NPV and payback, the tornado, a Monte Carlo."""

from __future__ import annotations

from collections.abc import Mapping

from crmkit._params import SeedLike
from crmkit.errors import InputError
from crmkit.report._analyses._base import Analysis, ChartRequest, Detail, money, pct
from crmkit.report._model import Table
from crmkit.roi import (
    BusinessCase,
    Distribution,
    evaluate_business_case,
    sensitivity,
    simulate_business_case,
)

__all__ = ["business_case_analysis"]


def business_case_analysis(
    case: BusinessCase,
    *,
    change: float,
    distributions: Mapping[str, Distribution] | None = None,
    n_simulations: int = 0,
    seed: SeedLike | None = None,
) -> Analysis:
    """Work the plan out, move each assumption by ±*change*, and simulate futures.

    The Monte Carlo runs when *distributions* are given (with *n_simulations*
    and *seed*, which it then needs).
    """
    plan = evaluate_business_case(case)
    unit = plan.period_unit
    tco = ", ".join(f"{k} {money(v)}" for k, v in plan.tco.items() if v)
    irr = "not unique or none" if plan.irr is None else pct(plan.irr, 1)
    if plan.payback_period is None:
        payback = "does not pay back within the plan"
    else:
        discounted = (
            f"{plan.discounted_payback_period:.1f} discounted"
            if plan.discounted_payback_period is not None
            else "never, discounted"
        )
        payback = f"pays back in {plan.payback_period:.1f} {unit}s ({discounted})"
    headlines = [
        (
            f"Over {case.periods} {unit}s the plan costs {money(plan.total_costs)} ({tco}) and "
            f"brings {money(plan.total_benefits)} of benefits."
        ),
        (
            f"NPV {money(plan.npv)} at {pct(case.discount_rate)} a {unit}, IRR {irr}; "
            f"it {payback}; ROI {pct(plan.roi)}."
        ),
    ]
    tornado = sensitivity(case, change=change)
    biggest = ", ".join(
        f"{tornado.assumption[i]} ({money(float(tornado.swing[i]))})"
        for i in range(min(3, tornado.assumption.size))
    )
    headlines.append(f"Largest effects on NPV of ±{pct(change)}: {biggest}.")
    charts = [
        ChartRequest(name="cash_flow_chart", title="Cash flows and payback", result=plan),
        ChartRequest(name="tornado_chart", title="Sensitivity of NPV", result=tornado),
    ]
    functions = [
        "crmkit.roi.evaluate_business_case",
        "crmkit.roi.sensitivity",
    ]
    if distributions:
        if seed is None:
            raise InputError.for_parameter(
                "seed",
                "given with the distributions (a Monte Carlo of the business case needs a seed)",
                None,
                function="business_case_analysis",
            )
        futures = simulate_business_case(
            case, distributions=distributions, n_simulations=n_simulations, seed=seed
        )
        headlines.append(
            f"Over {futures.n_simulations:,} simulated futures: NPV P5 "
            f"{money(futures.npv_p5)}, P50 {money(futures.npv_p50)}, P95 "
            f"{money(futures.npv_p95)}; P(NPV < 0) {pct(futures.p_npv_negative, 1)}; it pays back "
            f"within the plan in {pct(futures.p_paid_back)} of them."
        )
        charts.append(
            ChartRequest(
                name="npv_distribution_chart", title="NPV over simulated futures", result=futures
            )
        )
        functions.append("crmkit.roi.simulate_business_case")
    notes = []
    if plan.irr is None and plan.irr_roots:
        rates = ", ".join(pct(r, 1) for r in plan.irr_roots)
        notes.append(f"The flows change sign more than once: NPV is zero at {rates}.")
    first = "today, not discounted" if case.first_period == 0 else "discounted once"
    notes.append(f"Period 0 is {first} (first_period={case.first_period}).")
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title=f"Cash flows per {unit}",
                columns=(
                    unit,
                    "costs",
                    "benefits",
                    "net cash flow",
                    "cumulative",
                    "cumulative discounted",
                ),
                formats=("count", "money", "money", "money", "money", "money"),
                rows=[
                    (
                        plan.period[i],
                        plan.total_cost[i],
                        plan.total_benefit[i],
                        plan.net_cash_flow[i],
                        plan.cumulative_cash_flow[i],
                        plan.cumulative_discounted[i],
                    )
                    for i in range(plan.period.size)
                ],
                function="crmkit.roi.evaluate_business_case",
            ),
            Table(
                title=f"NPV with each assumption at {pct(1 - change)} and {pct(1 + change)}",
                columns=("assumption", "low NPV", "high NPV", "swing"),
                formats=("text", "money", "money", "money"),
                rows=[
                    (
                        tornado.assumption[i],
                        tornado.low_npv[i],
                        tornado.high_npv[i],
                        tornado.swing[i],
                    )
                    for i in range(tornado.assumption.size)
                ],
                function="crmkit.roi.sensitivity",
            ),
        ],
        charts=charts,
        functions=functions,
        notes=notes,
        detail=Detail(
            title=f"Cash flows per {unit}",
            columns=plan.table(),
            shown=[
                ("period", unit, "count"),
                ("total_cost", "costs", "money"),
                ("total_benefit", "benefits", "money"),
                ("net_cash_flow", "net", "money"),
                ("cumulative_cash_flow", "cumulative", "money"),
                ("discounted_cash_flow", "discounted", "money"),
                ("cumulative_discounted", "cumulative discounted", "money"),
            ],
            result=plan,
            rows=200,
        ),
    )
