"""Buy-till-you-die models: BG/NBD, Pareto/NBD, Gamma-Gamma, their fitting, holdouts and CLV.

Private: the public names are re-exported by :mod:`crmkit.roi`.
"""
