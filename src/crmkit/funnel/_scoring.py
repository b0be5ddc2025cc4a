"""Explainable naive-Bayes win scoring in the style of Odoo's predictive lead scoring."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import check_same_length
from crmkit._params import instance, integer, names, number, numbers
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._forecast import check_opportunities
from crmkit.funnel._history import StageHistory
from crmkit.funnel._opportunities import Opportunities, stage_codes
from crmkit.funnel._process import SalesProcess

__all__ = ["WinScorer", "WinScores", "fit_win_scorer", "score_opportunities"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
STAGE: Final = "stage"


@attrs.frozen(kw_only=True, repr=False)
class WinScorer(Result):
    """Frequency tables of won and lost opportunities, per team and overall.

    Attributes
    ----------
    process : SalesProcess
        The stages.
    fields : tuple of str
        Attributes used besides the stage reached.
    team : str or None
        Dimension whose values get their own tables (None: overall only).
    teams : ndarray, shape (t,)
        Teams with their own tables (those with both won and lost deals).
    values : mapping of str to ndarray
        Known values of each field (sorted).
    won_count, lost_count : mapping of str to ndarray, shape (t + 1, v_f)
        Raw counts per team (last row: overall) and value; for ``"stage"`` the
        number of won/lost deals that reached each stage.
    smoothing : float
        Pseudo-count added to every won and lost count.
    min_support : int
        Minimum won + lost deals before a value (of a non-stage field) counts.
    clamp : tuple of float
        Bounds the probabilities are clipped to.
    n_won, n_lost : ndarray of int64, shape (t + 1,)
        Deals per table.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, StageHistory
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2, 2],
    ...     stage=["plan", "won", "plan", "lost"],
    ...     entered=["2024-01-01", "2024-02-01", "2024-01-03", "2024-01-09"],
    ...     dimensions={"source": ["web", "web", "event", "event"]},
    ... )
    >>> s = fit_win_scorer(h, fields=["source"], min_support=0)
    >>> s.won_count["source"].tolist(), s.lost_count["source"].tolist()
    ([[0, 1]], [[1, 0]])
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {"smoothing": "number", "clamp": "probability"}

    process: SalesProcess
    fields: tuple[str, ...]
    team: str | None
    teams: npt.NDArray[Any]
    values: Mapping[str, npt.NDArray[Any]]
    won_count: Mapping[str, IntArray]
    lost_count: Mapping[str, IntArray]
    smoothing: float
    min_support: int
    clamp: tuple[float, float]
    n_won: IntArray
    n_lost: IntArray


@attrs.frozen(kw_only=True, repr=False)
class WinScores(Result):
    """Win probabilities of open opportunities with the likelihood ratios that explain them.

    Attributes
    ----------
    id : ndarray, shape (n,)
        Opportunity ids.
    probability : ndarray of float64, shape (n,)
        Naive-Bayes win probability, clamped.
    prior : ndarray of float64, shape (n,)
        Base rate of the table used (team or overall).
    team_table : ndarray of bool, shape (n,)
        Whether the deal's team table was used (else the overall one).
    fields : tuple of str
        ``("stage", *scorer.fields)``: the columns of ``likelihood_ratio``.
    likelihood_ratio : ndarray of float64, shape (n, f)
        ``P(value | won) / P(value | lost)`` per field; 1 where the value is
        unseen or below the minimum support. ``prior odds x Π ratios`` gives the
        odds before clamping.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, StageHistory
    >>> h = StageHistory.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     opportunity=[1, 1, 2, 2],
    ...     stage=["plan", "won", "plan", "lost"],
    ...     entered=["2024-01-01", "2024-02-01", "2024-01-03", "2024-01-09"],
    ...     dimensions={"source": ["web", "web", "event", "event"]},
    ... )
    >>> scorer = fit_win_scorer(h, fields=["source"], min_support=0)
    >>> deal = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[7],
    ...     amount=[1.0],
    ...     stage=["plan"],
    ...     dimensions={"source": ["web"]},
    ... )
    >>> s = score_opportunities(scorer, deal)
    >>> s.likelihood_ratio.round(1).tolist(), s.probability.round(3).tolist()
    ([[1.0, 11.0]], [0.917])
    """

    _table: ClassVar[tuple[str, ...]] = ("id", "probability", "prior", "team_table")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "id": "id",
        "probability": "probability",
        "prior": "probability",
        "likelihood_ratio": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = (
        "id",
        "probability",
        "prior",
        "team_table",
        "likelihood_ratio",
    )
    id: npt.NDArray[Any]
    probability: FloatArray
    prior: FloatArray
    team_table: npt.NDArray[np.bool_]
    fields: tuple[str, ...]
    likelihood_ratio: FloatArray

    def explain(self, row: int) -> dict[str, float]:
        """Return one deal's likelihood ratios by field, strongest evidence first.

        Parameters
        ----------
        row : int
            Position of the deal.

        Returns
        -------
        dict of str to float

        Examples
        --------
        >>> from crmkit.datasets import simulate_pipeline
        >>> sim = simulate_pipeline(2000, "2022-01-01", "2024-01-01", seed=2)
        >>> scorer = fit_win_scorer(sim.history, fields=["source", "region"])
        >>> open_deals = sim.opportunities.subset(sim.opportunities.is_open)
        >>> list(score_opportunities(scorer, open_deals).explain(0))[0] in {
        ...     "stage",
        ...     "source",
        ...     "region",
        ... }
        True
        """
        i = integer(
            row,
            name="row",
            function="WinScores.explain",
            minimum=0,
            maximum=max(self.id.size - 1, 0),
        )
        ratios = self.likelihood_ratio[i]
        order = np.argsort(-np.abs(np.log(ratios)), kind="stable")
        return {self.fields[i]: float(ratios[i]) for i in order}


def fit_win_scorer(
    history: StageHistory,
    *,
    fields: Sequence[str],
    team: str | None = None,
    smoothing: float = 0.1,
    min_support: int = 5,
    clamp: tuple[float, float] = (1e-4, 1 - 1e-4),
) -> WinScorer:
    """Learn naive-Bayes frequency tables from won and lost opportunities.

    Parameters
    ----------
    history : StageHistory
        Stage histories with outcomes; open opportunities are ignored. The
        attributes come from the history's dimensions.
    fields : sequence of str
        Categorical dimensions to use (source, region, product line, ...).
    team : str, optional
        Dimension with per-value tables (Odoo: the sales team); deals of a team
        without both won and lost history fall back to the overall table.
    smoothing : float
        Pseudo-count added to each won and each lost count (Odoo: 0.1), >= 0.
    min_support : int
        A non-stage value counts only after this many closed deals (Odoo uses 50
        for tags only), >= 0.
    clamp : tuple of float
        Probabilities are clipped to this range (Odoo: 0.01 % to 99.99 %).

    Returns
    -------
    WinScorer

    Raises
    ------
    InputError
        For a *history* that is not a StageHistory, unknown or repeated
        fields (a bare str is one field, not its letters), no won or no lost
        deal (an empty history included), or bad parameters.

    Notes
    -----
    As Odoo CRM's predictive lead scoring (``crm.lead`` ``_pls_*``): for a deal
    at stage *s* with attribute values *v_f*, with smoothed counts,

    ``odds = (W / L) x (w_s / W) / (l_s / L) x Π_f (w_fv / W_f) / (l_fv / L_f)``

    where ``W, L`` are won and lost deals (smoothed first-stage counts),
    ``w_s, l_s`` those that reached stage *s*, ``w_fv, l_fv`` those with value
    *v* and ``W_f, L_f`` their sums over the field's values. Unseen or
    unsupported values contribute a ratio of 1. Then ``p = odds / (1 + odds)``
    clipped to ``clamp``. With ``smoothing=0`` a value seen with one outcome
    only gives a ratio of 0 or infinity (then p = 0 or 1 before clamping); a
    0/0 ratio counts as 1 and a 0 x infinity product falls back to the prior.

    References
    ----------
    Odoo S.A., CRM predictive lead scoring, ``addons/crm/models/crm_lead.py``
    (``_pls_get_naive_bayes_probabilities``), LGPL-3.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(2000, "2022-01-01", "2024-01-01", seed=2)
    >>> scorer = fit_win_scorer(sim.history, fields=["source"], team="team")
    >>> scorer.values["source"].tolist()
    ['event', 'outbound', 'referral', 'web']
    """
    fn = "fit_win_scorer"
    history = instance(history, StageHistory, name="history", function=fn, what="a StageHistory")
    fields = names(fields, name="fields", function=fn, allow_empty=True, what="dimension names")
    if team is not None:
        instance(team, str, name="team", function=fn, what="a dimension name (a str)")
    known = list(history.dimensions)
    for name, wanted in (("fields", fields), ("team", (team,) if team is not None else ())):
        unknown = [f for f in wanted if f not in history.dimensions]
        if unknown:
            raise InputError.for_parameter(
                name, f"dimensions of the history {known}", unknown[0], function=fn
            )
    if STAGE in fields:
        raise InputError.for_parameter(
            "fields", "attribute names other than 'stage'", STAGE, function=fn
        )
    sm = number(smoothing, name="smoothing", function=fn, low=0.0)
    support = integer(min_support, name="min_support", function=fn, minimum=0)
    bounds = numbers(clamp, name="clamp", function=fn, low=0.0, high=1.0, increasing=True)
    if len(bounds) != 2:
        raise InputError.for_parameter(
            "clamp", "a pair (low, high) with 0 <= low < high <= 1", list(bounds), function=fn
        )
    lo, hi = bounds
    process = history.process
    won_code = process.won_code
    closed = history.outcome >= won_code
    won = (history.outcome == won_code)[closed]
    n_won_all, n_lost_all = int(won.sum()), int((~won).sum())
    if not n_won_all or not n_lost_all:
        raise InputError(
            f"fit_win_scorer needs won and lost opportunities; got {n_won_all} won and "
            f"{n_lost_all} lost.",
            field="history",
            hint="Pass stage histories whose deals have closed both ways.",
        )
    k = process.n_stages
    reach = np.where(history.outcome == won_code, k - 1, history.max_open_stage)[closed]
    if team is not None:
        tf = factorize(history.dimensions[team][closed])
        tcode = tf.codes
        t_won = bincount(tcode[won], minlength=tf.n_groups)
        t_lost = bincount(tcode[~won], minlength=tf.n_groups)
        usable = (t_won > 0) & (t_lost > 0)
        teams = tf.uniques[usable]
        remap = np.full(tf.n_groups, -1, dtype=np.int64)
        remap[usable] = np.arange(int(usable.sum()))
        tcode = remap[tcode]
    else:
        teams = np.zeros(0, dtype=np.int64)
        tcode = np.full(int(closed.sum()), -1, dtype=np.int64)
    t = teams.size
    rows = np.where(tcode >= 0, tcode, t)  # team table row, or the overall row

    def counts(codes: IntArray, size: int, mask: npt.NDArray[np.bool_]) -> IntArray:
        team_part = bincount(rows[mask] * size + codes[mask], minlength=(t + 1) * size)
        table = team_part.reshape(t + 1, size)
        table[t] = bincount(codes[mask], minlength=size)  # overall row over every deal
        return table.astype(np.int64)

    def reached(mask: npt.NDArray[np.bool_]) -> IntArray:
        top = counts(reach + 1, k + 1, mask)[:, 1:]
        return np.cumsum(top[:, ::-1], axis=1)[:, ::-1].astype(np.int64)

    values: dict[str, npt.NDArray[Any]] = {STAGE: np.asarray(process.names[:k])}
    won_count = {STAGE: reached(won)}
    lost_count = {STAGE: reached(~won)}
    for f in fields:
        ff = factorize(history.dimensions[f][closed])
        values[f] = ff.uniques
        won_count[f] = counts(ff.codes, ff.n_groups, won)
        lost_count[f] = counts(ff.codes, ff.n_groups, ~won)
    return WinScorer(
        process=process,
        fields=fields,
        team=team,
        teams=teams,
        values=values,
        won_count=won_count,
        lost_count=lost_count,
        smoothing=sm,
        min_support=support,
        clamp=(lo, hi),
        n_won=won_count[STAGE][:, 0],
        n_lost=lost_count[STAGE][:, 0],
    )


def _lookup(
    known: npt.NDArray[Any], values: npt.NDArray[Any]
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    if not known.size:
        return np.zeros(values.size, dtype=np.int64), np.zeros(values.size, dtype=bool)
    if known.dtype.kind != values.dtype.kind:
        known, values = known.astype(str), values.astype(str)
    idx = np.clip(np.searchsorted(known, values), 0, known.size - 1)
    return idx.astype(np.int64), known[idx] == values


def score_opportunities(
    scorer: WinScorer, opportunities: Opportunities, *, stage: npt.ArrayLike | None = None
) -> WinScores:
    """Score opportunities with a fitted :class:`WinScorer`, with per-field explanations.

    Parameters
    ----------
    scorer : WinScorer
        From :func:`fit_win_scorer`.
    opportunities : Opportunities
        Deals with the scorer's fields (and team) as dimensions. Won deals get
        the upper clamp, lost ones the lower.
    stage : array_like of int or str, shape (n,), optional
        Stage codes or names to score at instead of the deals' current stages
        (e.g. to evaluate held-out deals at each stage they reached).

    Returns
    -------
    WinScores

    Raises
    ------
    InputError
        If *scorer* or *opportunities* is not of its type, a field is missing
        from the opportunities, the process differs, or *stage* holds unknown
        stages or has another length.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(2000, "2022-01-01", "2024-01-01", seed=2)
    >>> scorer = fit_win_scorer(sim.history, fields=["source"])
    >>> open_deals = sim.opportunities.subset(sim.opportunities.is_open)
    >>> s = score_opportunities(scorer, open_deals)
    >>> bool(((s.probability > 0) & (s.probability < 1)).all()), s.fields
    (True, ('stage', 'source'))
    """
    fn = "score_opportunities"
    scorer = instance(scorer, WinScorer, name="scorer", function=fn, what="a WinScorer")
    opportunities = check_opportunities(opportunities, function=fn, allow_empty=True)
    if opportunities.process != scorer.process:
        raise InputError.for_parameter(
            "opportunities", "deals of the scorer's process", "another process", function=fn
        )
    needed = (*scorer.fields, *((scorer.team,) if scorer.team else ()))
    for f in needed:
        if f not in opportunities.dimensions:
            raise InputError.for_parameter(
                "opportunities",
                f"deals with a {f!r} dimension",
                list(opportunities.dimensions),
                function=fn,
            )
    k = scorer.process.n_stages
    codes = opportunities.stage
    if stage is not None:
        codes = stage_codes(stage, scorer.process, field="stage", function=fn)
        check_same_length({"opportunities": opportunities.n_rows, "stage": codes.size}, function=fn)
    n = codes.size
    t = scorer.teams.size
    if scorer.team is not None and t:
        tidx, tknown = _lookup(scorer.teams, opportunities.dimensions[scorer.team])
        row = np.where(tknown, tidx, t)
    else:
        row = np.full(n, t, dtype=np.int64)
    a = scorer.smoothing
    total_w = scorer.n_won[row] + a
    total_l = scorer.n_lost[row] + a
    prior = total_w / (total_w + total_l)
    ratios = np.ones((n, 1 + len(scorer.fields)))
    st = np.clip(codes, 0, k - 1)
    w_s = scorer.won_count[STAGE][row, st] + a
    l_s = scorer.lost_count[STAGE][row, st] + a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratios[:, 0] = np.where(codes < k, (w_s / total_w) / (l_s / total_l), 1.0)
        for j, f in enumerate(scorer.fields, start=1):
            wc = scorer.won_count[f] + a
            lc = scorer.lost_count[f] + a
            idx, known = _lookup(scorer.values[f], opportunities.dimensions[f])
            support = scorer.won_count[f][row, idx] + scorer.lost_count[f][row, idx]
            use = known & (support >= max(scorer.min_support, 1))
            ratio = (wc[row, idx] / wc.sum(axis=1)[row]) / (lc[row, idx] / lc.sum(axis=1)[row])
            ratios[:, j] = np.where(use, ratio, 1.0)
        ratios = np.where(np.isnan(ratios), 1.0, ratios)  # 0/0: no evidence either way
        odds = prior / (1 - prior) * np.prod(ratios, axis=1)  # 0 x inf -> NaN: back to prior
        prob = np.where(np.isinf(odds), 1.0, np.where(np.isnan(odds), prior, odds / (1 + odds)))
    lo, hi = scorer.clamp
    prob = np.where(codes == scorer.process.won_code, hi, np.where(codes > k, lo, prob))
    return WinScores(
        id=opportunities.id,
        probability=np.clip(prob, lo, hi),
        prior=prior,
        team_table=row < t,
        fields=(STAGE, *scorer.fields),
        likelihood_ratio=ratios,
    )
