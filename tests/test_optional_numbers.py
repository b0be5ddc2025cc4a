"""Columns whose empty cells mean "not given": ``null_cells`` and ``as_optional_float``.

Oracle: an empty cell is exactly None, NaN, NaT, pandas.NA or blank text (the
docstring of :func:`crmkit._input.null_cells`); every other cell is read as
:func:`crmkit._input.as_finite_float` reads it, errors naming the positions in
the whole column.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit._input import as_finite_float, as_optional_float, null_cells
from crmkit.errors import InputError

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
blank = st.sampled_from([None, float("nan"), "", "  ", "\t"])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.array([1.5, np.nan, 0.0]), [False, True, False]),
        (np.array([1, 2], dtype=np.int64), [False, False]),
        (np.array([True, False]), [False, False]),
        (np.array(["2024-01-01", "NaT"], dtype="datetime64[D]"), [False, True]),
        (["0.2", " ", "", None, "x"], [False, True, True, True, False]),
        (np.array([b"a", b" "]), [False, True]),
        ([1, None, float("nan"), "nan", 0], [False, True, True, False, False]),
    ],
)
def test_null_cells_flags_exactly_the_empty_cells(values, expected):
    assert null_cells(values, field="x", function="f").tolist() == expected


def test_null_cells_reads_pandas_missing_values():
    pd = pytest.importorskip("pandas")
    cells = pd.Series([1.0, None, pd.NA, "a"], dtype=object)
    assert null_cells(cells, field="x", function="f").tolist() == [False, True, True, False]


def test_null_cells_refuses_a_table():
    with pytest.raises(InputError) as info:
        null_cells(np.zeros((2, 2)), field="ramp_up", function="BusinessCase.from_frame")
    assert info.value.field == "ramp_up"
    assert "one-dimensional" in str(info.value)
    assert "BusinessCase.from_frame" in str(info.value)


@given(st.lists(st.one_of(finite, blank), min_size=1, max_size=30))
def test_optional_float_keeps_the_numbers_and_flags_the_blanks(cells):
    values, empty = as_optional_float(cells, field="x", function="f")
    for cell, value, missing in zip(cells, values.tolist(), empty.tolist(), strict=True):
        if cell is None or isinstance(cell, str) or math.isnan(cell):
            assert missing
            assert math.isnan(value)
        else:
            assert not missing
            assert value == cell


@given(st.lists(st.one_of(finite.map(repr), st.sampled_from(["", " "])), min_size=1, max_size=20))
def test_optional_float_reads_numeric_text_as_as_finite_float_does(texts):
    values, empty = as_optional_float(texts, field="x", function="f")
    given_ = [t for t in texts if t.strip()]
    assert empty.tolist() == [not t.strip() for t in texts]
    if given_:
        expected = as_finite_float(given_, field="x", function="f")
        np.testing.assert_array_equal(values[~empty], expected)


def test_optional_float_never_changes_the_callers_column():
    column = np.array([1.0, np.nan, 3.0])
    kept = column.copy()
    values, _ = as_optional_float(column, field="x", function="f")
    values[0] = 99.0
    np.testing.assert_array_equal(column, kept)
    full = np.array([1.0, 2.0])
    out, _ = as_optional_float(full, field="x", function="f")
    out[0] = 99.0
    assert full[0] == 1.0
    frozen = np.array([1.0, np.nan])
    frozen.flags.writeable = False
    out, empty = as_optional_float(frozen, field="x", function="f")
    assert empty.tolist() == [False, True]
    assert np.isnan(frozen[1])


@pytest.mark.parametrize(
    ("cells", "options", "words", "positions"),
    [
        # positions are those of the whole column: the blanks before count
        ([None, "", "€40.00"], {}, "must hold numbers", (2,)),
        ([None, True], {}, "must hold numbers", (1,)),
        (["nan", None], {}, "finite", (0,)),
        ([None, float("inf")], {}, "finite", (1,)),
        ([None, -1.0, 2.0], {"minimum": 0.0}, "must be >= 0", (1,)),
        ([None, -1.0, None], {"minimum": -1.0, "strict_minimum": True}, "must be > -1", (1,)),
        ([0.5, None, 3.0], {"minimum": 0.0, "maximum": 1.0}, "must be <= 1", (2,)),
    ],
)
def test_bad_cells_are_named_with_their_positions(cells, options, words, positions):
    with pytest.raises(InputError) as info:
        as_optional_float(
            cells, field="escalation", function="BusinessCase.from_frame", column="esc", **options
        )
    err = info.value
    assert err.field == "escalation"
    assert words in str(err)
    assert "'esc'" in str(err)
    assert "BusinessCase.from_frame" in str(err)
    assert err.positions == positions


def test_a_blank_is_valid_whatever_the_bounds():
    # the stand-in that keeps the positions is valid under the tightest bounds
    values, empty = as_optional_float(
        [None, 0.25], field="x", function="f", minimum=0.0, strict_minimum=True, maximum=0.5
    )
    assert empty.tolist() == [True, False]
    assert values[1] == 0.25
    values, empty = as_optional_float([None], field="x", function="f", minimum=-1.0, maximum=-1.0)
    assert empty.tolist() == [True]
