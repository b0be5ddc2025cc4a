"""Root-finding kernels for IRR and XIRR, vectorised over scenario rows (inputs trusted).

With ``x = 1 / (1 + r)`` the NPV of periodic flows is the polynomial
``f(x) = sum_t c_t x^t`` and a rate > -1 is a root ``x > 0``. With
``u = log x = -log(1 + r)`` the NPV of dated flows is the exponential sum
``sum_i c_i exp(u tau_i)``. Descartes' rule of signs (which also holds for
real exponents) bounds the number of positive roots by the number of sign
changes of the coefficients, so:

* rows with one sign change have exactly one root. Split the flows at the
  change into the magnitudes ``P`` of the terms before it and ``N`` of the
  terms from it on; the root solves ``log N - log P = 0``, a function of
  ``u`` that increases with slope at least the gap between the last power of
  ``P`` and the first of ``N``. A Newton iteration in ``u`` safeguarded by
  bisection on a bracket that provably holds the root (Cauchy's bounds for
  periodic flows) converges for every row, quadratically near the root;
* rows with several sign changes get all their roots: periodic flows from
  the eigenvalues of the companion matrix (batched per degree, polished by
  Newton steps), dated flows by scanning a fine grid of ``u`` for sign
  changes and refining each by bisection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "exp_sum_roots",
    "merge_same_dates",
    "polynomial_roots",
    "sign_changes",
    "unique_exp_sum_root",
    "unique_polynomial_root",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MAX_ITER: Final = 200
_STEP_TOL: Final = 1e-14
_REAL_TOL: Final = 1e-6  # |imag| / |root| below which an eigenvalue counts as real
_RESIDUAL_TOL: Final = 1e-8  # |f(x)| / sum |c_t x^t| accepted for a polished root
_SAME_ROOT: Final = 1e-7  # relative distance under which two roots are one
U_LIMIT: Final = 60.0  # dated flows: rates from -1 + e^-60 to e^60 - 1 are searched
_GRID_DENSE: Final = 6001  # grid points for rates in (-99%, +1000%)
_GRID_SPARSE: Final = 600  # grid points on each side beyond that
_CHUNK_CELLS: Final = 1 << 22


def sign_changes(ct: FloatArray) -> IntArray:
    """Count the sign changes of each column of *ct* (periods x scenarios), zeros skipped."""
    changes = np.zeros(ct.shape[1], dtype=np.int64)
    previous = np.sign(ct[0])
    for t in range(1, ct.shape[0]):
        sign = np.sign(ct[t])
        changes += sign * previous < 0
        previous = np.where(sign != 0, sign, previous)
    return changes


def _ends(c: FloatArray) -> tuple[IntArray, IntArray]:
    """First and last non-zero column of each row (rows are assumed to have one)."""
    nz = c != 0
    first = np.argmax(nz, axis=1)
    last = c.shape[1] - 1 - np.argmax(nz[:, ::-1], axis=1)
    return first.astype(np.int64), last.astype(np.int64)


def _change_at(c: FloatArray, first: IntArray) -> IntArray:
    """Column of the first coefficient whose sign differs from the first non-zero one."""
    rows = np.arange(c.shape[0])
    lead = np.sign(c[rows, first])
    out: IntArray = np.argmax(np.sign(c) * lead[:, None] < 0, axis=1).astype(np.int64)
    return out


def _split(ct: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Scale each column of *ct* (periods x scenarios) to max |c| = 1; split it at its sign change.

    Returns the magnitudes of the terms before the change (``pos``) and from
    it on (``neg``), and the magnitudes of the first and last non-zero terms.
    """
    cs = ct / np.abs(ct).max(axis=0)
    nz = cs != 0
    rows = np.arange(ct.shape[1])
    first = cs[np.argmax(nz, axis=0), rows]
    last = cs[ct.shape[0] - 1 - np.argmax(nz[::-1], axis=0), rows]
    signed = cs * np.sign(first)
    return np.maximum(signed, 0.0), np.maximum(-signed, 0.0), np.abs(first), np.abs(last)


def _newton_bisect(
    u: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    phi_and_slope: Callable[[FloatArray], tuple[FloatArray, FloatArray]],
) -> FloatArray:
    """Solve the increasing ``phi(u) = 0`` per row by Newton steps, bisecting outside [lo, hi].

    A row stops once its step is below 1e-14 relative (or phi is exactly 0);
    stopped rows are not moved again.
    """
    done = np.zeros(u.size, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(_MAX_ITER):
            phi, slope = phi_and_slope(u)
            # a non-finite phi comes from overflow: the extreme terms decide its sign
            side = np.where(np.isfinite(phi), np.sign(phi), np.where(u > 0, 1.0, -1.0))
            lo = np.where(side < 0, u, lo)
            hi = np.where(side > 0, u, hi)
            new = u - phi / slope
            bisect = ~np.isfinite(new) | (new < lo) | (new > hi)
            new = np.where(bisect, 0.5 * (lo + hi), new)
            new = np.where(done | (side == 0), u, new)
            done |= (np.abs(new - u) <= _STEP_TOL * (1.0 + np.abs(new))) | (side == 0)
            u = new
            if bool(done.all()):
                break
    return u


def unique_polynomial_root(ct: FloatArray) -> FloatArray:
    """Find the one positive root ``x`` of ``sum_t c_t x^t`` of scenarios with one sign change.

    *ct* holds one scenario per column (periods x scenarios). Returns
    ``u = log x`` per scenario. With ``P(x)`` the magnitudes of the terms
    before the sign change and ``N(x)`` those from it on, the root solves
    ``phi(u) = log N(e^u) - log P(e^u) = 0``; ``phi`` increases with slope at
    least 1 (the mean power of ``N``'s terms minus that of ``P``'s), so
    Newton's method is well conditioned. The bracket is Cauchy's bounds on
    the positive roots, with every coefficient scaled to at most 1 in size.
    """
    n, s = ct.shape
    pos, neg, c_first, c_last = _split(ct)
    lo = np.nextafter(np.log(c_first / (c_first + 1.0)), -np.inf)  # x > |c_a| / (|c_a| + 1)
    hi = np.nextafter(np.log1p(1.0 / c_last), np.inf)  # x < 1 + 1 / |c_b|

    def phi_and_slope(u: FloatArray) -> tuple[FloatArray, FloatArray]:
        x = np.exp(u)
        p = pos[n - 1].copy()
        dp = np.zeros(s)
        q = neg[n - 1].copy()
        dq = np.zeros(s)
        for t in range(n - 2, -1, -1):
            dp *= x
            dp += p
            p *= x
            p += pos[t]
            dq *= x
            dq += q
            q *= x
            q += neg[t]
        return np.log(q) - np.log(p), x * (dq / q - dp / p)

    start = np.clip(np.full(s, -np.log1p(0.1)), lo, hi)
    return np.asarray(_newton_bisect(start, lo, hi, phi_and_slope), dtype=np.float64)


def polynomial_roots(c: FloatArray) -> tuple[IntArray, FloatArray]:
    """Every positive real root ``x`` of ``sum_t c_t x^t``; rows need a non-zero coefficient.

    Batched companion-matrix eigenvalues per polynomial degree, then up to
    three Newton steps each (kept only where they reduce the residual);
    near-duplicates (relative 1e-7, as from a double root) are merged.
    Returns the row of each root and the roots, by row then ascending.
    """
    first, last = _ends(c)
    degree = last - first
    found_rows: list[IntArray] = []
    found: list[FloatArray] = []
    for d in np.unique(degree).tolist():
        if d == 0:
            continue
        members = np.flatnonzero(degree == d)
        cols = first[members, None] + np.arange(d + 1)
        coef = c[members[:, None], cols]
        monic = coef[:, :-1] / coef[:, -1:]
        companion = np.zeros((members.size, d, d))
        if d > 1:
            companion[:, np.arange(1, d), np.arange(d - 1)] = 1.0
        companion[:, :, -1] = -monic
        eig: npt.NDArray[np.complex128] = np.linalg.eigvals(companion).astype(np.complex128)
        x = _real_positive(eig, coef)
        pos, k = np.nonzero(np.isfinite(x))
        found_rows.append(members[pos])
        found.append(x[pos, k])
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    rows = np.concatenate(found_rows)
    roots = np.concatenate(found)
    order = np.lexsort((roots, rows))
    return rows[order], roots[order]


def _poly_eval(coef: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Value, derivative and sum of |terms| of row i's polynomial at each x[i, k] (Horner)."""
    f = np.broadcast_to(coef[:, -1:], x.shape).copy()
    df = np.zeros_like(x)
    size = np.abs(f)
    ax = np.abs(x)
    for k in range(coef.shape[1] - 2, -1, -1):
        df = df * x + f
        f = f * x + coef[:, k, None]
        size = size * ax + np.abs(coef[:, k, None])
    return f, df, size


def _real_positive(eig: npt.NDArray[np.complex128], coef: FloatArray) -> FloatArray:
    """Keep the eigenvalues that are positive real roots, polished; NaN elsewhere; rows sorted."""
    keep = (np.abs(eig.imag) <= _REAL_TOL * np.abs(eig)) & (eig.real > 0)
    x = np.where(keep, eig.real, 1.0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        f, df, size = _poly_eval(coef, x)
        for _ in range(3):
            better = x - f / df
            ok = np.isfinite(better) & (better > 0)
            f2, df2, size2 = _poly_eval(coef, np.where(ok, better, x))
            improve = ok & (np.abs(f2) < np.abs(f))
            x = np.where(improve, better, x)
            f = np.where(improve, f2, f)
            df = np.where(improve, df2, df)
            size = np.where(improve, size2, size)
        valid = keep & (np.abs(f) <= _RESIDUAL_TOL * size)
    x = np.sort(np.where(valid, x, np.nan), axis=1)
    if x.shape[1] > 1:
        same = np.zeros(x.shape, dtype=bool)
        same[:, 1:] = np.diff(x, axis=1) <= _SAME_ROOT * x[:, 1:]
        x = np.where(same, np.nan, x)
    return x


def merge_same_dates(c: FloatArray, tau: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sum the columns of flows falling on the same date (they are discounted together)."""
    starts = np.flatnonzero(np.r_[True, np.diff(tau) > 0])
    if starts.size == tau.size:
        return c, tau
    return np.add.reduceat(c, starts, axis=1), tau[starts]


def _scaled_sum(c: FloatArray, tau: FloatArray, u: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``sum_i c_i e^{u tau_i}`` and its u-derivative, both divided by ``e^{max_i u tau_i}``.

    The common positive factor keeps every term finite and changes neither the
    sign nor the Newton step (their ratio).
    """
    expo = u[:, None] * tau[None, :]
    expo -= expo.max(axis=1, keepdims=True)
    w = np.exp(expo) * c
    return w.sum(axis=1), (w * tau[None, :]).sum(axis=1)


def _log_sum(
    magnitude: FloatArray, tau: FloatArray, u: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``log sum_i m_i e^{u tau_i}`` (log-sum-exp, never overflows) and its u-derivative."""
    expo = u[:, None] * tau[None, :]
    top = np.where(magnitude > 0, expo, -np.inf).max(axis=1, keepdims=True)
    w = magnitude * np.exp(expo - top)
    total = w.sum(axis=1)
    return np.log(total) + top[:, 0], (w * tau[None, :]).sum(axis=1) / total


def unique_exp_sum_root(c: FloatArray, tau: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Find the one root ``u`` of ``sum_i c_i e^{u tau_i}`` of rows with one sign change.

    Returns ``u`` and whether the root lies within ``|u| <= U_LIMIT`` (rows
    outside have their ``u`` set to NaN). As for periodic flows, the root
    solves ``log N(u) - log P(u) = 0``, increasing in ``u``, here evaluated
    as log-sum-exps so that no term overflows.
    """
    s = c.shape[0]
    pos_t, neg_t, _, _ = _split(np.ascontiguousarray(c.T))
    pos, neg = pos_t.T, neg_t.T

    def phi_and_slope(u: FloatArray) -> tuple[FloatArray, FloatArray]:
        log_q, dq = _log_sum(neg, tau, u)
        log_p, dp = _log_sum(pos, tau, u)
        return log_q - log_p, dq - dp

    lo = np.full(s, -U_LIMIT)
    hi = np.full(s, U_LIMIT)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = (phi_and_slope(lo)[0] < 0) & (phi_and_slope(hi)[0] > 0)
    start = np.full(s, -np.log1p(0.1))
    u = _newton_bisect(start, lo, hi, phi_and_slope)
    return np.where(inside, u, np.nan), inside


def _grid() -> FloatArray:
    dense = np.linspace(-np.log1p(10.0), -np.log1p(-0.99), _GRID_DENSE)
    left = np.linspace(-U_LIMIT, dense[0], _GRID_SPARSE, endpoint=False)
    right = np.linspace(dense[-1], U_LIMIT, _GRID_SPARSE + 1)[1:]
    out: FloatArray = np.concatenate([left, dense, right])
    return out


def exp_sum_roots(c: FloatArray, tau: FloatArray) -> tuple[IntArray, FloatArray]:
    """Roots ``u`` of ``sum_i c_i e^{u tau_i}`` found by a grid scan; by row, then ascending.

    The grid spans ``|u| <= U_LIMIT`` with a step of about 0.0012 in
    ``log(1 + r)`` for rates between -99% and +1000% (0.1 beyond). A root of
    even multiplicity (the NPV touches zero without crossing it), or two
    roots closer together than one step, are not found.
    """
    grid = _grid()
    expo = grid[:, None] * tau[None, :]
    weights = np.exp(expo - expo.max(axis=1, keepdims=True))  # (G, n), rows scaled to <= 1
    found_rows: list[IntArray] = []
    found: list[FloatArray] = []
    chunk = max(1, _CHUNK_CELLS // grid.size)
    for begin in range(0, c.shape[0], chunk):
        block = c[begin : begin + chunk]
        sign = np.sign(block @ weights.T)  # (m, G)
        row, at = np.nonzero(sign[:, :-1] * sign[:, 1:] < 0)
        zrow, zat = np.nonzero(sign == 0)
        coef = block[row]
        lo = grid[at]
        hi = grid[at + 1]
        f_lo, _ = _scaled_sum(coef, tau, lo)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            f_mid, _ = _scaled_sum(coef, tau, mid)
            left = np.sign(f_mid) == np.sign(f_lo)
            lo = np.where(left, mid, lo)
            f_lo = np.where(left, f_mid, f_lo)
            hi = np.where(left, hi, mid)
        found_rows += [row + begin, zrow + begin]
        found += [0.5 * (lo + hi), grid[zat]]
    rows = np.concatenate(found_rows).astype(np.int64)
    roots = np.concatenate(found)
    order = np.lexsort((roots, rows))
    return rows[order], roots[order]
