"""The data boundary: every input form gives the same arrays; bad input names its column."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import Transactions, as_transactions
from crmkit.errors import CrmkitError, InputError
from tests.strategies import transaction_columns


def _readonly(arr: np.ndarray) -> np.ndarray:
    out = arr.copy()
    out.flags.writeable = False
    return out


def _assert_same(tx: Transactions, cols: dict) -> None:
    np.testing.assert_array_equal(tx.customer, cols["customer"])
    np.testing.assert_array_equal(tx.timestamp, cols["timestamp"])
    np.testing.assert_array_equal(tx.amount, cols["amount"])


# --- round trips -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(transaction_columns())
def test_arrays_round_trip_and_inputs_stay_unchanged(cols):
    frozen = {k: _readonly(v) for k, v in cols.items()}
    before = {k: v.copy() for k, v in frozen.items()}
    tx = Transactions.from_arrays(**frozen)
    _assert_same(tx, cols)
    for k, v in frozen.items():
        np.testing.assert_array_equal(v, before[k])
    assert tx.n_negative == int((cols["amount"] < 0).sum())
    assert tx.n_zero == int((cols["amount"] == 0).sum())


@settings(max_examples=40, deadline=None)
@given(transaction_columns())
def test_records_and_lists_give_the_same_arrays(cols):
    records = [
        {"c": c, "t": t, "a": a}
        for c, t, a in zip(
            cols["customer"].tolist(),
            cols["timestamp"].astype(dt.datetime).tolist(),
            cols["amount"].tolist(),
            strict=True,
        )
    ]
    tx = Transactions.from_records(records, customer="c", timestamp="t", amount="a")
    _assert_same(tx, cols)


@settings(max_examples=30, deadline=None)
@given(transaction_columns())
def test_pandas_and_polars_frames_equal_numpy_path(cols):
    import pandas as pd
    import polars as pl

    ref = Transactions.from_arrays(**cols)
    pdf = pd.DataFrame({"cid": cols["customer"], "ts": cols["timestamp"], "v": cols["amount"]})
    plf = pl.DataFrame({"cid": cols["customer"], "ts": cols["timestamp"], "v": cols["amount"]})
    for frame in (pdf, plf, plf.lazy()):
        tx = Transactions.from_frame(frame, customer="cid", timestamp="ts", amount="v")
        _assert_same(
            tx, {"customer": ref.customer, "timestamp": ref.timestamp, "amount": ref.amount}
        )


@pytest.fixture
def small_cols():
    return {
        "cust_id": np.array([7, 3, 7, 9]),
        "ts": np.array(
            ["2024-01-01T10:00", "2024-01-03", "2024-02-01", "2024-02-02"], dtype="M8[us]"
        ),
        "value": np.array([10.0, -2.5, 3.0, 0.0]),
        "product": np.array(["a", "b", "a", "c"]),
    }


def test_every_frame_library_gives_identical_arrays(small_cols):
    import dask.dataframe as dd
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    ref = Transactions.from_arrays(
        customer=small_cols["cust_id"],
        timestamp=small_cols["ts"],
        amount=small_cols["value"],
        extra={"product": small_cols["product"]},
    )
    pdf = pd.DataFrame(small_cols)
    arrow = pa.table(small_cols)
    frames = {
        "pandas": pdf,
        "polars": pl.DataFrame(small_cols),
        "polars-lazy": pl.LazyFrame(small_cols),
        "pyarrow": arrow,
        "duckdb": duckdb.from_arrow(arrow),
        "dask": dd.from_pandas(pdf, npartitions=2),
    }
    for name, frame in frames.items():
        tx = Transactions.from_frame(
            frame, customer="cust_id", timestamp="ts", amount="value", extra=["product"]
        )
        np.testing.assert_array_equal(tx.customer, ref.customer, err_msg=name)
        np.testing.assert_array_equal(tx.timestamp, ref.timestamp, err_msg=name)
        np.testing.assert_array_equal(tx.amount, ref.amount, err_msg=name)
        np.testing.assert_array_equal(tx.extra["product"], ref.extra["product"], err_msg=name)
        assert tx.n_negative == 1
        assert tx.n_zero == 1


def test_frame_is_not_modified(small_cols):
    import pandas as pd

    pdf = pd.DataFrame(small_cols)
    copy = pdf.copy(deep=True)
    tx = Transactions.from_frame(pdf, customer="cust_id", timestamp="ts", amount="value")
    assert not tx.amount.flags.writeable
    pd.testing.assert_frame_equal(pdf, copy)


def test_copy_decouples_from_caller():
    amount = np.array([1.0, 2.0])
    tx = Transactions.from_arrays(
        customer=[1, 2], timestamp=["2024-01-01"] * 2, amount=amount, copy=True
    )
    amount[0] = 99.0
    assert tx.amount[0] == 1.0


def test_values_are_frozen():
    tx = Transactions.from_arrays(customer=[1], timestamp=["2024-01-01"], amount=[1.0])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        tx.n_negative = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        tx.amount[0] = 2.0
    with pytest.raises(TypeError):
        tx.extra["x"] = np.zeros(1)  # type: ignore[index]


# --- timestamps --------------------------------------------------------------------------


def test_aware_datetimes_become_utc():
    paris = ZoneInfo("Europe/Paris")
    tx = Transactions.from_arrays(
        customer=[1, 2],
        timestamp=[
            dt.datetime(2024, 7, 1, 12, tzinfo=paris),
            dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC),
        ],
        amount=[1.0, 2.0],
    )
    assert tx.converted_to_utc
    assert tx.timestamp.tolist() == [dt.datetime(2024, 7, 1, 10), dt.datetime(2024, 1, 1, 12)]


def test_aware_iso_strings_become_utc():
    tx = Transactions.from_arrays(
        customer=[1, 2, 3],
        timestamp=["2024-05-01T10:00+02:00", "2024-05-01T10:00Z", "2024-05-01T10:00:00-0500"],
        amount=[1.0, 2.0, 3.0],
    )
    assert tx.timestamp.tolist() == [
        dt.datetime(2024, 5, 1, 8),
        dt.datetime(2024, 5, 1, 10),
        dt.datetime(2024, 5, 1, 15),
    ]


def test_aware_pandas_and_polars_columns_become_utc():
    import pandas as pd
    import polars as pl

    ts = pd.to_datetime(["2024-07-01 12:00"]).tz_localize("Europe/Paris")
    for frame in (
        pd.DataFrame({"c": [1], "t": ts, "a": [1.0]}),
        pl.DataFrame({"c": [1], "t": pl.Series(ts.to_pydatetime()), "a": [1.0]}),
    ):
        tx = Transactions.from_frame(frame, customer="c", timestamp="t", amount="a")
        assert tx.timestamp.tolist() == [dt.datetime(2024, 7, 1, 10)]


def test_dates_and_mixed_python_objects():
    tx = Transactions.from_arrays(
        customer=[1, 1, 1],
        timestamp=[dt.date(2024, 1, 2), dt.datetime(2024, 1, 3, 4, 5), "2024-01-04"],
        amount=[1.0, 2.0, 3.0],
    )
    assert tx.timestamp.astype("M8[D]").astype(str).tolist() == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]


def test_datetime64_of_any_unit():
    for unit in ("D", "s", "ms", "us", "ns"):
        ts = np.array(["2024-03-01"], dtype=f"datetime64[{unit}]")
        tx = Transactions.from_arrays(customer=[1], timestamp=ts, amount=[1.0])
        assert str(tx.timestamp[0]) == "2024-03-01T00:00:00.000000"


# --- bad input: every error names its column ----------------------------------------------


def _cols(**over):
    base = {"customer": [1, 2, 3], "timestamp": ["2024-01-01"] * 3, "amount": [1.0, 2.0, 3.0]}
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("override", "field", "n_bad", "positions"),
    [
        ({"amount": [1.0, float("nan"), float("inf")]}, "amount", 2, (1, 2)),
        ({"amount": [1.0, None, 2.0]}, "amount", 1, (1,)),
        ({"amount": [1.0, "x", 2.0]}, "amount", 1, (1,)),
        ({"customer": [1, None, 3]}, "customer", 1, (1,)),
        ({"customer": ["a", "", "c"]}, "customer", 1, (1,)),
        ({"customer": np.array([1.0, np.nan, 3.0])}, "customer", 1, (1,)),
        ({"customer": np.array([1.0, 2.5, 3.0])}, "customer", 1, (1,)),
        ({"timestamp": ["2024-01-01", "2024-13-01", "not a date"]}, "timestamp", 2, (1, 2)),
        ({"timestamp": ["2024-01-01", None, "2024-01-02"]}, "timestamp", 1, (1,)),
        (
            {"timestamp": np.array(["2024-01-01", "NaT", "2024-01-02"], dtype="M8[s]")},
            "timestamp",
            1,
            (1,),
        ),
        (
            {"timestamp": ["2024-01-01T10:00+01:00", "2024-01-01T10:00", "2024-01-01T11:00"]},
            "timestamp",
            1,
            (0,),
        ),
        (
            {
                "timestamp": [
                    dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                    dt.datetime(2024, 1, 1),
                    dt.datetime(2024, 1, 2),
                ]
            },
            "timestamp",
            1,
            (0,),
        ),
    ],
)
def test_bad_rows_are_reported(override, field, n_bad, positions):
    with pytest.raises(InputError) as info:
        Transactions.from_arrays(**_cols(**override))
    err = info.value
    assert err.field == field
    assert f"'{field}'" in str(err)
    assert err.n_bad == n_bad
    assert err.positions == positions
    assert isinstance(err, ValueError)
    assert isinstance(err, CrmkitError)


def test_length_mismatch_names_the_column():
    with pytest.raises(InputError, match="same length") as info:
        Transactions.from_arrays(
            customer=[1, 2, 3], timestamp=["2024-01-01"] * 3, amount=[1.0, 2.0]
        )
    assert info.value.field == "amount"
    assert "amount=2" in str(info.value)


def test_empty_input_is_rejected():
    with pytest.raises(InputError, match="at least one row") as info:
        Transactions.from_arrays(customer=[], timestamp=[], amount=[])
    assert info.value.field == "customer"


def test_missing_frame_column_suggests_close_matches():
    import pandas as pd

    df = pd.DataFrame({"cust_id": [1], "ts": ["2024-01-01"], "value": [1.0]})
    with pytest.raises(InputError, match=r"Hint: Did you mean.*'cust_id'") as info:
        Transactions.from_frame(df, customer="cust", timestamp="ts", amount="value")
    assert info.value.field == "customer"


def test_missing_record_key_names_position():
    with pytest.raises(InputError, match="Record 1") as info:
        Transactions.from_records(
            [
                {"customer": 1, "timestamp": "2024-01-01", "amount": 1.0},
                {"customer": 2, "amount": 1.0},
            ]
        )
    assert info.value.field == "timestamp"
    assert info.value.positions == (1,)


def test_frame_with_nulls_reports_them():
    import polars as pl

    df = pl.DataFrame({"c": ["a", None, "b"], "t": ["2024-01-01"] * 3, "a": [1.0, 2.0, None]})
    with pytest.raises(InputError) as info:
        Transactions.from_frame(df, customer="c", timestamp="t", amount="a")
    assert info.value.field == "customer"
    assert info.value.positions == (1,)
    df2 = df.with_columns(pl.lit("x").alias("c"))
    with pytest.raises(InputError) as info:
        Transactions.from_frame(df2, customer="c", timestamp="t", amount="a")
    assert info.value.field == "amount"
    assert info.value.positions == (2,)


def test_error_shows_at_most_five_rows():
    amounts = [float("nan")] * 12
    with pytest.raises(InputError) as info:
        Transactions.from_arrays(
            customer=list(range(12)), timestamp=["2024-01-01"] * 12, amount=amounts
        )
    assert info.value.n_bad == 12
    assert info.value.positions == (0, 1, 2, 3, 4)


def test_as_transactions_dispatch():
    cols = {"id": [1, 2], "day": ["2024-01-01", "2024-01-02"], "eur": [1.0, 2.0]}
    a = as_transactions(cols, customer="id", timestamp="day", amount="eur")
    assert as_transactions(a) is a
    records = [
        {"id": 1, "day": "2024-01-01", "eur": 1.0},
        {"id": 2, "day": "2024-01-02", "eur": 2.0},
    ]
    b = as_transactions(records, customer="id", timestamp="day", amount="eur")
    np.testing.assert_array_equal(a.amount, b.amount)
    with pytest.raises(InputError, match="mapped to 'day'") as info:
        as_transactions({"id": [1]}, customer="id", timestamp="day", amount="eur")
    assert info.value.field == "timestamp"
    with pytest.raises(InputError, match="cannot read") as info:
        as_transactions(42)
    assert info.value.field == "data"


@attrs.frozen
class _Sale:
    who: str
    when: dt.date
    value: float


def test_records_may_be_attrs_objects():
    tx = Transactions.from_records(
        [_Sale("ann", dt.date(2024, 1, 1), 5.0), _Sale("bob", dt.date(2024, 1, 2), 6.0)],
        customer="who",
        timestamp="when",
        amount="value",
    )
    assert tx.customer.tolist() == ["ann", "bob"]


def test_take_and_dict_and_frame(small_cols):
    tx = Transactions.from_arrays(
        customer=small_cols["cust_id"],
        timestamp=small_cols["ts"],
        amount=small_cols["value"],
        extra={"product": small_cols["product"]},
    )
    kept = tx.take(tx.amount > 0)
    assert kept.n_rows == 2
    assert kept.n_negative == 0
    payload = json.loads(json.dumps(tx.to_dict()))
    assert payload["timestamp"][0] == "2024-01-01T10:00:00.000000"
    assert tx.to_frame("polars").columns == ["customer", "timestamp", "amount", "product"]
    assert "<table>" in tx._repr_html_()
    with pytest.raises(InputError, match="mask"):
        tx.take(np.array([True]))


def test_direct_construction_checks_dtypes():
    good = {
        "customer_codes": np.array([0]),
        "customer_ids": np.array([7]),
        "timestamp": np.array(["2024-01-01"], dtype="M8[us]"),
        "amount": np.array([1.0]),
    }
    assert Transactions(**good).customer.tolist() == [7]
    for field, bad in [
        ("customer_ids", np.array([1.5])),
        ("customer_ids", np.array([2, 1])),  # not ascending
        ("customer_codes", np.array([0.0])),
        ("customer_codes", np.array([1])),  # out of range
        ("timestamp", np.array(["2024-01-01"], dtype="M8[D]")),
        ("amount", np.array([1], dtype=np.int64)),
    ]:
        with pytest.raises(InputError) as info:
            Transactions(**{**good, field: bad})
        assert info.value.field == field


def test_extra_columns_are_typed():
    tx = Transactions.from_arrays(
        customer=[1, 2],
        timestamp=["2024-01-01"] * 2,
        amount=[1.0, 2.0],
        extra={
            "qty": [1, 3],
            "cost": [0.5, 1.5],
            "sku": ["a", "b"],
            "first": np.array(["2024-01-01"] * 2, dtype="M8[D]"),
        },
    )
    assert tx.extra["qty"].dtype == np.int64
    assert tx.extra["cost"].dtype == np.float64
    assert tx.extra["sku"].dtype.kind == "U"
    assert tx.extra["first"].dtype == np.dtype("M8[us]")
    with pytest.raises(InputError) as info:
        Transactions.from_arrays(
            customer=[1, 2],
            timestamp=["2024-01-01"] * 2,
            amount=[1.0, 2.0],
            extra={"cost": [0.5, None]},
        )
    assert info.value.field == "cost"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=30))
def test_any_non_finite_amount_is_caught(values):
    bad = [i for i, v in enumerate(values) if not np.isfinite(v)]
    call = lambda: Transactions.from_arrays(  # noqa: E731
        customer=[1] * len(values), timestamp=["2024-01-01"] * len(values), amount=values
    )
    magnitude = sum(abs(v) for v in values if np.isfinite(v))  # Python floats: inf on overflow
    if bad:
        with pytest.raises(InputError) as info:
            call()
        assert info.value.field == "amount"
        assert info.value.positions == tuple(bad[:5])
        assert info.value.n_bad == len(bad)
        assert "finite" in str(info.value)
    elif not np.isfinite(magnitude):
        with pytest.raises(InputError) as info:  # every total must stay finite
            call()
        assert info.value.field == "amount"
        assert "sum to a finite float64 total" in str(info.value)
    else:
        assert call().n_rows == len(values)
