import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import Transactions
from crmkit.datasets import simulate_transactions
from crmkit.errors import InputError
from crmkit.lifecycle import (
    CLASSIFICATION_RULES,
    StageThresholds,
    classify_stages,
    lifecycle_metrics,
    relationship_lifecycle,
)


def _reference(row, th, trends):
    """Oracle: the documented rules, evaluated one customer at a time."""
    tenure, recency, f = row["tenure_days"], row["recency_days"], row["frequency"]
    gap = (tenure - recency) / (f - 1) if f >= 2 else th.new_days
    if recency > th.lapse_ratio * gap and recency > th.lapse_min_days:
        return "lapsed"
    if tenure < th.new_days:
        return "new"
    if f <= 1:
        return "single_purchase"
    if recency > th.overdue_ratio * gap:
        return "overdue"
    if trends:
        rc, ec, rs, es = (
            row[k] for k in ("recent_count", "earlier_count", "recent_spend", "earlier_spend")
        )
        if rc + ec < th.min_trend_purchases:
            return "steady"
        if ec > 0 and rc <= th.falling_ratio * ec:
            return "falling_frequency"
        if es > 0 and rs <= th.falling_ratio * es:
            return "falling_spend"
        if (
            (ec > 0 and rc >= th.rising_ratio * ec)
            or (ec == 0 and rc > 0)
            or (es > 0 and rs >= th.rising_ratio * es)
        ):
            return "rising"
    return "steady"


@st.composite
def metric_tables(draw):
    n = draw(st.integers(1, 30))
    tenure = draw(st.lists(st.floats(0, 1000), min_size=n, max_size=n))
    recency = [draw(st.floats(0, t)) for t in tenure]
    freq = draw(st.lists(st.integers(1, 40), min_size=n, max_size=n))
    table = {
        "customer": list(range(n)),
        "tenure_days": tenure,
        "recency_days": recency,
        "frequency": freq,
    }
    if draw(st.booleans()):
        for name in ("recent_count", "earlier_count"):
            table[name] = draw(st.lists(st.integers(0, 10), min_size=n, max_size=n))
        for name in ("recent_spend", "earlier_spend"):
            table[name] = draw(st.lists(st.floats(-50, 500), min_size=n, max_size=n))
    return table


@settings(max_examples=80, deadline=None)
@given(metric_tables())
def test_rules_match_reference(table):
    th = StageThresholds()
    c = classify_stages(table, thresholds=th)
    trends = "recent_count" in table
    assert c.used_trends == trends
    stage_of = dict(CLASSIFICATION_RULES)
    for i in range(len(table["customer"])):
        row = {k: v[i] for k, v in table.items()}
        expected = _reference(row, th, trends)
        assert c.rule[i] == expected
        assert c.stage[i] == stage_of[expected]
    assert sum(c.stage_counts.values()) == len(table["customer"])
    assert set(c.stage_counts) <= set(relationship_lifecycle().stage_names)


def test_metrics_from_transactions_known_values():
    tx = Transactions.from_arrays(
        customer=["a", "a", "a", "a", "b", "b"],
        timestamp=[
            "2023-10-01",
            "2024-01-15",
            "2024-03-15",
            "2024-03-20",
            "2024-02-01",
            "2024-05-01",
        ],
        amount=[100.0, 50.0, 60.0, -10.0, 20.0, 30.0],
    )
    m = lifecycle_metrics(tx, as_of="2024-04-01", window_days=60)
    assert m.customer.tolist() == ["a", "b"]
    assert m.n_rows_after_as_of == 1  # b's May purchase is after as_of
    assert not m.as_of_is_default
    assert m.tenure_days.tolist() == [183.0, 60.0]
    assert m.recency_days.tolist() == [12.0, 60.0]
    assert m.frequency.tolist() == [3, 1]  # the refund is not a purchase
    # windows are [as_of - 60d, as_of) and [as_of - 120d, as_of - 60d): 60 days each
    assert m.recent_count.tolist() == [1, 1]  # a: 03-15 (03-20 is a refund); b: 02-01, day 60
    assert m.earlier_count.tolist() == [1, 0]  # a: 01-15
    assert m.recent_spend.tolist() == [50.0, 20.0]
    assert m.earlier_spend.tolist() == [50.0, 0.0]
    c = classify_stages(m)
    assert c.used_trends
    assert c.customer.tolist() == ["a", "b"]


def test_from_transactions_frame_and_read_only():
    sim = simulate_transactions(200, "2023-01-01", "2024-06-30", seed=3)
    frame = pd.DataFrame(sim.table())
    c = classify_stages(frame)
    assert c.customer.size == np.unique(sim.customer).size
    assert set(c.stage.tolist()) <= set(relationship_lifecycle().stage_names)
    metrics = lifecycle_metrics(sim).table()
    for v in metrics.values():
        v.flags.writeable = False
    again = classify_stages(metrics)
    assert again.stage.tolist() == c.stage.tolist()


def test_bad_input():
    with pytest.raises(InputError, match="lack the column"):
        classify_stages({"customer": [1], "tenure_days": [1.0]})
    with pytest.raises(InputError, match="all or none"):
        classify_stages(
            {
                "customer": [1],
                "tenure_days": [1.0],
                "recency_days": [0.0],
                "frequency": [1],
                "recent_count": [1],
            }
        )
    with pytest.raises(InputError, match=r"must not exceed tenure_days.*: 1 bad row"):
        classify_stages(
            {
                "customer": [1, 2],
                "tenure_days": [1.0, 5.0],
                "recency_days": [0.0, 9.0],
                "frequency": [1, 2],
            }
        )
    with pytest.raises(InputError, match="finite"):
        classify_stages(
            {
                "customer": [1],
                "tenure_days": [float("nan")],
                "recency_days": [0.0],
                "frequency": [1],
            }
        )
    with pytest.raises(InputError, match="'lapse_ratio' parameter of StageThresholds"):
        StageThresholds(lapse_ratio=0)
    with pytest.raises(InputError, match="window_days"):
        lifecycle_metrics(
            {"customer": [1], "timestamp": ["2024-01-01"], "amount": [1.0]}, window_days=-1
        )
    with pytest.raises(InputError, match="as_of"):
        lifecycle_metrics(
            {"customer": [1], "timestamp": ["2024-01-01"], "amount": [1.0]}, as_of="2023-01-01"
        )


def test_from_rfm_summary_result():
    from crmkit.segmentation import rfm_summary

    tx = simulate_transactions(300, "2023-01-01", "2024-06-30", seed=4)
    rfm = rfm_summary(tx, unit="week", as_of="2024-07-01")
    c = classify_stages(rfm)
    assert not c.used_trends
    m = lifecycle_metrics(tx, as_of="2024-07-01")
    expected = classify_stages(
        {
            "customer": m.customer,
            "tenure_days": m.tenure_days,
            "recency_days": m.recency_days,
            "frequency": m.frequency,
        }
    )
    assert c.customer.tolist() == expected.customer.tolist()
    assert c.rule.tolist() == expected.rule.tolist()
