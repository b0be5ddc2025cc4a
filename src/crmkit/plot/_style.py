"""The house style of every crmkit chart, applied per call (never to global ``rcParams``).

Colours are colour-blind safe: Okabe & Ito's eight for up to eight
categories, Paul Tol's muted scheme beyond, ``viridis`` for sequential and
``RdBu`` for diverging scales. Numbers on axes carry thousands separators;
shares are percentages.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from crmkit.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

__all__ = [
    "OKABE_ITO",
    "TOL_MUTED",
    "annotate_bars",
    "axis_format",
    "check_result",
    "colors",
    "compact",
    "new_axes",
    "style",
    "title",
]

OKABE_ITO: Final = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
"""Okabe & Ito (2008): eight colours told apart under every common colour-vision deficiency."""

TOL_MUTED: Final = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#DDDDDD",
    "#000000",
    "#6699CC",
)
"""Paul Tol's muted qualitative scheme (plus black and light blue), for nine or more categories."""

SEQUENTIAL: Final = "viridis"
DIVERGING: Final = "RdBu"
INK: Final = "#333333"
MUTED: Final = "#888888"

_RC: Final[dict[str, Any]] = {
    "font.size": 10.0,
    "axes.titlesize": 11.5,
    "axes.titleweight": "bold",
    "axes.titlepad": 10.0,
    "axes.labelsize": 10.0,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#BBBBBB",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#E3E3E3",
    "grid.linewidth": 0.7,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.frameon": False,
    "legend.fontsize": 9.0,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "figure.dpi": 100.0,
    "savefig.dpi": 100.0,
    "image.cmap": SEQUENTIAL,
}


def _pyplot() -> Any:  # noqa: ANN401  (the matplotlib.pyplot module)
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415  (the optional 'plot' extra)
    except ModuleNotFoundError as err:
        msg = 'crmkit.plot needs matplotlib; install it with pip install "crmkit[plot]"'
        raise ImportError(msg) from err
    return plt


@contextlib.contextmanager
def style() -> Iterator[Any]:
    """Apply the house style for the duration of one chart; yields ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.
    """
    plt = _pyplot()
    import matplotlib as mpl  # noqa: PLC0415
    from cycler import cycler  # noqa: PLC0415  (a matplotlib dependency)

    rc: Any = {**_RC, "axes.prop_cycle": cycler(color=list(OKABE_ITO))}
    with mpl.rc_context(rc):
        yield plt


def new_axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.2)) -> Axes:
    """Return *ax*, or the axes of a new figure of *size* inches (inside :func:`style`)."""
    if ax is not None:
        return ax
    plt = _pyplot()
    fig, created = plt.subplots(figsize=size, layout="constrained")
    del fig
    axes: Axes = created
    return axes


def title(ax: Axes, text: str) -> None:
    """Set the chart's title, wrapped to the width of its figure."""
    import textwrap  # noqa: PLC0415

    owner: Any = ax.figure  # a Figure, or a SubFigure whose .figure is the root Figure
    inches = float(owner.figure.get_size_inches()[0])
    width = max(30, int(inches * 10.5))
    ax.set_title(textwrap.fill(text, width=width))


def check_result(value: object, expected: type | tuple[type, ...], *, chart: str) -> None:
    """Raise the parameter error when a chart gets the wrong kind of result."""
    if not isinstance(value, expected):
        kinds = expected if isinstance(expected, tuple) else (expected,)
        names = " or ".join(k.__name__ for k in kinds)
        raise InputError.for_parameter(
            "result", f"a {names}", type(value).__name__, function=f"crmkit.plot.{chart}"
        )


def colors(n: int) -> list[str]:
    """Return *n* colour-blind-safe category colours (cycled beyond twelve)."""
    palette = OKABE_ITO if n <= len(OKABE_ITO) else TOL_MUTED
    return [palette[i % len(palette)] for i in range(n)]


def colormap(name: str = SEQUENTIAL) -> Colormap:
    """Return a matplotlib colormap with missing cells drawn light grey."""
    import matplotlib as mpl  # noqa: PLC0415

    cmap: Colormap = mpl.colormaps[name].with_extremes(bad="#F2F2F2")
    return cmap


def compact(value: float, kind: Literal["money", "count", "share", "number"] = "number") -> str:
    """Write a number for a chart label: ``1.2M``, ``35k``, ``12.5%``, ``3,726``."""
    if not math.isfinite(value):
        return "—"
    if kind == "share":
        return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"
    size = abs(value)
    if kind == "count" and size < 100_000:
        return f"{value:,.0f}"
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if size >= limit:
            return f"{value / unit:,.1f}{suffix}".replace(".0" + suffix, suffix)
    if size >= 100 or kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if size >= 1 else f"{value:.2g}"


def axis_format(
    ax: Axes, axis: Literal["x", "y"], kind: Literal["money", "count", "share"]
) -> None:
    """Format the tick labels of one axis: thousands separators or percentages."""
    from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: PLC0415

    target = ax.xaxis if axis == "x" else ax.yaxis
    if kind == "share":
        target.set_major_formatter(PercentFormatter(1.0, decimals=0))
        return
    target.set_major_formatter(FuncFormatter(lambda v, _pos: compact(v, kind)))


def annotate_bars(
    ax: Axes,
    positions: Sequence[float] | npt.NDArray[Any],
    values: Sequence[float] | npt.NDArray[Any],
    labels: Sequence[str],
    *,
    horizontal: bool = False,
) -> None:
    """Write *labels* at the end of bars."""
    for pos, value, label in zip(positions, values, labels, strict=True):
        v = float(value)
        if not math.isfinite(v):
            continue
        if horizontal:
            ax.annotate(
                label,
                (v, float(pos)),
                xytext=(3 if v >= 0 else -3, 0),
                textcoords="offset points",
                ha="left" if v >= 0 else "right",
                va="center",
                fontsize=8.5,
                color=INK,
            )
        else:
            ax.annotate(
                label,
                (float(pos), v),
                xytext=(0, 3 if v >= 0 else -3),
                textcoords="offset points",
                ha="center",
                va="bottom" if v >= 0 else "top",
                fontsize=8.5,
                color=INK,
            )


def text_color(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a cell of colour *rgba*."""
    r, g, b = (float(c) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.45 else "white"


def annotate_grid(
    ax: Axes,
    values: npt.NDArray[np.float64],
    labels: list[list[str]],
    mesh: Any,  # noqa: ANN401  (the QuadMesh or AxesImage drawn)
) -> None:
    """Write *labels* in the cells of a heatmap, in a colour that reads on each cell."""
    rows, cols = values.shape
    if rows * cols > 400:
        return
    rgba = mesh.cmap(mesh.norm(np.where(np.isfinite(values), values, np.nan)))
    for i in range(rows):
        for j in range(cols):
            if not labels[i][j]:
                continue
            color = text_color(rgba[i, j]) if np.isfinite(values[i, j]) else MUTED
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=8, color=color)
