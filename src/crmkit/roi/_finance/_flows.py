"""Reading cash flows, rates and dates for the finance core: validated once, then trusted.

Cash flows are a one-dimensional series (one scenario) or a two-dimensional
array with one row per scenario and one column per period. Every reader here
builds on :mod:`crmkit._input` (finite floats, datetimes) and
:mod:`crmkit._params` (scalars).
"""

from __future__ import annotations

from typing import Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_datetime, as_finite_float
from crmkit._params import integer, number
from crmkit.errors import InputError

__all__ = [
    "DAYS_PER_YEAR",
    "FirstPeriod",
    "Flows",
    "first_period_of",
    "read_dates",
    "read_flows",
    "read_rates",
]

FloatArray = npt.NDArray[np.float64]
FirstPeriod = Literal[0, 1]
"""When the first cash flow falls: period 0 (today, undiscounted) or period 1."""

DAYS_PER_YEAR: Final = 365.0
"""Day count of XNPV and XIRR: actual days / 365, as spreadsheets do."""

_US_PER_DAY: Final = 86_400_000_000


@attrs.frozen(kw_only=True)
class Flows:
    """Validated cash flows: always two-dimensional, one row per scenario.

    ``single`` records that the caller gave one series, so results come back
    as scalars rather than arrays of one.
    """

    values: FloatArray
    single: bool

    @property
    def n_scenarios(self) -> int:
        """Number of scenario rows."""
        return int(self.values.shape[0])

    @property
    def n_periods(self) -> int:
        """Number of periods (columns)."""
        return int(self.values.shape[1])


def read_flows(
    cashflows: npt.ArrayLike, *, function: str, min_periods: int, field: str = "cashflows"
) -> Flows:
    """Coerce a series of shape (n,) or scenarios of shape (s, n) to finite float64."""
    if isinstance(cashflows, (str, bytes)):
        raise InputError.for_parameter(
            field, "an array of numbers of shape (n,) or (s, n)", cashflows, function=function
        )
    try:
        arr = cashflows if isinstance(cashflows, np.ndarray) else np.asarray(cashflows)
    except ValueError:
        raise InputError(
            f"The {field!r} of {function} must be rectangular: every scenario row needs the "
            "same number of periods.",
            field=field,
            hint="Pad shorter plans with zeros at the end.",
        ) from None
    if arr.ndim == 1:
        values = as_finite_float(arr, field=field, function=function)[None, :]
        single = True
    elif arr.ndim == 2:
        values = _finite_matrix(arr, field=field, function=function)
        single = False
    else:
        raise InputError(
            f"The {field!r} of {function} must have shape (n,) for one series or (s, n) for "
            f"s scenarios of n periods; got shape {arr.shape}.",
            field=field,
        )
    if values.shape[1] < min_periods:
        raise InputError(
            f"The {field!r} of {function} must have at least {min_periods} period(s); "
            f"got {values.shape[1]}.",
            field=field,
        )
    if values.shape[0] == 0:
        raise InputError(
            f"The {field!r} of {function} must have at least one scenario row; got none.",
            field=field,
        )
    return Flows(values=np.ascontiguousarray(values), single=single)


def _finite_matrix(arr: npt.NDArray[np.generic], *, field: str, function: str) -> FloatArray:
    n_periods = arr.shape[1]
    try:
        flat = as_finite_float(arr.reshape(-1), field=field, function=function)
    except InputError as err:
        if n_periods == 0 or not err.positions:
            raise
        # the flat check found bad cells; say which scenario rows hold them
        cells = [(p // n_periods, p % n_periods) for p in err.positions]
        bad_rows = np.flatnonzero(~np.isfinite(arr.astype(np.float64)).all(axis=1))
        raise InputError.for_rows(
            field,
            "must hold finite numbers in every period",
            positions=bad_rows[:5].tolist(),
            values=[str(v) for v in err.values],
            n_bad=int(bad_rows.size),
            function=function,
            kind="scenario row",
            hint=f"The first bad cells (scenario, period) are {cells}.",
        ) from None
    return flat.reshape(arr.shape)


def read_rates(
    rate: npt.ArrayLike, *, n_scenarios: int, function: str, field: str = "rate"
) -> FloatArray:
    """Return discount rates > -1 as an array of length 1 or *n_scenarios* (or any, for one series).

    A scalar is checked by :func:`crmkit._params.number`; an array by
    :func:`crmkit._input.as_finite_float`, each entry > -1.
    """
    if np.ndim(rate) == 0:
        value = number(
            rate.item() if isinstance(rate, np.ndarray) else rate,
            name=field,
            function=function,
            low=-1.0,
            low_open=True,
            hint="A rate of -1 (-100%) or less has no discount factor.",
        )
        return np.array([value])
    rates = as_finite_float(rate, field=field, function=function, minimum=-1.0, strict_minimum=True)
    if n_scenarios > 1 and rates.size not in (1, n_scenarios):
        raise InputError(
            f"The {field!r} of {function} must be one rate or one per scenario row "
            f"({n_scenarios}); got {rates.size}.",
            field=field,
        )
    return rates


def first_period_of(value: object, *, function: str) -> FirstPeriod:
    """Check the t = 0 convention: 0 (numpy-financial) or 1 (spreadsheets' ``NPV()``)."""
    out = integer(
        value,
        name="first_period",
        function=function,
        minimum=0,
        maximum=1,
        hint="0: the first flow is today and undiscounted (numpy-financial); "
        "1: it falls one period from now (spreadsheets' NPV()).",
    )
    return 0 if out == 0 else 1


def read_dates(dates: object, *, n_periods: int, function: str, field: str = "dates") -> FloatArray:
    """Return the year fractions (actual days / 365) of each date from the first one.

    Dates must not go backwards; the same date may repeat (those flows are
    discounted together).
    """
    values = as_datetime(dates, field=field, function=function).values
    if values.size != n_periods:
        raise InputError(
            f"The {field!r} of {function} must give one date per period ({n_periods}); "
            f"got {values.size}.",
            field=field,
        )
    micros = values.view(np.int64)
    back = np.flatnonzero(micros[1:] < micros[:-1]) + 1
    if back.size:
        raise InputError.for_rows(
            field,
            "must not go backwards (each date on or after the one before it)",
            positions=back[:5].tolist(),
            values=[str(values[p].astype("M8[D]")) for p in back[:5]],
            n_bad=int(back.size),
            function=function,
            hint="Sort the flows by date, keeping each amount with its date.",
        )
    days = (micros - micros[0]) / _US_PER_DAY
    out: FloatArray = days / DAYS_PER_YEAR
    return out
