"""Campaign results: spend, funnel, attributed revenue and profit, and the ratios built on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Literal, cast, get_args

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind
from crmkit._groups import factorize
from crmkit._input import as_ids, as_readonly, check_same_length
from crmkit._params import choice, flag, instance, names, text
from crmkit._reduce import bincount
from crmkit._results import Result, frozen_mapping
from crmkit._values import bad_rows_error
from crmkit.errors import InputError
from crmkit.funnel import Opportunities
from crmkit.roi._attribution._attribute import attribution_credits, check_paths_and_model
from crmkit.roi._attribution._models import AttributionModel
from crmkit.roi._attribution._paths import TouchpointPaths
from crmkit.roi._campaigns._table import Campaigns
from crmkit.roi._profit._pnl import CustomerPnL, MarginRate
from crmkit.roi._ratios import ratio

__all__ = [
    "AttributedRevenue",
    "CampaignResults",
    "CampaignTotals",
    "CustomerRevenue",
    "DealRevenue",
    "Metric",
    "campaign_results",
]

_FN: Final = "campaign_results"
_US_PER_DAY: Final = 86_400_000_000
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

Metric = Literal[
    "budget",
    "spend",
    "budget_variance",
    "leads",
    "opportunities",
    "won_deals",
    "lead_to_opportunity",
    "opportunity_to_won",
    "lead_to_won",
    "conversions",
    "revenue",
    "gross_profit",
    "cost_per_lead",
    "cost_per_opportunity",
    "cac",
    "roi",
    "roas",
    "break_even_conversions",
    "payback_days",
]
"""The columns :meth:`CampaignResults.rank` can order by."""


@attrs.frozen(kw_only=True)
class DealRevenue:
    """Revenue from the won opportunities a campaign sourced, gross profit at a margin rate.

    Attributes
    ----------
    margin : MarginRate
        Gross margin as a share of the deal amount: one rate, or one per value
        of an opportunity dimension (``by="product"``).

    Examples
    --------
    >>> DealRevenue(margin=MarginRate(rate=0.35)).margin.rate
    0.35
    """

    margin: MarginRate

    def __attrs_post_init__(self) -> None:
        instance(
            self.margin, MarginRate, name="margin", function="DealRevenue", what="a MarginRate"
        )


@attrs.frozen(kw_only=True)
class AttributedRevenue:
    """Revenue credited to campaigns by an attribution model over touchpoint paths.

    The paths' channel labels must be the campaign ids (attribute by campaign).

    Attributes
    ----------
    paths : TouchpointPaths
        The journeys, channels labelled by campaign.
    model : AttributionModel
        How each conversion's revenue is split over the campaigns of its path.
    margin : MarginRate
        One gross margin rate for the converted revenue.

    Examples
    --------
    >>> from crmkit.roi import Linear, touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {"customer": [1], "timestamp": ["2024-01-01"], "channel": ["c1"]},
    ...     {"customer": [1], "timestamp": ["2024-01-02"], "value": [10.0]},
    ...     lookback_days=None,
    ... )
    >>> AttributedRevenue(paths=paths, model=Linear(), margin=MarginRate(rate=0.5)).model
    Linear()
    """

    paths: TouchpointPaths
    model: AttributionModel
    margin: MarginRate

    def __attrs_post_init__(self) -> None:
        fn = "AttributedRevenue"
        check_paths_and_model(self.paths, self.model, fn)
        instance(self.margin, MarginRate, name="margin", function=fn, what="a MarginRate")
        if isinstance(self.margin.rate, Mapping):
            raise InputError.for_parameter(
                "margin", "one margin rate for attributed revenue", "a mapping", function=fn
            )


@attrs.frozen(kw_only=True)
class CustomerRevenue:
    """Revenue and gross margin of the customers each campaign acquired, from their P&L lines.

    Attributes
    ----------
    pnl : CustomerPnL
        The customers' profit and loss (:func:`customer_pnl`).
    customer : array_like, shape (n,)
        Customers acquired by a campaign (each once).
    campaign : array_like, shape (n,)
        The campaign that acquired each of them.

    Examples
    --------
    >>> from crmkit.roi import customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [50.0, 70.0]},
    ...     margin=MarginRate(rate=0.4),
    ... )
    >>> CustomerRevenue(pnl=pnl, customer=[1, 2], campaign=["a", "b"]).pnl.total_revenue
    120.0
    """

    pnl: CustomerPnL
    customer: npt.ArrayLike
    campaign: npt.ArrayLike

    def __attrs_post_init__(self) -> None:
        fn = "CustomerRevenue"
        pnl = instance(self.pnl, CustomerPnL, name="pnl", function=fn, what="a CustomerPnL")
        customer = as_ids(self.customer, field="customer", function=fn)
        campaign = as_ids(self.campaign, field="campaign", function=fn)
        check_same_length({"customer": customer.size, "campaign": campaign.size}, function=fn)
        known = np.asarray(pnl.customer)
        if customer.size and (customer.dtype.kind == "U") != (known.dtype.kind == "U"):
            raise InputError(
                f"The acquired customers given to {fn} must be ids of the kind the P&L uses; "
                f"got {customer.dtype} for {known.dtype}.",
                field="customer",
            )
        groups = factorize(customer)
        if groups.n_groups != customer.size:
            seen = np.zeros(groups.n_groups, dtype=bool)
            repeated = np.zeros(customer.size, dtype=bool)
            for i, code in enumerate(groups.codes.tolist()):  # only on the error path
                repeated[i] = seen[code]
                seen[code] = True
            raise bad_rows_error(
                repeated,
                customer,
                field="customer",
                requirement="must be unique (each customer was acquired once)",
                function=fn,
            )
        at = np.clip(np.searchsorted(known, customer), 0, max(known.size - 1, 0))
        found = known[at] == customer if known.size else np.zeros(customer.size, dtype=bool)
        if not found.all():
            raise bad_rows_error(
                ~found,
                customer,
                field="customer",
                requirement="must hold customers of the P&L",
                function=fn,
            )
        object.__setattr__(self, "customer", as_readonly(customer))
        object.__setattr__(self, "campaign", as_readonly(campaign))


Revenue = DealRevenue | AttributedRevenue | CustomerRevenue


@attrs.frozen(kw_only=True, repr=False)
class CampaignTotals(Result):
    """The whole programme: sums, and every ratio taken from the sums (never an average of ratios).

    Attributes
    ----------
    n_campaigns : int
        Campaigns summed.
    budget, spend, budget_variance : float
        Sums over every campaign.
    leads, opportunities, won_deals, conversions, revenue, gross_profit : float
        Sums over every campaign (NaN for a funnel stage not given).
    lead_to_opportunity, opportunity_to_won, lead_to_won : float
        Funnel conversion, from the sums.
    cost_per_lead, cost_per_opportunity, cac, roi, roas, break_even_conversions : float
        The ratios of :class:`CampaignResults`, computed from the sums.

    Examples
    --------
    >>> from crmkit.roi import Campaigns, campaign_results
    >>> from crmkit.roi import customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [500.0, 700.0]},
    ...     margin=MarginRate(rate=0.4),
    ... )
    >>> c = Campaigns.from_arrays(campaign=["a", "b"], budget=[100.0, 100.0], spend=[100.0, 300.0])
    >>> r = campaign_results(
    ...     c,
    ...     leads=["a"] * 10 + ["b"] * 10,
    ...     opportunities=None,
    ...     revenue=CustomerRevenue(pnl=pnl, customer=[1, 2], campaign=["a", "b"]),
    ... )
    >>> r.totals.cost_per_lead
    20.0
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "n_campaigns": "count",
        "budget": "money",
        "spend": "money",
        "budget_variance": "money",
        "leads": "count",
        "opportunities": "count",
        "won_deals": "count",
        "lead_to_opportunity": "share",
        "opportunity_to_won": "share",
        "lead_to_won": "share",
        "conversions": "number",
        "revenue": "money",
        "gross_profit": "money",
        "cost_per_lead": "money",
        "cost_per_opportunity": "money",
        "cac": "money",
        "roi": "share",
        "roas": "number",
        "break_even_conversions": "number",
    }

    n_campaigns: int
    budget: float
    spend: float
    budget_variance: float
    leads: float
    opportunities: float
    won_deals: float
    lead_to_opportunity: float
    opportunity_to_won: float
    lead_to_won: float
    conversions: float
    revenue: float
    gross_profit: float
    cost_per_lead: float
    cost_per_opportunity: float
    cac: float
    roi: float
    roas: float
    break_even_conversions: float


@attrs.frozen(kw_only=True, repr=False)
class CampaignResults(Result):
    """Per campaign (or per group of campaigns): spend, funnel, revenue, profit and their ratios.

    Attributes
    ----------
    groups : mapping of str to ndarray, shape (k,) each
        The row labels: ``campaign`` and the campaigns' dimensions (one row
        per campaign), or the ``by`` dimensions (one row per group).
    n_campaigns : ndarray of int64, shape (k,)
        Campaigns in each row.
    budget, spend : ndarray of float64, shape (k,)
        Planned and actual spend.
    budget_variance : ndarray of float64, shape (k,)
        ``spend - budget`` (positive: over budget).
    leads, opportunities, won_deals : ndarray of float64, shape (k,)
        The campaign funnel: leads, opportunities created and won; NaN
        exactly when the leads (opportunities) were not given.
    lead_to_opportunity, opportunity_to_won, lead_to_won : ndarray of float64, shape (k,)
        Conversion at each step.
    conversions : ndarray of float64, shape (k,)
        What the revenue counts: won deals (:class:`DealRevenue`), credited
        conversions (:class:`AttributedRevenue`, fractions add up) or acquired
        customers (:class:`CustomerRevenue`); the denominator of CAC.
    revenue, gross_profit : ndarray of float64, shape (k,)
        Attributed revenue and gross profit.
    cost_per_lead, cost_per_opportunity, cac : ndarray of float64, shape (k,)
        Spend per lead, per opportunity, per conversion.
    roi : ndarray of float64, shape (k,)
        ``(gross_profit - spend) / spend``.
    roas : ndarray of float64, shape (k,)
        ``revenue / spend``.
    break_even_conversions : ndarray of float64, shape (k,)
        Conversions needed for the gross profit to cover the spend, at the
        gross profit per conversion achieved: ``spend / (gross_profit /
        conversions)``; 0 when nothing was spent; +inf when the gross profit
        per conversion is <= 0; NaN when there were no conversions to learn it
        from.
    payback_days : ndarray of float64, shape (k,)
        Days from the (earliest) campaign start until the cumulative gross
        profit of the dated gains (won deals by close date, conversions by
        time) covers the spend; 0 when nothing was spent. NaN exactly when
        ``paid_back`` is False.
    paid_back : ndarray of bool, shape (k,)
        Whether the gains covered the spend; False also when the payback
        cannot be dated (no start dates, :class:`CustomerRevenue`, or an
        undated won deal in the row).
    revenue_source : {"won deals", "attributed", "customers"}
        Which revenue was counted.
    model : str or None
        The attribution model, for attributed revenue.
    by : tuple of str
        The grouping (empty: one row per campaign).
    totals : CampaignTotals
        Sums over all rows and the ratios of the sums.

    Notes
    -----
    Ratios with a zero denominator follow one rule: +inf when the numerator
    is positive (money spent and no lead: ``cost_per_lead``), -inf when it is
    negative, NaN when it is zero too (nothing spent, nothing gained: ``roi``
    of an unfunded campaign). :meth:`rank` puts NaN last; ``to_dict`` writes
    infinities and NaN as ``null``.

    Examples
    --------
    >>> from crmkit.roi import Campaigns, campaign_results
    >>> from crmkit.roi import customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [500.0, 700.0]},
    ...     margin=MarginRate(rate=0.4),
    ... )
    >>> c = Campaigns.from_arrays(
    ...     campaign=["mail", "fair"], budget=[1_000.0, 5_000.0], spend=[900.0, 6_000.0]
    ... )
    >>> r = campaign_results(
    ...     c,
    ...     leads=["mail"] * 30 + ["fair"] * 40,
    ...     opportunities=None,
    ...     revenue=CustomerRevenue(pnl=pnl, customer=[1, 2], campaign=["mail", "fair"]),
    ... )
    >>> r.cost_per_lead.tolist(), r.roi.round(3).tolist()
    ([30.0, 150.0], [-0.778, -0.953])
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "groups": "id",
        "n_campaigns": "count",
        "budget": "money",
        "spend": "money",
        "budget_variance": "money",
        "leads": "count",
        "opportunities": "count",
        "won_deals": "count",
        "lead_to_opportunity": "share",
        "opportunity_to_won": "share",
        "lead_to_won": "share",
        "conversions": "number",
        "revenue": "money",
        "gross_profit": "money",
        "cost_per_lead": "money",
        "cost_per_opportunity": "money",
        "cac": "money",
        "roi": "share",
        "roas": "number",
        "break_even_conversions": "number",
        "payback_days": "number",
    }

    _plot: ClassVar[str] = "campaign_roi_chart"
    _table: ClassVar[tuple[str, ...]] = (
        "n_campaigns",
        "budget",
        "spend",
        "budget_variance",
        "leads",
        "opportunities",
        "won_deals",
        "lead_to_opportunity",
        "opportunity_to_won",
        "lead_to_won",
        "conversions",
        "revenue",
        "gross_profit",
        "cost_per_lead",
        "cost_per_opportunity",
        "cac",
        "roi",
        "roas",
        "break_even_conversions",
        "payback_days",
        "paid_back",
    )

    groups: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    n_campaigns: IntArray
    budget: FloatArray
    spend: FloatArray
    budget_variance: FloatArray
    leads: FloatArray
    opportunities: FloatArray
    won_deals: FloatArray
    lead_to_opportunity: FloatArray
    opportunity_to_won: FloatArray
    lead_to_won: FloatArray
    conversions: FloatArray
    revenue: FloatArray
    gross_profit: FloatArray
    cost_per_lead: FloatArray
    cost_per_opportunity: FloatArray
    cac: FloatArray
    roi: FloatArray
    roas: FloatArray
    break_even_conversions: FloatArray
    payback_days: FloatArray
    paid_back: npt.NDArray[np.bool_]
    revenue_source: Literal["won deals", "attributed", "customers"]
    model: str | None
    by: tuple[str, ...]
    totals: CampaignTotals

    def _column_kinds(self) -> dict[str, Kind]:
        return {**self._kinds, **dict.fromkeys(self.groups, "id")}

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the row labels, then every per-row figure.

        Returns
        -------
        dict of str to ndarray
            Group columns first, then the fields of the table.
        """
        return {k: np.asarray(v) for k, v in self.groups.items()} | super().table()

    def rank(self, by: Metric, *, descending: bool = True) -> CampaignResults:
        """Return the rows ordered by one figure (NaN last, ties in the current order).

        Parameters
        ----------
        by : str
            A per-row figure: ``"roi"``, ``"roas"``, ``"cac"``, ``"spend"``, ...
        descending : bool
            Largest first (default); False for smallest first (e.g. ``"cac"``).

        Returns
        -------
        CampaignResults
            The same result, rows reordered (totals unchanged).

        Raises
        ------
        InputError
            For an unknown figure.

        Examples
        --------
        >>> from crmkit.roi import Campaigns, campaign_results, customer_pnl
        >>> pnl = customer_pnl(
        ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [5.0, 7.0]},
        ...     margin=MarginRate(rate=0.4),
        ... )
        >>> c = Campaigns.from_arrays(campaign=["a", "b"], budget=[1.0, 1.0], spend=[1.0, 1.0])
        >>> r = campaign_results(
        ...     c,
        ...     leads=["a", "b", "b"],
        ...     opportunities=None,
        ...     revenue=CustomerRevenue(pnl=pnl, customer=[1, 2], campaign=["a", "b"]),
        ... )
        >>> r.rank("leads").groups["campaign"].tolist()
        ['b', 'a']
        """
        metric = choice(by, get_args(Metric), name="by", function="CampaignResults.rank")
        down = flag(descending, name="descending", function="CampaignResults.rank")
        values = np.asarray(getattr(self, metric), dtype=np.float64)
        key = np.where(np.isnan(values), np.inf, -values if down else values)
        order = np.argsort(key, kind="stable")
        changes: dict[str, Any] = {
            name: as_readonly(np.asarray(getattr(self, name))[order]) for name in self._table
        }
        changes["groups"] = {k: as_readonly(np.asarray(v)[order]) for k, v in self.groups.items()}
        return attrs.evolve(self, **changes)


def _codes(ids: object, campaigns: Campaigns, *, field: str, what: str) -> IntArray:
    """Campaign index of each id, refusing ids the campaign table does not have."""
    values = as_ids(ids, field=field, function=_FN)
    known = campaigns.campaign
    if values.size and (values.dtype.kind == "U") != (known.dtype.kind == "U"):
        raise InputError(
            f"The {field!r} ids given to {_FN} must be of the kind of the campaign ids; "
            f"got {values.dtype} for {known.dtype}.",
            field=field,
        )
    order = np.argsort(known, kind="stable")
    sorted_ids = known[order]
    at = np.clip(np.searchsorted(sorted_ids, values), 0, max(known.size - 1, 0))
    found = sorted_ids[at] == values if known.size else np.zeros(values.size, dtype=bool)
    bad = np.flatnonzero(~found)
    if bad.size:
        raise InputError.for_rows(
            field,
            f"must hold campaign ids of the campaign table ({what})",
            positions=bad[:5].tolist(),
            values=[values[p] for p in bad[:5]],
            n_bad=int(bad.size),
            function=_FN,
            hint="Add the campaigns to the table, or leave those rows out before calling.",
        )
    out: IntArray = order[at].astype(np.int64)
    return out


def _deal_gains(
    opportunities: Opportunities, campaign_of_opp: IntArray, margin: MarginRate
) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
    """Won deals: campaign, revenue, gross profit and close time (int64 us, NaT as min int)."""
    won = opportunities.stage == opportunities.process.won_code
    amount = opportunities.amount[won]
    if isinstance(margin.rate, Mapping):
        if margin.by not in opportunities.dimensions:
            raise InputError.for_parameter(
                "revenue",
                f"a margin keyed on an opportunity dimension {sorted(opportunities.dimensions)}",
                margin.by,
                function=_FN,
            )
        labels = np.asarray(opportunities.dimensions[str(margin.by)])[won].astype(str)
        missing = sorted({str(v) for v in np.unique(labels)} - set(margin.rate))
        if missing:
            raise InputError.for_parameter(
                "revenue",
                f"a margin rate for every {margin.by!r} of the won deals",
                missing,
                function=_FN,
            )
        rate = np.array([margin.rate[str(v)] for v in labels], dtype=np.float64)
    else:
        rate = np.full(amount.size, float(margin.rate))
    close = opportunities.close_date[won].view(np.int64)
    return campaign_of_opp[won], amount, amount * rate, close


def _payback(
    group_of_gain: IntArray,
    gain_time: IntArray,
    gain: FloatArray,
    spend: FloatArray,
    start: IntArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Days from each group's start until its cumulative gains reach its spend."""
    k = spend.size
    nat = np.iinfo(np.int64).min
    days = np.full(k, np.nan)
    paid = np.zeros(k, dtype=bool)
    undated = bincount(group_of_gain[gain_time == nat], minlength=k) > 0
    can = (start != nat) & ~undated
    free = can & (spend <= 0)
    days[free] = 0.0
    paid[free] = True
    if gain.size:
        order = np.lexsort((gain_time, group_of_gain))
        g = group_of_gain[order]
        cum = np.cumsum(gain[order])
        first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        offset = np.repeat(np.r_[0.0, cum[first[1:] - 1]], np.diff(np.r_[first, g.size]))
        reached = (cum - offset >= spend[g]) & can[g] & (spend[g] > 0)
        hit = np.flatnonzero(reached)
        if hit.size:
            groups, at = np.unique(g[hit], return_index=True)
            when = gain_time[order][hit[at]]
            days[groups] = np.maximum(when - start[groups], 0) / _US_PER_DAY
            paid[groups] = True
    return days, paid


def _group_codes(campaigns: Campaigns, by: tuple[str, ...]) -> tuple[IntArray, dict[str, Any]]:
    if not by:
        groups = {"campaign": campaigns.campaign} | dict(campaigns.dimensions)
        return np.arange(campaigns.n_campaigns, dtype=np.int64), groups
    missing = [d for d in by if d not in campaigns.dimensions]
    if missing:
        raise InputError.for_parameter(
            "by",
            f"dimensions of the campaign table {sorted(campaigns.dimensions)}",
            missing,
            function=_FN,
        )
    parts = [factorize(np.asarray(campaigns.dimensions[d])) for d in by]
    combined = np.zeros(campaigns.n_campaigns, dtype=np.int64)
    for part in parts:
        combined = combined * part.n_groups + part.codes
    groups_of = factorize(combined)
    first = np.zeros(groups_of.n_groups, dtype=np.int64)
    first[groups_of.codes[::-1]] = np.arange(campaigns.n_campaigns)[::-1]
    labels = {d: np.asarray(campaigns.dimensions[d])[first] for d in by}
    return groups_of.codes, labels


def campaign_results(
    campaigns: Campaigns,
    *,
    leads: npt.ArrayLike | None,
    opportunities: Opportunities | None,
    revenue: DealRevenue | AttributedRevenue | CustomerRevenue,
    by: Sequence[str] | None = None,
    campaign_dimension: str = "campaign",
) -> CampaignResults:
    r"""Which campaigns paid back: spend, funnel, attributed revenue and profit, ROI and payback.

    Parameters
    ----------
    campaigns : Campaigns
        Budget, spend, dates and dimensions of each campaign.
    leads : array_like, shape (m,), or None
        The campaign of each lead (one entry per lead); ``None`` when leads
        are not tracked (the lead columns are then NaN).
    opportunities : Opportunities or None
        Deals with a dimension naming the campaign that sourced them; ``None``
        when there is no pipeline (the opportunity columns are then NaN).
    revenue : DealRevenue, AttributedRevenue or CustomerRevenue
        What each campaign earned: its won deals, the revenue an attribution
        model credits it, or its acquired customers' P&L. No default.
    by : sequence of str, optional
        Campaign dimensions to group by (``["channel"]``); default one row per
        campaign.
    campaign_dimension : str
        The opportunities' dimension holding the campaign id.

    Returns
    -------
    CampaignResults
        One row per campaign (or group), with totals from the sums.

    Raises
    ------
    InputError
        For leads, deals, credited channels or customers of campaigns the
        table does not have (the rows are named), ids of another kind, a
        missing opportunity dimension, margin rates missing for some deals,
        or an unknown ``by`` dimension; and as the revenue source's functions.

    Notes
    -----
    Every figure of a group is computed from its sums, and the totals from
    the sums over all campaigns, never as an average of ratios:

    .. math::

        \mathrm{CPL} = \frac{\text{spend}}{\text{leads}},\quad
        \mathrm{CAC} = \frac{\text{spend}}{\text{conversions}},\quad
        \mathrm{ROI} = \frac{\text{gross profit} - \text{spend}}{\text{spend}},\quad
        \mathrm{ROAS} = \frac{\text{revenue}}{\text{spend}}.

    A ratio with a zero denominator is +inf (positive numerator), -inf
    (negative) or NaN (zero numerator). Break-even volume is
    ``spend / (gross profit per conversion)``; payback is the first dated
    gain at which the cumulative gross profit reaches the spend.

    References
    ----------
    .. [1] Farris, P. W., Bendle, N. T., Pfeifer, P. E. and Reibstein, D. J.
       (2010). Marketing Metrics, 2nd ed., Pearson, ch. 9 and 10.

    Examples
    --------
    Two campaigns, their leads, and the customers they won:

    >>> from crmkit.roi import Campaigns, customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [500.0, 700.0]},
    ...     margin=MarginRate(rate=0.4),
    ... )
    >>> c = Campaigns.from_arrays(
    ...     campaign=["mail", "fair"], budget=[1_000.0, 5_000.0], spend=[900.0, 6_000.0]
    ... )
    >>> r = campaign_results(
    ...     c,
    ...     leads=["mail"] * 30 + ["fair"] * 40,
    ...     opportunities=None,
    ...     revenue=CustomerRevenue(pnl=pnl, customer=[1, 2], campaign=["mail", "fair"]),
    ... )
    >>> r.budget_variance.tolist(), r.revenue.tolist()
    ([-100.0, 1000.0], [500.0, 700.0])
    >>> round(r.totals.roi, 4)
    -0.9304
    """
    table = instance(
        campaigns,
        Campaigns,
        name="campaigns",
        function=_FN,
        what="Campaigns (Campaigns.from_frame)",
    )
    group_by = () if by is None else names(by, name="by", function=_FN, what="dimension names")
    dimension = text(campaign_dimension, name="campaign_dimension", function=_FN)
    k = table.n_campaigns
    n_leads = np.full(k, np.nan)
    if leads is not None:
        n_leads = bincount(
            _codes(leads, table, field="leads", what="one per lead"), minlength=k
        ).astype(np.float64)
    n_opps = np.full(k, np.nan)
    n_won = np.full(k, np.nan)
    opp_campaign: IntArray | None = None
    if opportunities is not None:
        opps = instance(
            opportunities, Opportunities, name="opportunities", function=_FN, what="Opportunities"
        )
        if dimension not in opps.dimensions:
            raise InputError.for_parameter(
                "campaign_dimension",
                f"a dimension of the opportunities {sorted(opps.dimensions)}",
                dimension,
                function=_FN,
                hint="Build the opportunities with dimensions={'campaign': ...}.",
            )
        opp_campaign = _codes(opps.dimensions[dimension], table, field=dimension, what="deals")
        n_opps = bincount(opp_campaign, minlength=k).astype(np.float64)
        won = opps.stage == opps.process.won_code
        n_won = bincount(opp_campaign[won], minlength=k).astype(np.float64)
    nat = np.iinfo(np.int64).min
    source: Literal["won deals", "attributed", "customers"]
    model: str | None = None
    if isinstance(revenue, DealRevenue):
        if opportunities is None or opp_campaign is None:
            raise InputError.for_parameter(
                "opportunities", "the deals whose wins DealRevenue counts", None, function=_FN
            )
        gain_campaign, gain_revenue, gain_profit, gain_time = _deal_gains(
            opportunities, opp_campaign, revenue.margin
        )
        conversions = bincount(gain_campaign, minlength=k).astype(np.float64)
        source = "won deals"
    elif isinstance(revenue, AttributedRevenue):
        credited = attribution_credits(revenue.paths, model=revenue.model)
        gain_campaign = _codes(
            _as_campaign_ids(credited.channel, table),
            table,
            field="channel",
            what="the paths' channels, labelled by campaign",
        )
        gain_revenue = np.asarray(credited.value, dtype=np.float64)
        rate = float(cast("float", revenue.margin.rate))  # AttributedRevenue refuses a mapping
        gain_profit = gain_revenue * rate
        gain_time = np.asarray(credited.conversion_time).view(np.int64)
        conversions = bincount(gain_campaign, weights=credited.credit, minlength=k).astype(
            np.float64
        )
        source = "attributed"
        model = credited.model
    elif isinstance(revenue, CustomerRevenue):
        gain_campaign, gain_revenue, gain_profit = _customer_gains(revenue, table)
        gain_time = np.full(gain_campaign.size, nat, dtype=np.int64)
        conversions = bincount(gain_campaign, minlength=k).astype(np.float64)
        source = "customers"
    else:
        raise InputError.for_parameter(
            "revenue",
            "DealRevenue, AttributedRevenue or CustomerRevenue",
            type(revenue).__name__,
            function=_FN,
        )
    per_campaign = {
        "budget": table.budget,
        "spend": table.spend,
        "leads": n_leads,
        "opportunities": n_opps,
        "won_deals": n_won,
        "conversions": conversions,
        "revenue": bincount(gain_campaign, weights=gain_revenue, minlength=k),
        "gross_profit": bincount(gain_campaign, weights=gain_profit, minlength=k),
    }
    codes, labels = _group_codes(table, group_by)
    n_groups = int(codes.max()) + 1 if codes.size else 0
    sums = {
        name: bincount(codes, weights=values, minlength=n_groups).astype(np.float64)
        for name, values in per_campaign.items()
    }
    start = table.start.view(np.int64)
    group_start = np.full(n_groups, np.iinfo(np.int64).max)
    np.minimum.at(group_start, codes, np.where(start == nat, np.iinfo(np.int64).max, start))
    has_nat = bincount(codes[start == nat], minlength=n_groups) > 0
    group_start = np.where(has_nat | (group_start == np.iinfo(np.int64).max), nat, group_start)
    days, paid = _payback(codes[gain_campaign], gain_time, gain_profit, sums["spend"], group_start)
    figures = _figures(sums)
    totals = _figures({name: np.array([np.sum(v)]) for name, v in sums.items()})
    return CampaignResults(
        groups={name: as_readonly(np.asarray(v)) for name, v in labels.items()},
        n_campaigns=as_readonly(bincount(codes, minlength=n_groups).astype(np.int64)),
        **{name: as_readonly(v) for name, v in figures.items()},
        payback_days=as_readonly(days),
        paid_back=as_readonly(paid),
        revenue_source=source,
        model=model,
        by=group_by,
        totals=CampaignTotals(n_campaigns=k, **{n: float(v[0]) for n, v in totals.items()}),
    )


def _figures(sums: dict[str, FloatArray]) -> dict[str, FloatArray]:
    spend = sums["spend"]
    gross = sums["gross_profit"]
    conv = sums["conversions"]
    per_conversion = ratio(gross, conv)
    positive = per_conversion > 0
    with np.errstate(over="ignore"):
        needed = np.where(positive, spend / np.where(positive, per_conversion, 1.0), np.inf)
    break_even = np.where(spend <= 0, 0.0, np.where(conv <= 0, np.nan, needed))
    out = dict(sums)
    out |= {
        "budget_variance": spend - sums["budget"],
        "lead_to_opportunity": ratio(sums["opportunities"], sums["leads"]),
        "opportunity_to_won": ratio(sums["won_deals"], sums["opportunities"]),
        "lead_to_won": ratio(sums["won_deals"], sums["leads"]),
        "cost_per_lead": ratio(spend, sums["leads"]),
        "cost_per_opportunity": ratio(spend, sums["opportunities"]),
        "cac": ratio(spend, conv),
        "roi": ratio(gross - spend, spend),
        "roas": ratio(sums["revenue"], spend),
        "break_even_conversions": np.asarray(break_even, dtype=np.float64),
    }
    return out


def _as_campaign_ids(labels: npt.NDArray[np.str_], table: Campaigns) -> npt.NDArray[Any]:
    """Channel labels (always text) as ids of the campaign table's kind."""
    if table.campaign.dtype.kind == "U":
        return labels
    numeric = np.strings.isdecimal(np.strings.lstrip(labels, "-"))
    if not bool(numeric.all()):
        bad = np.flatnonzero(~numeric)
        raise InputError.for_rows(
            "channel",
            "must hold campaign ids (the campaign table's ids are ints)",
            positions=bad[:5].tolist(),
            values=[str(labels[p]) for p in bad[:5]],
            n_bad=int(bad.size),
            function=_FN,
            hint="Label the touchpoints with the campaign ids to attribute by campaign.",
        )
    return labels.astype(np.int64)


def _customer_gains(
    revenue: CustomerRevenue, table: Campaigns
) -> tuple[IntArray, FloatArray, FloatArray]:
    # CustomerRevenue checked its customers against the P&L when it was built
    pnl = revenue.pnl
    customer = np.asarray(revenue.customer)
    campaign = _codes(revenue.campaign, table, field="campaign", what="acquiring campaigns")
    known = np.asarray(pnl.customer)
    at = np.clip(np.searchsorted(known, customer), 0, max(known.size - 1, 0))
    return (
        campaign,
        np.asarray(pnl.revenue, dtype=np.float64)[at],
        np.asarray(pnl.gross_margin, dtype=np.float64)[at],
    )
