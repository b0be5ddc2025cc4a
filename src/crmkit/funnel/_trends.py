"""Trends of win rate, deal size, cycle length and velocity per period, and tests for a change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import factorial
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._params import choice, instance, names, probability
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
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

__all__ = ["PipelineTrends", "closed_deals", "pipeline_trends", "shapley_levers"]

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


def closed_deals(
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

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> o = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[100.0, 300.0, 50.0],
    ...     stage=["won", "won", "lost"],
    ...     close_date=["2024-01-20", "2024-01-25", "2024-01-30"],
    ...     created=["2024-01-10", "2023-12-26", "2024-01-01"],
    ... )
    >>> t = pipeline_trends(o, period="month")
    >>> t.win_rate.round(3).tolist(), t.deal_size.tolist(), t.cycle_days.tolist()
    ([0.667], [200.0], [20.0])
    >>> t.velocity.tolist()  # 400 won over a 20-day cycle
    [20.0]
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
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "win_rate": "probability",
        "win_rate_lower": "probability",
        "win_rate_upper": "probability",
        "deal_size": "money",
        "deal_size_lower": "money",
        "deal_size_upper": "money",
        "cycle_days": "number",
        "cycle_lower": "number",
        "cycle_upper": "number",
        "won_amount": "money",
        "velocity": "money",
        "velocity_lower": "money",
        "velocity_upper": "money",
        "velocity_change": "money",
        "lever_deals": "money",
        "lever_win_rate": "money",
        "lever_deal_size": "money",
        "lever_cycle": "money",
        "level": "probability",
    }
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
    by = names(by, name="by", function=fn, allow_empty=True, what="dimension names")
    instance(calendar, Calendar, name="calendar", function=fn, what="a Calendar")
    d = closed_deals(opportunities, freq, by, calendar, fn)
    lo = int(d.key.min()) if d.key.size else 0
    n_p = int(d.key.max()) - lo + 1 if d.key.size else 0
    g = max(d.n_groups, 1) if d.key.size else 0
    cell = d.group * n_p + (d.key - lo)
    k = g * n_p
    n_closed = bincount(cell, minlength=k).astype(np.int64)
    wc = cell[d.won]
    n_won = bincount(wc, minlength=k).astype(np.int64)
    won_amt = bincount(wc, weights=d.amount[d.won], minlength=k).astype(np.float64)
    cyc_sum = bincount(wc, weights=d.cycle[d.won], minlength=k)
    amt_sq = bincount(wc, weights=d.amount[d.won] ** 2, minlength=k)
    cyc_sq = bincount(wc, weights=d.cycle[d.won] ** 2, minlength=k)
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
