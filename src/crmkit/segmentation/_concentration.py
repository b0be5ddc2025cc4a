"""80/20 concentration of any per-customer value: top shares, Pareto point, Lorenz, Gini, ABC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, overload

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly
from crmkit._results import Kind, Result, frozen_mapping
from crmkit.errors import InputError
from crmkit.segmentation._common import increasing_fractions, optional_ids, values_1d

__all__ = [
    "ABCClasses",
    "LorenzCurve",
    "ParetoPoint",
    "abc_classes",
    "gini",
    "lorenz_curve",
    "pareto_point",
    "top_share",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _positive_total(values: FloatArray, function: str, field: str = "values") -> float:
    total = float(values.sum())
    if not total > 0:
        raise InputError(
            f"The {field!r} column of {function} must have a positive total; got {total:g}.",
            field=field,
            hint="Concentration is a share of the total; a base that loses money overall "
            "has no meaningful share. Analyse revenue, or the profitable customers only.",
        )
    return total


@attrs.frozen(kw_only=True, repr=False)
class LorenzCurve(Result):
    """The Lorenz curve of a per-customer value and its Gini coefficient.

    Attributes
    ----------
    population_share : ndarray of float64, shape (n + 1,)
        ``0, 1/n, ..., 1``: the poorest share of customers.
    value_share : ndarray of float64, shape (n + 1,)
        Share of the total they hold, from 0 to exactly 1.
    gini : float
        Gini coefficient.
    total : float
        Sum of the values.
    n_negative : int
        Customers with a negative value (the curve dips below 0 then).

    Examples
    --------
    >>> lorenz_curve([1.0, 3.0]).value_share.tolist()
    [0.0, 0.25, 1.0]
    """

    _table: ClassVar[tuple[str, ...]] = ("population_share", "value_share")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "population_share": "share",
        "value_share": "share",
        "gini": "number",
        "total": "money",
    }
    _plot: ClassVar[str] = "lorenz_chart"

    population_share: FloatArray
    value_share: FloatArray
    gini: float
    total: float
    n_negative: int


def _gini_sorted(ascending: FloatArray, total: float) -> float:
    n = ascending.size
    weights = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.dot(weights, ascending) / (n * total) - (n + 1) / n)


def lorenz_curve(values: npt.ArrayLike) -> LorenzCurve:
    r"""Return the Lorenz curve of a per-customer value (revenue, profit, CLV).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer; zeros allowed, negatives allowed (profit) as
        long as the total is positive.

    Returns
    -------
    LorenzCurve
        ``n + 1`` points from (0, 0) to (1, 1) and the Gini coefficient.

    Raises
    ------
    InputError
        On empty or non-finite values or a total <= 0.

    Notes
    -----
    With values sorted ascending :math:`x_{(1)} \le \dots \le x_{(n)}`, the
    curve is :math:`L(i/n) = \sum_{j \le i} x_{(j)} / \sum_j x_j`, and
    :math:`G = \frac{2 \sum_i i\, x_{(i)}}{n \sum_i x_i} - \frac{n+1}{n}`,
    in :math:`[0, 1 - 1/n]` for non-negative values (ties do not matter: equal
    values are interchangeable). Negative values make the curve dip below
    zero and :math:`G` may exceed 1 [2]_.

    References
    ----------
    .. [1] Lorenz, M. O. (1905). "Methods of measuring the concentration of
       wealth." *Publications of the American Statistical Association*, 9(70).
    .. [2] Chen, C.-N., Tsaur, T.-W. and Rhai, T.-S. (1982). "The Gini
       coefficient and negative income." *Oxford Economic Papers*, 34(3).

    Examples
    --------
    Four customers, one of whom brings 70% of revenue:

    >>> from crmkit.segmentation import lorenz_curve
    >>> c = lorenz_curve([10.0, 10.0, 10.0, 70.0])
    >>> c.value_share.tolist(), round(c.gini, 3)
    ([0.0, 0.1, 0.2, 0.3, 1.0], 0.45)
    """
    function = "lorenz_curve"
    arr = values_1d(values, field="values", function=function)
    total = _positive_total(arr, function)
    ascending = np.sort(arr)
    share = np.empty(arr.size + 1, dtype=np.float64)
    share[0] = 0.0
    np.cumsum(ascending, out=share[1:])
    share /= total
    share[-1] = 1.0
    return LorenzCurve(
        population_share=as_readonly(np.arange(arr.size + 1, dtype=np.float64) / arr.size),
        value_share=as_readonly(share),
        gini=_gini_sorted(ascending, total),
        total=total,
        n_negative=int(np.count_nonzero(ascending < 0)),
    )


def gini(values: npt.ArrayLike) -> float:
    r"""Return the Gini coefficient of a per-customer value.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer, total > 0.

    Returns
    -------
    float
        0 when every customer is equal; :math:`1 - 1/n` when one customer
        holds everything; in :math:`[0, 1)` for non-negative values.

    Raises
    ------
    InputError
        On empty or non-finite values or a total <= 0.

    Notes
    -----
    :math:`G = \frac{2 \sum_i i\, x_{(i)}}{n \sum_i x_i} - \frac{n+1}{n}` with
    values sorted ascending (the population Gini; see :func:`lorenz_curve`).

    Examples
    --------
    >>> from crmkit.segmentation import gini
    >>> gini([5.0, 5.0, 5.0])
    0.0
    >>> gini([0.0, 0.0, 0.0, 12.0])
    0.75
    """
    function = "gini"
    arr = values_1d(values, field="values", function=function)
    total = _positive_total(arr, function)
    return _gini_sorted(np.sort(arr), total)


def _descending_cumshare(arr: FloatArray, total: float) -> FloatArray:
    desc = np.sort(arr)[::-1]
    cum = np.empty(arr.size + 1, dtype=np.float64)
    cum[0] = 0.0
    np.cumsum(desc, out=cum[1:])
    cum /= total
    return cum


@overload
def top_share(values: npt.ArrayLike, p: float) -> float: ...


@overload
def top_share(values: npt.ArrayLike, p: Sequence[float] | FloatArray) -> FloatArray: ...


def top_share(values: npt.ArrayLike, p: float | Sequence[float] | FloatArray) -> float | FloatArray:
    r"""Return the share of the total that the top ``p`` of customers bring.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer, total > 0.
    p : float or array_like of float
        Share(s) of customers, in [0, 1].

    Returns
    -------
    float or ndarray of float64
        Share of the total from the highest-value ``p`` of customers (one per
        ``p``). Above 1 is possible when some customers have negative value
        (the top customers then bring more than the whole total: the
        "whale curve" of profit).

    Raises
    ------
    InputError
        On bad values, a total <= 0 or ``p`` outside [0, 1].

    Notes
    -----
    With values sorted descending and :math:`C(j/n) = \sum_{i \le j} x_{(i)} /
    \sum x`, ``top_share`` interpolates linearly between customers:
    :math:`C(p) = C(\lfloor pn \rfloor / n) + (pn - \lfloor pn \rfloor)\,
    x_{(\lfloor pn \rfloor + 1)} / \sum x`. Ties need no rule: equal values
    are interchangeable. Non-decreasing in ``p`` for non-negative values.

    Examples
    --------
    >>> from crmkit.segmentation import top_share
    >>> revenue = [500.0, 200.0, 100.0, 100.0, 50.0, 20.0, 10.0, 10.0, 5.0, 5.0]
    >>> top_share(revenue, 0.2)
    0.7
    >>> top_share(revenue, [0.1, 0.5]).tolist()
    [0.5, 0.95]
    """
    function = "top_share"
    arr = values_1d(values, field="values", function=function)
    total = _positive_total(arr, function)
    scalar = np.ndim(p) == 0
    ps = np.atleast_1d(np.asarray(p, dtype=np.float64))
    bad = ~((ps >= 0) & (ps <= 1))
    if bad.any():
        raise InputError.for_parameter(
            "p", "a share of customers in [0, 1]", ps[bad][0], function=function
        )
    cum = _descending_cumshare(arr, total)
    out = np.interp(ps * arr.size, np.arange(arr.size + 1, dtype=np.float64), cum)
    return float(out[0]) if scalar else out


@attrs.frozen(kw_only=True, repr=False)
class ParetoPoint(Result):
    """Where the top ``p`` of customers bring ``1 - p`` of the total ("20/80").

    Attributes
    ----------
    customer_share : float
        The share ``p`` of top customers.
    value_share : float
        The share of the total they bring, ``1 - p``.

    Examples
    --------
    >>> pareto_point([1.0, 1.0]).customer_share
    0.5
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {"customer_share": "share", "value_share": "share"}

    customer_share: float
    value_share: float

    def __str__(self) -> str:
        return (
            f"the top {self.customer_share:.1%} of customers bring "
            f"{self.value_share:.1%} of the total"
        )


def pareto_point(values: npt.ArrayLike) -> ParetoPoint:
    r"""Find the share ``p`` of top customers who bring ``1 - p`` of the total.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer, total > 0.

    Returns
    -------
    ParetoPoint
        ``p`` and ``1 - p``; ``p = 0.5`` when every customer is equal, and
        ``p`` near 0.2 for the proverbial 80/20 base.

    Raises
    ------
    InputError
        On bad values or a total <= 0.

    Notes
    -----
    Solves :math:`C(p) = 1 - p` on the piecewise-linear concentration curve of
    :func:`top_share` (the first crossing when negative values make
    :math:`C(p) + p` non-monotone); exact between customers.

    Examples
    --------
    >>> from crmkit.segmentation import pareto_point
    >>> pt = pareto_point([80.0, 5.0, 5.0, 5.0, 5.0])
    >>> print(pt)
    the top 20.0% of customers bring 80.0% of the total
    """
    function = "pareto_point"
    arr = values_1d(values, field="values", function=function)
    total = _positive_total(arr, function)
    cum = _descending_cumshare(arr, total)
    n = arr.size
    grid = np.arange(n + 1, dtype=np.float64) / n
    h = cum + grid - 1.0
    j = int(np.argmax(h >= 0))  # h[-1] = 1 > 0, so a crossing exists
    if j == 0:
        p = 0.0
    else:
        h0, h1 = h[j - 1], h[j]
        p = float(grid[j - 1] + (0.0 - h0) / (h1 - h0) / n)
    return ParetoPoint(customer_share=p, value_share=1.0 - p)


@attrs.frozen(kw_only=True, repr=False)
class ABCClasses(Result):
    """ABC classes by cumulative share of value.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids (positions ``0..n-1`` when none were given).
    value : ndarray of float64, shape (n,)
        The value classified.
    abc_class : ndarray of str, shape (n,)
        ``labels[j]`` per customer.
    thresholds : tuple of float
        Cumulative shares closing each class but the last.
    labels : tuple of str
        Class names, best first.
    customers : mapping of str to int
        Customers per class.
    value_share : mapping of str to float
        Share of the total value per class.

    Examples
    --------
    >>> abc_classes([90.0, 6.0, 4.0]).abc_class.tolist()
    ['A', 'B', 'C']
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "value", "abc_class")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "value": "money",
        "thresholds": "share",
        "value_share": "share",
    }
    _plot: ClassVar[str] = "abc_chart"

    customer: npt.NDArray[Any]
    value: FloatArray
    abc_class: npt.NDArray[np.str_]
    thresholds: tuple[float, ...]
    labels: tuple[str, ...]
    customers: Mapping[str, int] = attrs.field(converter=frozen_mapping)
    value_share: Mapping[str, float] = attrs.field(converter=frozen_mapping)


def abc_classes(
    values: npt.ArrayLike,
    *,
    thresholds: Sequence[float] = (0.8, 0.95),
    labels: Sequence[str] | None = None,
    customer: npt.ArrayLike | None = None,
) -> ABCClasses:
    r"""Classify customers A, B, C, ... by their cumulative share of the total.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer (revenue, profit, CLV), total > 0.
    thresholds : sequence of float, default (0.8, 0.95)
        Strictly increasing cumulative shares in (0, 1]: class A is the top
        customers who together reach the first 80% of the value, B the next
        15%, C the rest.
    labels : sequence of str, optional
        One name per class (``len(thresholds) + 1``); default "A", "B", "C", ...
    customer : array_like, shape (n,), optional
        Customer ids; default positions.

    Returns
    -------
    ABCClasses
        A class per customer and the customers and value share per class.

    Raises
    ------
    InputError
        On bad values, a total <= 0, thresholds not increasing or outside
        (0, 1], the wrong number of labels or a length mismatch.

    Notes
    -----
    Sorting descending, a customer whose value starts at cumulative share
    :math:`c^- = \sum_{j < i} x_{(j)} / \sum x` is in class
    :math:`|\{t : c^- \ge t\}|` (0 = A): the customer who crosses 80% is
    still A. A tie block takes the class of its first member, so equal values
    always share a class; zero values come after all positive ones; negative
    values (profit) come last and never move a later customer to a better
    class.

    Examples
    --------
    >>> from crmkit.segmentation import abc_classes
    >>> r = abc_classes([500.0, 200.0, 100.0, 100.0, 50.0, 20.0, 10.0, 10.0, 5.0, 5.0])
    >>> r.abc_class.tolist()
    ['A', 'A', 'A', 'A', 'B', 'C', 'C', 'C', 'C', 'C']
    >>> r.customers
    {'A': 4, 'B': 1, 'C': 5}
    """
    function = "abc_classes"
    arr = values_1d(values, field="values", function=function)
    cuts = increasing_fractions(thresholds, field="thresholds", function=function)
    names = _labels(labels, cuts.size + 1, function)
    ids = optional_ids(customer, arr.size, function=function)
    total = _positive_total(arr, function)
    desc = np.sort(arr)[::-1]
    before = np.empty(arr.size, dtype=np.float64)
    before[0] = 0.0
    np.cumsum(desc[:-1], out=before[1:])
    before /= total
    start = np.empty(arr.size, dtype=np.bool_)
    start[0] = True
    np.not_equal(desc[1:], desc[:-1], out=start[1:])
    block_first = np.maximum.accumulate(np.where(start, np.arange(arr.size), 0))
    cls_sorted = np.searchsorted(cuts, before[block_first], side="right")
    cls_sorted = np.maximum.accumulate(cls_sorted)
    # value cut-offs: class >= j + 1 for values <= the first value reaching class j + 1
    klass = np.zeros(arr.size, dtype=np.int64)
    for j in range(cuts.size):
        reach = np.flatnonzero(cls_sorted >= j + 1)
        if reach.size:
            klass += arr <= desc[reach[0]]
    counts = np.bincount(klass, minlength=len(names))
    sums = np.bincount(klass, weights=arr, minlength=len(names)) / total
    return ABCClasses(
        customer=ids,
        value=arr,
        abc_class=as_readonly(np.asarray(names)[klass]),
        thresholds=tuple(cuts.tolist()),
        labels=names,
        customers={n: int(c) for n, c in zip(names, counts, strict=True)},
        value_share={n: float(s) for n, s in zip(names, sums, strict=True)},
    )


def _labels(labels: Sequence[str] | None, n: int, function: str) -> tuple[str, ...]:
    if labels is None:
        return tuple(chr(ord("A") + i) for i in range(n))
    out: tuple[object, ...] = tuple(labels)
    if len(out) != n or not all(isinstance(x, str) and x for x in out) or len(set(out)) != n:
        raise InputError.for_parameter(
            "labels",
            f"{n} distinct non-empty names (one per class: len(thresholds) + 1)",
            list(out),
            function=function,
        )
    return tuple(str(x) for x in out)
