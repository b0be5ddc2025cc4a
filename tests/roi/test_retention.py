import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.roi import retention_clv, retention_economics
from tests.roi.strategies import discount, positive_money, retention


def test_known_values():
    # Gupta & Lehmann (2003): margin multiple r / (1 + i - r); r=0.8, i=0.12 -> 2.5
    value = retention_clv(100.0, retention=0.8, discount_rate=0.12, horizon="infinite")
    assert value.margin_multiple[0] == pytest.approx(2.5)
    assert value.clv[0] == pytest.approx(250.0)
    assert value.expected_periods[0] == pytest.approx(4.0)  # 0.8 / 0.2
    one = retention_clv(100.0, retention=0.8, discount_rate=0.25, horizon=1)
    assert one.clv[0] == pytest.approx(64.0)
    three = retention_clv(10.0, retention=0.5, discount_rate=0.0, horizon=3)
    assert three.clv[0] == pytest.approx(10 * (0.5 + 0.25 + 0.125))
    assert three.horizon == 3
    # q = r / (1 + d) = 1 exactly
    flat = retention_clv(10.0, retention=0.5, discount_rate=-0.5, horizon=4)
    assert flat.clv[0] == pytest.approx(40.0)


def test_broadcast_and_net_value():
    value = retention_clv(
        [100.0, 50.0], retention=0.5, discount_rate=0.0, horizon="infinite", acquisition_cost=30.0
    )
    assert value.clv.tolist() == [100.0, 50.0]
    assert value.net_value.tolist() == [70.0, 20.0]
    assert value.to_frame()["clv"].tolist() == [100.0, 50.0]
    assert value.to_dict()["horizon"] == "infinite"


@settings(max_examples=100, deadline=None)
@given(positive_money, retention, retention, discount, st.integers(1, 40))
def test_clv_increases_with_retention(margin, r1, r2, d, horizon):
    assume(abs(r1 - r2) > 1e-6)
    low, high = sorted((r1, r2))
    horizons = (horizon, "infinite") if high < 1 + d else (horizon,)
    for h in horizons:
        a = retention_clv(margin, retention=low, discount_rate=d, horizon=h).clv[0]
        b = retention_clv(margin, retention=high, discount_rate=d, horizon=h).clv[0]
        assert b >= a


@settings(max_examples=100, deadline=None)
@given(positive_money, positive_money, retention, discount, st.integers(1, 40))
def test_clv_increases_with_margin(m1, m2, r, d, horizon):
    low, high = sorted((m1, m2))
    a = retention_clv(low, retention=r, discount_rate=d, horizon=horizon).clv[0]
    b = retention_clv(high, retention=r, discount_rate=d, horizon=horizon).clv[0]
    assert b >= a


@settings(max_examples=100, deadline=None)
@given(positive_money, retention, discount, discount, st.integers(1, 40))
def test_clv_decreases_with_discount_rate(m, r, d1, d2, horizon):
    low, high = sorted((d1, d2))
    horizons = (horizon, "infinite") if r < 1 + low else (horizon,)
    for h in horizons:
        a = retention_clv(m, retention=r, discount_rate=low, horizon=h).clv[0]
        b = retention_clv(m, retention=r, discount_rate=high, horizon=h).clv[0]
        assert b <= a * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(positive_money, retention, st.floats(0.01, 1.0))
def test_infinite_is_limit_of_finite(m, r, d):
    infinite = retention_clv(m, retention=r, discount_rate=d, horizon="infinite").clv[0]
    long = retention_clv(m, retention=r, discount_rate=d, horizon=20_000).clv[0]
    assert long == pytest.approx(infinite, rel=1e-9)
    short = retention_clv(m, retention=r, discount_rate=d, horizon=5).clv[0]
    assert short <= infinite * (1 + 1e-12)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"retention": 1.0}, "retention"),
        ({"retention": -0.1}, "retention"),
        ({"retention": [0.5, 1.2]}, "retention"),
        ({"discount_rate": -1.0}, "discount_rate"),
        ({"discount_rate": np.nan}, "discount_rate"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": "forever"}, "horizon"),
        ({"horizon": True}, "horizon"),
        ({"acquisition_cost": [1.0, 2.0, 3.0]}, "acquisition_cost"),
    ],
)
def test_bad_input(kwargs, field):
    args = {"retention": 0.5, "discount_rate": 0.1, "horizon": 3} | kwargs
    with pytest.raises(InputError) as err:
        retention_clv([100.0, 80.0], **args)
    assert err.value.field == field


def test_bad_retention_message_names_rows():
    with pytest.raises(InputError, match=r"in \[0, 1\): 1 bad row, at position 1 with value 1.2"):
        retention_clv(1.0, retention=[0.5, 1.2], discount_rate=0.1, horizon=2)


def test_infinite_horizon_must_converge():
    with pytest.raises(InputError, match="diverges"):
        retention_clv(1.0, retention=0.6, discount_rate=-0.5, horizon="infinite")


def test_length_mismatch():
    with pytest.raises(InputError, match="common length"):
        retention_clv([1.0, 2.0], retention=[0.1, 0.2, 0.3], discount_rate=0.1, horizon=2)


def test_retention_economics_hand_worked():
    econ = retention_economics(
        margin=100.0,
        retention=0.75,
        uplift=0.05,
        discount_rate=0.1,
        new_customers=1_000,
        acquisition_cost=120.0,
        retention_cost=5.0,
    )
    assert econ.customers_before == pytest.approx(4000.0)
    assert econ.customers_after == pytest.approx(5000.0)
    assert econ.profit_before == pytest.approx(400_000 - 120_000)
    assert econ.programme_cost == pytest.approx(25_000.0)
    assert econ.profit_after == pytest.approx(500_000 - 120_000 - 25_000)
    assert econ.profit_change == pytest.approx(75_000 / 280_000)
    assert econ.clv_before == pytest.approx(75 / 0.35)
    assert econ.clv_after == pytest.approx(80 / 0.3)
    # 1000 extra customers at old retention need 250 more acquisitions a period
    assert econ.acquisition_cost_to_match == pytest.approx(250 * 120.0)
    assert econ.break_even_retention_cost == pytest.approx(20.0)
    assert econ.to_dict()["retention_after"] == pytest.approx(0.8)


@settings(max_examples=60, deadline=None)
@given(positive_money, st.floats(0.0, 0.9), st.floats(0.001, 0.09), st.floats(0.0, 1.0))
def test_retention_economics_more_retention_more_value(m, r, up, d):
    econ = retention_economics(
        margin=m, retention=r, uplift=up, discount_rate=d, new_customers=10, acquisition_cost=1
    )
    assert econ.clv_after >= econ.clv_before
    assert econ.profit_after >= econ.profit_before
    # at the break-even programme cost, profit is unchanged
    even = retention_economics(
        margin=m,
        retention=r,
        uplift=up,
        discount_rate=d,
        new_customers=10,
        acquisition_cost=1,
        retention_cost=econ.break_even_retention_cost,
    )
    assert even.profit_after == pytest.approx(even.profit_before, rel=1e-9, abs=1e-6)


def test_retention_economics_bad_input():
    base = {
        "margin": 10.0,
        "retention": 0.5,
        "uplift": 0.1,
        "discount_rate": 0.1,
        "new_customers": 10,
        "acquisition_cost": 5.0,
    }
    for key, value in [
        ("retention", 1.0),
        ("uplift", 0.6),
        ("discount_rate", -1.0),
        ("new_customers", 0),
        ("acquisition_cost", -1.0),
        ("retention_cost", -2.0),
        ("margin", float("inf")),
        ("margin", "ten"),
    ]:
        with pytest.raises(InputError) as err:
            retention_economics(**(base | {key: value}))
        assert err.value.field == key


# --- the boundary and the float64 edges ----------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"margin": "100"}, "margin", "must be a finite number"),
        ({"margin": True}, "margin", "must be a finite number"),
        ({"retention": [0.5, True]}, "retention", "must hold numbers"),
        ({"retention": None}, "retention", "in [0, 1)"),
        ({"discount_rate": [0.1, -1.0]}, "discount_rate", "> -1"),
        ({"horizon": 1.5}, "horizon", "int in [1, "),
        ({"horizon": 2**60}, "horizon", "int in [1, "),
        ({"horizon": "inf"}, "horizon", "'infinite'"),
        ({"acquisition_cost": float("nan")}, "acquisition_cost", "finite number"),
    ],
)
def test_bad_values_are_named(kwargs, field, words):
    args = {"margin": 100.0, "retention": 0.5, "discount_rate": 0.1, "horizon": 3} | kwargs
    margin = args.pop("margin")
    with pytest.raises(InputError) as err:
        retention_clv(margin, **args)
    assert err.value.field == field
    assert words in str(err.value)


def test_lengths_broadcast_and_the_odd_one_is_named():
    value = retention_clv(100.0, retention=[0.5, 0.6], discount_rate=0.0, horizon=1)
    assert value.clv.tolist() == [50.0, 60.0]
    value = retention_clv(
        [100.0, 50.0], retention=0.5, discount_rate=0.0, horizon=1, acquisition_cost=[10.0, 5.0]
    )
    assert value.net_value.tolist() == [40.0, 20.0]
    with pytest.raises(InputError, match="one common length") as err:
        retention_clv([1.0, 2.0], retention=0.5, discount_rate=[0.1, 0.2, 0.3], horizon=2)
    assert err.value.field == "discount_rate"
    empty = retention_clv([], retention=0.5, discount_rate=0.1, horizon=2)
    assert empty.clv.shape == (0,)  # element-wise: no customers, no values


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        # retention / (1 + d) = 1.8 > 1: the margin multiple grows past float64 by period 1,300
        ({"retention": 0.9, "discount_rate": -0.5, "horizon": 10**6}, "horizon"),
        (
            {"margin": 1e308, "retention": 0.9, "discount_rate": 0.0, "horizon": "infinite"},
            "margin",
        ),
        (
            {
                "margin": 1.5e308,
                "retention": 0.99,
                "discount_rate": 0.0,
                "horizon": 1,
                "acquisition_cost": -1.5e308,
            },
            "acquisition_cost",
        ),
    ],
)
def test_values_beyond_float64_are_refused_by_name(kwargs, field):
    args = {"margin": 10.0, "retention": 0.5, "discount_rate": 0.1, "horizon": 3} | kwargs
    margin = args.pop("margin")
    with pytest.raises(InputError, match="passes float64's range") as err:
        retention_clv(margin, **args)
    assert err.value.field == field


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.0, 0.999),
    st.floats(-0.5, 1.0),
    st.integers(1, 400),
)
def test_margin_multiple_is_the_sum_of_discounted_survival(r, d, horizon):
    """The closed form equals the sum over periods it stands for (math.fsum as the oracle)."""
    q = r / (1 + d)
    assume(q**horizon < 1e200)
    exact = math.fsum(q**t for t in range(1, horizon + 1))
    got = retention_clv(1.0, retention=r, discount_rate=d, horizon=horizon).margin_multiple[0]
    assert got == pytest.approx(exact, rel=1e-9, abs=1e-300)


def test_margin_multiple_near_q_of_one_is_accurate():
    # q = 1 + 1e-9: the old "isclose(q, 1) -> H" shortcut was off by 0.05% at H = 10**6
    d = 0.5 / (1 + 1e-9) - 1  # retention 0.5, so q = 0.5 / (1 + d) = 1 + 1e-9
    got = retention_clv(1.0, retention=0.5, discount_rate=d, horizon=10**6).margin_multiple[0]
    q = 0.5 / (1 + d)
    exact = q * math.expm1(10**6 * math.log1p(q - 1)) / (q - 1)  # closed form in exact terms
    assert got == pytest.approx(exact, rel=1e-9)
    assert got > 10**6  # every period is worth (slightly) more than one


def test_economics_relative_changes_are_nan_only_when_undefined():
    # retention of 2.2e-311: a CLV before of ~1e-311, too close to 0 for a ratio
    econ = retention_economics(
        margin=1.0,
        retention=2.2e-311,
        uplift=0.0625,
        discount_rate=0.0,
        new_customers=10,
        acquisition_cost=1.0,
    )
    assert math.isnan(econ.clv_change)
    assert econ.clv_before > 0  # the result says why
    zero = retention_economics(
        margin=0.0,
        retention=0.5,
        uplift=0.1,
        discount_rate=0.1,
        new_customers=10,
        acquisition_cost=0.0,
    )
    assert math.isnan(zero.clv_change)
    assert math.isnan(zero.profit_change)
    assert zero.profit_before == 0.0


def test_economics_needs_a_converging_clv():
    with pytest.raises(InputError, match="converges") as err:
        retention_economics(
            margin=10.0,
            retention=0.5,
            uplift=0.1,
            discount_rate=-0.5,
            new_customers=10,
            acquisition_cost=1.0,
        )
    assert err.value.field == "discount_rate"


def test_economics_beyond_float64_is_refused_by_name():
    with pytest.raises(InputError, match="passes float64's range") as err:
        retention_economics(
            margin=1e300,
            retention=0.5,
            uplift=0.1,
            discount_rate=0.1,
            new_customers=1e10,
            acquisition_cost=1.0,
        )
    assert err.value.field == "margin"
