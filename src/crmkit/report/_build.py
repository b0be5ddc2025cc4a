"""``crmkit.report.build``: the seven views of customer analysis from crmkit's own results.

Presentation layer: every number comes from a public crmkit function, named in
the section it appears in. The analyses themselves (the calls and their
sentences) live in :mod:`crmkit.report._analyses`, shared with the command
line; this module chooses which to run for each view and lays them out.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from crmkit._params import instance, number
from crmkit._tables import read_mapped
from crmkit._transactions import Transactions, read_transactions
from crmkit._version import __version__
from crmkit.errors import FitError
from crmkit.funnel import Opportunities, StageHistory, fit_stage_rates
from crmkit.periods import Horizon
from crmkit.report._analyses import (
    HOLDOUT_COLUMNS,
    Analysis,
    calibration_analysis,
    churn_analysis,
    clv_analysis,
    cohorts_analysis,
    combine,
    compare_models,
    concentration_analysis,
    day,
    default_models,
    forecast_analysis,
    holdout_lift,
    migration_analysis,
    money,
    products_analysis,
    profitability_analysis,
    rank_campaigns,
    segments_analysis,
    stages_analysis,
    summary_notes,
    trends_analysis,
)
from crmkit.report._charts import ChartMaker
from crmkit.report._model import Chart, Report, Section
from crmkit.roi import (
    Campaigns,
    CostColumn,
    DealRevenue,
    MarginRate,
    customer_pnl,
    touchpoint_paths,
)
from crmkit.segmentation import RFMSummary, Segments, assign_segments, rfm_scores, rfm_summary

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["SECTION_TITLES", "build"]

SECTION_TITLES: Mapping[str, str] = {
    "profiling": "Profiling",
    "persistency": "Persistency",
    "profitability": "Profitability",
    "performance": "Performance",
    "prospecting": "Prospecting",
    "product": "Product",
    "promotion": "Promotion",
}
"""The seven views of customer analysis, in the order the report shows them."""

_QUESTIONS: Mapping[str, str] = {
    "profiling": "Who are the customers, and how concentrated is their value?",
    "persistency": "How loyal are the customers, and where are they in their lifecycle?",
    "profitability": "Which customers make money, and which cost more than they bring?",
    "performance": "How is each segment buying, and what will the pipeline sign?",
    "prospecting": "What are the customers worth from here on, and who is still with us?",
    "product": "What do customers buy, and what should we offer them next?",
    "promotion": "Which campaigns paid back, what did they cause, which channels earned it?",
}
_DOCS: Mapping[str, str] = {
    "profiling": "segmentation",
    "persistency": "lifecycle",
    "profitability": "roi",
    "performance": "funnel",
    "prospecting": "roi",
    "product": "segmentation",
    "promotion": "campaigns",
}

_FN = "crmkit.report.build"
_MIGRATION_DAYS = 90
_CLV_PERIODS = 12  # calendar months from as_of
_MONTHLY_DISCOUNT = 0.01


class _Context:
    """What every section shares: the transactions, as_of, the RFM segments, the charts."""

    def __init__(self, tx: Transactions, as_of: object | None, charts: ChartMaker) -> None:
        self.tx = tx
        self.charts = charts
        self.summary: RFMSummary = rfm_summary(tx, unit="day", as_of=as_of)
        self.as_of = self.summary.as_of
        self.segments: Segments = assign_segments(rfm_scores(self.summary))

    def section(self, key: str, analysis: Analysis) -> Section:
        """Lay an analysis out as the section *key*, its charts drawn."""
        return Section(
            key=key,
            title=SECTION_TITLES[key],
            question=_QUESTIONS[key],
            headlines=analysis.headlines,
            tables=analysis.tables,
            charts=[
                self.charts.chart(c.name, c.title, c.result, **c.options) for c in analysis.charts
            ],
            functions=analysis.functions,
            notes=analysis.notes,
            docs=_DOCS[key],
        )


def _profiling(ctx: _Context) -> Analysis:
    summary = ctx.summary
    overview = Analysis(
        headlines=[
            (
                f"{ctx.tx.n_customers:,} customers, {ctx.tx.n_rows:,} orders between "
                f"{day(summary.first_purchase.min())} and {day(summary.last_purchase.max())}, "
                f"{money(float(summary.monetary.sum()))} of revenue in total."
            )
        ],
        notes=summary_notes(summary),
    )
    return combine(overview, concentration_analysis(summary), segments_analysis(ctx.segments))


def _persistency(ctx: _Context) -> Analysis:
    return combine(
        stages_analysis(ctx.tx, as_of=ctx.as_of, window_days=90),
        churn_analysis(ctx.tx, as_of=ctx.as_of),
        cohorts_analysis(ctx.tx, as_of=ctx.as_of, frequency="month"),
        migration_analysis(ctx.tx, ctx.summary, days=_MIGRATION_DAYS),
    )


def _performance(
    ctx: _Context,
    *,
    opportunities: Opportunities | None,
    history: StageHistory | None,
    quotas: object | None,
    by: Sequence[str],
    as_of: object | None,
) -> Analysis:
    trends = trends_analysis(ctx.tx, ctx.segments, freq="month", as_of=ctx.as_of)
    if opportunities is None:
        missing = Analysis(
            notes=["The pipeline forecast needs the opportunities (crmkit report --opportunities)."]
        )
        return combine(trends, missing)
    anchor = ctx.as_of if as_of is None else as_of
    rates = fit_stage_rates(history) if history is not None else None
    periods = [
        Horizon.next_periods(anchor, "month", 1, include_current=True),
        Horizon.next_periods(anchor, "quarter", 1, include_current=True),
    ]
    forecast = forecast_analysis(
        opportunities, periods=periods, rates=rates, by=by, quotas=quotas, as_of=anchor
    )
    parts = [trends, forecast]
    if rates is not None:
        parts.append(calibration_analysis(rates))
    return combine(*parts)


def _prospecting(ctx: _Context) -> Analysis:
    from crmkit.roi import CalendarPeriods  # noqa: PLC0415

    return clv_analysis(
        ctx.tx,
        as_of=ctx.as_of,
        freq="week",
        periods=_CLV_PERIODS,
        calendar=CalendarPeriods(as_of=ctx.as_of, freq="month", time_unit="week"),
        discount_rate=_MONTHLY_DISCOUNT,
        horizon=f"the next {_CLV_PERIODS} months",
        rate_period="month",
        rfm=ctx.summary,
    )


def _has_columns(table: object, names: Sequence[str]) -> bool:
    if isinstance(table, Mapping):
        return all(n in table for n in names)
    from crmkit._tables import column_names  # noqa: PLC0415

    try:
        present = set(column_names(table))
    except (TypeError, ValueError):
        return False
    return all(n in present for n in names)


def _promotion(
    *,
    campaigns: Campaigns | None,
    leads: npt.ArrayLike | None,
    opportunities: Opportunities | None,
    deal_margin: float | None,
    touchpoints: object | None,
    conversions: object | None,
    lookback_days: float | None,
    touchpoint_channel: str,
    holdout: object | None,
) -> Analysis:
    parts: list[Analysis] = []
    notes: list[str] = []
    if campaigns is not None:
        table = instance(campaigns, Campaigns, name="campaigns", function=_FN, what="Campaigns")
        has_source = opportunities is not None and "campaign" in opportunities.dimensions
        if has_source and deal_margin is not None:
            parts.append(
                rank_campaigns(
                    table,
                    leads=leads,
                    opportunities=opportunities,
                    revenue=DealRevenue(margin=MarginRate(rate=deal_margin)),
                    by=list(table.dimensions)[:1],
                )
            )
        elif not has_source:
            notes.append(
                "Campaign ROI needs the opportunities with the campaign that sourced each "
                "(a 'campaign' column of --opportunities)."
            )
        else:
            notes.append("Campaign ROI needs the gross margin of won deals (--deal-margin RATE).")
    if holdout is not None:
        columns = {f: f for f in HOLDOUT_COLUMNS}
        parts.append(holdout_lift(read_mapped(holdout, columns, field="holdout", function=_FN)))
    if touchpoints is not None and conversions is not None:
        milestones = _has_columns(conversions, ("lead_created", "opportunity_created"))
        paths = touchpoint_paths(
            touchpoints,
            conversions,
            lookback_days=lookback_days,
            channel=touchpoint_channel,
            lead_created="lead_created" if milestones else None,
            opportunity_created="opportunity_created" if milestones else None,
        )
        parts.append(compare_models(paths, default_models(milestones=milestones)))
    elif (touchpoints is None) != (conversions is None):
        notes.append("Attribution needs both the touchpoints and the conversions.")
    return combine(*parts, Analysis(notes=notes))


def _extras(product: str | None, margin: CostColumn | MarginRate | None) -> list[str]:
    names = [product] if product is not None else []
    if isinstance(margin, MarginRate) and margin.by is not None:
        names.append(margin.by)
    if isinstance(margin, CostColumn):
        names.append(margin.column)
    return list(dict.fromkeys(names))


def build(
    transactions: object,
    *,
    as_of: object | None = None,
    product: str | None = None,
    margin: CostColumn | MarginRate | None = None,
    activities: object | None = None,
    unit_costs: Mapping[str, float] | None = None,
    activity_customer: str = "customer",
    opportunities: Opportunities | None = None,
    history: StageHistory | None = None,
    quotas: object | None = None,
    by: Sequence[str] = (),
    campaigns: Campaigns | None = None,
    leads: npt.ArrayLike | None = None,
    deal_margin: float | None = None,
    touchpoints: object | None = None,
    conversions: object | None = None,
    lookback_days: float | None = None,
    touchpoint_channel: str = "channel",
    holdout: object | None = None,
    charts: bool = True,
    title: str = "Customer analysis",
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> Report:
    """Build the 7P customer-analysis report from transactions and whatever else is known.

    The seven views of customer analysis used in CRM practice, each computed
    by crmkit's own functions (named in the section): Profiling (who the
    customers are: segments, concentration, 80/20), Persistency (lifecycle
    stages, migration, cohort retention), Profitability (P&L, whale curve,
    pyramid, customers to fix), Performance (purchase trends per segment, and
    the pipeline forecast with its spread), Prospecting (lifetime value,
    probability alive), Product (mix and cross-sell) and Promotion (campaign
    ROI, lift against hold-out groups, attribution). A section whose input
    was not given is left out and listed in :attr:`Report.not_computed` with
    what to give.

    Parameters
    ----------
    transactions : Transactions, DataFrame, mapping of columns or records
        The purchases (``customer``, ``timestamp``, ``amount``; refunds
        negative). Needed by every section.
    as_of : date-like, optional
        End of observation (exclusive); default midnight after the last
        purchase. The pipeline forecast starts from it too.
    product : str, optional
        The product (or category) column of the transactions; adds Product.
    margin : CostColumn or MarginRate, optional
        How gross margin is found; with it, Profitability is computed (cost
        to serve from *activities* and *unit_costs* when given).
    activities : DataFrame or mapping of columns, optional
        Activity counts per customer, as :func:`crmkit.roi.customer_pnl` takes them.
    unit_costs : mapping of str to float, optional
        Cost of one unit of each activity; required with *activities*.
    activity_customer : str
        The customer column of *activities*.
    opportunities : Opportunities, optional
        The sales pipeline: adds the forecast to Performance; with a
        ``campaign`` dimension (the campaign that sourced each deal) it is
        the revenue of the campaign ROI in Promotion.
    history : StageHistory, optional
        Stage histories of past deals: the forecast then uses calibrated win
        rates (:func:`crmkit.funnel.fit_stage_rates`) instead of the
        configured ones.
    quotas : DataFrame or mapping of columns, optional
        Quotas per period (and *by* group), as :func:`crmkit.funnel.forecast_pipeline` takes them.
    by : sequence of str
        Opportunity dimensions to forecast per (e.g. ``["region"]``).
    campaigns : Campaigns, optional
        The marketing campaigns; with the opportunities and *deal_margin*,
        Promotion shows their ROI (:func:`crmkit.roi.campaign_results`), per
        campaign and per the campaigns' first dimension.
    leads : array_like, optional
        The campaign of each lead, for cost per lead and lead conversion.
    deal_margin : float, optional
        Gross margin rate of won deals, in [0, 1], for the campaign ROI.
    touchpoints, conversions : DataFrame or mapping of columns, optional
        Marketing touches (``customer``, ``timestamp`` and the channel column)
        and conversions (``customer``, ``timestamp``, ``value``, and
        ``lead_created`` and ``opportunity_created`` for the W-shaped model):
        Promotion then compares attribution models
        (:func:`crmkit.roi.compare_attribution`).
    lookback_days : float, optional
        Only touches this many days before a conversion count; default every
        touch (the section says which).
    touchpoint_channel : str
        The channel column of *touchpoints* (``"channel"``).
    holdout : DataFrame or mapping of columns, optional
        Hold-out tests, one row per campaign: ``campaign``, ``population``
        (customers selected, control included), ``control``, ``responders``
        (among the contacted) and ``control_responders``; Promotion then
        shows each campaign's lift (:func:`crmkit.roi.lift_test`).
    charts : bool, default True
        Draw the charts with :mod:`crmkit.plot` (needs the ``plot`` extra);
        False leaves the chart slots empty, saying so.
    title : str
        The page title.
    customer, timestamp, amount : str
        Column names of the transactions, when they are a table.
    date_format : str, optional
        strftime layout of the transaction dates when they are not ISO-8601.

    Returns
    -------
    Report
        The sections computed, the ones left out and why.

    Raises
    ------
    InputError
        For bad input, from the crmkit function that reads it, and for a
        *deal_margin* outside [0, 1].

    Notes
    -----
    Prospecting needs scipy (the ``models`` extra); without it, or when the
    BG/NBD fit fails, it is listed as not computed with the reason.

    References
    ----------
    Buttle, F., & Maklan, S. (2019). *Customer Relationship Management:
    Concepts and Technologies* (4th ed.), ch. 6-7 (analytical CRM). Routledge.

    Examples
    --------
    A shop's orders, with a margin of 30 %:

    >>> from crmkit.datasets import simulate_transactions
    >>> from crmkit.report import build
    >>> from crmkit.roi import MarginRate
    >>> orders = simulate_transactions(500, "2023-01-01", "2025-01-01", seed=3)
    >>> report = build(orders, margin=MarginRate(rate=0.3), product="product", charts=False)
    >>> [s.title for s in report.sections]
    ['Profiling', 'Persistency', 'Profitability', 'Performance', 'Prospecting', 'Product']
    >>> report.not_computed["Promotion"]  # doctest: +ELLIPSIS
    'give campaigns (crmkit report --campaigns FILE), touchpoints ...'
    >>> report.section("profiling").headlines[1]  # doctest: +ELLIPSIS
    'The top 20 % of customers bring ... % of revenue; the top ...% of customers bring ...'
    """
    tx = read_transactions(
        transactions,
        function=_FN,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        extra=_extras(product, margin),
        date_format=date_format,
        data_name="transactions",
    )
    rate = (
        None
        if deal_margin is None
        else number(deal_margin, name="deal_margin", function=_FN, low=0.0, high=1.0)
    )
    ctx = _Context(tx, as_of, ChartMaker(enabled=charts))
    views: dict[str, Analysis] = {
        "profiling": _profiling(ctx),
        "persistency": _persistency(ctx),
    }
    missing: dict[str, str] = {}
    if margin is not None:
        pnl = customer_pnl(
            tx,
            margin=margin,
            activities=activities,
            unit_costs=unit_costs,
            activity_customer=activity_customer,
        )
        views["profitability"] = profitability_analysis(pnl, ctx.segments)
    else:
        missing["Profitability"] = (
            "give a margin (crmkit report --margin RATE or --cogs COLUMN, with --costs FILE "
            "for cost to serve) to add Profitability"
        )
    views["performance"] = _performance(
        ctx, opportunities=opportunities, history=history, quotas=quotas, by=by, as_of=as_of
    )
    if importlib.util.find_spec("scipy") is None:
        missing["Prospecting"] = (
            'needs scipy for the lifetime-value models: pip install "crmkit[models]"'
        )
    else:
        try:
            views["prospecting"] = _prospecting(ctx)
        except FitError as err:
            missing["Prospecting"] = f"the lifetime-value model could not be fitted: {err}"
    if product is not None:
        views["product"] = products_analysis(ctx.tx, ctx.segments, product=product)
    else:
        missing["Product"] = (
            "give the product column (crmkit report --product COLUMN) to add Product"
        )
    promotion = _promotion(
        campaigns=campaigns,
        leads=leads,
        opportunities=opportunities,
        deal_margin=rate,
        touchpoints=touchpoints,
        conversions=conversions,
        lookback_days=lookback_days,
        touchpoint_channel=touchpoint_channel,
        holdout=holdout,
    )
    if promotion.headlines:
        views["promotion"] = promotion
    else:
        why = "; ".join(promotion.notes)
        missing["Promotion"] = (
            "give campaigns (crmkit report --campaigns FILE), touchpoints and conversions "
            "(--touchpoints FILE --conversions FILE) or hold-out tests to add Promotion"
            + (f" ({why})" if why else "")
        )
    inputs = {"transactions": f"{tx.n_rows:,} rows, {tx.n_customers:,} customers"}
    if opportunities is not None:
        inputs["opportunities"] = f"{opportunities.n_rows:,} deals, {opportunities.n_open:,} open"
    if history is not None:
        inputs["stage history"] = f"{history.n_rows:,} rows, {history.n_opportunities:,} deals"
    if campaigns is not None:
        inputs["campaigns"] = f"{campaigns.n_campaigns:,} campaigns"
    return Report(
        title=title,
        as_of=ctx.as_of,
        as_of_is_default=ctx.summary.as_of_is_default,
        inputs=inputs,
        sections=[ctx.section(key, views[key]) for key in SECTION_TITLES if key in views],
        not_computed={
            k: missing[k] for k in (SECTION_TITLES[s] for s in SECTION_TITLES) if k in missing
        },
        crmkit_version=__version__,
    )


def _chart_slots(report: Report) -> list[Chart]:
    """Every chart slot of *report*, section by section (for tests and summaries)."""
    return [chart for section in report.sections for chart in section.charts]
