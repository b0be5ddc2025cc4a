"""Forecast rollups along a hierarchy, with managers' submissions, adjustments and their bias."""

from __future__ import annotations

from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_datetime, as_finite_float, as_ids, as_readonly
from crmkit._params import choice, instance
from crmkit._results import Result
from crmkit._tables import read_table
from crmkit.errors import InputError
from crmkit.funnel._forecast import PipelineForecast
from crmkit.funnel._hierarchy import Hierarchy

__all__ = [
    "MEASURES",
    "AdjustmentAudit",
    "BiasCorrected",
    "Rollup",
    "SubmissionBias",
    "fit_submission_bias",
    "rollup_forecast",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_FN: Final = "rollup_forecast"
MEASURES: Final[tuple[str, ...]] = ("closed", "commit", "best_case", "pipeline", "expected")
"""Rolled-up measures, cumulative as CRM forecast categories (see :func:`rollup_forecast`)."""


def _columns(table: object, names: tuple[str, ...], *, field: str, function: str) -> dict[str, Any]:
    cols = read_table(table, field=field, function=function)
    missing = [n for n in names if n not in cols]
    if missing:
        raise InputError(
            f"The {field} table of {function} needs the columns {list(names)}; missing {missing}.",
            field=field,
            hint=f"It has {list(cols)}.",
        )
    return cols


def _lookup(
    labels: npt.NDArray[np.str_], values: object, *, field: str, function: str, what: str
) -> IntArray:
    vals = as_ids(values, field=field, function=function).astype(str)
    where = {str(v): i for i, v in enumerate(labels.tolist())}
    idx = np.array([where.get(v, -1) for v in vals.tolist()], dtype=np.int64)
    bad = np.flatnonzero(idx < 0)
    if bad.size:
        raise InputError.for_rows(
            field,
            f"must name {what}",
            positions=bad[:5].tolist(),
            values=[vals[p] for p in bad[:5]],
            n_bad=int(bad.size),
            function=function,
            hint=f"Known: {labels[:6].tolist()}{' ...' if labels.size > 6 else ''}.",
        )
    return idx


@attrs.frozen(kw_only=True, repr=False)
class AdjustmentAudit(Result):
    """Who changed which number, from what to what, at which level.

    Attributes
    ----------
    period, measure : ndarray of str, shape (a,)
        The number adjusted.
    node : ndarray, shape (a,)
        Whose number was overridden.
    adjuster : ndarray, shape (a,)
        The ancestor at whose level (and above) the override applies.
    author : ndarray of str, shape (a,)
        Who made it.
    at : ndarray of datetime64[us], shape (a,)
        When.
    before, after : ndarray of float64, shape (a,)
        The node's number as the adjuster saw it, and the number entered.
    change : ndarray of float64, shape (a,)
        ``after - before`` as it enters the adjuster's total (0 if superseded).
    superseded : ndarray of bool, shape (a,)
        A later adjustment of the same number by the same adjuster replaced it.
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "measure",
        "node",
        "adjuster",
        "author",
        "at",
        "before",
        "after",
        "change",
        "superseded",
    )
    period: npt.NDArray[np.str_]
    measure: npt.NDArray[np.str_]
    node: npt.NDArray[Any]
    adjuster: npt.NDArray[Any]
    author: npt.NDArray[np.str_]
    at: npt.NDArray[np.datetime64]
    before: FloatArray
    after: FloatArray
    change: FloatArray
    superseded: npt.NDArray[np.bool_]


@attrs.frozen(kw_only=True, repr=False)
class Rollup(Result):
    """System forecast, adjustments and submissions for every node, period and measure.

    Attributes
    ----------
    node : ndarray, shape (r,)
        Hierarchy node.
    parent : ndarray, shape (r,)
        Its parent ("" / -1 style empty value for roots: the node itself is
        repeated; use ``depth`` to find roots).
    level : ndarray of str, shape (r,)
        Level name; ``depth`` its distance to the root.
    depth : ndarray of int64, shape (r,)
    period : ndarray of str, shape (r,)
        Forecast period label; ``start`` and ``end`` its bounds.
    start, end : ndarray of datetime64[us], shape (r,)
    measure : ndarray of str, shape (r,)
        One of :data:`MEASURES`.
    system : ndarray of float64, shape (r,)
        The forecast summed over every deal below the node.
    adjustment : ndarray of float64, shape (r,)
        Net change from the adjustments made at the node or below it.
    value : ndarray of float64, shape (r,)
        ``system + adjustment``: the node's number with its own and its
        subordinates' judgement.
    submitted : ndarray of float64, shape (r,)
        The node's submission for the period and measure (NaN if none).
    audit : AdjustmentAudit
        Every adjustment with its before and after.
    """

    _table: ClassVar[tuple[str, ...]] = (
        "node",
        "parent",
        "level",
        "depth",
        "period",
        "start",
        "end",
        "measure",
        "system",
        "adjustment",
        "value",
        "submitted",
    )
    node: npt.NDArray[Any]
    parent: npt.NDArray[Any]
    level: npt.NDArray[np.str_]
    depth: IntArray
    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    measure: npt.NDArray[np.str_]
    system: FloatArray
    adjustment: FloatArray
    value: FloatArray
    submitted: FloatArray
    audit: AdjustmentAudit

    def select(self, *, measure: str, period: str | None = None) -> npt.NDArray[np.bool_]:
        """Return the row mask of one measure (and one period).

        Parameters
        ----------
        measure : str
            One of :data:`MEASURES`.
        period : str, optional
            A period label.

        Returns
        -------
        ndarray of bool, shape (r,)
        """
        m = choice(measure, MEASURES, name="measure", function="Rollup.select")
        keep = self.measure == m
        if period is not None:
            keep &= self.period == str(period)
        return np.asarray(keep, dtype=bool)


def _forecast_measures(forecast: PipelineForecast) -> FloatArray:
    commit = forecast.closed_won + forecast.commit
    best = commit + forecast.best_case
    pipe = best + forecast.pipeline_category
    return np.stack([forecast.closed_won, commit, best, pipe, forecast.expected_total], axis=1)


def _up(hierarchy: Hierarchy, values: FloatArray) -> FloatArray:
    """Sum node values (h, ...) bottom-up: every node's own value plus its children's totals."""
    total = values.copy()
    for d in range(int(hierarchy.depth.max()) if hierarchy.n_nodes else 0, 0, -1):
        kids = np.flatnonzero(hierarchy.depth == d)
        np.add.at(total, hierarchy.parent[kids], total[kids])
    return total


def rollup_forecast(
    forecast: PipelineForecast,
    hierarchy: Hierarchy,
    *,
    node: str,
    submissions: object | None = None,
    adjustments: object | None = None,
) -> Rollup:
    """Roll a forecast up a hierarchy, with managers' submissions and adjustments beside it.

    Parameters
    ----------
    forecast : PipelineForecast
        A forecast with *node* among its ``by`` dimensions (other dimensions are summed over).
    hierarchy : Hierarchy
        The nodes; every value of the *node* dimension must be one of them
        (at any level: a deal may belong to a team directly).
    node : str
        The forecast dimension holding hierarchy nodes (e.g. ``"owner"``).
    submissions : DataFrame or mapping of columns, optional
        ``period``, ``node``, ``measure``, ``amount``: the numbers managers
        entered (commit, best case, pipeline, ...), one per node, period and measure.
    adjustments : DataFrame or mapping of columns, optional
        ``period``, ``node`` (whose number is overridden), ``adjuster`` (a
        strict ancestor of ``node``, at whose level the override applies),
        ``measure``, ``amount`` (the new number), ``author``, ``at`` (when).

    Returns
    -------
    Rollup
        One row per node, period and measure, with the audit of the adjustments.

    Raises
    ------
    InputError
        For a forecast without the *node* dimension, values of it that are not
        nodes, submissions or adjustments naming periods that are not the
        forecast's, nodes that do not exist or measures other than
        :data:`MEASURES`, duplicate submissions, an adjuster that is not a
        strict ancestor of the node it adjusts, or two adjustments of one
        number by one adjuster at the same time.

    Notes
    -----
    Measures are cumulative, as CRM forecast categories are read: ``closed``
    (won), ``commit`` = closed + commit deals, ``best_case`` = commit +
    best-case deals, ``pipeline`` = best case + pipeline-category deals, and
    ``expected`` = closed + weighted open pipeline. ``system`` is summed
    bottom-up, so every node's system number is its own deals plus the sum of
    its children's system numbers.

    An adjustment by *z* of node *c* replaces *c*'s number in *z*'s total and
    above, not below: *c* and the nodes between keep theirs. Adjustments are
    applied from the deepest adjuster up (and, for one adjuster, deepest node
    first); an adjustment's ``before`` is *c*'s system number plus the
    changes of the adjustments already applied inside *c*'s subtree, and its
    change ``after - before`` is added to *z* and every ancestor of *z*. For
    one number adjusted twice by one adjuster, the latest ``at`` counts.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Hierarchy, Opportunities, forecast_pipeline
    >>> h = Hierarchy.from_arrays(
    ...     node=["china", "north", "ana", "bo"], parent=[None, "china", "north", "north"]
    ... )
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[100.0, 50.0],
    ...     stage=["close", "won"],
    ...     close_date=["2024-07-10", "2024-07-03"],
    ...     dimensions={"owner": ["ana", "bo"]},
    ... )
    >>> f = forecast_pipeline(opps, period="month", by=["owner"], probabilities="configured")
    >>> r = rollup_forecast(
    ...     f,
    ...     h,
    ...     node="owner",
    ...     adjustments={
    ...         "period": ["2024-07"],
    ...         "node": ["ana"],
    ...         "adjuster": ["china"],
    ...         "measure": ["commit"],
    ...         "amount": [60.0],
    ...         "author": ["wei"],
    ...         "at": ["2024-07-01T09:00"],
    ...     },
    ... )
    >>> m = r.select(measure="commit")
    >>> dict(zip(r.node[m].tolist(), r.value[m].tolist()))
    {'ana': 100.0, 'bo': 50.0, 'china': 110.0, 'north': 150.0}
    >>> r.audit.before.tolist(), r.audit.change.tolist()
    ([100.0], [-40.0])
    """
    fn = _FN
    instance(forecast, PipelineForecast, name="forecast", function=fn, what="a PipelineForecast")
    instance(hierarchy, Hierarchy, name="hierarchy", function=fn, what="a Hierarchy")
    if node not in forecast.groups:
        raise InputError.for_parameter(
            "node", f"a by dimension of the forecast ({list(forecast.by)})", node, function=fn
        )
    leaf = hierarchy.index(forecast.groups[node], field=node, function=fn)
    # the forecast's periods, in time order
    order = np.lexsort((forecast.period, forecast.start))
    seen: dict[str, int] = {}
    for i in order.tolist():
        seen.setdefault(str(forecast.period[i]), i)
    labels = np.array(list(seen), dtype=str)
    first = np.array(list(seen.values()), dtype=np.int64)
    n_p = labels.size
    period_of = _lookup(labels, forecast.period, field="period", function=fn, what="a period")
    h = hierarchy.n_nodes
    n_m = len(MEASURES)
    own = np.zeros((h, n_p, n_m))
    np.add.at(own, (leaf, period_of), _forecast_measures(forecast))
    system = _up(hierarchy, own)
    adjust = np.zeros_like(system)
    audit = _adjust(system, adjust, hierarchy, labels, adjustments)
    submitted = np.full_like(system, np.nan)
    if submissions is not None:
        cols = _columns(
            submissions, ("period", "node", "measure", "amount"), field="submissions", function=fn
        )
        s_node = hierarchy.index(cols["node"], field="node", function=fn)
        s_per = _lookup(
            labels, cols["period"], field="period", function=fn, what="a period of the forecast"
        )
        s_mea = _lookup(
            np.array(MEASURES), cols["measure"], field="measure", function=fn, what="a measure"
        )
        s_amt = as_finite_float(cols["amount"], field="amount", function=fn, minimum=0.0)
        flat = (s_node * n_p + s_per) * n_m + s_mea
        counts = np.bincount(flat, minlength=h * n_p * n_m)
        dup = np.flatnonzero(counts[flat] > 1)
        if dup.size:
            raise InputError.for_rows(
                "node",
                "must submit each period and measure once",
                positions=dup[:5].tolist(),
                values=[hierarchy.node[s_node[p]] for p in dup[:5]],
                n_bad=int(dup.size),
                function=fn,
                kind="submissions column",
            )
        submitted.reshape(-1)[flat] = s_amt
    value = system + adjust
    idx_n, idx_p, idx_m = (a.ravel() for a in np.indices((h, n_p, n_m)))
    parent_ids = np.where(
        hierarchy.parent >= 0, hierarchy.node[np.maximum(hierarchy.parent, 0)], hierarchy.node
    )
    return Rollup(
        node=hierarchy.node[idx_n],
        parent=parent_ids[idx_n],
        level=hierarchy.level[idx_n],
        depth=hierarchy.depth[idx_n],
        period=labels[idx_p],
        start=forecast.start[first][idx_p],
        end=forecast.end[first][idx_p],
        measure=np.array(MEASURES)[idx_m],
        system=system.ravel(),
        adjustment=adjust.ravel(),
        value=value.ravel(),
        submitted=submitted.ravel(),
        audit=audit,
    )


def _adjust(
    system: FloatArray,
    adjust: FloatArray,
    hierarchy: Hierarchy,
    labels: npt.NDArray[np.str_],
    adjustments: object | None,
) -> AdjustmentAudit:
    fn = _FN
    if adjustments is None:
        empty = np.zeros(0)
        no_s = np.zeros(0, dtype=str)
        return AdjustmentAudit(
            period=no_s,
            measure=no_s,
            node=hierarchy.node[:0],
            adjuster=hierarchy.node[:0],
            author=no_s,
            at=np.zeros(0, dtype="datetime64[us]"),
            before=empty,
            after=empty,
            change=empty,
            superseded=np.zeros(0, dtype=bool),
        )
    names = ("period", "node", "adjuster", "measure", "amount", "author", "at")
    cols = _columns(adjustments, names, field="adjustments", function=fn)
    target = hierarchy.index(cols["node"], field="node", function=fn)
    adjuster = hierarchy.index(cols["adjuster"], field="adjuster", function=fn)
    per = _lookup(
        labels, cols["period"], field="period", function=fn, what="a period of the forecast"
    )
    mea = _lookup(
        np.array(MEASURES), cols["measure"], field="measure", function=fn, what="a measure"
    )
    amount = as_finite_float(cols["amount"], field="amount", function=fn, minimum=0.0)
    author = as_ids(cols["author"], field="author", function=fn).astype(str)
    at = as_datetime(cols["at"], field="at", function=fn).values
    anc = hierarchy.ancestors
    ok = (anc[target, 1:] == adjuster[:, None]).any(axis=1)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        raise InputError.for_rows(
            "adjuster",
            "must be a strict ancestor of the node it adjusts (a manager above it)",
            positions=bad[:5].tolist(),
            values=[hierarchy.node[adjuster[p]] for p in bad[:5]],
            n_bad=int(bad.size),
            function=fn,
            kind="adjustments column",
            hint="A manager overrides the numbers of the nodes below them, at their own level.",
        )
    n = amount.size
    # one number adjusted several times by one adjuster: the latest counts
    key = ((target * hierarchy.n_nodes + adjuster) * labels.size + per) * len(MEASURES) + mea
    order = np.lexsort((at.view(np.int64), key))
    sk, st = key[order], at.view(np.int64)[order]
    tie = np.zeros(n, dtype=bool)
    if n > 1:
        same = (sk[1:] == sk[:-1]) & (st[1:] == st[:-1])
        tie[order[1:][same]] = True
    if tie.any():
        bad = np.flatnonzero(tie)
        raise InputError.for_rows(
            "at",
            "must differ between two adjustments of one number by one adjuster",
            positions=bad[:5].tolist(),
            values=[str(at[p]) for p in bad[:5]],
            n_bad=int(bad.size),
            function=fn,
            kind="adjustments column",
        )
    superseded = np.zeros(n, dtype=bool)
    if n > 1:
        superseded[order[:-1][sk[1:] == sk[:-1]]] = True
    # deepest adjuster first, then deepest node: lower judgement is seen by higher judgement
    seq = np.lexsort((-hierarchy.depth[target], -hierarchy.depth[adjuster]))
    in_sub = (anc[target][:, None, :] == target[None, :, None]).any(axis=2)  # [i, j]: i under j
    change = np.zeros(n)
    before = np.full(n, np.nan)
    done = np.zeros(n, dtype=bool)
    for j in seq.tolist():
        prior = done & in_sub[:, j] & (per == per[j]) & (mea == mea[j])
        before[j] = system[target[j], per[j], mea[j]] + change[prior].sum()
        if not superseded[j]:
            change[j] = amount[j] - before[j]
        done[j] = True
    depth_max = anc.shape[1]
    for step in range(depth_max):
        up = anc[adjuster, step]
        live = up >= 0
        np.add.at(adjust, (up[live], per[live], mea[live]), change[live])
    return AdjustmentAudit(
        period=labels[per],
        measure=np.array(MEASURES)[mea],
        node=hierarchy.node[target],
        adjuster=hierarchy.node[adjuster],
        author=author,
        at=at,
        before=before,
        after=amount,
        change=change,
        superseded=superseded,
    )


@attrs.frozen(kw_only=True, repr=False)
class BiasCorrected(Result):
    """Submissions next to their bias-corrected value.

    Attributes
    ----------
    node : ndarray, shape (s,)
        Submitter.
    period : ndarray of str, shape (s,)
        Period submitted for.
    submitted : ndarray of float64, shape (s,)
        The number entered.
    correction : ndarray of float64, shape (s,)
        The submitter's historical ``Σ actual / Σ submitted`` (1 without history).
    corrected : ndarray of float64, shape (s,)
        ``submitted x correction``.
    has_history : ndarray of bool, shape (s,)
        Whether the submitter had past periods to learn from.
    measure : str
        The measure submitted.
    """

    _table: ClassVar[tuple[str, ...]] = (
        "node",
        "period",
        "submitted",
        "correction",
        "corrected",
        "has_history",
    )
    node: npt.NDArray[Any]
    period: npt.NDArray[np.str_]
    submitted: FloatArray
    correction: FloatArray
    corrected: FloatArray
    has_history: npt.NDArray[np.bool_]
    measure: str


@attrs.frozen(kw_only=True, repr=False)
class SubmissionBias(Result):
    """How each submitter's past calls compared with what was actually won.

    Attributes
    ----------
    node : ndarray, shape (g,)
        Submitter (hierarchy node).
    n_periods : ndarray of int64, shape (g,)
        Past periods with both a submission and an actual.
    submitted, actual : ndarray of float64, shape (g,)
        Their sums.
    bias : ndarray of float64, shape (g,)
        ``Σ (submitted - actual) / Σ actual`` (positive: over-calls; NaN when
        nothing was won in those periods).
    mape : ndarray of float64, shape (g,)
        Mean of ``|submitted - actual| / actual`` over periods with ``actual > 0``
        (NaN if none).
    hit_rate : ndarray of float64, shape (g,)
        Share of periods where the actual reached the submission.
    correction : ndarray of float64, shape (g,)
        ``Σ actual / Σ submitted`` (1 when nothing was submitted).
    measure : str
        The measure scored.
    row_node, row_period : ndarray, shape (q,)
        The (submitter, period) pairs scored.
    row_submitted, row_actual : ndarray of float64, shape (q,)
        Their numbers.
    """

    _table: ClassVar[tuple[str, ...]] = (
        "node",
        "n_periods",
        "submitted",
        "actual",
        "bias",
        "mape",
        "hit_rate",
        "correction",
    )
    node: npt.NDArray[Any]
    n_periods: IntArray
    submitted: FloatArray
    actual: FloatArray
    bias: FloatArray
    mape: FloatArray
    hit_rate: FloatArray
    correction: FloatArray
    measure: str
    row_node: npt.NDArray[Any]
    row_period: npt.NDArray[np.str_]
    row_submitted: FloatArray
    row_actual: FloatArray

    def correct(self, submissions: object) -> BiasCorrected:
        """Apply each submitter's historical correction to new submissions of the measure.

        Parameters
        ----------
        submissions : DataFrame or mapping of columns
            ``period``, ``node``, ``measure``, ``amount``; rows of other measures are ignored.

        Returns
        -------
        BiasCorrected

        Raises
        ------
        InputError
            For missing columns or bad amounts.
        """
        fn = "SubmissionBias.correct"
        cols = _columns(
            submissions, ("period", "node", "measure", "amount"), field="submissions", function=fn
        )
        mea = as_ids(cols["measure"], field="measure", function=fn).astype(str)
        keep = mea == self.measure
        nodes = as_ids(cols["node"], field="node", function=fn)[keep]
        amt = as_finite_float(cols["amount"], field="amount", function=fn, minimum=0.0)[keep]
        per = as_ids(cols["period"], field="period", function=fn).astype(str)[keep]
        keys = self.node.astype(str)
        vals = nodes.astype(str)
        idx = np.clip(np.searchsorted(keys, vals), 0, max(keys.size - 1, 0))
        known = keys[idx] == vals if keys.size else np.zeros(vals.size, dtype=bool)
        known &= self.n_periods[idx] > 0 if keys.size else known
        corr = np.where(known, self.correction[idx] if keys.size else 1.0, 1.0)
        return BiasCorrected(
            node=nodes,
            period=per,
            submitted=amt,
            correction=corr,
            corrected=amt * corr,
            has_history=known,
            measure=self.measure,
        )


def fit_submission_bias(
    submissions: object, actuals: Rollup | object, *, measure: str
) -> SubmissionBias:
    """Score each submitter's past calls against actual bookings: bias, accuracy, a correction.

    Parameters
    ----------
    submissions : DataFrame or mapping of columns
        Past submissions: ``period``, ``node``, ``measure``, ``amount``.
    actuals : Rollup or DataFrame or mapping of columns
        What was won: a :class:`Rollup` of the past periods (its ``closed``
        system number per node and period), or a table ``period``, ``node``, ``actual``.
    measure : str
        Which submissions to score (e.g. ``"commit"``); no default.

    Returns
    -------
    SubmissionBias
        One row per submitter; ``correct`` applies the correction to new calls.

    Raises
    ------
    InputError
        For an unknown measure, missing columns, bad amounts, or no
        submission of the measure with a matching actual.

    Notes
    -----
    Over a submitter's past periods *t* with submission ``s_t`` and actual
    ``a_t``: ``bias = Σ (s_t - a_t) / Σ a_t`` (as in :func:`backtest_forecast`)
    and the correction is the ratio estimator ``Σ a_t / Σ s_t``, so a
    manager who calls 20 % high has their next call scaled by 1 / 1.2. The
    ratio of sums is stable when single periods have small actuals.

    Examples
    --------
    >>> past = {
    ...     "period": ["2024-01", "2024-02", "2024-01", "2024-02"],
    ...     "node": ["north", "north", "south", "south"],
    ...     "measure": ["commit"] * 4,
    ...     "amount": [120.0, 130.0, 80.0, 90.0],
    ... }
    >>> won = {
    ...     "period": ["2024-01", "2024-02", "2024-01", "2024-02"],
    ...     "node": ["north", "north", "south", "south"],
    ...     "actual": [100.0, 100.0, 100.0, 100.0],
    ... }
    >>> b = fit_submission_bias(past, won, measure="commit")
    >>> b.node.tolist(), b.bias.round(3).tolist(), b.correction.round(3).tolist()
    (['north', 'south'], [0.25, -0.15], [0.8, 1.176])
    >>> b.correct(
    ...     {"period": ["2024-03"], "node": ["north"], "measure": ["commit"], "amount": [150.0]}
    ... ).corrected.tolist()
    [120.0]
    """
    fn = "fit_submission_bias"
    m = choice(measure, MEASURES, name="measure", function=fn)
    cols = _columns(
        submissions, ("period", "node", "measure", "amount"), field="submissions", function=fn
    )
    mea = as_ids(cols["measure"], field="measure", function=fn).astype(str)
    keep = mea == m
    s_node = as_ids(cols["node"], field="node", function=fn)[keep].astype(str)
    s_per = as_ids(cols["period"], field="period", function=fn).astype(str)[keep]
    s_amt = as_finite_float(cols["amount"], field="amount", function=fn, minimum=0.0)[keep]
    if isinstance(actuals, Rollup):
        mask = actuals.measure == "closed"
        a_node = actuals.node[mask].astype(str)
        a_per = actuals.period[mask].astype(str)
        a_amt = actuals.system[mask]
    else:
        acols = _columns(actuals, ("period", "node", "actual"), field="actuals", function=fn)
        a_node = as_ids(acols["node"], field="node", function=fn).astype(str)
        a_per = as_ids(acols["period"], field="period", function=fn).astype(str)
        a_amt = as_finite_float(acols["actual"], field="actual", function=fn, minimum=0.0)
    actual_of = {
        (n, p): float(v)
        for n, p, v in zip(a_node.tolist(), a_per.tolist(), a_amt.tolist(), strict=True)
    }
    pairs = [(n, p) in actual_of for n, p in zip(s_node.tolist(), s_per.tolist(), strict=True)]
    matched = np.asarray(pairs, dtype=bool)
    if not matched.any():
        raise InputError(
            f"{fn} found no {m!r} submission with an actual for the same node and period.",
            field="actuals",
            hint="Give the actuals of the periods the submissions were for.",
        )
    r_node, r_per, r_sub = s_node[matched], s_per[matched], s_amt[matched]
    r_act = np.array(
        [actual_of[(n, p)] for n, p in zip(r_node.tolist(), r_per.tolist(), strict=True)]
    )
    uniq, code = np.unique(r_node, return_inverse=True)
    g = uniq.size
    n_per = np.bincount(code, minlength=g).astype(np.int64)
    sub = np.bincount(code, weights=r_sub, minlength=g).astype(np.float64)
    act = np.bincount(code, weights=r_act, minlength=g).astype(np.float64)
    pos = r_act > 0
    ape = np.bincount(code[pos], weights=np.abs(r_sub - r_act)[pos] / r_act[pos], minlength=g)
    n_pos = np.bincount(code[pos], minlength=g)
    hits = np.bincount(code, weights=(r_act >= r_sub).astype(np.float64), minlength=g)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = np.where(act > 0, (sub - act) / act, np.nan)
        mape = np.where(n_pos > 0, ape / n_pos, np.nan)
        correction = np.where(sub > 0, act / sub, 1.0)
    return SubmissionBias(
        node=as_readonly(uniq),
        n_periods=n_per,
        submitted=sub,
        actual=act,
        bias=bias,
        mape=mape,
        hit_rate=hits / n_per,
        correction=correction,
        measure=m,
        row_node=r_node,
        row_period=r_per,
        row_submitted=r_sub,
        row_actual=r_act,
    )
