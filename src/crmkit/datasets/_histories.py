"""Simulated customer histories from any customer-base model, with the truth kept.

Where :func:`simulate_customer_base` writes out every transaction of a BG/NBD
base, these draw the per-customer summaries that the models are fitted on
(frequency, recency, T; tenures and churn for contracts) directly from a
fitted or given model: fast enough for millions of customers, and the natural
tool for parametric bootstraps and coverage checks. Every draw is vectorised;
the same seed gives the same histories.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_readonly
from crmkit._params import SeedLike, as_generator, instance, integer, number, work_limit
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError

__all__ = [
    "MAX_CUSTOMERS",
    "MAX_PURCHASES",
    "SimulatedContracts",
    "SimulatedHistories",
    "simulate_contracts",
    "simulate_donor_histories",
    "simulate_purchase_histories",
]

FloatArray = npt.NDArray[np.float64]
_POISSON_CAP: Final = 1e15  # a gamma draw far in the tail: numpy's Poisson stops near 1e18


@attrs.frozen(kw_only=True, repr=False)
class SimulatedHistories(Result):
    """Simulated per-customer histories (an :class:`crmkit.roi.RFMData`) and the truth behind them.

    Attributes
    ----------
    customer : ndarray of int64, shape (n,)
        Customer ids (0..n-1, or the covariate table's ids).
    frequency, recency, T : ndarray of float64, shape (n,)
        Repeat purchases, time of the last one and observation length, in the
        model's time unit (opportunities for BG/BB).
    purchase_rate : ndarray of float64, shape (n,)
        Each customer's true purchase rate per time unit (transaction
        probability per opportunity for BG/BB).
    dropout : ndarray of float64, shape (n,)
        The true dropout parameter: probability per purchase (BG/NBD,
        MBG/NBD), rate per time unit (Pareto/NBD) or probability per
        opportunity (BG/BB).
    alive : ndarray of bool, shape (n,)
        Whether the customer is still active at the end of observation.
    model : str
        The model simulated.

    Examples
    --------
    >>> from crmkit.roi import bgnbd_from_params
    >>> sim = simulate_purchase_histories(
    ...     bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426), T=39.0, n_customers=5, seed=1
    ... )
    >>> sim.T.tolist()
    [39.0, 39.0, 39.0, 39.0, 39.0]
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "frequency": "number",
        "recency": "number",
        "T": "number",
        "purchase_rate": "number",
        "dropout": "number",
    }

    _table: ClassVar[tuple[str, ...]] = ("customer", "frequency", "recency", "T")

    customer: npt.NDArray[Any]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    purchase_rate: FloatArray
    dropout: FloatArray
    alive: npt.NDArray[np.bool_]
    model: str


MAX_CUSTOMERS: Final = 10**8
"""Customers one simulation may ask for (each costs a few float64 values)."""
MAX_PURCHASES: Final = 10**9
"""Expected purchases of the average customer one simulation may ask for."""


def _ages(T: npt.ArrayLike, n_customers: object, function: str) -> FloatArray:
    if np.ndim(T) == 0 and not isinstance(T, np.ndarray):
        age = number(T, name="T", function=function, low=0.0)
        n = integer(n_customers, name="n_customers", function=function, minimum=1)
        work_limit(n, limit=MAX_CUSTOMERS, name="n_customers", function=function, what="customers")
        return np.full(n, age)
    ages = as_finite_float(np.atleast_1d(np.asarray(T)), field="T", function=function, minimum=0.0)
    work_limit(ages.size, limit=MAX_CUSTOMERS, name="T", function=function, what="customers")
    if ages.size == 1 and n_customers is not None:
        n = integer(n_customers, name="n_customers", function=function, minimum=1)
        work_limit(n, limit=MAX_CUSTOMERS, name="n_customers", function=function, what="customers")
        return np.full(n, float(ages[0]))
    if n_customers is not None:
        raise InputError.for_parameter(
            "n_customers", "None when T gives one age per customer", n_customers, function=function
        )
    return ages


def simulate_purchase_histories(
    model: Any,  # noqa: ANN401  (BGNBDFit, MBGNBDFit or ParetoNBDFit)
    *,
    T: npt.ArrayLike,
    seed: SeedLike,
    n_customers: int | None = None,
    covariates: object | None = None,
) -> SimulatedHistories:
    r"""Simulate (frequency, recency, T) histories from a continuous-time purchase model.

    Parameters
    ----------
    model : BGNBDFit, MBGNBDFit or ParetoNBDFit
        The true model (fitted or built with ``*_from_params``).
    T : float or array_like of float
        Observation length of every customer (with *n_customers*) or of each
        customer, in the model's time unit, >= 0.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness; the same seed gives the same histories.
    n_customers : int, optional
        Number of customers, when *T* is one number (at most 10^8).
    covariates : DataFrame or mapping of columns, optional
        For a covariate model: the customers' covariates (one customer per
        row, in order; their ``customer`` ids are kept). T is then one age or
        one per row.

    Returns
    -------
    SimulatedHistories
        Histories and the true rates.

    Raises
    ------
    InputError
        For a model of the wrong type, bad ages, counts or seeds, more than
        10^8 customers, or ages at which the average customer
        would expect more than 10^9 purchases.

    Notes
    -----
    Per customer, :math:`\lambda \sim \text{Gamma}(r, \alpha)` and
    :math:`N \sim \text{Poisson}(\lambda\,\tau)` purchases over the time alive
    :math:`\tau`. BG/NBD: the customer survives :math:`D \sim \text{Geom}(p)`
    repeat purchases (:math:`p \sim \text{Beta}(a, b)`), MBG/NBD :math:`D - 1`
    (the first purchase is a chance to leave too), so :math:`x = \min(N, D)`
    with :math:`\tau = T`; Pareto/NBD: :math:`\tau = \min(T, \text{Exp}(\mu))`,
    :math:`\mu \sim \text{Gamma}(s, \beta)`, :math:`x = N`. The time of the
    last of x purchases among N uniform on :math:`(0, \tau)` is
    :math:`\tau\,\text{Beta}(x, N - x + 1)`.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    See :class:`SimulatedHistories`.
    """
    fn = "simulate_purchase_histories"
    from crmkit.roi import BGNBDFit, MBGNBDFit, ParetoNBDFit  # noqa: PLC0415
    from crmkit.roi._models._covariates import design_for  # noqa: PLC0415
    from crmkit.roi._models._purchase import kernel  # noqa: PLC0415

    if not isinstance(model, (BGNBDFit, MBGNBDFit, ParetoNBDFit)):
        raise InputError.for_parameter(
            "model", "a BGNBDFit, MBGNBDFit or ParetoNBDFit", type(model).__name__, function=fn
        )
    fit = model
    rng = as_generator(seed, function=fn)
    effects = getattr(fit, "covariates", None)
    ids: npt.NDArray[Any] | None = None
    designs = None
    if effects is not None or covariates is not None:
        from crmkit._tables import read_table  # noqa: PLC0415

        table = read_table(covariates, field="covariates", function=fn) if covariates else {}
        ids = table.get("customer")
        designs = design_for(covariates, ids, effects, function=fn)
        count = None if np.size(T) > 1 else (ids.shape[0] if ids is not None else 0)
        ages = _ages(T, count, fn)
    else:
        ages = _ages(T, n_customers, fn)
    n = ages.size
    kern = kernel(fit, designs)
    mean_rate = float(np.mean(kern.r / np.asarray(kern.alpha, dtype=float)))
    work_limit(
        int(min(mean_rate * float(ages.max(initial=0.0)), 1e30)),
        limit=MAX_PURCHASES,
        name="T",
        function=fn,
        what="expected purchases of the average customer",
    )
    lam = rng.gamma(kern.r, 1.0 / np.broadcast_to(np.asarray(kern.alpha, dtype=float), (n,)))
    if kern.kind == "pareto":
        mu = rng.gamma(kern.u, 1.0 / np.broadcast_to(np.asarray(kern.v, dtype=float), (n,)))
        death = rng.exponential(1.0, n) / np.maximum(mu, 1e-300)
        span = np.minimum(death, ages)
        x = rng.poisson(np.minimum(lam * span, _POISSON_CAP)).astype(np.float64)
        alive = death > ages
        dropout = mu
    else:
        p = rng.beta(
            np.broadcast_to(np.asarray(kern.u, dtype=float), (n,)),
            np.broadcast_to(np.asarray(kern.v, dtype=float), (n,)),
        )
        possible = rng.poisson(np.minimum(lam * ages, _POISSON_CAP)).astype(np.float64)
        survived = rng.geometric(np.clip(p, 1e-12, 1.0)).astype(np.float64)
        if kern.kind == "mbg":
            survived -= 1.0
        x = np.minimum(possible, survived)
        alive = survived > possible
        dropout = p
        # the last of x purchases among the `possible` uniform on (0, T)
        last = rng.beta(np.maximum(x, 1.0), np.maximum(possible - x + 1.0, 1.0))
        t_x = np.where(x > 0, ages * last, 0.0)
        return _histories(
            ids,
            x=x,
            t_x=t_x,
            ages=ages,
            rate=lam,
            dropout=dropout,
            alive=alive,
            name=type(fit).__name__,
        )
    t_x = np.where(x > 0, span * rng.beta(np.maximum(x, 1.0), 1.0), 0.0)
    return _histories(
        ids,
        x=x,
        t_x=t_x,
        ages=ages,
        rate=lam,
        dropout=dropout,
        alive=alive,
        name=type(fit).__name__,
    )


def _histories(
    ids: npt.NDArray[Any] | None,
    *,
    x: FloatArray,
    t_x: FloatArray,
    ages: FloatArray,
    rate: FloatArray,
    dropout: FloatArray,
    alive: npt.NDArray[np.bool_],
    name: str,
) -> SimulatedHistories:
    customer = ids if ids is not None else np.arange(x.size, dtype=np.int64)
    return SimulatedHistories(
        customer=as_readonly(np.asarray(customer)),
        frequency=as_readonly(x),
        recency=as_readonly(np.minimum(t_x, ages)),
        T=as_readonly(ages),
        purchase_rate=as_readonly(np.asarray(rate, dtype=np.float64)),
        dropout=as_readonly(np.asarray(dropout, dtype=np.float64)),
        alive=as_readonly(np.asarray(alive, dtype=bool)),
        model=name.removesuffix("Fit"),
    )


def simulate_donor_histories(
    model: Any,  # noqa: ANN401  (BGBBFit)
    *,
    n_customers: int,
    n_periods: int,
    seed: SeedLike,
) -> SimulatedHistories:
    r"""Simulate discrete-time (x, t_x, n) histories from a BG/BB model.

    Parameters
    ----------
    model : BGBBFit
        The true model.
    n_customers : int
        Number of customers, >= 1 (at most 10^8).
    n_periods : int
        Transaction opportunities after the first, >= 1 (at most 10,000).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    SimulatedHistories
        Histories (T = n_periods) and each customer's transaction and dropout
        probabilities.

    Raises
    ------
    InputError
        For a model of the wrong type, bad counts or seeds, or more than
        10^9 customer-periods.

    Notes
    -----
    :math:`p \sim \text{Beta}(\alpha, \beta)`, :math:`\theta \sim \text{Beta}(\gamma, \delta)`;
    the customer is alive for :math:`\min(\text{Geom}(\theta) - 1, n)`
    opportunities and transacts in each with probability p (Fader, Hardie &
    Shang 2010). Simulated in blocks of customers.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis
    in a discrete-time noncontractual setting. *Marketing Science*, 29(6),
    1086-1108.

    Examples
    --------
    >>> from crmkit.roi import bgbb_from_params
    >>> donors = simulate_donor_histories(
    ...     bgbb_from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783),
    ...     n_customers=11_104,
    ...     n_periods=6,
    ...     seed=1995,
    ... )
    >>> bool(abs(float((donors.frequency == 0).mean()) - 3464 / 11104) < 0.02)
    True
    """
    fn = "simulate_donor_histories"
    from crmkit.roi import BGBBFit  # noqa: PLC0415

    fit = instance(model, BGBBFit, name="model", function=fn, what="a BGBBFit")
    n = integer(n_customers, name="n_customers", function=fn, minimum=1)
    periods = integer(n_periods, name="n_periods", function=fn, minimum=1, maximum=10_000)
    work_limit(n, limit=MAX_CUSTOMERS, name="n_customers", function=fn, what="customers")
    work_limit(n * periods, limit=10**9, name="n_customers", function=fn, what="customer-periods")
    rng = as_generator(seed, function=fn)
    p = rng.beta(fit.alpha, fit.beta, n)
    theta = rng.beta(fit.gamma, fit.delta, n)
    lifetime = np.minimum(rng.geometric(np.clip(theta, 1e-12, 1.0)) - 1, periods)
    x = np.empty(n)
    t_x = np.empty(n)
    step = max(1, (1 << 22) // periods)
    index = np.arange(1, periods + 1)[None, :]
    for start in range(0, n, step):
        block = slice(start, start + step)
        buys = (rng.uniform(size=(min(step, n - start), periods)) < p[block, None]) & (
            index <= lifetime[block, None]
        )
        x[block] = buys.sum(axis=1)
        t_x[block] = np.where(buys, index, 0).max(axis=1)
    return _histories(
        None,
        x=x,
        t_x=t_x,
        ages=np.full(n, float(periods)),
        rate=p,
        dropout=theta,
        alive=lifetime >= periods,
        name="BGBB",
    )


@attrs.frozen(kw_only=True, repr=False)
class SimulatedContracts(Result):
    """Simulated subscribers: tenures, churn and the cohort's survival counts.

    Attributes
    ----------
    customer : ndarray of int64, shape (n,)
        Customer ids 0..n-1.
    tenure : ndarray of float64, shape (n,)
        The period in which the customer churned, or the periods observed
        (``n_periods``) if they had not.
    churned : ndarray of bool, shape (n,)
        Whether the customer churned within the observation.
    churn_probability : ndarray of float64, shape (n,)
        Each customer's true baseline churn probability per period.
    survivors : ndarray of int64, shape (n_periods + 1,)
        Customers still active at the end of each period (the cohort at 0).
    model : str
        The model simulated.

    Examples
    --------
    >>> from crmkit.roi import shifted_beta_geometric_from_params
    >>> sim = simulate_contracts(
    ...     shifted_beta_geometric_from_params(alpha=0.704, beta=1.182),
    ...     n_customers=1000,
    ...     n_periods=7,
    ...     seed=1,
    ... )
    >>> int(sim.survivors[0]), bool(sim.survivors[-1] < 400)
    (1000, True)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "tenure": "number",
        "churn_probability": "probability",
    }

    _table: ClassVar[tuple[str, ...]] = ("customer", "tenure", "churned")

    customer: npt.NDArray[np.int64]
    tenure: FloatArray
    churned: npt.NDArray[np.bool_]
    churn_probability: FloatArray
    survivors: npt.NDArray[np.int64]
    model: str


def simulate_contracts(
    model: Any,  # noqa: ANN401  (ShiftedBetaGeometricFit or BetaDiscreteWeibullFit)
    *,
    n_customers: int,
    n_periods: int,
    seed: SeedLike,
) -> SimulatedContracts:
    r"""Simulate a cohort of subscribers from an sBG or BdW churn model.

    Parameters
    ----------
    model : ShiftedBetaGeometricFit or BetaDiscreteWeibullFit
        The true model.
    n_customers : int
        Cohort size, >= 1 (at most 10^8).
    n_periods : int
        Periods observed, >= 1 (at most 10^6).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    SimulatedContracts
        Tenures, churn flags and survival counts.

    Raises
    ------
    InputError
        For a model of the wrong type, bad counts or seeds, or more than
        10^8 customers or 10^6 periods.

    Notes
    -----
    :math:`\theta \sim \text{Beta}(\alpha, \beta)` and the survival
    :math:`S(t \mid \theta) = (1-\theta)^{t^c}` (c = 1 for the sBG), so the
    churn period is the smallest t with :math:`(1-\theta)^{t^c} < U`, i.e.
    :math:`\lceil (\ln U / \ln(1-\theta))^{1/c} \rceil` for a uniform U.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J., & Steenburgh, T.
    (2018). "How to project customer retention" revisited: The role of
    duration dependence. *Journal of Interactive Marketing*, 43, 1-16.

    Examples
    --------
    See :class:`SimulatedContracts`.
    """
    fn = "simulate_contracts"
    from crmkit.roi import BetaDiscreteWeibullFit, ShiftedBetaGeometricFit  # noqa: PLC0415

    if not isinstance(model, (ShiftedBetaGeometricFit, BetaDiscreteWeibullFit)):
        raise InputError.for_parameter(
            "model",
            "a ShiftedBetaGeometricFit or BetaDiscreteWeibullFit",
            type(model).__name__,
            function=fn,
        )
    fit = model
    n = integer(n_customers, name="n_customers", function=fn, minimum=1)
    periods = integer(n_periods, name="n_periods", function=fn, minimum=1, maximum=10**6)
    work_limit(n, limit=MAX_CUSTOMERS, name="n_customers", function=fn, what="customers")
    rng = as_generator(seed, function=fn)
    theta = np.clip(rng.beta(fit.alpha, fit.beta, n), 1e-300, 1.0 - 1e-16)
    u = rng.uniform(size=n)
    with np.errstate(divide="ignore"):
        life = np.ceil((np.log(u) / np.log1p(-theta)) ** (1.0 / fit.c))
    life = np.maximum(life, 1.0)
    churned = life <= periods
    tenure = np.where(churned, life, float(periods))
    lost = bincount(life[churned].astype(np.int64), minlength=periods + 1)[: periods + 1]
    survivors = n - np.cumsum(lost)
    return SimulatedContracts(
        customer=as_readonly(np.arange(n, dtype=np.int64)),
        tenure=as_readonly(tenure),
        churned=as_readonly(churned),
        churn_probability=as_readonly(theta),
        survivors=as_readonly(survivors.astype(np.int64)),
        model=type(fit).__name__.removesuffix("Fit"),
    )
