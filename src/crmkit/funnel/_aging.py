"""Deal aging: how long open deals have sat in their stage vs won deals; when when they close."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_readonly, check_same_length, scalar_datetime
from crmkit._params import probability
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit._survival import KaplanMeier, kaplan_meier
from crmkit.errors import InputError
from crmkit.funnel._history import StageHistory
from crmkit.funnel._opportunities import stage_codes
from crmkit.funnel._process import SalesProcess
from crmkit.funnel._state import PipelineState

__all__ = ["DealAging", "TimeToClose", "deal_aging", "fit_time_to_close"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_US_PER_DAY: Final = 86_400_000_000


def _state_at(history: object, as_of: object, function: str) -> tuple[PipelineState, np.datetime64]:
    cut = scalar_datetime(as_of, field="as_of", function=function)
    if isinstance(history, StageHistory):
        return PipelineState.from_history(history, as_of=cut), cut
    if isinstance(history, PipelineState):
        if history.last_entered.size and history.last_entered.max() >= cut:
            raise InputError.for_parameter(
                "as_of",
                f"after the state's latest row ({history.last_entered.max()})",
                str(cut),
                function=function,
                hint="Or pass the StageHistory: rows on or after as_of are then left out.",
            )
        return history, cut
    raise InputError.for_parameter(
        "history", "a StageHistory or a PipelineState", type(history).__name__, function=function
    )


@attrs.frozen(kw_only=True, repr=False)
class TimeToClose(Result):
    """Kaplan-Meier distribution of the days from entering each stage to closing (won or lost).

    Attributes
    ----------
    stage : ndarray of str, shape (k,)
        Open stages.
    n_entered : ndarray of int64, shape (k,)
        Deals that entered the stage before ``as_of``.
    n_closed, n_censored : ndarray of int64, shape (k,)
        Of them, closed before ``as_of`` (events) and still open (censored at ``as_of``).
    p10_days, median_days, p90_days : ndarray of float64, shape (k,)
        Quantiles of the days to close from first entering the stage; NaN
        where the curve never falls that low (too few deals known to close
        that late).
    curve_stage : ndarray of int64, shape (c,)
        Stage code of each point of the survival curves.
    curve_days, curve_survival : ndarray of float64, shape (c,)
        Event times (days) and ``S(t)``, the share still open just after.
    curve_at_risk, curve_closed : ndarray of int64, shape (c,)
        Deals at risk and closing at each event time.
    as_of : numpy.datetime64
        End of observation.
    process : SalesProcess
        The stages.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(2000, "2022-01-01", "2024-01-01", seed=3)
    >>> ttc = fit_time_to_close(sim.history, as_of=sim.as_of)
    >>> bool(ttc.median_days[0] > ttc.median_days[-1])  # early stages are further from closing
    True
    """

    _table: ClassVar[tuple[str, ...]] = (
        "stage",
        "n_entered",
        "n_closed",
        "n_censored",
        "p10_days",
        "median_days",
        "p90_days",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "p10_days": "number",
        "median_days": "number",
        "p90_days": "number",
        "curve_days": "number",
        "curve_survival": "share",
    }
    stage: npt.NDArray[np.str_]
    n_entered: IntArray
    n_closed: IntArray
    n_censored: IntArray
    p10_days: FloatArray
    median_days: FloatArray
    p90_days: FloatArray
    curve_stage: IntArray
    curve_days: FloatArray
    curve_survival: FloatArray
    curve_at_risk: IntArray
    curve_closed: IntArray
    as_of: np.datetime64
    process: SalesProcess

    def _km(self) -> KaplanMeier:
        k = self.stage.size
        counts = bincount(self.curve_stage, minlength=k)
        offsets = np.zeros(k + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return KaplanMeier(
            offsets=offsets,
            time=self.curve_days,
            survival=self.curve_survival,
            at_risk=self.curve_at_risk,
            events=self.curve_closed,
            n_subjects=self.n_entered,
            n_events=self.n_closed,
        )

    def remaining_quantile(self, stage: object, elapsed_days: object, q: float) -> FloatArray:
        """Days from stage entry by which a share *q* of deals like these close, given their age.

        Parameters
        ----------
        stage : array_like of str or int, shape (n,)
            Open stage (name or code) of each deal.
        elapsed_days : array_like of float, shape (n,)
            Days since each deal first entered that stage, >= 0.
        q : float
            Quantile in (0, 1).

        Returns
        -------
        ndarray of float64, shape (n,)
            The smallest ``t > elapsed`` with ``S(t) <= (1 - q) S(elapsed)``
            (days from stage entry); NaN where the curve never falls that low.

        Raises
        ------
        InputError
            For unknown or closed stages, negative or non-finite days, a *q*
            outside (0, 1), or columns of different lengths.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
        >>> h = StageHistory.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     opportunity=[1, 1, 2, 2, 3],
        ...     stage=["plan", "won", "plan", "lost", "plan"],
        ...     entered=["2024-01-01", "2024-01-11", "2024-01-01", "2024-01-31", "2024-01-01"],
        ... )
        >>> t = fit_time_to_close(h, as_of="2024-02-10")
        >>> t.remaining_quantile(["plan"], [15.0], 0.5).tolist()  # open 15 days: median 30
        [30.0]
        """
        fn = "TimeToClose.remaining_quantile"
        qq = probability(q, name="q", function=fn, low_open=True, high_open=True)
        k = self.stage.size
        process = self.process
        codes = stage_codes(stage, process, field="stage", function=fn)
        closed = codes >= k
        if closed.any():
            pos = np.flatnonzero(closed)
            raise InputError.for_rows(
                "stage",
                "must be open stages",
                positions=pos[:5].tolist(),
                values=[process.names[c] for c in codes[pos[:5]]],
                n_bad=int(pos.size),
                function=fn,
            )
        elapsed = as_finite_float(elapsed_days, field="elapsed_days", function=fn, minimum=0.0)
        check_same_length({"stage": codes.size, "elapsed_days": elapsed.size}, function=fn)
        return self._km().quantile(codes, qq, elapsed=elapsed)


def _time_to_close(state: PipelineState, cut: np.datetime64) -> TimeToClose:
    k = state.process.n_stages
    fis = state.first_in_stage
    entered = ~np.isnat(fis)
    opp, stage = np.nonzero(entered)
    closed = state.is_closed[opp]
    stop = np.where(closed, state.last_entered[opp], cut)
    days = (stop - fis[opp, stage]).astype(np.int64) / _US_PER_DAY
    km = kaplan_meier(stage.astype(np.int64), days, closed, k)
    groups = np.arange(k, dtype=np.int64)
    zero = np.full(k, -np.inf)  # unconditional
    curve_stage = np.repeat(groups, np.diff(km.offsets))
    return TimeToClose(
        stage=np.asarray(state.process.names[:k]),
        n_entered=km.n_subjects,
        n_closed=km.n_events,
        n_censored=km.n_subjects - km.n_events,
        p10_days=km.quantile(groups, 0.1, elapsed=zero),
        median_days=km.quantile(groups, 0.5, elapsed=zero),
        p90_days=km.quantile(groups, 0.9, elapsed=zero),
        curve_stage=curve_stage,
        curve_days=km.time,
        curve_survival=km.survival,
        curve_at_risk=km.at_risk,
        curve_closed=km.events,
        as_of=cut,
        process=state.process,
    )


def fit_time_to_close(history: StageHistory | PipelineState, *, as_of: object) -> TimeToClose:
    """Kaplan-Meier time to close from each stage, with open deals as censored observations.

    Parameters
    ----------
    history : StageHistory or PipelineState
        Stage histories; only rows entered before *as_of* are used.
    as_of : date-like
        End of observation: deals still open then are censored there.

    Returns
    -------
    TimeToClose

    Raises
    ------
    InputError
        For a state with rows on or after *as_of*.

    Notes
    -----
    For every deal and every open stage *s* it entered, the duration runs
    from its first entry into *s* to its won/lost row (an event) or to
    *as_of* (censored). ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` (Kaplan &
    Meier, 1958). Closing counts either outcome: the question is when the deal
    leaves the pipeline. Deals that never close are censored, not dropped, so
    slow deals do not make the pipeline look faster than it is.

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958). "Nonparametric Estimation from
    Incomplete Observations". JASA 53(282), 457-481.

    Examples
    --------
    Two deals entered "plan"; one closed after 10 days, one is still open after 30:

    >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2],
    ...     stage=["plan", "won", "plan"],
    ...     entered=["2024-01-01", "2024-01-11", "2024-01-01"],
    ... )
    >>> t = fit_time_to_close(h, as_of="2024-01-31")
    >>> int(t.n_closed[2]), int(t.n_censored[2]), float(t.median_days[2])
    (1, 1, 10.0)
    """
    state, cut = _state_at(history, as_of, "fit_time_to_close")
    return _time_to_close(state, cut)


@attrs.frozen(kw_only=True, repr=False)
class DealAging(Result):
    """Every open deal's age in its stage and overall, against won deals, with stale flags.

    Attributes
    ----------
    id : ndarray, shape (n,)
        Open deals at ``as_of``.
    stage : ndarray of str, shape (n,)
        Current stage.
    stage_entered : ndarray of datetime64[us], shape (n,)
        When the current stage was entered.
    days_in_stage, age_days : ndarray of float64, shape (n,)
        Days since entering the current stage and since the first row (creation).
    in_stage_percentile : ndarray of float64, shape (n,)
        Share of won deals' stays in this stage that had ended after at most
        ``days_in_stage`` days (NaN where no won deal stayed in it).
    age_percentile : ndarray of float64, shape (n,)
        Share of won deals that had left this stage by this age (NaN as above).
    stale : ndarray of bool, shape (n,)
        ``in_stage_percentile > stale_share`` or ``age_percentile > stale_share``.
    close_date : ndarray of datetime64[us], shape (n,)
        The rep's expected close date from the log (NaT if the log has none).
    expected_close, close_p10, close_p90 : ndarray of datetime64[us], shape (n,)
        Median and 10 % / 90 % quantiles of the close date from the
        time-to-close distribution of the stage, given how long the deal has
        been in it (NaT where the curve never falls that low).
    groups : mapping of str to ndarray, shape (n,) each
        The log's dimensions of each deal.
    stale_share : float
        The threshold of the stale rule.
    time_to_close : TimeToClose
        The distributions used.
    as_of : numpy.datetime64
        When the deals were aged.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2],
    ...     stage=["plan", "won", "plan"],
    ...     entered=["2024-01-01", "2024-01-05", "2024-01-01"],
    ... )
    >>> a = deal_aging(h, as_of="2024-01-31")
    >>> a.id.tolist(), a.days_in_stage.tolist(), a.stale.tolist()  # won deals left plan in 4 days
    ([2], [30.0], [True])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "id",
        "stage",
        "stage_entered",
        "days_in_stage",
        "age_days",
        "in_stage_percentile",
        "age_percentile",
        "stale",
        "close_date",
        "expected_close",
        "close_p10",
        "close_p90",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "days_in_stage": "number",
        "age_days": "number",
        "in_stage_percentile": "share",
        "age_percentile": "share",
        "stale_share": "probability",
    }
    _rows: ClassVar[tuple[str, ...]] = (*_table, "groups")
    id: npt.NDArray[Any]
    stage: npt.NDArray[np.str_]
    stage_entered: npt.NDArray[np.datetime64]
    days_in_stage: FloatArray
    age_days: FloatArray
    in_stage_percentile: FloatArray
    age_percentile: FloatArray
    stale: npt.NDArray[np.bool_]
    close_date: npt.NDArray[np.datetime64]
    expected_close: npt.NDArray[np.datetime64]
    close_p10: npt.NDArray[np.datetime64]
    close_p90: npt.NDArray[np.datetime64]
    groups: Mapping[str, npt.NDArray[Any]]
    stale_share: float
    time_to_close: TimeToClose
    as_of: np.datetime64

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return one row per open deal, its dimensions after the id.

        Returns
        -------
        dict of str to ndarray
        """
        base = super().table()
        cols = {"id": base.pop("id")}
        cols |= {k: np.asarray(v) for k, v in self.groups.items()}
        return cols | base


def _ecdf(
    reference: FloatArray, ref_stage: IntArray, value: FloatArray, stage: IntArray, k: int
) -> FloatArray:
    out = np.full(value.size, np.nan)
    for s in range(k):
        ref = np.sort(reference[ref_stage == s])
        mine = stage == s
        if ref.size and mine.any():
            out[mine] = np.searchsorted(ref, value[mine], side="right") / ref.size
    return out


def _add_days(base: npt.NDArray[np.datetime64], days: FloatArray) -> npt.NDArray[np.datetime64]:
    ok = np.isfinite(days)
    shift = np.where(ok, days * _US_PER_DAY, 0).astype(np.int64).astype("timedelta64[us]")
    out = base + shift
    return np.where(ok, out, np.datetime64("NaT", "us")).astype("datetime64[us]")


def deal_aging(
    history: StageHistory | PipelineState, *, as_of: object, stale_share: float = 0.9
) -> DealAging:
    """Age every open deal against the history of won deals, flag stale ones, estimate close dates.

    Parameters
    ----------
    history : StageHistory or PipelineState
        Stage histories (rows entered before *as_of* are used); the deals
        open at *as_of* are aged, the won ones before it are the reference.
    as_of : date-like
        When to age the deals.
    stale_share : float
        Threshold in (0, 1) of the stale rule (default 0.9).

    Returns
    -------
    DealAging

    Raises
    ------
    InputError
        For a threshold outside (0, 1) or a state with rows on or after *as_of*.

    Notes
    -----
    The reference for stage *s* is every stay in *s* of the deals won before
    *as_of* (its length, and the deal's age when it left *s*). A deal's
    percentile is the share of those stays that had ended by its own time
    (the empirical CDF). **Stale rule:** a deal is stale when more than
    ``stale_share`` of won deals had already left its stage after as many
    days in the stage, or at as old an age. The expected close date is the
    stage's time-to-close median given the deal's time since first entering
    the stage, ``min {t >= e : S(t) <= S(e) / 2}`` (see
    :func:`fit_time_to_close`): an alternative to the rep's own date.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(3000, "2022-01-01", "2024-01-01", seed=3)
    >>> aging = deal_aging(sim.history, as_of=sim.as_of)
    >>> aging.id.size == sim.opportunities.n_open
    True
    >>> bool(aging.days_in_stage[aging.stale].mean() > aging.days_in_stage[~aging.stale].mean())
    True
    """
    fn = "deal_aging"
    share = probability(stale_share, name="stale_share", function=fn, low_open=True, high_open=True)
    state, cut = _state_at(history, as_of, fn)
    k = state.process.n_stages
    ttc = _time_to_close(state, cut)
    owner = state.spell_owner
    won_spell = state.stage[owner] == state.process.won_code if owner.size else np.zeros(0, bool)
    ref_stage = state.spell_stage[won_spell]
    ref_stay = (state.spell_end - state.spell_start)[won_spell].astype(np.int64) / _US_PER_DAY
    ref_age = (state.spell_end[won_spell] - state.first_entered[owner[won_spell]]).astype(
        np.int64
    ) / _US_PER_DAY
    live = np.flatnonzero(~state.is_closed)
    stage = state.stage[live]
    in_stage = (cut - state.stage_entered[live]).astype(np.int64) / _US_PER_DAY
    age = (cut - state.first_entered[live]).astype(np.int64) / _US_PER_DAY
    pct_stage = _ecdf(ref_stay, ref_stage, in_stage, stage, k)
    pct_age = _ecdf(ref_age, ref_stage, age, stage, k)
    with np.errstate(invalid="ignore"):
        stale = (pct_stage > share) | (pct_age > share)
    first = state.first_in_stage[live, stage] if live.size else np.zeros(0, "datetime64[us]")
    elapsed = (cut - first).astype(np.int64) / _US_PER_DAY
    km = ttc._km()  # noqa: SLF001  (same module)
    quant = {q: km.quantile(stage, q, elapsed=elapsed) for q in (0.1, 0.5, 0.9)}
    rep_close = (
        state.close_date[live]
        if state.close_date is not None
        else np.full(live.size, np.datetime64("NaT", "us"))
    )
    return DealAging(
        id=as_readonly(state.opportunity[live]),
        stage=np.asarray(state.process.names)[stage],
        stage_entered=state.stage_entered[live],
        days_in_stage=in_stage,
        age_days=age,
        in_stage_percentile=pct_stage,
        age_percentile=pct_age,
        stale=stale,
        close_date=rep_close,
        expected_close=_add_days(first, quant[0.5]),
        close_p10=_add_days(first, quant[0.1]),
        close_p90=_add_days(first, quant[0.9]),
        groups={name: v[live] for name, v in state.dimensions.items()},
        stale_share=share,
        time_to_close=ttc,
        as_of=cut,
    )
