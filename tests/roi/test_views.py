import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.roi import (
    CustomerPnL,
    MarginRate,
    customer_pnl,
    profit_by_segment,
    unprofitable_customers,
    whale_curve,
)
from tests.roi.strategies import money


def _pnl():
    return customer_pnl(
        {
            "customer": [1, 2, 3, 4],
            "timestamp": ["2024-01-01"] * 4,
            "amount": [500.0, 300.0, 80.0, 50.0],
        },
        margin=MarginRate(rate=0.5),
        activities={
            "customer": [1, 2, 3, 4],
            "visits": [1, 0, 2, 0],
            "returns": [0, 9, 1, 0],
        },
        unit_costs={"visits": 100.0, "returns": 20.0},
        direct_costs={"customer": [4], "cost": [60.0]},
    )


def test_whale_curve_hand_worked():
    # profits: 1: 250-100=150, 2: 150-180=-30, 3: 40-220=-180, 4: 25-60=-35
    curve = whale_curve(_pnl())
    assert curve.customer.tolist() == [1, 2, 4, 3]
    assert curve.cumulative_profit.tolist() == [150.0, 120.0, 85.0, -95.0]
    assert curve.peak_profit == 150.0
    assert curve.peak_customers == 1
    assert curve.peak_share_of_customers == 0.25
    assert curve.total_profit == -95.0
    assert np.isnan(curve.peak_share_of_total)
    assert np.isnan(curve.share_of_total_profit).all()
    assert curve.tail_give_back == 245.0
    assert curve.n_unprofitable == 3


def test_whale_curve_all_losses_peaks_at_zero():
    curve = whale_curve([-1.0, -2.0])
    assert (curve.peak_profit, curve.peak_customers, curve.tail_give_back) == (0.0, 0, 3.0)


def test_whale_curve_ties_by_id():
    curve = whale_curve([5.0, 5.0, 5.0], customer=["c", "a", "b"])
    assert curve.customer.tolist() == ["a", "b", "c"]
    assert curve.peak_customers == 3


@settings(max_examples=100, deadline=None)
@given(st.lists(money, min_size=1, max_size=60))
def test_whale_curve_peak_at_least_total(profits):
    curve = whale_curve(profits)
    assert curve.peak_profit >= curve.total_profit - 1e-9
    assert curve.peak_profit >= 0.0
    assert curve.tail_give_back >= -1e-9
    assert curve.cumulative_profit[-1] == pytest.approx(sum(profits), abs=1e-6)
    assert np.all(np.diff(curve.profit) <= 0)
    assert curve.n_unprofitable == sum(p < 0 for p in profits)
    if curve.peak_customers:
        assert curve.peak_profit == pytest.approx(curve.cumulative_profit.max())
        # after the peak nobody adds profit (up to rounding of the running sum)
        tolerance = 1e-12 * max(1.0, curve.peak_profit)
        assert np.all(curve.profit[curve.peak_customers :] <= tolerance)


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"values": [1.0, np.nan]}, "values", "finite"),
        ({"values": []}, "values", "at least one customer"),
        ({"values": [1e308, 1e308]}, "values", "finite float64 total"),
        ({"values": ["€4", 2.0]}, "values", "numbers"),
        ({"values": [1.0, 2.0], "customer": [1]}, "customer", "same length"),
        ({"values": [1.0, 2.0], "customer": [1, 1]}, "customer", "each customer once"),
        ({"values": [1.0, 2.0], "customer": [1, "2"]}, "customer", "mix ints and strings"),
    ],
)
def test_whale_curve_bad_input(args, field, words):
    with pytest.raises(InputError, match=words) as err:
        whale_curve(**args)
    assert err.value.field == field


def test_whale_curve_of_a_pnl_takes_no_ids():
    with pytest.raises(InputError, match="None when a CustomerPnL") as err:
        whale_curve(_pnl(), customer=[1, 2, 3, 4])
    assert err.value.field == "customer"


def test_whale_curve_stays_finite_near_the_float64_edge():
    # magnitudes add up to 1.5e308: representable, so every running sum is too
    curve = whale_curve([1e308, -5e307, 1.0])
    assert np.isfinite(curve.cumulative_profit).all()
    assert curve.peak_profit == 1e308


def test_unprofitable_customers_drivers():
    worst = unprofitable_customers(_pnl())
    assert worst.customer.tolist() == [3, 4, 2]
    assert worst.main_cost_driver.tolist() == ["visits", "direct cost", "returns"]
    assert worst.main_driver_cost.tolist() == [200.0, 60.0, 180.0]
    assert worst.main_driver_share.tolist() == pytest.approx([200 / 220, 1.0, 1.0])
    # average visits cost = 300/4 = 75; returns = 200/4 = 50; direct = 15
    assert worst.main_driver_vs_average.tolist() == pytest.approx([200 / 75, 4.0, 3.6])
    assert worst.total_loss == -245.0
    assert worst.n_customers == 4


def test_unprofitable_customers_negative_margin_and_none():
    pnl = customer_pnl(
        {"customer": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [10.0, 20.0]},
        margin=MarginRate(rate=-0.2),
    )
    worst = unprofitable_customers(pnl)
    assert worst.main_cost_driver.tolist() == ["negative gross margin"] * 2
    assert np.isnan(worst.main_driver_share).all()
    fine = customer_pnl(
        {"customer": [1], "timestamp": ["2024-01-01"], "amount": [10.0]},
        margin=MarginRate(rate=0.2),
    )
    assert unprofitable_customers(fine).customer.size == 0
    with pytest.raises(InputError, match="must be a CustomerPnL") as err:
        unprofitable_customers([1.0])  # type: ignore[arg-type]
    assert err.value.field == "pnl"


def test_profit_by_segment():
    pnl = _pnl()
    by = profit_by_segment(pnl, segment=["a", "b", "b", "a"])
    assert by.segment.tolist() == ["a", "b"]
    assert by.profit.tolist() == [115.0, -210.0]
    assert by.n_customers.tolist() == [2, 2]
    assert by.n_unprofitable.tolist() == [1, 2]
    assert by.profit_per_customer.tolist() == [57.5, -105.0]
    assert np.isnan(by.share_of_profit).all()
    assert by.total_profit == -95.0
    aligned = profit_by_segment(pnl, segment=["b", "a", "b", "a"], segment_customer=[3, 4, 2, 1])
    assert aligned.profit.tolist() == by.profit.tolist()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(money, st.sampled_from(["x", "y", "z"])), min_size=1, max_size=30))
def test_profit_by_segment_sums(rows):
    amounts = [r[0] for r in rows]
    pnl = customer_pnl(
        {
            "customer": list(range(len(rows))),
            "timestamp": ["2024-01-01"] * len(rows),
            "amount": amounts,
        },
        margin=MarginRate(rate=0.3),
    )
    by = profit_by_segment(pnl, segment=[r[1] for r in rows])
    assert by.profit.sum() == pytest.approx(pnl.total_profit, abs=1e-6)
    assert by.n_customers.sum() == len(rows)


def test_profit_by_segment_bad_input():
    pnl = _pnl()
    with pytest.raises(InputError, match="same length") as err:
        profit_by_segment(pnl, segment=["a"])
    assert err.value.field == "segment"
    with pytest.raises(InputError, match="every P&L customer") as err:
        profit_by_segment(pnl, segment=["a", "b"], segment_customer=[1, 2])
    assert (err.value.field, err.value.n_bad) == ("segment", 2)
    with pytest.raises(InputError, match="once") as err:
        profit_by_segment(pnl, segment=["a"] * 5, segment_customer=[1, 2, 3, 4, 4])
    assert (err.value.field, err.value.positions) == ("segment_customer", (4,))
    with pytest.raises(InputError, match="null") as err:
        profit_by_segment(pnl, segment=["a", None, "b", "c"])
    assert err.value.field == "segment"
    with pytest.raises(InputError, match="empty") as err:
        profit_by_segment(pnl, segment=[], segment_customer=[1, 2, 3, 4])
    assert err.value.field == "segment"
    with pytest.raises(InputError, match="empty") as err:
        profit_by_segment(pnl, segment=["a"] * 4, segment_customer=[])
    assert err.value.field == "segment_customer"
    with pytest.raises(InputError, match="same kind") as err:
        profit_by_segment(pnl, segment=["a"] * 4, segment_customer=["1", "2", "3", "4"])
    assert err.value.field == "segment_customer"
    with pytest.raises(InputError, match="must be a CustomerPnL") as err:
        profit_by_segment({"profit": [1.0]}, segment=["a"])  # type: ignore[arg-type]
    assert err.value.field == "pnl"


def test_read_only_inputs_for_views_and_retention():
    from crmkit.roi import retention_clv

    profit = np.array([5.0, -2.0, 1.0])
    ids = np.array([3, 1, 2])
    margin = np.array([10.0, 20.0])
    for arr in (profit, ids, margin):
        arr.flags.writeable = False
    curve = whale_curve(profit, customer=ids)
    assert curve.customer.tolist() == [3, 2, 1]
    value = retention_clv(margin, retention=0.5, discount_rate=0.0, horizon="infinite")
    assert value.clv.tolist() == [10.0, 20.0]
    assert profit.tolist() == [5.0, -2.0, 1.0]


def test_a_pnl_without_customers_is_refused_by_every_view():
    empty = np.zeros(0)
    pnl = CustomerPnL(
        customer=np.zeros(0, dtype=np.int64),
        n_purchases=np.zeros(0, dtype=np.int64),
        revenue=empty,
        cost_of_goods=empty,
        gross_margin=empty,
        activity_counts={},
        activity_costs={},
        direct_cost=empty,
        cost_to_serve=empty,
        profit=empty,
        profit_margin=empty,
        return_on_cost_to_serve=empty,
        unit_costs={},
        n_without_transactions=0,
        n_counts_filled=0,
    )
    for call, field in [
        (lambda: whale_curve(pnl), "values"),
        (lambda: unprofitable_customers(pnl), "pnl"),
        (lambda: profit_by_segment(pnl, segment=["a"]), "pnl"),
    ]:
        with pytest.raises(InputError, match="has no customers") as err:
            call()
        assert err.value.field == field
