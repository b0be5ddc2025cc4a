"""Backtests: snapshot reconstruction, known actuals, calibrated vs configured, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.datasets import simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    StageHistory,
    backtest_forecast,
    pipeline_snapshot,
    truncate_history,
)
from tests.funnel.strategies import history_columns


def _history() -> StageHistory:
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 2, 2, 3, 3, 4],
        stage=["plan", "won", "close", "won", "qualify", "lost", "propose solution"],
        entered=[
            "2024-01-01",
            "2024-02-10",
            "2024-01-05",
            "2024-05-01",
            "2024-01-02",
            "2024-01-20",
            "2024-01-03",
        ],
    )


IDS = [1, 2, 3, 4]
AMOUNT = [1_000.0, 2_000.0, 4_000.0, 8_000.0]
EXPECTED = ["2024-02-01", "2024-02-15", "2024-02-20", "2024-01-10"]


def test_snapshot_reconstruction_by_hand():
    snap = pipeline_snapshot(
        _history(), as_of="2024-01-15", opportunity=IDS, amount=AMOUNT, expected_close=EXPECTED
    )
    assert snap.id.tolist() == [1, 2, 3, 4]
    assert snap.stage_names.tolist() == ["plan", "close", "qualify", "propose solution"]
    # deal 4's expected date had passed: it is pushed to the snapshot time
    assert str(snap.close_date[3]) == "2024-01-15T00:00:00.000000"
    later = pipeline_snapshot(
        _history(), as_of="2024-03-01", opportunity=IDS, amount=AMOUNT, expected_close=EXPECTED
    )
    assert later.id.tolist() == [2, 4]


def test_known_forecast_and_actual():
    bt = backtest_forecast(
        _history(),
        opportunity=IDS,
        amount=AMOUNT,
        expected_close=EXPECTED,
        snapshots=["2024-01-15"],
        horizon_days=45,
        methods=("configured",),
    )
    # horizon [01-15, 02-29): deals 1 (plan .4), 2 (close .8), 3 (qualify .2), 4 (propose .6)
    assert bt.forecast[0] == pytest.approx(0.4 * 1000 + 0.8 * 2000 + 0.2 * 4000 + 0.6 * 8000)
    # only deal 1 was won inside the horizon (deal 2 slipped to May)
    assert bt.actual[0] == 1_000.0
    assert bt.mape[0] == pytest.approx(abs(bt.forecast[0] - 1000) / 1000)
    assert bt.coverage[0] == 0.0
    json.dumps(bt.to_dict())


def test_truncated_history_hides_the_future():
    h = truncate_history(_history(), "2024-02-01")
    assert h.opportunity.tolist() == [1, 2, 3, 4]
    assert h.outcome.tolist() == [2, 4, 6, 3]
    assert h.n_rows == 5


def test_snapshot_at_the_end_matches_the_simulated_pipeline():
    sim = simulate_pipeline(600, "2023-01-01", "2024-01-01", seed=8)
    snap = pipeline_snapshot(
        sim.history,
        as_of=sim.as_of,
        opportunity=sim.opportunities.id,
        amount=sim.opportunities.amount,
        expected_close=sim.opportunities.close_date,
    )
    o = sim.opportunities
    np.testing.assert_array_equal(snap.id, o.id[o.is_open])
    np.testing.assert_array_equal(snap.stage, o.stage[o.is_open])


def test_calibrated_probabilities_beat_configured_ones_on_biased_defaults():
    # the simulator's true rates are below the configured 10/20/40/60/80 ladder
    gains = []
    for seed in range(3):
        sim = simulate_pipeline(4000, "2021-01-01", "2024-07-01", seed=seed)
        bt = backtest_forecast(
            sim.history,
            opportunity=sim.opportunities.id,
            amount=sim.opportunities.amount,
            expected_close=sim.deals["expected_close"],
            snapshots=[f"{y}-{m:02d}-01" for y in (2022, 2023) for m in (1, 4, 7, 10)],
            horizon_days=90,
            methods=("configured", "calibrated"),
            maturity_days=120,
        )
        gains.append(abs(bt.bias[0]) - abs(bt.bias[1]))
        assert np.all(bt.p10 <= bt.p90)
    assert np.mean(gains) > 0


def test_bad_arguments():
    kw = {"opportunity": IDS, "amount": AMOUNT, "expected_close": EXPECTED}
    with pytest.raises(InputError, match="methods"):
        backtest_forecast(
            _history(), snapshots=["2024-01-15"], horizon_days=30, methods=("guess",), **kw
        )
    with pytest.raises(InputError, match="snapshots"):
        backtest_forecast(_history(), snapshots=[], horizon_days=30, methods=("configured",), **kw)
    with pytest.raises(InputError, match="horizon_days"):
        backtest_forecast(
            _history(), snapshots=["2024-01-15"], horizon_days=0, methods=("configured",), **kw
        )
    with pytest.raises(InputError) as err:
        pipeline_snapshot(
            _history(),
            as_of="2024-01-15",
            opportunity=[1, 2],
            amount=[1.0, 2.0],
            expected_close=EXPECTED[:2],
        )
    assert err.value.n_bad == 2
    assert err.value.values == (3, 4)


def test_recorded_snapshots_give_the_same_backtest_as_reconstructed_ones():
    kw = {"opportunity": IDS, "amount": AMOUNT, "expected_close": EXPECTED}
    rebuilt = backtest_forecast(
        _history(), snapshots=["2024-01-15"], horizon_days=45, methods=("configured",), **kw
    )
    snap = pipeline_snapshot(_history(), as_of="2024-01-15", **kw)
    given = backtest_forecast(
        _history(), snapshots=[("2024-01-15", snap)], horizon_days=45, methods=("configured",)
    )
    assert given.to_dict() == rebuilt.to_dict()
    with pytest.raises(InputError, match="opportunity"):
        backtest_forecast(
            _history(), snapshots=["2024-01-15"], horizon_days=45, methods=("configured",)
        )
    from crmkit.funnel import Opportunities

    stranger = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[99], amount=[1.0], stage=["plan"], close_date=["2024-02-01"]
    )
    with pytest.raises(InputError, match="history"):
        backtest_forecast(
            _history(),
            snapshots=[("2024-01-15", stranger)],
            horizon_days=45,
            methods=("configured",),
        )


def test_backtest_by_dimension_adds_up_to_the_total():
    sim = simulate_pipeline(2500, "2022-01-01", "2024-07-01", seed=3)
    kw = {
        "opportunity": sim.opportunities.id,
        "amount": sim.opportunities.amount,
        "expected_close": sim.deals["expected_close"],
        "snapshots": ["2023-01-01", "2023-07-01"],
        "horizon_days": 90,
        "methods": ("configured", "calibrated"),
    }
    total = backtest_forecast(sim.history, **kw)
    per = backtest_forecast(sim.history, by="region", **kw)
    assert set(per.group.tolist()) == {"east", "north", "south", "west"}
    assert per.summary_group.size == 2 * 4
    for snap in np.unique(total.snapshot):
        for m in ("configured", "calibrated"):
            t = (total.snapshot == snap) & (total.method == m)
            g = (per.snapshot == snap) & (per.method == m)
            assert per.forecast[g].sum() == pytest.approx(total.forecast[t].sum())
            assert per.actual[g].sum() == pytest.approx(total.actual[t].sum())
    assert per.best_method() in {"configured", "calibrated"}
    with pytest.raises(InputError, match="by"):
        backtest_forecast(sim.history, by="planet", **kw)


def _team_history() -> StageHistory:
    # team a: 2 of 3 plan deals won; team b: 0 of 2; deals 6 and 7 are open at the snapshot
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7],
        stage=[*("plan", "won") * 2, *("plan", "lost") * 3, "plan", "won", "plan"],
        entered=["2023-01-01", "2023-02-01"] * 5 + ["2024-01-01", "2024-01-20", "2024-01-02"],
        dimensions={"team": list("aaaaaabbbbaab")},
    )


def test_group_calibration_by_hand_without_shrinkage():
    bt = backtest_forecast(
        _team_history(),
        opportunity=[1, 2, 3, 4, 5, 6, 7],
        amount=[1.0] * 5 + [1_000.0, 3_000.0],
        expected_close=["2023-02-01"] * 5 + ["2024-01-25", "2024-01-30"],
        snapshots=["2024-01-10"],
        horizon_days=30,
        methods=("calibrated", "calibrated_by_group"),
        calibrate_by="team",
        shrinkage=0.0,
    )
    assert bt.method.tolist() == ["calibrated", "calibrated_by_group"]
    assert bt.calibrate_by == "team"
    overall = (2 + 0.5) / (5 + 1)  # Jeffreys posterior mean of 2 wins in 5 plan deals
    assert bt.forecast[0] == pytest.approx(4_000.0 * overall)
    # per team, no pull toward the overall rate: a 2/3, b 0/2 (fit_stage_rates adds
    # 1e-9 pseudo-deals at zero shrinkage to keep the Beta proper)
    assert bt.forecast[1] == pytest.approx(1_000.0 * 2 / 3 + 3_000.0 * 0.0, abs=1e-5)
    assert bt.actual.tolist() == [1_000.0, 1_000.0]
    assert bt.summary_method.tolist() == ["calibrated", "calibrated_by_group"]
    assert bt.best_method() == "calibrated_by_group"
    json.dumps(bt.to_dict())


@settings(max_examples=30, deadline=None)
@given(history_columns(max_opps=10), st.floats(min_value=0.0, max_value=50.0))
def test_group_calibration_converges_to_overall_and_keeps_actuals(cols, m):
    h = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=cols["opportunity"],
        stage=cols["stage"],
        entered=cols["entered"],
        dimensions={"team": cols["team"]},
    )
    assume((h.outcome >= DEFAULT_PROCESS.won_code).any())  # something to calibrate on
    ids = np.unique(cols["opportunity"])
    kw = {
        "opportunity": ids,
        "amount": np.full(ids.size, 100.0),
        "expected_close": np.full(ids.size, np.datetime64("2025-06-01", "D")),
        "snapshots": ["2025-06-01"],  # after every row: the open deals are the snapshot
        "horizon_days": 10,
        "by": "team",
    }
    bt = backtest_forecast(
        h, methods=("calibrated", "calibrated_by_group"), calibrate_by="team", shrinkage=m, **kw
    )
    huge = backtest_forecast(
        h, methods=("calibrated", "calibrated_by_group"), calibrate_by="team", shrinkage=1e12, **kw
    )
    cal, grp = huge.method == "calibrated", huge.method == "calibrated_by_group"
    # infinite shrinkage: per-group calibration is overall calibration
    np.testing.assert_allclose(huge.forecast[grp], huge.forecast[cal], rtol=1e-6, atol=1e-6)
    # forecasts are amounts times probabilities in [0, 1]
    assert np.all((bt.forecast >= -1e-9) & (bt.forecast <= 100.0 * bt.n_open + 1e-6))
    np.testing.assert_array_equal(bt.actual[bt.method == "calibrated"], bt.actual[grp])


def test_group_calibration_on_simulated_regions():
    sim = simulate_pipeline(2500, "2022-01-01", "2024-07-01", seed=5)
    bt = backtest_forecast(
        sim.history,
        opportunity=sim.opportunities.id,
        amount=sim.opportunities.amount,
        expected_close=sim.deals["expected_close"],
        snapshots=["2023-01-01", "2023-07-01"],
        horizon_days=90,
        methods=("configured", "calibrated", "calibrated_by_group"),
        calibrate_by="region",
        by="region",
    )
    assert bt.summary_method.size == 3 * 4
    assert set(bt.method.tolist()) == {"configured", "calibrated", "calibrated_by_group"}
    assert bt.best_method() in {"configured", "calibrated", "calibrated_by_group"}
    for m in ("calibrated", "calibrated_by_group"):
        sel = bt.method == m
        assert np.all(bt.p10[sel] <= bt.forecast[sel] + 1e-6)


def test_group_calibration_arguments():
    kw = {
        "opportunity": IDS,
        "amount": AMOUNT,
        "expected_close": EXPECTED,
        "snapshots": ["2024-01-15"],
        "horizon_days": 30,
    }
    h = _team_history()
    kw7 = {**kw, "opportunity": [1, 2, 3, 4, 5, 6, 7], "amount": [1.0] * 7}
    kw7["expected_close"] = ["2024-01-20"] * 7
    with pytest.raises(InputError) as err:
        backtest_forecast(h, methods=("calibrated_by_group",), **kw7)
    assert err.value.field == "calibrate_by"
    with pytest.raises(InputError) as err:
        backtest_forecast(h, methods=("calibrated",), calibrate_by="team", **kw7)
    assert err.value.field == "calibrate_by"
    with pytest.raises(InputError, match="planet"):
        backtest_forecast(h, methods=("calibrated_by_group",), calibrate_by="planet", **kw7)
    for bad in (-1.0, float("nan"), True, "20"):
        with pytest.raises(InputError) as err:
            backtest_forecast(
                h, methods=("calibrated_by_group",), calibrate_by="team", shrinkage=bad, **kw7
            )
        assert err.value.field == "shrinkage"
    from crmkit.funnel import Opportunities

    no_team = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[7], amount=[1.0], stage=["plan"], close_date=["2024-01-20"]
    )
    with pytest.raises(InputError, match="snapshots"):
        backtest_forecast(
            h,
            snapshots=[("2024-01-10", no_team)],
            horizon_days=30,
            methods=("calibrated_by_group",),
            calibrate_by="team",
        )


def test_calendar_period_backtest_matches_the_same_window_in_days():
    # snapshot 2024-01-01 with "the current month" is the 31-day window
    kw = {
        "opportunity": IDS,
        "amount": AMOUNT,
        "expected_close": EXPECTED,
        "snapshots": ["2024-01-01"],
        "methods": ("configured",),
    }
    by_days = backtest_forecast(_history(), horizon_days=31, **kw)
    by_month = backtest_forecast(_history(), period="month", include_current=True, **kw)
    np.testing.assert_array_equal(by_days.forecast, by_month.forecast)
    np.testing.assert_array_equal(by_days.actual, by_month.actual)
    assert by_month.period == "month"
    assert by_month.horizon_days is None
    assert str(by_month.window_end[0])[:10] == "2024-02-01"
    nxt = backtest_forecast(_history(), period="month", **kw | {"snapshots": ["2024-01-15"]})
    assert str(nxt.window_start[0])[:10] == "2024-02-01"
    assert str(nxt.window_end[0])[:10] == "2024-03-01"
    # deal 1 won on 02-10 inside February; deal 2 slipped to May
    assert nxt.actual[0] == 1_000.0
    with pytest.raises(InputError, match="exactly one") as err:
        backtest_forecast(_history(), **kw)
    assert err.value.field == "horizon_days"
    with pytest.raises(InputError, match="exactly one"):
        backtest_forecast(_history(), horizon_days=30, period="month", **kw)
    with pytest.raises(InputError) as err:
        backtest_forecast(_history(), period="fortnight", **kw)
    assert err.value.field == "period"


def test_snapshot_from_a_log_with_amounts_and_close_dates():
    from crmkit.datasets import simulate_pipeline

    sim = simulate_pipeline(600, "2023-01-01", "2024-01-01", seed=2)
    snap = pipeline_snapshot(sim.log, as_of="2023-10-01")
    old = pipeline_snapshot(
        sim.history,
        as_of="2023-10-01",
        opportunity=sim.opportunities.id,
        amount=sim.opportunities.amount,
        expected_close=sim.deals["expected_close"],
    )
    np.testing.assert_array_equal(snap.id, old.id)
    np.testing.assert_array_equal(snap.stage, old.stage)
    assert (snap.close_date >= np.datetime64("2023-10-01")).all()
    with pytest.raises(InputError) as err:
        pipeline_snapshot(sim.history, as_of="2023-10-01")
    assert err.value.field == "opportunity"
