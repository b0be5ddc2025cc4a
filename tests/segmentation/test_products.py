import itertools

import numpy as np
import pandas as pd
import pytest

from crmkit.datasets import simulate_transactions
from crmkit.errors import InputError
from crmkit.segmentation import (
    assign_segments,
    cross_sell,
    product_affinity,
    product_mix,
    rfm_scores,
    rfm_summary,
)


@pytest.fixture(scope="module")
def sim():
    tx = simulate_transactions(600, "2023-01-01", "2024-07-01", seed=21)
    segments = assign_segments(rfm_scores(rfm_summary(tx, unit="day")))
    return tx, segments


def test_product_mix_matches_pandas(sim):
    tx, segments = sim
    mix = product_mix(tx, segments=segments)
    df = pd.DataFrame({"c": tx.customer, "p": tx.extra["product"], "a": tx.amount})
    ref = df.groupby(["c", "p"])["a"].sum()
    got = pd.Series(mix.revenue, index=pd.MultiIndex.from_arrays([mix.customer, mix.product]))
    pd.testing.assert_series_equal(got.sort_index(), ref.sort_index(), check_names=False)
    totals = df.groupby("c")["a"].sum()
    pos = totals[totals > 0].index
    np.testing.assert_allclose(mix.customer_share[np.isin(mix.customers, pos)].sum(axis=1), 1.0)
    assert mix.segment_share.shape == (len(mix.segment_names), mix.products.size)
    present = np.array([segments.counts[name] > 0 for name in mix.segment_names])
    np.testing.assert_allclose(mix.segment_share[present].sum(axis=1), 1.0)
    assert np.all(mix.segment_share[~present] == 0)  # empty segments: no revenue
    # per-segment mix equals the pooled revenue of the segment's customers
    seg_of = dict(zip(segments.customer.tolist(), segments.segment.tolist(), strict=True))
    df["s"] = df["c"].map(seg_of)
    pooled = df.pivot_table(index="s", columns="p", values="a", aggfunc="sum", fill_value=0.0)
    pooled = pooled.div(pooled.sum(axis=1), axis=0)
    for i, name in enumerate(mix.segment_names):
        if not present[i]:
            continue
        np.testing.assert_allclose(
            mix.segment_share[i], pooled.loc[name].reindex(mix.products, fill_value=0).to_numpy()
        )


def test_affinity_matches_brute_force(sim):
    tx, _ = sim
    aff = product_affinity(tx)
    df = pd.DataFrame({"c": tx.customer, "p": tx.extra["product"]}).drop_duplicates()
    baskets = df.groupby("c")["p"].apply(set)
    n = len(baskets)
    products = sorted(df["p"].unique())
    got = {(a, b): i for i, (a, b) in enumerate(zip(aff.antecedent, aff.consequent, strict=True))}
    assert len(got) == len(products) * (len(products) - 1)
    for a, b in itertools.permutations(products, 2):
        both = sum(1 for s in baskets if a in s and b in s)
        na = sum(1 for s in baskets if a in s)
        nb = sum(1 for s in baskets if b in s)
        i = got[(a, b)]
        assert aff.customers_both[i] == both
        assert aff.support[i] == pytest.approx(both / n)
        assert aff.confidence[i] == pytest.approx(both / na)
        assert aff.lift[i] == pytest.approx(both * n / (na * nb))
    strict = product_affinity(tx, min_support=0.2)
    assert np.all(strict.support >= 0.2)


def test_cross_sell_offers_unbought_popular_products(sim):
    tx, segments = sim
    offers = cross_sell(tx, segments, n=2)
    df = pd.DataFrame({"c": tx.customer, "p": tx.extra["product"]}).drop_duplicates()
    owned = df.groupby("c")["p"].apply(set).to_dict()
    seg_of = dict(zip(segments.customer.tolist(), segments.segment.tolist(), strict=True))
    df["s"] = df["c"].map(seg_of)
    size = pd.Series(seg_of).value_counts()
    pen = df.groupby(["s", "p"])["c"].nunique().div(size, level=0)
    assert offers.rank.max() <= 2
    for c, p, s, v, r in zip(
        offers.customer,
        offers.product,
        offers.segment,
        offers.penetration,
        offers.rank,
        strict=True,
    ):
        assert p not in owned[c]
        assert seg_of[c] == s
        assert v == pytest.approx(pen[(s, p)])
        # no unbought product of the segment beats the offer of rank 1
        if r == 1:
            better = [q for q, val in pen[s].items() if q not in owned[c] and val > v + 1e-12]
            assert not better


def test_cross_sell_degenerate_and_errors():
    data = {
        "customer": ["a", "b"],
        "timestamp": ["2024-01-01", "2024-01-01"],
        "amount": [1.0, 1.0],
        "product": ["x", "x"],
    }
    offers = cross_sell(data, {"customer": ["a", "b"], "segment": ["s", "s"]})
    assert offers.customer.size == 0  # everyone already owns everything
    part = cross_sell(data, {"customer": ["a"], "segment": ["s"]})
    assert part.n_customers_unsegmented == 1
    with pytest.raises(InputError, match="'n' parameter"):
        cross_sell(data, {"customer": ["a"], "segment": ["s"]}, n=0)
    with pytest.raises(InputError, match="segments"):
        cross_sell(data, ["s", "s"])
    with pytest.raises(InputError, match="not of the kind"):
        cross_sell(data, {"customer": [1, 2], "segment": ["s", "s"]})
    with pytest.raises(InputError, match="'min_support'"):
        product_affinity(data, min_support=1.0)
    tx = simulate_transactions(5, "2024-01-01", "2024-02-01", seed=1)
    with pytest.raises(InputError, match="no 'sku' column"):
        product_mix(tx, product="sku")
