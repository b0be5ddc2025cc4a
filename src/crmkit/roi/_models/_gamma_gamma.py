"""The Gamma-Gamma spend model: fit, expected spend and the independence check."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly
from crmkit._params import instance
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import CrmkitWarning, InputError
from crmkit.roi._models._btyd_data import (
    BTYDData,
    dot,
    read_rfm,
    require_models_extra,
    unique_codes,
)
from crmkit.roi._models._covariates import CovariateEffects, design_for, given_effects
from crmkit.roi._models._fit import (
    FitDiagnostics,
    check_given_params,
    given_diagnostics,
    maximise,
    prefit,
)

__all__ = [
    "GammaGammaFit",
    "SpendIndependence",
    "expected_spend",
    "fit_gamma_gamma",
    "gamma_gamma_from_params",
    "spend_independence",
    "spend_kernel_values",
]

FloatArray = npt.NDArray[np.float64]
_NAMES: Final = ("p", "q", "gamma")
_CORRELATION_ALERT: Final = 0.3
_SUBSAMPLE_ABOVE: Final = 100_000  # customers above which a subsample warm start pays off
_SUBSAMPLE_SIZE: Final = 20_000


@attrs.frozen(kw_only=True)
class SpendIndependence:
    """The Gamma-Gamma assumption check: is spend per purchase unrelated to frequency.

    Attributes
    ----------
    correlation : float
        Pearson correlation of frequency and mean spend over customers with
        repeat purchases.
    p_value : float
        Two-sided p-value of zero correlation.
    n_customers : int
        Customers with repeat purchases used.
    plausible : bool
        ``abs(correlation) < 0.3``: the assumption is not contradicted by a
        material correlation.

    Examples
    --------
    >>> check = spend_independence(
    ...     frequency=[1, 2, 3, 4],
    ...     recency=[1.0, 2, 3, 4],
    ...     T=[5.0] * 4,
    ...     monetary_value=[10.0, 12, 9, 11],
    ... )
    >>> check.n_customers, check.plausible
    (4, True)
    """

    correlation: float
    p_value: float
    n_customers: int
    plausible: bool


@attrs.frozen(kw_only=True, repr=False)
class GammaGammaFit(Result):
    """A fitted Gamma-Gamma spend model (Fader, Hardie & Lee 2005b; Colombo & Jiang 1999).

    Attributes
    ----------
    p : float
        Shape of the gamma distribution of a single purchase's value.
    q, gamma : float
        Shape and scale of the gamma distribution of the customers' rate
        parameter; the population mean spend is ``p * gamma / (q - 1)`` (for q > 1).
    log_likelihood : float
        Maximised log-likelihood.
    n_customers : int
        Customers with repeat purchases fitted.
    n_excluded : int
        Customers without repeat purchases (no spend observations), left out.
    n_distinct_rows : int
        Distinct frequencies: the gamma-function terms are evaluated once per
        distinct frequency, the rest once per customer.
    independence : SpendIndependence or None
        The frequency-spend correlation check (None for given parameters).
    diagnostics : FitDiagnostics
        Convergence, gradient norm, standard errors, covariance and warnings.
    covariates : CovariateEffects or None
        Coefficients of static covariates on spend (None without): the scale
        ``gamma`` becomes ``gamma exp(d'z)``, so a coefficient d multiplies the
        mean spend of customers with covariate z by ``exp(d z)``.

    Examples
    --------
    >>> gg = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
    >>> round(gg.mean_spend, 2)
    35.22
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "p": "number",
        "q": "number",
        "gamma": "number",
        "log_likelihood": "number",
    }

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    n_excluded: int
    n_distinct_rows: int
    independence: SpendIndependence | None
    diagnostics: FitDiagnostics
    covariates: CovariateEffects | None = None

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"p", "q", "gamma"}``."""
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters (with covariate coefficients)."""
        return len(self.diagnostics.parameter_names)

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase, ``p gamma / (q - 1)``; inf when q <= 1."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1 else float("inf")


def _independence(x: FloatArray, m: FloatArray) -> SpendIndependence:
    from scipy import stats  # noqa: PLC0415

    if x.size < 3 or np.ptp(x) == 0 or np.ptp(m) == 0:
        return SpendIndependence(
            correlation=float("nan"),
            p_value=float("nan"),
            n_customers=int(x.size),
            plausible=True,
        )
    result = stats.pearsonr(x, m)
    corr = float(result.statistic)
    return SpendIndependence(
        correlation=corr,
        p_value=float(result.pvalue),
        n_customers=int(x.size),
        plausible=abs(corr) < _CORRELATION_ALERT,
    )


def _repeaters(rfm: BTYDData) -> tuple[FloatArray, FloatArray]:
    assert rfm.monetary_value is not None  # noqa: S101  (read with need_spend=True)
    keep = rfm.frequency > 0
    return rfm.frequency[keep], rfm.monetary_value[keep]


def _objective(x: FloatArray, m: FloatArray) -> tuple[Any, int]:
    """Negative mean log-likelihood and gradient on log parameters.

    Terms in x alone (the gamma functions) are evaluated once per distinct
    frequency; only log(gamma + x m) and two divisions remain per customer.
    """
    from scipy import special  # noqa: PLC0415

    xu, code = unique_codes(x)
    n = x.size
    wx = bincount(code, minlength=xu.size) / n
    log_m = np.log(m)
    xm = x * m
    log_xu = np.log(xu)
    sum_log_m = float(log_m.mean())
    sum_x_log_m = dot(x, log_m) / n
    xw = x / n

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(log_theta)
        pxu = p * xu
        per_x = special.gammaln(pxu + q) - special.gammaln(pxu) + pxu * log_xu
        big_l = np.log(gamma + xm)
        mean_l = float(big_l.mean())
        mean_xl = dot(xw, big_l)
        ll = (
            dot(wx, per_x)
            - special.gammaln(q)
            + q * np.log(gamma)
            + p * sum_x_log_m
            - sum_log_m
            - p * mean_xl
            - q * mean_l
        )
        psi = special.digamma(pxu + q)
        d_p = dot(wx, xu * (psi - special.digamma(pxu) + log_xu))
        d_p += sum_x_log_m - mean_xl
        d_q = dot(wx, psi) - special.digamma(q) + np.log(gamma) - mean_l
        inv = 1.0 / (gamma + xm)
        d_g = q / gamma - p * dot(xw, inv) - q * float(inv.mean())
        grad = np.array([d_p * p, d_q * q, d_g * gamma])
        return -float(ll), -grad

    return objective, int(xu.size)


def fit_gamma_gamma(
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    monetary_value: npt.ArrayLike | None = None,
    covariates: object | None = None,
    spend_covariates: Sequence[str] | None = None,
) -> GammaGammaFit:
    r"""Fit the Gamma-Gamma model of spend per purchase by maximum likelihood.

    Parameters
    ----------
    data : SpendData, mapping or DataFrame, optional
        Anything with per-customer ``frequency``, ``recency``, ``T`` and
        ``monetary_value`` (mean value of the repeat purchases), such as a
        :class:`crmkit.segmentation.BTYDSummary`.
    frequency, recency, T, monetary_value : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        Static customer covariates joined on ``customer`` (see :func:`fit_bgnbd`).
    spend_covariates : sequence of str, optional
        The covariate columns acting on spend (``gamma_i = gamma exp(d'z)``).

    Returns
    -------
    GammaGammaFit
        Parameters, log-likelihood, the independence check and diagnostics.
        Customers without repeat purchases carry no spend information and are
        left out (counted in ``n_excluded``).

    Raises
    ------
    InputError
        For monetary values <= 0 among customers with repeat purchases,
        inconsistent columns, or fewer than two customers with repeat purchases.
    FitError
        When the optimiser fails.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Warns
    -----
    crmkit.errors.ConvergenceWarning
        For a degenerate fit (corner, no standard errors, q <= 1 so mean spend
        is infinite).
    crmkit.errors.CrmkitWarning
        When frequency and spend are materially correlated (``abs(rho) >= 0.3``),
        which the model assumes they are not.

    Notes
    -----
    For a customer with :math:`x` repeat purchases of mean value
    :math:`\bar z` (Fader, Hardie & Lee 2005b, eq. 3, as in lifetimes):

    .. math::

        \ell = \ln\Gamma(px+q) - \ln\Gamma(px) - \ln\Gamma(q) + q\ln\gamma
        + (px-1)\ln\bar z + px\ln x - (px+q)\ln(\gamma + x\bar z).

    The gamma-function terms depend on :math:`x` alone and are evaluated once
    per distinct frequency; the rest is two dot products per evaluation.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Colombo, R., & Jiang, W. (1999). A stochastic RFM model. *Journal of
    Interactive Marketing*, 13(3), 2-12.

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> from crmkit.segmentation import btyd_summary
    >>> base = simulate_customer_base(3_000, "2023-01-01", "2024-07-01", seed=3, refund_rate=0.0)
    >>> summary = btyd_summary(base.transactions, freq="day", as_of="2024-07-01")
    >>> spend = fit_gamma_gamma(summary)
    >>> spend.independence.plausible, spend.diagnostics.converged
    (True, True)
    """
    fn = "fit_gamma_gamma"
    require_models_extra(fn)
    rfm = read_rfm(
        data,
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary_value,
        need_spend=True,
        function=fn,
    )
    if covariates is not None or spend_covariates is not None:
        from crmkit.roi._models._covariate_fits import fit_gamma_gamma_covariates  # noqa: PLC0415

        return fit_gamma_gamma_covariates(rfm, covariates, spend=spend_covariates, function=fn)
    x, m = _repeaters(rfm)
    if x.size < 2:
        raise InputError(
            f"The Gamma-Gamma fit needs at least 2 customers with repeat purchases "
            f"(frequency > 0); got {x.size}.",
            field="frequency",
            hint="Fit the spend model on a base with repeat buyers.",
        )
    independence = _independence(x, m)
    if not independence.plausible:
        warnings.warn(
            f"Gamma-Gamma assumes spend per purchase is independent of frequency, but their "
            f"correlation is {independence.correlation:.3f} over {independence.n_customers} "
            "customers; expected spend may be biased.",
            CrmkitWarning,
            stacklevel=2,
        )
    objective, n_rows = _objective(x, m)

    def q_check(theta: FloatArray) -> list[str]:
        if theta[1] <= 1.0:
            text = (
                f"Gamma-Gamma: q = {theta[1]:.3g} <= 1, so the population mean spend is "
                "infinite and customers without repeat purchases get no finite expected spend."
            )
            return [text]
        return []

    start = [1.0, 1.0, max(float(np.mean(m)), 1e-3)]
    if x.size > _SUBSAMPLE_ABOVE:
        # warm start from every k-th customer (deterministic): the likelihood is a sum
        # over customers, so a systematic sample has nearly the same optimum
        k = x.size // _SUBSAMPLE_SIZE
        start = prefit(_objective(x[::k], m[::k])[0], start)
    optimum = maximise(
        objective,
        start,
        names=_NAMES,
        model="Gamma-Gamma",
        n_customers=int(x.size),
        extra_warnings=q_check,
    )
    p, q, gamma = optimum.params.tolist()
    return GammaGammaFit(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=optimum.log_likelihood,
        n_customers=int(x.size),
        n_excluded=rfm.n - int(x.size),
        n_distinct_rows=n_rows,
        independence=independence,
        diagnostics=optimum.diagnostics,
    )


def gamma_gamma_from_params(
    *, p: float, q: float, gamma: float, covariates: CovariateEffects | None = None
) -> GammaGammaFit:
    r"""Build a Gamma-Gamma model from known parameters.

    Parameters
    ----------
    p, q, gamma : float
        The Gamma-Gamma parameters, each > 0 (see :class:`GammaGammaFit`).
    covariates : CovariateEffects, optional
        Known covariate effects on the ``"spend"`` process.

    Returns
    -------
    GammaGammaFit
        With ``log_likelihood`` NaN and diagnostics saying the parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0.

    Notes
    -----
    No fitting: the spend model of :func:`fit_gamma_gamma` at the given parameters:
    a transaction's value is :math:`\mathrm{Gamma}(p, \nu)` with
    :math:`\nu \sim \mathrm{Gamma}(q, \gamma)` across customers, so the mean spend
    of a customer with :math:`x` repeat purchases of mean :math:`\bar z` is expected
    to be :math:`\frac{p(\gamma + x\bar z)}{px + q - 1}`.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary
    value. http://brucehardie.com/notes/025/

    Examples
    --------
    The CDNOW estimates of Fader, Hardie & Lee (2005b):

    >>> round(gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44).mean_spend, 2)
    35.22
    """
    fn = "gamma_gamma_from_params"
    values = check_given_params({"p": p, "q": q, "gamma": gamma}, function=fn)
    effects, extra = given_effects(covariates, ("spend",), function=fn)
    return GammaGammaFit(
        p=values["p"],
        q=values["q"],
        gamma=values["gamma"],
        log_likelihood=float("nan"),
        n_customers=0,
        n_excluded=0,
        n_distinct_rows=0,
        independence=None,
        diagnostics=given_diagnostics((*_NAMES, *extra)),
        covariates=effects,
    )


def expected_spend_unchecked(
    p: float, q: float, gamma: FloatArray | float, x: FloatArray, m: FloatArray
) -> FloatArray:
    """E[M | x, mean spend] for validated arrays; the population mean where x = 0 (q > 1)."""
    with np.errstate(all="ignore"):
        conditional = p * (gamma + x * m) / (p * x + q - 1.0)
        population = p * gamma / (q - 1.0) if q > 1 else np.inf
    return np.asarray(np.where(x > 0, conditional, population), dtype=np.float64)


def spend_kernel_values(
    model: GammaGammaFit,
    rfm: BTYDData,
    *,
    covariates: object | None,
    function: str,
    theta: FloatArray | None = None,
) -> FloatArray:
    """Return the expected spend per customer of validated data (at *theta*, if given).

    Raises the parameter error when q <= 1 and a customer has no repeat purchase.
    """
    assert rfm.monetary_value is not None  # noqa: S101
    effects = model.covariates
    designs = design_for(
        covariates if effects is not None else None, rfm.customer, effects, function=function
    )
    values = (
        theta
        if theta is not None
        else np.array(
            [
                model.p,
                model.q,
                model.gamma,
                *(effects.coefficients["spend"].values() if effects is not None else ()),
            ]
        )
    )
    p, q, gamma = (float(v) for v in values[:3])
    scale: FloatArray | float = gamma
    if designs is not None:
        scale = gamma * np.exp(designs["spend"] @ values[3:])
    if q <= 1 and bool(np.any(rfm.frequency == 0)):
        raise InputError.for_parameter(
            "spend",
            "a model with q > 1 (finite mean spend) when customers without repeat purchases "
            "are valued",
            f"q={q:.3g}",
            function=function,
        )
    return expected_spend_unchecked(p, q, scale, rfm.frequency, rfm.monetary_value)


def expected_spend(
    fit: GammaGammaFit,
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    monetary_value: npt.ArrayLike | None = None,
    covariates: object | None = None,
) -> FloatArray:
    r"""Predict the mean spend per future purchase of each customer.

    Parameters
    ----------
    fit : GammaGammaFit
        A fitted Gamma-Gamma model.
    data : SpendData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency``, ``T`` and ``monetary_value``.
    frequency, recency, T, monetary_value : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a model fitted with covariates.

    Returns
    -------
    ndarray of float64, shape (n,)
        :math:`E[M \mid x, \bar z]`; customers without repeat purchases get
        the population mean :math:`p\gamma/(q-1)`.

    Raises
    ------
    InputError
        For a *fit* of the wrong type, inconsistent columns, or q <= 1 while
        some customer has no repeat purchase (infinite population mean).

    Notes
    -----
    Fader, Hardie & Lee (2005b), eq. 5: a weighted mean of the population
    mean and the customer's own mean,

    .. math::

        E[M \mid x, \bar z] = \frac{q-1}{px+q-1}\,\frac{p\gamma}{q-1}
        + \frac{px}{px+q-1}\,\bar z = \frac{p(\gamma + x\bar z)}{px+q-1}.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Examples
    --------
    A CDNOW customer with two repeat purchases averaging 22.35 is expected to
    spend a bit more next time (shrunk towards the mean of 35.22):

    >>> gg = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
    >>> expected_spend(
    ...     gg, frequency=[2, 0], recency=[30.4, 0], T=[38.9, 38.9], monetary_value=[22.35, 0]
    ... ).round(2)
    array([24.66, 35.22])
    """
    fn = "expected_spend"
    require_models_extra(fn)
    instance(fit, GammaGammaFit, name="fit", function=fn, what="a GammaGammaFit")
    rfm = read_rfm(
        data,
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary_value,
        need_spend=True,
        function=fn,
    )
    try:
        values = spend_kernel_values(fit, rfm, covariates=covariates, function=fn)
    except InputError as err:
        if err.field != "spend":
            raise
        raise InputError.for_parameter(
            "fit",
            "a model with q > 1 when customers without repeat purchases are scored",
            f"q={fit.q:.3g}",
            function=fn,
        ) from None
    return as_readonly(values)


def spend_independence(
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    monetary_value: npt.ArrayLike | None = None,
) -> SpendIndependence:
    r"""Check the Gamma-Gamma assumption that spend per purchase does not depend on frequency.

    Parameters
    ----------
    data : SpendData, mapping or DataFrame, optional
        Per-customer ``frequency``, ``recency``, ``T`` and ``monetary_value``.
    frequency, recency, T, monetary_value : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.

    Returns
    -------
    SpendIndependence
        Pearson correlation and its p-value over customers with repeat
        purchases; ``plausible`` is False when ``abs(correlation) >= 0.3``.

    Raises
    ------
    InputError
        For inconsistent columns or non-positive spend of repeat customers.

    Notes
    -----
    :math:`\rho = \mathrm{corr}(x_i, \bar z_i)` over :math:`x_i > 0`, tested
    with ``scipy.stats.pearsonr``. Gamma-Gamma treats the value of a
    transaction as independent of the transaction process; a strong
    correlation means CLV = purchases x spend double counts (or misses) value.
    Fewer than 3 customers or a constant column give NaN and ``plausible``.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary
    value. http://brucehardie.com/notes/025/

    Examples
    --------
    >>> check = spend_independence(
    ...     frequency=[1, 2, 3, 4, 5, 0],
    ...     recency=[5.0, 9, 20, 30, 31, 0],
    ...     T=[40.0] * 6,
    ...     monetary_value=[20.0, 35, 18, 30, 22, 0],
    ... )
    >>> check.n_customers, check.plausible
    (5, True)
    """
    fn = "spend_independence"
    require_models_extra(fn)
    rfm = read_rfm(
        data,
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary_value,
        need_spend=True,
        function=fn,
    )
    return _independence(*_repeaters(rfm))
