"""Seeded simulators of realistic CRM data, with the truth behind them kept, and real data.

Used by the tests, the docs and ``crmkit demo``; the same seed always gives
the same data. :func:`load_cdnow` loads a small real transaction log (the
CDNOW sample) shipped with crmkit.

Examples
--------
>>> from crmkit.datasets import simulate_transactions
>>> simulate_transactions(50, "2024-01-01", "2024-12-31", seed=1).n_rows > 50
True
"""

from crmkit.datasets._campaigns import SimulatedCampaigns, simulate_campaigns
from crmkit.datasets._cdnow import load_cdnow
from crmkit.datasets._costs import SimulatedCostDrivers, simulate_cost_drivers
from crmkit.datasets._histories import (
    SimulatedContracts,
    SimulatedHistories,
    simulate_contracts,
    simulate_donor_histories,
    simulate_purchase_histories,
)
from crmkit.datasets._lifecycle import SimulatedLifecycle, simulate_lifecycle
from crmkit.datasets._pipeline import SimulatedPipeline, simulate_pipeline
from crmkit.datasets._touchpoints import SimulatedTouchpoints, simulate_touchpoints
from crmkit.datasets._transactions import (
    PurchaseProcess,
    SimulatedCustomerBase,
    SpendProcess,
    simulate_customer_base,
    simulate_transactions,
)

__all__ = [
    "PurchaseProcess",
    "SimulatedCampaigns",
    "SimulatedContracts",
    "SimulatedCostDrivers",
    "SimulatedCustomerBase",
    "SimulatedHistories",
    "SimulatedLifecycle",
    "SimulatedPipeline",
    "SimulatedTouchpoints",
    "SpendProcess",
    "load_cdnow",
    "simulate_campaigns",
    "simulate_contracts",
    "simulate_cost_drivers",
    "simulate_customer_base",
    "simulate_donor_histories",
    "simulate_lifecycle",
    "simulate_pipeline",
    "simulate_purchase_histories",
    "simulate_touchpoints",
    "simulate_transactions",
]
