"""Simulated transaction logs from a buy-till-you-die process with known truth."""

from __future__ import annotations

from typing import Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import DATETIME_DTYPE, as_readonly, scalar_datetime
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


def _positive(_inst: object, attribute: attrs.Attribute[float], value: object) -> None:
    if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
        raise InputError.for_parameter(
            attribute.name,
            "a finite number > 0",
            value,
            function="simulate_transactions",
        )


@attrs.frozen(kw_only=True)
class PurchaseProcess:
    """BG/NBD purchase-and-dropout process, rates per week.

    While alive a customer buys as a Poisson process with rate
    ``lambda ~ Gamma(r, alpha)`` per week; after each repeat purchase they
    drop out with probability ``p ~ Beta(a, b)``. Defaults are the estimates
    for the CDNOW sample in Fader, Hardie & Lee (2005), Table 1.

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
    n_customers: object,
    start: object,
    end: object,
    *,
    seed: int | np.random.Generator,
    purchase: PurchaseProcess | None = None,
    spend: SpendProcess | None = None,
    acquisition_fraction: float = 0.5,
    refund_rate: float = 0.02,
    id_kind: Literal["int", "str"] = "int",
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
        Number of customers, >= 1.
    start, end : date-like
        Observation window ``[start, end)``.
    seed : int or numpy.random.Generator
        Source of randomness; the same seed gives the same data.
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

    Returns
    -------
    SimulatedCustomerBase
        Transactions plus each customer's true parameters.

    Raises
    ------
    InputError
        For a non-positive customer count, an empty window or out-of-range rates.

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
    fn = "simulate_transactions"
    if (
        isinstance(n_customers, bool)
        or not isinstance(n_customers, (int, np.integer))
        or n_customers < 1
    ):
        raise InputError.for_parameter("n_customers", "an int >= 1", n_customers, function=fn)
    if not 0 < acquisition_fraction <= 1:
        raise InputError.for_parameter(
            "acquisition_fraction",
            "a float in (0, 1]",
            acquisition_fraction,
            function=fn,
        )
    if not 0 <= refund_rate < 1:
        raise InputError.for_parameter("refund_rate", "a float in [0, 1)", refund_rate, function=fn)
    if id_kind not in ("int", "str"):
        raise InputError.for_parameter("id_kind", "'int' or 'str'", id_kind, function=fn)
    t0 = scalar_datetime(start, field="start", function=fn)
    t1 = scalar_datetime(end, field="end", function=fn)
    if t1 <= t0:
        raise InputError(
            f"The window of {fn} must end after it starts; got {t0} to {t1}.",
            field="end",
        )
    purchase = purchase or PurchaseProcess()
    spend = spend or SpendProcess()
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    window_days = float((t1 - t0) / np.timedelta64(1, "D"))

    # customers: acquisition, purchase rate, dropout, spend scale
    birth = rng.uniform(0.0, window_days * acquisition_fraction, size=n)
    rate_week = rng.gamma(purchase.r, 1.0 / purchase.alpha, size=n)
    dropout = rng.beta(purchase.a, purchase.b, size=n)
    nu = rng.gamma(spend.q, 1.0 / spend.gamma, size=n)

    # repeat purchases: Poisson arrivals in the remaining window, cut at dropout
    remaining = window_days - birth
    possible = rng.poisson(rate_week * remaining / _DAYS_PER_WEEK)
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
    amounts = rng.gamma(spend.p, 1.0 / nu[row_owner])

    # refunds: a negative copy of some purchases, 1-14 days later, inside the window
    refunded = rng.uniform(size=row_owner.size) < refund_rate
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
    product_code = np.minimum((draw[:, None] > cdf[row_owner]).sum(axis=1), len(PRODUCTS) - 1)
    base_product = product_code[: amounts.size - refund_rows.size]
    product_code = base_product[source]  # a refund returns the product bought
    channel_pref = rng.choice(len(CHANNELS), size=n, p=[0.6, 0.3, 0.1])
    stray = rng.uniform(size=row_owner.size) < 0.2
    channel_code = np.where(
        stray,
        rng.integers(0, len(CHANNELS), size=row_owner.size),
        channel_pref[row_owner],
    )

    ids = _customer_ids(n, rng, id_kind)
    micro = np.round(row_day * _US_PER_DAY).astype(np.int64)
    stamps = t0 + micro.astype("timedelta64[us]")
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
    first = t0 + np.round(birth * _US_PER_DAY).astype(np.int64).astype("timedelta64[us]")
    return SimulatedCustomerBase(
        transactions=transactions,
        customer=as_readonly(ids),
        first_purchase=as_readonly(first.astype(DATETIME_DTYPE)),
        purchase_rate=as_readonly(rate_week),
        dropout_probability=as_readonly(dropout),
        mean_spend=as_readonly(spend.p / nu),
        alive_at_end=as_readonly(alive_at_end),
        purchase=purchase,
        spend=spend,
    )


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
    seed: int | np.random.Generator,
    purchase: PurchaseProcess | None = None,
    spend: SpendProcess | None = None,
    acquisition_fraction: float = 0.5,
    refund_rate: float = 0.02,
    id_kind: Literal["int", "str"] = "int",
) -> Transactions:
    """Simulate a realistic transaction log (buy-till-you-die, Gamma spend).

    The same process as :func:`simulate_customer_base`, returning only the
    transactions: heterogeneous purchase rates and dropout produce churn and
    a strong 80/20 concentration of revenue.

    Parameters
    ----------
    n_customers : int
        Number of customers, >= 1.
    start, end : date-like
        Observation window ``[start, end)``.
    seed : int or numpy.random.Generator
        Source of randomness; the same seed gives the same data.
    purchase, spend, acquisition_fraction, refund_rate, id_kind
        See :func:`simulate_customer_base`.

    Returns
    -------
    Transactions
        Sorted by time, with ``product`` and ``channel`` extra columns.

    Examples
    --------
    >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-07-01", seed=42)
    >>> top = np.sort(
    ...     np.bincount(np.unique(tx.customer, return_inverse=True)[1], weights=tx.amount)
    ... )[::-1]
    >>> bool(top[:200].sum() / top.sum() > 0.5)  # the top 20% bring most revenue
    True
    """
    return simulate_customer_base(
        n_customers,
        start,
        end,
        seed=seed,
        purchase=purchase,
        spend=spend,
        acquisition_fraction=acquisition_fraction,
        refund_rate=refund_rate,
        id_kind=id_kind,
    ).transactions
