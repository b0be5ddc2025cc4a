"""RFM scores: quantile, rank or threshold scores 1..k per dimension, ties kept together."""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal, NamedTuple

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit._input import as_finite_float, as_readonly, check_same_length
from crmkit._reduce import bincount
from crmkit._results import Kind, Result, names_field, names_of
from crmkit.errors import InputError
from crmkit.segmentation._common import optional_ids, values_1d
from crmkit.segmentation._summary import RFMSummary

__all__ = ["DimensionScores", "RFMScores", "ScoringMethod", "rfm_scores", "score_values"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DIMENSIONS: Final = ("recency", "frequency", "monetary")

_MAX_K: Final = 10_000  # scores per dimension (percentiles are k = 100)
_COMPARE_MAX_EDGES: Final = 32  # up to this many edges, comparisons beat a binary search
_SELECTION_MIN_SIZE: Final = 1024  # below this, one sort is as fast as a selection
_SELECTION_MAX_EDGES: Final = 16  # a selection of more order statistics costs a sort
_PROBE: Final = 64  # values looked at before a full check for integers
_COUNT_SPAN_PER_VALUE: Final = 4  # count integers spanning up to 4 n values (or _COUNT_SPAN_MIN)
_COUNT_SPAN_MIN: Final = 1 << 16
_EXACT_INT: Final = 2.0**52


class ScoringMethod(enum.StrEnum):
    """How values become scores 1..k.

    ``QUANTILE``
        Quantile scores with ties kept together: each block of equal values
        gets the quantile score of its first member (``1 + floor(k * below /
        n)``, as ``pandas.qcut`` when there are no ties), except that a heavy
        tie never makes the next value jump more than one score. Equal values
        never get different scores, and the scores used are always ``1..m``
        with none left empty in between; ``m < k`` only when there are fewer
        than ``k`` distinct values or the top values are tied.
    ``RANK``
        Percentile of the average rank: ``score = ceil(k * avg_rank / n)``,
        as ``pandas.Series.rank(pct=True)`` followed by equal-width bins; ties
        share their average rank.
    ``THRESHOLDS``
        Fixed business thresholds given by the caller (``edges``).

    Examples
    --------
    >>> ScoringMethod("rank") is ScoringMethod.RANK
    True
    """

    QUANTILE = "quantile"
    RANK = "rank"
    THRESHOLDS = "thresholds"


@attrs.frozen(kw_only=True, repr=False)
class DimensionScores(Result):
    """Scores 1..k of one dimension.

    Attributes
    ----------
    score : ndarray of int64, shape (n,)
        1 (worst) to k (best) per value.
    k : int
        Number of scores.
    method : ScoringMethod
        How the scores were made.
    edges : ndarray of float64, shape (k - 1,) or None
        Ascending value boundaries (``None`` for the rank method). Reusing
        them as ``edges`` with ``method="thresholds"`` reproduces the scores.
    higher_is_better : bool
        False for recency: a smaller value scores higher.
    levels_used : int
        How many distinct scores occur (fewer than k when ties are heavy).

    Examples
    --------
    >>> d = score_values([10.0, 20.0, 30.0, 40.0], k=2)
    >>> d.score.tolist(), d.edges.tolist()
    ([1, 1, 2, 2], [20.0])
    """

    _table: ClassVar[tuple[str, ...]] = ("score",)
    _kinds: ClassVar[Mapping[str, Kind]] = {"edges": "number"}
    _rows: ClassVar[tuple[str, ...]] = _table

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        return rows | {"levels_used": int(np.unique(rows["score"]).size)}

    score: IntArray
    k: int
    method: ScoringMethod
    edges: FloatArray | None
    higher_is_better: bool
    levels_used: int


def _edges(edges: object, k: int, *, field: str, function: str) -> FloatArray:
    out = as_finite_float(edges, field=field, function=function)
    if out.size != k - 1 or (out.size > 1 and not np.all(np.diff(out) >= 0)):
        raise InputError.for_parameter(
            field,
            f"{k - 1} non-decreasing finite numbers (k - 1 edges for k={k})",
            out.tolist(),
            function=function,
        )
    return out


def _score_unchecked(
    values: FloatArray,
    k: int,
    method: ScoringMethod,
    edges: FloatArray | None,
    higher_is_better: bool,
) -> tuple[IntArray, FloatArray | None]:
    """Scores 1..k and the reported edges (in the values' space; None for ranks)."""
    if method is ScoringMethod.THRESHOLDS:
        assert edges is not None  # noqa: S101  (checked by the caller)
        return _apply_edges(values, edges, higher_is_better), edges
    cut = _oriented_edges(values, k, method, higher_is_better)
    # back to the values' space, ascending; + 0.0 turns a -0.0 edge into 0.0
    reported = (cut if higher_is_better else -cut[::-1]) + 0.0
    score = _apply_edges(values, reported, higher_is_better)
    return score, None if method is ScoringMethod.RANK else reported


def _apply_edges(values: FloatArray, edges: FloatArray, higher_is_better: bool) -> IntArray:
    """``1 + |{m : e_m < v}|`` (or ``e_m > v`` when lower is better) per value.

    A few edges are k - 1 vectorised comparisons summed into small integers,
    several times faster than a binary search per value.
    """
    n = values.size
    if edges.size > _COMPARE_MAX_EDGES:
        if higher_is_better:
            out = np.searchsorted(edges, values, side="left").astype(np.int64)
            out += 1
        else:
            out = np.searchsorted(edges, values, side="right").astype(np.int64)
            np.subtract(edges.size + 1, out, out=out)
        return out
    small = np.ones(n, dtype=np.int8)
    hit = np.empty(n, dtype=np.bool_)
    compare = np.greater if higher_is_better else np.less
    for edge in edges.tolist():
        compare(values, edge, out=hit)
        small += hit.view(np.int8)
    return small.astype(np.int64)


class _Blocks(NamedTuple):
    """Distinct oriented values, ascending, with how many customers lie below and in each."""

    value: FloatArray
    below: IntArray
    size: IntArray


def _blocks_from_sorted(ordered: FloatArray) -> _Blocks:
    n = ordered.size
    start = np.empty(n, dtype=np.bool_)
    start[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=start[1:])
    below = np.flatnonzero(start)
    count = np.diff(below, append=n)
    return _Blocks(ordered[below], below, count)


def _blocks_from_counts(values: FloatArray, higher_is_better: bool) -> _Blocks | None:
    """Blocks of integral values in a small range, by counting: no sort at all.

    None when the values are not integers in a range of at most a few times
    ``n`` (then a sort or a selection is the cheaper way).
    """
    n = values.size
    head = values[:_PROBE]
    if not np.array_equal(head, np.rint(head)):
        return None
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo
    if span > max(_COUNT_SPAN_PER_VALUE * n, _COUNT_SPAN_MIN) or max(-lo, hi) >= _EXACT_INT:
        return None
    if not np.array_equal(values, np.rint(values)):
        return None
    counts = bincount((values - lo).astype(np.intp), minlength=int(span) + 1)
    offset = np.flatnonzero(counts)
    count = counts[offset].astype(np.int64, copy=False)
    value = offset + lo  # exact: integers below 2**52
    if not higher_is_better:
        value, count = -value[::-1], count[::-1]
    below = np.cumsum(count) - count
    return _Blocks(np.ascontiguousarray(value, dtype=np.float64), below, count)


def _quantile_edges_from_blocks(blocks: _Blocks, n: int, k: int) -> FloatArray:
    """Edges of the tie-respecting quantile scores, in the oriented space.

    Each block of equal values aims at the quantile score of its first member,
    ``1 + floor(k * below / n)``, but never more than one score above the
    block before it, so the scores used are always ``1..m`` with none empty in
    between: ``s_j = j + min_{i <= j}(target_i - i)``.
    """
    target = 1 + (k * blocks.below) // n
    steps = np.arange(blocks.below.size, dtype=np.int64)
    block_score = np.minimum.accumulate(target - steps) + steps
    # edge j: the largest value scoring <= j (the maximum once scores run out)
    last_block = np.searchsorted(block_score, np.arange(1, k), side="right") - 1
    return blocks.value[last_block]


def _rank_edges_from_blocks(blocks: _Blocks, n: int, k: int) -> FloatArray:
    """Edges of the average-rank scores: the largest value scoring <= m (-inf: none)."""
    twice_rank = 2 * blocks.below + blocks.size + 1  # twice the 1-based average rank
    block_score = np.clip((k * twice_rank + 2 * n - 1) // (2 * n), 1, k)
    last_block = np.searchsorted(block_score, np.arange(1, k), side="right") - 1
    safe = np.maximum(last_block, 0)
    return np.where(last_block >= 0, blocks.value[safe], -np.inf)


def _quantile_edges_by_selection(oriented: FloatArray, k: int) -> FloatArray | None:
    """Quantile edges from ``k - 1`` order statistics, or None under heavy ties.

    Without a tie block of ``n / k`` or more customers below the top one, no
    score is held back (``s_j = t_j``) and edge ``m`` is the value at sorted
    position ``ceil(m n / k) - 1``. Any such block below the top covers one of
    those positions, so counting the ``k - 1`` values found there detects it.
    Partitions *oriented* (a private copy) in place.
    """
    n = oriented.size
    m = np.arange(1, k, dtype=np.int64)
    position = (m * n + k - 1) // k - 1
    oriented.partition(position)
    found = oriented[position]
    for value in np.unique(found).tolist():
        if np.count_nonzero(oriented == value) * k >= n:
            return None
    return found.copy()


def _rank_edges_by_selection(oriented: FloatArray, k: int) -> FloatArray:
    """Average-rank edges from ``k - 1`` order statistics and a few counts.

    With ``x`` the value at sorted position ``q = floor(m n / k) - 1``, every
    block below ``x``'s scores at most ``m`` and every block above more, so edge
    ``m`` is ``x`` when its own block scores at most ``m`` and otherwise the
    largest value below ``x`` (-inf when there is none, or when ``q < 0``).
    Partitions *oriented* (a private copy) in place.
    """
    n = oriented.size
    edges = np.full(k - 1, -np.inf)
    position = (n * np.arange(1, k, dtype=np.int64)) // k - 1
    if position.max() < 0:
        return edges
    oriented.partition(np.unique(position[position >= 0]))
    for i, q in enumerate(position.tolist()):
        if q < 0:
            continue
        x = float(oriented[q])
        less = int(np.count_nonzero(oriented < x))
        equal = int(np.count_nonzero(oriented == x))
        if k * (2 * less + equal + 1) <= 2 * n * (i + 1):
            edges[i] = x
        elif less:
            edges[i] = np.max(oriented, where=oriented < x, initial=-np.inf)
    return edges


_Path = Literal["auto", "counts", "selection", "sort"]


def _oriented_edges(
    values: FloatArray,
    k: int,
    method: ScoringMethod,
    higher_is_better: bool,
    path: _Path = "auto",
) -> FloatArray:
    """Edges (ascending, oriented so higher is better) of quantile or rank scores.

    Three exact ways, the cheapest that applies: counting integral values in a
    small range (frequencies, whole days); selecting ``k - 1`` order statistics
    (``np.partition``, linear time); or one sort. *path* forces one (tests).
    """
    n = values.size
    is_rank = method is ScoringMethod.RANK
    if path in ("auto", "counts"):
        blocks = _blocks_from_counts(values, higher_is_better)
        if blocks is not None:
            if is_rank:
                return _rank_edges_from_blocks(blocks, n, k)
            return _quantile_edges_from_blocks(blocks, n, k)
    oriented = values.copy() if higher_is_better else np.negative(values)
    selection = path == "selection" or (
        path == "auto" and n >= _SELECTION_MIN_SIZE and k - 1 <= _SELECTION_MAX_EDGES
    )
    if selection:
        if is_rank:
            return _rank_edges_by_selection(oriented, k)
        edges = _quantile_edges_by_selection(oriented, k)
        if edges is not None:
            return edges
    oriented.sort()
    blocks = _blocks_from_sorted(oriented)
    if is_rank:
        return _rank_edges_from_blocks(blocks, n, k)
    return _quantile_edges_from_blocks(blocks, n, k)


def score_values(
    values: npt.ArrayLike,
    *,
    k: int = 5,
    method: ScoringMethod | Literal["quantile", "rank", "thresholds"] = "quantile",
    edges: npt.ArrayLike | None = None,
    higher_is_better: bool = True,
) -> DimensionScores:
    r"""Score values 1..k, equal values always getting equal scores.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer (recency, frequency, monetary, CLV, ...).
    k : int, default 5
        Number of scores, 2..10,000.
    method : ScoringMethod or {"quantile", "rank", "thresholds"}
        See :class:`ScoringMethod`.
    edges : array_like of float, shape (k - 1,), optional
        Non-decreasing thresholds; required with ``method="thresholds"``
        (a repeated edge leaves a score unused, as quantile edges do under
        heavy ties).
    higher_is_better : bool, default True
        False scores small values high (recency).

    Returns
    -------
    DimensionScores
        The scores, the edges used and how many scores occur.

    Raises
    ------
    InputError
        On empty or non-finite values, ``k`` outside 2..10,000, an unknown method, or
        edges missing, decreasing or not ``k - 1`` long.

    Notes
    -----
    Quantile scores, with :math:`o` the values oriented so that higher is
    better, :math:`v_1 < v_2 < \dots` its distinct values and :math:`b_j` the
    number of customers below :math:`v_j`: the target of block :math:`j` is
    :math:`t_j = 1 + \lfloor k b_j / n \rfloor` and its score
    :math:`s_j = \min(t_j, s_{j-1} + 1) = j + \min_{i \le j}(t_i - i)`
    (0-based :math:`j`). Without ties :math:`s_j = t_j`, the usual quantile
    (``pandas.qcut``) score. The reported edge :math:`e_m` is the largest
    value scoring at most :math:`m`, and :math:`score = 1 + |\{m : e_m < o\}|`
    reproduces the scores (a value equal to an edge gets the lower score).
    Every customer identical (or a single customer): everyone scores 1 with
    quantiles, and :math:`\lceil k (n + 1) / 2n \rceil` with ranks (the
    average rank is the middle; ``k`` for one customer).

    Both methods reduce to ``k - 1`` edges, and a customer's score is one
    plus the edges their value exceeds (``k - 1`` vectorised comparisons).
    The edges come from counting when the values are whole numbers in a
    small range (:math:`O(n)`), otherwise from ``k - 1`` order statistics
    (``np.partition``, :math:`O(n)`; without a tie block of :math:`n/k` or
    more customers below the top value no score is held back, so quantile
    edge :math:`m` is the value at sorted position :math:`\lceil mn/k
    \rceil - 1`), and from one sort only under such heavy ties.

    Examples
    --------
    Six shoppers, four of whom bought once: the one-time buyers share score 1
    and, with only three distinct values, the dimension can use three scores.

    >>> from crmkit.segmentation import score_values
    >>> s = score_values([1, 1, 1, 1, 2, 7], k=5)
    >>> s.score.tolist(), s.levels_used
    ([1, 1, 1, 1, 2, 3], 3)
    """
    function = "score_values"
    arr = values_1d(values, field="values", function=function)
    kk = _params.integer(k, name="k", function=function, minimum=2)
    _params.work_limit(kk, limit=_MAX_K, name="k", function=function, what="scores per dimension")
    m = _params.choice(method, ScoringMethod, name="method", function=function)
    higher = _params.flag(higher_is_better, name="higher_is_better", function=function)
    edge_arr = _check_edges(m, edges, kk, "edges", function)
    score, used_edges = _score_unchecked(arr, kk, m, edge_arr, higher)
    return DimensionScores(
        score=as_readonly(score),
        k=kk,
        method=m,
        edges=None if used_edges is None else as_readonly(used_edges),
        higher_is_better=higher,
        levels_used=_levels(score, kk),
    )


def _check_edges(
    method: ScoringMethod, edges: object, k: int, field: str, function: str
) -> FloatArray | None:
    if method is ScoringMethod.THRESHOLDS:
        if edges is None:
            raise InputError.for_parameter(
                field, "given when method='thresholds'", None, function=function
            )
        return _edges(edges, k, field=field, function=function)
    if edges is not None:
        raise InputError.for_parameter(
            "method",
            "'thresholds' when edges are given",
            method.value,
            function=function,
        )
    return None


def _levels(score: IntArray, k: int) -> int:
    return int(np.count_nonzero(bincount(score, minlength=k + 1)))


@attrs.frozen(kw_only=True, repr=False)
class RFMScores(Result):
    """RFM scores per customer, their combined score and cell code.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids.
    recency, frequency, monetary : ndarray of float64, shape (n,)
        The values scored.
    recency_score, frequency_score, monetary_score : ndarray of int64, shape (n,)
        1 (worst) .. k (best); recency is inverted so k = most recent.
    score : ndarray of float64, shape (n,)
        Weighted mean of the three scores, in [1, k].
    cell : ndarray of str, shape (n,)
        The classic cell code, e.g. ``"555"`` (``"10-3-5"`` when k > 9); a
        property built from the three scores when read (and by ``to_frame``).
    k : int
        Number of scores per dimension.
    method : ScoringMethod
        How scores were made.
    weights : mapping of str to float
        Weight of each dimension in ``score``.
    edges : mapping of str to ndarray or None
        The edges used per dimension (reuse them as thresholds to score a
        later snapshot on the same scale).
    levels_used : mapping of str to int
        Distinct scores each dimension actually uses.

    Examples
    --------
    >>> s = rfm_scores({"recency": [5, 50], "frequency": [4, 1], "monetary": [90.0, 10.0]}, k=2)
    >>> s.cell.tolist(), dict(s.levels_used)
    (['222', '111'], {'recency': 2, 'frequency': 2, 'monetary': 2})
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "recency",
        "frequency",
        "monetary",
        "recency_score",
        "frequency_score",
        "monetary_score",
        "score",
        "cell",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "recency": "number",
        "frequency": "number",
        "monetary": "money",
        "score": "number",
        "weights": "number",
        "edges": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = _table[:-1]  # the fields; cell is built from the scores
    _plot: ClassVar[str] = "rfm_heatmap"

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        used = {d: int(np.unique(rows[f"{d}_score"]).size) for d in DIMENSIONS}
        return rows | {"levels_used": used}

    customer: npt.NDArray[Any]
    recency: FloatArray
    frequency: FloatArray
    monetary: FloatArray
    recency_score: IntArray
    frequency_score: IntArray
    monetary_score: IntArray
    score: FloatArray
    k: int
    method: ScoringMethod
    weights: Mapping[str, float]
    edges: Mapping[str, FloatArray | None]
    levels_used: Mapping[str, int]
    _source_names: Mapping[str, str] = names_field()

    @property
    def cell(self) -> npt.NDArray[np.str_]:
        """The classic cell code per customer, e.g. ``"555"`` (``"10-3-5"`` when k > 9).

        Built from the three integer scores each time it is read (the scores are
        what is stored), so scoring never pays for strings nobody asked for.
        """
        return as_readonly(
            _cell_labels(self.recency_score, self.frequency_score, self.monetary_score, self.k)
        )


def _weights(weights: object, function: str) -> dict[str, float]:
    if weights is None:
        return dict.fromkeys(DIMENSIONS, 1.0)
    requirement = "three finite numbers >= 0 (recency, frequency, monetary), not all zero"
    raw: object = weights
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(DIMENSIONS)
        if unknown:
            raise InputError.for_parameter(
                "weights",
                "a mapping with keys among 'recency', 'frequency', 'monetary'",
                sorted(unknown),
                function=function,
            )
        raw = [weights.get(d, 0.0) for d in DIMENSIONS]
    values = _params.numbers(raw, name="weights", function=function, low=0.0)
    if len(values) != len(DIMENSIONS) or sum(values) == 0:
        raise InputError.for_parameter("weights", requirement, weights, function=function)
    return dict(zip(DIMENSIONS, values, strict=True))


def _columns(
    summary: object, monetary: str, function: str
) -> tuple[npt.NDArray[Any], dict[str, FloatArray]]:
    if isinstance(summary, RFMSummary):
        money = summary.monetary if monetary == "total" else summary.monetary_mean
        return summary.customer, {
            "recency": summary.recency,
            "frequency": summary.frequency.astype(np.float64),
            "monetary": money,
        }
    if not isinstance(summary, Mapping):
        raise InputError(
            f"{function} takes an RFMSummary or a mapping of columns; "
            f"got a {type(summary).__name__}.",
            field="summary",
            hint="Build one with rfm_summary(transactions, unit=...).",
        )
    missing = [d for d in DIMENSIONS if d not in summary]
    if missing:
        raise InputError(
            f"The columns given to {function} have no {missing[0]!r}.",
            field=missing[0],
            hint="Pass 'recency', 'frequency' and 'monetary' (and optionally 'customer').",
        )
    cols = {d: values_1d(summary[d], field=d, function=function) for d in DIMENSIONS}
    check_same_length({d: v.size for d, v in cols.items()}, function=function)
    n = cols["recency"].size
    ids = optional_ids(summary.get("customer"), n, function=function)
    return ids, cols


def rfm_scores(
    summary: RFMSummary | Mapping[str, npt.ArrayLike],
    *,
    k: int = 5,
    method: ScoringMethod | Literal["quantile", "rank", "thresholds"] = "quantile",
    edges: Mapping[str, npt.ArrayLike] | None = None,
    weights: Mapping[str, float] | tuple[float, float, float] | None = None,
    monetary: Literal["total", "mean"] = "total",
) -> RFMScores:
    r"""Score recency, frequency and monetary value 1..k and combine them.

    Parameters
    ----------
    summary : RFMSummary or mapping of str to array_like
        From :func:`rfm_summary`, or columns ``recency``, ``frequency``,
        ``monetary`` (and optionally ``customer``), one value per customer.
    k : int, default 5
        Scores per dimension, 2..10,000.
    method : ScoringMethod or {"quantile", "rank", "thresholds"}
        See :class:`ScoringMethod`; default quantiles with ties kept together.
    edges : mapping of str to array_like, optional
        With ``method="thresholds"``: ``k - 1`` non-decreasing thresholds for each
        of ``recency``, ``frequency`` and ``monetary`` (in their units). A
        value equal to a threshold gets the worse score.
    weights : mapping or tuple of 3 floats, optional
        Weight of recency, frequency and monetary in the combined score;
        default equal. Non-negative, not all zero; a mapping may leave a
        dimension out (weight 0).
    monetary : {"total", "mean"}
        Which monetary figure of an :class:`RFMSummary` to score.

    Returns
    -------
    RFMScores
        Scores, combined score, cell codes, edges and levels used.

    Raises
    ------
    InputError
        On ``k`` outside 2..10,000, bad weights or edges, non-finite values or empty input.

    Notes
    -----
    Combined score :math:`s = \sum_d w_d s_d / \sum_d w_d` over
    :math:`d \in \{R, F, M\}`. Recency is scored on :math:`-recency`, so
    :math:`R = k` is the most recent.

    References
    ----------
    .. [1] Hughes, A. M. (1994). *Strategic Database Marketing*. Probus
       (quintile RFM cells, "555" best).

    Examples
    --------
    >>> from crmkit.segmentation import rfm_scores
    >>> s = rfm_scores(
    ...     {"recency": [3, 40, 200], "frequency": [9, 2, 1], "monetary": [900.0, 80.0, 20.0]},
    ...     k=3,
    ... )
    >>> s.cell.tolist(), s.score.tolist()
    (['333', '222', '111'], [3.0, 2.0, 1.0])
    """
    function = "rfm_scores"
    kk = _params.integer(k, name="k", function=function, minimum=2)
    _params.work_limit(kk, limit=_MAX_K, name="k", function=function, what="scores per dimension")
    m = _params.choice(method, ScoringMethod, name="method", function=function)
    w = _weights(weights, function)
    money = _params.choice(monetary, ("total", "mean"), name="monetary", function=function)
    if edges is not None and not isinstance(edges, Mapping):
        raise InputError.for_parameter(
            "edges", "a mapping of dimension -> thresholds", edges, function=function
        )
    ids, cols = _columns(summary, money, function)
    scores: dict[str, IntArray] = {}
    used_edges: dict[str, FloatArray | None] = {}
    for d in DIMENSIONS:
        dim_edges = None if edges is None else edges.get(d)
        e = _check_edges(m, dim_edges, kk, f"edges[{d!r}]", function)
        s, used = _score_unchecked(cols[d], kk, m, e, higher_is_better=d != "recency")
        scores[d] = as_readonly(s)
        used_edges[d] = None if used is None else as_readonly(used)
    combined = _combined(scores, w)
    return RFMScores(
        customer=ids,
        recency=cols["recency"],
        frequency=cols["frequency"],
        monetary=cols["monetary"],
        recency_score=scores["recency"],
        frequency_score=scores["frequency"],
        monetary_score=scores["monetary"],
        score=as_readonly(combined),
        k=kk,
        method=m,
        weights=types.MappingProxyType(w),
        edges=types.MappingProxyType(used_edges),
        levels_used=types.MappingProxyType({d: _levels(scores[d], kk) for d in DIMENSIONS}),
        source_names=names_of(summary, "customer"),
    )


def _combined(scores: Mapping[str, IntArray], weights: Mapping[str, float]) -> FloatArray:
    """``sum_d w_d s_d / sum_d w_d``, summed in R, F, M order into one buffer."""
    total_w = sum(weights.values())
    out = np.multiply(scores[DIMENSIONS[0]], weights[DIMENSIONS[0]], dtype=np.float64)
    term = np.empty_like(out)
    for d in DIMENSIONS[1:]:
        np.multiply(scores[d], weights[d], out=term)
        out += term
    out /= total_w
    return out


def _cell_labels(
    recency: IntArray, frequency: IntArray, monetary: IntArray, k: int
) -> npt.NDArray[np.str_]:
    """Return the classic cell codes ``"555"`` (``"10-3-5"`` when k > 9) of three score arrays."""
    if k <= 9:
        return (recency * 100 + frequency * 10 + monetary).astype(str)
    out = np.strings.add(np.strings.add(recency.astype(str), "-"), frequency.astype(str))
    return np.strings.add(np.strings.add(out, "-"), monetary.astype(str))
