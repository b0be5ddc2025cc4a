"""Timestamps read right or refused: the one place raw dates become ``datetime64[us]``.

Two ways to read text:

* **No format** (the default): ISO-8601 extended forms only, ``YYYY-MM-DD``
  optionally followed by ``THH:MM[:SS[.ffffff]]`` (or a space instead of
  ``T``) and a zone (``Z``, ``+hh:mm``). Anything numpy would read as a
  strange year (``"19970101"``, ``"2024"``) is refused, with a hint that names
  ``date_format``.
* **A strftime format** (``date_format="%Y%m%d"``, ``"%d/%m/%Y"``, ...).
  Layouts made only of fixed-width numbers (``%Y %m %d %H %M %S``) and literal
  characters are decoded with whole-array integer arithmetic, checked field by
  field (month 1-12, the day within its month, ...): no per-row Python. Other
  formats, and rows that are not zero-padded, go through the standard
  library's :func:`datetime.datetime.strptime`, once per distinct value.
  Formats whose numbers touch (``%Y%m%d``) must match their exact width: a
  seven-digit ``"1997011"`` is refused, not guessed.

Whatever the source, missing values (None, NaN, NaT, empty strings) are
refused with their positions, and so is any date outside a plausible window
of years (1900-2200 unless the caller widens it), so a misread never reaches
a calculation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Final, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._date_layouts import (
    DATETIME_DTYPE,
    datetime_to_utc64,
    decode_layout,
    layout,
    strptime_unique,
)
from crmkit._values import SHOWN, EngineRule, column_name, is_null, to_array
from crmkit.errors import InputError

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw

__all__ = [
    "DATETIME_DTYPE",
    "DEFAULT_YEARS",
    "ParsedTimes",
    "as_datetime",
    "as_optional_datetime",
    "check_date_format",
    "check_valid_years",
    "datetime_rules",
    "scalar_datetime",
]


DEFAULT_YEARS: Final = (1900, 2200)
"""Years a timestamp may fall in unless the caller widens the window (both inclusive)."""

_NAT_INT: Final = np.iinfo(np.int64).min
_MISSING_TEXT: Final = frozenset({"", "NAT", "NAN", "NONE", "NULL", "NA", "<NA>"})
_ISO_HINT: Final = "Use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM[:SS][+HH:MM]'."
# the texts of the rules, shared by the numpy checks and their engine expressions
_NAT: Final = "must not be null (NaT)"
_MISSING_HINT: Final = "Drop or fill the missing timestamps before calling crmkit."

TimeArray = npt.NDArray[np.datetime64]


@attrs.frozen(kw_only=True)
class ParsedTimes:
    """Timestamps as UTC-naive ``datetime64[us]`` and whether the source carried a zone."""

    values: TimeArray
    aware: bool


def check_date_format(value: object, *, function: str) -> str | None:
    """Return a strftime pattern (a str with at least one ``%`` directive) or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.search(r"%[A-Za-z]", value):
        raise InputError.for_parameter(
            "date_format",
            "a strftime pattern such as '%Y%m%d' or '%d/%m/%Y', or None for ISO-8601",
            value,
            function=function,
        )
    return value


def check_valid_years(value: object, *, function: str) -> tuple[int, int]:
    """Return a ``(first, last)`` pair of years within datetime64[us]'s safe range."""
    ok = (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(y, int) and not isinstance(y, bool) for y in value)
        and 1 <= value[0] <= value[1] <= 9999
    )
    if not ok:
        raise InputError.for_parameter(
            "valid_years",
            "a (first, last) tuple of ints with 1 <= first <= last <= 9999",
            value,
            function=function,
        )
    return value  # type: ignore[return-value]


# --------------------------------------------------------------------------- errors


def _rows_error(
    mask: npt.NDArray[np.bool_],
    arr: npt.NDArray[Any],
    *,
    field: str,
    requirement: str,
    function: str,
    kind: str,
    hint: str | None = None,
    column: str | None = None,
) -> InputError:
    positions = np.flatnonzero(mask)
    first = positions[:SHOWN]
    values = [_shown(arr[p]) for p in first]
    if kind == "parameter":  # one value: "The 'as_of' parameter of f must ... Got ... instead."
        return InputError(
            f"The {field!r} parameter of {function} {requirement}. Got {values[0]!r} instead.",
            field=field,
            hint=hint,
        )
    return InputError.for_rows(
        field,
        requirement,
        positions=first.tolist(),
        values=values,
        n_bad=int(positions.size),
        function=function,
        hint=hint,
        column=column,
    )


def _shown(value: object) -> object:
    if isinstance(value, np.datetime64):
        return str(value)
    if isinstance(value, np.generic):  # np.str_('x') reads as 'x' in a message
        return value.item()
    return value


# --------------------------------------------------------------------------- entry points


def as_datetime(
    values: object,
    *,
    field: str,
    function: str,
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
    kind: str = "column",
    column: str | None = None,
) -> ParsedTimes:
    """Coerce timestamps to UTC-naive ``datetime64[us]``, or refuse them.

    Accepts ``datetime64`` of any unit, ``datetime``/``date`` objects (aware
    ones converted to UTC), ISO-8601 strings, and, with *date_format*, strings
    or whole numbers in that layout (``19970101`` with ``"%Y%m%d"``). Nulls,
    unreadable values, mixed aware and naive values, and dates outside
    *valid_years* are refused with their positions.
    """
    arr = to_array(values, field=field, function=function)
    if arr.ndim != 1:
        raise InputError(
            f"The {column_name(field, column)} {kind} of {function} must be one-dimensional; "
            f"got shape {arr.shape}.",
            field=field,
        )
    ctx = _Context(
        field=field, function=function, kind=kind, valid_years=valid_years, column=column
    )
    name = column_name(field, column)
    dtype_kind = arr.dtype.kind
    if dtype_kind == "M":  # checked in its own unit, so nothing wraps around
        return ParsedTimes(values=_from_datetime64(arr, ctx), aware=False)
    if dtype_kind in "UST":
        text = arr.astype(str)
        parsed = _parse_text(text, ctx, date_format)
    elif dtype_kind in "iuf" and date_format is not None:
        parsed = _parse_text(_numbers_as_text(arr, ctx), ctx, date_format)
    elif dtype_kind == "O":
        parsed = _parse_objects(arr, ctx, date_format)
    elif dtype_kind in "iuf":
        raise InputError(
            f"The {name} {kind} of {function} must hold dates, datetimes or ISO-8601 "
            f"strings; got numbers (dtype {arr.dtype}).",
            field=field,
            column=column,
            hint=_number_hint(arr),
        )
    else:
        raise InputError(
            f"The {name} {kind} of {function} must hold dates, datetimes or ISO-8601 "
            f"strings; got dtype {arr.dtype}.",
            field=field,
            column=column,
        )
    _check_window(parsed.values, arr, ctx)
    return parsed


def as_optional_datetime(
    values: object,
    *,
    field: str,
    function: str,
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
    column: str | None = None,
) -> tuple[TimeArray, npt.NDArray[np.bool_]]:
    """Coerce timestamps where a missing value is allowed (an open deal's close date).

    Missing values (None, NaN, NaT, empty or ``"NaT"`` text) come back as NaT
    with a mask; every other value follows :func:`as_datetime`'s rules, and
    errors give positions in the whole column.
    """
    arr = to_array(values, field=field, function=function)
    kind = arr.dtype.kind
    if kind == "M":
        missing = np.isnat(arr)
    elif kind in "UST":
        missing = _missing_text(arr.astype(str))
    elif kind == "f":
        missing = np.isnan(arr)
    elif kind == "O":
        missing = np.fromiter((is_null(v) for v in arr), dtype=bool, count=arr.size)
        text = np.fromiter((isinstance(v, str) for v in arr), dtype=bool, count=arr.size)
        if text.any():
            missing[text] |= _missing_text(arr[text].astype(str))
    else:
        missing = np.zeros(arr.shape, dtype=bool)
    out = np.full(arr.shape, np.datetime64("NaT"), dtype=DATETIME_DTYPE)
    if missing.all():
        return out, missing
    if missing.any():  # a present value stands in for the missing ones, so positions hold
        filler = arr[np.flatnonzero(~missing)[0]]
        arr = arr.copy() if kind != "O" else arr.astype(object)
        arr[missing] = filler
    parsed = as_datetime(
        arr,
        field=field,
        function=function,
        date_format=date_format,
        valid_years=valid_years,
        column=column,
    )
    out[~missing] = parsed.values[~missing]
    return out, missing


def scalar_datetime(
    value: object,
    *,
    field: str,
    function: str,
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
) -> np.datetime64:
    """Coerce one date/datetime/ISO string/datetime64 parameter to ``datetime64[us]``.

    With *date_format*, a string that is not ISO-8601 is read in that layout.
    """
    if isinstance(value, (list, tuple, np.ndarray)) or value is None:
        raise InputError.for_parameter(
            field, "a single date or datetime", value, function=function, hint=_ISO_HINT
        )
    fmt = date_format
    if isinstance(value, str) and fmt is not None and _iso_shape(np.array([value.strip()]))[0]:
        fmt = None  # an ISO parameter reads as ISO even when the columns have a layout
    parsed = as_datetime(
        [value],
        field=field,
        function=function,
        date_format=fmt,
        valid_years=valid_years,
        kind="parameter",
    )
    return np.datetime64(parsed.values[0], "us")


@attrs.frozen
class _Context:
    field: str
    function: str
    kind: str
    valid_years: tuple[int, int]
    column: str | None = None

    def error(
        self,
        mask: npt.NDArray[np.bool_],
        arr: npt.NDArray[Any],
        requirement: str,
        hint: str | None = None,
    ) -> InputError:
        return _rows_error(
            mask,
            arr,
            field=self.field,
            requirement=requirement,
            function=self.function,
            kind=self.kind,
            hint=hint,
            column=self.column,
        )


# --------------------------------------------------------------------------- window and nulls


_PER_DAY: Final = {
    "h": 24,
    "m": 1440,
    "s": 86_400,
    "ms": 86_400 * 10**3,
    "us": 86_400 * 10**6,
    "ns": 86_400 * 10**9,
    "ps": 86_400 * 10**12,
    "fs": 86_400 * 10**15,
    "as": 86_400 * 10**18,
}
_I64: Final = np.iinfo(np.int64)


def _year_bounds(valid_years: tuple[int, int], dtype: np.dtype[Any]) -> tuple[int, int]:
    """Return the window [1 January first, 1 January last + 1) in *dtype*'s unit, as ints.

    Computed in Python integers and clipped to int64, so no bound wraps around
    in a fine unit (nanoseconds reach only the years 1678-2261).
    """
    first, last = valid_years
    years = np.array([first - 1970, last + 1 - 1970], dtype="datetime64[Y]")
    days = years.astype("datetime64[D]").view(np.int64).tolist()
    unit, count = np.datetime_data(dtype)
    if unit in _PER_DAY:
        bounds = [d * _PER_DAY[unit] // count for d in days]
    else:  # days or coarser: numpy converts down without overflow
        coarse = np.array(days, dtype="datetime64[D]").astype(dtype)
        bounds = coarse.view(np.int64).tolist()
    lo, hi = (min(max(int(v), _I64.min + 1), _I64.max) for v in bounds)
    return lo, hi


def _from_datetime64(arr: npt.NDArray[Any], ctx: _Context) -> TimeArray:
    """Refuse NaT and out-of-window values in the source unit, then convert (no wrap-around)."""
    raw = arr.view(np.int64)
    lo, hi = _year_bounds(ctx.valid_years, arr.dtype)
    low = int(raw.min()) if raw.size else lo
    if low < lo or (raw.size and int(raw.max()) >= hi):  # two passes; NaT is int64's minimum
        if low == _NAT_INT:
            raise ctx.error(raw == _NAT_INT, arr, _NAT, hint=_MISSING_HINT)
        _raise_window((raw < lo) | (raw >= hi), arr, ctx)
    if arr.dtype == DATETIME_DTYPE:
        return arr
    return arr.astype(DATETIME_DTYPE)


def _check_window(values: TimeArray, source: npt.NDArray[Any], ctx: _Context) -> None:
    raw = values.view(np.int64)
    if not raw.size:
        return
    lo, hi = _year_bounds(ctx.valid_years, DATETIME_DTYPE)
    if raw.min() < lo or raw.max() >= hi:
        _raise_window((raw < lo) | (raw >= hi), source, ctx)


def _window_rule(valid_years: tuple[int, int]) -> tuple[str, str]:
    """Return the requirement and hint of the window of years (numpy and engines alike)."""
    first, last = valid_years
    return (
        f"must hold dates in the years {first}-{last}",
        (
            "A date this far out is usually a misread (a number taken for a year, a "
            "wrong date_format). If the dates are right, widen the window with "
            f"valid_years=({min(first, 1800)}, {max(last, 2300)})."
        ),
    )


def _raise_window(mask: npt.NDArray[np.bool_], source: npt.NDArray[Any], ctx: _Context) -> None:
    requirement, hint = _window_rule(ctx.valid_years)
    raise ctx.error(mask, source, requirement, hint=hint)


def datetime_rules(col: nw.Expr, valid_years: tuple[int, int]) -> tuple[EngineRule, ...]:
    """Return the rules of :func:`as_datetime` for a datetime column, as narwhals expressions.

    *col* is the column already in UTC-naive microseconds. Text and numeric
    timestamps have no engine rules (ISO-8601 and strftime layouts read
    differently in every engine): the caller reads them and runs
    :func:`as_datetime`.
    """
    first, last = valid_years
    lo = dt.datetime(first, 1, 1)  # noqa: DTZ001  (crmkit's timestamps are UTC-naive)
    requirement, hint = _window_rule(valid_years)
    outside = col < lo
    if last < 9999:
        outside |= col >= dt.datetime(last + 1, 1, 1)  # noqa: DTZ001
    return (
        EngineRule(requirement=_NAT, bad=col.is_null(), hint=_MISSING_HINT),
        EngineRule(requirement=requirement, bad=outside, hint=hint),
    )


def _missing_text(text: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    upper = np.strings.upper(np.strings.strip(text))
    return np.isin(upper, list(_MISSING_TEXT))


def _raise_missing(mask: npt.NDArray[np.bool_], arr: npt.NDArray[Any], ctx: _Context) -> None:
    raise ctx.error(
        mask,
        arr,
        "must not be null or empty",
        hint=_MISSING_HINT,
    )


def _number_hint(arr: npt.NDArray[Any]) -> str:
    sample = arr[: min(arr.size, 1000)]
    finite = sample[np.isfinite(sample)] if sample.dtype.kind == "f" else sample
    if finite.size and np.all((finite >= 1000_01_01) & (finite <= 9999_12_31)):
        return (
            "These look like YYYYMMDD numbers: pass date_format='%Y%m%d'. "
            "Epoch numbers: convert them with numpy.asarray(x, dtype='datetime64[s]')."
        )
    return (
        "Pass date_format= with the layout of these numbers (e.g. '%Y%m%d'), or, for "
        "epoch numbers, convert them with numpy.asarray(x, dtype='datetime64[s]')."
    )


def _numbers_as_text(arr: npt.NDArray[Any], ctx: _Context) -> npt.NDArray[np.str_]:
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            _raise_missing(~finite, arr, ctx)
        whole = arr == np.trunc(arr)
        if not whole.all():
            raise ctx.error(~whole, arr, "must hold whole numbers to read with date_format")
        arr = arr.astype(np.int64)
    return arr.astype(str)


# --------------------------------------------------------------------------- text


def _iso_shape(text: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Rows shaped ``YYYY-MM-DD`` optionally followed by a time part (numpy checks the rest)."""
    n = text.size
    width = max(text.dtype.itemsize // 4, 1)
    padded = text.astype(f"<U{max(width, 11)}")
    chars = np.ascontiguousarray(padded).view(np.uint32).reshape(n, padded.dtype.itemsize // 4)
    digits = (chars >= 48) & (chars <= 57)
    dash = 45
    ok = digits[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1)
    ok &= (chars[:, 4] == dash) & (chars[:, 7] == dash)
    tail = chars[:, 10]
    ok &= (tail == 0) | (tail == ord("T")) | (tail == ord(" "))
    return cast("npt.NDArray[np.bool_]", ok)


def _parse_text(text: npt.NDArray[np.str_], ctx: _Context, date_format: str | None) -> ParsedTimes:
    stripped = np.strings.strip(text)
    missing = _missing_text(stripped)
    if missing.any():
        _raise_missing(missing, text, ctx)
    if date_format is not None:
        return _parse_with_format(stripped, text, ctx, date_format)
    return _parse_iso(stripped, text, ctx)


def _parse_iso(
    stripped: npt.NDArray[np.str_], text: npt.NDArray[np.str_], ctx: _Context
) -> ParsedTimes:
    shaped = _iso_shape(stripped)
    if not shaped.all():
        bad = ~shaped
        bad[shaped] = _unparsable(stripped[shaped])
        raise ctx.error(
            bad,
            text,
            "must hold ISO-8601 dates or datetimes",
            hint=_format_hint(stripped[~shaped][:20]),
        )
    upper = np.strings.upper(stripped)
    aware = _aware_text(upper)
    n_aware = int(aware.sum())
    if 0 < n_aware < text.size:
        _raise_mixed(aware, text, ctx)
    if n_aware:
        unique, inverse = np.unique(stripped, return_inverse=True)
        parsed = [_parse_aware(str(s), ctx) for s in unique]
        values = np.array(parsed, dtype=DATETIME_DTYPE)[inverse]
        return ParsedTimes(values=values, aware=True)
    try:
        return ParsedTimes(values=stripped.astype(DATETIME_DTYPE), aware=False)
    except ValueError:
        raise ctx.error(
            _unparsable(stripped),
            text,
            "must hold valid ISO-8601 dates or datetimes",
            hint=_ISO_HINT,
        ) from None


def _unparsable(text: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Which rows numpy cannot read (each distinct value tried once; the error path only)."""
    if not text.size:
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(text, return_inverse=True)
    bad_unique = np.fromiter((not _numpy_parses(s) for s in unique.tolist()), bool, unique.size)
    return cast("npt.NDArray[np.bool_]", bad_unique[inverse])


def _format_hint(sample: npt.NDArray[np.str_]) -> str:
    values = [str(s) for s in sample]
    if values and all(re.fullmatch(r"\d{8}", v) for v in values):
        return "These look like YYYYMMDD dates: pass date_format='%Y%m%d'."
    if values and all(re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", v) for v in values):
        sep = re.sub(r"\d", "", values[0])[0]
        return (
            f"Day and month order is ambiguous: pass date_format='%d{sep}%m{sep}%Y' "
            f"or date_format='%m{sep}%d{sep}%Y'."
        )
    return f"{_ISO_HINT} For other layouts pass date_format= with a strftime pattern."


def _aware_text(upper: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    lengths = np.strings.str_len(upper)
    zulu = np.strings.endswith(upper, "Z")
    has_time = np.strings.find(upper, ":") >= 0
    sign6 = _char_at(upper, lengths - 6)
    sign5 = _char_at(upper, lengths - 5)
    colon3 = _char_at(upper, lengths - 3)
    after_date = lengths > 10
    offset = (
        has_time
        & after_date
        & (
            (np.isin(sign6, ["+", "-"]) & (colon3 == ":"))
            | (np.isin(sign5, ["+", "-"]) & (lengths - 5 > 10))
        )
    )
    return cast("npt.NDArray[np.bool_]", zulu | offset)


def _char_at(arr: npt.NDArray[np.str_], index: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    safe = np.clip(index, 0, None)
    return np.strings.slice(arr, safe, safe + 1)


def _numpy_parses(text: str) -> bool:
    """Whether one ISO-8601 string reads (zoned ones by dateutil: numpy warns on zones)."""
    if re.search(r"(Z|[+-]\d\d:?\d\d)$", text[10:].upper()):
        from dateutil import parser  # noqa: PLC0415  (only zoned strings need it)

        try:
            parser.isoparse(text)
        except (ValueError, OverflowError):
            return False
        return True
    try:
        np.datetime64(text, "us")
    except ValueError:
        return False
    return True


def _parse_aware(text: str, ctx: _Context) -> np.datetime64:
    from dateutil import parser  # noqa: PLC0415  (only aware strings need it)

    try:
        value = parser.isoparse(text)
    except (ValueError, OverflowError):
        mask = np.ones(1, dtype=bool)
        raise ctx.error(
            mask, np.array([text]), "must hold ISO-8601 datetimes", hint=_ISO_HINT
        ) from None
    return datetime_to_utc64(value)


def _raise_mixed(aware: npt.NDArray[np.bool_], arr: npt.NDArray[Any], ctx: _Context) -> None:
    minority = aware if aware.sum() <= (~aware).sum() else ~aware
    raise ctx.error(
        minority,
        arr,
        "must not mix timezone-aware and naive timestamps",
        hint="Localise the naive timestamps (or drop the zones) before calling crmkit.",
    )


# --------------------------------------------------------------------------- strftime layouts


def _parse_with_format(
    stripped: npt.NDArray[np.str_], text: npt.NDArray[np.str_], ctx: _Context, fmt: str
) -> ParsedTimes:
    fmt_layout = layout(fmt)
    n = stripped.size
    values = np.empty(n, dtype=DATETIME_DTYPE)
    todo = np.ones(n, dtype=bool)
    if fmt_layout is not None:
        fitted, decoded, invalid = decode_layout(stripped, fmt_layout)
        if invalid.any():
            raise ctx.error(
                invalid,
                text,
                f"must hold valid dates in the layout {fmt!r}",
                hint="A field is out of range: a month above 12, a day past its month's end, ...",
            )
        values[fitted] = decoded
        todo = ~fitted
        if todo.any() and fmt_layout.touching:
            raise ctx.error(
                todo,
                text,
                f"must match the layout {fmt!r} exactly ({fmt_layout.width} characters)",
                hint="Numbers that touch need their full width: write 1997-01-01 as 19970101.",
            )
    if not todo.any():
        return ParsedTimes(values=values, aware=False)
    rest, failed, zoned = strptime_unique(stripped[todo], fmt)
    if failed.any():
        bad = np.zeros(n, dtype=bool)
        bad[np.flatnonzero(todo)[failed]] = True
        raise ctx.error(bad, text, f"must hold dates in the layout {fmt!r}")
    n_zoned = int(zoned.sum())
    if 0 < n_zoned < n:
        aware = np.zeros(n, dtype=bool)
        aware[np.flatnonzero(todo)[zoned]] = True
        _raise_mixed(aware, text, ctx)
    values[todo] = rest
    return ParsedTimes(values=values, aware=n_zoned > 0)


# --------------------------------------------------------------------------- objects


def _parse_objects(arr: npt.NDArray[Any], ctx: _Context, date_format: str | None) -> ParsedTimes:
    nulls = np.fromiter((is_null(v) for v in arr), dtype=bool, count=arr.size)
    strings = np.fromiter((isinstance(v, str) for v in arr), dtype=bool, count=arr.size)
    if strings.any():
        nulls[strings] |= _missing_text(arr[strings].astype(str))
    if nulls.any():
        _raise_missing(nulls, arr, ctx)
    if strings.all():
        return _parse_text(arr.astype(str), ctx, date_format)
    numbers = np.fromiter(
        (
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            for v in arr
        ),
        dtype=bool,
        count=arr.size,
    )
    if numbers.any() and date_format is None:
        raise ctx.error(
            numbers,
            arr,
            "must hold dates, datetimes or ISO-8601 strings, not numbers",
            hint=_number_hint(np.array([float(v) for v in arr[numbers]])),
        )
    aware = np.fromiter(
        (isinstance(v, dt.datetime) and v.tzinfo is not None for v in arr),
        dtype=bool,
        count=arr.size,
    )
    out = np.empty(arr.size, dtype=DATETIME_DTYPE)
    text_rows = strings | numbers
    if text_rows.any():
        as_text = np.empty(arr.size, dtype=object)
        as_text[strings] = arr[strings]
        if numbers.any():
            floats = np.array([float(v) for v in arr[numbers]], dtype=np.float64)
            as_text[numbers] = _numbers_as_text(floats, ctx)
        sub = _parse_text(as_text[text_rows].astype(str), ctx, date_format)
        aware[text_rows] = sub.aware
        out[text_rows] = sub.values
    n_aware = int(aware.sum())
    if 0 < n_aware < arr.size:
        _raise_mixed(aware, arr, ctx)
    bad = np.zeros(arr.size, dtype=bool)
    for i in np.flatnonzero(~text_rows):
        v = arr[i]
        if isinstance(v, dt.datetime):
            out[i] = datetime_to_utc64(v)
        elif isinstance(v, dt.date):
            out[i] = np.datetime64(v, "D").astype(DATETIME_DTYPE)
        elif isinstance(v, np.datetime64):
            out[i] = _from_datetime64(np.array([v]), ctx)[0]
        else:
            bad[i] = True
    if bad.any():
        raise ctx.error(bad, arr, "must hold dates, datetimes or ISO-8601 strings")
    return ParsedTimes(values=out, aware=n_aware > 0)
