"""Rep and team scorecards: pipeline, win rate, stage conversion vs the whole, cycle, velocity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_finite_float
from crmkit._params import instance, names, number
from crmkit._reduce import bincount
from crmkit._results import Kind, Result, frozen_mapping
from crmkit.errors import InputError
from crmkit.funnel._forecast import check_opportunities, probabilities_of
from crmkit.funnel._history import StageHistory
from crmkit.funnel._opportunities import Opportunities

if TYPE_CHECKING:
    from crmkit.funnel._calibration import StageRates

__all__ = ["Scorecard", "scorecards"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_US_PER_DAY: Final = 86_400_000_000
_FN: Final = "scorecards"


@attrs.frozen(kw_only=True, repr=False)
class Scorecard(Result):
    """One row per rep or team: pipeline, conversion, cycle, velocity, coverage, workload.

    Attributes
    ----------
    group : ndarray, shape (g,)
        Rep or team.
    n_open : ndarray of int64, shape (g,)
        Open deals.
    open_pipeline, weighted_pipeline : ndarray of float64, shape (g,)
        Σ amount and Σ amount x p over open deals.
    n_won, n_lost : ndarray of int64, shape (g,)
        Closed deals in the history.
    win_rate : ndarray of float64, shape (g,)
        ``n_won / (n_won + n_lost)`` (NaN without closed deals).
    cycle_days : ndarray of float64, shape (g,)
        Mean days from first stage to won (NaN without won deals).
    velocity : ndarray of float64, shape (g,)
        Sales velocity per day: ``n_open x win_rate x mean open deal size / cycle_days``;
        0 without open deals, NaN where the win rate or the cycle is undefined
        or the cycle is 0 days (deals won the day they were opened).
    quota, coverage : ndarray of float64, shape (g,)
        Quota given for the group (NaN if none) and ``open_pipeline / quota``
        (NaN without a positive quota).
    conversion : ndarray of float64, shape (g, k)
        Stage-to-next-stage conversion of the group's closed deals (NaN where
        none reached the stage).
    conversion_vs_all : ndarray of float64, shape (g, k)
        ``conversion`` minus the conversion over every group (positive: better).
    parent : ndarray, shape (g,)
        With ``compare_to``: each group's parent (e.g. a rep's team; the value on
        the group's first history row, else its first deal); empty otherwise.
    conversion_vs_parent : ndarray of float64, shape (g, k)
        With ``compare_to``: ``conversion`` minus the parent's conversion (the
        rep against their own team); NaN-filled otherwise.
    overall_conversion : ndarray of float64, shape (k,)
        Conversion over every group.
    activities : mapping of str to ndarray of float64, shape (g,)
        Per activity kind: mean count per open deal (workload against funnel);
        NaN for groups without open deals.
    by : str
        The grouping dimension.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(600, "2023-01-01", "2024-01-01", seed=5)
    >>> card = scorecards(sim.opportunities, sim.history, by="region", probabilities="configured")
    >>> card.group.tolist()
    ['east', 'north', 'south', 'west']
    """

    _table: ClassVar[tuple[str, ...]] = (
        "group",
        "n_open",
        "open_pipeline",
        "weighted_pipeline",
        "n_won",
        "n_lost",
        "win_rate",
        "cycle_days",
        "velocity",
        "quota",
        "coverage",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "group": "id",
        "open_pipeline": "money",
        "weighted_pipeline": "money",
        "win_rate": "share",
        "cycle_days": "number",
        "velocity": "money",
        "quota": "money",
        "coverage": "number",
        "conversion": "share",
        "conversion_vs_all": "share",
        "parent": "id",
        "conversion_vs_parent": "share",
        "overall_conversion": "share",
        "activities": "number",
    }
    _plot: ClassVar[str] = "scorecard_chart"
    group: npt.NDArray[Any]
    n_open: IntArray
    open_pipeline: FloatArray
    weighted_pipeline: FloatArray
    n_won: IntArray
    n_lost: IntArray
    win_rate: FloatArray
    cycle_days: FloatArray
    velocity: FloatArray
    quota: FloatArray
    coverage: FloatArray
    conversion: FloatArray
    conversion_vs_all: FloatArray
    parent: npt.NDArray[Any]
    conversion_vs_parent: FloatArray
    overall_conversion: FloatArray
    activities: Mapping[str, FloatArray] = attrs.field(converter=frozen_mapping)
    by: str

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the per-group columns plus ``activity_<kind>`` columns.

        Returns
        -------
        dict of str to ndarray
        """
        cols = super().table()
        cols |= {f"activity_{k}": np.asarray(v) for k, v in self.activities.items()}
        return cols


def _conversion(reached: IntArray, won: IntArray) -> FloatArray:
    nxt = np.concatenate([reached[..., 1:], won[..., -1:]], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(reached > 0, nxt / reached, np.nan)
    return out


def _versus_parent(
    opportunities: Opportunities,
    history: StageHistory,
    compare_to: str | None,
    *,
    oc: IntArray,
    hc: IntArray,
    g: int,
) -> tuple[npt.NDArray[Any], FloatArray]:
    k = history.process.n_stages
    if compare_to is None:
        return np.zeros(0, dtype=np.int64), np.full((g, k), np.nan)
    if compare_to not in opportunities.dimensions or compare_to not in history.dimensions:
        raise InputError.for_parameter(
            "compare_to",
            "a dimension of both the opportunities and the history",
            compare_to,
            function=_FN,
        )
    po, ph = opportunities.dimensions[compare_to], history.dimensions[compare_to]
    if po.dtype.kind != ph.dtype.kind:
        po, ph = po.astype(str), ph.astype(str)
    pf = factorize(np.concatenate([ph, po]))
    codes_h, codes_o = pf.codes[: ph.size], pf.codes[ph.size :]
    parent_code = np.full(g, -1, dtype=np.int64)
    parent_code[oc[::-1]] = codes_o[::-1]  # first deal wins ...
    parent_code[hc[::-1]] = codes_h[::-1]  # ... unless the history has the group
    parent_r, parent_w = _reached_counts(history, codes_h, pf.n_groups)
    return pf.uniques[parent_code], _conversion(parent_r, parent_w)[parent_code]


def _reached_counts(history: StageHistory, codes: IntArray, g: int) -> tuple[IntArray, IntArray]:
    """Per group: closed deals that reached each stage, and won deals (which reach all)."""
    k = history.process.n_stages
    won_code = history.process.won_code
    closed = history.outcome >= won_code
    won = history.outcome == won_code
    reach = np.where(won, k - 1, history.max_open_stage)
    top = bincount(codes[closed] * (k + 1) + reach[closed] + 1, minlength=g * (k + 1))
    top_w = bincount(codes[won] * (k + 1) + reach[won] + 1, minlength=g * (k + 1))
    reached = np.cumsum(top.reshape(g, k + 1)[:, :0:-1], axis=1)[:, ::-1]
    reached_w = np.cumsum(top_w.reshape(g, k + 1)[:, :0:-1], axis=1)[:, ::-1]
    return reached.astype(np.int64), reached_w.astype(np.int64)


def scorecards(
    opportunities: Opportunities,
    history: StageHistory,
    *,
    by: str,
    probabilities: Literal["configured"] | StageRates,
    quota: Mapping[Any, float] | None = None,
    activities: Mapping[str, object] | None = None,
    compare_to: str | None = None,
) -> Scorecard:
    """Build rep or team scorecards from the current pipeline and the closed history.

    Parameters
    ----------
    opportunities : Opportunities
        Current deals (open ones make the pipeline), with the ``by`` dimension.
    history : StageHistory
        Stage histories with outcomes, with the ``by`` dimension.
    by : str
        The dimension to score (``"owner"``, ``"team"``, ...).
    probabilities : "configured" or StageRates
        Source of the weighted pipeline; no default.
    quota : mapping of group to float, optional
        Quota per group for coverage.
    activities : mapping of str to array_like, optional
        Activity counts per opportunity (aligned with *opportunities*), e.g.
        ``{"calls": ..., "visits": ...}``; averaged over each group's open deals.
    compare_to : str, optional
        A coarser dimension (e.g. ``"team"`` when ``by="owner"``) to compare each
        group's conversion with.

    Returns
    -------
    Scorecard
        Groups seen in either input, sorted.

    Raises
    ------
    InputError
        If an input is not of its type (or of another sales process), both
        are empty, ``by`` is not a dimension of both inputs, activity columns
        have the wrong length or negative counts, or quotas are negative or
        keyed by unknown groups.

    Notes
    -----
    Sales velocity = (open opportunities x win rate x average deal size) / sales
    cycle length, in currency per day. Conversion at stage *s* is
    ``reached(s + 1) / reached(s)`` over closed deals (won for the last stage).

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> sim = simulate_pipeline(2000, "2022-01-01", "2024-01-01", seed=3)
    >>> card = scorecards(
    ...     sim.opportunities,
    ...     sim.history,
    ...     by="team",
    ...     probabilities="configured",
    ...     activities={"calls": sim.deals["calls"]},
    ... )
    >>> card.group.tolist(), bool((card.win_rate > 0).all())
    (['alpha', 'beta', 'gamma'], True)
    """
    opportunities = check_opportunities(opportunities, function=_FN, allow_empty=True)
    history = instance(history, StageHistory, name="history", function=_FN, what="a StageHistory")
    instance(by, str, name="by", function=_FN, what="a dimension name (a str)")
    if compare_to is not None:
        instance(compare_to, str, name="compare_to", function=_FN, what="a dimension name")
    if history.process != opportunities.process:
        raise InputError.for_parameter(
            "history",
            "histories of the opportunities' sales process",
            "another process",
            function=_FN,
        )
    if not opportunities.n_rows and not history.n_opportunities:
        raise InputError(
            f"{_FN} needs deals to score; got an empty Opportunities and an empty StageHistory.",
            field="opportunities",
            hint="Check the filter that built them: nothing is left to score.",
        )
    if by not in opportunities.dimensions or by not in history.dimensions:
        raise InputError.for_parameter(
            "by", "a dimension of both the opportunities and the history", by, function=_FN
        )
    process = opportunities.process
    won_code = process.won_code
    ov, hv = opportunities.dimensions[by], history.dimensions[by]
    if ov.dtype.kind != hv.dtype.kind:
        ov, hv = ov.astype(str), hv.astype(str)
    fact = factorize(np.concatenate([ov, hv]))
    g = fact.n_groups
    oc, hc = fact.codes[: ov.size], fact.codes[ov.size :]
    is_open = opportunities.is_open
    p = probabilities_of(opportunities, probabilities, function=_FN)
    amt = np.where(is_open, opportunities.amount, 0.0)
    n_open = bincount(oc, weights=is_open, minlength=g).astype(np.int64)
    pipeline = bincount(oc, weights=amt, minlength=g).astype(np.float64)
    weighted = bincount(oc, weights=amt * p, minlength=g).astype(np.float64)
    outcome = history.outcome
    closed = outcome >= won_code
    won = outcome == won_code
    n_won = bincount(hc[won], minlength=g).astype(np.int64)
    n_lost = bincount(hc[closed & ~won], minlength=g).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        win_rate = np.where(n_won + n_lost > 0, n_won / (n_won + n_lost), np.nan)
    first = history.entered[history.offsets[:-1]]
    cycle = (history.entered[history.last] - first).astype(np.int64) / _US_PER_DAY
    with np.errstate(divide="ignore", invalid="ignore"):
        cycle_days = bincount(hc[won], weights=cycle[won], minlength=g) / n_won
        mean_size = pipeline / n_open
        # 0 without open deals; NaN where the win rate or the cycle is undefined or 0 days
        velocity = np.where(
            n_open > 0,
            np.where(cycle_days > 0, n_open * win_rate * mean_size / cycle_days, np.nan),
            0.0,
        )
    reached, reached_w = _reached_counts(history, hc, g)
    conversion = _conversion(reached, reached_w)
    overall = _conversion(reached.sum(axis=0), reached_w.sum(axis=0))
    parent, vs_parent = _versus_parent(opportunities, history, compare_to, oc=oc, hc=hc, g=g)
    quotas = np.full(g, np.nan)
    given = {} if quota is None else quota
    what = "a mapping of group to quota"
    instance(given, Mapping, name="quota", function=_FN, what=what)  # type: ignore[type-abstract]
    for key, value in given.items():
        q = number(value, name="quota", function=_FN, low=0.0)
        hit = np.flatnonzero(fact.uniques == (str(key) if fact.uniques.dtype.kind == "U" else key))
        if not hit.size:
            raise InputError.for_parameter(
                "quota",
                f"keyed by known {by} values ({fact.uniques.tolist()[:5]}...)",
                key,
                function=_FN,
            )
        quotas[hit[0]] = q
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(quotas > 0, pipeline / quotas, np.nan)
    acts: dict[str, FloatArray] = {}
    kinds = {} if activities is None else activities
    what = "a mapping of columns"
    instance(kinds, Mapping, name="activities", function=_FN, what=what)  # type: ignore[type-abstract]
    names(list(kinds), name="activities", function=_FN, allow_empty=True, what="activity names")
    for name, col in kinds.items():
        counts = as_finite_float(col, field=name, function=_FN, minimum=0.0)
        if counts.size != opportunities.n_rows:
            raise InputError(
                f"The {name!r} activity column of {_FN} needs one count per opportunity "
                f"({opportunities.n_rows}); got {counts.size}.",
                field=name,
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            acts[name] = bincount(oc, weights=np.where(is_open, counts, 0.0), minlength=g) / n_open
    return Scorecard(
        group=fact.uniques,
        n_open=n_open,
        open_pipeline=pipeline,
        weighted_pipeline=weighted,
        n_won=n_won,
        n_lost=n_lost,
        win_rate=win_rate,
        cycle_days=cycle_days,
        velocity=velocity,
        quota=quotas,
        coverage=coverage,
        conversion=conversion,
        conversion_vs_all=conversion - overall[None, :],
        parent=parent,
        conversion_vs_parent=conversion - vs_parent,
        overall_conversion=overall,
        activities=acts,
        by=by,
    )
