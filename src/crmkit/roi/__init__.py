"""Customer profitability, lifetime value, campaign ROI and the CRM business case.

Customer input-output (a P&L line per customer with activity-based cost to
serve), the whale curve and the customers to fix, retention-based and
buy-till-you-die (BG/NBD + Gamma-Gamma) lifetime value, and lifetime value on
profit rather than revenue.
"""

from crmkit.roi._pnl import CostColumn, CustomerPnL, MarginRate, customer_pnl
from crmkit.roi._retention import (
    RetentionCLV,
    RetentionEconomics,
    retention_clv,
    retention_economics,
)
from crmkit.roi._views import (
    SegmentProfit,
    UnprofitableCustomers,
    WhaleCurve,
    profit_by_segment,
    unprofitable_customers,
    whale_curve,
)

__all__ = [
    "CostColumn",
    "CustomerPnL",
    "MarginRate",
    "RetentionCLV",
    "RetentionEconomics",
    "SegmentProfit",
    "UnprofitableCustomers",
    "WhaleCurve",
    "customer_pnl",
    "profit_by_segment",
    "retention_clv",
    "retention_economics",
    "unprofitable_customers",
    "whale_curve",
]
