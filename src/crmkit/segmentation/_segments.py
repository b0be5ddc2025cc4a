"""Segment labels per customer, the segment summary table and segment migration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit._groups import factorize
from crmkit._input import as_ids, as_readonly, check_same_length
from crmkit._numeric import (
    cancellation_error,
    group_means,
    group_shares,
    group_sums,
    overflow_error,
    safe_sum,
    shares_representable,
)
from crmkit._reduce import bincount, group_count
from crmkit._results import Kind, Result, frozen_mapping, names_field
from crmkit.errors import InputError, ModelDefinitionError
from crmkit.segmentation._common import values_1d
from crmkit.segmentation._rules import RFM_GRID_10, RuleTable
from crmkit.segmentation._scores import RFMScores

__all__ = [
    "SegmentMigration",
    "SegmentSummary",
    "Segments",
    "assign_segments",
    "segment_migration",
    "segment_summary",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, repr=False)
class Segments(Result):
    """A named segment for every customer, with the scores behind it.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids.
    segment : ndarray of str, shape (n,)
        Segment name per customer: a property, ``names[code]``, built when
        read (and by ``to_frame``).
    code : ndarray of int64, shape (n,)
        Position of the segment in ``names``.
    names : tuple of str
        Every segment of the table, in table order.
    scores : RFMScores
        The scores the segments were read from.
    rule_table : RuleTable
        The rule table used.
    counts : mapping of str to int
        Customers per segment (zeros included).

    Examples
    --------
    >>> from crmkit.segmentation import rfm_scores
    >>> seg = assign_segments(
    ...     rfm_scores(
    ...         {
    ...             "recency": [1, 10, 30, 60, 90],
    ...             "frequency": [9, 5, 3, 2, 1],
    ...             "monetary": [500.0, 300.0, 90.0, 40.0, 20.0],
    ...         }
    ...     )
    ... )
    >>> seg.segment.tolist()
    ['champions', 'loyal customers', 'need attention', 'hibernating', 'hibernating']
    >>> seg.counts["hibernating"]
    2
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "segment")
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id"}
    _rows: ClassVar[tuple[str, ...]] = ("customer", "code", "scores")  # segment: from code
    _plot: ClassVar[str] = "segment_map"

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        counts = bincount(rows["code"], minlength=len(self.names))
        return rows | {"counts": dict(zip(self.names, counts.tolist(), strict=True))}

    customer: npt.NDArray[Any]
    code: IntArray
    names: tuple[str, ...]
    scores: RFMScores
    rule_table: RuleTable
    counts: Mapping[str, int] = attrs.field(converter=frozen_mapping)
    _source_names: Mapping[str, str] = names_field()

    @property
    def segment(self) -> npt.NDArray[np.str_]:
        """The segment name per customer, ``names[code]``, built when read."""
        return as_readonly(np.asarray(self.names)[self.code])


def assign_segments(scores: RFMScores, *, table: RuleTable = RFM_GRID_10) -> Segments:
    """Name each customer's segment from their R, F (and M) scores.

    Parameters
    ----------
    scores : RFMScores
        From :func:`rfm_scores`, with the table's ``k``.
    table : RuleTable, default RFM_GRID_10
        The checked rule table; :data:`RFM_GRID_11` adds "lost".

    Returns
    -------
    Segments
        One segment per customer and the count per segment.

    Raises
    ------
    ModelDefinitionError
        If the scores' ``k`` differs from the table's.

    Notes
    -----
    The table is compiled to a lookup array of :math:`(k+1)^d` cells, so
    assignment is one fancy-index per customer, no loop over rules.

    Examples
    --------
    >>> from crmkit.segmentation import assign_segments, rfm_scores
    >>> s = rfm_scores(
    ...     {
    ...         "recency": [2, 5, 90, 300, 120],
    ...         "frequency": [12, 1, 8, 1, 2],
    ...         "monetary": [900.0, 30.0, 500.0, 15.0, 60.0],
    ...     }
    ... )
    >>> assign_segments(s).segment.tolist()
    ['champions', 'promising', 'need attention', 'hibernating', 'hibernating']
    """
    if not isinstance(scores, RFMScores):
        raise InputError(
            f"assign_segments takes RFMScores; got a {type(scores).__name__}.",
            field="scores",
            hint="Score first with rfm_scores(summary, k=table.k).",
        )
    _params.instance(table, RuleTable, name="table", function="assign_segments", what="a RuleTable")
    if scores.k != table.k:
        raise ModelDefinitionError(
            f"The rule table is written for k={table.k} scores but the scores use k={scores.k}."
            f"\nHint: score with rfm_scores(..., k={table.k}) or build the table for k={scores.k}."
        )
    lookup = table.lookup()
    if table.dimensions == 3:
        code = lookup[scores.recency_score, scores.frequency_score, scores.monetary_score]
    else:
        code = lookup[scores.recency_score, scores.frequency_score]
    names = table.segments
    counts = bincount(code, minlength=len(names))
    return Segments(
        customer=scores.customer,
        code=as_readonly(code),
        names=names,
        scores=scores,
        rule_table=table,
        counts={n: int(c) for n, c in zip(names, counts, strict=True)},
        source_names=scores.column_names,
    )


@attrs.frozen(kw_only=True, repr=False)
class SegmentSummary(Result):
    """Size, revenue and average RFM of each segment (optionally per group).

    Attributes
    ----------
    segment : ndarray of str, shape (r,)
        Segment per row (every segment of the table, in table order).
    group : ndarray, shape (r,)
        The ``by`` value per row (all ``"all"`` when no ``by`` was given).
    customers : ndarray of int64, shape (r,)
        Customers in the row.
    customer_share : ndarray of float64, shape (r,)
        Share of all customers.
    revenue : ndarray of float64, shape (r,)
        Sum of the revenue column.
    revenue_share : ndarray of float64, shape (r,)
        Share of total revenue.
    mean_recency, mean_frequency, mean_monetary : ndarray of float64, shape (r,)
        Mean raw values (NaN for an empty row: there is nothing to average).
    mean_recency_score, mean_frequency_score, mean_monetary_score : ndarray of float64
        Mean scores (NaN for an empty row).
    by_name : str or None
        What the group column is.

    Examples
    --------
    >>> from crmkit.segmentation import rfm_scores
    >>> seg = assign_segments(
    ...     rfm_scores(
    ...         {
    ...             "recency": [1, 10, 30, 60, 90],
    ...             "frequency": [9, 5, 3, 2, 1],
    ...             "monetary": [500.0, 300.0, 90.0, 40.0, 20.0],
    ...         }
    ...     )
    ... )
    >>> t = segment_summary(seg, by=["web", "store", "web", "web", "store"], by_name="channel")
    >>> int(t.customers[(t.segment == "champions") & (t.group == "web")][0])
    1
    """

    _table: ClassVar[tuple[str, ...]] = (
        "segment",
        "group",
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "mean_recency",
        "mean_frequency",
        "mean_monetary",
        "mean_recency_score",
        "mean_frequency_score",
        "mean_monetary_score",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "group": "id",
        "customer_share": "share",
        "revenue": "money",
        "revenue_share": "share",
        "mean_recency": "number",
        "mean_frequency": "number",
        "mean_monetary": "money",
        "mean_recency_score": "number",
        "mean_frequency_score": "number",
        "mean_monetary_score": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = _table
    _plot: ClassVar[str] = "segment_bars"

    segment: npt.NDArray[np.str_]
    group: npt.NDArray[Any]
    customers: IntArray
    customer_share: FloatArray
    revenue: FloatArray
    revenue_share: FloatArray
    mean_recency: FloatArray
    mean_frequency: FloatArray
    mean_monetary: FloatArray
    mean_recency_score: FloatArray
    mean_frequency_score: FloatArray
    mean_monetary_score: FloatArray
    by_name: str | None


def segment_summary(
    segments: Segments,
    *,
    revenue: npt.ArrayLike | None = None,
    by: npt.ArrayLike | None = None,
    by_name: str | None = None,
) -> SegmentSummary:
    r"""Tabulate customers, revenue and mean R/F/M per segment (and per group).

    Parameters
    ----------
    segments : Segments
        From :func:`assign_segments`.
    revenue : array_like of float, shape (n,), optional
        Revenue per customer; default the scored monetary value (the total
        by default; pass the totals here if you scored mean spend).
    by : array_like of int or str, shape (n,), optional
        An extra dimension per customer (region, channel): one row per
        (segment, group), every combination listed.
    by_name : str, optional
        Name of the ``by`` dimension, kept in the result.

    Returns
    -------
    SegmentSummary
        One row per segment (x group), zero-customer rows included.

    Raises
    ------
    InputError
        On a length mismatch, non-finite revenue, a zero revenue total, or a
        segment's revenue beyond the float64 range (about 1.8e308; shares and
        means are computed scaled and never overflow).

    Notes
    -----
    Shares are of the whole base: :math:`n_s / n` and
    :math:`\sum_{i \in s} rev_i / \sum_i rev_i`.

    Examples
    --------
    >>> from crmkit.segmentation import assign_segments, rfm_scores, segment_summary
    >>> seg = assign_segments(
    ...     rfm_scores(
    ...         {
    ...             "recency": [2, 5, 90, 300, 120],
    ...             "frequency": [12, 1, 8, 1, 2],
    ...             "monetary": [900.0, 30.0, 500.0, 15.0, 55.0],
    ...         }
    ...     )
    ... )
    >>> t = segment_summary(seg)
    >>> float(t.revenue_share[t.segment == "champions"][0])
    0.6
    """
    function = "segment_summary"
    if not isinstance(segments, Segments):
        raise InputError(
            f"{function} takes Segments; got a {type(segments).__name__}.",
            field="segments",
            hint="Build them with assign_segments(rfm_scores(...)).",
        )
    if by_name is not None:
        _params.instance(by_name, str, name="by_name", function=function, what="a str or None")
    sc = segments.scores
    n = segments.code.size
    rev = sc.monetary if revenue is None else values_1d(revenue, field="revenue", function=function)
    lengths = {"segments": n, "revenue": rev.size}
    if by is not None:
        by_ids = as_ids(by, field="by", function=function)
        lengths["by"] = by_ids.size
        groups = factorize(by_ids)
        g_codes, g_names = groups.codes, groups.uniques
    else:
        g_codes, g_names = np.zeros(n, dtype=np.int64), np.array(["all"])
    check_same_length(lengths, function=function)
    total = safe_sum(rev)
    if total == 0:
        raise InputError(
            f"The 'revenue' column of {function} sums to zero, so shares are undefined.",
            field="revenue",
        )
    if not shares_representable(rev, total):
        largest = max(-float(rev.min()), float(rev.max()))
        raise cancellation_error("revenue", function=function, total=total, largest=largest)
    m = len(segments.names)
    g = g_names.size
    cell = segments.code * g + g_codes
    size = m * g
    count = group_count(cell, size)
    revenue_sum = group_sums(cell, rev, size)
    bad = np.flatnonzero(~np.isfinite(revenue_sum))
    if bad.size:
        names = np.repeat(np.asarray(segments.names), g)[bad]
        raise overflow_error(
            "revenue",
            function=function,
            what="segment revenue",
            labels=names.tolist(),
            n_bad=int(bad.size),
            noun="segment",
        )

    def mean(values: npt.NDArray[Any]) -> FloatArray:
        return group_means(cell, values.astype(np.float64, copy=False), count, size)

    return SegmentSummary(
        segment=np.repeat(np.asarray(segments.names), g),
        group=np.tile(g_names, m),
        customers=count,
        customer_share=count / n,
        revenue=revenue_sum,
        revenue_share=group_shares(cell, rev, size, total),
        mean_recency=mean(sc.recency),
        mean_frequency=mean(sc.frequency),
        mean_monetary=mean(sc.monetary),
        mean_recency_score=mean(sc.recency_score),
        mean_frequency_score=mean(sc.frequency_score),
        mean_monetary_score=mean(sc.monetary_score),
        by_name=by_name,
    )


@attrs.frozen(kw_only=True, repr=False)
class SegmentMigration(Result):
    """How customers moved between segments from one snapshot to the next.

    Attributes
    ----------
    from_segment, to_segment : ndarray of str, shape (m * m,)
        Every pair of segments (long form of ``matrix``).
    customers : ndarray of int64, shape (m * m,)
        Customers in ``from_segment`` before and ``to_segment`` after.
    labels : tuple of str
        Segment names, the rows and columns of ``matrix``.
    matrix : ndarray of int64, shape (m, m)
        ``matrix[i, j]``: customers moving from ``labels[i]`` to ``labels[j]``.
    entered : ndarray of int64, shape (m,)
        Customers only in the later snapshot, by their new segment.
    left : ndarray of int64, shape (m,)
        Customers only in the earlier snapshot, by their old segment.
    n_matched : int
        Customers in both snapshots.

    Examples
    --------
    >>> from crmkit.segmentation import rfm_scores
    >>> def seg(r):
    ...     return assign_segments(
    ...         rfm_scores(
    ...             {"customer": [1, 2], "recency": r, "frequency": [3, 1], "monetary": [5.0, 1.0]}
    ...         )
    ...     )
    >>> m = segment_migration(seg([1, 30]), seg([30, 1]))
    >>> m.n_matched, int(m.matrix.sum())
    (2, 2)
    """

    _table: ClassVar[tuple[str, ...]] = ("from_segment", "to_segment", "customers")
    _plot: ClassVar[str] = "migration_heatmap"

    from_segment: npt.NDArray[np.str_]
    to_segment: npt.NDArray[np.str_]
    customers: IntArray
    labels: tuple[str, ...]
    matrix: IntArray
    entered: IntArray
    left: IntArray
    n_matched: int

    def retention_share(self) -> FloatArray:
        """Return, per segment, the share of matched customers who stayed in it.

        Returns
        -------
        ndarray of float64, shape (m,)
            Diagonal over row sums (NaN for a segment with no matched customers).
        """
        rows = self.matrix.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = np.diag(self.matrix) / rows
        return out


def segment_migration(before: Segments, after: Segments) -> SegmentMigration:
    """Count customers moving between segments from one snapshot to another.

    Parameters
    ----------
    before, after : Segments
        Segments of the same customer base at two dates (customers are
        matched by id; each id at most once per snapshot).

    Returns
    -------
    SegmentMigration
        The from x to matrix, its long form, and customers who entered or left.

    Raises
    ------
    InputError
        If ids are of different kinds (int vs str) or repeat within a snapshot.

    Notes
    -----
    Score the later snapshot with the earlier one's edges
    (``rfm_scores(..., method="thresholds", edges=before.scores.edges)``) to
    measure movement on a fixed scale rather than relative to the new base.

    Examples
    --------
    A loyal big spender goes quiet and a newcomer starts to drift, scored on
    fixed thresholds so both snapshots share one scale:

    >>> from crmkit.segmentation import assign_segments, rfm_scores, segment_migration

    >>> edges = {
    ...     "recency": [7, 30, 90, 180],
    ...     "frequency": [1, 2, 4, 8],
    ...     "monetary": [50, 100, 200, 500],
    ... }
    >>> def seg(recency):
    ...     cols = {"customer": [1, 2], "recency": recency, "frequency": [9, 1]}
    ...     cols["monetary"] = [900.0, 20.0]
    ...     return assign_segments(rfm_scores(cols, method="thresholds", edges=edges))
    >>> before, after = seg([1, 3]), seg([200, 40])
    >>> before.segment.tolist(), after.segment.tolist()
    (['champions', 'new customers'], ["can't lose them", 'about to sleep'])
    >>> mig = segment_migration(before, after)
    >>> int(mig.matrix[mig.labels.index("champions"), mig.labels.index("can't lose them")])
    1
    """
    function = "segment_migration"
    for name, s in (("before", before), ("after", after)):
        if not isinstance(s, Segments):
            raise InputError(
                f"The {name!r} parameter of {function} must be Segments; got a {type(s).__name__}.",
                field=name,
            )
    if (before.customer.dtype.kind == "U") != (after.customer.dtype.kind == "U"):
        raise InputError(
            f"The customer ids given to {function} must be of one kind; got "
            f"{before.customer.dtype} before and {after.customer.dtype} after.",
            field="customer",
        )
    labels = tuple(dict.fromkeys((*before.names, *after.names)))
    index = {n: i for i, n in enumerate(labels)}
    map_b = np.array([index[n] for n in before.names], dtype=np.int64)[before.code]
    map_a = np.array([index[n] for n in after.names], dtype=np.int64)[after.code]
    ids = np.concatenate([before.customer, after.customer])
    f = factorize(ids)
    nb = before.customer.size
    codes_b, codes_a = f.codes[:nb], f.codes[nb:]
    for name, c in (("before", codes_b), ("after", codes_a)):
        dup = bincount(c, minlength=f.n_groups) > 1
        if dup.any():
            bad = f.uniques[dup]
            raise InputError(
                f"The {name!r} segments of {function} list {bad.size} customers twice, "
                f"e.g. {bad[:5].tolist()}.",
                field=name,
            )
    where_after = np.full(f.n_groups, -1, dtype=np.int64)
    where_after[codes_a] = np.arange(codes_a.size)
    j = where_after[codes_b]
    matched = j >= 0
    m = len(labels)
    pair = map_b[matched] * m + map_a[j[matched]]
    matrix = bincount(pair, minlength=m * m).reshape(m, m)
    in_before = np.zeros(f.n_groups, dtype=np.bool_)
    in_before[codes_b] = True
    new = ~in_before[codes_a]
    return SegmentMigration(
        from_segment=np.repeat(np.asarray(labels), m),
        to_segment=np.tile(np.asarray(labels), m),
        customers=matrix.reshape(-1).copy(),
        labels=labels,
        matrix=matrix,
        entered=bincount(map_a[new], minlength=m),
        left=bincount(map_b[~matched], minlength=m),
        n_matched=int(matched.sum()),
    )
