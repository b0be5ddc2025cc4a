"""The Pareto/NBD purchase model: maximum likelihood fit and per-customer predictions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.roi._models._btyd_data import BTYDData, compress, dot, read_rfm, require_models_extra
from crmkit.roi._models._covariates import CovariateEffects, given_effects
from crmkit.roi._models._fit import (
    FitDiagnostics,
    check_given_params,
    given_diagnostics,
    maximise,
    prefit,
)
from crmkit.roi._models._pareto_kernel import log_likelihood_terms, term_with_gradient

__all__ = ["ParetoNBDFit", "fit_pareto_nbd", "pareto_nbd_from_params"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_NAMES: Final = ("r", "alpha", "s", "beta")
_COARSE_ABOVE: Final = 20_000  # distinct rows above which a coarse warm start pays off
_COARSE_GRID: Final = 128  # time steps of the coarse grid over the longest T


@attrs.frozen(kw_only=True, repr=False)
class ParetoNBDFit(Result):
    """A fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

    Attributes
    ----------
    r, alpha : float
        Shape and scale of the gamma distribution of purchase rates (per time
        unit of the data).
    s, beta : float
        Shape and scale of the gamma distribution of dropout rates (the
        lifetime of a customer is exponential).
    log_likelihood : float
        Maximised log-likelihood.
    n_customers : int
        Customers fitted.
    n_distinct_rows : int
        Distinct (frequency, recency, T) rows the likelihood was evaluated on.
    diagnostics : FitDiagnostics
        Convergence, gradient norm, standard errors, covariance and warnings.
    covariates : CovariateEffects or None
        Coefficients of static covariates (None without): the purchase
        process scales ``alpha`` by ``exp(-g'z)`` and the dropout process
        ``beta`` by ``exp(-d'z)`` (the CLVTools parameterisation; positive
        coefficients mean more purchases, earlier dropout).

    Examples
    --------
    >>> model = pareto_nbd_from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> round(model.s / model.beta, 4)  # mean dropout rate per week
    0.0519
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "r": "number",
        "alpha": "number",
        "a": "number",
        "b": "number",
        "s": "number",
        "beta": "number",
        "log_likelihood": "number",
    }

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float
    n_customers: int
    n_distinct_rows: int
    diagnostics: FitDiagnostics
    covariates: CovariateEffects | None = None

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"r", "alpha", "s", "beta"}``."""
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters (with covariate coefficients)."""
        return len(self.diagnostics.parameter_names)


def _pairs(
    x_code: IntArray, t_code: IntArray, n_t: int, x_values: FloatArray, t_values: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Distinct (x, t) pairs of the rows and the pair of each row."""
    key = x_code * n_t + t_code
    uniq, inverse = np.unique(key, return_inverse=True)
    return x_values[uniq // n_t], t_values[uniq % n_t], inverse.astype(np.int64)


def _objective(data: BTYDData) -> tuple[Any, BTYDData]:
    """Negative mean log-likelihood and its analytic gradient on log parameters.

    The likelihood is evaluated once per distinct (x, t_x, T) row, its two
    hypergeometric terms once per distinct (x, t_x) and (x, T) pair, and the
    gamma-function terms once per distinct x.
    """
    from scipy import special  # noqa: PLC0415

    c = compress(data.frequency, data.recency, data.T)
    w = c.weight / data.n
    wx = bincount(c.x_code, weights=w, minlength=c.x_values.size)
    x = c.x_values[c.x_code]
    t_x = c.a_values[c.a_code]
    big_t = c.b_values[c.b_code]
    x1, t1, inv1 = _pairs(c.x_code, c.a_code, c.a_values.size, c.x_values, c.a_values)
    x2, t2, inv2 = _pairs(c.x_code, c.b_code, c.b_values.size, c.x_values, c.b_values)
    xu = c.x_values

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, s, beta = (float(v) for v in np.exp(log_theta))
        u1, g1 = term_with_gradient((r, alpha, s, beta), x1, t1)
        u2, g2 = term_with_gradient((r, alpha, s, beta), x2, t2)
        log_bracket, grad_bracket = log_likelihood_terms(
            (r, alpha, s, beta), x, big_t, (u1[inv1], g1[:, inv1]), (u2[inv2], g2[:, inv2])
        )
        per_x = special.gammaln(r + xu) - special.gammaln(r)
        value = dot(wx, per_x) + r * np.log(alpha) + s * np.log(beta) + dot(w, log_bracket)
        g = np.add.reduce(grad_bracket * w, axis=1)
        d_r = dot(wx, special.digamma(r + xu)) - special.digamma(r) + np.log(alpha) + g[0]
        d_alpha = r / alpha + g[1]
        d_s = np.log(beta) + g[2]
        d_beta = s / beta + g[3]
        grad = np.array([d_r * r, d_alpha * alpha, d_s * s, d_beta * beta])
        return -float(value), -grad

    distinct = BTYDData(customer=None, frequency=x, recency=t_x, T=big_t, monetary_value=None)
    return objective, distinct


def fit_pareto_nbd(
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
    purchase_covariates: Sequence[str] | None = None,
    dropout_covariates: Sequence[str] | None = None,
) -> ParetoNBDFit:
    r"""Fit the Pareto/NBD model by maximum likelihood.

    Parameters
    ----------
    data : RFMData, mapping or DataFrame, optional
        Anything with per-customer ``frequency``, ``recency`` and ``T``.
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    covariates : DataFrame or mapping of columns, optional
        Static customer covariates joined on ``customer`` (see :func:`fit_bgnbd`).
    purchase_covariates, dropout_covariates : sequence of str, optional
        The covariate columns acting on the purchase process (``alpha_i =
        alpha exp(-g'z)``) and the dropout process (``beta_i = beta exp(-d'z)``).

    Returns
    -------
    ParetoNBDFit
        Parameters, log-likelihood and diagnostics.

    Raises
    ------
    InputError
        For inconsistent columns (as :func:`fit_bgnbd`).
    FitError
        When the optimiser fails; the message gives its outcome.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Warns
    -----
    crmkit.errors.ConvergenceWarning
        For a degenerate fit (corner, no standard errors, large gradient).

    Notes
    -----
    The likelihood (Fader, Hardie & Lee 2005c, eq. 18-22) is

    .. math::

        L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
        \Big[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\Big],

    with :math:`A_0` a difference of two Gauss hypergeometric terms. Each is
    written through Euler's transformation as a series with positive terms
    bounded by :math:`z^n`, summed with its derivatives: the gradient is
    analytic (exact to rounding), evaluated once per distinct (x, t_x) and
    (x, T) pair. Identical rows are merged as for BG/NBD, and large bases
    start from the optimum on a coarse time grid.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your
    customers: Who are they and what will they do next? *Management Science*,
    33(1), 1-24.

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005c). A note on deriving
    the Pareto/NBD model and related expressions. http://brucehardie.com/notes/009/

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> from crmkit.segmentation import btyd_summary
    >>> base = simulate_customer_base(1_000, "2023-01-01", "2024-07-01", seed=3)
    >>> fit = fit_pareto_nbd(btyd_summary(base.transactions, freq="week", as_of="2024-07-01"))
    >>> fit.diagnostics.converged
    True
    """
    fn = "fit_pareto_nbd"
    require_models_extra(fn)
    rfm = read_rfm(data, frequency=frequency, recency=recency, T=T, function=fn)
    if covariates is not None or purchase_covariates is not None or dropout_covariates is not None:
        from crmkit.roi._models._covariate_fits import fit_pareto_covariates  # noqa: PLC0415

        return fit_pareto_covariates(
            rfm,
            covariates,
            purchase=purchase_covariates,
            dropout=dropout_covariates,
            function=fn,
        )
    objective, distinct = _objective(rfm)
    mean_t = float(np.mean(rfm.T)) or 1.0
    start = [1.0, max(mean_t, 1e-3), 1.0, max(mean_t, 1e-3)]
    if distinct.n > _COARSE_ABOVE:
        # warm start on times rounded to a coarse grid (few distinct rows); Pareto/NBD is
        # scale-equivariant (alpha and beta carry the time unit), so they are scaled back
        step = float(distinct.T.max()) / _COARSE_GRID
        coarse = BTYDData(
            customer=None,
            frequency=rfm.frequency,
            recency=np.round(rfm.recency / step),
            T=np.round(rfm.T / step),
            monetary_value=None,
        )
        r0, alpha0, s0, beta0 = prefit(
            _objective(coarse)[0], [1.0, _COARSE_GRID / 2, 1.0, _COARSE_GRID / 2]
        )
        start = [r0, alpha0 * step, s0, beta0 * step]
    optimum = maximise(
        objective,
        start,
        names=_NAMES,
        model="Pareto/NBD",
        n_customers=rfm.n,
    )
    r, alpha, s, beta = optimum.params.tolist()
    return ParetoNBDFit(
        r=r,
        alpha=alpha,
        s=s,
        beta=beta,
        log_likelihood=optimum.log_likelihood,
        n_customers=rfm.n,
        n_distinct_rows=distinct.n,
        diagnostics=optimum.diagnostics,
    )


def pareto_nbd_from_params(
    *, r: float, alpha: float, s: float, beta: float, covariates: CovariateEffects | None = None
) -> ParetoNBDFit:
    r"""Build a Pareto/NBD model from known parameters.

    Parameters
    ----------
    r, alpha, s, beta : float
        The Pareto/NBD parameters, each > 0 (see :class:`ParetoNBDFit`).
    covariates : CovariateEffects, optional
        Known covariate effects on the ``"purchase"`` and ``"dropout"`` processes.

    Returns
    -------
    ParetoNBDFit
        With ``log_likelihood`` NaN and diagnostics saying the parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0.

    Notes
    -----
    No fitting: the model of :func:`fit_pareto_nbd` at the given parameters, purchase
    rate :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` and dropout rate
    :math:`\mu \sim \mathrm{Gamma}(s, \beta)` (exponential lifetimes); with covariates,
    :math:`\alpha_i = \alpha e^{-\gamma_1' z_i}` and :math:`\beta_i = \beta e^{-\gamma_2' z_i}`.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your
    customers: Who are they and what will they do next? *Management Science*,
    33(1), 1-24.

    Examples
    --------
    The CDNOW estimates of Fader, Hardie & Lee (2005):

    >>> pareto_nbd_from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669).params["s"]
    0.606
    """
    fn = "pareto_nbd_from_params"
    values = check_given_params({"r": r, "alpha": alpha, "s": s, "beta": beta}, function=fn)
    effects, extra = given_effects(covariates, ("purchase", "dropout"), function=fn)
    return ParetoNBDFit(
        r=values["r"],
        alpha=values["alpha"],
        s=values["s"],
        beta=values["beta"],
        log_likelihood=float("nan"),
        n_customers=0,
        n_distinct_rows=0,
        diagnostics=given_diagnostics((*_NAMES, *extra)),
        covariates=effects,
    )
