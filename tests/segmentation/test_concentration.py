import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.segmentation import (
    abc_classes,
    concentration,
    gini,
    lorenz_curve,
    pareto_point,
    top_share,
)
from crmkit.segmentation._concentration import _abc, _labels, _sorted
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


# --- one sort for every measure ----------------------------------------------------


def reference_abc(values, thresholds):
    """ABC classes from the definition, one customer at a time (descending, sequential sums)."""
    values = np.asarray(values, dtype=float)
    total = float(np.sum(values))
    order = sorted(range(values.size), key=lambda i: -values[i])
    klass = np.zeros(values.size, dtype=int)
    before = 0.0
    best = 0
    first_of_block = None
    for rank, i in enumerate(order):
        if rank == 0 or values[i] != values[order[rank - 1]]:
            first_of_block = sum(before / total >= t for t in thresholds)
        best = max(best, first_of_block)  # a later customer never gets a better class
        klass[i] = best
        before += values[i]
    return klass


mixed_sign = value_arrays(
    elements=st.floats(-1e3, 1e6, allow_nan=False, allow_infinity=False)
).filter(lambda v: v.sum() > 1e-6)
thresholds_sets = st.sampled_from([(0.8, 0.95), (0.5,), (0.7, 0.9, 1.0), (0.1, 0.2, 0.3)])


@settings(max_examples=150, deadline=None)
@given(st.one_of(positive_total, mixed_sign), thresholds_sets)
def test_abc_classes_equal_the_reference_on_both_paths(values, thresholds):
    expected = reference_abc(values, thresholds)
    labels = _labels(None, len(thresholds) + 1, "test")
    r = abc_classes(values, thresholds=thresholds)
    np.testing.assert_array_equal(r.code, expected)
    np.testing.assert_array_equal(r.abc_class, np.asarray(labels)[expected])
    via = concentration(values).abc_classes(thresholds=thresholds)
    np.testing.assert_array_equal(via.code, expected)
    assert dict(via.customers) == dict(r.customers)
    counts = np.bincount(expected, minlength=len(labels))
    assert list(r.customers.values()) == counts.tolist()
    shares = [values[expected == j].sum() / values.sum() for j in range(len(labels))]
    np.testing.assert_allclose(list(r.value_share.values()), shares, atol=1e-9)


@pytest.mark.parametrize("thresholds", [(0.8, 0.95), (0.9999, 1.0), (0.3,)])
def test_abc_block_scan_crosses_blocks_like_one_cumsum(thresholds):
    # 300k values in ties of 7: class starts fall past the first 65,536-value block
    rng = np.random.default_rng(5)
    values = np.repeat(rng.lognormal(0.0, 0.3, 300_000 // 7 + 1), 7)[:300_000]
    s = _sorted(values, "test")
    names = _labels(None, len(thresholds) + 1, "test")
    ids = np.arange(values.size)
    scanned = _abc(s, thresholds, names, ids)
    np.testing.assert_array_equal(scanned.code, reference_abc(values, thresholds))
    stored = concentration(values).abc_classes(thresholds=thresholds)
    np.testing.assert_array_equal(stored.code, scanned.code)


@settings(max_examples=80, deadline=None)
@given(st.one_of(positive_total, mixed_sign), st.lists(st.floats(0, 1), min_size=1, max_size=5))
def test_concentration_answers_as_the_single_purpose_functions(values, ps):
    c = concentration(values)
    assert c.sorted_value.tolist() == sorted(values.tolist())
    assert c.cumulative_share[0] == 0.0
    assert c.cumulative_share[-1] == 1.0
    np.testing.assert_array_equal(c.population_share, np.arange(values.size + 1) / values.size)
    assert c.gini == gini(values)
    np.testing.assert_array_equal(c.top_share(ps), top_share(values, ps))
    assert c.pareto_point() == pareto_point(values)
    lc, lf = c.lorenz_curve(), lorenz_curve(values)
    np.testing.assert_array_equal(lc.value_share, lf.value_share)
    np.testing.assert_array_equal(lc.population_share, lf.population_share)
    assert lc.gini == lf.gini
    assert c.total == lf.total
    assert c.n_negative == int(np.count_nonzero(values < 0))
    # the top share is the Lorenz curve read from the other end, summed from the top
    j = np.arange(values.size + 1)
    from_top = np.concatenate([[0.0], np.cumsum(np.sort(values)[::-1])]) / values.sum()
    np.testing.assert_allclose(c.top_share(j / values.size), from_top, atol=1e-9)


def test_concentration_table_and_dict():
    c = concentration([3.0, 1.0])
    assert c.table()["population_share"].tolist() == [0.0, 0.5, 1.0]
    assert c.table()["cumulative_share"].tolist() == [0.0, 0.25, 1.0]
    assert c.sorted_value.tolist() == [1.0, 3.0]
    d = c.to_dict()
    assert list(d)[:2] == ["population_share", "value"]
    assert "source" not in d
    assert "_source" not in d
    assert repr(c).startswith("Concentration(rows=3")


# --- extreme magnitudes ------------------------------------------------------------

huge = st.floats(1e290, 1.7e308)
extreme = st.one_of(
    value_arrays(elements=st.floats(0, 1.7e308, allow_nan=False, allow_infinity=False)),
    value_arrays(elements=st.one_of(huge, st.floats(0, 1e-300), st.just(0.0), st.just(1.0))),
    value_arrays(elements=st.floats(0, 1e-305, allow_nan=False, allow_infinity=False)),
).filter(lambda v: v.max() > 0)


@settings(max_examples=150, deadline=None)
@given(extreme)
def test_measures_stay_finite_and_in_range_at_extreme_magnitudes(values):
    g = gini(values)
    assert 0.0 <= g <= 1 - 1 / values.size
    shares = top_share(values, [0.0, 0.2, 0.5, 1.0])
    assert np.all(np.isfinite(shares))
    assert shares[0] == 0.0
    assert shares[-1] == 1.0
    assert np.all(np.diff(shares) >= 0)
    pt = pareto_point(values)
    assert 0.0 <= pt.customer_share <= 0.5 + 1e-12
    r = abc_classes(values)
    assert sum(r.customers.values()) == values.size
    assert all(np.isfinite(v) for v in r.value_share.values())
    assert sum(r.value_share.values()) == pytest.approx(1.0)
    # every measure is scale-invariant: the same answer in a unit 2**-600 times smaller
    small = np.ldexp(values, -600)
    if small.max() > 0 and np.all((values == 0) | (small > 1e-290)):
        assert gini(small) == pytest.approx(g, abs=1e-12)
        np.testing.assert_allclose(top_share(small, [0.2, 0.5]), shares[1:3], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-320, 1.7e308), st.integers(1, 50))
def test_gini_of_identical_values_is_exactly_zero(value, n):
    assert gini(np.full(n, value)) == 0.0
    if value * n < 1e308:  # else the total itself is beyond float64: a named error
        assert concentration(np.full(n, value)).gini == 0.0


def test_gini_of_values_spanning_the_whole_float_range():
    # 1e308 dominates: the Gini of one holder among three, (n - 1) / n = 2/3
    assert gini([1e308, 1e-308, 1.0]) == pytest.approx(2 / 3)
    assert gini([5.0, 5.0, 5.0]) == 0.0
    assert top_share([1e308, 1e308], 0.5) == 0.5
    assert pareto_point([1e308, 1e308]).customer_share == 0.5
    # shares 0.476, 0.476, 0.048: the third starts after 95.2% of the total
    assert abc_classes([1e308, 1e308, 1e307]).customers == {"A": 2, "B": 0, "C": 1}


def test_a_total_beyond_float64_is_a_named_error():
    for fn in (lorenz_curve, concentration):
        with pytest.raises(InputError, match="beyond the float64 range") as err:
            fn([1e308, 1e308])
        assert err.value.field == "values"
        assert "larger unit" in str(err.value)
    # an overflow on the way to a representable total is not one
    assert lorenz_curve([1e308, 1e308, -1e308]).total == 1e308


def test_concentration_parameter_errors_name_the_parameter():
    with pytest.raises(InputError, match="'p' parameter of top_share") as err:
        top_share([1.0, 2.0], "0.2")
    assert err.value.field == "p"
    with pytest.raises(InputError, match="sequence of numbers in") as err:
        top_share([1.0, 2.0], [0.1, 2.0])
    assert err.value.field == "p"
    with pytest.raises(InputError, match=r"Pass \[0.8\]") as err:
        abc_classes([1.0, 2.0], thresholds=0.8)
    assert err.value.field == "thresholds"
    with pytest.raises(InputError, match="3 distinct non-empty names") as err:
        abc_classes([1.0, 2.0], labels=["A", "A", "B"])
    assert err.value.field == "labels"
    with pytest.raises(InputError, match=r"Concentration\.abc_classes") as err:
        concentration([1.0, 2.0]).abc_classes(thresholds=(0.9, 0.1))
    assert err.value.field == "thresholds"
    with pytest.raises(InputError, match="positive total; got 0") as err:
        concentration([0.0])
    assert err.value.field == "values"
    with pytest.raises(InputError, match="at most 126 cumulative shares") as err:
        abc_classes([1.0, 2.0], thresholds=np.linspace(0.001, 1.0, 127))
    assert err.value.field == "thresholds"
    many = abc_classes(np.arange(1.0, 300.0), thresholds=np.linspace(0.01, 1.0, 126))
    assert many.code.dtype == np.int8
    assert int(many.code.max()) <= 126
