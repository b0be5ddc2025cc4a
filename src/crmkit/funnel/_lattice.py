"""Exact-to-a-stated-resolution distribution of a weighted sum of independent Bernoulli wins."""

from __future__ import annotations

import math
from typing import Final

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["LARGE", "LatticeSum", "lattice_sum", "scale_unit"]

FloatArray = npt.NDArray[np.float64]
ETA: Final = 1e-9
"""Probability budget of the Hoeffding bound on the rounding error."""
ALIAS_DELTA: Final = 1e-12
"""Target probability of the total falling outside the lattice window."""
_BLOCK: Final = 8192
LARGE: Final = 1e100
"""Above this magnitude, squares of amounts may overflow: work in power-of-two scaled units."""


def scale_unit(largest: float) -> float:
    """Return 1.0, or for magnitudes above :data:`LARGE` the power of two at or below *largest*.

    Dividing by a power of two is exact, so results computed in scaled units
    and multiplied back equal the unscaled ones wherever those are finite.
    """
    if not largest > LARGE:
        return 1.0
    if not math.isfinite(largest):
        return float(2.0**1023)
    return float(2.0 ** math.floor(math.log2(largest)))


@attrs.frozen(kw_only=True)
class LatticeSum:
    """Distribution of ``S = Σ a_i X_i`` on a lattice, with its error bounds.

    ``values[j]`` carries probability ``pmf[j]``; the tails with less than
    1e-15 mass are trimmed (their mass is kept in ``trimmed``).
    """

    values: FloatArray
    pmf: FloatArray
    step: float
    amount_tolerance: float
    probability_tolerance: float
    max_rounding_error: float
    trimmed: float

    def cdf_at(self, x: float) -> float:
        """P(S <= x) on the lattice."""
        return float(self.pmf[self.values <= x].sum())

    def quantile(self, q: float) -> float:
        """Smallest lattice value whose cumulative probability reaches *q*."""
        cdf = np.cumsum(self.pmf)
        idx = int(np.searchsorted(cdf, q * cdf[-1] - 1e-12, side="left"))
        return float(self.values[min(idx, self.values.size - 1)])

    def survival_at(self, x: float) -> float:
        """P(S >= x) on the lattice."""
        return float(self.pmf[self.values >= x].sum())


def _bernstein(dist: float, var: float, bound: float) -> float:
    """One-sided Bernstein bound on P(S - E S >= dist) for summands bounded by *bound*."""
    if dist <= 0:
        return 1.0
    return math.exp(-(dist * dist) / (2.0 * (var + bound * dist / 3.0)))


def _block_pmf(k: npt.NDArray[np.int64], p: FloatArray, n_points: int) -> FloatArray:
    length = int(min(int(k.sum()) + 1, n_points))
    cur = np.zeros(length)
    cur[0] = 1.0
    top = 0
    for ki, pi in zip(k.tolist(), p.tolist(), strict=True):
        if top + ki < length:
            moved = cur[: top + 1] * pi
            cur[: top + 1] *= 1.0 - pi
            cur[ki : ki + top + 1] += moved
            top += ki
        else:
            cur = (1.0 - pi) * cur + pi * np.roll(cur, ki % length)
            top = length - 1
    return cur


def lattice_sum(amount: FloatArray, probability: FloatArray, *, n_points: int) -> LatticeSum:
    """Distribution of Σ a_i X_i, X_i ~ Bernoulli(p_i) independent, on an *n_points* lattice.

    Amounts are rounded to a lattice of step ``h`` chosen so that *n_points*
    cover either the whole support ``[0, Σ a]`` or a Bernstein window around
    the mean holding all but 1e-12 of the mass (amounts above 1e100 are first
    divided by a power of two, exactly, so no square overflows); when that step is at most one
    currency unit (or cent) and every amount is a whole number of them, the
    step is that unit and the result is exact. Per block of deals the exact
    pmf is built by dynamic programming; blocks are multiplied as FFTs of
    length *n_points* (circular convolution). The rounding bias ``Σ e_i p_i``
    is added back, so the lattice mean equals Σ a_i p_i up to FFT round-off.

    Error bounds (``e_i = a_i - h k_i``): by Hoeffding,
    ``P(|D - E D| > t) <= ETA`` with ``t = sqrt(Σ e_i² ln(2/ETA) / 2)``, where
    ``D`` is the rounding error of the total; with ``ε = ETA + alias mass bound``
    the true CDF satisfies ``F_L(x - t) - ε <= F(x) <= F_L(x + t) + ε``.
    """
    keep = probability > 0
    a = amount[keep]
    p = probability[keep]
    unit = scale_unit(float(a.max())) if a.size else 1.0
    if unit != 1.0:  # squares of such amounts overflow: the lattice is scale-equivariant
        sub = lattice_sum(a / unit, p, n_points=n_points)
        return LatticeSum(
            values=sub.values * unit,
            pmf=sub.pmf,
            step=sub.step * unit,
            amount_tolerance=sub.amount_tolerance * unit,
            probability_tolerance=sub.probability_tolerance,
            max_rounding_error=sub.max_rounding_error * unit,
            trimmed=sub.trimmed,
        )
    if a.size == 0 or float(a.sum()) == 0.0:
        return LatticeSum(
            values=np.zeros(1),
            pmf=np.ones(1),
            step=0.0,
            amount_tolerance=0.0,
            probability_tolerance=0.0,
            max_rounding_error=0.0,
            trimmed=0.0,
        )
    mean = float((a * p).sum())
    var = float((a * a * p * (1 - p)).sum())
    total = float(a.sum())
    big = float(a.max())
    log_term = math.log(2.0 / ALIAS_DELTA)
    half = big * log_term / 3.0 + math.sqrt((big * log_term / 3.0) ** 2 + 2.0 * var * log_term)
    lo = max(0.0, mean - half - big)
    hi = min(total, mean + half + big)
    width = min(total, hi - lo)
    step = width / (n_points - 2) if width > 0 else 1.0
    for unit in (1.0, 0.01):  # whole currency units or cents: exact when they fit
        scaled = a / unit
        if step <= unit and np.all(
            np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1, scaled)
        ):
            step = unit
            break
    k = np.rint(a / step).astype(np.int64)
    full_support = width >= total
    for _ in range(8):  # rounding up may push the full support past the lattice: widen the step
        if not full_support or int(k.sum()) < n_points:
            break
        step *= (int(k.sum()) + 1) / (n_points - 1)
        k = np.rint(a / step).astype(np.int64)
    err = a - step * k
    ks = float(k.sum())
    mean_k = float((k * p).sum())
    var_k = float((k * k * p * (1 - p)).sum())
    if ks < n_points:
        lo_k = 0
        alias = 0.0
    else:
        lo_k = max(0, math.floor(mean_k - (n_points - 1) / 2.0))
        hi_k = lo_k + n_points - 1
        kmax = float(k.max())
        lower = 0.0 if lo_k == 0 else _bernstein(mean_k - lo_k, var_k, kmax)
        upper = 0.0 if hi_k >= ks else _bernstein(hi_k + 1 - mean_k, var_k, kmax)
        alias = min(1.0, lower + upper)
    order = np.argsort(k, kind="stable")
    k_sorted, p_sorted = k[order], p[order]
    spectrum = np.ones(n_points // 2 + 1, dtype=np.complex128)
    csum = np.cumsum(k_sorted)
    cap = min(n_points, _BLOCK)
    start = 0
    while start < k_sorted.size:
        base = csum[start - 1] if start else 0
        stop = int(np.searchsorted(csum, base + cap - 1, side="right"))
        stop = max(stop, start + 1)
        block = _block_pmf(k_sorted[start:stop], p_sorted[start:stop], n_points)
        spectrum *= np.fft.rfft(block, n=n_points)
        start = stop
    pmf = np.fft.irfft(spectrum, n=n_points)
    pmf = np.roll(pmf, -(lo_k % n_points))
    np.clip(pmf, 0.0, None, out=pmf)
    pmf /= pmf.sum()
    shift = float((err * p).sum())
    values = step * (lo_k + np.arange(n_points, dtype=np.float64)) + shift
    cdf = np.cumsum(pmf)
    first = int(np.searchsorted(cdf, 1e-15, side="left"))
    last = int(np.searchsorted(cdf, 1.0 - 1e-15, side="left"))
    last = min(max(last, first), n_points - 1)
    trimmed = float(pmf[:first].sum() + pmf[last + 1 :].sum())
    tol = math.sqrt(float((err * err).sum()) * math.log(2.0 / ETA) / 2.0)
    return LatticeSum(
        values=values[first : last + 1],
        pmf=pmf[first : last + 1],
        step=step,
        amount_tolerance=tol,
        probability_tolerance=ETA + alias + trimmed,
        max_rounding_error=float(np.abs(err).sum()),
        trimmed=trimmed,
    )
