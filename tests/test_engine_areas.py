"""Every push-down outside the RFM/BTYD summaries gives the numpy path's result in every engine.

One table (simulated orders with a product column) goes through numpy arrays,
pandas, polars, polars lazy, pyarrow, DuckDB, Dask and PySpark; the oracle is
the numpy path on the same rows, compared field by field.
"""

import numpy as np
import pandas as pd
import pytest

from crmkit.datasets import simulate_transactions
from crmkit.errors import InputError
from crmkit.lifecycle import churn_by_period, cohort_retention
from crmkit.roi import calibration_holdout
from crmkit.segmentation import cross_sell, product_affinity, product_mix
from tests.engines import ENGINES, LAZY, assert_same_result, convert

COLUMNS = {"customer": "c", "timestamp": "t", "amount": "a"}


@pytest.fixture(scope="module")
def orders():
    tx = simulate_transactions(80, "2023-01-01", "2024-07-01", seed=11, id_kind="str")
    products = np.array(["bread", "milk", "eggs", "jam"])
    df = pd.DataFrame({"c": tx.customer, "t": tx.timestamp, "a": tx.amount})
    df["p"] = products[(np.arange(len(df)) * 7 + df["a"].round().astype(int)) % 4]
    return df


_IDS = np.unique(
    simulate_transactions(80, "2023-01-01", "2024-07-01", seed=11, id_kind="str").customer
)
SEGMENTS = {"customer": _IDS, "segment": np.where(np.arange(_IDS.size) % 3 == 0, "loyal", "new")}


def _pushed_only(monkeypatch, module, name):
    def fail(*args, **kwargs):
        raise AssertionError("the lazy table was read row by row")

    monkeypatch.setattr(module, name, fail)


CALLS = {
    "product_mix": lambda d: product_mix(d, product="p", **COLUMNS),
    "product_affinity": lambda d: product_affinity(d, product="p", **COLUMNS),
    "cross_sell": lambda d: cross_sell(d, SEGMENTS, n=2, product="p", **COLUMNS),
    "calibration_holdout": lambda d: calibration_holdout(
        d, freq="week", calibration_end="2024-01-01", observation_end="2024-07-01", **COLUMNS
    ),
    # the cut on the raw timestamp, inside a week and a month: the rest of the cut's own
    # period is holdout; both ends exclusive (engine and numpy alike)
    "calibration_holdout_mid_period": lambda d: calibration_holdout(
        d,
        freq="month",
        calibration_end="2023-12-13T15:30",
        observation_end="2024-05-20T08:00",
        **COLUMNS,
    ),
    "cohort_retention": lambda d: cohort_retention(
        d, frequency="month", customer="c", timestamp="t", as_of="2024-07-01"
    ),
    "churn_by_period": lambda d: churn_by_period(
        d, frequency="quarter", customer="c", timestamp="t"
    ),
}
ROW_READERS = {  # where each function reads rows on the numpy path
    "product_mix": ("crmkit.segmentation._products", "as_transactions"),
    "product_affinity": ("crmkit.segmentation._products", "as_transactions"),
    "cross_sell": ("crmkit.segmentation._products", "as_transactions"),
    "calibration_holdout": ("crmkit.roi._models._holdout", "read_transactions"),
    "calibration_holdout_mid_period": ("crmkit.roi._models._holdout", "read_transactions"),
    "cohort_retention": ("crmkit.lifecycle._retention", "columns"),
    "churn_by_period": ("crmkit.lifecycle._retention", "columns"),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_push_down_is_the_same_through_every_engine(  # noqa: PLR0917  (fixtures)
    orders, name, engine, request, in_engine, monkeypatch
):
    expected = CALLS[name](orders.to_dict("list"))
    source = convert(orders, engine, request)
    if engine in LAZY:
        import importlib

        module, attr = ROW_READERS[name]
        _pushed_only(monkeypatch, importlib.import_module(module), attr)
    assert_same_result(CALLS[name](source), expected, rtol=1e-9)


def test_holdout_calibration_says_where_it_ran(orders, request, in_engine):
    split = CALLS["calibration_holdout"](convert(orders, "duckdb", request))
    assert split.calibration.computed_in == "duckdb"


def test_rows_after_as_of_in_a_lazy_table_are_counted(orders, request, in_engine):
    source = convert(orders, "polars-lazy", request)
    options = {"frequency": "month", "customer": "c", "timestamp": "t", "as_of": "2024-01-01"}
    got = cohort_retention(source, **options)
    assert_same_result(got, cohort_retention(orders.to_dict("list"), **options))
    assert got.n_rows_after_as_of == int((orders["t"] >= pd.Timestamp("2024-01-01")).sum()) > 0
    with pytest.raises(InputError) as info:  # every row after as_of: nothing observed
        cohort_retention(source, **{**options, "as_of": "2020-01-01"})
    assert info.value.field == "as_of"


def test_null_products_are_refused_in_the_engine(orders, request, in_engine):
    df = orders.copy()
    df["p"] = df["p"].astype(object)
    df.loc[[3, 9], "p"] = None
    with pytest.raises(InputError) as info:
        product_mix(convert(df, "duckdb", request), product="p", **COLUMNS)
    assert info.value.field == "product"
    assert info.value.n_bad == 2
    assert "must not be null" in str(info.value)
