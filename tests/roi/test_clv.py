import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import PurchaseProcess, simulate_customer_base
from crmkit.errors import InputError
from crmkit.roi import (
    CalibrationHoldout,
    MarginRate,
    bgnbd_from_params,
    calibration_holdout,
    customer_clv,
    customer_pnl,
    expected_purchases,
    fit_bgnbd,
    gamma_gamma_from_params,
    holdout_comparison,
    profit_clv,
    whale_curve,
)
from crmkit.segmentation import btyd_summary

BG = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = gamma_gamma_from_params(p=6.25, q=3.74, gamma=15.44)


def test_customer_clv_equals_lifetimes(cdnow_spend):
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    bg = lifetimes.BetaGeoFitter()
    bg.params_ = pd.Series(BG.params)
    # lifetimes assigns `predict` during fit; set it as its fit would
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    gg = lifetimes.GammaGammaFitter()
    gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    keep = cdnow_spend["frequency"] > 0
    cols = {k: v[keep] for k, v in cdnow_spend.items()}
    theirs = gg.customer_lifetime_value(
        bg,
        pd.Series(cols["frequency"]),
        pd.Series(cols["recency"]),
        pd.Series(cols["T"]),
        pd.Series(cols["monetary_value"]),
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    ours = customer_clv(BG, GG, cols, periods=12, period_length=4.345, discount_rate=0.01)
    np.testing.assert_allclose(ours.clv, np.asarray(theirs), rtol=1e-9)
    assert ours.basis == "spend"
    assert ours.total_clv == pytest.approx(float(np.sum(theirs)))
    np.testing.assert_allclose(
        ours.expected_purchases, expected_purchases(BG, cols, t=12 * 4.345), rtol=1e-12
    )


def test_customer_clv_keeps_ids_and_defaults_to_positions(cdnow_spend):
    data = {k: v[:5] for k, v in cdnow_spend.items()}
    plain = customer_clv(BG, GG, data, periods=3, period_length=4.0, discount_rate=0.0)
    assert plain.customer.tolist() == [0, 1, 2, 3, 4]
    named = customer_clv(
        BG, GG, {**data, "customer": list("abcde")}, periods=3, period_length=4.0, discount_rate=0.0
    )
    assert named.customer.tolist() == list("abcde")
    np.testing.assert_array_equal(plain.clv, named.clv)
    assert plain.to_frame()["clv"].shape == (5,)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 20),
    st.floats(0.0, 1.0),
    st.floats(1.0, 60.0),
    st.floats(-50.0, 50.0),
    st.floats(0.0, 0.2),
)
def test_profit_clv_is_linear_in_profit_and_signed(x, frac, T, profit, d):
    recency = 0.0 if x == 0 else frac * T
    value = profit_clv(
        BG,
        frequency=[x],
        recency=[recency],
        T=[T],
        profit_per_purchase=[profit],
        periods=6,
        period_length=4.0,
        discount_rate=d,
    )
    unit = profit_clv(
        BG,
        frequency=[x],
        recency=[recency],
        T=[T],
        profit_per_purchase=[1.0],
        periods=6,
        period_length=4.0,
        discount_rate=d,
    )
    assert unit.clv[0] >= 0
    assert value.clv[0] == pytest.approx(profit * unit.clv[0], rel=1e-12, abs=1e-12)
    assert np.sign(value.clv[0]) in (np.sign(profit), 0.0)
    # undiscounted value over the horizon is bounded by profit x expected purchases
    assert abs(value.clv[0]) <= abs(profit) * value.expected_purchases[0] + 1e-9
    assert 0 < value.p_alive[0] <= 1


def test_profit_clv_from_pnl_runs_the_whale_curve():
    base = simulate_customer_base(
        1_500, "2023-01-01", "2024-01-01", seed=4, purchase=PurchaseProcess(), refund_rate=0.0
    )
    summary = btyd_summary(base.transactions, freq="week", as_of="2024-01-01")
    counts = {"customer": base.customer, "service_calls": np.arange(base.customer.size) % 7}
    pnl = customer_pnl(
        base.transactions,
        margin=MarginRate(rate=0.3),
        activities=counts,
        unit_costs={"service_calls": 15.0},
    )
    fit = fit_bgnbd(summary)
    value = profit_clv(fit, summary, pnl=pnl, periods=12, period_length=52 / 12, discount_rate=0.01)
    assert value.basis == "profit"
    assert value.n_negative > 0
    where = np.searchsorted(pnl.customer, summary.customer)
    expected = pnl.profit[where] / np.maximum(pnl.n_purchases[where], 1)
    np.testing.assert_allclose(value.value_per_purchase, expected)
    curve = whale_curve(value.clv, customer=value.customer)
    assert curve.peak_profit >= curve.total_profit
    assert curve.n_unprofitable == value.n_negative


def test_profit_clv_bad_input():
    with pytest.raises(InputError, match="not both"):
        profit_clv(
            BG,
            frequency=[1],
            recency=[1.0],
            T=[2.0],
            periods=1,
            period_length=1.0,
            discount_rate=0.0,
        )
    pnl = customer_pnl(
        {"customer": [1], "timestamp": ["2024-01-01"], "amount": [5.0]},
        margin=MarginRate(rate=0.5),
    )
    with pytest.raises(InputError, match="customer ids"):
        profit_clv(
            BG,
            frequency=[1],
            recency=[1.0],
            T=[2.0],
            pnl=pnl,
            periods=1,
            period_length=1.0,
            discount_rate=0.0,
        )
    with pytest.raises(InputError, match="in the P&L") as err:
        profit_clv(
            BG,
            {"customer": [1, 2], "frequency": [1, 0], "recency": [1.0, 0], "T": [2.0, 2]},
            pnl=pnl,
            periods=1,
            period_length=1.0,
            discount_rate=0.0,
        )
    assert err.value.positions == (1,)
    for kwargs, field in [
        ({"periods": 0}, "periods"),
        ({"period_length": 0.0}, "period_length"),
        ({"discount_rate": -1.0}, "discount_rate"),
    ]:
        args = {"periods": 2, "period_length": 1.0, "discount_rate": 0.1} | kwargs
        with pytest.raises(InputError) as err:
            profit_clv(BG, frequency=[1], recency=[1.0], T=[2.0], profit_per_purchase=[1.0], **args)
        assert err.value.field == field
    with pytest.raises(InputError, match="GammaGammaFit"):
        customer_clv(
            BG,
            BG,
            frequency=[1],
            recency=[1.0],
            T=[2.0],
            monetary_value=[1.0],  # type: ignore[arg-type]
            periods=1,
            period_length=1.0,
            discount_rate=0.0,
        )


def _brute_holdout(tx, cal_end, obs_end, freq):
    """Per-customer holdout periods, counted one customer at a time (the test's oracle).

    The convention (docs/conventions.md): rows dated before the cut are calibration, rows at
    or after it and before observation_end holdout; holdout purchases are the distinct
    periods among a customer's holdout rows (lifetimes' calibration_and_holdout_data).
    """
    cal, obs = np.datetime64(cal_end, "us"), np.datetime64(obs_end, "us")
    unit = "D" if freq == "day" else "W"
    out = {}
    for c in np.unique(tx.customer[tx.timestamp < cal]):
        mine = tx.timestamp[(tx.customer == c) & (tx.timestamp >= cal) & (tx.timestamp < obs)]
        if unit == "D":
            periods = {str(t.astype("datetime64[D]")) for t in mine}
        else:  # Monday-based weeks, as the default calendar
            days = (mine.astype("datetime64[D]") - np.datetime64("1970-01-05", "D")).astype(int)
            periods = set((days // 7).tolist())
        out[int(c)] = len(periods)
    return out


@pytest.mark.parametrize("freq", ["day", "week"])
@pytest.mark.parametrize("cal_end", ["2023-10-01", "2023-10-02", "2023-09-27T15:30"])
def test_calibration_holdout_cuts_on_the_raw_timestamp(freq, cal_end):
    base = simulate_customer_base(300, "2023-01-01", "2024-01-01", seed=8)
    tx = base.transactions
    split = calibration_holdout(
        tx, freq=freq, calibration_end=cal_end, observation_end="2023-12-31"
    )
    brute = _brute_holdout(tx, cal_end, "2023-12-31", freq)
    assert split.customer.tolist() == sorted(brute)
    assert split.holdout_purchases.tolist() == [brute[c] for c in split.customer.tolist()]
    assert split.holdout_by_period.sum() == split.holdout_purchases.sum()
    cut = np.datetime64(cal_end, "us")
    assert split.n_new_in_holdout == len(
        set(
            tx.customer[
                (tx.timestamp >= cut) & (tx.timestamp < np.datetime64("2023-12-31"))
            ].tolist()
        )
        - set(tx.customer[tx.timestamp < cut].tolist())
    )
    # the calibration summary is that of the rows before the cut, nothing later
    early = {
        k: v[tx.timestamp < cut]
        for k, v in {
            "customer": tx.customer,
            "timestamp": tx.timestamp,
            "amount": tx.amount,
        }.items()
    }
    alone = btyd_summary(early, freq=freq, as_of=cut)
    np.testing.assert_array_equal(split.calibration.frequency, alone.frequency)
    np.testing.assert_array_equal(split.calibration.T, alone.T)


def test_calibration_holdout_day_length_and_errors():
    base = simulate_customer_base(300, "2023-01-01", "2024-01-01", seed=8)
    split = calibration_holdout(
        base.transactions, freq="day", calibration_end="2023-10-01", observation_end="2024-01-01"
    )
    assert split.holdout_length == 92.0  # 1 October to 31 December
    with pytest.raises(InputError, match="observation_end") as err:
        calibration_holdout(
            base.transactions,
            freq="day",
            calibration_end="2023-09-30",
            observation_end="2023-09-30",
        )
    assert err.value.field == "observation_end"
    with pytest.raises(InputError, match="first transaction") as err:
        calibration_holdout(
            base.transactions,
            freq="day",
            calibration_end="2022-09-30",
            observation_end="2023-09-30",
        )
    assert err.value.field == "calibration_end"


def test_holdout_comparison_on_simulated_base():
    truth = PurchaseProcess(r=0.5, alpha=4.0, a=1.0, b=3.0)
    base = simulate_customer_base(
        8_000, "2022-01-01", "2024-01-01", seed=21, purchase=truth, refund_rate=0.0
    )
    split = calibration_holdout(
        base.transactions, freq="day", calibration_end="2023-06-30", observation_end="2023-12-31"
    )
    assert isinstance(split, CalibrationHoldout)
    fit = fit_bgnbd(split.calibration)
    check = holdout_comparison(fit, split)
    assert check.predicted_total == pytest.approx(check.actual_total, rel=0.1)
    assert check.correlation > 0.5
    assert check.n_customers.sum() == split.customer.size
    # group means track the actuals (FHL 2005, Figure 4)
    big = check.n_customers > 200
    np.testing.assert_allclose(check.predicted[big], check.actual[big], rtol=0.25, atol=0.1)
    same = holdout_comparison(
        fit,
        split.calibration,
        holdout_purchases=split.holdout_purchases,
        holdout_length=split.holdout_length,
    )
    assert same.predicted_total == check.predicted_total
    with pytest.raises(InputError, match="holdout_purchases"):
        holdout_comparison(fit, split.calibration)
    with pytest.raises(InputError, match="holdout_purchases"):
        holdout_comparison(fit, split, holdout_purchases=[1])
    with pytest.raises(InputError, match="max_frequency"):
        holdout_comparison(fit, split, max_frequency=0)


def test_frames_carry_customer_ids_into_clv():
    import polars as pl

    frame = pl.DataFrame(
        {
            "customer": ["x", "y"],
            "frequency": [2, 0],
            "recency": [30.43, 0.0],
            "T": [38.86, 38.86],
            "monetary_value": [22.35, 0.0],
        }
    )
    value = customer_clv(BG, GG, frame, periods=2, period_length=4.0, discount_rate=0.0)
    assert value.customer.tolist() == ["x", "y"]
    assert type(value.to_frame_like(frame)).__name__ == "DataFrame"
