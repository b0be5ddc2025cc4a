"""Kaplan-Meier survival curves per group, shared by every area that has censored durations.

``lifecycle`` (time in stage, time between stages) and ``funnel`` (time to
close per stage) both estimate how long something lasts when some of the
observations are still running (censored). The estimator lives here once.
"""

from __future__ import annotations

from typing import Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._reduce import bincount

__all__ = ["KaplanMeier", "kaplan_meier", "km_median"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_TOL: Final = 1e-12
"""Slack on survival thresholds: products of (1 - d/n) that equal 1/2 may round just above."""


def km_median(
    groups: IntArray, days: FloatArray, event: npt.NDArray[np.bool_], k: int
) -> FloatArray:
    """Kaplan-Meier median per group, vectorised over groups (NaN where S never reaches 1/2)."""
    order = np.lexsort((~event, days, groups))
    g = groups[order]
    d = days[order]
    e = event[order].astype(np.float64)
    size = bincount(g, minlength=k)
    starts = np.zeros(k, dtype=np.int64)
    np.cumsum(size[:-1], out=starts[1:])
    rank = np.arange(g.size) - starts[g]
    at_risk = (size[g] - rank).astype(np.float64)
    factor = 1.0 - e / at_risk
    zero = factor <= 0.0  # everyone left at risk ended here: S drops to 0 for good
    cum = np.cumsum(np.log(np.where(zero, 1.0, factor)))
    zeros = np.cumsum(zero)
    head = starts[g]
    log_s = cum - np.concatenate([[0.0], cum])[head]
    n_zero = zeros - np.concatenate([[0], zeros])[head]
    surv = np.where(n_zero > 0, 0.0, np.exp(log_s))
    hit = np.where(surv <= 0.5 + _TOL, d, np.inf)  # exp(log) rounding at exactly 1/2
    median = np.full(k, np.inf)
    np.minimum.at(median, g, hit)
    median[~np.isfinite(median)] = np.nan
    return median


@attrs.frozen(kw_only=True)
class KaplanMeier:
    """Kaplan-Meier curves of several groups, as one step function per group.

    Group *g*'s curve has its distinct event times in
    ``time[offsets[g]:offsets[g + 1]]`` (ascending) and ``survival`` holds
    ``S(t)`` just after each of them: ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``
    with ``d_i`` events among the ``n_i`` subjects still at risk at ``t_i``.
    """

    offsets: IntArray
    time: FloatArray
    survival: FloatArray
    at_risk: IntArray
    events: IntArray
    n_subjects: IntArray
    n_events: IntArray

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return int(self.offsets.size - 1)

    def survival_at(self, group: IntArray, t: FloatArray) -> FloatArray:
        """``S(t)`` of each ``(group, t)`` pair (1 before the first event)."""
        out = np.ones(t.size)
        for g in np.unique(group).tolist():
            lo, hi = int(self.offsets[g]), int(self.offsets[g + 1])
            mine = group == g
            idx = np.searchsorted(self.time[lo:hi], t[mine], side="right")
            curve = np.concatenate([[1.0], self.survival[lo:hi]])
            out[mine] = curve[idx]
        return out

    def quantile(self, group: IntArray, q: float, *, elapsed: FloatArray) -> FloatArray:
        """Smallest ``t > elapsed`` with ``S(t) <= (1 - q) S(elapsed)`` per pair; NaN if none.

        This is the *q* quantile of the duration of a subject known to have
        lasted more than *elapsed* (the conditional distribution ``S(t) / S(elapsed)``);
        ``elapsed = -inf`` gives the unconditional quantile.
        """
        out = np.full(elapsed.size, np.nan)
        base = self.survival_at(group, elapsed)
        for g in np.unique(group).tolist():
            lo, hi = int(self.offsets[g]), int(self.offsets[g + 1])
            mine = np.flatnonzero(group == g)
            times, surv = self.time[lo:hi], self.survival[lo:hi]
            if not times.size:
                continue
            target = (1.0 - q) * base[mine] + _TOL
            # the curve is non-increasing: the first index at or after elapsed that is low enough
            start = np.searchsorted(times, elapsed[mine], side="right")
            below = surv <= target[:, None]
            ok = below & (np.arange(times.size)[None, :] >= start[:, None])
            found = ok.any(axis=1)
            first = np.argmax(ok, axis=1)
            res = np.where(found, times[first], np.nan)
            res = np.where(base[mine] <= 0.0, np.nan, res)
            out[mine] = res
        return out


def kaplan_meier(
    groups: IntArray, durations: FloatArray, event: npt.NDArray[np.bool_], n_groups: int
) -> KaplanMeier:
    """Kaplan-Meier curve of each group from durations and event flags (False = censored).

    Ties follow the usual convention: at a time with both events and censored
    observations, the censored ones are still at risk.

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958). "Nonparametric Estimation from
    Incomplete Observations". JASA 53(282), 457-481.

    Examples
    --------
    >>> km = kaplan_meier(
    ...     np.zeros(4, dtype=np.int64),
    ...     np.array([2.0, 3.0, 3.0, 5.0]),
    ...     np.array([True, True, False, True]),
    ...     1,
    ... )
    >>> km.time.tolist(), km.survival.tolist()
    ([2.0, 3.0, 5.0], [0.75, 0.5, 0.0])
    """
    n_subjects = bincount(groups, minlength=n_groups).astype(np.int64)
    n_events = bincount(groups[event], minlength=n_groups).astype(np.int64)
    if groups.size == 0:
        empty = np.zeros(0)
        return KaplanMeier(
            offsets=np.zeros(n_groups + 1, dtype=np.int64),
            time=empty,
            survival=empty,
            at_risk=np.zeros(0, dtype=np.int64),
            events=np.zeros(0, dtype=np.int64),
            n_subjects=n_subjects,
            n_events=n_events,
        )
    order = np.lexsort((durations, groups))
    g, d, e = groups[order], durations[order], event[order]
    starts = np.zeros(n_groups, dtype=np.int64)
    np.cumsum(n_subjects[:-1], out=starts[1:])
    # distinct (group, time) blocks
    new = np.ones(g.size, dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (d[1:] != d[:-1])
    block = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    block_g = g[first]
    block_t = d[first]
    block_events = bincount(block, weights=e, minlength=first.size).astype(np.int64)
    at_risk = (n_subjects[block_g] - (first - starts[block_g])).astype(np.int64)
    keep = block_events > 0
    bg, bt, be, br = block_g[keep], block_t[keep], block_events[keep], at_risk[keep]
    factor = 1.0 - be / br
    survival = np.empty(bg.size)
    counts = bincount(bg, minlength=n_groups)
    offsets = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    for j in np.flatnonzero(counts).tolist():
        lo, hi = int(offsets[j]), int(offsets[j + 1])
        survival[lo:hi] = np.cumprod(factor[lo:hi])
    return KaplanMeier(
        offsets=offsets,
        time=bt.astype(np.float64),
        survival=survival,
        at_risk=br,
        events=be,
        n_subjects=n_subjects,
        n_events=n_events,
    )
