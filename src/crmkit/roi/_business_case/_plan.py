"""The CRM business case as values: cost items, benefit streams and the plan that holds them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, scalar_datetime
from crmkit._params import choice, instance, integer, number
from crmkit.errors import InputError
from crmkit.roi._finance._flows import FirstPeriod, first_period_of
from crmkit.roi._profit._retention import RetentionEconomics

__all__ = [
    "DISCOUNT_RATE",
    "BenefitKind",
    "BenefitStream",
    "BusinessCase",
    "CostCategory",
    "CostItem",
    "assumption_flows",
]

FloatArray = npt.NDArray[np.float64]
CostCategory = Literal["technology", "people", "process"]
"""TCO categories: technology (hardware, software, licences), people (training, staffing),
process (change management, knowledge transfer)."""
BenefitKind = Literal["revenue growth", "cost reduction", "retention"]
"""Benefit streams: more margin from more revenue, lower costs, and customers kept longer."""
DISCOUNT_RATE: Final = "discount rate"
"""The name of the discount-rate assumption in sensitivity, scenarios and simulation."""
CATEGORIES: Final = ("technology", "people", "process")
_MAX_PERIODS: Final = 12_000
KINDS: Final = ("revenue growth", "cost reduction", "retention")


def _name(value: object, function: str) -> str:
    text = instance(value, str, name="name", function=function, what="a non-empty str")
    if not text.strip():
        raise InputError.for_parameter("name", "a non-empty str", text, function=function)
    return text


def _schedule(
    periods: object, amounts: object, *, function: str
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Explicit per-period amounts: periods ints >= 0, strictly increasing; amounts finite >= 0."""
    if isinstance(periods, (str, bytes)) or not isinstance(periods, Sequence):
        raise InputError.for_parameter(
            "periods", "a sequence of period numbers (ints >= 0)", periods, function=function
        )
    steps = [integer(p, name="periods", function=function, minimum=0) for p in periods]
    values = as_finite_float(amounts, field="amounts", function=function, minimum=0.0)
    if values.size != len(steps):
        raise InputError(
            f"The 'periods' and 'amounts' of {function} must have the same length; got "
            f"{len(steps)} and {values.size}.",
            field="amounts",
        )
    order = np.asarray(steps, dtype=np.int64)
    back = np.flatnonzero(order[1:] <= order[:-1]) + 1
    if back.size:
        raise InputError.for_rows(
            "periods",
            "must be in increasing order, each period once",
            positions=back[:5].tolist(),
            values=order[back[:5]].tolist(),
            n_bad=int(back.size),
            function=function,
            kind="parameter",
            hint="Sort the schedule by period and add up amounts of the same period.",
        )
    return tuple(steps), tuple(values.tolist())


@attrs.frozen(kw_only=True)
class CostItem:
    """One line of the total cost of ownership: a one-off part and a recurring part.

    Attributes
    ----------
    name : str
        Unique within the case (it names the assumptions ``"<name> one-off"``
        and ``"<name> recurring"``).
    category : {"technology", "people", "process"}
        Technology (hardware, software, licences), people (training,
        staffing) or process (change management, knowledge transfer).
    one_off : float
        Paid once, in period ``one_off_period`` (money, >= 0).
    recurring : float
        Paid every period from ``recurring_from`` to the end of the plan
        (money per period, >= 0), growing by ``escalation`` a period.
    one_off_period : int
        Period of the one-off payment (default 0, today).
    recurring_from : int
        First period of the recurring payments (default 1).
    escalation : float
        Growth of the recurring amount per period, > -1 (0.03 for licence
        prices rising 3% a year).
    schedule : tuple of (int, float) or None
        Explicit one-off payments per period instead of ``one_off`` (see
        :meth:`scheduled`).

    Examples
    --------
    >>> licences = CostItem(
    ...     name="CRM licences", category="technology", one_off=20_000.0, recurring=30_000.0
    ... )
    >>> licences.one_off_amounts(4).tolist(), licences.recurring_amounts(4).tolist()
    ([20000.0, 0.0, 0.0, 0.0], [0.0, 30000.0, 30000.0, 30000.0])
    """

    name: str
    category: CostCategory
    one_off: float = 0.0
    recurring: float = 0.0
    one_off_period: int = 0
    recurring_from: int = 1
    escalation: float = 0.0
    schedule: tuple[tuple[int, float], ...] | None = None

    def __attrs_post_init__(self) -> None:
        fn = "CostItem"
        _name(self.name, fn)
        choice(self.category, CATEGORIES, name="category", function=fn)
        number(
            self.one_off, name="one_off", function=fn, low=0.0, hint="Costs are positive amounts."
        )
        number(
            self.recurring,
            name="recurring",
            function=fn,
            low=0.0,
            hint="Costs are positive amounts.",
        )
        integer(self.one_off_period, name="one_off_period", function=fn, minimum=0)
        integer(self.recurring_from, name="recurring_from", function=fn, minimum=0)
        number(self.escalation, name="escalation", function=fn, low=-1.0, low_open=True)

    @classmethod
    def scheduled(
        cls,
        *,
        name: str,
        category: CostCategory,
        periods: Sequence[int],
        amounts: npt.ArrayLike,
        recurring: float = 0.0,
        recurring_from: int = 1,
        escalation: float = 0.0,
    ) -> CostItem:
        """Build a cost item whose one-off payments follow an explicit schedule.

        Parameters
        ----------
        name : str
            Unique within the case.
        category : {"technology", "people", "process"}
            The TCO category.
        periods : sequence of int
            Periods of the payments, >= 0, in increasing order.
        amounts : array_like of float
            The payment of each period (>= 0).
        recurring, recurring_from, escalation : float, int, float
            An optional recurring part, as for :class:`CostItem`.

        Returns
        -------
        CostItem

        Raises
        ------
        InputError
            For periods out of order or repeated, negative amounts or lengths
            that differ.

        Examples
        --------
        >>> rollout = CostItem.scheduled(
        ...     name="roll-out", category="process", periods=[0, 1], amounts=[50_000.0, 20_000.0]
        ... )
        >>> rollout.one_off_amounts(3).tolist()
        [50000.0, 20000.0, 0.0]
        >>> CostItem.scheduled(name="x", category="people", periods=[2, 1], amounts=[1.0, 1.0])
        Traceback (most recent call last):
        ...
        crmkit.errors.InputError: The 'periods' parameter of CostItem.scheduled must be in ...
        """
        steps, values = _schedule(periods, amounts, function="CostItem.scheduled")
        return cls(
            name=name,
            category=category,
            recurring=recurring,
            recurring_from=recurring_from,
            escalation=escalation,
            schedule=tuple(zip(steps, values, strict=True)),
        )

    def one_off_amounts(self, n_periods: int) -> FloatArray:
        """Return the one-off payments in periods 0..n-1 (money, positive).

        Parameters
        ----------
        n_periods : int
            Length of the plan (periods 0 to n - 1).

        Returns
        -------
        ndarray of float64, shape (n,)

        Examples
        --------
        >>> CostItem(name="a", category="people", one_off=5.0, one_off_period=1).one_off_amounts(3)
        array([0., 5., 0.])
        """
        out = np.zeros(n_periods)
        pairs = (
            self.schedule if self.schedule is not None else ((self.one_off_period, self.one_off),)
        )
        for period, amount in pairs:
            if period < n_periods:
                out[period] += amount
        return out

    def recurring_amounts(self, n_periods: int) -> FloatArray:
        """Return the recurring payments in periods 0..n-1 (money, positive).

        Parameters
        ----------
        n_periods : int
            Length of the plan.

        Returns
        -------
        ndarray of float64, shape (n,)

        Examples
        --------
        >>> CostItem(name="a", category="people", recurring=10.0, escalation=0.1).recurring_amounts(
        ...     3
        ... )
        array([ 0., 10., 11.])
        """
        t = np.arange(n_periods)
        active = t >= self.recurring_from
        grown = self.recurring * (1.0 + self.escalation) ** np.maximum(t - self.recurring_from, 0)
        return np.where(active, grown, 0.0)


def _ramp(value: object) -> tuple[float, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InputError.for_parameter(
            "ramp_up", "a sequence of fractions in [0, 1]", value, function="BenefitStream"
        )
    return tuple(
        number(v, name="ramp_up", function="BenefitStream", low=0.0, high=1.0) for v in value
    )


@attrs.frozen(kw_only=True)
class BenefitStream:
    """One stream of benefits, projected on its own: a run-rate reached after a ramp-up.

    Attributes
    ----------
    name : str
        Unique within the case (it names the assumption).
    kind : {"revenue growth", "cost reduction", "retention"}
        What the benefit is.
    value : float
        Cash benefit per period at full run-rate (money, >= 0): for revenue
        growth the gross margin on the extra revenue.
    ramp_up : tuple of float
        Share of the run-rate reached in the first periods of the stream
        (``(0.25, 0.5, 0.75)``: a quarter in the first period, ...), each in
        [0, 1]; the full rate after them. Empty: full rate at once.
    start : int
        First period with a benefit (default 1).
    growth : float
        Growth of the run-rate per period after the ramp-up, > -1.

    Examples
    --------
    >>> s = BenefitStream(
    ...     name="service cost", kind="cost reduction", value=40_000.0, ramp_up=(0.5,)
    ... )
    >>> s.amounts(4).tolist()
    [0.0, 20000.0, 40000.0, 40000.0]
    """

    name: str
    kind: BenefitKind
    value: float
    ramp_up: tuple[float, ...] = attrs.field(default=(), converter=_ramp)
    start: int = 1
    growth: float = 0.0

    def __attrs_post_init__(self) -> None:
        fn = "BenefitStream"
        _name(self.name, fn)
        choice(self.kind, KINDS, name="kind", function=fn)
        number(
            self.value, name="value", function=fn, low=0.0, hint="Benefits are positive amounts."
        )
        integer(self.start, name="start", function=fn, minimum=0)
        number(self.growth, name="growth", function=fn, low=-1.0, low_open=True)

    @classmethod
    def revenue_growth(
        cls,
        *,
        name: str,
        extra_revenue: float,
        margin_rate: float,
        ramp_up: Sequence[float] = (),
        start: int = 1,
        growth: float = 0.0,
    ) -> BenefitStream:
        """Build a revenue-growth stream: the gross margin on the extra revenue.

        Parameters
        ----------
        name : str
            Unique within the case.
        extra_revenue : float
            Extra revenue per period at full run-rate (>= 0).
        margin_rate : float
            Gross margin rate on it, in [0, 1].
        ramp_up, start, growth
            As for :class:`BenefitStream`.

        Returns
        -------
        BenefitStream
            With ``value = extra_revenue x margin_rate``.

        Raises
        ------
        InputError
            For a negative revenue or a rate outside [0, 1].

        Examples
        --------
        >>> BenefitStream.revenue_growth(
        ...     name="cross-sell", extra_revenue=200_000.0, margin_rate=0.3
        ... ).value
        60000.0
        """
        fn = "BenefitStream.revenue_growth"
        revenue = number(extra_revenue, name="extra_revenue", function=fn, low=0.0)
        rate = number(margin_rate, name="margin_rate", function=fn, low=0.0, high=1.0)
        return cls(
            name=name,
            kind="revenue growth",
            value=revenue * rate,
            ramp_up=tuple(ramp_up),
            start=start,
            growth=growth,
        )

    @classmethod
    def retention(
        cls,
        *,
        name: str,
        economics: RetentionEconomics,
        ramp_up: Sequence[float] = (),
        start: int = 1,
    ) -> BenefitStream:
        """Build a retention stream from :func:`retention_economics`: the steady-state profit gain.

        Parameters
        ----------
        name : str
            Unique within the case.
        economics : RetentionEconomics
            The uplift's economics; the run-rate is ``profit_after -
            profit_before`` per period (the programme's own cost already
            deducted), which must not be negative.
        ramp_up, start
            As for :class:`BenefitStream`.

        Returns
        -------
        BenefitStream

        Raises
        ------
        InputError
            If the uplift loses money (a negative run-rate): model it as a cost.

        Examples
        --------
        >>> from crmkit.roi import retention_economics
        >>> econ = retention_economics(
        ...     margin=100.0,
        ...     retention=0.75,
        ...     uplift=0.05,
        ...     discount_rate=0.1,
        ...     new_customers=1_000,
        ...     acquisition_cost=120.0,
        ...     retention_cost=5.0,
        ... )
        >>> round(BenefitStream.retention(name="loyalty", economics=econ).value)
        75000
        """
        fn = "BenefitStream.retention"
        econ = instance(
            economics,
            RetentionEconomics,
            name="economics",
            function=fn,
            what="a RetentionEconomics",
        )
        gain = econ.profit_after - econ.profit_before
        if gain < 0:
            raise InputError.for_parameter(
                "economics",
                "an uplift that raises profit (profit_after >= profit_before)",
                gain,
                function=fn,
                hint="A retention programme that loses money is a cost, not a benefit.",
            )
        return cls(name=name, kind="retention", value=gain, ramp_up=tuple(ramp_up), start=start)

    def amounts(self, n_periods: int) -> FloatArray:
        """Return the benefit of periods 0..n-1 (money, positive).

        Parameters
        ----------
        n_periods : int
            Length of the plan.

        Returns
        -------
        ndarray of float64, shape (n,)

        Examples
        --------
        >>> BenefitStream(name="a", kind="retention", value=10.0, start=2).amounts(4).tolist()
        [0.0, 0.0, 10.0, 10.0]
        """
        t = np.arange(n_periods)
        k = t - self.start
        ramp = np.asarray(self.ramp_up, dtype=np.float64)
        level = np.ones(n_periods)
        during = (k >= 0) & (k < ramp.size)
        level[during] = ramp[k[during]]
        after = np.maximum(k - ramp.size, 0)
        rate = self.value * level * (1.0 + self.growth) ** after
        return np.where(k >= 0, rate, 0.0)


def _unique_names(items: Sequence[CostItem | BenefitStream], field: str) -> None:
    seen: dict[str, int] = {}
    for item in items:
        seen[item.name] = seen.get(item.name, 0) + 1
    repeated = [k for k, c in seen.items() if c > 1]
    if repeated:
        raise InputError.for_parameter(
            field,
            "items with distinct names (names label the assumptions)",
            repeated,
            function="BusinessCase",
        )


def _cost_items(value: Iterable[CostItem]) -> tuple[CostItem, ...]:
    return tuple(value)


def _benefit_streams(value: Iterable[BenefitStream]) -> tuple[BenefitStream, ...]:
    return tuple(value)


def _start_date(value: object) -> np.datetime64 | None:
    if value is None:
        return None
    return scalar_datetime(value, field="start", function="BusinessCase")


@attrs.frozen(kw_only=True)
class BusinessCase:
    """A CRM investment plan: costs, benefits, horizon and discount rate.

    Attributes
    ----------
    costs : tuple of CostItem
        The TCO lines (names distinct).
    benefits : tuple of BenefitStream
        The benefit streams (names distinct from each other and the costs).
    periods : int
        Periods after today: the plan covers periods 0 (today) to ``periods``.
    discount_rate : float
        Discount rate per period, > -1.
    first_period : {0, 1}
        The t = 0 convention: 0 leaves period 0 undiscounted (an investment
        today, numpy-financial's ``npv``); 1 discounts every period once more
        (spreadsheets' ``NPV()`` over the whole plan). No default.
    period_unit : {"year", "month"}
        What a period is (default a year); monthly plans take a monthly rate.
    start : numpy.datetime64 or None
        Date of period 0; with it XNPV and XIRR are computed on the period
        dates (act/365).

    Examples
    --------
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> case.assumptions
    ('licences one-off', 'licences recurring', 'service', 'discount rate')
    """

    costs: tuple[CostItem, ...] = attrs.field(converter=_cost_items)
    benefits: tuple[BenefitStream, ...] = attrs.field(converter=_benefit_streams)
    periods: int
    discount_rate: float
    first_period: FirstPeriod
    period_unit: Literal["year", "month"] = "year"
    start: np.datetime64 | None = attrs.field(default=None, converter=_start_date)

    def __attrs_post_init__(self) -> None:
        fn = "BusinessCase"
        for item in self.costs:
            instance(item, CostItem, name="costs", function=fn, what="a CostItem")
        for stream in self.benefits:
            instance(stream, BenefitStream, name="benefits", function=fn, what="a BenefitStream")
        if not self.costs and not self.benefits:
            raise InputError.for_parameter("costs", "at least one cost or benefit", [], function=fn)
        _unique_names([*self.costs, *self.benefits], "benefits")
        integer(
            self.periods,
            name="periods",
            function=fn,
            minimum=1,
            maximum=_MAX_PERIODS,
            hint="A plan of monthly periods over 100 years has 1,200.",
        )
        number(
            self.discount_rate,
            name="discount_rate",
            function=fn,
            low=-1.0,
            low_open=True,
            hint="A rate of -1 (-100%) or less has no discount factor.",
        )
        first_period_of(self.first_period, function=fn)
        choice(self.period_unit, ("year", "month"), name="period_unit", function=fn)

    @property
    def n_periods(self) -> int:
        """Periods in the plan, today included (``periods + 1``)."""
        return int(self.periods) + 1

    @property
    def assumptions(self) -> tuple[str, ...]:
        """Every assumption a sensitivity, scenario or simulation can vary, in plan order."""
        names: list[str] = []
        for item in self.costs:
            names += [f"{item.name} one-off", f"{item.name} recurring"]
        names += [s.name for s in self.benefits]
        return (*names, DISCOUNT_RATE)


def assumption_flows(case: BusinessCase) -> FloatArray:
    """Net cash-flow contribution of each assumption but the rate: shape (A - 1, periods + 1).

    Costs enter negative, benefits positive; a scenario's flows are the
    multipliers of its assumptions times these rows, summed.
    """
    n = case.n_periods
    rows = []
    for item in case.costs:
        rows += [-item.one_off_amounts(n), -item.recurring_amounts(n)]
    rows += [stream.amounts(n) for stream in case.benefits]
    return np.asarray(np.vstack(rows), dtype=np.float64)
