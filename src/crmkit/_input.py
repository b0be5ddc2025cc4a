"""Column coercion and validation: the one place raw values become typed arrays.

Every public function that takes data runs its columns through these helpers
once; the algorithms behind them then trust the arrays. Each helper checks the
whole column and reports every bad row (count, first positions and values).
Timestamps are read by :mod:`crmkit._dates` (re-exported here); scalar
parameters are checked by :mod:`crmkit._params`.

The rules, stated once:

* **Ids** are int64 or text, never both: a column mixing ints and strings is
  refused (``1`` and ``"1"`` would otherwise become one customer). Float ids
  must be whole and below 2**53 (above it, distinct ids have already collided
  in float64). Nulls, empty strings and bools are refused.
* **Numbers** are finite float64; bools and non-numeric text (``"€40.00"``)
  are refused with their positions; text that is a plain number (``"40.5"``)
  is read as that number.
* **Amounts** are numbers whose magnitudes sum to a finite float64 total, so
  no sum, net or per-group total crmkit forms from them can overflow.
* **Flags** (outcomes such as won/lost) are booleans or the numbers 0 and 1;
  text (``"yes"``), other numbers and nulls are refused, never read as truthy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
import numpy.typing as npt

from crmkit._dates import (
    DATETIME_DTYPE,
    DEFAULT_YEARS,
    ParsedTimes,
    as_datetime,
    as_optional_datetime,
    check_date_format,
    check_valid_years,
    datetime_rules,
    scalar_datetime,
)
from crmkit._values import (
    EngineRule,
    as_readonly,
    bad_rows_error,
    column_phrase,
    is_null,
    to_array,
)
from crmkit.errors import InputError

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw

__all__ = [
    "DATETIME_DTYPE",
    "DEFAULT_YEARS",
    "EngineRule",
    "ParsedTimes",
    "amount_rules",
    "as_amounts",
    "as_datetime",
    "as_finite_float",
    "as_flags",
    "as_ids",
    "as_numbers_or_labels",
    "as_optional_datetime",
    "as_optional_float",
    "as_optional_ids",
    "as_readonly",
    "check_date_format",
    "check_same_length",
    "check_valid_years",
    "datetime_rules",
    "id_rules",
    "null_cells",
    "scalar_datetime",
    "to_array",
]

FloatArray = npt.NDArray[np.float64]

_EXACT_FLOAT_ID: Final = 2.0**53
_FLOAT_MAX: Final = float(np.finfo(np.float64).max)
# the texts of the rules, shared by the numpy checks and their engine expressions
_FINITE: Final = "must be finite (no NaN or infinity)"
_FINITE_HINT: Final = "Drop or fill the missing values before calling crmkit."
_FINITE_TOTAL: Final = (
    "must sum to a finite float64 total (their magnitudes add up to more than 1.8e308)"
)
_FINITE_TOTAL_HINT: Final = "Rescale the amounts (e.g. to thousands) before calling crmkit."
_ID_NULL: Final = "must not be null"
_ID_EMPTY: Final = "must not hold empty strings"
_ID_WHOLE: Final = "must hold whole numbers or strings"
_ID_EXACT: Final = (
    "must be below 2**53 when given as floats (larger floats cannot tell neighbouring ids apart)"
)
_ID_EXACT_HINT: Final = "Read the id column as int64 or as strings."
_ID_INT64: Final = "must fit in int64 (below 2**63)"
_ID_INT64_HINT: Final = "Read ids this large as strings."
_INT64_MAX: Final = np.iinfo(np.int64).max
_CHUNK: Final = 1 << 16


def check_same_length(columns: dict[str, int], *, function: str) -> int:
    """Check that every named column has the same length; return that length."""
    lengths = set(columns.values())
    if len(lengths) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in columns.items())
        counts = [list(columns.values()).count(n) for n in columns.values()]
        usual = list(columns.values())[counts.index(max(counts))]  # the majority length
        odd = next(name for name, n in columns.items() if n != usual)
        raise InputError(
            f"The columns given to {function} must all have the same length; got {shown}.",
            field=odd,
            hint="Pass one value per row in every column.",
        )
    return lengths.pop() if lengths else 0


def _one_dimensional(
    arr: npt.NDArray[Any], *, field: str, function: str, column: str | None = None
) -> None:
    if arr.ndim != 1:
        raise InputError(
            f"The {column_phrase(field, column)} of {function} "
            f"must be one-dimensional; got shape {arr.shape}.",
            field=field,
            column=column,
        )


# --------------------------------------------------------------------------- numbers


def as_finite_float(
    values: object,
    *,
    field: str,
    function: str,
    column: str | None = None,
    minimum: float | None = None,
    strict_minimum: bool = False,
    maximum: float | None = None,
) -> FloatArray:
    """Coerce to a float64 array and check every value is finite (and within bounds).

    Costs one pass (a sum) when the data are clean; only a dirty column pays for
    locating its bad rows.
    """
    out = _coerce_float(values, field=field, function=function, column=column)
    total, _ = _probe(out, count=False)
    if not np.isfinite(total):
        _raise_non_finite(out, field=field, function=function, column=column)
    if out.size and minimum is not None:
        low = out.min()
        if low < minimum or (strict_minimum and low == minimum):
            bad = out <= minimum if strict_minimum else out < minimum
            op = ">" if strict_minimum else ">="
            raise bad_rows_error(
                bad,
                out,
                field=field,
                requirement=f"must be {op} {minimum:g}",
                function=function,
                column=column,
            )
    if out.size and maximum is not None and out.max() > maximum:
        raise bad_rows_error(
            out > maximum,
            out,
            field=field,
            requirement=f"must be <= {maximum:g}",
            function=function,
            column=column,
        )
    return out


def null_cells(values: object, *, field: str, function: str) -> npt.NDArray[np.bool_]:
    """Return which cells of a column are empty: None, NaN, NaT, pandas.NA or blank text.

    Examples
    --------
    >>> null_cells(np.array([1.5, np.nan]), field="x", function="f").tolist()
    [False, True]
    >>> null_cells(["0.2", " ", None], field="x", function="f").tolist()
    [False, True, True]
    """
    arr = to_array(values, field=field, function=function)
    _one_dimensional(arr, field=field, function=function)
    kind = arr.dtype.kind
    flags: npt.NDArray[np.bool_]
    if kind == "f":
        flags = np.isnan(arr)
        return flags
    if kind == "M":
        flags = np.isnat(arr)
        return flags
    if kind in "UST":
        flags = np.strings.str_len(np.strings.strip(arr.astype(str))) == 0
        return flags
    if kind == "O":
        return np.fromiter(
            (is_null(v) or (isinstance(v, str) and not v.strip()) for v in arr),
            dtype=bool,
            count=arr.size,
        )
    return np.zeros(arr.shape[0], dtype=bool)


def as_optional_float(
    values: object,
    *,
    field: str,
    function: str,
    column: str | None = None,
    minimum: float | None = None,
    strict_minimum: bool = False,
    maximum: float | None = None,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Coerce a column whose empty cells mean "not given": the numbers, and where they are.

    Empty cells (see :func:`null_cells`) come back as NaN with their flag
    set, for the caller to fill with its documented default; every other cell
    is checked as :func:`as_finite_float` checks it, errors naming the rows of
    the whole column.

    Examples
    --------
    >>> values, empty = as_optional_float(["3", "", None, 4.5], field="x", function="f")
    >>> values.tolist(), empty.tolist()
    ([3.0, nan, nan, 4.5], [False, True, True, False])
    >>> as_optional_float(["3", "€4"], field="x", function="f")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'x' column of f must hold numbers: 1 bad row, ...
    """
    empty = null_cells(values, field=field, function=function)
    arr = to_array(values, field=field, function=function)
    if empty.any():
        # a valid stand-in keeps the positions of the bad cells those of the whole column
        low = 0.0 if minimum is None else minimum
        stand_in = low + 1.0 if strict_minimum else low
        if maximum is not None and stand_in > maximum:
            stand_in = (low + maximum) / 2
        if arr.dtype.kind == "f":
            arr = arr.copy()
            arr[empty] = stand_in
        else:
            filled = arr.astype(object)
            filled[empty] = stand_in
            texts = any(isinstance(v, str) for v in filled)
            arr = np.array([str(v) for v in filled], dtype=str) if texts else filled
    out = as_finite_float(
        arr,
        field=field,
        function=function,
        column=column,
        minimum=minimum,
        strict_minimum=strict_minimum,
        maximum=maximum,
    )
    out = out.copy() if not out.flags.writeable or out is arr else out
    out[empty] = np.nan
    return out, empty


def _coerce_float(
    values: object, *, field: str, function: str, column: str | None = None
) -> FloatArray:
    """Coerce to a one-dimensional float64 array, rejecting nulls, bools and non-numbers."""
    arr = to_array(values, field=field, function=function)
    _one_dimensional(arr, field=field, function=function, column=column)
    kind = arr.dtype.kind
    if kind in "iuf":
        return arr.astype(np.float64, copy=False)
    if kind == "b":
        raise InputError(
            f"The {column_phrase(field, column)} of {function} must hold numbers; got booleans.",
            field=field,
            column=column,
            hint="Convert flags to numbers explicitly (e.g. x.astype(float)) if that is meant.",
        )
    if kind in "UST":
        return _text_to_float(arr.astype(str), arr, field=field, function=function, column=column)
    if kind == "O":
        nulls = np.fromiter((is_null(v) for v in arr), dtype=bool, count=arr.size)
        if nulls.any():
            raise bad_rows_error(
                nulls,
                arr,
                field=field,
                requirement="must not be null",
                function=function,
                column=column,
                hint="Fill or drop the missing values before calling crmkit.",
            )
        numeric = np.fromiter(
            (
                isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, (bool, np.bool_))
                for v in arr
            ),
            dtype=bool,
            count=arr.size,
        )
        if not numeric.all():
            raise bad_rows_error(
                ~numeric,
                arr,
                field=field,
                requirement="must hold numbers",
                function=function,
                column=column,
            )
        try:
            return arr.astype(np.float64)
        except OverflowError:
            big = np.fromiter((abs(v) > 1.7e308 for v in arr), dtype=bool, count=arr.size)
            raise bad_rows_error(
                big,
                arr,
                field=field,
                requirement="must hold numbers within float64's range",
                function=function,
                column=column,
            ) from None
    raise InputError(
        f"The {column_phrase(field, column)} of {function} "
        f"must hold numbers; got values of dtype {arr.dtype}.",
        field=field,
        column=column,
    )


def _text_to_float(
    text: npt.NDArray[np.str_],
    source: npt.NDArray[Any],
    *,
    field: str,
    function: str,
    column: str | None = None,
) -> FloatArray:
    """Read text that is a plain number (``"40.5"``, ``"-3"``, ``"1e3"``); refuse the rest."""
    stripped = np.strings.strip(text)
    try:
        out = stripped.astype(np.float64)
    except ValueError:
        unique, inverse = np.unique(stripped, return_inverse=True)
        bad_unique = np.fromiter((not _plain_number(s) for s in unique), bool, unique.size)
        raise bad_rows_error(
            bad_unique[inverse],
            source,
            field=field,
            requirement="must hold numbers",
            function=function,
            column=column,
            hint="Strip currency signs and thousands separators (e.g. '€1,040.00' -> 1040.0) "
            "or read the column as numbers.",
        ) from None
    spelled = np.isin(np.strings.lower(stripped), ["nan", "+nan", "-nan", "inf", "+inf", "-inf"])
    spelled |= np.isin(np.strings.lower(stripped), ["infinity", "+infinity", "-infinity"])
    if spelled.any():
        raise bad_rows_error(
            spelled,
            source,
            field=field,
            requirement="must hold finite numbers",
            function=function,
            column=column,
        )
    return out


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _probe(values: FloatArray, *, count: bool) -> tuple[float, int]:
    """Sum the magnitudes (NaN, inf or an overflowing total poison it) and count negatives.

    Works on cache-sized chunks so the comparison never allocates a full-size mask.
    """
    # inf - inf and overflow are the signal here, not an accident worth a warning
    with np.errstate(invalid="ignore", over="ignore"):
        if values.size <= _CHUNK:
            total = float(np.add.reduce(np.abs(values))) if values.size else 0.0
            return total, int(np.count_nonzero(values < 0)) if count else 0
        total = 0.0
        negative = 0
        scratch = np.empty(_CHUNK, dtype=np.float64)
        mask = np.empty(_CHUNK, dtype=np.bool_)
        for begin in range(0, values.size, _CHUNK):
            chunk = values[begin : begin + _CHUNK]
            part = scratch[: chunk.size]
            np.abs(chunk, out=part)
            total += float(np.add.reduce(part))
            if count:
                flags = mask[: chunk.size]
                np.less(chunk, 0.0, out=flags)
                negative += int(np.count_nonzero(flags))
    return total, negative


def as_amounts(
    values: object, *, field: str, function: str, column: str | None = None
) -> tuple[FloatArray, int]:
    """Coerce money amounts: finite float64, negatives allowed and counted.

    Returns the array and the number of negative rows, found in the same pass
    as the finiteness check. Amounts whose magnitudes sum past float64's range
    are refused, so every total formed from them stays finite.
    """
    out = _coerce_float(values, field=field, function=function, column=column)
    total, negative = _probe(out, count=True)
    if not np.isfinite(total):
        _raise_non_finite(out, field=field, function=function, column=column)
        largest = np.argsort(-np.abs(out))[: min(out.size, 5)]
        mask = np.zeros(out.size, dtype=bool)
        mask[largest] = True
        raise bad_rows_error(
            mask,
            out,
            field=field,
            requirement=_FINITE_TOTAL,
            function=function,
            column=column,
            hint=_FINITE_TOTAL_HINT,
        )
    return out, negative


def _raise_non_finite(
    out: FloatArray, *, field: str, function: str, column: str | None = None
) -> None:
    finite = np.isfinite(out)
    if finite.all():  # the sum overflowed; every value is finite after all
        return
    raise bad_rows_error(
        ~finite,
        out,
        field=field,
        requirement=_FINITE,
        function=function,
        column=column,
        hint=_FINITE_HINT,
    )


# --------------------------------------------------------------------------- flags

_FLAG_REQUIREMENT: Final = "must hold booleans (True/False) or the numbers 0 and 1"
_FLAG_HINT: Final = "Convert other codes explicitly, e.g. won = (status == 'yes')."


def as_flags(
    values: object, *, field: str, function: str, column: str | None = None
) -> npt.NDArray[np.bool_]:
    """Coerce a yes/no column (an outcome such as won) to booleans, or refuse it.

    Booleans and the numbers 0 and 1 are read; nulls, text (``"yes"``, even
    ``"True"``) and any other number are refused with their positions, so no
    value is read as true merely for being truthy.

    Examples
    --------
    >>> as_flags([True, 0, 1.0], field="won", function="reliability").tolist()
    [True, False, True]
    """
    arr = to_array(values, field=field, function=function)
    _one_dimensional(arr, field=field, function=function, column=column)
    kind = arr.dtype.kind
    if kind == "b":
        return arr
    if kind in "iuf":
        if kind == "f" and np.isnan(arr).any():
            raise bad_rows_error(
                np.isnan(arr),
                arr,
                field=field,
                requirement="must not be null",
                function=function,
                column=column,
                hint="Fill or drop the missing outcomes before calling crmkit.",
            )
        ok = (arr == 0) | (arr == 1)
        if not ok.all():
            raise bad_rows_error(
                ~ok,
                arr,
                field=field,
                requirement=_FLAG_REQUIREMENT,
                function=function,
                column=column,
                hint=_FLAG_HINT,
            )
        return cast("npt.NDArray[np.bool_]", arr == 1)
    if kind == "O":
        nulls = np.fromiter((is_null(v) for v in arr), dtype=bool, count=arr.size)
        if nulls.any():
            raise bad_rows_error(
                nulls,
                arr,
                field=field,
                requirement="must not be null",
                function=function,
                column=column,
                hint="Fill or drop the missing outcomes before calling crmkit.",
            )
        ok = np.fromiter(
            (
                isinstance(v, (bool, np.bool_))
                or (isinstance(v, (int, float, np.integer, np.floating)) and v in (0, 1))
                for v in arr
            ),
            dtype=bool,
            count=arr.size,
        )
        if not ok.all():
            raise bad_rows_error(
                ~ok,
                arr,
                field=field,
                requirement=_FLAG_REQUIREMENT,
                function=function,
                column=column,
                hint=_FLAG_HINT,
            )
        return np.fromiter((bool(v) for v in arr), dtype=bool, count=arr.size)
    raise bad_rows_error(
        np.ones(arr.size, dtype=bool),
        arr,
        field=field,
        requirement=_FLAG_REQUIREMENT,
        function=function,
        column=column,
        hint=_FLAG_HINT,
    )


# --------------------------------------------------------------------------- ids

_NULL_ID_HINT: Final = "Every row needs an id; drop or fill the missing ones."


def as_numbers_or_labels(
    values: object, *, field: str, function: str, column: str | None = None
) -> tuple[bool, npt.NDArray[Any]]:
    """Read a column that is either numeric or categorical (a covariate); return (numeric, values).

    Numbers (ints, floats, or text that is a plain number among numbers)
    become finite float64; text and booleans are labels, checked as ids
    (no nulls, no empty strings) and returned as strings. A column that
    mixes numbers with other text is read as numbers, so the text is refused
    with its positions (``"€40.00"`` in an age column is an error, not a
    category); a null in either kind is refused.

    Examples
    --------
    >>> as_numbers_or_labels([25, 40.5], field="age", function="fit_bgnbd")[1].tolist()
    [25.0, 40.5]
    >>> as_numbers_or_labels(["web", "store"], field="channel", function="fit_bgnbd")
    (False, array(['web', 'store'], dtype='<U5'))
    """
    arr = to_array(values, field=field, function=function)
    _one_dimensional(arr, field=field, function=function, column=column)
    kind = arr.dtype.kind
    if kind == "b":
        return False, arr.astype(str)
    if kind in "iuf":
        return True, as_finite_float(arr, field=field, function=function, column=column)
    if kind in "USTO":
        flat = arr.tolist() if kind == "O" else []
        texts = sum(isinstance(v, str) for v in flat)
        reals = sum(isinstance(v, (int, float, np.integer, np.floating)) for v in flat) - sum(
            isinstance(v, (bool, np.bool_)) for v in flat
        )
        if kind == "O" and reals:  # numbers, maybe with text among them: numbers or refused
            return True, as_finite_float(arr, field=field, function=function, column=column)
        if kind == "O" and not texts and any(isinstance(v, (bool, np.bool_)) for v in flat):
            nulls = np.array([is_null(v) for v in flat], dtype=bool)
            if nulls.any():
                raise bad_rows_error(
                    nulls, arr, field=field, requirement=_ID_NULL, function=function, column=column
                )
            return False, np.array([str(bool(v)) for v in flat])
        return False, as_ids(arr, field=field, function=function, column=column).astype(str)
    raise InputError(
        f"The {column_phrase(field, column)} of {function} must hold numbers or labels "
        f"(text); got dtype {arr.dtype}.",
        field=field,
        column=column,
    )


def as_ids(
    values: object, *, field: str, function: str, column: str | None = None
) -> npt.NDArray[Any]:
    """Coerce identifiers to an int64 or a fixed-width string array, or refuse them.

    Whole floats (as pandas makes of an int column with gaps) below 2**53
    become int64; a mix of ints and strings, nulls, empty strings and bools are
    refused with their positions.
    """
    arr = to_array(values, field=field, function=function)
    _one_dimensional(arr, field=field, function=function, column=column)
    kind = arr.dtype.kind
    if kind in "iu":
        out = _int_ids(arr, field=field, function=function, column=column)
    elif kind == "f":
        out = _float_ids(arr, field=field, function=function, column=column)
    elif kind == "U":
        out = arr
    elif kind in {"S", "T"}:
        out = arr.astype(str)
    elif kind == "O":
        out = _object_ids(arr, field=field, function=function, column=column)
    elif kind == "b":
        raise InputError(
            f"The {column_phrase(field, column)} of {function} "
            f"must hold ints or strings; got booleans.",
            field=field,
            column=column,
        )
    else:
        raise InputError(
            f"The {column_phrase(field, column)} of {function} "
            f"must hold ints or strings; got dtype {arr.dtype}.",
            field=field,
            column=column,
        )
    if out.dtype.kind == "U" and out.size:
        empty = np.strings.str_len(np.strings.strip(cast("npt.NDArray[np.str_]", out))) == 0
        if empty.any():
            raise bad_rows_error(
                empty,
                out,
                field=field,
                requirement=_ID_EMPTY,
                function=function,
                column=column,
                hint=_NULL_ID_HINT,
            )
    return out


def as_optional_ids(
    values: object, *, field: str, function: str, column: str | None = None
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """Coerce ids where a missing value is allowed (the parent of a hierarchy's root).

    Missing values (None, NaN, empty or blank text) come back as a mask; the
    ids at those rows repeat a present id and must not be read. Every other
    value follows :func:`as_ids`'s rules, with positions in the whole column.
    """
    arr = to_array(values, field=field, function=function)
    kind = arr.dtype.kind
    if kind == "f":
        missing = np.isnan(arr)
    elif kind in "UST":
        missing = np.strings.str_len(np.strings.strip(arr.astype(str))) == 0
    elif kind == "O":
        missing = np.fromiter(
            (is_null(v) or (isinstance(v, str) and not v.strip()) for v in arr),
            dtype=bool,
            count=arr.size,
        )
    else:
        missing = np.zeros(arr.shape, dtype=bool)
    if missing.all():
        raise InputError(
            f"The {column_phrase(field, column)} of {function} holds no id at all.",
            field=field,
            column=column,
        )
    if missing.any():  # a present id stands in for the missing ones, so positions hold
        arr = arr.astype(str) if kind in "UST" else arr.copy()  # bytes decoded, as by as_ids
        arr[missing] = arr[np.flatnonzero(~missing)[0]]
    return as_ids(arr, field=field, function=function, column=column), missing


def _int_ids(
    arr: npt.NDArray[Any], *, field: str, function: str, column: str | None = None
) -> npt.NDArray[np.int64]:
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and arr.size and arr.max() > _INT64_MAX:
        raise bad_rows_error(
            arr > _INT64_MAX,
            arr,
            field=field,
            requirement=_ID_INT64,
            function=function,
            column=column,
            hint=_ID_INT64_HINT,
        )
    return arr.astype(np.int64, copy=False)


def _float_ids(
    arr: npt.NDArray[Any], *, field: str, function: str, column: str | None = None
) -> npt.NDArray[np.int64]:
    finite = np.isfinite(arr)
    if not finite.all():
        raise bad_rows_error(
            ~finite,
            arr,
            field=field,
            requirement=_ID_NULL,
            function=function,
            column=column,
            hint=_NULL_ID_HINT,
        )
    with np.errstate(invalid="ignore"):
        whole = arr == np.trunc(arr)
    if not whole.all():
        raise bad_rows_error(
            ~whole,
            arr,
            field=field,
            requirement=_ID_WHOLE,
            function=function,
            column=column,
        )
    big = np.abs(arr) >= _EXACT_FLOAT_ID
    if big.any():
        raise bad_rows_error(
            big,
            arr,
            field=field,
            requirement=_ID_EXACT,
            function=function,
            column=column,
            hint=_ID_EXACT_HINT,
        )
    return arr.astype(np.int64)


def _object_ids(
    arr: npt.NDArray[Any], *, field: str, function: str, column: str | None = None
) -> npt.NDArray[Any]:
    nulls = np.fromiter((is_null(v) for v in arr), dtype=bool, count=arr.size)
    if nulls.any():
        raise bad_rows_error(
            nulls,
            arr,
            field=field,
            requirement=_ID_NULL,
            function=function,
            column=column,
            hint=_NULL_ID_HINT,
        )
    is_text = np.fromiter((isinstance(v, str) for v in arr), dtype=bool, count=arr.size)
    is_int = np.fromiter(
        (isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in arr),
        dtype=bool,
        count=arr.size,
    )
    other = ~(is_text | is_int)
    if other.any():
        floats = np.fromiter((isinstance(v, (float, np.floating)) for v in arr), bool, arr.size)
        if not (other & ~floats).any() and not is_text.any():
            numbers = np.array([float(v) for v in arr], dtype=np.float64)
            return _float_ids(numbers, field=field, function=function, column=column)
        raise bad_rows_error(
            other,
            arr,
            field=field,
            requirement="must hold ints or strings",
            function=function,
            column=column,
        )
    if is_text.all():
        return arr.astype(str)
    if is_int.all():
        try:
            return np.array(arr.tolist(), dtype=np.int64)
        except OverflowError:
            big = np.fromiter((not -(2**63) <= int(v) <= _INT64_MAX for v in arr), bool, arr.size)
            raise bad_rows_error(
                big,
                arr,
                field=field,
                requirement="must fit in int64",
                function=function,
                column=column,
                hint="Read ids this large as strings.",
            ) from None
    minority = is_int if is_int.sum() <= is_text.sum() else is_text
    raise bad_rows_error(
        minority,
        arr,
        field=field,
        requirement="must not mix ints and strings (1 and '1' would be one customer)",
        function=function,
        column=column,
        hint="Make every id the same type first, e.g. cast the column to str.",
    )


# --------------------------------------------------------------------------- rules in an engine

# what numpy.strings.strip removes (str.isspace), so a blank id is blank in every engine too
_WHITESPACE: Final = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def id_rules(dtype: nw.dtypes.DType, col: nw.Expr) -> tuple[EngineRule, ...] | None:
    """Return the rules of :func:`as_ids` as narwhals expressions over an id column.

    Returns None for a column type the rules are not written for (the caller
    then reads the column and runs :func:`as_ids`). An engine column has one
    type, so a mix of ints and strings cannot occur there.
    """
    import narwhals.stable.v2 as nw  # noqa: PLC0415  (only lazy tables need it)

    if dtype.is_integer():
        rules = [EngineRule(requirement=_ID_NULL, bad=col.is_null(), hint=_NULL_ID_HINT)]
        if dtype == nw.UInt64:
            rules.append(
                EngineRule(requirement=_ID_INT64, bad=col > _INT64_MAX, hint=_ID_INT64_HINT)
            )
        return tuple(rules)
    if dtype.is_float():
        return (
            EngineRule(
                requirement=_ID_NULL, bad=col.is_null() | ~col.is_finite(), hint=_NULL_ID_HINT
            ),
            EngineRule(requirement=_ID_WHOLE, bad=col != col.floor()),
            EngineRule(
                requirement=_ID_EXACT, bad=col.abs() >= _EXACT_FLOAT_ID, hint=_ID_EXACT_HINT
            ),
        )
    if dtype in (nw.String, nw.Categorical, nw.Enum):
        text = col.cast(nw.String)
        # stripping every row is slow; only a row starting with a character at or below
        # " " or at or above "\x85" (every whitespace character is one) can be blank
        first = text.str.slice(0, 1)
        blank = (
            nw.when((first <= " ") | (first >= "\x85"))
            .then(text.str.strip_chars(_WHITESPACE) == "")
            .otherwise(False)  # noqa: FBT003  (narwhals takes the value positionally)
        )
        return (
            EngineRule(requirement=_ID_NULL, bad=text.is_null(), hint=_NULL_ID_HINT),
            EngineRule(requirement=_ID_EMPTY, bad=blank, hint=_NULL_ID_HINT, per_value=True),
        )
    return None


def amount_rules(dtype: nw.dtypes.DType, col: nw.Expr) -> tuple[EngineRule, ...] | None:
    """Return the rules of :func:`as_amounts` as narwhals expressions over a number column.

    Returns None for a column that is not numeric (text amounts, booleans): the
    caller then reads it and runs :func:`as_amounts`. The magnitudes are summed
    scaled by 2**-64 (exact for every amount above 2**-958), so the engine's
    sum cannot overflow while it checks that the unscaled one would not.
    """
    import narwhals.stable.v2 as nw  # noqa: PLC0415  (only lazy tables need it)

    if not dtype.is_numeric() or dtype == nw.Boolean:
        return None
    value = col.cast(nw.Float64)
    scaled_total = (value.abs() * 2.0**-64).sum()
    return (
        EngineRule(
            requirement=_FINITE, bad=value.is_null() | ~value.is_finite(), hint=_FINITE_HINT
        ),
        EngineRule(
            requirement=_FINITE_TOTAL,
            total=scaled_total > _FLOAT_MAX * 2.0**-64,
            shown_by=value.abs(),
            hint=_FINITE_TOTAL_HINT,
        ),
    )
