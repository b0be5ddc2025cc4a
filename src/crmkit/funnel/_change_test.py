"""Tests for a change of win rate, deal size or cycle: the last periods against earlier ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._params import choice, instance, integer, names, probability
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._trends import closed_deals
from crmkit.periods import DEFAULT_CALENDAR, Calendar, Frequency, FrequencyLike, period_bounds

__all__ = ["ChangeTest", "detect_change"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Metric = Literal["win_rate", "deal_size", "cycle_days"]
Alternative = Literal["decrease", "increase", "two-sided"]


@attrs.frozen(kw_only=True, repr=False)
class ChangeTest(Result):
    """Whether the recent periods differ from the earlier ones, per dimension cell.

    Attributes
    ----------
    groups : mapping of str to ndarray, shape (g,) each
        Dimension values of each cell.
    n_recent, n_baseline : ndarray of int64, shape (g,)
        Deals in each window (closed deals for the win rate, won deals otherwise).
    recent, baseline : ndarray of float64, shape (g,)
        The metric in each window (NaN for an empty window).
    change : ndarray of float64, shape (g,)
        ``recent - baseline``.
    p_value : ndarray of float64, shape (g,)
        The test's p-value (1 where a window is empty: no evidence).
    alarm : ndarray of bool, shape (g,)
        ``p_value < alpha``.
    recent_start, recent_end, baseline_start, baseline_end : numpy.datetime64
        The windows compared (half-open).
    metric, alternative, method : str
        What was tested, in which direction, with which test.
    alpha : float
        The false-alarm rate allowed per cell.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> o = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=list(range(8)),
    ...     amount=[1.0] * 8,
    ...     stage=["won", "won", "won", "lost", "lost", "lost", "lost", "won"],
    ...     close_date=["2024-01-05"] * 4 + ["2024-02-05"] * 4,
    ...     created=["2024-01-01"] * 8,
    ... )
    >>> c = detect_change(o, metric="win_rate", alternative="decrease", period="month")
    >>> c.recent.tolist(), c.baseline.tolist(), bool(c.alarm[0])  # too few deals to tell
    ([0.25], [0.75], False)
    """

    _table: ClassVar[tuple[str, ...]] = (
        "n_recent",
        "n_baseline",
        "recent",
        "baseline",
        "change",
        "p_value",
        "alarm",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "recent": "number",
        "baseline": "number",
        "change": "number",
        "p_value": "probability",
        "alpha": "probability",
    }
    _rows: ClassVar[tuple[str, ...]] = (*_table, "groups")
    groups: Mapping[str, npt.NDArray[Any]]
    n_recent: IntArray
    n_baseline: IntArray
    recent: FloatArray
    baseline: FloatArray
    change: FloatArray
    p_value: FloatArray
    alarm: npt.NDArray[np.bool_]
    recent_start: np.datetime64
    recent_end: np.datetime64
    baseline_start: np.datetime64
    baseline_end: np.datetime64
    metric: str
    alternative: str
    method: str
    alpha: float

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return one row per cell, the dimension columns first.

        Returns
        -------
        dict of str to ndarray
        """
        return {k: np.asarray(v) for k, v in self.groups.items()} | super().table()


def detect_change(
    opportunities: Opportunities,
    *,
    metric: Metric,
    alternative: Alternative,
    period: FrequencyLike,
    recent: int = 1,
    baseline: int | None = None,
    by: Sequence[str] = (),
    alpha: float = 0.05,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> ChangeTest:
    """Test whether the last periods' win rate, deal size or cycle differs from the earlier ones.

    Parameters
    ----------
    opportunities : Opportunities
        Deals; the closed ones are used, by their close period.
    metric : {"win_rate", "deal_size", "cycle_days"}
        What to compare; no default.
    alternative : {"decrease", "increase", "two-sided"}
        The change to look for (a drop in win rate is ``"decrease"``, a
        slower cycle ``"increase"``); no default.
    period : Frequency or str
        Calendar period (``"month"``, ``"quarter"``, ...).
    recent : int
        The last *recent* periods (ending with the period of the latest close)
        form the recent window, >= 1 (cut at the first close).
    baseline : int, optional
        The *baseline* periods before them form the baseline (all earlier
        ones by default), >= 1.
    by : sequence of str
        Dimensions to test separately.
    alpha : float
        Allowed false-alarm rate per cell, in (0, 1).
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    ChangeTest

    Raises
    ------
    InputError
        For a bad metric, alternative, period, window or alpha, an unknown
        dimension, or closed deals without dates.

    Notes
    -----
    Win rate: Fisher's exact test on the 2 x 2 table (won/lost x
    recent/baseline): with ``K`` wins among ``N`` deals, ``n`` of them recent,
    the recent wins ``X`` are hypergeometric under no change and the
    one-sided p-value is ``P(X <= x)`` (or ``P(X >= x)``); two-sided doubles the
    smaller tail. The test is exact and conservative: on a stable pipeline it
    alarms in at most ``alpha`` of the cells, whatever the sample sizes.
    Deal size and cycle: the Mann-Whitney U test of the won deals' amounts or
    cycle days (exact for small samples without ties, normal approximation
    with continuity correction otherwise).

    References
    ----------
    Fisher, R. A. (1935). The logic of inductive inference. JRSS 98(1), 39-82.
    Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two
    random variables is stochastically larger than the other. Annals of
    Mathematical Statistics, 18(1), 50-60.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(4000, "2022-01-01", "2024-01-01", seed=11)
    >>> test = detect_change(
    ...     sim.opportunities, metric="win_rate", alternative="decrease", period="quarter", recent=1
    ... )
    >>> test.method, bool(test.alarm[0])
    ('fisher exact', False)
    """
    fn = "detect_change"
    instance(opportunities, Opportunities, name="opportunities", function=fn, what="Opportunities")
    m = choice(metric, ("win_rate", "deal_size", "cycle_days"), name="metric", function=fn)
    alt = choice(
        alternative, ("decrease", "increase", "two-sided"), name="alternative", function=fn
    )
    freq = choice(period, Frequency, name="period", function=fn)
    n_recent = integer(recent, name="recent", function=fn, minimum=1)
    n_base = (
        None if baseline is None else integer(baseline, name="baseline", function=fn, minimum=1)
    )
    a = probability(alpha, name="alpha", function=fn, low_open=True, high_open=True)
    by = names(by, name="by", function=fn, allow_empty=True, what="dimension names")
    instance(calendar, Calendar, name="calendar", function=fn, what="a Calendar")
    d = closed_deals(opportunities, freq, by, calendar, fn)
    if not d.key.size:
        raise InputError(f"{fn} needs closed deals; got none.", field="opportunities")
    last, earliest = int(d.key.max()), int(d.key.min())
    cut = max(last - n_recent + 1, earliest)  # windows longer than the data stop at its start
    first = earliest if n_base is None else max(cut - n_base, earliest)
    is_recent = d.key >= cut
    is_base = (d.key >= first) & (d.key < cut)
    bounds = np.array([first, cut, last + 1], dtype=np.int64)
    starts, _ = period_bounds(bounds, freq, calendar=calendar)
    g = d.n_groups
    from scipy import stats  # noqa: PLC0415  (scipy is optional)

    if m == "win_rate":
        nr = bincount(d.group[is_recent], minlength=g)
        nb = bincount(d.group[is_base], minlength=g)
        wr = bincount(d.group[is_recent & d.won], minlength=g)
        wb = bincount(d.group[is_base & d.won], minlength=g)
        with np.errstate(divide="ignore", invalid="ignore"):
            rv = np.where(nr > 0, wr / nr, np.nan)
            bv = np.where(nb > 0, wb / nb, np.nan)
        total, wins = nr + nb, wr + wb
        low = stats.hypergeom.cdf(wr, total, wins, nr)
        high = stats.hypergeom.sf(wr - 1, total, wins, nr)
        p = {
            "decrease": low,
            "increase": high,
            "two-sided": np.minimum(1.0, 2 * np.minimum(low, high)),
        }[alt]
        p = np.where((nr > 0) & (nb > 0), p, 1.0)
        method = "fisher exact"
    else:
        values = d.amount if m == "deal_size" else d.cycle
        nr = bincount(d.group[is_recent & d.won], minlength=g)
        nb = bincount(d.group[is_base & d.won], minlength=g)
        rv, bv, p = np.full(g, np.nan), np.full(g, np.nan), np.ones(g)
        side = {"decrease": "less", "increase": "greater", "two-sided": "two-sided"}[alt]
        for j in range(g):
            x = values[is_recent & d.won & (d.group == j)]
            y = values[is_base & d.won & (d.group == j)]
            if x.size:
                rv[j] = float(x.mean())
            if y.size:
                bv[j] = float(y.mean())
            if x.size and y.size:
                p[j] = float(stats.mannwhitneyu(x, y, alternative=side).pvalue)
        method = "mann-whitney u"
    p = np.asarray(p, dtype=np.float64)
    return ChangeTest(
        groups=d.groups,
        n_recent=nr.astype(np.int64),
        n_baseline=nb.astype(np.int64),
        recent=rv,
        baseline=bv,
        change=rv - bv,
        p_value=p,
        alarm=p < a,
        recent_start=starts[1],
        recent_end=period_bounds(np.array([last]), freq, calendar=calendar)[1][0],
        baseline_start=starts[0],
        baseline_end=starts[1],
        metric=m,
        alternative=alt,
        method=method,
        alpha=a,
    )
