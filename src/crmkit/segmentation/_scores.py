"""RFM scores: quantile, rank or threshold scores 1..k per dimension, ties kept together."""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_readonly, check_same_length
from crmkit._results import Kind, Result, names_field, names_of
from crmkit.errors import InputError
from crmkit.segmentation._common import optional_ids, positive_int, values_1d
from crmkit.segmentation._summary import RFMSummary

__all__ = ["DimensionScores", "RFMScores", "ScoringMethod", "rfm_scores", "score_values"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DIMENSIONS: Final = ("recency", "frequency", "monetary")


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


def _method(value: object, function: str) -> ScoringMethod:
    try:
        return ScoringMethod(str(value))
    except ValueError:
        valid = ", ".join(repr(m.value) for m in ScoringMethod)
        raise InputError.for_parameter(
            "method", f"one of {valid}", value, function=function
        ) from None


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
    oriented = values if higher_is_better else -values
    n = oriented.size
    if method is ScoringMethod.RANK:
        ordered = np.sort(oriented)
        less = np.searchsorted(ordered, oriented, side="left")
        less_equal = np.searchsorted(ordered, oriented, side="right")
        twice_rank = less + less_equal + 1  # twice the 1-based average rank
        score = (k * twice_rank + 2 * n - 1) // (2 * n)
        return np.clip(score, 1, k).astype(np.int64), None
    if method is ScoringMethod.QUANTILE:
        cut = _quantile_edges(oriented, k)
    else:
        assert edges is not None  # noqa: S101  (checked by the caller)
        cut = edges if higher_is_better else -edges[::-1]
    score = np.searchsorted(cut, oriented, side="left").astype(np.int64)
    score += 1
    reported = cut if higher_is_better else -cut[::-1]
    return score, np.ascontiguousarray(reported, dtype=np.float64)


def _quantile_edges(oriented: FloatArray, k: int) -> FloatArray:
    """Edges of the tie-respecting quantile scores, in the oriented space.

    Each block of equal values aims at the quantile score of its first member,
    ``1 + floor(k * below / n)``, but never more than one score above the
    block before it, so the scores used are always ``1..m`` with none empty in
    between: ``s_j = j + min_{i <= j}(target_i - i)``.
    """
    n = oriented.size
    ordered = np.sort(oriented)
    start = np.empty(n, dtype=np.bool_)
    start[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=start[1:])
    below = np.flatnonzero(start)  # customers below each distinct value
    target = 1 + (k * below) // n
    steps = np.arange(below.size, dtype=np.int64)
    block_score = np.minimum.accumulate(target - steps) + steps
    # edge j: the largest value scoring <= j (the maximum once scores run out)
    last_block = np.searchsorted(block_score, np.arange(1, k), side="right") - 1
    return ordered[below[last_block]]


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
        Number of scores, >= 2.
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
        On empty or non-finite values, ``k < 2``, an unknown method, or
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
    kk = positive_int(k, field="k", function=function, minimum=2)
    m = _method(method, function)
    edge_arr = _check_edges(m, edges, kk, "edges", function)
    score, used_edges = _score_unchecked(arr, kk, m, edge_arr, higher_is_better)
    return DimensionScores(
        score=as_readonly(score),
        k=kk,
        method=m,
        edges=None if used_edges is None else as_readonly(used_edges),
        higher_is_better=bool(higher_is_better),
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
    return int(np.count_nonzero(np.bincount(score, minlength=k + 1)))


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
        The classic cell code, e.g. ``"555"`` (``"10-3-5"`` when k > 9).
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
    _rows: ClassVar[tuple[str, ...]] = _table
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
    cell: npt.NDArray[np.str_]
    k: int
    method: ScoringMethod
    weights: Mapping[str, float]
    edges: Mapping[str, FloatArray | None]
    levels_used: Mapping[str, int]
    _source_names: Mapping[str, str] = names_field()


def _weights(weights: object, function: str) -> dict[str, float]:
    if weights is None:
        return dict.fromkeys(DIMENSIONS, 1.0)
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
    else:
        raw = list(np.asarray(weights, dtype=object).reshape(-1))
    ok = len(raw) == 3 and all(
        isinstance(w, (int, float, np.integer, np.floating)) and not isinstance(w, bool)
        for w in raw
    )
    arr = np.asarray(raw, dtype=np.float64) if ok else np.zeros(0)
    if not ok or not np.all(np.isfinite(arr)) or np.any(arr < 0) or arr.sum() == 0:
        raise InputError.for_parameter(
            "weights",
            "three finite numbers >= 0 (recency, frequency, monetary), not all zero",
            weights,
            function=function,
        )
    return dict(zip(DIMENSIONS, arr.tolist(), strict=True))


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
        Scores per dimension, >= 2.
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
        On ``k < 2``, bad weights or edges, non-finite values or empty input.

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
    kk = positive_int(k, field="k", function=function, minimum=2)
    m = _method(method, function)
    w = _weights(weights, function)
    if monetary not in ("total", "mean"):
        raise InputError.for_parameter("monetary", "'total' or 'mean'", monetary, function=function)
    if edges is not None and not isinstance(edges, Mapping):
        raise InputError.for_parameter(
            "edges", "a mapping of dimension -> thresholds", edges, function=function
        )
    ids, cols = _columns(summary, monetary, function)
    scores: dict[str, IntArray] = {}
    used_edges: dict[str, FloatArray | None] = {}
    for d in DIMENSIONS:
        dim_edges = None if edges is None else edges.get(d)
        e = _check_edges(m, dim_edges, kk, f"edges[{d!r}]", function)
        s, used = _score_unchecked(cols[d], kk, m, e, higher_is_better=d != "recency")
        scores[d] = as_readonly(s)
        used_edges[d] = None if used is None else as_readonly(used)
    total_w = sum(w.values())
    combined = sum(w[d] * scores[d] for d in DIMENSIONS) / total_w
    return RFMScores(
        customer=ids,
        recency=cols["recency"],
        frequency=cols["frequency"],
        monetary=cols["monetary"],
        recency_score=scores["recency"],
        frequency_score=scores["frequency"],
        monetary_score=scores["monetary"],
        score=as_readonly(np.asarray(combined, dtype=np.float64)),
        cell=as_readonly(_cells(scores, kk)),
        k=kk,
        method=m,
        weights=types.MappingProxyType(w),
        edges=types.MappingProxyType(used_edges),
        levels_used=types.MappingProxyType({d: _levels(scores[d], kk) for d in DIMENSIONS}),
        source_names=names_of(summary, "customer"),
    )


def _cells(scores: Mapping[str, IntArray], k: int) -> npt.NDArray[np.str_]:
    r, f, m = (scores[d] for d in DIMENSIONS)
    if k <= 9:
        return (r * 100 + f * 10 + m).astype(str)
    out = np.strings.add(np.strings.add(r.astype(str), "-"), f.astype(str))
    return np.strings.add(np.strings.add(out, "-"), m.astype(str))
