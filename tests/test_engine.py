"""The shared engine layer: period keys in an engine, engine errors, frames out, Dask warnings."""

import datetime as dt
import warnings

import duckdb
import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit._engine import engine_table, with_period_key
from crmkit._engine._table import Field
from crmkit.datasets import simulate_transactions
from crmkit.errors import CrmkitError, EngineError
from crmkit.periods import Calendar, Frequency, Weekday, period_keys
from crmkit.segmentation import rfm_summary
from tests.engines import convert

instants = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31))
calendars = st.builds(
    Calendar,
    week_start=st.sampled_from(list(Weekday)),
    fiscal_year_start_month=st.integers(1, 12),
)


@given(
    times=st.lists(instants, min_size=1, max_size=40),
    freq=st.sampled_from(list(Frequency)),
    calendar=calendars,
)
def test_period_keys_in_an_engine_are_crmkit_period_keys(times, freq, calendar):
    # oracle: crmkit.periods.period_keys on the same instants (1900-2200, pre-1970 included)
    expected = period_keys(np.array(times, dtype="datetime64[us]"), freq, calendar=calendar)
    frame = pl.DataFrame({"t": times}).with_columns(pl.col("t").cast(pl.Datetime("us"))).lazy()
    keyed = with_period_key(nw.from_native(frame), "t", freq, calendar, name="k")
    np.testing.assert_array_equal(keyed.collect()["k"].to_numpy(), expected)


@pytest.mark.parametrize("freq", list(Frequency))
def test_period_keys_agree_in_duckdb_and_dask(freq):
    times = pd.date_range("1900-01-01", "2200-12-31", periods=997).as_unit("us")
    calendar = Calendar(week_start=Weekday.SATURDAY, fiscal_year_start_month=4)
    expected = period_keys(times.to_numpy(), freq, calendar=calendar)
    df = pd.DataFrame({"t": times})
    dd = pytest.importorskip("dask.dataframe")
    for native in (duckdb.sql("select * from df"), dd.from_pandas(df, npartitions=3)):
        keyed = with_period_key(nw.from_native(native), "t", freq, calendar, name="k")
        got = keyed.collect().to_pandas().sort_values("t")["k"].to_numpy()
        np.testing.assert_array_equal(got, expected)


def test_engine_error_keeps_the_engine_message_and_cause(in_engine):
    rel = duckdb.sql("select 1 as c, timestamp '2024-01-01' as t, 'x' as a")  # noqa: F841  (read by name)
    rel_bad = duckdb.sql("select c, t, cast(a as double) as a from rel")
    with pytest.raises(EngineError) as info:
        engine_table(rel_bad, [Field("amount", "a", "amount")], function="f")
    err = info.value
    assert isinstance(err, CrmkitError)
    assert err.engine == "duckdb"
    assert err.step in {"count the rows", "check the rows"}
    assert "Could not convert" in err.engine_message
    assert isinstance(err.__cause__, duckdb.Error)


def test_a_result_goes_back_to_the_callers_engine(request, in_engine):
    tx = simulate_transactions(30, "2024-01-01", "2024-07-01", seed=1)
    df = pd.DataFrame({"c": tx.customer, "t": tx.timestamp, "a": tx.amount})
    for engine, kind in [("duckdb", "DuckDBPyRelation"), ("polars-lazy", "LazyFrame")]:
        source = convert(df, engine, request)
        out = rfm_summary(source, unit="day", customer="c", timestamp="t", amount="a")
        assert type(out.to_frame_like(source)).__name__ == kind
    spark_source = convert(df, "pyspark", request)
    summary = rfm_summary(spark_source, unit="day", customer="c", timestamp="t", amount="a")
    back = summary.to_frame_like(spark_source)
    assert type(back).__name__ == "DataFrame"
    assert back.sparkSession is spark_source.sparkSession
    assert back.count() == summary.customer.size
    assert "c" in back.columns  # the caller's column name comes back


def test_the_dask_path_warns_only_narwhals_plugin_notice(in_engine):
    # narwhals asks for the narwhals-dask plugin, not yet published; crmkit filters nothing
    dd = pytest.importorskip("dask.dataframe")
    tx = simulate_transactions(30, "2024-01-01", "2024-07-01", seed=2)
    df = pd.DataFrame({"c": tx.customer, "t": tx.timestamp, "a": tx.amount})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rfm_summary(
            dd.from_pandas(df, npartitions=2), unit="day", customer="c", timestamp="t", amount="a"
        )
    others = [w for w in caught if "narwhals-dask" not in str(w.message)]
    assert others == [], [str(w.message) for w in others]
