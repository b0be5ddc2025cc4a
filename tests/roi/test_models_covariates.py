"""Static covariates: recovery of known coefficients within their standard errors, and the table."""

import numpy as np
import pytest

from crmkit.datasets import simulate_customer_base, simulate_purchase_histories
from crmkit.errors import ConvergenceWarning, InputError
from crmkit.roi import (
    CovariateEffects,
    CovariateEncoding,
    bgnbd_from_params,
    clv_interval,
    customer_clv,
    expected_purchases,
    expected_purchases_interval,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    gamma_gamma_from_params,
    likelihood_ratio_test,
    pareto_nbd_from_params,
    probability_alive,
)
from crmkit.segmentation import btyd_summary

N = 20_000
CHANNEL = CovariateEncoding(
    sources=("channel",), columns=("channel[web]",), reference={"channel": "store"}
)
BOTH = CovariateEncoding(
    sources=("channel", "age"), columns=("channel[web]", "age"), reference={"channel": "store"}
)


def _table(seed):
    rng = np.random.default_rng(seed)
    return {
        "customer": np.arange(N) * 3 + 7,
        "channel": rng.choice(["store", "web"], N),
        "age": rng.normal(0.0, 1.0, N),
    }


def _within(fit, truth, process, k=3.5):
    for column, value in truth.covariates.coefficients[process].items():
        estimate = fit.covariates.coefficients[process][column]
        se = fit.covariates.standard_errors[process][column]
        assert 0 < se < 1
        assert abs(estimate - value) < k * se, (process, column, estimate, value, se)


@pytest.fixture(scope="module")
def bg_truth():
    effects = CovariateEffects(
        encodings={"purchase": BOTH, "dropout": CHANNEL},
        coefficients={
            "purchase": {"channel[web]": 0.5, "age": -0.3},
            "dropout": {"channel[web]": -0.6},
        },
        standard_errors={},
    )
    return bgnbd_from_params(r=0.6, alpha=5.0, a=1.0, b=3.0, covariates=effects)


def test_bgnbd_covariates_recover_the_truth_within_standard_errors(bg_truth):
    table = _table(1)
    rng = np.random.default_rng(2)
    sim = simulate_purchase_histories(bg_truth, T=rng.uniform(30, 90, N), seed=3, covariates=table)
    np.testing.assert_array_equal(sim.customer, table["customer"])
    fit = fit_bgnbd(
        sim,
        covariates=table,
        purchase_covariates=["channel", "age"],
        dropout_covariates=["channel"],
    )
    assert fit.diagnostics.ok
    _within(fit, bg_truth, "purchase")
    _within(fit, bg_truth, "dropout")
    for name in ("r", "alpha", "a", "b"):
        assert abs(fit.params[name] - bg_truth.params[name]) < 4 * fit.standard_errors[name]
    assert fit.diagnostics.parameter_names[4:] == (
        "purchase:channel[web]",
        "purchase:age",
        "dropout:channel[web]",
    )
    # the nested model without covariates fits worse, significantly
    plain = fit_bgnbd(sim)
    test = likelihood_ratio_test(plain, fit)
    assert test.df == 3
    assert test.p_value < 1e-6
    # predictions use each customer's own parameters
    web = table["channel"] == "web"
    rows = {
        "customer": sim.customer[:200],
        "frequency": np.zeros(200),
        "recency": np.zeros(200),
        "T": np.full(200, 50.0),
    }
    ep = expected_purchases(fit, rows, t=52.0, covariates=table)
    assert ep[web[:200]].mean() > ep[~web[:200]].mean()
    alive = probability_alive(fit, sim, covariates=table)
    assert np.all((alive >= 0) & (alive <= 1))
    band = expected_purchases_interval(
        fit, rows, t=52.0, level=0.9, seed=1, n_draws=32, covariates=table
    )
    assert np.all(band.lower <= band.estimate)
    assert np.all(band.estimate <= band.upper)


def test_pareto_covariates_recover_the_truth_within_standard_errors():
    effects = CovariateEffects(
        encodings={"purchase": CHANNEL, "dropout": BOTH},
        coefficients={
            "purchase": {"channel[web]": 0.4},
            "dropout": {"channel[web]": 0.5, "age": 0.3},
        },
        standard_errors={},
    )
    truth = pareto_nbd_from_params(r=0.8, alpha=6.0, s=0.9, beta=15.0, covariates=effects)
    table = _table(4)
    rng = np.random.default_rng(5)
    sim = simulate_purchase_histories(truth, T=rng.uniform(30, 90, N), seed=6, covariates=table)
    fit = fit_pareto_nbd(
        sim,
        covariates=table,
        purchase_covariates=["channel"],
        dropout_covariates=["channel", "age"],
    )
    assert fit.diagnostics.converged
    _within(fit, truth, "purchase")
    _within(fit, truth, "dropout")


def test_gamma_gamma_covariates_recover_the_truth_within_standard_errors():
    table = _table(7)
    rng = np.random.default_rng(8)
    web = (table["channel"] == "web").astype(float)
    p, q, gamma, effect = 6.0, 4.0, 15.0, 0.4
    nu = rng.gamma(q, 1.0 / (gamma * np.exp(effect * web)))
    x = rng.integers(1, 8, N).astype(float)
    spend = rng.gamma(p * x, 1.0 / (nu * x))  # the mean of x Gamma(p, nu) purchases
    data = {
        "customer": table["customer"],
        "frequency": x,
        "recency": np.ones(N),
        "T": np.full(N, 2.0),
        "monetary_value": spend,
    }
    fit = fit_gamma_gamma(data, covariates=table, spend_covariates=["channel"])
    estimate = fit.covariates.coefficients["spend"]["channel[web]"]
    se = fit.covariates.standard_errors["spend"]["channel[web]"]
    assert abs(estimate - effect) < 3.5 * se
    assert fit.p == pytest.approx(p, rel=0.1)
    # expected spend of a web customer is exp(effect) times a store customer's, at x = 0
    rows = {
        "customer": table["customer"][:2],
        "frequency": [0, 0],
        "recency": [0.0, 0.0],
        "T": [1.0, 1.0],
        "monetary_value": [0.0, 0.0],
    }
    values = expected_spend(fit, rows, covariates=table)
    ratio = values[0] / values[1] if web[0] else values[1] / values[0]
    if web[0] != web[1]:
        assert ratio == pytest.approx(np.exp(estimate), rel=1e-12)
    plain = fit_gamma_gamma(data)
    assert likelihood_ratio_test(plain, fit).statistic > 0


def test_clv_with_covariate_models(bg_truth):
    table = _table(9)
    spend = gamma_gamma_from_params(
        p=6.0,
        q=4.0,
        gamma=15.0,
        covariates=CovariateEffects(
            encodings={"spend": CHANNEL},
            coefficients={"spend": {"channel[web]": 0.3}},
            standard_errors={},
        ),
    )
    rows = {
        "customer": table["customer"][:50],
        "frequency": np.full(50, 2.0),
        "recency": np.full(50, 20.0),
        "T": np.full(50, 30.0),
        "monetary_value": np.full(50, 25.0),
    }
    value = customer_clv(
        bg_truth, spend, rows, periods=6, period_length=4.345, discount_rate=0.01, covariates=table
    )
    assert np.all(value.clv > 0)
    with pytest.raises(InputError, match="covariate") as err:
        customer_clv(bg_truth, spend, rows, periods=6, period_length=4.345, discount_rate=0.01)
    assert err.value.field == "covariates"
    sim = simulate_purchase_histories(bg_truth, T=np.full(N, 60.0), seed=10, covariates=table)
    fit = fit_bgnbd(sim, covariates=table, purchase_covariates=["channel", "age"])
    spend_data = {**rows, "customer": rows["customer"]}
    spend_fit = fit_gamma_gamma(
        {
            "customer": sim.customer,
            "frequency": sim.frequency,
            "recency": sim.recency,
            "T": sim.T,
            "monetary_value": np.where(sim.frequency > 0, 20.0 + sim.customer % 7, 0),
        },
        covariates=table,
        spend_covariates=["channel"],
    )
    band = clv_interval(
        fit,
        spend_fit,
        spend_data,
        periods=3,
        period_length=4.345,
        discount_rate=0.01,
        level=0.9,
        seed=2,
        n_draws=32,
        covariates=table,
    )
    assert np.all(band.lower <= band.estimate)
    assert np.all(band.estimate <= band.upper)


@pytest.mark.parametrize(
    ("table", "kwargs", "field", "words"),
    [
        (
            {"customer": [1, 2], "channel": ["a", "b"]},
            {"purchase_covariates": ["channel"]},
            "customer",
            "must all have a row",
        ),
        (
            {"customer": [1, 1, 2, 3], "channel": ["a", "b", "a", "b"]},
            {"purchase_covariates": ["channel"]},
            "covariates",
            "one row per customer",
        ),
        (
            {"customer": [1, 2, 3], "channel": ["a", "a", "a"]},
            {"purchase_covariates": ["channel"]},
            "covariates",
            "single level",
        ),
        (
            {"customer": [1, 2, 3], "channel": ["a", "b", "a"]},
            {"purchase_covariates": ["region"]},
            "covariates",
            "no column 'region'",
        ),
        (
            {"customer": [1, 2, 3], "score": [1.0, 1.0, 1.0]},
            {"dropout_covariates": ["score"]},
            "dropout_covariates",
            "one value for every customer",
        ),
        (
            {"customer": [1, 2, 3], "score": [1.0, np.nan, 1.0]},
            {"dropout_covariates": ["score"]},
            "score",
            "finite",
        ),
        ({"customer": [1, 2, 3], "channel": ["a", "b", "a"]}, {}, "covariates", "names of the"),
        (
            {"id": [1, 2, 3], "channel": ["a", "b", "a"]},
            {"purchase_covariates": ["channel"]},
            "covariates",
            "'customer' column",
        ),
        (
            {"customer": ["1", "2", "3"], "channel": ["a", "b", "a"]},
            {"purchase_covariates": ["channel"]},
            "covariates",
            "another kind",
        ),
        (
            {"customer": [1, 2, 3], "channel": ["a", "b", "a"]},
            {"purchase_covariates": "channel"},
            "purchase_covariates",
            "sequence",
        ),
    ],
)
def test_bad_covariate_tables(table, kwargs, field, words):
    data = {
        "customer": [1, 2, 3],
        "frequency": [1, 0, 2],
        "recency": [2.0, 0.0, 3.0],
        "T": [5.0, 5.0, 5.0],
    }
    with pytest.raises(InputError, match=words) as err:
        fit_bgnbd(data, covariates=table, **kwargs)
    assert err.value.field == field


def test_covariates_without_a_table_and_unknown_levels(bg_truth):
    data = {"customer": [1, 2], "frequency": [1, 0], "recency": [2.0, 0.0], "T": [5.0, 5.0]}
    with pytest.raises(InputError) as err:
        fit_bgnbd(data, purchase_covariates=["channel"])
    assert err.value.field == "purchase_covariates"
    with pytest.raises(InputError, match="None for a model fitted without") as err:
        probability_alive(
            bgnbd_from_params(r=1, alpha=1, a=1, b=1), data, covariates={"customer": [1, 2]}
        )
    assert err.value.field == "covariates"
    table = {"customer": [1, 2], "channel": ["web", "phone"], "age": [0.0, 1.0]}
    with pytest.raises(InputError, match="level seen when the model was fitted") as err:
        probability_alive(bg_truth, data, covariates=table)
    assert err.value.field == "channel"
    with pytest.raises(InputError, match="customer ids") as err:
        probability_alive(bg_truth, frequency=[1], recency=[1.0], T=[2.0], covariates=table)
    assert err.value.field == "customer"
    # effects whose coefficients do not match their encoding cannot even be built
    with pytest.raises(InputError, match="a value for each design column of 'purchase'") as err:
        CovariateEffects(
            encodings={"purchase": CHANNEL}, coefficients={"purchase": {}}, standard_errors={}
        )
    assert err.value.field == "coefficients"
    # and effects on a process the model does not have are refused by the model
    spend_only = CovariateEffects(
        encodings={"spend": CHANNEL},
        coefficients={"spend": {"channel[web]": 0.2}},
        standard_errors={},
    )
    with pytest.raises(InputError, match="effects on the processes") as err:
        bgnbd_from_params(r=1, alpha=1, a=1, b=1, covariates=spend_only)
    assert err.value.field == "covariates"


def test_covariate_values_are_checked_when_built():
    with pytest.raises(InputError, match="'sources' parameter of CovariateEncoding") as err:
        CovariateEncoding(sources="channel", columns=("channel[web]",), reference={})
    assert err.value.field == "sources"
    with pytest.raises(InputError, match="reference level") as err:
        CovariateEncoding(sources=("age",), columns=("age",), reference={"channel": "store"})
    assert err.value.field == "reference"
    with pytest.raises(InputError, match="design columns named after the sources") as err:
        CovariateEncoding(sources=("age",), columns=("income",), reference={})
    assert err.value.field == "columns"
    with pytest.raises(InputError, match="keyed by process") as err:
        CovariateEffects(encodings={"loyalty": CHANNEL}, coefficients={}, standard_errors={})
    assert err.value.field == "encodings"
    with pytest.raises(InputError, match="'coefficients' parameter of CovariateEffects") as err:
        CovariateEffects(
            encodings={"purchase": CHANNEL},
            coefficients={"purchase": {"channel[web]": float("nan")}},
            standard_errors={},
        )
    assert err.value.field == "coefficients"
    # a standard error that could not be computed is NaN; a negative one is refused
    ok = CovariateEffects(
        encodings={"purchase": CHANNEL},
        coefficients={"purchase": {"channel[web]": 0.3}},
        standard_errors={"purchase": {"channel[web]": float("nan")}},
    )
    assert np.isnan(ok.standard_errors["purchase"]["channel[web]"])
    with pytest.raises(InputError, match=">= 0") as err:
        CovariateEffects(
            encodings={"purchase": CHANNEL},
            coefficients={"purchase": {"channel[web]": 0.3}},
            standard_errors={"purchase": {"channel[web]": -0.1}},
        )
    assert err.value.field == "standard_errors"


def test_a_fit_stopped_in_a_degenerate_corner_is_flagged_not_raised():
    # 80 customers cannot identify a dropout covariate: a and b run towards 3e5 (no dispersion
    # left in the dropout probability) with the covariate's coefficient after them, a ridge
    # where the likelihood is flat to rounding and L-BFGS-B's line search fails ("ABNORMAL").
    # The fit is returned, not converged and degenerate, with the reason in words.
    base = simulate_customer_base(80, "2023-01-01", "2024-01-01", seed=5, refund_rate=0.0)
    summary = btyd_summary(base.transactions, freq="week", as_of="2024-01-01")
    n = summary.customer.size
    table = {
        "customer": summary.customer,
        "channel": np.where(np.arange(n) % 3 == 0, "store", "web"),
        "age": 20.0 + (np.arange(n) * 7) % 40,
    }
    with pytest.warns(ConvergenceWarning) as record:
        fit = fit_bgnbd(
            summary, covariates=table, purchase_covariates=["channel"], dropout_covariates=["age"]
        )
    d = fit.diagnostics
    assert not d.converged
    assert d.degenerate
    assert not d.ok
    assert not d.hessian_positive_definite  # flat along the ridge
    assert "ABNORMAL" in d.optimizer_message
    assert any("degenerate corner; the fit is not converged" in str(w.message) for w in record)
    assert d.summary().startswith(
        "DEGENERATE fit, the data do not identify the model: the optimiser stopped short"
    )
    # what it found is no worse than the fit without covariates, which it started from
    assert fit.log_likelihood >= fit_bgnbd(summary).log_likelihood - 1e-9
