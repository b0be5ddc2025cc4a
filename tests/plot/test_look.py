"""The look of the main charts, compared with stored images (RMS tolerance).

Regenerate the images after an intended change of style with
``CRMKIT_UPDATE_BASELINES=1 pytest tests/plot/test_look.py`` and review them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from matplotlib.testing.compare import compare_images

import crmkit.plot as cplot

BASELINE = Path(__file__).parent / "baseline"
TOLERANCE = 6.0  # RMS over 0-255 channels: catches a changed layout or palette, not anti-aliasing

LOOKS = {
    "segment_map": "segments",
    "lorenz_chart": "lorenz",
    "cohort_heatmap": "cohorts",
    "forecast_fan": "distribution",
    "whale_chart": "whale",
    "frequency_recency_heatmap": "alive",
}


@pytest.mark.parametrize("chart", sorted(LOOKS))
def test_chart_looks_as_stored(chart, results, tmp_path):
    ax = getattr(cplot, chart)(results[LOOKS[chart]])
    actual = tmp_path / f"{chart}.png"
    ax.figure.savefig(actual, dpi=60)
    expected = BASELINE / f"{chart}.png"
    if os.environ.get("CRMKIT_UPDATE_BASELINES"):
        BASELINE.mkdir(exist_ok=True)
        expected.write_bytes(actual.read_bytes())
    assert expected.exists(), f"no stored image for {chart}; see this module's docstring"
    diff = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert diff is None, diff
