"""CDNOW's raw transaction log (dates as YYYYMMDD) read right with date_format, refused without.

Oracle: the published calibration summary of the CDNOW sample (2,357 customers, 39 weeks from
1997-01-01; Fader, Hardie & Lee 2005, as shipped with lifetimes in
``cdnow_customers_summary.csv``, recency and T in weeks rounded to 2 decimals).
"""

from __future__ import annotations

import importlib.resources

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import InputError
from crmkit.segmentation import btyd_summary

pytest.importorskip("lifetimes")


def _package_file(name: str):
    return importlib.resources.as_file(importlib.resources.files("lifetimes") / "datasets" / name)


@pytest.fixture(scope="module")
def raw() -> np.ndarray:
    # columns: customer id (master), id (sample), date YYYYMMDD, number of CDs, dollar value
    with _package_file("CDNOW_sample.txt") as path:
        return np.loadtxt(path, dtype=str)


@pytest.fixture(scope="module")
def published() -> np.ndarray:
    with _package_file("cdnow_customers_summary.csv") as path:
        return np.genfromtxt(path, delimiter=",", names=True)


def _check(summary, published) -> None:
    assert summary.customer.size == published.size == 2357
    np.testing.assert_array_equal(summary.frequency, published["frequency"])
    np.testing.assert_allclose(summary.recency / 7, published["recency"], atol=0.005)
    np.testing.assert_allclose(summary.T / 7, published["T"], atol=0.005)


@pytest.mark.parametrize("dates_as", ["text", "integers"])
def test_raw_cdnow_needs_its_date_format(raw, published, dates_as):
    dates = raw[:, 2] if dates_as == "text" else raw[:, 2].astype(np.int64)
    log = {"customer": raw[:, 1].astype(np.int64), "timestamp": dates, "amount": raw[:, 4]}
    with pytest.raises(InputError) as info:
        btyd_summary(log, freq="day", as_of="1997-10-01")
    assert info.value.field == "timestamp"
    assert "date_format='%Y%m%d'" in str(info.value)
    summary = btyd_summary(log, freq="day", as_of="1997-10-01", date_format="%Y%m%d")
    _check(summary, published)


def test_raw_cdnow_from_a_frame(published):
    with _package_file("CDNOW_sample.txt") as path:
        frame = pd.read_csv(
            path, sep=r"\s+", header=None, names=["master", "id", "date", "cds", "dollars"]
        )
    assert frame["date"].dtype.kind == "i"  # pandas reads YYYYMMDD as integers
    summary = btyd_summary(
        frame,
        freq="day",
        as_of="1997-10-01",
        customer="id",
        timestamp="date",
        amount="dollars",
        date_format="%Y%m%d",
    )
    _check(summary, published)
