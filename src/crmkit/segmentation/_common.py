"""Column helpers shared by the segmentation modules (private).

Scalar parameters are checked by :mod:`crmkit._params`; these two only add the
segmentation conventions on top of :mod:`crmkit._input`: a per-customer column
is never empty, and customer ids default to positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_ids, check_same_length
from crmkit.errors import InputError

FloatArray = npt.NDArray[np.float64]


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
