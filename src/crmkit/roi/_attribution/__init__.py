"""Attribution: touchpoint paths, rule-based, milestone and data-driven models, CLV-weighted credit.

Private: the public names are re-exported by :mod:`crmkit.roi`.
"""
