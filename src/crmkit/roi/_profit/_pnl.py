"""Customer input-output: a profit-and-loss line per customer with activity-based cost to serve."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_finite_float, as_ids, as_readonly, to_array
from crmkit._results import Kind, Result, frozen_mapping
from crmkit._tables import read_table
from crmkit._transactions import Transactions, as_transactions
from crmkit.errors import InputError

__all__ = ["CostColumn", "CustomerPnL", "MarginRate", "customer_pnl"]

_FN: Final = "customer_pnl"
FloatArray = npt.NDArray[np.float64]


@attrs.frozen(kw_only=True)
class CostColumn:
    """Gross margin from a cost-of-goods column on the transactions.

    Attributes
    ----------
    column : str
        Name of the transaction column holding the cost of goods of each row
        (negative on a refund row when the goods come back).

    Examples
    --------
    >>> CostColumn(column="cogs").column
    'cogs'
    """

    column: str


def _check_rate(value: object, name: str) -> None:
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) and np.isfinite(value) and value <= 1
    ):
        raise InputError.for_parameter(name, "a finite number <= 1", value, function="MarginRate")


def _validate_rate(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, Mapping):
        if not value:
            raise InputError.for_parameter(
                "rate", "a number or a non-empty mapping", dict(value), function="MarginRate"
            )
        for key, rate in value.items():
            _check_rate(rate, f"rate[{key!r}]")
    else:
        _check_rate(value, "rate")


def _rate_converter(value: float | Mapping[str, float]) -> float | Mapping[str, float]:
    if isinstance(value, Mapping):
        return types.MappingProxyType({str(k): v for k, v in value.items()})
    return value


@attrs.frozen(kw_only=True)
class MarginRate:
    """Gross margin as a share of revenue, overall or per product (or any category).

    Attributes
    ----------
    rate : float or mapping of str to float
        Gross margin rate (gross margin / revenue), at most 1; negative rates
        (goods sold below cost) are allowed. A mapping gives one rate per value
        of the transaction column *by*.
    by : str or None
        The transaction column the mapping is keyed on (e.g. ``"product"``);
        required with a mapping, not allowed with a single rate.

    Examples
    --------
    >>> MarginRate(rate={"books": 0.3, "music": 0.45}, by="product").by
    'product'
    """

    rate: float | Mapping[str, float] = attrs.field(
        converter=_rate_converter, validator=_validate_rate
    )
    by: str | None = None

    def __attrs_post_init__(self) -> None:
        if isinstance(self.rate, Mapping) and self.by is None:
            raise InputError.for_parameter(
                "by",
                "the name of the column the rates are keyed on when rate is a mapping",
                None,
                function="MarginRate",
            )
        if not isinstance(self.rate, Mapping) and self.by is not None:
            raise InputError.for_parameter(
                "by", "None when rate is a single number", self.by, function="MarginRate"
            )


@attrs.frozen(kw_only=True, repr=False)
class CustomerPnL(Result):
    """One profit-and-loss line per customer.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids, sorted ascending: every customer with a transaction, an
        activity count or a direct cost.
    n_purchases : ndarray of int64, shape (n,)
        Transaction rows with a positive amount.
    revenue : ndarray of float64, shape (n,)
        Net revenue (refunds subtract).
    cost_of_goods, gross_margin : ndarray of float64, shape (n,)
        ``gross_margin = revenue - cost_of_goods``.
    activity_counts : mapping of str to ndarray of float64
        Activity name -> count per customer (missing counts are zero).
    activity_costs : mapping of str to ndarray of float64
        Activity name -> count x unit cost per customer.
    direct_cost : ndarray of float64, shape (n,)
        Costs assigned directly to the customer.
    cost_to_serve : ndarray of float64, shape (n,)
        Sum of the activity costs and the direct cost.
    profit : ndarray of float64, shape (n,)
        ``gross_margin - cost_to_serve``.
    profit_margin : ndarray of float64, shape (n,)
        ``profit / revenue``; NaN where revenue <= 0 (undefined).
    return_on_cost_to_serve : ndarray of float64, shape (n,)
        ``profit / cost_to_serve``; NaN where cost to serve is 0.
    unit_costs : mapping of str to float
        The unit-cost table used.
    n_without_transactions : int
        Customers that only appear in the activity or direct-cost tables.
    n_counts_filled : int
        Null activity counts that were read as zero.

    Examples
    --------
    >>> pnl = customer_pnl(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [100.0, 40.0]},
    ...     margin=MarginRate(rate=0.25),
    ... )
    >>> pnl.gross_margin.tolist(), pnl.total_profit
    ([25.0, 10.0], 35.0)
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "n_purchases",
        "revenue",
        "cost_of_goods",
        "gross_margin",
        "direct_cost",
        "cost_to_serve",
        "profit",
        "profit_margin",
        "return_on_cost_to_serve",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "revenue": "money",
        "cost_of_goods": "money",
        "gross_margin": "money",
        "direct_cost": "money",
        "cost_to_serve": "money",
        "profit": "money",
        "activity_costs": "money",
        "unit_costs": "money",
        "profit_margin": "share",
        "return_on_cost_to_serve": "number",
        "activity_counts": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = (
        "customer",
        "n_purchases",
        "revenue",
        "cost_of_goods",
        "gross_margin",
        "activity_counts",
        "activity_costs",
        "direct_cost",
        "cost_to_serve",
        "profit",
        "profit_margin",
        "return_on_cost_to_serve",
    )
    _plot: ClassVar[str] = "pnl_waterfall"

    def _column_kinds(self) -> dict[str, Kind]:
        return {**self._kinds, **{f"cost_{name}": "money" for name in self.activity_costs}}

    customer: npt.NDArray[Any]
    n_purchases: npt.NDArray[np.int64]
    revenue: FloatArray
    cost_of_goods: FloatArray
    gross_margin: FloatArray
    activity_counts: Mapping[str, FloatArray] = attrs.field(converter=frozen_mapping)
    activity_costs: Mapping[str, FloatArray] = attrs.field(converter=frozen_mapping)
    direct_cost: FloatArray
    cost_to_serve: FloatArray
    profit: FloatArray
    profit_margin: FloatArray
    return_on_cost_to_serve: FloatArray
    unit_costs: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    n_without_transactions: int
    n_counts_filled: int

    @property
    def total_profit(self) -> float:
        """Sum of customer profit."""
        return float(self.profit.sum())

    @property
    def total_revenue(self) -> float:
        """Sum of customer revenue."""
        return float(self.revenue.sum())

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the P&L columns, one ``cost_<activity>`` column per activity.

        Returns
        -------
        dict of str to ndarray
            The fields of ``_table`` with the activity cost lines inserted
            before ``direct_cost``.
        """
        out: dict[str, npt.NDArray[Any]] = {}
        for name in self._table:
            if name == "direct_cost":
                for activity, cost in self.activity_costs.items():
                    out[f"cost_{activity}"] = cost
            out[name] = getattr(self, name)
        return out


def _sum_by(codes: npt.NDArray[np.int64], weights: FloatArray, k: int) -> FloatArray:
    return np.bincount(codes, weights=weights, minlength=k).astype(np.float64, copy=False)


def _counts(values: object, name: str) -> tuple[FloatArray, int]:
    arr = to_array(values)
    filled = 0
    if arr.dtype.kind == "O":
        nulls = np.fromiter(
            (v is None or (isinstance(v, float) and v != v) for v in arr),  # noqa: PLR0124
            dtype=bool,
            count=arr.size,
        )
        if nulls.any():
            arr = arr.copy()
            arr[nulls] = 0.0
            filled = int(nulls.sum())
    elif arr.dtype.kind == "f":
        nan = np.isnan(arr)
        if nan.any():
            arr = np.where(nan, 0.0, arr)
            filled = int(nan.sum())
    out = as_finite_float(arr, field=name, function=_FN, minimum=0.0)
    return out, filled


def _check_names(counts: list[str], unit_costs: Mapping[str, float]) -> None:
    unknown_counts = sorted(set(counts) - set(unit_costs))
    unknown_costs = sorted(set(unit_costs) - set(counts))
    if unknown_counts or unknown_costs:
        parts = []
        if unknown_counts:
            parts.append(f"activities counted but without a unit cost: {unknown_counts}")
        if unknown_costs:
            parts.append(f"unit costs for activities that are not counted: {unknown_costs}")
        raise InputError(
            f"The activity names of {_FN} must match between the counts and the unit-cost "
            f"table; {'; '.join(parts)}.",
            field="unit_costs",
            hint="Give every counted activity a unit cost (0 if it is free), and count every "
            "activity the unit-cost table prices (a column of zeros if none happened).",
        )


def _unit_costs(unit_costs: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, cost in unit_costs.items():
        if isinstance(cost, bool) or not isinstance(cost, (int, float, np.number)):
            raise InputError.for_parameter(
                f"unit_costs[{name!r}]", "a number >= 0", cost, function=_FN
            )
        value = float(cost)
        if not np.isfinite(value) or value < 0:
            raise InputError.for_parameter(
                f"unit_costs[{name!r}]", "a finite number >= 0", cost, function=_FN
            )
        out[str(name)] = value
    return out


def _margin_cost(tx: Transactions, margin: CostColumn | MarginRate) -> FloatArray:
    """Return the cost of goods per transaction row."""
    if isinstance(margin, CostColumn):
        if margin.column not in tx.extra:
            raise InputError(
                f"The cost column {margin.column!r} of {_FN} is not among the transaction "
                f"columns {sorted(tx.extra)}.",
                field=margin.column,
                hint="Pass the transactions as a frame or mapping holding that column, or "
                "build Transactions with extra={...: ...}.",
            )
        return as_finite_float(tx.extra[margin.column], field=margin.column, function=_FN)
    if not isinstance(margin.rate, Mapping):
        return tx.amount * (1.0 - float(margin.rate))
    by = margin.by
    if by is None or by not in tx.extra:
        raise InputError(
            f"The margin column {by!r} of {_FN} is not among the transaction columns "
            f"{sorted(tx.extra)}.",
            field=str(by),
        )
    keys = as_ids(tx.extra[by], field=by, function=_FN)
    rates = margin.rate
    if keys.dtype.kind != "U":
        keys = keys.astype(str)
    # few categories: binary search in the sorted rate keys, no factorizing of the rows
    names = np.array(sorted(rates), dtype=str)
    table = np.array([float(rates[name]) for name in names.tolist()], dtype=np.float64)
    where = np.clip(np.searchsorted(names, keys), 0, names.size - 1)
    known = names[where] == keys
    if not known.all():
        positions = np.flatnonzero(~known)
        missing = sorted(set(keys[positions].tolist()))
        raise InputError.for_rows(
            by,
            f"must hold only values with a margin rate ({names.tolist()})",
            positions=positions[:5].tolist(),
            values=keys[positions[:5]].tolist(),
            n_bad=int(positions.size),
            function=_FN,
            hint=f"Add rates for {missing[:10]} to MarginRate.rate.",
        )
    return tx.amount * (1.0 - table[where])


def _as_tx(transactions: object, margin: CostColumn | MarginRate) -> Transactions:
    if isinstance(transactions, Transactions):
        return transactions
    extra: list[str] = []
    if isinstance(margin, CostColumn):
        extra.append(margin.column)
    elif margin.by is not None:
        extra.append(margin.by)
    return as_transactions(transactions, extra=extra)


def customer_pnl(
    transactions: object,
    *,
    margin: CostColumn | MarginRate,
    activities: object | None = None,
    unit_costs: Mapping[str, float] | None = None,
    direct_costs: object | None = None,
    activity_customer: str = "customer",
    direct_cost_column: str = "cost",
) -> CustomerPnL:
    r"""Build each customer's profit-and-loss line with activity-based cost to serve.

    Parameters
    ----------
    transactions : Transactions, DataFrame, mapping of columns or records
        Purchases with ``customer``, ``timestamp`` and ``amount`` (refunds
        negative), plus the cost-of-goods or category column *margin* needs.
    margin : CostColumn or MarginRate
        How gross margin is found: a per-transaction cost-of-goods column, or a
        margin rate (overall or per category value). No default: it changes
        every figure.
    activities : DataFrame or mapping of columns, optional
        One row per customer (or several, which are added): the
        *activity_customer* column and one count column per activity (sales
        visits, orders, service tickets, returns, ...). Null counts and
        customers without a row count as zero.
    unit_costs : mapping of str to float, optional
        Cost of one unit of each activity, >= 0. Its names must be exactly the
        activity columns; required when *activities* is given.
    direct_costs : DataFrame or mapping of columns, optional
        Costs assigned straight to customers (key-account manager, rebates,
        credit losses): the *activity_customer* column and
        *direct_cost_column*, several rows per customer allowed, values >= 0.
    activity_customer : str
        Name of the customer column in *activities* and *direct_costs*.
    direct_cost_column : str
        Name of the cost column in *direct_costs*.

    Returns
    -------
    CustomerPnL
        Revenue, cost of goods, gross margin, each activity cost line, direct
        cost, cost to serve, profit, profit margin and return on cost to serve
        per customer, sorted by customer id.

    Raises
    ------
    InputError
        For negative counts, costs or unit costs, activity names that appear in
        only one of the counts and the unit-cost table (all listed), customer
        ids of different kinds across the tables, or a missing column.

    Notes
    -----
    For customer :math:`i` with activity counts :math:`n_{ik}` and unit costs
    :math:`c_k` (activity-based costing, Kaplan & Cooper 1998):

    .. math::

        \mathrm{CTS}_i = \sum_k n_{ik} c_k + D_i, \qquad
        \pi_i = (R_i - \mathrm{COGS}_i) - \mathrm{CTS}_i,

    the profit margin is :math:`\pi_i / R_i` and the return on the resources
    invested in the customer :math:`\pi_i / \mathrm{CTS}_i`.

    References
    ----------
    Kaplan, R. S., & Cooper, R. (1998). *Cost & Effect: Using Integrated Cost
    Systems to Drive Profitability and Performance*. Harvard Business School Press.

    Examples
    --------
    Ann buys more than Bob, but Bob costs little to serve:

    >>> pnl = customer_pnl(
    ...     {
    ...         "customer": ["ann", "ann", "bob"],
    ...         "timestamp": ["2024-01-02", "2024-03-01", "2024-02-01"],
    ...         "amount": [900.0, 600.0, 400.0],
    ...     },
    ...     margin=MarginRate(rate=0.4),
    ...     activities={
    ...         "customer": ["ann", "bob"],
    ...         "sales_visits": [3, 0],
    ...         "service_tickets": [5, 1],
    ...     },
    ...     unit_costs={"sales_visits": 150.0, "service_tickets": 25.0},
    ... )
    >>> pnl.profit.tolist()
    [25.0, 135.0]
    >>> pnl.activity_costs["sales_visits"].tolist()
    [450.0, 0.0]
    """
    tx = _as_tx(transactions, margin)
    cogs_rows = _margin_cost(tx, margin)
    if (activities is None) != (unit_costs is None):
        raise InputError.for_parameter(
            "unit_costs" if unit_costs is None else "activities",
            "given together with " + ("'activities'" if unit_costs is not None else "'unit_costs'"),
            None,
            function=_FN,
        )
    costs = _unit_costs(unit_costs) if unit_costs is not None else {}

    id_parts: list[npt.NDArray[Any]] = [tx.customer]
    act_cols: dict[str, FloatArray] = {}
    act_ids: npt.NDArray[Any] | None = None
    filled = 0
    if activities is not None:
        table = read_table(activities, field="activities", function=_FN)
        if activity_customer not in table:
            raise InputError(
                f"The activities table of {_FN} has no customer column {activity_customer!r}; "
                f"its columns are {sorted(table)}.",
                field=activity_customer,
                hint="Name the customer column with activity_customer='<column>'.",
            )
        act_ids = as_ids(table.pop(activity_customer), field=activity_customer, function=_FN)
        _check_names(list(table), costs)
        for name in costs:
            act_cols[name], n_filled = _counts(table[name], name)
            filled += n_filled
        id_parts.append(act_ids)
    dc_ids: npt.NDArray[Any] | None = None
    dc_values: FloatArray | None = None
    if direct_costs is not None:
        dtable = read_table(direct_costs, field="direct_costs", function=_FN)
        for column in (activity_customer, direct_cost_column):
            if column not in dtable:
                raise InputError(
                    f"The direct_costs table of {_FN} has no column {column!r}; "
                    f"its columns are {sorted(dtable)}.",
                    field=column,
                )
        dc_ids = as_ids(dtable[activity_customer], field=activity_customer, function=_FN)
        dc_values = as_finite_float(
            dtable[direct_cost_column], field=direct_cost_column, function=_FN, minimum=0.0
        )
        id_parts.append(dc_ids)

    kinds = {part.dtype.kind for part in id_parts if part.size}
    if len(kinds) > 1:
        raise InputError(
            f"The customer ids given to {_FN} must be of one kind across the transactions, "
            f"activities and direct costs; got both integer and string ids.",
            field=activity_customer,
            hint="Convert the ids to one type (e.g. all strings) before calling.",
        )
    groups = factorize(np.concatenate(id_parts) if len(id_parts) > 1 else id_parts[0])
    k = groups.n_groups
    n_tx = tx.customer.shape[0]
    tx_codes = groups.codes[:n_tx]
    revenue = _sum_by(tx_codes, tx.amount, k)
    cogs = _sum_by(tx_codes, cogs_rows, k)
    n_purchases = np.bincount(tx_codes[tx.amount > 0], minlength=k).astype(np.int64)
    has_tx = np.bincount(tx_codes, minlength=k) > 0

    offset = n_tx
    counts: dict[str, FloatArray] = {}
    lines: dict[str, FloatArray] = {}
    cost_to_serve = np.zeros(k, dtype=np.float64)
    if act_ids is not None:
        act_codes = groups.codes[offset : offset + act_ids.shape[0]]
        offset += act_ids.shape[0]
        for name, col in act_cols.items():
            per_customer = _sum_by(act_codes, col, k)
            counts[name] = as_readonly(per_customer)
            line = per_customer * costs[name]
            lines[name] = as_readonly(line)
            cost_to_serve += line
    direct = np.zeros(k, dtype=np.float64)
    if dc_ids is not None and dc_values is not None:
        dc_codes = groups.codes[offset : offset + dc_ids.shape[0]]
        direct = _sum_by(dc_codes, dc_values, k)
        cost_to_serve += direct
    gross = revenue - cogs
    profit = gross - cost_to_serve
    with np.errstate(all="ignore"):
        margin_ratio: FloatArray = np.where(revenue > 0, profit / revenue, np.nan)
        roi: FloatArray = np.where(cost_to_serve > 0, profit / cost_to_serve, np.nan)
    return CustomerPnL(
        customer=as_readonly(groups.uniques),
        n_purchases=as_readonly(n_purchases),
        revenue=as_readonly(revenue),
        cost_of_goods=as_readonly(cogs),
        gross_margin=as_readonly(gross),
        activity_counts=counts,
        activity_costs=lines,
        direct_cost=as_readonly(direct),
        cost_to_serve=as_readonly(cost_to_serve),
        profit=as_readonly(profit),
        profit_margin=as_readonly(margin_ratio),
        return_on_cost_to_serve=as_readonly(roi),
        unit_costs=costs,
        n_without_transactions=int(k - has_tx.sum()),
        n_counts_filled=filled,
    )
