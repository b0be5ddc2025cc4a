"""Charts of the roi results: whale curve, P&L waterfall, profit by segment, BTYD checks, CLV."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmkit._params import integer
from crmkit.errors import InputError
from crmkit.plot._style import (
    INK,
    MUTED,
    annotate_bars,
    axis_format,
    check_result,
    colormap,
    colors,
    compact,
    new_axes,
    style,
    title,
)
from crmkit.roi import (
    CustomerCLV,
    CustomerPnL,
    FrequencyRecencyMatrix,
    HoldoutComparison,
    PurchaseTracking,
    RepeatPurchaseHistogram,
    SegmentProfit,
    WhaleCurve,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "clv_histogram",
    "frequency_recency_heatmap",
    "holdout_chart",
    "pnl_waterfall",
    "repeat_purchase_chart",
    "segment_profit_chart",
    "tracking_chart",
    "whale_chart",
]

_CURVE_POINTS = 2_000


def whale_chart(whale: WhaleCurve, *, ax: Axes | None = None) -> Axes:
    """Draw the whale curve: cumulative profit from the most to the least profitable customer.

    Parameters
    ----------
    whale : WhaleCurve
        From :func:`crmkit.roi.whale_curve`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Cumulative profit as a share of the total against the share of
        customers, the peak marked (the "150-300 %" of Kaplan's whale) and the
        total at 100 %.

    Raises
    ------
    InputError
        If *whale* is not a :class:`~crmkit.roi.WhaleCurve`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    References
    ----------
    .. [1] Kaplan, R. S. and Narayanan, V. G. (2001). "Measuring and managing
       customer profitability." *Journal of Cost Management*, 15(5), 5-15.

    Examples
    --------
    .. plot::
        :filename-prefix: whale_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_cost_drivers, simulate_customer_base
        >>> from crmkit.roi import MarginRate, customer_pnl, whale_curve
        >>> base = simulate_customer_base(1_000, "2023-01-01", "2024-01-01", seed=7)
        >>> drivers = simulate_cost_drivers(base, seed=7)
        >>> pnl = customer_pnl(
        ...     base.transactions,
        ...     margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        ...     activities=drivers.activities,
        ...     unit_costs=drivers.unit_costs,
        ... )
        >>> ax = plot.whale_chart(whale_curve(pnl))
        >>> ax.get_xlabel()
        'Share of customers, most profitable first'
    """
    check_result(whale, WhaleCurve, chart="whale_chart")
    n = whale.profit.size
    keep = (
        np.arange(n)
        if n <= _CURVE_POINTS
        else np.unique(np.linspace(0, n - 1, _CURVE_POINTS).round().astype(int))
    )
    x = np.concatenate([[0.0], whale.share_of_customers[keep]])
    share = whale.total_profit > 0
    y_all = whale.share_of_total_profit if share else whale.cumulative_profit
    y = np.concatenate([[0.0], y_all[keep]])
    with style():
        ax = new_axes(ax, (7.0, 4.6))
        ax.plot(x, y, color=colors(1)[0], linewidth=2)
        ax.fill_between(x, y, color=colors(1)[0], alpha=0.12)
        end = 1.0 if share else whale.total_profit
        ax.axhline(end, color=MUTED, linestyle="--", linewidth=0.9)
        peak_y = whale.peak_share_of_total if share else whale.peak_profit
        ax.scatter([whale.peak_share_of_customers], [peak_y], color=colors(4)[3], zorder=3)
        ax.annotate(
            f"peak: {peak_y:.0%} of total profit\nfrom the top {whale.peak_share_of_customers:.0%}"
            if share
            else f"peak {compact(peak_y, 'money')}",
            (whale.peak_share_of_customers, peak_y),
            xytext=(10, -28),
            textcoords="offset points",
            fontsize=9,
        )
        ax.set_xlim(0, 1)
        axis_format(ax, "x", "share")
        axis_format(ax, "y", "share" if share else "money")
        ax.set_xlabel("Share of customers, most profitable first")
        ax.set_ylabel("Cumulative profit, share of the total" if share else "Cumulative profit")
        title(
            ax,
            f"Whale curve: {whale.n_unprofitable:,} unprofitable customers give back "
            f"{compact(whale.tail_give_back, 'money')}",
        )
    return ax


def pnl_waterfall(
    pnl: CustomerPnL, *, customer: object | None = None, ax: Axes | None = None
) -> Axes:
    """Draw the P&L waterfall from revenue to profit, for one customer or a group.

    Parameters
    ----------
    pnl : CustomerPnL
        From :func:`crmkit.roi.customer_pnl`; select a segment first with
        ``pnl.filter(mask)``.
    customer : int or str, optional
        One customer id; default the sum over every customer of *pnl*.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Revenue, cost of goods, gross margin, each activity cost and the
        direct cost, and the profit, as floating bars.

    Raises
    ------
    InputError
        If *pnl* is not a :class:`~crmkit.roi.CustomerPnL` or *customer* is not in it.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: pnl_waterfall

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_cost_drivers, simulate_customer_base
        >>> from crmkit.roi import MarginRate, customer_pnl
        >>> base = simulate_customer_base(1_000, "2023-01-01", "2024-01-01", seed=7)
        >>> drivers = simulate_cost_drivers(base, seed=7)
        >>> pnl = customer_pnl(
        ...     base.transactions,
        ...     margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        ...     activities=drivers.activities,
        ...     unit_costs=drivers.unit_costs,
        ... )
        >>> ax = plot.pnl_waterfall(pnl.filter(pnl.profit < 0))
        >>> ax.get_ylabel()
        'Amount'
    """
    check_result(pnl, CustomerPnL, chart="pnl_waterfall")
    if customer is not None:
        where = np.flatnonzero(pnl.customer == customer)
        if where.size == 0:
            raise InputError.for_parameter(
                "customer", "an id of the P&L", customer, function="crmkit.plot.pnl_waterfall"
            )
        pick = pnl.take(where)
        who = f"customer {customer}"
    else:
        pick = pnl
        who = f"{pnl.customer.size:,} customers"
    steps: list[tuple[str, float, bool]] = [("Revenue", float(pick.revenue.sum()), True)]
    steps.append(("Cost of goods", -float(pick.cost_of_goods.sum()), False))
    steps.append(("Gross margin", float(pick.gross_margin.sum()), True))
    for name, cost in pick.activity_costs.items():
        steps.append((name, -float(np.sum(cost)), False))
    if np.any(pick.direct_cost):
        steps.append(("Direct cost", -float(pick.direct_cost.sum()), False))
    steps.append(("Profit", float(pick.profit.sum()), True))
    c_total, c_up, _, c_down = colors(4)
    with style():
        ax = new_axes(ax, (0.75 * len(steps) + 3.2, 4.4))
        level = 0.0
        for i, (name, value, total) in enumerate(steps):
            if total:
                bottom, height, color = 0.0, value, c_total
                level = value
            else:
                bottom, height = level, value
                color = c_down if value < 0 else c_up
                level += value
            ax.bar(i, height, bottom=bottom, color=color, width=0.7)
            ax.annotate(
                compact(value, "money"),
                (i, max(bottom, bottom + height)),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=8.5,
                color=INK,
            )
            del name
        ax.axhline(0, color=INK, linewidth=0.8)
        ax.set_xticks(range(len(steps)), [s[0] for s in steps], rotation=30, ha="right")
        axis_format(ax, "y", "money")
        ax.set_xlabel("P&L line")
        ax.set_ylabel("Amount")
        profit = steps[-1][1]
        title(ax, f"P&L of {who}: profit {compact(profit, 'money')}")
    return ax


def segment_profit_chart(profit: SegmentProfit, *, ax: Axes | None = None) -> Axes:
    """Draw profit by segment, with each segment's profit per customer.

    Parameters
    ----------
    profit : SegmentProfit
        From :func:`crmkit.roi.profit_by_segment`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars (losses in red), labelled with profit per customer.

    Raises
    ------
    InputError
        If *profit* is not a :class:`~crmkit.roi.SegmentProfit`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: segment_profit_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_cost_drivers, simulate_customer_base
        >>> from crmkit.roi import MarginRate, customer_pnl, profit_by_segment
        >>> from crmkit.segmentation import value_tiers
        >>> base = simulate_customer_base(1_000, "2023-01-01", "2024-01-01", seed=7)
        >>> drivers = simulate_cost_drivers(base, seed=7)
        >>> pnl = customer_pnl(
        ...     base.transactions,
        ...     margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        ...     activities=drivers.activities,
        ...     unit_costs=drivers.unit_costs,
        ... )
        >>> tiers = value_tiers(pnl.revenue, customer=pnl.customer)
        >>> sp = profit_by_segment(pnl, segment=tiers.tier, segment_customer=tiers.customer)
        >>> ax = plot.segment_profit_chart(sp)
        >>> ax.get_xlabel()
        'Profit'
    """
    check_result(profit, SegmentProfit, chart="segment_profit_chart")
    labels = [str(s) for s in profit.segment.tolist()]
    y = np.arange(len(labels))[::-1].astype(float)
    c_pos, _, _, c_neg = colors(4)
    with style():
        ax = new_axes(ax, (7.2, 0.45 * len(labels) + 1.8))
        ax.barh(y, profit.profit, color=[c_neg if p < 0 else c_pos for p in profit.profit])
        annotate_bars(
            ax,
            y,
            profit.profit,
            [
                f"{compact(float(v), 'money')} ({compact(float(c), 'money')}/customer)"
                for v, c in zip(profit.profit, profit.profit_per_customer, strict=True)
            ],
            horizontal=True,
        )
        ax.axvline(0, color=INK, linewidth=0.8)
        ax.set_yticks(y, labels)
        lo, hi = float(min(profit.profit.min(), 0)), float(max(profit.profit.max(), 0))
        pad = (hi - lo) * 0.35 or 1.0
        ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)
        axis_format(ax, "x", "money")
        ax.set_xlabel("Profit")
        ax.set_ylabel("Segment")
        best = labels[int(np.argmax(profit.profit))]
        title(
            ax,
            f"Profit by segment: {compact(profit.total_profit, 'money')} in all, most from {best}",
        )
    return ax


def holdout_chart(comparison: HoldoutComparison, *, ax: Axes | None = None) -> Axes:
    """Draw predicted against actual holdout purchases per customer, by calibration frequency.

    Parameters
    ----------
    comparison : HoldoutComparison
        From :func:`crmkit.roi.holdout_comparison`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        FHL 2005's Figure 4: mean purchases in the holdout per customer for
        each number of calibration repeat purchases (the last group "or more").

    Raises
    ------
    InputError
        If *comparison* is not a :class:`~crmkit.roi.HoldoutComparison`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: holdout_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_customer_base
        >>> from crmkit.roi import calibration_holdout, fit_bgnbd, holdout_comparison
        >>> base = simulate_customer_base(2_000, "2023-01-01", "2024-07-01", seed=7)
        >>> split = calibration_holdout(
        ...     base.transactions,
        ...     freq="week",
        ...     calibration_end="2024-01-01",
        ...     observation_end="2024-07-01",
        ... )
        >>> check = holdout_comparison(fit_bgnbd(split.calibration), split)
        >>> ax = plot.holdout_chart(check)
        >>> ax.get_xlabel()
        'Repeat purchases in the calibration period'
    """
    check_result(comparison, HoldoutComparison, chart="holdout_chart")
    c = comparison
    labels = [str(v) for v in c.frequency.tolist()]
    labels[-1] += "+"
    x = np.arange(len(labels))
    c_act, c_pred = colors(2)
    with style():
        ax = new_axes(ax, (7.0, 4.4))
        ax.plot(x, c.actual, color=c_act, marker="o", linewidth=1.8, label="Actual")
        ax.plot(x, c.predicted, color=c_pred, marker="s", linestyle="--", label="Model")
        ax.set_xticks(x, labels)
        ax.set_xlabel("Repeat purchases in the calibration period")
        ax.set_ylabel(f"Purchases per customer in the holdout ({c.holdout_length:g} periods)")
        ax.legend(loc="upper left")
        ratio = c.predicted_total / c.actual_total if c.actual_total else float("nan")
        title(ax, f"Holdout check: the model predicts {ratio:.0%} of actual purchases")
    return ax


def frequency_recency_heatmap(matrix: FrequencyRecencyMatrix, *, ax: Axes | None = None) -> Axes:
    """Draw P(alive) or expected purchases over the frequency x recency grid.

    Parameters
    ----------
    matrix : FrequencyRecencyMatrix
        From :func:`crmkit.roi.alive_matrix` or
        :func:`crmkit.roi.expected_purchases_matrix`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Frequency across, recency up; impossible cells blank.

    Raises
    ------
    InputError
        If *matrix* is not a :class:`~crmkit.roi.FrequencyRecencyMatrix`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Notes
    -----
    The grid holds at most 200 x 200 cells whatever the number of customers
    (see :func:`crmkit.roi.alive_matrix`): a million customers draw in well
    under a second.

    Examples
    --------
    .. plot::
        :filename-prefix: frequency_recency_heatmap

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_customer_base
        >>> from crmkit.roi import alive_matrix, fit_bgnbd
        >>> from crmkit.segmentation import btyd_summary
        >>> base = simulate_customer_base(2_000, "2023-01-01", "2024-01-01", seed=7)
        >>> summary = btyd_summary(base.transactions, freq="week", as_of="2024-01-01")
        >>> ax = plot.frequency_recency_heatmap(alive_matrix(fit_bgnbd(summary), summary))
        >>> ax.get_ylabel()
        'Recency (time of the last purchase)'
    """
    check_result(matrix, FrequencyRecencyMatrix, chart="frequency_recency_heatmap")
    m = matrix
    alive = m.quantity == "p_alive"
    with style():
        ax = new_axes(ax, (7.0, 5.4))
        f = m.frequency.astype(float)
        r = m.recency
        f_edges = np.concatenate([f - 0.5, [f[-1] + 0.5]])
        mid = (r[1:] + r[:-1]) / 2 if r.size > 1 else np.array([])
        r_edges = np.concatenate([[r[0]], mid, [r[-1]]]) if r.size > 1 else np.array([0.0, 1.0])
        mesh = ax.pcolormesh(
            f_edges,
            r_edges,
            np.ma.masked_invalid(m.matrix.T),
            cmap=colormap(),
            vmin=0.0,
            vmax=1.0 if alive else None,
            shading="flat",
            rasterized=True,
        )
        ax.grid(visible=False)
        ax.set_xlabel("Frequency (repeat purchases)")
        ax.set_ylabel("Recency (time of the last purchase)")
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.85)
        if alive:
            bar.set_label("P(alive)")
            axis_format(bar.ax, "y", "share")
            what = "P(alive)"
        else:
            bar.set_label(f"Expected purchases in the next {m.t:g}")
            what = f"Expected purchases in the next {m.t:g}"
        title(ax, f"{what} by frequency and recency, observed for T = {m.T:g}")
    return ax


def repeat_purchase_chart(histogram: RepeatPurchaseHistogram, *, ax: Axes | None = None) -> Axes:
    """Draw customers by repeat purchases: observed beside what the model expects.

    Parameters
    ----------
    histogram : RepeatPurchaseHistogram
        From :func:`crmkit.roi.repeat_purchase_histogram`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Paired bars per number of repeat purchases (the last "or more").

    Raises
    ------
    InputError
        If *histogram* is not a :class:`~crmkit.roi.RepeatPurchaseHistogram`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: repeat_purchase_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_customer_base
        >>> from crmkit.roi import fit_bgnbd, repeat_purchase_histogram
        >>> from crmkit.segmentation import btyd_summary
        >>> base = simulate_customer_base(2_000, "2023-01-01", "2024-01-01", seed=7)
        >>> summary = btyd_summary(base.transactions, freq="week", as_of="2024-01-01")
        >>> h = repeat_purchase_histogram(fit_bgnbd(summary), summary)
        >>> ax = plot.repeat_purchase_chart(h)
        >>> ax.get_ylabel()
        'Customers'
    """
    check_result(histogram, RepeatPurchaseHistogram, chart="repeat_purchase_chart")
    h = histogram
    labels = [str(v) for v in h.frequency.tolist()]
    labels[-1] += "+"
    x = np.arange(len(labels), dtype=float)
    c_act, c_exp = colors(2)
    with style():
        ax = new_axes(ax, (7.0, 4.4))
        ax.bar(x - 0.2, h.actual, width=0.4, color=c_act, label="Actual")
        ax.bar(x + 0.2, h.expected, width=0.4, color=c_exp, label="Model")
        ax.set_xticks(x, labels)
        axis_format(ax, "y", "count")
        ax.set_xlabel("Repeat purchases in the calibration period")
        ax.set_ylabel("Customers")
        ax.legend(loc="upper right")
        gap = float(np.abs(h.expected - h.actual).sum()) / 2 / max(h.n_customers, 1)
        title(ax, f"Repeat purchases: model vs {h.n_customers:,} customers ({gap:.1%} misplaced)")
    return ax


def tracking_chart(
    tracking: PurchaseTracking, *, cumulative: bool = True, ax: Axes | None = None
) -> Axes:
    """Draw the tracking plot: repeat purchases over calendar time, observed vs model.

    Parameters
    ----------
    tracking : PurchaseTracking
        From :func:`crmkit.roi.purchase_tracking`.
    cumulative : bool, default True
        Running totals (FHL 2005, Figure 2) rather than per period.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Two lines over the period starts, the end of calibration marked.

    Raises
    ------
    InputError
        If *tracking* is not a :class:`~crmkit.roi.PurchaseTracking`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: tracking_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_customer_base
        >>> from crmkit.roi import fit_bgnbd, purchase_tracking
        >>> from crmkit.segmentation import btyd_summary
        >>> base = simulate_customer_base(2_000, "2023-01-01", "2024-01-01", seed=7)
        >>> cal = btyd_summary(base.transactions, freq="week", as_of="2023-09-01")
        >>> tr = purchase_tracking(
        ...     fit_bgnbd(cal), base.transactions, freq="week", calibration_end="2023-09-01"
        ... )
        >>> ax = plot.tracking_chart(tr)
        >>> ax.get_ylabel()
        'Repeat purchases, cumulative'
    """
    check_result(tracking, PurchaseTracking, chart="tracking_chart")
    t = tracking
    x = t.start.astype("datetime64[D]")
    actual = t.actual_cumulative if cumulative else t.actual
    model = t.expected_cumulative if cumulative else t.expected
    c_act, c_exp = colors(2)
    with style():
        ax = new_axes(ax, (7.6, 4.4))
        ax.plot(x, actual, color=c_act, linewidth=1.8, label="Actual")
        ax.plot(x, model, color=c_exp, linewidth=1.8, linestyle="--", label="Model")
        if t.calibration_end is not None:
            ax.axvline(t.calibration_end.astype("datetime64[D]"), color=MUTED, linestyle=":")
            ax.annotate(
                "end of calibration",
                (t.calibration_end.astype("datetime64[D]"), 0),
                xytext=(4, 6),
                textcoords="offset points",
                fontsize=8,
                color=MUTED,
            )
        axis_format(ax, "y", "count")
        ax.set_xlabel(t.freq.value.capitalize())
        ax.set_ylabel("Repeat purchases, cumulative" if cumulative else "Repeat purchases")
        ax.legend(loc="upper left")
        ax.figure.autofmt_xdate()
        last_a, last_m = float(t.actual_cumulative[-1]), float(t.expected_cumulative[-1])
        ratio = last_m / last_a if last_a else float("nan")
        title(ax, f"Tracking repeat purchases: the model expects {ratio:.0%} of actual")
    return ax


def clv_histogram(clv: CustomerCLV, *, bins: int = 40, ax: Axes | None = None) -> Axes:
    """Draw the distribution of customer lifetime value, with its mean and median.

    Parameters
    ----------
    clv : CustomerCLV
        From :func:`crmkit.roi.customer_clv` or :func:`crmkit.roi.profit_clv`.
    bins : int, default 40
        Histogram bins, between 5 and 200.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        The histogram up to the 99th percentile (the tail beyond is counted
        in the title), the mean and the median marked.

    Raises
    ------
    InputError
        If *clv* is not a :class:`~crmkit.roi.CustomerCLV` or *bins* is out of range.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: clv_histogram

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_customer_base
        >>> from crmkit.roi import customer_clv, fit_bgnbd, fit_gamma_gamma
        >>> from crmkit.segmentation import btyd_summary
        >>> base = simulate_customer_base(2_000, "2023-01-01", "2024-01-01", seed=7)
        >>> summary = btyd_summary(base.transactions, freq="week", as_of="2024-01-01")
        >>> buyers = summary.filter((summary.frequency == 0) | (summary.monetary_value > 0))
        >>> value = customer_clv(
        ...     fit_bgnbd(buyers),
        ...     fit_gamma_gamma(buyers),
        ...     buyers,
        ...     periods=12,
        ...     period_length=52 / 12,
        ...     discount_rate=0.01,
        ... )
        >>> ax = plot.clv_histogram(value)
        >>> ax.get_ylabel()
        'Customers'
    """
    check_result(clv, CustomerCLV, chart="clv_histogram")
    k = integer(bins, name="bins", function="crmkit.plot.clv_histogram", minimum=5, maximum=200)
    v = clv.clv
    top = float(np.quantile(v, 0.99)) if v.size else 1.0
    low = float(min(v.min(), 0.0)) if v.size else 0.0
    tail = int(np.count_nonzero(v > top))
    mean, median = float(v.mean()), float(np.median(v))
    order = np.sort(v)[::-1]
    top20 = float(order[: max(1, v.size // 5)].sum()) / float(order.sum()) if order.sum() else 0.0
    c_bar, c_mean, _, c_med = colors(4)
    with style():
        ax = new_axes(ax, (7.2, 4.4))
        ax.hist(np.clip(v, low, top), bins=k, range=(low, top), color=c_bar, alpha=0.85)
        ax.axvline(mean, color=c_mean, linewidth=1.6, label=f"mean {compact(mean, 'money')}")
        ax.axvline(
            median,
            color=c_med,
            linewidth=1.6,
            linestyle="--",
            label=f"median {compact(median, 'money')}",
        )
        axis_format(ax, "x", "money")
        axis_format(ax, "y", "count")
        ax.set_xlabel(f"Lifetime value over {clv.periods} periods ({clv.basis})")
        ax.set_ylabel("Customers")
        ax.legend(loc="upper right")
        beyond = f"; {tail:,} above the 99th percentile shown at its edge" if tail else ""
        title(
            ax,
            f"Customer lifetime value: the top 20% hold {top20:.0%} of "
            f"{compact(clv.total_clv, 'money')}{beyond}",
        )
    return ax
