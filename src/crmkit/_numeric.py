"""Sums that stay finite: exact power-of-two scaling and named overflow errors.

Money is float64 (see the design page), and float64 ends near 1.8e308. A sum of
finite amounts can pass that end in two ways: on the way (``1e308 + 1e308 -
1e308``, whose true value 1e308 is representable) or for good (two amounts of
1e308 do not have a float64 sum). These helpers compute sums as numpy does
when nothing overflows, bit for bit, and otherwise

* redo the sums on values scaled by an exact power of two (``np.ldexp``: no
  rounding), so an intermediate overflow never reaches the result and a
  scale-invariant figure (a share, a mean) is always finite;
* report a true overflow as ``inf`` to the caller, who raises
  :func:`overflow_error` naming the column and the groups, instead of returning
  ``inf`` or NaN.

Scaling down by ``2**-s`` makes values below ``2**(s - 1074)`` vanish; they are
far below the rounding error of any sum that needs the scaling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from crmkit._reduce import bincount
from crmkit.errors import InputError

__all__ = [
    "cancellation_error",
    "group_means",
    "group_shares",
    "group_sums",
    "overflow_error",
    "safe_sum",
    "shares_representable",
    "sum_shift",
    "with_shift",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SAFE_HIGH: Final = 2.0**1000  # n * max|x| below this: no sum of them can overflow
_SAFE_LOW: Final = 2.0**-900  # max|x| above this: no sum of them is pushed into subnormals
_RATIO_LIMIT: Final = 2.0**900  # max|x| / |total| up to this: every share of the total fits
_MAX_SHOWN: Final = 5


def sum_shift(values: FloatArray, *, largest: float | None = None) -> int:
    """Return the exponent ``s`` such that sums of ``values * 2**s`` are safe (0: already so).

    Safe means no sum of the values can overflow and none falls into the
    subnormal range, where float64 loses precision. After scaling the largest
    magnitude is in [0.5, 1). Pass *largest* (``max|x|``) when it is known, to
    save the two passes that find it.

    Examples
    --------
    >>> sum_shift(np.array([1.0, 250.0]))
    0
    >>> sum_shift(np.array([1e308, 1.0]))
    -1024
    """
    if values.size == 0:
        return 0
    big = _largest(values) if largest is None else largest
    if big == 0.0 or (values.size * big < _SAFE_HIGH and big > _SAFE_LOW):
        return 0
    return -math.frexp(big)[1]


def _largest(values: FloatArray) -> float:
    return max(-float(values.min()), float(values.max()))


def with_shift(values: FloatArray, shift: int) -> FloatArray:
    """Return ``values * 2**shift`` (exact; the array itself when ``shift`` is 0)."""
    if shift == 0:
        return values
    with np.errstate(under="ignore"):
        return np.ldexp(values, shift)


def _unshift(values: FloatArray, shift: int) -> FloatArray:
    """``values * 2**-shift``, ``inf`` where the true value is beyond float64."""
    if shift == 0:
        return values
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(values, -shift)


def safe_sum(values: FloatArray) -> float:
    """Return the sum of *values*: numpy's own when finite, else recomputed scaled.

    ``inf`` (or ``-inf``) only when the true sum is beyond float64.

    Examples
    --------
    >>> safe_sum(np.array([1e308, 1e308, -1e308]))
    1e+308
    >>> safe_sum(np.array([1e308, 1e308]))
    inf
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.add.reduce(values)) if values.size else 0.0
    if math.isfinite(total):
        return total
    shift = sum_shift(values)
    return float(_unshift(np.array([np.add.reduce(with_shift(values, shift))]), shift)[0])


def _bincount_sums(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    # np.bincount neither warns nor raises on overflow: it returns inf, which is checked
    return bincount(codes, weights=values, minlength=n_groups).astype(np.float64, copy=False)


def _rescued(
    codes: IntArray, values: FloatArray, sums: FloatArray
) -> tuple[FloatArray, int, IntArray]:
    """Scaled sums of the groups whose plain sums overflowed: (scaled sums, shift, groups)."""
    bad = np.flatnonzero(~np.isfinite(sums))
    rows = np.flatnonzero(np.isin(codes, bad))
    shift = sum_shift(values[rows])
    local = np.searchsorted(bad, codes[rows])
    scaled = _bincount_sums(local, with_shift(values[rows], shift), bad.size)
    return scaled, shift, bad


def group_sums(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Return the sum of *values* per group; ``±inf`` only where the true sum is beyond float64.

    Groups whose plain sum is finite are numpy's result unchanged; the others
    are summed again, scaled, so an overflow on the way never shows.

    Examples
    --------
    >>> group_sums(np.array([0, 0, 0, 1]), np.array([1e308, 1e308, -1e308, 2.0]), 2).tolist()
    [1e+308, 2.0]
    """
    sums = _bincount_sums(codes, values, n_groups)
    if np.isfinite(sums).all():
        return sums
    scaled, shift, bad = _rescued(codes, values, sums)
    out = sums.copy()
    out[bad] = _unshift(scaled, shift)
    return out


def group_means(codes: IntArray, values: FloatArray, counts: IntArray, n_groups: int) -> FloatArray:
    """Return the mean of *values* per group (NaN for an empty group): always finite otherwise.

    A mean lies within the values, so scaling makes it finite even where the
    sum itself is beyond float64.

    Examples
    --------
    >>> group_means(np.array([0, 0]), np.array([1e308, 1e308]), np.array([2]), 1).tolist()
    [1e+308]
    """
    sums = _bincount_sums(codes, values, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = sums / counts
    if np.isfinite(sums).all():
        return out
    scaled, shift, bad = _rescued(codes, values, sums)
    out[bad] = _unshift(scaled / counts[bad], shift)
    return out


def group_shares(codes: IntArray, values: FloatArray, n_groups: int, total: float) -> FloatArray:
    """Return ``group sum / total`` per group, scaled when a plain sum or *total* is not finite.

    *total* is ``safe_sum`` of the same values (``inf`` allowed); it must not be
    0. A share is ``±inf`` only where it is itself beyond float64: a total
    that cancels to almost nothing against large values of both signs
    (:func:`shares_representable` tells beforehand).

    Examples
    --------
    >>> codes = np.array([0, 1])
    >>> group_shares(codes, np.array([1e308, 1e308]), 2, float("inf")).tolist()
    [0.5, 0.5]
    """
    sums = _bincount_sums(codes, values, n_groups)
    with np.errstate(over="ignore"):
        if math.isfinite(total) and np.isfinite(sums).all():
            return sums / total
        shift = sum_shift(values)
        scaled = with_shift(values, shift)
        return _bincount_sums(codes, scaled, n_groups) / float(np.add.reduce(scaled))


def shares_representable(values: FloatArray, total: float, *, largest: float | None = None) -> bool:
    """Return whether every share of *total* (partial sums over it) fits in float64.

    Shares reach at most ``n * max|x| / |total|``; they are representable when
    the largest magnitude is within ``2**900`` of the total. Only values of
    both signs that cancel to almost nothing can break that.

    Examples
    --------
    >>> shares_representable(np.array([3.0, -1.0]), 2.0)
    True
    >>> shares_representable(np.array([1e308, -1e308, 1e-300]), 1e-300)
    False
    """
    if values.size == 0 or total == 0:
        return False
    big = _largest(values) if largest is None else largest
    return big <= abs(total) * _RATIO_LIMIT


def cancellation_error(field: str, *, function: str, total: float, largest: float) -> InputError:
    """Build the error for shares of a total that cancels to almost nothing.

    Examples
    --------
    >>> print(cancellation_error("values", function="gini", total=1e-300, largest=1e308))
    The 'values' column of gini sums to 1e-300, too small against its largest value ...
    """
    return InputError(
        f"The {field!r} column of {function} sums to {total:g}, too small against its "
        f"largest value ({largest:g}) for shares of that total to fit in a float64.",
        field=field,
        hint="Positive and negative values cancel almost exactly; analyse the positive "
        "values (revenue) or a less cancelling figure.",
    )


def overflow_error(
    field: str,
    *,
    function: str,
    what: str,
    labels: Sequence[object] = (),
    n_bad: int | None = None,
    noun: str = "group",
) -> InputError:
    """Build the error for a sum whose true value is beyond float64 (about 1.8e308).

    *what* names the figure (``"customer totals"``); *labels* are the first
    groups affected (customer ids, tier names) and *noun* what a group is.

    Examples
    --------
    >>> err = overflow_error(
    ...     "amount",
    ...     function="rfm_summary",
    ...     what="customer totals",
    ...     labels=[7],
    ...     n_bad=1,
    ...     noun="customer",
    ... )
    >>> print(err)
    The 'amount' column of rfm_summary gives customer totals beyond the float64 range ...
    """
    shown = [v.item() if isinstance(v, np.generic) else v for v in labels[:_MAX_SHOWN]]
    where = ""
    if shown:
        count = n_bad if n_bad is not None else len(labels)
        where = f" for {count} {noun if count == 1 else noun + 's'}, first {shown!r}"
    return InputError(
        f"The {field!r} column of {function} gives {what} beyond the float64 range "
        f"(about 1.8e308){where}.",
        field=field,
        n_bad=n_bad,
        values=shown,
        hint="Express the values in a larger unit (thousands, millions) so that their "
        "sums fit in a float64.",
    )
