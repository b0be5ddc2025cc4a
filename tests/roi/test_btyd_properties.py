import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.roi import (
    MarginRate,
    bgnbd_from_params,
    customer_clv,
    customer_pnl,
    expected_purchases,
    gamma_gamma_from_params,
    pareto_nbd_from_params,
    probability_alive,
    retention_economics,
    whale_curve,
)

positive = st.floats(0.05, 20.0)


@st.composite
def customers(draw):
    n = draw(st.integers(1, 6))
    x = np.array(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), dtype=float)
    T = np.array(draw(st.lists(st.floats(0.5, 100.0), min_size=n, max_size=n)))
    frac = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    t_x = np.where(x > 0, frac * T, 0.0)
    return {"frequency": x, "recency": t_x, "T": T}


@settings(max_examples=60, deadline=None)
@given(customers(), st.tuples(positive, positive, positive, positive), st.floats(0.1, 50.0))
def test_predictions_are_coherent(data, params, t):
    r, alpha, a, b = params
    for model in (
        bgnbd_from_params(r=r, alpha=alpha, a=a, b=b),
        pareto_nbd_from_params(r=r, alpha=alpha, s=a, beta=b),
    ):
        alive = probability_alive(model, data)
        assert np.all((alive > 0) & (alive <= 1))
        assert np.all(alive[data["frequency"] == 0] > 0.0)
        soon = expected_purchases(model, data, t=t)
        later = expected_purchases(model, data, t=2 * t)
        assert np.all(np.isfinite(soon))
        assert np.all(soon >= -1e-12)
        assert np.all(later >= soon - 1e-9)


@settings(max_examples=40, deadline=None)
@given(customers(), st.floats(0.0, 0.1), st.integers(1, 12))
def test_clv_grows_with_horizon_and_spend(data, d, periods):
    bg = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    gg = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)
    spend = {**data, "monetary_value": np.where(data["frequency"] > 0, 20.0, 0.0)}
    richer = {**data, "monetary_value": np.where(data["frequency"] > 0, 40.0, 0.0)}
    short = customer_clv(bg, gg, spend, periods=periods, period_length=4.0, discount_rate=d)
    long = customer_clv(bg, gg, spend, periods=periods + 3, period_length=4.0, discount_rate=d)
    more = customer_clv(bg, gg, richer, periods=periods, period_length=4.0, discount_rate=d)
    assert np.all(long.clv >= short.clv - 1e-9)
    assert np.all(more.clv >= short.clv - 1e-9)
    assert np.all(short.clv >= 0)


def test_results_are_json_safe(cdnow):
    bg = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    pnl = customer_pnl(
        {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [10.0, 0.0]},
        margin=MarginRate(rate=0.5),
        activities={"customer": [1, 2], "calls": [1, 0]},
        unit_costs={"calls": 2.0},
    )
    econ = retention_economics(
        margin=10.0,
        retention=0.5,
        uplift=0.1,
        discount_rate=0.1,
        new_customers=5,
        acquisition_cost=3.0,
    )
    for result in (bg, pnl, whale_curve(pnl), econ):
        text = json.dumps(result.to_dict())
        assert "NaN" not in text
    assert repr(bg).startswith("BGNBDFit(r=0.243")
