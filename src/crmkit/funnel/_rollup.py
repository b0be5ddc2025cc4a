"""Forecast rollups along a hierarchy, with managers' submissions, adjustments and their bias."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_datetime, as_finite_float, as_ids, check_date_format
from crmkit._params import choice, instance
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit._tables import read_table
from crmkit.errors import InputError
from crmkit.funnel._forecast import PipelineForecast
from crmkit.funnel._hierarchy import Hierarchy

__all__ = ["MEASURES", "AdjustmentAudit", "Number", "Rollup", "read_columns_of", "rollup_forecast"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_FN: Final = "rollup_forecast"
MEASURES: Final[tuple[str, ...]] = ("closed", "commit", "best_case", "pipeline", "expected")
"""Rolled-up measures, cumulative as CRM forecast categories (see :func:`rollup_forecast`)."""


def read_columns_of(
    table: object, names: tuple[str, ...], *, field: str, function: str
) -> dict[str, Any]:
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

    Examples
    --------
    See :func:`rollup_forecast`; an empty audit when nothing was adjusted:

    >>> from crmkit.funnel import DEFAULT_PROCESS, Hierarchy, Opportunities, forecast_pipeline
    >>> h = Hierarchy.from_arrays(node=["team", "ana"], parent=[None, "team"])
    >>> o = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1],
    ...     amount=[5.0],
    ...     stage=["plan"],
    ...     close_date=["2024-07-01"],
    ...     dimensions={"owner": ["ana"]},
    ... )
    >>> f = forecast_pipeline(o, period="month", by=["owner"], probabilities="configured")
    >>> rollup_forecast(f, h, node="owner").audit.node.size
    0
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
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "before": "money",
        "after": "money",
        "change": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = _table
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


Number = Literal["system", "adjustment", "value", "submitted"]
_KINDS: Final = ("system", "adjustment", "value", "submitted")


@attrs.frozen(kw_only=True, repr=False)
class Rollup(Result):
    """System forecast, adjustments and submissions for every node and period.

    Attributes
    ----------
    node : ndarray, shape (r,)
        Hierarchy node (each node has a row for every period).
    parent : ndarray, shape (r,)
        Its parent (a root repeats itself; ``depth`` 0 marks the roots).
    level : ndarray of str, shape (r,)
        Level name of the node.
    depth : ndarray of int64, shape (r,)
        Distance to the root.
    period : ndarray of str, shape (r,)
        Forecast period label.
    start, end : ndarray of datetime64[us], shape (r,)
        The period's bounds.
    measures : tuple of str
        :data:`MEASURES`, the column order of the four arrays below.
    system : ndarray of float64, shape (r, m)
        Each measure summed over every deal below the node.
    adjustment : ndarray of float64, shape (r, m)
        Net change from the adjustments made at the node or below it.
    value : ndarray of float64, shape (r, m)
        ``system + adjustment``: the node's numbers with its own and its
        subordinates' judgement.
    submitted : ndarray of float64, shape (r, m)
        The node's submissions (NaN where it submitted nothing).
    audit : AdjustmentAudit
        Every adjustment with its before and after.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Hierarchy, Opportunities, forecast_pipeline
    >>> h = Hierarchy.from_arrays(node=["team", "ana", "bo"], parent=[None, "team", "team"])
    >>> o = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[5.0, 7.0],
    ...     stage=["won", "won"],
    ...     close_date=["2024-07-01", "2024-07-02"],
    ...     dimensions={"owner": ["ana", "bo"]},
    ... )
    >>> f = forecast_pipeline(o, period="month", by=["owner"], probabilities="configured")
    >>> r = rollup_forecast(f, h, node="owner")
    >>> r.node.tolist(), r.column("closed", kind="system").tolist()
    (['ana', 'bo', 'team'], [5.0, 7.0, 12.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "node",
        "parent",
        "level",
        "depth",
        "period",
        "start",
        "end",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "system": "money",
        "adjustment": "money",
        "value": "money",
        "submitted": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = (*_table, "system", "adjustment", "value", "submitted")
    node: npt.NDArray[Any]
    parent: npt.NDArray[Any]
    level: npt.NDArray[np.str_]
    depth: IntArray
    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    measures: tuple[str, ...]
    system: FloatArray
    adjustment: FloatArray
    value: FloatArray
    submitted: FloatArray
    audit: AdjustmentAudit

    def column(self, measure: str, *, kind: Number) -> FloatArray:
        """Return one measure of every row: system, adjustment, adjusted value or submission.

        Parameters
        ----------
        measure : str
            One of :data:`MEASURES`.
        kind : {"system", "adjustment", "value", "submitted"}
            Which number; no default.

        Returns
        -------
        ndarray of float64, shape (r,)

        Raises
        ------
        InputError
            For an unknown measure or kind.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, Hierarchy, Opportunities, forecast_pipeline
        >>> h = Hierarchy.from_arrays(node=["ana"], parent=[None])
        >>> o = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1],
        ...     amount=[5.0],
        ...     stage=["plan"],
        ...     close_date=["2024-07-01"],
        ...     dimensions={"owner": ["ana"]},
        ... )
        >>> r = rollup_forecast(
        ...     forecast_pipeline(o, period="month", by=["owner"], probabilities="configured"),
        ...     h,
        ...     node="owner",
        ... )
        >>> r.column("expected", kind="value").tolist()
        [2.0]
        """
        fn = "Rollup.column"
        m = choice(measure, self.measures, name="measure", function=fn)
        k = choice(kind, _KINDS, name="kind", function=fn)
        table: FloatArray = getattr(self, k)
        return table[:, self.measures.index(m)]

    def rows(
        self, *, period: str | None = None, node: object | None = None
    ) -> npt.NDArray[np.bool_]:
        """Return the row mask of one period and/or one node.

        Parameters
        ----------
        period : str, optional
            A period label.
        node : int or str, optional
            A node.

        Returns
        -------
        ndarray of bool, shape (r,)

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS, Hierarchy, Opportunities, forecast_pipeline
        >>> h = Hierarchy.from_arrays(node=["ana"], parent=[None])
        >>> o = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1, 2],
        ...     amount=[5.0, 3.0],
        ...     stage=["won", "won"],
        ...     close_date=["2024-07-01", "2024-08-01"],
        ...     dimensions={"owner": ["ana"] * 2},
        ... )
        >>> r = rollup_forecast(
        ...     forecast_pipeline(o, period="month", by=["owner"], probabilities="configured"),
        ...     h,
        ...     node="owner",
        ... )
        >>> r.column("closed", kind="system")[r.rows(period="2024-08")].tolist()
        [3.0]
        """
        keep = np.ones(self.node.size, dtype=bool)
        if period is not None:
            keep &= self.period == str(period)
        if node is not None:
            keep &= self.node == node
        return keep

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return one row per node and period: the node, the period, then every number.

        Returns
        -------
        dict of str to ndarray
            The row columns, then per measure ``<measure>`` (system),
            ``<measure>_adjustment``, ``<measure>_value`` and ``<measure>_submitted``.
        """
        cols = super().table()
        for j, m in enumerate(self.measures):
            cols[m] = self.system[:, j]
            cols[f"{m}_adjustment"] = self.adjustment[:, j]
            cols[f"{m}_value"] = self.value[:, j]
            cols[f"{m}_submitted"] = self.submitted[:, j]
        return cols


def _forecast_measures(forecast: PipelineForecast) -> FloatArray:
    commit = forecast.closed_won + forecast.commit
    best = commit + forecast.best_case
    pipe = best + forecast.pipeline_category
    return np.stack([forecast.closed_won, commit, best, pipe, forecast.expected_total], axis=1)


def _up(hierarchy: Hierarchy, values: FloatArray) -> FloatArray:
    """Sum node values (h, ...) bottom-up: every node's own value plus its children's totals."""
    total = values.reshape(values.shape[0], -1).copy()
    width = total.shape[1]
    cols = np.arange(width, dtype=np.int64)
    for d in range(int(hierarchy.depth.max()) if hierarchy.n_nodes else 0, 0, -1):
        kids = np.flatnonzero(hierarchy.depth == d)
        flat = (hierarchy.parent[kids][:, None] * width + cols[None, :]).ravel()
        total += bincount(flat, weights=total[kids].ravel(), minlength=total.size).reshape(
            total.shape
        )
    return total.reshape(values.shape)


def rollup_forecast(
    forecast: PipelineForecast,
    hierarchy: Hierarchy,
    *,
    node: str,
    submissions: object | None = None,
    adjustments: object | None = None,
    date_format: str | None = None,
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
    date_format : str, optional
        A strftime pattern for the adjustments' ``at`` times when they are not
        ISO-8601 (``"%d/%m/%Y %H:%M"``, ...).

    Returns
    -------
    Rollup
        One row per node and period (every measure a column), with the audit
        of the adjustments.

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
    >>> dict(zip(r.node.tolist(), r.column("commit", kind="value").tolist()))
    {'ana': 100.0, 'bo': 50.0, 'china': 110.0, 'north': 150.0}
    >>> r.audit.before.tolist(), r.audit.change.tolist()
    ([100.0], [-40.0])
    """
    fn = _FN
    instance(forecast, PipelineForecast, name="forecast", function=fn, what="a PipelineForecast")
    instance(hierarchy, Hierarchy, name="hierarchy", function=fn, what="a Hierarchy")
    instance(node, str, name="node", function=fn, what="a dimension name (str)")
    fmt = check_date_format(date_format, function=fn)
    if node not in forecast.groups:
        raise InputError.for_parameter(
            "node", f"a by dimension of the forecast ({list(forecast.by)})", node, function=fn
        )
    cells = factorize(np.asarray(forecast.groups[node]))
    leaf = hierarchy.index(cells.uniques, field=node, function=fn)[cells.codes]
    # the forecast's periods, grouped by their (start, end) integers (the label string is
    # the key only if two share the bounds), in the forecast's order (time, or as given)
    n_rows = forecast.period.size
    s_f = factorize(forecast.start.view(np.int64))
    e_f = factorize(forecast.end.view(np.int64))
    per = factorize(s_f.codes * max(e_f.n_groups, 1) + e_f.codes)
    first = np.full(per.n_groups, n_rows, dtype=np.int64)
    np.minimum.at(first, per.codes, np.arange(n_rows, dtype=np.int64))
    if not np.array_equal(forecast.period, forecast.period[first][per.codes]):
        per = factorize(forecast.period)
        first = np.full(per.n_groups, n_rows, dtype=np.int64)
        np.minimum.at(first, per.codes, np.arange(n_rows, dtype=np.int64))
    rank = np.argsort(first, kind="stable")  # the forecast's own order of its periods
    first = first[rank]
    labels = forecast.period[first].astype(str)
    n_p = first.size
    where = np.empty(n_p, dtype=np.int64)
    where[rank] = np.arange(n_p)
    period_of = where[per.codes]
    h = hierarchy.n_nodes
    n_m = len(MEASURES)
    flat = (leaf * n_p + period_of) * n_m
    values = _forecast_measures(forecast)
    own_flat = np.zeros(h * n_p * n_m)
    for j in range(n_m):
        own_flat += bincount(flat + j, weights=values[:, j], minlength=own_flat.size)
    own = own_flat.reshape(h, n_p, n_m)
    system = _up(hierarchy, own)
    adjust = np.zeros_like(system)
    audit = _adjust(system, adjust, hierarchy, labels, adjustments, date_format=fmt)
    submitted = np.full_like(system, np.nan)
    if submissions is not None:
        cols = read_columns_of(
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
        counts = bincount(flat, minlength=h * n_p * n_m)
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
    parent_ids = np.where(
        hierarchy.parent >= 0, hierarchy.node[np.maximum(hierarchy.parent, 0)], hierarchy.node
    )
    rows = h * n_p
    return Rollup(
        node=np.repeat(hierarchy.node, n_p),
        parent=np.repeat(parent_ids, n_p),
        level=np.repeat(hierarchy.level, n_p),
        depth=np.repeat(hierarchy.depth, n_p),
        period=np.tile(labels, h),
        start=np.tile(forecast.start[first], h),
        end=np.tile(forecast.end[first], h),
        measures=MEASURES,
        system=system.reshape(rows, n_m),
        adjustment=adjust.reshape(rows, n_m),
        value=value.reshape(rows, n_m),
        submitted=submitted.reshape(rows, n_m),
        audit=audit,
    )


def _adjust(
    system: FloatArray,
    adjust: FloatArray,
    hierarchy: Hierarchy,
    labels: npt.NDArray[np.str_],
    adjustments: object | None,
    *,
    date_format: str | None,
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
    cols = read_columns_of(adjustments, names, field="adjustments", function=fn)
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
    at = as_datetime(cols["at"], field="at", function=fn, date_format=date_format).values
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
