"""Ids are never merged by a cast; numbers are read exactly or refused."""

from __future__ import annotations

import numpy as np
import pytest

from crmkit._input import as_amounts, as_finite_float, as_ids
from crmkit.errors import InputError


@pytest.mark.parametrize(
    ("values", "words", "positions"),
    [
        ([1, "1", 2], "must not mix ints and strings", (1,)),
        (["a", "b", 3], "must not mix ints and strings", (2,)),
        (np.array([2.0**63, 2.0**63 + 4096, 1.0]), "below 2**53", (0, 1)),
        (np.array([2.0**53, 5.0]), "below 2**53", (0,)),
        (np.array([1.0, 2.5]), "whole numbers", (1,)),
        (np.array([1.0, np.nan]), "must not be null", (1,)),
        ([True, False], "must hold ints or strings", (0,)),
        ([1, None], "must not be null", (1,)),
        (["a", "  "], "must not hold empty strings", (1,)),
        ([2**64, 1], "must fit in int64", (0,)),
        (np.array([2**63 + 1, 1], dtype=np.uint64), "below 2**63", (0,)),
    ],
)
def test_bad_ids_are_refused_with_rows(values, words, positions):
    with pytest.raises(InputError) as info:
        as_ids(values, field="customer", function="rfm_summary")
    err = info.value
    assert err.field == "customer"
    assert words in str(err)
    if err.positions:
        assert err.positions == positions


def test_ids_keep_their_type():
    assert as_ids(np.array([3.0, 1.0]), field="c", function="f").tolist() == [3, 1]
    assert as_ids([np.int32(4), 5], field="c", function="f").dtype == np.int64
    assert as_ids(np.array(["x"], dtype="S1"), field="c", function="f").tolist() == ["x"]


@pytest.mark.parametrize(
    ("values", "words", "positions"),
    [
        (["€40.00", "5"], "must hold numbers", (0,)),
        (["1,040.00"], "must hold numbers", (0,)),
        (["nan", "1"], "finite", (0,)),
        ([True, 1.0], "must hold numbers", (0,)),
        (np.array([True, False]), "booleans", ()),
        ([1.0, None], "must not be null", (1,)),
        ([10**400, 1], "within float64's range", (0,)),
    ],
)
def test_bad_numbers_are_refused_with_rows(values, words, positions):
    with pytest.raises(InputError) as info:
        as_finite_float(values, field="amount", function="customer_pnl")
    err = info.value
    assert err.field == "amount"
    assert words in str(err)
    assert err.positions == positions


def test_numeric_text_is_read_as_numbers():
    out = as_finite_float([" 40.5", "-3", "1e3"], field="amount", function="f")
    assert out.tolist() == [40.5, -3.0, 1000.0]


def test_amounts_that_overflow_a_total_are_refused():
    with pytest.raises(InputError) as info:
        as_amounts([1e308, 1e308, 1.0], field="amount", function="rfm_summary")
    assert info.value.field == "amount"
    assert info.value.positions == (0, 1, 2)
    out, negative = as_amounts([1e307, -1e307, 2.0], field="amount", function="f")
    assert negative == 1
    assert out.size == 3


def test_optional_ids_mask_the_missing_and_check_the_rest():
    from crmkit._input import as_optional_ids

    ids, missing = as_optional_ids(["a", None, " ", "b"], field="parent", function="Hierarchy")
    assert missing.tolist() == [False, True, True, False]
    assert ids[~missing].tolist() == ["a", "b"]
    with pytest.raises(InputError) as info:
        as_optional_ids(["a", None, 3], field="parent", function="Hierarchy")
    assert (info.value.field, info.value.positions) == ("parent", (2,))
    with pytest.raises(InputError) as info:
        as_optional_ids([None, None], field="parent", function="Hierarchy")
    assert "no id at all" in str(info.value)
