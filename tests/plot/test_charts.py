"""Every chart renders headlessly to a non-blank PNG, with a title and axis labels,
leaves the caller's rcParams alone, and is reachable as ``result.plot()``."""

from __future__ import annotations

import io
import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import crmkit.plot as cplot
from crmkit.errors import InputError

# chart name -> the fixture result it draws
CHARTS = {
    "segment_map": "segments",
    "rfm_heatmap": "scores",
    "migration_heatmap": "migration",
    "lorenz_chart": "lorenz",
    "abc_chart": "abc",
    "customer_pyramid": "tiers",
    "value_potential_chart": "value_matrix",
    "wallet_gap_chart": "wallet",
    "segment_bars": "segment_summary",
    "transition_heatmap": "transition",
    "stage_flow": "projection",
    "cohort_heatmap": "cohorts",
    "retention_curves": "cohorts",
    "survival_curves": "time_in_stage",
    "churn_chart": "churn",
    "funnel_chart": "rates",
    "calibration_chart": "rates",
    "forecast_fan": "distribution",
    "quota_chart": "distribution",
    "reliability_diagram": "evaluation",
    "backtest_chart": "backtest",
    "scorecard_chart": "scorecard",
    "whale_chart": "whale",
    "pnl_waterfall": "pnl",
    "segment_profit_chart": "segment_profit",
    "holdout_chart": "holdout",
    "frequency_recency_heatmap": "alive",
    "repeat_purchase_chart": "histogram",
    "tracking_chart": "tracking",
    "clv_histogram": "clv",
}


def test_every_chart_is_listed():
    charts = {n for n in cplot.__all__ if n.islower()}
    assert charts == set(CHARTS)


def _png(ax) -> np.ndarray:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    assert buf.tell() > 5_000  # a real picture, not an empty canvas
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_chart_renders_with_title_and_labels(chart, results):
    before = dict(mpl.rcParams)
    ax = getattr(cplot, chart)(results[CHARTS[chart]])
    assert ax.get_title().strip(), chart
    assert ax.get_xlabel().strip(), chart
    assert ax.get_ylabel().strip(), chart
    pixels = _png(ax)
    # not blank: plenty of pixels differ from the white background, in several colours
    ink = np.any(pixels < 235, axis=2)
    assert ink.mean() > 0.02, chart
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20, chart
    after = dict(mpl.rcParams)
    changed = {k for k in before if before[k] != after[k] and k != "backend"}
    assert not changed, changed


@pytest.mark.parametrize("chart", ["segment_map", "cohort_heatmap", "whale_chart"])
def test_chart_draws_into_the_given_axes(chart, results):
    _fig, (left, right) = plt.subplots(1, 2)
    out = getattr(cplot, chart)(results[CHARTS[chart]], ax=right)
    assert out is right
    assert not left.has_data()
    assert right.has_data() or right.images


def test_result_plot_method_draws_the_main_chart(results):
    ax = results["segments"].plot()
    assert ax.get_title().startswith("RFM segment map")
    ax = results["panel"].plot()
    assert ax.get_xlabel() == "Period"
    with pytest.raises(TypeError, match="no chart"):
        results["rfm"].plot()


def test_wrong_result_is_an_input_error(results):
    with pytest.raises(InputError) as err:
        cplot.segment_map(results["scores"])
    assert err.value.field == "result"
    assert "Segments" in str(err.value)


def test_chart_options_are_checked(results):
    with pytest.raises(InputError) as err:
        cplot.segment_map(results["segments"], size="profit")
    assert err.value.field == "size"
    with pytest.raises(InputError) as err:
        cplot.wallet_gap_chart(results["wallet"], bins=1)
    assert err.value.field == "bins"
    with pytest.raises(InputError) as err:
        cplot.scorecard_chart(results["scorecard"], metrics=["happiness"])
    assert err.value.field == "metrics"
    with pytest.raises(InputError) as err:
        cplot.survival_curves(results["time_in_stage"], level=1.5)
    assert err.value.field == "level"
    with pytest.raises(InputError) as err:
        cplot.pnl_waterfall(results["pnl"], customer=-1)
    assert err.value.field == "customer"


def test_quota_chart_needs_quotas(results):
    sim = results["opportunities_sim"]
    from crmkit.funnel import lattice_forecast

    plain = lattice_forecast(sim.opportunities, period="month", probabilities="configured")
    with pytest.raises(InputError, match="needs quotas"):
        cplot.quota_chart(plain)


def test_forecast_fan_asks_to_select_many_cells(results):
    sim = results["opportunities_sim"]
    from crmkit.funnel import lattice_forecast

    d = lattice_forecast(
        sim.opportunities, period="month", by=["region", "product"], probabilities="configured"
    )
    with pytest.raises(InputError) as err:
        cplot.forecast_fan(d)
    assert "filter" in str(err.value)
    east = d.filter(d.groups["region"] == "east")
    assert cplot.forecast_fan(east).get_legend() is not None


def test_stage_flow_of_a_panel_counts_customers(results):
    panel = results["panel"]
    ax = cplot.stage_flow(panel, share=False)
    assert ax.get_ylabel() == "Customers"
    top = max(c.get_paths()[0].vertices[:, 1].max() for c in ax.collections)
    periods, counts = np.unique(panel.period, return_counts=True)
    assert top == pytest.approx(counts.max())
    del periods


def test_pnl_waterfall_adds_up(results):
    pnl = results["pnl"]
    one = int(pnl.customer[0])
    ax = cplot.pnl_waterfall(pnl, customer=one)
    assert f"customer {one}" in ax.get_title()
    bars = ax.patches
    profit = bars[-1].get_height()
    assert profit == pytest.approx(float(pnl.profit[0]))


def test_import_plot_is_lean():
    code = (
        "import sys, crmkit.plot\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'matplotlib', 'scipy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_matplotlib_names_the_extra(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"crmkit\[plot\]"):
        cplot.lorenz_chart(results["lorenz"])


def test_every_chart_is_drawn_in_the_docs():
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "api" / "plot.md").read_text()
    for chart in CHARTS:
        doc = getattr(cplot, chart).__doc__
        assert ".. plot::" in doc, chart
        assert f":filename-prefix: {chart}\n" in doc, chart
        assert f".. autofunction:: crmkit.plot.{chart}\n" in page, chart
