"""Simulated transaction logs from a buy-till-you-die process with known truth."""

from __future__ import annotations

import math
from typing import Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import DATETIME_DTYPE, as_readonly, check_date_format, scalar_datetime
from crmkit._params import (
    SeedLike,
    as_generator,
    choice,
    instance,
    integer,
    number,
    probability,
    work_limit,
)
from crmkit._transactions import Transactions
from crmkit.errors import InputError

__all__ = [
    "PurchaseProcess",
    "SimulatedCustomerBase",
    "SpendProcess",
    "simulate_customer_base",
    "simulate_transactions",
]

_US_PER_DAY: Final = 86_400_000_000
_DAYS_PER_WEEK: Final = 7.0
PRODUCTS: Final = (
    "books",
    "music",
    "video",
    "electronics",
    "home",
    "garden",
    "toys",
    "sports",
)
CHANNELS: Final = ("web", "store", "phone")


MAX_CUSTOMERS: Final = 10_000_000
"""Most customers one simulation draws."""

MAX_ROWS: Final = 100_000_000
"""Most purchase rows one simulation is expected to draw (customers x mean purchases)."""

_ABSURD_MEAN: Final = 10_000  # purchases per customer: beyond it the rates, not the count, are off
_CHUNK: Final = 1 << 18


def _positive(inst: object, attribute: attrs.Attribute[float], value: object) -> None:
    number(value, name=attribute.name, function=type(inst).__name__, low=0.0, low_open=True)


@attrs.frozen(kw_only=True)
class PurchaseProcess:
    """BG/NBD purchase-and-dropout process, rates per week.

    While alive a customer buys as a Poisson process with rate
    ``lambda ~ Gamma(r, alpha)`` per week; after each repeat purchase they
    drop out with probability ``p ~ Beta(a, b)``. Defaults are the estimates
    for the CDNOW sample in Fader, Hardie & Lee (2005), Table 1.

    Raises
    ------
    InputError
        If a parameter is not a finite number > 0.

    Examples
    --------
    >>> PurchaseProcess().r
    0.243
    """

    r: float = attrs.field(default=0.243, validator=_positive)
    alpha: float = attrs.field(default=4.414, validator=_positive)
    a: float = attrs.field(default=0.793, validator=_positive)
    b: float = attrs.field(default=2.426, validator=_positive)


@attrs.frozen(kw_only=True)
class SpendProcess:
    """Gamma-Gamma spend process.

    Each purchase is ``Gamma(p, nu)``-distributed with a customer-level
    ``nu ~ Gamma(q, gamma)``; the mean spend of a customer is ``p / nu``.
    Defaults are the CDNOW estimates of Fader, Hardie & Lee (2005b).

    Raises
    ------
    InputError
        If a parameter is not a finite number > 0.

    Examples
    --------
    >>> round(SpendProcess().p * SpendProcess().gamma / (SpendProcess().q - 1), 2)
    35.22
    """

    p: float = attrs.field(default=6.25, validator=_positive)
    q: float = attrs.field(default=3.74, validator=_positive)
    gamma: float = attrs.field(default=15.44, validator=_positive)


@attrs.frozen(kw_only=True, repr=False)
class SimulatedCustomerBase:
    """A simulated customer base: the transactions and the truth behind them.

    Attributes
    ----------
    transactions : Transactions
        The log, sorted by time, with ``product`` and ``channel`` columns.
    customer : ndarray, shape (n_customers,)
        Customer ids, in the order of the per-customer arrays below.
    first_purchase : ndarray of datetime64[us], shape (n_customers,)
        Acquisition time (first purchase).
    purchase_rate : ndarray of float64, shape (n_customers,)
        True Poisson purchase rate per week while alive.
    dropout_probability : ndarray of float64, shape (n_customers,)
        True probability of dropping out after each repeat purchase.
    mean_spend : ndarray of float64, shape (n_customers,)
        True expected spend per purchase.
    alive_at_end : ndarray of bool, shape (n_customers,)
        Whether the customer had not dropped out by the end of the window.
    purchase : PurchaseProcess
    spend : SpendProcess
    """

    transactions: Transactions
    customer: npt.NDArray[np.generic]
    first_purchase: npt.NDArray[np.datetime64]
    purchase_rate: npt.NDArray[np.float64]
    dropout_probability: npt.NDArray[np.float64]
    mean_spend: npt.NDArray[np.float64]
    alive_at_end: npt.NDArray[np.bool_]
    purchase: PurchaseProcess
    spend: SpendProcess

    def __repr__(self) -> str:
        return (
            f"SimulatedCustomerBase(customers={self.customer.size}, "
            f"transactions={self.transactions.n_rows})"
        )


def simulate_customer_base(
    n_customers: int,
    start: object,
    end: object,
    *,
    seed: SeedLike,
    purchase: PurchaseProcess | None = None,
    spend: SpendProcess | None = None,
    acquisition_fraction: float = 0.5,
    refund_rate: float = 0.02,
    id_kind: Literal["int", "str"] = "int",
    date_format: str | None = None,
) -> SimulatedCustomerBase:
    """Simulate customers who buy till they die, with the truth kept.

    Each customer's first purchase falls uniformly in the first
    ``acquisition_fraction`` of ``[start, end)``. Repeat purchases follow the
    BG/NBD process of *purchase*, spend per purchase the Gamma-Gamma process
    of *spend*; each purchase is refunded (a negative row a few days later)
    with probability *refund_rate*. Every customer also has a preferred
    channel and product mix, so product and channel analyses have structure.

    Parameters
    ----------
    n_customers : int
        Number of customers, in [1, 10_000_000].
    start, end : date-like
        Observation window ``[start, end)``, inside the years 1900-2200.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness (an int >= 0; no default): the same int or
        ``SeedSequence`` gives the same data; a ``Generator`` is drawn from.
    purchase : PurchaseProcess, optional
        Purchase and dropout heterogeneity; default CDNOW estimates.
    spend : SpendProcess, optional
        Spend heterogeneity; default CDNOW estimates.
    acquisition_fraction : float
        Share of the window over which customers are acquired, in (0, 1].
    refund_rate : float
        Probability that a purchase is later refunded, in [0, 1).
    id_kind : {"int", "str"}
        Non-contiguous int ids, or string ids such as ``"C0001042"``.
    date_format : str, optional
        A strftime pattern for *start* and *end* when they are text that is
        not ISO-8601 (e.g. ``"%Y%m%d"``).

    Returns
    -------
    SimulatedCustomerBase
        Transactions plus each customer's true parameters.

    Raises
    ------
    InputError
        For a customer count outside [1, 10_000_000], an empty window, a
        wrong seed, out-of-range rates, or processes that would draw more
        than 100,000,000 purchase rows (``n_customers`` times the mean
        purchases per customer in the window; ``purchase`` is named when that
        mean alone passes 10,000) or spends beyond float64's range (naming
        ``spend``).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    Marketing Science, 24(2), 275-284.

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. Journal of Marketing
    Research, 42(4), 415-430.

    Examples
    --------
    >>> base = simulate_customer_base(200, "2024-01-01", "2025-01-01", seed=7)
    >>> base.customer.size, bool(base.transactions.n_rows > 200)
    (200, True)
    """
    fn = "simulate_customer_base"
    cfg = _settings(
        fn,
        n_customers,
        start,
        end,
        seed=seed,
        purchase=purchase,
        spend=spend,
        acquisition_fraction=acquisition_fraction,
        refund_rate=refund_rate,
        id_kind=id_kind,
        date_format=date_format,
    )
    return _simulate(fn, cfg)


@attrs.frozen(kw_only=True)
class _Settings:
    """The checked parameters of one simulation."""

    n: int
    t0: np.datetime64
    t1: np.datetime64
    rng: np.random.Generator
    purchase: PurchaseProcess
    spend: SpendProcess
    acquisition_fraction: float
    refund_rate: float
    id_kind: Literal["int", "str"]


def _settings(
    fn: str,
    n_customers: object,
    start: object,
    end: object,
    *,
    seed: object,
    purchase: object,
    spend: object,
    acquisition_fraction: object,
    refund_rate: object,
    id_kind: object,
    date_format: object,
) -> _Settings:
    n = integer(n_customers, name="n_customers", function=fn, minimum=1)
    work_limit(n, limit=MAX_CUSTOMERS, name="n_customers", function=fn, what="customers")
    fmt = check_date_format(date_format, function=fn)
    t0 = scalar_datetime(start, field="start", function=fn, date_format=fmt)
    t1 = scalar_datetime(end, field="end", function=fn, date_format=fmt)
    if t1 <= t0:
        raise InputError.for_parameter("end", f"after start ({t0})", str(t1), function=fn)
    kind: Literal["int", "str"] = (
        "str" if choice(id_kind, ("int", "str"), name="id_kind", function=fn) == "str" else "int"
    )
    return _Settings(
        n=n,
        t0=t0,
        t1=t1,
        rng=as_generator(seed, function=fn),
        purchase=PurchaseProcess()
        if purchase is None
        else instance(
            purchase, PurchaseProcess, name="purchase", function=fn, what="a PurchaseProcess"
        ),
        spend=SpendProcess()
        if spend is None
        else instance(spend, SpendProcess, name="spend", function=fn, what="a SpendProcess"),
        acquisition_fraction=probability(
            acquisition_fraction, name="acquisition_fraction", function=fn, low_open=True
        ),
        refund_rate=probability(refund_rate, name="refund_rate", function=fn, high_open=True),
        id_kind=kind,
    )


def _simulate(fn: str, cfg: _Settings) -> SimulatedCustomerBase:
    rng, n, purchase, spend = cfg.rng, cfg.n, cfg.purchase, cfg.spend
    window_days = float((cfg.t1 - cfg.t0) / np.timedelta64(1, "D"))

    # customers: acquisition, purchase rate, dropout, spend scale
    birth = rng.uniform(0.0, window_days * cfg.acquisition_fraction, size=n)
    rate_week = rng.gamma(purchase.r, 1.0 / purchase.alpha, size=n)
    dropout = rng.beta(purchase.a, purchase.b, size=n)
    nu = rng.gamma(spend.q, 1.0 / spend.gamma, size=n)

    # repeat purchases: Poisson arrivals in the remaining window, cut at dropout
    remaining = window_days - birth
    with np.errstate(over="ignore", invalid="ignore"):  # an absurd rate is refused just below
        expected = rate_week * remaining / _DAYS_PER_WEEK
        total = float(np.add.reduce(expected))
    _check_rows(fn, n, total)
    possible = rng.poisson(expected)
    # number of repeat purchases before dropping out (support 1, 2, ...)
    lifetime = rng.geometric(np.clip(dropout, 1e-12, 1.0))
    repeats = np.minimum(possible, lifetime)
    alive_at_end = lifetime > possible

    owner = np.repeat(np.arange(n, dtype=np.int64), possible)
    offsets = rng.uniform(0.0, 1.0, size=owner.size) * remaining[owner]
    order = np.lexsort((offsets, owner))
    owner, offsets = owner[order], offsets[order]
    group_start = np.cumsum(possible) - possible
    rank = np.arange(owner.size, dtype=np.int64) - group_start[owner]
    keep = rank < repeats[owner]
    owner, offsets = owner[keep], offsets[keep]

    row_owner = np.concatenate([np.arange(n, dtype=np.int64), owner])
    row_day = np.concatenate([birth, birth[owner] + offsets])
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # checked just below
        mean_spend = spend.p / nu
        amounts = rng.gamma(spend.p, 1.0 / nu[row_owner])
    _check_spend(fn, mean_spend, amounts)

    # refunds: a negative copy of some purchases, 1-14 days later, inside the window
    refunded = rng.uniform(size=row_owner.size) < cfg.refund_rate
    refund_day = row_day[refunded] + rng.uniform(1.0, 14.0, size=int(refunded.sum()))
    inside = refund_day < window_days
    refund_rows = np.flatnonzero(refunded)[inside]
    row_owner = np.concatenate([row_owner, row_owner[refund_rows]])
    row_day = np.concatenate([row_day, refund_day[inside]])
    amounts = np.concatenate([amounts, -amounts[refund_rows]])
    source = np.concatenate([np.arange(amounts.size - refund_rows.size), refund_rows])

    # product mix and channel preference per customer
    prefs = rng.dirichlet(np.full(len(PRODUCTS), 0.3), size=n)
    cdf = np.cumsum(prefs, axis=1)
    draw = rng.uniform(size=source.size)
    product_code = _categories(draw, cdf, row_owner)
    base_product = product_code[: amounts.size - refund_rows.size]
    product_code = base_product[source]  # a refund returns the product bought
    channel_pref = rng.choice(len(CHANNELS), size=n, p=[0.6, 0.3, 0.1])
    stray = rng.uniform(size=row_owner.size) < 0.2
    channel_code = np.where(
        stray,
        rng.integers(0, len(CHANNELS), size=row_owner.size),
        channel_pref[row_owner],
    )

    ids = _customer_ids(n, rng, cfg.id_kind)
    micro = np.round(row_day * _US_PER_DAY).astype(np.int64)
    stamps = cfg.t0 + micro.astype("timedelta64[us]")
    by_time = np.argsort(stamps, kind="stable")
    transactions = Transactions.from_arrays(
        customer=ids[row_owner[by_time]],
        timestamp=stamps[by_time].astype(DATETIME_DTYPE),
        amount=amounts[by_time],
        extra={
            "product": np.asarray(PRODUCTS)[product_code[by_time]],
            "channel": np.asarray(CHANNELS)[channel_code[by_time]],
        },
    )
    first = cfg.t0 + np.round(birth * _US_PER_DAY).astype(np.int64).astype("timedelta64[us]")
    return SimulatedCustomerBase(
        transactions=transactions,
        customer=as_readonly(ids),
        first_purchase=as_readonly(first.astype(DATETIME_DTYPE)),
        purchase_rate=as_readonly(rate_week),
        dropout_probability=as_readonly(dropout),
        mean_spend=as_readonly(mean_spend),
        alive_at_end=as_readonly(alive_at_end),
        purchase=purchase,
        spend=spend,
    )


def _check_rows(fn: str, n: int, expected: float) -> None:
    """Refuse a simulation expected to draw more than ``MAX_ROWS`` purchase rows."""
    if math.isfinite(expected) and expected + n <= MAX_ROWS:
        return
    mean = expected / n
    name = "purchase" if not math.isfinite(mean) or mean > _ABSURD_MEAN else "n_customers"
    if not math.isfinite(expected):
        shown = "more than float64 can count"
    elif expected < 1e15:
        shown = f"{expected + n:,.0f}"
    else:
        shown = f"about {expected:.3g}"
    raise InputError(
        f"The {name!r} parameter of {fn} asks for {shown} expected purchase rows "
        f"({n:,} customers, a mean of {mean:,.4g} purchases each in the window); "
        f"the limit is {MAX_ROWS:,}.",
        field=name,
        hint="Simulate fewer customers, a shorter window or lower purchase rates "
        "(PurchaseProcess: the mean rate per week is r / alpha).",
    )


def _check_spend(
    fn: str, mean_spend: npt.NDArray[np.float64], amounts: npt.NDArray[np.float64]
) -> None:
    """Refuse a spend process whose draws pass float64's range (a scale nu drawn as 0)."""
    with np.errstate(over="ignore", invalid="ignore"):
        fine = math.isfinite(float(np.add.reduce(np.abs(amounts)))) and bool(
            np.isfinite(mean_spend).all()
        )
    if not fine:
        raise InputError(
            f"The 'spend' parameter of {fn} gives spends beyond float64's range (about 1.8e308).",
            field="spend",
            hint="Use a SpendProcess whose mean spend p * gamma / (q - 1) is a plausible amount.",
        )


def _categories(
    draw: npt.NDArray[np.float64], cdf: npt.NDArray[np.float64], owner: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Category of each row: how many of its owner's cumulative shares the draw passes.

    Computed in chunks of rows, so no rows x categories array is held at once.
    """
    out = np.empty(draw.shape[0], dtype=np.int64)
    last = cdf.shape[1] - 1
    for begin in range(0, draw.shape[0], _CHUNK):
        rows = slice(begin, begin + _CHUNK)
        passed = (draw[rows, None] > cdf[owner[rows]]).sum(axis=1)
        out[rows] = np.minimum(passed, last)
    return out


def _customer_ids(
    n: int, rng: np.random.Generator, id_kind: Literal["int", "str"]
) -> npt.NDArray[np.generic]:
    # increasing, non-contiguous ids, shuffled so id order says nothing about age
    ids = 1000 + np.cumsum(rng.integers(1, 8, size=n))
    rng.shuffle(ids)
    if id_kind == "str":
        width = max(7, len(str(int(ids.max()))))
        return np.strings.add("C", np.strings.zfill(ids.astype(str), width))
    return ids.astype(np.int64)


def simulate_transactions(
    n_customers: int,
    start: object,
    end: object,
    *,
    seed: SeedLike,
    purchase: PurchaseProcess | None = None,
    spend: SpendProcess | None = None,
    acquisition_fraction: float = 0.5,
    refund_rate: float = 0.02,
    id_kind: Literal["int", "str"] = "int",
    date_format: str | None = None,
) -> Transactions:
    """Simulate a realistic transaction log (buy-till-you-die, Gamma spend).

    The same process as :func:`simulate_customer_base`, returning only the
    transactions: heterogeneous purchase rates and dropout produce churn and
    a strong 80/20 concentration of revenue.

    Parameters
    ----------
    n_customers : int
        Number of customers, in [1, 10_000_000].
    start, end : date-like
        Observation window ``[start, end)``, inside the years 1900-2200.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness (an int >= 0; no default): the same int or
        ``SeedSequence`` gives the same data; a ``Generator`` is drawn from.
    purchase, spend, acquisition_fraction, refund_rate, id_kind, date_format
        See :func:`simulate_customer_base`.

    Returns
    -------
    Transactions
        Sorted by time, with ``product`` and ``channel`` extra columns.

    Raises
    ------
    InputError
        As :func:`simulate_customer_base` (naming ``simulate_transactions``).

    Examples
    --------
    >>> from crmkit.segmentation import rfm_summary
    >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-07-01", seed=42)
    >>> top = np.sort(rfm_summary(tx, as_of="2024-07-01", unit="day").monetary)[::-1]
    >>> bool(top[:200].sum() / top.sum() > 0.5)  # the top 20% bring most revenue
    True
    """
    fn = "simulate_transactions"
    cfg = _settings(
        fn,
        n_customers,
        start,
        end,
        seed=seed,
        purchase=purchase,
        spend=spend,
        acquisition_fraction=acquisition_fraction,
        refund_rate=refund_rate,
        id_kind=id_kind,
        date_format=date_format,
    )
    return _simulate(fn, cfg).transactions
