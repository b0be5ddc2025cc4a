"""Customer pyramid tiers, the value x potential matrix, share of wallet and value classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit._input import as_readonly, check_same_length
from crmkit._numeric import (
    cancellation_error,
    group_shares,
    group_sums,
    overflow_error,
    safe_sum,
    shares_representable,
    sum_shift,
    with_shift,
)
from crmkit._reduce import bincount
from crmkit._results import Kind, Result, count_labels, frozen_mapping
from crmkit.errors import InputError
from crmkit.segmentation._common import optional_ids, values_1d

__all__ = [
    "Absolute",
    "Quantile",
    "ShareOfWallet",
    "ValueClasses",
    "ValueMatrix",
    "ValueTiers",
    "share_of_wallet",
    "value_classes",
    "value_potential_matrix",
    "value_tiers",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _start_share(values: FloatArray) -> FloatArray:
    """Share of customers with a strictly greater value (ties share their best rank)."""
    ascending = np.sort(values)
    greater = values.size - np.searchsorted(ascending, values, side="right")
    return greater / values.size


def _labels(labels: Sequence[str], n: int, field: str, function: str) -> tuple[str, ...]:
    requirement = f"{n} distinct non-empty names"
    out = _params.names(labels, name=field, function=function, what=requirement)
    if len(out) != n:
        raise InputError.for_parameter(field, requirement, list(out), function=function)
    return out


def _cuts(cuts: Sequence[float], field: str, function: str) -> FloatArray:
    shares = _params.numbers(
        cuts,
        name=field,
        function=function,
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
        increasing=True,
    )
    return np.array(shares, dtype=np.float64)


def _class_sums(
    codes: IntArray,
    values: FloatArray,
    labels: Sequence[str],
    *,
    field: str,
    function: str,
    what: str,
    noun: str,
) -> FloatArray:
    """Value per class; a total beyond float64 is a named error, not inf."""
    sums = group_sums(codes, values, len(labels))
    bad = ~np.isfinite(sums)
    if bad.any():
        shown = [labels[i] for i in np.flatnonzero(bad).tolist()]
        raise overflow_error(
            field, function=function, what=what, labels=shown, n_bad=len(shown), noun=noun
        )
    return sums


@attrs.frozen(kw_only=True, repr=False)
class ValueTiers(Result):
    """Customer pyramid tiers by value rank.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids (positions when none were given).
    value : ndarray of float64, shape (n,)
        The value ranked.
    tier : ndarray of str, shape (n,)
        Tier per customer.
    labels : tuple of str
        Tiers from the top (the negative tier last, if any).
    customers : dict of str to int
        Customers per tier.
    value_total : dict of str to float
        Sum of value per tier.
    value_share : dict of str to float
        Share of the total value per tier (the negative tier's is negative);
        0 for every tier when the values sum to exactly zero (no total to share).

    Examples
    --------
    >>> value_tiers([5.0, 1.0], cuts=[0.5], labels=["gold", "iron"]).tier.tolist()
    ['gold', 'iron']
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "value", "tier")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "value": "money",
        "value_total": "money",
        "value_share": "share",
    }
    _plot: ClassVar[str] = "customer_pyramid"

    customer: npt.NDArray[Any]
    value: FloatArray
    tier: npt.NDArray[np.str_]
    labels: tuple[str, ...]
    customers: Mapping[str, int] = attrs.field(converter=frozen_mapping)
    value_total: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    value_share: Mapping[str, float] = attrs.field(converter=frozen_mapping)


def value_tiers(
    values: npt.ArrayLike,
    *,
    cuts: Sequence[float] = (0.01, 0.05, 0.20),
    labels: Sequence[str] = ("top", "big", "medium", "small"),
    negative_tier: str | None = None,
    customer: npt.ArrayLike | None = None,
) -> ValueTiers:
    r"""Sort customers into pyramid tiers by value rank (top 1%, next 4%, ...).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per customer: revenue, profit or CLV.
    cuts : sequence of float, default (0.01, 0.05, 0.20)
        Strictly increasing cumulative shares of customers in (0, 1) closing
        each tier but the last: the default is the customer pyramid of Curry
        and Curry (top 1%, big 4%, medium 15%, small 80%).
    labels : sequence of str
        One name per tier, ``len(cuts) + 1``, best first.
    negative_tier : str, optional
        When given, customers with a negative value (profit: they cost more
        than they bring; Zeithaml et al.'s "lead") form this extra tier and
        the share cuts rank only the others.
    customer : array_like, shape (n,), optional
        Customer ids; default positions.

    Returns
    -------
    ValueTiers
        A tier per customer and per-tier customers, value and value share.

    Raises
    ------
    InputError
        On bad values, cuts or labels, a negative tier named like another
        tier, a length mismatch, or a tier total beyond the float64 range
        (about 1.8e308; shares are computed scaled and never overflow).

    Notes
    -----
    A customer whose value is beaten by a share :math:`s` of the ranked
    customers is in tier :math:`|\{c \in cuts : c \le s\}|`; a tied block
    takes its best rank, so equal values share a tier and a tie straddling a
    cut moves up whole.

    References
    ----------
    .. [1] Curry, J. and Curry, A. (2000). *The Customer Marketing Method*. Free Press.
    .. [2] Zeithaml, V. A., Rust, R. T. and Lemon, K. N. (2001). "The customer
       pyramid: creating and serving profitable customers." *California
       Management Review*, 43(4), 118-142.

    Examples
    --------
    Yearly profit of ten customers; two lose money:

    >>> from crmkit.segmentation import value_tiers
    >>> profit = [900.0, 400.0, 120.0, 80.0, 60.0, 40.0, 20.0, 10.0, -30.0, -90.0]
    >>> t = value_tiers(
    ...     profit,
    ...     cuts=(0.125, 0.5),
    ...     labels=("platinum", "gold", "iron"),
    ...     negative_tier="lead",
    ... )
    >>> t.tier.tolist()[:4], t.tier.tolist()[-2:]
    (['platinum', 'gold', 'gold', 'gold'], ['lead', 'lead'])
    >>> t.value_total["lead"]
    -120.0
    """
    function = "value_tiers"
    arr = values_1d(values, field="values", function=function)
    cut_arr = _cuts(cuts, "cuts", function)
    names = _labels(labels, cut_arr.size + 1, "labels", function)
    negative: object = negative_tier
    if negative_tier is not None:
        if not isinstance(negative, str) or not negative or negative in names:
            raise InputError.for_parameter(
                "negative_tier",
                f"a non-empty name different from the tiers {list(names)}",
                negative_tier,
                function=function,
            )
        names = (*names, negative_tier)
    ids = optional_ids(customer, arr.size, function=function)
    tier = np.full(arr.size, len(names) - 1, dtype=np.int64)
    ranked = arr >= 0 if negative_tier is not None else np.ones(arr.size, dtype=np.bool_)
    if ranked.any():
        tier[ranked] = np.searchsorted(cut_arr, _start_share(arr[ranked]), side="right")
    counts = bincount(tier, minlength=len(names))
    sums = _class_sums(
        tier, arr, names, field="values", function=function, what="tier totals", noun="tier"
    )
    total = safe_sum(arr)
    if total == 0:  # nothing to share: every share is 0, as documented
        share = np.zeros(len(names), dtype=np.float64)
    elif not shares_representable(arr, total):
        largest = max(-float(arr.min()), float(arr.max()))
        raise cancellation_error("values", function=function, total=total, largest=largest)
    else:
        share = group_shares(tier, arr, len(names), total)
    return ValueTiers(
        customer=ids,
        value=arr,
        tier=as_readonly(np.asarray(names)[tier]),
        labels=names,
        customers={n: int(c) for n, c in zip(names, counts, strict=True)},
        value_total={n: float(s) for n, s in zip(names, sums, strict=True)},
        value_share={n: float(s) for n, s in zip(names, share, strict=True)},
    )


@attrs.frozen
class Quantile:
    """A threshold at a quantile of the values, e.g. ``Quantile(0.5)`` for the median.

    Examples
    --------
    >>> Quantile(0.75).q
    0.75
    """

    q: float = attrs.field()

    @q.validator
    def _check(self, _attribute: attrs.Attribute[float], value: object) -> None:
        _params.probability(value, name="q", function="Quantile", high_open=True)


def _absolute_value(value: object) -> float:
    return _params.number(value, name="value", function="Absolute")


@attrs.frozen
class Absolute:
    """A threshold at a fixed value, e.g. ``Absolute(1000.0)`` (in the values' unit).

    Examples
    --------
    >>> Absolute(250.0).value
    250.0
    """

    value: float = attrs.field(converter=_absolute_value)


def _cut(values: FloatArray, threshold: Quantile | Absolute, field: str, function: str) -> float:
    if isinstance(threshold, Quantile):
        return float(np.quantile(values, threshold.q, method="inverted_cdf"))
    if isinstance(threshold, Absolute):
        return threshold.value
    raise InputError.for_parameter(
        field, "a Quantile(q) or an Absolute(value)", threshold, function=function
    )


@attrs.frozen(kw_only=True, repr=False)
class ValueMatrix(Result):
    """Current value x potential value quadrants.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids.
    current, potential : ndarray of float64, shape (n,)
        The two values.
    quadrant : ndarray of str, shape (n,)
        ``"core"`` (high current, high potential), ``"maintain"`` (high, low),
        ``"grow"`` (low, high) or ``"deprioritise"`` (low, low).
    current_cut, potential_cut : float
        The resolved thresholds; "high" means strictly above.
    customers : dict of str to int
        Customers per quadrant.
    current_total : dict of str to float
        Current value per quadrant.

    Examples
    --------
    >>> m = value_potential_matrix(
    ...     [9.0, 1.0], [1.0, 9.0], current_threshold=Absolute(5), potential_threshold=Absolute(5)
    ... )
    >>> m.quadrant.tolist()
    ['maintain', 'grow']
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "current", "potential", "quadrant")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "current": "money",
        "potential": "money",
        "current_cut": "money",
        "potential_cut": "money",
        "current_total": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = _table
    _plot: ClassVar[str] = "value_potential_chart"

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        quadrant, current = rows["quadrant"], rows["current"]
        return rows | {
            "customers": count_labels(quadrant, QUADRANTS),
            "current_total": {q: float(current[quadrant == q].sum()) for q in QUADRANTS},
        }

    customer: npt.NDArray[Any]
    current: FloatArray
    potential: FloatArray
    quadrant: npt.NDArray[np.str_]
    current_cut: float
    potential_cut: float
    customers: Mapping[str, int] = attrs.field(converter=frozen_mapping)
    current_total: Mapping[str, float] = attrs.field(converter=frozen_mapping)


QUADRANTS = ("core", "maintain", "grow", "deprioritise")


def value_potential_matrix(
    current: npt.ArrayLike,
    potential: npt.ArrayLike,
    *,
    current_threshold: Quantile | Absolute,
    potential_threshold: Quantile | Absolute,
    customer: npt.ArrayLike | None = None,
) -> ValueMatrix:
    """Place customers in the current-value x potential-value matrix.

    Parameters
    ----------
    current : array_like of float, shape (n,)
        Current value per customer (revenue or profit this year, CLV, ...).
    potential : array_like of float, shape (n,)
        Potential per customer, e.g. the wallet gap from :func:`share_of_wallet`.
    current_threshold, potential_threshold : Quantile or Absolute
        Where "high" starts: a quantile of the values (``Quantile(0.5)``, the
        median) or a fixed value (``Absolute(1000.0)``).
    customer : array_like, shape (n,), optional
        Customer ids; default positions.

    Returns
    -------
    ValueMatrix
        A quadrant per customer and the counts and current value per quadrant.

    Raises
    ------
    InputError
        On bad values, a length mismatch, a threshold of the wrong type, or a
        quadrant's current value beyond the float64 range (about 1.8e308).

    Notes
    -----
    High means strictly above the cut, so customers tied at a quantile cut
    are all "low" together. Quantile cuts use the inverted-CDF (lower) quantile.

    References
    ----------
    .. [1] Peppers, D. and Rogers, M. (2004). *Managing Customer Relationships:
       A Strategic Framework*. Wiley (actual vs potential value).

    Examples
    --------
    >>> from crmkit.segmentation import Absolute, Quantile, value_potential_matrix
    >>> m = value_potential_matrix(
    ...     [900.0, 850.0, 40.0, 30.0],
    ...     [2000.0, 10.0, 1500.0, 5.0],
    ...     current_threshold=Quantile(0.5),
    ...     potential_threshold=Absolute(100.0),
    ... )
    >>> m.quadrant.tolist()
    ['core', 'maintain', 'grow', 'deprioritise']
    """
    function = "value_potential_matrix"
    cur = values_1d(current, field="current", function=function)
    pot = values_1d(potential, field="potential", function=function)
    check_same_length({"current": cur.size, "potential": pot.size}, function=function)
    ids = optional_ids(customer, cur.size, function=function)
    c_cut = _cut(cur, current_threshold, "current_threshold", function)
    p_cut = _cut(pot, potential_threshold, "potential_threshold", function)
    high_c = cur > c_cut
    high_p = pot > p_cut
    code = np.where(high_c, np.where(high_p, 0, 1), np.where(high_p, 2, 3))
    counts = bincount(code, minlength=4)
    sums = _class_sums(
        code,
        cur,
        QUADRANTS,
        field="current",
        function=function,
        what="quadrant totals",
        noun="quadrant",
    )
    return ValueMatrix(
        customer=ids,
        current=cur,
        potential=pot,
        quadrant=as_readonly(np.asarray(QUADRANTS)[code]),
        current_cut=c_cut,
        potential_cut=p_cut,
        customers={n: int(c) for n, c in zip(QUADRANTS, counts, strict=True)},
        current_total={n: float(s) for n, s in zip(QUADRANTS, sums, strict=True)},
    )


@attrs.frozen(kw_only=True, repr=False)
class ShareOfWallet(Result):
    """Our share of each customer's category spend, and the spend that goes elsewhere.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids.
    our_spend, category_spend : ndarray of float64, shape (n,)
        Spend with us and total category spend (the estimated wallet).
    share : ndarray of float64, shape (n,)
        ``our_spend / category_spend``, in [0, 1].
    wallet_gap : ndarray of float64, shape (n,)
        ``category_spend - our_spend``: spend with competitors, >= 0.
    overall_share : float
        ``sum(our_spend) / sum(category_spend)``.
    n_capped : int
        Customers whose spend with us exceeded the estimated wallet and whose
        wallet was raised to it (``excess="cap"``).

    Examples
    --------
    >>> share_of_wallet([20.0], [80.0]).wallet_gap.tolist()
    [60.0]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "our_spend",
        "category_spend",
        "share",
        "wallet_gap",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "our_spend": "money",
        "category_spend": "money",
        "share": "share",
        "wallet_gap": "money",
        "overall_share": "share",
    }
    _rows: ClassVar[tuple[str, ...]] = _table
    _plot: ClassVar[str] = "wallet_gap_chart"

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        wallet = float(rows["category_spend"].sum())
        share = float(rows["our_spend"].sum()) / wallet if wallet > 0 else float("nan")
        return rows | {"overall_share": share}

    customer: npt.NDArray[Any]
    our_spend: FloatArray
    category_spend: FloatArray
    share: FloatArray
    wallet_gap: FloatArray
    overall_share: float
    n_capped: int


def share_of_wallet(
    our_spend: npt.ArrayLike,
    category_spend: npt.ArrayLike,
    *,
    customer: npt.ArrayLike | None = None,
    excess: Literal["raise", "cap"] = "raise",
) -> ShareOfWallet:
    """Compute each customer's share of wallet and wallet gap.

    Parameters
    ----------
    our_spend : array_like of float, shape (n,)
        What each customer spent with us, >= 0.
    category_spend : array_like of float, shape (n,)
        Their total spend in the category over the same period (surveyed or
        modelled), > 0.
    customer : array_like, shape (n,), optional
        Customer ids; default positions.
    excess : {"raise", "cap"}
        When our spend exceeds the estimated category spend (an estimate that
        is too low): raise an ``InputError`` naming the rows (default), or
        raise the wallet to our spend and count those customers.

    Returns
    -------
    ShareOfWallet
        ``share`` and ``wallet_gap`` per customer and the overall share.

    Raises
    ------
    InputError
        On negative spend, a category spend <= 0, a length mismatch, or
        spend above the wallet with ``excess="raise"``.

    Notes
    -----
    :math:`SOW_i = s_i / W_i` and :math:`gap_i = W_i - s_i` for our spend
    :math:`s_i` and wallet :math:`W_i`.

    References
    ----------
    .. [1] Du, R. Y., Kamakura, W. A. and Mela, C. F. (2007). "Size and share
       of customer wallet." *Journal of Marketing*, 71(2), 94-113.

    Examples
    --------
    >>> from crmkit.segmentation import share_of_wallet
    >>> w = share_of_wallet([300.0, 50.0], [400.0, 1000.0], customer=["ann", "bob"])
    >>> w.share.tolist(), w.wallet_gap.tolist()
    ([0.75, 0.05], [100.0, 950.0])
    """
    function = "share_of_wallet"
    ours = values_1d(our_spend, field="our_spend", function=function, minimum=0.0)
    wallet = values_1d(
        category_spend, field="category_spend", function=function, minimum=0.0, strict_minimum=True
    )
    check_same_length({"our_spend": ours.size, "category_spend": wallet.size}, function=function)
    excess = cast(
        "Literal['raise', 'cap']",
        _params.choice(excess, ("raise", "cap"), name="excess", function=function),
    )
    ids = optional_ids(customer, ours.size, function=function)
    over = ours > wallet
    n_over = int(np.count_nonzero(over))
    if n_over and excess == "raise":
        pos = np.flatnonzero(over)[:5]
        raise InputError.for_rows(
            "our_spend",
            "must not exceed category_spend",
            positions=pos.tolist(),
            values=ours[pos].tolist(),
            n_bad=n_over,
            function=function,
            hint="The wallet estimate is too low for these customers; fix it or pass "
            "excess='cap' to raise the wallet to the spend with us.",
        )
    if n_over:
        wallet = np.maximum(wallet, ours)
    return ShareOfWallet(
        customer=ids,
        our_spend=ours,
        category_spend=as_readonly(wallet),
        share=as_readonly(ours / wallet),
        wallet_gap=as_readonly(wallet - ours),
        overall_share=_ratio_of_sums(ours, wallet),
        n_capped=n_over,
    )


def _ratio_of_sums(numerator: FloatArray, denominator: FloatArray) -> float:
    """``sum(numerator) / sum(denominator)``, summed scaled when a sum is beyond float64."""
    top, bottom = safe_sum(numerator), safe_sum(denominator)
    if np.isfinite(top) and np.isfinite(bottom):
        return top / bottom
    shift = sum_shift(denominator)  # denominator >= numerator >= 0 here
    return safe_sum(with_shift(numerator, shift)) / safe_sum(with_shift(denominator, shift))


@attrs.frozen(kw_only=True, repr=False)
class ValueClasses(Result):
    """Most valuable, most growable, below-zero and the rest.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids.
    value_class : ndarray of str, shape (n,)
        Class per customer.
    labels : tuple of str
        Class names (most valuable, most growable, below zero, the rest).
    customers : dict of str to int
        Customers per class.

    Examples
    --------
    >>> value_classes([9.0, 1.0], [0.0, 5.0], [3.0, 1.0], valuable_share=0.5).value_class.tolist()
    ['most valuable', 'most growable']
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "value_class")
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id"}
    _rows: ClassVar[tuple[str, ...]] = _table

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        return rows | {"customers": count_labels(rows["value_class"], self.labels)}

    customer: npt.NDArray[Any]
    value_class: npt.NDArray[np.str_]
    labels: tuple[str, ...]
    customers: Mapping[str, int] = attrs.field(converter=frozen_mapping)


def value_classes(
    current: npt.ArrayLike,
    potential: npt.ArrayLike,
    profit: npt.ArrayLike,
    *,
    valuable_share: float = 0.2,
    growable_share: float = 0.2,
    labels: Sequence[str] = ("most valuable", "most growable", "below zero", "migrators"),
    customer: npt.ArrayLike | None = None,
) -> ValueClasses:
    """Classify customers as most valuable, most growable, below zero or the rest.

    Parameters
    ----------
    current : array_like of float, shape (n,)
        Current (actual) value per customer.
    potential : array_like of float, shape (n,)
        Unrealised potential per customer (e.g. wallet gap).
    profit : array_like of float, shape (n,)
        Profit per customer after the cost to serve; negative = below zero.
    valuable_share : float, default 0.2
        Share in (0, 1] of the customers with profit >= 0 that are "most
        valuable", by current value.
    growable_share : float, default 0.2
        Share in (0, 1] of the remaining customers that are "most growable",
        by potential.
    labels : sequence of 4 str
        Names for most valuable, most growable, below zero and the rest.
    customer : array_like, shape (n,), optional
        Customer ids; default positions.

    Returns
    -------
    ValueClasses
        A class per customer.

    Raises
    ------
    InputError
        On bad values, shares outside (0, 1], bad labels or a length mismatch.

    Notes
    -----
    Order of precedence: below zero (profit < 0), then most valuable, then
    most growable, then the rest. Shares are by rank with ties kept together
    (a tied block straddling the cut is included whole).

    References
    ----------
    .. [1] Peppers, D. and Rogers, M. (1993). *The One to One Future*.
       Currency Doubleday (MVCs, MGCs and below-zeros).

    Examples
    --------
    >>> from crmkit.segmentation import value_classes
    >>> c = value_classes(
    ...     current=[1000.0, 80.0, 60.0, 50.0, 40.0],
    ...     potential=[100.0, 2000.0, 30.0, 10.0, 500.0],
    ...     profit=[300.0, 20.0, -15.0, 5.0, 8.0],
    ...     valuable_share=0.25,
    ...     growable_share=0.3,
    ... )
    >>> c.value_class.tolist()
    ['most valuable', 'most growable', 'below zero', 'migrators', 'migrators']
    """
    function = "value_classes"
    cur = values_1d(current, field="current", function=function)
    pot = values_1d(potential, field="potential", function=function)
    prof = values_1d(profit, field="profit", function=function)
    check_same_length(
        {"current": cur.size, "potential": pot.size, "profit": prof.size}, function=function
    )
    v_share = _params.probability(
        valuable_share, name="valuable_share", function=function, low_open=True
    )
    g_share = _params.probability(
        growable_share, name="growable_share", function=function, low_open=True
    )
    names = _labels(labels, 4, "labels", function)
    ids = optional_ids(customer, cur.size, function=function)
    klass = np.full(cur.size, 3, dtype=np.int64)
    below = prof < 0
    klass[below] = 2
    rest = np.flatnonzero(~below)
    if rest.size:
        top = _start_share(cur[rest]) < v_share
        klass[rest[top]] = 0
        rest = rest[~top]
    if rest.size:
        grow = _start_share(pot[rest]) < g_share
        klass[rest[grow]] = 1
    counts = bincount(klass, minlength=4)
    return ValueClasses(
        customer=ids,
        value_class=as_readonly(np.asarray(names)[klass]),
        labels=names,
        customers={n: int(c) for n, c in zip(names, counts, strict=True)},
    )
