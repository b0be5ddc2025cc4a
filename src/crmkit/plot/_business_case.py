"""Charts of the CRM business case: cash flows with payback, the tornado, the NPV distribution."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmkit._params import integer
from crmkit.plot._style import (
    INK,
    MUTED,
    axis_format,
    check_result,
    colors,
    compact,
    new_axes,
    style,
    title,
)
from crmkit.roi import BusinessCaseResult, BusinessCaseSimulation, Sensitivity

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["cash_flow_chart", "npv_distribution_chart", "tornado_chart"]


def cash_flow_chart(result: BusinessCaseResult, *, ax: Axes | None = None) -> Axes:
    """Draw a business case's cash flows per period, their running total and the payback.

    Parameters
    ----------
    result : BusinessCaseResult
        From :func:`crmkit.roi.evaluate_business_case`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        Per period the benefits (bars up) and costs (bars down), the
        cumulative net cash flow and the cumulative discounted flow (its last
        point is the NPV) as lines, and the payback period marked where the
        cumulative flow turns non-negative for good.

    Raises
    ------
    InputError
        If *result* is not a :class:`~crmkit.roi.BusinessCaseResult`.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    References
    ----------
    .. [1] Buttle, F. and Maklan, S. (2019). *Customer Relationship
       Management: Concepts and Technologies*, 4th ed., Routledge, ch. 2.

    Examples
    --------
    .. plot::
        :filename-prefix: cash_flow_chart

        >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
        >>> case = BusinessCase(
        ...     costs=(
        ...         CostItem(
        ...             name="licences",
        ...             category="technology",
        ...             one_off=80_000.0,
        ...             recurring=60_000.0,
        ...             escalation=0.03,
        ...         ),
        ...         CostItem(name="CRM team", category="people", recurring=90_000.0),
        ...         CostItem(name="change management", category="process", one_off=60_000.0),
        ...     ),
        ...     benefits=(
        ...         BenefitStream.revenue_growth(
        ...             name="cross-sell",
        ...             extra_revenue=900_000.0,
        ...             margin_rate=0.3,
        ...             ramp_up=(0.2, 0.5, 0.8),
        ...         ),
        ...         BenefitStream(
        ...             name="service cost", kind="cost reduction", value=80_000.0, ramp_up=(0.5,)
        ...         ),
        ...     ),
        ...     periods=5,
        ...     discount_rate=0.1,
        ...     first_period=0,
        ... )
        >>> from crmkit import plot
        >>> from crmkit.roi import evaluate_business_case
        >>> ax = plot.cash_flow_chart(evaluate_business_case(case))
        >>> ax.get_xlabel()
        'Year (0 = today)'
    """
    check_result(result, BusinessCaseResult, chart="cash_flow_chart", name="result", ax=ax)
    r = result
    x = np.asarray(r.period, dtype=float)
    unit = r.period_unit
    c_cum, _, c_benefit, c_cost, c_discounted = colors(5)
    with style():
        ax = new_axes(ax, (7.6, 4.6))
        ax.bar(x, r.total_benefit, width=0.6, color=c_benefit, alpha=0.75, label="Benefits")
        ax.bar(x, -np.asarray(r.total_cost), width=0.6, color=c_cost, alpha=0.75, label="Costs")
        ax.plot(x, r.cumulative_cash_flow, color=c_cum, marker="o", linewidth=2, label="Cumulative")
        ax.plot(
            x,
            r.cumulative_discounted,
            color=c_discounted,
            marker="s",
            linestyle="--",
            linewidth=1.6,
            label=f"Cumulative discounted ({r.discount_rate:.0%})",
        )
        ax.axhline(0.0, color=INK, linewidth=0.8)
        if r.payback_period is not None:
            ax.axvline(r.payback_period, color=MUTED, linestyle=":", linewidth=1.4)
            ax.annotate(
                f"payback after {r.payback_period:.1f} {unit}s",
                (r.payback_period, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                va="top",
                fontsize=8.5,
                color=INK,
            )
        ax.set_xticks(x, [str(int(p)) for p in r.period.tolist()])
        axis_format(ax, "y", "money")
        ax.set_xlabel(f"{unit.capitalize()} (0 = today)")
        ax.set_ylabel("Cash flow")
        ax.legend(loc="upper left", fontsize=8.5)
        paid = (
            f"pays back in {r.payback_period:.1f} {unit}s"
            if r.payback_period is not None
            else "does not pay back within the plan"
        )
        title(ax, f"Business case: NPV {compact(r.npv, 'money')} and {paid}")
    return ax


def tornado_chart(sensitivity: Sensitivity, *, top: int = 12, ax: Axes | None = None) -> Axes:
    """Draw the tornado: each assumption's effect on NPV, largest first.

    Parameters
    ----------
    sensitivity : Sensitivity
        From :func:`crmkit.roi.sensitivity`.
    top : int, default 12
        Assumptions drawn at most (the largest swings), between 1 and 200.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        One row per assumption: a bar from the plan's NPV to the NPV with the
        assumption at ``1 - change`` of its value and one to the NPV at ``1 +
        change``, everything else as planned; the plan's NPV is the vertical
        line.

    Raises
    ------
    InputError
        If *sensitivity* is not a :class:`~crmkit.roi.Sensitivity` or *top*
        is out of range.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. and Allen, F. (2020). *Principles of
       Corporate Finance*, 13th ed., McGraw-Hill, ch. 10 (sensitivity analysis).

    Examples
    --------
    .. plot::
        :filename-prefix: tornado_chart

        >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
        >>> case = BusinessCase(
        ...     costs=(
        ...         CostItem(
        ...             name="licences", category="technology", one_off=80_000.0, recurring=60_000.0
        ...         ),
        ...         CostItem(name="CRM team", category="people", recurring=90_000.0),
        ...     ),
        ...     benefits=(
        ...         BenefitStream(
        ...             name="cross-sell",
        ...             kind="revenue growth",
        ...             value=270_000.0,
        ...             ramp_up=(0.2, 0.5),
        ...         ),
        ...         BenefitStream(name="service cost", kind="cost reduction", value=80_000.0),
        ...     ),
        ...     periods=5,
        ...     discount_rate=0.1,
        ...     first_period=0,
        ... )
        >>> from crmkit import plot
        >>> from crmkit.roi import sensitivity
        >>> ax = plot.tornado_chart(sensitivity(case, change=0.2))
        >>> ax.get_xlabel()
        'NPV'
    """
    check_result(sensitivity, Sensitivity, chart="tornado_chart", name="sensitivity", ax=ax)
    k = integer(top, name="top", function="crmkit.plot.tornado_chart", minimum=1, maximum=200)
    s = sensitivity
    n = min(k, int(s.assumption.size))
    labels = [str(v) for v in s.assumption[:n].tolist()]
    low = np.asarray(s.low_npv[:n], dtype=np.float64)
    high = np.asarray(s.high_npv[:n], dtype=np.float64)
    base = float(s.base_npv)
    y = np.arange(n)[::-1].astype(float)
    c_low, c_high = colors(2)
    with style():
        ax = new_axes(ax, (7.6, 0.42 * n + 1.9))
        ax.barh(y, low - base, left=base, height=0.62, color=c_low, label=f"at {1 - s.change:.0%}")
        ax.barh(
            y, high - base, left=base, height=0.62, color=c_high, label=f"at {1 + s.change:.0%}"
        )
        ax.axvline(base, color=INK, linewidth=1.0)
        ax.annotate(
            f"plan NPV {compact(base, 'money')}",
            (base, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -2),
            textcoords="offset points",
            va="top",
            fontsize=8.5,
            color=MUTED,
        )
        ax.set_yticks(y, labels)
        ends = np.concatenate([low, high, [base]])
        span = float(ends.max() - ends.min()) or abs(base) or 1.0
        ax.set_xlim(float(ends.min()) - 0.06 * span, float(ends.max()) + 0.06 * span)
        ax.set_ylim(-0.7, n + 0.2)
        axis_format(ax, "x", "money")
        ax.set_xlabel("NPV")
        ax.set_ylabel("Assumption")
        ax.legend(loc="lower right", title="Assumption")
        if n:
            title(
                ax,
                f"NPV at ±{s.change:.0%} of each assumption: {labels[0]} matters most",
            )
        else:
            title(ax, "NPV sensitivity: no assumption to vary")
    return ax


def npv_distribution_chart(
    simulation: BusinessCaseSimulation, *, bins: int = 50, ax: Axes | None = None
) -> Axes:
    """Draw the distribution of NPV over the simulated futures, with P(NPV < 0).

    Parameters
    ----------
    simulation : BusinessCaseSimulation
        From :func:`crmkit.roi.simulate_business_case`.
    bins : int, default 50
        Histogram bins, between 5 and 200.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
        The histogram of NPV, the futures that lose money (NPV < 0) in red,
        the 5th, 50th and 95th percentiles marked.

    Raises
    ------
    InputError
        If *simulation* is not a :class:`~crmkit.roi.BusinessCaseSimulation`
        or *bins* is out of range.
    ImportError
        When matplotlib (the ``plot`` extra) is not installed.

    References
    ----------
    .. [1] Hertz, D. B. (1964). "Risk analysis in capital investment."
       *Harvard Business Review*, 42(1), 95-106.

    Examples
    --------
    .. plot::
        :filename-prefix: npv_distribution_chart

        >>> from crmkit.roi import BenefitStream, BusinessCase, CostItem
        >>> case = BusinessCase(
        ...     costs=(
        ...         CostItem(
        ...             name="CRM suite",
        ...             category="technology",
        ...             one_off=300_000.0,
        ...             recurring=120_000.0,
        ...         ),
        ...     ),
        ...     benefits=(
        ...         BenefitStream(
        ...             name="cross-sell",
        ...             kind="revenue growth",
        ...             value=270_000.0,
        ...             ramp_up=(0.3, 0.7),
        ...         ),
        ...     ),
        ...     periods=5,
        ...     discount_rate=0.1,
        ...     first_period=0,
        ... )
        >>> from crmkit import plot
        >>> from crmkit.roi import Triangular, simulate_business_case
        >>> futures = simulate_business_case(
        ...     case,
        ...     distributions={"cross-sell": Triangular(low=0.4, mode=0.9, high=1.2)},
        ...     n_simulations=20_000,
        ...     seed=2025,
        ... )
        >>> ax = plot.npv_distribution_chart(futures)
        >>> ax.get_ylabel()
        'Simulated futures'
    """
    check_result(
        simulation, BusinessCaseSimulation, chart="npv_distribution_chart", name="simulation", ax=ax
    )
    k = integer(
        bins, name="bins", function="crmkit.plot.npv_distribution_chart", minimum=5, maximum=200
    )
    s = simulation
    npv = np.asarray(s.npv, dtype=np.float64)
    lo, hi = (float(npv.min()), float(npv.max())) if npv.size else (-1.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    width = (hi - lo) / k
    if lo < 0 < hi:  # zero is a bin edge: no bin holds futures that lose and futures that gain
        edges = width * np.arange(np.floor(lo / width), np.ceil(hi / width) + 1)
    else:
        edges = np.linspace(lo, hi, k + 1)
    c_gain, _, _, c_loss = colors(4)
    with style():
        ax = new_axes(ax, (7.4, 4.4))
        bounds = edges.tolist()
        ax.hist(npv[npv >= 0], bins=bounds, color=c_gain, alpha=0.85, label="NPV >= 0")
        ax.hist(npv[npv < 0], bins=bounds, color=c_loss, alpha=0.85, label="NPV < 0")
        for value, name, style_ in (
            (s.npv_p5, "P5", ":"),
            (s.npv_p50, "P50", "--"),
            (s.npv_p95, "P95", ":"),
        ):
            ax.axvline(value, color=INK, linestyle=style_, linewidth=1.2)
            ax.annotate(
                f"{name} {compact(value, 'money')}",
                (value, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                fontsize=8,
                color=INK,
            )
        axis_format(ax, "x", "money")
        axis_format(ax, "y", "count")
        ax.set_xlabel("NPV of a simulated future")
        ax.set_ylabel("Simulated futures")
        ax.legend(loc="center right")
        title(
            ax,
            f"NPV over {s.n_simulations:,} simulated futures: P(NPV < 0) = "
            f"{s.p_npv_negative:.1%}, median {compact(s.npv_p50, 'money')}",
        )
    return ax
