"""Hypothesis strategies for the roi tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

money = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
positive_money = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=0, max_value=50)
retention = st.floats(min_value=0.0, max_value=0.99)
discount = st.floats(min_value=-0.5, max_value=1.0)


@st.composite
def pnl_inputs(draw):
    """Transactions, activity counts and unit costs for a handful of customers."""
    n_customers = draw(st.integers(min_value=1, max_value=8))
    n_rows = draw(st.integers(min_value=1, max_value=25))
    owners = draw(st.lists(st.integers(0, n_customers - 1), min_size=n_rows, max_size=n_rows))
    amounts = draw(st.lists(money, min_size=n_rows, max_size=n_rows))
    names = draw(
        st.lists(
            st.sampled_from(["orders", "visits", "tickets", "returns", "deliveries"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    act_customers = draw(
        st.lists(st.integers(0, n_customers + 2), min_size=1, max_size=n_customers + 3)
    )
    activities = {"customer": np.array(act_customers) + 100}
    for name in names:
        activities[name] = np.array(
            draw(st.lists(counts, min_size=len(act_customers), max_size=len(act_customers))),
            dtype=float,
        )
    unit_costs = {name: draw(st.floats(0, 500)) for name in names}
    rate = draw(st.floats(-0.5, 1.0))
    tx = {
        "customer": np.array(owners) + 100,
        "timestamp": np.full(n_rows, np.datetime64("2024-01-01", "us")),
        "amount": np.array(amounts),
    }
    return tx, activities, unit_costs, rate
