import numpy as np
import pytest

from crmkit.errors import InputError
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
