"""Calibration/holdout validation of the BG/NBD purchase model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._engine import activity_periods, as_lazy
from crmkit._input import as_finite_float, as_readonly, check_same_length, scalar_datetime
from crmkit._params import choice, integer
from crmkit._reduce import bincount
from crmkit._results import Kind, Result, names_field, names_of
from crmkit._transactions import read_transactions
from crmkit.errors import InputError
from crmkit.periods import Calendar, Frequency, last_observed_period, period_keys
from crmkit.roi._models._btyd_data import require_models_extra
from crmkit.roi._models._predict import MAX_FREQUENCY_ROWS, AnyPurchaseModel, horizon, prepare
from crmkit.segmentation import BTYDSummary, btyd_summary

__all__ = ["CalibrationHoldout", "HoldoutComparison", "calibration_holdout", "holdout_comparison"]

FloatArray = npt.NDArray[np.float64]
_FREQUENCIES: Final = (  # those of btyd_summary
    Frequency.DAY,
    Frequency.WEEK,
    Frequency.MONTH,
    Frequency.QUARTER,
    Frequency.YEAR,
)


@attrs.frozen(kw_only=True, repr=False)
class CalibrationHoldout(Result):
    """Transactions split in time: a BTYD summary to fit on, purchases to check against.

    Attributes
    ----------
    calibration : BTYDSummary
        The summary of the rows dated before ``calibration_end`` (exclusive).
    customer : ndarray, shape (n,)
        The calibration customers (same order as ``calibration``).
    holdout_purchases : ndarray of int64, shape (n,)
        Periods with a purchase dated at or after ``calibration_end`` and
        before ``observation_end``, per calibration customer.
    holdout_length : float
        Length of the holdout in periods of ``freq``.
    holdout_by_period : ndarray of int64, shape (holdout_length,)
        Repeat purchases (customer-periods) of the calibration customers in
        each holdout period: the actual side of the tracking curve.
    calibration_end, observation_end : numpy.datetime64
        The split and the end of observation, both exclusive.
    freq : Frequency
        The period unit.
    n_new_in_holdout : int
        Customers whose first purchase falls in the holdout (not scored).

    Examples
    --------
    >>> split = calibration_holdout(
    ...     {"customer": [7, 7], "timestamp": ["2024-01-02", "2024-02-20"], "amount": [5.0, 8.0]},
    ...     freq="week",
    ...     calibration_end="2024-01-31",
    ...     observation_end="2024-03-31",
    ... )
    >>> split.holdout_purchases.tolist(), split.freq.value
    ([1], 'week')
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "holdout_purchases")
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id", "holdout_length": "number"}
    _rows: ClassVar[tuple[str, ...]] = ("calibration", "customer", "holdout_purchases")

    calibration: BTYDSummary
    customer: npt.NDArray[Any]
    holdout_purchases: npt.NDArray[np.int64]
    holdout_length: float
    calibration_end: np.datetime64
    observation_end: np.datetime64
    freq: Frequency
    n_new_in_holdout: int
    holdout_by_period: npt.NDArray[np.int64]
    _source_names: Mapping[str, str] = names_field()


def calibration_holdout(
    transactions: object,
    *,
    freq: Frequency | Literal["day", "week", "month"],
    calibration_end: object,
    observation_end: object,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> CalibrationHoldout:
    r"""Split transactions into a calibration summary and holdout purchase counts.

    Parameters
    ----------
    transactions : Transactions, DataFrame, mapping of columns or records
        The transaction log.
    freq : Frequency or {"day", "week", "month"}
        The period: frequency, recency, T and holdout purchases count
        distinct periods with a purchase, as :func:`crmkit.segmentation.btyd_summary`.
    calibration_end : date-like
        The split, exclusive like every crmkit ``as_of``: rows dated before
        it are calibration, rows at or after it holdout (the raw timestamps
        are compared, as lifetimes' ``calibration_and_holdout_data`` and
        pymc-marketing do; lifetimes' inclusive ``calibration_period_end=D``
        is ``calibration_end = D + 1 day``).
    observation_end : date-like
        End of the holdout, exclusive (rows at or after it are left out), in
        a later period than the last one observed before *calibration_end*.
    customer, timestamp, amount : str
        Column names when *transactions* is a frame, mapping or records.
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (CDNOW's
        ``"%Y%m%d"``).

    Returns
    -------
    CalibrationHoldout
        The calibration summary and each calibration customer's holdout purchases.

    Raises
    ------
    InputError
        When no row is before *calibration_end*, when *observation_end* is
        not in a later period, or for bad rows.

    Notes
    -----
    The split cuts on the raw timestamp first; periods are counted after the
    cut (the project's convention, docs/conventions.md). The calibration
    summary is :func:`crmkit.segmentation.btyd_summary` as of
    :math:`t_{cal}` (rows with :math:`t < t_{cal}`); holdout purchases of
    customer :math:`i` are the number of distinct periods among their rows
    with :math:`t_{cal} \le t < t_{obs}`, and the holdout lasts
    :math:`p_{obs} - p_{cal}` periods, with :math:`p` the last period
    observed before each end. So a purchase dated on or after the cut, in
    the same week, is a holdout purchase (in that week). This matches
    lifetimes' ``calibration_and_holdout_data`` (tested on CDNOW).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284 (the 39-week
    calibration and holdout of CDNOW).

    Examples
    --------
    >>> split = calibration_holdout(
    ...     {
    ...         "customer": [1, 1, 1, 2],
    ...         "timestamp": ["2024-01-01", "2024-01-05", "2024-02-10", "2024-01-03"],
    ...         "amount": [10.0, 12.0, 9.0, 30.0],
    ...     },
    ...     freq="day",
    ...     calibration_end="2024-01-31",
    ...     observation_end="2024-03-01",
    ... )
    >>> split.calibration.frequency.tolist(), split.holdout_purchases.tolist(), split.holdout_length
    ([1, 0], [1, 0], 30.0)
    """
    fn = "calibration_holdout"
    f = choice(freq, Frequency, name="freq", function=fn, among=_FREQUENCIES)
    cal_end = scalar_datetime(calibration_end, field="calibration_end", function=fn)
    obs_end = scalar_datetime(observation_end, field="observation_end", function=fn)
    # the cut is on the raw timestamp; periods are counted after it. A lazy table forms the
    # distinct (customer, period) pairs of its holdout rows in its engine, by the same rule.
    held = None
    if as_lazy(transactions) is not None:
        held = activity_periods(
            transactions,
            customer=customer,
            timestamp=timestamp,
            freq=f,
            calendar=Calendar(),
            function=fn,
            window=(cal_end, obs_end),
        )
    source: object
    if held is None:
        tx = read_transactions(
            transactions,
            function=fn,
            customer=customer,
            timestamp=timestamp,
            amount=amount,
            date_format=date_format,
            data_name="transactions",
        )
        source, first = tx, tx.timestamp.min()
        inside = (tx.timestamp >= cal_end) & (tx.timestamp < obs_end)
        ids, keys = tx.customer[inside], period_keys(tx.timestamp[inside], f)
    else:
        source, first = transactions, held.first
        ids, keys = held.customers[held.codes], held.keys
    if not first < cal_end:
        raise InputError.for_parameter(
            "calibration_end",
            f"after the first transaction ({first})",
            str(cal_end),
            function=fn,
        )
    cal_key = last_observed_period(cal_end, f)
    obs_key = last_observed_period(obs_end, f)
    if obs_key <= cal_key:
        raise InputError.for_parameter(
            "observation_end",
            f"in a later {f.value} than calibration_end ({cal_end})",
            str(obs_end),
            function=fn,
        )
    summary = btyd_summary(
        source,
        freq=f,
        as_of=cal_end,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
    )
    hold_keys = keys - cal_key  # 0 for the rest of the cut's own period
    cal_ids = summary.customer
    n = cal_ids.shape[0]
    where = np.clip(np.searchsorted(cal_ids, ids), 0, max(n - 1, 0))
    known = cal_ids[where] == ids if n else np.zeros(ids.shape[0], dtype=bool)
    span = obs_key - cal_key + 1
    pairs = np.unique(where[known].astype(np.int64) * span + hold_keys[known])
    counts = bincount(pairs // span, minlength=n).astype(np.int64)
    by_period = bincount(pairs % span, minlength=span).astype(np.int64)
    # purchases in the rest of the cut's own period count in the first holdout period
    by_period = np.r_[by_period[0] + by_period[1], by_period[2:]] if span > 1 else by_period
    n_new = np.unique(ids[~known]).shape[0] if (~known).any() else 0
    return CalibrationHoldout(
        calibration=summary,
        customer=cal_ids,
        holdout_purchases=as_readonly(counts),
        holdout_length=float(obs_key - cal_key),
        calibration_end=cal_end,
        observation_end=obs_end,
        freq=f,
        n_new_in_holdout=int(n_new),
        holdout_by_period=as_readonly(by_period),
        source_names=names_of(summary, "customer"),
    )


@attrs.frozen(kw_only=True, repr=False)
class HoldoutComparison(Result):
    """Predicted vs actual holdout purchases, by calibration frequency and in total.

    Attributes
    ----------
    frequency : ndarray of int64, shape (k,)
        Calibration repeat purchases of the group; the last group holds every
        customer with at least that many.
    n_customers : ndarray of int64, shape (k,)
        Customers in the group.
    predicted, actual : ndarray of float64, shape (k,)
        Mean predicted and actual holdout purchases per customer of the group
        (NaN for a group without customers).
    predicted_total, actual_total : float
        Summed over all customers.
    mean_absolute_error, root_mean_squared_error : float
        Per-customer errors of the prediction.
    correlation : float
        Correlation of predicted and actual per customer (NaN when either is constant).
    customer_predicted, customer_actual : ndarray of float64, shape (n,)
        Per-customer values, in the order of the calibration data.
    holdout_length : float
        Length of the holdout in the data's time unit.

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> check = holdout_comparison(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ...     {"frequency": [0, 3], "recency": [0.0, 20.0], "T": [30.0, 30.0]},
    ...     holdout_purchases=[0, 2],
    ...     holdout_length=26.0,
    ...     max_frequency=3,
    ... )
    >>> check.actual_total
    2.0
    """

    _table: ClassVar[tuple[str, ...]] = ("frequency", "n_customers", "predicted", "actual")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "predicted": "number",
        "actual": "number",
        "predicted_total": "number",
        "actual_total": "number",
        "mean_absolute_error": "number",
        "root_mean_squared_error": "number",
        "correlation": "number",
        "customer_predicted": "number",
        "customer_actual": "number",
        "holdout_length": "number",
    }
    _plot: ClassVar[str] = "holdout_chart"

    frequency: npt.NDArray[np.int64]
    n_customers: npt.NDArray[np.int64]
    predicted: FloatArray
    actual: FloatArray
    predicted_total: float
    actual_total: float
    mean_absolute_error: float
    root_mean_squared_error: float
    correlation: float
    customer_predicted: FloatArray
    customer_actual: FloatArray
    holdout_length: float


def holdout_comparison(
    fit: AnyPurchaseModel,
    data: object,
    *,
    holdout_purchases: npt.ArrayLike | None = None,
    holdout_length: float | None = None,
    max_frequency: int = 7,
    covariates: object | None = None,
) -> HoldoutComparison:
    r"""Compare the model's holdout predictions with what customers actually did.

    Parameters
    ----------
    fit : BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit
        A model fitted on the calibration data.
    data : CalibrationHoldout or RFMData
        A :func:`calibration_holdout` split (which carries the holdout), or
        calibration ``frequency``/``recency``/``T`` with the two keywords below.
    holdout_purchases : array_like, shape (n,), optional
        Actual purchases in the holdout, aligned with *data*.
    holdout_length : float, optional
        Holdout length in the data's time unit, > 0 (at most 10^7).
    max_frequency : int
        Customers with this many calibration repeat purchases or more share
        the last group (FHL 2005, Figure 4 uses 7; at most 10,000).
    covariates : DataFrame or mapping of columns, optional
        The covariate table, for a model fitted with covariates.

    Returns
    -------
    HoldoutComparison
        Group means and totals of predicted vs actual purchases.

    Raises
    ------
    InputError
        For a missing or misaligned holdout, or a bad *max_frequency*.

    Notes
    -----
    The prediction is :math:`E[Y(t^*) \mid x, t_x, T]` with :math:`t^*` the
    holdout length (FHL 2005, eq. 10), the conditional expectation the paper
    validates in its Figure 4.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> fit = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> check = holdout_comparison(
    ...     fit,
    ...     {"frequency": [0, 2, 5], "recency": [0.0, 30.0, 36.0], "T": [38.0, 38.0, 38.0]},
    ...     holdout_purchases=[0, 1, 4],
    ...     holdout_length=39.0,
    ... )
    >>> check.frequency.tolist(), check.actual.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [0.0, nan, 1.0, nan, nan, 4.0, nan, nan])
    """
    fn = "holdout_comparison"
    require_models_extra(fn)
    bins = integer(
        max_frequency, name="max_frequency", function=fn, minimum=1, maximum=MAX_FREQUENCY_ROWS
    )
    if isinstance(data, CalibrationHoldout):
        if holdout_purchases is not None or holdout_length is not None:
            raise InputError.for_parameter(
                "holdout_purchases",
                "None when a CalibrationHoldout is given (it carries the holdout)",
                "an array",
                function=fn,
            )
        table: object = data.calibration
        actual = data.holdout_purchases.astype(np.float64)
        length: object = data.holdout_length
    else:
        if holdout_purchases is None and holdout_length is None:
            raise InputError.for_parameter(
                "data",
                "a CalibrationHoldout, or a table given with holdout_purchases and holdout_length",
                type(data).__name__,
                function=fn,
            )
        for name, value in (
            ("holdout_purchases", holdout_purchases),
            ("holdout_length", holdout_length),
        ):
            if value is None:
                raise InputError.for_parameter(
                    name,
                    "given with the other of holdout_purchases and holdout_length unless data "
                    "is a CalibrationHoldout",
                    None,
                    function=fn,
                )
        table = data
        actual = as_finite_float(
            holdout_purchases, field="holdout_purchases", function=fn, minimum=0.0
        )
        length = holdout_length
    p = prepare(
        fit, table, frequency=None, recency=None, T=None, covariates=covariates, function=fn
    )
    check_same_length({"frequency": p.data.n, "holdout_purchases": actual.shape[0]}, function=fn)
    window = horizon(length, p.model, name="holdout_length", function=fn)
    if window <= 0:
        raise InputError.for_parameter("holdout_length", "a number > 0", length, function=fn)
    rfm = p.data
    predicted = p.spread(p.kernel.expected(p.rows.frequency, p.rows.recency, p.rows.T, window))
    group = np.minimum(rfm.frequency, bins).astype(np.int64)
    k = bins + 1
    count = bincount(group, minlength=k).astype(np.int64)
    with np.errstate(all="ignore"):
        mean_pred = bincount(group, weights=predicted, minlength=k) / count
        mean_act = bincount(group, weights=actual, minlength=k) / count
    err = predicted - actual
    corr = float("nan")
    if np.ptp(predicted) > 0 and np.ptp(actual) > 0:
        corr = float(np.corrcoef(predicted, actual)[0, 1])
    return HoldoutComparison(
        frequency=as_readonly(np.arange(k, dtype=np.int64)),
        n_customers=as_readonly(count),
        predicted=as_readonly(mean_pred),
        actual=as_readonly(mean_act),
        predicted_total=float(predicted.sum()),
        actual_total=float(actual.sum()),
        mean_absolute_error=float(np.mean(np.abs(err))),
        root_mean_squared_error=float(np.sqrt(np.mean(err**2))),
        correlation=corr,
        customer_predicted=as_readonly(predicted),
        customer_actual=as_readonly(np.array(actual)),
        holdout_length=float(window),
    )
