"""Chart of purchase trends per segment: a figure per period, stacked by segment."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from crmkit._params import choice
from crmkit.plot._style import (
    MUTED,
    axis_format,
    check_result,
    colors,
    compact,
    new_axes,
    style,
    title,
)
from crmkit.segmentation import SegmentTrends, TrendFigure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["segment_trends_chart"]

_LABELS = {"revenue": "Revenue", "orders": "Orders", "customers": "Active customers"}


def segment_trends_chart(
    trends: SegmentTrends, *, figure: TrendFigure = "revenue", ax: Axes | None = None
) -> Axes:
    """Draw a figure per period stacked by segment: revenue, orders or active customers.

    Parameters
    ----------
    trends : SegmentTrends
        From :func:`crmkit.segmentation.segment_trends`.
    figure : {"revenue", "orders", "customers"}, default "revenue"
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Stacked areas over the middle of each period, one band per segment (segments
        that never have the figure are left out of the legend), the total on
        top; a last period cut short by ``as_of`` is shaded and labelled
        "partial". Revenue of customers without a segment is not drawn (the
        title counts it when there is any).

    Raises
    ------
    InputError
        If *trends* is not a :class:`~crmkit.segmentation.SegmentTrends` or
        *figure* is unknown.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: segment_trends_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import (
        ...     assign_segments,
        ...     rfm_scores,
        ...     rfm_summary,
        ...     segment_trends,
        ... )
        >>> orders = simulate_transactions(2_000, "2023-01-01", "2025-01-01", seed=3)
        >>> segs = assign_segments(rfm_scores(rfm_summary(orders, unit="day")))
        >>> trends = segment_trends(orders, segs, freq="month", as_of="2025-01-01")
        >>> ax = plot.segment_trends_chart(trends)
        >>> ax.get_ylabel()
        'Revenue per month'
    """
    check_result(trends, SegmentTrends, chart="segment_trends_chart", name="trends", ax=ax)
    name = choice(
        figure,
        ("revenue", "orders", "customers"),
        name="figure",
        function="crmkit.plot.segment_trends_chart",
    )
    t = trends
    grid = np.asarray(t.matrix(cast("TrendFigure", name)), dtype=np.float64)
    keep = np.flatnonzero(np.any(grid != 0, axis=0))
    names = [t.segment_names[j] for j in keep]
    begin = t.period_start.astype("datetime64[s]")
    x = begin + (t.period_end.astype("datetime64[s]") - begin) // 2  # each period's middle
    palette = colors(len(names))
    freq = t.freq.value.replace("_", " ")
    with style():
        ax = new_axes(ax, (8.2, 4.6))
        if names:
            ax.stackplot(x, grid[:, keep].T, labels=names, colors=palette, alpha=0.9)
        total = grid.sum(axis=1)
        ax.plot(x, total, color="#333333", linewidth=1.2, label="All segments")
        if not t.last_period_complete and x.size:
            ax.axvspan(begin[-1], t.period_end[-1].astype("datetime64[s]"), color=MUTED, alpha=0.18)
            ax.annotate(
                "partial",
                (begin[-1], 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                fontsize=8,
                color=MUTED,
            )
        axis_format(ax, "y", "money" if name == "revenue" else "count")
        ax.set_xlabel(freq.capitalize())
        ax.set_ylabel(f"{_LABELS[name]} per {freq}")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8.5)
        ax.figure.autofmt_xdate()
        sums = grid.sum(axis=0)
        if sums.size and sums.max() > 0:
            best = t.segment_names[int(np.argmax(sums))]
            share = float(sums.max() / sums.sum())
            text = f"{_LABELS[name]} per {freq} by segment: {best} {share:.0%} of it"
        else:
            text = f"{_LABELS[name]} per {freq} by segment"
        left_out = float(np.abs(t.unsegmented_revenue).sum())
        if name == "revenue" and left_out:
            text += f" ({compact(left_out, 'money')} without a segment not drawn)"
        title(ax, text)
    return ax
