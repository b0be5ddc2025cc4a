import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmkit.datasets import simulate_transactions
from crmkit.errors import InputError
from crmkit.segmentation import _summary, btyd_summary, rfm_summary

COLUMNS = {"customer": "c", "timestamp": "t", "amount": "a"}


@pytest.fixture(scope="module")
def frame():
    tx = simulate_transactions(300, "2023-01-01", "2024-07-01", seed=3, id_kind="str")
    return pd.DataFrame({"c": tx.customer, "t": tx.timestamp, "a": tx.amount})


def lazy_sources(df):
    return {"duckdb": duckdb.sql("select * from df"), "polars": pl.from_pandas(df).lazy()}


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"as_of": "2024-03-01", "start": "2023-06-01"},
        {"count_by": "day"},
        {"count_by": "month", "purchases": "all"},
    ],
)
def test_lazy_tables_aggregate_in_engine_and_match_numpy(frame, engine, options, monkeypatch):
    eager = rfm_summary(frame, unit="day", **COLUMNS, **options)
    source = lazy_sources(frame)[engine]

    def no_row_read(*args, **kwargs):
        raise AssertionError("the lazy table was read row by row")

    monkeypatch.setattr(_summary, "_read", no_row_read)
    pushed = rfm_summary(source, unit="day", **COLUMNS, **options)
    for field in eager._table:
        a, b = getattr(pushed, field), getattr(eager, field)
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-12)
        else:
            np.testing.assert_array_equal(a, b)
    for field in (
        "as_of",
        "as_of_is_default",
        "n_rows_used",
        "n_rows_after_as_of",
        "n_rows_before_start",
        "n_rows_not_purchases",
        "n_customers_without_purchase",
    ):
        assert getattr(pushed, field) == getattr(eager, field)


def test_lazy_table_with_bad_rows_reports_them_like_any_input():
    df = pd.DataFrame(  # noqa: F841  (read by DuckDB's replacement scan)
        {"c": [1, 2, 3], "t": pd.to_datetime(["2024-01-01"] * 3), "a": [1.0, None, 2.0]}
    )
    rel = duckdb.sql("select * from df")
    with pytest.raises(InputError, match="'amount' column") as info:
        rfm_summary(rel, unit="day", **COLUMNS)
    assert info.value.positions == (1,)


def test_lazy_aware_timestamps_are_utc():
    rel = duckdb.sql(
        "select * from (values (1, timestamptz '2024-01-01 10:00+02', 5.0), "
        "(2, timestamptz '2024-01-03 00:00+00', 7.0)) t(c, t, a)"
    )
    s = rfm_summary(rel, unit="day", as_of="2024-01-04", **COLUMNS)
    assert s.last_purchase.astype(str).tolist() == [
        "2024-01-01T08:00:00.000000",
        "2024-01-03T00:00:00.000000",
    ]


def test_lazy_as_of_before_everything_is_an_error(frame):
    with pytest.raises(InputError, match="'as_of' parameter of rfm_summary"):
        rfm_summary(pl.from_pandas(frame).lazy(), unit="day", as_of="2000-01-01", **COLUMNS)
    with pytest.raises(InputError, match="'start' parameter"):
        rfm_summary(
            pl.from_pandas(frame).lazy(),
            unit="day",
            as_of="2024-01-01",
            start="2024-02-01",
            **COLUMNS,
        )


def test_dask_frame_aggregates_in_engine(frame, monkeypatch):
    dd = pytest.importorskip("dask.dataframe")
    eager = rfm_summary(frame, unit="day", **COLUMNS)

    def no_row_read(*args, **kwargs):
        raise AssertionError("the Dask frame was read row by row")

    monkeypatch.setattr(_summary, "_read", no_row_read)
    pushed = rfm_summary(dd.from_pandas(frame, npartitions=2), unit="day", **COLUMNS)
    np.testing.assert_array_equal(pushed.customer, eager.customer)
    np.testing.assert_array_equal(pushed.frequency, eager.frequency)
    np.testing.assert_allclose(pushed.monetary, eager.monetary)
    np.testing.assert_allclose(pushed.recency, eager.recency)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("freq", ["day", "week", "month"])
@pytest.mark.parametrize("include_first", [False, True])
def test_lazy_btyd_summary_matches_numpy(frame, engine, freq, include_first, monkeypatch):
    # weeks are read row by row (engines truncate weeks differently); the rest run in-engine
    options = {"freq": freq, "as_of": "2024-03-15", "include_first_transaction": include_first}
    eager = btyd_summary(frame, **COLUMNS, **options)
    source = lazy_sources(frame)[engine]

    def no_row_read(*args, **kwargs):
        raise AssertionError("the lazy table was read row by row")

    if freq != "week":
        monkeypatch.setattr(_summary, "_read", no_row_read)
    pushed = btyd_summary(source, **COLUMNS, **options)
    np.testing.assert_array_equal(pushed.customer, eager.customer)
    np.testing.assert_array_equal(pushed.frequency, eager.frequency)
    np.testing.assert_array_equal(pushed.recency, eager.recency)
    np.testing.assert_array_equal(pushed.T, eager.T)
    np.testing.assert_allclose(pushed.monetary_value, eager.monetary_value, rtol=1e-9, atol=1e-9)
    for field in (
        "as_of",
        "n_rows_used",
        "n_rows_after_as_of",
        "n_customers_after_as_of",
        "n_negative_rows",
    ):
        assert getattr(pushed, field) == getattr(eager, field)
