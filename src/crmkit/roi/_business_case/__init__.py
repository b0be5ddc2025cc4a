"""The CRM investment business case: TCO, benefit streams, returns and their uncertainty.

Private: the public names are re-exported by :mod:`crmkit.roi`.
"""
