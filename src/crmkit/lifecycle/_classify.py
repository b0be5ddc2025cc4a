"""Behavioural relationship-stage classification from purchase metrics, vectorised."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_ids, as_readonly, check_same_length, scalar_datetime
from crmkit._params import instance, number
from crmkit._reduce import bincount
from crmkit._results import Kind, Result, count_labels, frozen_mapping
from crmkit._transactions import customer_groups, read_transactions
from crmkit.errors import InputError
from crmkit.lifecycle._columns import nonempty_rows
from crmkit.periods import default_as_of

__all__ = [
    "CLASSIFICATION_RULES",
    "LifecycleMetrics",
    "StageClassification",
    "StageThresholds",
    "classify_stages",
    "lifecycle_metrics",
]

_US_PER_DAY: Final = 86_400_000_000
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STAGES: Final = ("exploration", "build_up", "maturity", "decline", "terminated")
CLASSIFICATION_RULES: Final = (
    ("lapsed", "terminated"),
    ("new", "exploration"),
    ("single_purchase", "exploration"),
    ("overdue", "decline"),
    ("falling_frequency", "decline"),
    ("falling_spend", "decline"),
    ("rising", "build_up"),
    ("steady", "maturity"),
)
"""The rules of :func:`classify_stages` in evaluation order, with the stage each assigns."""


def _positive(inst: object, attribute: attrs.Attribute[float], value: object) -> None:
    number(value, name=attribute.name, function=type(inst).__name__, low=0.0, low_open=True)


@attrs.frozen(kw_only=True)
class StageThresholds:
    """Thresholds of the behavioural stage rules (documented defaults).

    Parameters
    ----------
    new_days : float, default 180
        Customers whose first purchase is less than this many days before
        ``as_of`` are in ``exploration`` (rule ``new``). Twice the default
        trend window, so every older customer has two full windows of history.
    lapse_ratio : float, default 3.0
        ``terminated`` (rule ``lapsed``) when recency exceeds this multiple of
        the customer's own typical inter-purchase time ...
    lapse_min_days : float, default 180
        ... and also exceeds this many days (so weekly buyers are not
        declared lost after three weeks).
    overdue_ratio : float, default 1.5
        ``decline`` (rule ``overdue``) when recency exceeds this multiple of
        the typical inter-purchase time.
    falling_ratio : float, default 0.67
        ``decline`` when purchases (rule ``falling_frequency``) or spend
        (rule ``falling_spend``) in the recent window are at most this
        fraction of the earlier window.
    rising_ratio : float, default 1.5
        ``build_up`` (rule ``rising``) when recent purchases or spend are at
        least this multiple of the earlier window (or the earlier window is
        empty and the recent one is not).
    min_trend_purchases : float, default 4
        The trend rules (falling and rising) only judge customers with at
        least this many purchases in the two windows together; with fewer,
        a change between windows is mostly noise (two purchases against one
        is not growth).

    Raises
    ------
    InputError
        If a threshold is not a finite number > 0.

    Examples
    --------
    >>> StageThresholds(lapse_ratio=4.0).overdue_ratio
    1.5
    """

    new_days: float = attrs.field(default=180.0, validator=_positive)
    lapse_ratio: float = attrs.field(default=3.0, validator=_positive)
    lapse_min_days: float = attrs.field(default=180.0, validator=_positive)
    overdue_ratio: float = attrs.field(default=1.5, validator=_positive)
    falling_ratio: float = attrs.field(default=0.67, validator=_positive)
    rising_ratio: float = attrs.field(default=1.5, validator=_positive)
    min_trend_purchases: float = attrs.field(default=4.0, validator=_positive)


@attrs.frozen(kw_only=True, repr=False)
class LifecycleMetrics(Result):
    """Per-customer behaviour metrics behind the stage rules.

    Attributes
    ----------
    customer : ndarray, shape (k,)
        Customer ids, ascending.
    tenure_days : ndarray of float64, shape (k,)
        Days from the first purchase to ``as_of``.
    recency_days : ndarray of float64, shape (k,)
        Days from the last purchase to ``as_of``.
    frequency : ndarray of int64, shape (k,)
        Purchases (rows with a positive amount).
    recent_count, earlier_count : ndarray of int64, shape (k,)
        Purchases in ``[as_of - w, as_of)`` and ``[as_of - 2w, as_of - w)``.
    recent_spend, earlier_spend : ndarray of float64, shape (k,)
        Net amount (refunds included) in the same two windows.
    as_of : numpy.datetime64
        The end of observation (exclusive).
    as_of_is_default : bool
        Whether ``as_of`` was the default (midnight after the last transaction).
    window_days : float
        The window length *w*.
    n_rows_after_as_of : int
        Transaction rows at or after ``as_of`` (excluded).

    Examples
    --------
    >>> from crmkit import Transactions
    >>> tx = Transactions.from_arrays(
    ...     customer=[1, 1, 1],
    ...     timestamp=["2024-01-01", "2024-03-01", "2024-05-01"],
    ...     amount=[10.0, 20.0, 30.0],
    ... )
    >>> m = lifecycle_metrics(tx, as_of="2024-06-01", window_days=90)
    >>> m.recent_count.tolist(), m.earlier_count.tolist()
    ([1], [2])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "tenure_days",
        "recency_days",
        "frequency",
        "recent_count",
        "earlier_count",
        "recent_spend",
        "earlier_spend",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "tenure_days": "number",
        "recency_days": "number",
        "recent_spend": "money",
        "earlier_spend": "money",
        "window_days": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = _table

    customer: npt.NDArray[Any]
    tenure_days: FloatArray
    recency_days: FloatArray
    frequency: IntArray
    recent_count: IntArray
    earlier_count: IntArray
    recent_spend: FloatArray
    earlier_spend: FloatArray
    as_of: np.datetime64
    as_of_is_default: bool
    window_days: float
    n_rows_after_as_of: int


def lifecycle_metrics(
    transactions: object,
    *,
    as_of: object = None,
    window_days: float = 90.0,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    date_format: str | None = None,
) -> LifecycleMetrics:
    """Compute the per-customer metrics the stage rules use, in one grouped pass.

    Parameters
    ----------
    transactions : Transactions or anything :func:`crmkit.as_transactions` reads
        Purchase rows (a frame, a mapping of columns or records).
    as_of : date, datetime, ISO string or numpy.datetime64, optional
        End of observation, exclusive; default midnight after the last
        transaction (``as_of_is_default`` says so). Rows at or after it are
        excluded and counted (``n_rows_after_as_of``).
    window_days : float, default 90
        Length of the recent and the earlier comparison windows, in days (> 0).
    customer, timestamp, amount : str
        The caller's column names for the three fields (tables only).
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601, e.g.
        ``"%Y%m%d"``.

    Returns
    -------
    LifecycleMetrics
        One row per customer with at least one row before ``as_of``.

    Raises
    ------
    InputError
        If ``window_days`` is not a number > 0, the transactions are empty or
        invalid, or every row is at or after ``as_of``.

    Notes
    -----
    With ``t`` a purchase time and ``w`` the window, the recent window is
    ``as_of - w <= t < as_of`` and the earlier one
    ``as_of - 2w <= t < as_of - w``: each holds exactly *w* days.

    Examples
    --------
    >>> m = lifecycle_metrics(
    ...     {
    ...         "cust": ["a", "a"],
    ...         "day": ["2024-01-01", "2024-01-31"],
    ...         "eur": [5.0, 7.0],
    ...     },
    ...     as_of="2024-03-01",
    ...     customer="cust",
    ...     timestamp="day",
    ...     amount="eur",
    ... )
    >>> m.tenure_days.tolist(), m.recency_days.tolist(), m.frequency.tolist()
    ([60.0], [30.0], [2])
    """
    function = "lifecycle_metrics"
    w = number(window_days, name="window_days", function=function, low=0.0, low_open=True)
    tx = read_transactions(
        transactions,
        function=function,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        date_format=date_format,
        data_name="transactions",
    )
    nonempty_rows(len(tx), function=function, data_name="transactions")
    is_default = as_of is None
    end = (
        default_as_of(tx.timestamp)
        if is_default
        else scalar_datetime(as_of, field="as_of", function=function)
    )
    t = tx.timestamp.view(np.int64)
    end_i = int(end.astype(np.int64))
    keep = t < end_i
    n_after = int(keep.size - np.count_nonzero(keep))
    if n_after == keep.size:
        raise InputError.for_parameter(
            "as_of", "after the first transaction", str(end), function=function
        )
    groups = customer_groups(tx)
    if n_after:
        groups = groups.take(keep)
        t = t[keep]
        amount_ = tx.amount[keep]
    else:
        amount_ = tx.amount
    k = groups.n_groups
    codes = groups.codes
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, codes, t)
    np.maximum.at(last, codes, t)
    age = (end_i - t).astype(np.float64) / _US_PER_DAY  # > 0: every kept row is before as_of
    recent = age <= w
    earlier = ~recent & (age - w <= w)
    purchase = amount_ > 0
    freq = bincount(codes[purchase], minlength=k).astype(np.int64)
    return LifecycleMetrics(
        customer=as_readonly(groups.uniques),
        tenure_days=as_readonly((end_i - first).astype(np.float64) / _US_PER_DAY),
        recency_days=as_readonly((end_i - last).astype(np.float64) / _US_PER_DAY),
        frequency=as_readonly(freq),
        recent_count=as_readonly(bincount(codes[recent & purchase], minlength=k).astype(np.int64)),
        earlier_count=as_readonly(
            bincount(codes[earlier & purchase], minlength=k).astype(np.int64)
        ),
        recent_spend=as_readonly(
            bincount(codes, weights=np.where(recent, amount_, 0.0), minlength=k).astype(np.float64)
        ),
        earlier_spend=as_readonly(
            bincount(codes, weights=np.where(earlier, amount_, 0.0), minlength=k).astype(np.float64)
        ),
        as_of=end,
        as_of_is_default=is_default,
        window_days=w,
        n_rows_after_as_of=n_after,
    )


@attrs.frozen(kw_only=True, repr=False)
class StageClassification(Result):
    """The relationship stage of every customer, with the rule that assigned it.

    Attributes
    ----------
    customer : ndarray, shape (k,)
        Customer ids.
    stage : ndarray of str, shape (k,)
        One of ``exploration``, ``build_up``, ``maturity``, ``decline``, ``terminated``
        (the stages of :func:`relationship_lifecycle`).
    rule : ndarray of str, shape (k,)
        The first rule of :data:`CLASSIFICATION_RULES` that held.
    stage_counts : dict of str to int
        Customers per stage (every stage listed, zeros kept).
    rule_counts : dict of str to int
        Customers per rule (every rule listed).
    thresholds : StageThresholds
        The thresholds used.
    used_trends : bool
        Whether window counts were available (the trend rules were applied).

    Examples
    --------
    >>> c = classify_stages(
    ...     {
    ...         "customer": [1, 2],
    ...         "tenure_days": [30.0, 400.0],
    ...         "recency_days": [5.0, 390.0],
    ...         "frequency": [1, 3],
    ...     }
    ... )
    >>> c.stage.tolist(), c.rule.tolist()
    (['exploration', 'terminated'], ['new', 'lapsed'])
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "stage", "rule")
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id"}
    _rows: ClassVar[tuple[str, ...]] = _table

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        return rows | {
            "stage_counts": count_labels(rows["stage"], list(self.stage_counts)),
            "rule_counts": count_labels(rows["rule"], list(self.rule_counts)),
        }

    customer: npt.NDArray[Any]
    stage: npt.NDArray[np.str_]
    rule: npt.NDArray[np.str_]
    stage_counts: Mapping[str, int] = attrs.field(converter=frozen_mapping)
    rule_counts: Mapping[str, int]
    thresholds: StageThresholds
    used_trends: bool


_REQUIRED: Final = ("customer", "tenure_days", "recency_days", "frequency")
_TRENDS: Final = ("recent_count", "earlier_count", "recent_spend", "earlier_spend")


def _from_rfm(data: Result) -> dict[str, npt.NDArray[Any]]:
    """Days-based metrics from an RFM summary result (first/last purchase and as_of)."""
    rfm: Any = data
    as_of = np.datetime64(rfm.as_of, "us").astype(np.int64)
    first = np.asarray(rfm.first_purchase).astype("datetime64[us]").view(np.int64)
    last = np.asarray(rfm.last_purchase).astype("datetime64[us]").view(np.int64)
    return {
        "customer": np.asarray(rfm.customer),
        "tenure_days": (as_of - first).astype(np.float64) / _US_PER_DAY,
        "recency_days": (as_of - last).astype(np.float64) / _US_PER_DAY,
        "frequency": np.asarray(rfm.frequency),
    }


def _metric_arrays(data: object, function: str) -> dict[str, npt.NDArray[Any]]:
    if isinstance(data, LifecycleMetrics):
        return data.table()
    if isinstance(data, Result) and all(
        hasattr(data, a) for a in ("first_purchase", "last_purchase", "as_of", "frequency")
    ):
        data = _from_rfm(data)
    if not isinstance(data, Mapping):
        tx = read_transactions(data, function=function, data_name="data")
        return lifecycle_metrics(tx).table()
    missing = [c for c in _REQUIRED if c not in data]
    if missing:
        raise InputError(
            f"The metrics given to {function} lack the column(s) {missing}.",
            field=missing[0],
            hint=f"Pass {list(_REQUIRED)} (and optionally {list(_TRENDS)}), a "
            "LifecycleMetrics value or transactions.",
        )
    present = [c for c in _TRENDS if c in data]
    if present and len(present) != len(_TRENDS):
        raise InputError(
            f"The metrics given to {function} must have all or none of {list(_TRENDS)}; "
            f"got only {present}.",
            field=next(c for c in _TRENDS if c not in data),
        )
    ids = as_ids(data["customer"], field="customer", function=function)
    nonempty_rows(ids.shape[0], function=function)
    out: dict[str, npt.NDArray[Any]] = {"customer": ids}
    for name in ("tenure_days", "recency_days"):
        out[name] = as_finite_float(data[name], field=name, function=function, minimum=0.0)
    for name in ("frequency", "recent_count", "earlier_count"):
        if name in data:
            out[name] = as_finite_float(data[name], field=name, function=function, minimum=0.0)
    for name in ("recent_spend", "earlier_spend"):
        if name in data:
            out[name] = as_finite_float(data[name], field=name, function=function)
    check_same_length({k: v.shape[0] for k, v in out.items()}, function=function)
    bad = out["recency_days"] > out["tenure_days"]
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError.for_rows(
            "recency_days",
            "must not exceed tenure_days (the last purchase cannot precede the first)",
            positions=pos[:5].tolist(),
            values=out["recency_days"][pos[:5]].tolist(),
            n_bad=int(pos.size),
            function=function,
        )
    return out


def classify_stages(
    data: object,
    *,
    thresholds: StageThresholds | None = None,
) -> StageClassification:
    """Assign every customer a relationship stage from behaviour, with the rule that fired.

    Parameters
    ----------
    data : LifecycleMetrics, RFM summary, mapping of metric arrays, Transactions or frame
        A :class:`LifecycleMetrics`; an RFM summary result (such as
        :func:`crmkit.segmentation.rfm_summary` returns: its first and last
        purchase and ``as_of`` give tenure and recency in days); per-customer
        metrics as a mapping of columns with ``customer``, ``tenure_days``,
        ``recency_days`` and ``frequency`` (an RFM summary) and optionally all
        of ``recent_count``, ``earlier_count``, ``recent_spend``,
        ``earlier_spend``; or transactions (a ``Transactions`` value, a frame
        or records with crmkit's column names), summarised with
        :func:`lifecycle_metrics` and its defaults (call it yourself to set
        ``as_of``, the window, the column names or a ``date_format``).
    thresholds : StageThresholds, optional
        Rule thresholds; the documented defaults when omitted.

    Returns
    -------
    StageClassification
        Stage and rule per customer, stage and rule counts.

    Raises
    ------
    InputError
        On an empty table (``field="data"``), missing or non-finite metrics,
        negative days or counts, recency above tenure, only some of the trend
        columns, or *thresholds* that is not a StageThresholds.

    Notes
    -----
    The typical inter-purchase time of a customer with ``f >= 2`` purchases is
    ``g = (tenure - recency) / (f - 1)`` (the mean gap between first and last
    purchase). Rules, first match wins (:data:`CLASSIFICATION_RULES`):

    1. ``lapsed`` -> terminated: ``recency > lapse_ratio * g`` (for single
       purchasers: ``recency > lapse_ratio * new_days``) and
       ``recency > lapse_min_days``;
    2. ``new`` -> exploration: ``tenure < new_days``;
    3. ``single_purchase`` -> exploration: ``f <= 1``;
    4. ``overdue`` -> decline: ``recency > overdue_ratio * g``;
    5. ``falling_frequency`` -> decline: ``recent_count <= falling_ratio * earlier_count``
       with ``earlier_count > 0``;
    6. ``falling_spend`` -> decline: ``recent_spend <= falling_ratio * earlier_spend``
       with ``earlier_spend > 0``;
    7. ``rising`` -> build_up: recent count or spend ``>= rising_ratio`` times the
       earlier one (or the earlier one is zero and the recent one positive);
    8. ``steady`` -> maturity: everything else.

    Rules 5-7 need the window columns, and only judge customers with
    ``recent_count + earlier_count >= min_trend_purchases``. Stage
    names are those of :func:`relationship_lifecycle` (Jap & Ganesan, 2000),
    measured with the customer's own purchase rhythm as the yardstick.

    References
    ----------
    .. [1] Jap, S. D. and Ganesan, S. (2000). "Control Mechanisms and the
       Relationship Life Cycle". Journal of Marketing Research 37(2), 227-245.
    .. [2] Reinartz, W. J. and Kumar, V. (2000). "On the Profitability of
       Long-Life Customers in a Noncontractual Setting". Journal of Marketing
       64(4), 17-35.

    Examples
    --------
    A shop's customers, summarised over two 90-day windows:

    >>> c = classify_stages(
    ...     {
    ...         "customer": ["ann", "bob", "cy", "dee"],
    ...         "tenure_days": [400.0, 400.0, 400.0, 60.0],
    ...         "recency_days": [10.0, 100.0, 20.0, 5.0],
    ...         "frequency": [14, 12, 9, 2],
    ...         "recent_count": [4, 1, 5, 2],
    ...         "earlier_count": [4, 3, 2, 0],
    ...         "recent_spend": [400.0, 60.0, 500.0, 80.0],
    ...         "earlier_spend": [380.0, 200.0, 210.0, 0.0],
    ...     }
    ... )
    >>> dict(zip(c.customer.tolist(), c.rule.tolist()))
    {'ann': 'steady', 'bob': 'overdue', 'cy': 'rising', 'dee': 'new'}
    >>> c.stage_counts["maturity"]
    1
    """
    function = "classify_stages"
    th = (
        StageThresholds()
        if thresholds is None
        else instance(
            thresholds,
            StageThresholds,
            name="thresholds",
            function=function,
            what="a StageThresholds",
        )
    )
    cols = _metric_arrays(data, function)
    tenure = cols["tenure_days"].astype(np.float64, copy=False)
    recency = cols["recency_days"].astype(np.float64, copy=False)
    freq = cols["frequency"].astype(np.float64, copy=False)
    k = tenure.shape[0]
    # A threshold times a metric can exceed float64's range only when both are absurdly
    # large; it is then +/-inf, which compares exactly as the true product would.
    with np.errstate(over="ignore"):
        span = tenure - recency
        gap = np.divide(span, freq - 1.0, out=np.full(k, th.new_days), where=freq >= 2)
        rule = np.full(k, len(CLASSIFICATION_RULES) - 1, dtype=np.int8)
        trends = "recent_count" in cols
        conds: list[npt.NDArray[np.bool_]] = [
            (recency > th.lapse_ratio * gap) & (recency > th.lapse_min_days),
            tenure < th.new_days,
            freq <= 1,
            recency > th.overdue_ratio * gap,
        ]
        if trends:
            rc = cols["recent_count"].astype(np.float64, copy=False)
            ec = cols["earlier_count"].astype(np.float64, copy=False)
            rs = cols["recent_spend"].astype(np.float64, copy=False)
            es = cols["earlier_spend"].astype(np.float64, copy=False)
            enough = (rc + ec) >= th.min_trend_purchases
            conds += [
                enough & (ec > 0) & (rc <= th.falling_ratio * ec),
                enough & (es > 0) & (rs <= th.falling_ratio * es),
                enough
                & (
                    ((ec > 0) & (rc >= th.rising_ratio * ec))
                    | ((ec == 0) & (rc > 0))
                    | ((es > 0) & (rs >= th.rising_ratio * es))
                ),
            ]
    # assign in reverse so the first matching rule wins
    for i in range(len(conds) - 1, -1, -1):
        rule[conds[i]] = i
    stage_of_rule = np.array([STAGES.index(s) for _, s in CLASSIFICATION_RULES], dtype=np.int8)
    stage = stage_of_rule[rule]
    rule_names = np.array([r for r, _ in CLASSIFICATION_RULES])
    stage_names = np.array(STAGES)
    rule_n = bincount(rule, minlength=len(CLASSIFICATION_RULES))
    stage_n = bincount(stage, minlength=len(STAGES))
    return StageClassification(
        customer=as_readonly(cols["customer"]),
        stage=as_readonly(stage_names[stage]),
        rule=as_readonly(rule_names[rule]),
        stage_counts={s: int(stage_n[i]) for i, s in enumerate(STAGES)},
        rule_counts={r: int(rule_n[i]) for i, (r, _) in enumerate(CLASSIFICATION_RULES)},
        thresholds=th,
        used_trends=trends,
    )
