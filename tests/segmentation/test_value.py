import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from crmkit.errors import InputError
from crmkit.segmentation import (
    Absolute,
    Quantile,
    share_of_wallet,
    value_classes,
    value_potential_matrix,
    value_tiers,
)
from tests.segmentation.strategies import finite, value_arrays


@settings(max_examples=80, deadline=None)
@given(value_arrays(elements=finite), st.booleans())
def test_tiers_respect_rank_ties_and_sizes(values, negative):
    t = value_tiers(values, negative_tier="loss" if negative else None)
    rank = {name: i for i, name in enumerate(t.labels)}
    idx = np.array([rank[x] for x in t.tier])
    order = np.argsort(-values, kind="stable")
    assert np.all(np.diff(idx[order]) >= 0)  # more value, never a lower tier
    for v in np.unique(values):
        assert np.unique(t.tier[values == v]).size == 1
    assert sum(t.customers.values()) == values.size
    if negative:
        assert set(t.tier[values < 0]) <= {"loss"}
        assert "loss" not in set(t.tier[values >= 0])
    # the top tier holds at most ~1% of ranked customers unless ties force more
    ranked = values[values >= 0] if negative else values
    if ranked.size and np.unique(ranked).size == ranked.size:
        assert t.customers["top"] == int(np.ceil(0.01 * ranked.size))


def test_pyramid_defaults_on_distinct_values():
    values = np.arange(1000, 0, -1, dtype=float)
    t = value_tiers(values)
    assert t.customers == {"top": 10, "big": 40, "medium": 150, "small": 800}
    assert t.tier[0] == "top"
    np.testing.assert_allclose(sum(t.value_share.values()), 1.0)


def test_negative_tier_collects_loss_makers():
    t = value_tiers(
        [5.0, -1.0, 3.0, -2.0], cuts=[0.5], labels=["gold", "iron"], negative_tier="lead"
    )
    assert t.tier.tolist() == ["gold", "lead", "iron", "lead"]
    assert t.value_total["lead"] == -3.0


def test_matrix_quadrants_and_thresholds():
    m = value_potential_matrix(
        [5.0, 5.0, 1.0, 9.0],
        [1.0, 9.0, 9.0, 1.0],
        current_threshold=Quantile(0.5),
        potential_threshold=Quantile(0.5),
        customer=[10, 11, 12, 13],
    )
    # median cut of current = 5 (inverted CDF); ties at the cut are "low"
    assert m.current_cut == 5.0
    assert m.quadrant.tolist() == ["deprioritise", "grow", "grow", "maintain"]
    assert m.customers == {"core": 0, "maintain": 1, "grow": 2, "deprioritise": 1}
    absolute = value_potential_matrix(
        [5.0, 6.0], [1.0, 9.0], current_threshold=Absolute(4), potential_threshold=Absolute(2)
    )
    assert absolute.quadrant.tolist() == ["maintain", "core"]


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(0, 1e4)).flatmap(
        lambda ours: st.tuples(
            st.just(ours),
            hnp.arrays(np.float64, ours.size, elements=st.floats(0, 1e4)).map(
                lambda extra: ours + extra + 1.0
            ),
        )
    )
)
def test_share_of_wallet_identities(pair):
    ours, wallet = pair
    w = share_of_wallet(ours, wallet)
    assert np.all((w.share >= 0) & (w.share <= 1))
    np.testing.assert_allclose(w.wallet_gap + w.our_spend, w.category_spend)
    np.testing.assert_allclose(w.share * w.category_spend, w.our_spend, atol=1e-9)
    assert w.overall_share == pytest.approx(ours.sum() / wallet.sum())
    assert w.n_capped == 0


def test_share_of_wallet_excess_is_an_error_or_capped():
    with pytest.raises(InputError, match="must not exceed category_spend: 1 bad row"):
        share_of_wallet([50.0, 500.0], [100.0, 400.0])
    w = share_of_wallet([50.0, 500.0], [100.0, 400.0], excess="cap")
    assert w.n_capped == 1
    assert w.share.tolist() == [0.5, 1.0]
    assert w.wallet_gap.tolist() == [50.0, 0.0]


def test_value_classes_precedence():
    c = value_classes(
        current=[100.0, 90.0, 10.0, 5.0, 1.0],
        potential=[0.0, 0.0, 0.0, 500.0, 400.0],
        profit=[-1.0, 30.0, 2.0, 1.0, 0.0],
        valuable_share=0.25,
        growable_share=0.3,
    )
    # the biggest spender loses money: below zero wins over most valuable
    assert c.value_class.tolist() == [
        "below zero",
        "most valuable",
        "migrators",
        "most growable",
        "migrators",
    ]
    assert sum(c.customers.values()) == 5


def test_value_errors():
    with pytest.raises(InputError, match="'cuts' parameter"):
        value_tiers([1.0, 2.0], cuts=[0.5, 0.2])
    with pytest.raises(InputError, match="'cuts' parameter"):
        value_tiers([1.0, 2.0], cuts=[1.0])
    with pytest.raises(InputError, match="'labels' parameter"):
        value_tiers([1.0, 2.0], labels=["a", "b"])
    with pytest.raises(InputError, match="'negative_tier'"):
        value_tiers([1.0, 2.0], negative_tier="top")
    with pytest.raises(InputError, match="same length"):
        value_potential_matrix(
            [1.0], [1.0, 2.0], current_threshold=Quantile(0.5), potential_threshold=Quantile(0.5)
        )
    with pytest.raises(InputError, match="current_threshold"):
        value_potential_matrix(
            [1.0], [1.0], current_threshold=0.5, potential_threshold=Quantile(0.5)
        )
    with pytest.raises(InputError, match="'q' parameter"):
        Quantile(1.5)
    with pytest.raises(InputError, match="category_spend"):
        share_of_wallet([1.0], [0.0])
    with pytest.raises(InputError, match="our_spend"):
        share_of_wallet([-1.0], [2.0])
    with pytest.raises(InputError, match="'valuable_share'"):
        value_classes([1.0], [1.0], [1.0], valuable_share=0)
    with pytest.raises(InputError, match="finite"):
        value_classes([np.nan], [1.0], [1.0])
