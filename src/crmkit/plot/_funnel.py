"""Charts of the funnel results: the funnel, forecast spread, quotas, calibration, backtests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal

import numpy as np

from crmkit.errors import InputError
from crmkit.funnel import (
    Backtest,
    ForecastDistribution,
    QuotaDistribution,
    Reliability,
    Scorecard,
    StageRates,
    WinScoreEvaluation,
)
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
    text_color,
    title,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.ticker import FuncFormatter

__all__ = [
    "backtest_chart",
    "calibration_chart",
    "forecast_fan",
    "funnel_chart",
    "quota_chart",
    "reliability_diagram",
    "scorecard_chart",
]

_MAX_SERIES: Final = 8


def funnel_chart(rates: StageRates, *, ax: Axes | None = None) -> Axes:
    """Draw the sales funnel: closed deals reaching each stage, with the conversion between.

    Parameters
    ----------
    rates : StageRates
        From :func:`crmkit.funnel.fit_stage_rates`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Centred bars as wide as the deals that reached each stage, each
        labelled with the count and the share that went on to the next stage
        (to won, for the last).

    Raises
    ------
    InputError
        If *rates* is not a :class:`~crmkit.funnel.StageRates`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: funnel_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_pipeline
        >>> from crmkit.funnel import fit_stage_rates
        >>> sim = simulate_pipeline(800, "2023-01-01", "2024-01-01", seed=4)
        >>> ax = plot.funnel_chart(fit_stage_rates(sim.history))
        >>> ax.get_xlabel()
        'Closed deals that reached the stage'
    """
    check_result(rates, StageRates, chart="funnel_chart")
    stages = rates.stage.tolist()
    reached = rates.n_reached.astype(np.float64)
    y = np.arange(len(stages))[::-1].astype(float)
    palette = colors(1)[0]
    with style():
        ax = new_axes(ax, (7.2, 0.6 * len(stages) + 1.8))
        ax.barh(y, reached, left=-reached / 2, height=0.72, color=palette, alpha=0.85)
        for yi, n, conv in zip(y, reached, rates.conversion, strict=True):
            nxt = f", {conv:.0%} go on" if np.isfinite(conv) else ""
            ax.text(n / 2, yi, f"  {int(n):,}{nxt}", ha="left", va="center", fontsize=9, color=INK)
        ax.set_yticks(y, stages)
        top = float(reached.max()) if reached.size else 1.0
        ax.set_xlim(-top * 0.55, top * 1.05)
        ax.xaxis.set_major_formatter(_abs_count())
        ax.grid(visible=False)
        ax.set_xlabel("Closed deals that reached the stage")
        ax.set_ylabel("Stage")
        won = int(rates.n_won[0]) if rates.n_won.size else 0
        first = int(rates.n_reached[0]) if rates.n_reached.size else 0
        share = won / first if first else float("nan")
        title(ax, f"Sales funnel: {first:,} closed deals, {share:.0%} won")
    return ax


def _abs_count() -> FuncFormatter:
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    return FuncFormatter(lambda v, _pos: f"{abs(v):,.0f}")


def calibration_chart(rates: StageRates, *, ax: Axes | None = None) -> Axes:
    """Draw configured stage probabilities next to the ones learnt from history.

    Parameters
    ----------
    rates : StageRates
        From :func:`crmkit.funnel.fit_stage_rates`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Per stage: the probability configured in the sales process (open
        marker) and the calibrated win rate with its credible interval.

    Raises
    ------
    InputError
        If *rates* is not a :class:`~crmkit.funnel.StageRates`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: calibration_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_pipeline
        >>> from crmkit.funnel import fit_stage_rates
        >>> sim = simulate_pipeline(800, "2023-01-01", "2024-01-01", seed=4)
        >>> ax = plot.calibration_chart(fit_stage_rates(sim.history))
        >>> ax.get_ylabel()
        'Win probability'
    """
    check_result(rates, StageRates, chart="calibration_chart")
    configured = {s.name: s.probability for s in rates.process.stages}
    stages = rates.stage.tolist()
    x = np.arange(len(stages), dtype=float)
    conf = np.array([configured.get(s, np.nan) for s in stages], dtype=np.float64)
    c_conf, c_fit = colors(2)
    with style():
        ax = new_axes(ax, (7.2, 4.4))
        err = np.vstack([rates.win_rate - rates.lower, rates.upper - rates.win_rate])
        ax.errorbar(
            x + 0.08,
            rates.win_rate,
            yerr=np.clip(err, 0, None),
            fmt="o",
            color=c_fit,
            capsize=4,
            label=f"Calibrated ({rates.level:.0%} credible interval)",
        )
        ax.scatter(
            x - 0.08,
            conf,
            marker="D",
            facecolors="none",
            edgecolors=c_conf,
            s=42,
            label="Configured",
            zorder=3,
        )
        ax.set_xticks(x, stages)
        ax.set_ylim(0, 1)
        axis_format(ax, "y", "share")
        ax.set_xlabel("Stage")
        ax.set_ylabel("Win probability")
        ax.legend(loc="upper left")
        gap = np.nanmax(np.abs(rates.win_rate - conf)) if np.isfinite(conf).any() else 0.0
        title(
            ax,
            f"Stage win probabilities: configured vs learnt from {rates.n_closed:,} "
            f"closed deals (largest gap {gap:.0%})",
        )
    return ax


def _cells(result: ForecastDistribution | QuotaDistribution) -> tuple[list[str], list[str]]:
    """Series label of each row (its dimension values) and the distinct periods in order."""
    names = list(result.groups)
    n = result.period.size
    labels = [
        " / ".join(str(result.groups[k][i]) for k in names) if names else "total" for i in range(n)
    ]
    order = np.lexsort((result.period, result.start))
    periods = list(dict.fromkeys(result.period[order].tolist()))
    return labels, periods


def _series(labels: list[str], function: str) -> list[str]:
    series = list(dict.fromkeys(labels))
    if len(series) > _MAX_SERIES:
        raise InputError(
            f"{function} draws at most {_MAX_SERIES} series; the result has "
            f"{len(series)} dimension cells.",
            field="result",
            hint="Select cells first, e.g. result.filter(result.groups['region'] == 'east'), "
            "or forecast with fewer dimensions.",
        )
    return series


def forecast_fan(distribution: ForecastDistribution, *, ax: Axes | None = None) -> Axes:
    """Draw the forecast per period: the mean and its P10-P90 band, with the quota.

    Parameters
    ----------
    distribution : ForecastDistribution
        From :func:`crmkit.funnel.lattice_forecast` or
        :func:`crmkit.funnel.simulate_forecast`; one line per dimension cell
        (at most eight: use :meth:`~crmkit.Result.filter` to pick).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Periods across, amounts up; dashed markers at each cell's quota.

    Raises
    ------
    InputError
        If *distribution* is not a :class:`~crmkit.funnel.ForecastDistribution`
        or has more than eight dimension cells.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: forecast_fan

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_pipeline
        >>> from crmkit.funnel import lattice_forecast
        >>> sim = simulate_pipeline(800, "2023-01-01", "2024-01-01", seed=4)
        >>> d = lattice_forecast(sim.opportunities, period="month", probabilities="configured")
        >>> quotas = {"period": d.period, "quota": d.p50 * 1.1}
        >>> d = lattice_forecast(
        ...     sim.opportunities, period="month", probabilities="configured", quotas=quotas
        ... )
        >>> ax = plot.forecast_fan(d)
        >>> ax.get_ylabel()
        'Amount won in the period'
    """
    check_result(distribution, ForecastDistribution, chart="forecast_fan")
    d = distribution
    labels, periods = _cells(d)
    series = _series(labels, "crmkit.plot.forecast_fan")
    where = {p: i for i, p in enumerate(periods)}
    x_of = np.array([where[p] for p in d.period.tolist()], dtype=float)
    palette = colors(len(series))
    lab = np.asarray(labels)
    with style():
        ax = new_axes(ax, (7.6, 4.4))
        for c, name in enumerate(series):
            pick = np.flatnonzero(lab == name)
            pick = pick[np.argsort(x_of[pick])]
            x = x_of[pick]
            ax.fill_between(x, d.p10[pick], d.p90[pick], color=palette[c], alpha=0.18, linewidth=0)
            ax.plot(x, d.mean[pick], color=palette[c], marker="o", linewidth=1.8, label=name)
            quota = d.quota[pick]
            if np.isfinite(quota).any():
                ax.scatter(x, quota, marker="_", s=400, color=palette[c], linewidths=2.2)
        if np.isfinite(d.quota).any():
            ax.plot([], [], color=INK, marker="_", linestyle="none", markersize=14, label="Quota")
        ax.set_xticks(np.arange(len(periods)), periods, rotation=30 if len(periods) > 6 else 0)
        axis_format(ax, "y", "money")
        ax.set_xlabel("Period")
        ax.set_ylabel("Amount won in the period")
        ax.legend(loc="upper right")
        total = float(d.mean.sum())
        title(
            ax, f"Pipeline forecast: {compact(total, 'money')} expected, band P10-P90 ({d.method})"
        )
    return ax


def quota_chart(
    distribution: ForecastDistribution | QuotaDistribution, *, ax: Axes | None = None
) -> Axes:
    """Draw the probability of reaching quota per period (and dimension cell).

    Parameters
    ----------
    distribution : ForecastDistribution or QuotaDistribution
        A forecast distribution with quotas, or its ``quota_level``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Grouped bars of P(total >= quota), labelled in percent.

    Raises
    ------
    InputError
        If the result has no quotas, or more than eight dimension cells.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: quota_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_pipeline
        >>> from crmkit.funnel import lattice_forecast
        >>> sim = simulate_pipeline(800, "2023-01-01", "2024-01-01", seed=4)
        >>> d = lattice_forecast(sim.opportunities, period="month", probabilities="configured")
        >>> quotas = {"period": d.period, "quota": d.p50 * 1.1}
        >>> d = lattice_forecast(
        ...     sim.opportunities, period="month", probabilities="configured", quotas=quotas
        ... )
        >>> ax = plot.quota_chart(d)
        >>> ax.get_ylabel()
        'P(reach quota)'
    """
    check_result(distribution, (ForecastDistribution, QuotaDistribution), chart="quota_chart")
    d = distribution
    if not np.isfinite(d.p_reach_quota).any():
        raise InputError(
            "crmkit.plot.quota_chart needs quotas; this forecast has none at its level.",
            field="distribution",
            hint="Forecast with quotas=..., or chart result.quota_level when the quotas are "
            "coarser than the cells.",
        )
    labels, periods = _cells(d)
    series = _series(labels, "crmkit.plot.quota_chart")
    where = {p: i for i, p in enumerate(periods)}
    lab = np.asarray(labels)
    width = 0.8 / len(series)
    palette = colors(len(series))
    with style():
        ax = new_axes(ax, (7.6, 4.2))
        for c, name in enumerate(series):
            pick = np.flatnonzero(lab == name)
            x = np.array([where[p] for p in d.period[pick].tolist()], dtype=float)
            x = x - 0.4 + width * (c + 0.5)
            p = d.p_reach_quota[pick]
            ax.bar(x, p, width=width * 0.92, color=palette[c], label=name)
            annotate_bars(ax, x, p, [f"{v:.0%}" if np.isfinite(v) else "" for v in p])
        ax.axhline(0.5, color=MUTED, linewidth=0.8, linestyle=":")
        ax.set_xticks(np.arange(len(periods)), periods, rotation=30 if len(periods) > 6 else 0)
        ax.set_ylim(0, 1.08)
        axis_format(ax, "y", "share")
        ax.set_xlabel("Period")
        ax.set_ylabel("P(reach quota)")
        if len(series) > 1:
            ax.legend(loc="upper right")
        hit = int(np.count_nonzero(d.p_reach_quota >= 0.5))
        title(
            ax,
            f"Chance of reaching quota: {hit} of {int(np.isfinite(d.p_reach_quota).sum())} "
            "cells more likely than not",
        )
    return ax


def reliability_diagram(
    result: WinScoreEvaluation | Reliability, *, ax: Axes | None = None
) -> Axes:
    """Draw the reliability diagram of win probabilities: predicted against observed.

    Parameters
    ----------
    result : WinScoreEvaluation or Reliability
        An evaluation of the win scorer (:func:`crmkit.funnel.evaluate_win_scorer`,
        drawn with its stage-only baseline) or one reliability table.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Mean predicted probability against the observed win share per bin,
        markers sized by the predictions in the bin, and the diagonal of
        perfect calibration.

    Raises
    ------
    InputError
        If *result* is neither type.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: reliability_diagram

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_pipeline
        >>> from crmkit.funnel import evaluate_win_scorer, fit_win_scorer
        >>> h = simulate_pipeline(800, "2022-01-01", "2024-01-01", seed=4).history
        >>> ev = evaluate_win_scorer(fit_win_scorer(h, fields=["source"]), h, baseline="configured")
        >>> ax = plot.reliability_diagram(ev)
        >>> ax.get_xlabel()
        'Predicted win probability'
    """
    check_result(result, (WinScoreEvaluation, Reliability), chart="reliability_diagram")
    if isinstance(result, WinScoreEvaluation):
        tables = [
            (f"Win scorer (Brier {result.brier:.3f})", result.model),
            (f"{result.baseline_name} stages (Brier {result.brier_baseline:.3f})", result.baseline),
        ]
        heading = (
            f"Reliability: scorer Brier {result.brier:.3f} vs {result.brier_baseline:.3f} "
            f"stage-only, {result.n_examples:,} predictions"
        )
    else:
        tables = [(f"Predictions (Brier {result.brier:.3f})", result)]
        heading = f"Reliability: Brier {result.brier:.3f}, base rate {result.base_rate:.0%}"
    palette = colors(len(tables))
    with style():
        ax = new_axes(ax, (5.8, 5.4))
        ax.plot([0, 1], [0, 1], color=MUTED, linestyle="--", linewidth=1, label="Perfect")
        for c, (name, table) in enumerate(tables):
            ok = table.count > 0
            size = 20 + 180 * table.count[ok] / max(int(table.count.max()), 1)
            ax.plot(table.mean_predicted[ok], table.observed_rate[ok], color=palette[c], lw=1.4)
            ax.scatter(
                table.mean_predicted[ok],
                table.observed_rate[ok],
                s=size,
                color=palette[c],
                label=name,
                zorder=3,
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        axis_format(ax, "x", "share")
        axis_format(ax, "y", "share")
        ax.set_xlabel("Predicted win probability")
        ax.set_ylabel("Observed win share")
        ax.legend(loc="upper left")
        title(ax, heading)
    return ax


def backtest_chart(backtest: Backtest, *, group: str | None = None, ax: Axes | None = None) -> Axes:
    """Draw past forecasts and what actually closed, per snapshot, with the P10-P90 band.

    Parameters
    ----------
    backtest : Backtest
        From :func:`crmkit.funnel.backtest_forecast`.
    group : str, optional
        The ``by`` group to draw; required when the backtest has several.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        One line and band per method, the actual amounts in black.

    Raises
    ------
    InputError
        If *backtest* is not a :class:`~crmkit.funnel.Backtest`, or *group* is
        missing or unknown.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: backtest_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_pipeline
        >>> from crmkit.funnel import backtest_forecast
        >>> sim = simulate_pipeline(1_500, "2022-01-01", "2024-01-01", seed=4)
        >>> opps = sim.opportunities
        >>> bt = backtest_forecast(
        ...     sim.history,
        ...     opportunity=opps.id,
        ...     amount=opps.amount,
        ...     expected_close=sim.deals["expected_close"],
        ...     snapshots=[f"2023-{m:02d}-01" for m in range(1, 13, 2)],
        ...     horizon_days=90,
        ...     methods=("configured", "calibrated"),
        ...     maturity_days=120,
        ... )
        >>> ax = plot.backtest_chart(bt)
        >>> ax.get_xlabel()
        'Snapshot'
    """
    check_result(backtest, Backtest, chart="backtest_chart")
    groups = list(dict.fromkeys(backtest.group.tolist()))
    if group is None:
        if len(groups) > 1:
            raise InputError(
                f"crmkit.plot.backtest_chart draws one group; the backtest has {len(groups)}.",
                field="group",
                hint=f"Pass group= one of {groups[:8]}.",
            )
        chosen = groups[0]
    elif group in groups:
        chosen = group
    else:
        raise InputError.for_parameter(
            "group", f"one of {groups[:8]}", group, function="crmkit.plot.backtest_chart"
        )
    rows = backtest.group == chosen
    methods = list(dict.fromkeys(backtest.method[rows].tolist()))
    palette = colors(len(methods))
    with style():
        ax = new_axes(ax, (7.6, 4.4))
        actual_drawn = False
        for c, method in enumerate(methods):
            pick = np.flatnonzero(rows & (backtest.method == method))
            pick = pick[np.argsort(backtest.snapshot[pick])]
            t = backtest.snapshot[pick].astype("datetime64[D]")
            ax.fill_between(
                t, backtest.p10[pick], backtest.p90[pick], color=palette[c], alpha=0.16, lw=0
            )
            ax.plot(t, backtest.forecast[pick], color=palette[c], marker="o", label=method)
            if not actual_drawn:
                ax.plot(t, backtest.actual[pick], color=INK, marker="s", lw=1.4, label="Actual")
                actual_drawn = True
        axis_format(ax, "y", "money")
        ax.set_xlabel("Snapshot")
        ax.set_ylabel(f"Won within {backtest.horizon_days} days")
        ax.legend(loc="upper left")
        ax.figure.autofmt_xdate()
        best = backtest.best_method()
        title(ax, f"Backtest ({chosen}): forecast vs actual, {best} errs least")
    return ax


_Kind = Literal["money", "count", "share", "number"]
_SCORECARD: Final[tuple[tuple[str, str, _Kind, bool], ...]] = (
    ("n_open", "Open deals", "count", True),
    ("weighted_pipeline", "Weighted pipeline", "money", True),
    ("win_rate", "Win rate", "share", True),
    ("cycle_days", "Cycle (days)", "number", False),
    ("velocity", "Velocity / day", "money", True),
    ("coverage", "Coverage", "number", True),
)


def scorecard_chart(
    scorecard: Scorecard,
    *,
    metrics: Sequence[str] = ("n_open", "weighted_pipeline", "win_rate", "cycle_days", "velocity"),
    ax: Axes | None = None,
) -> Axes:
    """Draw rep or team scorecards as a table coloured from worst to best per metric.

    Parameters
    ----------
    scorecard : Scorecard
        From :func:`crmkit.funnel.scorecards`.
    metrics : sequence of str
        Columns to show, among ``n_open``, ``weighted_pipeline``, ``win_rate``,
        ``cycle_days``, ``velocity`` and ``coverage``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        One row per group, one column per metric, each cell coloured by the
        group's rank on that metric (short cycles rank high) and labelled with
        its value.

    Raises
    ------
    InputError
        If *scorecard* is not a :class:`~crmkit.funnel.Scorecard` or a metric
        is unknown.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: scorecard_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_pipeline
        >>> from crmkit.funnel import scorecards
        >>> sim = simulate_pipeline(800, "2023-01-01", "2024-01-01", seed=5)
        >>> card = scorecards(
        ...     sim.opportunities, sim.history, by="region", probabilities="configured"
        ... )
        >>> ax = plot.scorecard_chart(card)
        >>> ax.get_ylabel()
        'region'
    """
    check_result(scorecard, Scorecard, chart="scorecard_chart")
    known = {m[0]: m for m in _SCORECARD}
    chosen = list(metrics)
    bad = [m for m in chosen if m not in known]
    if bad or not chosen:
        raise InputError.for_parameter(
            "metrics",
            f"names among {list(known)}",
            bad or chosen,
            function="crmkit.plot.scorecard_chart",
        )
    g = scorecard.group.shape[0]
    rank = np.full((g, len(chosen)), np.nan)
    text: list[list[str]] = [["" for _ in chosen] for _ in range(g)]
    for j, name in enumerate(chosen):
        _, _, kind, higher = known[name]
        col = np.asarray(getattr(scorecard, name), dtype=np.float64)
        ok = np.isfinite(col)
        if ok.sum() > 1:
            order = np.argsort(np.argsort(np.where(ok, col if higher else -col, -np.inf)))
            rank[ok, j] = order[ok] / max(g - 1, 1)
        for i in range(g):
            if kind == "share":
                text[i][j] = f"{col[i]:.0%}" if ok[i] else "—"
            elif kind == "number":
                text[i][j] = f"{col[i]:.1f}" if ok[i] else "—"
            else:
                text[i][j] = compact(float(col[i]), kind) if ok[i] else "—"
    with style():
        ax = new_axes(ax, (1.45 * len(chosen) + 2.2, 0.42 * g + 1.6))
        cmap = colormap()
        ax.imshow(rank, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        for i in range(g):
            for j in range(len(chosen)):
                shade = cmap(rank[i, j]) if np.isfinite(rank[i, j]) else (1.0, 1.0, 1.0, 1.0)
                ax.text(
                    j,
                    i,
                    text[i][j],
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=text_color(shade),
                )
        ax.set_xticks(range(len(chosen)), [known[m][1] for m in chosen])
        ax.xaxis.tick_top()
        ax.set_yticks(range(g), [str(v) for v in scorecard.group.tolist()])
        ax.grid(visible=False)
        ax.set_ylabel(scorecard.by)
        ax.set_xlabel("Colour: rank among groups (yellow best)")
        title(ax, f"Scorecards by {scorecard.by}: {g} groups")
    return ax
