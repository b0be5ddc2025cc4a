import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import simulate_transactions
from crmkit.errors import InputError, ModelDefinitionError
from crmkit.segmentation import (
    RFM_GRID_10,
    RFM_GRID_11,
    RuleTable,
    ScoreRange,
    SegmentRule,
    assign_segments,
    check_rule_table,
    rfm_scores,
    rfm_summary,
    segment_migration,
    segment_summary,
)


def brute_owners(rules, k):
    dims = 3 if any(r.monetary is not None for r in rules) else 2
    out = {}
    for cell in itertools.product(range(1, k + 1), repeat=dims):
        names = []
        for r in rules:
            rngs = (r.recency, r.frequency, r.monetary)[:dims]
            if all(g is None or g.low <= s <= g.high for g, s in zip(rngs, cell, strict=True)):
                names.append(r.name)
        out[cell] = names
    return out


@pytest.mark.parametrize("table", [RFM_GRID_10, RFM_GRID_11])
def test_default_grids_cover_every_cell_exactly_once(table):
    owners = brute_owners(table.rules, 5)
    assert len(owners) == 25
    assert all(len(set(v)) == 1 for v in owners.values())
    assert all(len(v) == 1 for v in owners.values())
    assert table.check().ok
    assert len(table.segments) == (10 if table is RFM_GRID_10 else 11)


def test_default_grid_cells_match_the_published_regex_map():
    # the widely circulated seg_map: r'[1-2][1-2]': hibernating, ... r'5[4-5]': champions
    import re

    seg_map = {
        r"[1-2][1-2]": "hibernating",
        r"[1-2][3-4]": "at risk",
        r"[1-2]5": "can't lose them",
        r"3[1-2]": "about to sleep",
        r"33": "need attention",
        r"[3-4][4-5]": "loyal customers",
        r"41": "promising",
        r"51": "new customers",
        r"[4-5][2-3]": "potential loyalists",
        r"5[4-5]": "champions",
    }
    lookup = RFM_GRID_10.lookup()
    for r, f in itertools.product(range(1, 6), repeat=2):
        expected = [n for p, n in seg_map.items() if re.fullmatch(p, f"{r}{f}")]
        assert [RFM_GRID_10.segments[lookup[r, f]]] == expected


ranges = st.tuples(st.integers(1, 4), st.integers(1, 4)).map(lambda t: (min(t), max(t)))
rules_st = st.lists(
    st.builds(
        SegmentRule,
        name=st.sampled_from(["a", "b", "c", "d"]),
        recency=st.one_of(st.none(), ranges),
        frequency=st.one_of(st.none(), ranges),
        monetary=st.one_of(st.none(), ranges),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=80, deadline=None)
@given(rules_st)
def test_checker_agrees_with_brute_force(rules):
    k = 4
    check = check_rule_table(rules, k=k)
    owners = brute_owners(rules, k)
    gaps = {c for c, v in owners.items() if not v}
    overlaps = {c for c, v in owners.items() if len(set(v)) > 1}
    winners = {v[0] for v in owners.values() if v}
    assert set(check.gaps) == gaps
    assert {c for c, _ in check.overlaps} == overlaps
    assert set(check.unreachable) == {r.name for r in rules} - winners
    if check.ok:
        RuleTable(rules=rules, k=k)
    else:
        with pytest.raises(ModelDefinitionError, match="not a partition"):
            RuleTable(rules=rules, k=k)
        table = RuleTable(rules=rules, k=k, fallback="other")
        lookup = table.lookup()
        for cell, names in owners.items():
            got = table.segments[lookup[cell]]
            assert got == (names[0] if names else "other")


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 9))
def test_checker_finds_the_gap_left_by_a_removed_rule(i):
    rules = list(RFM_GRID_10.rules)
    removed = rules.pop(i)
    check = check_rule_table(rules, k=5)
    expected = {
        (r, f)
        for r in range(removed.recency.low, removed.recency.high + 1)
        for f in range(removed.frequency.low, removed.frequency.high + 1)
    }
    assert set(check.gaps) == expected
    assert not check.overlaps
    assert not check.unreachable


def test_checker_finds_a_shadowed_segment():
    rules = [*RFM_GRID_10.rules, SegmentRule(name="vip", recency=5, frequency=5)]
    check = check_rule_table(rules, k=5)
    assert check.unreachable == ("vip",)
    assert check.overlaps == (((5, 5), ("champions", "vip")),)
    assert not check.gaps


def test_checker_on_a_published_overlapping_rfm_table():
    # the 11-segment R/F/M range table reproduced on many marketing blogs (Putler style)
    rules = [
        SegmentRule(name="champions", recency=(4, 5), frequency=(4, 5), monetary=(4, 5)),
        SegmentRule(name="loyal", recency=(2, 5), frequency=(3, 5), monetary=(3, 5)),
        SegmentRule(name="potential loyalist", recency=(3, 5), frequency=(1, 3), monetary=(1, 3)),
        SegmentRule(name="recent", recency=(4, 5), frequency=1, monetary=1),
        SegmentRule(name="promising", recency=(3, 4), frequency=1, monetary=1),
        SegmentRule(name="need attention", recency=(2, 3), frequency=(2, 3), monetary=(2, 3)),
        SegmentRule(name="about to sleep", recency=(2, 3), frequency=(1, 2), monetary=(1, 2)),
        SegmentRule(name="at risk", recency=(1, 2), frequency=(2, 5), monetary=(2, 5)),
        SegmentRule(name="can't lose", recency=1, frequency=(4, 5), monetary=(4, 5)),
        SegmentRule(name="hibernating", recency=(1, 2), frequency=(1, 2), monetary=(1, 2)),
        SegmentRule(name="lost", recency=1, frequency=(1, 2), monetary=(1, 2)),
    ]
    check = check_rule_table(rules, k=5)
    assert not check.ok
    assert {"recent", "promising", "can't lose", "lost"} <= set(check.unreachable)
    assert (1, 1, 5) in check.gaps
    assert check.overlaps
    with pytest.raises(ModelDefinitionError, match="segments no cell reaches"):
        RuleTable(rules=rules, k=5)


def test_rule_validation_errors():
    # a bad parameter is an InputError naming it (the one convention); a table whose
    # rules do not fit together stays a ModelDefinitionError
    with pytest.raises(InputError, match="'low' parameter of ScoreRange must be <= high") as err:
        ScoreRange(3, 2)
    assert err.value.field == "low"
    with pytest.raises(InputError, match="non-empty segment name") as err:
        SegmentRule(name="", recency=1)
    assert err.value.field == "name"
    with pytest.raises(InputError, match="'recency' parameter of SegmentRule") as err:
        SegmentRule(name="x", recency="5")
    assert err.value.field == "recency"
    with pytest.raises(InputError, match=r"an int in \[2, 20\]") as err:
        RuleTable(rules=[SegmentRule(name="x")], k=1)
    assert err.value.field == "k"
    with pytest.raises(InputError, match="'fallback' parameter of RuleTable") as err:
        RuleTable(rules=[SegmentRule(name="x")], k=3, fallback=3)
    assert err.value.field == "fallback"
    with pytest.raises(ModelDefinitionError, match="up to 6"):
        check_rule_table([SegmentRule(name="x", recency=(1, 6))], k=5)
    with pytest.raises(ModelDefinitionError, match="at least one"):
        RuleTable(rules=[], k=5)


@pytest.fixture(scope="module")
def base():
    tx = simulate_transactions(2_000, "2023-01-01", "2024-07-01", seed=5, id_kind="str")
    summary = rfm_summary(tx, unit="day")
    return tx, summary, rfm_scores(summary)


def test_assign_and_summarise_simulated_base(base):
    _, summary, scores = base
    seg = assign_segments(scores)
    assert sum(seg.counts.values()) == summary.customer.size
    assert set(seg.segment.tolist()) <= set(RFM_GRID_10.segments)
    table = segment_summary(seg)
    assert table.customers.sum() == summary.customer.size
    np.testing.assert_allclose(table.revenue.sum(), summary.monetary.sum())
    np.testing.assert_allclose(table.customer_share.sum(), 1.0)
    np.testing.assert_allclose(table.revenue_share.sum(), 1.0)
    champions = table.segment == "champions"
    mask = seg.segment == "champions"
    np.testing.assert_allclose(table.mean_recency[champions], summary.recency[mask].mean())
    # champions are recent and frequent by construction
    assert table.mean_recency_score[champions][0] == 5
    assert table.mean_frequency_score[champions][0] >= 4
    eleven = assign_segments(scores, table=RFM_GRID_11)
    assert set(eleven.segment[seg.segment != "hibernating"]) == set(
        seg.segment[seg.segment != "hibernating"]
    )


def test_segment_summary_by_group(base):
    _, summary, scores = base
    seg = assign_segments(scores)
    region = np.where(np.arange(summary.customer.size) % 3 == 0, "north", "south")
    t = segment_summary(seg, by=region, by_name="region")
    assert t.segment.size == 2 * len(RFM_GRID_10.segments)
    assert t.customers.sum() == summary.customer.size
    north = t.group == "north"
    assert t.customers[north].sum() == np.count_nonzero(region == "north")
    assert t.to_frame().shape[0] == t.segment.size


def test_segment_summary_zero_customer_rows_have_nan_means():
    seg = assign_segments(
        rfm_scores({"recency": [1.0, 2.0], "frequency": [1.0, 2.0], "monetary": [1.0, 2.0]})
    )
    t = segment_summary(seg)
    empty = t.customers == 0
    assert empty.any()
    assert np.isnan(t.mean_recency[empty]).all()
    assert t.to_dict()["mean_recency"].count(None) == int(empty.sum())


def test_migration_counts_moves_entries_and_exits():
    edges = {"recency": [7, 30, 90, 180], "frequency": [1, 2, 4, 8], "monetary": [1, 2, 3, 4]}

    def seg(ids, recency, frequency):
        cols = {"customer": ids, "recency": recency, "frequency": frequency}
        cols["monetary"] = [5.0] * len(ids)
        return assign_segments(rfm_scores(cols, method="thresholds", edges=edges))

    before = seg(["a", "b", "c"], [1, 1, 300], [9, 1, 1])
    after = seg(["b", "a", "d"], [1, 200, 2], [1, 9, 1])
    mig = segment_migration(before, after)
    lab = mig.labels.index
    assert mig.matrix[lab("champions"), lab("can't lose them")] == 1
    assert mig.matrix[lab("new customers"), lab("new customers")] == 1
    assert mig.n_matched == 2
    assert mig.left[lab("hibernating")] == 1
    assert mig.entered[lab("new customers")] == 1
    assert mig.matrix.sum() == mig.n_matched
    assert mig.customers.sum() == 2
    share = mig.retention_share()
    assert share[lab("new customers")] == 1.0


def test_segment_errors():
    scores3 = rfm_scores({"recency": [1.0], "frequency": [1.0], "monetary": [1.0]}, k=3)
    with pytest.raises(ModelDefinitionError, match="k=5"):
        assign_segments(scores3)
    with pytest.raises(InputError, match="RFMScores"):
        assign_segments({"recency": [1]})
    seg = assign_segments(rfm_scores({"recency": [1.0], "frequency": [1.0], "monetary": [1.0]}))
    with pytest.raises(InputError, match="same length"):
        segment_summary(seg, by=["x", "y"])
    with pytest.raises(InputError, match="sums to zero"):
        segment_summary(seg, revenue=[0.0])
    dup = assign_segments(
        rfm_scores(
            {"customer": [1, 1], "recency": [1.0, 2], "frequency": [1.0, 2], "monetary": [1.0, 2]}
        )
    )
    with pytest.raises(InputError, match="twice"):
        segment_migration(dup, seg)
