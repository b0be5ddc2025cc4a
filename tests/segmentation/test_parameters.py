"""Every scalar parameter of crmkit.segmentation goes through crmkit._params: one message template.

Each case asserts the error's field and the key words of the message (the
parameter, the function, what is valid).
"""

import numpy as np
import pytest

from crmkit.errors import InputError
from crmkit.periods import Calendar
from crmkit.segmentation import (
    Absolute,
    Quantile,
    abc_classes,
    assign_segments,
    btyd_summary,
    cross_sell,
    product_affinity,
    rfm_scores,
    rfm_summary,
    segment_summary,
    share_of_wallet,
    value_classes,
    value_tiers,
)

TX = {
    "customer": [1, 1, 2],
    "timestamp": ["2024-01-01", "2024-01-05", "2024-01-03"],
    "amount": [10.0, 5.0, 7.0],
    "product": ["a", "b", "a"],
}
COLS = {"recency": [1.0, 9.0], "frequency": [3.0, 1.0], "monetary": [9.0, 2.0]}


def segments():
    return assign_segments(rfm_scores(COLS))


CASES = [
    # (call, field, key words of the message)
    (lambda: rfm_summary(TX, unit="fortnight"), "unit", ["'unit' parameter of rfm_summary"]),
    (lambda: rfm_summary(TX, unit="days"), "unit", ["Did you mean 'day'"]),
    (lambda: rfm_summary(TX, unit="day", count_by="hour"), "count_by", ["one of 'transaction'"]),
    (lambda: rfm_summary(TX, unit="day", purchases=True), "purchases", ["'positive', 'all'"]),
    (lambda: rfm_summary(TX, unit="day", calendar=0), "calendar", ["must be a crmkit.periods"]),
    (lambda: btyd_summary(TX, freq="fiscal_year"), "freq", ["'freq' parameter of btyd_summary"]),
    (
        lambda: btyd_summary(TX, freq="day", include_first_transaction="yes"),
        "include_first_transaction",
        ["must be True or False"],
    ),
    (lambda: btyd_summary(TX, freq="day", calendar="mon"), "calendar", ["Calendar"]),
    (lambda: rfm_scores(COLS, k=True), "k", ["an int >= 2. Got True"]),
    (lambda: rfm_scores(COLS, k=10**12), "k", ["scores per dimension; the limit is 10,000"]),
    (lambda: rfm_scores(COLS, weights=(1, 1)), "weights", ["three finite numbers >= 0"]),
    (lambda: rfm_scores(COLS, weights=(1, "2", 1)), "weights", ["numbers >= 0"]),
    (lambda: rfm_scores(COLS, weights={"age": 1.0}), "weights", ["keys among"]),
    (lambda: assign_segments(rfm_scores(COLS), table="grid"), "table", ["must be a RuleTable"]),
    (lambda: segment_summary(segments(), by_name=3), "by_name", ["a str or None"]),
    (lambda: abc_classes([1.0, 2.0], thresholds=[0.5, 0.5]), "thresholds", ["increasing"]),
    (lambda: abc_classes([1.0, 2.0], labels="AB"), "labels", ["Pass ['AB']"]),
    (lambda: value_tiers([1.0, 2.0], cuts=[0.0, 0.5]), "cuts", ["numbers in (0, 1)"]),
    (lambda: value_tiers([1.0, 2.0], cuts=0.5), "cuts", ["Pass [0.5]"]),
    (lambda: value_tiers([1.0, 2.0], labels=["a", "a", "b", "c"]), "labels", ["appears 2"]),
    (lambda: value_tiers([1.0, 2.0], cuts=[0.5], labels=["a"]), "labels", ["2 distinct"]),
    (lambda: Quantile(1.0), "q", ["'q' parameter of Quantile", "[0, 1)"]),
    (lambda: Quantile("0.5"), "q", ["a number in [0, 1)"]),
    (lambda: Absolute("1000"), "value", ["'value' parameter of Absolute", "finite number"]),
    (lambda: Absolute(True), "value", ["finite number. Got True"]),
    (lambda: Absolute(float("inf")), "value", ["finite number"]),
    (lambda: share_of_wallet([1.0], [2.0], excess="clip"), "excess", ["'raise', 'cap'"]),
    (
        lambda: value_classes([1.0], [1.0], [1.0], growable_share=1.5),
        "growable_share",
        ["a number in (0, 1]"],
    ),
    (lambda: value_classes([1.0], [1.0], [1.0], labels=["a"] * 4), "labels", ["appears 4"]),
    (lambda: product_affinity(TX, min_support=1.0), "min_support", ["[0, 1)"]),
    (lambda: product_affinity(TX, min_support=None), "min_support", ["a number in [0, 1)"]),
    (
        lambda: cross_sell(TX, {"customer": [1, 2], "segment": ["s", "s"]}, n=0),
        "n",
        ["'n' parameter of cross_sell must be an int >= 1"],
    ),
    (
        lambda: cross_sell(TX, {"customer": [1, 2], "segment": ["s", "s"]}, n=2.0),
        "n",
        ["Pass int(2.0)"],
    ),
]


@pytest.mark.parametrize(("call", "field", "words"), CASES)
def test_parameter_errors_name_the_parameter_and_what_is_valid(call, field, words):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.field == field
    for word in words:
        assert word in str(err.value)


def test_valid_parameters_still_pass():
    assert Absolute(np.float64(3.0)).value == 3.0
    assert Absolute(250).value == 250.0
    assert Quantile(0).q == 0
    assert rfm_summary(TX, unit="day", calendar=Calendar()).customer.tolist() == [1, 2]
    assert value_tiers([3.0, 1.0], cuts=np.array([0.5]), labels=("a", "b")).customers == {
        "a": 1,
        "b": 1,
    }
