"""Dates read right or refused: ISO-8601 by default, strftime layouts, nulls, the window."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit._dates import as_datetime, as_optional_datetime, check_valid_years, scalar_datetime
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


# --- messages, positions and dtypes the mutation run found unpinned (tests/MUTATION.md) ---


def _refused(values, **kwargs):
    kwargs.setdefault("field", "timestamp")
    kwargs.setdefault("function", "f")
    with pytest.raises(InputError) as info:
        as_datetime(values, **kwargs)
    return info.value


def test_unreadable_zoned_datetimes_are_refused_at_their_rows():
    err = _refused(
        [
            "2024-01-05T10:00+01:00",
            "2024-02-30T10:00+01:00",
            "2024-01-06T09:00Z",
            "2024-02-30T10:00+01:00",
        ]
    )
    assert str(err) == (
        "The 'timestamp' column of f must hold ISO-8601 datetimes: 2 bad rows, first at "
        "positions [1, 3] with values ['2024-02-30T10:00+01:00', '2024-02-30T10:00+01:00'].\n"
        "Hint: Use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM[:SS][+HH:MM]'."
    )
    assert _refused(["2024-01-05T10:00+01:00", "2024-01-05T10:00+25:00"]).positions == (1,)


def test_mixed_zoned_and_naive_values_point_at_the_minority():
    zoned, naive = "2024-01-05T10:00+01:00", "2024-01-05T10:00"
    err = _refused([zoned, zoned, naive, zoned])
    assert (err.positions, err.n_bad) == ((2,), 1)
    assert "must not mix timezone-aware and naive timestamps" in str(err)
    assert err.hint == "Localise the naive timestamps (or drop the zones) before calling crmkit."
    assert _refused([naive, zoned, naive]).positions == (1,)


def test_numbers_without_a_format_get_a_hint_that_fits_them():
    err = _refused(np.array([20240105, 19970101]))
    assert err.hint == (
        "These look like YYYYMMDD numbers: pass date_format='%Y%m%d'. "
        "Epoch numbers: convert them with numpy.asarray(x, dtype='datetime64[s]')."
    )
    assert str(err).startswith(
        "The 'timestamp' column of f must hold dates, datetimes or ISO-8601 strings; "
        "got numbers (dtype int64)."
    )
    epoch = _refused(np.array([1.7e9, 1.8e9]))
    assert epoch.hint == (
        "Pass date_format= with the layout of these numbers (e.g. '%Y%m%d'), or, for "
        "epoch numbers, convert them with numpy.asarray(x, dtype='datetime64[s]')."
    )


def test_numbers_read_with_a_format_must_be_whole():
    err = _refused([20240105.5, 20240106.0], date_format="%Y%m%d")
    assert str(err) == (
        "The 'timestamp' column of f must hold whole numbers to read with date_format: "
        "1 bad row, at position 0 with value 20240105.5."
    )
    ok = as_datetime([20240105.0, 20240106.0], field="t", function="f", date_format="%Y%m%d")
    assert ok.values.tolist() == [dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 6)]


def test_an_object_column_of_numbers_and_text_is_read_with_the_format():
    # a spreadsheet column where some cells were typed as numbers, others as text
    mixed = np.array([20240105, "20240106", 20240107.0], dtype=object)
    parsed = as_datetime(mixed, field="t", function="f", date_format="%Y%m%d")
    assert parsed.values.tolist() == [dt.datetime(2024, 1, d) for d in (5, 6, 7)]


def test_shape_errors_name_the_column():
    err = _refused("2024-01-05", column="when")
    assert str(err).startswith("The 'timestamp' column of f expects a sequence or array")
    assert err.field == "timestamp"
    err = _refused(np.array([["2024-01-05"]]), column="when")
    assert (
        str(err)
        == "The 'timestamp' column ('when') of f must be one-dimensional; got shape (1, 1)."
    )
    assert err.field == "timestamp"


def test_optional_dates_in_nanoseconds_keep_their_values():
    # pandas gives datetime64[ns] with NaT for the open deals' close dates
    raw = np.array(["2024-01-05T10:30", "NaT", "2024-03-01"], dtype="datetime64[ns]")
    out, missing = as_optional_datetime(raw, field="close_date", function="f")
    assert missing.tolist() == [False, True, False]
    assert out[~missing].tolist() == [dt.datetime(2024, 1, 5, 10, 30), dt.datetime(2024, 3, 1)]
    assert np.isnat(out[1])


@pytest.mark.parametrize(
    ("stamp", "requirement", "hint_words"),
    [
        (None, "must not be null (NaT)", "Drop or fill the missing timestamps"),
        (dt.datetime(1850, 6, 1), "must hold dates in the years 1900-2200", "valid_years"),
        (dt.datetime(2201, 1, 1), "must hold dates in the years 1900-2200", "valid_years"),
    ],
)
def test_date_rules_in_an_engine_are_the_numpy_rules(stamp, requirement, hint_words, in_engine):
    pl = pytest.importorskip("polars")
    from crmkit.segmentation import rfm_summary

    stamps = [dt.datetime(2024, 1, 1), stamp, dt.datetime(2200, 12, 31, 23, 59)]
    frame = pl.DataFrame(
        {"c": ["a", "b", "c"], "t": pl.Series(stamps, dtype=pl.Datetime("us")), "a": [1.0, 2, 3]}
    )
    errors = []
    for source in (frame, frame.lazy()):
        with pytest.raises(InputError) as info:
            rfm_summary(source, unit="day", customer="c", timestamp="t", amount="a")
        errors.append(info.value)
    eager, lazy = errors
    for err in errors:
        assert (err.field, err.column, err.n_bad) == ("timestamp", "t", 1)
        assert requirement in str(err)
        assert hint_words in err.hint
    assert lazy.hint == eager.hint
    assert "in the polars table" in str(lazy)


def test_iso_shaped_dates_that_do_not_exist_are_refused_with_the_iso_hint():
    err = _refused(["2024-01-05", "2024-02-30"])
    assert str(err) == (
        "The 'timestamp' column of f must hold valid ISO-8601 dates or datetimes: 1 bad row, "
        "at position 1 with value '2024-02-30'.\n"
        "Hint: Use 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM[:SS][+HH:MM]'."
    )


def test_a_format_with_an_offset_reads_every_row_in_utc():
    parsed = as_datetime(
        ["2024-01-05 10:00+0100", "2024-01-05 12:00-0030"],
        field="t",
        function="f",
        date_format="%Y-%m-%d %H:%M%z",
    )
    assert parsed.aware
    assert parsed.values.tolist() == [dt.datetime(2024, 1, 5, 9), dt.datetime(2024, 1, 5, 12, 30)]


def test_only_zoned_input_is_converted_to_utc():
    from crmkit import Transactions

    naive = np.array(["2024-01-05T10:00"], dtype="datetime64[s]")
    assert not as_datetime(naive, field="t", function="f").aware
    assert not Transactions.from_arrays(
        customer=[1], timestamp=naive, amount=[1.0]
    ).converted_to_utc
    zoned = Transactions.from_arrays(
        customer=[1], timestamp=["2024-01-05T10:00+01:00"], amount=[1.0]
    )
    assert zoned.converted_to_utc


def test_optional_dates_name_the_column_of_a_scalar():
    with pytest.raises(InputError) as info:
        as_optional_datetime("2024-01-05", field="close_date", function="Opportunities")
    assert str(info.value).startswith(
        "The 'close_date' column of Opportunities expects a sequence or array of values"
    )


def test_valid_years_may_span_the_whole_calendar_and_no_more():
    assert check_valid_years((1, 9999), function="f") == (1, 9999)
    assert check_valid_years((2024, 2024), function="f") == (2024, 2024)
    for bad in ((0, 2000), (1, 10_000), (2001, 2000)):
        with pytest.raises(InputError) as info:
            check_valid_years(bad, function="f")
        assert str(info.value) == (
            "The 'valid_years' parameter of f must be a (first, last) tuple of ints with "
            f"1 <= first <= last <= 9999. Got {bad!r} instead."
        )
        assert info.value.field == "valid_years"


def test_nat_is_refused_in_a_window_wider_than_nanoseconds_reach():
    # datetime64[ns] holds the years 1678-2261 only: a window of 1-9999 starts below int64, and
    # NaT (int64's minimum) must still be a missing timestamp, not a date inside the window
    nanos = np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]")
    err = _refused(nanos, valid_years=(1, 9999))
    assert str(err) == (
        "The 'timestamp' column of f must not be null (NaT): 1 bad row, at position 1 with "
        "value 'NaT'.\nHint: Drop or fill the missing timestamps before calling crmkit."
    )
    wide = np.array(["2024-01-01", "1700-01-01"], dtype="datetime64[ns]")
    parsed = as_datetime(wide, field="t", function="f", valid_years=(1, 9999))
    assert parsed.values.tolist() == [dt.datetime(2024, 1, 1), dt.datetime(1700, 1, 1)]
