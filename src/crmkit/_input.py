"""Column coercion and validation: the one place raw values become typed arrays.

Every public function that takes data runs its columns through these helpers
once; the algorithms behind them then trust the arrays. Each helper checks the
whole column and reports every bad row (count, first positions and values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit.errors import InputError

__all__ = [
    "DATETIME_DTYPE",
    "ParsedTimes",
    "as_amounts",
    "as_datetime",
    "as_finite_float",
    "as_ids",
    "as_readonly",
    "check_same_length",
    "scalar_datetime",
    "to_array",
]

DATETIME_DTYPE: Final = np.dtype("datetime64[us]")
"""The one timestamp representation inside crmkit: UTC-naive microseconds."""

_G = TypeVar("_G", bound=np.generic)
_NAT_INT: Final = np.iinfo(np.int64).min
_SHOWN: Final = 5

FloatArray = npt.NDArray[np.float64]
TimeArray = npt.NDArray[np.datetime64]


def as_readonly(array: npt.NDArray[_G]) -> npt.NDArray[_G]:
    """Return a read-only view, so results cannot be changed behind crmkit's back."""
    view = array.view()
    view.flags.writeable = False
    return view


def check_same_length(columns: dict[str, int], *, function: str) -> int:
    """Check that every named column has the same length; return that length."""
    lengths = set(columns.values())
    if len(lengths) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in columns.items())
        first = next(iter(columns))
        odd = next(name for name, n in columns.items() if n != columns[first])
        raise InputError(
            f"The columns given to {function} must all have the same length; got {shown}.",
            field=odd,
            hint="Pass one value per row in every column.",
        )
    return lengths.pop() if lengths else 0


def to_array(values: object) -> npt.NDArray[Any]:
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InputError(
            f"Expected a sequence or array of values, got a {type(values).__name__}.",
        )
    seq = values if isinstance(values, Sequence) else list(values)
    # dtype=object keeps mixed Python values (datetimes, None) untouched
    arr = np.empty(len(seq), dtype=object)
    arr[:] = seq
    return _tighten(arr)


def _tighten(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Give an object array of homogeneous Python scalars its natural dtype."""
    if arr.dtype != object or arr.size == 0:
        return arr
    kinds = {type(v) for v in arr[: min(arr.size, 1000)]}
    if kinds <= {int, bool} and all(isinstance(v, int) for v in arr):
        try:
            return arr.astype(np.int64)
        except OverflowError:
            return arr
    if kinds <= {float, int} and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in arr
    ):
        return arr.astype(np.float64)
    if kinds == {str} and all(isinstance(v, str) for v in arr):
        return arr.astype(str)
    return arr


def _is_null(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT  # noqa: PLR0124
    except TypeError:  # pandas.NA refuses bool(); it is null
        return True


def _rows_error(
    mask: npt.NDArray[np.bool_],
    arr: npt.NDArray[Any],
    *,
    field: str,
    requirement: str,
    function: str,
    hint: str | None = None,
    as_text: bool = False,
) -> InputError:
    """Build the standard error for the rows of *arr* flagged by *mask*."""
    n, pos, vals = _bad_rows(mask, arr)
    shown = [str(v) for v in vals] if as_text else vals
    return InputError.for_rows(
        field, requirement, positions=pos, values=shown, n_bad=n, function=function, hint=hint
    )


def _bad_rows(
    mask: npt.NDArray[np.bool_], arr: npt.NDArray[Any]
) -> tuple[int, list[int], list[object]]:
    positions = np.flatnonzero(mask)
    first = positions[:_SHOWN]
    return int(positions.size), first.tolist(), [arr[p] for p in first]


def as_finite_float(
    values: object,
    *,
    field: str,
    function: str,
    minimum: float | None = None,
    strict_minimum: bool = False,
) -> FloatArray:
    """Coerce to a float64 array and check every value is finite (and above a floor).

    Costs one pass (a sum) when the data are clean; only a dirty column pays for
    locating its bad rows.
    """
    out = _coerce_float(values, field=field, function=function)
    total, _ = _sum_and_count_negative(out, count=False)
    if not np.isfinite(total):
        _raise_non_finite(out, field=field, function=function)
    if minimum is not None and out.size:
        low = out.min()
        if low < minimum or (strict_minimum and low == minimum):
            bad = out <= minimum if strict_minimum else out < minimum
            op = ">" if strict_minimum else ">="
            raise _rows_error(
                bad, out, field=field, requirement=f"must be {op} {minimum:g}", function=function
            )
    return out


def _coerce_float(values: object, *, field: str, function: str) -> FloatArray:
    """Coerce to a one-dimensional float64 array, rejecting nulls and non-numbers."""
    arr = to_array(values)
    if arr.dtype.kind in "iubf":
        out = arr.astype(np.float64, copy=False)
    elif arr.dtype.kind == "O":
        nulls = np.fromiter((_is_null(v) for v in arr), dtype=bool, count=arr.size)
        if nulls.any():
            raise _rows_error(
                nulls,
                arr,
                field=field,
                requirement="must not be null",
                function=function,
                hint="Fill or drop the missing values before calling crmkit.",
            )
        try:
            out = arr.astype(np.float64)
        except (TypeError, ValueError):
            bad = np.fromiter(
                (not isinstance(v, (int, float, np.number)) for v in arr),
                dtype=bool,
                count=arr.size,
            )
            raise _rows_error(
                bad,
                arr,
                field=field,
                requirement="must hold numbers",
                function=function,
            ) from None
    else:
        raise InputError(
            f"The {field!r} column of {function} must hold numbers; "
            f"got values of dtype {arr.dtype}.",
            field=field,
        )
    if out.ndim != 1:
        raise InputError(
            f"The {field!r} column of {function} must be one-dimensional; got shape {out.shape}.",
            field=field,
        )
    return out


_CHUNK: Final = 1 << 16


def _sum_and_count_negative(values: FloatArray, *, count: bool) -> tuple[float, int]:
    """Sum (a finiteness probe: NaN or inf poisons it) and count negatives in one pass.

    Works on cache-sized chunks so the comparison never allocates a full-size mask.
    """
    # inf - inf and overflow are the signal here, not an accident worth a warning
    with np.errstate(invalid="ignore", over="ignore"):
        if values.size <= _CHUNK:
            total = float(np.add.reduce(values)) if values.size else 0.0
            return total, int(np.count_nonzero(values < 0)) if count else 0
        total = 0.0
        negative = 0
        mask = np.empty(_CHUNK, dtype=np.bool_)
        for begin in range(0, values.size, _CHUNK):
            chunk = values[begin : begin + _CHUNK]
            total += float(np.add.reduce(chunk))
            if count:
                part = mask[: chunk.size]
                np.less(chunk, 0.0, out=part)
                negative += int(np.count_nonzero(part))
    return total, negative


def as_amounts(values: object, *, field: str, function: str) -> tuple[FloatArray, int]:
    """Coerce money amounts: finite float64, negatives allowed and counted.

    Returns the array and the number of negative rows, found in the same pass
    as the finiteness check.
    """
    out = _coerce_float(values, field=field, function=function)
    total, negative = _sum_and_count_negative(out, count=True)
    if not np.isfinite(total):
        _raise_non_finite(out, field=field, function=function)
    return out, negative


def _raise_non_finite(out: FloatArray, *, field: str, function: str) -> None:
    finite = np.isfinite(out)
    if finite.all():  # the sum overflowed; every value is finite after all
        return
    raise _rows_error(
        ~finite,
        out,
        field=field,
        requirement="must be finite (no NaN or infinity)",
        function=function,
        hint="Drop or fill the missing values before calling crmkit.",
    )


def as_ids(values: object, *, field: str, function: str) -> npt.NDArray[Any]:
    """Coerce identifiers to an int64 or a fixed-width string array, rejecting nulls.

    Integral floats (as pandas makes of an int column with gaps) become int64;
    empty strings count as null.
    """
    arr = to_array(values)
    kind = arr.dtype.kind
    if kind in "iu":
        if kind == "u" and arr.dtype.itemsize == 8 and arr.size and arr.max() > 2**63 - 1:
            raise InputError(
                f"The {field!r} column of {function} has unsigned ids too large for int64.",
                field=field,
            )
        out = arr.astype(np.int64, copy=False)
    elif kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            raise _rows_error(
                ~finite,
                arr,
                field=field,
                requirement="must not be null",
                function=function,
                hint="Every row needs a customer id; drop or fill the missing ones.",
            )
        whole = arr == np.floor(arr)
        if not whole.all():
            raise _rows_error(
                ~whole,
                arr,
                field=field,
                requirement="must hold whole numbers or strings",
                function=function,
            )
        out = arr.astype(np.int64)
    elif kind == "U":
        out = arr
    elif kind in {"S", "T"}:
        out = arr.astype(str)
    elif kind == "O":
        nulls = np.fromiter((_is_null(v) for v in arr), dtype=bool, count=arr.size)
        if nulls.any():
            raise _rows_error(
                nulls,
                arr,
                field=field,
                requirement="must not be null",
                function=function,
                hint="Every row needs an id; drop or fill the missing ones.",
            )
        tightened = _tighten(arr)
        if tightened.dtype.kind in "iU":
            out = tightened
        else:
            bad = np.fromiter(
                (not isinstance(v, (str, int, np.integer)) for v in arr),
                dtype=bool,
                count=arr.size,
            )
            if bad.any():
                raise _rows_error(
                    bad,
                    arr,
                    field=field,
                    requirement="must hold ints or strings",
                    function=function,
                )
            out = arr.astype(str)  # a mix of ints and strings: compare as text
    else:
        raise InputError(
            f"The {field!r} column of {function} must hold ints or strings; got dtype {arr.dtype}.",
            field=field,
        )
    if out.ndim != 1:
        raise InputError(
            f"The {field!r} column of {function} must be one-dimensional; got shape {out.shape}.",
            field=field,
        )
    if out.dtype.kind == "U" and out.size:
        empty = np.strings.str_len(cast("npt.NDArray[np.str_]", out)) == 0
        if empty.any():
            raise _rows_error(
                empty,
                out,
                field=field,
                requirement="must not hold empty strings",
                function=function,
                hint="Every row needs an id; drop or fill the missing ones.",
            )
    return out


@attrs.frozen(kw_only=True)
class ParsedTimes:
    """Timestamps as UTC-naive ``datetime64[us]`` and whether the source carried a zone."""

    values: TimeArray
    aware: bool


def _parse_strings(arr: npt.NDArray[np.str_], *, field: str, function: str) -> ParsedTimes:
    stripped = np.strings.strip(arr)
    upper = np.strings.upper(stripped)
    lengths = np.strings.str_len(upper)
    zulu = np.strings.endswith(upper, "Z")
    # "+hh:mm"/"-hh:mm" or "+hhmm"/"-hhmm" after a time part (which has a ':')
    has_time = np.strings.find(upper, ":") >= 0
    sign6 = _char_at(upper, lengths - 6)
    sign5 = _char_at(upper, lengths - 5)
    colon3 = _char_at(upper, lengths - 3)
    offset = has_time & (
        (np.isin(sign6, ["+", "-"]) & (colon3 == ":"))
        | (np.isin(sign5, ["+", "-"]) & (np.strings.find(upper, "T") >= 0))
    )
    aware = zulu | offset
    n_aware = int(aware.sum())
    if 0 < n_aware < arr.size:
        _raise_mixed(aware, arr, field=field, function=function)
    if n_aware:
        parsed = [_parse_aware_string(str(s), field=field, function=function) for s in arr]
        return ParsedTimes(values=np.array(parsed, dtype=DATETIME_DTYPE), aware=True)
    try:
        return ParsedTimes(values=stripped.astype(DATETIME_DTYPE), aware=False)
    except ValueError:
        bad = np.fromiter((not _parses(s) for s in stripped), dtype=bool, count=stripped.size)
        raise _rows_error(
            bad,
            arr,
            field=field,
            requirement="must hold ISO-8601 dates or datetimes",
            function=function,
            hint="Use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM[:SS][+HH:MM]'.",
        ) from None


def _char_at(arr: npt.NDArray[np.str_], index: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    safe = np.clip(index, 0, None)
    return np.strings.slice(arr, safe, safe + 1)


def _parses(text: str) -> bool:
    try:
        np.datetime64(text, "us")
    except ValueError:
        return False
    return True


def _parse_aware_string(text: str, *, field: str, function: str) -> np.datetime64:
    from dateutil import parser  # noqa: PLC0415  (only aware strings need it)

    try:
        value = parser.isoparse(text.strip())
    except ValueError:
        raise InputError(
            f"The {field!r} column of {function} must hold ISO-8601 datetimes; got {text!r}.",
            field=field,
            values=[text],
        ) from None
    return _datetime_to_utc64(value)


def _datetime_to_utc64(value: dt.datetime) -> np.datetime64:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return np.datetime64(value, "us")


def _raise_mixed(
    aware: npt.NDArray[np.bool_], arr: npt.NDArray[Any], *, field: str, function: str
) -> None:
    minority = aware if aware.sum() <= (~aware).sum() else ~aware
    raise _rows_error(
        minority,
        arr,
        field=field,
        requirement="must not mix timezone-aware and naive timestamps",
        function=function,
        hint="Localise the naive timestamps (or drop the zones) before calling crmkit.",
    )


def _parse_objects(arr: npt.NDArray[Any], *, field: str, function: str) -> ParsedTimes:
    nulls = np.fromiter((_is_null(v) for v in arr), dtype=bool, count=arr.size)
    if nulls.any():
        raise _rows_error(
            nulls,
            arr,
            field=field,
            requirement="must not be null",
            function=function,
            hint="Drop or fill the missing timestamps before calling crmkit.",
        )
    if all(isinstance(v, str) for v in arr):
        return _parse_strings(arr.astype(str), field=field, function=function)
    aware = np.fromiter(
        (isinstance(v, dt.datetime) and v.tzinfo is not None for v in arr),
        dtype=bool,
        count=arr.size,
    )
    strings = np.fromiter((isinstance(v, str) for v in arr), dtype=bool, count=arr.size)
    if strings.any():
        parsed_strings = _parse_strings(arr[strings].astype(str), field=field, function=function)
        aware[strings] = parsed_strings.aware
    n_aware = int(aware.sum())
    if 0 < n_aware < arr.size:
        _raise_mixed(aware, arr, field=field, function=function)
    out = np.empty(arr.size, dtype=DATETIME_DTYPE)
    bad = np.zeros(arr.size, dtype=bool)
    for i, v in enumerate(arr):
        if isinstance(v, str):
            continue
        if isinstance(v, dt.datetime):
            out[i] = _datetime_to_utc64(v)
        elif isinstance(v, dt.date):
            out[i] = np.datetime64(v, "D").astype(DATETIME_DTYPE)
        elif isinstance(v, np.datetime64):
            out[i] = v.astype(DATETIME_DTYPE)
        else:
            bad[i] = True
    if bad.any():
        raise _rows_error(
            bad,
            arr,
            field=field,
            requirement="must hold dates, datetimes or ISO-8601 strings",
            function=function,
        )
    if strings.any():
        out[strings] = parsed_strings.values
    return ParsedTimes(values=out, aware=n_aware > 0)


def as_datetime(values: object, *, field: str, function: str) -> ParsedTimes:
    """Coerce timestamps to UTC-naive ``datetime64[us]``.

    Accepts ``datetime64`` of any unit, ``datetime``/``date`` objects (aware ones
    converted to UTC), pandas/polars datetimes and ISO-8601 strings. Mixing
    aware and naive values is an error.
    """
    arr = to_array(values)
    kind = arr.dtype.kind
    if kind == "M":
        out = arr if arr.dtype == DATETIME_DTYPE else arr.astype(DATETIME_DTYPE)
        if out.size and out.view(np.int64).min() == _NAT_INT:
            nat = np.isnat(out)
            raise _rows_error(
                nat,
                arr,
                field=field,
                requirement="must not be null (NaT)",
                function=function,
                as_text=True,
                hint="Drop or fill the missing timestamps before calling crmkit.",
            )
        parsed = ParsedTimes(values=out, aware=False)
    elif kind in "UST":
        parsed = _parse_strings(arr.astype(str), field=field, function=function)
    elif kind == "O":
        parsed = _parse_objects(arr, field=field, function=function)
    else:
        raise InputError(
            f"The {field!r} column of {function} must hold dates, datetimes or "
            f"ISO-8601 strings; got dtype {arr.dtype}.",
            field=field,
            hint="Convert epoch numbers with numpy.asarray(x, dtype='datetime64[s]').",
        )
    if parsed.values.ndim != 1:
        raise InputError(
            f"The {field!r} column of {function} must be one-dimensional; "
            f"got shape {parsed.values.shape}.",
            field=field,
        )
    return parsed


def scalar_datetime(value: object, *, field: str, function: str) -> np.datetime64:
    """Coerce one date/datetime/ISO string/datetime64 to ``datetime64[us]`` (UTC-naive)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        raise InputError.for_parameter(field, "a single date or datetime", value, function=function)
    parsed = as_datetime([value], field=field, function=function)
    return np.datetime64(parsed.values[0], "us")
