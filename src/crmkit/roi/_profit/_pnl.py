"""Customer input-output: a profit-and-loss line per customer with activity-based cost to serve."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import check_column_names
from crmkit._groups import factorize
from crmkit._input import as_amounts, as_finite_float, as_ids, as_readonly, check_date_format
from crmkit._params import number
from crmkit._reduce import bincount
from crmkit._results import Kind, Result, frozen_mapping
from crmkit._tables import read_table
from crmkit._transactions import Transactions, customer_groups, read_transactions
from crmkit._values import bad_rows_error, is_null
from crmkit.errors import InputError

__all__ = ["CostColumn", "CustomerPnL", "MarginRate", "customer_pnl"]

_FN: Final = "customer_pnl"
_RESCALE: Final = "Rescale the amounts and costs (e.g. to thousands) before calling crmkit."
FloatArray = npt.NDArray[np.float64]


def _column_name(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None or attribute.name == "column":
        check_column_names({attribute.name: value}, function=_class_name(attribute))


def _class_name(attribute: attrs.Attribute[Any]) -> str:
    return "CostColumn" if attribute.name == "column" else "MarginRate"


@attrs.frozen(kw_only=True)
class CostColumn:
    """Gross margin from a cost-of-goods column on the transactions.

    Attributes
    ----------
    column : str
        Name of the transaction column holding the cost of goods of each row
        (negative on a refund row when the goods come back).

    Raises
    ------
    InputError
        If *column* is not a non-empty string.

    Examples
    --------
    >>> CostColumn(column="cogs").column
    'cogs'
    """

    column: str = attrs.field(validator=_column_name)


def _rate_converter(value: float | Mapping[str, float]) -> float | Mapping[str, float]:
    """Read a mapping's keys as text (ints by their decimal form); the values stay as given."""
    if not isinstance(value, Mapping):
        return value
    keys: list[object] = list(value)
    bad = [k for k in keys if isinstance(k, bool) or not isinstance(k, (str, int, np.integer))]
    if bad or any(isinstance(k, str) and not k for k in keys):
        raise InputError.for_parameter(
            "rate",
            "a number or a mapping whose keys are category values (non-empty str, or int)",
            {_plain_key(k): v for k, v in value.items()},
            function="MarginRate",
        )
    text = {str(k): v for k, v in value.items()}
    if len(text) != len(keys):
        raise InputError.for_parameter(
            "rate",
            "a mapping with one rate per category (an int and its text, like 1 and '1', "
            "are the same category)",
            dict(value),
            function="MarginRate",
        )
    return frozen_mapping(text)


def _plain_key(key: object) -> object:
    return key if isinstance(key, (str, int, float, bool)) or key is None else repr(key)


def _validate_rate(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, Mapping):
        if not value:
            raise InputError.for_parameter(
                "rate", "a number <= 1 or a non-empty mapping", dict(value), function="MarginRate"
            )
        for key, rate in value.items():
            number(rate, name=f"rate[{key!r}]", function="MarginRate", high=1.0)
    else:
        number(value, name="rate", function="MarginRate", high=1.0)


@attrs.frozen(kw_only=True)
class MarginRate:
    """Gross margin as a share of revenue, overall or per product (or any category).

    Attributes
    ----------
    rate : float or mapping of str to float
        Gross margin rate (gross margin / revenue), a finite number at most 1;
        negative rates (goods sold below cost) are allowed. A mapping gives
        one rate per value of the transaction column *by*; int keys are read
        as their decimal text, which is how an integer *by* column is matched.
    by : str or None
        The transaction column the mapping is keyed on (e.g. ``"product"``);
        required with a mapping, not allowed with a single rate.

    Raises
    ------
    InputError
        For a rate that is not a finite number <= 1, an empty mapping, keys
        that are not text or ints, or *by* given without a mapping (or missing
        with one).

    Examples
    --------
    >>> MarginRate(rate={"books": 0.3, "music": 0.45}, by="product").by
    'product'
    """

    rate: float | Mapping[str, float] = attrs.field(
        converter=_rate_converter, validator=_validate_rate
    )
    by: str | None = attrs.field(default=None, validator=_column_name)

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
        ``profit / revenue``; NaN exactly where revenue <= 0 (undefined) or
        the quotient is beyond float64 (a revenue tiny against the profit).
    return_on_cost_to_serve : ndarray of float64, shape (n,)
        ``profit / cost_to_serve``; NaN exactly where cost to serve is 0 or
        the quotient is beyond float64.
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
    return bincount(codes, weights=weights, minlength=k).astype(np.float64, copy=False)


def _check_margin(margin: object) -> CostColumn | MarginRate:
    if isinstance(margin, (CostColumn, MarginRate)):
        return margin
    hint = "Pass margin=MarginRate(rate=0.3) for an overall gross margin rate of 30%, or "
    hint += "margin=CostColumn(column='cogs') to read the cost of goods from a column."
    if isinstance(margin, (int, float, np.integer, np.floating)) and not isinstance(
        margin, (bool, np.bool_)
    ):
        hint = f"Pass margin=MarginRate(rate={margin!r}) for an overall gross margin rate."
    elif isinstance(margin, str):
        hint = f"Pass margin=CostColumn(column={margin!r}) to read the cost of goods from it."
    elif isinstance(margin, Mapping):
        hint = "Pass margin=MarginRate(rate={...}, by='<column>') for rates per category."
    raise InputError.for_parameter(
        "margin",
        "a MarginRate or a CostColumn",
        _shown(margin),
        function=_FN,
        hint=hint,
    )


def _shown(value: object) -> object:
    """Return what an error shows of a wrong value: a small value itself, else its type."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping) and len(value) <= 3:
        return dict(value)
    return f"a {type(value).__name__}"


def _counts(values: npt.NDArray[Any], name: str) -> tuple[FloatArray, int]:
    """Activity counts: nulls read as zero (and counted), the rest finite and >= 0."""
    arr = values
    filled = 0
    if arr.dtype.kind == "O":
        nulls = np.fromiter((is_null(v) for v in arr), dtype=bool, count=arr.size)
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


def _unit_costs(unit_costs: object) -> dict[str, float]:
    if not isinstance(unit_costs, Mapping):
        raise InputError.for_parameter(
            "unit_costs",
            "a mapping of activity name to the cost of one unit",
            type(unit_costs).__name__,
            function=_FN,
            hint="Pass unit_costs={'sales_visits': 150.0, ...}, one entry per activity column.",
        )
    if not unit_costs:
        raise InputError.for_parameter(
            "unit_costs", "a non-empty mapping of activity name to unit cost", {}, function=_FN
        )
    out: dict[str, float] = {}
    for name, cost in unit_costs.items():
        if not isinstance(name, str) or not name:
            raise InputError.for_parameter(
                "unit_costs",
                "a mapping keyed by activity names (non-empty str)",
                name,
                function=_FN,
            )
        out[name] = number(cost, name=f"unit_costs[{name!r}]", function=_FN, low=0.0)
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
        cost, _ = as_amounts(tx.extra[margin.column], field=margin.column, function=_FN)
        return cost
    if not isinstance(margin.rate, Mapping):
        with np.errstate(over="ignore", invalid="ignore"):  # checked with the P&L lines
            return tx.amount * (1.0 - float(margin.rate))
    by = margin.by
    if by is None or by not in tx.extra:
        raise InputError(
            f"The margin column {by!r} of {_FN} is not among the transaction columns "
            f"{sorted(tx.extra)}.",
            field=str(by),
            hint="Pass the transactions as a frame or mapping holding that column, or "
            "build Transactions with extra={...: ...}.",
        )
    keys = as_ids(tx.extra[by], field=by, function=_FN)
    rates = margin.rate
    if keys.dtype.kind != "U":
        keys = keys.astype(str)  # an int category is matched by its decimal text
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
    with np.errstate(over="ignore", invalid="ignore"):  # checked with the P&L lines
        return tx.amount * (1.0 - table[where])


def _read_transactions(
    transactions: object,
    margin: CostColumn | MarginRate,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    date_format: str | None,
) -> Transactions:
    extra: list[str] = []
    if isinstance(margin, CostColumn):
        extra.append(margin.column)
    elif margin.by is not None:
        extra.append(margin.by)
    tx = read_transactions(
        transactions,
        function=_FN,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        extra=extra,
        date_format=date_format,
        data_name="transactions",
    )
    if len(tx) == 0:
        raise InputError(
            f"{_FN} needs at least one transaction; got an empty Transactions value.",
            field="transactions",
            hint="Check the filter that produced the data.",
        )
    return tx


@attrs.frozen
class _Side:
    """The customer ids and values of one of the optional tables."""

    ids: npt.NDArray[Any]
    columns: dict[str, FloatArray]
    filled: int = 0


def _read_side_table(data: object, *, field: str, key: str) -> dict[str, npt.NDArray[Any]]:
    table = read_table(data, field=field, function=_FN)
    if key not in table:
        raise InputError(
            f"The {field} table of {_FN} has no customer column {key!r}; "
            f"its columns are {sorted(table)}.",
            field="activity_customer",
            column=key,
            hint="Name the customer column with activity_customer='<column>'.",
        )
    if next(iter(table.values())).shape[0] == 0:
        raise InputError(
            f"The {field} table of {_FN} has no rows.",
            field=field,
            hint=f"Pass {field}=None when there is nothing to add; an empty table usually "
            "means an upstream filter removed everything.",
        )
    return table


def _activities(data: object, costs: Mapping[str, float], key: str) -> _Side:
    table = _read_side_table(data, field="activities", key=key)
    ids = as_ids(table.pop(key), field="activity_customer", function=_FN, column=key)
    _check_names(list(table), costs)
    columns: dict[str, FloatArray] = {}
    filled = 0
    for name in costs:
        columns[name], n_filled = _counts(table[name], name)
        filled += n_filled
    return _Side(ids=ids, columns=columns, filled=filled)


def _direct_costs(data: object, key: str, value_column: str) -> _Side:
    table = _read_side_table(data, field="direct_costs", key=key)
    if value_column not in table:
        raise InputError(
            f"The direct_costs table of {_FN} has no cost column {value_column!r}; "
            f"its columns are {sorted(table)}.",
            field="direct_cost_column",
            column=value_column,
            hint="Name the cost column with direct_cost_column='<column>'.",
        )
    ids = as_ids(table[key], field="activity_customer", function=_FN, column=key)
    values, n_negative = as_amounts(
        table[value_column], field="direct_cost_column", function=_FN, column=value_column
    )
    if n_negative:
        raise bad_rows_error(
            values < 0,
            values,
            field="direct_cost_column",
            requirement="must be >= 0",
            function=_FN,
            column=value_column,
            hint="Direct costs are costs; book credits (rebates won back) against revenue.",
        )
    return _Side(ids=ids, columns={"direct": values})


def _magnitude(values: FloatArray) -> float:
    """Sum of magnitudes: infinite when any value, or their total, is beyond float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.add.reduce(np.abs(values))) if values.size else 0.0


def _overflow(
    what: str, values: FloatArray, ids: npt.NDArray[Any], *, field: str, hint: str = _RESCALE
) -> InputError:
    with np.errstate(invalid="ignore"):
        size = np.where(np.isfinite(values), np.abs(values), np.inf)
    largest = ids[np.argsort(-size, kind="stable")[:5]].tolist()
    return InputError(
        f"The {what} of {_FN} passes float64's range (about 1.8e308), for a customer or in "
        f"total over the customers; the largest are customers {largest}.",
        field=field,
        hint=hint,
    )


def _check_lines(lines: list[tuple[str, FloatArray, str]], ids: npt.NDArray[Any]) -> None:
    """Refuse a P&L line whose magnitudes do not add up to a finite float64 total.

    Then every figure of the P&L, every total over customers and every total over a
    subset of them (a segment, the top of the whale curve) is finite.
    """
    for what, values, field in lines:
        if not math.isfinite(_magnitude(values)):
            raise _overflow(what, values, ids, field=field)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` where ``den > 0`` and the quotient is a float64; NaN elsewhere.

    A ratio is a per-customer reading, not a total: one customer whose
    revenue is tiny against its profit (a quotient beyond 1.8e308) gets NaN,
    documented on the result, rather than refusing everyone's P&L.
    """
    defined = den > 0
    with np.errstate(all="ignore"):
        out: FloatArray = np.where(defined, num / np.where(defined, den, 1.0), np.nan)
    out[~np.isfinite(out)] = np.nan
    return out


def customer_pnl(
    transactions: object,
    *,
    margin: CostColumn | MarginRate,
    activities: object | None = None,
    unit_costs: Mapping[str, float] | None = None,
    direct_costs: object | None = None,
    activity_customer: str = "customer",
    direct_cost_column: str = "cost",
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> CustomerPnL:
    r"""Build each customer's profit-and-loss line with activity-based cost to serve.

    Parameters
    ----------
    transactions : Transactions, DataFrame, mapping of columns or records
        Purchases with ``customer``, ``timestamp`` and ``amount`` (refunds
        negative), plus the cost-of-goods or category column *margin* needs.
        Not empty.
    margin : CostColumn or MarginRate
        How gross margin is found: a per-transaction cost-of-goods column, or a
        margin rate (overall or per category value). No default: it changes
        every figure. A bare number is refused with a hint to pass
        ``MarginRate(rate=...)``.
    activities : DataFrame or mapping of columns, optional
        One row per customer (or several, which are added): the
        *activity_customer* column and one count column per activity (sales
        visits, orders, service tickets, returns, ...), counts >= 0. Null
        counts and customers without a row count as zero (nulls are counted in
        ``n_counts_filled``). Not empty: pass None for no activities.
    unit_costs : mapping of str to float, optional
        Cost of one unit of each activity, >= 0. Its names must be exactly the
        activity columns; required when *activities* is given.
    direct_costs : DataFrame or mapping of columns, optional
        Costs assigned straight to customers (key-account manager, rebates,
        credit losses): the *activity_customer* column and
        *direct_cost_column*, several rows per customer allowed, values >= 0.
        Not empty: pass None for no direct costs.
    activity_customer : str
        Name of the customer column in *activities* and *direct_costs*.
    direct_cost_column : str
        Name of the cost column in *direct_costs*.
    customer, timestamp, amount : str
        Column names of the transactions when they are a frame, mapping or records.
    date_format : str, optional
        A strftime pattern for transaction timestamps that are not ISO-8601
        (e.g. ``"%Y%m%d"``); see :doc:`/conventions`.

    Returns
    -------
    CustomerPnL
        Revenue, cost of goods, gross margin, each activity cost line, direct
        cost, cost to serve, profit, profit margin and return on cost to serve
        per customer, sorted by customer id.

    Raises
    ------
    InputError
        For a *margin* that is not a ``MarginRate`` or ``CostColumn``, empty
        tables, negative counts, costs or unit costs, activity names that
        appear in only one of the counts and the unit-cost table (all listed),
        customer ids of different kinds across the tables, a missing column,
        or any invalid transaction row. Errors about the side tables name
        ``activity_customer`` (their customer column), ``direct_cost_column``
        or the activity. A P&L line whose total over customers would pass
        float64's range (about 1.8e308) is refused, naming the input it comes
        from (the margin, an activity, the unit costs).

    Notes
    -----
    For customer :math:`i` with activity counts :math:`n_{ik}` and unit costs
    :math:`c_k` (activity-based costing, Kaplan & Cooper 1998):

    .. math::

        \mathrm{CTS}_i = \sum_k n_{ik} c_k + D_i, \qquad
        \pi_i = (R_i - \mathrm{COGS}_i) - \mathrm{CTS}_i,

    the profit margin is :math:`\pi_i / R_i` and the return on the resources
    invested in the customer :math:`\pi_i / \mathrm{CTS}_i`. Every line's
    magnitudes add up to a finite float64 total, so every total over customers
    (a segment's, the whale curve's) is finite too.

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

    A margin is a value, not a bare number:

    >>> try:
    ...     customer_pnl(
    ...         {"customer": [1], "timestamp": ["2024-01-02"], "amount": [9.0]}, margin=0.3
    ...     )
    ... except InputError as err:
    ...     print(err.hint)
    Pass margin=MarginRate(rate=0.3) for an overall gross margin rate.
    """
    checked = _check_margin(margin)
    # checked here too: read_transactions passes a Transactions value through unread
    check_column_names(
        {
            "customer": customer,
            "timestamp": timestamp,
            "amount": amount,
            "activity_customer": activity_customer,
            "direct_cost_column": direct_cost_column,
        },
        function=_FN,
    )
    check_date_format(date_format, function=_FN)
    if (activities is None) != (unit_costs is None):
        raise InputError.for_parameter(
            "unit_costs" if unit_costs is None else "activities",
            "given together with " + ("'activities'" if unit_costs is not None else "'unit_costs'"),
            None,
            function=_FN,
        )
    costs = _unit_costs(unit_costs) if unit_costs is not None else {}
    tx = _read_transactions(
        transactions,
        checked,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
    )
    cogs_rows = _margin_cost(tx, checked)
    acts = _activities(activities, costs, activity_customer) if activities is not None else None
    direct_side = (
        _direct_costs(direct_costs, activity_customer, direct_cost_column)
        if direct_costs is not None
        else None
    )
    sides = [side for side in (acts, direct_side) if side is not None]
    own = customer_groups(tx)
    kinds = {own.uniques.dtype.kind} | {side.ids.dtype.kind for side in sides}
    if len(kinds) > 1:
        raise InputError(
            f"The customer ids given to {_FN} must be of one kind across the transactions, "
            f"activities and direct costs; got both integer and string ids.",
            field="activity_customer",
            column=activity_customer,
            hint="Convert the ids to one type (e.g. all strings) before calling.",
        )
    if sides:
        groups = factorize(np.concatenate([own.uniques, *(side.ids for side in sides)]))
        tx_codes = groups.codes[: own.n_groups][own.codes]
        offset = own.n_groups
        side_codes = []
        for side in sides:
            side_codes.append(groups.codes[offset : offset + side.ids.shape[0]])
            offset += side.ids.shape[0]
        ids = groups.uniques
    else:
        tx_codes, side_codes, ids = own.codes, [], own.uniques
    k = ids.shape[0]
    revenue = _sum_by(tx_codes, tx.amount, k)
    cogs = _sum_by(tx_codes, cogs_rows, k)
    n_purchases = bincount(tx_codes[tx.amount > 0], minlength=k).astype(np.int64)

    counts: dict[str, FloatArray] = {}
    lines: dict[str, FloatArray] = {}
    cost_to_serve = np.zeros(k, dtype=np.float64)
    direct = np.zeros(k, dtype=np.float64)
    margin_field = checked.column if isinstance(checked, CostColumn) else "margin"
    checks: list[tuple[str, FloatArray, str]] = [("cost of goods", cogs, margin_field)]
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked below, by line
        for side, codes in zip(sides, side_codes, strict=True):
            if side is acts:
                for name, col in side.columns.items():
                    per_customer = _sum_by(codes, col, k)
                    counts[name] = as_readonly(per_customer)
                    line = per_customer * costs[name]
                    lines[name] = as_readonly(line)
                    checks.append(
                        (f"cost of the activity {name!r} (count x unit cost)", line, name)
                    )
                    cost_to_serve += line
            else:
                direct = _sum_by(codes, side.columns["direct"], k)
                cost_to_serve += direct
        gross = revenue - cogs
        profit = gross - cost_to_serve
    cts_field = "unit_costs" if acts is not None else "direct_cost_column"
    checks.append(("cost to serve", cost_to_serve, cts_field))
    checks.append(("gross margin", gross, margin_field))
    larger = margin_field if _magnitude(gross) >= _magnitude(cost_to_serve) else cts_field
    checks.append(("profit", profit, larger))
    _check_lines(checks, ids)
    margin_ratio = _ratio(profit, revenue)
    roi = _ratio(profit, cost_to_serve)
    return CustomerPnL(
        customer=as_readonly(ids),
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
        n_without_transactions=int(k - own.n_groups),
        n_counts_filled=acts.filled if acts is not None else 0,
    )
