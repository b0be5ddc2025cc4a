"""Known values of the model family: published estimates and lifetimes as a test-only oracle."""

import importlib.resources

import numpy as np
import pytest
from scipy import optimize, special

from crmkit import Transactions
from crmkit.roi import (
    beta_discrete_weibull_from_params,
    calibration_holdout,
    compare_models,
    expected_purchases,
    expected_purchases_new_customer,
    fit_beta_discrete_weibull,
    fit_bgbb,
    fit_mbgnbd,
    fit_pareto_nbd,
    fit_shifted_beta_geometric,
    likelihood_ratio_test,
    mbgnbd_from_params,
    probability_alive,
    probability_alive_ahead,
    purchase_count_pmf,
    retention_curve,
    shifted_beta_geometric_from_params,
)
from crmkit.roi._models import _pareto
from crmkit.roi._models._btyd_data import read_rfm

# Fader, Hardie & Shang (2010), Table 1 / Figure 2: the 1995 cohort of 11,104 first-time
# donors, (x, t_x) over the n = 6 annual opportunities after the first gift, as counts.
DONORS = [
    (0, 0, 3464), (1, 1, 1091), (1, 2, 277), (1, 3, 129), (1, 4, 78), (1, 5, 119),
    (1, 6, 129), (2, 2, 613), (2, 3, 255), (2, 4, 155), (2, 5, 173), (2, 6, 234),
    (3, 3, 322), (3, 4, 181), (3, 5, 225), (3, 6, 357), (4, 4, 240), (4, 5, 284),
    (4, 6, 512), (5, 5, 335), (5, 6, 728), (6, 6, 1203),
]  # fmt: skip

# Fader & Hardie (2007), "How to project customer retention", Table 1: customers of a
# cohort of 1,000 still active at the end of years 0-12 ("regular" and "high end").
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def _donors():
    x, t_x, w = (np.array(c, dtype=float) for c in zip(*DONORS, strict=True))
    return {"frequency": x, "recency": t_x, "T": np.full(x.size, 6.0)}, w


def test_donor_table_is_the_published_cohort():
    data, weights = _donors()
    assert weights.sum() == 11104
    lifetimes = pytest.importorskip("lifetimes")
    del lifetimes
    resource = importlib.resources.files("lifetimes") / "datasets" / "donations.csv"
    with importlib.resources.as_file(resource) as path:
        published = np.genfromtxt(path, delimiter=",", names=True)
    np.testing.assert_array_equal(published["frequency"], data["frequency"])
    np.testing.assert_array_equal(published["weights"], weights)


def test_bgbb_on_donations_matches_fader_hardie_shang_2010():
    # FHS (2010), section 3: alpha 1.204, beta 0.750, gamma 0.657, delta 2.783
    data, weights = _donors()
    fit = fit_bgbb(data, weights=weights)
    for name, published in {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}.items():
        assert fit.params[name] == pytest.approx(published, abs=6e-4)
    assert fit.n_customers == 11104
    assert fit.n_distinct_rows == 22
    assert fit.diagnostics.ok
    # the same optimum as a fit on one row per donor
    repeated = {k: np.repeat(v, weights.astype(int)) for k, v in data.items()}
    per_donor = fit_bgbb(repeated)
    for name, value in fit.params.items():
        assert per_donor.params[name] == pytest.approx(value, rel=1e-5)
    assert per_donor.log_likelihood == pytest.approx(fit.log_likelihood, rel=1e-10)


def test_bgbb_equals_lifetimes(cdnow):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    data, weights = _donors()
    ours = fit_bgbb(data, weights=weights)
    theirs = lifetimes.BetaGeoBetaBinomFitter().fit(
        pd.Series(data["frequency"]),
        pd.Series(data["recency"]),
        pd.Series(data["T"]),
        weights=pd.Series(weights),
    )
    for name, value in ours.params.items():
        assert value == pytest.approx(theirs.params_[name], rel=1e-3)
    theirs.params_ = pd.Series(ours.params)
    x, t_x, n = data["frequency"], data["recency"], data["T"]
    for t in (1, 5):
        np.testing.assert_allclose(
            expected_purchases(ours, data, t=float(t)),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, n),
            rtol=1e-10,
        )
        np.testing.assert_allclose(
            probability_alive_ahead(ours, data, t=float(t)),
            theirs.conditional_probability_alive(t, x, t_x, n),
            rtol=1e-10,
        )
    # the in-sample check of FHS 2010 Figure 3: expected donors by number of repeat gifts
    pmf = purchase_count_pmf(ours, t=6.0, n_max=6)
    expected = theirs.expected_number_of_transactions_in_first_n_periods(6)["model"].to_numpy()
    np.testing.assert_allclose(pmf.probability * 11104, expected, rtol=1e-9)
    assert pmf.tail == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("counts", "alpha", "beta"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)]
)
def test_sbg_matches_fader_hardie_2007(counts, alpha, beta):
    # FH (2007), section 4: fitted on years 0-7, alpha/beta as published
    fit = fit_shifted_beta_geometric(counts[:8])
    assert fit.alpha == pytest.approx(alpha, abs=6e-4)
    assert fit.beta == pytest.approx(beta, abs=6e-4)
    assert fit.n_customers == 1000
    assert fit.diagnostics.ok
    # the projection to year 12 is close to what happened (FH 2007, Figure 3)
    projected = 1000 * retention_curve(fit, periods=12).survival
    assert np.max(np.abs(projected - np.array(counts)) / np.array(counts)) < 0.1


def _sbg_closed_form(alpha, beta, t):
    """FH (2007) eq. 4-6: P(T = t) and S(t), the test's independent oracle."""
    churn = np.exp(special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta))
    survival = np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))
    return churn, survival


def test_bdw_with_c_one_is_the_sbg():
    t = np.arange(1, 40, dtype=float)
    churn, survival = _sbg_closed_form(0.704, 1.182, t)
    bdw = retention_curve(
        beta_discrete_weibull_from_params(alpha=0.704, beta=1.182, c=1.0), periods=39
    )
    sbg = retention_curve(shifted_beta_geometric_from_params(alpha=0.704, beta=1.182), periods=39)
    np.testing.assert_allclose(bdw.survival[1:], survival, rtol=1e-12)
    np.testing.assert_allclose(bdw.churn_probability[1:], churn, rtol=1e-10)
    np.testing.assert_array_equal(bdw.survival, sbg.survival)
    # the retention rate of FH (2007) eq. 7
    np.testing.assert_allclose(bdw.retention_rate[1:], (1.182 + t - 1) / (0.704 + 1.182 + t - 1))
    # the sBG log-likelihood is the BdW's at c = 1: the LR statistic is >= 0
    sbg_fit = fit_shifted_beta_geometric(REGULAR[:8])
    lost = -np.diff(REGULAR[:8])
    c1, s1 = _sbg_closed_form(sbg_fit.alpha, sbg_fit.beta, np.arange(1, 8, dtype=float))
    assert sbg_fit.log_likelihood == pytest.approx(
        float(np.sum(lost * np.log(c1)) + REGULAR[7] * np.log(s1[-1])), rel=1e-12
    )
    test = likelihood_ratio_test(sbg_fit, fit_beta_discrete_weibull(REGULAR[:8]))
    assert test.statistic >= 0
    assert test.df == 1


def test_mbgnbd_on_cdnow_equals_lifetimes(cdnow):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    ours = fit_mbgnbd(cdnow)
    theirs = lifetimes.ModifiedBetaGeoFitter().fit(
        pd.Series(cdnow["frequency"]), pd.Series(cdnow["recency"]), pd.Series(cdnow["T"])
    )
    for name, value in ours.params.items():
        assert value == pytest.approx(theirs.params_[name], rel=1e-4)
    assert ours.diagnostics.ok
    # predictions at the same parameters agree to rounding
    model = mbgnbd_from_params(**ours.params)
    theirs.params_ = pd.Series(ours.params)
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        probability_alive(model, cdnow), theirs.conditional_probability_alive(f, r, T), rtol=1e-12
    )
    for t in (1.0, 39.0, 200.0):
        np.testing.assert_allclose(
            expected_purchases(model, cdnow, t=t),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, f, r, T),
            rtol=1e-9,
        )
        assert expected_purchases_new_customer(model, t=t) == pytest.approx(
            theirs.expected_number_of_purchases_up_to_time(t), rel=1e-10
        )
    pmf = purchase_count_pmf(model, t=39.0, n_max=5)
    for n in range(6):
        assert pmf.probability[n] == pytest.approx(
            theirs.probability_of_n_purchases_up_to_time(39.0, n), rel=1e-9
        )


def test_bgnbd_new_customer_and_pmf_equal_lifetimes(cdnow):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    from crmkit.roi import bgnbd_from_params

    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    theirs = lifetimes.BetaGeoFitter()
    theirs.params_ = pd.Series(params)
    model = bgnbd_from_params(**params)
    for t in (1.0, 39.0, 78.0):
        assert expected_purchases_new_customer(model, t=t) == pytest.approx(
            theirs.expected_number_of_purchases_up_to_time(t), rel=1e-10
        )
    pmf = purchase_count_pmf(model, t=39.0, n_max=7)
    for n in range(8):
        assert pmf.probability[n] == pytest.approx(
            theirs.probability_of_n_purchases_up_to_time(39.0, n), rel=1e-9
        )


def test_pareto_analytic_gradient(cdnow):
    rfm = read_rfm(None, function="t", **cdnow)
    objective, _ = _pareto._objective(rfm)
    # a point near the optimum, and points with the parameters far apart (the series is
    # long, or replaced by scipy's hyp2f1 for z > 0.9995)
    # (the last: z > 0.9995 for most rows, where the r and s derivatives are central
    # differences of scipy's hyp2f1 and the agreement is about 1e-6)
    for point, tolerance in (
        ([0.553, 10.578, 0.606, 11.669], 1e-6),
        ([0.5, 30.0, 0.6, 3.0], 1e-6),
        ([2.0, 1.0, 0.3, 50.0], 1e-6),
        ([0.1, 1000.0, 2.0, 1.0], 1e-6),
        ([0.3, 1.0, 1.0, 3000.0], 1e-5),
    ):
        x0 = np.log(point)
        err = optimize.check_grad(lambda v: objective(v)[0], lambda v: objective(v)[1], x0)
        assert err < tolerance * max(1.0, float(np.linalg.norm(objective(x0)[1])))


def test_pareto_fit_equals_lifetimes(cdnow):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    ours = fit_pareto_nbd(cdnow)
    theirs = lifetimes.ParetoNBDFitter().fit(
        pd.Series(cdnow["frequency"]), pd.Series(cdnow["recency"]), pd.Series(cdnow["T"])
    )
    for name, value in ours.params.items():
        assert value == pytest.approx(theirs.params_[name], rel=2e-3)
    assert ours.log_likelihood >= -9595.0


@pytest.fixture(scope="module")
def cdnow_master():
    """The raw CDNOW log (69,659 rows; dates as YYYYMMDD), shipped with lifetimes."""
    pytest.importorskip("lifetimes")
    resource = importlib.resources.files("lifetimes") / "datasets" / "CDNOW_master.txt"
    with importlib.resources.as_file(resource) as path:
        return np.loadtxt(path, dtype=str, skiprows=1)


def test_cdnow_holdout_comparison_reproduces_lifetimes(cdnow_master):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    raw = cdnow_master
    tx = Transactions.from_arrays(
        customer=raw[:, 0].astype(np.int64),
        timestamp=raw[:, 1],
        amount=raw[:, 3].astype(float),
        date_format="%Y%m%d",
    )
    # lifetimes' ends are inclusive days; crmkit's are exclusive instants (the next midnight)
    split = calibration_holdout(
        tx, freq="week", calibration_end="1997-10-01", observation_end="1998-07-01"
    )
    frame = pd.DataFrame(
        {
            "id": raw[:, 0].astype(np.int64),
            "date": pd.to_datetime(raw[:, 1], format="%Y%m%d"),
            "amount": raw[:, 3].astype(float),
        }
    )
    # (a value column keeps lifetimes' group-by working under pandas 3)
    theirs = lifetimes.utils.calibration_and_holdout_data(
        frame,
        "id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="W",
        monetary_value_col="amount",
    ).sort_index()
    np.testing.assert_array_equal(split.customer, theirs.index.to_numpy())
    np.testing.assert_array_equal(split.calibration.frequency, theirs["frequency_cal"])
    np.testing.assert_allclose(split.calibration.recency, theirs["recency_cal"])
    np.testing.assert_allclose(split.calibration.T, theirs["T_cal"])
    np.testing.assert_array_equal(split.holdout_purchases, theirs["frequency_holdout"])
    assert split.holdout_length == theirs["duration_holdout"].iloc[0]
    table = compare_models(split, models=["bgnbd"])
    fit = table.fits["bgnbd"]
    bgf = lifetimes.BetaGeoFitter().fit(
        theirs["frequency_cal"], theirs["recency_cal"], theirs["T_cal"]
    )
    for name, value in fit.params.items():
        assert value == pytest.approx(bgf.params_[name], rel=1e-3)
    # lifetimes' plot_calibration_purchases_vs_holdout_purchases: mean predicted and actual
    # holdout purchases by calibration frequency, at the same parameters
    bgf.params_ = pd.Series(fit.params)
    predicted = bgf.conditional_expected_number_of_purchases_up_to_time(
        theirs["duration_holdout"], theirs["frequency_cal"], theirs["recency_cal"], theirs["T_cal"]
    )
    group = np.minimum(theirs["frequency_cal"].to_numpy(), 7)
    by_freq = table.by_frequency["bgnbd"]
    for k in range(8):
        mine = group == k
        assert by_freq.predicted[k] == pytest.approx(predicted[mine].mean(), rel=1e-9)
        assert by_freq.actual[k] == pytest.approx(theirs["frequency_holdout"][mine].mean())
    assert table.actual_total == theirs["frequency_holdout"].sum()
