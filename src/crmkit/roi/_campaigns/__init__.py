"""Campaign results and lift: spend, funnel, attributed revenue, ROI, payback, lift vs control.

Private: the public names are re-exported by :mod:`crmkit.roi`.
"""
