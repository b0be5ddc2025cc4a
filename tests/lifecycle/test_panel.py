import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import simulate_lifecycle
from crmkit.errors import InputError
from crmkit.lifecycle import prospect_lifecycle, replay, stage_panel, transition_matrix
from crmkit.periods import period_bounds, period_keys

P = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.0, 0.9]])
NAMES = ["active", "lapsed", "lost"]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["month", "week", "quarter"]))
def test_panel_from_histories_equals_simulated_panel(seed, frequency):
    n_periods = 7
    sim = simulate_lifecycle(
        300,
        probabilities=P,
        stages=NAMES,
        n_periods=n_periods,
        start="2024-01-01",
        frequency=frequency,
        acquisition_periods=3,
        seed=seed,
    )
    ev = sim.events
    entries = {
        "customer": np.concatenate([np.arange(300), ev["customer"]]),
        "stage": np.concatenate([sim.initial_stage, np.strings.replace(ev["event"], "to_", "")]),
        "timestamp": np.concatenate([sim.acquired_at, ev["timestamp"]]),
    }
    last_start = sim.period_start[sim.period == n_periods - 1][0]
    key = period_keys(np.array([last_start]), frequency)
    as_of = period_bounds(key, frequency)[1][0]
    panel = stage_panel(entries, frequency=frequency, as_of=as_of)
    assert panel.customer.tolist() == sim.customer.tolist()
    assert panel.stage.tolist() == sim.stage.tolist()
    assert np.array_equal(
        np.diff(panel.period)[np.diff(panel.customer) == 0],
        np.ones(int((np.diff(panel.customer) == 0).sum()), dtype=np.int64),
    )
    a = transition_matrix(panel, stages=NAMES)
    b = transition_matrix(sim, stages=NAMES)
    assert np.array_equal(a.counts, b.counts)


def test_panel_from_replay_and_errors():
    r = replay(
        prospect_lifecycle(),
        {
            "customer": ["a", "a", "b"],
            "event": ["purchase", "churn", "purchase"],
            "timestamp": ["2024-01-10", "2024-03-05", "2024-02-02"],
        },
    )
    p = stage_panel(r, frequency="month", as_of="2024-04-01")
    assert list(zip(p.customer.tolist(), p.label.tolist(), p.stage.tolist(), strict=True)) == [
        ("a", "2024-01", "customer"),
        ("a", "2024-02", "customer"),
        ("a", "2024-03", "churned"),
        ("b", "2024-02", "customer"),
        ("b", "2024-03", "customer"),
    ]
    m = transition_matrix(p, stages=prospect_lifecycle())
    assert m.n_pairs == 3
    # entries at or after as_of are excluded and counted (a's churn on 03-05)
    early = stage_panel(r, frequency="month", as_of="2024-03-01")
    assert early.n_rows_after_as_of == 1
    assert early.label.tolist() == ["2024-01", "2024-02", "2024-02"]
    assert early.stage.tolist() == ["customer", "customer", "customer"]
    with pytest.raises(InputError, match="'as_of' parameter of stage_panel") as err:
        stage_panel(r, frequency="month", as_of="2024-01-10")
    assert err.value.field == "as_of"
