"""Honest intervals: on simulated bases with known parameters, 90% intervals cover ~90%."""

import warnings

import numpy as np
import pytest

from crmkit.datasets import simulate_purchase_histories
from crmkit.errors import ConvergenceWarning
from crmkit.roi import (
    bgnbd_from_params,
    clv_interval,
    customer_clv,
    expected_purchases,
    expected_purchases_interval,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_from_params,
)

TRUTH = bgnbd_from_params(r=0.5, alpha=4.0, a=1.2, b=3.0)
SPEND = gamma_gamma_from_params(p=6.0, q=4.0, gamma=15.0)
N_BASES = 200
N_CUSTOMERS = 1000


def _base(k):
    """A base of the true model, with Gamma-Gamma spend (FHL 2005b's story), seeded by k."""
    rng = np.random.default_rng(10_000 + k)
    sim = simulate_purchase_histories(TRUTH, T=rng.uniform(20.0, 80.0, N_CUSTOMERS), seed=k)
    nu = rng.gamma(SPEND.q, 1.0 / SPEND.gamma, sim.frequency.size)
    x = sim.frequency
    spend = np.where(
        x > 0, rng.gamma(SPEND.p * np.maximum(x, 1), 1.0 / (nu * np.maximum(x, 1))), 0.0
    )
    return {
        "customer": sim.customer,
        "frequency": x,
        "recency": sim.recency,
        "T": sim.T,
        "monetary_value": spend,
    }


@pytest.mark.slow
def test_ninety_percent_intervals_cover_the_truth_ninety_percent_of_the_time():
    total_hits, customer_hits, clv_hits = [], [], []
    for k in range(N_BASES):
        data = _base(k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            purchases = fit_bgnbd(data)
            spend = fit_gamma_gamma(data)
        band = expected_purchases_interval(purchases, data, t=26.0, level=0.9, seed=k, n_draws=64)
        truth = expected_purchases(TRUTH, data, t=26.0)
        total_hits.append(band.total_lower <= truth.sum() <= band.total_upper)
        customer_hits.append(np.mean((band.lower <= truth) & (truth <= band.upper)))
        if k < N_BASES // 2:
            value = clv_interval(
                purchases,
                spend,
                data,
                periods=6,
                period_length=4.345,
                discount_rate=0.01,
                level=0.9,
                seed=k,
                n_draws=64,
            )
            true_value = customer_clv(
                TRUTH, SPEND, data, periods=6, period_length=4.345, discount_rate=0.01
            ).total_clv
            clv_hits.append(value.total_lower <= true_value <= value.total_upper)
    # the target: 85-95% (binomial sd over 200 bases: 2.1 points)
    assert 0.85 <= np.mean(total_hits) <= 0.95
    assert 0.85 <= np.mean(customer_hits) <= 0.95
    assert 0.80 <= np.mean(clv_hits) <= 0.97  # 100 bases: sd 3 points
