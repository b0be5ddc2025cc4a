import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from crmkit.datasets import simulate_lifecycle
from crmkit.errors import InputError
from crmkit.lifecycle import (
    TransitionMatrix,
    absorption,
    migration_value,
    project_stages,
    prospect_lifecycle,
    replay,
    steady_state,
    transition_matrix,
)

CHURN = TransitionMatrix.from_probabilities(
    [[0.8, 0.2, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]], stages=["active", "lapsed", "lost"]
)


@st.composite
def stochastic(draw, min_size=2, max_size=5):
    size = draw(st.integers(min_size, max_size))
    raw = draw(hnp.arrays(np.float64, (size, size), elements=st.floats(0, 10)))
    raw[np.arange(size), np.arange(size)] += 0.1  # every row has mass
    return raw / raw.sum(axis=1, keepdims=True)


def test_panel_counts_keep_unseen_and_skip_gaps():
    panel = {
        "customer": ["a", "a", "a", "b", "b", "b"],
        "period": [1, 2, 4, 1, 2, 3],
        "stage": ["x", "y", "y", "x", "x", "y"],
    }
    m = transition_matrix(panel, stages=["x", "y", "z"])
    assert m.counts.tolist() == [[1, 2, 0], [0, 0, 0], [0, 0, 0]]
    assert m.n_gap_pairs == 1  # a: period 2 -> 4
    assert m.n_pairs == 3
    assert m.observed.tolist() == [True, False, False]
    assert m.probabilities[1].tolist() == [0.0, 1.0, 0.0]  # unobserved: stays
    assert m.stages == ("x", "y", "z")
    assert m.n_from.tolist() == [3, 0, 0]


def test_panel_datetime_periods_and_errors():
    frame = pd.DataFrame(
        {
            "id": [1, 1, 2],
            "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]),
            "st": ["a", "b", "a"],
        }
    )
    m = transition_matrix(frame, customer="id", period="month", stage="st")
    assert m.counts.tolist() == [[0, 1], [0, 0]]
    with pytest.raises(InputError, match="must not repeat"):
        transition_matrix({"customer": [1, 1], "period": [1, 1], "stage": ["a", "b"]})
    with pytest.raises(InputError, match=r"must hold one of the stages \['a'\]"):
        transition_matrix({"customer": [1, 1], "period": [1, 2], "stage": ["a", "b"]}, stages=["a"])


def test_history_matrix_from_replay():
    r = replay(
        prospect_lifecycle(),
        {
            "customer": [1, 1, 2, 2, 2],
            "event": ["purchase", "churn", "purchase", "upgrade", "churn"],
            "timestamp": ["2024-01-01", "2024-02-01", "2024-01-01", "2024-01-05", "2024-03-01"],
        },
    )
    m = transition_matrix(r, stages=prospect_lifecycle())
    assert m.source == "history"
    names = m.stages
    c = dict(zip(names, m.counts.tolist(), strict=True))
    assert c["prospect"][names.index("customer")] == 2
    assert c["customer"][names.index("churned")] == 1
    assert c["customer"][names.index("upgraded")] == 1
    assert c["interested"] == [0] * 5  # never left: kept with zero counts


@settings(max_examples=25, deadline=None)
@given(stochastic(), st.integers(0, 2**31 - 1))
def test_estimates_converge_to_truth(P, seed):
    size = P.shape[0]
    names = [f"s{i}" for i in range(size)]
    n_customers, n_periods = 2000, 6
    sim = simulate_lifecycle(
        n_customers,
        probabilities=P,
        stages=names,
        n_periods=n_periods,
        start="2024-01-01",
        initial=np.full(size, 1 / size),
        seed=seed,
    )
    m = (
        transition_matrix(sim, stages=names)
        if False
        else transition_matrix(
            {"customer": sim.customer, "period": sim.period, "stage": sim.stage}, stages=names
        )
    )
    assert m.n_pairs == n_customers * (n_periods - 1)
    # binomial standard error per cell, 6 sigma plus slack for tiny rows
    n_i = np.maximum(m.n_from, 1)[:, None]
    se = np.sqrt(P * (1 - P) / n_i)
    observed = m.observed
    assert np.all(np.abs(m.probabilities - P)[observed] <= 6 * se[observed] + 3 / n_i[observed])


@settings(max_examples=60, deadline=None)
@given(stochastic(), st.integers(1, 30), st.data())
def test_projection_stays_a_distribution(P, periods, data):
    size = P.shape[0]
    m = TransitionMatrix.from_probabilities(P, stages=[f"s{i}" for i in range(size)])
    start = data.draw(hnp.arrays(np.float64, size, elements=st.floats(0, 1000)))
    if start.sum() <= 0:
        start[0] = 1.0
    p = project_stages(m, start, periods=periods)
    assert np.all(p.shares >= 0)
    assert np.allclose(p.shares.sum(axis=1), 1.0)
    assert np.allclose(p.counts.sum(axis=1), start.sum())
    # one step equals x P
    assert np.allclose(p.shares[1], (start / start.sum()) @ P)


def test_projection_known_values():
    p = project_stages(CHURN, {"active": 1000}, periods=2)
    assert np.allclose(p.counts[1], [800, 200, 0])
    assert np.allclose(p.counts[2], [740, 220, 40])
    with pytest.raises(InputError, match="'periods' parameter"):
        project_stages(CHURN, {"active": 1}, periods=0)
    with pytest.raises(InputError, match="'initial' parameter"):
        project_stages(CHURN, {"vip": 1}, periods=1)


@settings(max_examples=40, deadline=None)
@given(stochastic())
def test_steady_state_is_stationary(P):
    m = TransitionMatrix.from_probabilities(P, stages=[f"s{i}" for i in range(P.shape[0])])
    try:
        pi = steady_state(m).share
    except InputError:
        return  # several closed classes: no unique steady state
    assert np.all(pi >= 0)
    assert np.isclose(pi.sum(), 1.0)
    assert np.allclose(pi @ P, pi, atol=1e-8)


def test_steady_state_known_and_reducible():
    two = TransitionMatrix.from_probabilities([[0.9, 0.1], [0.3, 0.7]], stages=["a", "b"])
    assert np.allclose(steady_state(two).share, [0.75, 0.25])  # 0.1 pi_a = 0.3 pi_b
    assert np.allclose(steady_state(CHURN).share, [0, 0, 1])
    split = TransitionMatrix.from_probabilities(np.eye(2), stages=["a", "b"])
    with pytest.raises(InputError, match="2 closed classes"):
        steady_state(split)


def test_absorption_hand_checked():
    # N = inv([[.2, -.2], [-.5, .7]]) = [[17.5, 5], [12.5, 5]]
    a = absorption(CHURN)
    assert a.stage.tolist() == ["active", "lapsed"]
    assert np.allclose(a.expected_periods, [22.5, 17.5])
    assert np.allclose(a.probabilities, [[1.0], [1.0]])
    assert a.absorbing == ("lost",)
    # geometric: leave with probability q -> expected 1/q periods
    geo = TransitionMatrix.from_probabilities([[0.75, 0.25], [0, 1]], stages=["a", "gone"])
    assert np.isclose(absorption(geo).expected_periods[0], 4.0)
    with pytest.raises(InputError, match="no absorbing stage"):
        absorption(TransitionMatrix.from_probabilities([[0.5, 0.5], [0.5, 0.5]], stages=["a", "b"]))
    stuck = TransitionMatrix.from_probabilities(
        [[1, 0, 0], [0, 0.5, 0.5], [0, 0.5, 0.5]], stages=["x", "y", "z"]
    )
    with pytest.raises(InputError, match="can never reach"):
        absorption(stuck)


@settings(max_examples=60, deadline=None)
@given(stochastic(max_size=4), st.floats(0.001, 1.0), st.data())
def test_migration_value_closed_form(P, d, data):
    size = P.shape[0]
    names = [f"s{i}" for i in range(size)]
    r = data.draw(hnp.arrays(np.float64, size, elements=st.floats(-100, 100)))
    m = TransitionMatrix.from_probabilities(P, stages=names)
    v = migration_value(m, reward=r, discount_rate=d).value
    delta = 1 / (1 + d)
    assert np.allclose(v, np.linalg.inv(np.eye(size) - delta * P) @ r, rtol=1e-8, atol=1e-6)
    # the finite horizon converges to it, and T=1 is just r
    assert np.allclose(migration_value(m, reward=r, discount_rate=d, horizon=1).value, r)


def test_migration_value_hand_checked():
    # retain with p=0.8, margin 100, d=0.25: V = 100 / (1 - 0.8/1.25) = 277.78 (Pfeifer-Carraway)
    m = TransitionMatrix.from_probabilities([[0.8, 0.2], [0, 1]], stages=["active", "lost"])
    v = migration_value(m, reward={"active": 100.0}, discount_rate=0.25)
    assert np.isclose(v.value[0], 100 / (1 - 0.8 / 1.25))
    assert v.value[1] == 0
    two = migration_value(m, reward={"active": 100.0}, discount_rate=0.25, horizon=2)
    assert np.isclose(two.value[0], 100 + 0.8 / 1.25 * 100)
    costs = migration_value(m, reward=[100.0, 0.0], cost={"active": 20.0}, discount_rate=0.25)
    assert np.isclose(costs.value[0], 80 / (1 - 0.8 / 1.25))
    undiscounted = migration_value(m, reward=[1.0, 0.0], discount_rate=0.0, horizon=3)
    assert np.isclose(undiscounted.value[0], 1 + 0.8 + 0.64)


@pytest.mark.parametrize("rate", [-1.0, -2.0, float("nan")])
def test_discount_rate_must_exceed_minus_one(rate):
    with pytest.raises(InputError, match="'discount_rate' parameter of migration_value"):
        migration_value(CHURN, reward=[1, 0, 0], discount_rate=rate, horizon=3)


def test_infinite_horizon_needs_positive_rate():
    with pytest.raises(InputError, match="infinite horizon"):
        migration_value(CHURN, reward=[1, 0, 0], discount_rate=0.0)


def test_user_matrix_rows_must_sum_to_one():
    with pytest.raises(InputError, match=r"rows summing to 1: 1 bad row.*0\.9"):
        TransitionMatrix.from_probabilities([[0.5, 0.4], [0, 1]], stages=["a", "b"])
    with pytest.raises(InputError, match="non-negative"):
        TransitionMatrix.from_probabilities([[1.5, -0.5], [0, 1]], stages=["a", "b"])
    with pytest.raises(InputError, match="shape"):
        TransitionMatrix.from_probabilities([[1.0]], stages=["a", "b"])
    with pytest.raises(InputError, match="'matrix' parameter"):
        steady_state(np.eye(2))


def test_results_are_json_safe():
    import json

    json.dumps(CHURN.to_dict())
    json.dumps(absorption(CHURN).to_dict())
    json.dumps(migration_value(CHURN, reward=[1, 0, 0], discount_rate=0.1).to_dict())
    assert CHURN.to_frame().shape == (3, 2)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_row_order_does_not_matter(seed):
    sim = simulate_lifecycle(
        200,
        probabilities=CHURN.probabilities,
        stages=CHURN.stages,
        n_periods=5,
        start="2024-01-01",
        acquisition_periods=2,
        seed=seed,
    )
    perm = np.random.default_rng(seed).permutation(sim.customer.size)
    shuffled = {
        "customer": sim.customer[perm],
        "period": sim.period[perm],
        "stage": sim.stage[perm],
    }
    a = transition_matrix(sim, stages=CHURN.stages)
    b = transition_matrix(shuffled, stages=CHURN.stages)
    assert np.array_equal(a.counts, b.counts)
    assert a.n_gap_pairs == b.n_gap_pairs == 0


def test_standard_errors():
    panel = {
        "customer": [1, 1, 1, 2, 2],
        "period": [1, 2, 3, 1, 2],
        "stage": ["a", "a", "b", "a", "a"],
    }
    m = transition_matrix(panel, stages=["a", "b"])
    # a -> a twice, a -> b once: p = 2/3, n = 3
    assert np.isclose(m.standard_errors[0, 0], np.sqrt(2 / 3 * 1 / 3 / 3))
    assert np.isnan(m.standard_errors[1]).all()
