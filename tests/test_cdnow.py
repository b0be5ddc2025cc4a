"""crmkit.datasets.load_cdnow: the shipped CDNOW sample is the published one, read right.

Oracles: lifetimes' copy of the raw file (byte for byte) and of the published 39-week
calibration summary (Fader, Hardie & Lee 2005), both shipped in its package data.
"""

from __future__ import annotations

import hashlib
import importlib.resources

import numpy as np
import pytest

from crmkit.datasets import load_cdnow
from crmkit.segmentation import btyd_summary


def _lifetimes(name: str):
    pytest.importorskip("lifetimes")
    return importlib.resources.files("lifetimes") / "datasets" / name


def test_the_shipped_file_is_lifetimes_copy():
    ours = importlib.resources.files("crmkit.datasets") / "data" / "CDNOW_sample.txt"
    theirs = _lifetimes("CDNOW_sample.txt")
    assert (
        hashlib.sha256(ours.read_bytes()).digest() == hashlib.sha256(theirs.read_bytes()).digest()
    )


def test_rows_customers_and_dates():
    cdnow = load_cdnow()
    assert (cdnow.n_rows, cdnow.n_customers) == (6919, 2357)
    assert str(cdnow.timestamp.min())[:10] == "1997-01-01"
    assert str(cdnow.timestamp.max())[:10] == "1998-06-30"
    assert cdnow.customer_ids.tolist() == list(range(1, 2358))
    assert int(cdnow.extra["cds"].sum()) > cdnow.n_rows
    assert cdnow.n_negative == 0


def test_the_published_calibration_summary():
    import pandas as pd

    with importlib.resources.as_file(_lifetimes("cdnow_customers_summary.csv")) as path:
        published = pd.read_csv(path)
    summary = btyd_summary(load_cdnow(), freq="day", as_of="1997-10-01")
    np.testing.assert_array_equal(summary.customer, published["ID"].to_numpy())
    np.testing.assert_array_equal(summary.frequency, published["frequency"].to_numpy())
    np.testing.assert_allclose(summary.recency / 7, published["recency"], atol=0.006)
    np.testing.assert_allclose(summary.T / 7, published["T"], atol=0.006)
