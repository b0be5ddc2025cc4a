"""What a contractual churn model predicts: retention curves, DERL and retention elasticity."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_readonly
from crmkit._params import integer, number, work_limit
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.roi._models._btyd_data import require_models_extra
from crmkit.roi._models._contractual import (
    BetaDiscreteWeibullFit,
    ChurnModel,
    ShiftedBetaGeometricFit,
    log_survival,
)

__all__ = ["MAX_DERL_WORK", "RetentionCurve", "derl", "retention_curve", "retention_elasticity"]

FloatArray = npt.NDArray[np.float64]
MAX_DERL_WORK: Final = 10**8
"""Periods x customers one DERL call may sum."""
_TAIL: Final = 1e-13  # the discounted tail left out of the DERL series
_UPLIFT: Final = 0.01  # the 1% of the retention elasticity


def _check(fit: object, function: str) -> ChurnModel:
    if not isinstance(fit, (ShiftedBetaGeometricFit, BetaDiscreteWeibullFit)):
        raise InputError.for_parameter(
            "fit",
            "a ShiftedBetaGeometricFit or BetaDiscreteWeibullFit",
            type(fit).__name__,
            function=function,
        )
    return fit


def _log_s(model: ChurnModel, t: FloatArray) -> FloatArray:
    return log_survival(model.alpha, model.beta, model.c, t)[0]


@attrs.frozen(kw_only=True, repr=False)
class RetentionCurve(Result):
    """A cohort's projected survival, retention rate and churn by period.

    Attributes
    ----------
    period : ndarray of int64, shape (k + 1,)
        Periods 0 (acquisition) to k.
    survival : ndarray of float64, shape (k + 1,)
        :math:`S(t)`: the share of the cohort still active at the end of period t (1 at 0).
    retention_rate : ndarray of float64, shape (k + 1,)
        :math:`r_t = S(t)/S(t-1)`: the share of period t-1's survivors who
        renew (NaN at period 0).
    churn_probability : ndarray of float64, shape (k + 1,)
        :math:`P(T = t) = S(t-1) - S(t)`: the share of the cohort lost in
        period t (0 at period 0).

    Examples
    --------
    >>> from crmkit.roi import shifted_beta_geometric_from_params
    >>> curve = retention_curve(
    ...     shifted_beta_geometric_from_params(alpha=0.704, beta=1.182), periods=3
    ... )
    >>> curve.retention_rate.round(3).tolist()
    [nan, 0.627, 0.756, 0.819]
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "survival": "probability",
        "retention_rate": "share",
        "churn_probability": "probability",
    }

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "survival",
        "retention_rate",
        "churn_probability",
    )

    period: npt.NDArray[np.int64]
    survival: FloatArray
    retention_rate: FloatArray
    churn_probability: FloatArray


def retention_curve(fit: ChurnModel, *, periods: int) -> RetentionCurve:
    r"""Project a cohort's survival and retention rates over the next *periods*.

    Parameters
    ----------
    fit : ShiftedBetaGeometricFit or BetaDiscreteWeibullFit
        A churn model.
    periods : int
        Last period projected, >= 1 (at most 10^7).

    Returns
    -------
    RetentionCurve
        Survival, retention rate and churn probability for periods 0..periods.

    Raises
    ------
    InputError
        For a *fit* of the wrong type or a bad *periods*.

    Notes
    -----
    :math:`S(t) = B(\alpha, \beta+t^c)/B(\alpha, \beta)` (c = 1 for the sBG), so
    for the sBG :math:`r_t = (\beta+t-1)/(\alpha+\beta+t-1)` (Fader & Hardie
    2007, eq. 7), rising towards 1 as the cohort sorts itself.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90.

    Examples
    --------
    Fader & Hardie's regular customers, projected to year 12 from years 0-7
    (173 of the 1,000 were actually still there):

    >>> from crmkit.roi import fit_shifted_beta_geometric
    >>> fit = fit_shifted_beta_geometric([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(1000 * float(retention_curve(fit, periods=12).survival[-1]))
    170
    """
    fn = "retention_curve"
    require_models_extra(fn)
    model = _check(fit, fn)
    k = integer(periods, name="periods", function=fn, minimum=1, maximum=10**7)
    t = np.arange(k + 1, dtype=np.float64)
    survival = np.exp(_log_s(model, t))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.r_[np.nan, survival[1:] / survival[:-1]]
    churn = np.r_[0.0, survival[:-1] - survival[1:]]
    return RetentionCurve(
        period=as_readonly(t.astype(np.int64)),
        survival=as_readonly(survival),
        retention_rate=as_readonly(rate),
        churn_probability=as_readonly(np.maximum(churn, 0.0)),
    )


def _renewals(values: npt.ArrayLike, function: str) -> FloatArray:
    m = as_finite_float(
        np.atleast_1d(np.asarray(values)), field="renewals", function=function, minimum=0.0
    )
    if np.any(m != np.floor(m)):
        raise InputError.for_parameter("renewals", "whole numbers >= 0", values, function=function)
    return m


def _series(
    model: ChurnModel, renewals: FloatArray, d: float, *, uplift: float, function: str
) -> FloatArray:
    """Sum S(t | T > n - 1) (1 + d)^-(t - n) over t >= n = renewals + 1 (retention x 1 + uplift)."""
    length = math.ceil(-math.log(_TAIL * d / (1.0 + d)) / math.log1p(d)) + 1
    work_limit(
        length * renewals.size,
        limit=MAX_DERL_WORK,
        name="discount_rate",
        function=function,
        what="periods x customers to sum (a discount rate near 0 needs long sums)",
    )
    n = renewals + 1.0
    out = np.empty(renewals.size)
    step = max(1, MAX_DERL_WORK // (100 * length))
    for start in range(0, renewals.size, step):
        block = n[start : start + step, None]
        t = block + np.arange(length, dtype=np.float64)[None, :]
        log_s = _log_s(model, t)
        log_prev = np.concatenate([_log_s(model, block - 1.0), log_s[:, :-1]], axis=1)
        log_rate = np.minimum(log_s - log_prev, 0.0)
        if uplift:
            log_rate = np.minimum(log_rate + math.log1p(uplift), 0.0)
        discount = -np.arange(length, dtype=np.float64) * math.log1p(d)
        out[start : start + step] = np.exp(np.cumsum(log_rate, axis=1) + discount).sum(axis=1)
    return out


def derl(fit: ChurnModel, *, discount_rate: float, renewals: npt.ArrayLike) -> FloatArray:
    r"""Discounted expected residual lifetime of a subscriber who has renewed *renewals* times.

    Multiplied by the margin per period it is the customer's residual value,
    the quantity to weigh against the cost of keeping them.

    Parameters
    ----------
    fit : ShiftedBetaGeometricFit or BetaDiscreteWeibullFit
        A churn model.
    discount_rate : float
        Discount rate per period, > 0.
    renewals : int or array_like of int, shape (n,)
        Renewals made so far (0: a customer in their first period).

    Returns
    -------
    ndarray of float64, shape (n,)
        DERL per customer, in periods.

    Raises
    ------
    InputError
        For a discount rate <= 0, renewals that are not whole numbers >= 0,
        or a sum longer than 10^8 periods x customers.

    Notes
    -----
    For a customer who has made :math:`n-1` renewals (Fader & Hardie 2010, eq. 5),

    .. math::

        \mathrm{DERL}(d \mid n-1) = \sum_{t=n}^{\infty}
        \frac{S(t)}{S(n-1)}\Big(\frac{1}{1+d}\Big)^{t-n},

    which for the sBG is
    :math:`\frac{\beta+n-1}{\alpha+\beta+n-1}{}_2F_1(1, \beta+n; \alpha+\beta+n; \frac{1}{1+d})`
    (eq. 6; tested). The sum is evaluated for both models until the
    discounted tail is below 1e-13.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: The perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93.

    Examples
    --------
    A subscriber in their first year is worth fewer future years than one who
    has renewed four times (heterogeneity: the stayers are the loyal ones):

    >>> from crmkit.roi import shifted_beta_geometric_from_params
    >>> model = shifted_beta_geometric_from_params(alpha=0.704, beta=1.182)
    >>> derl(model, discount_rate=0.1, renewals=[0, 4]).round(2)
    array([2.96, 5.89])
    """
    fn = "derl"
    require_models_extra(fn)
    model = _check(fit, fn)
    d = number(discount_rate, name="discount_rate", function=fn, low=0.0, low_open=True)
    m = _renewals(renewals, fn)
    out = _series(model, m, d, uplift=0.0, function=fn)
    return as_readonly(out.reshape(np.shape(renewals)))


def retention_elasticity(
    fit: ChurnModel, *, discount_rate: float, renewals: npt.ArrayLike
) -> FloatArray:
    r"""Retention elasticity of residual value: the % rise of DERL for 1% more retention.

    Parameters
    ----------
    fit : ShiftedBetaGeometricFit or BetaDiscreteWeibullFit
        A churn model.
    discount_rate : float
        Discount rate per period, > 0.
    renewals : int or array_like of int, shape (n,)
        Renewals made so far.

    Returns
    -------
    ndarray of float64, shape (n,)
        :math:`\eta = 100\,(\mathrm{DERL}'/\mathrm{DERL} - 1)` with every future
        retention rate raised by 1% (capped at 1).

    Raises
    ------
    InputError
        As :func:`derl`.

    Notes
    -----
    :math:`\mathrm{DERL}' = \sum_{t\ge n}\prod_{k=n}^{t}\min(1.01\,r_k, 1)(1+d)^{-(t-n)}`,
    the definition of Fader & Hardie (2010, section 4) applied period by
    period. Under heterogeneity the elasticity differs by tenure, which an
    aggregate retention rate hides.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: The perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93.

    Gupta, S., Lehmann, D. R., & Stuart, J. A. (2004). Valuing customers.
    *Journal of Marketing Research*, 41(1), 7-18.

    Examples
    --------
    >>> from crmkit.roi import shifted_beta_geometric_from_params
    >>> model = shifted_beta_geometric_from_params(alpha=0.704, beta=1.182)
    >>> retention_elasticity(model, discount_rate=0.1, renewals=[0, 4]).round(2)
    array([6.93, 8.38])
    """
    fn = "retention_elasticity"
    require_models_extra(fn)
    model = _check(fit, fn)
    d = number(discount_rate, name="discount_rate", function=fn, low=0.0, low_open=True)
    m = _renewals(renewals, fn)
    base = _series(model, m, d, uplift=0.0, function=fn)
    raised = _series(model, m, d, uplift=_UPLIFT, function=fn)
    return as_readonly(((raised / base - 1.0) / _UPLIFT).reshape(np.shape(renewals)))
