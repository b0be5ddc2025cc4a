"""Charts of the campaign results: ROI per campaign, attribution across models, lift."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from crmkit._params import integer
from crmkit.plot._style import (
    INK,
    MUTED,
    annotate_bars,
    axis_format,
    check_result,
    colors,
    compact,
    new_axes,
    style,
    title,
)
from crmkit.roi import AttributionComparison, CampaignResults, LiftTest

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["attribution_chart", "campaign_roi_chart", "lift_chart"]


def _row_labels(results: CampaignResults) -> list[str]:
    keys = results.by or ("campaign",)
    columns = [np.asarray(results.groups[k]).astype(str) for k in keys]
    return [" / ".join(parts) for parts in zip(*columns, strict=True)]


def _ranked_rows(roi: npt.NDArray[np.float64], top: int) -> tuple[list[int], int]:
    """Rows by ROI, best first (NaN last); the best and the worst when there are too many."""
    order = np.argsort(np.where(np.isnan(roi), np.inf, -roi), kind="stable").tolist()
    if len(order) <= top:
        return order, 0
    head = top - top // 2
    return order[:head] + order[len(order) - top // 2 :], len(order) - top


def campaign_roi_chart(results: CampaignResults, *, top: int = 20, ax: Axes | None = None) -> Axes:
    r"""Draw the campaigns ranked by ROI, each with its spend, against the break-even line.

    Parameters
    ----------
    results : CampaignResults
        From :func:`crmkit.roi.campaign_results` (one row per campaign, or per
        group with ``by``).
    top : int, default 20
        Rows drawn at most, between 2 and 200; beyond it the best ``top - top
        // 2`` and the worst ``top // 2`` are drawn and the ones between are
        counted in the axis label.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars of ROI, best at the top (losses in red), each labelled
        with its ROI and spend; the vertical line at ROI 0 is break-even. A
        row that earned gross profit without spend (ROI +inf) is drawn at the
        edge and labelled so; a row with neither (ROI NaN) is labelled "no
        spend, no gain".

    Raises
    ------
    InputError
        If *results* is not a :class:`~crmkit.roi.CampaignResults` or *top*
        is out of range.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Notes
    -----
    :math:`\mathrm{ROI} = (\text{gross profit} - \text{spend}) / \text{spend}`:
    a campaign right of the line earned back its spend.

    References
    ----------
    .. [1] Farris, P. W., Bendle, N. T., Pfeifer, P. E. and Reibstein, D. J.
       (2010). *Marketing Metrics*, 2nd ed., Pearson, ch. 10.

    Examples
    --------
    .. plot::
        :filename-prefix: campaign_roi_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_campaigns
        >>> from crmkit.roi import DealRevenue, MarginRate, campaign_results
        >>> sim = simulate_campaigns(2_000, "2023-01-01", "2025-01-01", seed=7)
        >>> report = campaign_results(
        ...     sim.campaigns,
        ...     leads=sim.leads["campaign"],
        ...     opportunities=sim.opportunities,
        ...     revenue=DealRevenue(margin=MarginRate(rate=0.35)),
        ... )
        >>> ax = plot.campaign_roi_chart(report)
        >>> ax.get_xlabel()
        'ROI: (gross profit - spend) / spend'
    """
    check_result(results, CampaignResults, chart="campaign_roi_chart", name="results", ax=ax)
    k = integer(top, name="top", function="crmkit.plot.campaign_roi_chart", minimum=2, maximum=200)
    r = results
    labels_all = _row_labels(r)
    rows, left_out = _ranked_rows(np.asarray(r.roi, dtype=np.float64), k)
    roi = np.asarray(r.roi, dtype=np.float64)[rows]
    spend = np.asarray(r.spend, dtype=np.float64)[rows]
    finite = roi[np.isfinite(roi)]
    lo = float(min(finite.min(), 0.0)) if finite.size else -1.0
    hi = float(max(finite.max(), 0.0)) if finite.size else 1.0
    span = (hi - lo) or 1.0
    drawn = np.where(np.isposinf(roi), hi, np.where(np.isneginf(roi), lo, np.nan_to_num(roi)))
    c_gain, _, _, c_loss = colors(4)
    y = np.arange(len(rows))[::-1].astype(float)
    texts = []
    for value, money in zip(roi.tolist(), spend.tolist(), strict=True):
        if math.isnan(value):
            texts.append("no spend, no gain")
        elif math.isinf(value):
            texts.append("gain without spend" if value > 0 else "loss without spend")
        else:
            texts.append(f"{value:.0%} on {compact(money, 'money')} spent")
    with style():
        ax = new_axes(ax, (7.6, 0.36 * len(rows) + 2.1))
        ax.barh(y, drawn, color=[c_loss if v < 0 else c_gain for v in drawn], height=0.7)
        # every label right of its bar's end, or of the line for a loss: none crosses the names
        annotate_bars(ax, y, np.maximum(drawn, 0.0), texts, horizontal=True)
        ax.axvline(0.0, color=INK, linewidth=1.0)
        ax.annotate(
            "break-even",
            (0.0, 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=8,
            color=MUTED,
        )
        ax.set_ylim(-1.2, len(rows) - 0.4)
        ax.set_yticks(y, [labels_all[i] for i in rows])
        ax.set_xlim(lo - 0.04 * span, hi + 0.45 * span)
        axis_format(ax, "x", "share")
        ax.set_xlabel("ROI: (gross profit - spend) / spend")
        what = " / ".join(r.by).capitalize() if r.by else "Campaign"
        ax.set_ylabel(f"{what} ({left_out:,} in the middle not shown)" if left_out else what)
        n = int(np.asarray(r.roi).size)
        earned = int(np.count_nonzero(np.asarray(r.roi) >= 0))
        noun = "group" if r.by else "campaign"
        title(
            ax,
            f"Campaign ROI: {earned:,} of {n:,} {noun}s earned back their spend "
            f"({r.totals.roi:.0%} overall)",
        )
    return ax


def attribution_chart(comparison: AttributionComparison, *, ax: Axes | None = None) -> Axes:
    """Draw each channel's share of the credited value under each attribution model.

    Parameters
    ----------
    comparison : AttributionComparison
        From :func:`crmkit.roi.compare_attribution`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Grouped horizontal bars: one group per channel, one bar per model (in
        the order given), the length the channel's share of the value that
        model credits. Every model shares out the same total, so the bars of
        one model add up to 100 %.

    Raises
    ------
    InputError
        If *comparison* is not a :class:`~crmkit.roi.AttributionComparison`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    References
    ----------
    .. [1] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H.
       (2016). "Mapping the customer journey: Lessons learned from graph-based
       online attribution modeling." *International Journal of Research in
       Marketing*, 33(3), 457-474.

    Examples
    --------
    .. plot::
        :filename-prefix: attribution_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_campaigns
        >>> from crmkit.roi import (
        ...     FirstTouch,
        ...     LastTouch,
        ...     Linear,
        ...     MarkovChain,
        ...     compare_attribution,
        ...     touchpoint_paths,
        ... )
        >>> sim = simulate_campaigns(2_000, "2023-01-01", "2025-01-01", seed=7)
        >>> paths = touchpoint_paths(
        ...     sim.touchpoints, sim.conversions, lookback_days=180, channel="medium"
        ... )
        >>> table = compare_attribution(
        ...     paths, models=[FirstTouch(), LastTouch(), Linear(), MarkovChain()]
        ... )
        >>> ax = plot.attribution_chart(table)
        >>> ax.get_xlabel()
        'Share of the credited value'
    """
    check_result(
        comparison, AttributionComparison, chart="attribution_chart", name="comparison", ax=ax
    )
    c = comparison
    value = np.asarray(c.value, dtype=np.float64)
    totals = value.sum(axis=0)
    share = np.zeros_like(value)
    np.divide(value, totals[None, :], out=share, where=totals[None, :] > 0)
    n_ch, n_m = share.shape
    labels = [str(v) for v in c.channel.tolist()]
    palette = colors(n_m)
    height = 0.8 / max(n_m, 1)
    y = np.arange(n_ch)[::-1].astype(float)
    with style():
        ax = new_axes(ax, (7.6, max(3.2, (0.15 * n_m + 0.25) * n_ch + 1.6)))
        for m, model in enumerate(c.models):
            offset = (n_m - 1) / 2 * height - m * height
            ax.barh(y + offset, share[:, m], height=height * 0.92, color=palette[m], label=model)
        ax.set_yticks(y, labels)
        top = float(share.max()) if share.size else 1.0
        ax.set_xlim(0.0, max(top * 1.15, 0.05))
        axis_format(ax, "x", "share")
        ax.set_xlabel("Share of the credited value")
        ax.set_ylabel("Channel")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), title="Model")
        if n_ch and n_m:
            spread = share.max(axis=1) - share.min(axis=1)
            i = int(np.argmax(spread))
            title(
                ax,
                f"Attribution: {labels[i]} gets {share[i].min():.0%} to {share[i].max():.0%} "
                "of the credit, by model",
            )
        else:
            title(ax, "Attribution: no credited value to compare")
    return ax


def lift_chart(test: LiftTest, *, ax: Axes | None = None) -> Axes:
    """Draw each campaign's lift over its control group, with its confidence interval.

    Parameters
    ----------
    test : LiftTest
        From :func:`crmkit.roi.lift_test`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        One row per campaign: the absolute lift (treated minus control
        response rate) as a point with its interval (Newcombe's hybrid score
        interval), filled when significant at the test's level; the vertical
        line at 0 is "no effect". Each row is labelled with the two response
        rates.

    Raises
    ------
    InputError
        If *test* is not a :class:`~crmkit.roi.LiftTest`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). "Interval estimation for the difference
       between independent proportions: comparison of eleven methods."
       *Statistics in Medicine*, 17(8), 873-890.

    Examples
    --------
    .. plot::
        :filename-prefix: lift_chart

        >>> from crmkit import plot
        >>> from crmkit.roi import lift_test
        >>> test = lift_test(
        ...     campaign=["win-back mail", "loyalty sms", "upsell call"],
        ...     population=[11_000, 8_000, 3_000],
        ...     control=[1_000, 800, 300],
        ...     responders=[420, 190, 150],
        ...     control_responders=[25, 17, 12],
        ... )
        >>> ax = plot.lift_chart(test)
        >>> ax.get_xlabel()
        'Lift: response rate of the treated minus the control group (points)'
    """
    check_result(test, LiftTest, chart="lift_chart", name="test", ax=ax)
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    t = test
    n = int(t.absolute_lift.size)
    labels = [str(v) for v in t.campaign.tolist()]
    y = np.arange(n)[::-1].astype(float)
    lift = np.asarray(t.absolute_lift, dtype=np.float64)
    low = lift - np.asarray(t.ci_low, dtype=np.float64)
    high = np.asarray(t.ci_high, dtype=np.float64) - lift
    c_sig = colors(1)[0]
    with style():
        ax = new_axes(ax, (7.4, 0.5 * n + 1.9))
        ax.errorbar(
            lift,
            y,
            xerr=np.vstack([low, high]),
            fmt="none",
            ecolor=INK,
            elinewidth=1.4,
            capsize=4,
        )
        sig = np.asarray(t.significant, dtype=bool)
        ax.scatter(lift[sig], y[sig], s=60, color=c_sig, zorder=3, label="significant")
        ax.scatter(
            lift[~sig],
            y[~sig],
            s=60,
            facecolor="white",
            edgecolor=MUTED,
            linewidths=1.5,
            zorder=3,
            label="not significant",
        )
        for i in range(n):
            ax.annotate(
                f"{t.response_rate[i]:.1%} vs {t.control_rate[i]:.1%}",
                (float(t.ci_high[i]), float(y[i])),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=8.5,
                color=INK,
            )
        ax.axvline(0.0, color=MUTED, linestyle="--", linewidth=1.0)
        lo = float(min(np.min(t.ci_low), 0.0)) if n else -0.01
        hi = float(max(np.max(t.ci_high), 0.0)) if n else 0.01
        span = (hi - lo) or 0.01
        ax.set_xlim(lo - 0.08 * span, hi + 0.45 * span)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_yticks(y, labels)
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: f"{100 * v:+.1f}" if abs(v) > 1e-12 else "0")
        )
        ax.set_xlabel("Lift: response rate of the treated minus the control group (points)")
        ax.set_ylabel("Campaign")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
        level = f"{t.confidence:.0%} interval"
        if n == 1:
            title(
                ax,
                f"Lift: {100 * lift[0]:+.1f} points over the control group "
                f"({100 * t.ci_low[0]:+.1f} to {100 * t.ci_high[0]:+.1f}, {level})",
            )
        else:
            title(
                ax,
                f"Lift: {int(sig.sum()):,} of {n:,} campaigns beat their control group ({level})",
            )
    return ax
