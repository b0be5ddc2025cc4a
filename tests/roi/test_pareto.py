import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import ConvergenceWarning, InputError
from crmkit.roi import (
    ParetoNBDFit,
    customer_clv,
    expected_purchases,
    fit_pareto_nbd,
    gamma_gamma_from_params,
    holdout_comparison,
    pareto_nbd_from_params,
    probability_alive,
)
from crmkit.roi._models._pareto_kernel import log_terms


def _sig3(value):
    return float(f"{value:.3g}")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    return fit_pareto_nbd(**cdnow)


def test_cdnow_pareto_nbd_matches_published(cdnow_fit):
    # Fader, Hardie & Lee (2005), Pareto/NBD on CDNOW: r=0.553, alpha=10.578, s=0.606,
    # beta=11.669, LL=-9595.0
    fit = cdnow_fit
    assert isinstance(fit, ParetoNBDFit)
    assert _sig3(fit.r) == 0.553
    assert _sig3(fit.alpha) == _sig3(10.578)
    assert _sig3(fit.s) == 0.606
    assert _sig3(fit.beta) == _sig3(11.669)
    assert fit.log_likelihood == pytest.approx(-9595.0, abs=0.05)
    assert fit.diagnostics.ok


def test_pareto_predictions_equal_lifetimes(cdnow, cdnow_fit):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    theirs = lifetimes.ParetoNBDFitter()
    theirs.params_ = pd.Series(cdnow_fit.params)
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        probability_alive(cdnow_fit, cdnow),
        theirs.conditional_probability_alive(f, r, T),
        rtol=1e-9,
    )
    for t in (4.0, 39.0):
        np.testing.assert_allclose(
            expected_purchases(cdnow_fit, cdnow, t=t),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, f, r, T),
            rtol=1e-9,
        )


def test_a0_branches_agree_at_equal_rates():
    # alpha == beta and alpha slightly above/below beta give (nearly) the same A0
    x = np.array([0.0, 2.0, 7.0])
    t_x = np.array([0.0, 10.0, 30.0])
    T = np.array([40.0, 40.0, 40.0])
    below = log_terms((0.5, 10.0 - 1e-7, 0.6, 10.0), x, t_x, T)[1]
    above = log_terms((0.5, 10.0 + 1e-7, 0.6, 10.0), x, t_x, T)[1]
    np.testing.assert_allclose(below, above, rtol=1e-5)


def test_pareto_runs_through_clv_and_holdout(cdnow_spend):
    model = pareto_nbd_from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    gg = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
    data = {k: v[:50] for k, v in cdnow_spend.items()}
    value = customer_clv(model, gg, data, periods=12, period_length=4.345, discount_rate=0.01)
    assert np.all(value.clv > 0)
    np.testing.assert_allclose(
        value.expected_purchases, expected_purchases(model, data, t=12 * 4.345)
    )
    check = holdout_comparison(
        model, data, holdout_purchases=np.ones(50), holdout_length=39.0, max_frequency=3
    )
    assert check.n_customers.sum() == 50


def test_pareto_bad_params():
    with pytest.raises(InputError, match="'beta'"):
        pareto_nbd_from_params(r=1, alpha=1, s=1, beta=-1)
    with pytest.raises(InputError, match="BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit"):
        probability_alive(object(), frequency=[1], recency=[1.0], T=[2.0])  # type: ignore[arg-type]


_wide = st.floats(-2.0, 5.0)  # log10 of a parameter


@settings(max_examples=80, deadline=None)
@given(
    st.tuples(_wide, _wide, _wide, st.floats(-2.0, 6.0)), st.integers(0, 200), st.floats(-3.0, 3.0)
)
def test_the_integral_of_the_dropout_term_equals_its_series(logs, x, lt):
    # term(t) of the Pareto/NBD likelihood two ways: its hypergeometric series (exact sums
    # of positive terms, used up to z = 0.9995) and its integral by the exp-sinh rule (used
    # beyond, where the series needs more than 80,000 terms): value and gradient agree
    from crmkit.roi._models._pareto_kernel import _integral_terms, term_with_gradient
    from crmkit.roi._models._special import SERIES_Z

    theta = tuple(np.array([10.0**v]) for v in logs)
    xs, ts = np.array([float(x)]), np.array([10.0**lt])
    r, alpha, s, beta = (float(v[0]) for v in theta)
    z = (alpha - beta) / (alpha + ts[0]) if alpha >= beta else (beta - alpha) / (beta + ts[0])
    assume(z <= SERIES_Z)
    series, series_grad = term_with_gradient(theta, xs, ts)
    integral, integral_grad = _integral_terms(theta, xs, ts)
    assert integral[0] == pytest.approx(series[0], rel=1e-9, abs=1e-9)
    scale = np.array([r, alpha, s, beta])  # gradients on the log scale the optimiser uses
    np.testing.assert_allclose(
        integral_grad[:, 0] * scale,
        series_grad[:, 0] * scale,
        rtol=1e-6,
        atol=1e-6 * max(1.0, float(np.abs(series_grad[:, 0] * scale).max())),
    )


def test_a_degenerate_pareto_fit_runs_into_its_corner_smoothly():
    # 80 customers over 35 weeks: s and beta run off together (homogeneous dropout), where
    # the series needs ~1e5 terms; the integral takes over, with an exact gradient, so the
    # optimiser ends at the corner (or converges on the flat ridge) instead of failing
    from crmkit.datasets import simulate_customer_base
    from crmkit.roi import calibration_holdout

    base = simulate_customer_base(80, "2023-01-01", "2024-01-01", seed=5, refund_rate=0.0)
    split = calibration_holdout(
        base.transactions, freq="week", calibration_end="2023-09-01", observation_end="2024-01-01"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = fit_pareto_nbd(split.calibration)
    assert fit.s > 1e3
    assert fit.beta / fit.s == pytest.approx(15.6, rel=0.05)  # mean lifetime beta/s, weeks
    assert np.isfinite(fit.log_likelihood)
    assert fit.log_likelihood == pytest.approx(-176.809, abs=1e-3)
