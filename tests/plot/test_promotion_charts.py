"""The campaign, attribution, lift and business-case charts draw their result's numbers.

Oracle: the result each chart is given (bar lengths, interval ends and histogram counts are
read back from the drawn artists and compared with the result's fields).
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Rectangle

import crmkit.plot as cplot
from crmkit.errors import InputError
from crmkit.roi import campaign_results


def _bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0]


@pytest.mark.parametrize(
    ("key", "chart"),
    [
        ("campaigns", "campaign_roi_chart"),
        ("attribution", "attribution_chart"),
        ("lift", "lift_chart"),
        ("business_case", "cash_flow_chart"),
        ("tornado", "tornado_chart"),
        ("futures", "npv_distribution_chart"),
    ],
)
def test_result_plot_is_its_chart(results, key, chart):
    result = results[key]
    assert type(result)._plot == chart
    assert result.plot().get_title() == getattr(cplot, chart)(result).get_title()


def test_campaign_roi_bars_are_ranked_and_cut_in_the_middle(results):
    r = results["campaigns"]
    ax = cplot.campaign_roi_chart(r, top=10)
    widths = [b.get_width() for b in _bars(ax)]
    ranked = np.sort(r.roi[np.isfinite(r.roi)])[::-1]
    # drawn top to bottom: the five best, then the five worst
    expected = np.r_[ranked[:5], ranked[-5:]]
    np.testing.assert_allclose(widths, expected)
    assert f"({r.roi.size - 10:,} in the middle not shown)" in ax.get_ylabel()
    assert any(line.get_xdata()[0] == 0 for line in ax.get_lines())  # the break-even line
    texts = [t.get_text() for t in ax.texts]
    assert "break-even" in texts
    best = int(np.nanargmax(r.roi))
    assert any(t.startswith(f"{r.roi[best]:.0%} on ") for t in texts)


def test_campaign_roi_by_channel_names_the_dimension(results):
    r = results["campaigns_by_channel"]
    ax = cplot.campaign_roi_chart(r)
    assert ax.get_ylabel() == "Channel"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    order = np.argsort(-r.roi, kind="stable")
    assert labels == [str(r.groups["channel"][i]) for i in order]
    assert f"{r.totals.roi:.0%} overall" in ax.get_title()


def test_campaign_roi_without_spend_is_labelled_not_drawn_as_nan():
    from crmkit.roi import Campaigns, CustomerRevenue, MarginRate, customer_pnl

    pnl = customer_pnl(
        {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [500.0, 700.0]},
        margin=MarginRate(rate=0.4),
    )
    table = Campaigns.from_arrays(
        campaign=["free", "paid", "idle"], budget=[0.0, 100.0, 0.0], spend=[0.0, 100.0, 0.0]
    )
    r = campaign_results(
        table,
        leads=None,
        opportunities=None,
        revenue=CustomerRevenue(pnl=pnl, customer=[1, 2], campaign=["free", "paid"]),
    )
    assert np.isposinf(r.roi[0])
    assert np.isnan(r.roi[2])
    ax = cplot.campaign_roi_chart(r)
    texts = [t.get_text() for t in ax.texts]
    assert "gain without spend" in texts
    assert "no spend, no gain" in texts
    assert all(np.isfinite(b.get_width()) for b in ax.patches)


def test_attribution_bars_are_shares_that_add_up_per_model(results):
    c = results["attribution"]
    ax = cplot.attribution_chart(c)
    bars = _bars(ax)
    n_ch, n_m = c.value.shape
    assert len(bars) == n_ch * n_m
    widths = np.array([b.get_width() for b in bars]).reshape(n_m, n_ch)  # drawn model by model
    np.testing.assert_allclose(widths.sum(axis=1), 1.0)
    np.testing.assert_allclose(widths.T, c.value / c.value.sum(axis=0))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(c.models)


def test_lift_intervals_are_the_results(results):
    t = results["lift"]
    ax = cplot.lift_chart(t)
    errorbar = ax.containers[0]
    segments = errorbar.lines[2][0].get_segments()
    lows = [min(s[:, 0]) for s in segments]
    highs = [max(s[:, 0]) for s in segments]
    np.testing.assert_allclose(lows, t.ci_low)
    np.testing.assert_allclose(highs, t.ci_high)
    assert f"{int(t.significant.sum())} of 3 campaigns" in ax.get_title()
    one = cplot.lift_chart(t.take([0]))
    assert f"{100 * t.absolute_lift[0]:+.1f} points" in one.get_title()


def test_cash_flow_chart_marks_the_payback(results):
    r = results["business_case"]
    ax = cplot.cash_flow_chart(r)
    cumulative = ax.get_lines()[0]
    np.testing.assert_allclose(cumulative.get_ydata(), r.cumulative_cash_flow)
    assert any(t.get_text() == f"payback after {r.payback_period:.1f} years" for t in ax.texts)
    assert f"NPV {cplot._style.compact(r.npv, 'money')}" in ax.get_title()


def test_tornado_bars_run_from_the_plan_to_each_end(results):
    s = results["tornado"]
    ax = cplot.tornado_chart(s, top=3)
    bars = [b for b in ax.patches if isinstance(b, Rectangle)]
    assert len(bars) == 6
    lows, highs = bars[:3], bars[3:]
    for bar, npv in zip(lows, s.low_npv[:3], strict=True):
        assert bar.get_x() == pytest.approx(s.base_npv)
        assert bar.get_x() + bar.get_width() == pytest.approx(npv)
    for bar, npv in zip(highs, s.high_npv[:3], strict=True):
        assert bar.get_x() + bar.get_width() == pytest.approx(npv)
    assert [t.get_text() for t in ax.get_yticklabels()] == s.assumption[:3].tolist()


def test_npv_distribution_counts_every_future_and_the_losses(results):
    sim = results["futures"]
    ax = cplot.npv_distribution_chart(sim, bins=30)
    heights = np.array([b.get_height() for b in ax.patches])
    assert heights.sum() == sim.n_simulations
    losses = [b for b in ax.patches if b.get_x() + b.get_width() <= 0]
    assert sum(b.get_height() for b in losses) == np.count_nonzero(sim.npv < 0)
    assert f"P(NPV < 0) = {sim.p_npv_negative:.1%}" in ax.get_title()


@pytest.mark.parametrize(
    ("chart", "key", "option"),
    [
        ("campaign_roi_chart", "campaigns", {"top": 1}),
        ("tornado_chart", "tornado", {"top": 0}),
        ("npv_distribution_chart", "futures", {"bins": 2}),
    ],
)
def test_options_are_checked(results, chart, key, option):
    with pytest.raises(InputError) as err:
        getattr(cplot, chart)(results[key], **option)
    (name,) = option
    assert err.value.field == name
    assert f"crmkit.plot.{chart}" in str(err.value)


def test_wrong_result_names_the_expected_one(results):
    with pytest.raises(InputError) as err:
        cplot.tornado_chart(results["business_case"])
    assert err.value.field == "sensitivity"
    assert "Sensitivity" in str(err.value)


@pytest.mark.parametrize(
    ("key", "chart"),
    [
        ("campaigns", "campaign_roi_chart"),
        ("attribution", "attribution_chart"),
        ("lift", "lift_chart"),
        ("business_case", "cash_flow_chart"),
        ("tornado", "tornado_chart"),
        ("futures", "npv_distribution_chart"),
        ("trends", "segment_trends_chart"),
        ("segments", "segment_map"),
    ],
)
def test_an_ax_that_is_not_axes_is_refused_by_name(results, key, chart):
    with pytest.raises(InputError) as err:
        getattr(cplot, chart)(results[key], ax="left")
    assert err.value.field == "ax"
    assert f"crmkit.plot.{chart} must be a matplotlib Axes" in str(err.value)
    assert "Got 'str' instead" in str(err.value)
