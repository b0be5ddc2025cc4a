"""80/20 concentration of any per-customer value: top shares, Pareto point, Lorenz, Gini, ABC.

Every measure reads one sorted copy of the values. :func:`concentration` sorts
once and keeps the cumulative shares (the Lorenz curve), so all of them
together cost one sort and one cumulative sum; the single-purpose functions
are thin wrappers over the same kernels (``gini`` and ``abc_classes`` need no
full-size cumulative array at all).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, NamedTuple, overload

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit._input import as_readonly
from crmkit._numeric import (
    cancellation_error,
    overflow_error,
    safe_sum,
    shares_representable,
    sum_shift,
    with_shift,
)
from crmkit._results import Kind, Result, frozen_mapping
from crmkit.errors import InputError
from crmkit.segmentation._common import optional_ids, values_1d

__all__ = [
    "ABCClasses",
    "Concentration",
    "LorenzCurve",
    "ParetoPoint",
    "abc_classes",
    "concentration",
    "gini",
    "lorenz_curve",
    "pareto_point",
    "top_share",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CHUNK: Final = 1 << 16  # values per block where a measure scans the sorted values
_MAX_CLASSES: Final = 127  # ABC class codes are one byte


class _Sorted(NamedTuple):
    """The one sorted copy every measure reads, validated and, for extreme values, scaled."""

    value: FloatArray  # as given
    ascending: FloatArray  # sorted copy
    work: FloatArray  # ascending * 2**shift (ascending itself when shift == 0)
    total: float  # sum of value * 2**shift, > 0
    shift: int
    n_negative: int


def _sorted(values: object, function: str) -> _Sorted:
    arr = as_readonly(values_1d(values, field="values", function=function))
    plain = safe_sum(arr)
    if not plain > 0:
        raise InputError(
            f"The 'values' column of {function} must have a positive total; got {plain:g}.",
            field="values",
            hint="Concentration is a share of the total; a base that loses money overall "
            "has no meaningful share. Analyse revenue, or the profitable customers only.",
        )
    ascending = np.sort(arr)
    largest = max(-float(ascending[0]), float(ascending[-1]))
    if not shares_representable(arr, plain, largest=largest):
        raise cancellation_error("values", function=function, total=plain, largest=largest)
    shift = sum_shift(arr, largest=largest)
    total = plain if shift == 0 else safe_sum(with_shift(arr, shift))
    work = with_shift(ascending, shift)
    n_negative = int(np.searchsorted(ascending, 0.0, side="left"))
    return _Sorted(arr, ascending, work, total, shift, n_negative)


def _real_total(s: _Sorted, function: str) -> float:
    """Return the total in the values' own unit; an error when it is beyond float64."""
    try:
        return math.ldexp(s.total, -s.shift)
    except OverflowError:
        raise overflow_error("values", function=function, what="a total") from None


def _lorenz_share(s: _Sorted) -> FloatArray:
    """Share of the total held by the poorest i customers, i = 0..n: 0 to exactly 1.

    Without negative values no share exceeds 1, so the curve stays monotone
    even where the running sum rounds past the (pairwise) total.
    """
    share = np.empty(s.work.size + 1, dtype=np.float64)
    share[0] = 0.0
    np.cumsum(s.work, out=share[1:])
    share /= s.total
    if s.n_negative == 0 and share[-1] > 1.0:
        np.minimum(share, 1.0, out=share)
    share[-1] = 1.0
    return share


def _grid(n: int) -> FloatArray:
    """``0, 1/n, ..., 1`` (one allocation)."""
    out = np.arange(n + 1, dtype=np.float64)
    out /= n
    return out


def _gini(s: _Sorted) -> float:
    r"""Gini from the ascending values with centred weights: no cancellation against (n+1)/n.

    :math:`G = \sum_i (2i - n - 1) x_{(i)} / (n \sum x)`, summed in blocks so no
    full-size weight array is built; exactly 0 when every value is equal and
    kept in :math:`[0, 1 - 1/n]` for non-negative values, where rounding alone
    could step outside.
    """
    x = s.work
    n = x.size
    if s.ascending[0] == s.ascending[-1]:
        return 0.0
    steps = np.arange(0, 2 * min(n, _CHUNK), 2, dtype=np.float64)  # 0, 2, 4, ...
    product = np.empty_like(steps)
    acc = 0.0
    for begin in range(0, n, _CHUNK):
        block = x[begin : begin + _CHUNK]
        # weights 2i - n - 1 (1-based i) of this block: its first weight plus 0, 2, 4, ...
        # (a multiply and a sum, not np.dot: waking BLAS threads costs more than the sum)
        part = np.multiply(steps[: block.size], block, out=product[: block.size])
        acc += float(np.add.reduce(part))
        acc += (2 * begin + 1 - n) * float(np.add.reduce(block))
    g = acc / (n * s.total)
    if s.n_negative == 0:
        g = min(max(g, 0.0), 1.0 - 1.0 / n)
    return g


@attrs.frozen(kw_only=True, repr=False)
class LorenzCurve(Result):
    """The Lorenz curve of a per-customer value and its Gini coefficient.

    Attributes
    ----------
    population_share : ndarray of float64, shape (n + 1,)
        ``0, 1/n, ..., 1``: the poorest share of customers (a property: the
        grid is built when read, and by ``to_frame``).
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
    >>> c = lorenz_curve([1.0, 3.0])
    >>> c.population_share.tolist(), c.value_share.tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.25, 1.0])
    """

    _table: ClassVar[tuple[str, ...]] = ("population_share", "value_share")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "population_share": "share",
        "value_share": "share",
        "gini": "number",
        "total": "money",
    }
    _plot: ClassVar[str] = "lorenz_chart"

    value_share: FloatArray
    gini: float
    total: float
    n_negative: int

    @property
    def population_share(self) -> FloatArray:
        """``0, 1/n, ..., 1``: the poorest share of customers at each point of the curve."""
        return as_readonly(_grid(self.value_share.size - 1))


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
    s = _sorted(values, function)
    return _lorenz(s, _lorenz_share(s), _gini(s), function)


def _lorenz(s: _Sorted, share: FloatArray, gini: float, function: str) -> LorenzCurve:
    return LorenzCurve(
        value_share=share if not share.flags.writeable else as_readonly(share),
        gini=gini,
        total=_real_total(s, function),
        n_negative=s.n_negative,
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
    return _gini(_sorted(values, "gini"))


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
    ps = _shares_of_customers(p, function)
    out = _top_share(_lorenz_share(_sorted(values, function)), ps)
    return float(out[0]) if np.ndim(p) == 0 else out


def _shares_of_customers(p: float | Sequence[float] | FloatArray, function: str) -> FloatArray:
    if np.ndim(p) == 0:
        return np.array([_params.probability(p, name="p", function=function)])
    return np.array(_params.numbers(p, name="p", function=function, low=0.0, high=1.0))


def _top_share(lorenz: FloatArray, ps: FloatArray) -> FloatArray:
    """``1 - L(1 - p)``: the Lorenz curve read from the top, interpolated linearly."""
    n = lorenz.size - 1
    x = n - ps * n  # customers below the top p
    j = np.clip(np.floor(x), 0, n - 1).astype(np.int64)
    below = (lorenz[j + 1] - lorenz[j]) * (x - j) + lorenz[j]
    out: FloatArray = 1.0 - np.where(x >= n, lorenz[n], below)
    return out


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
    s = _sorted(values, "pareto_point")
    return _pareto(_lorenz_share(s), s.n_negative)


def _pareto(lorenz: FloatArray, n_negative: int) -> ParetoPoint:
    """First j with ``h_j = C(j/n) + j/n - 1 >= 0``, interpolated linearly before it.

    ``C(j/n) = 1 - L(1 - j/n)`` is the share of the top j customers. Without
    negative values ``h`` increases strictly, so a bisection over the stored
    Lorenz curve finds the crossing without building ``h``.
    """
    n = lorenz.size - 1

    def h(j: int) -> float:
        return (1.0 - float(lorenz[n - j])) + j / n - 1.0

    if n_negative:
        grid = np.arange(n + 1, dtype=np.float64) / n
        top = 1.0 - lorenz[::-1]
        j = int(np.argmax(top + grid - 1.0 >= 0))  # h(n) = 1 > 0, so a crossing exists
    else:
        lo, hi = 0, n  # h(hi) >= 0 always
        while lo < hi:
            mid = (lo + hi) // 2
            if h(mid) >= 0:
                hi = mid
            else:
                lo = mid + 1
        j = lo
    if j == 0:
        p = 0.0
    else:
        h0, h1 = h(j - 1), h(j)
        p = (j - 1) / n + (0.0 - h0) / (h1 - h0) / n
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
        ``labels[code]`` per customer: a property, built when read (and by
        ``to_frame``).
    code : ndarray of int8, shape (n,)
        Position of the class in ``labels`` (0 = A); one byte per customer.
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
    code: npt.NDArray[np.int8]
    thresholds: tuple[float, ...]
    labels: tuple[str, ...]
    customers: Mapping[str, int] = attrs.field(converter=frozen_mapping)
    value_share: Mapping[str, float] = attrs.field(converter=frozen_mapping)

    @property
    def abc_class(self) -> npt.NDArray[np.str_]:
        """The class name per customer, ``labels[code]``, built when read."""
        return as_readonly(np.asarray(self.labels)[self.code])


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
    cuts = _thresholds(thresholds, function)
    names = _labels(labels, len(cuts) + 1, function)
    s = _sorted(values, function)
    ids = optional_ids(customer, s.value.size, function=function)
    return _abc(s, cuts, names, ids)


def _thresholds(thresholds: object, function: str) -> tuple[float, ...]:
    cuts = _params.numbers(
        thresholds,
        name="thresholds",
        function=function,
        low=0.0,
        high=1.0,
        low_open=True,
        increasing=True,
    )
    if len(cuts) >= _MAX_CLASSES:
        raise InputError.for_parameter(
            "thresholds",
            f"at most {_MAX_CLASSES - 1} cumulative shares ({_MAX_CLASSES} classes)",
            f"{len(cuts)} shares",
            function=function,
        )
    return cuts


def _class_starts(s: _Sorted, cuts: tuple[float, ...]) -> list[int]:
    """Descending position where each class after A starts (n when nobody reaches it).

    A class starts at the first customer whose share before them reaches its
    threshold, moved to the end of that customer's tie block. The share
    before a customer only grows over the non-negative values, so the first
    crossing, when there is one, lies there: a scan of blocks of the sorted
    values, summed from the top exactly as one ``np.cumsum``, stops once every
    threshold is crossed (no full-size array).
    """
    n = s.work.size
    last = min(n - s.n_negative, n - 1)  # positions 0..last: the share before them grows
    found = [n] * len(cuts)
    _scan_starts(s, last, cuts, found)
    ascending = s.ascending
    for j, i in enumerate(found):
        if 0 < i < n and ascending[n - i] == ascending[n - 1 - i]:  # inside a tie block
            found[j] = n - int(np.searchsorted(ascending, ascending[n - 1 - i], side="left"))
    return found


def _scan_starts(s: _Sorted, last: int, cuts: tuple[float, ...], found: list[int]) -> None:
    """Fill *found* by summing the sorted values block by block (the same sums as one cumsum)."""
    top_first = s.work[::-1]
    buffer = np.empty(_CHUNK, dtype=np.float64)
    carry = 0.0
    pending = 0
    for begin in range(0, last + 1, _CHUNK):
        end = min(begin + _CHUNK, last + 1)
        part = buffer[: end - begin]
        part[0] = carry
        part[1:] = top_first[begin : end - 1]
        np.cumsum(part, out=part)  # part[t]: the sum of the top begin + t values, in order
        # shares only grow here: a block whose last share is below the next threshold
        # holds no crossing, and needs no division
        if float(part[-1]) / s.total >= cuts[pending]:
            shares = part / s.total
            while pending < len(cuts):
                i = int(np.searchsorted(shares, cuts[pending], side="left"))
                if i == part.size:
                    break
                found[pending] = begin + i
                pending += 1
            if pending == len(cuts):
                return
        carry = float(part[-1]) + float(top_first[end - 1])


def _abc(
    s: _Sorted, cuts: tuple[float, ...], names: tuple[str, ...], ids: npt.NDArray[Any]
) -> ABCClasses:
    n = s.work.size
    starts = _class_starts(s, cuts)
    top_first = s.ascending[::-1]
    code = np.zeros(n, dtype=np.int8)  # at most _MAX_CLASSES classes
    hit = np.empty(n, dtype=np.bool_)
    for i in starts:
        if i < n:  # this class and the later ones: values up to the first one in it
            np.less_equal(s.value, top_first[i], out=hit)
            code += hit.view(np.int8)
    bounds = [0, *starts, n]
    work_top = s.work[::-1]
    shares = [float(work_top[lo:hi].sum()) / s.total for lo, hi in itertools.pairwise(bounds)]
    return ABCClasses(
        customer=ids,
        value=s.value,
        code=as_readonly(code),
        thresholds=cuts,
        labels=names,
        customers={
            c: hi - lo for c, (lo, hi) in zip(names, itertools.pairwise(bounds), strict=True)
        },
        value_share=dict(zip(names, shares, strict=True)),
    )


def _labels(labels: Sequence[str] | None, n: int, function: str) -> tuple[str, ...]:
    if labels is None:
        return tuple(chr(ord("A") + i) for i in range(n))
    requirement = f"{n} distinct non-empty names (one per class: len(thresholds) + 1)"
    out = _params.names(labels, name="labels", function=function, what=requirement)
    if len(out) != n:
        raise InputError.for_parameter("labels", requirement, list(out), function=function)
    return out


@attrs.frozen(kw_only=True, repr=False)
class Concentration(Result):
    r"""The sorted values and cumulative shares behind every 80/20 measure of a per-customer value.

    Made by :func:`concentration` with one sort and one cumulative sum; its
    methods answer the Lorenz curve, top shares, the Pareto point and ABC
    classes without sorting again. Its table is the Lorenz curve: the share
    of the total held by the poorest ``i`` customers, ``i = 0..n``; the share
    of the top ``p`` of customers is the same curve read from the other end.

    Attributes
    ----------
    value : ndarray of float64, shape (n,)
        The values, in the caller's order.
    sorted_value : ndarray of float64, shape (n,)
        The values sorted ascending (poorest first, as the curve).
    population_share : ndarray of float64, shape (n + 1,)
        ``0, 1/n, ..., 1``: the poorest share of customers (a property).
    cumulative_share : ndarray of float64, shape (n + 1,)
        Share of the total held by the poorest ``i`` customers, from 0 to
        exactly 1: the Lorenz curve, shared with :meth:`lorenz_curve`.
    total : float
        Sum of the values.
    gini : float
        Gini coefficient (see :func:`gini`).
    n_negative : int
        Customers with a negative value.

    Examples
    --------
    >>> c = concentration([500.0, 200.0, 100.0, 100.0, 50.0, 20.0, 10.0, 10.0, 5.0, 5.0])
    >>> c.top_share(0.2), c.pareto_point().customer_share, round(c.gini, 3)
    (0.7, 0.25, 0.657)
    >>> c.abc_classes().customers
    {'A': 4, 'B': 1, 'C': 5}
    """

    _table: ClassVar[tuple[str, ...]] = ("population_share", "cumulative_share")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "population_share": "share",
        "cumulative_share": "share",
        "value": "money",
        "sorted_value": "money",
        "total": "money",
        "gini": "number",
    }

    value: FloatArray
    sorted_value: FloatArray
    cumulative_share: FloatArray
    total: float
    gini: float
    n_negative: int
    _source: _Sorted = attrs.field(eq=False, repr=False)

    @property
    def population_share(self) -> FloatArray:
        """``0, 1/n, ..., 1``: the poorest share of customers at each point of the curve."""
        return as_readonly(_grid(self.value.size))

    def lorenz_curve(self) -> LorenzCurve:
        """Return the Lorenz curve, as :func:`lorenz_curve` (its shares are the stored ones).

        Returns
        -------
        LorenzCurve
            ``n + 1`` points from (0, 0) to (1, 1) and the Gini coefficient.
        """
        return _lorenz(self._source, self.cumulative_share, self.gini, "concentration")

    @overload
    def top_share(self, p: float) -> float: ...

    @overload
    def top_share(self, p: Sequence[float] | FloatArray) -> FloatArray: ...

    def top_share(self, p: float | Sequence[float] | FloatArray) -> float | FloatArray:
        """Return the share of the total the top ``p`` of customers bring, as :func:`top_share`.

        Parameters
        ----------
        p : float or array_like of float
            Share(s) of customers, in [0, 1].

        Returns
        -------
        float or ndarray of float64
            One share of the total per ``p``.

        Raises
        ------
        InputError
            If ``p`` is outside [0, 1].
        """
        ps = _shares_of_customers(p, "Concentration.top_share")
        out = _top_share(self.cumulative_share, ps)
        return float(out[0]) if np.ndim(p) == 0 else out

    def pareto_point(self) -> ParetoPoint:
        """Return the share ``p`` of top customers who bring ``1 - p``, as :func:`pareto_point`.

        Returns
        -------
        ParetoPoint
            ``p`` and ``1 - p``.
        """
        return _pareto(self.cumulative_share, self.n_negative)

    def abc_classes(
        self,
        *,
        thresholds: Sequence[float] = (0.8, 0.95),
        labels: Sequence[str] | None = None,
        customer: npt.ArrayLike | None = None,
    ) -> ABCClasses:
        """Classify customers A, B, C, ... by cumulative share, as :func:`abc_classes`.

        Parameters
        ----------
        thresholds : sequence of float, default (0.8, 0.95)
            Strictly increasing cumulative shares in (0, 1].
        labels : sequence of str, optional
            One name per class; default "A", "B", "C", ...
        customer : array_like, shape (n,), optional
            Customer ids; default positions.

        Returns
        -------
        ABCClasses
            A class per customer and the customers and value share per class.

        Raises
        ------
        InputError
            On bad thresholds or labels, or a length mismatch.
        """
        function = "Concentration.abc_classes"
        cuts = _thresholds(thresholds, function)
        names = _labels(labels, len(cuts) + 1, function)
        ids = optional_ids(customer, self.value.size, function=function)
        return _abc(self._source, cuts, names, ids)


def concentration(values: npt.ArrayLike) -> Concentration:
    r"""Sort a per-customer value once and keep what every concentration measure needs.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer (revenue, profit, CLV), total > 0; zeros and
        negatives allowed.

    Returns
    -------
    Concentration
        The sorted values, the Lorenz curve's cumulative shares, the total and
        the Gini coefficient; its methods give the Lorenz curve, top shares,
        the Pareto point and ABC classes.

    Raises
    ------
    InputError
        On empty or non-finite values, a total <= 0, a total beyond the
        float64 range (about 1.8e308; the single-purpose functions other than
        :func:`lorenz_curve` need no total and still answer), or a total that
        cancels to almost nothing against the largest values (no share of it
        fits in a float64).

    Notes
    -----
    With values sorted ascending :math:`x_{(1)} \le \dots \le x_{(n)}` the
    stored curve is :math:`L(i/n) = \sum_{j \le i} x_{(j)} / \sum x` (the
    sequential sum, as ``np.cumsum``). Top share: :math:`C(p) = 1 - L(1 - p)`,
    interpolated linearly between customers; Pareto point: :math:`C(p) = 1 -
    p`; Gini: :math:`\sum_i (2i - n - 1) x_{(i)} / (n \sum x)`; ABC: the classes
    of :func:`abc_classes`, from the same sorted copy. One sort
    (:math:`O(n \log n)`) and one cumulative sum; every answer after that
    costs at most one pass. Extreme magnitudes are summed scaled by an exact
    power of two, so the shares stay finite.

    References
    ----------
    .. [1] Lorenz, M. O. (1905). "Methods of measuring the concentration of
       wealth." *Publications of the American Statistical Association*, 9(70).
    .. [2] Koch, R. (1998). *The 80/20 Principle*. Currency Doubleday.

    Examples
    --------
    A year of revenue from ten customers, sorted once and asked four questions:

    >>> from crmkit.segmentation import concentration
    >>> c = concentration([5.0, 100.0, 10.0, 500.0, 20.0, 50.0, 100.0, 200.0, 10.0, 5.0])
    >>> c.sorted_value[-3:].tolist(), c.total
    ([100.0, 200.0, 500.0], 1000.0)
    >>> c.top_share(0.2)
    0.7
    >>> print(c.pareto_point())
    the top 25.0% of customers bring 75.0% of the total
    >>> c.abc_classes().customers
    {'A': 4, 'B': 1, 'C': 5}
    >>> c.lorenz_curve().value_share is c.cumulative_share
    True
    """
    function = "concentration"
    s = _sorted(values, function)
    total = _real_total(s, function)
    return Concentration(
        value=s.value,
        sorted_value=as_readonly(s.ascending),
        cumulative_share=as_readonly(_lorenz_share(s)),
        total=total,
        gini=_gini(s),
        n_negative=s.n_negative,
        source=s,
    )
