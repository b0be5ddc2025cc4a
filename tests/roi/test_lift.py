import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.roi import lift_test, minimum_detectable_lift, sample_size_for_lift
from crmkit.roi._campaigns._lift import _power

# Newcombe (1998), Table II, method 10 (hybrid score interval): x1/n1 - x2/n2 -> 95% interval
NEWCOMBE = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize("row", NEWCOMBE)
def test_newcombe_interval_reproduces_the_published_table(row):
    x1, n1, x2, n2, low, high = row
    t = lift_test(population=n1 + n2, control=n2, responders=x1, control_responders=x2)
    assert t.ci_low[0] == pytest.approx(low, abs=6e-5)
    assert t.ci_high[0] == pytest.approx(high, abs=6e-5)


def test_z_test_and_value_by_hand():
    t = lift_test(
        population=[11_000, 2_000],
        control=[1_000, 1_000],
        responders=[420, 30],
        control_responders=[25, 30],
        campaign=["win-back", "newsletter"],
        revenue=[33_600.0, 2_400.0],
        control_revenue=[2_000.0, 2_400.0],
        margin_rate=0.4,
        cost=[4_000.0, 0.0],
    )
    p1, p2 = 420 / 10_000, 25 / 1_000
    pooled = 445 / 11_000
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 10_000 + 1 / 1_000))
    assert t.z[0] == pytest.approx(z)
    assert t.p_value[0] == pytest.approx(2 * (1 - NormalDist().cdf(z)), rel=1e-9)
    assert t.significant.tolist() == [True, False]
    assert t.relative_lift[0] == pytest.approx(0.68)
    assert t.incremental_responders[0] == pytest.approx(170.0)
    assert t.incremental_revenue.tolist() == pytest.approx([13_600.0, 0.0])
    assert t.incremental_profit.tolist() == pytest.approx([1_440.0, 0.0])
    assert t.incremental_roi[0] == pytest.approx(0.36)
    assert np.isnan(t.incremental_roi[1])  # nothing spent, nothing gained
    assert t.campaign.tolist() == ["win-back", "newsletter"]
    assert "Newcombe" in t.method
    plain = lift_test(population=100, control=50, responders=5, control_responders=0)
    assert plain.relative_lift[0] == np.inf  # the control group did not respond at all
    assert np.isnan(plain.incremental_revenue[0])  # revenues not given


def test_no_response_anywhere():
    t = lift_test(population=100, control=50, responders=0, control_responders=0)
    assert t.z[0] == 0.0
    assert t.p_value[0] == 1.0
    assert not t.significant[0]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 5_000),
    st.integers(1, 5_000),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.5, 0.999),
)
def test_interval_contains_the_estimate_and_stays_in_range(n1, n2, f1, f2, level):
    x1, x2 = round(f1 * n1), round(f2 * n2)
    t = lift_test(
        population=n1 + n2, control=n2, responders=x1, control_responders=x2, confidence=level
    )
    assert -1.0 <= t.ci_low[0] <= t.absolute_lift[0] + 1e-12
    assert t.absolute_lift[0] - 1e-12 <= t.ci_high[0] <= 1.0
    assert 0.0 <= t.p_value[0] <= 1.0


def test_bad_input():
    with pytest.raises(InputError) as err:
        lift_test(
            population=[100, 50], control=[10, 60], responders=[1, 1], control_responders=[1, 1]
        )
    assert err.value.field == "control"
    assert err.value.positions == (1,)
    assert "larger than the population" in str(err.value)
    with pytest.raises(InputError) as err:
        lift_test(population=100, control=100, responders=0, control_responders=1)
    assert err.value.field == "control"
    with pytest.raises(InputError) as err:
        lift_test(population=100, control=10, responders=91, control_responders=1)
    assert err.value.field == "responders"
    assert "treated group" in str(err.value)
    with pytest.raises(InputError) as err:
        lift_test(population=100, control=10, responders=5, control_responders=11)
    assert err.value.field == "control_responders"
    with pytest.raises(InputError) as err:
        lift_test(population=100.5, control=10, responders=5, control_responders=1)
    assert err.value.field == "population"
    with pytest.raises(InputError) as err:
        lift_test(population=100, control=10, responders=5, control_responders=1, confidence=1.0)
    assert err.value.field == "confidence"
    with pytest.raises(InputError) as err:
        lift_test(population=100, control=10, responders=5, control_responders=1, revenue=10.0)
    assert err.value.field == "control_revenue"
    with pytest.raises(InputError) as err:
        lift_test(
            population=100,
            control=10,
            responders=5,
            control_responders=1,
            revenue=1.0,
            control_revenue=1.0,
            margin_rate=0.5,
            cost=-1.0,
        )
    assert err.value.field == "cost"


def test_sample_size_known_value():
    # 10% against 15%, equal groups, 80% power, two-sided 5%: 686 per group
    # (Fleiss, Levin & Paik 2003, eq. 4.14 without continuity correction)
    s = sample_size_for_lift(
        baseline_rate=0.10, minimum_lift=0.05, power=0.8, confidence=0.95, control_share=0.5
    )
    assert (s.treated, s.control, s.total) == (686, 686, 1372)
    assert s.target_rate == pytest.approx(0.15)


@settings(max_examples=150, deadline=None)
@given(
    st.floats(0.005, 0.5),
    st.floats(0.005, 0.3),
    st.floats(0.6, 0.95),
    st.sampled_from([0.9, 0.95, 0.99]),
    st.floats(0.05, 0.5),
)
def test_sample_size_is_the_smallest_with_enough_power(base, lift, power, level, share):
    assume(base + lift < 0.99)
    s = sample_size_for_lift(
        baseline_rate=base, minimum_lift=lift, power=power, confidence=level, control_share=share
    )
    k = (1 - share) / share
    assert _power(base, lift, s.control, k, level) >= power - 1e-9
    if s.control > 1:
        assert _power(base, lift, s.control - 1, k, level) < power + 1e-9
    d = minimum_detectable_lift(
        baseline_rate=base, treated=s.treated, control=s.control, power=power, confidence=level
    )
    assert d.absolute_lift <= lift + 1e-6


def test_minimum_detectable_lift_inverts_the_sample_size():
    d = minimum_detectable_lift(
        baseline_rate=0.10, treated=686, control=686, power=0.8, confidence=0.95
    )
    assert d.absolute_lift == pytest.approx(0.05, abs=5e-4)
    assert d.relative_lift == pytest.approx(d.absolute_lift / 0.10)
    with pytest.raises(InputError) as err:
        minimum_detectable_lift(
            baseline_rate=0.5, treated=3, control=1, power=0.99, confidence=0.99
        )
    assert err.value.field == "control"
    assert "too small" in str(err.value)
    with pytest.raises(InputError) as err:
        sample_size_for_lift(
            baseline_rate=0.9, minimum_lift=0.2, power=0.8, confidence=0.95, control_share=0.5
        )
    assert err.value.field == "minimum_lift"
