"""The BG/NBD purchase model (Fader, Hardie & Lee 2005): maximum likelihood fit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.roi._models import _bg_family as bg
from crmkit.roi._models._btyd_data import BTYDData, compress, dot, read_rfm, require_models_extra
from crmkit.roi._models._covariates import CovariateEffects, given_effects
from crmkit.roi._models._fit import (
    FitDiagnostics,
    Optimum,
    check_given_params,
    given_diagnostics,
    maximise,
    prefit,
)

__all__ = ["BGNBDFit", "bgnbd_from_params", "fit_bg_family", "fit_bgnbd"]

FloatArray = npt.NDArray[np.float64]
_NAMES: Final = ("r", "alpha", "a", "b")
_ALIVE_CORNER: Final = 0.999
_COARSE_ABOVE: Final = 20_000  # distinct rows above which a coarse warm start pays off
_COARSE_GRID: Final = 128  # time steps of the coarse grid over the longest T
_EXP_SAFE: Final = 700.0  # exp overflows float64 just above 709


@attrs.frozen(kw_only=True, repr=False)
class BGNBDFit(Result):
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    Attributes
    ----------
    r, alpha : float
        Shape and scale of the gamma distribution of purchase rates
        (rates per time unit of the data; mean rate ``r / alpha``).
    a, b : float
        Shapes of the beta distribution of the dropout probability after each
        purchase (mean ``a / (a + b)``).
    log_likelihood : float
        Maximised log-likelihood over all customers.
    n_customers : int
        Customers fitted.
    n_distinct_rows : int
        Distinct (frequency, recency, T) rows the likelihood was evaluated on.
    diagnostics : FitDiagnostics
        Convergence, gradient norm, standard errors, covariance and warnings.
    covariates : CovariateEffects or None
        Coefficients of static covariates (None without covariates): the
        purchase process scales ``alpha`` by ``exp(-g'z)``, the dropout
        process ``a`` and ``b`` by ``exp(g'z)`` (the CLVTools parameterisation);
        ``alpha``, ``a`` and ``b`` are then those of a customer with z = 0.

    Examples
    --------
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> round(fit.r / fit.alpha, 4)  # mean purchase rate per week
    0.0551
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
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    n_distinct_rows: int
    diagnostics: FitDiagnostics
    covariates: CovariateEffects | None = None

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"r", "alpha", "a", "b"}``."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters (with covariate coefficients)."""
        return len(self.diagnostics.parameter_names)


def _objective(data: BTYDData, *, modified: bool = False) -> tuple[Any, BTYDData]:
    """Negative mean log-likelihood and its gradient on log parameters.

    Returns the objective and the distinct rows (as validated data). Terms in
    x alone are evaluated per distinct x, logs of alpha + T and alpha + t_x
    per distinct value; customers without repeat purchases reduce to one term
    per distinct T; only the repeat customers' distinct rows cost a few
    vector operations each. With ``modified`` it is the MBG/NBD likelihood
    (Batislam et al. 2007): ``b`` shifts to ``b + 1`` in the beta terms and
    every customer, repeat purchases or not, has the dropout term.
    """
    from scipy import special  # noqa: PLC0415  (optional 'models' extra)

    c = compress(data.frequency, data.recency, data.T)
    n = data.n
    xu = c.x_values
    w_all = c.weight / n
    wx = bincount(c.x_code, weights=w_all, minlength=xu.size)  # weight per x value
    rows_x = xu[c.x_code]
    m = 1.0 if modified else 0.0
    # rows are sorted by x, so the non-repeaters (x = 0) come first
    first_rep = 0 if modified else int(np.searchsorted(rows_x, 0.5))
    t_vals = c.b_values
    tx_vals = c.a_values
    w0_t = bincount(c.b_code[:first_rep], weights=w_all[:first_rep], minlength=t_vals.size)
    w = w_all[first_rep:]
    x_code = c.x_code[first_rep:]
    x = rows_x[first_rep:]
    t_code = c.b_code[first_rep:]
    tx_code = c.a_code[first_rep:]

    w_x = w * x

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(log_theta)
        a1 = special.gammaln(r + xu) - special.gammaln(r) + r * np.log(alpha)
        a2 = (
            special.gammaln(a + b)
            + special.gammaln(b + xu + m)
            - special.gammaln(b)
            - special.gammaln(a + b + xu + m)
        )
        log_at = np.log(alpha + t_vals)
        log_atx = np.log(alpha + tx_vals)
        inv_at = 1.0 / (alpha + t_vals)
        inv_atx = 1.0 / (alpha + tx_vals)
        b1 = b + xu + m - 1.0
        with np.errstate(all="ignore"):  # b + x - 1 <= 0 only at x = 0 of BG/NBD, never used
            log_ratio = np.log(a) - np.log(b1)
            inv_b1 = 1.0 / b1
        lt = log_at.take(t_code)
        diff = log_atx.take(tx_code) - lt  # log((alpha + t_x) / (alpha + T)) <= 0
        d = log_ratio.take(x_code) - (r + x) * diff  # l4 - l3 per repeat row
        # softplus(d) = log(1 + e^d) and pi = e^d / (1 + e^d) from one exponential
        big = d.size > 0 and float(d.max()) > _EXP_SAFE
        e = np.exp(np.minimum(d, _EXP_SAFE))
        stay = 1.0 / (1.0 + e)  # 1 - pi
        softplus = np.where(d > _EXP_SAFE, d, -np.log(stay)) if big else -np.log(stay)
        pi = 1.0 - stay
        w_lt = dot(w, lt)
        wx_lt = dot(w_x, lt)
        value = dot(wx, a1 + a2) - r * dot(w0_t, log_at) - r * w_lt - wx_lt + dot(w, softplus)
        wpi = w * pi
        # gradient of the mean log-likelihood with respect to (r, alpha, a, b)
        d_r = dot(wx, special.digamma(r + xu) - special.digamma(r) + np.log(alpha))
        d_r -= dot(w0_t, log_at) + w_lt + dot(wpi, diff)
        it = inv_at.take(t_code)
        blend = it + pi * (inv_atx.take(tx_code) - it)
        d_alpha = r / alpha - r * dot(w0_t, inv_at)
        d_alpha -= r * dot(w, blend) + dot(w_x, blend)
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + xu + m)
        sum_pi = float(wpi.sum())
        d_a = dot(wx, psi_ab - psi_abx) + sum_pi / a
        d_b = dot(wx, psi_ab + special.digamma(b + xu + m) - special.digamma(b) - psi_abx)
        d_b -= dot(wpi, inv_b1.take(x_code))
        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -value, -grad

    distinct = BTYDData(
        customer=None,
        frequency=rows_x,
        recency=tx_vals[c.a_code],
        T=t_vals[c.b_code],
        monetary_value=None,
    )
    return objective, distinct


def fit_bgnbd(
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    covariates: object | None = None,
    purchase_covariates: Sequence[str] | None = None,
    dropout_covariates: Sequence[str] | None = None,
) -> BGNBDFit:
    r"""Fit the BG/NBD model by maximum likelihood.

    Parameters
    ----------
    data : RFMData, mapping or DataFrame, optional
        Anything with per-customer ``frequency``, ``recency`` and ``T`` (a
        :class:`crmkit.segmentation.BTYDSummary`, a frame, a dict).
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*: repeat purchases
        (whole numbers >= 0), time of the last purchase after the first, and
        time from the first purchase to the end of observation, in one unit.
    covariates : DataFrame or mapping of columns, optional
        Static customer covariates: a ``customer`` column (every customer of
        *data* exactly once; *data* must carry customer ids) and one column
        per covariate. Text columns are coded as indicators of each level but
        the first (sorted).
    purchase_covariates, dropout_covariates : sequence of str, optional
        The covariate columns acting on the purchase process (``alpha_i =
        alpha exp(-g'z)``) and on the dropout process (``a_i = a exp(d'z)``,
        ``b_i = b exp(d'z)``); at least one when *covariates* is given.

    Returns
    -------
    BGNBDFit
        Parameters, log-likelihood and diagnostics.

    Raises
    ------
    InputError
        For negative or fractional frequency, recency above T, positive
        recency with zero frequency, missing columns, or a covariate table
        that misses a customer, repeats one or has a covariate without variation.
    FitError
        When the optimiser fails; the message gives its outcome.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Warns
    -----
    crmkit.errors.ConvergenceWarning
        When a parameter runs to a corner, the information matrix is not
        positive definite, the gradient at the optimum is large, or the
        fitted model keeps (almost) every customer alive.

    Notes
    -----
    The log-likelihood of customer :math:`i` with :math:`x` repeat purchases,
    the last at :math:`t_x`, observed for :math:`T` is (Fader, Hardie & Lee 2005, eq. 6)

    .. math::

        \ell = \ln\frac{\Gamma(r+x)\alpha^r}{\Gamma(r)}
        + \ln\frac{B(a, b+x)}{B(a, b)}
        + \ln\Big[(\alpha+T)^{-(r+x)}
        + \delta_{x>0}\frac{a}{b+x-1}(\alpha+t_x)^{-(r+x)}\Big].

    Customers with identical :math:`(x, t_x, T)` contribute identically, so
    the likelihood is evaluated once per distinct row (weighted by its count),
    and terms depending only on :math:`x`, :math:`t_x` or :math:`T` once per
    distinct value. It is maximised over the log parameters with L-BFGS-B and
    an analytic gradient; standard errors come from finite differences of
    that gradient (the observed information). Large bases start from the
    optimum on times rounded to a coarse grid, which has few distinct rows.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    Fit on a simulated base whose true parameters are known:

    >>> from crmkit.datasets import simulate_customer_base
    >>> from crmkit.segmentation import btyd_summary
    >>> base = simulate_customer_base(3_000, "2023-01-01", "2024-07-01", seed=3)
    >>> summary = btyd_summary(base.transactions, freq="week", as_of="2024-07-01")
    >>> fit = fit_bgnbd(summary)
    >>> fit.diagnostics.converged
    True
    >>> 0.1 < fit.r < 0.5 and fit.a / (fit.a + fit.b) < 0.5
    True
    """
    fn = "fit_bgnbd"
    require_models_extra(fn)
    rfm = read_rfm(data, frequency=frequency, recency=recency, T=T, function=fn)
    if covariates is not None or purchase_covariates is not None or dropout_covariates is not None:
        from crmkit.roi._models._covariate_fits import fit_bgnbd_covariates  # noqa: PLC0415

        return fit_bgnbd_covariates(
            rfm,
            covariates,
            purchase=purchase_covariates,
            dropout=dropout_covariates,
            function=fn,
        )
    optimum, distinct = fit_bg_family(rfm, modified=False)
    r, alpha, a, b = optimum.params.tolist()
    return BGNBDFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=optimum.log_likelihood,
        n_customers=rfm.n,
        n_distinct_rows=distinct.n,
        diagnostics=optimum.diagnostics,
    )


def bgnbd_from_params(
    *, r: float, alpha: float, a: float, b: float, covariates: CovariateEffects | None = None
) -> BGNBDFit:
    r"""Build a BG/NBD model from known parameters (published, simulated or a scenario).

    Parameters
    ----------
    r, alpha, a, b : float
        The BG/NBD parameters, each > 0 (see :class:`BGNBDFit`); with
        covariates, those of a customer whose covariates are all 0.
    covariates : CovariateEffects, optional
        Known covariate effects on the ``"purchase"`` and ``"dropout"``
        processes (a scenario, or the truth of a simulation).

    Returns
    -------
    BGNBDFit
        With ``log_likelihood`` NaN, no customers and diagnostics saying the
        parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0, or covariate effects
        on another process or without a coefficient per design column.

    Notes
    -----
    No fitting: the model of :func:`fit_bgnbd` at the given parameters, purchase rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` and dropout probability after each
    purchase :math:`p \sim \mathrm{Beta}(a, b)`; with covariates :math:`z`,
    :math:`\alpha_i = \alpha e^{-\gamma_1' z_i}` and :math:`a_i = a e^{\gamma_2' z_i}`,
    :math:`b_i = b e^{\gamma_2' z_i}` (CLVTools).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    The CDNOW estimates of Fader, Hardie & Lee (2005), Table 1:

    >>> bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426).params["alpha"]
    4.414
    """
    fn = "bgnbd_from_params"
    values = check_given_params({"r": r, "alpha": alpha, "a": a, "b": b}, function=fn)
    effects, extra = given_effects(covariates, ("purchase", "dropout"), function=fn)
    return BGNBDFit(
        r=values["r"],
        alpha=values["alpha"],
        a=values["a"],
        b=values["b"],
        log_likelihood=float("nan"),
        n_customers=0,
        n_distinct_rows=0,
        diagnostics=given_diagnostics((*_NAMES, *extra)),
        covariates=effects,
    )


def fit_bg_family(rfm: BTYDData, *, modified: bool) -> tuple[Optimum, BTYDData]:
    """Fit BG/NBD (or MBG/NBD with *modified*) on validated data; shared by both fits."""
    model = "MBG/NBD" if modified else "BG/NBD"
    objective, distinct = _objective(rfm, modified=modified)
    mean_t = float(np.mean(rfm.T)) or 1.0
    start = [1.0, max(mean_t, 1e-3), 1.0, 1.0]
    if distinct.n > _COARSE_ABOVE:
        # Warm start: the same likelihood with times rounded to a coarse grid has few
        # distinct rows and an optimum close to the exact one, so the exact fit needs few
        # steps. Times are counted in grid steps there; the model is scale-equivariant (only
        # alpha carries the time unit), so alpha is scaled back.
        step = float(distinct.T.max()) / _COARSE_GRID
        coarse = BTYDData(
            customer=None,
            frequency=rfm.frequency,
            recency=np.round(rfm.recency / step),
            T=np.round(rfm.T / step),
            monetary_value=None,
        )
        coarse_objective = _objective(coarse, modified=modified)[0]
        r0, alpha0, a0, b0 = prefit(coarse_objective, [1.0, _COARSE_GRID / 2, 1.0, 1.0])
        start = [r0, alpha0 * step, a0, b0]

    def alive_check(theta: FloatArray) -> list[str]:
        r, alpha, a, b = (float(v) for v in theta)
        x, t_x, T = distinct.frequency, distinct.recency, distinct.T
        alive = bg.p_alive((r, alpha, a, b), x, t_x, T, modified=modified)
        if float(np.min(alive)) > _ALIVE_CORNER:
            text = (
                f"{model}: every customer is alive with probability > {_ALIVE_CORNER} "
                f"(a={a:.3g}, b={b:.3g}): the data show no dropout, so the "
                "model cannot tell loyal from lapsed customers."
            )
            return [text]
        return []

    optimum = maximise(
        objective,
        start,
        names=_NAMES,
        model=model,
        n_customers=rfm.n,
        extra_warnings=alive_check,
        stacklevel=4,
    )
    return optimum, distinct
