"""Customer profitability, lifetime value, campaign ROI and the CRM business case.

(Filled by the roi issues.)
"""

__all__: list[str] = []
