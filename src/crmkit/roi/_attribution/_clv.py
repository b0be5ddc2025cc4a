"""CLV-weighted attribution: which channels bring the customers worth the most."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind
from crmkit._groups import factorize
from crmkit._input import as_amounts, as_finite_float, as_ids, as_readonly
from crmkit._reduce import bincount
from crmkit._results import Result
from crmkit.errors import InputError
from crmkit.roi._attribution._attribute import check_paths_and_model, touch_credits
from crmkit.roi._attribution._models import AttributionModel
from crmkit.roi._attribution._paths import TouchpointPaths
from crmkit.roi._attribution._rules import kernel_view
from crmkit.roi._models._clv import CustomerCLV
from crmkit.roi._ratios import ratio

__all__ = ["ChannelValue", "clv_attribution"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(kw_only=True, repr=False)
class ChannelValue(Result):
    """Lifetime value of the customers each channel brought, and LTV:CAC when spend is known.

    Attributes
    ----------
    channel : ndarray of str, shape (C,)
        Channel names.
    customers : ndarray of float64, shape (C,)
        Converted customers credited to the channel (fractions add up).
    ltv : ndarray of float64, shape (C,)
        Their lifetime value: each customer's CLV times the channel's credit.
    ltv_per_customer : ndarray of float64, shape (C,)
        ``ltv / customers``.
    spend : ndarray of float64, shape (C,)
        Spend per channel; NaN exactly when no spend was given.
    cac : ndarray of float64, shape (C,)
        Customer acquisition cost ``spend / customers``.
    ltv_to_cac : ndarray of float64, shape (C,)
        ``ltv / spend``, the same as ``ltv_per_customer / cac``.
    model : str
        The attribution model's label.
    n_customers : int
        Converted customers valued.
    total_ltv : float
        Their total CLV (the sum of ``ltv``).
    has_spend : bool
        Whether spend was given.

    Notes
    -----
    A ratio with a zero denominator is +inf (positive numerator), -inf
    (negative) or NaN (zero too): a channel that converted nobody has
    ``ltv_per_customer`` NaN and, with spend, ``cac`` +inf.

    Examples
    --------
    >>> from crmkit.roi import LastTouch, Linear, touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "channel": ["email", "events"]},
    ...     {"customer": [1, 2], "timestamp": ["2024-01-02"] * 2, "value": [50.0, 50.0]},
    ...     lookback_days=None,
    ... )
    >>> v = clv_attribution(
    ...     paths,
    ...     model=LastTouch(),
    ...     clv=[300.0, 1200.0],
    ...     customer=[1, 2],
    ...     spend={"email": 100.0, "events": 600.0},
    ... )
    >>> v.ltv.tolist(), v.ltv_to_cac.tolist()
    ([300.0, 1200.0], [3.0, 2.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "channel",
        "customers",
        "ltv",
        "ltv_per_customer",
        "spend",
        "cac",
        "ltv_to_cac",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customers": "number",
        "ltv": "money",
        "ltv_per_customer": "money",
        "spend": "money",
        "cac": "money",
        "ltv_to_cac": "number",
        "n_customers": "count",
        "total_ltv": "money",
    }

    channel: npt.NDArray[np.str_]
    customers: FloatArray
    ltv: FloatArray
    ltv_per_customer: FloatArray
    spend: FloatArray
    cac: FloatArray
    ltv_to_cac: FloatArray
    model: str
    n_customers: int
    total_ltv: float
    has_spend: bool


def _clv_per_path(
    paths: TouchpointPaths, clv: object, customer: object | None, function: str
) -> FloatArray:
    if isinstance(clv, CustomerCLV):
        if customer is not None:
            raise InputError.for_parameter(
                "customer",
                "None when clv is a CustomerCLV (it has its customers)",
                "an array",
                function=function,
            )
        ids = np.asarray(clv.customer)
        values = np.asarray(clv.clv, dtype=np.float64)
    else:
        if customer is None:
            raise InputError.for_parameter(
                "customer",
                "the customer ids of the clv values (or pass a CustomerCLV)",
                None,
                function=function,
            )
        ids = as_ids(customer, field="customer", function=function)
        values, _ = as_amounts(clv, field="clv", function=function)  # money: a finite total
        if values.size != ids.size:
            raise InputError(
                f"The 'clv' and 'customer' of {function} must have the same length; got "
                f"{values.size} and {ids.size}.",
                field="clv",
            )
    wanted = paths.path_customer[paths.converted]
    if (ids.dtype.kind == "U") != (wanted.dtype.kind == "U") and ids.size and wanted.size:
        raise InputError(
            f"The customer ids of the clv values given to {function} must be of the kind the "
            f"paths use; got {ids.dtype} and {wanted.dtype}.",
            field="customer",
        )
    groups = factorize(np.concatenate([ids, wanted]) if ids.size else wanted)
    if ids.size and factorize(ids).n_groups != ids.size:
        raise InputError(
            f"The 'customer' ids of the clv values given to {function} must be unique.",
            field="customer",
        )
    at = np.full(groups.n_groups, -1, dtype=np.int64)
    at[groups.codes[: ids.size]] = np.arange(ids.size)
    found = at[groups.codes[ids.size :]]
    missing = np.flatnonzero(found < 0)
    if missing.size:
        raise InputError.for_rows(
            "clv",
            "must value every converted customer of the paths",
            positions=missing[:5].tolist(),
            values=[wanted[p] for p in missing[:5]],
            n_bad=int(missing.size),
            function=function,
            kind="parameter",
            hint="The positions count converted customers; give each of them a CLV.",
        )
    out = np.zeros(paths.n_paths)
    out[paths.converted] = values[found]
    return out


def _spend(spend: Mapping[str, float], channels: tuple[str, ...], function: str) -> FloatArray:
    if not isinstance(spend, Mapping):
        raise InputError.for_parameter(
            "spend", "a mapping of channel name to spend", type(spend).__name__, function=function
        )
    unknown = [k for k in spend if k not in channels]
    if unknown:
        raise InputError.for_parameter(
            "spend",
            f"keyed by the channels of the paths {list(channels)}",
            unknown,
            function=function,
        )
    keys = list(spend)
    amounts = as_finite_float(
        [spend[k] for k in keys], field="spend", function=function, minimum=0.0
    )
    out = np.zeros(len(channels))
    out[[channels.index(k) for k in keys]] = amounts
    return out


def clv_attribution(
    paths: TouchpointPaths,
    *,
    model: AttributionModel,
    clv: CustomerCLV | npt.ArrayLike,
    customer: npt.ArrayLike | None = None,
    spend: Mapping[str, float] | None = None,
) -> ChannelValue:
    r"""Weight each conversion's credit by the customer's lifetime value: channel LTV and LTV:CAC.

    Parameters
    ----------
    paths : TouchpointPaths
        From :func:`touchpoint_paths`; each converting path is a new customer.
    model : AttributionModel
        How each conversion's credit is split over its channels; no default.
    clv : CustomerCLV or array_like of float, shape (k,)
        Lifetime value per customer: a :func:`customer_clv` / :func:`profit_clv`
        result, or values with their ids in ``customer``. Every converted
        customer needs one; others are ignored.
    customer : array_like, shape (k,), optional
        The ids of ``clv`` when it is an array.
    spend : mapping of str to float, optional
        Acquisition spend per channel (>= 0; unlisted channels spent 0).

    Returns
    -------
    ChannelValue
        Per channel: customers credited, their LTV, CAC and LTV:CAC.

    Raises
    ------
    InputError
        As :func:`attribute`; for a converted customer without a CLV (named),
        duplicate ids, a negative or non-finite spend, or spend on a channel
        the paths do not have.
    TooManyChannelsError
        As :func:`attribute`.

    Notes
    -----
    With :math:`c_{jk}` customer ``j``'s credit to channel ``k`` under the
    model and :math:`\mathrm{CLV}_j` their value,
    :math:`\mathrm{LTV}_k = \sum_j c_{jk} \mathrm{CLV}_j`,
    :math:`\mathrm{CAC}_k = \mathrm{spend}_k / \sum_j c_{jk}` and
    :math:`\mathrm{LTV{:}CAC}_k = \mathrm{LTV}_k / \mathrm{spend}_k`. A
    channel that brings fewer but more valuable customers ranks higher here
    than on revenue.

    References
    ----------
    .. [1] Gupta, S., Lehmann, D. R. and Stuart, J. A. (2004). "Valuing
       customers". Journal of Marketing Research 41(1), 7-18.

    Examples
    --------
    Events bring one customer worth 1,200; email one worth 300:

    >>> from crmkit.roi import LastTouch, Linear, touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "channel": ["email", "events"]},
    ...     {"customer": [1, 2], "timestamp": ["2024-01-02"] * 2, "value": [50.0, 50.0]},
    ...     lookback_days=None,
    ... )
    >>> value = clv_attribution(paths, model=Linear(), clv=[300.0, 1200.0], customer=[1, 2])
    >>> value.ltv.tolist(), value.has_spend
    ([300.0, 1200.0], False)
    """
    function = "clv_attribution"
    checked, chosen = check_paths_and_model(paths, model, function)
    per_path = _clv_per_path(checked, clv, customer, function)
    credit, _ = touch_credits(checked, chosen, function=function)
    n_channels = len(checked.channels)
    m = checked.n_converting_touches
    channel = kernel_view(checked.touch_channel[:m])
    customers = bincount(channel, weights=credit, minlength=n_channels).astype(np.float64)
    ltv = bincount(
        channel, weights=credit * per_path[checked.touch_path[:m]], minlength=n_channels
    ).astype(np.float64)
    if spend is None:
        cost = np.full(n_channels, np.nan)
        cac = np.full(n_channels, np.nan)
        to_cac = np.full(n_channels, np.nan)
    else:
        cost = _spend(spend, checked.channels, function)
        cac = ratio(cost, customers)
        to_cac = ratio(ltv, cost)
    return ChannelValue(
        channel=as_readonly(np.array(checked.channels, dtype=str)),
        customers=as_readonly(customers),
        ltv=as_readonly(ltv),
        ltv_per_customer=as_readonly(ratio(ltv, customers)),
        spend=as_readonly(cost),
        cac=as_readonly(cac),
        ltv_to_cac=as_readonly(to_cac),
        model=chosen.label,
        n_customers=checked.n_conversions,
        total_ltv=float(per_path.sum()),
        has_spend=spend is not None,
    )
