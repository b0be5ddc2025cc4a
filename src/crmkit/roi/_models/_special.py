"""Special functions of the customer-base models: a guarded 2F1 and a log-gamma slope.

``scipy.special.hyp2f1`` is the implementation used everywhere. In part of
the large-parameter region that these models reach for heavy buyers (for
instance ``hyp2f1(29.1, 49, 349.1, 0.999)``, whose series converges fast
because c - a - b is large) it returns NaN; there, and only there, the value
is summed from its power series, with the running sum rescaled so it cannot
overflow, and returned as a logarithm.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["SERIES_Z", "log_gamma_slope", "log_hyp2f1", "log_hyp2f1_unit"]

FloatArray = npt.NDArray[np.float64]

_BLOCK: Final = 64  # series terms per vectorised step (before the terms' peak)
_MAX_BLOCK: Final = 8192  # the longest step, once every row's terms are falling
_MAX_TERMS: Final = 200_000  # beyond this the series is given up (z within ~1e-4 of 1)
_RESCALE: Final = 1e200
SERIES_Z: Final = 0.9995  # up to here the series of 2F1(1, p; c; z) needs < ~80,000 terms
# Stirling's series of ln Gamma(z) beyond (z - 1/2) ln z - z + ln(2 pi)/2: c_j z^-(2j-1)
_STIRLING: Final = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
)
_STIRLING_FROM: Final = 10.0  # the truncation error there: ~1e-14 relative on the slope


def _series_log(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """Log 2F1(a, b; c; z) from the power series, for 0 <= z < 1 and a positive sum.

    Rows whose sum is not positive, or that do not converge within the term
    limit, get NaN.
    """
    n_rows = z.size
    total = np.ones(n_rows)
    term = np.ones(n_rows)
    offset = np.zeros(n_rows)
    out = np.full(n_rows, np.nan)
    active = np.arange(n_rows)
    size = _BLOCK
    with np.errstate(all="ignore"):  # a pole (c a non-positive integer) gives NaN, reported
        start = 0.0
        while active.size and start < _MAX_TERMS:
            k = np.arange(size, dtype=np.float64)
            aa, bb, cc, zz = a[active, None], b[active, None], c[active, None], z[active, None]
            n = start + k[None, :]
            ratio = (aa + n) * (bb + n) / ((cc + n) * (n + 1.0)) * zz
            steps = np.cumprod(ratio, axis=1) * term[active, None]
            total[active] += steps.sum(axis=1)
            term[active] = steps[:, -1]
            big = np.abs(total[active]) > _RESCALE
            if big.any():
                rows = active[big]
                total[rows] /= _RESCALE
                term[rows] /= _RESCALE
                offset[rows] += np.log(_RESCALE)
            # past the peak the ratio tends to z, so the tail is bounded by a geometric series
            bound = np.maximum(ratio[:, -1], zz[:, 0])
            with np.errstate(divide="ignore", invalid="ignore"):
                tail = np.abs(steps[:, -1]) * bound / (1.0 - bound)
            converged = (bound < 1.0) & (tail < 1e-16 * np.abs(total[active]))
            failed = ~np.isfinite(total[active])
            done = active[converged & ~failed]
            out[done] = np.where(total[done] > 0, np.log(total[done]) + offset[done], np.nan)
            start += size
            # past every row's peak the terms only fall, so a longer block cannot overflow
            # before the rescaling: blocks double there (z near 1 needs ~1e5 terms)
            falling = bool(np.all(ratio[:, -1] < 1.0))
            size = min(2 * size, _MAX_BLOCK) if falling else _BLOCK
            active = active[~(converged | failed)]
    return out


def log_hyp2f1(
    a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, z: npt.ArrayLike
) -> FloatArray:
    """Log 2F1(a, b; c; z) for 0 <= z < 1 where the function is positive.

    scipy's value where it is finite and positive, the rescaled power series
    elsewhere; NaN only where both fail.
    """
    from scipy import special  # noqa: PLC0415

    a_, b_, c_, z_ = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(a, b, c, z))
    with np.errstate(all="ignore"):
        value = np.asarray(special.hyp2f1(a_, b_, c_, z_), dtype=np.float64)
        good = np.isfinite(value) & (value > 0)
        out = np.log(np.where(good, value, 1.0))
    bad = ~good
    if bad.any():
        idx = np.flatnonzero(bad.ravel())
        flat = out.reshape(-1).copy()
        flat[idx] = _series_log(a_.ravel()[idx], b_.ravel()[idx], c_.ravel()[idx], z_.ravel()[idx])
        out = flat.reshape(out.shape)
    return out


def log_hyp2f1_unit(p: npt.ArrayLike, c: npt.ArrayLike, z: npt.ArrayLike) -> FloatArray:
    """Log 2F1(1, p; c; z) for p > 0, c > p, 0 <= z < 1 (the Pareto/NBD terms).

    Its series has positive terms bounded by z^n, so it is summed directly up
    to z = 0.9995: scipy's value loses up to 1e-5 relative accuracy near z = 1
    when c - p - 1 is a whole number (an exceptional case of its 1 - z
    transformation), and that would show in gradients. Beyond, scipy's value.
    """
    p_, c_, z_ = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(p, c, z))
    out = np.empty(z_.shape)
    near = z_ > SERIES_Z
    far = ~near
    if far.any():
        out[far] = _series_log(np.ones(int(far.sum())), p_[far], c_[far], z_[far])
    if near.any():
        out[near] = log_hyp2f1(1.0, p_[near], c_[near], z_[near])
    return out


def _log1p_over(w: FloatArray) -> FloatArray:
    """log1p(w) / w, with its limit 1 at w = 0 (w > -1)."""
    zero = w == 0.0
    safe = np.where(zero, 1.0, w)
    return np.where(zero, 1.0, np.log1p(safe) / safe)


def log_gamma_slope(x: npt.ArrayLike, e: float) -> FloatArray:
    r"""Return :math:`(\ln\Gamma(x + e) - \ln\Gamma(x)) / e`, and :math:`\psi(x)` at e = 0.

    For x > 0 and x + e > 0. The difference of two ``gammaln`` values loses
    ``ln Gamma(x) / (e psi(x))`` of relative accuracy when e is small (a BG/BB
    gamma near 1 with a large delta: 1e-7 at gamma = 1 + 1e-5, delta = 100).
    Here x is first raised to at least 10 by the recurrence
    :math:`\ln\Gamma(x + 1) = \ln\Gamma(x) + \ln x` (a sum of ``log1p(e / (x + k)) / e``),
    then the difference is taken inside Stirling's series term by term with
    ``log1p`` and ``exprel``, so nothing cancels and e = 0 needs no special case.
    """
    from scipy import special  # noqa: PLC0415

    x_ = np.asarray(x, dtype=np.float64)
    steps = np.maximum(np.ceil(_STIRLING_FROM - x_), 0.0)
    below = np.zeros(x_.shape)
    for k in range(int(steps.max(initial=0.0))):  # at most 10 vectorised steps
        xk = x_ + k
        below += np.where(k < steps, _log1p_over(e / xk) / xk, 0.0)
    z = x_ + steps
    u_over_e = _log1p_over(e / z) / z  # ln((z + e) / z) / e
    u = e * u_over_e
    out = (z - 0.5) * u_over_e + np.log(z + e) - 1.0
    for j, c in enumerate(_STIRLING):
        k = 2 * j + 1
        out += c * z ** (-k) * (-k) * u_over_e * special.exprel(-k * u)
    return np.asarray(out - below, dtype=np.float64)
