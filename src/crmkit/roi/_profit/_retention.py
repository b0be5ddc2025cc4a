"""Retention-based lifetime value and retention economics, simple and transparent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly
from crmkit._results import Kind, Result
from crmkit.errors import InputError

__all__ = [
    "RetentionCLV",
    "RetentionEconomics",
    "retention_clv",
    "retention_economics",
]

FloatArray = npt.NDArray[np.float64]
Horizon = int | Literal["infinite"]


def _array(value: npt.ArrayLike, name: str, function: str) -> FloatArray:
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError.for_parameter(
            name, "a number or an array of numbers", value, function=function
        ) from None
    if arr.ndim != 1:
        raise InputError.for_parameter(
            name, "a number or a one-dimensional array", f"shape {arr.shape}", function=function
        )
    return arr


def _check(
    arr: FloatArray,
    name: str,
    ok: npt.NDArray[np.bool_],
    requirement: str,
    function: str,
) -> None:
    if not ok.all():
        bad = np.flatnonzero(~ok)
        raise InputError.for_rows(
            name,
            f"must be {requirement}",
            positions=bad[:5].tolist(),
            values=arr[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=function,
            kind="parameter",
        )


def _inputs(
    margin: npt.ArrayLike,
    retention: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    function: str,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    m = _array(margin, "margin", function)
    r = _array(retention, "retention", function)
    d = _array(discount_rate, "discount_rate", function)
    _check(m, "margin", np.isfinite(m), "finite", function)
    _check(r, "retention", (r >= 0) & (r < 1), "in [0, 1)", function)
    _check(d, "discount_rate", np.isfinite(d) & (d > -1), "finite and > -1", function)
    try:
        m, r, d = np.broadcast_arrays(m, r, d)
    except ValueError:
        raise InputError(
            f"margin, retention and discount_rate of {function} must be scalars or arrays of "
            f"one common length; got lengths {m.size}, {r.size} and {d.size}.",
            field="retention",
        ) from None
    return m, r, d


def _horizon(horizon: object, function: str) -> int | None:
    if horizon == "infinite":
        return None
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise InputError.for_parameter(
            "horizon", "an int >= 1 (periods) or 'infinite'", horizon, function=function
        )
    return int(horizon)


def _multiple(r: FloatArray, d: FloatArray, periods: int | None) -> FloatArray:
    """Sum over t = 1..H of (r / (1 + d))**t; the infinite sum when *periods* is None."""
    q = r / (1.0 + d)
    if periods is None:
        return np.asarray(r / (1.0 + d - r), dtype=np.float64)
    one = np.isclose(q, 1.0)
    with np.errstate(all="ignore"):
        geometric = q * (1.0 - q**periods) / (1.0 - q)
    return np.where(one, float(periods), geometric)


@attrs.frozen(kw_only=True, repr=False)
class RetentionCLV(Result):
    """Retention-based customer lifetime value.

    Attributes
    ----------
    margin, retention, discount_rate : ndarray of float64, shape (n,)
        The inputs, broadcast to a common length.
    clv : ndarray of float64, shape (n,)
        Discounted margin over the horizon (before acquisition cost).
    margin_multiple : ndarray of float64, shape (n,)
        ``clv / margin``: how many periods' margin a customer is worth.
    expected_periods : ndarray of float64, shape (n,)
        Expected number of future periods the customer stays (undiscounted,
        within the horizon).
    acquisition_cost : ndarray of float64, shape (n,)
        Cost of acquiring the customer.
    net_value : ndarray of float64, shape (n,)
        ``clv - acquisition_cost``.
    horizon : int or "infinite"
        Number of future periods valued.

    Examples
    --------
    >>> retention_clv(50.0, retention=0.5, discount_rate=0.0, horizon=2).clv.tolist()
    [37.5]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "margin",
        "retention",
        "discount_rate",
        "clv",
        "margin_multiple",
        "expected_periods",
        "acquisition_cost",
        "net_value",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "margin": "money",
        "retention": "share",
        "discount_rate": "share",
        "clv": "money",
        "margin_multiple": "number",
        "expected_periods": "number",
        "acquisition_cost": "money",
        "net_value": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = _table

    margin: FloatArray
    retention: FloatArray
    discount_rate: FloatArray
    clv: FloatArray
    margin_multiple: FloatArray
    expected_periods: FloatArray
    acquisition_cost: FloatArray
    net_value: FloatArray
    horizon: Horizon


def retention_clv(
    margin: npt.ArrayLike,
    *,
    retention: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    horizon: Horizon,
    acquisition_cost: npt.ArrayLike = 0.0,
) -> RetentionCLV:
    r"""Value a customer from margin per period, retention rate and discount rate.

    Parameters
    ----------
    margin : float or array_like of float, shape (n,)
        Margin per period from a retained customer (money); may be negative.
    retention : float or array_like of float, shape (n,)
        Probability that a customer active in one period is still active in
        the next, in [0, 1).
    discount_rate : float or array_like of float, shape (n,)
        Discount rate per period, > -1 (0.1 = 10% per period).
    horizon : int or "infinite"
        Number of future periods valued (>= 1), or ``"infinite"``. No default:
        it changes the value.
    acquisition_cost : float or array_like of float, shape (n,)
        Cost of acquiring the customer, subtracted for ``net_value``.

    Returns
    -------
    RetentionCLV
        Value, margin multiple, expected periods and net value, broadcast
        over the inputs.

    Raises
    ------
    InputError
        For retention outside [0, 1), a discount rate <= -1, non-finite
        values, arrays of different lengths or a bad horizon; for an infinite
        horizon also when retention >= 1 + discount rate (the sum diverges).

    Notes
    -----
    Margins arrive at the end of each period the customer survives, so with
    :math:`q = r / (1 + d)`

    .. math::

        \mathrm{CLV}_H = m \sum_{t=1}^{H} q^t = m\,\frac{q (1 - q^H)}{1 - q},
        \qquad
        \mathrm{CLV}_\infty = \frac{m\,r}{1 + d - r},

    the second being the limit of the first as :math:`H \to \infty`
    (Gupta & Lehmann 2003). ``expected_periods`` is :math:`\sum_{t=1}^H r^t`.

    References
    ----------
    Gupta, S., & Lehmann, D. R. (2003). Customers as assets. *Journal of
    Interactive Marketing*, 17(1), 9-24.

    Examples
    --------
    A subscriber brings 100 a year, 80% renew, money costs 10% a year:

    >>> value = retention_clv(100.0, retention=0.8, discount_rate=0.1, horizon="infinite")
    >>> round(float(value.clv[0]), 2)
    266.67
    >>> five_years = retention_clv(
    ...     100.0, retention=0.8, discount_rate=0.1, horizon=5, acquisition_cost=150.0
    ... )
    >>> round(float(five_years.net_value[0]), 2)
    62.41
    """
    fn = "retention_clv"
    m, r, d = _inputs(margin, retention, discount_rate, fn)
    periods = _horizon(horizon, fn)
    cac = _array(acquisition_cost, "acquisition_cost", fn)
    _check(cac, "acquisition_cost", np.isfinite(cac), "finite", fn)
    if cac.size not in (1, m.size):
        raise InputError(
            f"acquisition_cost of {fn} must be a scalar or of length {m.size}; got {cac.size}.",
            field="acquisition_cost",
        )
    cac = np.broadcast_to(cac, m.shape)
    if periods is None:
        _check(
            r,
            "retention",
            r < 1.0 + d,
            "below 1 + discount_rate for an infinite horizon (else the value diverges)",
            fn,
        )
    multiple = _multiple(r, d, periods)
    clv = m * multiple
    survival = _multiple(r, np.zeros_like(r), periods)
    return RetentionCLV(
        margin=as_readonly(np.array(m)),
        retention=as_readonly(np.array(r)),
        discount_rate=as_readonly(np.array(d)),
        clv=as_readonly(clv),
        margin_multiple=as_readonly(multiple),
        expected_periods=as_readonly(survival),
        acquisition_cost=as_readonly(np.array(cac)),
        net_value=as_readonly(clv - cac),
        horizon="infinite" if periods is None else periods,
    )


@attrs.frozen(kw_only=True, repr=False)
class RetentionEconomics(Result):
    """What a retention uplift is worth, per customer and for the whole business.

    Attributes
    ----------
    retention_before, retention_after : float
        Retention rate now and after the uplift.
    clv_before, clv_after : float
        Customer lifetime value (infinite horizon) at each rate.
    clv_change : float
        Relative change of CLV, ``clv_after / clv_before - 1``.
    customers_before, customers_after : float
        Steady-state customer base ``new_customers / (1 - r)``.
    profit_before, profit_after : float
        Steady-state profit per period: margin on the base minus acquisition
        spend, minus the retention programme's cost (after only).
    profit_change : float
        Relative change of period profit (NaN when profit before is 0).
    programme_cost : float
        Per period: ``retention_cost x customers_after``.
    acquisition_cost_to_match : float
        Per period: what acquiring enough extra customers to reach the same
        base at the old retention rate would cost.
    break_even_retention_cost : float
        Highest programme cost per customer per period that leaves profit unchanged.

    Examples
    --------
    >>> econ = retention_economics(
    ...     margin=10.0,
    ...     retention=0.5,
    ...     uplift=0.1,
    ...     discount_rate=0.0,
    ...     new_customers=100,
    ...     acquisition_cost=4.0,
    ... )
    >>> round(econ.customers_after), round(econ.profit_after)
    (250, 2100)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "retention_before": "share",
        "retention_after": "share",
        "clv_before": "money",
        "clv_after": "money",
        "clv_change": "money",
        "customers_before": "number",
        "customers_after": "number",
        "profit_before": "money",
        "profit_after": "money",
        "profit_change": "money",
        "programme_cost": "money",
        "acquisition_cost_to_match": "money",
        "break_even_retention_cost": "money",
    }

    retention_before: float
    retention_after: float
    clv_before: float
    clv_after: float
    clv_change: float
    customers_before: float
    customers_after: float
    profit_before: float
    profit_after: float
    profit_change: float
    programme_cost: float
    acquisition_cost_to_match: float
    break_even_retention_cost: float


def _scalar(value: object, name: str, function: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise InputError.for_parameter(name, "a number", value, function=function)
    out = float(value)
    if not np.isfinite(out):
        raise InputError.for_parameter(name, "a finite number", value, function=function)
    return out


def retention_economics(
    *,
    margin: float,
    retention: float,
    uplift: float,
    discount_rate: float,
    new_customers: float,
    acquisition_cost: float,
    retention_cost: float = 0.0,
) -> RetentionEconomics:
    r"""Test "a few points more retention raises profit a lot" on your own numbers.

    Parameters
    ----------
    margin : float
        Margin per customer per period (money).
    retention : float
        Current retention rate per period, in [0, 1).
    uplift : float
        Retention points gained, as a fraction (0.05 = five points); the new
        rate ``retention + uplift`` must stay in [0, 1).
    discount_rate : float
        Discount rate per period, > -1, for the CLVs.
    new_customers : float
        Customers acquired per period (> 0), the same before and after.
    acquisition_cost : float
        Cost of acquiring one customer (>= 0).
    retention_cost : float
        Cost per customer per period of the programme delivering the uplift
        (>= 0).

    Returns
    -------
    RetentionEconomics
        CLV and steady-state profit before and after, and the acquisition
        versus retention cost comparison.

    Raises
    ------
    InputError
        For rates out of range or negative costs and counts.

    Notes
    -----
    With :math:`N` new customers a period and retention :math:`r`, the base
    settles at :math:`S = N / (1 - r)` and the period profit is
    :math:`P = m S - N c_a - S' c_r` (programme cost after the uplift only).
    Reaching the larger base :math:`S'` by acquisition instead needs
    :math:`(S' - S)(1 - r)` extra customers a period, costing
    :math:`(S' - S)(1 - r) c_a`. CLVs are infinite-horizon,
    :math:`m r / (1 + d - r)`. Reichheld & Sasser's "5 points of retention,
    25-85% more profit" is one input set of this calculation.

    References
    ----------
    Reichheld, F. F., & Sasser, W. E. (1990). Zero defections: quality comes to
    services. *Harvard Business Review*, 68(5), 105-111.

    Examples
    --------
    A retailer keeps 75% of customers a year, wins 1,000 new ones at 120 each,
    and earns 100 per customer a year:

    >>> econ = retention_economics(
    ...     margin=100.0,
    ...     retention=0.75,
    ...     uplift=0.05,
    ...     discount_rate=0.1,
    ...     new_customers=1_000,
    ...     acquisition_cost=120.0,
    ... )
    >>> round(econ.clv_change, 3), round(econ.profit_change, 3)
    (0.244, 0.357)
    """
    fn = "retention_economics"
    m = _scalar(margin, "margin", fn)
    r = _scalar(retention, "retention", fn)
    up = _scalar(uplift, "uplift", fn)
    d = _scalar(discount_rate, "discount_rate", fn)
    n_new = _scalar(new_customers, "new_customers", fn)
    cac = _scalar(acquisition_cost, "acquisition_cost", fn)
    cr = _scalar(retention_cost, "retention_cost", fn)
    if not 0 <= r < 1:
        raise InputError.for_parameter("retention", "in [0, 1)", retention, function=fn)
    if not 0 <= r + up < 1:
        raise InputError.for_parameter(
            "uplift",
            f"such that retention + uplift is in [0, 1) (retention={r:g})",
            uplift,
            function=fn,
        )
    if d <= -1:
        raise InputError.for_parameter("discount_rate", "> -1", discount_rate, function=fn)
    if n_new <= 0:
        raise InputError.for_parameter("new_customers", "> 0", new_customers, function=fn)
    for name, value in (("acquisition_cost", cac), ("retention_cost", cr)):
        if value < 0:
            raise InputError.for_parameter(name, ">= 0", value, function=fn)
    r2 = r + up
    clv1 = m * r / (1 + d - r)
    clv2 = m * r2 / (1 + d - r2)
    s1 = n_new / (1 - r)
    s2 = n_new / (1 - r2)
    programme = cr * s2
    p1 = m * s1 - n_new * cac
    p2 = m * s2 - n_new * cac - programme
    match = (s2 - s1) * (1 - r) * cac
    return RetentionEconomics(
        retention_before=r,
        retention_after=r2,
        clv_before=clv1,
        clv_after=clv2,
        clv_change=clv2 / clv1 - 1 if clv1 != 0 else float("nan"),
        customers_before=s1,
        customers_after=s2,
        profit_before=p1,
        profit_after=p2,
        profit_change=(p2 - p1) / abs(p1) if p1 != 0 else float("nan"),
        programme_cost=programme,
        acquisition_cost_to_match=match,
        break_even_retention_cost=m * (s2 - s1) / s2,
    )
