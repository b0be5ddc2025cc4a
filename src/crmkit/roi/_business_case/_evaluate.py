"""Evaluate a CRM business case: TCO, benefits, cash flows, NPV, IRR, payback, ROI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar, cast

import attrs
import numpy as np
import numpy.typing as npt
from dateutil.relativedelta import relativedelta

from crmkit._display import Kind
from crmkit._input import DATETIME_DTYPE, as_readonly
from crmkit._params import instance
from crmkit._results import Result, frozen_mapping
from crmkit.roi._business_case._plan import CATEGORIES, BusinessCase
from crmkit.roi._finance._flows import DAYS_PER_YEAR
from crmkit.roi._finance._payback import payback_unchecked
from crmkit.roi._finance._rates import dated_roots, npv_unchecked, periodic_roots
from crmkit.roi._ratios import ratio

__all__ = ["BusinessCaseResult", "evaluate_business_case", "period_dates"]

FloatArray = npt.NDArray[np.float64]
_US_PER_DAY = 86_400_000_000


@attrs.frozen(kw_only=True, repr=False)
class BusinessCaseResult(Result):
    """A business case worked out: one row per period, and its figures of merit.

    Attributes
    ----------
    period : ndarray of int64, shape (n,)
        0 (today) to the plan's last period.
    date : ndarray of datetime64[us], shape (n,)
        Date of each period (NaT when the case has no ``start``).
    one_off_cost, recurring_cost : mapping of str to ndarray, shape (n,) each
        Costs per TCO category (technology, people, process), positive amounts.
    total_cost : ndarray of float64, shape (n,)
        All costs of the period.
    benefits : mapping of str to ndarray, shape (n,) each
        Each benefit stream, projected on its own.
    total_benefit : ndarray of float64, shape (n,)
        All benefits of the period.
    net_cash_flow, cumulative_cash_flow : ndarray of float64, shape (n,)
        Benefits minus costs, and its running sum.
    discount_factor : ndarray of float64, shape (n,)
        :math:`(1 + r)^{-(t + p)}` with ``p`` the case's ``first_period``.
    discounted_cash_flow, cumulative_discounted : ndarray of float64, shape (n,)
        Present value of each period's net flow, and its running sum (its
        last value is the NPV).
    npv : float
        Net present value at the case's discount rate.
    irr : float or None
        The internal rate of return per period when it is unique; None when
        the flows have no IRR or several (``irr_roots`` lists them).
    irr_roots : tuple of float
        Every rate at which NPV is zero.
    mirr : float or None
        MIRR with the discount rate as finance and reinvestment rate; None
        when the flows have no outflow or no inflow.
    xnpv, xirr : float or None
        On the period dates (act/365, annual rate); None without a ``start``
        (``xirr`` also when not unique).
    payback_period, discounted_payback_period : float or None
        Periods until the cumulative (discounted) flow turns non-negative for
        good; None when it does not within the plan.
    break_even_period : int or None
        First period from which every period's net flow is non-negative
        (benefits cover the running costs); None if never.
    total_costs, total_benefits : float
        Undiscounted sums over the plan.
    roi : float
        ``(total_benefits - total_costs) / total_costs``.
    discounted_roi : float
        NPV over the present value of the costs.
    tco : mapping of str to float
        Total cost of ownership per category over the plan (undiscounted).
    discount_rate : float
        Per period.
    first_period : int
        The t = 0 convention used.
    period_unit : str
        ``"year"`` or ``"month"``.

    Notes
    -----
    ``roi`` and ``discounted_roi`` are +inf, -inf or NaN when the case has no
    costs (the ratio rule of :mod:`crmkit.roi`'s campaign figures).

    Examples
    --------
    >>> from crmkit.roi import BenefitStream, CostItem
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> r = evaluate_business_case(case)
    >>> round(r.npv, 2), round(r.irr, 4), r.payback_period, r.break_even_period
    (1541.94, 0.097, 2.5, 1)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "period": "count",
        "date": "date",
        "one_off_cost": "money",
        "recurring_cost": "money",
        "total_cost": "money",
        "benefits": "money",
        "total_benefit": "money",
        "net_cash_flow": "money",
        "cumulative_cash_flow": "money",
        "discount_factor": "number",
        "discounted_cash_flow": "money",
        "cumulative_discounted": "money",
        "npv": "money",
        "irr": "share",
        "irr_roots": "share",
        "mirr": "share",
        "xnpv": "money",
        "xirr": "share",
        "payback_period": "number",
        "discounted_payback_period": "number",
        "break_even_period": "count",
        "total_costs": "money",
        "total_benefits": "money",
        "roi": "share",
        "discounted_roi": "share",
        "tco": "money",
        "discount_rate": "share",
        "first_period": "count",
    }

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "date",
        "total_cost",
        "total_benefit",
        "net_cash_flow",
        "cumulative_cash_flow",
        "discount_factor",
        "discounted_cash_flow",
        "cumulative_discounted",
    )

    period: npt.NDArray[np.int64]
    date: npt.NDArray[np.datetime64]
    one_off_cost: Mapping[str, FloatArray] = attrs.field(converter=frozen_mapping)
    recurring_cost: Mapping[str, FloatArray] = attrs.field(converter=frozen_mapping)
    total_cost: FloatArray
    benefits: Mapping[str, FloatArray] = attrs.field(converter=frozen_mapping)
    total_benefit: FloatArray
    net_cash_flow: FloatArray
    cumulative_cash_flow: FloatArray
    discount_factor: FloatArray
    discounted_cash_flow: FloatArray
    cumulative_discounted: FloatArray
    npv: float
    irr: float | None
    irr_roots: tuple[float, ...]
    mirr: float | None
    xnpv: float | None
    xirr: float | None
    payback_period: float | None
    discounted_payback_period: float | None
    break_even_period: int | None
    total_costs: float
    total_benefits: float
    roi: float
    discounted_roi: float
    tco: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    discount_rate: float
    first_period: int
    period_unit: str

    def _column_kinds(self) -> dict[str, Kind]:
        categories: dict[str, Kind] = {
            f"{c} {part}": "money" for c in self.one_off_cost for part in ("one-off", "recurring")
        }
        return {**self._kinds, **categories, **dict.fromkeys(self.benefits, "money")}

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the per-period cash-flow table, cost categories and benefit streams included.

        Returns
        -------
        dict of str to ndarray
            ``period``, ``date``, ``<category> one-off`` and ``<category>
            recurring`` per TCO category, ``total_cost``, one column per
            benefit stream, then the totals and discounted flows.
        """
        base = super().table()
        out = {"period": base["period"], "date": base["date"]}
        for category in self.one_off_cost:
            out[f"{category} one-off"] = np.asarray(self.one_off_cost[category])
            out[f"{category} recurring"] = np.asarray(self.recurring_cost[category])
        out["total_cost"] = base["total_cost"]
        out |= {name: np.asarray(v) for name, v in self.benefits.items()}
        out |= {k: v for k, v in base.items() if k not in out}
        return out


def period_dates(case: BusinessCase) -> npt.NDArray[np.datetime64]:
    """Return the dates of periods 0..n-1 from the case's start (NaT without one)."""
    if case.start is None:
        return np.full(case.n_periods, np.datetime64("NaT", "us"), dtype=DATETIME_DTYPE)
    first = cast("dt.datetime", case.start.astype("M8[us]").item())  # us units give a datetime
    step = relativedelta(years=1) if case.period_unit == "year" else relativedelta(months=1)
    return np.array([first + step * t for t in range(case.n_periods)], dtype=DATETIME_DTYPE)


def _unique(roots: FloatArray) -> float | None:
    return float(roots[0]) if roots.size == 1 else None


def evaluate_business_case(case: BusinessCase) -> BusinessCaseResult:
    r"""Work out a CRM business case: TCO by category, benefit streams, cash flows and returns.

    Parameters
    ----------
    case : BusinessCase
        The plan.

    Returns
    -------
    BusinessCaseResult
        The per-period table and NPV, IRR, MIRR, XNPV, XIRR, payback (simple
        and discounted), break-even period and ROI.

    Raises
    ------
    InputError
        If *case* is not a :class:`BusinessCase`.

    Notes
    -----
    With :math:`C_t` the costs and :math:`B_t` the benefits of period ``t``,
    the net flow is :math:`F_t = B_t - C_t` and

    .. math::

        \mathrm{NPV} = \sum_{t=0}^{T} \frac{F_t}{(1 + r)^{t + p}},\qquad
        \mathrm{ROI} = \frac{\sum_t B_t - \sum_t C_t}{\sum_t C_t},

    ``p`` the t = 0 convention (``first_period``). IRR, MIRR and payback are
    those of :func:`irr_roots`, :func:`mirr` and :func:`payback_period` on
    :math:`F`; a plan whose flows change sign several times (say a second
    investment in year 3) may have several IRRs, and then ``irr`` is None and
    ``irr_roots`` lists them rather than picking one.

    References
    ----------
    .. [1] Buttle, F. and Maklan, S. (2019). Customer Relationship
       Management: Concepts and Technologies, 4th ed., Routledge, ch. 10
       (CRM costs and benefits).
    .. [2] Brealey, R. A., Myers, S. C. and Allen, F. (2020). Principles of
       Corporate Finance, 13th ed., McGraw-Hill, ch. 5-6.

    Examples
    --------
    A CRM roll-out: 120,000 of software and 60,000 of training now, 25,000 a
    year of licences and support; service costs fall by 90,000 a year, half
    of it in the first year and 80% in the second:

    >>> from crmkit.roi import BenefitStream, CostItem
    >>> software = CostItem(
    ...     name="software", category="technology", one_off=120_000.0, recurring=25_000.0
    ... )
    >>> training = CostItem(name="training", category="people", one_off=60_000.0)
    >>> service = BenefitStream(
    ...     name="service", kind="cost reduction", value=90_000.0, ramp_up=(0.5, 0.8)
    ... )
    >>> case = BusinessCase(
    ...     costs=(software, training),
    ...     benefits=(service,),
    ...     periods=5,
    ...     discount_rate=0.1,
    ...     first_period=0,
    ... )
    >>> r = evaluate_business_case(case)
    >>> round(r.npv), round(r.irr, 4), round(r.payback_period, 2), r.break_even_period
    (10616, 0.1196, 3.74, 1)
    >>> dict(r.tco), round(r.roi, 3), round(r.discounted_payback_period, 2)
    ({'technology': 245000.0, 'people': 60000.0, 'process': 0.0}, 0.269, 4.74)
    """
    fn = "evaluate_business_case"
    plan = instance(case, BusinessCase, name="case", function=fn, what="a BusinessCase")
    n = plan.n_periods
    one_off = {c: np.zeros(n) for c in CATEGORIES}
    recurring = {c: np.zeros(n) for c in CATEGORIES}
    for item in plan.costs:
        one_off[item.category] += item.one_off_amounts(n)
        recurring[item.category] += item.recurring_amounts(n)
    benefits = {s.name: s.amounts(n) for s in plan.benefits}
    cost = sum((one_off[c] + recurring[c] for c in CATEGORIES), start=np.zeros(n))
    benefit = sum(benefits.values(), start=np.zeros(n))
    net = benefit - cost
    rate = np.array([float(plan.discount_rate)])
    start = int(plan.first_period)
    factor = np.exp(-(np.arange(n) + start) * np.log1p(rate[0]))
    discounted = net * factor
    flows = net[None, :]
    npv = float(npv_unchecked(rate, flows, start)[0])
    roots = periodic_roots(flows)
    payback, paid = payback_unchecked(flows, start)
    d_payback, d_paid = payback_unchecked(discounted[None, :], start)
    dates = period_dates(plan)
    xnpv: float | None = None
    xirr: float | None = None
    if plan.start is not None:
        micros = dates.view(np.int64)
        tau = (micros - micros[0]) / _US_PER_DAY / DAYS_PER_YEAR
        xnpv = float(np.sum(net * np.exp(-tau * np.log1p(rate[0]))))
        xirr = _unique(np.asarray(dated_roots(flows, tau).rate))
    mirr: float | None = None
    if (net > 0).any() and (net < 0).any():
        t = np.arange(n)
        pv_out = float(np.sum(np.minimum(net, 0.0) * np.exp(-t * np.log1p(rate[0]))))
        fv_in = float(np.sum(np.maximum(net, 0.0) * np.exp((n - 1 - t) * np.log1p(rate[0]))))
        mirr = float(np.exp(np.log(fv_in / -pv_out) / (n - 1)) - 1.0)
    negative = np.flatnonzero(net < 0)
    last_negative = int(negative[-1]) if negative.size else -1
    total_costs = float(cost.sum())
    total_benefits = float(benefit.sum())
    pv_costs = float(np.sum(cost * factor))
    return BusinessCaseResult(
        period=as_readonly(np.arange(n, dtype=np.int64)),
        date=as_readonly(dates),
        one_off_cost={c: as_readonly(v) for c, v in one_off.items()},
        recurring_cost={c: as_readonly(v) for c, v in recurring.items()},
        total_cost=as_readonly(cost),
        benefits={k: as_readonly(v) for k, v in benefits.items()},
        total_benefit=as_readonly(benefit),
        net_cash_flow=as_readonly(net),
        cumulative_cash_flow=as_readonly(np.cumsum(net)),
        discount_factor=as_readonly(factor),
        discounted_cash_flow=as_readonly(discounted),
        cumulative_discounted=as_readonly(np.cumsum(discounted)),
        npv=npv,
        irr=_unique(np.asarray(roots.rate)),
        irr_roots=tuple(float(r) for r in roots.rate),
        mirr=mirr,
        xnpv=xnpv,
        xirr=xirr,
        payback_period=float(payback[0]) if paid[0] else None,
        discounted_payback_period=float(d_payback[0]) if d_paid[0] else None,
        break_even_period=last_negative + 1 if last_negative < n - 1 else None,
        total_costs=total_costs,
        total_benefits=total_benefits,
        roi=_ratio(total_benefits - total_costs, total_costs),
        discounted_roi=_ratio(npv, pv_costs),
        tco={c: float((one_off[c] + recurring[c]).sum()) for c in CATEGORIES},
        discount_rate=float(plan.discount_rate),
        first_period=start,
        period_unit=str(plan.period_unit),
    )


def _ratio(a: float, b: float) -> float:
    return float(ratio(a, b))
