"""Model views: the frequency x recency matrices, the repeat-purchase histogram, tracking.

Oracles: lifetimes (test-only) evaluates the same formulas on the same grids;
the properties below hold for any parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import simulate_customer_base
from crmkit.errors import InputError
from crmkit.roi import (
    alive_matrix,
    bgnbd_from_params,
    expected_purchases_matrix,
    fit_bgnbd,
    gamma_gamma_from_params,
    pareto_nbd_from_params,
    purchase_tracking,
    repeat_purchase_histogram,
)
from crmkit.segmentation import btyd_summary

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _lifetimes_bg():
    from lifetimes import BetaGeoFitter

    bg = BetaGeoFitter()
    bg.params_ = pd.Series(CDNOW)
    return bg


@pytest.fixture(scope="module")
def weekly():
    base = simulate_customer_base(1_500, "2023-01-01", "2024-01-01", seed=11)
    return base, btyd_summary(base.transactions, freq="week", as_of="2024-01-01")


def test_alive_matrix_equals_lifetimes_grid(weekly):
    _, summary = weekly
    fit = bgnbd_from_params(**CDNOW)
    m = alive_matrix(fit, summary)
    top, big_t = int(summary.frequency.max()), int(summary.T.max())
    assert m.matrix.shape == (top + 1, big_t + 1)
    np.testing.assert_array_equal(m.recency, np.arange(big_t + 1))
    bg = _lifetimes_bg()
    theirs = np.fromfunction(bg.conditional_probability_alive, (top + 1, big_t + 1), T=big_t)
    possible = ~np.isnan(m.matrix)
    np.testing.assert_allclose(m.matrix[possible], theirs[possible], rtol=1e-10)
    # impossible cells: no repeat purchase but a recency above zero
    assert np.isnan(m.matrix[0, 1:]).all()
    assert possible[1:].all()
    assert m.customers.sum() + m.n_beyond == m.n_customers == summary.customer.size


def test_expected_matrix_equals_lifetimes(weekly):
    _, summary = weekly
    fit = bgnbd_from_params(**CDNOW)
    m = expected_purchases_matrix(fit, summary, t=26.0, max_frequency=6)
    bg = _lifetimes_bg()
    x, tx = np.meshgrid(m.frequency, m.recency, indexing="ij")
    theirs = bg.conditional_expected_number_of_purchases_up_to_time(26.0, x, tx, m.T)
    possible = ~np.isnan(m.matrix)
    np.testing.assert_allclose(m.matrix[possible], np.asarray(theirs)[possible], rtol=1e-8)
    assert m.quantity == "expected_purchases"
    assert m.t == 26.0
    assert m.n_beyond == int((summary.frequency > 6).sum())


@settings(max_examples=40, deadline=None)
@given(
    r=st.floats(0.05, 5),
    alpha=st.floats(0.5, 50),
    a=st.floats(0.1, 5),
    b=st.floats(0.1, 5),
)
def test_alive_matrix_is_a_probability_rising_with_recency(r, alpha, a, b):
    fit = bgnbd_from_params(r=r, alpha=alpha, a=a, b=b)
    data = {"frequency": [0, 3, 9], "recency": [0.0, 10.0, 40.0], "T": [40.0, 40.0, 40.0]}
    m = alive_matrix(fit, data)
    v = m.matrix[1:]
    assert np.all((v > 0) & (v <= 1))
    # at a fixed frequency, the later the last purchase, the likelier the customer is alive
    assert np.all(np.diff(v, axis=1) >= -1e-12)
    assert np.all(m.matrix[0, :1] == 1.0)


def test_pareto_matrix_works_too():
    fit = pareto_nbd_from_params(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    m = alive_matrix(fit, {"frequency": [2], "recency": [20.0], "T": [39.0]})
    assert m.matrix.shape == (3, 40)
    assert 0 < m.matrix[2, 20] < 1


def test_matrix_errors():
    fit = bgnbd_from_params(**CDNOW)
    data = {"frequency": [1], "recency": [2.0], "T": [3.0]}
    with pytest.raises(InputError) as err:
        expected_purchases_matrix(fit, data, t=0.0)
    assert err.value.field == "t"
    with pytest.raises(InputError) as err:
        alive_matrix(fit, data, max_frequency=500)
    assert err.value.field == "max_frequency"
    assert "199" in str(err.value)
    with pytest.raises(InputError) as err:
        alive_matrix("not a fit", data)  # type: ignore[arg-type]
    assert err.value.field == "fit"


def test_matrix_is_bounded_whatever_the_customers():
    fit = bgnbd_from_params(**CDNOW)
    rng = np.random.default_rng(1)
    n = 50_000
    t = rng.uniform(1, 1000, n)
    rec = t * rng.uniform(0, 1, n)
    x = rng.integers(1, 40, n)
    m = alive_matrix(fit, {"frequency": x, "recency": rec, "T": t})
    assert m.matrix.shape == (int(x.max()) + 1, 200)
    assert m.customers.sum() == n


def test_histogram_equals_lifetimes_probabilities(weekly):
    _, summary = weekly
    fit = bgnbd_from_params(**CDNOW)
    h = repeat_purchase_histogram(fit, summary, max_frequency=5)
    bg = _lifetimes_bg()
    theirs = np.array(
        [
            sum(bg.probability_of_n_purchases_up_to_time(float(t), n) for t in summary.T)
            for n in range(5)
        ]
    )
    np.testing.assert_allclose(h.expected[:5], theirs, rtol=1e-8)
    assert h.expected.sum() == pytest.approx(summary.customer.size)
    assert h.actual.sum() == summary.customer.size
    assert h.actual[-1] == int((summary.frequency >= 5).sum())


def test_histogram_of_a_fit_matches_the_data(weekly):
    _, summary = weekly
    h = repeat_purchase_histogram(fit_bgnbd(summary), summary)
    # a model fitted on the data reproduces its frequency distribution closely
    assert np.abs(h.expected - h.actual).sum() < 0.08 * summary.customer.size


def test_histogram_of_pareto_and_refusal_of_a_spend_model(weekly):
    _, summary = weekly
    # every purchase model has a pmf, so a histogram (CDNOW's Pareto/NBD, FHL 2005 Table 1)
    fit = pareto_nbd_from_params(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    h = repeat_purchase_histogram(fit, summary)
    assert h.expected.sum() == pytest.approx(summary.customer.size)
    assert h.actual.sum() == summary.customer.size
    with pytest.raises(InputError) as err:
        repeat_purchase_histogram(
            gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44),  # type: ignore[arg-type]
            {"frequency": [1], "recency": [1.0], "T": [2.0]},
        )
    assert err.value.field == "fit"
    assert "BGNBDFit, MBGNBDFit, ParetoNBDFit or BGBBFit" in str(err.value)
    assert "GammaGammaFit" in str(err.value)


def test_tracking_equals_lifetimes(weekly):
    from lifetimes.utils import expected_cumulative_transactions

    base, _ = weekly
    tx = base.transactions
    fit = bgnbd_from_params(**CDNOW)
    tr = purchase_tracking(fit, tx, freq="day", as_of="2024-01-01")
    frame = pd.DataFrame({"customer": tx.customer, "date": tx.timestamp})
    t = tr.period.size - 1
    theirs = expected_cumulative_transactions(
        _lifetimes_bg(), frame, "date", "customer", t=t, freq="D"
    )
    np.testing.assert_allclose(tr.expected_cumulative[1 : t + 1], theirs["predicted"], rtol=1e-8)
    # lifetimes lists its actual total one period later than its prediction (row i holds
    # the purchases before period i); crmkit puts both at the end of the period
    np.testing.assert_allclose(tr.actual_cumulative[:t], theirs["actual"])


def test_tracking_counts_repeat_periods():
    rows = {
        "customer": [1, 1, 1, 2, 2],
        "timestamp": ["2024-01-01", "2024-01-01", "2024-01-03", "2024-01-02", "2024-01-03"],
        "amount": [1.0] * 5,
    }
    tr = purchase_tracking(bgnbd_from_params(**CDNOW), rows, freq="day")
    assert tr.new_customers.tolist() == [1, 1, 0]
    assert tr.actual.tolist() == [0.0, 0.0, 2.0]
    assert tr.expected[0] == 0.0
    assert np.all(np.diff(tr.expected_cumulative) >= 0)
    with pytest.raises(InputError) as err:
        purchase_tracking(bgnbd_from_params(**CDNOW), rows, freq="fortnight")
    assert err.value.field == "freq"
    with pytest.raises(InputError) as err:
        purchase_tracking(bgnbd_from_params(**CDNOW), rows, freq="day", as_of="2023-01-01")
    assert err.value.field == "as_of"
