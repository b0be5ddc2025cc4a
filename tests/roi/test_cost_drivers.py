import numpy as np
import pytest

from crmkit.datasets import simulate_cost_drivers, simulate_customer_base
from crmkit.errors import InputError
from crmkit.roi import MarginRate, customer_pnl, unprofitable_customers, whale_curve


@pytest.fixture(scope="module")
def base():
    return simulate_customer_base(3_000, "2023-01-01", "2024-07-01", seed=12)


def test_counts_follow_the_transactions(base):
    drivers = simulate_cost_drivers(base, seed=3)
    tx = base.transactions
    ids = drivers.customer
    assert ids.tolist() == sorted(base.customer.tolist())
    where = np.searchsorted(ids, tx.customer)
    orders = np.bincount(where[tx.amount > 0], minlength=ids.size)
    returns = np.bincount(where[tx.amount < 0], minlength=ids.size)
    assert drivers.counts["orders"].tolist() == orders.tolist()
    assert drivers.counts["returns"].tolist() == returns.tolist()
    store = np.bincount(
        where[(tx.amount > 0) & (tx.extra["channel"] == "store")], minlength=ids.size
    )
    assert (drivers.counts["deliveries"] + store).tolist() == orders.tolist()
    assert all(v.min() >= 0 for v in drivers.counts.values())
    assert set(drivers.unit_costs) == set(drivers.counts)
    assert drivers.activities["customer"] is drivers.customer
    assert 0.04 < drivers.high_touch.mean() < 0.12


def test_same_seed_same_counts(base):
    a = simulate_cost_drivers(base, seed=5)
    b = simulate_cost_drivers(base.transactions, seed=np.random.default_rng(5))
    for name in a.counts:
        np.testing.assert_array_equal(a.counts[name], b.counts[name])
    c = simulate_cost_drivers(base, seed=6)
    assert not np.array_equal(a.counts["service_tickets"], c.counts["service_tickets"])


def test_profitability_analysis_finds_the_high_touch_customers(base):
    drivers = simulate_cost_drivers(base, seed=3)
    pnl = customer_pnl(
        base.transactions,
        margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
    )
    worst = unprofitable_customers(pnl)
    assert worst.customer.size > 0
    high = set(drivers.customer[drivers.high_touch].tolist())
    share_high_among_worst = np.mean([c in high for c in worst.customer[:100].tolist()])
    assert share_high_among_worst > 3 * drivers.high_touch.mean()
    curve = whale_curve(pnl)
    assert curve.peak_share_of_total > 1.2  # a whale curve, not a straight line


def test_bad_input(base):
    with pytest.raises(InputError, match="high_touch_share"):
        simulate_cost_drivers(base, seed=1, high_touch_share=1.0)
    with pytest.raises(InputError, match="'data'"):
        simulate_cost_drivers([1, 2], seed=1)  # type: ignore[arg-type]
