r"""Contractual churn: the shifted-beta-geometric (sBG) and beta-discrete-Weibull (BdW) models.

Subscribers renew or cancel at the end of each period. Each has a churn
probability :math:`\theta \sim \text{Beta}(\alpha, \beta)`; in the sBG
(Fader & Hardie 2007) it is constant over a customer's life, so the survival
function is :math:`S(t) = B(\alpha, \beta+t)/B(\alpha, \beta)`. The BdW
(Fader, Hardie, Liu, Davin & Steenburgh 2018) lets individual churn
probabilities change with tenure, :math:`1 - (1-\theta)^{t^c - (t-1)^c}` in
period t, so :math:`S(t) = B(\alpha, \beta+t^c)/B(\alpha, \beta)`: c < 1
means loyalty grows with tenure, c > 1 that it wears off, and c = 1 is the sBG
exactly. Both are fitted on cohort survival counts or on per-customer
tenures, with every customer's churn period or censoring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, check_same_length, to_array
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.roi._models._btyd_data import dot, require_models_extra
from crmkit.roi._models._fit import (
    FitDiagnostics,
    check_given_params,
    given_diagnostics,
    maximise,
)

__all__ = [
    "BetaDiscreteWeibullFit",
    "ContractData",
    "ShiftedBetaGeometricFit",
    "beta_discrete_weibull_from_params",
    "fit_beta_discrete_weibull",
    "fit_shifted_beta_geometric",
    "log_survival",
    "read_contracts",
    "shifted_beta_geometric_from_params",
]

FloatArray = npt.NDArray[np.float64]
_SBG: Final = ("alpha", "beta")
_BDW: Final = ("alpha", "beta", "c")


@attrs.frozen(kw_only=True, repr=False)
class ShiftedBetaGeometricFit(Result):
    """A fitted shifted-beta-geometric churn model (Fader & Hardie 2007).

    Attributes
    ----------
    alpha, beta : float
        Shapes of the beta distribution of the churn probability per period
        (mean ``alpha / (alpha + beta)``).
    log_likelihood : float
        Maximised log-likelihood.
    n_customers : int
        Customers in the data (the cohort size).
    diagnostics : FitDiagnostics
        Convergence, gradient norm, standard errors, covariance and warnings.

    Examples
    --------
    >>> model = shifted_beta_geometric_from_params(alpha=0.704, beta=1.182)
    >>> round(model.alpha / (model.alpha + model.beta), 3)  # mean churn in the first year
    0.373
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "alpha": "number",
        "beta": "number",
        "log_likelihood": "number",
    }

    alpha: float
    beta: float
    log_likelihood: float
    n_customers: int
    diagnostics: FitDiagnostics

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"alpha", "beta"}``."""
        return {"alpha": self.alpha, "beta": self.beta}

    @property
    def c(self) -> float:
        """The BdW duration parameter the sBG fixes: 1."""
        return 1.0

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters."""
        return 2


@attrs.frozen(kw_only=True, repr=False)
class BetaDiscreteWeibullFit(Result):
    """A fitted beta-discrete-Weibull churn model (Fader, Hardie, Liu, Davin & Steenburgh 2018).

    Attributes
    ----------
    alpha, beta : float
        Shapes of the beta distribution of the baseline churn probability.
    c : float
        Duration dependence: < 1, individual churn falls with tenure; > 1, it
        rises; 1 is the sBG.
    log_likelihood : float
        Maximised log-likelihood.
    n_customers : int
        Customers in the data.
    diagnostics : FitDiagnostics
        Convergence, gradient norm, standard errors, covariance and warnings.

    Examples
    --------
    >>> beta_discrete_weibull_from_params(alpha=0.7, beta=1.2, c=0.8).c
    0.8
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "alpha": "number",
        "beta": "number",
        "c": "number",
        "log_likelihood": "number",
    }

    alpha: float
    beta: float
    c: float
    log_likelihood: float
    n_customers: int
    diagnostics: FitDiagnostics

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"alpha", "beta", "c"}``."""
        return {"alpha": self.alpha, "beta": self.beta, "c": self.c}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters."""
        return 3


ChurnModel = ShiftedBetaGeometricFit | BetaDiscreteWeibullFit


@attrs.frozen(kw_only=True)
class ContractData:
    """Validated contract histories, merged: churn (or censoring) period, customers (internal)."""

    period: FloatArray  # the churn period t >= 1, or the periods survived t >= 0 if censored
    churned: npt.NDArray[np.bool_]
    count: FloatArray

    @property
    def n(self) -> int:
        """Customers."""
        return round(float(self.count.sum()))


def read_contracts(
    survivors: npt.ArrayLike | None,
    tenure: npt.ArrayLike | None,
    churned: npt.ArrayLike | None,
    *,
    function: str,
) -> ContractData:
    """Read cohort survival counts, or per-customer tenures and churn flags."""
    if (survivors is None) == (tenure is None):
        raise InputError(
            f"{function} takes either survivors (a cohort's survival counts) or tenure with "
            "churned (per customer), not both and not neither.",
            field="survivors",
        )
    if survivors is not None:
        if churned is not None:
            raise InputError.for_parameter(
                "churned", "None when survivors are given", "an array", function=function
            )
        n = as_finite_float(survivors, field="survivors", function=function, minimum=0.0)
        if n.size < 2 or n[0] <= 0:
            raise InputError(
                f"The 'survivors' column of {function} needs the cohort size and at least one "
                f"later count, the first > 0; got {n.tolist()[:5]}.",
                field="survivors",
            )
        rise = np.flatnonzero(np.diff(n) > 0) + 1
        if rise.size:
            raise InputError.for_rows(
                "survivors",
                "must not increase (a cohort only loses customers)",
                positions=rise[:5].tolist(),
                values=n[rise[:5]].tolist(),
                n_bad=int(rise.size),
                function=function,
            )
        t = np.arange(1, n.size, dtype=np.float64)
        lost = n[:-1] - n[1:]
        return ContractData(
            period=np.r_[t, t[-1]],
            churned=np.r_[np.ones(t.size, dtype=bool), False],
            count=np.r_[lost, n[-1]],
        )
    if churned is None:
        raise InputError.for_parameter("churned", "given with tenure", None, function=function)
    t = as_finite_float(tenure, field="tenure", function=function, minimum=0.0)
    flags = to_array(churned, field="churned", function=function)
    if flags.dtype.kind != "b":
        raise InputError(
            f"The 'churned' column of {function} must hold True/False; got dtype {flags.dtype}.",
            field="churned",
        )
    check_same_length({"tenure": t.shape[0], "churned": flags.shape[0]}, function=function)
    if t.size == 0:
        raise InputError(f"{function} needs at least one customer; got none.", field="tenure")
    fractional = t != np.floor(t)
    early = flags & (t < 1)
    for mask, requirement in (
        (fractional, "must hold whole numbers of periods"),
        (early, "must be >= 1 for churned customers (churn happens in period 1 or later)"),
    ):
        if mask.any():
            bad = np.flatnonzero(mask)
            raise InputError.for_rows(
                "tenure",
                requirement,
                positions=bad[:5].tolist(),
                values=t[bad[:5]].tolist(),
                n_bad=int(bad.size),
                function=function,
            )
    key = t * 2 + flags
    uniq, counts = np.unique(key, return_counts=True)
    return ContractData(
        period=np.floor(uniq / 2),
        churned=(uniq % 2).astype(bool),
        count=counts.astype(np.float64),
    )


def log_survival(
    alpha: float, beta: float, c: float, t: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log S(t) and its gradient (3, n) with respect to (alpha, beta, c)."""
    from scipy import special  # noqa: PLC0415

    with np.errstate(divide="ignore", invalid="ignore"):
        log_t = np.where(t > 0, np.log(np.where(t > 0, t, 1.0)), 0.0)
    # t^c, capped at e^700 where the optimiser tries a huge c (survival is 0 there anyway)
    tc = np.where(t > 0, np.exp(np.minimum(c * log_t, 700.0)), 0.0)
    log_s = special.betaln(alpha, beta + tc) - special.betaln(alpha, beta)
    psi_ab = special.digamma(alpha + beta)
    psi_abt = special.digamma(alpha + beta + tc)
    d_c = (special.digamma(beta + tc) - psi_abt) * tc * log_t
    grad = np.vstack(
        [
            psi_ab - psi_abt,
            special.digamma(beta + tc) - psi_abt - special.digamma(beta) + psi_ab,
            d_c,
        ]
    )
    return np.asarray(log_s, dtype=np.float64), grad


def _log_likelihood(
    theta: FloatArray, data: ContractData, *, c_free: bool
) -> tuple[FloatArray, FloatArray]:
    """Per-row log-likelihood and gradient (k, rows): log P(T = t) if churned, log S(t) if not."""
    alpha, beta = float(theta[0]), float(theta[1])
    c = float(theta[2]) if c_free else 1.0
    t = data.period
    ls_t, g_t = log_survival(alpha, beta, c, t)
    ls_p, g_p = log_survival(alpha, beta, c, np.maximum(t - 1.0, 0.0))
    # P(T = t) = S(t - 1) - S(t), in logs
    ratio = np.exp(np.minimum(ls_t - ls_p, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = ls_p + np.log1p(-ratio)
        # where S(t) = S(t - 1) in floating point (a huge or tiny c tried by the optimiser)
        # P(T = t) is 0: the log-likelihood is -inf and its gradient is left at 0
        g_churn = np.where(ratio < 1.0, (g_p - ratio * g_t) / (1.0 - ratio), 0.0)
    ll = np.where(data.churned, log_p, ls_t)
    grad = np.where(data.churned, g_churn, g_t)
    return ll, grad if c_free else grad[:2]


def _objective(data: ContractData, *, c_free: bool) -> Any:  # noqa: ANN401
    w = data.count / data.count.sum()

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(log_theta)
        ll, grad = _log_likelihood(theta, data, c_free=c_free)
        return -dot(w, ll), -np.add.reduce(grad * w, axis=1) * theta

    return objective


def fit_shifted_beta_geometric(
    survivors: npt.ArrayLike | None = None,
    *,
    tenure: npt.ArrayLike | None = None,
    churned: npt.ArrayLike | None = None,
) -> ShiftedBetaGeometricFit:
    r"""Fit the shifted-beta-geometric churn model by maximum likelihood.

    Parameters
    ----------
    survivors : array_like of float, shape (T + 1,), optional
        A cohort's survival counts: the customers at the start and still
        active at the end of each of the T periods observed (non-increasing).
    tenure : array_like of float, shape (n,), optional
        Per customer instead: the period in which they churned (>= 1), or the
        periods they have been active so far (>= 0) if they have not.
    churned : array_like of bool, shape (n,), optional
        With *tenure*: whether the customer churned.

    Returns
    -------
    ShiftedBetaGeometricFit
        Parameters, log-likelihood and diagnostics.

    Raises
    ------
    InputError
        Unless exactly one of *survivors* and *tenure* (with *churned*) is
        given, for increasing survivors, or fractional or negative tenures.
    FitError
        When the optimiser fails.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Notes
    -----
    Fader & Hardie (2007), eq. 4-6:

    .. math::

        P(T=t) = \frac{B(\alpha+1, \beta+t-1)}{B(\alpha, \beta)},\qquad
        S(t) = \frac{B(\alpha, \beta+t)}{B(\alpha, \beta)},\qquad
        \ell = \sum_{t=1}^{T}(n_{t-1} - n_t)\ln P(T=t) + n_T \ln S(T),

    maximised on the log parameters with an analytic gradient. The retention
    rate :math:`r_t = S(t)/S(t-1) = (\beta+t-1)/(\alpha+\beta+t-1)` rises with t:
    the customers who stay are the loyal ones, so heterogeneity alone makes
    aggregate retention grow.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90.

    Examples
    --------
    The "regular" customers of Fader & Hardie (2007), years 0 to 7:

    >>> fit = fit_shifted_beta_geometric([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(fit.alpha, 3), round(fit.beta, 3)
    (0.704, 1.182)
    """
    fn = "fit_shifted_beta_geometric"
    require_models_extra(fn)
    data = read_contracts(survivors, tenure, churned, function=fn)
    optimum = maximise(
        _objective(data, c_free=False), [1.0, 1.0], names=_SBG, model="sBG", n_customers=data.n
    )
    ll, _ = _log_likelihood(optimum.params, data, c_free=False)
    alpha, beta = optimum.params.tolist()
    return ShiftedBetaGeometricFit(
        alpha=alpha,
        beta=beta,
        log_likelihood=dot(data.count, ll),
        n_customers=data.n,
        diagnostics=optimum.diagnostics,
    )


def fit_beta_discrete_weibull(
    survivors: npt.ArrayLike | None = None,
    *,
    tenure: npt.ArrayLike | None = None,
    churned: npt.ArrayLike | None = None,
) -> BetaDiscreteWeibullFit:
    r"""Fit the beta-discrete-Weibull churn model by maximum likelihood.

    Parameters
    ----------
    survivors : array_like of float, shape (T + 1,), optional
        A cohort's survival counts (as :func:`fit_shifted_beta_geometric`).
    tenure : array_like of float, shape (n,), optional
        Per-customer churn period or periods survived.
    churned : array_like of bool, shape (n,), optional
        With *tenure*: whether the customer churned.

    Returns
    -------
    BetaDiscreteWeibullFit
        Parameters, log-likelihood and diagnostics.

    Raises
    ------
    InputError
        As :func:`fit_shifted_beta_geometric`.
    FitError
        When the optimiser fails.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Notes
    -----
    Fader, Hardie, Liu, Davin & Steenburgh (2018), eq. 5:

    .. math::

        S(t) = \frac{B(\alpha, \beta+t^c)}{B(\alpha, \beta)},\qquad
        P(T=t) = S(t-1) - S(t),

    evaluated in logs with the gradient in :math:`(\alpha, \beta, c)`. The fit
    starts from the sBG optimum at c = 1, so its log-likelihood is never
    below the sBG's: the likelihood-ratio statistic of the nested pair is >= 0.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J., & Steenburgh, T.
    (2018). "How to project customer retention" revisited: The role of
    duration dependence. *Journal of Interactive Marketing*, 43, 1-16.

    Examples
    --------
    >>> fit = fit_beta_discrete_weibull([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> (
    ...     fit.diagnostics.converged,
    ...     fit.log_likelihood
    ...     >= fit_shifted_beta_geometric([1000, 631, 468, 382, 326, 289, 262, 241]).log_likelihood,
    ... )
    (True, True)
    """
    fn = "fit_beta_discrete_weibull"
    require_models_extra(fn)
    data = read_contracts(survivors, tenure, churned, function=fn)
    from scipy import optimize  # noqa: PLC0415

    sbg = optimize.minimize(
        _objective(data, c_free=False),
        np.zeros(2),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-25.0, 25.0)] * 2,
    )
    start = [*np.exp(np.asarray(sbg.x)).tolist(), 1.0]
    optimum = maximise(
        _objective(data, c_free=True), start, names=_BDW, model="BdW", n_customers=data.n
    )
    ll, _ = _log_likelihood(optimum.params, data, c_free=True)
    alpha, beta, c = optimum.params.tolist()
    return BetaDiscreteWeibullFit(
        alpha=alpha,
        beta=beta,
        c=c,
        log_likelihood=dot(data.count, ll),
        n_customers=data.n,
        diagnostics=optimum.diagnostics,
    )


def shifted_beta_geometric_from_params(*, alpha: float, beta: float) -> ShiftedBetaGeometricFit:
    r"""Build an sBG churn model from known parameters.

    Parameters
    ----------
    alpha, beta : float
        The sBG parameters, each > 0.

    Returns
    -------
    ShiftedBetaGeometricFit
        With ``log_likelihood`` NaN and diagnostics saying the parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0.

    Notes
    -----
    No fitting: the model of :func:`fit_shifted_beta_geometric` at the given
    parameters: each customer churns at the end of a period with probability
    :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)`, so
    :math:`S(t) = B(\alpha, \beta + t) / B(\alpha, \beta)`.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90.

    Examples
    --------
    The "high end" customers of Fader & Hardie (2007):

    >>> shifted_beta_geometric_from_params(alpha=0.668, beta=3.806).params
    {'alpha': 0.668, 'beta': 3.806}
    """
    values = check_given_params(
        {"alpha": alpha, "beta": beta}, function="shifted_beta_geometric_from_params"
    )
    return ShiftedBetaGeometricFit(
        alpha=values["alpha"],
        beta=values["beta"],
        log_likelihood=float("nan"),
        n_customers=0,
        diagnostics=given_diagnostics(_SBG),
    )


def beta_discrete_weibull_from_params(
    *, alpha: float, beta: float, c: float
) -> BetaDiscreteWeibullFit:
    r"""Build a BdW churn model from known parameters.

    Parameters
    ----------
    alpha, beta, c : float
        The BdW parameters, each > 0 (c = 1 is the sBG).

    Returns
    -------
    BetaDiscreteWeibullFit
        With ``log_likelihood`` NaN and diagnostics saying the parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0.

    Notes
    -----
    No fitting: the model of :func:`fit_beta_discrete_weibull` at the given
    parameters: :math:`S(t \mid \theta) = (1 - \theta)^{t^c}` with
    :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)`; c = 1 is the shifted-BG.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J., & Steenburgh, T. (2018).
    "How to project customer retention" revisited: The role of duration
    dependence. *Journal of Interactive Marketing*, 43, 1-16.

    Examples
    --------
    >>> beta_discrete_weibull_from_params(alpha=0.704, beta=1.182, c=1.0).params["c"]
    1.0
    """
    values = check_given_params(
        {"alpha": alpha, "beta": beta, "c": c}, function="beta_discrete_weibull_from_params"
    )
    return BetaDiscreteWeibullFit(
        alpha=values["alpha"],
        beta=values["beta"],
        c=values["c"],
        log_likelihood=float("nan"),
        n_customers=0,
        diagnostics=given_diagnostics(_BDW),
    )
