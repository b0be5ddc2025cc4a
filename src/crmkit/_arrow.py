"""Text ids straight from Arrow buffers: dense codes without a Python string per row.

A string column of a pandas (pyarrow-backed), polars or pyarrow frame is an
Arrow array: one contiguous buffer of UTF-8 bytes and an offsets buffer. Ids
are read from those buffers as a matrix of bytes (one row per id, zero-padded
to the longest), packed into order-preserving integers when they are narrow
enough (:func:`crmkit._groups.pack_chars`, most id formats) or hashed
otherwise (:func:`crmkit._groups.factorize_hashed`, collision-checked), and
only the distinct ids are decoded back to Python text. UTF-8 byte order is
code-point order, so the codes and the sorted uniques are exactly those of
:func:`crmkit._groups.factorize` on the same ids as numpy strings.

pyarrow is imported only when a frame hands over an Arrow array.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from crmkit._groups import (
    Factorized,
    factorize_hashed,
    hash_chars,
    int_codes,
    pack_chars,
    unpack_chars,
)
from crmkit._values import bad_rows_error

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["factorize_arrow"]

_GATHER_ROWS: Final = 1 << 16
_NULL_HINT: Final = "Every row needs an id; drop or fill the missing ones."


def factorize_arrow(
    array: pa.Array | pa.ChunkedArray,
    *,
    field: str,
    function: str,
    column: str | None = None,
) -> Factorized:
    """Return dense codes (ascending id order) and the sorted unique ids of an Arrow text column.

    Refuses nulls, empty and blank ids with their positions, as
    :func:`crmkit._input.as_ids` does.
    """
    import pyarrow as pa  # noqa: PLC0415  (only frames hand over Arrow arrays)
    import pyarrow.compute as pc  # noqa: PLC0415

    arr = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    where = {"field": field, "function": function, "column": column}
    if arr.null_count:
        nulls = np.asarray(pc.is_null(arr)).astype(bool)
        raise bad_rows_error(
            nulls,
            np.full(nulls.size, None, dtype=object),
            requirement="must not be null",
            hint=_NULL_HINT,
            **where,  # type: ignore[arg-type]
        )
    if pa.types.is_dictionary(arr.type):
        values = factorize_arrow(arr.dictionary, **where)  # type: ignore[arg-type]
        indices = np.asarray(arr.indices).astype(np.int64, copy=False)
        used = Factorized(codes=values.codes[indices], uniques=values.uniques)
        return used.take(np.ones(indices.size, dtype=bool))
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.large_string())
    matrix = _byte_matrix(arr, large=pa.types.is_large_string(arr.type))
    out = _factorize_bytes(matrix, arr, pc)
    blank = np.char.str_len(np.char.strip(out.uniques)) == 0
    if blank.any():
        rows = blank[out.codes]
        shown = np.empty(rows.size, dtype=object)
        first = np.flatnonzero(rows)[:5]
        shown[first] = out.uniques[out.codes[first]]
        raise bad_rows_error(
            rows,
            shown,
            requirement="must not hold empty strings",
            hint=_NULL_HINT,
            **where,  # type: ignore[arg-type]
        )
    return out


def _byte_matrix(arr: pa.Array, *, large: bool) -> npt.NDArray[np.uint8]:
    """Return the ids as an (n, longest) uint8 matrix, zero-padded."""
    n = len(arr)
    _, offsets_buf, data_buf = arr.buffers()
    offset_type = np.dtype(np.int64 if large else np.int32)
    offsets = np.frombuffer(
        offsets_buf, dtype=offset_type, count=n + 1, offset=arr.offset * offset_type.itemsize
    ).astype(np.int64)
    data = (
        np.frombuffer(data_buf, dtype=np.uint8)
        if data_buf is not None
        else np.zeros(0, dtype=np.uint8)
    )
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    if n and int(lengths.min()) == width:
        return data[offsets[0] : offsets[-1]].reshape(n, width)
    matrix = np.zeros((n, max(width, 1)), dtype=np.uint8)
    columns = np.arange(width, dtype=np.int64)
    for begin in range(0, n, _GATHER_ROWS):
        stop = min(begin + _GATHER_ROWS, n)
        starts = offsets[begin:stop, None] + columns
        inside = columns < lengths[begin:stop, None]
        block = matrix[begin:stop]
        block[inside] = data[starts[inside]]
    return matrix


def _factorize_bytes(matrix: npt.NDArray[np.uint8], arr: Any, pc: Any) -> Factorized:  # noqa: ANN401
    """Codes and sorted uniques of the byte rows; ids holding a NUL byte go through Arrow's hash."""
    n = matrix.shape[0]
    if n == 0:
        return Factorized(codes=np.zeros(0, dtype=np.int64), uniques=np.zeros(0, dtype="<U1"))
    if _nul_inside(arr):
        return _factorize_dictionary(arr, pc)
    packed = pack_chars(matrix)
    if packed is not None:
        key, packing = packed
        codes, unique_keys = int_codes(key, owned=True)
        return Factorized(codes=codes, uniques=_decode(unpack_chars(unique_keys, packing)))
    rows = np.ascontiguousarray(matrix).view(f"S{matrix.shape[1]}").reshape(n)
    hashed = factorize_hashed(rows, hash_chars(matrix))
    width = matrix.shape[1]
    chars = np.frombuffer(hashed.uniques.tobytes(), dtype=np.uint8).reshape(-1, width)
    return Factorized(codes=hashed.codes, uniques=_decode(chars))


def _nul_inside(arr: Any) -> bool:  # noqa: ANN401
    """Whether any id holds a NUL byte of its own (padding would make it equal a shorter id)."""
    data_buf = arr.buffers()[2]
    if data_buf is None or data_buf.size == 0:
        return False
    return int(np.frombuffer(data_buf, dtype=np.uint8).min()) == 0  # no temporary


def _factorize_dictionary(arr: Any, pc: Any) -> Factorized:  # noqa: ANN401
    """Exact fallback: Arrow's own hash table, then the (small) dictionary sorted."""
    encoded = pc.dictionary_encode(arr)
    dictionary = encoded.dictionary.to_numpy(zero_copy_only=False).astype(str)
    order = np.argsort(dictionary, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    indices = np.asarray(encoded.indices).astype(np.int64, copy=False)
    return Factorized(codes=rank[indices], uniques=dictionary[order])


def _decode(chars: npt.NDArray[np.unsignedinteger[Any]]) -> npt.NDArray[np.str_]:
    """Decode zero-padded UTF-8 byte rows (the distinct ids only) to numpy text.

    ASCII rows (every byte below 128, most id formats) are their own code
    points, so they are widened and viewed as text without a decoder.
    """
    k, width = chars.shape
    if width == 0:
        return np.zeros(k, dtype="<U1")
    if k == 0 or int(chars.max()) < 128:
        wide = np.ascontiguousarray(chars, dtype=np.uint32)
        return wide.view(f"<U{width}").reshape(k)
    raw = np.ascontiguousarray(chars, dtype=np.uint8).view(f"S{width}").reshape(k)
    return np.char.decode(raw, "utf-8")
