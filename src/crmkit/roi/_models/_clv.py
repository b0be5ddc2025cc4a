"""Discounted lifetime value from BG/NBD: on spend (Gamma-Gamma) or on profit (the P&L)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_readonly, check_same_length
from crmkit._results import Kind, Result, names_field, names_of
from crmkit.errors import InputError
from crmkit.roi._models._bgnbd import BGNBDFit, PurchaseModel, alive, check_purchase_model, expected
from crmkit.roi._models._btyd_data import BTYDData, compress, read_rfm, require_models_extra
from crmkit.roi._models._gamma_gamma import GammaGammaFit, expected_spend_unchecked
from crmkit.roi._models._pareto import ParetoNBDFit
from crmkit.roi._profit._pnl import CustomerPnL

__all__ = ["CustomerCLV", "customer_clv", "profit_clv"]

FloatArray = npt.NDArray[np.float64]


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
        Length of one period in the data's time unit.
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
    discount_rate: float
    total_clv: float
    n_negative: int
    _source_names: Mapping[str, str] = names_field()


def _horizon_args(periods: object, period_length: object, discount_rate: object, fn: str) -> None:
    if isinstance(periods, bool) or not isinstance(periods, (int, np.integer)) or periods < 1:
        raise InputError.for_parameter("periods", "an int >= 1", periods, function=fn)
    for name, value, low in (
        ("period_length", period_length, 0.0),
        ("discount_rate", discount_rate, -1.0),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.number))
            or not np.isfinite(float(value))
            or float(value) <= low
        ):
            raise InputError.for_parameter(name, f"a finite number > {low:g}", value, function=fn)


def _discounted_purchases(
    model: PurchaseModel, rfm: BTYDData, *, periods: int, period_length: float, discount_rate: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Discounted and total expected purchases, and P(alive), per customer.

    Evaluated once per distinct (x, t_x, T) row, then spread back.
    """
    c = compress(rfm.frequency, rfm.recency, rfm.T)
    distinct = BTYDData(
        customer=None,
        frequency=c.x_values[c.x_code],
        recency=c.a_values[c.a_code],
        T=c.b_values[c.b_code],
        monetary_value=None,
    )
    previous = np.zeros(c.n_rows)
    discounted = np.zeros(c.n_rows)
    for k in range(1, periods + 1):
        current = expected(model, distinct, k * period_length)
        discounted += (current - previous) / (1.0 + discount_rate) ** k
        previous = current
    p_alive = alive(model, distinct)
    # map each customer to its distinct row
    key_x = np.searchsorted(c.x_values, rfm.frequency)
    key_a = np.searchsorted(c.a_values, rfm.recency)
    key_b = np.searchsorted(c.b_values, rfm.T)
    row_key = (c.x_code * c.a_values.size + c.a_code) * c.b_values.size + c.b_code
    cust_key = (key_x * c.a_values.size + key_a) * c.b_values.size + key_b
    where = np.searchsorted(row_key, cust_key)
    return discounted[where], previous[where], p_alive[where]


def _ids(rfm: BTYDData) -> npt.NDArray[Any]:
    return rfm.customer if rfm.customer is not None else np.arange(rfm.n, dtype=np.int64)


def customer_clv(
    purchases: BGNBDFit | ParetoNBDFit,
    spend: GammaGammaFit,
    data: object | None = None,
    *,
    periods: int,
    period_length: float,
    discount_rate: float,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    monetary_value: npt.ArrayLike | None = None,
) -> CustomerCLV:
    r"""Discounted customer lifetime value from BG/NBD purchases and Gamma-Gamma spend.

    Parameters
    ----------
    purchases : BGNBDFit or ParetoNBDFit
        The purchase model.
    spend : GammaGammaFit
        The spend model.
    data : SpendData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency``, ``T`` and ``monetary_value``
        (a :class:`crmkit.segmentation.BTYDSummary`; its ``customer`` ids are kept).
    periods : int
        Number of discounting periods in the horizon, >= 1.
    period_length : float
        Length of one period in the data's time unit (e.g. 30 when the summary
        is in days and periods are months).
    discount_rate : float
        Discount rate per period, > -1.
    frequency, recency, T, monetary_value : array_like, shape (n,), optional
        The columns as arrays, instead of *data*.

    Returns
    -------
    CustomerCLV
        P(alive), expected purchases, expected spend and CLV per customer.

    Raises
    ------
    InputError
        For bad horizon arguments, models of the wrong type or bad columns.

    Notes
    -----
    With :math:`E_k = E[Y(k\Delta) \mid x, t_x, T]` from BG/NBD and
    :math:`\hat m` the Gamma-Gamma expected spend,

    .. math::

        \mathrm{CLV} = \hat m \sum_{k=1}^{K} \frac{E_k - E_{k-1}}{(1+d)^k},

    the discrete-period form used by lifetimes' ``customer_lifetime_value``
    (its ``time=K``, ``freq`` giving :math:`\Delta`).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Examples
    --------
    One year of monthly-discounted value for two CDNOW customers (weeks):

    >>> from crmkit.roi import bgnbd_from_params, gamma_gamma_from_params
    >>> bg = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
    >>> value = customer_clv(
    ...     bg,
    ...     gg,
    ...     {
    ...         "customer": ["ann", "bob"],
    ...         "frequency": [2, 0],
    ...         "recency": [30.43, 0.0],
    ...         "T": [38.86, 38.86],
    ...         "monetary_value": [22.35, 0.0],
    ...     },
    ...     periods=12,
    ...     period_length=52 / 12,
    ...     discount_rate=0.01,
    ... )
    >>> value.clv.round(2).tolist()
    [...]
    """
    fn = "customer_clv"
    require_models_extra(fn)
    check_purchase_model(purchases, fn, "purchases")
    if not isinstance(spend, GammaGammaFit):
        raise InputError.for_parameter(
            "spend", "a GammaGammaFit", type(spend).__name__, function=fn
        )
    _horizon_args(periods, period_length, discount_rate, fn)
    rfm = read_rfm(
        data,
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary_value,
        need_spend=True,
        function=fn,
    )
    assert rfm.monetary_value is not None  # noqa: S101
    if spend.q <= 1 and bool(np.any(rfm.frequency == 0)):
        raise InputError.for_parameter(
            "spend", "a model with q > 1 (finite mean spend)", f"q={spend.q:.3g}", function=fn
        )
    value = expected_spend_unchecked(spend, rfm.frequency, rfm.monetary_value)
    return _result(
        purchases,
        rfm,
        value,
        basis="spend",
        periods=int(periods),
        period_length=float(period_length),
        discount_rate=float(discount_rate),
        names=names_of(data, "customer"),
    )


def _result(
    model: PurchaseModel,
    rfm: BTYDData,
    value: FloatArray,
    *,
    basis: Literal["spend", "profit"],
    periods: int,
    period_length: float,
    discount_rate: float,
    names: Mapping[str, str],
) -> CustomerCLV:
    discounted, total, alive = _discounted_purchases(
        model, rfm, periods=periods, period_length=period_length, discount_rate=discount_rate
    )
    clv = value * discounted
    return CustomerCLV(
        customer=as_readonly(_ids(rfm)),
        p_alive=as_readonly(alive),
        expected_purchases=as_readonly(total),
        value_per_purchase=as_readonly(np.asarray(value, dtype=np.float64)),
        clv=as_readonly(clv),
        basis=basis,
        periods=periods,
        period_length=period_length,
        discount_rate=discount_rate,
        total_clv=float(clv.sum()),
        n_negative=int(np.count_nonzero(clv < 0)),
        source_names=names,
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
    purchases: BGNBDFit | ParetoNBDFit,
    data: object | None = None,
    *,
    periods: int,
    period_length: float,
    discount_rate: float,
    pnl: CustomerPnL | None = None,
    profit_per_purchase: npt.ArrayLike | None = None,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
) -> CustomerCLV:
    r"""Lifetime value on profit: expected purchases x margin net of cost to serve.

    Spend models such as Gamma-Gamma need positive values, so they cannot
    value customers who lose money. This combines BG/NBD's expected
    purchases with each customer's profit per purchase from the P&L, so CLV
    can be negative and the whale curve can run on it.

    Parameters
    ----------
    purchases : BGNBDFit or ParetoNBDFit
        The purchase model.
    data : RFMData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency`` and ``T`` (with ``customer``
        ids when *pnl* is given).
    periods : int
        Number of discounting periods in the horizon, >= 1.
    period_length : float
        Length of one period in the data's time unit.
    discount_rate : float
        Discount rate per period, > -1.
    pnl : CustomerPnL, optional
        The customer P&L; profit per purchase is ``profit / n_purchases``
        (``profit`` when a customer has no positive purchase row). Every data
        customer must be in it.
    profit_per_purchase : array_like of float, shape (n,), optional
        Profit per purchase aligned with the data, instead of *pnl*.
    frequency, recency, T : array_like, shape (n,), optional
        The columns as arrays, instead of *data*.

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
    ...     period_length=52 / 12,
    ...     discount_rate=0.01,
    ... )
    >>> value.n_negative, bool(value.clv[0] > 0 > value.clv[1])
    (1, True)
    """
    fn = "profit_clv"
    require_models_extra(fn)
    check_purchase_model(purchases, fn, "purchases")
    _horizon_args(periods, period_length, discount_rate, fn)
    if (pnl is None) == (profit_per_purchase is None):
        raise InputError.for_parameter(
            "pnl",
            "given, or profit_per_purchase given, but not both",
            "both" if pnl is not None else None,
            function=fn,
        )
    rfm = read_rfm(data, frequency=frequency, recency=recency, T=T, function=fn)
    if pnl is not None:
        if not isinstance(pnl, CustomerPnL):
            raise InputError.for_parameter("pnl", "a CustomerPnL", type(pnl).__name__, function=fn)
        value = _profit_from_pnl(pnl, rfm, fn)
    else:
        value = as_finite_float(profit_per_purchase, field="profit_per_purchase", function=fn)
        check_same_length({"profit_per_purchase": value.shape[0], "frequency": rfm.n}, function=fn)
    return _result(
        purchases,
        rfm,
        value,
        basis="profit",
        periods=int(periods),
        period_length=float(period_length),
        discount_rate=float(discount_rate),
        names=names_of(data, "customer"),
    )
