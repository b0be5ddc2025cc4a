"""Trends per period, the exact lever split of velocity, and change tests that do not cry wolf."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import DEFAULT_PROCESS, Opportunities, detect_change, pipeline_trends


def _closed(
    won: list[bool], month: list[int], amount: list[float], cycle: list[int]
) -> Opportunities:
    close = np.datetime64("2024-01-15") + np.asarray(month, dtype="m8[M]").astype("m8[D]")
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=np.arange(len(won)),
        amount=amount,
        stage=["won" if w else "lost" for w in won],
        close_date=close,
        created=close - np.asarray(cycle, dtype="m8[D]"),
    )


def test_trends_by_hand():
    o = _closed(
        won=[True, True, False, True, False, False],
        month=[0, 0, 0, 1, 1, 1],
        amount=[100.0, 300.0, 50.0, 400.0, 10.0, 10.0],
        cycle=[10, 30, 5, 40, 1, 1],
    )
    t = pipeline_trends(o, period="month")
    assert t.period.tolist() == ["2024-01", "2024-02"]
    assert t.win_rate.tolist() == [2 / 3, 1 / 3]
    assert t.deal_size.tolist() == [200.0, 400.0]
    assert t.cycle_days.tolist() == [20.0, 40.0]
    assert t.velocity.tolist() == [400.0 / 20.0, 400.0 / 40.0]
    assert np.all((t.win_rate_lower < t.win_rate) & (t.win_rate < t.win_rate_upper))
    levers = np.array([t.lever_deals, t.lever_win_rate, t.lever_deal_size, t.lever_cycle])[:, 1]
    assert levers.sum() == pytest.approx(t.velocity_change[1], rel=1e-12)
    assert levers[0] == pytest.approx(0.0, abs=1e-12)  # as many deals closed both months
    assert levers[1] < 0
    assert levers[2] > 0
    assert levers[3] < 0
    assert np.isnan(t.velocity_lower[1])  # one won deal: no interval


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_levers_split_the_velocity_change_exactly(data):
    n = data.draw(st.integers(2, 40))
    o = _closed(
        won=data.draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        month=data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
        amount=data.draw(st.lists(st.floats(1, 1e6), min_size=n, max_size=n)),
        cycle=data.draw(st.lists(st.integers(1, 200), min_size=n, max_size=n)),
    )
    t = pipeline_trends(o, period="month")
    total = t.lever_deals + t.lever_win_rate + t.lever_deal_size + t.lever_cycle
    ok = ~np.isnan(total)
    np.testing.assert_allclose(total[ok], t.velocity_change[ok], rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(
        ok, (t.n_won > 0) & (np.roll(t.n_won, 1) > 0) & (np.arange(t.period.size) > 0)
    )
    assert np.all(t.n_won <= t.n_closed)


def test_false_alarms_on_stable_pipelines_stay_under_five_percent():
    """Simulated pipelines with a stable win rate: how often does a 'drop' get flagged?"""
    alarms = {"win_rate": 0, "deal_size": 0, "cycle_days": 0}
    runs = 200
    for seed in range(runs):
        sim = simulate_pipeline(1500, "2022-01-01", "2024-01-01", seed=seed)
        # a year after the first deals, closes are stationary: 2023-Q4 against 2023-Q1..Q3
        for metric, alt in (
            ("win_rate", "decrease"),
            ("deal_size", "decrease"),
            ("cycle_days", "increase"),
        ):
            test = detect_change(
                sim.opportunities,
                metric=metric,
                alternative=alt,
                period="quarter",
                recent=1,
                baseline=3,
            )
            alarms[metric] += int(test.alarm[0])
    rates = {k: v / runs for k, v in alarms.items()}
    # Fisher's exact test is conservative: its size is at most alpha whatever the counts
    assert rates["win_rate"] <= 0.05, rates
    # Mann-Whitney's size is alpha up to its normal approximation: allow two binomial sd of noise
    slack = 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs)
    assert rates["deal_size"] <= slack, rates
    assert rates["cycle_days"] <= slack, rates


def test_a_real_drop_is_flagged():
    rng = np.random.default_rng(3)
    n = 3000
    month = rng.integers(0, 12, n)
    p = np.where(month == 11, 0.15, 0.35)
    won = rng.random(n) < p
    o = _closed(won=won.tolist(), month=month.tolist(), amount=[1000.0] * n, cycle=[30] * n)
    test = detect_change(o, metric="win_rate", alternative="decrease", period="month", recent=1)
    assert bool(test.alarm[0])
    assert test.p_value[0] < 1e-6
    assert test.recent[0] == pytest.approx(won[month == 11].mean())
    up = detect_change(o, metric="win_rate", alternative="increase", period="month", recent=1)
    assert not up.alarm[0]


def test_change_test_by_hand_matches_fisher():
    from scipy.stats import fisher_exact

    o = _closed(
        won=[True] * 8 + [False] * 2 + [True] * 2 + [False] * 6,
        month=[0] * 10 + [1] * 8,
        amount=[1.0] * 18,
        cycle=[5] * 18,
    )
    test = detect_change(o, metric="win_rate", alternative="decrease", period="month")
    ref = fisher_exact([[2, 6], [8, 2]], alternative="less").pvalue
    assert test.p_value[0] == pytest.approx(ref, rel=1e-10)
    two = detect_change(o, metric="win_rate", alternative="two-sided", period="month")
    assert two.p_value[0] >= test.p_value[0]
    assert str(test.recent_start)[:10] == "2024-02-01"
    assert str(test.baseline_start)[:10] == "2024-01-01"


def test_trend_errors_name_the_field():
    o = _closed(won=[True], month=[0], amount=[1.0], cycle=[1])
    with pytest.raises(InputError) as err:
        pipeline_trends(o, period="fortnight")
    assert err.value.field == "period"
    with pytest.raises(InputError) as err:
        pipeline_trends(o, period="month", by=["region"])
    assert err.value.field == "by"
    with pytest.raises(InputError) as err:
        detect_change(o, metric="mood", alternative="decrease", period="month")
    assert err.value.field == "metric"
    with pytest.raises(InputError) as err:
        detect_change(o, metric="win_rate", alternative="down", period="month")
    assert err.value.field == "alternative"
    with pytest.raises(InputError) as err:
        detect_change(o, metric="win_rate", alternative="decrease", period="month", recent=0)
    assert err.value.field == "recent"
    nodate = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[1], amount=[1.0], stage=["won"], close_date=["2024-01-01"]
    )
    with pytest.raises(InputError, match="cycle") as err:
        pipeline_trends(nodate, period="month")
    assert err.value.field == "created"
