"""segment_trends: revenue, orders and active customers per period and segment.

Oracles: a hand-worked log (known values), and for random logs a plain-Python count of the
rows of each calendar month (the per-period totals must equal the transactions' totals).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.periods import Calendar
from crmkit.segmentation import (
    assign_segments,
    rfm_scores,
    rfm_summary,
    segment_trends,
)
from tests.segmentation.strategies import transaction_logs

LOG = {
    "customer": np.array([1, 2, 1, 3, 2, 1, 4]),
    "timestamp": np.array(
        [
            "2024-01-05",
            "2024-01-20",
            "2024-02-02",
            "2024-02-10",
            "2024-02-11",
            "2024-03-30",
            "2024-01-07",
        ],
        dtype="datetime64[D]",
    ),
    "amount": np.array([40.0, 10.0, 25.0, 7.0, -4.0, 30.0, 99.0]),
}
SEGMENTS = {"customer": [1, 2, 3], "segment": ["loyal", "new", "new"]}


def test_hand_worked_months():
    t = segment_trends(LOG, SEGMENTS, freq="month", as_of="2024-04-01")
    assert t.periods.tolist() == ["2024-01", "2024-02", "2024-03"]
    assert t.segment_names == ("loyal", "new")
    # January: loyal 40 (customer 1), new 10 (customer 2); customer 4 has no segment.
    # February: loyal 25; new 7 - 4 = 3, where customer 2's -4 is a refund, not an order.
    np.testing.assert_allclose(t.matrix("revenue"), [[40.0, 10.0], [25.0, 3.0], [30.0, 0.0]])
    assert t.matrix("orders").tolist() == [[1, 1], [1, 1], [1, 0]]
    assert t.matrix("customers").tolist() == [[1, 1], [1, 1], [1, 0]]
    np.testing.assert_allclose(t.unsegmented_revenue, [99.0, 0.0, 0.0])
    assert (t.n_rows_unsegmented, t.n_customers_unsegmented) == (1, 1)
    assert t.n_rows_not_purchases == 1
    assert t.last_period_complete
    assert t.period.tolist()[:2] == ["2024-01", "2024-01"]
    assert t.segment.tolist()[:2] == ["loyal", "new"]
    assert str(t.period_end[-1]) == "2024-04-01T00:00:00.000000"


def test_default_as_of_leaves_the_last_month_partial_and_says_so():
    t = segment_trends(LOG, SEGMENTS, freq="month")
    assert str(t.as_of)[:10] == "2024-03-31"
    assert t.as_of_is_default
    assert not t.last_period_complete


def test_window_rows_outside_are_counted_not_used():
    t = segment_trends(LOG, SEGMENTS, freq="month", as_of="2024-03-01", start="2024-01-10")
    assert t.periods.tolist() == ["2024-01", "2024-02"]
    assert (t.n_rows_after_as_of, t.n_rows_before_start) == (1, 2)
    assert t.n_rows_used == 4
    np.testing.assert_allclose(t.matrix("revenue"), [[0.0, 10.0], [25.0, 3.0]])


def test_empty_periods_are_kept_as_zeros():
    log = {"customer": [1, 1], "timestamp": ["2024-01-05", "2024-04-05"], "amount": [5.0, 6.0]}
    t = segment_trends(log, {"customer": [1], "segment": ["a"]}, freq="month")
    assert t.periods.tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert t.matrix("revenue")[:, 0].tolist() == [5.0, 0.0, 0.0, 6.0]


def test_segments_value_keeps_every_segment_in_table_order():
    summary = rfm_summary(LOG, unit="day", as_of="2024-04-01")
    segs = assign_segments(rfm_scores(summary, k=2), table=_two_segments())
    t = segment_trends(LOG, segs, freq="quarter", as_of="2024-04-01")
    assert t.segment_names == segs.names
    assert t.periods.tolist() == ["2024-Q1"]
    total = t.matrix("revenue").sum() + t.unsegmented_revenue.sum()
    assert total == pytest.approx(LOG["amount"].sum())


def _two_segments():
    from crmkit.segmentation import RuleTable, ScoreRange, SegmentRule

    return RuleTable(
        rules=[
            SegmentRule(name="recent", recency=ScoreRange(2, 2)),
            SegmentRule(name="lapsing", recency=ScoreRange(1, 1)),
        ],
        k=2,
    )


def test_a_frame_with_its_own_names_and_a_date_layout():
    frame = pd.DataFrame(
        {
            "cust": LOG["customer"],
            "day": [str(d).replace("-", "") for d in LOG["timestamp"]],
            "eur": LOG["amount"],
        }
    )
    t = segment_trends(
        frame,
        SEGMENTS,
        freq="month",
        as_of="2024-04-01",
        customer="cust",
        timestamp="day",
        amount="eur",
        date_format="%Y%m%d",
    )
    np.testing.assert_allclose(t.matrix("revenue")[0], [40.0, 10.0])


def test_fiscal_quarters_follow_the_calendar():
    t = segment_trends(
        LOG,
        SEGMENTS,
        freq="fiscal_quarter",
        as_of="2024-04-01",
        calendar=Calendar(fiscal_year_start_month=2),
    )
    # a fiscal year starting in February 2023 is named by its end: FY2024
    assert t.periods.tolist() == ["FY2024-Q4", "FY2025-Q1"]


def test_input_is_not_modified():
    columns = {k: v.copy() for k, v in LOG.items()}
    for v in columns.values():
        v.setflags(write=False)
    segment_trends(columns, SEGMENTS, freq="week")
    for k, v in LOG.items():
        np.testing.assert_array_equal(columns[k], v)


def test_bad_input_names_the_field():
    with pytest.raises(InputError) as err:
        segment_trends(LOG, SEGMENTS, freq="fortnight")
    assert err.value.field == "freq"
    assert "segment_trends" in str(err.value)
    assert "'month'" in str(err.value)
    with pytest.raises(InputError) as err:
        segment_trends(LOG, {"customer": ["1"], "segment": ["x"]}, freq="month")
    assert err.value.field == "segments"
    assert "kind" in str(err.value)
    with pytest.raises(InputError) as err:
        segment_trends(LOG, SEGMENTS, freq="month", as_of="2024-02-01", start="2024-03-01")
    assert err.value.field == "start"
    with pytest.raises(InputError) as err:
        segment_trends(LOG, SEGMENTS, freq="month", as_of="2023-01-01")
    assert err.value.field == "as_of"
    many = {"customer": np.arange(1, 501), "segment": [f"s{i}" for i in range(500)]}
    with pytest.raises(InputError) as err:  # 45,000 days x 500 segments
        segment_trends(LOG, many, freq="day", start="1900-01-01", as_of="2024-04-01")
    assert err.value.field == "freq"
    assert "cells" in str(err.value)
    with pytest.raises(InputError) as err:
        segment_trends(LOG, SEGMENTS, freq="month").matrix("profit")
    assert err.value.field == "figure"


def _months(ts: np.ndarray) -> list[str]:
    return [str(t)[:7] for t in ts.astype("datetime64[D]")]


@settings(max_examples=60, deadline=None)
@given(log=transaction_logs(), n_segments=st.integers(1, 4), refunds=st.booleans())
def test_per_period_totals_are_the_transactions_totals(log, n_segments, refunds):
    if refunds:
        log["amount"] = np.where(np.arange(log["amount"].size) % 3 == 2, -1.0, 1.0) * log["amount"]
    customers = np.unique(log["customer"])
    segmented = customers[: max(1, customers.size - 1)]  # the last customer has no segment
    labels = [f"s{i % n_segments}" for i in range(segmented.size)]
    t = segment_trends(log, {"customer": segmented, "segment": labels}, freq="month")
    # the oracle: plain Python over the rows, month by month
    revenue: dict[str, float] = defaultdict(float)
    orders: dict[str, int] = defaultdict(int)
    active: dict[str, set[int]] = defaultdict(set)
    for month, c, a in zip(_months(log["timestamp"]), log["customer"], log["amount"], strict=True):
        revenue[month] += a
        if a > 0:
            orders[month] += 1
            active[month].add(int(c))
    unsegmented = set(customers.tolist()) - set(segmented.tolist())
    for i, month in enumerate(t.periods.tolist()):
        total = float(t.matrix("revenue")[i].sum() + t.unsegmented_revenue[i])
        assert total == pytest.approx(revenue[month], abs=1e-6 * (1 + abs(revenue[month])))
        outside = sum(
            1
            for m, c, a in zip(
                _months(log["timestamp"]), log["customer"], log["amount"], strict=True
            )
            if m == month and a > 0 and int(c) in unsegmented
        )
        assert int(t.matrix("orders")[i].sum()) + outside == orders[month]
        assert int(t.matrix("customers")[i].sum()) == len(active[month] - unsegmented)
    assert set(revenue) <= set(t.periods.tolist())
    assert t.revenue.size == t.periods.size * len(t.segment_names)
