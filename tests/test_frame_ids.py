"""Text ids read from a frame's Arrow buffers equal the numpy path exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import Transactions
from crmkit._arrow import factorize_arrow
from crmkit._groups import factorize
from crmkit.errors import InputError
from crmkit.segmentation import rfm_scores, rfm_summary
from tests.strategies import str_ids

FRAMES = {
    "pandas": pd.DataFrame,
    "pandas-object": lambda cols: pd.DataFrame(cols).astype({"customer": object}),
    "pandas-category": lambda cols: pd.DataFrame(cols).astype({"customer": "category"}),
    "polars": pl.DataFrame,
    "polars-categorical": lambda cols: pl.DataFrame(cols).with_columns(
        pl.col("customer").cast(pl.Categorical)
    ),
    "pyarrow": pa.table,
}


def _columns(ids: list[str]) -> dict[str, np.ndarray]:
    n = len(ids)
    return {
        "customer": np.array(ids, dtype=str),
        "timestamp": np.datetime64("2024-01-01", "us") + np.arange(n).astype("timedelta64[h]"),
        "amount": np.arange(1, n + 1, dtype=np.float64),
    }


@settings(max_examples=60, deadline=None)
@given(
    pool=st.lists(str_ids, min_size=1, max_size=12, unique=True),
    picks=st.lists(st.integers(min_value=0, max_value=11), min_size=1, max_size=60),
    kind=st.sampled_from(sorted(FRAMES)),
)
def test_frame_ids_equal_numpy_ids(pool, picks, kind):
    # oracle: the numpy path (np.unique order and codes) on the same ids as numpy text
    ids = [pool[p % len(pool)] for p in picks]
    cols = _columns(ids)
    from_frame = Transactions.from_frame(FRAMES[kind](cols))
    from_arrays = Transactions.from_arrays(**cols)
    uniques, codes = np.unique(cols["customer"], return_inverse=True)
    assert from_frame.customer_ids.tolist() == uniques.tolist()
    assert from_frame.customer_codes.tolist() == codes.tolist()
    assert from_frame.customer.tolist() == ids
    assert from_arrays.customer_ids.tolist() == uniques.tolist()
    a = rfm_scores(rfm_summary(from_frame, unit="day"))
    b = rfm_scores(rfm_summary(from_arrays, unit="day"))
    assert a.customer.tolist() == b.customer.tolist()
    for name in ("recency_score", "frequency_score", "monetary_score"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize(
    "ids",
    [
        ["C0001234", "C0000001", "C0001234", "C0999999"],  # packs into a small range
        ["a", "bb", "a", "ccc", ""[:0] + "dddd"],  # ragged lengths
        ["émile", "zoë", "émile", "ångström", "中文"],  # non-ASCII: UTF-8 order is code-point order
        [f"customer-{i:040d}" for i in (5, 3, 5, 9)],  # too wide to pack: hashed, then checked
        ["a\x00b", "a", "a\x00b"],  # a NUL byte inside an id: Arrow's own hash table
    ],
)
def test_arrow_factorisation_matches_sorted_uniques(ids):
    got = factorize_arrow(pa.array(ids), field="customer", function="f")
    uniques = sorted(set(ids))
    assert got.uniques.tolist() == uniques
    assert [uniques[c] for c in got.codes.tolist()] == ids


def test_chunked_and_sliced_arrow_arrays():
    chunked = pa.chunked_array([["b", "a"], ["c", "b", "a"]])
    got = factorize_arrow(chunked, field="customer", function="f")
    assert got.codes.tolist() == [1, 0, 2, 1, 0]
    sliced = pa.array(["x", "q", "b", "a", "b"]).slice(2)
    got = factorize_arrow(sliced, field="customer", function="f")
    assert (got.codes.tolist(), got.uniques.tolist()) == ([1, 0, 1], ["a", "b"])
    large = pa.array(["b", "a"], type=pa.large_string())
    assert factorize_arrow(large, field="customer", function="f").uniques.tolist() == ["a", "b"]


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_bad_frame_ids_name_rows(kind):
    cols = {
        "cust": ["a", None, "b", " "],
        "ts": ["2024-01-01"] * 4,
        "eur": [1.0, 2.0, 3.0, 4.0],
    }
    frame = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.table}[kind](cols)
    with pytest.raises(InputError) as info:
        rfm_summary(frame, unit="day", customer="cust", timestamp="ts", amount="eur")
    err = info.value
    assert err.field == "customer"
    assert err.column == "cust"
    assert err.positions == (1,)
    assert "must not be null" in str(err)
    assert "rfm_summary" in str(err)
    frame_blank = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.table}[kind](
        {**cols, "cust": ["a", "c", "b", " "]}
    )
    with pytest.raises(InputError) as info:
        rfm_summary(frame_blank, unit="day", customer="cust", timestamp="ts", amount="eur")
    assert info.value.positions == (3,)
    assert "empty" in str(info.value)


def test_without_pyarrow_frames_take_the_numpy_path(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    cols = _columns(["b", "a", "b"])
    tx = Transactions.from_frame(pl.DataFrame(cols))
    assert tx.customer_ids.tolist() == ["a", "b"]
    assert tx.customer_codes.tolist() == [1, 0, 1]


def test_factorized_take_renumbers_densely():
    f = factorize(np.array(["c", "a", "c", "b"]))
    sub = f.take(np.array([0, 2, 3]))
    assert (sub.codes.tolist(), sub.uniques.tolist()) == ([1, 1, 0], ["b", "c"])
    same = f.take(np.ones(4, dtype=bool))
    assert same.uniques is f.uniques
