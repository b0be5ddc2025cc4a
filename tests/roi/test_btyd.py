import sys

import numpy as np
import pytest
from scipy import optimize

from crmkit.datasets import PurchaseProcess, SpendProcess, simulate_customer_base
from crmkit.errors import ConvergenceWarning, CrmkitWarning, FitError, InputError
from crmkit.roi import (
    BGNBDFit,
    RFMData,
    SpendData,
    bgnbd_from_params,
    expected_purchases,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_from_params,
    probability_alive,
    spend_independence,
)
from crmkit.roi._models import _bgnbd, _gamma_gamma
from crmkit.roi._models._btyd_data import read_rfm
from crmkit.segmentation import btyd_summary


def _sig3(value):
    return float(f"{value:.3g}")


def test_cdnow_bgnbd_matches_fader_hardie_lee_2005(cdnow):
    # Fader, Hardie & Lee (2005), Table 1 / section 4: r=0.243, alpha=4.414, a=0.793,
    # b=2.426, LL=-9582.4 on the 2,357-customer CDNOW sample (weeks).
    fit = fit_bgnbd(**cdnow)
    assert _sig3(fit.r) == 0.243
    assert _sig3(fit.alpha) == _sig3(4.414)
    assert _sig3(fit.a) == 0.793
    assert _sig3(fit.b) == _sig3(2.426)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert fit.diagnostics.converged
    assert fit.diagnostics.ok
    assert fit.diagnostics.gradient_norm < 1e-6
    assert fit.n_customers == 2357
    assert fit.n_distinct_rows < 2357
    assert all(
        0 < se < v for se, v in zip(fit.standard_errors.values(), fit.params.values(), strict=True)
    )


def test_cdnow_gamma_gamma_matches_fader_hardie_lee_2005b(cdnow_spend):
    # Fader, Hardie & Lee (2005b) / Fader & Hardie note 025: p=6.25, q=3.74, gamma=15.44.
    fit = fit_gamma_gamma(**cdnow_spend)
    assert _sig3(fit.p) == 6.25
    assert _sig3(fit.q) == 3.74
    assert _sig3(fit.gamma) == _sig3(15.44)
    assert fit.n_customers == 946
    assert fit.n_excluded == 2357 - 946
    assert fit.diagnostics.ok
    # the independence check: CDNOW's correlation is weak (0.11 in Fader & Hardie's note)
    assert fit.independence is not None
    assert fit.independence.correlation == pytest.approx(0.11, abs=0.01)
    assert fit.independence.plausible


def test_fits_equal_lifetimes_fitters(cdnow, cdnow_spend):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    ours = fit_bgnbd(**cdnow)
    theirs = lifetimes.BetaGeoFitter().fit(
        pd.Series(cdnow["frequency"]), pd.Series(cdnow["recency"]), pd.Series(cdnow["T"])
    )
    for name, value in ours.params.items():
        assert value == pytest.approx(theirs.params_[name], rel=1e-3)
    gg = fit_gamma_gamma(**cdnow_spend)
    keep = cdnow_spend["frequency"] > 0
    theirs_gg = lifetimes.GammaGammaFitter().fit(
        pd.Series(cdnow_spend["frequency"][keep]),
        pd.Series(cdnow_spend["monetary_value"][keep]),
    )
    assert gg.p == pytest.approx(theirs_gg.params_["p"], rel=1e-3)
    assert gg.q == pytest.approx(theirs_gg.params_["q"], rel=1e-3)
    assert gg.gamma == pytest.approx(theirs_gg.params_["v"], rel=1e-3)


def test_compression_does_not_change_the_fit(cdnow):
    once = fit_bgnbd(**cdnow)
    twice = fit_bgnbd(**{k: np.concatenate([v, v]) for k, v in cdnow.items()})
    for name in once.params:
        assert twice.params[name] == pytest.approx(once.params[name], rel=1e-6)
    assert twice.log_likelihood == pytest.approx(2 * once.log_likelihood, rel=1e-9)
    assert twice.n_distinct_rows == once.n_distinct_rows


def test_analytic_gradients_match_finite_differences(cdnow, cdnow_spend):
    rfm = read_rfm(None, function="t", **cdnow)
    objective, _ = _bgnbd._objective(rfm)
    for point in ([0.3, 5.0, 0.8, 2.0], [1.5, 0.7, 3.0, 0.4]):
        x0 = np.log(point)
        err = optimize.check_grad(lambda v: objective(v)[0], lambda v: objective(v)[1], x0)
        assert err < 1e-5
    keep = cdnow_spend["frequency"] > 0
    gg_objective, _ = _gamma_gamma._objective(
        cdnow_spend["frequency"][keep], cdnow_spend["monetary_value"][keep]
    )
    for point in ([6.0, 3.0, 15.0], [1.0, 8.0, 2.0]):
        x0 = np.log(point)
        err = optimize.check_grad(lambda v: gg_objective(v)[0], lambda v: gg_objective(v)[1], x0)
        assert err < 1e-5


@pytest.fixture(scope="module")
def simulated():
    truth = PurchaseProcess(r=0.5, alpha=4.0, a=1.2, b=3.0)
    base = simulate_customer_base(
        20_000,
        "2022-01-01",
        "2024-01-01",
        seed=11,
        purchase=truth,
        spend=SpendProcess(p=5.0, q=4.0, gamma=20.0),
        refund_rate=0.0,
    )
    return truth, btyd_summary(base.transactions, freq="day", as_of="2024-01-01")


def test_parameter_recovery_on_simulated_data(simulated):
    truth, summary = simulated
    fit = fit_bgnbd(summary)
    # the simulator's rates are per week; the summary is in days
    assert fit.r == pytest.approx(truth.r, rel=0.1)
    assert fit.alpha / 7 == pytest.approx(truth.alpha, rel=0.15)
    assert fit.a == pytest.approx(truth.a, rel=0.25)
    assert fit.b == pytest.approx(truth.b, rel=0.3)
    assert fit.diagnostics.ok
    # the truth lies within about three standard errors
    for name, true in (("r", truth.r), ("a", truth.a), ("b", truth.b)):
        assert abs(fit.params[name] - true) < 4 * fit.standard_errors[name]
    spend = fit_gamma_gamma(summary)
    assert spend.p == pytest.approx(5.0, rel=0.2)
    assert spend.mean_spend == pytest.approx(5.0 * 20.0 / 3.0, rel=0.1)
    assert spend.independence is not None
    assert spend.independence.plausible


def test_protocol_frames_and_objects(cdnow):
    import pandas as pd

    class Summary:
        def __init__(self, data):
            self.frequency = data["frequency"]
            self.recency = data["recency"]
            self.T = data["T"]

    obj = Summary(cdnow)
    assert isinstance(obj, RFMData)
    assert not isinstance(obj, SpendData)
    by_object = fit_bgnbd(obj)
    by_frame = fit_bgnbd(pd.DataFrame(cdnow))
    by_dict = fit_bgnbd(cdnow)
    assert by_object.params == by_frame.params == by_dict.params


def test_predictions_equal_lifetimes(cdnow, cdnow_spend):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    ours = bgnbd_from_params(**params)
    theirs = lifetimes.BetaGeoFitter()
    theirs.params_ = pd.Series(params)
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        probability_alive(ours, cdnow), theirs.conditional_probability_alive(f, r, T), rtol=1e-10
    )
    for t in (1.0, 10.0, 39.0):
        np.testing.assert_allclose(
            expected_purchases(ours, cdnow, t=t),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, f, r, T),
            rtol=1e-9,
        )
    gg = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
    theirs_gg = lifetimes.GammaGammaFitter()
    theirs_gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    keep = cdnow_spend["frequency"] > 0
    np.testing.assert_allclose(
        expected_spend(gg, cdnow_spend)[keep],
        theirs_gg.conditional_expected_average_profit(
            pd.Series(cdnow_spend["frequency"][keep]),
            pd.Series(cdnow_spend["monetary_value"][keep]),
        ),
        rtol=1e-10,
    )
    # FHL (2005), section 5: a customer with x=2, t_x=30.43, T=38.86 buys 1.226 times in 39 weeks
    one = expected_purchases(ours, t=39.0, frequency=[2], recency=[30.43], T=[38.86])
    assert one[0] == pytest.approx(1.226, abs=5e-4)


def test_no_dropout_data_warns_of_degenerate_corner():
    # everybody buys steadily until the end of observation: no sign of dropout
    rng = np.random.default_rng(5)
    n = 400
    frequency = rng.integers(2, 12, size=n).astype(float)
    T = np.full(n, 52.0)
    recency = T - rng.uniform(0, 0.5, size=n)
    with pytest.warns(ConvergenceWarning) as record:
        fit = fit_bgnbd(frequency=frequency, recency=recency, T=T)
    assert fit.diagnostics.warnings
    assert len(record) == len(fit.diagnostics.warnings)
    assert not fit.diagnostics.ok
    assert probability_alive(fit, frequency=frequency, recency=recency, T=T).min() > 0.99


def test_optimiser_failure_raises_fit_error(cdnow, monkeypatch):
    def failing(fun, x0, **kwargs):
        return optimize.OptimizeResult(
            x=x0, success=False, message="ABNORMAL: line search failed", nit=3, nfev=9
        )

    monkeypatch.setattr(optimize, "minimize", failing)
    with pytest.raises(FitError, match=r"BG/NBD fit failed: L-BFGS-B stopped with 'ABNORMAL"):
        fit_bgnbd(**cdnow)


def test_gamma_gamma_needs_repeaters():
    with pytest.raises(InputError, match="at least 2 customers with repeat purchases") as err:
        fit_gamma_gamma(frequency=[0, 1], recency=[0, 3.0], T=[5.0, 5.0], monetary_value=[0, 2.0])
    assert err.value.field == "frequency"


def test_correlated_spend_warns():
    rng = np.random.default_rng(2)
    frequency = rng.integers(1, 20, size=300).astype(float)
    spend = 5.0 * frequency * rng.gamma(20.0, 1 / 20.0, size=300)
    check = spend_independence(
        frequency=frequency, recency=np.ones(300), T=np.full(300, 2.0), monetary_value=spend
    )
    assert not check.plausible
    assert check.correlation > 0.8
    assert check.p_value < 1e-6
    with pytest.warns(CrmkitWarning) as record:
        fit_gamma_gamma(
            frequency=frequency, recency=np.ones(300), T=np.full(300, 2.0), monetary_value=spend
        )
    assert any("independent of frequency" in str(w.message) for w in record)


@pytest.mark.parametrize(
    ("columns", "field", "match"),
    [
        ({"frequency": [1, -1], "recency": [1.0, 0], "T": [2.0, 2]}, "frequency", ">= 0"),
        ({"frequency": [1.5], "recency": [1.0], "T": [2.0]}, "frequency", "whole numbers"),
        ({"frequency": [1, 2], "recency": [1.0, 3.0], "T": [2.0, 2.5]}, "recency", "exceed T"),
        ({"frequency": [0], "recency": [1.0], "T": [2.0]}, "recency", "0 where frequency"),
        ({"frequency": [1], "recency": [-1.0], "T": [2.0]}, "recency", ">= 0"),
        ({"frequency": [1], "recency": [1.0], "T": [np.nan]}, "T", "finite"),
        ({"frequency": [1], "recency": [1.0]}, "T", "missing"),
        ({"frequency": [1, 2], "recency": [1.0], "T": [2.0, 3.0]}, "recency", "same length"),
    ],
)
def test_bad_rfm_input(columns, field, match):
    with pytest.raises(InputError, match=match) as err:
        fit_bgnbd(columns)
    assert err.value.field == field


def test_bad_spend_input():
    with pytest.raises(InputError, match=r"> 0 for customers with repeat purchases") as err:
        fit_gamma_gamma(
            frequency=[1, 2, 0], recency=[1.0, 2, 0], T=[3.0, 3, 3], monetary_value=[5.0, 0, 0]
        )
    assert err.value.positions == (1,)
    with pytest.raises(InputError, match="not both"):
        fit_bgnbd({"frequency": [1]}, frequency=[1])
    with pytest.raises(InputError, match="'t'"):
        expected_purchases(
            bgnbd_from_params(r=1, alpha=1, a=1, b=1),
            t=-1.0,
            frequency=[1],
            recency=[1.0],
            T=[2.0],
        )
    with pytest.raises(InputError, match="'alpha'"):
        bgnbd_from_params(r=1, alpha=0, a=1, b=1)
    with pytest.raises(InputError, match="'q'"):
        gamma_gamma_from_params(p=1, q=float("inf"), gamma=1)
    with pytest.raises(InputError, match="BGNBDFit"):
        probability_alive("fit", frequency=[1], recency=[1.0], T=[2.0])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="q > 1"):
        expected_spend(
            gamma_gamma_from_params(p=1, q=0.5, gamma=1),
            frequency=[0],
            recency=[0.0],
            T=[1.0],
            monetary_value=[0.0],
        )


def test_read_only_inputs(cdnow):
    frozen = {k: v.copy() for k, v in cdnow.items()}
    for v in frozen.values():
        v.flags.writeable = False
    fit = fit_bgnbd(frozen)
    assert isinstance(fit, BGNBDFit)
    alive = probability_alive(fit, frozen)
    assert not alive.flags.writeable
    np.testing.assert_array_equal(frozen["T"], cdnow["T"])


def _direct_bgnbd_ll(theta, x, t_x, T):
    """FHL (2005) eq. 6, written out per customer (the test's independent oracle)."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b = theta
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    l3 = -(r + x) * np.log(alpha + T)
    with np.errstate(all="ignore"):
        l4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return head + np.logaddexp(l3, l4)


def test_objective_equals_direct_likelihood_including_extremes(cdnow):
    x = np.concatenate([cdnow["frequency"], [300.0, 0.0, 1.0]])
    t_x = np.concatenate([cdnow["recency"], [1.0, 0.0, 0.0]])
    T = np.concatenate([cdnow["T"], [1000.0, 0.0, 5.0]])
    rfm = read_rfm(None, frequency=x, recency=t_x, T=T, function="t")
    objective, _ = _bgnbd._objective(rfm)
    for theta in ([0.243, 4.414, 0.793, 2.426], [2.0, 0.5, 3.0, 0.7]):
        value, _ = objective(np.log(theta))
        direct = _direct_bgnbd_ll(np.array(theta), x, t_x, T)
        assert np.isfinite(direct).all()
        assert -value * x.size == pytest.approx(direct.sum(), rel=1e-12)


def test_coarse_warm_start_reaches_the_same_optimum(cdnow, monkeypatch):
    direct = fit_bgnbd(**cdnow)
    monkeypatch.setattr(_bgnbd, "_COARSE_ABOVE", 0)
    warm = fit_bgnbd(**cdnow)
    for name in direct.params:
        assert warm.params[name] == pytest.approx(direct.params[name], rel=1e-5)
    assert warm.diagnostics.ok


def test_gamma_gamma_subsample_warm_start_reaches_the_same_optimum(cdnow_spend, monkeypatch):
    direct = fit_gamma_gamma(**cdnow_spend)
    monkeypatch.setattr(_gamma_gamma, "_SUBSAMPLE_ABOVE", 100)
    monkeypatch.setattr(_gamma_gamma, "_SUBSAMPLE_SIZE", 200)
    warm = fit_gamma_gamma(**cdnow_spend)
    for name in direct.params:
        assert warm.params[name] == pytest.approx(direct.params[name], rel=1e-5)


def test_no_repeat_purchases_at_all_is_flagged_not_crashed():
    with pytest.warns(ConvergenceWarning) as record:
        fit = fit_bgnbd(frequency=np.zeros(50), recency=np.zeros(50), T=np.linspace(1, 30, 50))
    assert not fit.diagnostics.ok
    assert any("alive" in str(w.message) or "definite" in str(w.message) for w in record)


def test_expected_purchases_is_continuous_at_a_equal_one():
    data = {"frequency": [0, 3], "recency": [0.0, 20.0], "T": [30.0, 30.0]}
    at_one = expected_purchases(bgnbd_from_params(r=0.5, alpha=4.0, a=1.0, b=2.0), data, t=20.0)
    near = expected_purchases(bgnbd_from_params(r=0.5, alpha=4.0, a=1.001, b=2.0), data, t=20.0)
    assert np.all(np.isfinite(at_one))
    np.testing.assert_allclose(at_one, near, rtol=1e-3)


def test_expected_purchases_at_the_c_equal_zero_corner():
    # x = 0 and a + b = 1 make 2F1's c zero; the value is the limit (continuous in b)
    data = {"frequency": [0], "recency": [0.0], "T": [1.0]}
    at = expected_purchases(bgnbd_from_params(r=1.0, alpha=1.0, a=0.5, b=0.5), data, t=1.0)
    near = expected_purchases(bgnbd_from_params(r=1.0, alpha=1.0, a=0.5, b=0.5001), data, t=1.0)
    np.testing.assert_allclose(at, near, rtol=1e-3)


def test_fits_run_with_one_blas_thread_and_restore_it():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from crmkit.roi._models._fit import one_blas_thread

    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    with one_blas_thread():
        inside = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        assert all(i["num_threads"] == 1 for i in inside)
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before


def test_fits_without_threadpoolctl_still_run(cdnow, monkeypatch):
    # threadpoolctl only makes small fits fast on busy machines; it is not needed to fit
    from crmkit.roi._models import _fit

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    _fit._blas_libraries.cache_clear()
    try:
        fit = fit_bgnbd(**cdnow)
    finally:
        _fit._blas_libraries.cache_clear()
    assert fit.diagnostics.converged
