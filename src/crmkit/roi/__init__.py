"""Customer profitability, lifetime value, campaign ROI and the CRM business case.

Customer input-output (a P&L line per customer with activity-based cost to
serve), the whale curve and the customers to fix, retention-based and
buy-till-you-die (BG/NBD + Gamma-Gamma) lifetime value, and lifetime value on
profit rather than revenue.
"""

from crmkit.roi._pnl import CostColumn, CustomerPnL, MarginRate, customer_pnl

__all__ = [
    "CostColumn",
    "CustomerPnL",
    "MarginRate",
    "customer_pnl",
]
