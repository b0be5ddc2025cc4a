"""Chart slots: each drawn by its :mod:`crmkit.plot` function as SVG, or said why not.

matplotlib is imported only here, only when a chart is drawn, and never through
pyplot: each chart gets its own :class:`matplotlib.figure.Figure`, so no
backend, window or global state is involved.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
from typing import Any

from crmkit.report._model import Chart

__all__ = ["ChartMaker"]

_WIDTH, _HEIGHT = 7.0, 4.2


class ChartMaker:
    """Draws chart slots when asked to and when :mod:`crmkit.plot` can draw them."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._plot: Any = None
        self._why_not: str | None = None
        if not enabled:
            self._why_not = "charts were not asked for"
        elif importlib.util.find_spec("matplotlib") is None:
            self._why_not = 'needs matplotlib: pip install "crmkit[plot]"'
        elif importlib.util.find_spec("crmkit.plot") is None:
            self._why_not = "crmkit.plot is not in this crmkit version"
        else:
            self._plot = importlib.import_module("crmkit.plot")

    def chart(self, name: str, title: str, result: object, **options: object) -> Chart:
        """Draw ``crmkit.plot.<name>(result, **options)``, or return the slot with the reason."""
        if self._plot is None:
            return Chart(name=name, title=title, svg=None, missing=self._why_not)
        draw = getattr(self._plot, name, None)
        if draw is None:
            return Chart(name=name, title=title, svg=None, missing=f"crmkit.plot has no {name} yet")
        from matplotlib.figure import Figure  # noqa: PLC0415

        figure = Figure(figsize=(_WIDTH, _HEIGHT), layout="constrained")
        axes = figure.add_subplot()
        draw(result, ax=axes, **options)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
        return Chart(name=name, title=title, svg=buffer.getvalue(), missing=None)
