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
from crmkit.datasets import simulate_customer_base, simulate_pipeline
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
    import warnings  # noqa: PLC0415

    from crmkit.errors import ConvergenceWarning  # noqa: PLC0415
    from crmkit.roi import CalendarPeriods, customer_clv, fit_bgnbd, fit_gamma_gamma  # noqa: PLC0415

    summary = btyd_summary(tx, freq="week", as_of=as_of)
    with warnings.catch_warnings():
        # the demo reports the fit's doubts in words below, from its diagnostics
        warnings.simplefilter("ignore", ConvergenceWarning)
        purchases = fit_bgnbd(summary)
        keep = (summary.frequency == 0) | (summary.monetary_value > 0)
        buyers = {name: column[keep] for name, column in summary.table().items()}
        spend = fit_gamma_gamma(buyers)
    months = CalendarPeriods(as_of=as_of, freq="month", time_unit="week")
    clv = customer_clv(purchases, spend, buyers, periods=12, calendar=months, discount_rate=0.01)
    params = ", ".join(f"{k}={v:.3f}" for k, v in purchases.params.items())
    ranked = np.sort(clv.clv)[::-1]
    top = max(1, ranked.size // 10)
    verdict = purchases.diagnostics.summary()
    if purchases.diagnostics.degenerate:
        verdict += "; the values below are not estimates"
    out.write(
        f"BG/NBD {params}\nfit: {verdict}\n"
        f"expected value of the base  {clv.total_clv:>12,.0f}\n"
        f"top 10% of customers hold   {ranked[:top].sum() / ranked.sum():>12.1%} of it\n"
        f"customers likely alive      {np.mean(clv.p_alive > 0.5):>12.1%}\n"
    )


def run_demo(*, n_customers: int, start: str, end: str, seed: int, out: TextIO) -> None:
    """Simulate a company and print its segments, stages, pipeline and CLV to *out*."""
    base = simulate_customer_base(n_customers, start, end, seed=seed)
    tx = base.transactions
    as_of = default_as_of(tx.timestamp)
    out.write(f"crmkit {__version__} demo: {n_customers:,} simulated customers, seed {seed}\n")
    _base(tx, as_of, out)
    _segments(tx, as_of, out)
    _lifecycle(tx, as_of, out)
    _pipeline(seed, out)
    _clv(tx, as_of, out)
