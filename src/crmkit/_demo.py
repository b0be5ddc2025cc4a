"""``crmkit demo``: one simulated company analysed end to end, printed as text.

Presentation layer: it calls the public functions of every area the way a user
would and formats their results; it computes nothing of its own.
"""

from __future__ import annotations

import importlib.util
from typing import TextIO

import numpy as np

from crmkit._groups import factorize
from crmkit._transactions import Transactions
from crmkit._version import __version__
from crmkit.datasets import simulate_campaigns, simulate_customer_base, simulate_pipeline
from crmkit.funnel import fit_stage_rates, forecast_pipeline, lattice_forecast
from crmkit.lifecycle import classify_stages, lifecycle_metrics
from crmkit.periods import Horizon, default_as_of
from crmkit.segmentation import (
    assign_segments,
    btyd_summary,
    gini,
    pareto_point,
    rfm_scores,
    rfm_summary,
    segment_summary,
    top_share,
)

__all__ = ["run_demo"]

_RULE = "-" * 64


def _heading(out: TextIO, title: str) -> None:
    out.write(f"\n{title}\n{_RULE}\n")


def _base(tx: Transactions, as_of: np.datetime64, out: TextIO) -> None:
    groups = factorize(tx.customer)
    _heading(out, "Customer base")
    first, last = tx.timestamp.min(), tx.timestamp.max()
    lines = [
        f"transactions       {tx.n_rows:>12,}",
        f"customers          {groups.n_groups:>12,}",
        f"window             {first.astype('M8[D]')} to {last.astype('M8[D]')}",
        f"as_of              {as_of.astype('M8[D]')!s:>12} (midnight after the last row)",
        f"net revenue        {tx.amount.sum():>12,.2f}",
        f"refund rows        {tx.n_negative:>12,} (kept and netted, never dropped)",
    ]
    out.write("\n".join(lines) + "\n")


def _segments(tx: Transactions, as_of: np.datetime64, out: TextIO) -> None:
    summary = rfm_summary(tx, unit="day", as_of=as_of)
    segments = assign_segments(rfm_scores(summary))
    table = segment_summary(segments)
    _heading(out, "RFM segments (default 10-segment recency x frequency grid)")
    out.write(f"{'segment':<22}{'customers':>10}{'share':>8}{'revenue share':>15}\n")
    order = np.argsort(-table.revenue_share, kind="stable")
    for i in order:
        if table.customers[i] == 0:
            continue
        out.write(
            f"{table.segment[i]:<22}{table.customers[i]:>10,}"
            f"{table.customer_share[i]:>8.1%}{table.revenue_share[i]:>15.1%}\n"
        )
    revenue = summary.monetary
    _heading(out, "80/20 concentration of revenue")
    out.write(
        f"top 20% of customers bring {top_share(revenue, 0.2):.1%} of revenue\n"
        f"{pareto_point(revenue)}\n"
        f"Gini coefficient {gini(revenue):.3f}\n"
    )


def _lifecycle(tx: Transactions, as_of: np.datetime64, out: TextIO) -> None:
    stages = classify_stages(lifecycle_metrics(tx, as_of=as_of, window_days=90))
    _heading(out, "Relationship lifecycle stages (behavioural rules)")
    total = sum(stages.stage_counts.values())
    out.writelines(
        f"{stage:<22}{count:>10,}{count / total:>8.1%}\n"
        for stage, count in stages.stage_counts.items()
    )


def _pipeline(seed: int, out: TextIO) -> None:
    sim = simulate_pipeline(3_000, "2022-07-01", "2025-01-01", seed=seed)
    quarter = Horizon.next_periods(sim.as_of, "quarter", 1, include_current=True)
    rates = fit_stage_rates(sim.history)
    weighted = forecast_pipeline(
        sim.opportunities, period=[quarter], by=["region"], probabilities=rates, as_of=sim.as_of
    )
    spread = lattice_forecast(
        sim.opportunities, period=[quarter], by=["region"], probabilities=rates
    )
    _heading(out, f"Pipeline forecast {quarter.label} by region (calibrated win rates)")
    out.write(
        f"{'region':<8}{'open':>6}{'pipeline':>12}{'weighted':>12}{'P10':>11}{'P50':>11}{'P90':>11}\n"
    )
    regions = weighted.groups["region"]
    for i, region in enumerate(regions):
        j = int(np.flatnonzero(spread.groups["region"] == region)[0])
        out.write(
            f"{region:<8}{weighted.n_open[i]:>6,}{weighted.pipeline[i]:>12,.0f}"
            f"{weighted.weighted[i]:>12,.0f}{spread.p10[j]:>11,.0f}{spread.p50[j]:>11,.0f}"
            f"{spread.p90[j]:>11,.0f}\n"
        )


def _clv(tx: Transactions, as_of: np.datetime64, out: TextIO) -> None:
    _heading(out, "Customer lifetime value (BG/NBD + Gamma-Gamma, next 12 months)")
    if importlib.util.find_spec("scipy") is None:
        out.write('needs scipy: pip install "crmkit[models]"\n')
        return
    from crmkit.roi import customer_clv, fit_bgnbd, fit_gamma_gamma  # noqa: PLC0415

    summary = btyd_summary(tx, freq="week", as_of=as_of)
    purchases = fit_bgnbd(summary)
    keep = (summary.frequency == 0) | (summary.monetary_value > 0)
    buyers = {name: column[keep] for name, column in summary.table().items()}
    spend = fit_gamma_gamma(buyers)
    clv = customer_clv(
        purchases, spend, buyers, periods=12, period_length=52 / 12, discount_rate=0.01
    )
    params = ", ".join(f"{k}={v:.3f}" for k, v in purchases.params.items())
    ranked = np.sort(clv.clv)[::-1]
    top = max(1, ranked.size // 10)
    out.write(
        f"BG/NBD {params} (converged: {purchases.diagnostics.converged})\n"
        f"expected value of the base  {clv.total_clv:>12,.0f}\n"
        f"top 10% of customers hold   {ranked[:top].sum() / ranked.sum():>12.1%} of it\n"
        f"customers likely alive      {np.mean(clv.p_alive > 0.5):>12.1%}\n"
    )


def _campaigns(seed: int, out: TextIO) -> None:
    from crmkit.roi import (  # noqa: PLC0415  (roi is loaded only for its sections)
        DealRevenue,
        LastTouch,
        MarginRate,
        MarkovChain,
        campaign_results,
        compare_attribution,
        touchpoint_paths,
    )

    sim = simulate_campaigns(2_000, "2023-01-01", "2025-01-01", seed=seed)
    report = campaign_results(
        sim.campaigns,
        leads=sim.leads["campaign"],
        opportunities=sim.opportunities,
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
        by=["channel"],
    )
    _heading(out, "Campaign ROI by channel (won deals sourced, 35% gross margin)")
    out.write(
        f"{'channel':<10}{'spend':>11}{'leads':>8}{'won':>6}{'CPL':>8}{'CAC':>10}"
        f"{'ROI':>8}{'payback':>10}\n"
    )
    for i in np.argsort(-np.nan_to_num(report.roi, nan=-np.inf), kind="stable"):
        payback = f"{report.payback_days[i]:.0f} d" if report.paid_back[i] else "no"
        out.write(
            f"{report.groups['channel'][i]:<10}{report.spend[i]:>11,.0f}{report.leads[i]:>8,.0f}"
            f"{report.won_deals[i]:>6,.0f}{report.cost_per_lead[i]:>8,.0f}"
            f"{report.cac[i]:>10,.0f}{report.roi[i]:>8.0%}{payback:>10}\n"
        )
    totals = report.totals
    out.write(
        f"{'all':<10}{totals.spend:>11,.0f}{totals.leads:>8,.0f}{totals.won_deals:>6,.0f}"
        f"{totals.cost_per_lead:>8,.0f}{totals.cac:>10,.0f}{totals.roi:>8.0%}\n"
    )
    paths = touchpoint_paths(sim.touchpoints, sim.conversions, lookback_days=180, channel="medium")
    table = compare_attribution(paths, models=[LastTouch(), MarkovChain()])
    total = table.value.sum(axis=0)
    out.write(f"\nrevenue share by attribution model ({paths.n_conversions} won deals)\n")
    out.write(f"{'channel':<10}{'last touch':>12}{'Markov':>10}\n")
    for i, channel in enumerate(table.channel.tolist()):
        out.write(
            f"{channel:<10}{table.value[i, 0] / total[0]:>12.1%}"
            f"{table.value[i, 1] / total[1]:>10.1%}\n"
        )


def _business_case(seed: int, out: TextIO) -> None:
    from crmkit.roi import (  # noqa: PLC0415  (roi is loaded only for its sections)
        BenefitStream,
        BusinessCase,
        CostItem,
        Triangular,
        evaluate_business_case,
        sensitivity,
        simulate_business_case,
    )

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
    _heading(out, "CRM business case (5 years, 10% discount rate, period 0 undiscounted)")
    out.write(f"{'year':<6}{'costs':>10}{'benefits':>11}{'net':>11}{'cumulative PV':>15}\n")
    out.writelines(
        f"{t:<6}{plan.total_cost[t]:>10,.0f}{plan.total_benefit[t]:>11,.0f}"
        f"{plan.net_cash_flow[t]:>11,.0f}{plan.cumulative_discounted[t]:>15,.0f}\n"
        for t in range(plan.period.size)
    )
    irr = "several or none" if plan.irr is None else f"{plan.irr:.1%}"
    payback = (
        "not within the plan" if plan.payback_period is None else f"{plan.payback_period:.1f} years"
    )
    out.write(f"NPV {plan.npv:,.0f}, IRR {irr}, payback {payback}, ROI {plan.roi:.0%}\n")
    tornado = sensitivity(case, change=0.2)
    out.write("largest effects on NPV of +-20%: ")
    out.write(
        ", ".join(f"{tornado.assumption[i]} {tornado.swing[i]:,.0f}" for i in range(3)) + "\n"
    )
    futures = simulate_business_case(
        case,
        distributions={"cross-sell": Triangular(low=0.4, mode=0.9, high=1.2)},
        n_simulations=20_000,
        seed=seed,
    )
    out.write(
        f"Monte Carlo, 20,000 futures: NPV P5 {futures.npv_p5:,.0f}, P50 {futures.npv_p50:,.0f},"
        f" P95 {futures.npv_p95:,.0f}; P(NPV < 0) {futures.p_npv_negative:.1%}\n"
    )


def run_demo(*, n_customers: int, start: str, end: str, seed: int, out: TextIO) -> None:
    """Simulate a company and print its segments, stages, pipeline, CLV, campaigns, CRM case."""
    base = simulate_customer_base(n_customers, start, end, seed=seed)
    tx = base.transactions
    as_of = default_as_of(tx.timestamp)
    out.write(f"crmkit {__version__} demo: {n_customers:,} simulated customers, seed {seed}\n")
    _base(tx, as_of, out)
    _segments(tx, as_of, out)
    _lifecycle(tx, as_of, out)
    _pipeline(seed, out)
    _clv(tx, as_of, out)
    _campaigns(seed, out)
    _business_case(seed, out)
