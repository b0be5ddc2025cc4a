"""strftime layouts decoded without a per-row Python loop (the private half of _dates).

A layout made only of fixed-width numbers (``%Y %m %d %H %M %S``) and literal
characters is decoded with whole-array integer arithmetic on the text's code
points, each field checked (month 1-12, the day within its month, ...). Any
other layout, and rows that are not zero-padded, go through the standard
library's :func:`datetime.datetime.strptime`, once per distinct value.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import attrs
import numpy as np
import numpy.typing as npt

__all__ = [
    "DATETIME_DTYPE",
    "Layout",
    "datetime_to_utc64",
    "decode_layout",
    "has_touching_numbers",
    "layout",
    "strptime_unique",
]

DATETIME_DTYPE: Final = np.dtype("datetime64[us]")
"""The one timestamp representation inside crmkit: UTC-naive microseconds."""
TimeArray = npt.NDArray[np.datetime64]


def datetime_to_utc64(value: dt.datetime) -> np.datetime64:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return np.datetime64(value, "us")


_WIDTHS: Final = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}


@attrs.frozen
class Layout:
    """A format of fixed-width numbers and literals: where each field sits in the text."""

    width: int
    fields: dict[str, tuple[int, int]]  # directive -> (start, stop)
    literals: tuple[tuple[int, int], ...]  # (position, code point)
    touching: bool  # two numbers with nothing between them (e.g. %Y%m%d)


def _tokens(fmt: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            d = fmt[i + 1]
            out.append(("lit", "%") if d == "%" else ("dir", d))
            i += 2
        else:
            out.append(("lit", fmt[i]))
            i += 1
    return out


def layout(fmt: str) -> Layout | None:
    tokens = _tokens(fmt)
    fields: dict[str, tuple[int, int]] = {}
    literals: list[tuple[int, int]] = []
    pos = 0
    touching = False
    previous_number = False
    for kind, value in tokens:
        if kind == "dir":
            if value not in _WIDTHS or value in fields:
                return None
            touching |= previous_number
            fields[value] = (pos, pos + _WIDTHS[value])
            pos += _WIDTHS[value]
            previous_number = True
        else:
            literals.append((pos, ord(value)))
            pos += 1
            previous_number = False
    if "Y" not in fields:
        return None
    return Layout(width=pos, fields=fields, literals=tuple(literals), touching=touching)


def has_touching_numbers(fmt: str) -> bool:
    previous = False
    for kind, _value in _tokens(fmt):
        if kind == "dir" and previous:
            return True
        previous = kind == "dir"
    return False


def decode_layout(
    text: npt.NDArray[np.str_], layout: Layout
) -> tuple[npt.NDArray[np.bool_], TimeArray, npt.NDArray[np.bool_]]:
    """Decode the rows that fit *layout* exactly, with whole-array integer arithmetic.

    Returns which rows fit, their timestamps, and which rows fit the shape but
    hold an impossible field (month 13, 30 February, hour 24, ...).
    """
    n = text.size
    width = layout.width
    padded = text.astype(f"<U{max(width + 1, text.dtype.itemsize // 4, 1)}")
    chars = np.ascontiguousarray(padded).view(np.uint32).reshape(n, padded.dtype.itemsize // 4)
    fits = chars[:, width] == 0
    if width:
        fits &= chars[:, width - 1] != 0
    for position, code in layout.literals:
        fits &= chars[:, position] == code
    number_cols = [c for start, stop in layout.fields.values() for c in range(start, stop)]
    digits = chars[:, number_cols]
    fits &= ((digits >= 48) & (digits <= 57)).all(axis=1)
    rows = chars[fits].astype(np.int64) - 48

    def field(name: str, default: int) -> npt.NDArray[np.int64]:
        if name not in layout.fields:
            return np.full(rows.shape[0], default, dtype=np.int64)
        start, stop = layout.fields[name]
        out = np.zeros(rows.shape[0], dtype=np.int64)
        for c in range(start, stop):
            out = out * 10 + rows[:, c]
        return out

    year, month, day = field("Y", 1970), field("m", 1), field("d", 1)
    hour, minute, second = field("H", 0), field("M", 0), field("S", 0)
    month_ok = (month >= 1) & (month <= 12)
    month_index = (year - 1970) * 12 + np.clip(month, 1, 12) - 1
    month_start = month_index.astype("datetime64[M]").astype("datetime64[D]")
    month_days = (
        (month_index + 1).astype("datetime64[M]").astype("datetime64[D]") - month_start
    ).astype(np.int64)
    valid = (
        month_ok & (day >= 1) & (day <= month_days) & (hour <= 23) & (minute <= 59) & (second <= 59)
    )
    invalid = np.zeros(n, dtype=bool)
    invalid[np.flatnonzero(fits)[~valid]] = True
    micros = (
        month_start.astype(DATETIME_DTYPE).astype(np.int64)
        + (day - 1) * 86_400_000_000
        + hour * 3_600_000_000
        + minute * 60_000_000
        + second * 1_000_000
    )
    return fits, micros.view(DATETIME_DTYPE), invalid


def strptime_unique(
    stripped: npt.NDArray[np.str_], fmt: str
) -> tuple[TimeArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Parse each distinct value once with the standard library's strptime.

    Returns the timestamps (UTC-naive), which rows failed and which carried a zone.
    """
    touching = has_touching_numbers(fmt)
    unique, inverse = np.unique(stripped, return_inverse=True)
    out = np.zeros(unique.size, dtype=DATETIME_DTYPE)
    bad = np.zeros(unique.size, dtype=bool)
    zoned = np.zeros(unique.size, dtype=bool)
    for i, s in enumerate(unique.tolist()):
        try:
            value = dt.datetime.strptime(s, fmt)  # noqa: DTZ007  (zones are read below)
        except ValueError:
            bad[i] = True
            continue
        if touching and value.strftime(fmt) != s:
            bad[i] = True  # "1997011" is not %Y%m%d, whatever strptime makes of it
            continue
        zoned[i] = value.tzinfo is not None
        out[i] = datetime_to_utc64(value)
    return out[inverse], bad[inverse], zoned[inverse]
