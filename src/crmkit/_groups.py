"""Dense group codes for ids: the shared first step of every per-customer reduction.

``factorize`` maps ids (ints or strings) to codes ``0..k-1`` with the unique
ids in ascending order, without ``argsort`` over the rows:

* integer ids whose range is small relative to the row count use a
  presence table (two passes, no sort at all);
* string ids narrow enough to encode (each character position a mixed-radix
  digit of its observed range, under 2**62 in all: most id formats) become
  integers that sort like the strings, and are then grouped as integers,
  exactly;
* other integer ids sort one packed int64 key, ``(id - min) << b | row``
  (``np.sort`` is several times faster than ``np.argsort``), and read the
  codes off the sorted keys;
* other string ids (and integers too spread out to pack) are hashed to 64 bits and
  grouped the same way on the hash; every row is then checked against its
  group's representative, and the rows of a colliding hash (rare) get codes
  of their own, so the result is exact.
"""

from __future__ import annotations

import math
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._reduce import bincount

__all__ = [
    "Factorized",
    "factorize",
    "factorize_hashed",
    "hash_chars",
    "int_codes",
    "pack_chars",
    "unpack_chars",
]

_DENSE_FACTOR: Final = 4
_DENSE_MIN: Final = 1 << 20
_FNV_PRIME: Final = np.uint64(0x100000001B3)
_FNV_OFFSET: Final = np.uint64(0xCBF29CE484222325)

IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True)
class Factorized:
    """Ids as dense codes: ``uniques[codes]`` equals the original ids; uniques ascend."""

    codes: IntArray
    uniques: npt.NDArray[Any]

    @property
    def n_groups(self) -> int:
        """Number of distinct ids."""
        return int(self.uniques.shape[0])

    def take(self, rows: npt.NDArray[Any]) -> Factorized:
        """Return the codes of the selected rows, renumbered densely over the ids they keep.

        Examples
        --------
        >>> f = factorize(np.array([30, 10, 30, 20]))
        >>> sub = f.take(np.array([True, False, True, True]))
        >>> sub.codes.tolist(), sub.uniques.tolist()
        ([1, 1, 0], [20, 30])
        """
        codes = self.codes[rows]
        present = bincount(codes, minlength=self.n_groups) > 0
        if present.all():
            return Factorized(codes=codes, uniques=self.uniques)
        rank = np.cumsum(present, dtype=np.int64) - 1
        return Factorized(codes=rank[codes], uniques=self.uniques[present])


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
        codes, uniques = int_codes(ids.astype(np.int64, copy=False))
        return Factorized(codes=codes, uniques=uniques)
    if ids.dtype.kind == "U":
        return _factorize_str(ids)
    uniques, codes = np.unique(ids, return_inverse=True)
    return Factorized(codes=codes.astype(np.int64, copy=False), uniques=uniques)


_REMAP_ROWS: Final = 1 << 16


def int_codes(ids: IntArray, *, owned: bool = False) -> tuple[IntArray, IntArray]:
    """Codes in ascending id order and the sorted unique ids, for int64 ids.

    With ``owned=True`` the caller hands *ids* over (a temporary it built, such
    as packed string keys): the dense path then rewrites it into the codes in
    place, so the rows cost one int64 array, not three.
    """
    lo = int(ids.min())
    hi = int(ids.max())
    span = hi - lo + 1
    if span <= max(_DENSE_FACTOR * ids.size, _DENSE_MIN):
        offset = ids if owned else ids.copy()
        offset -= lo
        present = np.zeros(span, dtype=np.bool_)
        present[offset] = True
        found = np.flatnonzero(present)
        del present
        rank_dtype = np.int32 if found.size < 2**31 else np.int64
        rank = np.empty(span, dtype=rank_dtype)  # read only where present
        rank[found] = np.arange(found.size, dtype=rank_dtype)
        for begin in range(0, offset.size, _REMAP_ROWS):  # in place, a block at a time
            block = offset[begin : begin + _REMAP_ROWS]
            block[...] = rank[block]
        return offset, found.astype(np.int64) + lo
    position_bits = max(1, (ids.size - 1).bit_length())
    if span < (1 << (63 - position_bits)):
        # exact: (id - lo) in the high bits, the row position in the low bits
        codes, rep = _codes_from_keys(ids - lo, position_bits)
        return codes, ids[rep]
    hashed = factorize_hashed(ids, _mix64(ids.view(np.uint64).copy()))
    return hashed.codes, hashed.uniques


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
    first = np.flatnonzero(starts)
    sizes = np.diff(first, append=n)
    codes = np.empty(n, dtype=np.int64)
    codes[position] = np.repeat(np.arange(first.size, dtype=np.int64), sizes)
    return codes, position[first]


def _mix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Finalise a 64-bit hash (splitmix64) so nearby inputs spread over the range, in place."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def factorize_hashed(ids: npt.NDArray[Any], hashed: npt.NDArray[np.uint64]) -> Factorized:
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
    return hash_chars(np.ascontiguousarray(ids).view(np.uint32).reshape(ids.size, width))


def hash_chars(chars: npt.NDArray[np.unsignedinteger[Any]]) -> npt.NDArray[np.uint64]:
    """FNV-1a over the columns of a character matrix, finalised with splitmix64."""
    h = np.full(chars.shape[0], _FNV_OFFSET, dtype=np.uint64)
    for j in range(chars.shape[1]):
        h ^= chars[:, j]
        h *= _FNV_PRIME
    return _mix64(h)


_PACK_LIMIT: Final = 1 << 62


@attrs.frozen
class _Packing:
    """How strings of one fixed width map to int64 keys: one mixed-radix digit per character."""

    width: int
    low: npt.NDArray[np.uint32]
    base: tuple[int, ...]


def _pack_strings(ids: npt.NDArray[np.str_]) -> tuple[IntArray, _Packing] | None:
    """Encode each string as an int64 that sorts like the string, if the ids are narrow enough.

    Character position j becomes a digit of base ``max_j - min_j + 1`` (its
    observed range), most significant first, so integer order is string
    order and ``"C0001234"``-style ids pack into a range close to the number
    of possible ids. Returns None when the product of the bases reaches 2**62.
    """
    width = ids.dtype.itemsize // 4
    if width == 0:
        return None
    chars = np.ascontiguousarray(ids).view(np.uint32).reshape(ids.size, width)
    return pack_chars(chars)


def pack_chars(chars: npt.NDArray[np.unsignedinteger[Any]]) -> tuple[IntArray, _Packing] | None:
    """Mixed-radix int64 keys of the rows of a character matrix (one row per id).

    Works on code points (uint32, from numpy strings) or UTF-8 bytes (uint8,
    from Arrow buffers): both orders agree with string order. Column ranges are
    read one column at a time (a strided reduction over all columns at once is
    several times slower).
    """
    n, width = chars.shape
    low = np.empty(width, dtype=chars.dtype)
    base: list[int] = []
    for j in range(width):
        column = chars[:, j]
        lo, hi = int(column.min()), int(column.max())
        low[j] = lo
        base.append(hi - lo + 1)
    if math.prod(base) >= _PACK_LIMIT:
        return None
    key = np.zeros(n, dtype=np.int64)
    for j, b in enumerate(base):
        if b > 1:
            key *= b
            key += chars[:, j] - low[j]
    return key, _Packing(width=width, low=low.astype(np.uint32), base=tuple(base))


def unpack_chars(keys: IntArray, packing: _Packing) -> npt.NDArray[np.uint32]:
    """Invert :func:`pack_chars`: the character matrix of each key (code points or bytes)."""
    chars = np.empty((keys.size, packing.width), dtype=np.uint32)
    rest = keys.copy()
    for j in range(packing.width - 1, -1, -1):
        b = packing.base[j]
        chars[:, j] = rest % b + packing.low[j]
        rest //= b
    return chars


def _unpack_strings(keys: IntArray, packing: _Packing, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    return unpack_chars(keys, packing).view(dtype).reshape(keys.size)


def _factorize_str(ids: npt.NDArray[np.str_]) -> Factorized:
    if ids.dtype.byteorder == ">":
        ids = ids.astype(ids.dtype.newbyteorder("="))
    packed = _pack_strings(ids)
    if packed is not None:
        key, packing = packed
        codes, unique_keys = int_codes(key, owned=True)
        return Factorized(codes=codes, uniques=_unpack_strings(unique_keys, packing, ids.dtype))
    return factorize_hashed(ids, _hash_strings(ids))
