"""Weighted, calibrated pipeline forecasts with their spread, backtests and scorecards.

(Filled by the funnel issue.)
"""

__all__: list[str] = []
