"""The Pareto/NBD purchase model: maximum likelihood fit and per-customer predictions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._results import Kind, Result
from crmkit.roi._models._btyd_data import BTYDData, compress, dot, read_rfm, require_models_extra
from crmkit.roi._models._fit import FitDiagnostics, check_given_params, maximise

__all__ = ["ParetoNBDFit", "fit_pareto_nbd", "pareto_nbd_from_params"]

FloatArray = npt.NDArray[np.float64]
_NAMES: Final = ("r", "alpha", "s", "beta")
_STEP: Final = 1e-6  # central-difference step on the log parameters


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
        Convergence, gradient norm, standard errors and warnings.

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

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"r", "alpha", "s", "beta"}``."""
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)


def log_a0(theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    """Log of the A0 term of the Pareto/NBD likelihood (FHL 2005 note, eq. 19-22)."""
    from scipy import special  # noqa: PLC0415

    r, alpha, s, beta = (float(v) for v in theta)
    rho = r + s + x
    second: FloatArray | float
    if alpha >= beta:
        big, small, second = alpha, beta, s + 1.0
    else:
        big, small, second = beta, alpha, r + x
    y1 = big + t_x
    y2 = big + T
    gap = big - small
    with np.errstate(all="ignore"):
        log_f1 = np.log(special.hyp2f1(rho, second, rho + 1.0, gap / y1)) - rho * np.log(y1)
        log_f2 = np.log(special.hyp2f1(rho, second, rho + 1.0, gap / y2)) - rho * np.log(y2)
        # A0 = F(t_x) - F(T) >= 0; -inf where t_x == T
        return np.asarray(log_f1 + np.log(-np.expm1(log_f2 - log_f1)), dtype=np.float64)


def _log_terms(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log of the two likelihood terms: survival to T, and dropout between t_x and T."""
    r, alpha, s, beta = (float(v) for v in theta)
    survive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dropped = np.log(s) - np.log(r + s + x) + log_a0(theta, x, t_x, T)
    return survive, dropped


def _objective(data: BTYDData) -> tuple[Any, BTYDData]:
    from scipy import special  # noqa: PLC0415

    c = compress(data.frequency, data.recency, data.T)
    w = c.weight / data.n
    x = c.x_values[c.x_code]
    t_x = c.a_values[c.a_code]
    big_t = c.b_values[c.b_code]

    def value(log_theta: FloatArray) -> float:
        theta = np.exp(log_theta)
        r, alpha, s, beta = theta
        survive, dropped = _log_terms(theta, x, t_x, big_t)
        ll = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha)
            + s * np.log(beta)
            + np.logaddexp(survive, dropped)
        )
        return -dot(w, ll)

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        grad = np.empty(log_theta.size)
        for j in range(log_theta.size):
            up = log_theta.copy()
            down = log_theta.copy()
            up[j] += _STEP
            down[j] -= _STEP
            grad[j] = (value(up) - value(down)) / (2.0 * _STEP)
        return value(log_theta), grad

    distinct = BTYDData(customer=None, frequency=x, recency=t_x, T=big_t, monetary_value=None)
    return objective, distinct


def fit_pareto_nbd(
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
) -> ParetoNBDFit:
    r"""Fit the Pareto/NBD model by maximum likelihood.

    Parameters
    ----------
    data : RFMData, mapping or DataFrame, optional
        Anything with per-customer ``frequency``, ``recency`` and ``T``.
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.

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

    with :math:`A_0` a difference of two Gauss hypergeometric terms
    (``scipy.special.hyp2f1``), evaluated in logs. Identical rows are merged
    as for BG/NBD; the gradient is by central differences, so this fit is
    slower than :func:`fit_bgnbd` (which has an analytic gradient).

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
    objective, distinct = _objective(rfm)
    mean_t = float(np.mean(rfm.T)) or 1.0
    optimum = maximise(
        objective,
        [1.0, max(mean_t, 1e-3), 1.0, max(mean_t, 1e-3)],
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


def pareto_nbd_from_params(*, r: float, alpha: float, s: float, beta: float) -> ParetoNBDFit:
    """Build a Pareto/NBD model from known parameters.

    Parameters
    ----------
    r, alpha, s, beta : float
        The Pareto/NBD parameters, each > 0 (see :class:`ParetoNBDFit`).

    Returns
    -------
    ParetoNBDFit
        With ``log_likelihood`` NaN and diagnostics saying the parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0.

    Examples
    --------
    The CDNOW estimates of Fader, Hardie & Lee (2005):

    >>> pareto_nbd_from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669).params["s"]
    0.606
    """
    from crmkit.roi._models._bgnbd import given_diagnostics  # noqa: PLC0415

    values = {"r": r, "alpha": alpha, "s": s, "beta": beta}
    check_given_params(values, function="pareto_nbd_from_params")
    return ParetoNBDFit(
        r=float(r),
        alpha=float(alpha),
        s=float(s),
        beta=float(beta),
        log_likelihood=float("nan"),
        n_customers=0,
        n_distinct_rows=0,
        diagnostics=given_diagnostics(_NAMES),
    )


def pareto_p_alive(model: ParetoNBDFit, rfm: BTYDData) -> FloatArray:
    """P(alive | x, t_x, T) under Pareto/NBD, for validated data."""
    from scipy import special  # noqa: PLC0415

    theta = np.array([model.r, model.alpha, model.s, model.beta])
    survive, dropped = _log_terms(theta, rfm.frequency, rfm.recency, rfm.T)
    return np.asarray(special.expit(survive - dropped), dtype=np.float64)


def pareto_expected(model: ParetoNBDFit, rfm: BTYDData, t: float) -> FloatArray:
    """E[Y(t) | x, t_x, T] under Pareto/NBD, for validated data."""
    r, alpha, s, beta = model.r, model.alpha, model.s, model.beta
    x, big_t = rfm.frequency, rfm.T
    if t == 0:
        return np.zeros_like(x)
    base = (r + x) * (beta + big_t) / (alpha + big_t)
    if abs(s - 1.0) < 1e-10:
        growth = np.log((beta + big_t + t) / (beta + big_t))
    else:
        growth = (1.0 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1.0)) / (s - 1.0)
    return np.asarray(base * growth * pareto_p_alive(model, rfm), dtype=np.float64)
