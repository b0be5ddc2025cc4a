"""What if the assumptions are wrong: sensitivity (tornado), named scenarios, Monte Carlo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind
from crmkit._input import as_readonly
from crmkit._params import SeedLike, as_generator, instance, integer, number, work_limit
from crmkit._results import Result, frozen_mapping
from crmkit.errors import InputError
from crmkit.roi._business_case._plan import BusinessCase, assumption_flows
from crmkit.roi._finance._payback import payback_columns
from crmkit.roi._finance._rates import npv_columns, periodic_roots
from crmkit.roi._ratios import ratio

__all__ = [
    "BusinessCaseSimulation",
    "Distribution",
    "ScenarioResults",
    "Sensitivity",
    "Triangular",
    "Uniform",
    "scenarios",
    "sensitivity",
    "simulate_business_case",
]

FloatArray = npt.NDArray[np.float64]
_CHUNK_CELLS: Final = 1 << 22
_SIMULATION_LIMIT: Final = 10**10
"""Most simulated period flows (simulations x periods) one call may ask for."""


@attrs.frozen(kw_only=True)
class Triangular:
    """A triangular distribution of an assumption's multiplier (1 = the plan's value).

    Attributes
    ----------
    low, mode, high : float
        Smallest, most likely and largest multiplier, 0 <= low <= mode <= high,
        low < high.

    Examples
    --------
    >>> Triangular(low=0.6, mode=1.0, high=1.1).mean
    0.9
    """

    low: float
    mode: float
    high: float

    def __attrs_post_init__(self) -> None:
        fn = "Triangular"
        low = number(self.low, name="low", function=fn, low=0.0, hint="Multipliers are >= 0.")
        mode = number(self.mode, name="mode", function=fn, low=low)
        number(
            self.high,
            name="high",
            function=fn,
            low=max(mode, low),
            low_open=self.low == self.mode == self.high,
        )
        if not self.low < self.high:
            raise InputError.for_parameter(
                "high", f"above low ({self.low:g})", self.high, function=fn
            )

    @property
    def mean(self) -> float:
        """Mean multiplier, ``(low + mode + high) / 3``."""
        return (self.low + self.mode + self.high) / 3.0

    def draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw *size* multipliers.

        Parameters
        ----------
        rng : numpy.random.Generator
            The source of randomness.
        size : int
            How many.

        Returns
        -------
        ndarray of float64, shape (size,)

        Examples
        --------
        >>> d = Triangular(low=0.5, mode=1.0, high=1.0).draw(np.random.default_rng(1), 1000)
        >>> bool(d.min() >= 0.5 and d.max() <= 1.0)
        True
        """
        return rng.triangular(self.low, self.mode, self.high, size=size)


@attrs.frozen(kw_only=True)
class Uniform:
    """A uniform distribution of an assumption's multiplier (1 = the plan's value).

    Attributes
    ----------
    low, high : float
        Range of the multiplier, 0 <= low < high.

    Examples
    --------
    >>> Uniform(low=0.8, high=1.2).mean
    1.0
    """

    low: float
    high: float

    def __attrs_post_init__(self) -> None:
        low = number(
            self.low, name="low", function="Uniform", low=0.0, hint="Multipliers are >= 0."
        )
        number(self.high, name="high", function="Uniform", low=low, low_open=True)

    @property
    def mean(self) -> float:
        """Mean multiplier."""
        return (self.low + self.high) / 2.0

    def draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw *size* multipliers.

        Parameters
        ----------
        rng : numpy.random.Generator
            The source of randomness.
        size : int
            How many.

        Returns
        -------
        ndarray of float64, shape (size,)

        Examples
        --------
        >>> float(Uniform(low=1.0, high=2.0).draw(np.random.default_rng(0), 1)[0]) < 2.0
        True
        """
        return rng.uniform(self.low, self.high, size=size)


Distribution = Triangular | Uniform
"""A distribution of an assumption's multiplier."""


def _evaluate(
    case: BusinessCase, multipliers: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Flows (periods x scenarios), NPV and rate of each multiplier row (rate multiplier last)."""
    flows = np.ascontiguousarray(assumption_flows(case).T @ multipliers[:, :-1].T)
    rates = float(case.discount_rate) * multipliers[:, -1]
    return flows, npv_columns(rates, flows, int(case.first_period)), rates


def _check_rates(case: BusinessCase, multipliers: FloatArray, function: str) -> None:
    low = float(case.discount_rate) * multipliers[:, -1]
    if bool((low <= -1.0).any()):
        raise InputError(
            f"The discount-rate multipliers of {function} take the rate "
            f"{float(case.discount_rate):g} to -100% or below.",
            field="discount rate",
        )


@attrs.frozen(kw_only=True, repr=False)
class Sensitivity(Result):
    """One assumption at a time moved down and up: the data of a tornado chart.

    Attributes
    ----------
    assumption : ndarray of str, shape (A,)
        Assumption names, largest swing first (ties in plan order).
    low_npv, high_npv : ndarray of float64, shape (A,)
        NPV with the assumption at ``1 - change`` and ``1 + change`` of its
        plan value, everything else as planned.
    swing : ndarray of float64, shape (A,)
        ``|high_npv - low_npv|``: the bar's length.
    base_npv : float
        NPV of the plan as it stands.
    change : float
        The relative change applied (0.1 = +-10%).

    Examples
    --------
    >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> sensitivity(case, change=0.1).assumption.tolist()
    ['service', 'licences one-off', 'discount rate', 'licences recurring']
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "low_npv": "money",
        "high_npv": "money",
        "swing": "money",
        "base_npv": "money",
        "change": "share",
    }

    _table: ClassVar[tuple[str, ...]] = ("assumption", "low_npv", "high_npv", "swing")
    _rows: ClassVar[tuple[str, ...]] = _table

    assumption: npt.NDArray[np.str_]
    low_npv: FloatArray
    high_npv: FloatArray
    swing: FloatArray
    base_npv: float
    change: float


def sensitivity(case: BusinessCase, *, change: float) -> Sensitivity:
    r"""Move each assumption by +-``change`` alone and rank them by their effect on NPV.

    Parameters
    ----------
    case : BusinessCase
        The plan (see :attr:`BusinessCase.assumptions` for what is varied:
        each cost's one-off and recurring part, each benefit stream, the
        discount rate).
    change : float
        Relative change, in [0, 1] (0.1 = each assumption at 90% and 110%).
        No default: the tornado depends on it.

    Returns
    -------
    Sensitivity
        Low and high NPV per assumption, largest swing first.

    Raises
    ------
    InputError
        If *case* is not a :class:`BusinessCase`, or *change* is outside [0, 1].

    Notes
    -----
    NPV is linear in every cash-flow assumption, so their bars are symmetric
    around the base; the discount rate's is not. All :math:`2A + 1` plans are
    one matrix product and one vectorised NPV. At ``change=0`` every NPV is
    the base NPV.

    References
    ----------
    .. [1] Eschenbach, T. G. (1992). "Spiderplots versus tornado diagrams for
       sensitivity analysis". Interfaces 22(6), 40-46.

    Examples
    --------
    >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> tornado = sensitivity(case, change=0.1)
    >>> tornado.to_frame().round(0)
               assumption  low_npv  high_npv    swing
    0             service  -3612.0    6696.0  10308.0
    1    licences one-off   6542.0   -3458.0  10000.0
    2       discount rate   2295.0     807.0   1488.0
    3  licences recurring   1542.0    1542.0      0.0
    """
    fn = "sensitivity"
    plan = instance(case, BusinessCase, name="case", function=fn, what="a BusinessCase")
    x = number(change, name="change", function=fn, low=0.0, high=1.0)
    names = plan.assumptions
    a = len(names)
    multipliers = np.ones((2 * a + 1, a))
    multipliers[np.arange(a), np.arange(a)] = 1.0 - x
    multipliers[a + np.arange(a), np.arange(a)] = 1.0 + x
    _check_rates(plan, multipliers, fn)
    _, values, _ = _evaluate(plan, multipliers)
    low, high, base = values[:a], values[a : 2 * a], float(values[-1])
    swing = np.abs(high - low)
    order = np.argsort(-swing, kind="stable")
    return Sensitivity(
        assumption=as_readonly(np.array(names, dtype=str)[order]),
        low_npv=as_readonly(low[order]),
        high_npv=as_readonly(high[order]),
        swing=as_readonly(swing[order]),
        base_npv=base,
        change=x,
    )


def _multipliers(
    case: BusinessCase, named: Mapping[str, float], *, field: str, function: str
) -> FloatArray:
    if not isinstance(named, Mapping):
        raise InputError.for_parameter(
            field, "a mapping of assumption to multiplier", type(named).__name__, function=function
        )
    names = case.assumptions
    unknown = [k for k in named if k not in names]
    if unknown:
        raise InputError.for_parameter(
            field, f"keyed by the case's assumptions {list(names)}", unknown, function=function
        )
    row = np.ones(len(names))
    for key, value in named.items():
        row[names.index(key)] = number(value, name=f"{field}[{key!r}]", function=function, low=0.0)
    return row


@attrs.frozen(kw_only=True, repr=False)
class ScenarioResults(Result):
    """The plan's figures of merit under each named scenario.

    Attributes
    ----------
    scenario : ndarray of str, shape (m,)
        Scenario names, in the order given.
    npv : ndarray of float64, shape (m,)
        NPV of each scenario.
    irr : ndarray of float64, shape (m,)
        The IRR where it is unique; NaN exactly where ``n_irr`` is not 1.
    n_irr : ndarray of int64, shape (m,)
        How many rates make the scenario's NPV zero.
    payback_period, discounted_payback_period : ndarray of float64, shape (m,)
        As :func:`payback_period`; NaN exactly where the scenario does not pay
        back within the plan (``paid_back`` / ``discounted_paid_back``).
    paid_back, discounted_paid_back : ndarray of bool, shape (m,)
        Whether it does.
    roi : ndarray of float64, shape (m,)
        ``(benefits - costs) / costs``, undiscounted.
    multipliers : mapping of str to mapping of str to float
        Each scenario's multipliers (every assumption, 1 where not named).

    Examples
    --------
    >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> s = scenarios(case, {"pessimistic": {"service": 0.7}, "expected": {}})
    >>> s.npv.round(0).tolist(), s.paid_back.tolist()
    ([-13921.0, 1542.0], [False, True])
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "npv": "money",
        "irr": "share",
        "n_irr": "count",
        "payback_period": "number",
        "discounted_payback_period": "number",
        "roi": "share",
        "multipliers": "number",
    }

    _table: ClassVar[tuple[str, ...]] = (
        "scenario",
        "npv",
        "irr",
        "n_irr",
        "payback_period",
        "paid_back",
        "discounted_payback_period",
        "discounted_paid_back",
        "roi",
    )

    scenario: npt.NDArray[np.str_]
    npv: FloatArray
    irr: FloatArray
    n_irr: npt.NDArray[np.int64]
    payback_period: FloatArray
    paid_back: npt.NDArray[np.bool_]
    discounted_payback_period: FloatArray
    discounted_paid_back: npt.NDArray[np.bool_]
    roi: FloatArray
    multipliers: Mapping[str, Mapping[str, float]] = attrs.field(converter=frozen_mapping)


def scenarios(case: BusinessCase, named: Mapping[str, Mapping[str, float]]) -> ScenarioResults:
    """Evaluate named scenarios (pessimistic / expected / optimistic, ...) in one call.

    Parameters
    ----------
    case : BusinessCase
        The plan.
    named : mapping of str to mapping of str to float
        Scenario name -> {assumption: multiplier (>= 0)}; unnamed
        assumptions keep their plan value (multiplier 1).

    Returns
    -------
    ScenarioResults
        NPV, IRR, payback and ROI per scenario.

    Raises
    ------
    InputError
        For an empty mapping, an unknown assumption (the known ones are
        listed), a negative multiplier, or a discount rate taken to -100%.

    Notes
    -----
    A scenario's flows are the plan's assumption flows times its
    multipliers; every scenario is one row of one vectorised evaluation.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. and Allen, F. (2020). Principles of
       Corporate Finance, 13th ed., McGraw-Hill, section 10.1.

    Examples
    --------
    >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> s = scenarios(
    ...     case,
    ...     {
    ...         "pessimistic": {"service": 0.8, "licences one-off": 1.1},
    ...         "expected": {},
    ...         "optimistic": {"service": 1.2},
    ...     },
    ... )
    >>> s.to_frame()[["scenario", "npv", "irr", "payback_period"]].round(3)
          scenario        npv    irr  payback_period
    0  pessimistic -13766.448 -0.065             NaN
    1     expected   1541.940  0.097           2.500
    2   optimistic  11850.328  0.207           2.083
    """
    fn = "scenarios"
    plan = instance(case, BusinessCase, name="case", function=fn, what="a BusinessCase")
    if not isinstance(named, Mapping):
        raise InputError.for_parameter(
            "named", "a mapping of scenario name to multipliers", type(named).__name__, function=fn
        )
    if not named:
        raise InputError.for_parameter(
            "named", "a non-empty mapping of scenario name to multipliers", {}, function=fn
        )
    labels = [str(k) for k in named]
    multipliers = np.vstack(
        [_multipliers(plan, named[k], field=f"named[{k!r}]", function=fn) for k in named]
    )
    _check_rates(plan, multipliers, fn)
    columns, values, rates = _evaluate(plan, multipliers)
    flows = np.ascontiguousarray(columns.T)
    roots = periodic_roots(flows)
    irr = np.full(len(labels), np.nan)
    of_unique = (np.asarray(roots.n_roots) == 1)[roots.scenario]
    irr[roots.scenario[of_unique]] = roots.rate[of_unique]
    start = int(plan.first_period)
    payback, paid = payback_columns(columns, start)
    t = np.arange(columns.shape[0]) + start
    discounted = columns * np.exp(-np.log1p(rates)[None, :] * t[:, None])
    d_payback, d_paid = payback_columns(discounted, start)
    costs = np.maximum(-flows, 0.0).sum(axis=1)
    gains = np.maximum(flows, 0.0).sum(axis=1)
    names = plan.assumptions
    return ScenarioResults(
        scenario=as_readonly(np.array(labels, dtype=str)),
        npv=as_readonly(values),
        irr=as_readonly(irr),
        n_irr=as_readonly(np.asarray(roots.n_roots, dtype=np.int64)),
        payback_period=as_readonly(payback),
        paid_back=as_readonly(paid),
        discounted_payback_period=as_readonly(d_payback),
        discounted_paid_back=as_readonly(d_paid),
        roi=as_readonly(ratio(gains - costs, costs)),
        multipliers={
            label: {n: float(m) for n, m in zip(names, row, strict=True)}
            for label, row in zip(labels, multipliers, strict=True)
        },
    )


@attrs.frozen(kw_only=True, repr=False)
class BusinessCaseSimulation(Result):
    """The NPV and payback distributions of a plan whose assumptions are uncertain.

    Attributes
    ----------
    npv : ndarray of float64, shape (n,)
        NPV of each simulated future.
    payback_period : ndarray of float64, shape (n,)
        Its simple payback; NaN exactly where ``paid_back`` is False.
    paid_back : ndarray of bool, shape (n,)
        Whether it pays back within the plan.
    n_simulations : int
        Futures simulated.
    npv_mean, npv_p5, npv_p50, npv_p95 : float
        Mean and percentiles of the NPV.
    p_npv_negative : float
        Share of futures with NPV < 0.
    p_paid_back : float
        Share of futures that pay back within the plan.
    payback_p10, payback_p50, payback_p90 : float
        Percentiles of the payback period over every future, those that never
        pay back counted as later than any (+inf when more than 10%, 50%,
        90% of them never do).
    distributions : mapping of str to str
        The uncertain assumptions and their distributions.

    Examples
    --------
    >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> sim = simulate_business_case(
    ...     case,
    ...     distributions={"service": Uniform(low=0.8, high=1.2)},
    ...     n_simulations=10_000,
    ...     seed=7,
    ... )
    >>> round(sim.p_npv_negative, 2)
    0.43
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "npv": "money",
        "payback_period": "number",
        "n_simulations": "count",
        "npv_mean": "money",
        "npv_p5": "money",
        "npv_p50": "money",
        "npv_p95": "money",
        "p_npv_negative": "probability",
        "p_paid_back": "probability",
        "payback_p10": "number",
        "payback_p50": "number",
        "payback_p90": "number",
    }

    _table: ClassVar[tuple[str, ...]] = ("npv", "payback_period", "paid_back")

    npv: FloatArray
    payback_period: FloatArray
    paid_back: npt.NDArray[np.bool_]
    n_simulations: int
    npv_mean: float
    npv_p5: float
    npv_p50: float
    npv_p95: float
    p_npv_negative: float
    p_paid_back: float
    payback_p10: float
    payback_p50: float
    payback_p90: float
    distributions: Mapping[str, str] = attrs.field(converter=frozen_mapping)


def simulate_business_case(
    case: BusinessCase,
    *,
    distributions: Mapping[str, Distribution],
    n_simulations: int,
    seed: SeedLike,
) -> BusinessCaseSimulation:
    r"""Simulate the plan under uncertain assumptions: NPV distribution, P(NPV < 0), payback.

    Parameters
    ----------
    case : BusinessCase
        The plan.
    distributions : mapping of str to Triangular or Uniform
        Assumption name -> distribution of its multiplier (1 = plan value);
        assumptions not named keep their plan value.
    n_simulations : int
        Futures to simulate, >= 1.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness; the same seed gives the same futures.

    Returns
    -------
    BusinessCaseSimulation
        The NPV and payback of every future, and their summary.

    Raises
    ------
    InputError
        For an unknown assumption, a value that is not a distribution, a bad
        seed, ``n_simulations < 1``, more than 10**10 simulated period flows,
        or a discount rate drawn at -100% or below.

    Notes
    -----
    Each assumption's multiplier is drawn independently, in the plan's
    assumption order (so adding a distribution does not change the draws of
    the assumptions before it); each future's flows are the multipliers times
    the plan's assumption flows. Futures are evaluated in chunks of a few
    million period flows, so memory stays bounded; NPV and payback are the
    vectorised finance core.

    References
    ----------
    .. [1] Hertz, D. B. (1964). "Risk analysis in capital investment".
       Harvard Business Review 42(1), 95-106.

    Examples
    --------
    >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
    >>> case = BusinessCase(
    ...     costs=(CostItem(name="licences", category="technology", one_off=50_000.0),),
    ...     benefits=(BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
    ...     periods=3,
    ...     discount_rate=0.08,
    ...     first_period=0,
    ... )
    >>> sim = simulate_business_case(
    ...     case,
    ...     distributions={"service": Triangular(low=0.6, mode=1.0, high=1.2)},
    ...     n_simulations=20_000,
    ...     seed=2024,
    ... )
    >>> round(sim.npv_p50), round(sim.p_npv_negative, 2), round(sim.p_paid_back, 2)
    (-1163, 0.57, 0.77)
    """
    fn = "simulate_business_case"
    plan = instance(case, BusinessCase, name="case", function=fn, what="a BusinessCase")
    n = integer(n_simulations, name="n_simulations", function=fn, minimum=1)
    work_limit(
        n * plan.n_periods,
        limit=_SIMULATION_LIMIT,
        name="n_simulations",
        function=fn,
        what="simulated period flows",
    )
    if not isinstance(distributions, Mapping):
        raise InputError.for_parameter(
            "distributions",
            "a mapping of assumption name to distribution",
            type(distributions).__name__,
            function=fn,
        )
    names = plan.assumptions
    unknown = [k for k in distributions if k not in names]
    if unknown:
        raise InputError.for_parameter(
            "distributions", f"keyed by the case's assumptions {list(names)}", unknown, function=fn
        )
    for key, dist in distributions.items():
        if not isinstance(dist, (Triangular, Uniform)):
            raise InputError.for_parameter(
                f"distributions[{key!r}]",
                "a Triangular or Uniform",
                type(dist).__name__,
                function=fn,
            )
    rng = as_generator(seed, function=fn)
    multipliers = np.ones((n, len(names)))
    for j, name in enumerate(names):
        if name in distributions:
            multipliers[:, j] = distributions[name].draw(rng, n)
    _check_rates(plan, multipliers, fn)
    start = int(plan.first_period)
    npv = np.empty(n)
    payback = np.empty(n)
    paid = np.empty(n, dtype=bool)
    chunk = max(1, _CHUNK_CELLS // plan.n_periods)
    for begin in range(0, n, chunk):
        rows = slice(begin, begin + chunk)
        flows, values, _ = _evaluate(plan, multipliers[rows])
        npv[rows] = values
        payback[rows], paid[rows] = payback_columns(flows, start)
    ordered = np.sort(np.where(paid, payback, np.inf))
    p5, p50, p95 = np.quantile(npv, [0.05, 0.5, 0.95]).tolist()
    return BusinessCaseSimulation(
        npv=as_readonly(npv),
        payback_period=as_readonly(payback),
        paid_back=as_readonly(paid),
        n_simulations=n,
        npv_mean=float(npv.mean()),
        npv_p5=float(p5),
        npv_p50=float(p50),
        npv_p95=float(p95),
        p_npv_negative=float(np.mean(npv < 0)),
        p_paid_back=float(np.mean(paid)),
        payback_p10=_order_stat(ordered, 0.1),
        payback_p50=_order_stat(ordered, 0.5),
        payback_p90=_order_stat(ordered, 0.9),
        distributions={k: repr(v) for k, v in distributions.items()},
    )


def _order_stat(ordered: FloatArray, q: float) -> float:
    """Return the q-quantile (inverted empirical distribution) of sorted values, +inf allowed."""
    index = min(ordered.size - 1, max(0, int(np.ceil(q * ordered.size)) - 1))
    return float(ordered[index])
