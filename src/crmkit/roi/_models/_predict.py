r"""The predictive set of every customer-base model, behind one set of functions.

BG/NBD, MBG/NBD, Pareto/NBD (continuous time; ``t`` in the data's time unit)
and BG/BB (discrete time; ``t`` counts transaction opportunities) all answer:
P(alive) now and t ahead, expected purchases in a future window, the
distribution of purchases of a new customer, the expected purchases of a new
customer, discounted expected residual transactions (DERT) and the tracking
curve of the whole base. Models without covariates are evaluated once per
distinct (x, t_x, T) row; covariate models once per customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Protocol

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_readonly
from crmkit._params import integer, number, work_limit
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.roi._models._bgbb import BGBBFit, BGBBKernel, read_discrete
from crmkit.roi._models._bgnbd import BGNBDFit
from crmkit.roi._models._btyd_data import BTYDData, distinct_rows, read_rfm, require_models_extra
from crmkit.roi._models._covariates import design_for
from crmkit.roi._models._mbgnbd import MBGNBDFit
from crmkit.roi._models._pareto import ParetoNBDFit
from crmkit.roi._models._purchase import kernel, kernel_from_vector

__all__ = [
    "MAX_FREQUENCY_ROWS",
    "MAX_HORIZON",
    "AnyPurchaseModel",
    "PurchaseCountPMF",
    "TrackingCurve",
    "check_model",
    "dert",
    "expected_purchases",
    "expected_purchases_new_customer",
    "prepare",
    "probability_alive",
    "probability_alive_ahead",
    "purchase_count_pmf",
    "tracking_curve",
]

FloatArray = npt.NDArray[np.float64]
AnyPurchaseModel = BGNBDFit | MBGNBDFit | ParetoNBDFit | BGBBFit
_MODELS: Final = (BGNBDFit, MBGNBDFit, ParetoNBDFit, BGBBFit)
_MODEL_NAMES: Final = "a BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit"
MAX_PMF_WORK: Final = 10**8  # counts x customer rows in one pmf
MAX_FREQUENCY_ROWS: Final = 10_000  # the last frequency group of a histogram or holdout table
MAX_HORIZON: Final = 1e7
"""The longest future window a prediction takes, in the data's time unit (ten million days
is 27,000 years): beyond it no figure means anything, and the closed forms lose accuracy."""


class PredictiveKernel(Protocol):
    """What every model's kernel answers (internal)."""

    def alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray: ...
    def alive_ahead(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: Any) -> FloatArray: ...  # noqa: ANN401
    def expected(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: Any) -> FloatArray: ...  # noqa: ANN401
    def dert(self, x: FloatArray, t_x: FloatArray, T: FloatArray, delta: float) -> FloatArray: ...
    def unconditional(self, t: FloatArray) -> FloatArray: ...
    def pmf(self, t: float, n: npt.NDArray[np.int64]) -> FloatArray: ...
    def factor(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray: ...
    def part(self, x: FloatArray, T: FloatArray, t: Any) -> FloatArray: ...  # noqa: ANN401


def check_model(fit: object, function: str, field: str = "fit") -> AnyPurchaseModel:
    """Return *fit* if it is a purchase model, else raise the parameter error."""
    if not isinstance(fit, _MODELS):
        raise InputError.for_parameter(field, _MODEL_NAMES, type(fit).__name__, function=function)
    return fit


def discrete(model: object) -> bool:
    """Whether *model* counts time in transaction opportunities (BG/BB)."""
    return isinstance(model, BGBBFit)


def kernel_at(
    model: AnyPurchaseModel, theta: FloatArray | None, designs: dict[str, FloatArray] | None
) -> PredictiveKernel:
    """Return the kernel of *model*, at its own parameters or at *theta* (natural scale)."""
    if isinstance(model, BGBBFit):
        a, b, g, d = (float(v) for v in (theta if theta is not None else model.params.values()))
        return BGBBKernel(alpha=a, beta=b, gamma=g, delta=d)
    if theta is None:
        return kernel(model, designs)
    return kernel_from_vector(model, theta, designs)


@attrs.frozen(kw_only=True)
class Prepared:
    """Validated rows to evaluate, the model's kernel on them and how to spread them back."""

    model: AnyPurchaseModel
    data: BTYDData  # the customers, as given
    rows: BTYDData  # the rows evaluated: distinct rows, or every customer for covariate models
    where: npt.NDArray[np.int64] | None  # the row of each customer (None: one row per customer)
    designs: dict[str, FloatArray] | None
    kernel: PredictiveKernel

    def spread(self, values: FloatArray) -> FloatArray:
        """Per-row values back to one per customer (along the last axis)."""
        out = values if self.where is None else values[..., self.where]
        return as_readonly(np.asarray(out, dtype=np.float64))

    def weights(self) -> FloatArray:
        """Return the customers per evaluated row."""
        if self.where is None:
            return np.ones(self.rows.n)
        return bincount(self.where, minlength=self.rows.n).astype(np.float64)


def read_model_data(
    model: AnyPurchaseModel,
    data: object,
    *,
    frequency: npt.ArrayLike | None,
    recency: npt.ArrayLike | None,
    T: npt.ArrayLike | None,
    function: str,
    monetary_value: npt.ArrayLike | None = None,
    need_spend: bool = False,
) -> BTYDData:
    """Read the columns a model needs (whole-number periods for BG/BB)."""
    if discrete(model):
        rfm = read_discrete(data, frequency=frequency, recency=recency, T=T, function=function)
        if not need_spend:
            return rfm
    return read_rfm(
        data,
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary_value,
        need_spend=need_spend,
        function=function,
    )


def prepare(
    fit: object,
    data: object,
    *,
    frequency: npt.ArrayLike | None,
    recency: npt.ArrayLike | None,
    T: npt.ArrayLike | None,
    covariates: object | None,
    function: str,
    field: str = "fit",
    rfm: BTYDData | None = None,
) -> Prepared:
    """Check the model, read the data (unless given) and build the kernel on its rows."""
    model = check_model(fit, function, field)
    if rfm is None:
        rfm = read_model_data(
            model, data, frequency=frequency, recency=recency, T=T, function=function
        )
    designs = design_for(
        covariates, rfm.customer, getattr(model, "covariates", None), function=function
    )
    if designs is None:
        rows, where = distinct_rows(rfm)
        return Prepared(
            model=model,
            data=rfm,
            rows=rows,
            where=where,
            designs=None,
            kernel=kernel_at(model, None, None),
        )
    return Prepared(
        model=model,
        data=rfm,
        rows=rfm,
        where=None,
        designs=designs,
        kernel=kernel_at(model, None, designs),
    )


def horizon(value: object, model: AnyPurchaseModel, *, name: str, function: str) -> float:
    """Return a future window length: in [0, MAX_HORIZON], and whole for a discrete-time model."""
    t = number(value, name=name, function=function, low=0.0, high=MAX_HORIZON)
    if discrete(model) and t != int(t):
        raise InputError.for_parameter(
            name, "a whole number of transaction opportunities for BG/BB", value, function=function
        )
    return t


def probability_alive(
    fit: AnyPurchaseModel,
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> FloatArray:
    r"""Probability that each customer is still active at the end of observation.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A fitted (or given) purchase model.
    data : RFMData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency`` and ``T`` (same unit as the fit;
        for BG/BB whole numbers of opportunities).
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a model fitted with covariates (joined on
        the data's ``customer`` ids).

    Returns
    -------
    ndarray of float64, shape (n,)
        :math:`P(\text{alive} \mid x, t_x, T)`, in [0, 1] and finite for every
        valid customer (it is computed from its log-odds).

    Raises
    ------
    InputError
        For a *fit* of the wrong type, inconsistent columns, or covariates
        missing (or given) for the model.

    Notes
    -----
    BG/NBD (Fader, Hardie & Lee 2005, eq. 11):
    :math:`[1 + \delta_{x>0}\frac{a}{b+x-1}(\frac{\alpha+T}{\alpha+t_x})^{r+x}]^{-1}`
    (a customer without repeat purchases cannot have dropped out); MBG/NBD
    the same with :math:`b+x` and no :math:`\delta_{x>0}`; Pareto/NBD
    :math:`[1 + \frac{s}{r+s+x}(\alpha+T)^{r+x}(\beta+T)^s A_0]^{-1}`; BG/BB the
    share of the likelihood of being alive at opportunity n (Fader, Hardie &
    Shang 2010).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    With the CDNOW estimates, a customer who bought 4 times but not for 20
    weeks is less likely alive than one who just bought:

    >>> from crmkit.roi import bgnbd_from_params
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> probability_alive(fit, frequency=[4, 4], recency=[10.0, 30.0], T=[30.0, 30.0]).round(3)
    array([0.146, 0.872])
    """
    fn = "probability_alive"
    require_models_extra(fn)
    p = prepare(
        fit, data, frequency=frequency, recency=recency, T=T, covariates=covariates, function=fn
    )
    return p.spread(p.kernel.alive(p.rows.frequency, p.rows.recency, p.rows.T))


def probability_alive_ahead(
    fit: AnyPurchaseModel,
    data: object | None = None,
    *,
    t: float,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> FloatArray:
    r"""Probability that each customer is still active *t* time units after the end of observation.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A purchase model.
    data : RFMData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency`` and ``T``.
    t : float
        How far ahead, >= 0 (at most 10^7), in the data's time unit (whole
        opportunities for BG/BB).
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a covariate model.

    Returns
    -------
    ndarray of float64, shape (n,)
        :math:`P(\text{alive at } T+t \mid x, t_x, T)`; equal to
        :func:`probability_alive` at t = 0 and non-increasing in t.

    Raises
    ------
    InputError
        For a negative *t* (or a fractional one for BG/BB), or bad columns.

    Notes
    -----
    Given alive at T, the posterior of the purchase rate is
    :math:`\text{Gamma}(r+x, \alpha+T)`. Pareto/NBD: the dropout rate's is
    :math:`\text{Gamma}(s, \beta+T)`, so the factor is
    :math:`(\frac{\beta+T}{\beta+T+t})^s`. BG/NBD: the dropout probability's
    is :math:`\text{Beta}(a, b+x)` (MBG/NBD :math:`b+x+1`) and dropping out
    needs a purchase, so the factor is
    :math:`E_p[(1+pt/(\alpha+T))^{-(r+x)}] = {}_2F_1(r+x, a; a+b+x; -t/(\alpha+T))`.
    BG/BB: :math:`B(\gamma, \delta+n+t)/B(\gamma, \delta+n)` times the alive share
    (Fader, Hardie & Shang 2010, eq. A10 at t = 1).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis
    in a discrete-time noncontractual setting. *Marketing Science*, 29(6),
    1086-1108.

    Examples
    --------
    A CDNOW customer with two recent repeat purchases, now and a year on:

    >>> from crmkit.roi import bgnbd_from_params
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> [
    ...     round(
    ...         float(
    ...             probability_alive_ahead(fit, frequency=[2], recency=[30.4], T=[38.9], t=t)[0]
    ...         ),
    ...         3,
    ...     )
    ...     for t in (0.0, 52.0)
    ... ]
    [0.726, 0.531]
    """
    fn = "probability_alive_ahead"
    require_models_extra(fn)
    model = check_model(fit, fn)
    ahead = horizon(t, model, name="t", function=fn)
    p = prepare(
        model, data, frequency=frequency, recency=recency, T=T, covariates=covariates, function=fn
    )
    return p.spread(p.kernel.alive_ahead(p.rows.frequency, p.rows.recency, p.rows.T, ahead))


def expected_purchases(
    fit: AnyPurchaseModel,
    data: object | None = None,
    *,
    t: float,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> FloatArray:
    r"""Predict the number of purchases of each customer in the next *t* time units.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A purchase model.
    data : RFMData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency`` and ``T`` (same unit as the fit).
    t : float
        Length of the future window, >= 0 (at most 10^7), in the data's time
        unit (whole opportunities for BG/BB).
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a covariate model.

    Returns
    -------
    ndarray of float64, shape (n,)
        :math:`E[Y(t) \mid x, t_x, T]`: finite and >= 0 for every valid
        customer, non-decreasing in t.

    Raises
    ------
    InputError
        For a negative *t*, a *fit* of the wrong type or inconsistent columns.

    Notes
    -----
    BG/NBD (Fader, Hardie & Lee 2005, eq. 10):

    .. math::

        E[Y(t)\mid x,t_x,T] = \frac{a+b+x-1}{a-1}
        \Big[1 - \Big(\frac{\alpha+T}{\alpha+T+t}\Big)^{r+x}
        {}_2F_1\Big(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\Big)\Big]
        P(\text{alive}),

    evaluated through Euler's transformation,
    :math:`(1-z)^{r+x}{}_2F_1(r+x, b+x; c; z) = (1-z)^{a-1}{}_2F_1(a+b-1-r, a-1; c; z)`,
    whose parameters do not grow with x, and :math:`1-e^L` as ``-expm1(L)``:
    heavy buyers get finite values where the textbook form overflows. MBG/NBD
    shifts b to b + 1; Pareto/NBD (Schmittlein, Morrison & Colombo 1987):

    .. math::

        \frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
        \Big[1 - \Big(\frac{\beta+T}{\beta+T+t}\Big)^{s-1}\Big] P(\text{alive});

    BG/BB: Fader, Hardie & Shang (2010), eq. 13.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    Purchases in the next 39 weeks of a CDNOW customer with 2 repeat
    purchases, the last in week 30.43, observed for 38.86 weeks:

    >>> from crmkit.roi import bgnbd_from_params
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> expected_purchases(fit, t=39.0, frequency=[2], recency=[30.43], T=[38.86]).round(3)
    array([1.226])
    """
    fn = "expected_purchases"
    require_models_extra(fn)
    model = check_model(fit, fn)
    window = horizon(t, model, name="t", function=fn)
    p = prepare(
        model, data, frequency=frequency, recency=recency, T=T, covariates=covariates, function=fn
    )
    return p.spread(p.kernel.expected(p.rows.frequency, p.rows.recency, p.rows.T, window))


def _population(
    model: AnyPurchaseModel, covariates: object | None, function: str
) -> tuple[PredictiveKernel, FloatArray]:
    """Return the kernel of the new customers (one row per covariate row) and their weights."""
    effects = getattr(model, "covariates", None)
    if effects is None:
        designs = design_for(covariates, None, None, function=function)
        return kernel_at(model, None, designs), np.ones(1)
    if covariates is None:
        design_for(None, None, effects, function=function)  # raises the missing-table error
    from crmkit._tables import read_table  # noqa: PLC0415

    ids = read_table(covariates, field="covariates", function=function).get("customer")
    designs = design_for(covariates, ids, effects, function=function)
    assert designs is not None  # noqa: S101
    return kernel_at(model, None, designs), np.full(ids.shape[0] if ids is not None else 1, 1.0)


def expected_purchases_new_customer(
    fit: AnyPurchaseModel, *, t: npt.ArrayLike, covariates: object | None = None
) -> FloatArray:
    r"""Predict the repeat purchases of a new customer in their first *t* time units.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A purchase model.
    t : float or array_like of float
        Times since the first purchase, >= 0 (at most 10^7; whole
        opportunities for BG/BB).
    covariates : DataFrame or mapping of columns, optional
        For a covariate model: the new customers' covariates; the result is
        their mean.

    Returns
    -------
    ndarray of float64, shape of *t*
        :math:`E[X(t)]`, non-decreasing in t.

    Raises
    ------
    InputError
        For a negative time, or covariates missing for a covariate model.

    Notes
    -----
    BG/NBD (FHL 2005, eq. 9), MBG/NBD, Pareto/NBD and BG/BB (FHS 2010, eq. 8):

    .. math::

        \frac{a+b-1}{a-1}\Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
        {}_2F_1\Big(r, b; a+b-1; \frac{t}{\alpha+t}\Big)\Big],\quad
        \frac{b}{a-1}\Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
        {}_2F_1\Big(r, b+1; a+b; \frac{t}{\alpha+t}\Big)\Big],

        \frac{r\beta}{\alpha(s-1)}\Big[1 - \Big(\frac{\beta}{\beta+t}\Big)^{s-1}\Big],\quad
        \frac{\alpha}{\alpha+\beta}\frac{\delta}{\gamma-1}
        \Big[1 - \frac{\Gamma(\gamma+\delta)\Gamma(1+\delta+t)}
        {\Gamma(\gamma+\delta+t)\Gamma(1+\delta)}\Big].

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    A new CDNOW customer's repeat purchases over their first 39 and 78 weeks:

    >>> from crmkit.roi import bgnbd_from_params
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> expected_purchases_new_customer(fit, t=[39.0, 78.0]).round(3)
    array([1.197, 1.861])
    """
    fn = "expected_purchases_new_customer"
    require_models_extra(fn)
    model = check_model(fit, fn)
    times = as_finite_float(
        np.atleast_1d(np.asarray(t)), field="t", function=fn, minimum=0.0, maximum=MAX_HORIZON
    )
    if discrete(model) and np.any(times != np.floor(times)):
        raise InputError.for_parameter(
            "t", "whole numbers of transaction opportunities for BG/BB", t, function=fn
        )
    kern, _ = _population(model, covariates, fn)
    values = kern.unconditional(times[:, None])
    out = values.mean(axis=-1) if values.ndim > 1 else values
    return as_readonly(np.asarray(out, dtype=np.float64).reshape(np.shape(t)))


@attrs.frozen(kw_only=True, repr=False)
class PurchaseCountPMF(Result):
    r"""The distribution of the number of repeat purchases of a new customer over a window.

    Attributes
    ----------
    n : ndarray of int64, shape (k,)
        Purchase counts 0, 1, ..., n_max.
    probability : ndarray of float64, shape (k,)
        :math:`P(X(t) = n)`.
    tail : float
        :math:`P(X(t) > n_{max}) = 1 - \sum` probability (0 for BG/BB when
        n_max reaches t): probability and tail sum to 1.
    t : float
        The window, in the data's time unit.
    mean : float
        :math:`\sum_n n P(X(t) = n)` over the counts shown (close to
        :func:`expected_purchases_new_customer` when the tail is negligible).

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> pmf = purchase_count_pmf(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426), t=39.0, n_max=3
    ... )
    >>> pmf.probability.round(3).tolist(), round(pmf.tail, 3)
    ([0.574, 0.199, 0.085, 0.046], 0.096)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "t": "number",
        "mean": "number",
        "probability": "probability",
        "tail": "probability",
    }

    _table: ClassVar[tuple[str, ...]] = ("n", "probability")

    n: npt.NDArray[np.int64]
    probability: FloatArray
    tail: float
    t: float
    mean: float


def purchase_count_pmf(
    fit: AnyPurchaseModel, *, t: float, n_max: int, covariates: object | None = None
) -> PurchaseCountPMF:
    r"""Give the probability that a new customer makes 0, 1, ..., n_max repeat purchases in *t*.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A purchase model.
    t : float
        The window since the first purchase, > 0 (at most 10^7; whole
        opportunities for BG/BB).
    n_max : int
        Largest count shown, >= 0; the rest is ``tail``.
    covariates : DataFrame or mapping of columns, optional
        For a covariate model: the new customers' covariates (the mixture over them).

    Returns
    -------
    PurchaseCountPMF
        Probabilities for 0..n_max and the tail mass beyond.

    Raises
    ------
    InputError
        For t <= 0, n_max < 0, more than 10^8 counts x covariate rows, or
        covariates missing for a covariate model.

    Notes
    -----
    BG/NBD (FHL 2005, eq. 8), with :math:`NB_n(t)` the negative binomial
    pmf of the purchases of a customer who stays alive:

    .. math::

        P(X(t)=n) = \frac{B(a, b+n)}{B(a, b)} NB_n(t)
        + \delta_{n>0}\frac{B(a+1, b+n-1)}{B(a, b)}
        \Big[1 - \sum_{j<n} NB_j(t)\Big],

    the finite sum taken as a regularised incomplete beta function. MBG/NBD
    shifts b to b + 1 in the first term and keeps the second for n = 0.
    Pareto/NBD mixes :math:`NB_n(\min(\tau, t))` over the Lomax dropout time
    :math:`\tau`, integrated in :math:`w = s\ln(1+\tau/\beta)` (weight
    :math:`e^{-w}`) by Gauss-Legendre (256 nodes) or, when nearly every
    customer has dropped out by t, Gauss-Laguerre quadrature; BG/BB is FHS (2010), eq. 7.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    The share of new CDNOW customers with no repeat purchase in 39 weeks:

    >>> from crmkit.roi import bgnbd_from_params
    >>> pmf = purchase_count_pmf(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426), t=39.0, n_max=20
    ... )
    >>> round(float(pmf.probability[0]), 3), bool(pmf.tail < 0.01)
    (0.574, True)
    """
    fn = "purchase_count_pmf"
    require_models_extra(fn)
    model = check_model(fit, fn)
    window = horizon(t, model, name="t", function=fn)
    if window <= 0:
        raise InputError.for_parameter("t", "a number > 0", t, function=fn)
    top = integer(n_max, name="n_max", function=fn, minimum=0)
    kern, weights = _population(model, covariates, fn)
    work_limit(
        (top + 1) * weights.size, limit=MAX_PMF_WORK, name="n_max", function=fn, what="count-rows"
    )
    counts = np.arange(top + 1, dtype=np.int64)
    values = kern.pmf(window, counts[:, None] if weights.size > 1 else counts)
    probability = values.mean(axis=-1) if values.ndim > 1 else values
    probability = np.clip(probability, 0.0, 1.0)
    tail = max(0.0, 1.0 - float(probability.sum()))
    return PurchaseCountPMF(
        n=as_readonly(counts),
        probability=as_readonly(probability),
        tail=tail,
        t=window,
        mean=float(np.dot(counts, probability)),
    )


def dert(
    fit: AnyPurchaseModel,
    data: object | None = None,
    *,
    discount_rate: float,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> FloatArray:
    r"""Discounted expected residual transactions of each customer (DERT).

    The number of purchases a customer will still make, each discounted to
    the end of observation: multiplied by the margin per purchase it is the
    customer's residual value (Fader, Hardie & Lee 2005b).

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A purchase model.
    data : RFMData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency`` and ``T``.
    discount_rate : float
        Discount rate per time unit of the data (per opportunity for BG/BB),
        > 0. For the continuous-time models it is compounded continuously at
        :math:`\delta = \ln(1 + d)`, so a purchase at time t counts
        :math:`(1+d)^{-t}`.
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a covariate model.

    Returns
    -------
    ndarray of float64, shape (n,)
        DERT per customer, >= 0 and finite.

    Raises
    ------
    InputError
        For a discount rate <= 0 or bad columns.

    Notes
    -----
    Pareto/NBD (Fader, Hardie & Lee 2005b, eq. 2):

    .. math::

        \mathrm{DERT} = P(\text{alive})\frac{r+x}{\alpha+T}
        (\beta+T)^s\delta^{s-1}\,U(s, s; \delta(\beta+T)),

    with :math:`U` the confluent hypergeometric function of the second kind
    (``scipy.special.hyperu``). BG/NBD and MBG/NBD have no closed form:
    :math:`\int_0^\infty e^{-\delta t}dE[Y(t)] = \int_0^\infty e^{-u}E[Y(u/\delta)]du`
    (by parts), by 40-node Gauss-Laguerre quadrature. BG/BB (Fader, Hardie &
    Shang 2010, eq. 14):

    .. math::

        \frac{B(\alpha+x+1, \beta+n-x)B(\gamma, \delta+n+1)}
        {B(\alpha, \beta)B(\gamma, \delta)(1+d)L}
        {}_2F_1\Big(1, \delta+n+1; \gamma+\delta+n+1; \frac{1}{1+d}\Big).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Examples
    --------
    CDNOW (weeks), at 15% a year (0.27% a week):

    >>> from crmkit.roi import pareto_nbd_from_params
    >>> model = pareto_nbd_from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> dert(
    ...     model,
    ...     frequency=[0, 2, 7],
    ...     recency=[0.0, 30.4, 35.0],
    ...     T=[38.9] * 3,
    ...     discount_rate=1.15 ** (1 / 52) - 1,
    ... ).round(2)
    array([ 0.48,  6.49, 20.69])
    """
    fn = "dert"
    require_models_extra(fn)
    model = check_model(fit, fn)
    d = number(discount_rate, name="discount_rate", function=fn, low=0.0, low_open=True)
    p = prepare(
        model, data, frequency=frequency, recency=recency, T=T, covariates=covariates, function=fn
    )
    rate = d if discrete(model) else float(np.log1p(d))
    values = p.kernel.dert(p.rows.frequency, p.rows.recency, p.rows.T, rate)
    return p.spread(np.where(np.isfinite(values), np.maximum(values, 0.0), 0.0))


@attrs.frozen(kw_only=True, repr=False)
class TrackingCurve(Result):
    """Expected cumulative repeat purchases of the whole base over time (the BTYD tracking plot).

    Attributes
    ----------
    t : ndarray of float64, shape (k,)
        Time relative to the end of the calibration period, in the data's
        time unit (negative: inside calibration; positive: the forecast).
    cumulative : ndarray of float64, shape (k,)
        Expected cumulative repeat purchases of the customers of the data,
        each counted from their own first purchase.
    incremental : ndarray of float64, shape (k,)
        Differences of ``cumulative`` (the first is the cumulative itself).
    n_customers : int
        Customers in the base.

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> curve = tracking_curve(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ...     frequency=[0, 1],
    ...     recency=[0.0, 3.0],
    ...     T=[10.0, 20.0],
    ...     t=[-5.0, 0.0, 5.0],
    ... )
    >>> curve.cumulative.round(3).tolist()
    [0.837, 1.177, 1.476]
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "t": "number",
        "cumulative": "number",
        "incremental": "number",
    }

    _table: ClassVar[tuple[str, ...]] = ("t", "cumulative", "incremental")

    t: FloatArray
    cumulative: FloatArray
    incremental: FloatArray
    n_customers: int


def tracking_curve(
    fit: AnyPurchaseModel,
    data: object | None = None,
    *,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> TrackingCurve:
    r"""Predict the cumulative repeat purchases of the base around the end of calibration.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A purchase model.
    data : RFMData, mapping or DataFrame, optional
        The calibration summary: each customer's ``T`` dates their first
        purchase (T before the end of calibration); frequency and recency are
        read and checked but do not enter.
    t : array_like of float, shape (k,)
        Times relative to the end of calibration, within +-10^7 (whole
        numbers for BG/BB).
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a covariate model.

    Returns
    -------
    TrackingCurve
        Cumulative and incremental expected repeat purchases of the base.

    Raises
    ------
    InputError
        For non-finite times or bad columns.

    Notes
    -----
    :math:`\sum_i E[X(\max(T_i + t, 0))]` with :math:`E[X(\cdot)]` the
    expectation of a new customer (:func:`expected_purchases_new_customer`):
    the curve every BTYD paper plots against the actual cumulative repeat
    purchases (FHL 2005, Figure 2). It depends on the customers only through
    their T, so it is evaluated once per distinct T.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    See :class:`TrackingCurve`.
    """
    fn = "tracking_curve"
    require_models_extra(fn)
    model = check_model(fit, fn)
    times = as_finite_float(
        np.atleast_1d(np.asarray(t)),
        field="t",
        function=fn,
        minimum=-MAX_HORIZON,
        maximum=MAX_HORIZON,
    )
    if discrete(model) and np.any(times != np.floor(times)):
        raise InputError.for_parameter(
            "t", "whole numbers of transaction opportunities for BG/BB", t, function=fn
        )
    p = prepare(
        model, data, frequency=frequency, recency=recency, T=T, covariates=covariates, function=fn
    )
    if p.designs is None:
        ages, weight = np.unique(p.data.T, return_counts=True)
        kern = p.kernel
    else:
        ages, weight = p.data.T, np.ones(p.data.n, dtype=np.int64)
        kern = p.kernel
    span = np.maximum(ages[None, :] + times[:, None], 0.0)
    values = kern.unconditional(span)
    cumulative = (values * weight[None, :]).sum(axis=1)
    incremental = np.diff(cumulative, prepend=0.0)
    return TrackingCurve(
        t=as_readonly(times),
        cumulative=as_readonly(cumulative),
        incremental=as_readonly(incremental),
        n_customers=p.data.n,
    )
