"""Discounted lifetime value from a purchase model: on spend (Gamma-Gamma) or on profit (the P&L).

The horizon is a run of discounting periods: of a fixed length in the data's
time unit (the form of lifetimes' ``customer_lifetime_value``, whose month is
4.345 weeks or 30 days), or calendar-true, the k-th period ending k calendar
months (quarters, years) after ``as_of``, so February is 28 or 29 days.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt
from dateutil.relativedelta import relativedelta

from crmkit._input import as_finite_float, as_readonly, check_same_length, scalar_datetime
from crmkit._numeric import overflow_error, safe_sum
from crmkit._params import choice, instance, integer, number, work_limit
from crmkit._results import Kind, Result, names_field, names_of
from crmkit.errors import InputError
from crmkit.roi._models._btyd_data import BTYDData, require_models_extra
from crmkit.roi._models._gamma_gamma import GammaGammaFit, spend_kernel_values
from crmkit.roi._models._predict import (
    MAX_HORIZON,
    AnyPurchaseModel,
    PredictiveKernel,
    Prepared,
    check_model,
    discrete,
    prepare,
    read_model_data,
)
from crmkit.roi._profit._pnl import CustomerPnL

__all__ = [
    "MAX_CLV_WORK",
    "MAX_PERIODS",
    "CalendarPeriods",
    "CustomerCLV",
    "customer_clv",
    "discounted_purchases",
    "period_ends",
    "profit_clv",
]

FloatArray = npt.NDArray[np.float64]
MAX_CLV_WORK: Final = 10**8
"""Expected-purchase evaluations (periods x distinct customers) one CLV call may ask for."""
MAX_PERIODS: Final = 10_000
"""Discounting periods one CLV call may ask for (833 years of months)."""
_LOG_FACTOR_LIMIT: Final = 600.0  # discount factors up to e^600 (a negative rate) stay finite
_UNIT_DAYS: Final = {"day": 1.0, "week": 7.0}
_STEP: Final = {"month": 1, "quarter": 3, "year": 12}


def _as_of(value: object) -> np.datetime64:
    return scalar_datetime(value, field="as_of", function="CalendarPeriods")


def _freq(_inst: object, _attr: attrs.Attribute[str], value: object) -> None:
    choice(value, ("month", "quarter", "year"), name="freq", function="CalendarPeriods")


def _unit(_inst: object, _attr: attrs.Attribute[str], value: object) -> None:
    choice(value, ("day", "week"), name="time_unit", function="CalendarPeriods")


@attrs.frozen(kw_only=True)
class CalendarPeriods:
    """Discounting periods that follow the calendar: real months, quarters or years from *as_of*.

    The k-th period ends k months (3k, 12k) after ``as_of``, month ends
    clipped (31 January + 1 month = 28 or 29 February), so each period lasts
    its real number of days; in the model's time unit a month is 28 to 31
    days, or 4 to 4.43 weeks.

    Attributes
    ----------
    as_of : datetime64[us]
        The end of observation, exclusive as every crmkit ``as_of``: the
        instant the horizon starts (``"2024-07-01"``: the first month is July).
    freq : {"month", "quarter", "year"}
        Length of a discounting period.
    time_unit : {"day", "week"}
        The time unit of the data the purchase model was fitted on.

    Examples
    --------
    >>> months = CalendarPeriods(as_of="2024-02-01", freq="month", time_unit="day")
    >>> months.ends(3).tolist()  # February, March and April 2024
    [29.0, 60.0, 90.0]
    """

    as_of: np.datetime64 = attrs.field(converter=_as_of)
    freq: Literal["month", "quarter", "year"] = attrs.field(validator=_freq)
    time_unit: Literal["day", "week"] = attrs.field(validator=_unit)

    def ends(self, periods: int) -> FloatArray:
        """End of each of the first *periods* periods, in ``time_unit`` after ``as_of``.

        Parameters
        ----------
        periods : int
            Number of periods, >= 1.

        Returns
        -------
        ndarray of float64, shape (periods,)
            Increasing; the first is the length of the first period.

        Examples
        --------
        >>> CalendarPeriods(as_of="2024-01-01", freq="quarter", time_unit="week").ends(1).round(3)
        array([13.])
        """
        k = integer(periods, name="periods", function="CalendarPeriods.ends", minimum=1)
        start = self.as_of.astype(dt.datetime)
        step = _STEP[self.freq]
        ends = [np.datetime64(start + relativedelta(months=step * (i + 1)), "us") for i in range(k)]
        days = (np.array(ends) - self.as_of) / np.timedelta64(1, "D")
        return np.asarray(days / _UNIT_DAYS[self.time_unit], dtype=np.float64)


@attrs.frozen(kw_only=True, repr=False)
class CustomerCLV(Result):
    """Per-customer probabilistic lifetime value over a horizon.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids (positions ``0..n-1`` when the data carried none).
    p_alive : ndarray of float64, shape (n,)
        Probability the customer is still active.
    expected_purchases : ndarray of float64, shape (n,)
        Expected purchases over the whole horizon (undiscounted).
    value_per_purchase : ndarray of float64, shape (n,)
        Expected spend per purchase (``basis="spend"``) or profit per
        purchase net of cost to serve (``basis="profit"``, can be negative).
    clv : ndarray of float64, shape (n,)
        Discounted value over the horizon.
    basis : {"spend", "profit"}
        What the value counts.
    periods : int
        Number of discounting periods in the horizon.
    period_length : float
        Length of one period in the data's time unit; NaN for calendar periods.
    period_ends : ndarray of float64, shape (periods,)
        End of each period, in the data's time unit after the end of observation.
    schedule : str
        The horizon in words (``"12 periods of 4.345"``, ``"12 calendar months from
        2024-07-01"``).
    discount_rate : float
        Discount rate per period.
    total_clv : float
        Sum of ``clv``.
    n_negative : int
        Customers with negative CLV (only possible on profit).

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> value = profit_clv(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ...     frequency=[2],
    ...     recency=[30.0],
    ...     T=[38.0],
    ...     profit_per_purchase=[10.0],
    ...     periods=4,
    ...     period_length=13.0,
    ...     discount_rate=0.02,
    ... )
    >>> value.basis, value.customer.tolist()
    ('profit', [0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "p_alive",
        "expected_purchases",
        "value_per_purchase",
        "clv",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "p_alive": "probability",
        "expected_purchases": "number",
        "value_per_purchase": "money",
        "clv": "money",
        "period_length": "number",
        "period_ends": "number",
        "discount_rate": "share",
        "total_clv": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = _table
    _plot: ClassVar[str] = "clv_histogram"

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        clv = rows["clv"]
        return rows | {"total_clv": float(clv.sum()), "n_negative": int((clv < 0).sum())}

    customer: npt.NDArray[Any]
    p_alive: FloatArray
    expected_purchases: FloatArray
    value_per_purchase: FloatArray
    clv: FloatArray
    basis: Literal["spend", "profit"]
    periods: int
    period_length: float
    period_ends: FloatArray
    schedule: str
    discount_rate: float
    total_clv: float
    n_negative: int
    _source_names: Mapping[str, str] = names_field()


def period_ends(
    model: AnyPurchaseModel,
    *,
    periods: object,
    period_length: object,
    calendar: object,
    discount_rate: object,
    function: str,
) -> tuple[FloatArray, float, str, float]:
    """Check the horizon arguments; return the period ends, the length, the label and the rate."""
    k = integer(
        periods,
        name="periods",
        function=function,
        minimum=1,
        maximum=MAX_PERIODS,
        hint="Beyond a few hundred periods the discounted tail adds next to nothing; for the "
        "whole residual lifetime use dert().",
    )
    rate = number(discount_rate, name="discount_rate", function=function, low=-1.0, low_open=True)
    if not np.isfinite(-math.log1p(rate) * k) or -math.log1p(rate) * k > _LOG_FACTOR_LIMIT:
        raise InputError.for_parameter(
            "discount_rate",
            f"a rate whose discount factors over {k} periods stay within float64 "
            f"(at least {math.expm1(-_LOG_FACTOR_LIMIT / k):.3g})",
            discount_rate,
            function=function,
        )
    if (period_length is None) == (calendar is None):
        raise InputError.for_parameter(
            "period_length",
            "given, or calendar given, but not both",
            "both" if period_length is not None else None,
            function=function,
            hint="Fixed periods: period_length=4.345 (weeks per month, as lifetimes); "
            "real months: calendar=CalendarPeriods(as_of=..., freq='month', time_unit='week').",
        )
    if calendar is not None:
        cal = instance(
            calendar, CalendarPeriods, name="calendar", function=function, what="a CalendarPeriods"
        )
        if discrete(model):
            raise InputError.for_parameter(
                "calendar",
                "None for BG/BB, whose periods are transaction opportunities",
                "a CalendarPeriods",
                function=function,
            )
        ends = cal.ends(k)
        label = f"{k} calendar {cal.freq}s from {cal.as_of.astype('datetime64[D]')!s}"
        return ends, float("nan"), label, rate
    # the horizon, periods x period_length, is at most MAX_HORIZON time units
    length = number(
        period_length,
        name="period_length",
        function=function,
        low=0.0,
        low_open=True,
        high=MAX_HORIZON / k,
    )
    if discrete(model) and length != int(length):
        raise InputError.for_parameter(
            "period_length",
            "a whole number of transaction opportunities for BG/BB",
            period_length,
            function=function,
        )
    ends = length * np.arange(1, k + 1, dtype=np.float64)
    return ends, length, f"{k} periods of {length:g}", rate


def discounted_purchases(
    kern: PredictiveKernel, rows: BTYDData, ends: FloatArray, discount_rate: float
) -> tuple[FloatArray, FloatArray]:
    """Discounted and total expected purchases per row over periods ending at *ends*.

    The periods are evaluated in blocks (about 2^20 row-periods at once), so a
    long horizon costs vector operations, not a Python loop per period.
    """
    previous = np.zeros(rows.n)
    discounted = np.zeros(rows.n)
    x, t_x, T = rows.frequency, rows.recency, rows.T
    factor = kern.factor(x, t_x, T)
    step = max(1, (1 << 20) // max(rows.n, 1))
    log_v = -np.log1p(discount_rate)
    for start in range(0, ends.size, step):
        block = ends[start : start + step]
        current = kern.part(x[None, :], T[None, :], block[:, None]) * factor[None, :]
        steps = np.diff(np.vstack([previous[None, :], current]), axis=0)
        weights = np.exp(log_v * np.arange(start + 1, start + block.size + 1))
        discounted += weights @ steps
        previous = current[-1]
    return discounted, previous


def _ids(rfm: BTYDData) -> npt.NDArray[Any]:
    return rfm.customer if rfm.customer is not None else np.arange(rfm.n, dtype=np.int64)


def _result(
    prepared: Prepared,
    value: FloatArray,
    *,
    basis: Literal["spend", "profit"],
    ends: FloatArray,
    length: float,
    label: str,
    discount_rate: float,
    function: str,
    names: Mapping[str, str],
) -> CustomerCLV:
    work_limit(
        ends.size * prepared.rows.n,
        limit=MAX_CLV_WORK,
        name="periods",
        function=function,
        what="expected-purchase evaluations (periods x distinct customers)",
    )
    rows = prepared.rows
    discounted, total = discounted_purchases(prepared.kernel, rows, ends, discount_rate)
    alive = prepared.kernel.alive(rows.frequency, rows.recency, rows.T)
    with np.errstate(over="ignore", invalid="ignore"):
        clv = value * prepared.spread(discounted)
        total_clv = safe_sum(clv)
    if not (np.isfinite(total_clv) and np.isfinite(clv).all()):
        bad = ~np.isfinite(clv)
        ids = _ids(prepared.data)
        raise overflow_error(
            "monetary_value" if basis == "spend" else "profit_per_purchase",
            function=function,
            what="lifetime values" if bad.any() else "a total lifetime value",
            labels=ids[bad][:5].tolist(),
            n_bad=int(bad.sum()) if bad.any() else None,
            noun="customer",
        )
    return CustomerCLV(
        customer=as_readonly(_ids(prepared.data)),
        p_alive=prepared.spread(alive),
        expected_purchases=prepared.spread(total),
        value_per_purchase=as_readonly(np.asarray(value, dtype=np.float64)),
        clv=as_readonly(clv),
        basis=basis,
        periods=int(ends.size),
        period_length=length,
        period_ends=as_readonly(ends),
        schedule=label,
        discount_rate=discount_rate,
        total_clv=total_clv,
        n_negative=int(np.count_nonzero(clv < 0)),
        source_names=names,
    )


def customer_clv(
    purchases: AnyPurchaseModel,
    spend: GammaGammaFit,
    data: object | None = None,
    *,
    periods: int,
    discount_rate: float,
    period_length: float | None = None,
    calendar: CalendarPeriods | None = None,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    monetary_value: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> CustomerCLV:
    r"""Discounted customer lifetime value from a purchase model and Gamma-Gamma spend.

    Parameters
    ----------
    purchases : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        The purchase model.
    spend : GammaGammaFit
        The spend model.
    data : SpendData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency``, ``T`` and ``monetary_value``
        (a :class:`crmkit.segmentation.BTYDSummary`; its ``customer`` ids are kept).
    periods : int
        Number of discounting periods in the horizon, 1 to 10,000.
    discount_rate : float
        Discount rate per period, > -1 (and not so negative that the
        discount factors of the horizon overflow float64).
    period_length : float, optional
        Fixed length of one period in the data's time unit (the horizon,
        periods x period_length, at most 10^7): 4.345 weeks or 30
        days per month reproduce lifetimes' ``customer_lifetime_value``
        (``freq="W"`` / ``"D"``); whole opportunities for BG/BB.
    calendar : CalendarPeriods, optional
        Calendar-true periods instead: real months, quarters or years from
        ``as_of``. Exactly one of *period_length* and *calendar*.
    frequency, recency, T, monetary_value : array_like, shape (n,), optional
        The columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, when either model was fitted with covariates.

    Returns
    -------
    CustomerCLV
        P(alive), expected purchases, expected spend and CLV per customer.

    Raises
    ------
    InputError
        For bad horizon arguments (more than 10,000 periods among them),
        models of the wrong type, bad columns, or a horizon asking for more
        than 10^8 evaluations (periods x distinct customers; about a minute of
        work).

    Notes
    -----
    With :math:`E_k = E[Y(\tau_k) \mid x, t_x, T]` the expected purchases up
    to the end :math:`\tau_k` of period k and :math:`\hat m` the Gamma-Gamma
    expected spend,

    .. math::

        \mathrm{CLV} = \hat m \sum_{k=1}^{K} \frac{E_k - E_{k-1}}{(1+d)^k}.

    With fixed periods :math:`\tau_k = k\Delta`: the discrete-period form of
    lifetimes' ``customer_lifetime_value`` (its ``time=K``; its months are
    :math:`\Delta` = 4.345 weeks or 30 days). With calendar periods
    :math:`\tau_k` is the real elapsed time to the k-th period end: months of
    28 to 31 days where the lifetimes form has 30.415 (and 52/12 weeks,
    another common choice, 30.333: 0.27% shorter).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Examples
    --------
    One year of monthly-discounted value for two CDNOW customers (weeks), in
    lifetimes' fixed 4.345-week months and in real calendar months:

    >>> from crmkit.roi import bgnbd_from_params, gamma_gamma_from_params
    >>> bg = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
    >>> customers = {
    ...     "customer": ["ann", "bob"],
    ...     "frequency": [2, 0],
    ...     "recency": [30.43, 0.0],
    ...     "T": [38.86, 38.86],
    ...     "monetary_value": [22.35, 0.0],
    ... }
    >>> fixed = customer_clv(bg, gg, customers, periods=12, period_length=4.345, discount_rate=0.01)
    >>> fixed.clv.round(2).tolist()
    [36.29, 8.37]
    >>> months = CalendarPeriods(as_of="1997-09-28", freq="month", time_unit="week")
    >>> real = customer_clv(bg, gg, customers, periods=12, calendar=months, discount_rate=0.01)
    >>> real.clv.round(3).tolist(), fixed.clv.round(3).tolist()
    ([36.286, 8.368], [36.289, 8.369])
    >>> real.period_ends[:3].round(3).tolist(), real.schedule  # months of 30, 31 and 30 days
    ([4.286, 8.714, 13.0], '12 calendar months from 1997-09-28')
    """
    fn = "customer_clv"
    require_models_extra(fn)
    model = check_model(purchases, fn, "purchases")
    gamma_gamma = instance(spend, GammaGammaFit, name="spend", function=fn, what="a GammaGammaFit")
    ends, length, label, rate = period_ends(
        model,
        periods=periods,
        period_length=period_length,
        calendar=calendar,
        discount_rate=discount_rate,
        function=fn,
    )
    rfm = read_model_data(
        model,
        data,
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary_value,
        need_spend=True,
        function=fn,
    )
    prepared = prepare(
        model,
        None,
        frequency=None,
        recency=None,
        T=None,
        covariates=covariates if getattr(model, "covariates", None) is not None else None,
        function=fn,
        field="purchases",
        rfm=rfm,
    )
    value = spend_kernel_values(gamma_gamma, rfm, covariates=covariates, function=fn)
    return _result(
        prepared,
        value,
        basis="spend",
        ends=ends,
        length=length,
        label=label,
        discount_rate=rate,
        function=fn,
        names=names_of(data, "customer"),
    )


def _profit_from_pnl(pnl: CustomerPnL, rfm: BTYDData, fn: str) -> FloatArray:
    if rfm.customer is None:
        raise InputError(
            f"{fn} needs customer ids on the data to line it up with the P&L.",
            field="customer",
            hint="Pass a BTYDSummary (it has customer ids), or profit_per_purchase as an array.",
        )
    ids = rfm.customer
    if ids.dtype.kind != pnl.customer.dtype.kind:
        raise InputError(
            f"The customer ids of the data and the P&L given to {fn} are of different kinds.",
            field="customer",
        )
    where = np.clip(np.searchsorted(pnl.customer, ids), 0, max(pnl.customer.size - 1, 0))
    found = pnl.customer[where] == ids if pnl.customer.size else np.zeros(ids.size, dtype=bool)
    if not found.all():
        missing = np.flatnonzero(~found)
        raise InputError.for_rows(
            "customer",
            "must all be in the P&L",
            positions=missing[:5].tolist(),
            values=ids[missing[:5]].tolist(),
            n_bad=int(missing.size),
            function=fn,
        )
    n = np.maximum(pnl.n_purchases[where], 1)
    return np.asarray(pnl.profit[where] / n, dtype=np.float64)


def profit_clv(
    purchases: AnyPurchaseModel,
    data: object | None = None,
    *,
    periods: int,
    discount_rate: float,
    period_length: float | None = None,
    calendar: CalendarPeriods | None = None,
    pnl: CustomerPnL | None = None,
    profit_per_purchase: npt.ArrayLike | None = None,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> CustomerCLV:
    r"""Lifetime value on profit: expected purchases x margin net of cost to serve.

    Spend models such as Gamma-Gamma need positive values, so they cannot
    value customers who lose money. This combines BG/NBD's expected
    purchases with each customer's profit per purchase from the P&L, so CLV
    can be negative and the whale curve can run on it.

    Parameters
    ----------
    purchases : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        The purchase model.
    data : RFMData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency`` and ``T`` (with ``customer``
        ids when *pnl* is given).
    periods : int
        Number of discounting periods in the horizon, 1 to 10,000.
    discount_rate : float
        Discount rate per period, > -1 (and not so negative that the
        discount factors of the horizon overflow float64).
    period_length : float, optional
        Fixed length of one period in the data's time unit (see :func:`customer_clv`).
    calendar : CalendarPeriods, optional
        Calendar-true periods instead; exactly one of the two.
    pnl : CustomerPnL, optional
        The customer P&L; profit per purchase is ``profit / n_purchases``
        (``profit`` when a customer has no positive purchase row). Every data
        customer must be in it.
    profit_per_purchase : array_like of float, shape (n,), optional
        Profit per purchase aligned with the data, instead of *pnl*.
    frequency, recency, T : array_like, shape (n,), optional
        The columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a purchase model fitted with covariates.

    Returns
    -------
    CustomerCLV
        With ``basis="profit"``; ``n_negative`` counts the customers worth
        less than nothing.

    Raises
    ------
    InputError
        Unless exactly one of *pnl* and *profit_per_purchase* is given, for
        customers missing from the P&L (listed), or bad columns.

    Notes
    -----
    .. math::

        \mathrm{CLV}^{\pi}_i = \frac{\pi_i}{n_i}
        \sum_{k=1}^{K} \frac{E_k - E_{k-1}}{(1+d)^k},

    with :math:`\pi_i` the customer's profit and :math:`n_i` purchases over the
    P&L window: the historical margin net of cost to serve is assumed to
    continue per purchase.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    Bob buys often but every order costs more to serve than it earns:

    >>> from crmkit.roi import bgnbd_from_params
    >>> bg = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> value = profit_clv(
    ...     bg,
    ...     frequency=[3, 6],
    ...     recency=[30.0, 35.0],
    ...     T=[38.0, 38.0],
    ...     profit_per_purchase=[12.0, -4.0],
    ...     periods=12,
    ...     period_length=4.345,
    ...     discount_rate=0.01,
    ... )
    >>> value.n_negative, bool(value.clv[0] > 0 > value.clv[1])
    (1, True)
    """
    fn = "profit_clv"
    require_models_extra(fn)
    model = check_model(purchases, fn, "purchases")
    ends, length, label, rate = period_ends(
        model,
        periods=periods,
        period_length=period_length,
        calendar=calendar,
        discount_rate=discount_rate,
        function=fn,
    )
    if (pnl is None) == (profit_per_purchase is None):
        raise InputError.for_parameter(
            "pnl",
            "given, or profit_per_purchase given, but not both",
            "both" if pnl is not None else None,
            function=fn,
        )
    prepared = prepare(
        model,
        data,
        frequency=frequency,
        recency=recency,
        T=T,
        covariates=covariates,
        function=fn,
        field="purchases",
    )
    rfm = prepared.data
    if pnl is not None:
        table = instance(pnl, CustomerPnL, name="pnl", function=fn, what="a CustomerPnL")
        value = _profit_from_pnl(table, rfm, fn)
    else:
        value = as_finite_float(profit_per_purchase, field="profit_per_purchase", function=fn)
        check_same_length({"frequency": rfm.n, "profit_per_purchase": value.shape[0]}, function=fn)
    return _result(
        prepared,
        value,
        basis="profit",
        ends=ends,
        length=length,
        label=label,
        discount_rate=rate,
        function=fn,
        names=names_of(data, "customer"),
    )
