import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import Transactions
from crmkit.datasets import simulate_lifecycle
from crmkit.lifecycle import (
    churn_by_period,
    cohort_retention,
    prospect_lifecycle,
    replay,
    time_in_stage,
)


def test_time_in_stage_values():
    entries = {
        "customer": [1, 1, 2, 2, 3, 4],
        "stage": ["a", "b", "a", "b", "a", "a"],
        "timestamp": [
            "2024-01-01",
            "2024-01-03",
            "2024-01-01",
            "2024-01-05",
            "2024-01-01",
            "2024-01-01",
        ],
    }
    t = time_in_stage(entries, as_of="2024-01-11")
    assert t.n_spells.tolist() == [4, 2]
    assert t.n_censored.tolist() == [2, 2]
    assert t.mean_completed_days.tolist()[0] == 3.0
    # KM over a: events at 2, 4; censored at 10, 10 -> S(2)=3/4, S(4)=3/4*2/3=1/2 -> median 4
    assert t.median_days.tolist()[0] == 4.0
    assert np.isnan(t.median_days[1])  # no b stay ended
    assert np.isnan(t.mean_completed_days[1])
    sp = t.spells
    assert sp.days.tolist() == [2.0, 8.0, 4.0, 6.0, 10.0, 10.0]
    assert sp.censored.tolist() == [False, True, False, True, True, True]
    # entries at or after as_of are excluded and counted; open stays are censored there
    early = time_in_stage(entries, as_of="2024-01-04")
    assert early.n_rows_after_as_of == 1  # customer 2 entered b on 01-05
    assert early.spells.days.tolist() == [2.0, 1.0, 3.0, 3.0, 3.0]
    assert early.spells.censored.tolist() == [False, True, True, True, True]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from("xyz"), st.integers(0, 100)),
        min_size=1,
        max_size=30,
    )
)
def test_spells_partition_each_customers_time(rows):
    cust, stage, day = zip(*rows, strict=True)
    times = np.datetime64("2024-01-01", "us") + np.array(day) * np.timedelta64(1, "D")
    t = time_in_stage(
        {"customer": list(cust), "stage": list(stage), "timestamp": times}, as_of="2024-06-01"
    )
    sp = t.spells
    for c in set(cust):
        mine = sp.customer == c
        first = times[np.array(cust) == c].min()
        total = sp.days[mine].sum()
        assert np.isclose(
            total, (np.datetime64("2024-06-01", "us") - first) / np.timedelta64(1, "D")
        )
        assert sp.censored[mine].sum() == 1
    assert t.n_spells.sum() == len(rows)


def test_time_in_stage_from_replay_log():
    r = replay(
        prospect_lifecycle(),
        {
            "customer": [1, 1, 1],
            "event": ["purchase", "churn", "win_back"],
            "timestamp": ["2024-01-01", "2024-01-11", "2024-01-16"],
        },
    )
    t = time_in_stage(r, as_of="2024-01-31")
    assert dict(zip(t.stage.tolist(), t.n_spells.tolist(), strict=True)) == {
        "churned": 1,
        "customer": 2,
    }
    assert t.spells.days.tolist() == [10.0, 5.0, 15.0]


def test_cohort_retention_hand_checked():
    rows = {
        "customer": [1, 1, 1, 2, 2, 3, 4, 4],
        "timestamp": [
            "2024-01-05",
            "2024-02-03",
            "2024-03-03",
            "2024-01-20",
            "2024-03-01",
            "2024-02-11",
            "2024-02-12",
            "2024-03-30",
        ],
    }
    r = cohort_retention(rows, frequency="month", as_of="2024-04-01")
    assert r.cohort.tolist() == ["2024-01", "2024-02"]
    assert r.size.tolist() == [2, 2]
    assert r.active.tolist() == [[2, 1, 2], [2, 1, 0]]
    assert r.observable.tolist() == [[True, True, True], [True, True, False]]
    assert r.retention[0].tolist() == [1.0, 0.5, 1.0]
    assert r.retention[1, :2].tolist() == [1.0, 0.5]
    assert np.isnan(r.retention[1, 2])
    # retained: active at k - 1 and k. January: customer 1 in Jan-Feb and Feb-Mar;
    # customer 2 skipped February. February: customer 4 in Feb-Mar.
    assert r.retained.tolist() == [[0, 1, 1], [0, 1, 0]]
    # k=1 pooled over both cohorts: 1 - (1 + 1) / (2 + 2); k=2, only January observable:
    # of the one customer active at k=1, one stayed. Customer 2's return lifts the active
    # count (1 -> 2) but is not negative churn.
    assert r.churn_rate[1] == 0.5
    assert r.churn_rate[2] == 0.0
    assert np.isnan(r.churn_rate[0])
    assert r.n_rows_after_as_of == 0
    assert not r.as_of_is_default


def test_churn_by_period_hand_checked_and_transactions_input():
    tx = Transactions.from_arrays(
        customer=[1, 2, 3, 1, 3, 4, 4],
        timestamp=[
            "2024-01-02",
            "2024-01-09",
            "2024-01-10",
            "2024-02-05",
            "2024-03-07",
            "2024-03-08",
            "2024-03-09",
        ],
        amount=[1.0] * 7,
    )
    c = churn_by_period(tx, frequency="month")
    assert c.period.tolist() == ["2024-02", "2024-03"]
    assert c.active_previous.tolist() == [3, 1]
    assert c.retained.tolist() == [1, 0]
    assert c.churned.tolist() == [2, 1]
    assert np.allclose(c.churn_rate, [2 / 3, 1.0])
    assert c.new.tolist() == [0, 1]
    assert c.active.tolist() == [1, 2]
    early = churn_by_period(tx, frequency="month", as_of="2024-02-01")
    assert early.n_rows_after_as_of == 4  # February and March rows are excluded and counted
    assert early.period.tolist() == []
    assert c.as_of_is_default


def test_simulated_retention_matches_truth():
    # active -> lost with 10% a month, lost is absorbing: retention after k months = 0.9^k
    sim = simulate_lifecycle(
        20000,
        probabilities=[[0.9, 0.1], [0.0, 1.0]],
        stages=["active", "lost"],
        n_periods=6,
        start="2024-01-01",
        acquisition_periods=3,
        seed=2,
    )
    act = sim.stage == "active"
    r = cohort_retention(
        {"customer": sim.customer[act], "timestamp": sim.period_start[act]},
        frequency="month",
        as_of="2024-07-01",
    )
    assert r.size.sum() == 20000
    obs = r.observable
    expected = 0.9**r.periods_since
    assert np.all(np.abs(r.retention[obs] - np.broadcast_to(expected, obs.shape)[obs]) < 0.03)
    assert np.allclose(r.churn_rate[1:], 0.1, atol=0.02)


def _km_median_reference(days, ended):
    """Textbook Kaplan-Meier: product over distinct event times of (1 - d_i / n_i)."""
    days = np.asarray(days, dtype=float)
    ended = np.asarray(ended, dtype=bool)
    s = 1.0
    for t in np.unique(days[ended]):
        at_risk = np.count_nonzero(days >= t)
        d = np.count_nonzero((days == t) & ended)
        s *= 1 - d / at_risk
        if s <= 0.5 + 1e-12:
            return t
    return np.nan


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(1, 20), st.booleans()), min_size=1, max_size=40
    )
)
def test_km_median_matches_textbook(rows):
    from crmkit._survival import km_median

    groups = np.array([r[0] for r in rows], dtype=np.int64)
    days = np.array([r[1] for r in rows], dtype=float)
    ended = np.array([r[2] for r in rows], dtype=bool)
    got = km_median(groups, days, ended, 3)
    for g in range(3):
        mine = groups == g
        expected = _km_median_reference(days[mine], ended[mine]) if mine.any() else np.nan
        assert (np.isnan(got[g]) and np.isnan(expected)) or got[g] == expected
