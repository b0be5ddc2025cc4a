"""What the customers are worth: profit and loss per customer, and lifetime value to come."""

from __future__ import annotations

from typing import Literal

import numpy as np

from crmkit._transactions import Transactions
from crmkit.errors import FitError
from crmkit.report._analyses._base import Analysis, ChartRequest, Detail, money, pct
from crmkit.report._model import Table
from crmkit.roi import (
    CalendarPeriods,
    CustomerPnL,
    profit_by_segment,
    unprofitable_customers,
    whale_curve,
)
from crmkit.segmentation import RFMSummary, Segments, value_tiers

__all__ = ["clv_analysis", "profitability_analysis"]


def profitability_analysis(pnl: CustomerPnL, segments: Segments | None) -> Analysis:
    """Profit and loss per customer: the whale curve, the pyramid, the customers to fix."""
    whale = whale_curve(pnl)
    worst = unprofitable_customers(pnl)
    tiers = value_tiers(pnl.revenue, customer=pnl.customer)
    by_tier = profit_by_segment(pnl, segment=tiers.tier, segment_customer=tiers.customer)
    headlines = [
        (
            f"Customers brought {money(float(pnl.revenue.sum()))} of revenue, "
            f"{money(float(pnl.gross_margin.sum()))} of gross margin and "
            f"{money(whale.total_profit)} of profit after "
            f"{money(float(pnl.cost_to_serve.sum()))} of cost to serve."
        ),
        (
            f"The most profitable {pct(whale.peak_share_of_customers)} of customers earn "
            f"{pct(whale.peak_share_of_total)} of the total profit; the other "
            f"{whale.n_unprofitable:,} unprofitable customers give back "
            f"{money(whale.tail_give_back)}."
        ),
    ]
    if worst.n_customers and worst.main_cost_driver.size:
        drivers, counts = np.unique(worst.main_cost_driver, return_counts=True)
        top = int(np.argmax(counts))
        headlines.append(
            f"The main cost driver of the most unprofitable customers is {drivers[top]} "
            f"({counts[top]:,} of {worst.main_cost_driver.size:,})."
        )
    pyramid = [
        (
            by_tier.segment[i],
            by_tier.n_customers[i],
            by_tier.revenue[i],
            by_tier.profit[i],
            by_tier.n_unprofitable[i],
        )
        for i in np.argsort(-by_tier.revenue, kind="stable")
    ]
    top_loss = [
        (
            worst.customer[i],
            worst.revenue[i],
            worst.cost_to_serve[i],
            worst.profit[i],
            worst.main_cost_driver[i],
        )
        for i in range(min(8, worst.customer.size))
    ]
    charts = [
        ChartRequest(name="whale_chart", title="Whale curve of cumulative profit", result=whale),
        ChartRequest(name="customer_pyramid", title="Customer pyramid", result=tiers),
    ]
    functions = [
        "crmkit.roi.customer_pnl",
        "crmkit.roi.whale_curve",
        "crmkit.roi.unprofitable_customers",
        "crmkit.segmentation.value_tiers",
        "crmkit.roi.profit_by_segment",
    ]
    if segments is not None:
        by_segment = profit_by_segment(
            pnl, segment=segments.segment, segment_customer=segments.customer
        )
        charts.append(
            ChartRequest(
                name="segment_profit_chart", title="Profit per RFM segment", result=by_segment
            )
        )
    charts.append(ChartRequest(name="pnl_waterfall", title="From revenue to profit", result=pnl))
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title="Profit by tier of the customer pyramid",
                columns=("tier", "customers", "revenue", "profit", "unprofitable"),
                formats=("text", "count", "money", "money", "count"),
                rows=pyramid,
                function="crmkit.roi.profit_by_segment",
            ),
            Table(
                title="The most unprofitable customers and their main cost driver",
                columns=("customer", "revenue", "cost to serve", "profit", "main cost driver"),
                formats=("text", "money", "money", "money", "text"),
                rows=top_loss,
                function="crmkit.roi.unprofitable_customers",
            ),
        ],
        charts=charts,
        functions=functions,
        detail=Detail(
            title="Profit and loss per customer",
            columns=pnl.table(),
            shown=[
                ("customer", "customer", "text"),
                ("revenue", "revenue", "money"),
                ("gross_margin", "gross margin", "money"),
                ("cost_to_serve", "cost to serve", "money"),
                ("profit", "profit", "money"),
            ],
            result=pnl,
        ),
    )


def clv_analysis(
    tx: Transactions,
    *,
    as_of: object,
    freq: Literal["day", "week", "month"],
    periods: int,
    period_length: float | None = None,
    calendar: CalendarPeriods | None = None,
    discount_rate: float,
    horizon: str,
    rate_period: str,
    rfm: RFMSummary | None = None,
) -> Analysis:
    """Lifetime value to come: BG/NBD purchases x Gamma-Gamma spend, P(alive), core customers.

    Raises :class:`~crmkit.errors.FitError` when a model cannot be fitted (and
    needs scipy, the ``models`` extra). *horizon* says the value's horizon in
    words ("the next 12 months"), *rate_period* what the discount rate is per
    ("month"); *period_length* (fixed periods in *freq* units) or *calendar*
    (real calendar months from ``as_of``) as in :func:`crmkit.roi.customer_clv`;
    with the RFM summary *rfm* the customers are
    also placed by value so far and value to come.
    """
    from crmkit.roi import (  # noqa: PLC0415  (scipy is imported by the fits)
        alive_matrix,
        customer_clv,
        fit_bgnbd,
        fit_gamma_gamma,
        repeat_purchase_histogram,
    )
    from crmkit.segmentation import Quantile, btyd_summary, value_potential_matrix  # noqa: PLC0415

    summary = btyd_summary(tx, freq=freq, as_of=as_of)
    purchases = fit_bgnbd(summary)
    keep = (summary.frequency == 0) | (summary.monetary_value > 0)
    buyers = {name: column[keep] for name, column in summary.table().items()}
    spend = fit_gamma_gamma(buyers)
    clv = customer_clv(
        purchases,
        spend,
        buyers,
        periods=periods,
        period_length=period_length,
        calendar=calendar,
        discount_rate=discount_rate,
    )
    degenerate = [
        f"{name} ({fit.diagnostics.summary().removeprefix('DEGENERATE fit, ')})"
        for name, fit in (("BG/NBD", purchases), ("Gamma-Gamma", spend))
        if fit.diagnostics.degenerate
    ]
    if degenerate or not np.isfinite(clv.clv).all():
        # a fit that ran to a degenerate corner gives values that are not estimates (or none):
        # say so in words (the report lists Prospecting as not computed) instead of figures
        why = (
            f"the fit is degenerate: {'; '.join(degenerate)}"
            if degenerate
            else (
                f"the lifetime value of {int(np.count_nonzero(~np.isfinite(clv.clv))):,} of "
                f"{clv.clv.size:,} customers is not a number"
            )
        )
        msg = f"{why}; more customers or a longer history identify the models"
        raise FitError(msg)
    ranked = np.argsort(-clv.clv, kind="stable")
    n_top = max(1, clv.clv.size // 10)
    positive = float(clv.clv[clv.clv > 0].sum())
    headlines = [
        (
            f"The customers are expected to bring {money(clv.total_clv)} over {horizon} "
            f"(discounted at {pct(discount_rate)} a {rate_period})."
        ),
        (
            f"The top 10 % of customers by lifetime value hold "
            f"{pct(float(clv.clv[ranked[:n_top]].sum()) / positive if positive else 0.0)} "
            "of it."
        ),
        (
            f"{pct(float(np.mean(clv.p_alive > 0.5)))} of customers are more likely alive than "
            "not (probability alive above 50 %)."
        ),
    ]
    notes = []
    for name, fit in (("BG/NBD", purchases), ("Gamma-Gamma", spend)):
        diag = fit.diagnostics
        if not diag.converged or diag.warnings:
            said = "; ".join(diag.warnings) or diag.optimizer_message
            notes.append(f"The {name} fit should be read with care: {said}.")
    if spend.independence is not None and not spend.independence.plausible:
        notes.append(
            "Spend per purchase is correlated with purchase frequency "
            f"({spend.independence.correlation:.2f}): Gamma-Gamma assumes it is not."
        )
    excluded = int(np.count_nonzero(~keep))
    if excluded:
        notes.append(
            f"{excluded:,} customers whose repeat purchases net to zero or less (returned "
            "everything) are left out of lifetime value."
        )
    charts = [
        ChartRequest(name="clv_histogram", title="Distribution of lifetime value", result=clv),
        ChartRequest(
            name="frequency_recency_heatmap",
            title="Probability alive by frequency and recency",
            result=alive_matrix(purchases, summary),
        ),
        ChartRequest(
            name="repeat_purchase_chart",
            title="Repeat purchases: the model against the data",
            result=repeat_purchase_histogram(purchases, summary),
        ),
    ]
    functions = [
        "crmkit.segmentation.btyd_summary",
        "crmkit.roi.fit_bgnbd",
        "crmkit.roi.fit_gamma_gamma",
        "crmkit.roi.customer_clv",
        "crmkit.roi.alive_matrix",
        "crmkit.roi.repeat_purchase_histogram",
    ]
    if rfm is not None:
        where = np.searchsorted(rfm.customer, clv.customer)
        if np.array_equal(rfm.customer[np.minimum(where, rfm.customer.size - 1)], clv.customer):
            matrix = value_potential_matrix(
                rfm.monetary[where],
                clv.clv,
                current_threshold=Quantile(0.8),
                potential_threshold=Quantile(0.8),
                customer=clv.customer,
            )
            counts = matrix.customers
            headlines.append(
                f"By value so far and value to come (top 20 % of each): {counts['core']:,} core "
                f"customers to keep, {counts['grow']:,} to grow, {counts['maintain']:,} to "
                "maintain."
            )
            charts.append(
                ChartRequest(
                    name="value_potential_chart",
                    title="Value so far and value to come",
                    result=matrix,
                )
            )
            functions.append("crmkit.segmentation.value_potential_matrix")
    params = ", ".join(f"{k} = {v:.3g}" for k, v in purchases.params.items())
    gg = ", ".join(f"{k} = {v:.3g}" for k, v in spend.params.items())
    headlines.append(f"BG/NBD parameters: {params}; Gamma-Gamma: {gg}.")
    top_rows = [
        (
            clv.customer[i],
            clv.p_alive[i],
            clv.expected_purchases[i],
            clv.value_per_purchase[i],
            clv.clv[i],
        )
        for i in ranked[:10]
    ]
    return Analysis(
        headlines=headlines,
        tables=[
            Table(
                title=f"Highest expected value over {horizon}",
                columns=(
                    "customer",
                    "P(alive)",
                    "expected purchases",
                    "value per purchase",
                    "lifetime value",
                ),
                formats=("text", "share", "number", "money", "money"),
                rows=top_rows,
                function="crmkit.roi.customer_clv",
            )
        ],
        charts=charts,
        functions=functions,
        notes=notes,
        detail=Detail(
            title="Lifetime value per customer",
            columns=clv.table(),
            shown=[
                ("customer", "customer", "text"),
                ("p_alive", "P(alive)", "share"),
                ("expected_purchases", "expected purchases", "number"),
                ("value_per_purchase", "value per purchase", "money"),
                ("clv", "CLV", "money"),
            ],
            result=clv,
        ),
    )
