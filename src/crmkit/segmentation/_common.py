"""Validation helpers shared by the segmentation modules (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_ids, check_same_length
from crmkit.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def values_1d(
    values: object,
    *,
    field: str,
    function: str,
    minimum: float | None = None,
    strict_minimum: bool = False,
) -> FloatArray:
    """Return finite, non-empty float64 values (a view of the caller's array when possible)."""
    out = as_finite_float(
        values, field=field, function=function, minimum=minimum, strict_minimum=strict_minimum
    )
    if out.size == 0:
        raise InputError(
            f"The {field!r} column of {function} must not be empty.",
            field=field,
            hint="Pass one value per customer.",
        )
    return out


def optional_ids(
    customer: object | None, n: int, *, function: str, field: str = "customer"
) -> npt.NDArray[Any]:
    """Return customer ids as given, or positions ``0..n-1`` when none are given."""
    if customer is None:
        return np.arange(n, dtype=np.int64)
    ids = as_ids(customer, field=field, function=function)
    check_same_length({"values": n, field: ids.size}, function=function)
    return ids


def fraction(
    value: object,
    *,
    field: str,
    function: str,
    low_open: bool = True,
    high_closed: bool = True,
) -> float:
    """Return a number in (0, 1] (or [0, 1), ... as the flags say)."""
    low = "(0" if low_open else "[0"
    high = "1]" if high_closed else "1)"
    requirement = f"a number in {low}, {high}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError.for_parameter(field, requirement, value, function=function)
    v = float(value)
    ok_low = v > 0 if low_open else v >= 0
    ok_high = v <= 1 if high_closed else v < 1
    if not (np.isfinite(v) and ok_low and ok_high):
        raise InputError.for_parameter(field, requirement, value, function=function)
    return v


def increasing_fractions(values: object, *, field: str, function: str) -> FloatArray:
    """Return strictly increasing numbers in (0, 1] (ABC thresholds, tier cuts)."""
    arr = np.asarray(values, dtype=object).reshape(-1)
    out = np.array(
        [fraction(v, field=field, function=function) for v in arr],
        dtype=np.float64,
    )
    if out.size == 0 or (out.size > 1 and not np.all(np.diff(out) > 0)):
        raise InputError.for_parameter(
            field,
            "a non-empty sequence of strictly increasing numbers in (0, 1]",
            list(arr),
            function=function,
        )
    return out


def positive_int(value: object, *, field: str, function: str, minimum: int = 1) -> int:
    """Return an int >= *minimum* (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError.for_parameter(field, f"an int >= {minimum}", value, function=function)
    return int(value)
