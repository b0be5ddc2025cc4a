"""Customer profitability: the P&L per customer, its views, share of wallet, retention economics.

Private: the public names are re-exported by :mod:`crmkit.roi`.
"""
