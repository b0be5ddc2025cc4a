"""Kernels of the beta-geometric purchase models: BG/NBD and MBG/NBD.

Both models share one story: while alive a customer buys as a Poisson process
with rate ``lambda ~ Gamma(r, alpha)``, and drops out with probability
``p ~ Beta(a, b)`` at each repeat purchase (BG/NBD) or at each purchase,
including the first (MBG/NBD, ``modified``). Every formula below is written
once with ``m = 1`` for MBG/NBD and ``m = 0`` for BG/NBD: the MBG/NBD
customer has one more chance to drop out, so ``b`` moves to ``b + m`` in the
posterior and the dropout term is present for every customer.

The kernels take validated arrays; the parameters ``alpha``, ``a`` and ``b``
may be per-row arrays (covariate models) or scalars. Nothing here checks
input.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from crmkit.roi._models._special import log_hyp2f1

__all__ = [
    "alive_ahead",
    "alive_expected",
    "alive_expected_sum",
    "conditional_expected",
    "discounted_expected",
    "loglik_rows",
    "p_alive",
    "pmf",
    "unconditional_expected",
]

FloatArray = npt.NDArray[np.float64]
Param = FloatArray | float
IntArray = npt.NDArray[np.int64]
Theta = tuple[float, Param, Param, Param]  # (r, alpha, a, b); alpha, a, b may be per row

_A_NEAR_ONE: Final = 1e-5  # |a - 1| below which E[Y(t)] uses the symmetric limit
_C_NEAR_ZERO: Final = 1e-12  # a + b + x - 1 treated as 0 (x = 0 and a + b = 1)
_LAGUERRE_NODES: Final = 40  # Gauss-Laguerre nodes of the discounted expectation
_CONCENTRATED: Final = 1e4  # a + b + x above which the dropout posterior is a narrow peak
_CHEBYSHEV: Final = 24  # interpolation points in log c per distinct x (alive_expected_sum)
_CHEBYSHEV_MAX: Final = 96


def _beta_moments(a: Param, b: Param) -> tuple[Any, Any, Any, Any]:
    """Mean and 2nd to 4th central moments of Beta(a, b)."""
    n = a + b
    mean = a / n
    var = a * b / (n * n * (n + 1.0))
    m3 = 2.0 * a * b * (b - a) / (n**3 * (n + 1.0) * (n + 2.0))
    m4 = (
        3.0 * a * b * (a * b * (n - 6.0) + 2.0 * n * n) / (n**4 * (n + 1.0) * (n + 2.0) * (n + 3.0))
    )
    return mean, var, m3, m4


def _power_derivatives(p: Param, c: Param, k: Param) -> list[Any]:
    """Return (1 + c p)^-k and its first four derivatives in p."""
    out = []
    rising: Param = 1.0
    for j in range(5):
        out.append((-1.0) ** j * rising * c**j * np.exp(-(k + j) * np.log1p(c * p)))
        rising = rising * (k + j)
    return out


def _use_expansion(a: Param, b: Param, c: Param, k: Param, exact: FloatArray) -> Any:  # noqa: ANN401
    """Choose the expansion: for a narrow peak (k c sd(p) < 0.01), or where the exact form failed.

    Both conditions need a + b >= 1e4; below, the closed forms are used as they are.
    """
    n = a + b
    with np.errstate(all="ignore"):
        spread = k * c * np.sqrt(a * b / (n * n * (n + 1.0)))
        return (n >= _CONCENTRATED) & ((spread < 1e-2) | ~np.isfinite(exact))


def _quadrature_mean(a: Param, b: Param, c: Param, k: Param, *, divide: bool) -> FloatArray:
    """E[f(p)] for p ~ Beta(a, b) by adaptive quadrature, one distinct row at a time.

    The last resort where neither the closed form nor the expansion gives a
    value within the bounds the expectation must satisfy (parameters far apart,
    e.g. r = 1000 with a = 10). f is bounded on [0, 1] but, for large c k, falls
    steeply near 0; QUADPACK's QAWS integrates the beta weight's endpoint
    singularities exactly and subdivides where f changes.
    """
    from scipy import integrate, special  # noqa: PLC0415

    cols = [np.asarray(v, dtype=np.float64).ravel() for v in np.broadcast_arrays(a, b, c, k)]
    uniq, inverse = np.unique(np.column_stack(cols), axis=0, return_inverse=True)
    values = np.empty(uniq.shape[0])
    for i, (ai, bi, ci, ki) in enumerate(uniq.tolist()):
        # the beta density goes into the integrand in logs (normalised, so nothing
        # overflows); only exponents below 0 (endpoint singularities) stay in QAWS' weight
        up_a, up_b = max(ai - 1.0, 0.0), max(bi - 1.0, 0.0)
        log_norm = float(special.betaln(ai, bi))

        def f(
            p: float,
            *,
            c_: float = ci,
            k_: float = ki,
            shape: tuple[float, ...] = (up_a, up_b, log_norm),
        ) -> float:
            up_a_, up_b_, log_norm_ = shape
            if (p <= 0.0 and up_a_ > 0) or (p >= 1.0 and up_b_ > 0):
                return 0.0  # the density's limit at the endpoint
            log_a = up_a_ * math.log(p) if up_a_ > 0 else 0.0
            log_b = up_b_ * math.log1p(-p) if up_b_ > 0 else 0.0
            density = math.exp(log_a + log_b - log_norm_)
            if c_ * p < 1e-12:
                return density * (c_ * k_ if divide else 1.0)
            power = -k_ * math.log1p(c_ * p)
            return density * (-math.expm1(power) / p if divide else math.exp(power))

        with warnings.catch_warnings():  # a coarse result is still the best value available
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            if ai >= 1.0 and bi >= 1.0:
                mean = ai / (ai + bi)
                sd = math.sqrt(ai * bi / ((ai + bi) ** 2 * (ai + bi + 1.0)))
                points = sorted(
                    {min(max(mean + z * sd, 1e-300), 1.0 - 1e-16) for z in (-8, -2, 0, 2, 8)}
                )
                total = integrate.quad(f, 0.0, 1.0, points=points, limit=400)
            else:
                total = integrate.quad(
                    f,
                    0.0,
                    1.0,
                    weight="alg",
                    wvar=(min(ai - 1.0, 0.0), min(bi - 1.0, 0.0)),
                    limit=400,
                )
        values[i] = total[0]
    return values[inverse.ravel()].reshape(np.broadcast(a, b, c, k).shape)


def _concentrated_mean(a: Param, b: Param, c: Param, k: Param, *, divide: bool) -> FloatArray:
    """E[f(p)] for p ~ Beta(a, b) concentrated (a + b >= 1e4), by its 4th-order expansion.

    f(p) = (1 + c p)^-k, or (1 - (1 + c p)^-k) / p with *divide*. The error is
    of order (k c sd(p))^6: below 1e-12 relative where the peak is narrow, and
    the best value available where the hypergeometric closed forms overflow.
    """
    mean, var, m3, m4 = _beta_moments(a, b)
    d = _power_derivatives(mean, c, k)
    if divide:
        h = [1.0 - d[0]] + [-dj for dj in d[1:]]  # h = 1 - (1 + c p)^-k
        inv = [(-1.0) ** j * math.factorial(j) / mean ** (j + 1) for j in range(5)]
        d = [sum(math.comb(n, i) * h[i] * inv[n - i] for i in range(n + 1)) for n in range(5)]
    return np.asarray(d[0] + d[2] * var / 2.0 + d[3] * m3 / 6.0 + d[4] * m4 / 24.0)


def _m(modified: bool) -> float:
    return 1.0 if modified else 0.0


def loglik_rows(
    theta: Theta, x: FloatArray, t_x: FloatArray, T: FloatArray, *, modified: bool
) -> tuple[FloatArray, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
    """Return the per-row log-likelihood and its derivatives with respect to (r, alpha, a, b)."""
    from scipy import special  # noqa: PLC0415

    r, alpha, a, b = theta
    m = _m(modified)
    present = np.ones(x.shape, dtype=bool) if modified else x > 0
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x + m) - special.betaln(a, b)
    l_t = np.log(alpha + T)
    l_tx = np.log(alpha + t_x)
    a3 = -(r + x) * l_t
    with np.errstate(divide="ignore", invalid="ignore"):  # b + x - 1 <= 0 only where absent
        a4 = np.where(present, np.log(a) - np.log(b + x + m - 1.0) - (r + x) * l_tx, -np.inf)
        inv_b1 = np.where(present, 1.0 / (b + x + m - 1.0), 0.0)
    ll = a1 + a2 + np.logaddexp(a3, a4)
    pi = np.where(present, special.expit(a4 - a3), 0.0)
    d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha) - (1 - pi) * l_t - pi * l_tx
    d_alpha = r / alpha - (r + x) * ((1 - pi) / (alpha + T) + pi / (alpha + t_x))
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + x + m)
    d_a = psi_ab - psi_abx + pi / a
    d_b = psi_ab + special.digamma(b + x + m) - special.digamma(b) - psi_abx - pi * inv_b1
    return ll, (d_r, d_alpha, d_a, d_b)


def p_alive(
    theta: Theta, x: FloatArray, t_x: FloatArray, T: FloatArray, *, modified: bool
) -> FloatArray:
    """Return P(alive | x, t_x, T), from its log-odds (stable for every finite input)."""
    from scipy import special  # noqa: PLC0415

    r, alpha, a, b = theta
    m = _m(modified)
    present = np.ones(x.shape, dtype=bool) if modified else x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = np.where(
            present,
            np.log(a)
            - np.log(b + x + m - 1.0)
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
            -np.inf,
        )
    return np.asarray(special.expit(-log_odds), dtype=np.float64)


def _bracket(theta: Theta, x: FloatArray, T: FloatArray, t: Param, m: float) -> FloatArray:
    """Return (c/(a-1)) [1 - (1-z)^(a-1) 2F1(a+b'-1-r, a-1; c; z)], c = a+b'+x-1, b' = b+m.

    The closed form of FHL (2005) eq. 10 written through Euler's transformation
    2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z): the parameters no
    longer grow with x, so the hypergeometric stays near 1 where the original
    overflows, and 1 - e^L is taken as -expm1(L).
    """
    from scipy import special  # noqa: PLC0415

    r, alpha, a, b = theta
    bp = b + m
    z = t / (alpha + T + t)
    c = a + bp + x - 1.0
    log1mz = np.log(alpha + T) - np.log(alpha + T + t)  # log(1 - z), exact as z nears 1
    log_hyp = log_hyp2f1(a + bp - 1.0 - r, a - 1.0, c, z)
    safe = np.isfinite(log_hyp)
    with np.errstate(all="ignore"):
        term = c / (a - 1.0) * -np.expm1((a - 1.0) * log1mz + np.where(safe, log_hyp, 0.0))
        if not safe.all():
            # a non-positive 2F1 (possible only when c < 0): the direct form, where needed
            direct = (
                c
                / (a - 1.0)
                * (
                    1.0
                    - np.exp((a - 1.0) * log1mz) * special.hyp2f1(a + bp - 1.0 - r, a - 1.0, c, z)
                )
            )
            term = np.where(safe, term, direct)
        degenerate = np.abs(c) < _C_NEAR_ZERO
        if np.any(degenerate):
            # lim_{c -> 0} c 2F1(p, q; c; z) = p q z 2F1(p + 1, q + 1; 2; z) on the original form
            p_, q_ = r + x, bp + x
            ratio = np.exp((r + x) * log1mz)
            limit = -ratio * p_ * q_ * z * special.hyp2f1(p_ + 1.0, q_ + 1.0, 2.0, z) / (a - 1.0)
            term = np.where(degenerate, limit, term)
    concentrated = _use_expansion(a, bp + x, t / (alpha + T), r + x, term)
    if np.any(concentrated):
        # E_p[(1 - (1 + c p)^-(r+x)) / p] with p ~ Beta(a, b' + x), c = t / (alpha + T)
        with np.errstate(all="ignore"):
            peak = _concentrated_mean(a, bp + x, t / (alpha + T), r + x, divide=True)
        term = np.where(concentrated, peak, term)
    # E_p[g(p)] lies between g(1) = 1 - (1 + c)^-k and c k (g falls from c k at p = 0):
    # a value outside is the closed form failing, as scipy's hyp2f1 can for parameters
    # far apart, and the quadrature takes over
    with np.errstate(all="ignore"):
        c0, k0 = t / (alpha + T), r + x
        low = -np.expm1(-k0 * np.log1p(c0))
        failed = ~((term >= low * (1 - 1e-9)) & (term <= c0 * k0 * (1 + 1e-9)))
    failed = failed & (np.asarray(z) > 0)
    if np.any(failed):
        rows = np.broadcast_arrays(a, bp + x, t / (alpha + T), r + x)
        fallback = _quadrature_mean(*(v[failed] for v in rows), divide=True)
        term = np.asarray(term, dtype=np.float64).copy()
        term[failed] = fallback
    return np.asarray(np.where(np.asarray(z) == 0, 0.0, term), dtype=np.float64)


def _bracket_any_a(theta: Theta, x: FloatArray, T: FloatArray, t: Param, m: float) -> FloatArray:
    """Return :func:`_bracket` with the removable singularity at a = 1 replaced by its limit.

    Where ``|a - 1| < 1e-5`` the mean of the values at ``1 -/+ 1e-5`` is used
    (the bracket is smooth in a, so the error is about 1e-10 relative).
    """
    r, alpha, a, b = theta
    a_arr = np.broadcast_to(np.asarray(a, dtype=np.float64), np.broadcast(x, T, t, a).shape)
    near = np.abs(a_arr - 1.0) < _A_NEAR_ONE
    if not near.any():
        return _bracket((r, alpha, a_arr, b), x, T, t, m)
    away = np.where(near, 2.0, a_arr)
    term = _bracket((r, alpha, away, b), x, T, t, m)
    low = _bracket((r, alpha, np.full(a_arr.shape, 1.0 - _A_NEAR_ONE), b), x, T, t, m)
    high = _bracket((r, alpha, np.full(a_arr.shape, 1.0 + _A_NEAR_ONE), b), x, T, t, m)
    return np.where(near, 0.5 * (low + high), term)


def alive_expected(
    theta: Theta, x: FloatArray, T: FloatArray, t: Param, *, modified: bool
) -> FloatArray:
    """Return E[Y(t) | alive, x, T]: the bracket of eq. 10 (the history enters through x, T)."""
    return np.maximum(_bracket_any_a(theta, x, T, t, _m(modified)), 0.0)


def p_alive_coded(
    theta: tuple[float, float, float, float],
    values: tuple[FloatArray, FloatArray, FloatArray],
    codes: tuple[IntArray, IntArray, IntArray],
    *,
    modified: bool,
) -> FloatArray:
    """Return :func:`p_alive` from the distinct x, t_x and T values and each row's codes.

    The logs are taken once per distinct value; per row only gathers, a
    multiply-add and the logistic remain (the prediction intervals evaluate the
    same rows under hundreds of parameter draws).
    """
    from scipy import special  # noqa: PLC0415

    r, alpha, a, b = theta
    m = _m(modified)
    (ux, u_tx, u_t), (xc, txc, tc) = values, codes
    with np.errstate(divide="ignore", invalid="ignore"):
        head = np.where((ux > 0) | (m > 0), np.log(a) - np.log(b + ux + m - 1.0), -np.inf)
    log_odds = head[xc] + (r + ux)[xc] * (np.log(alpha + u_t)[tc] - np.log(alpha + u_tx)[txc])
    return np.asarray(special.expit(-log_odds), dtype=np.float64)


def unique_groups(
    x: FloatArray, T: FloatArray
) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
    """Return the distinct x and T values and the code of each row (for alive_expected_sum)."""
    ux, x_code = np.unique(x, return_inverse=True)
    u_t, t_code = np.unique(T, return_inverse=True)
    return ux, x_code.astype(np.int64), u_t, t_code.astype(np.int64)


def alive_expected_sum(
    theta: Theta,
    x: FloatArray,
    T: FloatArray,
    ends: FloatArray,
    weights: FloatArray,
    *,
    modified: bool,
    groups: tuple[FloatArray, IntArray, FloatArray, IntArray] | None = None,
) -> FloatArray:
    """Return sum_j weights_j E[Y(ends_j) | alive, x, T] per row, fast (scalar parameters).

    The bracket depends on (x, T, t) only through x and c = t / (alpha + T),
    analytically in log c. It is evaluated per distinct x at 24 to 96
    Chebyshev points of log c over the range every row needs (8 per unit of
    log c), so the weighted sum over the t's becomes, per x and T, a dot
    product of the Chebyshev coefficients (per x) with the weighted Chebyshev
    polynomials (per distinct T): a few dozen hypergeometric evaluations per
    distinct x instead of one per (x, T, t).
    The error is below 1e-9 relative (tested against the direct values). Used
    by the prediction intervals, which evaluate the same rows under hundreds
    of parameter draws.
    """
    alpha = theta[1]
    ux, x_code, u_t, t_code = groups if groups is not None else unique_groups(x, T)
    log_c = np.log(ends)[:, None] - np.log(alpha + u_t)[None, :]  # (K, n_T)
    lo, hi = float(log_c.min()), float(log_c.max())
    # nodes for about 1e-12: 24 over a range of 3 in log c (a factor 20), more for wider ones
    size = int(min(_CHEBYSHEV_MAX, max(_CHEBYSHEV, np.ceil(8.0 * (hi - lo)))))
    if ux.size * size >= x.size * ends.size or not hi - lo > 1e-9:
        parts = [alive_expected(theta, x, T, t, modified=modified) for t in ends.tolist()]
        return np.asarray(weights @ np.stack(parts), dtype=np.float64)
    k = np.arange(size)
    nodes = np.cos(np.pi * (k + 0.5) / size)  # on [-1, 1]
    node_c = np.exp(0.5 * (hi + lo) + 0.5 * (hi - lo) * nodes)
    # c = t / alpha at T = 0
    values = alive_expected(
        theta, ux[None, :], np.zeros((1, 1)), (node_c * alpha)[:, None], modified=modified
    )
    basis = np.cos(np.outer(k, np.pi * (k + 0.5) / size))
    coef = (2.0 / size) * basis @ values  # (n, n_x)
    coef[0] *= 0.5
    u = np.clip((2.0 * log_c - (hi + lo)) / (hi - lo), -1.0, 1.0)  # (K, n_T)
    chebyshev = np.cos(k[:, None, None] * np.arccos(u)[None, :, :])  # (n, K, n_T)
    weighted = np.einsum("j,mjt->mt", weights, chebyshev)  # (n, n_T)
    grid = coef.T @ weighted  # (n_x, n_T)
    return np.asarray(np.maximum(grid[x_code, t_code], 0.0), dtype=np.float64)


def conditional_expected(
    theta: Theta, x: FloatArray, t_x: FloatArray, T: FloatArray, t: Param, *, modified: bool
) -> FloatArray:
    """Return E[Y(t) | x, t_x, T]: expected purchases in the next t time units."""
    bracket = _bracket_any_a(theta, x, T, t, _m(modified))
    alive = p_alive(theta, x, t_x, T, modified=modified)
    return np.asarray(np.maximum(bracket, 0.0) * alive, dtype=np.float64)


def unconditional_expected(theta: Theta, t: FloatArray, *, modified: bool) -> FloatArray:
    """Return E[X(t)]: expected repeat purchases of a new customer in their first t units."""
    zero = np.zeros(np.shape(t))
    return conditional_expected(theta, zero, zero, zero, t, modified=modified)


def pmf(theta: Theta, t: float, n: npt.NDArray[np.int64], *, modified: bool) -> FloatArray:
    """Return P(X(t) = n) for a new customer (FHL 2005 eq. 8; Batislam et al. 2007 for MBG/NBD).

    ``n`` is a column of counts (shape (k, 1)) when the parameters are per-row
    arrays: the result is then (k, rows).
    """
    from scipy import special  # noqa: PLC0415

    r, alpha, a, b = theta
    m = _m(modified)
    nf = n.astype(np.float64)
    p = alpha / (alpha + t)
    log_nb = (
        special.gammaln(r + nf)
        - special.gammaln(r)
        - special.gammaln(nf + 1.0)
        + r * np.log(p)
        + nf * np.log1p(-p)
    )
    first = np.exp(special.betaln(a, b + nf + m) - special.betaln(a, b) + log_nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        # P(N <= n - 1) for N ~ NB(r, p) is the regularised incomplete beta I_p(r, n)
        cdf = np.where(nf > 0, special.betainc(r, np.maximum(nf, 1.0), p), 0.0)
        weight = np.where(
            (nf > 0) | (m > 0),
            np.exp(special.betaln(a + 1.0, b + nf + m - 1.0) - special.betaln(a, b)),
            0.0,
        )
    return np.asarray(first + weight * (1.0 - cdf), dtype=np.float64)


def alive_ahead(
    theta: Theta, x: FloatArray, t_x: FloatArray, T: FloatArray, t: Param, *, modified: bool
) -> FloatArray:
    """Return P(alive at T + t | x, t_x, T).

    Given alive at T, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x + m);
    the customer survives the next t units with probability E[exp(-lambda p t)]
    = E_p[(1 + p t / (alpha + T))^-(r + x)] = 2F1(r + x, a; a + b + x + m; -c),
    written through the Pfaff and Euler transformations as
    (1 + c)^-a 2F1(a + b + m - r, a; a + b + x + m; c / (1 + c)).
    """
    r, alpha, a, b = theta
    m = _m(modified)
    c = t / (alpha + T)
    z = c / (1.0 + c)
    log_factor = -a * np.log1p(c) + log_hyp2f1(a + b + m - r, a, a + b + x + m, z)
    # a log above 0 is already out of range (and would overflow): the checks below catch it
    factor = np.exp(np.minimum(np.where(np.isfinite(log_factor), log_factor, -np.inf), 1.0))
    concentrated = _use_expansion(a, b + x + m, c, r + x, log_factor)
    if np.any(concentrated):
        with np.errstate(all="ignore"):
            peak = _concentrated_mean(a, b + x + m, c, r + x, divide=False)
        factor = np.where(concentrated, peak, factor)
    with np.errstate(all="ignore"):
        floor = np.exp(-(r + x) * np.log1p(c))  # E[(1 + c p)^-k] lies in [(1 + c)^-k, 1]
        failed = ~concentrated & ~((factor >= floor * (1 - 1e-9)) & (factor <= 1 + 1e-9))
    failed = failed & (np.asarray(c) > 0)
    if np.any(failed):
        rows = np.broadcast_arrays(a, b + x + m, c, r + x)
        factor = np.asarray(np.broadcast_to(factor, failed.shape), dtype=np.float64).copy()
        factor[failed] = _quadrature_mean(*(v[failed] for v in rows), divide=False)
    factor = np.clip(factor, 0.0, 1.0)
    alive = p_alive(theta, x, t_x, T, modified=modified)
    return np.asarray(alive * factor, dtype=np.float64)


def discounted_expected(
    theta: Theta, x: FloatArray, t_x: FloatArray, T: FloatArray, delta: float, *, modified: bool
) -> FloatArray:
    r"""Return DERT, :math:`\int_0^\infty e^{-\delta t}\,dE[Y(t)]`.

    Integrated by parts, :math:`\int_0^\infty e^{-u} E[Y(u/\delta)]\,du`, and
    evaluated with Gauss-Laguerre quadrature (40
    nodes; E[Y(t)] is smooth and grows at most like a power of t).
    """
    nodes, weights = np.polynomial.laguerre.laggauss(_LAGUERRE_NODES)
    m = _m(modified)
    shape = np.broadcast(x, T, *theta).shape
    total = np.zeros(shape)
    for u, w in zip(nodes.tolist(), weights.tolist(), strict=True):
        total += w * np.maximum(_bracket_any_a(theta, x, T, u / delta, m), 0.0)
    alive = p_alive(theta, x, t_x, T, modified=modified)
    return np.asarray(total * alive, dtype=np.float64)
