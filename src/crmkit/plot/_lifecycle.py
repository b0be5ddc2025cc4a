"""Charts of the lifecycle results: transitions, stage flow, cohorts, time in stage, churn."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from crmkit._params import number
from crmkit._reduce import bincount
from crmkit.errors import InputError
from crmkit.lifecycle import (
    CohortRetention,
    PeriodChurn,
    StagePanel,
    StageProjection,
    TimeInStage,
    TransitionMatrix,
)
from crmkit.plot._style import (
    INK,
    annotate_bars,
    annotate_grid,
    axis_format,
    check_result,
    colormap,
    colors,
    new_axes,
    style,
    title,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "churn_chart",
    "cohort_heatmap",
    "retention_curves",
    "stage_flow",
    "survival_curves",
    "transition_heatmap",
]


def transition_heatmap(matrix: TransitionMatrix, *, ax: Axes | None = None) -> Axes:
    """Draw the stage-to-stage transition probabilities as a heatmap.

    Parameters
    ----------
    matrix : TransitionMatrix
        From :func:`crmkit.lifecycle.transition_matrix` (or given).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Row *i*, column *j*: the probability of moving from stage *i* to *j*,
        annotated as a percentage; rows never observed are labelled so.

    Raises
    ------
    InputError
        If *matrix* is not a :class:`~crmkit.lifecycle.TransitionMatrix`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: transition_heatmap

        >>> from crmkit import plot
        >>> from crmkit.lifecycle import TransitionMatrix
        >>> m = TransitionMatrix.from_probabilities(
        ...     [[0.7, 0.3, 0.0], [0.1, 0.8, 0.1], [0.0, 0.2, 0.8]],
        ...     stages=["new", "active", "lapsed"],
        ... )
        >>> ax = plot.transition_heatmap(m)
        >>> ax.get_xlabel()
        'Stage next period'
    """
    check_result(matrix, TransitionMatrix, chart="transition_heatmap")
    p = matrix.probabilities
    stages = list(matrix.stages)
    n = len(stages)
    with style():
        ax = new_axes(ax, (0.7 * n + 3.6, 0.55 * n + 2.4))
        mesh = ax.imshow(p, cmap=colormap(), vmin=0.0, vmax=1.0, aspect="auto")
        labels = [[f"{p[i, j]:.0%}" if p[i, j] > 0 else "" for j in range(n)] for i in range(n)]
        annotate_grid(ax, p, labels, mesh)
        rows = [s if matrix.observed[i] else f"{s} (not observed)" for i, s in enumerate(stages)]
        ax.set_xticks(range(n), stages, rotation=30, ha="right")
        ax.set_yticks(range(n), rows)
        ax.grid(visible=False)
        ax.set_xlabel("Stage next period" if matrix.source != "history" else "Next stage")
        ax.set_ylabel("Stage now")
        stay = float(np.mean(np.diag(p)))
        source = f"{matrix.n_pairs:,} transitions" if matrix.source != "given" else "given"
        title(ax, f"Stage transitions ({source}): {stay:.0%} stay put on average")
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.85)
        bar.set_label("Probability")
        axis_format(bar.ax, "y", "share")
    return ax


def stage_flow(
    result: StageProjection | StagePanel, *, share: bool = True, ax: Axes | None = None
) -> Axes:
    """Draw how customers spread over the stages, period after period (a stacked area).

    Parameters
    ----------
    result : StageProjection or StagePanel
        A projection (:func:`crmkit.lifecycle.project_stages`) or an observed
        panel (:func:`crmkit.lifecycle.stage_panel`).
    share : bool, default True
        Stack shares of the customers (to 100 %) rather than counts.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        One band per stage over the periods.

    Raises
    ------
    InputError
        If *result* is neither a projection nor a panel.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: stage_flow

        >>> from crmkit import plot
        >>> from crmkit.lifecycle import TransitionMatrix, project_stages
        >>> m = TransitionMatrix.from_probabilities(
        ...     [[0.6, 0.4, 0.0], [0.0, 0.85, 0.15], [0.0, 0.1, 0.9]],
        ...     stages=["new", "active", "lapsed"],
        ... )
        >>> proj = project_stages(m, {"new": 1000}, periods=12)
        >>> ax = plot.stage_flow(proj)
        >>> ax.get_ylabel()
        'Share of customers'
    """
    check_result(result, (StageProjection, StagePanel), chart="stage_flow")
    if isinstance(result, StageProjection):
        stages = list(result.stages)
        counts = np.asarray(result.counts, dtype=np.float64)
        x_labels = [str(p) for p in result.period.tolist()]
        x_title = "Periods ahead"
    else:
        stages = sorted(set(result.stage.tolist()))
        periods, p_index = np.unique(result.period, return_inverse=True)
        s_index = np.searchsorted(np.asarray(stages), result.stage)
        counts = (
            bincount(p_index * len(stages) + s_index, minlength=periods.size * len(stages))
            .reshape(periods.size, len(stages))
            .astype(np.float64)
        )
        first = np.zeros(periods.size, dtype=np.intp)
        first[p_index[::-1]] = np.arange(p_index.size)[::-1]
        x_labels = result.label[first].tolist()
        x_title = "Period"
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shown = np.where(totals > 0, counts / totals, 0.0) if share else counts
    x = np.arange(len(x_labels))
    with style():
        ax = new_axes(ax, (7.6, 4.4))
        ax.stackplot(x, shown.T, labels=stages, colors=colors(len(stages)), alpha=0.9)
        step = max(1, len(x_labels) // 12)
        ax.set_xticks(x[::step], x_labels[::step], rotation=30 if step > 1 else 0)
        ax.set_xlim(0, max(len(x_labels) - 1, 1))
        if share:
            ax.set_ylim(0, 1)
            axis_format(ax, "y", "share")
        else:
            axis_format(ax, "y", "count")
        ax.set_xlabel(x_title)
        ax.set_ylabel("Share of customers" if share else "Customers")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
        last = shown[-1]
        title(
            ax,
            f"Stage flow over {len(x_labels)} periods: {stages[int(np.argmax(last))]} "
            "is the largest stage at the end",
        )
    return ax


def cohort_heatmap(retention: CohortRetention, *, ax: Axes | None = None) -> Axes:
    """Draw the cohort retention triangle: cohorts down, periods since acquisition across.

    Parameters
    ----------
    retention : CohortRetention
        From :func:`crmkit.lifecycle.cohort_retention`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Each cell the share of the cohort active *k* periods after its first;
        cells after the end of observation are blank.

    Raises
    ------
    InputError
        If *retention* is not a :class:`~crmkit.lifecycle.CohortRetention`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: cohort_heatmap

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.lifecycle import cohort_retention
        >>> tx = simulate_transactions(1_500, "2023-01-01", "2024-01-01", seed=1)
        >>> ax = plot.cohort_heatmap(cohort_retention(tx, frequency="month"))
        >>> ax.get_xlabel()
        'Months since first purchase'
    """
    check_result(retention, CohortRetention, chart="cohort_heatmap")
    r = retention.retention
    c, k = r.shape
    unit = retention.frequency.value
    with style():
        ax = new_axes(ax, (0.5 * k + 4.0, 0.36 * c + 2.4))
        mesh = ax.imshow(r, cmap=colormap(), vmin=0.0, vmax=1.0, aspect="auto")
        labels = [
            [f"{r[i, j]:.0%}" if np.isfinite(r[i, j]) else "" for j in range(k)] for i in range(c)
        ]
        annotate_grid(ax, r, labels, mesh)
        rows = [
            f"{label} ({size:,})"
            for label, size in zip(retention.cohort, retention.size, strict=True)
        ]
        step = max(1, c // 24)
        ax.set_yticks(range(0, c, step), rows[::step])
        ax.set_xticks(range(0, k, max(1, k // 24)))
        ax.grid(visible=False)
        ax.set_xlabel(f"{unit.capitalize()}s since first purchase")
        ax.set_ylabel("Cohort (customers)")
        first = retention.churn_rate[1] if k > 1 else float("nan")
        lead = f"{1 - first:.0%} come back the next {unit}" if np.isfinite(first) else "one period"
        title(ax, f"Cohort retention: {int(retention.size.sum()):,} customers, {lead}")
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.85)
        bar.set_label("Share of the cohort active")
        axis_format(bar.ax, "y", "share")
    return ax


def retention_curves(retention: CohortRetention, *, ax: Axes | None = None) -> Axes:
    """Draw one retention curve per cohort and the pooled curve over all cohorts.

    Parameters
    ----------
    retention : CohortRetention
        From :func:`crmkit.lifecycle.cohort_retention`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Thin lines per cohort (older cohorts darker) and, bold, the pooled
        share ``sum active / sum size`` over the cohorts observed that long.

    Raises
    ------
    InputError
        If *retention* is not a :class:`~crmkit.lifecycle.CohortRetention`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: retention_curves

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.lifecycle import cohort_retention
        >>> tx = simulate_transactions(1_500, "2023-01-01", "2024-01-01", seed=1)
        >>> ax = plot.retention_curves(cohort_retention(tx, frequency="month"))
        >>> ax.get_ylabel()
        'Share of the cohort active'
    """
    check_result(retention, CohortRetention, chart="retention_curves")
    r = retention.retention
    c, k = r.shape
    obs = retention.observable
    active = np.where(obs, retention.active, 0).sum(axis=0)
    base = np.where(obs, retention.size[:, None], 0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.where(base > 0, active / base, np.nan)
    x = retention.periods_since
    with style():
        ax = new_axes(ax, (7.2, 4.4))
        cmap = colormap()
        for i in range(c):
            ax.plot(x, r[i], color=cmap(i / max(c - 1, 1)), linewidth=0.9, alpha=0.6)
        ax.plot(x, pooled, color=INK, linewidth=2.4, label="All cohorts")
        ax.set_ylim(0, 1.02)
        axis_format(ax, "y", "share")
        unit = retention.frequency.value
        ax.set_xlabel(f"{unit.capitalize()}s since first purchase")
        ax.set_ylabel("Share of the cohort active")
        ax.legend(loc="upper right")
        tail = pooled[min(k - 1, 3)] if k > 1 else float("nan")
        at = min(k - 1, 3)
        title(ax, f"Retention by cohort: {tail:.0%} of customers active {at} {unit}s on")
    return ax


def survival_curves(
    time_in_stage: TimeInStage, *, level: float = 0.95, ax: Axes | None = None
) -> Axes:
    """Draw Kaplan-Meier curves of time in stage, one per stage, with confidence bands.

    Parameters
    ----------
    time_in_stage : TimeInStage
        From :func:`crmkit.lifecycle.time_in_stage`; open stays are censored.
    level : float, default 0.95
        Confidence level of the bands, in (0, 1).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        The share of stays still open after *t* days, per stage.

    Raises
    ------
    InputError
        If *time_in_stage* is not a :class:`~crmkit.lifecycle.TimeInStage` or
        *level* is outside (0, 1).
    ImportError
        When matplotlib (``plot``) or scipy (``models``) is not installed.

    Notes
    -----
    The estimate and its pointwise "log-log" (Kalbfleisch-Prentice) interval
    come from ``scipy.stats.ecdf`` on right-censored data (Greenwood's
    variance); the median of each curve is :attr:`TimeInStage.median_days`.

    References
    ----------
    .. [1] Kaplan, E. L. and Meier, P. (1958). "Nonparametric Estimation from
       Incomplete Observations". JASA 53(282), 457-481.

    Examples
    --------
    .. plot::
        :filename-prefix: survival_curves

        >>> import numpy as np
        >>> from crmkit import plot
        >>> from crmkit.lifecycle import time_in_stage
        >>> rng = np.random.default_rng(2)
        >>> start = np.datetime64("2024-01-01") + rng.integers(0, 60, 300).astype("m8[D]")
        >>> days = rng.exponential(20, 300).astype(int).astype("m8[D]")
        >>> entries = {
        ...     "customer": np.r_[np.arange(300), np.arange(300)],
        ...     "stage": ["trial"] * 300 + ["paying"] * 300,
        ...     "timestamp": np.r_[start, start + days + np.timedelta64(1, "D")],
        ... }
        >>> ax = plot.survival_curves(time_in_stage(entries, as_of="2024-06-01"))
        >>> ax.get_xlabel()
        'Days in the stage'
    """
    check_result(time_in_stage, TimeInStage, chart="survival_curves")
    conf = number(
        level,
        name="level",
        function="crmkit.plot.survival_curves",
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
    )
    try:
        from scipy import stats  # noqa: PLC0415  (optional 'models' extra)
    except ModuleNotFoundError as err:
        msg = (
            "crmkit.plot.survival_curves needs scipy; install it with pip install 'crmkit[models]'"
        )
        raise ImportError(msg) from err
    spells = time_in_stage.spells
    palette = colors(time_in_stage.stage.size)
    with style():
        ax = new_axes(ax, (7.2, 4.4))
        for i, name in enumerate(time_in_stage.stage.tolist()):
            pick = spells.stage == name
            days = spells.days[pick]
            done = ~spells.censored[pick]
            if not done.any():
                continue
            data = stats.CensoredData(uncensored=days[done], right=days[~done])
            sf = stats.ecdf(data).sf
            t = np.concatenate([[0.0], sf.quantiles])
            s = np.concatenate([[1.0], sf.probabilities])
            with warnings.catch_warnings():
                # scipy warns where S(t) is 0 or 1 (log-log undefined); those ends are set below
                warnings.filterwarnings("ignore", "The confidence interval is undefined")
                ci = sf.confidence_interval(confidence_level=conf, method="log-log")
            lo = np.concatenate([[1.0], np.nan_to_num(ci.low.probabilities, nan=0.0)])
            hi = np.concatenate([[1.0], np.nan_to_num(ci.high.probabilities, nan=1.0)])
            median = time_in_stage.median_days[i]
            label = f"{name} (median {median:.0f} d)" if np.isfinite(median) else name
            ax.step(t, s, where="post", color=palette[i], linewidth=1.8, label=label)
            ax.fill_between(t, lo, hi, step="post", color=palette[i], alpha=0.18, linewidth=0)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        axis_format(ax, "y", "share")
        ax.set_xlabel("Days in the stage")
        ax.set_ylabel("Share of stays still open")
        ax.legend(loc="upper right")
        title(ax, f"Time in stage: Kaplan-Meier curves with {conf:.0%} bands")
    return ax


def churn_chart(churn: PeriodChurn, *, ax: Axes | None = None) -> Axes:
    """Draw the churn rate of each calendar period.

    Parameters
    ----------
    churn : PeriodChurn
        From :func:`crmkit.lifecycle.churn_by_period`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Bars of the share of last period's active customers who are not
        active this period, annotated with the customers lost.

    Raises
    ------
    InputError
        If *churn* is not a :class:`~crmkit.lifecycle.PeriodChurn` or has no periods.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    Examples
    --------
    .. plot::
        :filename-prefix: churn_chart

        >>> from crmkit import plot
        >>> from crmkit.datasets import simulate_transactions
        >>> from crmkit.lifecycle import churn_by_period
        >>> tx = simulate_transactions(1_500, "2023-01-01", "2024-01-01", seed=1)
        >>> ax = plot.churn_chart(churn_by_period(tx, frequency="month"))
        >>> ax.get_ylabel()
        'Churn rate'
    """
    check_result(churn, PeriodChurn, chart="churn_chart")
    if churn.period.size == 0:
        raise InputError(
            "crmkit.plot.churn_chart needs at least two periods of activity; got one.",
            field="churn",
        )
    x = np.arange(churn.period.size)
    with style():
        ax = new_axes(ax, (7.4, 4.2))
        ax.bar(x, churn.churn_rate, color=colors(4)[3], width=0.75)
        if x.size <= 24:
            annotate_bars(ax, x, churn.churn_rate, [f"{c:,}" for c in churn.churned])
        step = max(1, x.size // 12)
        ax.set_xticks(x[::step], churn.period[::step].tolist(), rotation=30, ha="right")
        axis_format(ax, "y", "share")
        ax.set_xlabel(churn.frequency.value.capitalize())
        ax.set_ylabel("Churn rate")
        mean = float(churn.churned.sum()) / max(int(churn.active_previous.sum()), 1)
        title(
            ax,
            f"Churn per {churn.frequency.value}: {mean:.0%} on average "
            "(customers lost above the bars)",
        )
    return ax
