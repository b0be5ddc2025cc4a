"""The same test table in every frame library and engine crmkit reads, and a result comparison.

Every push-down test runs one pandas frame through numpy arrays, pandas,
polars, polars lazy, pyarrow, DuckDB, Dask and PySpark (local mode, where
Java exists) and compares each result with the numpy path's, field by field.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pytest

EAGER = ("numpy", "pandas", "polars", "pyarrow")
LAZY = ("polars-lazy", "duckdb", "dask", "pyspark")
ENGINES = EAGER + LAZY
ENGINE_NAMES = {"polars-lazy": "polars", "duckdb": "duckdb", "dask": "dask", "pyspark": "pyspark"}


def convert(df: Any, engine: str, request: pytest.FixtureRequest) -> Any:
    """Return the pandas frame *df* as *engine* holds it."""
    if engine == "numpy":
        return {name: df[name].to_numpy() for name in df.columns}
    if engine == "pandas":
        return df
    if engine in {"polars", "polars-lazy"}:
        import polars as pl

        frame = pl.from_pandas(df)
        return frame.lazy() if engine == "polars-lazy" else frame
    if engine == "pyarrow":
        import pyarrow as pa

        return pa.Table.from_pandas(df, preserve_index=False)
    if engine == "duckdb":
        import duckdb
        import pyarrow as pa

        con = duckdb.connect()
        request.addfinalizer(con.close)
        return con.from_arrow(pa.Table.from_pandas(df, preserve_index=False))
    if engine == "dask":
        dd = pytest.importorskip("dask.dataframe")
        return dd.from_pandas(df, npartitions=3)
    if engine == "pyspark":
        import pyarrow as pa

        spark = request.getfixturevalue("spark")
        # from Arrow: PySpark warns about pandas >= 3 when handed a pandas frame
        return spark.createDataFrame(pa.Table.from_pandas(df, preserve_index=False))
    msg = f"unknown engine {engine!r}"
    raise ValueError(msg)


def assert_same_result(got: Any, expected: Any, *, rtol: float = 1e-12) -> None:
    """Assert two results agree on every field but ``computed_in`` (floats to *rtol*)."""
    assert type(got) is type(expected)
    for field in attrs.fields(type(expected)):
        if field.name in {"computed_in", "_source_names"}:
            continue
        a, b = getattr(got, field.name), getattr(expected, field.name)
        if attrs.has(type(b)):
            assert_same_result(a, b, rtol=rtol)
        elif isinstance(b, np.ndarray):
            assert a.dtype == b.dtype, (field.name, a.dtype, b.dtype)
            assert a.shape == b.shape, (field.name, a.shape, b.shape)
            if b.dtype.kind == "f":
                np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-9, err_msg=field.name)
            else:
                np.testing.assert_array_equal(a, b, err_msg=field.name)
        else:
            assert a == b, (field.name, a, b)
