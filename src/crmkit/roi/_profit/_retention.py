"""Retention-based lifetime value and retention economics, simple and transparent."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_readonly
from crmkit._params import integer, number, probability
from crmkit._results import Kind, Result
from crmkit._values import bad_rows_error
from crmkit.errors import InputError

__all__ = [
    "RetentionCLV",
    "RetentionEconomics",
    "retention_clv",
    "retention_economics",
]

FloatArray = npt.NDArray[np.float64]
Horizon = int | Literal["infinite"]


_MAX_HORIZON: Final = 2**53
"""Longest finite horizon, in periods (counted exactly in float64); beyond it use 'infinite'."""
_BEYOND: Final = "passes float64's range (about 1.8e308)"


@attrs.frozen
class _Rule:
    """The range of one rate or money input: bounds and whether each is open."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def text(self) -> str:
        if self.low is not None and self.high is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            return f"in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"finite and {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"finite and {'<' if self.high_open else '<='} {self.high:g}"
        return "finite"


_FINITE: Final = _Rule()
_RETENTION: Final = _Rule(low=0.0, high=1.0, high_open=True)
_DISCOUNT: Final = _Rule(low=-1.0, low_open=True)


def _values(value: object, name: str, rule: _Rule, function: str) -> FloatArray:
    """Read a scalar parameter (checked by ``_params.number``) or a column of values."""
    zero_d = isinstance(value, np.ndarray) and value.ndim == 0
    if zero_d or isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        one = number(
            value.item() if isinstance(value, np.ndarray) else value,
            name=name,
            function=function,
            low=rule.low,
            high=rule.high,
            low_open=rule.low_open,
            high_open=rule.high_open,
        )
        return np.array([one], dtype=np.float64)
    arr = as_finite_float(value, field=name, function=function)
    bad = np.zeros(arr.shape, dtype=bool)
    if rule.low is not None:
        bad |= arr <= rule.low if rule.low_open else arr < rule.low
    if rule.high is not None:
        bad |= arr >= rule.high if rule.high_open else arr > rule.high
    if bad.any():
        raise bad_rows_error(
            bad, arr, field=name, requirement=f"must be {rule.text()}", function=function
        )
    return arr


def _common_length(arrays: dict[str, FloatArray], function: str) -> int:
    """Return the length every array of more than one value shares (scalars broadcast)."""
    lengths = {name: arr.shape[0] for name, arr in arrays.items()}
    longer = [n for n in lengths.values() if n != 1]
    if not longer:
        return 1
    usual = max(longer, key=longer.count)
    odd = next((name for name, n in lengths.items() if n not in (1, usual)), None)
    if odd is not None:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise InputError(
            f"margin, retention, discount_rate and acquisition_cost of {function} must be "
            f"scalars or arrays of one common length; got lengths {shown}.",
            field=odd,
            hint="Pass one value per customer in each array, or a single number.",
        )
    return int(usual)


def _horizon(horizon: object, function: str) -> int | None:
    if isinstance(horizon, str):
        if horizon != "infinite":
            raise InputError.for_parameter(
                "horizon",
                "an int >= 1 (periods) or 'infinite'",
                horizon,
                function=function,
                hint="Pass horizon='infinite' for the whole lifetime, or a number of periods.",
            )
        return None
    return integer(
        horizon,
        name="horizon",
        function=function,
        minimum=1,
        maximum=_MAX_HORIZON,
        hint="Pass a number of periods, or horizon='infinite' for the whole lifetime.",
    )


def _multiple(q: FloatArray, periods: int | None, r: FloatArray, d: FloatArray) -> FloatArray:
    """Sum over t = 1..H of q**t; the infinite sum ``r / (1 + d - r)`` when *periods* is None.

    The finite sum is ``q (q**H - 1) / (q - 1)``, computed as
    ``q * expm1(H * log1p(q - 1)) / (q - 1)`` so that it stays accurate when
    ``q`` is close to 1 (and is exactly ``H`` at ``q == 1``).
    """
    if periods is None:
        out: FloatArray = r / (1.0 + d - r)
        return out
    x = q - 1.0
    flat = x == 0.0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # r = 0 and q > 1 edges
        growth = np.expm1(periods * np.log1p(x))
        geometric = q * growth / np.where(flat, 1.0, x)
    return np.where(flat, float(periods), np.where(q == 0.0, 0.0, geometric))


def _refuse_beyond(values: FloatArray, field: str, what: str, function: str, hint: str) -> None:
    beyond = ~np.isfinite(values)
    if beyond.any():
        positions = np.flatnonzero(beyond)
        raise InputError(
            f"The {what} of {function} {_BEYOND} at positions {positions[:5].tolist()}.",
            field=field,
            positions=positions[:5].tolist(),
            n_bad=int(positions.size),
            hint=hint,
        )


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
        Number of future periods valued, in [1, 2**53], or ``"infinite"``. No
        default: it changes the value.
    acquisition_cost : float or array_like of float, shape (n,)
        Cost of acquiring the customer, subtracted for ``net_value``.

    Each of *margin*, *retention*, *discount_rate* and *acquisition_cost* is
    one number (a parameter, checked as such) or one value per customer (a
    column); numbers broadcast against the columns, which share one length.
    Element-wise: no customers give an empty result.

    Returns
    -------
    RetentionCLV
        Value, margin multiple, expected periods and net value, broadcast
        over the inputs.

    Raises
    ------
    InputError
        For retention outside [0, 1), a discount rate <= -1, non-finite or
        non-numeric values, columns of different lengths or a bad horizon;
        for an infinite horizon also when retention >= 1 + discount rate (the
        sum diverges). A margin multiple, value or net value beyond float64's
        range (about 1.8e308) is refused naming ``horizon`` (a finite horizon
        over which ``retention / (1 + discount_rate) > 1`` compounds),
        ``margin`` or ``acquisition_cost``.

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
    The finite sum is evaluated as :math:`q\,\mathrm{expm1}(H \log(1 + (q - 1))) / (q - 1)`,
    accurate when :math:`q` is close to 1 and exactly :math:`H` at :math:`q = 1`.

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
    periods = _horizon(horizon, fn)
    inputs = {
        "margin": _values(margin, "margin", _FINITE, fn),
        "retention": _values(retention, "retention", _RETENTION, fn),
        "discount_rate": _values(discount_rate, "discount_rate", _DISCOUNT, fn),
        "acquisition_cost": _values(acquisition_cost, "acquisition_cost", _FINITE, fn),
    }
    n = _common_length(inputs, fn)
    m, r, d, cac = (np.broadcast_to(arr, (n,)) for arr in inputs.values())
    if periods is None:
        diverges = r >= 1.0 + d
        if diverges.any():
            raise bad_rows_error(
                diverges,
                r,
                field="retention",
                requirement="must be below 1 + discount_rate for an infinite horizon (else the "
                "value diverges)",
                function=fn,
                hint="Use a finite horizon, or a discount rate above retention - 1.",
            )
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        multiple = _multiple(r / (1.0 + d), periods, r, d)
        survival = _multiple(r, periods, r, np.zeros_like(r))
        clv = m * multiple
        net = clv - cac
    growth = "retention / (1 + discount_rate) > 1 makes the value grow every period"
    _refuse_beyond(multiple, "horizon", "margin multiple", fn, f"Shorten the horizon: {growth}.")
    _refuse_beyond(clv, "margin", "lifetime value", fn, "Rescale the margin (e.g. to thousands).")
    _refuse_beyond(
        net, "acquisition_cost", "net value", fn, "Rescale the money (e.g. to thousands)."
    )
    return RetentionCLV(
        margin=as_readonly(np.array(m)),
        retention=as_readonly(np.array(r)),
        discount_rate=as_readonly(np.array(d)),
        clv=as_readonly(clv),
        margin_multiple=as_readonly(multiple),
        expected_periods=as_readonly(survival),
        acquisition_cost=as_readonly(np.array(cac)),
        net_value=as_readonly(net),
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
        Relative change of CLV, ``clv_after / clv_before - 1``; NaN exactly
        when ``clv_before`` is 0 (no margin or no retention) or so close to 0
        that the ratio is beyond float64's range (undefined).
    customers_before, customers_after : float
        Steady-state customer base ``new_customers / (1 - r)``.
    profit_before, profit_after : float
        Steady-state profit per period: margin on the base minus acquisition
        spend, minus the retention programme's cost (after only).
    profit_change : float
        Relative change of period profit, ``(profit_after - profit_before) /
        |profit_before|``; NaN exactly when ``profit_before`` is 0 or so close
        to 0 that the ratio is beyond float64's range (undefined).
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
        For a parameter that is not a finite number (bools and text are not
        numbers), rates out of range, negative costs, a count of new
        customers <= 0, a discount rate at which the infinite-horizon CLV
        after the uplift diverges (``retention + uplift >= 1 + discount_rate``),
        or a figure beyond float64's range (naming the input that scales it).

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
    m = number(margin, name="margin", function=fn)
    r = probability(retention, name="retention", function=fn, high_open=True)
    up = number(uplift, name="uplift", function=fn)
    d = number(discount_rate, name="discount_rate", function=fn, low=-1.0, low_open=True)
    n_new = number(new_customers, name="new_customers", function=fn, low=0.0, low_open=True)
    cac = number(acquisition_cost, name="acquisition_cost", function=fn, low=0.0)
    cr = number(retention_cost, name="retention_cost", function=fn, low=0.0)
    r2 = r + up
    if not 0 <= r2 < 1:
        raise InputError.for_parameter(
            "uplift",
            f"such that retention + uplift is in [0, 1) (retention={r:g})",
            uplift,
            function=fn,
        )
    if r2 >= 1 + d:
        raise InputError.for_parameter(
            "discount_rate",
            f"above retention + uplift - 1 ({r2 - 1:g}), so that the infinite-horizon CLV "
            "converges",
            discount_rate,
            function=fn,
        )
    with np.errstate(over="ignore", invalid="ignore"):  # every figure is checked below
        clv1 = m * r / (1 + d - r)
        clv2 = m * r2 / (1 + d - r2)
        s1 = n_new / (1 - r)
        s2 = n_new / (1 - r2)
        programme = cr * s2
        p1 = m * s1 - n_new * cac
        p2 = m * s2 - n_new * cac - programme
        match = (s2 - s1) * (1 - r) * cac
        figures = {
            "retention_before": r,
            "retention_after": r2,
            "clv_before": clv1,
            "clv_after": clv2,
            "clv_change": _defined(clv2 / clv1 - 1 if clv1 != 0 else math.nan),
            "customers_before": s1,
            "customers_after": s2,
            "profit_before": p1,
            "profit_after": p2,
            "profit_change": _defined((p2 - p1) / abs(p1) if p1 != 0 else math.nan),
            "programme_cost": programme,
            "acquisition_cost_to_match": match,
            "break_even_retention_cost": m * (s2 - s1) / s2,
        }
    for name, value in figures.items():
        undefined = name in _UNDEFINED and value != value  # noqa: PLR0124  (NaN)
        if not undefined and not math.isfinite(value):
            raise InputError(
                f"The {name} of {fn} {_BEYOND}; the inputs are too large to combine.",
                field=_BLAME[name],
                hint="Rescale the money (e.g. to thousands) or the customer counts.",
            )
    return RetentionEconomics(**{name: float(v) for name, v in figures.items()})


def _defined(ratio: float) -> float:
    """Return a relative change, or NaN where it is undefined (beyond float64's range)."""
    return ratio if math.isfinite(ratio) else math.nan


_UNDEFINED: Final = frozenset({"clv_change", "profit_change"})
"""Figures that are NaN, as documented, when what they compare against is 0."""

_BLAME: Final = {
    "retention_before": "retention",
    "retention_after": "uplift",
    "clv_before": "margin",
    "clv_after": "margin",
    "clv_change": "margin",
    "customers_before": "new_customers",
    "customers_after": "new_customers",
    "profit_before": "margin",
    "profit_after": "margin",
    "profit_change": "margin",
    "programme_cost": "retention_cost",
    "acquisition_cost_to_match": "acquisition_cost",
    "break_even_retention_cost": "margin",
}
"""The input named when a figure passes float64's range."""
