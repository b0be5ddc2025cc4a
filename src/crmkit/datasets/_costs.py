"""Simulated cost drivers (activity counts) per customer, for profitability analysis."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly
from crmkit._params import SeedLike, as_generator, probability
from crmkit._reduce import bincount
from crmkit._results import frozen_mapping
from crmkit._transactions import Transactions, customer_groups
from crmkit.datasets._transactions import SimulatedCustomerBase
from crmkit.errors import InputError

__all__ = ["SimulatedCostDrivers", "simulate_cost_drivers"]

UNIT_COSTS: Final = types.MappingProxyType(
    {
        "orders": 1.0,
        "deliveries": 2.0,
        "returns": 5.0,
        "service_tickets": 6.0,
        "sales_visits": 40.0,
        "marketing_touches": 0.15,
    }
)
"""Default cost of one unit of each activity (money)."""

MARGIN_RATES: Final = types.MappingProxyType(
    {
        "books": 0.28,
        "music": 0.35,
        "video": 0.32,
        "electronics": 0.12,
        "home": 0.30,
        "garden": 0.33,
        "toys": 0.38,
        "sports": 0.25,
    }
)
"""Default gross margin rate per product of the simulated transactions."""

_US_PER_DAY: Final = 86_400_000_000
_TOUCH_EVERY_DAYS: Final = 30.0


@attrs.frozen(kw_only=True, repr=False)
class SimulatedCostDrivers:
    """Per-customer activity counts behind cost to serve, with the truth kept.

    Attributes
    ----------
    customer : ndarray, shape (n,)
        Customer ids, ascending.
    counts : mapping of str to ndarray of int64
        Activity name -> count per customer: ``orders``, ``deliveries``,
        ``returns``, ``service_tickets``, ``sales_visits``, ``marketing_touches``.
    unit_costs : mapping of str to float
        A plausible cost per unit of each activity.
    margin_rates : mapping of str to float
        A plausible gross margin rate per product of the simulated transactions.
    high_touch : ndarray of bool, shape (n,)
        True for the customers simulated as demanding (many tickets and
        visits whatever they buy): the ones a profitability analysis should find.

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> base = simulate_customer_base(50, "2024-01-01", "2024-12-31", seed=2)
    >>> simulate_cost_drivers(base, seed=2).unit_costs["sales_visits"]
    40.0
    """

    customer: npt.NDArray[Any]
    counts: Mapping[str, npt.NDArray[np.int64]] = attrs.field(converter=frozen_mapping)
    unit_costs: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    margin_rates: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    high_touch: npt.NDArray[np.bool_]

    def __repr__(self) -> str:
        return (
            f"SimulatedCostDrivers(customers={self.customer.size}, activities={list(self.counts)})"
        )

    @property
    def activities(self) -> dict[str, npt.NDArray[Any]]:
        """The counts as a table: ``customer`` plus one column per activity."""
        return {"customer": self.customer, **self.counts}


def simulate_cost_drivers(
    data: SimulatedCustomerBase | Transactions,
    *,
    seed: SeedLike,
    high_touch_share: float = 0.08,
) -> SimulatedCostDrivers:
    """Simulate the activities each customer of a transaction log consumes.

    Orders, deliveries and returns follow the transactions (a delivery per
    web or phone order, a return per refund row); service tickets are a
    customer-specific Poisson rate per order; sales visits go to the biggest
    accounts and to *high-touch* customers; marketing touches arrive every 30
    days of tenure. High-touch customers also raise four times as many
    tickets, so some modest buyers cost more to serve than they earn.

    Parameters
    ----------
    data : SimulatedCustomerBase or Transactions
        The customers and their transactions, at least one row (a text
        ``channel`` column is used when present: store orders need no delivery).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness (an int >= 0; no default): the same int or
        ``SeedSequence`` gives the same counts; a ``Generator`` is drawn from.
    high_touch_share : float
        Share of customers simulated as demanding, in [0, 1).

    Returns
    -------
    SimulatedCostDrivers
        Counts per customer, a unit-cost table, margin rates per product and
        the high-touch truth.

    Raises
    ------
    InputError
        For a share outside [0, 1), a wrong seed, or data of another type or
        without rows.

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> base = simulate_customer_base(500, "2024-01-01", "2025-01-01", seed=1)
    >>> drivers = simulate_cost_drivers(base, seed=1)
    >>> sorted(drivers.counts)[:3], drivers.customer.size
    (['deliveries', 'marketing_touches', 'orders'], 500)
    """
    fn = "simulate_cost_drivers"
    if not isinstance(data, (SimulatedCustomerBase, Transactions)):
        raise InputError.for_parameter(
            "data",
            "a SimulatedCustomerBase or Transactions",
            data if data is None else f"a {type(data).__name__}",
            function=fn,
            hint="Read your own rows with crmkit.as_transactions(...) first.",
        )
    tx = data.transactions if isinstance(data, SimulatedCustomerBase) else data
    share = probability(high_touch_share, name="high_touch_share", function=fn, high_open=True)
    rng = as_generator(seed, function=fn)
    if len(tx) == 0:
        raise InputError(
            f"{fn} needs at least one transaction; got an empty Transactions value.",
            field="data",
            hint="Check the filter that produced the data.",
        )
    groups = customer_groups(tx)
    k = groups.n_groups
    codes = groups.codes
    positive = tx.amount > 0
    orders = bincount(codes[positive], minlength=k)
    returns = bincount(codes[tx.amount < 0], minlength=k)
    channel = tx.extra.get("channel")
    if channel is not None and channel.dtype.kind == "U":
        shipped = positive & (channel != "store")
        deliveries = bincount(codes[shipped], minlength=k)
    else:
        deliveries = orders.copy()
    revenue = bincount(codes, weights=tx.amount, minlength=k)
    high_touch = rng.uniform(size=k) < share
    ticket_rate = rng.gamma(2.0, 0.08, size=k) * np.where(high_touch, 4.0, 1.0)
    tickets = rng.poisson(ticket_rate * np.maximum(orders, 1))
    big = revenue >= np.quantile(revenue, 0.95)
    visits = rng.poisson(np.where(big, 1.0, 0.0) + np.where(high_touch, 2.0, 0.0))
    micro = tx.timestamp.view(np.int64)
    first = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first, codes, micro)
    tenure_days = (micro.max() - first) / _US_PER_DAY
    touches = rng.poisson(tenure_days / _TOUCH_EVERY_DAYS)
    counts = {
        "orders": orders,
        "deliveries": deliveries,
        "returns": returns,
        "service_tickets": tickets,
        "sales_visits": visits,
        "marketing_touches": touches,
    }
    return SimulatedCostDrivers(
        customer=as_readonly(groups.uniques),
        counts={name: as_readonly(v.astype(np.int64)) for name, v in counts.items()},
        unit_costs=UNIT_COSTS,
        margin_rates=MARGIN_RATES,
        high_touch=as_readonly(high_touch),
    )
