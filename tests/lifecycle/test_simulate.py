import numpy as np
import pytest

from crmkit.datasets import simulate_lifecycle
from crmkit.errors import InputError
from crmkit.lifecycle import prospect_lifecycle, replay

P_PROSPECT = np.array(
    [
        [0.7, 0.2, 0.1, 0.0, 0.0],
        [0.0, 0.6, 0.4, 0.0, 0.0],
        [0.0, 0.0, 0.8, 0.1, 0.1],
        [0.0, 0.0, 0.1, 0.85, 0.05],
        [0.0, 0.0, 0.2, 0.0, 0.8],
    ]
)


def test_same_seed_same_data_and_shapes():
    kw = {
        "probabilities": P_PROSPECT,
        "model": prospect_lifecycle(),
        "n_periods": 8,
        "start": "2024-01-15",
        "acquisition_periods": 3,
    }
    a = simulate_lifecycle(300, seed=11, **kw)
    b = simulate_lifecycle(300, seed=11, **kw)
    assert np.array_equal(a.stage, b.stage)
    assert np.array_equal(a.events["timestamp"], b.events["timestamp"])
    # one panel row per customer and period from acquisition on
    assert a.customer.size == int((8 - a.acquired).sum())
    assert str(a.period_start[a.period == 0][0]) == "2024-01-01T00:00:00.000000"
    assert a.stages == prospect_lifecycle().stage_names


def test_event_log_replays_to_panel_end_state():
    model = prospect_lifecycle()
    sim = simulate_lifecycle(
        500,
        probabilities=P_PROSPECT,
        model=model,
        n_periods=10,
        start="2024-01-01",
        acquisition_periods=4,
        seed=5,
    )
    initial = {
        "customer": np.arange(500),
        "stage": sim.initial_stage,
        "entered_at": sim.acquired_at,
    }
    r = replay(model, sim.events, initial=initial)
    assert sum(r.rejected.values()) == 0
    last = sim.period == 9
    expected = dict(zip(sim.customer[last].tolist(), sim.stage[last].tolist(), strict=True))
    assert dict(zip(r.customer.tolist(), r.stage.tolist(), strict=True)) == expected


def test_bad_parameters():
    with pytest.raises(InputError, match="rows summing to 1") as err:
        simulate_lifecycle(
            10,
            probabilities=[[0.5, 0.4], [0, 1]],
            stages=["a", "b"],
            n_periods=2,
            start="2024-01-01",
            seed=0,
        )
    assert err.value.field == "probabilities"
    with pytest.raises(InputError, match="no unguarded transition") as err:
        simulate_lifecycle(
            10,
            probabilities=np.eye(5)[[1, 0, 2, 3, 4]],
            model=prospect_lifecycle(),
            n_periods=2,
            start="2024-01-01",
            seed=0,
        )
    assert err.value.field == "probabilities"
    with pytest.raises(InputError, match="'n_customers' parameter") as err:
        simulate_lifecycle(
            0, probabilities=[[1.0]], stages=["a"], n_periods=2, start="2024-01-01", seed=0
        )
    assert err.value.field == "n_customers"
    with pytest.raises(InputError, match="stage names") as err:
        simulate_lifecycle(1, probabilities=[[1.0]], n_periods=2, start="2024-01-01", seed=0)
    assert err.value.field == "stages"


@pytest.mark.parametrize("seed", [None, -1, "x", 1.5])
def test_seed_is_required_and_checked(seed):
    with pytest.raises(InputError, match="'seed' parameter of simulate_lifecycle") as err:
        simulate_lifecycle(
            5, probabilities=[[1.0]], stages=["a"], n_periods=2, start="2024-01-01", seed=seed
        )
    assert err.value.field == "seed"


def test_seed_forms_agree():
    def run(seed):
        return simulate_lifecycle(
            50,
            probabilities=[[0.7, 0.3], [0.2, 0.8]],
            stages=["a", "b"],
            n_periods=4,
            start="2024-01-01",
            seed=seed,
        )

    by_int = run(5)
    assert by_int.seed == 5
    assert by_int.stage.tolist() == run(np.random.default_rng(5)).stage.tolist()
    assert run(np.random.SeedSequence(5)).stage.tolist() == by_int.stage.tolist()
    assert run(np.random.SeedSequence(5)).seed is None


def test_work_and_dates_are_bounded():
    with pytest.raises(InputError, match=r"'n_customers' parameter.*limit is 50,000,000") as err:
        simulate_lifecycle(
            10**8, probabilities=[[1.0]], stages=["a"], n_periods=2, start="2024-01-01", seed=0
        )
    assert err.value.field == "n_customers"
    with pytest.raises(InputError, match="must end by 2200-12-31") as err:
        simulate_lifecycle(
            1, probabilities=[[1.0]], stages=["a"], n_periods=5000, start="2024-01-01", seed=0
        )
    assert err.value.field == "n_periods"
    with pytest.raises(InputError, match="'acquisition_periods' parameter") as err:
        simulate_lifecycle(
            1,
            probabilities=[[1.0]],
            stages=["a"],
            n_periods=2,
            acquisition_periods=3,
            start="2024-01-01",
            seed=0,
        )
    assert err.value.field == "acquisition_periods"
