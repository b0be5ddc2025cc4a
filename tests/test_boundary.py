"""The column boundary (crmkit._input, crmkit._values): each rule of _input's docstring, exactly.

Every public function reads its columns through these helpers, so what they
accept, what they refuse and how they say it is the library's contract with
its callers: the message template of ``InputError.for_rows`` ("The 'x' column
of f must ...: 2 bad rows, first at positions [..] with values [..]."), the
field and the caller's column name, the offending positions and values, the
hint, and every bound at its exact edge.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from crmkit._input import (
    as_amounts,
    as_finite_float,
    as_flags,
    as_ids,
    as_optional_ids,
    check_same_length,
)
from crmkit._values import (
    SHOWN,
    as_readonly,
    bad_rows_error,
    column_phrase,
    is_null,
    to_array,
)
from crmkit.errors import InputError

BIG = 1 << 16  # the chunk size of the probes: columns longer than this are read in chunks


def _refused(call, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value


# ---- _values -------------------------------------------------------------------------


def test_as_readonly_is_a_read_only_view_of_the_same_data():
    arr = np.array([1.0, 2.0])
    view = as_readonly(arr)
    assert not view.flags.writeable
    assert arr.flags.writeable  # the caller's array is left alone
    assert np.shares_memory(view, arr)
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 5.0


def test_to_array_keeps_arrays_and_tightens_python_scalars():
    arr = np.array([1, 2])
    assert to_array(arr) is arr
    assert to_array([1, 2]).dtype == np.int64
    assert to_array([1.5, 2]).dtype == np.float64
    assert to_array(["a", "bc"]).dtype.kind == "U"
    assert to_array([True, False]).dtype == np.bool_
    assert to_array(x for x in [3, 4]).tolist() == [3, 4]
    # a mix stays an object array for the caller to refuse; so do bools with ints
    assert to_array([1, "1"]).dtype == object
    assert to_array([1, True]).dtype == object
    assert to_array([1.5, None]).dtype == object
    # ints beyond int64 stay Python ints rather than wrapping
    big = to_array([2**63, 1])
    assert big.dtype == object
    assert big.tolist() == [2**63, 1]
    assert to_array([]).dtype == object
    assert to_array([]).size == 0


def test_to_array_reads_array_likes_through_numpy():
    class ArrayLike:
        def __init__(self, data):
            self.data = data

        def __iter__(self):
            return iter(self.data)

        def __array__(self, dtype=None, copy=None):
            return np.array(self.data, dtype=object)

    assert to_array(ArrayLike([1, 2])).dtype == np.int64
    assert to_array(ArrayLike(["a", "b"])).dtype.kind == "U"


def test_to_array_reads_frame_columns_in_their_own_dtype():
    # iterating a pyarrow array yields pyarrow scalars, which no crmkit reader accepts: the
    # columns of frame libraries are read through numpy.asarray, as the docstring says
    pa = pytest.importorskip("pyarrow")
    amounts = to_array(pa.array([1.5, 2.0]))
    assert amounts.dtype == np.float64
    assert amounts.tolist() == [1.5, 2.0]
    assert to_array(pa.array([3, 4])).dtype == np.int64
    pd = pytest.importorskip("pandas")
    stamps = to_array(pd.Series(pd.to_datetime(["2024-01-05", "2024-02-01"])))
    assert stamps.dtype.kind == "M"


def test_numpy_variable_width_strings_are_read_as_their_values():
    # StringDType (numpy 2) refuses every cast to a fixed-width dtype, so the readers that
    # cast text (ids, dates) would fail on it with a bare TypeError
    text = np.dtypes.StringDType()
    assert to_array(np.array(["a", "bc"], dtype=text)).dtype == np.dtype("<U2")
    assert to_array(np.array([], dtype=text)).size == 0
    missing = to_array(np.array(["a", None], dtype=np.dtypes.StringDType(na_object=None)))
    assert missing.dtype == object
    assert missing.tolist() == ["a", None]
    assert as_ids(np.array(["b", "a"], dtype=text), field="c", function="f").tolist() == ["b", "a"]
    err = _refused(as_ids, missing, field="customer", function="f")
    assert (err.field, err.positions) == ("customer", (1,))
    assert "must not be null" in str(err)


def test_to_array_reads_a_sequence_by_its_items():
    class Short(Sequence):  # len() says 2, its items are 3 (a lazy view gone stale)
        def __len__(self):
            return 2

        def __getitem__(self, i):
            if i >= 3:
                raise IndexError(i)
            return 10 * i

    assert to_array(Short()).tolist() == [0, 10, 20]
    # nested sequences of any shape become one element per row, for the caller to refuse
    nested = to_array([[1, 2], [3, 4]])
    assert nested.shape == (2,)
    assert nested.tolist() == [[1, 2], [3, 4]]
    assert to_array([np.zeros(2), np.zeros(2)]).shape == (2,)


@pytest.mark.parametrize("value", ["abc", b"abc", 5, 2.5, None])
def test_to_array_refuses_a_scalar_naming_the_column(value):
    err = _refused(to_array, value, field="amount", function="rfm_summary")
    assert str(err) == (
        f"The 'amount' column of rfm_summary expects a sequence or array of values; "
        f"got a {type(value).__name__}.\n"
        "Hint: Pass one value per row, e.g. a list, a numpy array or a frame column."
    )
    assert err.field == "amount"
    anonymous = _refused(to_array, value)
    assert str(anonymous).startswith("crmkit expects a sequence or array of values;")
    assert anonymous.field is None
    assert str(_refused(to_array, value, field="amount")).startswith("crmkit expects")


def test_nested_sequences_are_refused_by_row():
    err = _refused(as_finite_float, [[1, 2], [3, 4]], field="amount", function="f")
    assert err.positions == (0, 1)
    assert "must hold numbers" in str(err)
    err = _refused(as_ids, [[1, 2], [3, 4]], field="customer", function="f")
    assert err.positions == (0, 1)
    assert "must hold ints or strings" in str(err)


def test_column_phrase_shows_the_callers_name_only_when_it_differs():
    assert column_phrase("timestamp", None) == "'timestamp' column"
    assert column_phrase("timestamp", "timestamp") == "'timestamp' column"
    assert column_phrase("timestamp", "order_date") == "'timestamp' column ('order_date')"
    assert column_phrase("as_of", "when", "parameter") == "'as_of' parameter ('when')"


def test_is_null():
    pd = pytest.importorskip("pandas")
    for value in (None, float("nan"), np.nan, np.datetime64("NaT"), pd.NA, pd.NaT):
        assert is_null(value)
    for value in (0, 0.0, "", "nan", np.datetime64("2024-01-01"), False):
        assert not is_null(value)


def test_bad_rows_error_shows_the_first_five_and_counts_all():
    arr = np.arange(10.0)
    mask = arr >= 2
    err = bad_rows_error(mask, arr, field="x", requirement="must be < 2", function="f")
    assert SHOWN == 5
    assert err.n_bad == 8
    assert err.positions == (2, 3, 4, 5, 6)
    assert err.values == (2.0, 3.0, 4.0, 5.0, 6.0)
    assert str(err) == (
        "The 'x' column of f must be < 2: 8 bad rows, first at positions [2, 3, 4, 5, 6] "
        "with values [2.0, 3.0, 4.0, 5.0, 6.0]."
    )
    assert err.hint is None
    assert err.column is None


def test_bad_rows_error_as_text_column_and_hint():
    arr = np.array(["2024-01-01T00:00", "NaT"], dtype="datetime64[m]")
    mask = np.array([False, True])
    as_text = bad_rows_error(
        mask, arr, field="t", requirement="must be real", function="f", as_text=True
    )
    assert as_text.values == ("NaT",)
    raw = bad_rows_error(mask, arr, field="t", requirement="must be real", function="f")
    assert not isinstance(raw.values[0], str)
    named = bad_rows_error(
        mask,
        arr,
        field="timestamp",
        requirement="must be real",
        function="f",
        column="order_date",
        hint="Fix it.",
    )
    assert named.column == "order_date"
    assert named.hint == "Fix it."
    assert str(named).startswith("The 'timestamp' column ('order_date') of f must be real: 1 bad")


# ---- check_same_length ---------------------------------------------------------------


def test_same_length_returns_it_and_zero_for_no_columns():
    assert check_same_length({"a": 3, "b": 3}, function="f") == 3
    assert check_same_length({}, function="f") == 0


def test_a_length_mismatch_names_the_odd_column_out():
    err = _refused(check_same_length, {"customer": 3, "timestamp": 3, "amount": 2}, function="f")
    assert str(err) == (
        "The columns given to f must all have the same length; got customer=3, timestamp=3, "
        "amount=2.\nHint: Pass one value per row in every column."
    )
    assert err.field == "amount"
    assert _refused(check_same_length, {"a": 1, "b": 4, "c": 4}, function="f").field == "a"


# ---- as_finite_float -----------------------------------------------------------------


def test_clean_numbers_come_back_as_float64():
    out = as_finite_float([1, 2, 3], field="x", function="f")
    assert out.dtype == np.float64
    assert out.tolist() == [1.0, 2.0, 3.0]
    src = np.array([1.0, 2.0])
    assert as_finite_float(src, field="x", function="f") is src  # no copy when clean
    assert as_finite_float(np.array([], dtype=float), field="x", function="f").size == 0
    assert as_finite_float(["40.5", " -3 ", "1e3"], field="x", function="f").tolist() == [
        40.5,
        -3.0,
        1000.0,
    ]


@pytest.mark.parametrize("n", [4, BIG + 10])
def test_non_finite_values_are_reported_with_their_rows(n):
    values = np.ones(n)
    values[[1, n - 1]] = [np.nan, -np.inf]
    err = _refused(as_finite_float, values, field="amount", function="f", column="Sales")
    assert err.field == "amount"
    assert err.column == "Sales"
    assert err.n_bad == 2
    assert err.positions == (1, n - 1)
    assert str(err).startswith(
        "The 'amount' column ('Sales') of f must be finite (no NaN or infinity): 2 bad rows"
    )
    amounts = _refused(as_amounts, values, field="amount", function="g", column="Sales")
    assert str(amounts).startswith("The 'amount' column ('Sales') of g must be finite (no NaN")
    assert amounts.positions == (1, n - 1)
    assert err.hint == "Drop or fill the missing values before calling crmkit."


def test_minimum_is_inclusive_unless_strict():
    assert as_finite_float([0.0, 1.0], field="x", function="f", minimum=0.0).tolist() == [0, 1]
    err = _refused(as_finite_float, [0.0, -1.0, -2.0], field="x", function="f", minimum=0.0)
    assert str(err) == (
        "The 'x' column of f must be >= 0: 2 bad rows, first at positions [1, 2] "
        "with values [-1.0, -2.0]."
    )
    strict = _refused(
        as_finite_float, [1.0, 0.0, 2.0], field="x", function="f", minimum=0, strict_minimum=True
    )
    assert str(strict) == (
        "The 'x' column of f must be > 0: 1 bad row, at position 1 with value 0.0."
    )
    below = _refused(
        as_finite_float, [-0.5, 3.0], field="x", function="f", minimum=0.0, strict_minimum=True
    )
    assert below.positions == (0,)
    ok = as_finite_float([0.5, 3.0], field="x", function="f", minimum=0.0, strict_minimum=True)
    assert ok.tolist() == [0.5, 3.0]


def test_maximum_is_inclusive():
    assert as_finite_float([1.0, 0.5], field="p", function="f", maximum=1.0).tolist() == [1, 0.5]
    err = _refused(as_finite_float, [1.0, 1.5, 0.2], field="p", function="f", maximum=1.0)
    assert str(err) == (
        "The 'p' column of f must be <= 1: 1 bad row, at position 1 with value 1.5."
    )
    assert err.field == "p"


def test_booleans_are_not_numbers():
    err = _refused(as_finite_float, [True, False], field="amount", function="f", column="paid")
    assert str(err) == (
        "The 'amount' column ('paid') of f must hold numbers; got booleans.\n"
        "Hint: Convert flags to numbers explicitly (e.g. x.astype(float)) if that is meant."
    )
    assert err.field == "amount"
    assert err.column == "paid"


def test_text_that_is_not_a_plain_number_is_refused_with_its_rows():
    err = _refused(as_finite_float, ["40.5", "€40.00", "1,040", "3"], field="amount", function="f")
    assert err.field == "amount"
    assert err.positions == (1, 2)
    assert err.values == ("€40.00", "1,040")
    assert str(err).startswith("The 'amount' column of f must hold numbers: 2 bad rows")
    assert "Strip currency signs and thousands separators" in err.hint


@pytest.mark.parametrize("spelled", ["nan", "NaN", "-inf", "+Infinity", "infinity", "+nan"])
def test_spelled_out_non_finite_text_is_refused(spelled):
    err = _refused(as_finite_float, ["1", spelled], field="amount", function="f")
    assert err.positions == (1,)
    assert "must hold finite numbers" in str(err)
    assert err.field == "amount"


def test_object_columns_refuse_nulls_then_non_numbers():
    err = _refused(as_finite_float, [1.0, None, "x", 2], field="amount", function="f")
    assert str(err).startswith(
        "The 'amount' column of f must not be null: 1 bad row, at position 1 with value None."
    )
    assert err.hint == "Fill or drop the missing values before calling crmkit."
    err = _refused(as_finite_float, [1.0, "x", True, 2], field="amount", function="f")
    assert str(err) == (
        "The 'amount' column of f must hold numbers: 2 bad rows, first at positions [1, 2] "
        "with values ['x', True]."
    )
    assert as_finite_float(np.array([1, 2.5], dtype=object), field="x", function="f").tolist() == [
        1.0,
        2.5,
    ]


def test_python_ints_beyond_float64_are_refused_by_row():
    # with floats beside them (an object column) or alone (ints beyond int64 stay objects)
    for values in ([1, 10**400, 2.0], [1, -(10**400)]):
        err = _refused(as_finite_float, values, field="amount", function="f")
        assert err.positions == (1,)
        assert "must hold numbers within float64's range" in str(err)
        assert err.field == "amount"


def test_other_dtypes_are_refused_by_dtype():
    err = _refused(
        as_finite_float, np.array(["2024-01-01"], dtype="datetime64[D]"), field="x", function="f"
    )
    assert str(err) == ("The 'x' column of f must hold numbers; got values of dtype datetime64[D].")


def test_two_dimensional_columns_are_refused():
    err = _refused(as_finite_float, np.ones((2, 2)), field="x", function="f", column="X")
    assert str(err) == "The 'x' column ('X') of f must be one-dimensional; got shape (2, 2)."
    assert err.field == "x"
    assert err.column == "X"
    assert _refused(as_ids, np.ones((2, 1), dtype=np.int64), field="c", function="f").field == "c"


# ---- as_amounts ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, BIG * 2 + 3])
def test_amounts_count_the_negatives_in_the_same_pass(n):
    values = np.ones(n)
    values[[0, n // 2, n - 1]] = -1.0
    out, negative = as_amounts(values, field="amount", function="f")
    assert negative == 3
    assert out is values


def test_amounts_whose_magnitudes_overflow_are_refused_naming_the_largest():
    values = [1.0, 1e308, -1e308, 5.0, 1.5e308, 2.0, 3.0]
    err = _refused(as_amounts, values, field="amount", function="rfm_summary", column="eur")
    assert err.field == "amount"
    assert err.column == "eur"
    assert err.n_bad == 5  # the five largest magnitudes are shown
    assert err.positions == (1, 2, 3, 4, 6)
    assert str(err) == (
        "The 'amount' column ('eur') of rfm_summary must sum to a finite float64 total (their "
        "magnitudes add up to more than 1.8e308): 5 bad rows, first at positions [1, 2, 3, 4, 6] "
        "with values [1e+308, -1e+308, 5.0, 1.5e+308, 3.0].\n"
        "Hint: Rescale the amounts (e.g. to thousands) before calling crmkit."
    )
    assert err.hint == "Rescale the amounts (e.g. to thousands) before calling crmkit."
    # a NaN is reported as such, not as an overflow
    nan = _refused(as_amounts, [1e308, 1e308, np.nan], field="amount", function="f")
    assert "must be finite" in str(nan)
    assert nan.positions == (2,)


def test_amounts_that_sum_to_the_float64_edge_are_fine():
    out, negative = as_amounts([1e308, -7e307], field="amount", function="f")
    assert out.tolist() == [1e308, -7e307]
    assert negative == 1


# ---- as_ids --------------------------------------------------------------------------


def test_ids_keep_their_type():
    assert as_ids([3, 1], field="c", function="f").dtype == np.int64
    assert as_ids(np.array([3, 1], dtype=np.uint8), field="c", function="f").dtype == np.int64
    text = as_ids(["b", "a"], field="c", function="f")
    assert text.dtype.kind == "U"
    assert text.tolist() == ["b", "a"]
    assert as_ids(np.array([b"x", b"y"]), field="c", function="f").tolist() == ["x", "y"]
    assert as_ids(np.array([2.0, 5.0]), field="c", function="f").tolist() == [2, 5]
    assert as_ids(np.array([2.0, 5.0]), field="c", function="f").dtype == np.int64


def test_uint64_ids_beyond_int64_are_refused():
    arr = np.array([1, 2**63, 2**64 - 1], dtype=np.uint64)
    err = _refused(as_ids, arr, field="customer", function="f")
    assert err.positions == (1, 2)
    assert "must fit in int64 (below 2**63)" in str(err)
    assert err.hint == "Read ids this large as strings."
    ok = as_ids(np.array([2**63 - 1], dtype=np.uint64), field="customer", function="f")
    assert ok.tolist() == [2**63 - 1]


def test_float_ids_must_be_finite_whole_and_below_2_53():
    err = _refused(as_ids, np.array([1.0, np.nan, np.inf]), field="customer", function="f")
    assert err.positions == (1, 2)
    assert "must not be null" in str(err)
    assert err.hint == "Every row needs an id; drop or fill the missing ones."
    err = _refused(as_ids, np.array([1.0, 1.5]), field="customer", function="f")
    assert err.positions == (1,)
    assert "must hold whole numbers or strings" in str(err)
    edge = 2.0**53
    err = _refused(as_ids, np.array([edge - 1, edge, -edge]), field="customer", function="f")
    assert err.positions == (1, 2)
    assert "must be below 2**53 when given as floats" in str(err)
    assert err.hint == "Read the id column as int64 or as strings."


def test_empty_or_blank_string_ids_are_refused():
    err = _refused(as_ids, ["a", "", "  ", "b"], field="customer", function="f", column="cust")
    assert err.positions == (1, 2)
    assert err.column == "cust"
    assert str(err).startswith(
        "The 'customer' column ('cust') of f must not hold empty strings: 2 bad rows"
    )
    assert as_ids(np.array([], dtype=str), field="c", function="f").size == 0


def test_boolean_and_other_dtype_ids_are_refused():
    err = _refused(as_ids, [True, False], field="customer", function="f")
    assert str(err) == "The 'customer' column of f must hold ints or strings; got booleans."
    err = _refused(as_ids, np.array([1j]), field="customer", function="f")
    assert str(err) == "The 'customer' column of f must hold ints or strings; got dtype complex128."


def test_object_ids():
    assert as_ids(np.array(["a", "b"], dtype=object), field="c", function="f").dtype.kind == "U"
    ints = as_ids(np.array([1, np.int64(2)], dtype=object), field="c", function="f")
    assert ints.dtype == np.int64
    assert ints.tolist() == [1, 2]
    floats = as_ids(np.array([1.0, np.float32(2.0)], dtype=object), field="c", function="f")
    assert floats.tolist() == [1, 2]
    err = _refused(as_ids, np.array([1, None], dtype=object), field="c", function="f")
    assert "must not be null" in str(err)
    assert err.positions == (1,)
    err = _refused(as_ids, np.array([1, 2.5], dtype=object), field="c", function="f")
    assert "must hold whole numbers or strings" in str(err)
    err = _refused(as_ids, np.array(["a", 2.0], dtype=object), field="c", function="f")
    assert str(err).startswith("The 'c' column of f must hold ints or strings: 1 bad row")
    assert err.positions == (1,)
    err = _refused(as_ids, np.array([1, b"x"], dtype=object), field="c", function="f")
    assert err.positions == (1,)


def test_python_int_ids_beyond_int64_are_refused():
    err = _refused(as_ids, [1, 2**63, -(2**63) - 1, -(2**63)], field="c", function="f")
    assert err.positions == (1, 2)
    assert "must fit in int64" in str(err)
    assert err.hint == "Read ids this large as strings."


def test_mixed_int_and_string_ids_point_at_the_minority():
    err = _refused(as_ids, [1, "2", "3", "4"], field="customer", function="f")
    assert err.positions == (0,)
    assert str(err).startswith(
        "The 'customer' column of f must not mix ints and strings (1 and '1' would be one "
        "customer): 1 bad row"
    )
    assert err.hint == "Make every id the same type first, e.g. cast the column to str."
    assert _refused(as_ids, ["a", 2, 3, 4], field="customer", function="f").positions == (0,)
    # a tie points at the ints
    assert _refused(as_ids, ["a", 2], field="customer", function="f").positions == (1,)


@pytest.mark.parametrize(
    "spelled", ["nan", "-nan", "inf", "+inf", "-INF", "Infinity", "-infinity", " nan "]
)
def test_every_spelling_of_a_non_finite_number_is_refused(spelled):
    err = _refused(as_finite_float, ["2", spelled, "3"], field="amount", function="g", column="eur")
    assert str(err).startswith(
        "The 'amount' column ('eur') of g must hold finite numbers: 1 bad row, at position 1"
    )


def test_text_and_object_columns_name_the_function_and_the_callers_column():
    err = _refused(as_finite_float, ["40.5", "€40.00"], field="amount", function="g", column="eur")
    assert str(err).startswith("The 'amount' column ('eur') of g must hold numbers: 1 bad row")
    assert err.column == "eur"
    err = _refused(as_finite_float, [1.0, None], field="amount", function="g", column="eur")
    assert str(err).startswith("The 'amount' column ('eur') of g must not be null")
    err = _refused(as_finite_float, "12", field="amount", function="g", column="eur")
    assert str(err).startswith("The 'amount' column of g expects a sequence or array of values")
    assert err.field == "amount"


def test_object_id_errors_name_the_callers_column_and_hint():
    cases = [
        ([1, None], "must not be null", "Every row needs an id; drop or fill the missing ones."),
        ([1, b"x"], "must hold ints or strings", None),
        (
            [1, "2", "3"],
            "must not mix ints and strings",
            "Make every id the same type first, e.g. cast the column to str.",
        ),
        ([1.0, 2.5], "must hold whole numbers or strings", None),
    ]
    for values, words, hint in cases:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        err = _refused(as_ids, arr, field="customer", function="g", column="cust")
        assert str(err).startswith(f"The 'customer' column ('cust') of g {words}")
        assert err.column == "cust"
        assert err.field == "customer"
        assert err.hint == hint


def test_int64_max_is_an_id_and_one_more_is_not():
    top = 2**63 - 1
    err = _refused(as_ids, [1, top, 2**63], field="c", function="f")
    assert err.positions == (2,)
    assert as_ids([1, top], field="c", function="f").tolist() == [1, top]
    assert as_ids([-(2**63)], field="c", function="f").tolist() == [-(2**63)]


def test_id_errors_in_full_name_the_function_and_the_callers_column():
    err = _refused(
        as_ids, np.array([1, 2**63], dtype=np.uint64), field="customer", function="f", column="cust"
    )
    assert str(err) == (
        "The 'customer' column ('cust') of f must fit in int64 (below 2**63): 1 bad row, at "
        "position 1 with value 9223372036854775808.\nHint: Read ids this large as strings."
    )
    err = _refused(as_ids, [True, False], field="customer", function="f", column="cust")
    assert (
        str(err) == "The 'customer' column ('cust') of f must hold ints or strings; got booleans."
    )
    assert (err.field, err.column) == ("customer", "cust")
    err = _refused(as_ids, ["a", " "], field="customer", function="f")
    assert err.hint == "Every row needs an id; drop or fill the missing ones."


# ---- as_flags ------------------------------------------------------------------------


def test_flags_read_booleans_and_the_numbers_0_and_1_in_any_dtype():
    assert as_flags([True, False], field="won", function="f").tolist() == [True, False]
    assert as_flags(np.array([1, 0, 1], dtype=np.uint8), field="won", function="f").tolist() == [
        True,
        False,
        True,
    ]
    assert as_flags([1.0, 0.0], field="won", function="f").tolist() == [True, False]
    mixed = np.array([True, 0, 1.0, np.int64(1), np.float32(0)], dtype=object)
    assert as_flags(mixed, field="won", function="f").tolist() == [True, False, True, True, False]


_FLAG_TEXT = "must hold booleans (True/False) or the numbers 0 and 1"
_FLAG_HINT = "Convert other codes explicitly, e.g. won = (status == 'yes')."
_OUTCOME_HINT = "Fill or drop the missing outcomes before calling crmkit."


@pytest.mark.parametrize(
    ("values", "requirement", "position", "shown", "hint"),
    [
        ([1.0, np.nan, 0.0], "must not be null", 1, "nan", _OUTCOME_HINT),
        ([1, 2, 0], _FLAG_TEXT, 1, "2", _FLAG_HINT),
        ([1.0, 0.5], _FLAG_TEXT, 1, "0.5", _FLAG_HINT),
        (np.array([True, None], dtype=object), "must not be null", 1, "None", _OUTCOME_HINT),
        (np.array([True, "yes"], dtype=object), _FLAG_TEXT, 1, "'yes'", _FLAG_HINT),
        (np.array([True, 2], dtype=object), _FLAG_TEXT, 1, "2", _FLAG_HINT),
        (["no", "no"], _FLAG_TEXT, 0, "'no'", _FLAG_HINT),
    ],
)
def test_flags_refuse_nulls_and_other_codes_by_row(values, requirement, position, shown, hint):
    err = _refused(as_flags, values, field="won", function="reliability", column="Won?")
    assert str(err).startswith(f"The 'won' column ('Won?') of reliability {requirement}: ")
    assert err.positions[0] == position
    assert f"with value {shown}" in str(err) or f"with values [{shown}" in str(err)
    assert (err.field, err.column, err.hint) == ("won", "Won?", hint)


# ---- as_optional_ids -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "present"),
    [
        (np.array([1.0, np.nan, 3.0]), [1, 3]),
        (np.array(["a", "", " b", "  "]), ["a", " b"]),
        (np.array([b"a", b"", b"c"]), ["a", "c"]),
        (np.array(["a", "", "c"], dtype=np.dtypes.StringDType()), ["a", "c"]),
        (np.array([1, None, 3], dtype=object), [1, 3]),
    ],
)
def test_optional_ids_mask_the_missing_in_every_dtype(values, present):
    ids, missing = as_optional_ids(values, field="parent", function="Hierarchy")
    assert ids[~missing].tolist() == present
    assert int((~missing).sum()) == len(present)
    assert ids.size == len(values)  # positions hold: the missing rows repeat a present id


def test_optional_ids_without_missing_values_are_ids():
    ids, missing = as_optional_ids(np.array([4, 5]), field="parent", function="Hierarchy")
    assert ids.tolist() == [4, 5]
    assert not missing.any()


def test_optional_ids_refuse_a_column_without_any_id_by_name():
    for values in ([np.nan, np.nan], ["", " "], [None, None]):
        err = _refused(as_optional_ids, values, field="parent", function="Hierarchy", column="up")
        assert str(err) == "The 'parent' column ('up') of Hierarchy holds no id at all."
        assert (err.field, err.column) == ("parent", "up")


# ---- the same rules inside an engine (crmkit._engine pushes them down) ---------------


def _lazy_summary_errors(ids, amounts):
    """The numpy path's error and the polars-lazy path's, for the same rows."""
    pl = pytest.importorskip("polars")
    from crmkit.segmentation import rfm_summary

    stamps = np.array(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], "datetime64[us]")
    frame = pl.DataFrame({"c": ids, "t": stamps, "a": amounts})
    errors = []
    for source in (frame, frame.lazy()):
        with pytest.raises(InputError) as info:
            rfm_summary(source, unit="day", customer="c", timestamp="t", amount="a")
        errors.append(info.value)
    return errors


def _polars_column(values, dtype):
    pl = pytest.importorskip("polars")
    return pl.Series("x", values, dtype=getattr(pl, dtype))


_ID_HINT = "Every row needs an id; drop or fill the missing ones."


@pytest.mark.parametrize(
    ("values", "dtype", "requirement", "n_bad", "hint"),
    [
        ([1, None, 3, 4], "Int64", "must not be null", 1, _ID_HINT),
        ([1.0, float("nan"), None, 4.0], "Float64", "must not be null", 2, _ID_HINT),
        ([1.0, float("inf"), 3.0, 4.0], "Float64", "must not be null", 1, _ID_HINT),
        ([1.0, 1.5, 3.0, 4.0], "Float64", "must hold whole numbers or strings", 1, None),
        (
            [1.0, 2.0**53, 3.0, 4.0],
            "Float64",
            "must be below 2**53 when given as floats",
            1,
            "Read the id column as int64 or as strings.",
        ),
        (
            [1, 2**63, 3, 4],
            "UInt64",
            "must fit in int64 (below 2**63)",
            1,
            "Read ids this large as strings.",
        ),
        (["a", None, "c", "d"], "String", "must not be null", 1, _ID_HINT),
        (["a", None, "c", "d"], "Categorical", "must not be null", 1, _ID_HINT),
        (["a", " \t", "c", "d"], "String", "must not hold empty strings", 1, _ID_HINT),
        (["a", "\u00a0", "\u3000 ", "d"], "String", "must not hold empty strings", 2, _ID_HINT),
    ],
)
def test_id_rules_in_an_engine_are_the_numpy_rules(  # noqa: PLR0917  (parameters and a fixture)
    values, dtype, requirement, n_bad, hint, in_engine
):
    eager, lazy = _lazy_summary_errors(_polars_column(values, dtype), [1.0, 2.0, 3.0, 4.0])
    for err in (eager, lazy):
        assert (err.field, err.column, err.hint, err.n_bad) == ("customer", "c", hint, n_bad)
        assert requirement in str(err)
    assert "in the polars table" in str(lazy)  # found inside the engine, without row positions
    assert lazy.positions == ()


@pytest.mark.parametrize(
    ("values", "dtype", "requirement", "n_bad"),
    [
        ([1.0, float("nan"), None, 2.0], "Float64", "must be finite (no NaN or infinity)", 2),
        ([1, None, 3, 4], "Int32", "must be finite (no NaN or infinity)", 1),
        ([1e308, 1e308, 5.0, 1.0], "Float64", "must sum to a finite float64 total", None),
    ],
)
def test_amount_rules_in_an_engine_are_the_numpy_rules(
    values, dtype, requirement, n_bad, in_engine
):
    ids = _polars_column(["a", "b", "c", "d"], "String")
    eager, lazy = _lazy_summary_errors(ids, _polars_column(values, dtype))
    for err in (eager, lazy):
        assert (err.field, err.column, err.hint) == ("amount", "a", eager.hint)
        assert requirement in str(err)
    assert lazy.n_bad == n_bad
    assert "in the polars table" in str(lazy)
    if n_bad is None:  # a table rule shows the rows with the largest magnitudes
        assert lazy.values == (1e308, 1e308)
