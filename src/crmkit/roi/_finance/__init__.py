"""The vectorised finance core: NPV, IRR, MIRR, XNPV, XIRR and payback on scenario arrays.

Private: the public names are re-exported by :mod:`crmkit.roi`.
"""
