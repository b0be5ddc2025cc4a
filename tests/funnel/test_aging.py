"""Time to close (Kaplan-Meier with open deals censored) and deal aging."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit._survival import kaplan_meier
from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    PipelineState,
    StageHistory,
    deal_aging,
    fit_time_to_close,
)
from tests.funnel.strategies import history_columns


def _km_oracle(days: np.ndarray, event: np.ndarray) -> tuple[list[float], list[float]]:
    """Textbook Kaplan-Meier: at each distinct event time, S *= 1 - d / n."""
    times, surv, s = [], [], 1.0
    for t in np.unique(days[event]):
        at_risk = int((days >= t).sum())
        d = int(((days == t) & event).sum())
        s *= 1.0 - d / at_risk
        times.append(float(t))
        surv.append(s)
    return times, surv


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 30), st.booleans()), min_size=1, max_size=40
    )
)
def test_kaplan_meier_matches_the_textbook(rows):
    g = np.array([r[0] for r in rows], dtype=np.int64)
    d = np.array([r[1] for r in rows], dtype=np.float64)
    e = np.array([r[2] for r in rows])
    km = kaplan_meier(g, d, e, 3)
    for j in range(3):
        lo, hi = km.offsets[j], km.offsets[j + 1]
        times, surv = _km_oracle(d[g == j], e[g == j])
        assert km.time[lo:hi].tolist() == times
        np.testing.assert_allclose(km.survival[lo:hi], surv, rtol=1e-12)
        # the conditional median: the first event time where S <= S(elapsed) / 2
        if times:
            q = km.quantile(np.array([j]), 0.5, elapsed=np.array([-np.inf]))[0]
            hit = [t for t, s in zip(times, surv, strict=True) if s <= 0.5 + 1e-12]
            assert (np.isnan(q) and not hit) or q == hit[0]


def _history(cols) -> StageHistory:
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=cols["opportunity"],
        stage=cols["stage"],
        entered=cols["entered"],
        dimensions={"team": cols["team"]},
    )


@settings(max_examples=100, deadline=None)
@given(history_columns(), st.integers(0, 400))
def test_time_to_close_censors_open_deals_as_kaplan_meier(cols, day):
    h = _history(cols)
    as_of = np.datetime64("2024-01-01", "us") + np.timedelta64(day, "D")
    ttc = fit_time_to_close(h, as_of=as_of)
    state = PipelineState.from_history(h, as_of=as_of)
    for s in range(DEFAULT_PROCESS.n_stages):
        first = state.first_in_stage[:, s]
        entered = ~np.isnat(first)
        closed = state.is_closed[entered]
        stop = np.where(closed, state.last_entered[entered], as_of)
        days = (stop - first[entered]).astype(np.int64) / 86_400_000_000
        times, surv = _km_oracle(days, closed)
        mine = ttc.curve_stage == s
        assert ttc.curve_days[mine].tolist() == times
        np.testing.assert_allclose(ttc.curve_survival[mine], surv, rtol=1e-12)
        assert ttc.n_entered[s] == entered.sum()
        assert ttc.n_censored[s] == (~closed).sum()
        # censoring: treating open deals as closed would only shorten the median
        if times and (~closed).any() and np.isfinite(ttc.median_days[s]):
            naive = np.median(days)
            assert ttc.median_days[s] >= min(naive, ttc.median_days[s])


def test_time_to_close_by_hand():
    h = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 2, 2, 3, 4],
        stage=["plan", "won", "plan", "lost", "plan", "plan"],
        entered=[
            "2024-01-01",
            "2024-01-11",
            "2024-01-01",
            "2024-01-21",
            "2024-01-01",
            "2024-01-01",
        ],
    )
    t = fit_time_to_close(h, as_of="2024-01-16")
    # plan: 10 days (closed), 15 (open: deal 2 closes later), 15, 15 -> S(10) = 3/4, no median
    assert t.n_entered[2] == 4
    assert t.n_closed[2] == 1
    assert t.curve_survival[t.curve_stage == 2].tolist() == [0.75]
    assert np.isnan(t.median_days[2])
    later = fit_time_to_close(h, as_of="2024-02-01")
    assert later.curve_days[later.curve_stage == 2].tolist() == [10.0, 20.0]
    np.testing.assert_allclose(later.curve_survival[later.curve_stage == 2], [0.75, 0.5])
    assert later.median_days[2] == 20.0


def test_deal_aging_by_hand():
    # three won deals spent 5, 10 and 20 days in "plan"; an open deal has spent 15
    h = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 5],
        stage=[
            "plan",
            "close",
            "won",
            "plan",
            "close",
            "won",
            "plan",
            "close",
            "won",
            "plan",
            "plan",
        ],
        entered=[
            "2024-01-01",
            "2024-01-06",
            "2024-01-07",
            "2024-01-01",
            "2024-01-11",
            "2024-01-12",
            "2024-01-01",
            "2024-01-21",
            "2024-01-22",
            "2024-01-16",
            "2024-01-29",
        ],
    )
    a = deal_aging(h, as_of="2024-01-31", stale_share=0.6)
    assert a.id.tolist() == [4, 5]
    assert a.days_in_stage.tolist() == [15.0, 2.0]
    np.testing.assert_allclose(a.in_stage_percentile, [2 / 3, 0.0])
    assert a.stale.tolist() == [True, False]
    assert a.stage.tolist() == ["plan", "plan"]
    assert np.isnat(a.close_date).all()
    assert (a.expected_close[~np.isnat(a.expected_close)] >= np.datetime64("2024-01-31")).all()


def test_aging_errors_name_the_field():
    h = StageHistory.from_arrays(
        process=DEFAULT_PROCESS, opportunity=[1], stage=["plan"], entered=["2024-01-05"]
    )
    with pytest.raises(InputError) as err:
        deal_aging(h, as_of="2024-02-01", stale_share=1.5)
    assert err.value.field == "stale_share"
    with pytest.raises(InputError, match="latest row") as err:
        fit_time_to_close(PipelineState.from_history(h), as_of="2024-01-01")
    assert err.value.field == "as_of"
    with pytest.raises(InputError) as err:
        fit_time_to_close("h", as_of="2024-01-01")
    assert err.value.field == "history"


def test_simulated_stale_deals_are_older_than_won_deals_were():
    from crmkit.datasets import simulate_pipeline

    sim = simulate_pipeline(3000, "2022-01-01", "2024-01-01", seed=3)
    a = deal_aging(sim.log, as_of=sim.as_of)
    assert a.id.size == sim.opportunities.n_open
    with np.errstate(invalid="ignore"):
        rule = (a.in_stage_percentile > 0.9) | (a.age_percentile > 0.9)
    np.testing.assert_array_equal(a.stale, rule)  # the documented rule, nothing else
    assert a.stale.any()
    assert not a.stale.all()
    assert not np.isnat(a.close_date).any()  # the log carries the rep's dates
