"""Simple and discounted payback periods of one cash-flow series or many scenarios."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind
from crmkit._input import as_readonly
from crmkit._results import Result
from crmkit.roi._finance._flows import FirstPeriod, first_period_of, read_flows, read_rates

__all__ = [
    "Payback",
    "discounted_payback_period",
    "payback_columns",
    "payback_period",
    "payback_unchecked",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, repr=False)
class Payback(Result):
    """When the cumulative cash flow of each scenario turns non-negative for good.

    Attributes
    ----------
    scenario : ndarray of int64, shape (s,)
        Scenario row (0 for a single series).
    period : ndarray of float64, shape (s,)
        Periods from t = 0 until the investment is recovered, interpolated
        within the period of recovery; 0 when the cumulative flow is never
        negative; NaN exactly where ``paid_back`` is False.
    paid_back : ndarray of bool, shape (s,)
        Whether the cumulative flow is non-negative at the end of the plan.
    first_period : int
        The t = 0 convention used: the first flow falls in period 0 or 1.
    discounted : bool
        Whether the flows were discounted first (discounted payback).

    Examples
    --------
    >>> p = payback_period([[-100.0, 60.0, 60.0], [-100.0, 30.0, 30.0]], first_period=0)
    >>> p.period.round(3).tolist(), p.paid_back.tolist()
    ([1.667, nan], [True, False])
    """

    _table: ClassVar[tuple[str, ...]] = ("scenario", "period", "paid_back")
    _rows: ClassVar[tuple[str, ...]] = _table
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "scenario": "id",
        "period": "number",
    }

    scenario: IntArray
    period: FloatArray
    paid_back: npt.NDArray[np.bool_]
    first_period: int
    discounted: bool


def payback_columns(
    flows: FloatArray, first_period: int
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Payback of each column of *flows* (periods x scenarios): period (NaN if never), paid."""
    n, s = flows.shape
    cum = np.empty_like(flows)
    running = np.zeros(s)
    last_negative = np.full(s, -1, dtype=np.int64)
    for t in range(n):  # a few periods, each a vector over all scenarios
        running += flows[t]
        cum[t] = running
        last_negative[running < 0] = t
    paid = last_negative < n - 1
    period = np.full(s, np.nan)
    never_negative = last_negative < 0
    period[never_negative] = 0.0
    cross = np.flatnonzero(paid & ~never_negative)
    k = last_negative[cross] + 1
    owed = -cum[k - 1, cross]
    period[cross] = (k - 1 + first_period) + owed / flows[k, cross]
    return period, paid


def payback_unchecked(
    values: FloatArray, first_period: int
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Payback period per row of *values* (NaN if never) and whether each row pays back."""
    return payback_columns(np.ascontiguousarray(values.T), first_period)


def payback_period(cashflows: npt.ArrayLike, *, first_period: FirstPeriod) -> Payback:
    r"""Return the simple payback: periods until the cumulative flow is non-negative for good.

    Parameters
    ----------
    cashflows : array_like of float, shape (n,) or (s, n)
        Net cash flows per period, one row per scenario.
    first_period : {0, 1}
        When the first flow falls: period 0 (today, a t = 0 investment) or
        period 1. Periods are counted from t = 0 either way. No default: it
        moves the answer by one period.

    Returns
    -------
    Payback
        One row per scenario: the payback period and whether it happens
        within the plan.

    Raises
    ------
    InputError
        For non-finite flows or a ``first_period`` other than 0 or 1.

    Notes
    -----
    With :math:`C_t` the cumulative flow, ``k`` the first period after which
    :math:`C_t \ge 0` for every remaining period (so a later dip below zero,
    such as an upgrade, postpones payback) and flows assumed to arrive evenly
    within period ``k``,

    .. math::

        \text{payback} = (k - 1 + p) + \frac{-C_{k-1}}{c_k},
        \qquad p = \texttt{first\_period}.

    A plan whose cumulative flow is never negative pays back at 0; one still
    negative at the end does not pay back (``paid_back`` False, ``period``
    NaN).

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. and Allen, F. (2020). Principles of
       Corporate Finance, 13th ed., McGraw-Hill, section 5.2.

    Examples
    --------
    A marketing-automation tool costs 30,000 and saves 12,000 a year:

    >>> payback_period([-30_000, 12_000, 12_000, 12_000], first_period=0).period.tolist()
    [2.5]
    """
    fn = "payback_period"
    flows = read_flows(cashflows, function=fn, min_periods=1)
    start = first_period_of(first_period, function=fn)
    period, paid = payback_unchecked(flows.values, start)
    return Payback(
        scenario=as_readonly(np.arange(flows.n_scenarios, dtype=np.int64)),
        period=as_readonly(period),
        paid_back=as_readonly(paid),
        first_period=start,
        discounted=False,
    )


def discounted_payback_period(
    rate: npt.ArrayLike, cashflows: npt.ArrayLike, *, first_period: FirstPeriod
) -> Payback:
    r"""Return the discounted payback: the simple payback of the flows' present values.

    Parameters
    ----------
    rate : float or array_like of float, shape (s,)
        Discount rate per period, > -1; one, or one per scenario row.
    cashflows : array_like of float, shape (n,) or (s, n)
        Net cash flows per period, one row per scenario.
    first_period : {0, 1}
        When the first flow falls (period 0 or 1); no default.

    Returns
    -------
    Payback
        As :func:`payback_period`, on discounted flows.

    Raises
    ------
    InputError
        For non-finite flows, a rate <= -1, or a bad ``first_period``.

    Notes
    -----
    Each flow becomes :math:`c_t / (1 + r)^{t + p}` before
    :func:`payback_period`'s rule is applied, so the discounted payback is
    never earlier than the simple one for a positive rate.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. and Allen, F. (2020). Principles of
       Corporate Finance, 13th ed., McGraw-Hill, section 5.2.

    Examples
    --------
    At 10% the tool saving 12,000 a year no longer pays back in three years;
    one saving 13,000 does, three quarters into the third year:

    >>> p = discounted_payback_period(
    ...     0.1,
    ...     [[-30_000, 12_000, 12_000, 12_000], [-30_000, 13_000, 13_000, 13_000]],
    ...     first_period=0,
    ... )
    >>> p.paid_back.tolist(), p.period.round(3).tolist()
    ([False, True], [nan, 2.762])
    """
    fn = "discounted_payback_period"
    flows = read_flows(cashflows, function=fn, min_periods=1)
    start = first_period_of(first_period, function=fn)
    rates = read_rates(rate, n_scenarios=flows.n_scenarios, function=fn)
    values = flows.values
    if flows.single and rates.size > 1:
        values = np.broadcast_to(values, (rates.size, flows.n_periods))
    t = np.arange(flows.n_periods, dtype=np.float64) + start
    discounted = values * np.exp(-np.log1p(rates)[:, None] * t[None, :])
    period, paid = payback_unchecked(discounted, start)
    return Payback(
        scenario=as_readonly(np.arange(period.size, dtype=np.int64)),
        period=as_readonly(period),
        paid_back=as_readonly(paid),
        first_period=start,
        discounted=True,
    )
