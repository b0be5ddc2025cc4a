from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.segmentation import ScoringMethod, rfm_scores, rfm_summary, score_values
from crmkit.segmentation._scores import _apply_edges, _oriented_edges
from tests.segmentation.strategies import value_arrays

methods = st.sampled_from(["quantile", "rank"])


@settings(max_examples=80, deadline=None)
@given(value_arrays(), st.integers(2, 9), methods, st.booleans())
def test_scores_in_range_monotone_and_ties_together(values, k, method, higher):
    s = score_values(values, k=k, method=method, higher_is_better=higher)
    assert s.score.min() >= 1
    assert s.score.max() <= k
    oriented = values if higher else -values
    order = np.argsort(oriented, kind="stable")
    # a strictly better value never gets a lower score, equal values equal scores
    assert np.all(np.diff(s.score[order]) >= 0)
    for v in np.unique(values):
        assert np.unique(s.score[values == v]).size == 1
    assert s.levels_used == np.unique(s.score).size
    if method == "quantile":  # no empty score between the lowest and the highest
        assert set(s.score.tolist()) == set(range(1, s.levels_used + 1))


@settings(max_examples=60, deadline=None)
@given(value_arrays(min_size=5), st.integers(2, 7))
def test_quantile_edges_reproduce_scores_as_thresholds(values, k):
    q = score_values(values, k=k, method="quantile")
    t = score_values(values, k=k, method="thresholds", edges=q.edges)
    np.testing.assert_array_equal(q.score, t.score)
    low = score_values(values, k=k, method="quantile", higher_is_better=False)
    t_low = score_values(values, k=k, method="thresholds", edges=low.edges, higher_is_better=False)
    np.testing.assert_array_equal(low.score, t_low.score)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=80, unique=True))
def test_quantile_scores_are_balanced_without_ties(values):
    # distinct values: every score holds floor(n/k) or ceil(n/k) customers
    k = 5
    s = score_values(values, k=k)
    counts = np.bincount(s.score, minlength=k + 1)[1:]
    n = len(values)
    assert counts.sum() == n
    if n >= k:
        assert counts.min() >= n // k
        assert counts.max() <= -(-n // k)


def test_heavy_ties_use_fewer_scores_and_say_so():
    # 60% of customers bought once
    freq = np.array([1] * 60 + [2] * 15 + [3] * 10 + [5] * 10 + [9] * 5, dtype=float)
    s = score_values(freq, k=5)
    assert s.score[freq == 1].tolist() == [1] * 60
    # no empty score: the 40% who bought again spread over 2..5
    assert s.levels_used == 5
    assert s.score[freq == 2][0] == 2
    assert s.score[freq == 9][0] == 5
    rank = score_values(freq, k=5, method="rank")
    assert np.unique(rank.score[freq == 1]).size == 1


def test_degenerate_bases():
    one = score_values([42.0], k=5)
    assert one.score.tolist() == [1]
    assert score_values([42.0], k=5, method="rank").score.tolist() == [5]
    same = score_values([3.0] * 10, k=5)
    assert same.score.tolist() == [1] * 10
    assert same.levels_used == 1
    assert score_values([3.0] * 10, k=5, method="rank").score.tolist() == [3] * 10


def test_known_quintiles_match_pandas_qcut_without_ties():
    # oracle: pandas.qcut on distinct values
    values = np.arange(1, 101, dtype=float)
    expected = pd.qcut(values, 5, labels=False) + 1
    np.testing.assert_array_equal(score_values(values, k=5).score, expected)
    np.testing.assert_array_equal(score_values(values, k=5, method="rank").score, expected)


def test_thresholds_equal_value_gets_worse_score():
    r = score_values(
        [10, 30, 31, 400], method="thresholds", edges=[30, 90, 180, 365], higher_is_better=False
    )
    assert r.score.tolist() == [5, 4, 4, 1]
    m = score_values([10, 100, 101], method="thresholds", edges=[100], k=2)
    assert m.score.tolist() == [1, 1, 2]


def test_rfm_scores_cells_weights_and_edges():
    cols = {
        "customer": ["a", "b", "c", "d", "e"],
        "recency": [1, 10, 20, 30, 40],
        "frequency": [9, 7, 5, 3, 1],
        "monetary": [50, 40, 30, 20, 10],
    }
    s = rfm_scores(cols)
    assert s.cell.tolist() == ["555", "444", "333", "222", "111"]
    assert s.recency_score.tolist() == [5, 4, 3, 2, 1]
    w = rfm_scores(cols, weights=(1, 0, 0))
    np.testing.assert_array_equal(w.score, [5, 4, 3, 2, 1])
    w2 = rfm_scores(cols, weights={"monetary": 2.0, "recency": 1.0})
    assert w2.weights == {"recency": 1.0, "frequency": 0.0, "monetary": 2.0}
    again = rfm_scores(cols, method="thresholds", edges=dict(s.edges))
    np.testing.assert_array_equal(again.cell, s.cell)
    big = rfm_scores(cols, k=10)
    assert big.cell[0] == "5-5-5"  # five customers can use five of ten scores, no gaps
    assert s.levels_used == {"recency": 5, "frequency": 5, "monetary": 5}
    assert s.to_dict()["method"] == "quantile"


def test_rfm_scores_from_summary():
    data = {
        "customer": [1, 1, 2, 3],
        "timestamp": ["2024-01-01", "2024-02-01", "2024-01-15", "2024-02-10"],
        "amount": [10.0, 20.0, 5.0, 100.0],
    }
    summary = rfm_summary(data, unit="day", as_of="2024-03-01")
    s = rfm_scores(summary, k=3)
    assert s.customer.tolist() == [1, 2, 3]
    assert s.recency_score.tolist() == [2, 1, 3]
    assert s.frequency_score.tolist() == [2, 1, 1]
    mean = rfm_scores(summary, k=3, monetary="mean")
    assert mean.monetary.tolist() == [15.0, 5.0, 100.0]


def test_scoring_errors():
    cols = {"recency": [1.0, 2.0], "frequency": [1.0, 2.0], "monetary": [1.0, 2.0]}
    with pytest.raises(InputError, match="'k' parameter of rfm_scores must be an int >= 2"):
        rfm_scores(cols, k=1)
    with pytest.raises(InputError, match="'weights'"):
        rfm_scores(cols, weights=(-1, 1, 1))
    with pytest.raises(InputError, match="'weights'"):
        rfm_scores(cols, weights=(0, 0, 0))
    with pytest.raises(InputError, match="'method'"):
        rfm_scores(cols, method="kmeans")
    with pytest.raises(InputError, match="edges"):
        rfm_scores(cols, method="thresholds")
    with pytest.raises(InputError, match="non-decreasing"):
        score_values([1.0], method="thresholds", edges=[3, 2, 1, 0])
    with pytest.raises(InputError, match="finite"):
        rfm_scores({**cols, "monetary": [1.0, float("nan")]})
    with pytest.raises(InputError, match="empty"):
        score_values([])
    with pytest.raises(InputError, match="same length"):
        rfm_scores({**cols, "monetary": [1.0]})
    with pytest.raises(InputError, match="'frequency'"):
        rfm_scores({"recency": [1.0], "monetary": [1.0]})
    assert ScoringMethod("rank") is ScoringMethod.RANK


def test_scores_do_not_modify_readonly_input():
    v = np.array([3.0, 1.0, 2.0])
    v.flags.writeable = False
    score_values(v, k=2)
    rfm_scores({"recency": v, "frequency": v, "monetary": v}, k=2, method="rank")
    assert v.tolist() == [3.0, 1.0, 2.0]


@settings(max_examples=60, deadline=None)
@given(value_arrays(min_size=1, max_size=40), st.integers(2, 7))
def test_rfm_scores_greater_monetary_never_lower_m_score(monetary, k):
    n = monetary.size
    cols = {"recency": np.ones(n), "frequency": np.ones(n), "monetary": monetary}
    s = rfm_scores(cols, k=k)
    for i in range(n):
        better = monetary > monetary[i]
        assert np.all(s.monetary_score[better] >= s.monetary_score[i])
    assert s.score.min() >= 1
    assert s.score.max() <= k


def test_rfm_scores_one_customer_and_identical_base_are_defined():
    one = rfm_scores({"recency": [3.0], "frequency": [2.0], "monetary": [9.0]})
    assert one.cell.tolist() == ["111"]
    assert dict(one.levels_used) == {"recency": 1, "frequency": 1, "monetary": 1}
    same = rfm_scores({"recency": [3.0] * 4, "frequency": [2.0] * 4, "monetary": [9.0] * 4})
    assert same.cell.tolist() == ["111"] * 4
    assert same.score.tolist() == [1.0] * 4


def test_results_are_json_safe():
    import json

    s = rfm_scores({"recency": [1.0, 5.0], "frequency": [2.0, 1.0], "monetary": [9.0, 3.0]})
    text = json.dumps(s.to_dict())
    assert '"method": "quantile"' in text


# --- the kernels against a straightforward reference --------------------------------


def reference_scores(values, k, method, higher_is_better):
    """Scores straight from the definitions in ScoringMethod, one distinct value at a time."""
    oriented = [v if higher_is_better else -v for v in np.asarray(values).tolist()]
    n = len(oriented)
    counts = Counter(oriented)
    by_value = {}
    below = 0
    previous = 0
    for j, v in enumerate(sorted(counts)):
        c = counts[v]
        if method == "rank":
            twice_rank = 2 * below + c + 1  # twice the average 1-based rank of the block
            by_value[v] = -(-k * twice_rank // (2 * n))  # ceil(k * rank / n)
        else:
            target = 1 + (k * below) // n
            by_value[v] = target if j == 0 else min(target, previous + 1)
            previous = by_value[v]
        below += c
    return np.array([by_value[v] for v in oriented], dtype=np.int64)


integral = st.integers(-50, 50).map(float)
wide = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)
tiny = st.floats(-1e-300, 1e-300, allow_nan=False, allow_infinity=False)
any_values = st.one_of(
    value_arrays(),
    value_arrays(elements=integral, max_size=120),
    value_arrays(elements=wide),
    value_arrays(elements=tiny),
)


@settings(max_examples=200, deadline=None)
@given(any_values, st.integers(2, 12), methods, st.booleans())
def test_scores_equal_the_reference_on_every_path(values, k, method, higher):
    expected = reference_scores(values, k, method, higher)
    public = score_values(values, k=k, method=method, higher_is_better=higher)
    np.testing.assert_array_equal(public.score, expected)
    m = ScoringMethod(method)
    for path in ("counts", "selection", "sort"):
        cut = _oriented_edges(values, k, m, higher, path=path)
        edges = cut if higher else -cut[::-1]
        np.testing.assert_array_equal(_apply_edges(values, edges, higher), expected, err_msg=path)


@pytest.mark.parametrize("k", [2, 3, 5, 10, 40])
@pytest.mark.parametrize(
    "make",
    [
        lambda rng, n: rng.lognormal(3.0, 1.0, n),  # distinct: the selection path
        lambda rng, n: rng.geometric(0.3, n).astype(float),  # heavy ties: counting
        lambda rng, n: np.round(rng.lognormal(2.0, 1.0, n), 1),  # ties, not integral
        lambda rng, n: np.where(rng.random(n) < 0.4, 9.99, rng.lognormal(3.0, 1.0, n)),
        lambda rng, n: rng.integers(0, 10**7, n).astype(float),  # integers, too wide to count
        lambda rng, n: np.where(rng.random(n) < 0.2, 0.0, rng.normal(0.0, 1e300, n)),
    ],
)
def test_large_bases_score_as_the_reference(make, k):
    rng = np.random.default_rng(k)
    values = make(rng, 20_000)
    for method in ("quantile", "rank"):
        for higher in (True, False):
            s = score_values(values, k=k, method=method, higher_is_better=higher)
            np.testing.assert_array_equal(s.score, reference_scores(values, k, method, higher))


def test_quantile_edges_do_not_depend_on_the_path():
    rng = np.random.default_rng(3)
    values = np.round(rng.lognormal(2.0, 1.0, 5000), 1)
    for higher in (True, False):
        cuts = [
            _oriented_edges(values, 5, ScoringMethod.QUANTILE, higher, path=p)
            for p in ("counts", "selection", "sort")
        ]
        np.testing.assert_array_equal(cuts[0], cuts[2])
        np.testing.assert_array_equal(cuts[1], cuts[2])


def test_rfm_cells_are_built_from_the_integer_scores_when_asked():
    cols = {
        "customer": ["a", "b", "c"],
        "recency": [1.0, 20.0, 40.0],
        "frequency": [9.0, 5.0, 1.0],
        "monetary": [50.0, 30.0, 10.0],
    }
    s = rfm_scores(cols, k=3)
    assert s.cell.tolist() == ["333", "222", "111"]
    assert s.cell.flags.writeable is False
    d = s.to_dict()
    keys = list(d)
    assert keys.index("cell") == keys.index("score") + 1  # where the column always was
    assert d["cell"] == ["333", "222", "111"]
    frame = s.to_frame()
    assert frame["cell"].tolist() == ["333", "222", "111"]
    assert list(frame.columns)[-1] == "cell"
    wide = rfm_scores(cols, k=12)
    assert wide.cell.tolist()[0].count("-") == 2


def test_higher_is_better_must_be_a_flag():
    with pytest.raises(InputError, match="must be True or False") as err:
        score_values([1.0, 2.0], higher_is_better="no")
    assert err.value.field == "higher_is_better"
    with pytest.raises(InputError, match="one of 'total', 'mean'") as err:
        rfm_scores({"recency": [1.0], "frequency": [1.0], "monetary": [1.0]}, monetary="sum")
    assert err.value.field == "monetary"
    with pytest.raises(InputError, match="Did you mean 'rank'") as err:
        score_values([1.0], method="ranks")
    assert err.value.field == "method"
    with pytest.raises(InputError, match=r"an int >= 2\. Got 2\.0") as err:
        score_values([1.0], k=2.0)
    assert err.value.field == "k"
