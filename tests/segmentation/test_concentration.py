import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.segmentation import (
    abc_classes,
    gini,
    lorenz_curve,
    pareto_point,
    top_share,
)
from tests.segmentation.strategies import value_arrays

positive_total = value_arrays().filter(lambda v: v.sum() > 1e-6)


@settings(max_examples=80, deadline=None)
@given(positive_total)
def test_lorenz_monotone_convex_ends_at_one(values):
    c = lorenz_curve(values)
    assert c.population_share[0] == 0.0
    assert c.value_share[0] == 0.0
    assert c.population_share[-1] == 1.0
    assert c.value_share[-1] == 1.0
    steps = np.diff(c.value_share)
    assert np.all(steps >= -1e-12)  # monotone
    assert np.all(np.diff(steps) >= -1e-9)  # convex: increments non-decreasing
    assert np.all(c.value_share <= c.population_share + 1e-9)  # below the diagonal


@settings(max_examples=80, deadline=None)
@given(positive_total)
def test_gini_in_unit_interval_for_nonnegative_values(values):
    g = gini(values)
    assert -1e-12 <= g < 1.0
    assert g <= 1 - 1 / values.size + 1e-9
    assert g == pytest.approx(lorenz_curve(values).gini)
    # Gini = 1 - 2 * area under the Lorenz curve (trapezoids)
    c = lorenz_curve(values)
    area = np.trapezoid(c.value_share, c.population_share)
    assert g == pytest.approx(1 - 2 * area, abs=1e-9)


@pytest.mark.parametrize("n", [1, 2, 10, 1000])
def test_gini_closed_forms(n):
    # values 1..n: G = (n - 1) / (3n); one holder of everything: G = (n - 1) / n
    assert gini(np.arange(1, n + 1, dtype=float)) == pytest.approx((n - 1) / (3 * n))
    one = np.zeros(n)
    one[-1] = 5.0
    assert gini(one) == pytest.approx((n - 1) / n)
    assert gini(np.full(n, 7.0)) == pytest.approx(0.0, abs=1e-12)


def test_gini_of_exponential_sample_is_one_half():
    # exponential distribution: G = 1/2 (closed form), large sample
    rng = np.random.default_rng(7)
    assert gini(rng.exponential(3.0, 400_000)) == pytest.approx(0.5, abs=0.005)


@settings(max_examples=80, deadline=None)
@given(positive_total, st.lists(st.floats(0, 1), min_size=2, max_size=8))
def test_top_share_monotone_in_p(values, ps):
    ps = np.sort(np.asarray(ps))
    shares = top_share(values, ps)
    assert np.all(np.diff(shares) >= -1e-12)
    assert top_share(values, 0.0) == 0.0
    assert top_share(values, 1.0) == pytest.approx(1.0)
    # the top p hold at least p of the total
    assert np.all(shares >= ps - 1e-9)


@settings(max_examples=80, deadline=None)
@given(positive_total)
def test_pareto_point_solves_its_equation(values):
    pt = pareto_point(values)
    assert 0.0 <= pt.customer_share <= 0.5 + 1e-12
    assert top_share(values, pt.customer_share) == pytest.approx(pt.value_share, abs=1e-9)
    assert pt.value_share == pytest.approx(1 - pt.customer_share)


def test_pareto_known_values():
    assert pareto_point(np.full(10, 3.0)).customer_share == pytest.approx(0.5)
    assert pareto_point([80.0, 5, 5, 5, 5]).customer_share == pytest.approx(0.2)


def test_whale_curve_with_negative_profit():
    profit = np.array([100.0, 50.0, 10.0, -40.0])
    assert top_share(profit, 0.5) == pytest.approx(150 / 120)
    c = lorenz_curve(profit)
    assert c.n_negative == 1
    assert c.value_share[1] < 0


@settings(max_examples=80, deadline=None)
@given(positive_total, st.sampled_from([(0.8, 0.95), (0.5,), (0.7, 0.9, 1.0)]))
def test_abc_classes_properties(values, thresholds):
    r = abc_classes(values, thresholds=thresholds)
    k = np.searchsorted(np.asarray(r.labels), r.abc_class)
    # a higher value never gets a worse class; ties share a class
    order = np.argsort(-values, kind="stable")
    assert np.all(np.diff(k[order]) >= 0)
    for v in np.unique(values):
        assert np.unique(r.abc_class[values == v]).size == 1
    assert sum(r.customers.values()) == values.size
    assert sum(r.value_share.values()) == pytest.approx(1.0)
    # class A reaches the first threshold
    assert r.value_share["A"] >= thresholds[0] - 1e-9 or r.customers["A"] == values.size


def test_abc_labels_and_ids():
    r = abc_classes(
        [5.0, 1.0, 94.0], thresholds=[0.9], labels=["core", "tail"], customer=["x", "y", "z"]
    )
    assert r.abc_class.tolist() == ["tail", "tail", "core"]
    assert r.customer.tolist() == ["x", "y", "z"]
    assert r.to_frame().shape == (3, 3)


def test_concentration_errors():
    with pytest.raises(InputError, match="positive total"):
        gini([0.0, 0.0])
    with pytest.raises(InputError, match="positive total"):
        lorenz_curve([-5.0, 1.0])
    with pytest.raises(InputError, match="empty"):
        pareto_point([])
    with pytest.raises(InputError, match="finite"):
        top_share([1.0, np.inf], 0.2)
    with pytest.raises(InputError, match="'p' parameter"):
        top_share([1.0, 2.0], 1.5)
    with pytest.raises(InputError, match="'thresholds' parameter"):
        abc_classes([1.0, 2.0], thresholds=(0.95, 0.8))
    with pytest.raises(InputError, match="'thresholds' parameter"):
        abc_classes([1.0, 2.0], thresholds=(0.8, 1.2))
    with pytest.raises(InputError, match="'thresholds' parameter"):
        abc_classes([1.0, 2.0], thresholds=(0.0, 0.5))
    with pytest.raises(InputError, match="'labels'"):
        abc_classes([1.0, 2.0], labels=["A"])
    with pytest.raises(InputError, match="same length"):
        abc_classes([1.0, 2.0], customer=[1])


def test_concentration_leaves_readonly_input_alone():
    v = np.array([3.0, 1.0, 2.0])
    v.flags.writeable = False
    lorenz_curve(v)
    abc_classes(v)
    pareto_point(v)
    assert v.tolist() == [3.0, 1.0, 2.0]
