"""Profitability views: the whale curve, the customers to fix, profit per segment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_amounts, as_ids, as_readonly, check_same_length, to_array
from crmkit._params import instance
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit._values import bad_rows_error
from crmkit.errors import InputError
from crmkit.roi._profit._pnl import CustomerPnL

__all__ = [
    "SegmentProfit",
    "UnprofitableCustomers",
    "WhaleCurve",
    "profit_by_segment",
    "unprofitable_customers",
    "whale_curve",
]

FloatArray = npt.NDArray[np.float64]
NEGATIVE_MARGIN: Final = "negative gross margin"
DIRECT: Final = "direct cost"


@attrs.frozen(kw_only=True, repr=False)
class WhaleCurve(Result):
    """Cumulative profit by customers ranked from most to least profitable.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids, most profitable first (ties by id).
    profit : ndarray of float64, shape (n,)
        Their profit (or whatever value was ranked, e.g. CLV).
    cumulative_profit : ndarray of float64, shape (n,)
        Running sum of ``profit``.
    share_of_customers : ndarray of float64, shape (n,)
        ``rank / n`` (rank counted from 1).
    share_of_total_profit : ndarray of float64, shape (n,)
        ``cumulative_profit / total_profit``; NaN when the total is <= 0.
    total_profit : float
        Sum over all customers (the curve's end point).
    peak_profit : float
        Highest point of the curve (0 when every customer loses money).
    peak_customers : int
        Number of top customers at the peak (the first rank reaching it).
    peak_share_of_customers : float
        ``peak_customers / n``.
    peak_share_of_total : float
        ``peak_profit / total_profit`` (the "150-300%" figure); NaN when the
        total is <= 0.
    tail_give_back : float
        ``peak_profit - total_profit``: what the customers after the peak give back.
    n_unprofitable : int
        Customers with profit < 0.

    Examples
    --------
    >>> whale_curve([3.0, -1.0, 2.0]).cumulative_profit.tolist()
    [3.0, 5.0, 4.0]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "profit",
        "cumulative_profit",
        "share_of_customers",
        "share_of_total_profit",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "profit": "money",
        "cumulative_profit": "money",
        "share_of_customers": "share",
        "share_of_total_profit": "share",
        "total_profit": "money",
        "peak_profit": "money",
        "peak_share_of_customers": "share",
        "peak_share_of_total": "share",
        "tail_give_back": "money",
    }
    _plot: ClassVar[str] = "whale_chart"

    customer: npt.NDArray[Any]
    profit: FloatArray
    cumulative_profit: FloatArray
    share_of_customers: FloatArray
    share_of_total_profit: FloatArray
    total_profit: float
    peak_profit: float
    peak_customers: int
    peak_share_of_customers: float
    peak_share_of_total: float
    tail_give_back: float
    n_unprofitable: int


def _values(
    values: CustomerPnL | npt.ArrayLike, customer: npt.ArrayLike | None, function: str
) -> tuple[npt.NDArray[Any], FloatArray]:
    if isinstance(values, CustomerPnL):
        if customer is not None:
            raise InputError.for_parameter(
                "customer",
                "None when a CustomerPnL is given (it carries its customers)",
                type(customer).__name__,
                function=function,
            )
        pnl = pnl_value(values, function, name="values")
        return pnl.customer, pnl.profit
    profit, _ = as_amounts(values, field="values", function=function)
    if profit.size == 0:
        raise InputError(
            f"{function} needs at least one customer; got an empty 'values' array.",
            field="values",
            hint="Check the filter that produced the values.",
        )
    if customer is None:
        return np.arange(profit.shape[0], dtype=np.int64), profit
    ids = as_ids(customer, field="customer", function=function)
    check_same_length({"values": profit.shape[0], "customer": ids.shape[0]}, function=function)
    distinct_order(ids, field="customer", function=function)
    return ids, profit


def pnl_value(pnl: object, function: str, name: str = "pnl") -> CustomerPnL:
    """Return *pnl* if it is a ``CustomerPnL`` with at least one customer; refuse it otherwise."""
    checked = instance(pnl, CustomerPnL, name=name, function=function, what="a CustomerPnL")
    if checked.customer.shape[0] == 0:
        raise InputError(
            f"The CustomerPnL given to {function} has no customers.",
            field=name,
            hint="Build it with customer_pnl() from at least one transaction.",
        )
    return checked


def distinct_order(ids: npt.NDArray[Any], *, field: str, function: str) -> npt.NDArray[np.intp]:
    """Return the stable sort order of *ids*, refusing an id that appears twice."""
    order = np.argsort(ids, kind="stable")
    ranked = ids[order]
    repeated = ranked[1:] == ranked[:-1]
    if repeated.any():
        mask = np.zeros(ids.shape[0], dtype=bool)
        mask[order[1:][repeated]] = True
        raise bad_rows_error(
            mask,
            ids,
            field=field,
            requirement="must list each customer once",
            function=function,
            hint="Aggregate to one row per customer first.",
        )
    return order


def whale_curve(
    values: CustomerPnL | npt.ArrayLike, *, customer: npt.ArrayLike | None = None
) -> WhaleCurve:
    r"""Rank customers by profit and accumulate: the whale curve.

    Parameters
    ----------
    values : CustomerPnL or array_like of float, shape (n,)
        A P&L (its ``profit`` is used) or any per-customer value, such as a
        profit-based CLV: finite, not empty, with magnitudes that add up to a
        finite float64 total (so the running sum stays finite).
    customer : array_like, shape (n,), optional
        Distinct ids for an array of values; default positions ``0..n-1``. Not
        allowed with a ``CustomerPnL``.

    Returns
    -------
    WhaleCurve
        The ranked curve with its peak, where it peaks and the tail give-back.

    Raises
    ------
    InputError
        For non-finite values, values whose magnitudes add up past float64's
        range, an empty input, or ids that repeat or are of another length.

    Notes
    -----
    With profits sorted :math:`\pi_{(1)} \ge \dots \ge \pi_{(n)}` the curve is
    :math:`C_k = \sum_{j \le k} \pi_{(j)}` with :math:`C_0 = 0`. It rises while
    customers are profitable, peaks at :math:`\max_k C_k` after the last
    profitable one and falls back to the total :math:`C_n`, so the peak is
    never below the total. Kaplan and Cooper report peaks of 150-300% of total
    profit: the most profitable 20% earn that much and the unprofitable tail
    gives the excess back.

    References
    ----------
    Kaplan, R. S., & Cooper, R. (1998). *Cost & Effect*, ch. 10. Harvard
    Business School Press.

    Examples
    --------
    Five customers; two of them lose money:

    >>> curve = whale_curve([120.0, -30.0, 60.0, 10.0, -60.0], customer=[1, 2, 3, 4, 5])
    >>> curve.customer.tolist()
    [1, 3, 4, 2, 5]
    >>> curve.peak_profit, curve.peak_customers, curve.total_profit
    (190.0, 3, 100.0)
    >>> curve.peak_share_of_total, curve.tail_give_back
    (1.9, 90.0)
    """
    fn = "whale_curve"
    ids, profit = _values(values, customer, fn)
    # most profitable first; ties by ascending id (the lexsort's secondary key)
    order = np.lexsort((ids, -profit))
    ranked = profit[order]
    cum = np.cumsum(ranked)
    n = ranked.shape[0]
    total = float(cum[-1])
    best = int(np.argmax(cum))
    peak = float(cum[best])
    peak_n = best + 1
    if peak <= 0.0:
        peak, peak_n = 0.0, 0
    with np.errstate(all="ignore"):
        share_total = cum / total if total > 0 else np.full(n, np.nan)
    return WhaleCurve(
        customer=as_readonly(ids[order]),
        profit=as_readonly(ranked),
        cumulative_profit=as_readonly(cum),
        share_of_customers=as_readonly(np.arange(1, n + 1, dtype=np.float64) / n),
        share_of_total_profit=as_readonly(share_total),
        total_profit=total,
        peak_profit=peak,
        peak_customers=peak_n,
        peak_share_of_customers=peak_n / n,
        peak_share_of_total=peak / total if total > 0 else float("nan"),
        tail_give_back=peak - total,
        n_unprofitable=int(np.count_nonzero(ranked < 0)),
    )


@attrs.frozen(kw_only=True, repr=False)
class UnprofitableCustomers(Result):
    """The customers who lose money, worst first, with what drives their cost.

    Attributes
    ----------
    customer : ndarray, shape (m,)
        Ids of customers with profit < 0, most negative first.
    profit, revenue, gross_margin, cost_to_serve : ndarray of float64, shape (m,)
        Their P&L figures.
    main_cost_driver : ndarray of str, shape (m,)
        The largest cost line: an activity name, ``"direct cost"``, or
        ``"negative gross margin"`` when the goods themselves lose money and
        there is no cost to serve.
    main_driver_cost : ndarray of float64, shape (m,)
        Cost of that line.
    main_driver_share : ndarray of float64, shape (m,)
        Its share of the cost to serve (NaN when there is none).
    main_driver_vs_average : ndarray of float64, shape (m,)
        Its cost divided by the average of that line over all customers (how
        unusual it is; NaN when the average is 0).
    total_loss : float
        Sum of their (negative) profits.
    n_customers : int
        Customers in the P&L.

    Examples
    --------
    >>> from crmkit.roi import MarginRate, customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1], "timestamp": ["2024-01-01"], "amount": [10.0]},
    ...     margin=MarginRate(rate=0.5),
    ...     direct_costs={"customer": [1], "cost": [8.0]},
    ... )
    >>> unprofitable_customers(pnl).main_cost_driver.tolist()
    ['direct cost']
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "profit",
        "revenue",
        "gross_margin",
        "cost_to_serve",
        "main_cost_driver",
        "main_driver_cost",
        "main_driver_share",
        "main_driver_vs_average",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "profit": "money",
        "revenue": "money",
        "gross_margin": "money",
        "cost_to_serve": "money",
        "main_driver_cost": "money",
        "main_driver_share": "share",
        "main_driver_vs_average": "number",
        "total_loss": "money",
    }

    customer: npt.NDArray[Any]
    profit: FloatArray
    revenue: FloatArray
    gross_margin: FloatArray
    cost_to_serve: FloatArray
    main_cost_driver: npt.NDArray[np.str_]
    main_driver_cost: FloatArray
    main_driver_share: FloatArray
    main_driver_vs_average: FloatArray
    total_loss: float
    n_customers: int


def unprofitable_customers(pnl: CustomerPnL) -> UnprofitableCustomers:
    r"""List the customers with negative profit and the cost line that sinks each.

    Parameters
    ----------
    pnl : CustomerPnL
        The customer P&L.

    Returns
    -------
    UnprofitableCustomers
        Worst first (ties by id), with their main cost driver.

    Raises
    ------
    InputError
        If *pnl* is not a ``CustomerPnL`` or has no customers.

    Notes
    -----
    The main driver of customer :math:`i` is
    :math:`\arg\max_k \text{cost}_{ik}` over the activity lines and the
    direct cost; ``main_driver_vs_average`` is
    :math:`\text{cost}_{ik} / \overline{\text{cost}_{\cdot k}}`, so a value of
    5 reads "five times the average customer's cost on that line".

    Examples
    --------
    >>> from crmkit.roi import MarginRate, customer_pnl
    >>> pnl = customer_pnl(
    ...     {
    ...         "customer": [1, 2, 3],
    ...         "timestamp": ["2024-01-01"] * 3,
    ...         "amount": [500.0, 300.0, 80.0],
    ...     },
    ...     margin=MarginRate(rate=0.5),
    ...     activities={"customer": [1, 2, 3], "visits": [1, 0, 2], "returns": [0, 9, 1]},
    ...     unit_costs={"visits": 100.0, "returns": 20.0},
    ... )
    >>> worst = unprofitable_customers(pnl)
    >>> worst.customer.tolist(), worst.main_cost_driver.tolist()
    ([3, 2], ['visits', 'returns'])
    """
    pnl = pnl_value(pnl, "unprofitable_customers")
    names = [*pnl.activity_costs, DIRECT]
    lines = np.column_stack([*pnl.activity_costs.values(), pnl.direct_cost])
    bad = np.flatnonzero(pnl.profit < 0)
    order = bad[np.lexsort((pnl.customer[bad], pnl.profit[bad]))]
    sub = lines[order]
    which = np.argmax(sub, axis=1) if sub.size else np.zeros(0, dtype=np.int64)
    driver_cost = sub[np.arange(order.size), which] if sub.size else np.zeros(0)
    label = np.asarray(names, dtype=str)[which] if order.size else np.zeros(0, dtype=str)
    label = np.where(driver_cost > 0, label, NEGATIVE_MARGIN)
    cts = pnl.cost_to_serve[order]
    average = lines.mean(axis=0)
    with np.errstate(all="ignore"):
        share = np.where(cts > 0, driver_cost / cts, np.nan)
        avg = average[which] if order.size else np.zeros(0)
        vs_avg = np.where((avg > 0) & (driver_cost > 0), driver_cost / avg, np.nan)
    return UnprofitableCustomers(
        customer=as_readonly(pnl.customer[order]),
        profit=as_readonly(pnl.profit[order]),
        revenue=as_readonly(pnl.revenue[order]),
        gross_margin=as_readonly(pnl.gross_margin[order]),
        cost_to_serve=as_readonly(cts),
        main_cost_driver=as_readonly(label),
        main_driver_cost=as_readonly(np.asarray(driver_cost, dtype=np.float64)),
        main_driver_share=as_readonly(share),
        main_driver_vs_average=as_readonly(vs_avg),
        total_loss=float(pnl.profit[order].sum()),
        n_customers=int(pnl.customer.shape[0]),
    )


@attrs.frozen(kw_only=True, repr=False)
class SegmentProfit(Result):
    """P&L totals per segment.

    Attributes
    ----------
    segment : ndarray, shape (s,)
        Segment labels, sorted.
    n_customers, n_unprofitable : ndarray of int64, shape (s,)
        Customers in the segment, and those with profit < 0.
    revenue, gross_margin, cost_to_serve, profit : ndarray of float64, shape (s,)
        Segment totals.
    profit_per_customer : ndarray of float64, shape (s,)
        ``profit / n_customers``.
    share_of_profit : ndarray of float64, shape (s,)
        ``profit / total profit``; NaN when the total is <= 0.
    total_profit : float
        Sum over all segments.

    Examples
    --------
    >>> from crmkit.roi import MarginRate, customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [10.0, 30.0]},
    ...     margin=MarginRate(rate=0.5),
    ... )
    >>> profit_by_segment(pnl, segment=["a", "a"]).profit_per_customer.tolist()
    [10.0]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "segment",
        "n_customers",
        "n_unprofitable",
        "revenue",
        "gross_margin",
        "cost_to_serve",
        "profit",
        "profit_per_customer",
        "share_of_profit",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "segment": "id",
        "revenue": "money",
        "gross_margin": "money",
        "cost_to_serve": "money",
        "profit": "money",
        "profit_per_customer": "money",
        "total_profit": "money",
        "share_of_profit": "share",
    }
    _plot: ClassVar[str] = "segment_profit_chart"

    segment: npt.NDArray[Any]
    n_customers: npt.NDArray[np.int64]
    n_unprofitable: npt.NDArray[np.int64]
    revenue: FloatArray
    gross_margin: FloatArray
    cost_to_serve: FloatArray
    profit: FloatArray
    profit_per_customer: FloatArray
    share_of_profit: FloatArray
    total_profit: float


def profit_by_segment(
    pnl: CustomerPnL,
    *,
    segment: npt.ArrayLike,
    segment_customer: npt.ArrayLike | None = None,
) -> SegmentProfit:
    r"""Total the customer P&L per segment (RFM segment, tier, region, ...).

    Parameters
    ----------
    pnl : CustomerPnL
        The customer P&L.
    segment : array_like of str or int
        One label per customer: aligned with ``pnl.customer`` when
        *segment_customer* is None, else with *segment_customer*.
    segment_customer : array_like, optional
        Customer id of each label, each id once; every P&L customer needs one
        (labels of customers outside the P&L are not used).

    Returns
    -------
    SegmentProfit
        Totals, profit per customer and share of profit per segment.

    Raises
    ------
    InputError
        For a *pnl* that is not a ``CustomerPnL``, empty or null labels,
        labels of the wrong length, a customer labelled twice, or P&L
        customers without a label (listed).

    Notes
    -----
    :math:`\Pi_s = \sum_{i \in s} \pi_i`; shares divide by
    :math:`\sum_s \Pi_s`.

    Examples
    --------
    >>> from crmkit.roi import MarginRate, customer_pnl
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2, 3], "timestamp": ["2024-05-01"] * 3, "amount": [90.0, 40, 10]},
    ...     margin=MarginRate(rate=1.0),
    ... )
    >>> by = profit_by_segment(pnl, segment=["champions", "at risk", "at risk"])
    >>> by.segment.tolist(), by.profit.tolist()
    (['at risk', 'champions'], [50.0, 90.0])
    """
    fn = "profit_by_segment"
    pnl = pnl_value(pnl, fn)
    labels = as_ids(segment, field="segment", function=fn)
    not_empty(labels, "segment", fn)
    n = pnl.customer.shape[0]
    if segment_customer is None:
        check_same_length({"pnl.customer": n, "segment": labels.shape[0]}, function=fn)
    else:
        owners = as_ids(segment_customer, field="segment_customer", function=fn)
        not_empty(owners, "segment_customer", fn)
        check_same_length(
            {"segment": labels.shape[0], "segment_customer": owners.shape[0]}, function=fn
        )
        labels = _align(pnl.customer, owners, labels, fn)
    groups = factorize(labels)
    k = groups.n_groups

    def total(values: FloatArray) -> FloatArray:
        return bincount(groups.codes, weights=values, minlength=k).astype(np.float64)

    count = bincount(groups.codes, minlength=k).astype(np.int64)
    profit = total(pnl.profit)
    grand = float(pnl.profit.sum())
    share = profit / grand if grand > 0 else np.full(k, np.nan)
    return SegmentProfit(
        segment=as_readonly(groups.uniques),
        n_customers=as_readonly(count),
        n_unprofitable=as_readonly(
            bincount(groups.codes[pnl.profit < 0], minlength=k).astype(np.int64)
        ),
        revenue=as_readonly(total(pnl.revenue)),
        gross_margin=as_readonly(total(pnl.gross_margin)),
        cost_to_serve=as_readonly(total(pnl.cost_to_serve)),
        profit=as_readonly(profit),
        profit_per_customer=as_readonly(profit / count),
        share_of_profit=as_readonly(share),
        total_profit=grand,
    )


def not_empty(values: npt.NDArray[Any], field: str, function: str) -> None:
    """Refuse an empty column that should hold a value per P&L customer."""
    if values.shape[0] == 0:
        raise InputError(
            f"The {field!r} column of {function} is empty; it needs a value per P&L customer.",
            field=field,
            hint="Check the filter that produced it.",
        )


def _align(
    customers: npt.NDArray[Any],
    owners: npt.NDArray[Any],
    labels: npt.NDArray[Any],
    function: str,
    *,
    field: str = "segment",
    owner_field: str = "segment_customer",
) -> npt.NDArray[Any]:
    """Return one label per entry of sorted, unique *customers*, looked up by *owners*."""
    if owners.dtype.kind != customers.dtype.kind:
        kind = "integer" if customers.dtype.kind == "i" else "string"
        raise InputError(
            f"The {owner_field!r} ids of {function} must be of the same kind as the P&L's "
            f"customer ids ({kind} ids).",
            field=owner_field,
            hint="Convert the ids to one type (e.g. all strings) before calling.",
        )
    order = distinct_order(owners, field=owner_field, function=function)
    sorted_owners = owners[order]
    where = np.searchsorted(sorted_owners, customers)
    where = np.clip(where, 0, max(sorted_owners.shape[0] - 1, 0))
    found = sorted_owners.shape[0] > 0
    hit = sorted_owners[where] == customers if found else np.zeros(customers.shape[0], dtype=bool)
    if not hit.all():
        missing = np.flatnonzero(~hit)
        raise InputError.for_rows(
            field,
            "must give a value to every P&L customer",
            positions=missing.tolist(),
            values=to_array(customers[missing]).tolist(),
            n_bad=int(missing.size),
            function=function,
            kind="parameter",
            hint=f"Give every P&L customer a {field} value.",
        )
    return labels[order[where]]
