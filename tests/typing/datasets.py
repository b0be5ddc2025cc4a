"""Type-checked, never run: pins the public signatures of crmkit.datasets.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from typing import assert_type

import numpy as np

from crmkit import Transactions
from crmkit.datasets import (
    PurchaseProcess,
    SimulatedCostDrivers,
    SimulatedCustomerBase,
    SimulatedPipeline,
    SpendProcess,
    simulate_cost_drivers,
    simulate_customer_base,
    simulate_pipeline,
    simulate_transactions,
)


def seeds_and_layouts() -> None:
    tx = simulate_transactions(
        10,
        "20240101",
        "20250101",
        seed=np.random.SeedSequence(1),
        purchase=PurchaseProcess(r=0.5, alpha=2.0, a=0.8, b=2.4),
        spend=SpendProcess(p=6.0, q=3.7, gamma=15.0),
        acquisition_fraction=1.0,
        refund_rate=0.0,
        id_kind="int",
        date_format="%Y%m%d",
    )
    assert_type(tx, Transactions)
    base = simulate_customer_base(10, "2024-01-01", "2025-01-01", seed=np.random.default_rng(3))
    assert_type(base, SimulatedCustomerBase)
    drivers = simulate_cost_drivers(base, seed=np.random.SeedSequence(4), high_touch_share=0.0)
    assert_type(drivers, SimulatedCostDrivers)
    sim = simulate_pipeline(
        10,
        "01/01/2024",
        "01/06/2024",
        seed=np.int64(5),
        advance=[0.5, 0.5, 0.5, 0.5, 0.5],
        mean_days_in_stage=(10.0, 10.0, 10.0, 10.0, 10.0),
        n_reps=3,
        date_format="%d/%m/%Y",
    )
    assert_type(sim, SimulatedPipeline)
