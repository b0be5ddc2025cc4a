"""``crmkit demo``: one simulated company, every analysis, the 7P report, and where to go next.

Presentation layer: it simulates data with :mod:`crmkit.datasets`, hands it to
:func:`crmkit.report.build` (which calls the public functions of every area)
and prints the findings; it computes nothing of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from crmkit._version import __version__
from crmkit.datasets import (
    simulate_campaigns,
    simulate_cost_drivers,
    simulate_customer_base,
    simulate_pipeline,
)
from crmkit.report import Report, build
from crmkit.roi import (
    BenefitStream,
    BusinessCase,
    CostItem,
    DealRevenue,
    LastTouch,
    MarginRate,
    MarkovChain,
    Triangular,
    campaign_results,
    compare_attribution,
    evaluate_business_case,
    sensitivity,
    simulate_business_case,
    touchpoint_paths,
)

__all__ = ["DOCS_PAGES", "business_case_lines", "campaign_lines", "demo_report", "run_demo"]

START, END = "2023-01-01", "2025-01-01"
"""The simulated company's observation window (the report is as of END)."""

DOCS_PAGES = {
    "profiling": "docs/segmentation.md",
    "persistency": "docs/lifecycle.md",
    "profitability": "docs/roi.md",
    "performance": "docs/funnel.md",
    "prospecting": "docs/roi.md",
    "product": "docs/segmentation.md",
}
"""The guide that explains each section's analyses."""


def demo_report(*, n_customers: int, seed: int, charts: bool) -> Report:
    """Simulate one company from *seed* and build its report.

    Orders with products and channels (buy-till-you-die customers), the
    activities each customer consumed with their unit costs and margins per
    product, and a B2B pipeline with stage histories over the same window.
    """
    base = simulate_customer_base(n_customers, START, END, seed=seed)
    drivers = simulate_cost_drivers(base, seed=seed)
    pipeline = simulate_pipeline(max(500, n_customers // 2), "2022-07-01", END, seed=seed)
    return build(
        base.transactions,
        product="product",
        margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
        opportunities=pipeline.opportunities,
        history=pipeline.history,
        charts=charts,
        title=f"crmkit demo: a simulated company ({n_customers:,} customers, seed {seed})",
    )


def campaign_lines(seed: int) -> list[str]:
    """Return which campaigns paid back: ROI by channel of simulated campaigns, two attributions."""
    sim = simulate_campaigns(2_000, START, END, seed=seed)
    report = campaign_results(
        sim.campaigns,
        leads=sim.leads["campaign"],
        opportunities=sim.opportunities,
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
        by=["channel"],
    )
    header = (
        f"  {'channel':<10}{'spend':>11}{'leads':>8}{'won':>6}{'CPL':>8}{'CAC':>10}"
        f"{'ROI':>8}{'payback':>10}"
    )
    lines = [header]
    for i in np.argsort(-np.nan_to_num(report.roi, nan=-np.inf), kind="stable"):
        payback = f"{report.payback_days[i]:.0f} d" if report.paid_back[i] else "no"
        lines.append(
            f"  {report.groups['channel'][i]:<10}{report.spend[i]:>11,.0f}"
            f"{report.leads[i]:>8,.0f}{report.won_deals[i]:>6,.0f}"
            f"{report.cost_per_lead[i]:>8,.0f}{report.cac[i]:>10,.0f}"
            f"{report.roi[i]:>8.0%}{payback:>10}"
        )
    t = report.totals
    lines.append(
        f"  {'all':<10}{t.spend:>11,.0f}{t.leads:>8,.0f}{t.won_deals:>6,.0f}"
        f"{t.cost_per_lead:>8,.0f}{t.cac:>10,.0f}{t.roi:>8.0%}"
    )
    paths = touchpoint_paths(sim.touchpoints, sim.conversions, lookback_days=180, channel="medium")
    table = compare_attribution(paths, models=[LastTouch(), MarkovChain()])
    total = table.value.sum(axis=0)
    shares = ", ".join(
        f"{channel} {table.value[i, 0] / total[0]:.0%} vs {table.value[i, 1] / total[1]:.0%}"
        for i, channel in enumerate(table.channel.tolist())
    )
    lines.append(f"  - revenue share, last touch vs Markov removal effect: {shares}")
    return lines


def business_case_lines(seed: int) -> list[str]:
    """Return whether a CRM investment pays back: a five-year plan, its tornado, a Monte Carlo."""
    case = BusinessCase(
        costs=(
            CostItem(name="licences", category="technology", one_off=80_000.0, recurring=60_000.0),
            CostItem(name="training", category="people", one_off=50_000.0, recurring=10_000.0),
            CostItem(name="CRM team", category="people", recurring=90_000.0),
            CostItem(name="change management", category="process", one_off=60_000.0),
        ),
        benefits=(
            BenefitStream.revenue_growth(
                name="cross-sell",
                extra_revenue=900_000.0,
                margin_rate=0.3,
                ramp_up=(0.2, 0.5, 0.8),
            ),
            BenefitStream(
                name="service cost", kind="cost reduction", value=80_000.0, ramp_up=(0.5,)
            ),
        ),
        periods=5,
        discount_rate=0.1,
        first_period=0,
    )
    plan = evaluate_business_case(case)
    irr = "several or none" if plan.irr is None else f"{plan.irr:.1%}"
    payback = (
        "not within the plan" if plan.payback_period is None else f"{plan.payback_period:.1f} years"
    )
    tornado = sensitivity(case, change=0.2)
    futures = simulate_business_case(
        case,
        distributions={"cross-sell": Triangular(low=0.4, mode=0.9, high=1.2)},
        n_simulations=20_000,
        seed=seed,
    )
    flows = ", ".join(f"{v:,.0f}" for v in plan.net_cash_flow.tolist())
    biggest = ", ".join(f"{tornado.assumption[i]} {tornado.swing[i]:,.0f}" for i in range(3))
    return [
        f"  - net cash flow by year (10% discount rate, year 0 undiscounted): {flows}",
        f"  - NPV {plan.npv:,.0f}, IRR {irr}, payback {payback}, ROI {plan.roi:.0%}",
        f"  - largest effects on NPV of +-20%: {biggest}",
        (
            f"  - Monte Carlo, 20,000 futures: NPV P5 {futures.npv_p5:,.0f}, "
            f"P50 {futures.npv_p50:,.0f}, P95 {futures.npv_p95:,.0f}; "
            f"P(NPV < 0) {futures.p_npv_negative:.1%}"
        ),
    ]


def run_demo(
    *,
    n_customers: int,
    seed: int,
    out: Path,
    json_path: Path | None,
    charts: bool,
    say: Callable[[str], None],
) -> Path:
    """Simulate a company, write its report to *out* and print its findings with *say*."""
    started = time.perf_counter()
    say(f"crmkit {__version__} demo: {n_customers:,} simulated customers, seed {seed}")
    report = demo_report(n_customers=n_customers, seed=seed, charts=charts)
    for name, described in report.inputs.items():
        say(f"  {name}: {described}")
    for section in report.sections:
        say("")
        say(f"{section.title}: {section.question}")
        for line in section.headlines:
            say(f"  - {line}")
        for note in section.notes:
            say(f"  note: {note}")
    if report.not_computed:
        say("")
        for title, why in report.not_computed.items():
            say(f"{title}: not computed: {why}.")
    say("")
    say("Campaigns: which campaigns and channels paid back? (simulated quarterly campaigns)")
    for line in campaign_lines(seed):
        say(line)
    say("")
    say("CRM business case: will the investment pay back, when, and how sure are we?")
    for line in business_case_lines(seed):
        say(line)
    out.write_text(report.to_html(), encoding="utf-8")
    if json_path is not None:
        json_path.write_text(report.to_json(), encoding="utf-8")
    drawn = sum(1 for s in report.sections for c in s.charts if c.drawn)
    slots = sum(len(s.charts) for s in report.sections)
    elapsed = time.perf_counter() - started
    say("")
    say(f"Done in {elapsed:.1f} s. Where to go next:")
    say(f"  - the report ({drawn} of {slots} charts drawn): {out.resolve()}")
    missing = next((c.missing for s in report.sections for c in s.charts if not c.drawn), None)
    if missing:
        say(f"    charts not drawn: {missing}")
    say("    open it in a browser, or run crmkit demo --open")
    for section in report.sections:
        say(f"  - {section.title}: {DOCS_PAGES.get(section.key, 'docs/index.md')}")
    say("  - campaigns, attribution and the CRM business case: docs/campaigns.md")
    say("  - the same on your own orders: crmkit report orders.csv --out report.html")
    say("  - on real data (CDNOW): crmkit report --example cdnow --out cdnow.html")
    say("  - every command: crmkit --help; the command-line guide: docs/cli.md")
    return out
