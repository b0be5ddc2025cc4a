"""Purchase trends per segment: revenue, orders and active customers per period and segment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit import _params
from crmkit._input import DATETIME_DTYPE, as_readonly, scalar_datetime
from crmkit._reduce import bincount, distinct_pairs
from crmkit._results import Kind, Result
from crmkit._transactions import customer_groups, read_transactions
from crmkit.errors import InputError
from crmkit.periods import (
    Calendar,
    Frequency,
    FrequencyLike,
    last_observed_period,
    period_bounds,
    period_keys,
    period_labels,
)
from crmkit.segmentation._products import _segment_codes
from crmkit.segmentation._segments import Segments
from crmkit.segmentation._summary import _as_of, _freq

__all__ = ["SegmentTrends", "TrendFigure", "segment_trends"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_FN: Final = "segment_trends"
_MAX_CELLS: Final = 20_000_000
_DEFAULT_CALENDAR: Final = Calendar()

TrendFigure = Literal["revenue", "orders", "customers"]
"""A per-period figure of :class:`SegmentTrends`."""


@attrs.frozen(kw_only=True, repr=False)
class SegmentTrends(Result):
    """Revenue, orders and active customers per period and segment (every cell, zeros kept).

    One row per (period, segment), periods in time order and, within a
    period, segments in the order of ``segment_names``: the rows are the
    ``periods x segment_names`` grid read row by row (:meth:`matrix` gives
    it back as a grid).

    Attributes
    ----------
    period : ndarray of str, shape (P * S,)
        Label of the row's period (``2024-03``, ``2024-Q1``, ...).
    start : ndarray of datetime64[us], shape (P * S,)
        Start of the row's period.
    segment : ndarray of str, shape (P * S,)
        The row's segment.
    revenue : ndarray of float64, shape (P * S,)
        Net revenue of the segment's customers in the period (refunds and
        other rows of amount <= 0 subtract).
    orders : ndarray of int64, shape (P * S,)
        Purchases: rows with an amount > 0.
    customers : ndarray of int64, shape (P * S,)
        Active customers: those with at least one purchase in the period.
    segment_names : tuple of str
        The segments, in the order of the segment table (empty ones kept).
    periods : ndarray of str, shape (P,)
        Every period from the first with a row to the last observed one (the
        one holding the instant before ``as_of``), empty ones included.
    period_start, period_end : ndarray of datetime64[us], shape (P,)
        Their half-open bounds.
    unsegmented_revenue : ndarray of float64, shape (P,)
        Net revenue per period of customers without a segment (not in any
        row of the table).
    freq : Frequency
        Period length.
    as_of : numpy.datetime64
        End of observation (exclusive).
    as_of_is_default : bool
        Whether *as_of* was the default (midnight after the last row).
    last_period_complete : bool
        Whether ``as_of`` is the end of the last period; when False its
        figures cover only part of it (up to ``as_of``).
    n_rows_used : int
        Rows in ``[start, as_of)``, unsegmented ones included.
    n_rows_after_as_of, n_rows_before_start : int
        Rows outside the window, left out.
    n_rows_not_purchases : int
        Rows with an amount <= 0: in revenue, not counted as orders.
    n_rows_unsegmented, n_customers_unsegmented : int
        Rows and customers in the window without a segment (their revenue
        is in ``unsegmented_revenue``).

    Examples
    --------
    >>> t = segment_trends(
    ...     {
    ...         "customer": [1, 2, 1],
    ...         "timestamp": ["2024-01-05", "2024-01-20", "2024-02-02"],
    ...         "amount": [40.0, 10.0, 25.0],
    ...     },
    ...     {"customer": [1, 2], "segment": ["loyal", "new"]},
    ...     freq="month",
    ...     as_of="2024-03-01",
    ... )
    >>> t.matrix("revenue").tolist(), t.periods.tolist()
    ([[40.0, 10.0], [25.0, 0.0]], ['2024-01', '2024-02'])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "segment",
        "revenue",
        "orders",
        "customers",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "period": "text",
        "start": "date",
        "segment": "text",
        "revenue": "money",
        "orders": "count",
        "customers": "count",
        "periods": "text",
        "period_start": "date",
        "period_end": "date",
        "unsegmented_revenue": "money",
        "n_rows_used": "count",
        "n_rows_after_as_of": "count",
        "n_rows_before_start": "count",
        "n_rows_not_purchases": "count",
        "n_rows_unsegmented": "count",
        "n_customers_unsegmented": "count",
    }
    _plot: ClassVar[str] = "segment_trends_chart"

    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    segment: npt.NDArray[np.str_]
    revenue: FloatArray
    orders: IntArray
    customers: IntArray
    segment_names: tuple[str, ...]
    periods: npt.NDArray[np.str_]
    period_start: npt.NDArray[np.datetime64]
    period_end: npt.NDArray[np.datetime64]
    unsegmented_revenue: FloatArray
    freq: Frequency
    as_of: np.datetime64
    as_of_is_default: bool
    last_period_complete: bool
    n_rows_used: int
    n_rows_after_as_of: int
    n_rows_before_start: int
    n_rows_not_purchases: int
    n_rows_unsegmented: int
    n_customers_unsegmented: int

    def matrix(self, figure: TrendFigure) -> npt.NDArray[Any]:
        """Return one figure as a periods x segments grid.

        Parameters
        ----------
        figure : {"revenue", "orders", "customers"}
            Which figure.

        Returns
        -------
        ndarray, shape (P, S)
            Row ``i`` is ``periods[i]``, column ``j`` is ``segment_names[j]``.

        Raises
        ------
        InputError
            For an unknown figure.

        Examples
        --------
        >>> t = segment_trends(
        ...     {"customer": [1], "timestamp": ["2024-01-05"], "amount": [40.0]},
        ...     {"customer": [1], "segment": ["loyal"]},
        ...     freq="month",
        ... )
        >>> t.matrix("orders").tolist()
        [[1]]
        """
        name = _params.choice(
            figure,
            ("revenue", "orders", "customers"),
            name="figure",
            function="SegmentTrends.matrix",
        )
        values = np.asarray(getattr(self, name))
        return values.reshape(self.periods.size, len(self.segment_names))


def segment_trends(
    data: object,
    segments: Segments | Mapping[str, npt.ArrayLike],
    *,
    freq: FrequencyLike,
    as_of: object | None = None,
    start: object | None = None,
    calendar: Calendar = _DEFAULT_CALENDAR,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> SegmentTrends:
    r"""Purchase trends per segment: revenue, orders and active customers per period.

    Parameters
    ----------
    data : Transactions, DataFrame-like, mapping of arrays or records
        The purchases (refunds negative).
    segments : Segments or mapping
        The segment of each customer: :class:`Segments` (from
        :func:`assign_segments`) or columns ``customer`` and ``segment``.
    freq : {"week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year", "day"}
        Period length. No default: it decides every figure.
    as_of : date-like, optional
        End of observation (exclusive); default midnight after the last row.
        Rows at or after it are left out and counted.
    start : date-like, optional
        Start of the window (inclusive); earlier rows are left out and
        counted. Default: from the first row.
    calendar : crmkit.periods.Calendar
        Week start and fiscal year start.
    customer, timestamp, amount : str
        Column names when *data* is a frame, mapping or records.
    date_format : str, optional
        strftime layout of the timestamps when they are not ISO-8601.

    Returns
    -------
    SegmentTrends
        One row per period and segment, zeros kept.

    Raises
    ------
    InputError
        For invalid rows, segments of another id kind, an unknown ``freq``,
        ``as_of`` before every row, ``start`` not before ``as_of``, no row in
        the window, or more than 20 million period x segment cells.

    Notes
    -----
    With :math:`p(i)` the period of row :math:`i` and :math:`s(c)` the
    segment of customer :math:`c`,

    .. math::

        \mathrm{revenue}_{ps} = \sum_{i:\, p(i) = p,\, s(c_i) = s} a_i,\quad
        \mathrm{orders}_{ps} = \#\{i : p(i) = p,\, s(c_i) = s,\, a_i > 0\},

    and the active customers are the distinct :math:`c_i` of those orders.
    Each customer keeps one segment throughout (the one given, typically as
    of the end), so the trends show how today's segments came to be. For
    every period the revenue of the segments plus
    ``unsegmented_revenue`` is the revenue of all its rows. One
    ``bincount`` over ``period * S + segment``; customers by one sort of the
    (customer, period) pairs.

    References
    ----------
    .. [1] Buttle, F. and Maklan, S. (2019). *Customer Relationship
       Management: Concepts and Technologies*, 4th ed., Routledge, ch. 6
       (customer portfolio analysis: performance of each segment over time).

    Examples
    --------
    A shop's RFM segments and what each bought per quarter:

    >>> from crmkit.datasets import simulate_transactions
    >>> from crmkit.segmentation import assign_segments, rfm_scores, rfm_summary
    >>> orders = simulate_transactions(500, "2023-01-01", "2025-01-01", seed=3)
    >>> segs = assign_segments(rfm_scores(rfm_summary(orders, unit="day")))
    >>> trends = segment_trends(orders, segs, freq="quarter", as_of="2025-01-01")
    >>> trends.periods.tolist()[:3], trends.last_period_complete
    (['2023-Q1', '2023-Q2', '2023-Q3'], True)
    >>> champions = trends.matrix("revenue")[:, segs.names.index("champions")]
    >>> bool(champions[-1] > champions[0])
    True
    >>> by_quarter = trends.matrix("revenue").sum(axis=1) + trends.unsegmented_revenue
    >>> bool(abs(by_quarter.sum() - orders.amount.sum()) < 1e-6 * orders.amount.sum())
    True
    """
    f = _freq(freq, _FN)
    cal = _params.instance(
        calendar, Calendar, name="calendar", function=_FN, what="a crmkit.periods.Calendar"
    )
    tx = read_transactions(
        data,
        function=_FN,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
    )
    end, is_default = _as_of(tx, as_of, _FN)
    groups = customer_groups(tx)
    seg_of_customer, names = _segment_codes(segments, groups, _FN)
    ts = tx.timestamp.view(np.int64)
    end_i = int(end.astype(DATETIME_DTYPE).view(np.int64))
    inside = ts < end_i
    n_after = int(tx.n_rows - np.count_nonzero(inside))
    n_before = 0
    start_key: int | None = None
    if start is not None:
        begin = scalar_datetime(start, field="start", function=_FN)
        if begin >= end:
            raise InputError.for_parameter(
                "start", f"before as_of ({end})", str(begin), function=_FN
            )
        after_start = ts >= int(begin.astype(DATETIME_DTYPE).view(np.int64))
        n_before = int(np.count_nonzero(inside & ~after_start))
        inside &= after_start
        start_key = int(period_keys(np.array([begin], dtype=DATETIME_DTYPE), f, calendar=cal)[0])
    if not inside.any():
        raise InputError(
            f"{_FN} found no transactions in the window before as_of ({end}).",
            field="as_of",
            hint="Widen the window with an earlier start or a later as_of.",
        )
    codes = groups.codes[inside]
    amounts = tx.amount[inside]
    keys = period_keys(ts[inside].view(DATETIME_DTYPE), f, calendar=cal)
    lo = int(keys.min()) if start_key is None else start_key
    hi = last_observed_period(end, f, calendar=cal)
    n_periods, n_segments = hi - lo + 1, len(names)
    _params.work_limit(
        n_periods * max(n_segments, 1),
        limit=_MAX_CELLS,
        name="freq",
        function=_FN,
        what="period x segment cells",
    )
    p = keys - lo
    seg = seg_of_customer[codes]
    has = seg >= 0
    cell = p[has] * n_segments + seg[has]
    size = n_periods * n_segments
    revenue = bincount(cell, weights=amounts[has], minlength=size).astype(np.float64)
    purchase = amounts > 0
    bought = has & purchase
    orders = bincount(p[bought] * n_segments + seg[bought], minlength=size).astype(np.int64)
    pairs = distinct_pairs(codes[bought], p[bought], groups.n_groups)
    active = bincount(pairs.key * n_segments + seg_of_customer[pairs.group], minlength=size).astype(
        np.int64
    )
    unsegmented = bincount(p[~has], weights=amounts[~has], minlength=n_periods)
    period_keys_all = np.arange(lo, hi + 1, dtype=np.int64)
    first, last = period_bounds(period_keys_all, f, calendar=cal)
    labels = period_labels(period_keys_all, f, calendar=cal)
    seg_labels = np.asarray(names, dtype=str)
    return SegmentTrends(
        period=as_readonly(np.repeat(labels, n_segments)),
        start=as_readonly(np.repeat(first, n_segments)),
        segment=as_readonly(np.tile(seg_labels, n_periods)),
        revenue=as_readonly(revenue),
        orders=as_readonly(orders),
        customers=as_readonly(active),
        segment_names=tuple(names),
        periods=as_readonly(labels),
        period_start=as_readonly(first),
        period_end=as_readonly(last),
        unsegmented_revenue=as_readonly(unsegmented.astype(np.float64)),
        freq=f,
        as_of=end,
        as_of_is_default=is_default,
        last_period_complete=bool(last[-1] == end),
        n_rows_used=int(codes.size),
        n_rows_after_as_of=n_after,
        n_rows_before_start=n_before,
        n_rows_not_purchases=int(codes.size - np.count_nonzero(purchase)),
        n_rows_unsegmented=int(np.count_nonzero(~has)),
        n_customers_unsegmented=int(np.unique(codes[~has]).size),
    )
