"""Dense group codes for ids: the shared first step of every per-customer reduction.

``factorize`` maps ids (ints or strings) to codes ``0..k-1`` with the unique
ids in ascending order, without ``argsort`` over the rows:

* integer ids whose range is small relative to the row count use a
  presence table (two passes, no sort at all);
* other integer ids sort a copy once (``np.sort`` is far faster than
  ``np.argsort``) and look codes up with ``searchsorted``;
* string ids are hashed column-wise to 64 bits, the hashes factorized as
  integers, and the result verified against the strings themselves; a hash
  collision (never seen in practice) falls back to ``np.unique``.
"""

from __future__ import annotations

from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["Factorized", "factorize"]

_DENSE_FACTOR: Final = 4
_DENSE_MIN: Final = 1 << 20
_FNV_PRIME: Final = np.uint64(0x100000001B3)
_FNV_OFFSET: Final = np.uint64(0xCBF29CE484222325)

IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True)
class Factorized:
    """Ids as dense codes: ``uniques[codes]`` equals the original ids."""

    codes: IntArray
    uniques: npt.NDArray[Any]

    @property
    def n_groups(self) -> int:
        """Number of distinct ids."""
        return int(self.uniques.shape[0])


def factorize(ids: npt.NDArray[Any]) -> Factorized:
    """Return dense codes for *ids* (int64 or str arrays) with sorted uniques.

    Examples
    --------
    >>> import numpy as np
    >>> f = factorize(np.array([30, 10, 30, 20]))
    >>> f.codes.tolist(), f.uniques.tolist()
    ([2, 0, 2, 1], [10, 20, 30])
    >>> factorize(np.array(["b", "a", "b"])).codes.tolist()
    [1, 0, 1]
    """
    if ids.size == 0:
        return Factorized(codes=np.zeros(0, dtype=np.int64), uniques=ids[:0].copy())
    if ids.dtype.kind in "iu":
        return _factorize_int(ids.astype(np.int64, copy=False))
    if ids.dtype.kind == "U":
        return _factorize_str(ids)
    uniques, codes = np.unique(ids, return_inverse=True)
    return Factorized(codes=codes.astype(np.int64, copy=False), uniques=uniques)


def _factorize_int(ids: IntArray) -> Factorized:
    lo = int(ids.min())
    hi = int(ids.max())
    span = hi - lo + 1
    if span <= max(_DENSE_FACTOR * ids.size, _DENSE_MIN):
        offset = ids - lo
        present = np.zeros(span, dtype=np.bool_)
        present[offset] = True
        rank = np.cumsum(present, dtype=np.int64)
        rank -= 1
        codes = rank[offset]
        uniques = np.flatnonzero(present).astype(np.int64)
        uniques += lo
        return Factorized(codes=codes, uniques=uniques)
    ordered = np.sort(ids)
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    uniques = ordered[keep]
    codes = np.searchsorted(uniques, ids).astype(np.int64, copy=False)
    return Factorized(codes=codes, uniques=uniques)


def _hash_strings(ids: npt.NDArray[np.str_]) -> IntArray:
    width = ids.dtype.itemsize // 4
    chars = np.ascontiguousarray(ids).view(np.uint32).reshape(ids.size, width)
    h = np.full(ids.size, _FNV_OFFSET, dtype=np.uint64)
    for j in range(width):
        h ^= chars[:, j]
        h *= _FNV_PRIME
    # final avalanche (splitmix64) so nearby strings spread over the range
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h.view(np.int64)


def _factorize_str(ids: npt.NDArray[np.str_]) -> Factorized:
    hashed = _factorize_int(_hash_strings(ids))
    rep = np.empty(hashed.n_groups, dtype=np.int64)
    rep[hashed.codes] = np.arange(ids.size, dtype=np.int64)
    candidates = ids[rep]
    if not np.array_equal(candidates[hashed.codes], ids):  # a 64-bit hash collision
        uniques, codes = np.unique(ids, return_inverse=True)
        return Factorized(codes=codes.astype(np.int64, copy=False), uniques=uniques)
    order = np.argsort(candidates, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return Factorized(codes=rank[hashed.codes], uniques=candidates[order])
