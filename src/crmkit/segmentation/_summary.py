"""Per-customer summaries of a transaction log: the RFM form and the buy-till-you-die form."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit._input import DATETIME_DTYPE, as_readonly, scalar_datetime
from crmkit._reduce import distinct_pairs, group_count, group_max, group_min, group_sum
from crmkit._results import Kind, Result, names_field, names_of, source_names
from crmkit._transactions import Transactions, customer_groups, read_transactions
from crmkit.errors import InputError
from crmkit.periods import (
    Calendar,
    Frequency,
    default_as_of,
    last_observed_period,
    period_keys,
)
from crmkit.segmentation._pushdown import (
    LazyRFM,
    lazy_btyd_columns,
    lazy_rfm_columns,
    no_purchases_error,
    start_error,
    window_error,
)

__all__ = ["BTYDSummary", "RFMSummary", "TimeUnit", "btyd_summary", "rfm_summary"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]

_US_PER_DAY: Final = 86_400 * 1_000_000
_DEFAULT_CALENDAR: Final = Calendar()


class TimeUnit(enum.StrEnum):
    """Unit of recency and tenure in :func:`rfm_summary`.

    A month is the mean Gregorian month, 365.2425 / 12 = 30.436875 days, so
    recency in months is a smooth, comparable number (not a count of calendar
    month boundaries).

    Examples
    --------
    >>> TimeUnit.MONTH.days
    30.436875
    """

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def days(self) -> float:
        """Length of the unit in days."""
        return {"day": 1.0, "week": 7.0, "month": 365.2425 / 12}[self.value]


CountBy = Literal["transaction", "day", "week", "month", "quarter", "year"]
"""What counts as one purchase: every row, or each distinct period with a purchase."""


def _unit(value: object, function: str) -> TimeUnit:
    return _params.choice(value, TimeUnit, name="unit", function=function)


def _freq(
    value: object, function: str, *, name: str = "freq", allowed: Sequence[str] | None = None
) -> Frequency:
    names = allowed if allowed is not None else [f.value for f in Frequency]
    text = value.value if isinstance(value, Frequency) else value
    return Frequency(_params.choice(text, names, name=name, function=function))


def _read(
    data: object,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    date_format: str | None,
    function: str,
) -> Transactions:
    return read_transactions(
        data,
        function=function,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
    )


def _as_of(tx: Transactions, as_of: object | None, function: str) -> tuple[np.datetime64, bool]:
    if as_of is None:
        return default_as_of(tx.timestamp), True
    value = scalar_datetime(as_of, field="as_of", function=function)
    first = tx.timestamp.min()
    if value < first:
        raise InputError.for_parameter(
            "as_of",
            f"on or after the first transaction ({first})",
            str(value),
            function=function,
            hint="Every transaction is after as_of, so there is nothing to summarise.",
        )
    return value, False


@attrs.frozen(kw_only=True, repr=False)
class RFMSummary(Result):
    """Recency, frequency and monetary value per customer, as of a date.

    Attributes
    ----------
    customer : ndarray of int64 or str, shape (k,)
        Customer ids, ascending.
    recency : ndarray of float64, shape (k,)
        Time from the last purchase to ``as_of``, in ``unit``.
    frequency : ndarray of int64, shape (k,)
        Purchases in the window (rows, or distinct periods, per ``count_by``).
    monetary : ndarray of float64, shape (k,)
        Net value in the window: purchases minus refunds.
    monetary_mean : ndarray of float64, shape (k,)
        ``monetary / frequency``.
    first_purchase, last_purchase : ndarray of datetime64[us], shape (k,)
        First and last purchase in the window.
    tenure : ndarray of float64, shape (k,)
        Time from the first purchase to ``as_of``, in ``unit``.
    as_of : numpy.datetime64
        End of the window (exclusive).
    as_of_is_default : bool
        Whether ``as_of`` was the default (midnight after the last transaction).
    start : numpy.datetime64 or None
        Start of the window (inclusive), if one was given.
    unit : TimeUnit
        Unit of recency and tenure.
    count_by : str
        ``"transaction"`` or the period counted once.
    purchases : {"positive", "all"}
        Which rows count as purchases.
    n_rows_used : int
        Rows inside the window.
    n_rows_after_as_of, n_rows_before_start : int
        Rows outside the window, excluded.
    n_rows_not_purchases : int
        Rows in the window with an amount <= 0 when ``purchases="positive"``:
        netted into ``monetary`` but not counted as purchases.
    n_customers_without_purchase : int
        Customers with rows in the window but no purchase; not in the table.
    computed_in : str
        Where the rows were shrunk to one per customer: ``"numpy"``, or the
        engine of a lazy table (``"duckdb"``, ``"polars"``, ``"dask"``,
        ``"pyspark"``, ...); see the scaling guide.

    Examples
    --------
    >>> s = rfm_summary(
    ...     {"customer": [1, 1], "timestamp": ["2024-01-01", "2024-01-22"], "amount": [5.0, 7.0]},
    ...     unit="week",
    ...     as_of="2024-01-29",
    ... )
    >>> s.recency.tolist(), s.tenure.tolist()
    ([1.0], [4.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "recency",
        "frequency",
        "monetary",
        "monetary_mean",
        "first_purchase",
        "last_purchase",
        "tenure",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "recency": "number",
        "frequency": "count",
        "monetary": "money",
        "monetary_mean": "money",
        "tenure": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = _table

    customer: npt.NDArray[Any]
    recency: FloatArray
    frequency: IntArray
    monetary: FloatArray
    monetary_mean: FloatArray
    first_purchase: TimeArray
    last_purchase: TimeArray
    tenure: FloatArray
    as_of: np.datetime64
    as_of_is_default: bool
    start: np.datetime64 | None
    unit: TimeUnit
    count_by: CountBy
    purchases: Literal["positive", "all"]
    n_rows_used: int
    n_rows_after_as_of: int
    n_rows_before_start: int
    n_rows_not_purchases: int
    n_customers_without_purchase: int
    computed_in: str = "numpy"
    _source_names: Mapping[str, str] = names_field()


def rfm_summary(
    data: object,
    *,
    unit: TimeUnit | Literal["day", "week", "month"],
    as_of: object | None = None,
    start: object | None = None,
    count_by: CountBy = "transaction",
    purchases: Literal["positive", "all"] = "positive",
    calendar: Calendar = _DEFAULT_CALENDAR,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> RFMSummary:
    r"""Summarise transactions to recency, frequency and monetary value per customer.

    Parameters
    ----------
    data : Transactions, DataFrame-like, mapping of arrays or records
        The transaction log (anything :func:`crmkit.as_transactions` reads).
    unit : TimeUnit or {"day", "week", "month"}
        Unit of recency and tenure (a month is 30.436875 days).
    as_of : date-like, optional
        End of the observation window, exclusive. Default: midnight after
        the last transaction (reported in ``as_of_is_default``). Rows at or
        after it are excluded and counted.
    start : date-like, optional
        Start of the window, inclusive; earlier rows are excluded and counted.
    count_by : {"transaction", "day", "week", "month", "quarter", "year"}
        Count every purchase row, or each distinct period with a purchase
        (several baskets on one day count once with ``"day"``).
    purchases : {"positive", "all"}
        ``"positive"`` (default): rows with an amount > 0 are purchases;
        refunds and zero rows are netted into ``monetary`` but do not count
        as purchases nor move the last purchase date. ``"all"``: every row
        is a purchase.
    calendar : Calendar
        Week start and fiscal year used when counting by period.
    customer, timestamp, amount : str
        Column names when *data* is a frame, mapping or records.
    date_format : str, optional
        strftime pattern of timestamps that are not ISO-8601 (``"%Y%m%d"``
        reads CDNOW's ``19970101``); without it, such dates are refused.

    Returns
    -------
    RFMSummary
        One row per customer with at least one purchase in the window.

    Raises
    ------
    InputError
        On invalid rows, an unknown ``unit``/``count_by``, ``as_of`` before
        every transaction, ``start`` not before ``as_of`` or a window without
        purchases.

    Notes
    -----
    With last and first purchase times :math:`t_{last}, t_{first}` and unit
    length :math:`u`: recency :math:`= (as\_of - t_{last}) / u`, tenure
    :math:`= (as\_of - t_{first}) / u`, monetary :math:`= \sum` amounts in
    ``[start, as_of)``. Computed with one factorisation of the ids and
    ``bincount``/``ufunc.at`` group reductions, no sort over rows (except a
    sort of packed (customer, period) keys when counting by period). A lazy
    table (DuckDB relation, polars LazyFrame, Dask) is aggregated inside its
    engine (counting by transaction, day, month or year) and only the
    per-customer table is read; its rows are checked there too, and a table
    with bad rows is read in full so the error names them.

    References
    ----------
    .. [1] Hughes, A. M. (1994). *Strategic Database Marketing*. Probus.

    Examples
    --------
    Two customers of a bakery, as of 1 March 2024:

    >>> from crmkit.segmentation import rfm_summary
    >>> s = rfm_summary(
    ...     {
    ...         "customer": ["ann", "ann", "bob"],
    ...         "timestamp": ["2024-01-10", "2024-02-20", "2024-01-31"],
    ...         "amount": [12.0, 8.0, 30.0],
    ...     },
    ...     unit="day",
    ...     as_of="2024-03-01",
    ... )
    >>> s.customer.tolist(), s.recency.tolist(), s.frequency.tolist(), s.monetary.tolist()
    (['ann', 'bob'], [10.0, 30.0], [2, 1], [20.0, 30.0])
    """
    function = "rfm_summary"
    time_unit = _unit(unit, function)
    count_by = cast(
        "CountBy",
        _params.choice(
            count_by,
            ("transaction", "day", "week", "month", "quarter", "year"),
            name="count_by",
            function=function,
        ),
    )
    purchases = cast(
        "Literal['positive', 'all']",
        _params.choice(purchases, ("positive", "all"), name="purchases", function=function),
    )
    calendar = _params.instance(
        calendar, Calendar, name="calendar", function=function, what="a crmkit.periods.Calendar"
    )
    start_value = (
        None if start is None else scalar_datetime(start, field="start", function=function)
    )
    pushed = lazy_rfm_columns(
        data,
        mapping={"customer": customer, "timestamp": timestamp, "amount": amount},
        as_of=as_of,
        start=start_value,
        count_by=count_by,
        positive_only=purchases == "positive",
        calendar=calendar,
        function=function,
    )
    if pushed is not None:
        return attrs.evolve(
            _summary_from_pushdown(pushed, time_unit, start_value, count_by, purchases),
            source_names=source_names(customer=customer),
        )
    tx = _read(
        data,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
        function=function,
    )
    end, is_default = _as_of(tx, as_of, function)
    ts = tx.timestamp.view(np.int64)
    end_i = int(end.astype(DATETIME_DTYPE).view(np.int64))
    inside = ts < end_i
    n_after = int(tx.n_rows - np.count_nonzero(inside))
    n_before = 0
    if start_value is not None:
        if start_value >= end:
            raise start_error(start_value, end, function)
        after_start = ts >= int(start_value.view(np.int64))
        n_before = int(np.count_nonzero(inside & ~after_start))
        inside &= after_start
    all_inside = n_after == 0 and n_before == 0
    groups = customer_groups(tx) if all_inside else customer_groups(tx).take(inside)
    times = ts if all_inside else ts[inside]
    amounts = tx.amount if all_inside else tx.amount[inside]
    if groups.codes.size == 0:
        raise window_error(start_value, end, function)
    k = groups.n_groups
    codes = groups.codes
    monetary = group_sum(codes, amounts, k)  # amounts are checked: no total can overflow
    if purchases == "positive" and amounts.min() <= 0:
        is_purchase = amounts > 0
        n_not = int(amounts.size - np.count_nonzero(is_purchase))
        p_codes, p_times = codes[is_purchase], times[is_purchase]
    else:
        n_not = 0
        p_codes, p_times = codes, times
    if count_by == "transaction":
        frequency = group_count(p_codes, k)
    else:
        keys = period_keys(p_times.view(DATETIME_DTYPE), count_by, calendar=calendar)
        frequency = group_count(distinct_pairs(p_codes, keys, k).group, k)
    last = group_max(p_codes, p_times, k)
    first = group_min(p_codes, p_times, k)
    has = frequency > 0
    n_without = int(k - np.count_nonzero(has))
    if n_without == k:
        raise no_purchases_error(function)
    if n_without:
        frequency, monetary, last, first = frequency[has], monetary[has], last[has], first[has]
        customers = groups.uniques[has]
    else:
        customers = groups.uniques
    unit_us = time_unit.days * _US_PER_DAY
    return RFMSummary(
        customer=as_readonly(customers),
        recency=as_readonly((end_i - last) / unit_us),
        frequency=as_readonly(frequency),
        monetary=as_readonly(monetary),
        monetary_mean=as_readonly(monetary / frequency),
        first_purchase=as_readonly(first.view(DATETIME_DTYPE)),
        last_purchase=as_readonly(last.view(DATETIME_DTYPE)),
        tenure=as_readonly((end_i - first) / unit_us),
        as_of=end,
        as_of_is_default=is_default,
        start=start_value,
        unit=time_unit,
        count_by=count_by,
        purchases=purchases,
        n_rows_used=int(codes.size),
        n_rows_after_as_of=n_after,
        n_rows_before_start=n_before,
        n_rows_not_purchases=n_not,
        n_customers_without_purchase=n_without,
        source_names=names_of(tx, "customer"),
    )


def _summary_from_pushdown(
    pushed: LazyRFM,
    unit: TimeUnit,
    start: np.datetime64 | None,
    count_by: CountBy,
    purchases: Literal["positive", "all"],
) -> RFMSummary:
    end: np.datetime64 = pushed["as_of"]
    end_i = int(end.astype(DATETIME_DTYPE).view(np.int64))
    unit_us = unit.days * _US_PER_DAY
    last, first, frequency = pushed["last"], pushed["first"], pushed["frequency"]
    return RFMSummary(
        customer=pushed["customer"],
        recency=as_readonly((end_i - last) / unit_us),
        frequency=frequency,
        monetary=pushed["monetary"],
        monetary_mean=as_readonly(pushed["monetary"] / frequency),
        first_purchase=as_readonly(first.view(DATETIME_DTYPE)),
        last_purchase=as_readonly(last.view(DATETIME_DTYPE)),
        tenure=as_readonly((end_i - first) / unit_us),
        as_of=end,
        as_of_is_default=pushed["as_of_is_default"],
        start=start,
        unit=unit,
        count_by=count_by,
        purchases=purchases,
        n_rows_used=pushed["n_rows_used"],
        n_rows_after_as_of=pushed["n_rows_after_as_of"],
        n_rows_before_start=pushed["n_rows_before_start"],
        n_rows_not_purchases=pushed["n_rows_not_purchases"],
        n_customers_without_purchase=pushed["n_customers_without_purchase"],
        computed_in=pushed["computed_in"],
    )


@attrs.frozen(kw_only=True, repr=False)
class BTYDSummary(Result):
    """The buy-till-you-die summary (frequency, recency, T, monetary value) per customer.

    The same conventions as ``lifetimes.utils.summary_data_from_transaction_data``.

    Attributes
    ----------
    customer : ndarray of int64 or str, shape (k,)
        Customer ids, ascending.
    frequency : ndarray of int64, shape (k,)
        Repeat purchases: periods with a purchase minus one (or all periods
        when ``include_first_transaction``).
    recency : ndarray of float64, shape (k,)
        Periods from the first to the last purchase (0 when frequency is 0).
    T : ndarray of float64, shape (k,)
        Periods from the first purchase to ``as_of``.
    monetary_value : ndarray of float64, shape (k,)
        Mean value per repeat period (0 when there is none), or per period
        when ``include_first_transaction``.
    as_of : numpy.datetime64
        Observation end; its period is the last one included.
    as_of_is_default : bool
        Whether ``as_of`` was the default (midnight after the last transaction).
    freq : Frequency
        The period unit of frequency, recency and T.
    include_first_transaction : bool
        Whether the first period counts in frequency and monetary value.
    n_rows_used : int
        Rows in periods up to and including the period of ``as_of``.
    n_rows_after_as_of : int
        Rows in later periods, excluded.
    n_customers_after_as_of : int
        Customers whose every row is after ``as_of``; not in the table.
    n_negative_rows : int
        Refund rows among those used; netted into their period's value.
    computed_in : str
        Where the rows were shrunk to one per customer: ``"numpy"``, or the
        engine of a lazy table (``"duckdb"``, ``"polars"``, ``"dask"``,
        ``"pyspark"``, ...); see the scaling guide.

    Examples
    --------
    >>> s = btyd_summary(
    ...     {"customer": [1, 1], "timestamp": ["2024-01-01", "2024-01-22"], "amount": [5.0, 7.0]},
    ...     freq="week",
    ...     as_of="2024-01-29",
    ... )
    >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
    ([1], [3.0], [3.0], [7.0])
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "frequency", "recency", "T", "monetary_value")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "recency": "number",
        "T": "number",
        "monetary_value": "money",
    }
    _rows: ClassVar[tuple[str, ...]] = _table

    customer: npt.NDArray[Any]
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    as_of: np.datetime64
    as_of_is_default: bool
    freq: Frequency
    include_first_transaction: bool
    n_rows_used: int
    n_rows_after_as_of: int
    n_customers_after_as_of: int
    n_negative_rows: int
    computed_in: str = "numpy"
    _source_names: Mapping[str, str] = names_field()


def btyd_summary(
    data: object,
    *,
    freq: Frequency | Literal["day", "week", "month", "quarter", "year"],
    as_of: object | None = None,
    include_first_transaction: bool = False,
    calendar: Calendar = _DEFAULT_CALENDAR,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> BTYDSummary:
    r"""Summarise transactions into the input of BG/NBD, Pareto/NBD and Gamma-Gamma models.

    Parameters
    ----------
    data : Transactions, DataFrame-like, mapping of arrays or records
        The transaction log (anything :func:`crmkit.as_transactions` reads).
    freq : Frequency or {"day", "week", "month", "quarter", "year"}
        The period: timestamps are truncated to it, several purchases in one
        period count once (their amounts summed), and frequency, recency and
        T are counted in it.
    as_of : date-like, optional
        End of observation, exclusive (the project's one convention): rows at
        or after it are excluded and counted, even within its period, and
        ``T`` runs to the period of the last observed instant. Default:
        midnight after the last transaction, which reproduces lifetimes'
        default. lifetimes' ``observation_period_end=D`` (inclusive) is
        ``as_of = D + 1 day``.
    include_first_transaction : bool, default False
        Count the first period in frequency and monetary value. Keep False
        for BTYD model fitting.
    calendar : Calendar
        Week start (default Monday, as pandas' ``"W"``) and fiscal year.
    customer, timestamp, amount : str
        Column names when *data* is a frame, mapping or records.
    date_format : str, optional
        strftime pattern of timestamps that are not ISO-8601 (``"%Y%m%d"``
        reads CDNOW's ``19970101``); without it, such dates are refused.

    Returns
    -------
    BTYDSummary
        One row per customer with a purchase up to ``as_of``.

    Raises
    ------
    InputError
        On invalid rows, an unknown ``freq`` or ``as_of`` before every transaction.

    Notes
    -----
    With :math:`p_i` the period keys of customer :math:`i`'s rows before
    ``as_of`` and :math:`p_{end}` the period of the last instant before
    ``as_of``: frequency :math:`x = |\{p_i\}| - 1`,
    recency :math:`t_x = \max p_i - \min p_i`, :math:`T = p_{end} - \min p_i`,
    monetary value :math:`= \sum_{p > \min p_i} amount / x`.
    Equal to ``lifetimes.utils.summary_data_from_transaction_data`` with
    ``freq="D"``/``"W"`` and ``observation_period_end`` the last observed day
    when ``as_of`` ends a period (tested); lifetimes also keeps rows after its
    end date that share its week or month, crmkit never does.
    A lazy table (DuckDB relation, polars LazyFrame, Dask) is summarised
    inside its engine for days, months, quarters and years (two group-bys);
    weeks, and tables with bad rows, are read row by row.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your
       customers the easy way: An alternative to the Pareto/NBD model."
       *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    Ann bought on three days, twice on 10 January; as of 1 February:

    >>> from crmkit.segmentation import btyd_summary
    >>> s = btyd_summary(
    ...     {
    ...         "customer": ["ann", "ann", "ann", "ann"],
    ...         "timestamp": ["2024-01-01", "2024-01-10", "2024-01-10", "2024-01-21"],
    ...         "amount": [10.0, 5.0, 7.0, 20.0],
    ...     },
    ...     freq="day",
    ...     as_of="2024-02-01",
    ... )
    >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
    ([2], [20.0], [30.0], [16.0])
    """
    function = "btyd_summary"
    f = _freq(freq, function, allowed=["day", "week", "month", "quarter", "year"])
    include_first = _params.flag(
        include_first_transaction, name="include_first_transaction", function=function
    )
    calendar = _params.instance(
        calendar, Calendar, name="calendar", function=function, what="a crmkit.periods.Calendar"
    )
    pushed = lazy_btyd_columns(
        data,
        mapping={"customer": customer, "timestamp": timestamp, "amount": amount},
        as_of=as_of,
        freq=f,
        calendar=calendar,
        function=function,
    )
    if pushed is not None:
        return attrs.evolve(
            _btyd_from_pushdown(pushed, f, include_first_transaction=include_first),
            source_names=source_names(customer=customer),
        )
    tx = _read(
        data,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
        function=function,
    )
    end, is_default = _as_of(tx, as_of, function)
    keys = period_keys(tx.timestamp, f, calendar=calendar)
    end_key = last_observed_period(end, f, calendar=calendar)
    inside = tx.timestamp < end
    n_used = int(np.count_nonzero(inside))
    n_after = tx.n_rows - n_used
    if n_after:
        groups = customer_groups(tx).take(inside)
        keys, amounts = keys[inside], tx.amount[inside]
        n_all_customers = tx.n_customers
    else:
        groups, amounts = customer_groups(tx), tx.amount
        n_all_customers = -1
    k = groups.n_groups
    codes = groups.codes
    first = group_min(codes, keys, k)
    last = group_max(codes, keys, k)
    n_periods = group_count(distinct_pairs(codes, keys, k).group, k)
    if include_first:
        frequency = n_periods
        monetary = group_sum(codes, amounts, k) / n_periods
    else:
        frequency = n_periods - 1
        repeat_row = keys != first[codes]
        repeat = group_sum(codes[repeat_row], amounts[repeat_row], k)
        monetary = np.divide(
            repeat, frequency, out=np.zeros(k, dtype=np.float64), where=frequency > 0
        )
    return BTYDSummary(
        customer=as_readonly(groups.uniques),
        frequency=as_readonly(frequency),
        recency=as_readonly((last - first).astype(np.float64)),
        T=as_readonly((end_key - first).astype(np.float64)),
        monetary_value=as_readonly(monetary),
        as_of=end,
        as_of_is_default=is_default,
        freq=f,
        include_first_transaction=include_first,
        n_rows_used=n_used,
        n_rows_after_as_of=int(n_after),
        n_customers_after_as_of=0 if n_all_customers < 0 else n_all_customers - k,
        n_negative_rows=int(np.count_nonzero(amounts < 0)),
        source_names=names_of(tx, "customer"),
    )


def _btyd_from_pushdown(
    pushed: LazyRFM, freq: Frequency, *, include_first_transaction: bool
) -> BTYDSummary:
    first, last = pushed["first_key"], pushed["last_key"]
    n_periods = pushed["n_periods"]
    if include_first_transaction:
        frequency = n_periods
        monetary = pushed["total"] / n_periods
    else:
        frequency = n_periods - 1
        monetary = np.divide(
            pushed["repeat"],
            frequency,
            out=np.zeros(frequency.size, dtype=np.float64),
            where=frequency > 0,
        )
    return BTYDSummary(
        customer=pushed["customer"],
        frequency=as_readonly(frequency),
        recency=as_readonly((last - first).astype(np.float64)),
        T=as_readonly((pushed["end_key"] - first).astype(np.float64)),
        monetary_value=as_readonly(monetary),
        as_of=pushed["as_of"],
        as_of_is_default=pushed["as_of_is_default"],
        freq=freq,
        include_first_transaction=bool(include_first_transaction),
        n_rows_used=pushed["n_rows_used"],
        n_rows_after_as_of=pushed["n_rows_after_as_of"],
        n_customers_after_as_of=pushed["n_customers_after_as_of"],
        n_negative_rows=pushed["n_negative_rows"],
        computed_in=pushed["computed_in"],
    )
