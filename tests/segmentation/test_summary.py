import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from lifetimes.utils import summary_data_from_transaction_data

from crmkit import Transactions
from crmkit.datasets import simulate_transactions
from crmkit.errors import InputError
from crmkit.segmentation import TimeUnit, btyd_summary, rfm_summary
from tests.segmentation.strategies import transaction_logs


@pytest.fixture(scope="module")
def sim():
    return simulate_transactions(400, "2023-01-01", "2024-07-01", seed=11, id_kind="str")


@pytest.mark.parametrize(("freq", "pandas_freq"), [("day", "D"), ("week", "W")])
@pytest.mark.parametrize("include_first", [False, True])
@pytest.mark.parametrize("last_day", ["2024-03-17", "2024-06-30"])  # Sundays: weeks end there
def test_btyd_summary_equals_lifetimes(sim, freq, pandas_freq, include_first, last_day):
    # oracle: lifetimes 0.11.3, summary_data_from_transaction_data (test-only dependency);
    # its observation_period_end is the last observed day, crmkit's as_of the day after
    df = pd.DataFrame({"c": sim.customer, "t": sim.timestamp, "a": sim.amount})
    ref = summary_data_from_transaction_data(
        df,
        "c",
        "t",
        "a",
        observation_period_end=last_day,
        freq=pandas_freq,
        include_first_transaction=include_first,
    ).sort_index()
    as_of = np.datetime64(last_day) + np.timedelta64(1, "D")
    got = btyd_summary(sim, freq=freq, as_of=as_of, include_first_transaction=include_first)
    assert got.customer.tolist() == ref.index.tolist()
    np.testing.assert_array_equal(got.frequency, ref["frequency"].to_numpy())
    np.testing.assert_array_equal(got.recency, ref["recency"].to_numpy())
    np.testing.assert_array_equal(got.T, ref["T"].to_numpy())
    np.testing.assert_allclose(
        got.monetary_value, ref["monetary_value"].to_numpy(), rtol=1e-9, atol=1e-9
    )
    assert got.freq == freq
    assert got.n_rows_used + got.n_rows_after_as_of == sim.n_rows


def test_btyd_summary_reports_excluded_rows_and_customers():
    data = {
        "customer": [1, 1, 2],
        "timestamp": ["2024-01-01", "2024-03-01", "2024-03-02"],
        "amount": [5.0, 6.0, 7.0],
    }
    s = btyd_summary(data, freq="day", as_of="2024-02-01")
    assert s.customer.tolist() == [1]
    assert (s.n_rows_after_as_of, s.n_customers_after_as_of) == (2, 1)
    assert not s.as_of_is_default
    assert s.frequency.tolist() == [0]
    assert s.monetary_value.tolist() == [0.0]


def test_btyd_summary_default_as_of_is_day_after_last():
    s = btyd_summary(
        {"customer": [1], "timestamp": ["2024-01-05T13:00"], "amount": [1.0]}, freq="day"
    )
    assert s.as_of_is_default
    assert str(s.as_of.astype("datetime64[D]")) == "2024-01-06"
    assert s.T.tolist() == [0.0]  # the last observed day is the purchase day, as in lifetimes


def test_btyd_summary_cuts_at_as_of_within_its_period():
    # the one convention: as_of is an exclusive end, even inside a week (lifetimes keeps
    # rows after its end date that share the end date's week; crmkit counts them as after)
    data = {
        "customer": [1, 1, 1],
        "timestamp": ["2024-01-01", "2024-01-08", "2024-01-10"],  # Mondays and a Wednesday
        "amount": [5.0, 6.0, 7.0],
    }
    s = btyd_summary(data, freq="week", as_of="2024-01-09")
    assert s.n_rows_after_as_of == 1
    assert (s.frequency.tolist(), s.T.tolist(), s.monetary_value.tolist()) == ([1], [1.0], [6.0])


@settings(max_examples=60, deadline=None)
@given(transaction_logs())
def test_btyd_invariants(log):
    # the lifetimes input invariants (utils._check_inputs)
    s = btyd_summary(log, freq="day", as_of="2024-06-01")
    assert np.all(s.recency <= s.T)
    assert np.all(s.recency[s.frequency == 0] == 0)
    assert np.all(s.monetary_value[s.frequency == 0] == 0)
    assert np.all(s.frequency >= 0)
    assert np.all(s.monetary_value[s.frequency > 0] > 0)
    inc = btyd_summary(log, freq="day", as_of="2024-06-01", include_first_transaction=True)
    np.testing.assert_array_equal(inc.frequency, s.frequency + 1)


@settings(max_examples=30, deadline=None)
@given(transaction_logs())
def test_rfm_summary_matches_pandas_groupby(log):
    s = rfm_summary(log, unit="day", as_of="2024-06-01")
    df = pd.DataFrame(log)
    g = df.groupby("customer").agg(
        last=("timestamp", "max"),
        first=("timestamp", "min"),
        n=("amount", "size"),
        m=("amount", "sum"),
    )
    end = pd.Timestamp("2024-06-01")
    assert s.customer.tolist() == g.index.tolist()
    np.testing.assert_array_equal(s.frequency, g["n"].to_numpy())
    np.testing.assert_allclose(s.monetary, g["m"].to_numpy())
    np.testing.assert_allclose(s.recency, (end - g["last"]).dt.total_seconds().to_numpy() / 86400)
    np.testing.assert_allclose(s.tenure, (end - g["first"]).dt.total_seconds().to_numpy() / 86400)
    assert np.all(s.recency <= s.tenure)


def test_rfm_summary_window_refunds_and_units():
    data = {
        "customer": ["a", "a", "a", "b", "b", "c"],
        "timestamp": [
            "2023-12-01",
            "2024-01-08",
            "2024-01-08",
            "2024-01-15",
            "2024-01-20",
            "2024-03-01",
        ],
        "amount": [100.0, 10.0, 20.0, 50.0, -50.0, 9.0],
    }
    s = rfm_summary(data, unit="week", as_of="2024-01-29", start="2024-01-01")
    assert s.customer.tolist() == ["a", "b"]
    assert s.frequency.tolist() == [2, 1]
    assert s.monetary.tolist() == [30.0, 0.0]
    assert s.recency.tolist() == [3.0, 2.0]
    assert (s.n_rows_before_start, s.n_rows_after_as_of, s.n_rows_not_purchases) == (1, 1, 1)
    assert s.unit is TimeUnit.WEEK
    by_day = rfm_summary(data, unit="day", as_of="2024-01-29", count_by="day")
    assert by_day.frequency.tolist() == [2, 1]
    assert by_day.monetary_mean.tolist() == [65.0, 0.0]
    everything = rfm_summary(data, unit="day", as_of="2024-01-29", purchases="all")
    assert everything.frequency.tolist() == [3, 2]
    months = rfm_summary(data, unit="month", as_of="2024-01-29")
    np.testing.assert_allclose(months.recency, s.recency * 7 / 30.436875)


def test_rfm_summary_customer_with_only_refunds_is_counted_not_listed():
    data = {
        "customer": [1, 2],
        "timestamp": ["2024-01-01", "2024-01-02"],
        "amount": [5.0, -3.0],
    }
    s = rfm_summary(data, unit="day")
    assert s.customer.tolist() == [1]
    assert s.n_customers_without_purchase == 1


@pytest.mark.parametrize("make", [pd.DataFrame, pl.DataFrame])
def test_rfm_summary_reads_frames_with_column_mapping(make):
    frame = make(
        {
            "cust": [7, 7, 9],
            "ts": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-03"]),
            "eur": [1.0, 2.0, 3.0],
        }
    )
    s = rfm_summary(frame, unit="day", customer="cust", timestamp="ts", amount="eur")
    assert s.customer.tolist() == [7, 9]
    assert s.to_frame_like(frame).shape == (2, 8)


def test_summaries_never_modify_readonly_input():
    cols = {
        "customer": np.array([3, 1, 3]),
        "timestamp": np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="M8[us]"),
        "amount": np.array([1.0, 2.0, 3.0]),
    }
    for arr in cols.values():
        arr.flags.writeable = False
    copies = {k: v.copy() for k, v in cols.items()}
    tx = Transactions.from_arrays(**cols)
    rfm_summary(tx, unit="day")
    btyd_summary(tx, freq="week")
    for k, v in cols.items():
        np.testing.assert_array_equal(v, copies[k])


def test_summary_errors():
    data = {"customer": [1], "timestamp": ["2024-01-05"], "amount": [1.0]}
    with pytest.raises(InputError, match="'as_of' parameter of rfm_summary"):
        rfm_summary(data, unit="day", as_of="2023-01-01")
    with pytest.raises(InputError, match="'as_of' parameter of btyd_summary"):
        btyd_summary(data, freq="day", as_of="2023-01-01")
    with pytest.raises(InputError, match="'unit' parameter"):
        rfm_summary(data, unit="fortnight")
    with pytest.raises(InputError, match="'freq' parameter"):
        btyd_summary(data, freq="hour")
    with pytest.raises(InputError, match="'start' parameter"):
        rfm_summary(data, unit="day", start="2024-02-01", as_of="2024-01-10")
    with pytest.raises(InputError, match="no purchases"):
        rfm_summary({"customer": [1], "timestamp": ["2024-01-05"], "amount": [-1.0]}, unit="day")
    with pytest.raises(InputError, match="amount"):
        rfm_summary(
            {"customer": [1], "timestamp": ["2024-01-05"], "amount": [float("nan")]}, unit="day"
        )
    with pytest.raises(InputError, match="at least one row"):
        rfm_summary({"customer": [], "timestamp": [], "amount": []}, unit="day")
    with pytest.raises(InputError, match="same length"):
        btyd_summary({"customer": [1, 2], "timestamp": ["2024-01-05"], "amount": [1.0]}, freq="day")


@settings(max_examples=30, deadline=None)
@given(transaction_logs())
def test_count_by_day_counts_distinct_purchase_days(log):
    s = rfm_summary(log, unit="day", as_of="2024-06-01", count_by="day")
    df = pd.DataFrame(log)
    days = df.assign(day=df["timestamp"].dt.floor("D")).groupby("customer")["day"].nunique()
    np.testing.assert_array_equal(s.frequency, days.to_numpy())
    by_row = rfm_summary(log, unit="day", as_of="2024-06-01")
    assert np.all(s.frequency <= by_row.frequency)
