"""The customer-base models at the boundary: what the bad-input sweep found, one test each.

Each error test asserts the field and the key words of the message.
"""

import numpy as np
import pytest

from crmkit.errors import InputError
from crmkit.roi import (
    bgnbd_from_params,
    customer_clv,
    fit_bgbb,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_shifted_beta_geometric,
    gamma_gamma_from_params,
    holdout_comparison,
    likelihood_ratio_test,
)

BG = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, CDNOW
GG = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)  # Fader & Hardie 2013, CDNOW
RFM = {
    "customer": [1, 2, 3, 4, 5, 6],
    "frequency": [0, 1, 2, 3, 1, 4],
    "recency": [0.0, 5.0, 10.0, 20.0, 2.0, 30.0],
    "T": [38.0] * 6,
}


def test_a_numeric_covariate_with_text_in_it_is_refused_not_made_a_category():
    # "€40.00" among ages would have made age a categorical covariate with one level per age
    table = {"customer": [1, 2, 3, 4, 5, 6], "age": [25.0, "€40.00", 31.0, 50.0, 44.0, 38.0]}
    with pytest.raises(InputError, match="must hold numbers") as err:
        fit_bgnbd(RFM, covariates=table, purchase_covariates=["age"])
    assert err.value.field == "age"
    assert "'€40.00'" in str(err.value)
    assert "position 1" in str(err.value)  # the table's row, not the aligned one


def test_a_null_in_a_categorical_covariate_is_refused():
    table = {"customer": [1, 2, 3, 4, 5, 6], "channel": ["web", None, "web", "store", "web", "web"]}
    with pytest.raises(InputError, match="must not be null") as err:
        fit_bgnbd(RFM, covariates=table, purchase_covariates=["channel"])
    assert err.value.field == "channel"


def test_spend_whose_repeat_total_overflows_is_refused():
    # the values sum to 1.5e308, but the repeat purchases they stand for (x times m) do not
    spend = {**RFM, "monetary_value": [0.0, 3e307, 3e307, 3e307, 3e307, 3e307]}
    with pytest.raises(InputError, match="times frequency must sum to a finite") as err:
        fit_gamma_gamma(spend)
    assert err.value.field == "monetary_value"
    huge = {**RFM, "monetary_value": [0.0, 1e308, 1e308, 1e308, 1e308, 1e308]}
    with pytest.raises(InputError, match="finite float64 total") as err:
        fit_gamma_gamma(huge)
    assert err.value.field == "monetary_value"


def test_lifetime_values_beyond_float64_are_an_error_not_inf():
    spend = {**RFM, "monetary_value": [0.0, 1e307, 1e307, 1e307, 1e307, 1e307]}
    with pytest.raises(InputError, match="beyond the float64 range") as err:
        customer_clv(BG, GG, spend, periods=10_000, discount_rate=0.0, period_length=1.0)
    assert err.value.field == "monetary_value"


def test_a_discount_rate_whose_factors_overflow_is_refused():
    spend = {**RFM, "monetary_value": [0.0, 20.0, 30.0, 25.0, 40.0, 35.0]}
    with pytest.raises(InputError, match="discount factors over 10000 periods") as err:
        customer_clv(BG, GG, spend, periods=10_000, discount_rate=-0.5, period_length=1.0)
    assert err.value.field == "discount_rate"


def test_bgbb_weights_are_positive_counts_with_a_finite_total():
    rows = {"frequency": [0, 1, 2], "recency": [0, 1, 2], "T": [2, 2, 2]}
    with pytest.raises(InputError, match="must be > 0") as err:
        fit_bgbb(rows, weights=[10.0, 0.0, 5.0])
    assert err.value.field == "weights"
    with pytest.raises(InputError, match="finite float64 total") as err:
        fit_bgbb(rows, weights=[1e308, 1e308, 1e308])
    assert err.value.field == "weights"
    with pytest.raises(InputError, match="same length") as err:
        fit_bgbb(rows, weights=[])
    assert err.value.field == "weights"  # the odd column, not the data's


def test_an_empty_table_names_the_data():
    with pytest.raises(InputError, match="at least one customer") as err:
        fit_bgnbd({"frequency": [], "recency": [], "T": []})
    assert err.value.field == "data"
    with pytest.raises(InputError, match="at least one customer") as err:
        fit_bgnbd(frequency=[], recency=[], T=[])
    assert err.value.field == "frequency"


def test_holdout_comparison_says_what_is_missing():
    with pytest.raises(InputError, match="a CalibrationHoldout, or a table given") as err:
        holdout_comparison(BG, "split.csv")  # type: ignore[arg-type]
    assert err.value.field == "data"
    with pytest.raises(InputError, match="given with the other") as err:
        holdout_comparison(BG, RFM, holdout_purchases=[0, 1, 0, 2, 0, 1])
    assert err.value.field == "holdout_length"


def test_likelihood_ratio_test_names_a_restricted_model_that_is_not_a_fit():
    counts = [1000, 631, 468, 382, 326, 289, 262, 241]  # FH 2007, regular customers
    with pytest.raises(InputError, match="'restricted' parameter") as err:
        likelihood_ratio_test("sBG", fit_shifted_beta_geometric(counts))
    assert err.value.field == "restricted"


def test_far_horizons_are_refused_with_the_limit():
    from crmkit.roi import expected_purchases, tracking_curve

    with pytest.raises(InputError, match=r"in \[0, 1e\+07\]") as err:
        expected_purchases(BG, RFM, t=1e12)
    assert err.value.field == "t"
    with pytest.raises(InputError, match="must be <= 1e\\+07") as err:
        tracking_curve(BG, RFM, t=[1.0, 1e9])
    assert err.value.field == "t"
    # the largest allowed horizon gives finite numbers (the BG/NBD closed form, log(1 - z)
    # taken as log(alpha + T) - log(alpha + T + t))
    far = expected_purchases(BG, RFM, t=1e7)
    assert np.all(np.isfinite(far))
    assert np.all(far >= expected_purchases(BG, RFM, t=1e5))
