"""The simulators' boundary: seeds, work limits, dates and processes at the float64 edges."""

import numpy as np
import pytest

from crmkit import Transactions
from crmkit.datasets import (
    PurchaseProcess,
    SpendProcess,
    simulate_cost_drivers,
    simulate_customer_base,
    simulate_pipeline,
    simulate_transactions,
)
from crmkit.errors import InputError

WINDOW = ("2024-01-01", "2024-07-01")


def _same_transactions(a: Transactions, b: Transactions) -> bool:
    return (
        np.array_equal(a.customer, b.customer)
        and np.array_equal(a.timestamp, b.timestamp)
        and np.array_equal(a.amount, b.amount)
    )


# --- seeds: one rule for every simulator ---------------------------------------------------


@pytest.mark.parametrize(
    "simulate",
    [
        lambda seed: simulate_transactions(30, *WINDOW, seed=seed),
        lambda seed: simulate_customer_base(30, *WINDOW, seed=seed).transactions,
        lambda seed: simulate_pipeline(30, *WINDOW, seed=seed).opportunities,
        lambda seed: (
            simulate_cost_drivers(simulate_customer_base(30, *WINDOW, seed=1), seed=seed).counts
        ),
    ],
    ids=["transactions", "customer_base", "pipeline", "cost_drivers"],
)
@pytest.mark.parametrize("bad", [None, -1, 1.5, "7", True])
def test_every_simulator_refuses_a_bad_seed(simulate, bad):
    with pytest.raises(
        InputError, match=r"must be an int >= 0, a numpy\.random\.SeedSequence"
    ) as err:
        simulate(bad)
    assert err.value.field == "seed"
    assert "default_rng()" in err.value.hint  # how to ask for fresh numbers explicitly


def test_an_int_and_its_seed_sequence_give_the_same_data():
    by_int = simulate_transactions(40, *WINDOW, seed=5)
    by_sequence = simulate_transactions(40, *WINDOW, seed=np.random.SeedSequence(5))
    by_numpy_int = simulate_transactions(40, *WINDOW, seed=np.int64(5))
    assert _same_transactions(by_int, by_sequence)
    assert _same_transactions(by_int, by_numpy_int)
    rng = np.random.default_rng(5)
    first = simulate_transactions(40, *WINDOW, seed=rng)
    second = simulate_transactions(40, *WINDOW, seed=rng)
    assert _same_transactions(first, by_int)  # a fresh generator of 5 draws the same numbers
    assert not _same_transactions(first, second)  # and is advanced by each call


# --- work limits ---------------------------------------------------------------------------


def test_huge_work_is_refused_up_front():
    with pytest.raises(InputError, match="the limit is 10,000,000") as err:
        simulate_transactions(10**12, *WINDOW, seed=1)
    assert err.value.field == "n_customers"
    with pytest.raises(InputError, match="the limit is 20,000,000") as err:
        simulate_pipeline(10**9, *WINDOW, seed=1)
    assert err.value.field == "n_opportunities"


def test_absurd_purchase_rates_are_refused_naming_the_process():
    # a mean rate of 1e9 purchases a week: a few customers would draw billions of rows
    with pytest.raises(InputError, match="expected purchase rows") as err:
        simulate_transactions(5, *WINDOW, seed=1, purchase=PurchaseProcess(r=1e9, alpha=1.0))
    assert err.value.field == "purchase"
    with pytest.raises(InputError, match="expected purchase rows") as err:
        simulate_transactions(10, *WINDOW, seed=1, purchase=PurchaseProcess(alpha=5e-324))
    assert err.value.field == "purchase"
    # a realistic rate with too many customers blames the count
    with pytest.raises(InputError, match="expected purchase rows") as err:
        simulate_transactions(
            200_000, "1900-01-01", "2200-01-01", seed=1, purchase=PurchaseProcess(r=2.0)
        )
    assert err.value.field == "n_customers"


def test_spends_beyond_float64_are_refused_naming_the_process():
    # nu ~ Gamma(q, 1 / gamma) drawn as 0: a mean spend p / nu that is infinite
    with pytest.raises(InputError, match="beyond float64's range") as err:
        simulate_transactions(20, *WINDOW, seed=1, spend=SpendProcess(q=5e-324, gamma=1e300))
    assert err.value.field == "spend"


def test_extreme_but_finite_processes_give_finite_data():
    base = simulate_customer_base(
        50,
        *WINDOW,
        seed=2,
        purchase=PurchaseProcess(a=1e-300, b=1e-300),
        spend=SpendProcess(p=1e300),
    )
    assert np.isfinite(base.transactions.amount).all()
    assert np.isfinite(np.abs(base.transactions.amount).sum())
    assert np.isfinite(base.mean_spend).all()


def test_many_reps_are_labelled_without_a_loop():
    sim = simulate_pipeline(30, *WINDOW, seed=1, n_reps=10**9)
    owners = sim.opportunities.dimensions["owner"]
    assert all(o.startswith("rep") for o in owners.tolist())
    default = simulate_pipeline(30, *WINDOW, seed=1)
    assert set(default.opportunities.dimensions["owner"].tolist()) <= {
        f"rep{r:02d}" for r in range(1, 13)
    }


# --- dates ---------------------------------------------------------------------------------


def test_dates_in_another_layout_need_date_format():
    with pytest.raises(InputError, match="date_format") as err:
        simulate_transactions(10, "20240101", "20240701", seed=1)
    assert err.value.field == "start"
    basic = simulate_transactions(10, "20240101", "20240701", seed=1, date_format="%Y%m%d")
    iso = simulate_transactions(10, *WINDOW, seed=1)
    assert _same_transactions(basic, iso)
    pipeline = simulate_pipeline(10, "01/01/2024", "01/07/2024", seed=1, date_format="%d/%m/%Y")
    assert str(pipeline.as_of) == "2024-07-01T00:00:00.000000"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2024-07-01", "2024-01-01", "end"),
        ("", "2024-01-01", "start"),
        ("2024-01-01", "3000-01-01", "end"),
    ],
)
def test_bad_windows_are_named(start, end, field):
    for simulate in (simulate_transactions, simulate_pipeline):
        with pytest.raises(InputError) as err:
            simulate(10, start, end, seed=1)
        assert err.value.field == field
        assert simulate.__name__ in str(err.value)  # the function the caller called


def test_close_dates_past_the_window_are_refused_naming_end():
    with pytest.raises(InputError, match="close dates stay before 2201-01-01") as err:
        simulate_pipeline(200, "2200-06-01", "2200-12-20", seed=1)
    assert err.value.field == "end"


# --- parameters of the pipeline ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"advance": [0.5] * 4}, "advance", "sequence of 5 numbers"),
        ({"advance": 0.5}, "advance", "non-empty sequence of numbers in (0, 1)"),
        ({"advance": [0.5, 0.5, 1.0, 0.5, 0.5]}, "advance", "in (0, 1)"),
        ({"advance": np.array([0.5, 0.5, 0.5, 0.5, np.nan])}, "advance", "in (0, 1)"),
        ({"mean_days_in_stage": [10.0, 0.0, 10.0, 10.0, 10.0]}, "mean_days_in_stage", "(0, 3650]"),
        ({"mean_days_in_stage": [1e300] * 5}, "mean_days_in_stage", "(0, 3650]"),
        ({"mean_days_in_stage": [3650.0] * 11}, "mean_days_in_stage", "sequence of 5"),
        ({"n_reps": 0}, "n_reps", "int in [1, "),
        ({"process": "default"}, "process", "must be a SalesProcess"),
    ],
)
def test_bad_pipeline_parameters_are_named(kwargs, field, words):
    with pytest.raises(InputError) as err:
        simulate_pipeline(20, *WINDOW, seed=1, **kwargs)
    assert err.value.field == field
    assert words in str(err.value)


def test_a_numpy_array_of_probabilities_is_a_sequence():
    listed = simulate_pipeline(40, *WINDOW, seed=3, advance=[0.5] * 5)
    array = simulate_pipeline(40, *WINDOW, seed=3, advance=np.full(5, 0.5))
    assert np.array_equal(listed.opportunities.stage, array.opportunities.stage)


# --- cost drivers --------------------------------------------------------------------------


def test_cost_drivers_need_rows():
    tx = simulate_transactions(10, *WINDOW, seed=1)
    with pytest.raises(InputError, match="at least one transaction") as err:
        simulate_cost_drivers(tx.take(np.zeros(tx.n_rows, dtype=bool)), seed=1)
    assert err.value.field == "data"
    with pytest.raises(InputError, match="SimulatedCustomerBase or Transactions") as err:
        simulate_cost_drivers({"customer": [1]}, seed=1)  # type: ignore[arg-type]
    assert err.value.field == "data"
    assert "as_transactions" in err.value.hint


def test_a_channel_that_is_not_text_is_not_used():
    # deliveries follow the channel only when it names channels ("store" needs none)
    tx = Transactions.from_arrays(
        customer=[1, 1, 2],
        timestamp=["2024-01-01", "2024-02-01", "2024-01-05"],
        amount=[10.0, 20.0, 5.0],
        extra={"channel": [1, 2, 1]},
    )
    drivers = simulate_cost_drivers(tx, seed=1)
    assert drivers.counts["deliveries"].tolist() == drivers.counts["orders"].tolist() == [2, 1]
