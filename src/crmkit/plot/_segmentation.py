"""Charts of the segmentation results: RFM maps, concentration, tiers, value and wallet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt

from crmkit._params import choice, integer
from crmkit._reduce import bincount
from crmkit.plot._style import (
    INK,
    MUTED,
    annotate_bars,
    annotate_grid,
    axis_format,
    check_result,
    colormap,
    colors,
    compact,
    new_axes,
    style,
    title,
)
from crmkit.segmentation import (
    ABCClasses,
    LorenzCurve,
    RFMScores,
    SegmentMigration,
    Segments,
    SegmentSummary,
    ShareOfWallet,
    ValueMatrix,
    ValueTiers,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "abc_chart",
    "customer_pyramid",
    "lorenz_chart",
    "migration_heatmap",
    "rfm_heatmap",
    "segment_bars",
    "segment_map",
    "value_potential_chart",
    "wallet_gap_chart",
]

_CURVE_POINTS: Final = 2_000  # a concentration curve is drawn through at most this many points
_SCATTER_LIMIT: Final = 20_000  # above this many customers, a hexbin replaces the scatter


def _thin(n: int) -> npt.NDArray[np.intp]:
    """Positions of at most ``_CURVE_POINTS`` points of an ``n``-point curve (ends kept)."""
    if n <= _CURVE_POINTS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, _CURVE_POINTS).round().astype(np.intp))


def segment_map(
    segments: Segments,
    *,
    size: Literal["customers", "revenue"] = "customers",
    ax: Axes | None = None,
) -> Axes:
    """Draw the RFM segment map: the recency x frequency score grid coloured by segment.

    Parameters
    ----------
    segments : Segments
        From :func:`crmkit.segmentation.assign_segments`.
    size : {"customers", "revenue"}
        What the bubble in each cell measures: its customers, or its scored
        monetary value (revenue by default).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Cell (R, F) is coloured by its most common segment (the only one for
        two-score tables); bubble areas are proportional to *size*.

    Raises
    ------
    InputError
        If *segments* is not a :class:`~crmkit.segmentation.Segments` or *size*
        is unknown.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Notes
    -----
    Cell counts, sums and the majority segment come from one ``bincount``
    each over the customers; nothing is drawn per customer.

    Examples
    --------
    .. plot::
        :filename-prefix: segment_map

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import assign_segments, rfm_scores, rfm_summary
        >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-01-01", seed=1)
        >>> seg = assign_segments(rfm_scores(rfm_summary(tx, unit="day")))
        >>> ax = plot.segment_map(seg)
        >>> ax.get_xlabel()
        'Recency score (5 = bought most recently)'
    """
    check_result(segments, Segments, chart="segment_map")
    what = choice(size, ("customers", "revenue"), name="size", function="crmkit.plot.segment_map")
    sc = segments.scores
    k = sc.k
    names = segments.names
    m = len(names)
    cell = (sc.frequency_score - 1) * k + (sc.recency_score - 1)
    count = bincount(cell, minlength=k * k)
    value = bincount(cell, weights=sc.monetary, minlength=k * k) if what == "revenue" else count
    major = bincount(cell * m + segments.code, minlength=k * k * m).reshape(k * k, m).argmax(1)
    palette = colors(m)
    with style():
        ax = new_axes(ax, (7.5, 6.0))
        from matplotlib.colors import to_rgba  # noqa: PLC0415

        fill = np.array([to_rgba(palette[c], 0.28) for c in major]).reshape(k, k, 4)
        fill[count.reshape(k, k) == 0] = to_rgba("#FFFFFF", 0.0)
        ax.imshow(fill, origin="lower", extent=(0.5, k + 0.5, 0.5, k + 0.5), aspect="equal")
        rr, ff = np.meshgrid(np.arange(1, k + 1), np.arange(1, k + 1))
        biggest = float(value.max()) or 1.0
        area = 2400.0 * (6.0 / max(k, 1)) ** 2 * np.asarray(value, dtype=float) / biggest
        ax.scatter(
            rr.ravel(),
            ff.ravel(),
            s=area,
            c=[palette[c] for c in major],
            alpha=0.85,
            edgecolors="white",
            linewidths=0.6,
        )
        total = count.sum() or 1
        for c, name in enumerate(names):
            where = (major == c) & (count > 0)
            if not where.any():
                continue
            x = float(rr.ravel()[where].mean())
            y = float(ff.ravel()[where].mean())
            share = segments.counts[name] / total
            ax.text(
                x,
                y,
                f"{name}\n{share:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color=INK,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.75},
            )
        ax.set_xticks(range(1, k + 1))
        ax.set_yticks(range(1, k + 1))
        ax.set_xlim(0.5, k + 0.5)
        ax.set_ylim(0.5, k + 0.5)
        ax.grid(visible=False)
        ax.set_xlabel(f"Recency score ({k} = bought most recently)")
        ax.set_ylabel(f"Frequency score ({k} = buys most often)")
        measure = "customers" if what == "customers" else "revenue"
        title(ax, f"RFM segment map: {total:,} customers, bubbles sized by {measure}")
    return ax


def rfm_heatmap(scores: RFMScores, *, ax: Axes | None = None) -> Axes:
    """Draw the mean monetary value of each recency x frequency score cell.

    Parameters
    ----------
    scores : RFMScores
        From :func:`crmkit.segmentation.rfm_scores`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        A heatmap (recency score across, frequency score up) annotated with
        each cell's mean monetary value; empty cells are grey.

    Raises
    ------
    InputError
        If *scores* is not an :class:`~crmkit.segmentation.RFMScores`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: rfm_heatmap

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import rfm_scores, rfm_summary
        >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-01-01", seed=1)
        >>> ax = plot.rfm_heatmap(rfm_scores(rfm_summary(tx, unit="day")))
        >>> ax.get_title()
        'Mean monetary value by recency and frequency score'
    """
    check_result(scores, RFMScores, chart="rfm_heatmap")
    k = scores.k
    cell = (scores.frequency_score - 1) * k + (scores.recency_score - 1)
    count = bincount(cell, minlength=k * k).reshape(k, k)
    total = bincount(cell, weights=scores.monetary, minlength=k * k).reshape(k, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    with style():
        ax = new_axes(ax, (6.8, 5.6))
        mesh = ax.imshow(mean, origin="lower", cmap=colormap(), aspect="equal")
        labels = [
            [compact(float(mean[i, j]), "money") if count[i, j] else "" for j in range(k)]
            for i in range(k)
        ]
        annotate_grid(ax, mean, labels, mesh)
        ax.set_xticks(range(k), [str(i) for i in range(1, k + 1)])
        ax.set_yticks(range(k), [str(i) for i in range(1, k + 1)])
        ax.grid(visible=False)
        ax.set_xlabel(f"Recency score ({k} = bought most recently)")
        ax.set_ylabel(f"Frequency score ({k} = buys most often)")
        title(ax, "Mean monetary value by recency and frequency score")
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.85)
        bar.set_label("Mean monetary value per customer")
    return ax


def migration_heatmap(
    migration: SegmentMigration, *, normalize: bool = True, ax: Axes | None = None
) -> Axes:
    """Draw where each segment's customers went between two snapshots.

    Parameters
    ----------
    migration : SegmentMigration
        From :func:`crmkit.segmentation.segment_migration`.
    normalize : bool, default True
        Colour by the share of each row's customers (where a segment's
        customers went) rather than by raw counts.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Rows: segment before; columns: segment after; cells annotated with
        the share (and count) of customers.

    Raises
    ------
    InputError
        If *migration* is not a :class:`~crmkit.segmentation.SegmentMigration`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: migration_heatmap

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import assign_segments, rfm_scores, rfm_summary
        >>> from crmkit.segmentation import segment_migration
        >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-01-01", seed=1)
        >>> def seg(as_of):
        ...     return assign_segments(rfm_scores(rfm_summary(tx, unit="day", as_of=as_of)))
        >>> ax = plot.migration_heatmap(segment_migration(seg("2023-09-01"), seg("2024-01-01")))
        >>> ax.get_ylabel()
        'Segment before'
    """
    check_result(migration, SegmentMigration, chart="migration_heatmap")
    counts = migration.matrix.astype(np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(rows > 0, counts / rows, np.nan)
    shown = shares if normalize else counts
    labels = list(migration.labels)
    n = len(labels)
    with style():
        ax = new_axes(ax, (0.62 * n + 4.0, 0.5 * n + 2.6))
        mesh = ax.imshow(shown, cmap=colormap(), aspect="auto", vmin=0.0)
        text = [
            [
                (f"{shares[i, j]:.0%}" if normalize else f"{int(counts[i, j]):,}")
                if counts[i, j]
                else ""
                for j in range(n)
            ]
            for i in range(n)
        ]
        annotate_grid(ax, shown, text, mesh)
        ax.set_xticks(range(n), labels, rotation=40, ha="right")
        ax.set_yticks(range(n), labels)
        ax.grid(visible=False)
        ax.set_xlabel("Segment after")
        ax.set_ylabel("Segment before")
        stayed = float(np.trace(migration.matrix)) / max(migration.n_matched, 1)
        title(ax, f"Segment migration: {migration.n_matched:,} customers, {stayed:.0%} stayed put")
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.85)
        bar.set_label("Share of the segment's customers" if normalize else "Customers")
        if normalize:
            axis_format(bar.ax, "y", "share")
    return ax


def _pareto(population: npt.NDArray[np.float64], value: npt.NDArray[np.float64]) -> float:
    """Share p of top customers who bring 1 - p, read off the Lorenz curve (L(1 - p) = p)."""
    h = value + population - 1.0
    j = int(np.argmax(h >= 0))
    if j == 0:
        return 1.0 - float(population[0])
    h0, h1 = h[j - 1], h[j]
    q = population[j - 1] + (population[j] - population[j - 1]) * (0.0 - h0) / (h1 - h0)
    return 1.0 - float(q)


def lorenz_chart(curve: LorenzCurve, *, ax: Axes | None = None) -> Axes:
    """Draw the Lorenz curve with its Gini coefficient and the "80/20" point marked.

    Parameters
    ----------
    curve : LorenzCurve
        From :func:`crmkit.segmentation.lorenz_curve`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        The curve, the line of equality, the area between them (Gini = twice
        that area) and the point where the top ``p`` of customers bring
        ``1 - p`` of the total.

    Raises
    ------
    InputError
        If *curve* is not a :class:`~crmkit.segmentation.LorenzCurve`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Notes
    -----
    The Pareto point solves :math:`L(1 - p) = p` on the piecewise-linear
    curve, the same crossing as :func:`crmkit.segmentation.pareto_point`.
    Curves of more than 2,000 customers are drawn through 2,000 of their
    points (the ends kept).

    Examples
    --------
    .. plot::
        :filename-prefix: lorenz_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import lorenz_curve, rfm_summary
        >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-01-01", seed=1)
        >>> ax = plot.lorenz_chart(lorenz_curve(rfm_summary(tx, unit="day").monetary))
        >>> ax.get_xlabel()
        'Share of customers, smallest first'
    """
    check_result(curve, LorenzCurve, chart="lorenz_chart")
    pop, val = curve.population_share, curve.value_share
    keep = _thin(pop.size)
    p = _pareto(pop, val)
    with style():
        ax = new_axes(ax, (6.2, 5.6))
        ax.plot([0, 1], [0, 1], color=MUTED, linestyle="--", linewidth=1, label="Equality")
        ax.fill_between(pop[keep], val[keep], pop[keep], color=colors(1)[0], alpha=0.15)
        ax.plot(pop[keep], val[keep], color=colors(1)[0], linewidth=2, label="Lorenz curve")
        ax.scatter([1 - p], [p], color=colors(4)[3], zorder=3, s=36)
        ax.annotate(
            f"top {p:.0%} of customers\nbring {1 - p:.0%} of the total",
            (1 - p, p),
            xytext=(-12, 18),
            textcoords="offset points",
            ha="right",
            fontsize=9,
            arrowprops={"arrowstyle": "-", "color": MUTED},
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(min(0.0, float(val.min())), 1)
        axis_format(ax, "x", "share")
        axis_format(ax, "y", "share")
        ax.set_xlabel("Share of customers, smallest first")
        ax.set_ylabel("Share of the total")
        title(ax, f"Concentration: Gini {curve.gini:.2f}, top {p:.0%} bring {1 - p:.0%}")
        ax.legend(loc="upper left")
    return ax


def abc_chart(abc: ABCClasses, *, ax: Axes | None = None) -> Axes:
    """Draw the ABC (Pareto) chart: cumulative share of value, customers ranked, classes shaded.

    Parameters
    ----------
    abc : ABCClasses
        From :func:`crmkit.segmentation.abc_classes`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        The cumulative share of value against the share of customers (best
        first), each class's stretch shaded and labelled with its shares of
        customers and value.

    Raises
    ------
    InputError
        If *abc* is not an :class:`~crmkit.segmentation.ABCClasses`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: abc_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import abc_classes, rfm_summary
        >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-01-01", seed=1)
        >>> ax = plot.abc_chart(abc_classes(rfm_summary(tx, unit="day").monetary))
        >>> ax.get_ylabel()
        'Cumulative share of the total'
    """
    check_result(abc, ABCClasses, chart="abc_chart")
    order = np.argsort(-abc.value, kind="stable")
    value = abc.value[order]
    n = value.size
    total = float(value.sum()) or 1.0
    cum = np.concatenate([[0.0], np.cumsum(value) / total])
    pop = np.arange(n + 1) / n
    keep = _thin(n + 1)
    palette = colors(len(abc.labels))
    with style():
        ax = new_axes(ax, (7.0, 4.6))
        start = 0
        for c, label in enumerate(abc.labels):
            size = int(abc.customers[label])
            if size == 0:
                continue
            stop = start + size
            span = np.arange(start, stop + 1)
            ax.fill_between(pop[span], cum[span], color=palette[c], alpha=0.28, linewidth=0)
            ax.text(
                (pop[start] + pop[stop]) / 2,
                0.06,
                f"{label}\n{size / n:.0%} of customers\n{abc.value_share[label]:.0%} of value",
                ha="center",
                va="bottom",
                fontsize=8,
                color=INK,
            )
            start = stop
        ax.plot(pop[keep], cum[keep], color=INK, linewidth=1.6)
        for t in abc.thresholds:
            ax.axhline(t, color=MUTED, linewidth=0.8, linestyle=":")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, max(1.0, float(cum.max())) * 1.02)
        axis_format(ax, "x", "share")
        axis_format(ax, "y", "share")
        ax.set_xlabel("Share of customers, most valuable first")
        ax.set_ylabel("Cumulative share of the total")
        top = abc.labels[0]
        title(
            ax,
            f"ABC classes: {top} is {abc.customers[top] / n:.0%} of customers "
            f"and {abc.value_share[top]:.0%} of the value",
        )
    return ax


def customer_pyramid(tiers: ValueTiers, *, ax: Axes | None = None) -> Axes:
    """Draw the customer pyramid: each tier's share of customers beside its share of value.

    Parameters
    ----------
    tiers : ValueTiers
        From :func:`crmkit.segmentation.value_tiers`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        One pair of horizontal bars per tier, the top tier at the top; a
        negative tier (customers who lose money) shows a negative value share.

    Raises
    ------
    InputError
        If *tiers* is not a :class:`~crmkit.segmentation.ValueTiers`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: customer_pyramid

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import rfm_summary, value_tiers
        >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-01-01", seed=1)
        >>> ax = plot.customer_pyramid(value_tiers(rfm_summary(tx, unit="day").monetary))
        >>> ax.get_xlabel()
        'Share'
    """
    check_result(tiers, ValueTiers, chart="customer_pyramid")
    labels = list(tiers.labels)
    n = max(sum(tiers.customers.values()), 1)
    cust = np.array([tiers.customers[t] / n for t in labels])
    share = np.array([tiers.value_share[t] for t in labels])
    y = np.arange(len(labels))[::-1].astype(float)
    c_value = colors(1)[0]
    with style():
        ax = new_axes(ax, (7.0, 0.55 * len(labels) + 2.0))
        ax.barh(y + 0.2, cust, height=0.38, color="#BBBBBB", label="Share of customers")
        ax.barh(y - 0.2, share, height=0.38, color=c_value, label="Share of value")
        annotate_bars(ax, y + 0.2, cust, [f"{v:.1%}" for v in cust], horizontal=True)
        annotate_bars(ax, y - 0.2, share, [f"{v:.1%}" for v in share], horizontal=True)
        ax.set_yticks(y, labels)
        ax.axvline(0, color=INK, linewidth=0.8)
        axis_format(ax, "x", "share")
        ax.set_xlim(min(0.0, float(share.min()) * 1.25), max(1.0, float(share.max())) * 1.12)
        ax.set_xlabel("Share")
        ax.set_ylabel("Tier")
        ax.legend(loc="lower right")
        top = labels[0]
        title(
            ax,
            f"Customer pyramid: the {top} {cust[0]:.1%} of customers bring {share[0]:.0%} "
            "of the value",
        )
    return ax


def value_potential_chart(matrix: ValueMatrix, *, ax: Axes | None = None) -> Axes:
    """Draw customers in the current value x potential value plane, with the quadrants.

    Parameters
    ----------
    matrix : ValueMatrix
        From :func:`crmkit.segmentation.value_potential_matrix`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        A scatter coloured by quadrant (a density hexbin beyond 20,000
        customers), the two cut lines and each quadrant's customers and value.

    Raises
    ------
    InputError
        If *matrix* is not a :class:`~crmkit.segmentation.ValueMatrix`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: value_potential_chart

        >>> import numpy as np
        >>> from crmkit import plot
        >>> from crmkit.segmentation import Quantile, value_potential_matrix
        >>> rng = np.random.default_rng(3)
        >>> spend = rng.gamma(2.0, 400.0, 500)
        >>> wallet_gap = rng.gamma(1.5, 600.0, 500)
        >>> m = value_potential_matrix(
        ...     spend,
        ...     wallet_gap,
        ...     current_threshold=Quantile(0.5),
        ...     potential_threshold=Quantile(0.5),
        ... )
        >>> ax = plot.value_potential_chart(m)
        >>> ax.get_xlabel()
        'Current value'
    """
    check_result(matrix, ValueMatrix, chart="value_potential_chart")
    quadrants = ("core", "maintain", "grow", "deprioritise")
    palette = dict(zip(quadrants, colors(4), strict=True))
    n = matrix.customer.shape[0]
    with style():
        ax = new_axes(ax, (7.0, 5.4))
        if n > _SCATTER_LIMIT:
            hb = ax.hexbin(
                matrix.current, matrix.potential, gridsize=60, bins="log", cmap=colormap()
            )
            ax.figure.colorbar(hb, ax=ax, shrink=0.85).set_label("Customers (log scale)")
        else:
            for q in quadrants:
                pick = matrix.quadrant == q
                ax.scatter(
                    matrix.current[pick],
                    matrix.potential[pick],
                    s=10,
                    alpha=0.55,
                    color=palette[q],
                    label=f"{q} ({matrix.customers[q]:,})",
                    rasterized=True,
                    linewidths=0,
                )
            ax.legend(loc="upper right", markerscale=2)
        ax.axvline(matrix.current_cut, color=INK, linewidth=0.9, linestyle="--")
        ax.axhline(matrix.potential_cut, color=INK, linewidth=0.9, linestyle="--")
        axis_format(ax, "x", "money")
        axis_format(ax, "y", "money")
        ax.set_xlabel("Current value")
        ax.set_ylabel("Potential value")
        core = matrix.customers["core"]
        title(
            ax, f"Value x potential: {core:,} core customers, {matrix.customers['grow']:,} to grow"
        )
    return ax


def wallet_gap_chart(wallet: ShareOfWallet, *, bins: int = 10, ax: Axes | None = None) -> Axes:
    """Draw spend with us and spend elsewhere, by share-of-wallet band.

    Parameters
    ----------
    wallet : ShareOfWallet
        From :func:`crmkit.segmentation.share_of_wallet`.
    bins : int, default 10
        Equal-width share-of-wallet bands over [0, 1], >= 2.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Stacked bars per band: our spend and the wallet gap (spend with
        competitors) summed over its customers, with the customers per band.

    Raises
    ------
    InputError
        If *wallet* is not a :class:`~crmkit.segmentation.ShareOfWallet` or
        *bins* is out of range.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: wallet_gap_chart

        >>> import numpy as np
        >>> from crmkit import plot
        >>> from crmkit.segmentation import share_of_wallet
        >>> rng = np.random.default_rng(3)
        >>> ours = rng.gamma(2.0, 300.0, 400)
        >>> sow = share_of_wallet(ours, ours + rng.gamma(2.0, 500.0, 400))
        >>> ax = plot.wallet_gap_chart(sow)
        >>> ax.get_xlabel()
        'Share of wallet'
    """
    check_result(wallet, ShareOfWallet, chart="wallet_gap_chart")
    k = integer(bins, name="bins", function="crmkit.plot.wallet_gap_chart", minimum=2, maximum=50)
    band = np.minimum((wallet.share * k).astype(np.int64), k - 1)
    ours = bincount(band, weights=wallet.our_spend, minlength=k)
    gap = bincount(band, weights=wallet.wallet_gap, minlength=k)
    customers = bincount(band, minlength=k)
    x = (np.arange(k) + 0.5) / k
    c_ours, c_gap = colors(2)
    with style():
        ax = new_axes(ax, (7.2, 4.4))
        ax.bar(x, ours, width=0.9 / k, color=c_ours, label="Spend with us")
        ax.bar(x, gap, width=0.9 / k, bottom=ours, color=c_gap, alpha=0.8, label="Wallet gap")
        annotate_bars(ax, x, ours + gap, [f"{c:,}" for c in customers])
        ax.set_xlim(0, 1)
        axis_format(ax, "x", "share")
        axis_format(ax, "y", "money")
        ax.set_xlabel("Share of wallet")
        ax.set_ylabel("Spend (customers per band above the bars)")
        ax.legend(loc="upper right")
        title(
            ax,
            f"Share of wallet: {wallet.overall_share:.0%} overall, "
            f"{compact(float(wallet.wallet_gap.sum()), 'money')} spent elsewhere",
        )
    return ax


def segment_bars(summary: SegmentSummary, *, ax: Axes | None = None) -> Axes:
    """Draw each segment's share of customers beside its share of revenue.

    Parameters
    ----------
    summary : SegmentSummary
        From :func:`crmkit.segmentation.segment_summary` (groups are summed).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bar pairs, one per segment, in table order.

    Raises
    ------
    InputError
        If *summary* is not a :class:`~crmkit.segmentation.SegmentSummary`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: segment_bars

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.segmentation import assign_segments, rfm_scores, rfm_summary
        >>> from crmkit.segmentation import segment_summary
        >>> tx = simulate_transactions(1_000, "2023-01-01", "2024-01-01", seed=1)
        >>> seg = assign_segments(rfm_scores(rfm_summary(tx, unit="day")))
        >>> ax = plot.segment_bars(segment_summary(seg))
        >>> ax.get_xlabel()
        'Share of all customers / of all revenue'
    """
    check_result(summary, SegmentSummary, chart="segment_bars")
    names, index = np.unique(summary.segment, return_inverse=True)
    first = np.full(names.size, summary.segment.size)
    np.minimum.at(first, index, np.arange(summary.segment.size))
    order = np.argsort(first)
    cust = bincount(index, weights=summary.customer_share, minlength=names.size)[order]
    rev = bincount(index, weights=summary.revenue_share, minlength=names.size)[order]
    labels = names[order].tolist()
    y = np.arange(len(labels))[::-1].astype(float)
    with style():
        ax = new_axes(ax, (7.2, 0.42 * len(labels) + 1.8))
        ax.barh(y + 0.2, cust, height=0.38, color="#BBBBBB", label="Customers")
        ax.barh(y - 0.2, rev, height=0.38, color=colors(1)[0], label="Revenue")
        annotate_bars(ax, y - 0.2, rev, [f"{v:.0%}" for v in rev], horizontal=True)
        ax.set_yticks(y, labels)
        axis_format(ax, "x", "share")
        ax.set_xlim(min(0.0, float(rev.min())), max(float(rev.max()), float(cust.max())) * 1.15)
        ax.set_xlabel("Share of all customers / of all revenue")
        ax.set_ylabel("Segment")
        ax.legend(loc="lower right")
        best = labels[int(np.argmax(rev))]
        title(ax, f"Segments: {best} bring the largest share of revenue ({rev.max():.0%})")
    return ax
