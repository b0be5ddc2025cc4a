"""The model family's API: errors (field and words), diagnostics, horizons, results."""

import datetime as dt
import json
import warnings

import numpy as np
import pytest
from dateutil.relativedelta import relativedelta
from scipy import integrate

from crmkit.datasets import simulate_customer_base, simulate_purchase_histories
from crmkit.errors import ConvergenceWarning, FitError, InputError
from crmkit.roi import (
    CalendarPeriods,
    bgbb_from_params,
    bgnbd_from_params,
    clv_interval,
    compare_models,
    customer_clv,
    dert,
    expected_purchases,
    expected_purchases_interval,
    expected_purchases_new_customer,
    fit_bgbb,
    fit_bgnbd,
    fit_mbgnbd,
    fit_shifted_beta_geometric,
    gamma_gamma_from_params,
    likelihood_ratio_test,
    mbgnbd_from_params,
    pareto_nbd_from_params,
    probability_alive,
    probability_alive_ahead,
    purchase_count_pmf,
    repeat_purchase_histogram,
    shifted_beta_geometric_from_params,
    tracking_curve,
)
from crmkit.segmentation import btyd_summary

BG = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
ONE = {"frequency": [2], "recency": [30.0], "T": [38.0]}
ONE_SPEND = {**ONE, "monetary_value": [20.0]}


def test_degenerate_fit_is_flagged_and_said_in_words():
    # the 30-customer base of `crmkit demo --customers 30`: a and b run to 10^6
    base = simulate_customer_base(30, "2023-01-01", "2025-01-01", seed=42)
    summary = btyd_summary(base.transactions, freq="week")
    with pytest.warns(ConvergenceWarning) as record:
        fit = fit_bgnbd(summary)
    d = fit.diagnostics
    assert d.degenerate
    assert not d.ok
    assert set(d.at_bound) >= {"a", "b"}
    assert len(record) == len(d.warnings)
    assert d.summary().startswith("DEGENERATE fit")
    assert "a, b ran to a bound or corner" in d.summary()
    # a sound fit says so, with a finite condition and a covariance
    sound = fit_bgnbd(simulate_purchase_histories(BG, T=np.linspace(10, 60, 3000), seed=1))
    assert sound.diagnostics.summary() == "converged"
    assert 1 <= sound.diagnostics.hessian_condition < 1e6
    cov = sound.diagnostics.covariance
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), list(sound.standard_errors.values()))
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_the_report_says_when_the_fit_is_degenerate():
    from crmkit._demo import demo_report
    from crmkit.errors import ConvergenceWarning

    with pytest.warns(ConvergenceWarning):
        report = demo_report(n_customers=30, seed=42, charts=False)
    said = report.not_computed["Prospecting"]  # values that are not estimates are not shown
    assert "the fit is degenerate: BG/NBD" in said
    assert "a, b ran to a bound" in said


@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        (lambda: expected_purchases(BG, ONE, t=-1.0), "t", r"number in \[0, 1e\+07\]"),
        (lambda: expected_purchases(BG, ONE, t="1"), "t", r"number in \[0, 1e\+07\]"),  # type: ignore[arg-type]
        (lambda: probability_alive_ahead(BG, ONE, t=float("nan")), "t", r"number in \[0, 1e\+07\]"),
        (lambda: expected_purchases(BG, ONE, t=1e300), "t", r"number in \[0, 1e\+07\]"),
        (
            lambda: repeat_purchase_histogram(BG, ONE, max_frequency=10**12),
            "max_frequency",
            r"int in \[1, 10000\]",
        ),
        (lambda: purchase_count_pmf(BG, t=0.0, n_max=3), "t", "> 0"),
        (lambda: purchase_count_pmf(BG, t=1.0, n_max=-1), "n_max", "int >= 0"),
        (lambda: purchase_count_pmf(BG, t=1.0, n_max=2.0), "n_max", "int"),  # type: ignore[arg-type]
        (lambda: purchase_count_pmf(BG, t=1.0, n_max=10**9), "n_max", "limit"),
        (lambda: dert(BG, ONE, discount_rate=0.0), "discount_rate", "> 0"),
        (lambda: expected_purchases_new_customer(BG, t=[-1.0]), "t", ">= 0"),
        (lambda: probability_alive("fit", ONE), "fit", "BGBBFit"),  # type: ignore[arg-type]
        (
            lambda: expected_purchases(
                bgbb_from_params(alpha=1, beta=1, gamma=1, delta=1),
                {"frequency": [1], "recency": [1.5], "T": [3]},
                t=1.0,
            ),
            "recency",
            "whole numbers",
        ),
        (
            lambda: expected_purchases(
                bgbb_from_params(alpha=1, beta=1, gamma=1, delta=1),
                {"frequency": [1], "recency": [1], "T": [2]},
                t=1.5,
            ),
            "t",
            "whole number",
        ),
        (lambda: bgnbd_from_params(r=1, alpha=0, a=1, b=1), "alpha", "> 0"),
        (lambda: mbgnbd_from_params(r=1, alpha=1, a=True, b=1), "a", "> 0"),  # type: ignore[arg-type]
        (lambda: bgbb_from_params(alpha=1, beta=1, gamma=float("inf"), delta=1), "gamma", "> 0"),
        (lambda: shifted_beta_geometric_from_params(alpha=-1, beta=1), "alpha", "> 0"),
        (
            lambda: customer_clv(
                BG, GG, ONE_SPEND, periods=10**6, period_length=1.0, discount_rate=0.01
            ),
            "periods",
            r"int in \[1, 10000\]",
        ),
        (
            lambda: customer_clv(BG, GG, ONE_SPEND, periods=3, discount_rate=0.01),
            "period_length",
            "not both",
        ),
        (
            lambda: customer_clv(
                BG,
                GG,
                ONE_SPEND,
                periods=3,
                period_length=1.0,
                calendar=CalendarPeriods(as_of="2024-01-01", freq="month", time_unit="week"),
                discount_rate=0.01,
            ),
            "period_length",
            "not both",
        ),
        (
            lambda: customer_clv(
                BG,
                GG,
                ONE_SPEND,
                periods=3,
                calendar="monthly",  # type: ignore[arg-type]
                discount_rate=0.01,
            ),
            "calendar",
            "CalendarPeriods",
        ),
        (
            lambda: customer_clv(
                BG, GG, ONE_SPEND, periods=3, period_length=1.0, discount_rate=-1.0
            ),
            "discount_rate",
            "> -1",
        ),
        (
            lambda: CalendarPeriods(as_of="2024-01-01", freq="fortnight", time_unit="week"),
            "freq",
            "one of",
        ),
        (lambda: CalendarPeriods(as_of="", freq="month", time_unit="week"), "as_of", "as_of"),
        (lambda: compare_models("split", models=["bgnbd"]), "split", "CalibrationHoldout"),  # type: ignore[arg-type]
    ],
)
def test_bad_parameters_get_named_errors(call, field, words):
    with pytest.raises(InputError, match=words) as err:
        call()
    assert err.value.field == field


def test_interval_errors():
    with pytest.raises(FitError, match="given parameters"):
        expected_purchases_interval(BG, ONE, t=1.0, level=0.9, seed=1)
    fit = fit_bgnbd(simulate_purchase_histories(BG, T=np.linspace(10, 60, 1000), seed=2))
    for kwargs, field in [
        ({"level": 1.0}, "level"),
        ({"level": 0.0}, "level"),
        ({"level": 0.9, "seed": -1}, "seed"),
        ({"level": 0.9, "seed": None}, "seed"),
        ({"level": 0.9, "n_draws": 4}, "n_draws"),
    ]:
        args = {"seed": 1} | kwargs
        with pytest.raises(InputError) as err:
            expected_purchases_interval(fit, ONE, t=1.0, **args)
        assert err.value.field == field
    with pytest.raises(InputError, match="GammaGammaFit") as err:
        clv_interval(
            fit,
            fit,
            ONE_SPEND,
            periods=2,
            period_length=1.0,
            discount_rate=0.0,  # type: ignore[arg-type]
            level=0.9,
            seed=1,
        )
    assert err.value.field == "spend"


def test_intervals_are_seeded_and_repeat():
    fit = fit_bgnbd(simulate_purchase_histories(BG, T=np.linspace(10, 60, 1000), seed=3))
    data = simulate_purchase_histories(BG, T=np.linspace(10, 60, 50), seed=4)
    a = expected_purchases_interval(fit, data, t=10.0, level=0.9, seed=7, n_draws=64)
    b = expected_purchases_interval(fit, data, t=10.0, level=0.9, seed=7, n_draws=64)
    c = expected_purchases_interval(fit, data, t=10.0, level=0.9, seed=8, n_draws=64)
    np.testing.assert_array_equal(a.lower, b.lower)
    assert not np.array_equal(a.lower, c.lower)
    np.testing.assert_allclose(a.estimate, expected_purchases(fit, data, t=10.0))
    assert json.dumps(a.to_dict())


def test_calendar_periods_follow_the_calendar():
    months = CalendarPeriods(as_of="2024-01-31", freq="month", time_unit="day")
    start = dt.datetime(2024, 1, 31)
    expected = [(start + relativedelta(months=k) - start).days for k in range(1, 14)]
    assert months.ends(13).tolist() == expected  # Feb 29 in a leap year, then month ends
    quarters = CalendarPeriods(as_of="2023-11-15T12:00", freq="quarter", time_unit="week")
    assert quarters.ends(2).tolist() == [
        (dt.datetime(2024, 2, 15, 12) - dt.datetime(2023, 11, 15, 12)).days / 7,
        (dt.datetime(2024, 5, 15, 12) - dt.datetime(2023, 11, 15, 12)).days / 7,
    ]
    years = CalendarPeriods(as_of="2024-02-29", freq="year", time_unit="day")
    assert years.ends(2).tolist() == [365.0, 730.0]  # to 28 February 2025 and 2026


def test_calendar_clv_differs_from_fixed_months_as_the_calendar_does():
    data = {
        "frequency": [3, 0],
        "recency": [200.0, 0.0],
        "T": [250.0, 250.0],
        "monetary_value": [30.0, 0.0],
    }
    bg_days = bgnbd_from_params(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
    months = CalendarPeriods(as_of="2024-01-01", freq="month", time_unit="day")
    calendar = customer_clv(bg_days, GG, data, periods=12, calendar=months, discount_rate=0.01)
    assert (
        calendar.period_ends.tolist()
        == np.cumsum([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]).tolist()
    )
    thirty = customer_clv(bg_days, GG, data, periods=12, period_length=30.0, discount_rate=0.01)
    assert thirty.period_ends[-1] == 360.0
    assert calendar.period_ends[-1] == 366.0
    assert calendar.total_clv > thirty.total_clv  # six more days of purchases
    np.testing.assert_allclose(
        calendar.expected_purchases, expected_purchases(bg_days, data, t=366.0), rtol=1e-12
    )


def test_dert_equals_the_discounted_integral():
    # DERT = int_0^inf delta e^(-delta t) E[Y(t)] dt (by parts), integrated numerically
    data = {"frequency": [0, 3, 7], "recency": [0.0, 20.0, 35.0], "T": [38.0, 38.0, 38.0]}
    d = 0.003
    delta = np.log1p(d)
    for model in (
        BG,
        mbgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
        pareto_nbd_from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ):
        ours = dert(model, data, discount_rate=d)
        for i in range(3):
            row = {k: [v[i]] for k, v in data.items()}
            value = integrate.quad(
                lambda t, row=row, model=model: (
                    delta * np.exp(-delta * t) * float(expected_purchases(model, row, t=t)[0])
                ),
                0,
                np.inf,
                limit=400,
            )[0]
            assert ours[i] == pytest.approx(value, rel=1e-5)


def test_bgbb_dert_equals_the_discounted_sum():
    model = bgbb_from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    data = {"frequency": [0, 3, 6], "recency": [0, 4, 6], "T": [6, 6, 6]}
    ours = dert(model, data, discount_rate=0.1)
    cumulative = np.array([expected_purchases(model, data, t=float(k)) for k in range(400)])
    by_hand = (np.diff(cumulative, axis=0) / 1.1 ** np.arange(1, 400)[:, None]).sum(axis=0)
    np.testing.assert_allclose(ours, by_hand, rtol=1e-9)


def test_tracking_curve_is_the_sum_of_new_customer_expectations():
    data = {"frequency": [0, 2, 1], "recency": [0.0, 5.0, 3.0], "T": [10.0, 20.0, 20.0]}
    curve = tracking_curve(BG, data, t=[-15.0, -10.0, 0.0, 12.0])
    by_hand = [
        sum(float(expected_purchases_new_customer(BG, t=max(T + k, 0.0))) for T in data["T"])
        for k in (-15.0, -10.0, 0.0, 12.0)
    ]
    np.testing.assert_allclose(curve.cumulative, by_hand, rtol=1e-12)
    np.testing.assert_allclose(np.cumsum(curve.incremental), curve.cumulative)
    assert curve.to_frame().shape == (4, 3)


def test_compare_models_table_and_errors():
    base = simulate_customer_base(3_000, "2022-01-01", "2024-01-01", seed=21, refund_rate=0.0)
    from crmkit.roi import calibration_holdout

    split = calibration_holdout(
        base.transactions, freq="week", calibration_end="2023-06-30", observation_end="2023-12-31"
    )
    table = compare_models(split, models=["bgnbd", "mbgnbd", "pareto_nbd", "bgbb"])
    frame = table.to_frame()
    assert frame["model"].tolist() == ["bgnbd", "mbgnbd", "pareto_nbd", "bgbb"]
    np.testing.assert_allclose(table.aic, 2 * 4 - 2 * table.log_likelihood)
    np.testing.assert_allclose(
        table.bic, 4 * np.log(split.customer.size) - 2 * table.log_likelihood
    )
    assert table.best_aic == table.model[np.argmin(table.aic)]
    assert table.actual_total == split.holdout_purchases.sum()
    assert np.all(np.isfinite(table.tracking_error))
    # the simulation is BG/NBD: it predicts its own holdout within 10%
    bg_row = list(table.model).index("bgnbd")
    assert table.predicted_total[bg_row] == pytest.approx(table.actual_total, rel=0.1)
    assert json.dumps(table.to_dict())
    for models, words in [
        (["bgnbd", "bgnbd"], "distinct"),
        (["lifetimes"], "one of"),
        ("bgnbd", "sequence"),
        ([], "sequence"),
    ]:
        with pytest.raises(InputError, match=words) as err:
            compare_models(split, models=models)  # type: ignore[arg-type]
        assert err.value.field == "models"


def test_likelihood_ratio_test_errors():
    counts = [1000, 631, 468, 382, 326, 289, 262, 241]
    sbg = fit_shifted_beta_geometric(counts)
    other = fit_shifted_beta_geometric([500, 300, 200])
    with pytest.raises(InputError, match="nests") as err:
        likelihood_ratio_test(sbg, other)
    assert err.value.field == "full"
    from crmkit.roi import beta_discrete_weibull_from_params, fit_beta_discrete_weibull

    with pytest.raises(InputError, match="fitted model") as err:
        likelihood_ratio_test(sbg, beta_discrete_weibull_from_params(alpha=1, beta=1, c=1))
    assert err.value.field == "full"
    with pytest.raises(InputError, match="same data") as err:
        likelihood_ratio_test(sbg, fit_beta_discrete_weibull([500, 300, 200, 150]))
    assert err.value.field == "full"


def test_read_only_inputs_and_json_safe_results(cdnow):
    frozen = {k: v.copy() for k, v in cdnow.items()}
    for v in frozen.values():
        v.flags.writeable = False
    fit = fit_mbgnbd(frozen)
    for result in (
        purchase_count_pmf(fit, t=10.0, n_max=5),
        tracking_curve(fit, frozen, t=[0.0, 10.0]),
        fit,
        fit_shifted_beta_geometric([1000, 631, 468]),
    ):
        json.dumps(result.to_dict())
    assert not dert(fit, frozen, discount_rate=0.01).flags.writeable
    np.testing.assert_array_equal(frozen["T"], cdnow["T"])


def test_bgbb_needs_whole_periods_and_frequency_at_most_t():
    for data, field in [
        ({"frequency": [1], "recency": [1.5], "T": [3]}, "recency"),
        ({"frequency": [1], "recency": [1], "T": [3.5]}, "T"),
        ({"frequency": [4], "recency": [3], "T": [3]}, "frequency"),
    ]:
        with pytest.raises(InputError) as err:
            fit_bgbb(data)
        assert err.value.field == field
    with pytest.raises(InputError, match="> 0") as err:
        fit_bgbb({"frequency": [1, 0], "recency": [1, 0], "T": [3, 3]}, weights=[1.0, 0.0])
    assert err.value.field == "weights"


def test_gamma_gamma_q_below_one_cannot_value_new_customers():
    heavy = gamma_gamma_from_params(p=1.0, q=0.5, gamma=1.0)
    with pytest.raises(InputError, match="q > 1") as err:
        customer_clv(
            BG,
            heavy,
            {"frequency": [0], "recency": [0.0], "T": [5.0], "monetary_value": [0.0]},
            periods=2,
            period_length=1.0,
            discount_rate=0.0,
        )
    assert err.value.field == "spend"


def test_warnings_do_not_escape_for_degenerate_inputs():
    # all customers buying up to the end: flagged, never a numpy RuntimeWarning
    rng = np.random.default_rng(5)
    frequency = rng.integers(2, 12, size=400)
    data = {"frequency": frequency, "recency": np.full(400, 51.8), "T": np.full(400, 52.0)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_mbgnbd(data)
        expected_purchases(fit, data, t=52.0)
        dert(fit, data, discount_rate=0.01)
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert fit.diagnostics.degenerate


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize(
    "theta",
    [(0.5, 28.0, 1.2, 3.0), (0.24, 30.0, 0.79, 2.4), (2.0, 5.0, 1.0, 0.5), (0.1, 0.5, 8.0, 0.3)],
)
def test_interpolated_bracket_equals_the_direct_values(theta, modified):
    from crmkit.roi._models import _bg_family as bg

    rng = np.random.default_rng(0)
    x = rng.integers(0, 60, 5000).astype(float)
    T = np.floor(rng.uniform(30, 730, 5000))
    ends = 30.0 * np.arange(1, 13)
    weights = 1.01 ** -np.arange(1, 13)
    fast = bg.alive_expected_sum(theta, x, T, ends, weights, modified=modified)
    direct = weights @ np.stack(
        [bg.alive_expected(theta, x, T, e, modified=modified) for e in ends]
    )
    np.testing.assert_allclose(fast, direct, rtol=1e-9)
    values = (np.unique(x), np.unique(np.zeros_like(x)), np.unique(T))
    codes = tuple(
        np.searchsorted(v, c) for v, c in zip(values, (x, np.zeros_like(x), T), strict=True)
    )
    np.testing.assert_allclose(
        bg.p_alive_coded(theta, values, codes, modified=modified),
        bg.p_alive(theta, x, np.zeros_like(x), T, modified=modified),
        rtol=1e-14,
    )
