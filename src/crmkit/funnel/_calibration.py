"""Calibrate stage win probabilities, conversions and timings from stage histories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_finite_float, as_readonly, check_same_length, scalar_datetime
from crmkit._params import instance, number, numbers, probability
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._history import StageHistory
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._process import SalesProcess
from crmkit.funnel._state import PipelineState

__all__ = ["ReasonBreakdown", "StageRates", "as_state", "beta_interval", "fit_stage_rates"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_US_PER_DAY: Final = 86_400_000_000
_FN: Final = "fit_stage_rates"


def beta_interval(
    successes: npt.ArrayLike, failures: npt.ArrayLike, *, level: float
) -> tuple[FloatArray, FloatArray]:
    """Return the equal-tailed credible interval of Beta(successes, failures).

    Parameters
    ----------
    successes, failures : array_like of float, shape (n,)
        Posterior Beta parameters (prior pseudo-counts included), finite and > 0.
    level : float
        Credible level in (0, 1), e.g. 0.9 for the 5 %-95 % interval.

    Returns
    -------
    lower, upper : ndarray of float64, shape (n,)
        Empty for empty columns.

    Raises
    ------
    InputError
        For a level outside (0, 1), parameters that are not finite numbers
        > 0, or columns of different lengths.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Notes
    -----
    ``lower = I⁻¹((1 - level) / 2; a, b)`` and ``upper = I⁻¹((1 + level) / 2; a, b)``,
    the quantiles of the Beta distribution (``scipy.stats.beta.ppf``).

    Examples
    --------
    8 wins and 2 losses with a Jeffreys prior: how sure is an 80 % win rate?

    >>> lo, hi = beta_interval([8.5], [2.5], level=0.9)
    >>> bool(lo[0] < 8.5 / 11 < hi[0])
    True
    """
    fn = "beta_interval"
    lvl = probability(level, name="level", function=fn, low_open=True, high_open=True)
    a = as_finite_float(successes, field="successes", function=fn, minimum=0.0, strict_minimum=True)
    b = as_finite_float(failures, field="failures", function=fn, minimum=0.0, strict_minimum=True)
    check_same_length({"successes": a.size, "failures": b.size}, function=fn)
    return _beta_interval(a, b, lvl, function=fn)


def _beta_interval(
    a: FloatArray, b: FloatArray, level: float, *, function: str
) -> tuple[FloatArray, FloatArray]:
    """Return the interval of validated parameters (any shape) from scipy's Beta quantiles."""
    try:
        from scipy.stats import beta  # noqa: PLC0415  (scipy is optional and heavy)
    except ImportError as err:
        msg = f"{function} needs scipy; install it with pip install 'crmkit[models]'"
        raise ImportError(msg) from err
    tail = (1.0 - level) / 2.0
    lower = beta.ppf(tail, a, b).astype(np.float64)
    upper = beta.ppf(1.0 - tail, a, b).astype(np.float64)
    return lower, upper


@attrs.frozen(kw_only=True, repr=False)
class ReasonBreakdown(Result):
    """Win and loss reasons of closed opportunities.

    Attributes
    ----------
    outcome : ndarray of str, shape (r,)
        ``won`` or ``lost`` outcome name.
    reason : ndarray of str, shape (r,)
        Reason given ("" where none was recorded).
    count : ndarray of int64, shape (r,)
        Closed opportunities with this outcome and reason.
    share : ndarray of float64, shape (r,)
        Count divided by all closed opportunities with this outcome.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2, 2],
    ...     stage=["plan", "lost", "plan", "lost"],
    ...     entered=["2024-01-01", "2024-02-01", "2024-01-03", "2024-01-09"],
    ...     reason=["", "price", "", "price"],
    ... )
    >>> r = fit_stage_rates(h).reasons
    >>> r.reason.tolist(), r.count.tolist(), r.share.tolist()
    (['price'], [2], [1.0])
    """

    _table: ClassVar[tuple[str, ...]] = ("outcome", "reason", "count", "share")
    _kinds: ClassVar[Mapping[str, Kind]] = {"share": "share"}
    _rows: ClassVar[tuple[str, ...]] = _table
    outcome: npt.NDArray[np.str_]
    reason: npt.NDArray[np.str_]
    count: IntArray
    share: FloatArray


@attrs.frozen(kw_only=True, repr=False)
class StageRates(Result):
    """Stage win probabilities learnt from history, with intervals, conversions and timings.

    Attributes
    ----------
    process : SalesProcess
        The process the stages belong to.
    stage : ndarray of str, shape (k,)
        Open stage names.
    n_reached, n_won : ndarray of int64, shape (k,)
        Closed opportunities that reached each stage (or went past it), and how
        many of them were won.
    win_rate : ndarray of float64, shape (k,)
        Posterior mean of P(win | reached stage): ``(won + a0) / (reached + a0 + b0)``.
    lower, upper : ndarray of float64, shape (k,)
        Equal-tailed Beta-posterior credible interval at ``level``.
    conversion : ndarray of float64, shape (k,)
        Share of closed opportunities that reached the stage and reached the next
        one (won, for the last stage); NaN where none reached the stage.
    mean_days, median_days : ndarray of float64, shape (k,)
        Time spent in the stage over completed spells (NaN where none).
    n_spells : ndarray of int64, shape (k,)
        Completed spells behind the timings.
    cycle_days_won, cycle_days_lost : float
        Mean days from the first stage entered to the outcome (NaN without a
        won, or a lost, deal).
    median_cycle_days_won, median_cycle_days_lost : float
        The medians of the same (NaN likewise).
    n_closed, n_open_excluded, n_cohort_excluded : int
        Opportunities used, open ones left out (their outcome is unknown) and
        ones created on or after ``created_before``.
    prior : tuple of float
        Beta prior ``(a0, b0)``.
    level : float
        Credible level.
    by : str or None
        Dimension of the per-group rates.
    shrinkage : float
        Pseudo-deals of the overall rate mixed into each group's rate.
    group : ndarray, shape (g,)
        Group values (empty when ``by`` is None).
    group_n_reached, group_n_won : ndarray of int64, shape (g, k)
        Per-group counts.
    group_win_rate, group_lower, group_upper : ndarray of float64, shape (g, k)
        Shrunk per-group rates and their credible intervals.
    reasons : ReasonBreakdown
        Win/loss reasons.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2, 2],
    ...     stage=["plan", "won", "plan", "lost"],
    ...     entered=["2024-01-01", "2024-02-01", "2024-01-03", "2024-01-09"],
    ... )
    >>> rates = fit_stage_rates(h, prior=(1.0, 1.0))
    >>> rates.n_reached.tolist(), rates.win_rate.round(2).tolist()
    ([2, 2, 2, 1, 1], [0.5, 0.5, 0.5, 0.67, 0.67])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "stage",
        "n_reached",
        "n_won",
        "win_rate",
        "lower",
        "upper",
        "conversion",
        "mean_days",
        "median_days",
        "n_spells",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "win_rate": "probability",
        "lower": "probability",
        "upper": "probability",
        "conversion": "share",
        "mean_days": "number",
        "median_days": "number",
        "cycle_days_won": "number",
        "cycle_days_lost": "number",
        "median_cycle_days_won": "number",
        "median_cycle_days_lost": "number",
        "prior": "number",
        "level": "share",
        "shrinkage": "number",
        "group": "id",
        "group_win_rate": "probability",
        "group_lower": "probability",
        "group_upper": "probability",
    }
    _plot: ClassVar[str] = "funnel_chart"

    process: SalesProcess
    stage: npt.NDArray[np.str_]
    n_reached: IntArray
    n_won: IntArray
    win_rate: FloatArray
    lower: FloatArray
    upper: FloatArray
    conversion: FloatArray
    mean_days: FloatArray
    median_days: FloatArray
    n_spells: IntArray
    cycle_days_won: float
    cycle_days_lost: float
    median_cycle_days_won: float
    median_cycle_days_lost: float
    n_closed: int
    n_open_excluded: int
    n_cohort_excluded: int
    prior: tuple[float, float]
    level: float
    by: str | None
    shrinkage: float
    group: npt.NDArray[Any]
    group_n_reached: IntArray
    group_n_won: IntArray
    group_win_rate: FloatArray
    group_lower: FloatArray
    group_upper: FloatArray
    reasons: ReasonBreakdown

    def probabilities_for(self, opportunities: Opportunities) -> FloatArray:
        """Return each deal's calibrated win probability.

        Parameters
        ----------
        opportunities : Opportunities
            Deals of the same process; when the rates were fitted per ``by``
            group, deals of a known group get the group's shrunk rate and others
            the overall rate.

        Returns
        -------
        ndarray of float64, shape (n,)
            Won 1, lost 0, open deals the calibrated rate of their stage.

        Raises
        ------
        InputError
            If the deals use another sales process.

        Examples
        --------
        >>> from crmkit.datasets import simulate_pipeline
        >>> sim = simulate_pipeline(400, "2023-01-01", "2024-01-01", seed=1)
        >>> rates = fit_stage_rates(sim.history)
        >>> p = rates.probabilities_for(sim.opportunities)
        >>> bool(((p >= 0) & (p <= 1)).all())
        True
        """
        instance(
            opportunities,
            Opportunities,
            name="opportunities",
            function="StageRates.probabilities_for",
            what="an Opportunities",
        )
        if opportunities.process != self.process:
            raise InputError.for_parameter(
                "opportunities",
                "deals of the process the rates were fitted on",
                "another SalesProcess",
                function="StageRates.probabilities_for",
            )
        k = self.process.n_stages
        table = np.concatenate([self.win_rate, [1.0, 0.0]])
        stage = opportunities.stage
        out = table[stage]
        if self.by is not None and self.by in opportunities.dimensions and self.group.size:
            values = opportunities.dimensions[self.by]
            if values.dtype.kind != self.group.dtype.kind:
                values, groups = values.astype(str), self.group.astype(str)
            else:
                groups = self.group
            idx = np.clip(np.searchsorted(groups, values), 0, groups.size - 1)
            known = (groups[idx] == values) & (stage < k)
            st = np.minimum(stage, k - 1)
            out = np.where(known, self.group_win_rate[idx, st], out)
        return out.astype(np.float64)

    def sales_velocity(self, opportunities: Opportunities) -> float:
        """Return the sales velocity of an open pipeline, in currency per day.

        Parameters
        ----------
        opportunities : Opportunities
            Deals whose open ones make the pipeline.

        Returns
        -------
        float
            ``n_open x win_rate[0] x mean open amount / cycle_days_won`` (0 with no
            open deal; NaN without a won deal to measure the cycle, or when won
            deals closed the day they were opened, a cycle of 0 days).

        Notes
        -----
        The usual sales-velocity formula: opportunities x win rate x average
        deal size / sales-cycle length, with the win rate of deals entering the
        first stage.

        Examples
        --------
        >>> from crmkit.datasets import simulate_pipeline
        >>> sim = simulate_pipeline(2000, "2022-01-01", "2024-01-01", seed=5)
        >>> rates = fit_stage_rates(sim.history, created_before="2023-09-01")
        >>> bool(rates.sales_velocity(sim.opportunities) > 0)
        True
        """
        opportunities = instance(
            opportunities,
            Opportunities,
            name="opportunities",
            function="StageRates.sales_velocity",
            what="an Opportunities",
        )
        is_open = opportunities.is_open
        n_open = int(is_open.sum())
        if n_open == 0:
            return 0.0
        if not self.cycle_days_won > 0:  # NaN (no won deal) or a zero-day cycle: undefined
            return float("nan")
        mean_size = float(opportunities.amount[is_open].mean())
        return n_open * float(self.win_rate[0]) * mean_size / self.cycle_days_won


def _median_by(codes: IntArray, values: FloatArray, k: int) -> FloatArray:
    out = np.full(k, np.nan)
    if not values.size:
        return out
    order = np.lexsort((values, codes))
    sc, sv = codes[order], values[order]
    counts = bincount(sc, minlength=k)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    out[has] = (sv[lo[has]] + sv[hi[has]]) / 2.0
    return out


def _days(delta: npt.NDArray[np.timedelta64]) -> FloatArray:
    return delta.astype("timedelta64[us]").astype(np.int64) / _US_PER_DAY


def _mean(values: FloatArray) -> float:
    return float(values.mean()) if values.size else float("nan")


def as_state(history: object, *, function: str) -> PipelineState:
    """Return the :class:`PipelineState` of a ``StageHistory`` (or a state as it is)."""
    if isinstance(history, StageHistory):
        return PipelineState.from_history(history)
    if isinstance(history, PipelineState):
        return history
    raise InputError.for_parameter(
        "history", "a StageHistory or a PipelineState", type(history).__name__, function=function
    )


def fit_stage_rates(
    history: StageHistory | PipelineState,
    *,
    prior: tuple[float, float] = (0.5, 0.5),
    level: float = 0.9,
    by: str | None = None,
    shrinkage: float = 20.0,
    created_before: object | None = None,
) -> StageRates:
    """Learn P(win | reached stage), conversions, stage times and cycle length from history.

    Parameters
    ----------
    history : StageHistory or PipelineState
        Stage-entered rows; opportunities whose last row is won or lost are
        closed, the others are left out of the rates (and counted). A
        :class:`PipelineState` fed the same rows in any number of batches gives
        the same rates, bit for bit.
    prior : tuple of float
        Beta prior ``(a0, b0)``, each in (0, 1e9]; default Jeffreys ``(0.5, 0.5)``.
    level : float
        Credible level of the intervals, in (0, 1).
    by : str, optional
        A dimension of the history (e.g. ``"team"``) to fit per-group rates for.
    shrinkage : float
        Strength *m* (in pseudo-deals) of the pull of each group's rate toward
        the overall rate, in [0, 1e12].
    created_before : date-like, optional
        Use only opportunities whose first stage was entered before this time:
        a mature cohort whose deals have had time to close (see Notes).

    Returns
    -------
    StageRates

    Raises
    ------
    InputError
        For a prior, level or shrinkage out of range (bools and text are not
        numbers), a *history* that is neither type, an unknown ``by``
        dimension, a bad ``created_before``, or no closed opportunity to
        learn from (an empty history included).

    Notes
    -----
    A closed opportunity *reached* stage *s* if it entered *s* or any later
    stage (won deals reached every stage). With ``n_s`` reached and ``w_s``
    won, the posterior is ``Beta(a0 + w_s, b0 + n_s - w_s)``; ``win_rate`` is
    its mean. Per group *g* the rate is shrunk toward the overall rate
    ``p_s``: ``Beta(w_gs + m p_s, n_gs - w_gs + m (1 - p_s))`` (empirical-Bayes
    style, Efron & Morris 1975). Only closed deals enter the rates; in a
    young pipeline quick losses close before slow wins, so restrict to a
    mature cohort with ``created_before`` when many deals are still open.

    References
    ----------
    Efron, B., & Morris, C. (1975). Data analysis using Stein's estimator and
    its generalizations. Journal of the American Statistical Association,
    70(350), 311-319.

    Stage timings are stays: a run of rows in the same stage (amount or close
    date changes) is one stay, ended when another stage is entered. Their
    mean is an exact integer sum of microseconds divided once, so it does not
    depend on the order the rows arrived in.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(3000, "2022-01-01", "2024-01-01", seed=5)
    >>> rates = fit_stage_rates(sim.history, created_before="2023-09-01")
    >>> rates.stage.tolist()[:2]
    ['identify opportunity', 'qualify']
    >>> bool(((rates.lower <= sim.true_win_rate) & (sim.true_win_rate <= rates.upper)).sum() >= 4)
    True
    """
    pair = numbers(prior, name="prior", function=_FN, low=0.0, high=1e9, low_open=True)
    if len(pair) != 2:
        raise InputError.for_parameter(
            "prior", "a pair (a0, b0) of numbers in (0, 1e9]", list(pair), function=_FN
        )
    a0, b0 = pair
    lvl = probability(level, name="level", function=_FN, low_open=True, high_open=True)
    m = number(shrinkage, name="shrinkage", function=_FN, low=0.0, high=1e12)
    state = as_state(history, function=_FN)
    if by is not None:
        instance(by, str, name="by", function=_FN, what="a dimension name (a str)")
    cut = None
    if created_before is not None:
        cut = scalar_datetime(created_before, field="created_before", function=_FN)
    if by is not None and by not in state.dimensions:
        raise InputError.for_parameter(
            "by",
            f"a dimension of the history ({list(state.dimensions)})",
            by,
            function=_FN,
        )
    process = state.process
    k = process.n_stages
    won_code = process.won_code
    outcome = state.stage
    closed = outcome >= won_code
    first_time = state.first_entered
    cohort = np.ones(state.n_opportunities, dtype=bool)
    if cut is not None:
        cohort = first_time < cut
    use = closed & cohort
    if not use.any():
        raise InputError(
            f"{_FN} needs at least one closed (won or lost) opportunity; got none.",
            field="history",
            hint="Pass stage histories that include won/lost outcome rows.",
        )
    won = outcome == won_code
    reach_top = np.where(won, k - 1, state.max_open_stage)
    # reached[s] = #use deals with reach_top >= s
    top_counts = bincount(reach_top[use] + 1, minlength=k + 1)[1:]
    n_reached = np.cumsum(top_counts[::-1])[::-1].astype(np.int64)
    won_counts = bincount(reach_top[use & won] + 1, minlength=k + 1)[1:]
    n_won = np.cumsum(won_counts[::-1])[::-1].astype(np.int64)
    post_a = (a0 + n_won).astype(np.float64)
    post_b = (b0 + n_reached - n_won).astype(np.float64)
    rate = post_a / (post_a + post_b)
    lower, upper = _beta_interval(post_a, post_b, lvl, function=_FN)
    nxt = np.append(n_reached[1:], n_won[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(n_reached > 0, nxt / n_reached, np.nan)
    # time in stage: completed stays of the cohort's deals (open or closed)
    owner = state.spell_owner
    in_cohort = cohort[owner] if owner.size else np.zeros(0, dtype=bool)
    spell_stage = state.spell_stage[in_cohort]
    spell_us = (state.spell_end[in_cohort] - state.spell_start[in_cohort]).astype(np.int64)
    n_spells = bincount(spell_stage, minlength=k).astype(np.int64)
    total_us = np.zeros(k, dtype=np.int64)
    np.add.at(total_us, spell_stage, spell_us)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_days = total_us.astype(np.float64) / n_spells / _US_PER_DAY
    median_days = _median_by(spell_stage, spell_us / _US_PER_DAY, k)
    cycle = _days(state.last_entered - first_time)
    cw, cl = cycle[use & won], cycle[use & ~won]
    groups, g_reached, g_won, g_rate, g_lo, g_hi = _groups(
        state, by, use=use, won=won, reach_top=reach_top, overall=rate, m=m, level=lvl
    )
    return StageRates(
        process=process,
        stage=np.asarray(process.names[:k]),
        n_reached=n_reached,
        n_won=n_won,
        win_rate=as_readonly(rate.astype(np.float64)),
        lower=lower,
        upper=upper,
        conversion=conversion,
        mean_days=mean_days,
        median_days=median_days,
        n_spells=n_spells,
        cycle_days_won=_mean(cw),
        cycle_days_lost=_mean(cl),
        median_cycle_days_won=float(np.median(cw)) if cw.size else float("nan"),
        median_cycle_days_lost=float(np.median(cl)) if cl.size else float("nan"),
        n_closed=int(use.sum()),
        n_open_excluded=int((~closed & cohort).sum()),
        n_cohort_excluded=int((~cohort).sum()),
        prior=(a0, b0),
        level=lvl,
        by=by,
        shrinkage=m,
        group=groups,
        group_n_reached=g_reached,
        group_n_won=g_won,
        group_win_rate=g_rate,
        group_lower=g_lo,
        group_upper=g_hi,
        reasons=_reasons(state, use, won),
    )


def _groups(
    history: PipelineState,
    by: str | None,
    *,
    use: npt.NDArray[np.bool_],
    won: npt.NDArray[np.bool_],
    reach_top: IntArray,
    overall: FloatArray,
    m: float,
    level: float,
) -> tuple[npt.NDArray[Any], IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    k = history.process.n_stages
    if by is None:
        empty_i = np.zeros((0, k), dtype=np.int64)
        empty_f = np.zeros((0, k), dtype=np.float64)
        return np.zeros(0, dtype=np.int64), empty_i, empty_i, empty_f, empty_f, empty_f
    fact = factorize(history.dimensions[by])
    g = fact.n_groups
    flat = fact.codes[use] * (k + 1) + reach_top[use] + 1
    top = bincount(flat, minlength=g * (k + 1)).reshape(g, k + 1)[:, 1:]
    reached = np.cumsum(top[:, ::-1], axis=1)[:, ::-1].astype(np.int64)
    flat_w = fact.codes[use & won] * (k + 1) + reach_top[use & won] + 1
    top_w = bincount(flat_w, minlength=g * (k + 1)).reshape(g, k + 1)[:, 1:]
    wins = np.cumsum(top_w[:, ::-1], axis=1)[:, ::-1].astype(np.int64)
    # a floor of 1e-9 pseudo-deals keeps the Beta proper when m is 0 (or subnormal)
    floor = 1e-9 if m < 1e-9 else 0.0
    a = wins + m * overall[None, :] + floor
    b = reached - wins + m * (1.0 - overall[None, :]) + floor
    rate = a / (a + b)
    lo, hi = _beta_interval(a, b, level, function=_FN)
    return fact.uniques, reached, wins, rate, lo, hi


def _reasons(
    history: PipelineState, use: npt.NDArray[np.bool_], won: npt.NDArray[np.bool_]
) -> ReasonBreakdown:
    reason = history.reason[use]
    outcome_won = won[use]
    fact = factorize(reason.astype(str)) if reason.size else None
    if fact is None:
        empty = np.zeros(0, dtype=str)
        return ReasonBreakdown(
            outcome=empty, reason=empty, count=np.zeros(0, np.int64), share=np.zeros(0)
        )
    g = fact.n_groups
    key = (~outcome_won).astype(np.int64) * g + fact.codes
    counts = bincount(key, minlength=2 * g)
    present = np.flatnonzero(counts)
    totals = np.array([outcome_won.sum(), (~outcome_won).sum()], dtype=np.float64)
    is_lost = present // g
    names = np.array([history.process.won, history.process.lost])
    return ReasonBreakdown(
        outcome=names[is_lost],
        reason=fact.uniques[present % g].astype(str),
        count=counts[present].astype(np.int64),
        share=counts[present] / totals[is_lost],
    )
