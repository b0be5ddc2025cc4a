"""Property tests of stage histories and calibration invariants."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from crmkit.errors import InputError
from crmkit.funnel import DEFAULT_PROCESS, StageHistory, fit_stage_rates
from tests.funnel.strategies import history_columns


def _build(cols) -> StageHistory:
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=cols["opportunity"],
        stage=cols["stage"],
        entered=cols["entered"],
        dimensions={"team": cols["team"]},
    )


@settings(max_examples=50, deadline=None)
@given(history_columns())
def test_history_keeps_every_row_and_inputs_unchanged(cols):
    before = {k: v.copy() for k, v in cols.items()}
    h = _build(cols)
    for k, v in cols.items():
        np.testing.assert_array_equal(v, before[k])
    assert h.n_rows == cols["stage"].size
    assert h.n_opportunities == np.unique(cols["opportunity"]).size
    assert np.all(np.diff(h.offsets) >= 1)
    for j in range(h.n_opportunities):
        rows = slice(h.offsets[j], h.offsets[j + 1])
        assert np.all(np.diff(h.entered[rows].astype(np.int64)) >= 0)
        mask = cols["opportunity"] == h.opportunity[j]
        np.testing.assert_array_equal(h.stage[rows], cols["stage"][mask])


@settings(max_examples=50, deadline=None)
@given(history_columns())
def test_calibration_counts_are_consistent(cols):
    h = _build(cols)
    closed = h.outcome >= DEFAULT_PROCESS.won_code
    if not closed.any():
        try:
            fit_stage_rates(h)
        except InputError:
            return
        raise AssertionError("fit_stage_rates accepted a history without closed deals")
    rates = fit_stage_rates(h, by="team", shrinkage=3.0)
    assert np.all(np.diff(rates.n_reached) <= 0)
    assert np.all(np.diff(rates.n_won) <= 0)
    assert np.all(rates.n_won <= rates.n_reached)
    assert np.all(rates.n_won == rates.n_won[-1])  # won deals reached every stage
    assert rates.n_won[0] == int((h.outcome == DEFAULT_PROCESS.won_code).sum())
    assert np.all((rates.lower <= rates.win_rate) & (rates.win_rate <= rates.upper))
    assert np.all((rates.win_rate > 0) & (rates.win_rate < 1))
    np.testing.assert_array_equal(rates.group_n_reached.sum(axis=0), rates.n_reached)
    np.testing.assert_array_equal(rates.group_n_won.sum(axis=0), rates.n_won)
    lo = np.minimum(rates.group_win_rate, rates.win_rate)
    hi = np.maximum(rates.group_win_rate, rates.win_rate)
    assert np.all(lo <= hi)
    assert rates.n_closed + rates.n_open_excluded == h.n_opportunities
    assert rates.reasons.count.sum() == rates.n_closed
