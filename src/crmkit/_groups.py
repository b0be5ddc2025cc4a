"""Dense group codes for ids: the shared first step of every per-customer reduction.

``factorize`` maps ids (ints or strings) to codes ``0..k-1`` with the unique
ids in ascending order, without ``argsort`` over the rows:

* integer ids whose range is small relative to the row count use a
  presence table (two passes, no sort at all);
* other integer ids sort one packed int64 key, ``(id - min) << b | row``
  (``np.sort`` is several times faster than ``np.argsort``), and read the
  codes off the sorted keys;
* string ids (and integers too spread out to pack) are hashed to 64 bits and
  grouped the same way on the hash; every row is then checked against its
  group's representative, and the rows of a colliding hash (rare) get codes
  of their own, so the result is exact.
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
    position_bits = max(1, (ids.size - 1).bit_length())
    if span < (1 << (63 - position_bits)):
        # exact: (id - lo) in the high bits, the row position in the low bits
        key = ids - lo
        codes, rep = _codes_from_keys(key, position_bits)
        return Factorized(codes=codes, uniques=ids[rep])
    return _factorize_hashed(ids, _mix64(ids.view(np.uint64).copy()))


def _codes_from_keys(key: IntArray, position_bits: int) -> tuple[IntArray, IntArray]:
    """Group rows by a non-negative key: one sort of (key << bits | position), no argsort.

    Returns codes numbered in ascending key order and one representative row per code.
    """
    n = key.size
    packed = key << position_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    position = packed & ((1 << position_bits) - 1)
    packed >>= position_bits  # the sorted keys
    starts = np.empty(n, dtype=np.bool_)
    starts[0] = True
    np.not_equal(packed[1:], packed[:-1], out=starts[1:])
    group = np.cumsum(starts, dtype=np.int64)
    group -= 1
    codes = np.empty(n, dtype=np.int64)
    codes[position] = group
    return codes, position[starts]


def _mix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Finalise a 64-bit hash (splitmix64) so nearby inputs spread over the range, in place."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _factorize_hashed(ids: npt.NDArray[Any], hashed: npt.NDArray[np.uint64]) -> Factorized:
    """Group by a hash that leaves room for row positions, then repair any collision.

    Rows whose id differs from their hash group's representative (a collision,
    rare) get codes of their own; the uniques are then put in ascending order.
    """
    position_bits = max(1, (ids.size - 1).bit_length())
    key = (hashed >> np.uint64(position_bits + 1)).view(np.int64)
    codes, rep = _codes_from_keys(key, position_bits)
    uniques = ids[rep]
    clash = uniques[codes] != ids
    if clash.any():
        rows = np.flatnonzero(clash)
        extra, inverse = np.unique(ids[rows], return_inverse=True)
        codes[rows] = uniques.size + inverse
        uniques = np.concatenate([uniques, extra])
    order = np.argsort(uniques, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return Factorized(codes=rank[codes], uniques=uniques[order])


def _hash_strings(ids: npt.NDArray[np.str_]) -> npt.NDArray[np.uint64]:
    width = ids.dtype.itemsize // 4
    chars = np.ascontiguousarray(ids).view(np.uint32).reshape(ids.size, width)
    h = np.full(ids.size, _FNV_OFFSET, dtype=np.uint64)
    for j in range(width):
        h ^= chars[:, j]
        h *= _FNV_PRIME
    return _mix64(h)


def _factorize_str(ids: npt.NDArray[np.str_]) -> Factorized:
    return _factorize_hashed(ids, _hash_strings(ids))
