"""Dates read right or refused: ISO-8601 by default, strftime layouts, nulls, the window."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit._dates import as_datetime, scalar_datetime
from crmkit.errors import InputError

FORMATS = [
    "%Y%m%d",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%Y%m%d%H%M%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d %b %Y",  # month names: the standard library's strptime path
    "%y%m%d",  # two-digit years: strptime's pivot
]
moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31))


@settings(max_examples=200, deadline=None)
@given(st.lists(moments, min_size=1, max_size=30), st.sampled_from(FORMATS))
def test_layouts_read_what_strftime_wrote(stamps, fmt):
    # oracle: the standard library, datetime.strptime on each value
    text = [s.strftime(fmt) for s in stamps]
    try:
        expected = [dt.datetime.strptime(t, fmt) for t in text]
    except ValueError:  # %y cannot hold every year: nothing to compare
        return
    expected_us = np.array(expected, dtype="datetime64[us]")
    if not np.all(
        (expected_us >= np.datetime64("1900-01-01")) & (expected_us < np.datetime64("2201-01-01"))
    ):
        return
    got = as_datetime(np.array(text), field="t", function="f", date_format=fmt).values
    np.testing.assert_array_equal(got, expected_us)


@settings(max_examples=100, deadline=None)
@given(st.lists(moments, min_size=1, max_size=30))
def test_iso_text_round_trips(stamps):
    text = [s.isoformat(sep=" " if s.microsecond % 2 else "T") for s in stamps]
    got = as_datetime(text, field="t", function="f").values
    np.testing.assert_array_equal(got, np.array(stamps, dtype="datetime64[us]"))


@pytest.mark.parametrize(
    ("values", "fmt", "words", "positions"),
    [
        (["19970101", "1997-01-02"], None, "date_format='%Y%m%d'", (0,)),
        (["2024", "2024-01-01"], None, "ISO-8601", (0,)),
        (["2024-01"], None, "ISO-8601", (0,)),
        (["2024-02-30", "2024-01-01"], None, "valid ISO-8601", (0,)),
        (["01/02/2024"], None, "ambiguous", (0,)),
        (["2024-01-01", ""], None, "must not be null or empty", (1,)),
        (["NaT", "2024-01-01"], None, "must not be null or empty", (0,)),
        (["2024-01-01", None], None, "must not be null", (1,)),
        (["1997011", "19970101"], "%Y%m%d", "exactly (8 characters)", (0,)),
        (["19970230"], "%Y%m%d", "out of range", (0,)),
        (["19971301"], "%Y%m%d", "out of range", (0,)),
        (["31/02/2024"], "%d/%m/%Y", "valid dates in the layout", (0,)),
        (["1/2/2024", "x"], "%d/%m/%Y", "layout '%d/%m/%Y'", (1,)),
        (["3000-01-01", "2024-01-01"], None, "years 1900-2200", (0,)),
        (["18991231"], "%Y%m%d", "years 1900-2200", (0,)),
        (["2024-01-01T10:00+02:00", "2024-01-01T10:00"], None, "mix timezone-aware", (0,)),
    ],
)
def test_bad_text_dates_are_refused_with_rows(values, fmt, words, positions):
    with pytest.raises(InputError) as info:
        as_datetime(values, field="timestamp", function="rfm_summary", date_format=fmt)
    err = info.value
    assert err.field == "timestamp"
    assert words in str(err)
    assert err.positions == positions
    assert "rfm_summary" in str(err)


def test_non_padded_layouts_with_separators_are_read():
    got = as_datetime(["1/2/2024", "01/12/2024"], field="t", function="f", date_format="%d/%m/%Y")
    assert [str(v)[:10] for v in got.values] == ["2024-02-01", "2024-12-01"]


def test_numbers_read_with_a_layout_and_refused_without():
    got = as_datetime(np.array([19970101, 19971231]), field="t", function="f", date_format="%Y%m%d")
    assert str(got.values[1])[:10] == "1997-12-31"
    floats = np.array([19970101.0, np.nan])
    with pytest.raises(InputError) as info:
        as_datetime(floats, field="t", function="f", date_format="%Y%m%d")
    assert info.value.positions == (1,)
    with pytest.raises(InputError) as info:
        as_datetime(np.array([20240105]), field="t", function="f")
    assert "date_format='%Y%m%d'" in info.value.hint


def test_datetime64_outside_the_window_is_refused_before_conversion():
    # datetime64[D] of year 300000 would wrap around in microseconds
    far = np.array(["2024-01-01", "300000-01-01"], dtype="datetime64[D]")
    with pytest.raises(InputError) as info:
        as_datetime(far, field="t", function="f")
    assert info.value.positions == (1,)
    assert "valid_years" in info.value.hint
    ns = np.array(["2024-01-01"], dtype="datetime64[ns]")
    assert as_datetime(ns, field="t", function="f", valid_years=(1, 9999)).values.size == 1
    old = np.array(["1850-06-01"], dtype="datetime64[D]")
    assert (
        str(as_datetime(old, field="t", function="f", valid_years=(1800, 2200)).values[0])[:4]
        == "1850"
    )


def test_scalar_dates_are_parameters():
    with pytest.raises(InputError) as info:
        scalar_datetime("", field="as_of", function="rfm_summary")
    assert info.value.field == "as_of"
    assert "'as_of' parameter of rfm_summary" in str(info.value)
    with pytest.raises(InputError) as info:
        scalar_datetime(None, field="as_of", function="rfm_summary")
    assert "single date" in str(info.value)
    # an ISO parameter reads as ISO even when the columns have a layout
    got = scalar_datetime("1997-10-01", field="as_of", function="f", date_format="%Y%m%d")
    assert str(got)[:10] == "1997-10-01"
    got = scalar_datetime("19971001", field="as_of", function="f", date_format="%Y%m%d")
    assert str(got)[:10] == "1997-10-01"


def test_aware_text_is_converted_to_utc():
    got = as_datetime(["2024-01-01T10:00+02:00", "2024-01-01T10:00Z"], field="t", function="f")
    assert got.aware
    assert [str(v) for v in got.values] == [
        "2024-01-01T08:00:00.000000",
        "2024-01-01T10:00:00.000000",
    ]


def test_optional_dates_mask_the_missing_and_check_the_rest():
    from crmkit._input import as_optional_datetime

    values, missing = as_optional_datetime(
        ["2024-01-01", None, "", "NaT", "2024-02-01"], field="close_date", function="f"
    )
    assert missing.tolist() == [False, True, True, True, False]
    assert np.isnat(values[missing]).all()
    assert str(values[4])[:10] == "2024-02-01"
    with pytest.raises(InputError) as info:  # positions count in the whole column
        as_optional_datetime(["2024-01-01", None, "19970101"], field="close_date", function="f")
    assert (info.value.field, info.value.positions) == ("close_date", (2,))
    numbers, gaps = as_optional_datetime(
        np.array([19970101.0, np.nan]), field="c", function="f", date_format="%Y%m%d"
    )
    assert gaps.tolist() == [False, True]
    assert str(numbers[0])[:10] == "1997-01-01"
