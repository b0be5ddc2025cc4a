"""What a fitted purchase model says, laid out to be checked: matrices, histograms, tracking.

Each view is computed on as few distinct cells as the question needs (a
frequency x recency grid, the distinct observation lengths, the calendar
periods), never on one row per customer beyond a counting pass, so a million
customers cost a few arrays of counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_readonly, scalar_datetime
from crmkit._params import choice, integer, number
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit._transactions import read_transactions
from crmkit.errors import InputError
from crmkit.periods import (
    Frequency,
    FrequencyLike,
    default_as_of,
    period_bounds,
    period_keys,
    period_labels,
)
from crmkit.roi._models._btyd_data import BTYDData, read_rfm, require_models_extra
from crmkit.roi._models._predict import (
    MAX_FREQUENCY_ROWS,
    MAX_HORIZON,
    AnyPurchaseModel,
    PredictiveKernel,
    check_model,
    discrete,
    kernel_at,
)

__all__ = [
    "FrequencyRecencyMatrix",
    "PurchaseTracking",
    "RepeatPurchaseHistogram",
    "alive_matrix",
    "expected_purchases_matrix",
    "purchase_tracking",
    "repeat_purchase_histogram",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MAX_COLUMNS: Final = 200  # recency columns of a matrix: enough for any screen
_MAX_ROWS: Final = 200


def _kernel(fit: object, function: str) -> tuple[AnyPurchaseModel, PredictiveKernel]:
    """Check the model and return its kernel: the views are of a model without covariates."""
    model = check_model(fit, function)
    if getattr(model, "covariates", None) is not None:
        raise InputError.for_parameter(
            "fit",
            "a model without covariates (a view lays out one parameter set)",
            f"{type(model).__name__} with covariates",
            function=function,
            hint="Predict per customer with probability_alive(..., covariates=table) instead.",
        )
    return model, kernel_at(model, None, None)


@attrs.frozen(kw_only=True, repr=False)
class FrequencyRecencyMatrix(Result):
    """A model's P(alive) or expected purchases on a frequency x recency grid.

    Attributes
    ----------
    frequency : ndarray of int64, shape (F,)
        Repeat purchases of each row, ``0 .. max_frequency``.
    recency : ndarray of float64, shape (R,)
        Time of the last purchase after the first, of each column, from 0 to ``T``.
    matrix : ndarray of float64, shape (F, R)
        The quantity for a customer with that frequency and recency observed
        for ``T``; NaN for the impossible cells (no repeat purchase but a
        recency above 0).
    customers : ndarray of int64, shape (F, R)
        Customers of the data in each cell (frequency row; nearest recency column).
    quantity : {"p_alive", "expected_purchases"}
        What ``matrix`` holds.
    T : float
        Observation length the grid is evaluated at (the data's longest by default).
    t : float or None
        Future length of the expected purchases (None for P(alive)).
    n_customers : int
        Customers in the data.
    n_beyond : int
        Customers with more repeat purchases than the last row (not in ``customers``).

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> m = alive_matrix(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ...     {"frequency": [0, 2, 5], "recency": [0.0, 20.0, 38.0], "T": [38.0, 38.0, 38.0]},
    ... )
    >>> m.matrix.shape, m.customers.sum()
    ((6, 39), np.int64(3))
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "recency": "number",
        "matrix": "number",
        "T": "number",
        "t": "number",
    }
    _plot: ClassVar[str] = "frequency_recency_heatmap"

    frequency: IntArray
    recency: FloatArray
    matrix: FloatArray
    customers: IntArray
    quantity: Literal["p_alive", "expected_purchases"]
    T: float
    t: float | None
    n_customers: int
    n_beyond: int


def _grid(
    rfm: BTYDData, T: float | None, max_frequency: int | None, function: str
) -> tuple[IntArray, FloatArray, float]:
    big_t = (
        float(rfm.T.max())
        if T is None
        else number(T, name="T", function=function, low=0.0, high=MAX_HORIZON)
    )
    if big_t <= 0:
        raise InputError.for_parameter(
            "T", "a number > 0 (the observation length)", big_t, function=function
        )
    top = int(rfm.frequency.max()) if max_frequency is None else max_frequency
    top = integer(top, name="max_frequency", function=function, minimum=0, maximum=_MAX_ROWS - 1)
    n_cols = min(int(np.ceil(big_t)) + 1, _MAX_COLUMNS)
    return np.arange(top + 1, dtype=np.int64), np.linspace(0.0, big_t, n_cols), big_t


def _cells(
    rfm: BTYDData, rows: IntArray, cols: FloatArray
) -> tuple[IntArray, int, BTYDData, npt.NDArray[np.bool_]]:
    """Count customers per grid cell (and beyond the last row) and build the grid as model input."""
    f, r = rows.size, cols.size
    inside = rfm.frequency <= rows[-1]
    mid = (cols[1:] + cols[:-1]) / 2.0
    col = np.searchsorted(mid, rfm.recency[inside])
    row = rfm.frequency[inside].astype(np.int64)
    counts = bincount(row * r + col, minlength=f * r).reshape(f, r)
    x = np.repeat(rows.astype(np.float64), r)
    t_x = np.tile(cols, f)
    impossible = (x == 0) & (t_x > 0)
    grid = BTYDData(
        customer=None,
        frequency=x,
        recency=np.where(impossible, 0.0, t_x),
        T=np.full(x.size, cols[-1]),
        monetary_value=None,
    )
    return counts.astype(np.int64), int(np.count_nonzero(~inside)), grid, impossible


def _matrix(
    fit: object,
    data: object,
    *,
    t: float | None,
    T: float | None,
    max_frequency: int | None,
    function: str,
) -> FrequencyRecencyMatrix:
    require_models_extra(function)
    model, kern = _kernel(fit, function)
    rfm = read_rfm(data, frequency=None, recency=None, T=None, function=function)
    rows, cols, big_t = _grid(rfm, T, max_frequency, function)
    cols[-1] = big_t
    if discrete(model) and np.any(cols != np.floor(cols)):
        raise InputError.for_parameter(
            "T",
            "a whole number of periods, at most 199, for BG/BB (the grid's columns are periods)",
            big_t,
            function=function,
        )
    counts, beyond, grid, impossible = _cells(rfm, rows, cols)
    x, t_x, big = grid.frequency, grid.recency, grid.T
    values = kern.alive(x, t_x, big) if t is None else kern.expected(x, t_x, big, t)
    values = np.where(impossible, np.nan, values).reshape(rows.size, cols.size)
    return FrequencyRecencyMatrix(
        frequency=as_readonly(rows),
        recency=as_readonly(cols),
        matrix=as_readonly(values),
        customers=as_readonly(counts),
        quantity="p_alive" if t is None else "expected_purchases",
        T=big_t,
        t=t,
        n_customers=rfm.n,
        n_beyond=beyond,
    )


def alive_matrix(
    fit: AnyPurchaseModel,
    data: object,
    *,
    T: float | None = None,
    max_frequency: int | None = None,
) -> FrequencyRecencyMatrix:
    r"""P(alive) of a customer by frequency and recency: the model's "who is still here" map.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A fitted purchase model without covariates.
    data : RFMData, mapping or DataFrame
        The customers (``frequency``, ``recency``, ``T``, same time unit as the
        fit): they set the grid's range and fill ``customers``.
    T : float, optional
        Observation length to evaluate the grid at (at most 10^7); default the
        longest in *data*.
    max_frequency : int, optional
        Last row; default the highest frequency in *data* (at most 199).

    Returns
    -------
    FrequencyRecencyMatrix
        ``matrix[x, j]`` = P(alive | x, recency[j], T), and the customers per cell.

    Raises
    ------
    InputError
        For a fit of the wrong type, bad columns, or a ``T`` or ``max_frequency``
        out of range.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Notes
    -----
    The grid has ``max_frequency + 1`` rows and ``min(ceil(T) + 1, 200)``
    recency columns from 0 to ``T`` (whole periods when ``T`` < 200), so the
    model is evaluated on at most 40,000 cells whatever the number of
    customers; the customers are only counted into cells (one ``bincount``).
    With integer recencies and ``T`` this is lifetimes'
    ``conditional_probability_alive_matrix`` (tested), with the impossible
    cells (``x = 0``, ``t_x > 0``) set to NaN. The formula is
    :func:`probability_alive` (Fader, Hardie & Lee 2005, eq. 11).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    A customer with 5 repeat purchases who has not bought for 30 of 38 weeks
    is probably gone; one who bought last week is probably not:

    >>> from crmkit.roi import bgnbd_from_params
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> m = alive_matrix(fit, {"frequency": [5], "recency": [37.0], "T": [38.0]})
    >>> m.matrix[5, [8, 37]].round(3)
    array([0.013, 0.877])
    """
    return _matrix(fit, data, t=None, T=T, max_frequency=max_frequency, function="alive_matrix")


def expected_purchases_matrix(
    fit: AnyPurchaseModel,
    data: object,
    *,
    t: float,
    T: float | None = None,
    max_frequency: int | None = None,
) -> FrequencyRecencyMatrix:
    r"""Lay out the expected purchases in the next *t* by frequency and recency.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A fitted purchase model without covariates.
    data : RFMData, mapping or DataFrame
        The customers; they set the grid's range and fill ``customers``.
    t : float
        Future length, > 0 (at most 10^7), in the data's time unit.
    T : float, optional
        Observation length to evaluate the grid at (at most 10^7); default the
        longest in *data*.
    max_frequency : int, optional
        Last row; default the highest frequency in *data* (at most 199).

    Returns
    -------
    FrequencyRecencyMatrix
        ``matrix[x, j]`` = E[Y(t) | x, recency[j], T].

    Raises
    ------
    InputError
        For a fit of the wrong type, bad columns, or ``t``, ``T`` or
        ``max_frequency`` out of range.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Notes
    -----
    The grid of :func:`alive_matrix`, evaluated with
    :func:`expected_purchases` (FHL 2005, eq. 10); lifetimes'
    ``conditional_expected_number_of_purchases_up_to_time`` on the same grid.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> m = expected_purchases_matrix(
    ...     fit, {"frequency": [2], "recency": [30.0], "T": [38.0]}, t=39.0
    ... )
    >>> float(m.matrix[2, 30].round(3))
    1.253
    """
    fn = "expected_purchases_matrix"
    future = number(t, name="t", function=fn, low=0.0, low_open=True, high=MAX_HORIZON)
    return _matrix(fit, data, t=future, T=T, max_frequency=max_frequency, function=fn)


@attrs.frozen(kw_only=True, repr=False)
class RepeatPurchaseHistogram(Result):
    """Customers by repeat purchases: observed next to what the model expects.

    Attributes
    ----------
    frequency : ndarray of int64, shape (k + 1,)
        ``0 .. max_frequency``; the last bin holds every customer with at least that many.
    actual : ndarray of int64, shape (k + 1,)
        Customers of the data in the bin.
    expected : ndarray of float64, shape (k + 1,)
        Customers the model expects there, given each customer's ``T``.
    n_customers : int
        Customers in the data.
    max_frequency : int
        The last bin.

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> h = repeat_purchase_histogram(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ...     {"frequency": [0, 1, 3], "recency": [0.0, 5.0, 30.0], "T": [38.0] * 3},
    ...     max_frequency=3,
    ... )
    >>> h.actual.tolist(), round(float(h.expected.sum()), 6)
    ([1, 1, 0, 1], 3.0)
    """

    _table: ClassVar[tuple[str, ...]] = ("frequency", "actual", "expected")
    _kinds: ClassVar[Mapping[str, Kind]] = {"frequency": "id", "expected": "number"}
    _rows: ClassVar[tuple[str, ...]] = ()
    _plot: ClassVar[str] = "repeat_purchase_chart"

    frequency: IntArray
    actual: IntArray
    expected: FloatArray
    n_customers: int
    max_frequency: int


def _pmf_by_age(kern: PredictiveKernel, t: FloatArray, k: int) -> FloatArray:
    """P(X(t) = x) for x = 0 .. k - 1 and each t, shape (len(t), k), from the model's pmf."""
    counts = np.arange(k, dtype=np.int64)
    rows = [kern.pmf(float(ti), counts) if ti > 0 else (counts == 0).astype(float) for ti in t]
    return np.asarray(np.stack(rows), dtype=np.float64)


def repeat_purchase_histogram(
    fit: AnyPurchaseModel, data: object, *, max_frequency: int = 7
) -> RepeatPurchaseHistogram:
    r"""Count customers by repeat purchases, beside the number the model expects.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A model fitted on *data* (the calibration period), without covariates.
    data : RFMData, mapping or DataFrame
        The customers' ``frequency``, ``recency`` and ``T``.
    max_frequency : int, default 7
        Last bin, >= 1 (at most 10,000); it collects every customer with at
        least that many.

    Returns
    -------
    RepeatPurchaseHistogram
        Observed and expected customers per bin.

    Raises
    ------
    InputError
        For a fit of the wrong type or with covariates, bad columns or a bad
        *max_frequency*.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Notes
    -----
    The expected count is :math:`\sum_i P(X(T_i) = x)` with (FHL 2005, eq. 8)

    .. math::

        P(X(t)=x) = \frac{B(a, b+x)}{B(a,b)} \frac{\Gamma(r+x)}{\Gamma(r)\,x!}
        \Big(\frac{\alpha}{\alpha+t}\Big)^r \Big(\frac{t}{\alpha+t}\Big)^x
        + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a,b)} \Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
        \sum_{j=0}^{x-1} \frac{\Gamma(r+j)}{\Gamma(r)\,j!}\Big(\frac{t}{\alpha+t}\Big)^j\Big],

    evaluated once per distinct :math:`T` and weighted by its customers; the
    last bin takes the rest, so both rows sum to the number of customers. It
    is FHL 2005's Figure 3 check (lifetimes' ``plot_period_transactions``
    compares with a simulation instead). The other models use their own
    distribution (:func:`purchase_count_pmf`).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> from crmkit.roi import fit_bgnbd
    >>> from crmkit.segmentation import btyd_summary
    >>> base = simulate_customer_base(2_000, "2023-01-01", "2024-01-01", seed=7)
    >>> summary = btyd_summary(base.transactions, freq="week", as_of="2024-01-01")
    >>> h = repeat_purchase_histogram(fit_bgnbd(summary), summary)
    >>> int(h.actual.sum()), bool(abs(h.expected[0] - h.actual[0]) < 0.05 * h.actual[0])
    (2000, True)
    """
    fn = "repeat_purchase_histogram"
    require_models_extra(fn)
    _, kern = _kernel(fit, fn)
    k = integer(
        max_frequency, name="max_frequency", function=fn, minimum=1, maximum=MAX_FREQUENCY_ROWS
    )
    rfm = read_rfm(data, frequency=None, recency=None, T=None, function=fn)
    t_values, weight = np.unique(rfm.T, return_counts=True)
    pmf = _pmf_by_age(kern, t_values, k)
    head = weight.astype(np.float64) @ pmf
    expected_counts = np.append(head, rfm.n - head.sum())
    actual = bincount(np.minimum(rfm.frequency, k).astype(np.int64), minlength=k + 1)
    return RepeatPurchaseHistogram(
        frequency=as_readonly(np.arange(k + 1, dtype=np.int64)),
        actual=as_readonly(actual.astype(np.int64)),
        expected=as_readonly(expected_counts),
        n_customers=rfm.n,
        max_frequency=k,
    )


@attrs.frozen(kw_only=True, repr=False)
class PurchaseTracking(Result):
    """Repeat purchases per calendar period: what customers did beside what the model expected.

    Attributes
    ----------
    period : ndarray of str, shape (k,)
        Period label.
    start : ndarray of datetime64[us], shape (k,)
        Period start.
    new_customers : ndarray of int64, shape (k,)
        Customers whose first purchase falls in the period.
    actual, expected : ndarray of float64, shape (k,)
        Repeat purchases (periods with a purchase after a customer's first)
        observed and expected in the period.
    actual_cumulative, expected_cumulative : ndarray of float64, shape (k,)
        Their running totals.
    freq : Frequency
        The period, which must be the time unit the model was fitted in.
    calibration_end : numpy.datetime64 or None
        The end of the data the model was fitted on, if given (the holdout follows).

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> tr = purchase_tracking(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ...     {
    ...         "customer": [1, 1, 2],
    ...         "timestamp": ["2024-01-01", "2024-01-20", "2024-01-08"],
    ...         "amount": [5.0, 7.0, 3.0],
    ...     },
    ...     freq="week",
    ... )
    >>> tr.period.tolist(), tr.actual.tolist()
    (['2024-W01', '2024-W02', '2024-W03'], [0.0, 0.0, 1.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "new_customers",
        "actual",
        "expected",
        "actual_cumulative",
        "expected_cumulative",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "actual": "number",
        "expected": "number",
        "actual_cumulative": "number",
        "expected_cumulative": "number",
    }
    _plot: ClassVar[str] = "tracking_chart"

    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    new_customers: IntArray
    actual: FloatArray
    expected: FloatArray
    actual_cumulative: FloatArray
    expected_cumulative: FloatArray
    freq: Frequency
    calibration_end: np.datetime64 | None


def purchase_tracking(
    fit: AnyPurchaseModel,
    transactions: object,
    *,
    freq: FrequencyLike,
    as_of: object | None = None,
    calibration_end: object | None = None,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> PurchaseTracking:
    r"""Track repeat purchases per period against the model's expectation (the tracking plot).

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A model (without covariates) fitted with periods of *freq* as its time unit.
    transactions : Transactions, DataFrame, mapping of columns or records
        Every purchase, calibration and holdout alike.
    freq : Frequency or str
        The period (``"week"`` when the fit was on a weekly summary).
    as_of : date-like, optional
        End of tracking (exclusive); default midnight after the last transaction.
    calibration_end : date-like, optional
        End of the calibration data, kept to mark the split.
    customer, timestamp, amount : str
        Column names when *transactions* is a frame, mapping or records.
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (e.g. ``"%Y%m%d"``).

    Returns
    -------
    PurchaseTracking
        Actual and expected repeat purchases per period, and their running totals.

    Raises
    ------
    InputError
        For a fit of the wrong type, bad rows, or an *as_of* before the data.
    ImportError
        When scipy (the ``models`` extra) is not installed.

    Notes
    -----
    A customer whose first purchase is in period :math:`c` has made
    :math:`E[X(p - c)]` repeat purchases by the end of period :math:`p`, with
    the population mean (FHL 2005, eq. 9)
    :math:`E[X(t)] = \frac{a+b-1}{a-1}\big[1 - (\frac{\alpha}{\alpha+t})^r
    {}_2F_1(r, b; a+b-1; \frac{t}{\alpha+t})\big]` (Pareto/NBD:
    :math:`\frac{r\beta}{\alpha(s-1)}[1 - (\frac{\beta}{\beta+t})^{s-1}]`).
    The expected total is the convolution of the new customers per period with
    :math:`E[X(0)], E[X(1)], \dots`: the model is evaluated once per period,
    not per customer. Repeat purchases are counted as in
    :func:`crmkit.segmentation.btyd_summary` (periods with a purchase after
    the first), as in lifetimes' ``expected_cumulative_transactions``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284 (Figure 2).

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> from crmkit.roi import fit_bgnbd
    >>> from crmkit.segmentation import btyd_summary
    >>> base = simulate_customer_base(2_000, "2023-01-01", "2024-01-01", seed=7)
    >>> cal = btyd_summary(base.transactions, freq="week", as_of="2023-09-01")
    >>> tr = purchase_tracking(
    ...     fit_bgnbd(cal), base.transactions, freq="week", calibration_end="2023-09-01"
    ... )
    >>> gap = abs(tr.expected_cumulative[-1] / tr.actual_cumulative[-1] - 1)
    >>> bool(gap < 0.1)
    True
    """
    fn = "purchase_tracking"
    require_models_extra(fn)
    _, kern = _kernel(fit, fn)
    f = choice(freq, Frequency, name="freq", function=fn)
    tx = read_transactions(
        transactions,
        function=fn,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
        data_name="transactions",
    )
    end = (
        default_as_of(tx.timestamp)
        if as_of is None
        else scalar_datetime(as_of, field="as_of", function=fn)
    )
    cal = (
        None
        if calibration_end is None
        else scalar_datetime(calibration_end, field="calibration_end", function=fn)
    )
    inside = tx.timestamp < end
    if not inside.any():
        raise InputError.for_parameter(
            "as_of", f"after the first transaction ({tx.timestamp.min()})", str(end), function=fn
        )
    keys = period_keys(tx.timestamp[inside], f)
    last_key = int(period_keys(np.array([end - np.timedelta64(1, "us")]), f)[0])
    ids = tx.customer[inside]
    codes = factorize(ids).codes
    lo = int(keys.min())
    span = last_key - lo + 1
    pairs = np.unique(codes.astype(np.int64) * span + (keys - lo))
    owner, period = pairs // span, pairs % span
    first = np.ones(pairs.size, dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    births = bincount(period[first], minlength=span).astype(np.int64)
    actual = bincount(period[~first], minlength=span).astype(np.float64)
    elapsed = kern.unconditional(np.arange(span, dtype=np.float64))
    cumulative = np.convolve(births.astype(np.float64), elapsed)[:span]
    incremental = np.diff(cumulative, prepend=0.0)
    period_keys_all = np.arange(lo, last_key + 1, dtype=np.int64)
    start, _ = period_bounds(period_keys_all, f)
    return PurchaseTracking(
        period=as_readonly(period_labels(period_keys_all, f)),
        start=as_readonly(start),
        new_customers=as_readonly(births),
        actual=as_readonly(actual),
        expected=as_readonly(incremental),
        actual_cumulative=as_readonly(np.cumsum(actual)),
        expected_cumulative=as_readonly(cumulative),
        freq=f,
        calibration_end=cal,
    )
