"""Buy-till-you-die inputs: read, validate and compress (frequency, recency, T[, spend])."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import is_frame, read_columns
from crmkit._groups import factorize
from crmkit._input import as_amounts, as_finite_float, as_ids, check_same_length
from crmkit._tables import column_names
from crmkit._values import bad_rows_error
from crmkit.errors import InputError

__all__ = [
    "BTYDData",
    "RFMData",
    "SpendData",
    "distinct_rows",
    "dot",
    "read_rfm",
    "require_models_extra",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@runtime_checkable
class RFMData(Protocol):
    """Anything with per-customer ``frequency``, ``recency`` and ``T`` arrays.

    :class:`crmkit.segmentation.BTYDSummary` is one; so is any object or
    record type with those attributes, in one time unit.

    Examples
    --------
    >>> from crmkit.roi import RFMData
    >>> from crmkit.segmentation import btyd_summary
    >>> summary = btyd_summary(
    ...     {"customer": [1, 1], "timestamp": ["2024-01-01", "2024-01-09"], "amount": [5.0, 7]},
    ...     freq="day",
    ... )
    >>> isinstance(summary, RFMData)
    True
    """

    @property
    def frequency(self) -> npt.ArrayLike:
        """Repeat purchases per customer."""

    @property
    def recency(self) -> npt.ArrayLike:
        """Time from the first to the last purchase."""

    @property
    def T(self) -> npt.ArrayLike:  # noqa: N802  (the papers' name)
        """Time from the first purchase to the end of observation."""


@runtime_checkable
class SpendData(RFMData, Protocol):
    """An :class:`RFMData` that also has the mean repeat-purchase ``monetary_value``.

    Examples
    --------
    >>> from crmkit.roi import SpendData
    >>> class Row:
    ...     frequency, recency, T, monetary_value = [1], [2.0], [3.0], [9.5]
    >>> isinstance(Row(), SpendData)
    True
    """

    @property
    def monetary_value(self) -> npt.ArrayLike:
        """Mean value of the repeat purchases."""


@attrs.frozen(kw_only=True)
class BTYDData:
    """Validated buy-till-you-die columns (internal)."""

    customer: npt.NDArray[Any] | None
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray | None

    @property
    def n(self) -> int:
        """Number of customers."""
        return int(self.frequency.shape[0])


def dot(a: npt.NDArray[Any], b: npt.NDArray[Any] | float) -> float:
    """Sum of the elementwise product, without BLAS.

    ``np.dot`` on long vectors goes to a multi-threaded BLAS whose threads
    spin-wait on a busy machine (20x slower measured on a shared 2-core box);
    a multiply and numpy's pairwise sum is fast everywhere and more accurate.
    """
    return float(np.add.reduce(np.multiply(a, b)))


def require_models_extra(function: str) -> None:
    """Raise a helpful ImportError when scipy (the ``models`` extra) is missing."""
    try:
        import scipy  # noqa: F401, PLC0415
    except ModuleNotFoundError as err:
        msg = f"{function} needs scipy; install it with pip install 'crmkit[models]'"
        raise ImportError(msg) from err


def _get(data: object, name: str) -> object | None:
    if isinstance(data, Mapping):
        return data.get(name)
    return getattr(data, name, None)


def _rows(
    field: str, mask: npt.NDArray[np.bool_], values: FloatArray, requirement: str, function: str
) -> InputError:
    bad = np.flatnonzero(mask)
    return InputError.for_rows(
        field,
        requirement,
        positions=bad[:5].tolist(),
        values=values[bad[:5]].tolist(),
        n_bad=int(bad.size),
        function=function,
    )


def read_rfm(
    data: object,
    *,
    frequency: npt.ArrayLike | None,
    recency: npt.ArrayLike | None,
    T: npt.ArrayLike | None,
    monetary_value: npt.ArrayLike | None = None,
    need_spend: bool = False,
    function: str,
) -> BTYDData:
    """Read and validate BTYD columns from an object, a mapping, a frame or arrays."""
    names = ["frequency", "recency", "T"] + (["monetary_value"] if need_spend else [])
    given: dict[str, Any] = {"frequency": frequency, "recency": recency, "T": T}
    if need_spend:
        given["monetary_value"] = monetary_value
    customer: object | None = None
    if data is not None:
        if any(v is not None for v in given.values()):
            raise InputError(
                f"{function} takes either a summary object or the arrays "
                f"{', '.join(names)}, not both.",
                field="frequency",
            )
        if is_frame(data):
            wanted = {n: n for n in names}
            if "customer" in column_names(data):
                wanted["customer"] = "customer"
            columns = read_columns(data, wanted, function=function)
            customer = columns.pop("customer", None)
            given = dict(columns.items())
        else:
            given = {n: _get(data, n) for n in names}
            customer = _get(data, "customer")
    missing = [n for n, v in given.items() if v is None]
    if missing:
        raise InputError(
            f"{function} needs the columns {names}; missing {missing}.",
            field=missing[0],
            hint="Pass a crmkit.segmentation.BTYDSummary, or the arrays as keywords.",
        )
    x = as_finite_float(given["frequency"], field="frequency", function=function, minimum=0.0)
    t_x = as_finite_float(given["recency"], field="recency", function=function, minimum=0.0)
    big_t = as_finite_float(given["T"], field="T", function=function, minimum=0.0)
    lengths = {"frequency": x.shape[0], "recency": t_x.shape[0], "T": big_t.shape[0]}
    spend: FloatArray | None = None
    if need_spend:
        # money: the magnitudes sum to a finite total (the boundary's rule for amounts)
        spend, _ = as_amounts(given["monetary_value"], field="monetary_value", function=function)
        lengths["monetary_value"] = spend.shape[0]
    ids = None
    if customer is not None:
        ids = as_ids(customer, field="customer", function=function)
        lengths["customer"] = ids.shape[0]
    check_same_length(lengths, function=function)
    if x.size == 0:
        raise InputError(
            f"{function} needs at least one customer; got none.",
            field="frequency" if data is None else "data",
            hint="Check the filter that produced the data.",
        )
    fractional = x != np.floor(x)
    if fractional.any():
        raise _rows("frequency", fractional, x, "must hold whole numbers", function)
    late = t_x > big_t
    if late.any():
        raise _rows(
            "recency",
            late,
            t_x,
            "must not exceed T (the last purchase is before the end)",
            function,
        )
    stray = (x == 0) & (t_x > 0)
    if stray.any():
        raise _rows("recency", stray, t_x, "must be 0 where frequency is 0", function)
    if spend is not None:
        bad = (x > 0) & (spend <= 0)
        if bad.any():
            raise _rows(
                "monetary_value",
                bad,
                spend,
                "must be > 0 for customers with repeat purchases (Gamma-Gamma needs positive "
                "spend)",
                function,
            )
        _check_repeat_spend(x, spend, function)
    return BTYDData(customer=ids, frequency=x, recency=t_x, T=big_t, monetary_value=spend)


def _check_repeat_spend(x: FloatArray, spend: FloatArray, function: str) -> None:
    """Refuse spend whose repeat total (frequency x monetary value) passes float64's range.

    Every spend model works with x * m, the value of a customer's repeat
    purchases; their total over the base must be a float64, as the total of
    the transactions it came from is.
    """
    with np.errstate(over="ignore"):
        value = x * np.abs(spend)
        total = float(np.add.reduce(value))
    if np.isfinite(total):
        return
    largest = np.argsort(-value)[: min(value.size, 5)]
    mask = np.zeros(value.size, dtype=bool)
    mask[largest] = True
    raise bad_rows_error(
        mask,
        spend,
        field="monetary_value",
        requirement="times frequency must sum to a finite float64 total (the base's repeat "
        "spend passes 1.8e308)",
        function=function,
        hint="Rescale the amounts (e.g. to thousands) before calling crmkit.",
    )


@attrs.frozen(kw_only=True)
class Compressed:
    """Identical rows merged: unique values per column, row codes and weights."""

    x_values: FloatArray
    x_code: IntArray
    a_values: FloatArray
    a_code: IntArray
    b_values: FloatArray
    b_code: IntArray
    weight: FloatArray

    @property
    def n_rows(self) -> int:
        """Number of distinct rows."""
        return int(self.weight.shape[0])


def unique_codes(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """Sorted unique values and the code of each entry.

    Whole-number columns (counts, day or week offsets) go through
    :func:`crmkit._groups.factorize`, which needs no argsort; others through
    ``np.unique``.
    """
    if values.size and bool(np.all(values == np.floor(values))) and np.abs(values).max() < 2**52:
        groups = factorize(values.astype(np.int64))
        return groups.uniques.astype(np.float64), groups.codes
    uniques, codes = np.unique(values, return_inverse=True)
    return uniques, codes.astype(np.int64)


def compress(x: FloatArray, a: FloatArray, b: FloatArray) -> Compressed:
    """Merge identical (x, a, b) rows; each column keeps its own unique values.

    Customers with identical rows contribute identically to a likelihood, so
    the likelihood is evaluated once per distinct row and weighted by its count.
    """
    xu, xi = unique_codes(x)
    au, ai = unique_codes(a)
    bu, bi = unique_codes(b)
    if float(xu.size) * au.size * bu.size < 2.0**62:
        key = (xi * au.size + ai) * bu.size + bi
        uniq, counts = np.unique(key, return_counts=True)
        bi_u = uniq % bu.size
        rest = uniq // bu.size
        ai_u = rest % au.size
        xi_u = rest // au.size
    else:  # pragma: no cover  (more than 2**62 combinations of distinct values)
        rows, counts = np.unique(np.column_stack([xi, ai, bi]), axis=0, return_counts=True)
        xi_u, ai_u, bi_u = rows[:, 0], rows[:, 1], rows[:, 2]
    return Compressed(
        x_values=xu,
        x_code=xi_u.astype(np.int64),
        a_values=au,
        a_code=ai_u.astype(np.int64),
        b_values=bu,
        b_code=bi_u.astype(np.int64),
        weight=counts.astype(np.float64),
    )


def distinct_rows(rfm: BTYDData) -> tuple[BTYDData, IntArray]:
    """Return the distinct (x, t_x, T) rows of *rfm* and the distinct row of each customer.

    Predictions of a model without covariates depend on the row alone, so
    they are evaluated once per distinct row and spread back.
    """
    c = compress(rfm.frequency, rfm.recency, rfm.T)
    distinct = BTYDData(
        customer=None,
        frequency=c.x_values[c.x_code],
        recency=c.a_values[c.a_code],
        T=c.b_values[c.b_code],
        monetary_value=None,
    )
    key_x = np.searchsorted(c.x_values, rfm.frequency)
    key_a = np.searchsorted(c.a_values, rfm.recency)
    key_b = np.searchsorted(c.b_values, rfm.T)
    row_key = (c.x_code * c.a_values.size + c.a_code) * c.b_values.size + c.b_code
    cust_key = (key_x * c.a_values.size + key_a) * c.b_values.size + key_b
    return distinct, np.searchsorted(row_key, cust_key).astype(np.int64)
