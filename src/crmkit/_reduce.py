"""Group reductions on dense codes: counts, sums, minima, maxima and distinct pairs.

Every function takes dense group codes ``0..k-1`` (from
:func:`crmkit._groups.factorize`) and reduces a column to one value per
group without sorting the rows: ``np.bincount`` for counts and sums and the
buffered ``ufunc.at`` kernels (fast since numpy 1.25) for minima and maxima.
Only :func:`distinct_pairs`, which must de-duplicate ``(group, key)`` pairs,
sorts one packed int64 array (``np.sort``, never ``np.argsort``).
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

__all__ = [
    "DistinctPairs",
    "bincount",
    "distinct_pairs",
    "group_count",
    "group_max",
    "group_min",
    "group_sum",
]

_T = TypeVar("_T", bound=np.generic)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_INT_MIN: Final = np.iinfo(np.int64).min
_INT_MAX: Final = np.iinfo(np.int64).max


def _bincount_view(arr: npt.NDArray[_T]) -> npt.NDArray[_T]:
    """Return a writeable view of a read-only array crmkit made, so ``np.bincount`` reads it.

    ``np.bincount`` copies any input that is not flagged writeable (it never
    writes to it); crmkit hands its arrays out read-only, which would cost a
    full copy per call. The view is only read. A caller's own read-only
    array (whose base cannot be made writeable) is passed as it is.
    """
    if arr.flags.writeable:
        return arr
    view = arr.view()
    try:
        view.flags.writeable = True
    except ValueError:
        return arr
    return view


def bincount(
    codes: npt.NDArray[Any],
    weights: npt.NDArray[Any] | None = None,
    minlength: int = 0,
) -> npt.NDArray[Any]:
    """``np.bincount`` without the copy it makes of every read-only input.

    crmkit's arrays are read-only; ``np.bincount`` copies any input not
    flagged writeable (it never writes to it). Every count and weighted sum in
    crmkit goes through here (a test keeps ``np.bincount`` out of the rest of
    the library).

    Examples
    --------
    >>> codes = np.array([0, 2, 2])
    >>> codes.flags.writeable = False
    >>> bincount(codes, minlength=3).tolist()
    [1, 0, 2]
    """
    w = None if weights is None else _bincount_view(weights)
    return np.bincount(_bincount_view(codes), weights=w, minlength=minlength)


def group_count(codes: IntArray, n_groups: int) -> IntArray:
    """Rows per group.

    Examples
    --------
    >>> group_count(np.array([0, 2, 2]), 3).tolist()
    [1, 0, 2]
    """
    counts = np.bincount(_bincount_view(codes), minlength=n_groups)
    return counts.astype(np.int64, copy=False)


def group_sum(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum of *values* per group (0.0 for empty groups).

    Examples
    --------
    >>> group_sum(np.array([0, 2, 2]), np.array([1.0, 2.0, 3.5]), 3).tolist()
    [1.0, 0.0, 5.5]
    """
    sums = np.bincount(_bincount_view(codes), weights=_bincount_view(values), minlength=n_groups)
    return sums.astype(np.float64, copy=False)


def group_max(codes: IntArray, values: IntArray, n_groups: int) -> IntArray:
    """Maximum of int64 *values* per group (int64 minimum for empty groups).

    Examples
    --------
    >>> group_max(np.array([1, 0, 1]), np.array([5, 7, 9]), 2).tolist()
    [7, 9]
    """
    out = np.full(n_groups, _INT_MIN, dtype=np.int64)
    np.maximum.at(out, codes, values)
    return out


def group_min(codes: IntArray, values: IntArray, n_groups: int) -> IntArray:
    """Minimum of int64 *values* per group (int64 maximum for empty groups).

    Examples
    --------
    >>> group_min(np.array([1, 0, 1]), np.array([5, 7, 9]), 2).tolist()
    [7, 5]
    """
    out = np.full(n_groups, _INT_MAX, dtype=np.int64)
    np.minimum.at(out, codes, values)
    return out


@attrs.frozen(kw_only=True)
class DistinctPairs:
    """The distinct ``(group, key)`` pairs, sorted by group then key."""

    group: IntArray
    key: IntArray


def distinct_pairs(codes: IntArray, keys: IntArray, n_groups: int) -> DistinctPairs:
    """De-duplicate ``(group, key)`` pairs with one sort of a packed int64.

    The key range is shifted to start at zero and packed below the group code;
    when ``n_groups * key_span`` would overflow int64 the pairs are sorted
    with ``np.unique`` on a structured view instead.

    Examples
    --------
    >>> p = distinct_pairs(np.array([1, 0, 1, 1]), np.array([5, 3, 5, 8]), 2)
    >>> p.group.tolist(), p.key.tolist()
    ([0, 1, 1], [3, 5, 8])
    """
    if codes.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return DistinctPairs(group=empty, key=empty)
    lo = int(keys.min())
    span = int(keys.max()) - lo + 1
    if span * max(n_groups, 1) < 2**62:
        packed = codes * span + (keys - lo)
        ordered = np.sort(packed)
        keep = np.empty(ordered.size, dtype=np.bool_)
        keep[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
        unique = ordered[keep]
        return DistinctPairs(group=unique // span, key=unique % span + lo)
    unique_pairs = np.unique(np.stack([codes, keys], axis=1), axis=0)
    return DistinctPairs(group=unique_pairs[:, 0].copy(), key=unique_pairs[:, 1].copy())
