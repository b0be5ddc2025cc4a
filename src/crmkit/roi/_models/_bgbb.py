"""The BG/BB model (Fader, Hardie & Shang 2010): discrete-time, non-contractual.

Each period a customer has one transaction opportunity (a yearly donation, an
annual event, a monthly issue): while alive they transact with probability
``p ~ Beta(alpha, beta)``, and at the start of each period they drop out with
probability ``theta ~ Beta(gamma, delta)``. Data are (x, t_x, n): repeat
transactions in the n opportunities after the first, the last in
opportunity t_x; customers with the same (x, t_x, n) are one row with a
weight, so the fit runs on the compressed table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_amounts, check_same_length
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit._values import bad_rows_error
from crmkit.errors import InputError
from crmkit.roi._models._btyd_data import BTYDData, compress, dot, read_rfm, require_models_extra
from crmkit.roi._models._fit import (
    FitDiagnostics,
    check_given_params,
    given_diagnostics,
    maximise,
)
from crmkit.roi._models._special import log_gamma_slope, log_hyp2f1_unit

__all__ = ["BGBBFit", "BGBBKernel", "bgbb_from_params", "fit_bgbb", "read_discrete"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_NAMES: Final = ("alpha", "beta", "gamma", "delta")


@attrs.frozen(kw_only=True, repr=False)
class BGBBFit(Result):
    """A fitted BG/BB model (Fader, Hardie & Shang 2010).

    Attributes
    ----------
    alpha, beta : float
        Shapes of the beta distribution of the transaction probability per
        opportunity while alive (mean ``alpha / (alpha + beta)``).
    gamma, delta : float
        Shapes of the beta distribution of the dropout probability per
        opportunity (mean ``gamma / (gamma + delta)``).
    log_likelihood : float
        Maximised log-likelihood.
    n_customers : int
        Customers fitted (the sum of the row weights).
    n_distinct_rows : int
        Distinct (x, t_x, n) rows the likelihood was evaluated on.
    diagnostics : FitDiagnostics
        Convergence, gradient norm, standard errors, covariance and warnings.

    Examples
    --------
    >>> model = bgbb_from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> round(model.alpha / (model.alpha + model.beta), 3)  # mean chance to give, while alive
    0.616
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "alpha": "number",
        "beta": "number",
        "gamma": "number",
        "delta": "number",
        "log_likelihood": "number",
    }

    alpha: float
    beta: float
    gamma: float
    delta: float
    log_likelihood: float
    n_customers: int
    n_distinct_rows: int
    diagnostics: FitDiagnostics

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a dict ``{"alpha", "beta", "gamma", "delta"}``."""
        return {"alpha": self.alpha, "beta": self.beta, "gamma": self.gamma, "delta": self.delta}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (NaN where not computable)."""
        return dict(self.diagnostics.standard_errors)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters."""
        return len(self.diagnostics.parameter_names)


def read_discrete(
    data: object,
    *,
    frequency: npt.ArrayLike | None,
    recency: npt.ArrayLike | None,
    T: npt.ArrayLike | None,
    function: str,
) -> BTYDData:
    """Read (x, t_x, n) columns: the BTYD checks plus whole-number recency and T."""
    rfm = read_rfm(data, frequency=frequency, recency=recency, T=T, function=function)
    for name, values in (("recency", rfm.recency), ("T", rfm.T)):
        fractional = values != np.floor(values)
        if fractional.any():
            bad = np.flatnonzero(fractional)
            raise InputError.for_rows(
                name,
                "must hold whole numbers of periods for a discrete-time model",
                positions=bad[:5].tolist(),
                values=values[bad[:5]].tolist(),
                n_bad=int(bad.size),
                function=function,
            )
    above = rfm.frequency > rfm.T
    if above.any():
        bad = np.flatnonzero(above)
        raise InputError.for_rows(
            "frequency",
            "must not exceed T (one transaction opportunity per period)",
            positions=bad[:5].tolist(),
            values=rfm.frequency[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=function,
        )
    return rfm


def _terms(x: FloatArray, t_x: FloatArray, n: FloatArray) -> tuple[IntArray, FloatArray]:
    """Row of each term of the likelihood sum and its index i (0..n-t_x-1); -1 is the alive term."""
    counts = (n - t_x).astype(np.int64)  # n - t_x dropout terms plus the alive term
    rows = np.repeat(np.arange(x.size, dtype=np.int64), counts + 1)
    starts = np.cumsum(counts + 1) - (counts + 1)
    i = (np.arange(rows.size, dtype=np.int64) - starts[rows] - 1).astype(np.float64)
    return rows, i


def _log_likelihood(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray, *, gradient: bool
) -> tuple[FloatArray, FloatArray | None]:
    """Per-row log-likelihood (FHS 2010, eq. 5) and its gradient (4, rows)."""
    from scipy import special  # noqa: PLC0415

    alpha, beta, gamma, delta = (float(v) for v in theta)
    rows, i = _terms(x, t_x, n)
    xr, txr, nr = x[rows], t_x[rows], n[rows]
    alive = i < 0
    # alive term: B(a+x, b+n-x) B(g, d+n);
    # dropout after opportunity t_x + i: B(a+x, b+t_x-x+i) B(g+1, d+t_x+i)
    q1 = np.where(alive, beta + nr - xr, beta + txr - xr + i)
    g1 = np.where(alive, gamma, gamma + 1.0)
    q2 = np.where(alive, delta + nr, delta + txr + i)
    p1 = alpha + xr
    log_term = special.betaln(p1, q1) + special.betaln(g1, q2)
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    top = np.maximum.reduceat(log_term, starts)
    e = np.exp(log_term - top[rows])
    total = np.add.reduceat(e, starts)
    const = special.betaln(alpha, beta) + special.betaln(gamma, delta)
    ll = top + np.log(total) - const
    if not gradient:
        return ll, None
    w = e / total[rows]
    psi_ab1 = special.digamma(p1 + q1)
    psi_gd2 = special.digamma(g1 + q2)
    parts = (
        special.digamma(p1) - psi_ab1,
        special.digamma(q1) - psi_ab1,
        special.digamma(g1) - psi_gd2,
        special.digamma(q2) - psi_gd2,
    )
    d_const = (
        special.digamma(alpha) - special.digamma(alpha + beta),
        special.digamma(beta) - special.digamma(alpha + beta),
        special.digamma(gamma) - special.digamma(gamma + delta),
        special.digamma(delta) - special.digamma(gamma + delta),
    )
    grad = np.vstack(
        [np.add.reduceat(w * part, starts) - dc for part, dc in zip(parts, d_const, strict=True)]
    )
    return ll, grad


def _objective(x: FloatArray, t_x: FloatArray, n: FloatArray, weight: FloatArray) -> Any:  # noqa: ANN401
    w = weight / weight.sum()

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(log_theta)
        ll, grad = _log_likelihood(theta, x, t_x, n, gradient=True)
        assert grad is not None  # noqa: S101
        return -dot(w, ll), -np.add.reduce(grad * w, axis=1) * theta

    return objective


def fit_bgbb(
    data: object | None = None,
    *,
    frequency: npt.ArrayLike | None = None,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
) -> BGBBFit:
    r"""Fit the BG/BB model by maximum likelihood, on per-customer or compressed (x, t_x, n) rows.

    Parameters
    ----------
    data : RFMData, mapping or DataFrame, optional
        Per-customer (or per-row) ``frequency`` x (repeat transactions in the
        n opportunities after the first), ``recency`` t_x (the opportunity of
        the last one, 0 if none) and ``T`` n (the opportunities observed), all
        whole numbers. A :class:`crmkit.segmentation.BTYDSummary` with yearly
        (or monthly, ...) periods is one.
    frequency, recency, T : array_like, shape (n,), optional
        The same columns as arrays, instead of *data*.
    weights : array_like of float, shape (n,), optional
        Customers per row, when the rows are the compressed table (as the
        published donation counts); > 0. Default: one customer per row.

    Returns
    -------
    BGBBFit
        Parameters, log-likelihood and diagnostics.

    Raises
    ------
    InputError
        For fractional recency or T, frequency above T, the BTYD checks of
        :func:`fit_bgnbd`, or weights that are not positive.
    FitError
        When the optimiser fails.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Warns
    -----
    crmkit.errors.ConvergenceWarning
        For a degenerate fit or a large final gradient.

    Notes
    -----
    The likelihood of a customer with history (x, t_x, n) (Fader, Hardie &
    Shang 2010, eq. 5) is

    .. math::

        L = \frac{B(\alpha+x, \beta+n-x)}{B(\alpha, \beta)}
        \frac{B(\gamma, \delta+n)}{B(\gamma, \delta)}
        + \sum_{i=0}^{n-t_x-1}
        \frac{B(\alpha+x, \beta+t_x-x+i)}{B(\alpha, \beta)}
        \frac{B(\gamma+1, \delta+t_x+i)}{B(\gamma, \delta)}:

    alive throughout, or dropped out after opportunity :math:`t_x + i`. The
    terms of all rows are laid out in one array and summed in log space per
    row; the gradient (digammas) comes with them. Rows are merged first, so a
    base of millions with a few cohorts costs a few hundred rows.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis
    in a discrete-time noncontractual setting. *Marketing Science*, 29(6),
    1086-1108.

    Examples
    --------
    The 1995 cohort of donors of Fader, Hardie & Shang (2010): 11,104 people,
    six annual opportunities after the first gift, as published counts:

    >>> donors = {
    ...     "frequency": [0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6],
    ...     "recency": [0, 1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 3, 4, 5, 6, 4, 5, 6, 5, 6, 6],
    ...     "T": [6] * 22,
    ... }
    >>> counts = [
    ...     3464,
    ...     1091,
    ...     277,
    ...     129,
    ...     78,
    ...     119,
    ...     129,
    ...     613,
    ...     255,
    ...     155,
    ...     173,
    ...     234,
    ...     322,
    ...     181,
    ...     225,
    ...     357,
    ...     240,
    ...     284,
    ...     512,
    ...     335,
    ...     728,
    ...     1203,
    ... ]
    >>> fit = fit_bgbb(donors, weights=counts)
    >>> {k: round(v, 3) for k, v in fit.params.items()}
    {'alpha': 1.204, 'beta': 0.75, 'gamma': 0.657, 'delta': 2.783}
    >>> fit.n_customers
    11104
    """
    fn = "fit_bgbb"
    require_models_extra(fn)
    rfm = read_discrete(data, frequency=frequency, recency=recency, T=T, function=fn)
    if weights is None:
        w = np.ones(rfm.n)
    else:
        # customer counts: positive, and (as amounts) summing to a finite total
        w, _ = as_amounts(weights, field="weights", function=fn)
        check_same_length({"frequency": rfm.n, "weights": w.shape[0]}, function=fn)
        if (w <= 0).any():
            raise bad_rows_error(w <= 0, w, field="weights", requirement="must be > 0", function=fn)
    c = compress(rfm.frequency, rfm.recency, rfm.T)
    key = (c.x_code * c.a_values.size + c.a_code) * c.b_values.size + c.b_code
    cust_key = (
        np.searchsorted(c.x_values, rfm.frequency) * c.a_values.size
        + np.searchsorted(c.a_values, rfm.recency)
    ) * c.b_values.size + np.searchsorted(c.b_values, rfm.T)
    weight = bincount(np.searchsorted(key, cust_key), weights=w, minlength=key.size).astype(
        np.float64
    )
    x, t_x, n = c.x_values[c.x_code], c.a_values[c.a_code], c.b_values[c.b_code]
    objective = _objective(x, t_x, n, weight)
    total = float(weight.sum())
    optimum = maximise(
        objective,
        [1.0, 1.0, 1.0, 1.0],
        names=_NAMES,
        model="BG/BB",
        n_customers=max(round(total), 1),
    )
    # the log-likelihood of the weighted rows (weights need not be whole)
    ll, _ = _log_likelihood(optimum.params, x, t_x, n, gradient=False)
    a, b, g, d = optimum.params.tolist()
    return BGBBFit(
        alpha=a,
        beta=b,
        gamma=g,
        delta=d,
        log_likelihood=dot(weight, ll),
        n_customers=round(total),
        n_distinct_rows=int(x.size),
        diagnostics=optimum.diagnostics,
    )


def bgbb_from_params(*, alpha: float, beta: float, gamma: float, delta: float) -> BGBBFit:
    r"""Build a BG/BB model from known parameters.

    Parameters
    ----------
    alpha, beta, gamma, delta : float
        The BG/BB parameters, each > 0 (see :class:`BGBBFit`).

    Returns
    -------
    BGBBFit
        With ``log_likelihood`` NaN and diagnostics saying the parameters were given.

    Raises
    ------
    InputError
        For a parameter that is not a finite number > 0.

    Notes
    -----
    No fitting: the model of :func:`fit_bgbb` at the given parameters: at each
    opportunity an alive customer transacts with probability
    :math:`p \sim \mathrm{Beta}(\alpha, \beta)` and then drops out with probability
    :math:`\theta \sim \mathrm{Beta}(\gamma, \delta)`.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis
    in a discrete-time noncontractual setting. *Marketing Science*, 29(6),
    1086-1108.

    Examples
    --------
    The donation estimates of Fader, Hardie & Shang (2010):

    >>> bgbb_from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).params["gamma"]
    0.657
    """
    values = check_given_params(
        {"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta},
        function="bgbb_from_params",
    )
    return BGBBFit(
        alpha=values["alpha"],
        beta=values["beta"],
        gamma=values["gamma"],
        delta=values["delta"],
        log_likelihood=float("nan"),
        n_customers=0,
        n_distinct_rows=0,
        diagnostics=given_diagnostics(_NAMES),
    )


def _ratio_difference(gamma: float, delta: float, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Return G(g+d)/G(1+d) [G(1+d+lo)/G(g+d+lo) - G(1+d+hi)/G(g+d+hi)] / (g - 1).

    With e = g - 1 and Q(x) = (ln G(x + e) - ln G(x)) / e (:func:`log_gamma_slope`,
    free of cancellation), the first ratio is exp(e (Q(1+d) - Q(1+d+lo))) and
    the bracket over e is that times (Q(1+d+hi) - Q(1+d+lo)) exprel(z), with
    z = e (Q(1+d+lo) - Q(1+d+hi)): the singularity at g = 1 is removed
    exactly, and nothing overflows for a large g.
    """
    from scipy import special  # noqa: PLC0415

    e = gamma - 1.0
    q_start = log_gamma_slope(1.0 + delta, e)
    q_lo = log_gamma_slope(1.0 + delta + lo, e)
    q_hi = log_gamma_slope(1.0 + delta + hi, e)
    head = e * (q_start - q_lo)
    return np.asarray(np.exp(head) * (q_hi - q_lo) * special.exprel(e * (q_lo - q_hi)))


@attrs.frozen(kw_only=True)
class BGBBKernel:
    """BG/BB predictions on validated (x, t_x, n) arrays (internal); t counts opportunities."""

    alpha: float
    beta: float
    gamma: float
    delta: float

    @property
    def theta(self) -> FloatArray:
        """The parameter vector."""
        return np.array([self.alpha, self.beta, self.gamma, self.delta])

    def _log_alive_term(
        self, x: FloatArray, n: FloatArray, ahead: FloatArray | float
    ) -> FloatArray:
        from scipy import special  # noqa: PLC0415

        a, b, g, d = self.alpha, self.beta, self.gamma, self.delta
        return np.asarray(
            special.betaln(a + x, b + n - x)
            - special.betaln(a, b)
            + special.betaln(g, d + n + ahead)
            - special.betaln(g, d)
        )

    def log_likelihood(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> FloatArray:
        """Per-row log-likelihood."""
        return _log_likelihood(self.theta, x, t_x, n, gradient=False)[0]

    def alive(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> FloatArray:
        """P(alive at opportunity n | x, t_x, n)."""
        return self.alive_ahead(x, t_x, n, 0.0)

    def alive_ahead(
        self, x: FloatArray, t_x: FloatArray, n: FloatArray, t: FloatArray | float
    ) -> FloatArray:
        """P(alive at opportunity n + t | x, t_x, n) (t = 1: FHS 2010 eq. A10)."""
        log = self._log_alive_term(x, n, t) - self.log_likelihood(x, t_x, n)
        return np.asarray(np.exp(np.minimum(log, 0.0)), dtype=np.float64)

    def expected(
        self, x: FloatArray, t_x: FloatArray, n: FloatArray, t: FloatArray | float
    ) -> FloatArray:
        """Return E[X(n, n + t) | x, t_x, n], transactions in the next t opportunities (eq. 13)."""
        return np.asarray(self.factor(x, t_x, n) * self.part(x, n, t), dtype=np.float64)

    def factor(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> FloatArray:
        """Return the part of eq. 13 that depends on the history but not on t."""
        from scipy import special  # noqa: PLC0415

        a, b, d = self.alpha, self.beta, self.delta
        log_pre = (
            special.betaln(a + x + 1.0, b + n - x)
            - special.betaln(a, b)
            - self.log_likelihood(x, t_x, n)
            + np.log(d)
        )
        return np.asarray(np.exp(log_pre), dtype=np.float64)

    def part(self, x: FloatArray, n: FloatArray, t: FloatArray | float) -> FloatArray:
        """Return the part of eq. 13 that depends on t (through n only)."""
        diff = _ratio_difference(self.gamma, self.delta, n + 0.0 * x, n + t)
        return np.asarray(np.maximum(diff, 0.0), dtype=np.float64)

    def unconditional(self, t: FloatArray) -> FloatArray:
        """Return E[X(t)], a new customer's expected transactions in their first t opportunities."""
        a, b, g, d = self.alpha, self.beta, self.gamma, self.delta
        pre = a / (a + b) * d
        return np.asarray(pre * _ratio_difference(g, d, np.zeros_like(t), t), dtype=np.float64)

    def pmf(self, t: float, counts: IntArray) -> FloatArray:
        """P(X(t) = x) for a new customer over t opportunities (FHS 2010 eq. 7)."""
        from scipy import special  # noqa: PLC0415

        a, b, g, d = self.alpha, self.beta, self.gamma, self.delta
        k = counts.astype(np.float64)
        log_binom = (
            special.gammaln(t + 1.0) - special.gammaln(k + 1.0) - special.gammaln(t - k + 1.0)
        )
        with np.errstate(invalid="ignore"):
            first = np.where(
                k <= t,
                np.exp(
                    log_binom
                    + special.betaln(a + k, b + t - k)
                    - special.betaln(a, b)
                    + special.betaln(g, d + t)
                    - special.betaln(g, d)
                ),
                0.0,
            )
        i = np.arange(int(t), dtype=np.float64)[None, :]  # opportunities 0..t-1
        kk = k[:, None]
        with np.errstate(invalid="ignore"):
            log_c = (
                special.gammaln(i + 1.0) - special.gammaln(kk + 1.0) - special.gammaln(i - kk + 1.0)
            )
            terms = np.where(
                i >= kk,
                np.exp(
                    log_c
                    + special.betaln(a + kk, b + i - kk)
                    - special.betaln(a, b)
                    + special.betaln(g + 1.0, d + i)
                    - special.betaln(g, d)
                ),
                0.0,
            )
        return np.asarray(first + terms.sum(axis=1), dtype=np.float64)

    def dert(self, x: FloatArray, t_x: FloatArray, n: FloatArray, d: float) -> FloatArray:
        """Return DERT at discount rate d per period (FHS 2010 eq. 14)."""
        from scipy import special  # noqa: PLC0415

        a, b, g, dl = self.alpha, self.beta, self.gamma, self.delta
        log = (
            special.betaln(a + x + 1.0, b + n - x)
            - special.betaln(a, b)
            + special.betaln(g, dl + n + 1.0)
            - special.betaln(g, dl)
            - np.log1p(d)
            + log_hyp2f1_unit(dl + n + 1.0, g + dl + n + 1.0, 1.0 / (1.0 + d))
            - self.log_likelihood(x, t_x, n)
        )
        return np.asarray(np.exp(log), dtype=np.float64)
