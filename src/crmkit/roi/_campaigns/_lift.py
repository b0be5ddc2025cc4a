"""Response and lift against a control group, and the sample sizes to measure them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind
from crmkit._input import as_finite_float, as_ids, as_readonly, check_same_length
from crmkit._params import integer, number, probability
from crmkit._results import Result
from crmkit.errors import InputError
from crmkit.roi._ratios import ratio

__all__ = [
    "DetectableLift",
    "LiftTest",
    "SampleSize",
    "lift_test",
    "minimum_detectable_lift",
    "sample_size_for_lift",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_NORMAL: Final = NormalDist()
_METHOD: Final = (
    "difference: Newcombe's hybrid score interval (method 10) from Wilson intervals; "
    "test: two-sided pooled two-proportion z-test"
)


@attrs.frozen(kw_only=True, repr=False)
class LiftTest(Result):
    """Response of the treated group against the control group, with its uncertainty and value.

    Attributes
    ----------
    campaign : ndarray, shape (k,)
        Campaign labels (0, 1, ... when none were given).
    treated, control : ndarray of int64, shape (k,)
        Group sizes (treated = population - control).
    responders, control_responders : ndarray of int64, shape (k,)
        Responders in each group.
    response_rate, control_rate : ndarray of float64, shape (k,)
        ``responders / treated`` and ``control_responders / control``.
    absolute_lift : ndarray of float64, shape (k,)
        ``response_rate - control_rate`` (percentage points as a fraction).
    relative_lift : ndarray of float64, shape (k,)
        ``absolute_lift / control_rate``; +inf when the control group did not
        respond at all but the treated group did, NaN when neither did.
    ci_low, ci_high : ndarray of float64, shape (k,)
        Confidence interval of ``absolute_lift`` (Newcombe, method 10).
    z, p_value : ndarray of float64, shape (k,)
        Pooled two-proportion z statistic and its two-sided p-value; z = 0
        and p = 1 when every customer of both groups responded or none did.
    significant : ndarray of bool, shape (k,)
        ``p_value < 1 - confidence``.
    incremental_responders : ndarray of float64, shape (k,)
        ``absolute_lift x treated``: responses the campaign caused.
    incremental_revenue : ndarray of float64, shape (k,)
        ``(revenue / treated - control_revenue / control) x treated``; NaN
        exactly when revenues were not given.
    incremental_profit : ndarray of float64, shape (k,)
        ``incremental_revenue x margin_rate - cost``; NaN exactly when
        revenue, margin rate or cost was not given.
    incremental_roi : ndarray of float64, shape (k,)
        ``incremental_profit / cost`` (+inf / NaN for a zero cost as the
        ratio rule says); NaN when profit is.
    confidence : float
        Level of the intervals and of ``significant``.
    method : str
        The interval and test used.

    Examples
    --------
    >>> t = lift_test(population=[1_100], control=[100], responders=[60], control_responders=[3])
    >>> t.response_rate.tolist(), t.control_rate.tolist(), t.absolute_lift.round(3).tolist()
    ([0.06], [0.03], [0.03])
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "campaign": "id",
        "treated": "count",
        "control": "count",
        "responders": "count",
        "control_responders": "count",
        "response_rate": "share",
        "control_rate": "share",
        "absolute_lift": "share",
        "relative_lift": "share",
        "ci_low": "share",
        "ci_high": "share",
        "z": "number",
        "p_value": "probability",
        "incremental_responders": "number",
        "incremental_revenue": "money",
        "incremental_profit": "money",
        "incremental_roi": "share",
        "confidence": "probability",
    }

    _table: ClassVar[tuple[str, ...]] = (
        "campaign",
        "treated",
        "control",
        "responders",
        "control_responders",
        "response_rate",
        "control_rate",
        "absolute_lift",
        "relative_lift",
        "ci_low",
        "ci_high",
        "z",
        "p_value",
        "significant",
        "incremental_responders",
        "incremental_revenue",
        "incremental_profit",
        "incremental_roi",
    )
    _rows: ClassVar[tuple[str, ...]] = _table

    campaign: npt.NDArray[Any]
    treated: IntArray
    control: IntArray
    responders: IntArray
    control_responders: IntArray
    response_rate: FloatArray
    control_rate: FloatArray
    absolute_lift: FloatArray
    relative_lift: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    z: FloatArray
    p_value: FloatArray
    significant: npt.NDArray[np.bool_]
    incremental_responders: FloatArray
    incremental_revenue: FloatArray
    incremental_profit: FloatArray
    incremental_roi: FloatArray
    confidence: float
    method: str


def _open_unit(value: object, name: str, function: str) -> float:
    return probability(value, name=name, function=function, low_open=True, high_open=True)


def _counts(values: npt.ArrayLike, field: str, function: str) -> IntArray:
    if np.ndim(values) == 0:  # one campaign: a scalar, checked as a parameter
        scalar = values.item() if isinstance(values, np.ndarray) else values
        return np.array([integer(scalar, name=field, function=function, minimum=0)])
    raw = np.asarray(values)
    if raw.dtype.kind == "b":
        raise InputError(
            f"The {field!r} of {function} must hold counts of customers; got booleans.",
            field=field,
        )
    arr = as_finite_float(raw, field=field, function=function, minimum=0.0)
    whole = arr == np.floor(arr)
    if not bool(whole.all()):
        bad = np.flatnonzero(~whole)
        raise InputError.for_rows(
            field,
            "must hold whole numbers (counts of customers)",
            positions=bad[:5].tolist(),
            values=arr[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=function,
        )
    return arr.astype(np.int64)


def _refuse(
    mask: npt.NDArray[np.bool_], values: IntArray, field: str, requirement: str, function: str
) -> None:
    if mask.any():
        bad = np.flatnonzero(mask)
        raise InputError.for_rows(
            field,
            requirement,
            positions=bad[:5].tolist(),
            values=values[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=function,
        )


def _wilson(x: IntArray, n: IntArray, z: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    p = x / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    return p, np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _optional(
    values: object | None, field: str, k: int, function: str, minimum: float | None = None
) -> FloatArray | None:
    if values is None:
        return None
    arr = as_finite_float(
        np.atleast_1d(np.asarray(values, dtype=object)),
        field=field,
        function=function,
        minimum=minimum,
    )
    if arr.size == 1 and k > 1:
        arr = np.full(k, arr[0])
    check_same_length({"population": k, field: arr.size}, function=function)
    return arr


def lift_test(
    *,
    population: npt.ArrayLike,
    control: npt.ArrayLike,
    responders: npt.ArrayLike,
    control_responders: npt.ArrayLike,
    confidence: float = 0.95,
    campaign: npt.ArrayLike | None = None,
    revenue: npt.ArrayLike | None = None,
    control_revenue: npt.ArrayLike | None = None,
    margin_rate: npt.ArrayLike | None = None,
    cost: npt.ArrayLike | None = None,
) -> LiftTest:
    r"""Measure a campaign against its hold-out group: lift, its interval, its test, its value.

    Parameters
    ----------
    population : int or array_like of int, shape (k,)
        Customers selected for each campaign, the control group included.
    control : int or array_like of int, shape (k,)
        Of those, how many were held out (not contacted); 1 <= control < population.
    responders : int or array_like of int, shape (k,)
        Responders among the treated (contacted) customers.
    control_responders : int or array_like of int, shape (k,)
        Responders in the control group.
    confidence : float
        Level of the interval and the test, in (0, 1) (default 0.95).
    campaign : array_like, shape (k,), optional
        Labels for the rows.
    revenue, control_revenue : float or array_like of float, shape (k,), optional
        Total revenue of the treated and of the control group (both or
        neither), for incremental revenue.
    margin_rate : float or array_like of float, shape (k,), optional
        Gross margin on that revenue, for incremental profit.
    cost : float or array_like of float, shape (k,), optional
        Cost of each campaign (>= 0), for incremental profit and ROI.

    Returns
    -------
    LiftTest
        One row per campaign.

    Raises
    ------
    InputError
        For counts that are negative or not whole, a control group as large
        as or larger than the population, responders beyond their group's
        size (the rows are named), a confidence outside (0, 1), revenue given
        for one group only, a negative cost, or lengths that differ.

    Notes
    -----
    With :math:`\hat p_1 = x_1 / n_1` (treated) and :math:`\hat p_2 = x_2 / n_2`
    (control), the Wilson score interval of each rate is
    :math:`(l_i, u_i)` and the difference :math:`d = \hat p_1 - \hat p_2` has
    Newcombe's hybrid score interval

    .. math::

        \left(d - \sqrt{(\hat p_1 - l_1)^2 + (u_2 - \hat p_2)^2},\;
              d + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_2 - l_2)^2}\right),

    which stays within [-1, 1] and behaves at rates near 0 (where the Wald
    interval fails). The test is the pooled z-test,
    :math:`z = d / \sqrt{\bar p (1 - \bar p)(1/n_1 + 1/n_2)}`.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). "Interval estimation for the difference
       between independent proportions: comparison of eleven methods".
       Statistics in Medicine 17(8), 873-890.
    .. [2] Wilson, E. B. (1927). "Probable inference, the law of succession,
       and statistical inference". JASA 22(158), 209-212.

    Examples
    --------
    A win-back mailing to 11,000 lapsed customers, 1,000 held out: 4.2% came
    back against 2.5% of the hold-out group.

    >>> t = lift_test(
    ...     population=11_000,
    ...     control=1_000,
    ...     responders=420,
    ...     control_responders=25,
    ...     revenue=420 * 80.0,
    ...     control_revenue=25 * 80.0,
    ...     margin_rate=0.4,
    ...     cost=4_000.0,
    ... )
    >>> t.absolute_lift.round(3).tolist(), t.ci_low.round(4).tolist(), bool(t.significant[0])
    ([0.017], [0.0048], True)
    >>> t.incremental_revenue.round(0).tolist(), t.incremental_roi.round(2).tolist()
    ([13600.0], [0.36])
    """
    fn = "lift_test"
    level = _open_unit(confidence, "confidence", fn)
    pop = _counts(population, "population", fn)
    ctrl = _counts(control, "control", fn)
    resp = _counts(responders, "responders", fn)
    ctrl_resp = _counts(control_responders, "control_responders", fn)
    k = check_same_length(
        {
            "population": pop.size,
            "control": ctrl.size,
            "responders": resp.size,
            "control_responders": ctrl_resp.size,
        },
        function=fn,
    )
    _refuse(ctrl > pop, ctrl, "control", "must not be larger than the population", fn)
    _refuse(
        ctrl == pop, ctrl, "control", "must leave treated customers (be below the population)", fn
    )
    _refuse(ctrl < 1, ctrl, "control", "must hold at least one customer", fn)
    treated = pop - ctrl
    _refuse(
        resp > treated,
        resp,
        "responders",
        "must not exceed the treated group (population - control)",
        fn,
    )
    _refuse(
        ctrl_resp > ctrl, ctrl_resp, "control_responders", "must not exceed the control group", fn
    )
    labels = (
        np.arange(k, dtype=np.int64)
        if campaign is None
        else as_ids(np.atleast_1d(np.asarray(campaign)), field="campaign", function=fn)
    )
    check_same_length({"population": k, "campaign": labels.size}, function=fn)
    z_crit = _NORMAL.inv_cdf(0.5 + level / 2.0)
    p1, l1, u1 = _wilson(resp, treated, z_crit)
    p2, l2, u2 = _wilson(ctrl_resp, ctrl, z_crit)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (resp + ctrl_resp) / pop
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / treated + 1.0 / ctrl))
    z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), 0.0)
    p_value = np.array([math.erfc(abs(v) / math.sqrt(2.0)) for v in z.tolist()], dtype=np.float64)
    incremental = diff * treated
    rev = _optional(revenue, "revenue", k, fn)
    ctrl_rev = _optional(control_revenue, "control_revenue", k, fn)
    if (rev is None) != (ctrl_rev is None):
        raise InputError.for_parameter(
            "control_revenue" if rev is not None else "revenue",
            "given together with the other group's revenue",
            None,
            function=fn,
        )
    nan = np.full(k, np.nan)
    inc_revenue = (
        nan if rev is None or ctrl_rev is None else (rev / treated - ctrl_rev / ctrl) * treated
    )
    margin = _optional(margin_rate, "margin_rate", k, fn)
    spent = _optional(cost, "cost", k, fn, minimum=0.0)
    if margin is None or spent is None or rev is None:
        inc_profit = nan
        inc_roi = nan
    else:
        inc_profit = inc_revenue * margin - spent
        inc_roi = ratio(inc_profit, spent)
    return LiftTest(
        campaign=as_readonly(labels),
        treated=as_readonly(treated),
        control=as_readonly(ctrl),
        responders=as_readonly(resp),
        control_responders=as_readonly(ctrl_resp),
        response_rate=as_readonly(p1),
        control_rate=as_readonly(p2),
        absolute_lift=as_readonly(diff),
        relative_lift=as_readonly(ratio(diff, p2)),
        ci_low=as_readonly(np.maximum(low, -1.0)),
        ci_high=as_readonly(np.minimum(high, 1.0)),
        z=as_readonly(z),
        p_value=as_readonly(np.minimum(p_value, 1.0)),
        significant=as_readonly(p_value < 1.0 - level),
        incremental_responders=as_readonly(incremental.astype(np.float64)),
        incremental_revenue=as_readonly(np.asarray(inc_revenue, dtype=np.float64)),
        incremental_profit=as_readonly(np.asarray(inc_profit, dtype=np.float64)),
        incremental_roi=as_readonly(np.asarray(inc_roi, dtype=np.float64)),
        confidence=level,
        method=_METHOD,
    )


@attrs.frozen(kw_only=True, repr=False)
class SampleSize(Result):
    """How many customers to target and hold out to detect a lift.

    Attributes
    ----------
    treated, control, total : int
        Customers to contact, to hold out, and both.
    baseline_rate : float
        Expected response without the campaign (the control group's rate).
    target_rate : float
        ``baseline_rate + minimum_lift``.
    minimum_lift : float
        Smallest absolute lift worth detecting.
    power, confidence : float
        Probability of detecting that lift, and the test's level (two-sided).
    control_share : float
        Share of the total held out.
    method : str
        The formula.

    Examples
    --------
    >>> s = sample_size_for_lift(
    ...     baseline_rate=0.10, minimum_lift=0.05, power=0.8, confidence=0.95, control_share=0.5
    ... )
    >>> s.treated, s.control
    (686, 686)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "treated": "count",
        "control": "count",
        "total": "count",
        "baseline_rate": "share",
        "target_rate": "share",
        "minimum_lift": "share",
        "power": "probability",
        "confidence": "probability",
        "control_share": "share",
    }

    treated: int
    control: int
    total: int
    baseline_rate: float
    target_rate: float
    minimum_lift: float
    power: float
    confidence: float
    control_share: float
    method: str


def _required_control(p_c: float, p_t: float, k: float, power: float, level: float) -> float:
    z_a = _NORMAL.inv_cdf(0.5 + level / 2.0)
    z_b = _NORMAL.inv_cdf(power)
    pooled = (p_c + k * p_t) / (1.0 + k)
    spread = z_a * math.sqrt(pooled * (1 - pooled) * (1 + 1 / k)) + z_b * math.sqrt(
        p_c * (1 - p_c) + p_t * (1 - p_t) / k
    )
    return spread * spread / (p_t - p_c) ** 2


def _power(p_c: float, delta: float, n_c: float, k: float, level: float) -> float:
    """Power of the two-sided pooled z-test (normal approximation, the far tail ignored)."""
    p_t = p_c + delta
    z_a = _NORMAL.inv_cdf(0.5 + level / 2.0)
    pooled = (p_c + k * p_t) / (1.0 + k)
    null_sd = math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
    alt_sd = math.sqrt(p_c * (1 - p_c) + p_t * (1 - p_t) / k)
    return _NORMAL.cdf((abs(delta) * math.sqrt(n_c) - z_a * null_sd) / alt_sd)


def sample_size_for_lift(
    *,
    baseline_rate: float,
    minimum_lift: float,
    power: float,
    confidence: float,
    control_share: float,
) -> SampleSize:
    r"""Return how many customers to target and hold out to detect a lift with a given power.

    Parameters
    ----------
    baseline_rate : float
        Response rate expected without the campaign, in (0, 1).
    minimum_lift : float
        Smallest absolute lift worth detecting (0.01 = one point), with
        ``baseline_rate + minimum_lift`` below 1.
    power : float
        Probability of detecting it, in (0, 1) (0.8 is usual).
    confidence : float
        Level of the two-sided test, in (0, 1) (0.95 is usual).
    control_share : float
        Share of the customers held out, in (0, 1) (0.5 is the most
        efficient; 0.1 keeps more customers contacted).

    Returns
    -------
    SampleSize
        Treated, control and total sizes (rounded up).

    Raises
    ------
    InputError
        For a parameter outside its range.

    Notes
    -----
    With :math:`k = n_t / n_c = (1 - s) / s`, :math:`p_c` the baseline,
    :math:`p_t = p_c + \Delta` and :math:`\bar p = (p_c + k p_t) / (1 + k)`,

    .. math::

        n_c = \frac{\left(z_{1-\alpha/2}\sqrt{\bar p \bar q (1 + 1/k)}
              + z_{1-\beta}\sqrt{p_c q_c + p_t q_t / k}\right)^2}{\Delta^2},
        \qquad n_t = k\, n_c,

    the normal approximation of the pooled two-proportion test without
    continuity correction (Fleiss, Levin and Paik 2003, eq. 4.14, for
    unequal groups). Both sizes are rounded up.

    References
    ----------
    .. [1] Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical
       Methods for Rates and Proportions, 3rd ed., Wiley, section 4.2.

    Examples
    --------
    2% of lapsed customers come back on their own; is a mailing worth one
    point more? Holding out 10%:

    >>> s = sample_size_for_lift(
    ...     baseline_rate=0.02, minimum_lift=0.01, power=0.8, confidence=0.95, control_share=0.1
    ... )
    >>> s.treated, s.control, s.total
    (20214, 2246, 22460)
    """
    fn = "sample_size_for_lift"
    p_c = _open_unit(baseline_rate, "baseline_rate", fn)
    delta = number(
        minimum_lift,
        name="minimum_lift",
        function=fn,
        low=0.0,
        high=1.0 - p_c,
        low_open=True,
        high_open=True,
        hint="The lift is absolute: baseline_rate + minimum_lift must stay below 1.",
    )
    pw = _open_unit(power, "power", fn)
    level = _open_unit(confidence, "confidence", fn)
    share = _open_unit(control_share, "control_share", fn)
    k = (1.0 - share) / share
    n_c = math.ceil(_required_control(p_c, p_c + delta, k, pw, level) - 1e-9)
    n_t = math.ceil(k * n_c - 1e-9)
    return SampleSize(
        treated=n_t,
        control=n_c,
        total=n_t + n_c,
        baseline_rate=p_c,
        target_rate=p_c + delta,
        minimum_lift=delta,
        power=pw,
        confidence=level,
        control_share=share,
        method="normal approximation of the pooled two-proportion z-test, two-sided, "
        "no continuity correction (Fleiss, Levin and Paik 2003)",
    )


@attrs.frozen(kw_only=True, repr=False)
class DetectableLift(Result):
    """The smallest lift a test of given size detects with the given power.

    Attributes
    ----------
    absolute_lift : float
        Minimum detectable lift in response rate (0.01 = one point).
    relative_lift : float
        ``absolute_lift / baseline_rate``.
    target_rate : float
        ``baseline_rate + absolute_lift``.
    baseline_rate : float
        The control group's expected rate.
    treated, control : int
        The group sizes.
    power, confidence : float
        As asked.

    Examples
    --------
    >>> d = minimum_detectable_lift(
    ...     baseline_rate=0.10, treated=686, control=686, power=0.8, confidence=0.95
    ... )
    >>> round(d.absolute_lift, 3)
    0.05
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "absolute_lift": "share",
        "relative_lift": "share",
        "target_rate": "share",
        "baseline_rate": "share",
        "treated": "count",
        "control": "count",
        "power": "probability",
        "confidence": "probability",
    }

    absolute_lift: float
    relative_lift: float
    target_rate: float
    baseline_rate: float
    treated: int
    control: int
    power: float
    confidence: float


def minimum_detectable_lift(
    *,
    baseline_rate: float,
    treated: int,
    control: int,
    power: float,
    confidence: float,
) -> DetectableLift:
    r"""Return the smallest response lift that groups of these sizes detect with this power.

    Parameters
    ----------
    baseline_rate : float
        Response rate expected without the campaign, in (0, 1).
    treated, control : int
        Customers contacted and held out, each >= 1.
    power, confidence : float
        Probability of detection and the two-sided test's level, in (0, 1).

    Returns
    -------
    DetectableLift
        The lift and the rates it implies.

    Raises
    ------
    InputError
        For a parameter outside its range, or groups too small to detect
        even a lift to a 100% response rate (the message says so).

    Notes
    -----
    Inverts :func:`sample_size_for_lift`: the lift :math:`\Delta` at which the
    test's power reaches the target, found by bisection on
    :math:`(0, 1 - p_c)` (the power grows with :math:`\Delta` there).

    References
    ----------
    .. [1] Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical
       Methods for Rates and Proportions, 3rd ed., Wiley, section 4.2.

    Examples
    --------
    The budget allows 20,000 mailings and a 2,000 hold-out; 2% respond anyway:

    >>> d = minimum_detectable_lift(
    ...     baseline_rate=0.02, treated=20_000, control=2_000, power=0.8, confidence=0.95
    ... )
    >>> round(d.absolute_lift, 4), round(d.relative_lift, 2)
    (0.0106, 0.53)
    """
    fn = "minimum_detectable_lift"
    p_c = _open_unit(baseline_rate, "baseline_rate", fn)
    n_t = integer(treated, name="treated", function=fn, minimum=1)
    n_c = integer(control, name="control", function=fn, minimum=1)
    pw = _open_unit(power, "power", fn)
    level = _open_unit(confidence, "confidence", fn)
    k = n_t / n_c
    top = 1.0 - p_c
    if _power(p_c, top * (1 - 1e-12), n_c, k, level) < pw:
        raise InputError(
            f"Groups of {n_t:,} treated and {n_c:,} control customers are too small for "
            f"{fn}: even a response of 100% against {p_c:.2%} would not be detected with "
            f"power {pw:g}.",
            field="control",
            hint="Hold out more customers, or accept a lower power.",
        )
    lo, hi = 0.0, top
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _power(p_c, mid, n_c, k, level) >= pw:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-13:
            break
    return DetectableLift(
        absolute_lift=hi,
        relative_lift=hi / p_c,
        target_rate=p_c + hi,
        baseline_rate=p_c,
        treated=n_t,
        control=n_c,
        power=pw,
        confidence=level,
    )
