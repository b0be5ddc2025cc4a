"""rfm_summary and btyd_summary give the numpy path's result through every frame library and engine.

The oracle is the numpy path on the same rows (a dict of arrays): every field
of the result must agree, and a lazy table must really be shrunk in its engine
(``computed_in`` names it, and the row-level reader is never called).
"""

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

from crmkit.datasets import simulate_transactions
from crmkit.errors import EngineError, InputError
from crmkit.periods import Calendar, Weekday
from crmkit.segmentation import _summary, btyd_summary, rfm_summary
from tests.engines import ENGINE_NAMES, ENGINES, LAZY, assert_same_result, convert

COLUMNS = {"customer": "c", "timestamp": "t", "amount": "a"}


@pytest.fixture(scope="module", params=["str", "int"])
def frame(request):
    tx = simulate_transactions(120, "2023-01-01", "2024-07-01", seed=3, id_kind=request.param)
    df = pd.DataFrame({"c": tx.customer, "t": tx.timestamp, "a": tx.amount})
    refunds = df.index % 17 == 0
    df.loc[refunds, "a"] = -df.loc[refunds, "a"]  # refunds are netted and counted
    df.loc[df.index % 23 == 0, "a"] = 0.0
    return df


def _no_row_read(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the lazy table was read row by row")

    monkeypatch.setattr(_summary, "_read", fail)


RFM_OPTIONS = [
    {},
    {"as_of": "2024-03-01", "start": "2023-06-01"},
    {"purchases": "all", "as_of": "2024-06-01"},
    {"count_by": "week", "calendar": Calendar(week_start=Weekday.SUNDAY)},
    {"count_by": "month", "purchases": "all", "as_of": "2024-05-15T12:00"},
    {"count_by": "quarter"},
    {"count_by": "year", "as_of": "2024-01-01"},
]
BTYD_OPTIONS = [
    {"freq": "day"},
    {"freq": "week", "as_of": "2024-03-15"},
    {"freq": "week", "calendar": Calendar(week_start=Weekday.WEDNESDAY)},
    {"freq": "month", "as_of": "2024-03-15", "include_first_transaction": True},
    {"freq": "quarter"},
    {"freq": "year", "as_of": "2024-02-01"},
]


def _options(options, engine):
    # Spark runs a job per query: the slow engine gets the first two option sets only
    return options[:2] if engine == "pyspark" else options


@pytest.mark.parametrize("engine", ENGINES)
def test_rfm_summary_is_the_same_through_every_engine(
    frame, engine, request, in_engine, monkeypatch
):
    source = convert(frame, engine, request)
    expected = [rfm_summary(frame.to_dict("list"), unit="day", **COLUMNS, **o) for o in RFM_OPTIONS]
    if engine in LAZY:
        _no_row_read(monkeypatch)
    for options, want in zip(_options(RFM_OPTIONS, engine), expected, strict=False):
        got = rfm_summary(source, unit="day", **COLUMNS, **options)
        assert_same_result(got, want)
        assert got.computed_in == ENGINE_NAMES.get(engine, "numpy")


@pytest.mark.parametrize("engine", ENGINES)
def test_btyd_summary_is_the_same_through_every_engine(
    frame, engine, request, in_engine, monkeypatch
):
    source = convert(frame, engine, request)
    expected = [btyd_summary(frame.to_dict("list"), **COLUMNS, **o) for o in BTYD_OPTIONS]
    if engine in LAZY:
        _no_row_read(monkeypatch)
    for options, want in zip(_options(BTYD_OPTIONS, engine), expected, strict=False):
        got = btyd_summary(source, **COLUMNS, **options)
        assert_same_result(got, want, rtol=1e-9)
        assert got.computed_in == ENGINE_NAMES.get(engine, "numpy")


def test_small_lazy_tables_are_collected_and_computed_in_numpy(frame):
    # below crmkit._engine.COLLECT_BELOW rows, numpy is faster than the engine's queries
    got = rfm_summary(pl.from_pandas(frame).lazy(), unit="day", **COLUMNS)
    assert got.computed_in == "numpy"
    assert_same_result(got, rfm_summary(frame, unit="day", **COLUMNS))


def _bad(kind):
    df = pd.DataFrame(
        {
            "c": ["a", "b", "c", "d"],
            "t": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
            "a": [1.0, 2.0, 3.0, 4.0],
        }
    )
    if kind == "nan amount":
        df.loc[[1, 3], "a"] = np.nan
    elif kind == "null id":
        df["c"] = pd.array(["a", None, "c", "d"], dtype="string")
    elif kind == "blank id":
        df.loc[2, "c"] = " \t"
    elif kind == "old date":
        df.loc[0, "t"] = pd.Timestamp("1850-06-01")
    elif kind == "overflow":
        df["a"] = [1.0e308, 1.0e308, 5.0, 1.0]
    return df


BAD = {
    "nan amount": ("amount", "must be finite (no NaN or infinity)", 2),
    "null id": ("customer", "must not be null", 1),
    "blank id": ("customer", "must not hold empty strings", 1),
    "old date": ("timestamp", "must hold dates in the years 1900-2200", 1),
    "overflow": ("amount", "must sum to a finite float64 total", None),
}


@pytest.mark.parametrize("engine", ["polars-lazy", "duckdb", "dask"])
@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_rows_are_found_in_the_engine_by_the_boundary_rules(kind, engine, request, in_engine):
    df = _bad(kind)
    field, requirement, n_bad = BAD[kind]
    with pytest.raises(InputError) as numpy_error:
        rfm_summary(df, unit="day", **COLUMNS)
    with pytest.raises(InputError) as engine_error:
        rfm_summary(convert(df, engine, request), unit="day", **COLUMNS)
    for err in (numpy_error.value, engine_error.value):
        assert err.field == field
        assert err.column == COLUMNS[field]
        assert requirement in str(err)
        assert err.hint == numpy_error.value.hint
    assert engine_error.value.n_bad == n_bad
    assert ENGINE_NAMES[engine] in str(engine_error.value)
    assert "no row positions" in str(engine_error.value)


def test_bad_rows_in_spark_are_named_without_a_raw_spark_error(request, in_engine):
    with pytest.raises(InputError) as info:
        rfm_summary(convert(_bad("nan amount"), "pyspark", request), unit="day", **COLUMNS)
    assert info.value.field == "amount"
    assert info.value.n_bad == 2


def test_an_engine_failure_is_an_engine_error_naming_engine_step_and_column(in_engine):
    con = duckdb.connect()
    rel = con.sql(
        "select c, t, case when x > 0 then x else error('amount feed broken') end as a "
        "from (values (1, timestamp '2024-01-01', 5.0), (2, timestamp '2024-01-02', 0.0)) "
        "t(c, t, x)"
    )
    with pytest.raises(EngineError) as info:
        rfm_summary(rel, unit="day", **COLUMNS)
    err = info.value
    assert err.engine == "duckdb"
    assert err.field == "amount"
    assert err.column == "a"
    assert "amount feed broken" in err.engine_message
    assert "rfm_summary could not" in str(err)
    assert isinstance(err.__cause__, duckdb.Error)


def test_spark_failure_is_an_engine_error(request, in_engine, spark):
    from pyspark.sql import functions as F  # noqa: N812

    df = convert(_bad("none"), "pyspark", request)
    broken = df.withColumn("a", F.when(F.col("a") > 2, F.col("a")).otherwise(F.raise_error("feed")))
    with pytest.raises(EngineError) as info:
        rfm_summary(broken, unit="day", **COLUMNS)
    assert info.value.engine == "pyspark"
    assert "feed" in info.value.engine_message


def test_lazy_aware_timestamps_are_utc(in_engine):
    rel = duckdb.sql(
        "select * from (values (1, timestamptz '2024-01-01 10:00+02', 5.0), "
        "(2, timestamptz '2024-01-03 00:00+00', 7.0)) t(c, t, a)"
    )
    s = rfm_summary(rel, unit="day", as_of="2024-01-04", **COLUMNS)
    assert s.computed_in == "duckdb"
    assert s.last_purchase.astype(str).tolist() == [
        "2024-01-01T08:00:00.000000",
        "2024-01-03T00:00:00.000000",
    ]


def test_lazy_as_of_before_everything_and_bad_start_are_errors(frame, in_engine):
    lazy = pl.from_pandas(frame).lazy()
    with pytest.raises(InputError, match="'as_of' parameter of rfm_summary") as info:
        rfm_summary(lazy, unit="day", as_of="2000-01-01", **COLUMNS)
    assert info.value.field == "as_of"
    with pytest.raises(InputError, match="'start' parameter") as info:
        rfm_summary(lazy, unit="day", as_of="2024-01-01", start="2024-02-01", **COLUMNS)
    assert info.value.field == "start"
    with pytest.raises(InputError, match="no purchases") as info:
        rfm_summary(lazy.with_columns(pl.lit(-1.0).alias("a")), unit="day", **COLUMNS)
    assert info.value.field == "amount"


def test_text_timestamps_in_a_lazy_table_are_read_by_the_numpy_rules(frame, in_engine):
    # ISO-8601 and date_format are read one way, crmkit's: text dates come back to numpy
    text = pl.from_pandas(frame).lazy().with_columns(pl.col("t").dt.strftime("%Y%m%d"))
    got = rfm_summary(text, unit="day", date_format="%Y%m%d", **COLUMNS)
    assert got.computed_in == "numpy"
    with pytest.raises(InputError) as info:
        rfm_summary(text, unit="day", **COLUMNS)
    assert info.value.field == "timestamp"
    assert "date_format" in str(info.value)
