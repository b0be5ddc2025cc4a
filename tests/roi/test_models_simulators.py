"""The simulators of crmkit.datasets for the model family: truth recovered, seeds, errors."""

import numpy as np
import pytest

from crmkit.datasets import (
    simulate_contracts,
    simulate_donor_histories,
    simulate_purchase_histories,
)
from crmkit.errors import InputError
from crmkit.roi import (
    beta_discrete_weibull_from_params,
    bgbb_from_params,
    bgnbd_from_params,
    derl,
    fit_beta_discrete_weibull,
    fit_bgbb,
    fit_bgnbd,
    fit_mbgnbd,
    fit_pareto_nbd,
    fit_shifted_beta_geometric,
    mbgnbd_from_params,
    pareto_nbd_from_params,
    retention_curve,
    retention_elasticity,
    shifted_beta_geometric_from_params,
)


@pytest.mark.parametrize(
    ("truth", "fitter"),
    [
        (bgnbd_from_params(r=0.5, alpha=4.0, a=1.2, b=3.0), fit_bgnbd),
        (mbgnbd_from_params(r=0.5, alpha=4.0, a=1.2, b=3.0), fit_mbgnbd),
        (pareto_nbd_from_params(r=0.5, alpha=4.0, s=0.8, beta=20.0), fit_pareto_nbd),
    ],
)
def test_simulated_histories_give_back_the_true_parameters(truth, fitter):
    rng = np.random.default_rng(0)
    sim = simulate_purchase_histories(truth, T=rng.uniform(20, 80, 60_000), seed=11)
    assert np.all(sim.recency <= sim.T)
    assert np.all(sim.recency[sim.frequency == 0] == 0)
    fit = fitter(sim)
    for name, value in truth.params.items():
        z = (fit.params[name] - value) / fit.standard_errors[name]
        assert abs(z) < 4, (name, fit.params[name], value)


def test_histories_are_seeded():
    truth = bgnbd_from_params(r=0.5, alpha=4.0, a=1.2, b=3.0)
    a = simulate_purchase_histories(truth, T=30.0, n_customers=100, seed=1)
    b = simulate_purchase_histories(truth, T=30.0, n_customers=100, seed=1)
    c = simulate_purchase_histories(truth, T=30.0, n_customers=100, seed=2)
    np.testing.assert_array_equal(a.frequency, b.frequency)
    assert not np.array_equal(a.frequency, c.frequency)
    generator = np.random.default_rng(3)
    first = simulate_purchase_histories(truth, T=30.0, n_customers=100, seed=generator)
    second = simulate_purchase_histories(truth, T=30.0, n_customers=100, seed=generator)
    assert not np.array_equal(first.frequency, second.frequency)
    # a Pareto/NBD customer is alive exactly when the dropout came after T
    pareto = simulate_purchase_histories(
        pareto_nbd_from_params(r=0.5, alpha=4.0, s=0.8, beta=20.0),
        T=30.0,
        n_customers=500,
        seed=4,
    )
    assert 0 < pareto.alive.mean() < 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: simulate_purchase_histories(
                bgnbd_from_params(r=1, alpha=1, a=1, b=1), T=30.0, n_customers=10, seed=-1
            ),
            "seed",
        ),
        (
            lambda: simulate_purchase_histories(
                bgnbd_from_params(r=1, alpha=1, a=1, b=1), T=30.0, n_customers=0, seed=1
            ),
            "n_customers",
        ),
        (
            lambda: simulate_purchase_histories(
                bgnbd_from_params(r=1, alpha=1, a=1, b=1), T=[30.0, 20.0], n_customers=5, seed=1
            ),
            "n_customers",
        ),
        (
            lambda: simulate_purchase_histories(
                bgnbd_from_params(r=1, alpha=1, a=1, b=1), T=[-1.0, 2.0], seed=1
            ),
            "T",
        ),
        (lambda: simulate_purchase_histories("model", T=3.0, n_customers=1, seed=1), "model"),  # type: ignore[arg-type]
        (
            lambda: simulate_donor_histories(
                bgbb_from_params(alpha=1, beta=1, gamma=1, delta=1),
                n_customers=10,
                n_periods=0,
                seed=1,
            ),
            "n_periods",
        ),
        (
            lambda: simulate_contracts(
                shifted_beta_geometric_from_params(alpha=1, beta=1),
                n_customers=10,
                n_periods=5,
                seed="x",
            ),
            "seed",
        ),  # type: ignore[arg-type]
    ],
)
def test_simulator_errors(call, field):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.field == field


def test_donor_histories_give_back_the_bgbb_parameters():
    truth = bgbb_from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    sim = simulate_donor_histories(truth, n_customers=200_000, n_periods=8, seed=1995)
    assert np.all(sim.frequency <= sim.T)
    assert np.all(sim.recency <= sim.T)
    fit = fit_bgbb(sim)
    assert fit.n_distinct_rows <= 9 * 10 // 2 + 1
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 4 * fit.standard_errors[name]


def test_contracts_give_back_the_churn_parameters():
    truth = beta_discrete_weibull_from_params(alpha=0.7, beta=1.2, c=0.7)
    sim = simulate_contracts(truth, n_customers=50_000, n_periods=12, seed=3)
    assert sim.survivors[0] == 50_000
    assert np.all(np.diff(sim.survivors) <= 0)
    assert int(sim.survivors[-1]) == int((~sim.churned).sum())
    per_customer = fit_beta_discrete_weibull(tenure=sim.tenure, churned=sim.churned)
    from_counts = fit_beta_discrete_weibull(sim.survivors)
    for name, value in truth.params.items():
        assert per_customer.params[name] == pytest.approx(from_counts.params[name], rel=1e-6)
        assert abs(per_customer.params[name] - value) < 4 * per_customer.standard_errors[name]
    # a cohort observed for 12 periods projects its survival
    curve = retention_curve(per_customer, periods=12)
    np.testing.assert_allclose(curve.survival * 50_000, sim.survivors, rtol=0.02)


def test_derl_closed_form_and_elasticity():
    from scipy import special

    a, b, d = 0.704, 1.182, 0.1
    model = shifted_beta_geometric_from_params(alpha=a, beta=b)
    renewals = np.arange(0, 8)
    n = renewals + 1.0
    # Fader & Hardie (2010), eq. 6
    closed = (b + n - 1) / (a + b + n - 1) * special.hyp2f1(1, b + n, a + b + n, 1 / (1 + d))
    np.testing.assert_allclose(derl(model, discount_rate=d, renewals=renewals), closed, rtol=1e-10)
    # heterogeneity: the longer a customer has stayed, the more they are worth and the more a
    # point of retention is worth
    values = derl(model, discount_rate=d, renewals=renewals)
    assert np.all(np.diff(values) > 0)
    elasticity = retention_elasticity(model, discount_rate=d, renewals=renewals)
    assert np.all(elasticity > 0)
    assert np.all(np.diff(elasticity) > 0)
    # a homogeneous-looking case: with c = 1 the BdW's DERL equals the sBG's
    same = beta_discrete_weibull_from_params(alpha=a, beta=b, c=1.0)
    np.testing.assert_allclose(derl(same, discount_rate=d, renewals=renewals), values, rtol=1e-12)
    with pytest.raises(InputError) as err:
        derl(model, discount_rate=0.1, renewals=[1.5])
    assert err.value.field == "renewals"
    with pytest.raises(InputError, match="limit") as err:
        derl(model, discount_rate=1e-12, renewals=[1])
    assert err.value.field == "discount_rate"
    with pytest.raises(InputError, match="ShiftedBetaGeometricFit") as err:
        retention_curve("model", periods=3)  # type: ignore[arg-type]
    assert err.value.field == "fit"


def test_contract_data_errors():
    for kwargs, field in [
        ({"survivors": [100, 120, 90]}, "survivors"),
        ({"survivors": [0, 0]}, "survivors"),
        ({"survivors": [100, 80], "tenure": [1, 2]}, "survivors"),
        ({"tenure": [1, 2], "churned": [1, 0]}, "churned"),
        ({"tenure": [0, 2], "churned": [True, False]}, "tenure"),
        ({"tenure": [1.5, 2], "churned": [True, False]}, "tenure"),
        ({"tenure": [1, 2]}, "churned"),
    ]:
        with pytest.raises(InputError) as err:
            fit_shifted_beta_geometric(**kwargs)
        assert err.value.field == field
