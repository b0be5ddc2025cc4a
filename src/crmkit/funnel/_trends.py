"""Trends of win rate, deal size, cycle length and velocity per period, and tests for a change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._params import choice, instance, integer, probability
from crmkit._results import Result
from crmkit.errors import InputError
from crmkit.funnel._calibration import beta_interval
from crmkit.funnel._opportunities import Opportunities
from crmkit.periods import (
    DEFAULT_CALENDAR,
    Calendar,
    Frequency,
    FrequencyLike,
    period_bounds,
    period_keys,
    period_labels,
)

__all__ = ["ChangeTest", "PipelineTrends", "detect_change", "pipeline_trends"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_US_PER_DAY: Final = 86_400_000_000
Metric = Literal["win_rate", "deal_size", "cycle_days"]
Alternative = Literal["decrease", "increase", "two-sided"]


@attrs.frozen(kw_only=True)
class _Closed:
    """Closed deals with their period and group codes."""

    key: IntArray
    group: IntArray
    n_groups: int
    groups: dict[str, npt.NDArray[Any]]
    won: npt.NDArray[np.bool_]
    amount: FloatArray
    cycle: FloatArray


def _closed(
    opps: Opportunities, freq: Frequency, by: tuple[str, ...], calendar: Calendar, function: str
) -> _Closed:
    for name in by:
        if name not in opps.dimensions:
            raise InputError.for_parameter(
                "by",
                f"dimension names of the opportunities ({list(opps.dimensions)})",
                name,
                function=function,
            )
    closed = np.flatnonzero(opps.stage >= opps.process.won_code)
    won = opps.stage[closed] == opps.process.won_code
    close = opps.close_date[closed]
    if np.isnat(close).any():
        pos = closed[np.isnat(close)]
        raise InputError.for_rows(
            "close_date",
            "must be known for every closed deal (its actual close date)",
            positions=pos[:5].tolist(),
            values=[opps.id[p] for p in pos[:5]],
            n_bad=int(pos.size),
            function=function,
            hint="The values shown are opportunity ids.",
        )
    made = opps.created[closed]
    no_made = won & np.isnat(made)
    if no_made.any():
        pos = closed[no_made]
        raise InputError.for_rows(
            "created",
            "must be known for every won deal (to measure its cycle)",
            positions=pos[:5].tolist(),
            values=[opps.id[p] for p in pos[:5]],
            n_bad=int(pos.size),
            function=function,
            hint="The values shown are opportunity ids.",
        )
    cycle = np.where(
        won, (close - np.where(np.isnat(made), close, made)).astype(np.int64) / _US_PER_DAY, np.nan
    )
    key = period_keys(close, freq, calendar=calendar)
    code = np.zeros(closed.size, dtype=np.int64)
    radix, uniques = [], []
    for name in by:
        g = opps.dimension_groups[name]
        code = code * max(g.n_groups, 1) + g.codes[closed]
        radix.append(max(g.n_groups, 1))
        uniques.append(g.uniques)
    present, gcode = np.unique(code, return_inverse=True)
    rem = present.copy()
    decoded = []
    for r in reversed(radix):
        decoded.append(rem % r)
        rem = rem // r
    decoded.reverse()
    groups = {name: uniques[i][decoded[i]] for i, name in enumerate(by)}
    return _Closed(
        key=key,
        group=gcode.astype(np.int64),
        n_groups=int(present.size),
        groups=groups,
        won=won,
        amount=opps.amount[closed],
        cycle=cycle,
    )


@attrs.frozen(kw_only=True, repr=False)
class PipelineTrends(Result):
    """Win rate, deal size, cycle length and velocity per period and dimension cell.

    Rows cover every period from the first to the last close, for every
    dimension cell with a closed deal (empty periods included).

    Attributes
    ----------
    period : ndarray of str, shape (k,)
        Close period label; ``start`` and ``end`` its bounds.
    start, end : ndarray of datetime64[us], shape (k,)
    groups : mapping of str to ndarray, shape (k,) each
        Dimension values.
    n_closed, n_won : ndarray of int64, shape (k,)
        Deals closed (won or lost) and won in the period.
    win_rate, win_rate_lower, win_rate_upper : ndarray of float64, shape (k,)
        ``n_won / n_closed`` and its Jeffreys interval (NaN where nothing closed).
    deal_size, deal_size_lower, deal_size_upper : ndarray of float64, shape (k,)
        Mean amount of the won deals and its t interval (NaN without a won
        deal; the interval needs two).
    cycle_days, cycle_lower, cycle_upper : ndarray of float64, shape (k,)
        Mean days from creation to close of the won deals, with its t interval.
    won_amount : ndarray of float64, shape (k,)
        Σ amount won.
    velocity, velocity_lower, velocity_upper : ndarray of float64, shape (k,)
        ``n_closed x win_rate x deal_size / cycle_days`` per day (equal to
        ``won_amount / cycle_days``; 0 without a won deal, inf only if every
        won deal closed the instant it was created) and its delta-method
        interval (NaN with fewer than two won deals).
    velocity_change : ndarray of float64, shape (k,)
        Velocity minus the previous period's in the same cell.
    lever_deals, lever_win_rate, lever_deal_size, lever_cycle : ndarray of float64, shape (k,)
        Its exact split into the four levers (they sum to ``velocity_change``);
        NaN for a cell's first period or where either period has no won deal.
    by : tuple of str
        The dimension names.
    level : float
        Level of the intervals.
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "end",
        "n_closed",
        "n_won",
        "win_rate",
        "win_rate_lower",
        "win_rate_upper",
        "deal_size",
        "deal_size_lower",
        "deal_size_upper",
        "cycle_days",
        "cycle_lower",
        "cycle_upper",
        "won_amount",
        "velocity",
        "velocity_lower",
        "velocity_upper",
        "velocity_change",
        "lever_deals",
        "lever_win_rate",
        "lever_deal_size",
        "lever_cycle",
    )
    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    groups: Mapping[str, npt.NDArray[Any]]
    n_closed: IntArray
    n_won: IntArray
    win_rate: FloatArray
    win_rate_lower: FloatArray
    win_rate_upper: FloatArray
    deal_size: FloatArray
    deal_size_lower: FloatArray
    deal_size_upper: FloatArray
    cycle_days: FloatArray
    cycle_lower: FloatArray
    cycle_upper: FloatArray
    won_amount: FloatArray
    velocity: FloatArray
    velocity_lower: FloatArray
    velocity_upper: FloatArray
    velocity_change: FloatArray
    lever_deals: FloatArray
    lever_win_rate: FloatArray
    lever_deal_size: FloatArray
    lever_cycle: FloatArray
    by: tuple[str, ...]
    level: float

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the per-cell columns, dimension columns after the period bounds.

        Returns
        -------
        dict of str to ndarray
        """
        base = super().table()
        cols = {k: base[k] for k in ("period", "start", "end")}
        cols |= {k: np.asarray(v) for k, v in self.groups.items()}
        return cols | {k: v for k, v in base.items() if k not in cols}


def shapley_levers(x0: FloatArray, x1: FloatArray) -> FloatArray:
    """Exact additive split of ``prod(x1) - prod(x0)`` into one share per factor (Shapley).

    ``x0`` and ``x1`` have shape (k, f); the result (k, f) sums over the
    factors to the change of the product, zeros included.
    """
    f = x0.shape[1]
    out = np.zeros_like(x0)
    from math import factorial  # noqa: PLC0415

    weight = [factorial(s) * factorial(f - s - 1) / factorial(f) for s in range(f)]
    for mask in range(1 << f):
        chosen = [(mask >> j) & 1 == 1 for j in range(f)]
        prod = np.ones(x0.shape[0])
        for j in range(f):
            prod = prod * (x1[:, j] if chosen[j] else x0[:, j])
        size = sum(chosen)
        for j in range(f):
            if chosen[j]:  # V(S) with j in S counts +, V(S \ {j}) counts -
                out[:, j] += weight[size - 1] * prod
            else:
                out[:, j] -= weight[size] * prod
    return out


def pipeline_trends(
    opportunities: Opportunities,
    *,
    period: FrequencyLike,
    by: Sequence[str] = (),
    level: float = 0.9,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> PipelineTrends:
    """Win rate, deal size, cycle length and sales velocity per close period, with intervals.

    Parameters
    ----------
    opportunities : Opportunities
        Deals; the closed ones (won or lost, with their actual close date, and
        a created date for the won ones) make the trends.
    period : Frequency or str
        Calendar period of the close date (``"month"``, ``"quarter"``, ...).
    by : sequence of str
        Dimensions to split by.
    level : float
        Level of the intervals, in (0, 1).
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    PipelineTrends

    Raises
    ------
    InputError
        For a bad period or level, an unknown dimension, or closed deals
        without close date (won ones without created date).

    Notes
    -----
    Velocity is the usual ``V = n w s / L`` (deals closed, win rate, mean won
    deal size, mean cycle in days). Its change from period 0 to 1 is split
    into the four levers with the Shapley decomposition of the product
    (Sun 1998; Ang, Liu & Chung 2004): lever *j* gets
    ``Σ_S |S|! (3 - |S|)! / 4! [V(S + j) - V(S)]`` over the sets *S* of the
    other levers taken at their period-1 values, so the four shares add up to
    ``V_1 - V_0`` with no residual. Win-rate intervals are Jeffreys
    (Beta(won + 1/2, lost + 1/2)); deal size and cycle have t intervals; the
    velocity interval is the delta method on ``log V`` with independent levers.

    References
    ----------
    Sun, J. W. (1998). Changes in energy consumption and energy intensity: a
    complete decomposition model. Energy Economics, 20(1), 85-100.
    Ang, B. W., Liu, F. L., & Chung, H. S. (2004). A generalized Fisher index
    approach to energy decomposition analysis. Energy Economics, 26(5), 757-763.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(4000, "2022-01-01", "2024-01-01", seed=11)
    >>> t = pipeline_trends(sim.opportunities, period="quarter")
    >>> t.period.tolist()[-2:]
    ['2023-Q3', '2023-Q4']
    >>> levers = t.lever_deals + t.lever_win_rate + t.lever_deal_size + t.lever_cycle
    >>> bool(np.allclose(levers[1:], t.velocity_change[1:], equal_nan=True))
    True
    """
    fn = "pipeline_trends"
    instance(opportunities, Opportunities, name="opportunities", function=fn, what="Opportunities")
    freq = choice(period, Frequency, name="period", function=fn)
    lvl = probability(level, name="level", function=fn, low_open=True, high_open=True)
    by = tuple(by)
    d = _closed(opportunities, freq, by, calendar, fn)
    lo = int(d.key.min()) if d.key.size else 0
    n_p = int(d.key.max()) - lo + 1 if d.key.size else 0
    g = max(d.n_groups, 1) if d.key.size else 0
    cell = d.group * n_p + (d.key - lo)
    k = g * n_p
    n_closed = np.bincount(cell, minlength=k).astype(np.int64)
    wc = cell[d.won]
    n_won = np.bincount(wc, minlength=k).astype(np.int64)
    won_amt = np.bincount(wc, weights=d.amount[d.won], minlength=k).astype(np.float64)
    cyc_sum = np.bincount(wc, weights=d.cycle[d.won], minlength=k)
    amt_sq = np.bincount(wc, weights=d.amount[d.won] ** 2, minlength=k)
    cyc_sq = np.bincount(wc, weights=d.cycle[d.won] ** 2, minlength=k)
    from scipy.stats import t as student  # noqa: PLC0415  (scipy is optional)

    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n_closed > 0, n_won / n_closed, np.nan)
        w_lo, w_hi = beta_interval(n_won + 0.5, n_closed - n_won + 0.5, level=lvl)
        w_lo, w_hi = np.where(n_closed > 0, w_lo, np.nan), np.where(n_closed > 0, w_hi, np.nan)
        size = np.where(n_won > 0, won_amt / n_won, np.nan)
        cycle = np.where(n_won > 0, cyc_sum / n_won, np.nan)
        var_s = np.where(n_won > 1, (amt_sq - n_won * size**2) / (n_won - 1), np.nan)
        var_c = np.where(n_won > 1, (cyc_sq - n_won * cycle**2) / (n_won - 1), np.nan)
        var_s, var_c = np.maximum(var_s, 0.0), np.maximum(var_c, 0.0)
        tq = student.ppf(0.5 + lvl / 2, np.maximum(n_won - 1, 1))
        se_s, se_c = np.sqrt(var_s / n_won), np.sqrt(var_c / n_won)
        velocity = np.where(n_won > 0, won_amt / cycle, 0.0)
        se_log = np.sqrt(
            rate * (1 - rate) / n_closed / rate**2 + se_s**2 / size**2 + se_c**2 / cycle**2
        )
        z = student.ppf(0.5 + lvl / 2, np.inf)
        ok_v = (n_won > 1) & np.isfinite(se_log)
        v_lo = np.where(ok_v, velocity * np.exp(-z * se_log), np.nan)
        v_hi = np.where(ok_v, velocity * np.exp(z * se_log), np.nan)
    # levers against the previous period of the same cell
    factors = np.stack([n_closed.astype(np.float64), rate, size, 1.0 / cycle], axis=1)
    prev = np.arange(k) - 1
    has_prev = (np.arange(k) % max(n_p, 1)) > 0
    both = has_prev & (n_won > 0) & (n_won[np.maximum(prev, 0)] > 0)
    levers = np.full((k, 4), np.nan)
    if both.any():
        idx = np.flatnonzero(both)
        levers[idx] = shapley_levers(factors[prev[idx]], factors[idx])
    change = np.where(has_prev, velocity - velocity[np.maximum(prev, 0)], np.nan)
    table = np.arange(lo, lo + n_p, dtype=np.int64)
    starts, ends = period_bounds(table, freq, calendar=calendar)
    labels = period_labels(table, freq, calendar=calendar)
    per = np.tile(np.arange(n_p), g)
    grp = np.repeat(np.arange(g), n_p)
    return PipelineTrends(
        period=labels[per],
        start=starts[per],
        end=ends[per],
        groups={name: v[grp] for name, v in d.groups.items()},
        n_closed=n_closed,
        n_won=n_won,
        win_rate=rate,
        win_rate_lower=w_lo,
        win_rate_upper=w_hi,
        deal_size=size,
        deal_size_lower=size - tq * se_s,
        deal_size_upper=size + tq * se_s,
        cycle_days=cycle,
        cycle_lower=cycle - tq * se_c,
        cycle_upper=cycle + tq * se_c,
        won_amount=won_amt,
        velocity=velocity,
        velocity_lower=v_lo,
        velocity_upper=v_hi,
        velocity_change=change,
        lever_deals=levers[:, 0],
        lever_win_rate=levers[:, 1],
        lever_deal_size=levers[:, 2],
        lever_cycle=levers[:, 3],
        by=by,
        level=lvl,
    )


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
        form the recent window, >= 1.
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
    by = tuple(by)
    d = _closed(opportunities, freq, by, calendar, fn)
    if not d.key.size:
        raise InputError(f"{fn} needs closed deals; got none.", field="opportunities")
    last = int(d.key.max())
    cut = last - n_recent + 1
    first = int(d.key.min()) if n_base is None else cut - n_base
    is_recent = d.key >= cut
    is_base = (d.key >= first) & (d.key < cut)
    bounds = np.array([first, cut, last + 1], dtype=np.int64)
    starts, _ = period_bounds(bounds, freq, calendar=calendar)
    g = d.n_groups
    from scipy import stats  # noqa: PLC0415  (scipy is optional)

    if m == "win_rate":
        nr = np.bincount(d.group[is_recent], minlength=g)
        nb = np.bincount(d.group[is_base], minlength=g)
        wr = np.bincount(d.group[is_recent & d.won], minlength=g)
        wb = np.bincount(d.group[is_base & d.won], minlength=g)
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
        nr = np.bincount(d.group[is_recent & d.won], minlength=g)
        nb = np.bincount(d.group[is_base & d.won], minlength=g)
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
