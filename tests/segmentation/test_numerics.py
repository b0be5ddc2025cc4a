"""Finite in, finite out: segmentation at the ends of the float64 range.

Oracle: a sum of finite amounts is either representable (then crmkit returns it,
even when numpy's running sum overflows on the way) or not (then crmkit raises
an InputError naming the column); shares and means are scale-invariant and
always finite. ``filterwarnings = error`` turns any numpy RuntimeWarning into a
failure.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from crmkit._numeric import (
    group_means,
    group_shares,
    group_sums,
    safe_sum,
    shares_representable,
    sum_shift,
)
from crmkit.errors import InputError
from crmkit.segmentation import (
    Absolute,
    Quantile,
    abc_classes,
    assign_segments,
    btyd_summary,
    concentration,
    gini,
    product_mix,
    rfm_scores,
    rfm_summary,
    segment_summary,
    share_of_wallet,
    value_potential_matrix,
    value_tiers,
)

BIG = 1.5e308
magnitudes = st.one_of(
    st.floats(-1.7e308, 1.7e308, allow_nan=False, allow_infinity=False),
    st.floats(1e300, 1.7e308).flatmap(lambda x: st.sampled_from([x, -x])),
    st.floats(-1e-300, 1e-300, allow_nan=False),
    st.sampled_from([0.0, 1.0, -1.0]),
)
extreme_arrays = hnp.arrays(np.float64, st.integers(1, 30), elements=magnitudes)


def exact_sum(values):
    return sum(Fraction(float(v)) for v in values)


def representable(fraction):
    try:
        return math.isfinite(float(fraction))
    except OverflowError:
        return False


@settings(max_examples=200, deadline=None)
@given(extreme_arrays)
def test_safe_sum_is_numpy_when_finite_and_inf_only_when_the_true_sum_is(values):
    total = safe_sum(values)
    with np.errstate(over="ignore", invalid="ignore"):
        plain = float(np.add.reduce(values))
    if math.isfinite(plain):
        assert total == plain
    exact = exact_sum(values)
    if representable(exact) and abs(float(exact)) < 1e307:
        # scaled summation: as accurate as any float sum of these magnitudes
        assert total == pytest.approx(float(exact), rel=1e-9, abs=1e-15 * np.abs(values).max())
    elif not representable(exact):
        assert math.isinf(total)


@settings(max_examples=150, deadline=None)
@given(extreme_arrays, st.integers(1, 4))
def test_group_sums_means_and_shares_at_extremes(values, n_groups):
    codes = np.arange(values.size) % n_groups
    sums = group_sums(codes, values, n_groups)
    counts = np.bincount(codes, minlength=n_groups)
    means = group_means(codes, values, counts, n_groups)
    for g in range(n_groups):
        part = values[codes == g]
        if part.size == 0:
            assert sums[g] == 0.0
            assert np.isnan(means[g])  # an empty group has no mean
            continue
        exact = exact_sum(part)
        if representable(exact):
            assert math.isfinite(sums[g])
        else:
            assert math.isinf(sums[g])
        assert math.isfinite(means[g])  # a mean lies within the values
        assert np.abs(means[g]) <= np.abs(part).max() * (1 + 1e-12)
    total = safe_sum(values)
    if total != 0 and shares_representable(values, total):
        shares = group_shares(codes, values, n_groups, total)
        assert np.all(np.isfinite(shares))
        if np.all(values >= 0):
            assert float(np.sum(shares)) == pytest.approx(1.0)


def test_sum_shift_is_zero_in_the_everyday_range():
    assert sum_shift(np.array([0.01, 1e6, -3.0])) == 0
    assert sum_shift(np.zeros(3)) == 0
    assert sum_shift(np.array([1e-310])) > 0  # subnormal values are scaled up
    assert sum_shift(np.array([1e308])) < 0


def _log(amounts, customers=None):
    n = len(amounts)
    return {
        "customer": customers if customers is not None else [1] * n,
        "timestamp": [f"2024-01-{d + 1:02d}" for d in range(n)],
        "amount": amounts,
        "product": ["a", "b"] * (n // 2) + ["a"] * (n % 2),
    }


def test_transaction_sums_cannot_overflow_amounts_that_could_are_refused():
    # the boundary refuses amounts whose magnitudes sum past float64, so every
    # customer total, net or mean formed from the rest is finite
    big_but_valid = _log([8e307, 8e307, -1e307], customers=["ann", "ann", "bob"])
    s = rfm_summary(big_but_valid, unit="day", purchases="all")
    assert s.monetary.tolist() == [1.6e308, -1e307]
    b = btyd_summary(big_but_valid, freq="day", include_first_transaction=True)
    assert np.all(np.isfinite(b.monetary_value))
    for call in (
        lambda d: rfm_summary(d, unit="day"),
        lambda d: btyd_summary(d, freq="day"),
        product_mix,
    ):
        with pytest.raises(InputError, match="must sum to a finite float64 total") as err:
            call(_log([BIG, -BIG, BIG]))
        assert err.value.field == "amount"


def test_a_lazy_table_is_refused_like_the_arrays_it_holds():
    # the engine's own sums would not overflow in this order; the rows are refused all the same
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(_log([BIG, -BIG, BIG], customers=[1, 1, 2])).with_columns(
        pl.col("timestamp").str.to_datetime()
    )
    for call in (lambda d: rfm_summary(d, unit="day"), lambda d: btyd_summary(d, freq="day")):
        with pytest.raises(InputError, match="must sum to a finite float64 total") as err:
            call(frame.lazy())
        assert err.value.field == "amount"


def test_value_tiers_shares_when_the_total_is_zero_or_huge():
    zero = value_tiers([5.0, -5.0, 0.0], cuts=[0.5], labels=["gold", "rest"])
    assert dict(zero.value_share) == {"gold": 0.0, "rest": 0.0}  # nothing to share
    assert sum(zero.value_total.values()) == 0.0
    huge = value_tiers([BIG, 1e308, 1.0], cuts=[0.3], labels=["gold", "rest"])
    assert huge.value_share["gold"] == pytest.approx(1.5 / 2.5)
    assert all(math.isfinite(v) for v in huge.value_share.values())
    with pytest.raises(InputError, match="tier totals beyond") as err:
        value_tiers([BIG, BIG], cuts=[0.5], labels=["gold", "rest"])
    assert err.value.field == "values"
    assert "for 1 tier, first ['gold']" in str(err.value)


def test_value_matrix_quadrant_total_beyond_float64_is_named():
    with pytest.raises(InputError, match="quadrant totals") as err:
        value_potential_matrix(
            [BIG, BIG],
            [1.0, 1.0],
            current_threshold=Absolute(1e308 * 1.7),
            potential_threshold=Quantile(0.5),
        )
    assert err.value.field == "current"


def test_share_of_wallet_overall_share_at_extremes():
    w = share_of_wallet([BIG, 1e308], [BIG, 1.7e308])
    assert w.overall_share == pytest.approx((1.5 + 1.0) / (1.5 + 1.7))
    tiny = share_of_wallet([1e-320, 2e-320], [4e-320, 4e-320])
    assert tiny.overall_share == pytest.approx(3 / 8, rel=1e-2)  # subnormal inputs


def test_segment_summary_shares_and_means_at_extremes():
    cols = {
        "recency": [1.0, 300.0, 50.0, 20.0, 10.0],
        "frequency": [9.0, 1.0, 2.0, 3.0, 4.0],
        "monetary": [BIG, 1e308, 1.0, 1.0, 1.0],
    }
    seg = assign_segments(rfm_scores(cols))
    assert seg.segment[:2].tolist() == ["champions", "hibernating"]
    t = segment_summary(seg)  # revenue 2.5e308 in total, split over segments
    assert np.all(np.isfinite(t.revenue))
    assert np.all(np.isfinite(t.revenue_share))
    assert float(t.revenue_share.sum()) == pytest.approx(1.0)
    assert float(t.revenue_share[t.segment == "champions"][0]) == pytest.approx(1.5 / 2.5)
    assert np.all(np.isfinite(t.mean_monetary[t.customers > 0]))
    same = {"recency": [1.0, 1.0], "frequency": [1.0, 1.0], "monetary": [BIG, BIG]}
    together = assign_segments(rfm_scores(same))  # one segment holding 3e308
    with pytest.raises(InputError, match="segment revenue beyond") as err:
        segment_summary(together)
    assert err.value.field == "revenue"
    assert "for 1 segment" in str(err.value)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 12), elements=magnitudes))
def test_segmentation_is_finite_or_a_named_error_at_extreme_magnitudes(amounts):
    n = amounts.size
    data = _log(amounts.tolist(), customers=[i % 3 for i in range(n)])
    s, err = outcome(rfm_summary, data, unit="day", purchases="all")
    if err is not None:
        assert err.field == "amount"
        assert "float64" in str(err)
    else:
        assert np.all(np.isfinite(s.monetary))
        assert np.all(np.isfinite(s.monetary_mean))
        b = btyd_summary(data, freq="day", include_first_transaction=True)
        assert np.all(np.isfinite(b.monetary_value))
    t, err = outcome(value_tiers, amounts, cuts=[0.5], labels=["a", "b"])
    if err is not None:
        assert err.field == "values"
        assert "float64" in str(err)
    else:
        assert all(math.isfinite(v) for v in t.value_share.values())


def outcome(function, *args, **kwargs):
    """(result, None) or (None, the InputError raised)."""
    try:
        return function(*args, **kwargs), None
    except InputError as err:
        return None, err


@pytest.mark.parametrize(
    "call",
    [
        gini,
        abc_classes,
        concentration,
        lambda v: value_tiers(v, cuts=[0.5], labels=["a", "b"]),
    ],
)
def test_a_total_that_cancels_to_almost_nothing_is_a_named_error(call):
    # 1e308 - 1e308 + 1e-300: a positive total, but every share is near 1e608
    with pytest.raises(InputError, match="too small against its largest value") as err:
        call(np.array([1e308, -1e308, 1e-300]))
    assert err.value.field == "values"
    assert "cancel" in str(err.value)


def test_product_shares_of_a_customer_whose_refunds_cancel_are_a_named_error():
    data = _log([1e307, -1e307, 1e-300])
    data["product"] = ["a", "b", "c"]
    with pytest.raises(InputError, match="too small against its largest value") as err:
        product_mix(data)
    assert err.value.field == "amount"
