"""The parameter layer (crmkit._params): each helper's contract, read from its docstring.

Every public function checks its scalar arguments through these helpers, so
their messages are the library's one parameter template: "The 'k' parameter of
rfm_scores must be an int >= 2. Got 1 instead." (scikit-learn's wording, see
STYLE.md). The tests pin that template word for word, each range's open and
closed ends, and the rules in the module docstring (bools are not numbers,
floats are not ints, strings are not sequences of names, NaN is never in range).
"""

from __future__ import annotations

import enum
import math

import numpy as np
import pytest

from crmkit import _params
from crmkit.errors import InputError


def _refused(call, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value


# ---- integer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "maximum", "requirement"),
    [
        (2, None, "an int >= 2"),
        (None, 9, "an int <= 9"),
        (2, 9, "an int in [2, 9]"),
        (None, None, "an int"),
    ],
)
def test_integer_message_states_the_range(minimum, maximum, requirement):
    err = _refused(
        _params.integer, "5", name="k", function="rfm_scores", minimum=minimum, maximum=maximum
    )
    assert str(err) == f"The 'k' parameter of rfm_scores must be {requirement}. Got '5' instead."
    assert err.field == "k"
    assert err.hint is None


def test_integer_bounds_are_inclusive():
    assert _params.integer(2, name="k", function="f", minimum=2, maximum=9) == 2
    assert _params.integer(9, name="k", function="f", minimum=2, maximum=9) == 9
    for bad in (1, 10):
        err = _refused(_params.integer, bad, name="k", function="f", minimum=2, maximum=9)
        assert str(err) == f"The 'k' parameter of f must be an int in [2, 9]. Got {bad} instead."


def test_integer_takes_numpy_ints_and_returns_a_python_int():
    out = _params.integer(np.int32(7), name="k", function="f", minimum=0)
    assert out == 7
    assert type(out) is int


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_integer_refuses_bools(value):
    err = _refused(_params.integer, value, name="n", function="f")
    assert err.field == "n"
    assert "must be an int" in str(err)


def test_an_integral_float_gets_a_hint_to_pass_an_int():
    err = _refused(_params.integer, 1e5, name="n_simulations", function="simulate_forecast")
    assert err.hint == "Pass int(100000.0); crmkit does not round counts for you."
    assert str(err).endswith("Hint: Pass int(100000.0); crmkit does not round counts for you.")
    assert _refused(_params.integer, np.float64(3.0), name="n", function="f").hint == (
        "Pass int(np.float64(3.0)); crmkit does not round counts for you."
    )


def test_a_fractional_float_gets_no_rounding_hint():
    err = _refused(_params.integer, 2.5, name="k", function="f")
    assert err.hint is None
    assert str(err) == "The 'k' parameter of f must be an int. Got 2.5 instead."


def test_integer_passes_the_callers_hint_on_either_failure():
    hint = "Use a whole number of weeks."
    assert _refused(_params.integer, "x", name="n", function="f", hint=hint).hint == hint
    assert _refused(_params.integer, 2.0, name="n", function="f", hint=hint).hint == hint
    out_of_range = _refused(_params.integer, -1, name="n", function="f", minimum=0, hint=hint)
    assert out_of_range.hint == hint


# ---- number / probability ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "requirement"),
    [
        ({}, "a finite number"),
        ({"finite": False}, "a number"),
        ({"low": 0}, "a number >= 0"),
        ({"low": -1, "low_open": True}, "a number > -1"),
        ({"high": 5}, "a number <= 5"),
        ({"high": 5, "high_open": True}, "a number < 5"),
        ({"low": 0, "high": 1}, "a number in [0, 1]"),
        ({"low": 0, "high": 1, "low_open": True}, "a number in (0, 1]"),
        ({"low": 0, "high": 1, "high_open": True}, "a number in [0, 1)"),
        ({"low": 0.5, "high": 2.5, "low_open": True, "high_open": True}, "a number in (0.5, 2.5)"),
    ],
)
def test_number_message_states_the_range(kwargs, requirement):
    err = _refused(_params.number, "x", name="rate", function="npv", **kwargs)
    assert str(err) == f"The 'rate' parameter of npv must be {requirement}. Got 'x' instead."
    assert err.field == "rate"


@pytest.mark.parametrize(
    ("value", "low_open", "high_open", "ok"),
    [
        (0.0, False, False, True),
        (1.0, False, False, True),
        (0.0, True, False, False),
        (1.0, True, False, True),
        (0.0, False, True, True),
        (1.0, False, True, False),
        (-1e-12, False, False, False),
        (1 + 1e-12, False, False, False),
    ],
)
def test_number_ends_are_open_or_closed_as_asked(value, low_open, high_open, ok):
    kwargs = {"low": 0.0, "high": 1.0, "low_open": low_open, "high_open": high_open}
    if ok:
        assert _params.number(value, name="p", function="f", **kwargs) == value
    else:
        err = _refused(_params.number, value, name="p", function="f", **kwargs)
        assert err.field == "p"
        assert f"Got {value!r} instead." in str(err)


def test_number_returns_a_python_float_from_ints_and_numpy_numbers():
    for value in (3, np.int64(3), np.float32(3.0)):
        out = _params.number(value, name="x", function="f")
        assert out == 3.0
        assert type(out) is float


@pytest.mark.parametrize("value", [True, np.bool_(False), "1", None, [1.0]])
def test_number_refuses_what_is_not_a_real_number(value):
    err = _refused(_params.number, value, name="x", function="f")
    assert err.field == "x"
    assert "must be a finite number" in str(err)


def test_nan_is_never_in_range_and_infinity_only_when_asked():
    assert "Got nan instead" in str(_refused(_params.number, math.nan, name="x", function="f"))
    nan_unbounded = _refused(_params.number, math.nan, name="x", function="f", finite=False)
    assert nan_unbounded.field == "x"
    assert "Got inf instead" in str(_refused(_params.number, math.inf, name="x", function="f"))
    assert _params.number(math.inf, name="x", function="f", finite=False) == math.inf
    # an open bound still refuses an infinity beyond it
    assert _refused(_params.number, -math.inf, name="x", function="f", finite=False, low=0).field


def test_number_passes_the_callers_hint():
    hint = "Give the rate per period."
    assert _refused(_params.number, "x", name="r", function="f", hint=hint).hint == hint
    assert _refused(_params.number, -2.0, name="r", function="f", low=0, hint=hint).hint == hint


def test_probability_is_a_number_in_the_unit_interval():
    assert _params.probability(0.0, name="p", function="f") == 0.0
    assert _params.probability(1.0, name="p", function="f") == 1.0
    err = _refused(_params.probability, 1.5, name="level", function="beta_interval")
    assert str(err) == (
        "The 'level' parameter of beta_interval must be a number in [0, 1]. Got 1.5 instead."
    )
    opened = _refused(
        _params.probability, 1.0, name="level", function="f", low_open=True, high_open=True
    )
    assert "must be a number in (0, 1)" in str(opened)
    assert "in (0, 1]" in str(
        _refused(_params.probability, 0.0, name="p", function="f", low_open=True)
    )
    hinted = _refused(_params.probability, 2.0, name="p", function="f", hint="A share.")
    assert hinted.hint == "A share."


# ---- numbers -------------------------------------------------------------------------


def test_numbers_returns_a_tuple_of_python_floats():
    out = _params.numbers([np.float32(0.5), 1, np.int64(2)], name="t", function="f")
    assert out == (0.5, 1.0, 2.0)
    assert all(type(v) is float for v in out)
    assert _params.numbers(iter([0.1, 0.2]), name="t", function="f") == (0.1, 0.2)


@pytest.mark.parametrize(
    ("kwargs", "requirement"),
    [
        ({}, "a non-empty sequence of finite numbers"),
        ({"low": 0, "high": 1}, "a non-empty sequence of numbers in [0, 1]"),
        (
            {"low": 0, "high": 1, "low_open": True, "increasing": True},
            "a non-empty sequence of strictly increasing numbers in (0, 1]",
        ),
        ({"high": 1, "high_open": True}, "a non-empty sequence of numbers < 1"),
    ],
)
def test_numbers_message_states_the_requirement(kwargs, requirement):
    err = _refused(_params.numbers, [], name="thresholds", function="abc_classes", **kwargs)
    assert str(err) == (
        f"The 'thresholds' parameter of abc_classes must be {requirement}. Got [] instead."
    )
    assert err.field == "thresholds"


def test_a_bare_number_gets_a_hint_to_wrap_it_and_a_string_none():
    err = _refused(_params.numbers, 0.5, name="p", function="top_share")
    assert err.hint == "Pass [0.5] for a single one."
    assert str(err) == (
        "The 'p' parameter of top_share must be a non-empty sequence of finite numbers. "
        "Got 0.5 instead.\nHint: Pass [0.5] for a single one."
    )
    assert _refused(_params.numbers, "0.5", name="p", function="f").hint is None
    assert _refused(_params.numbers, b"05", name="p", function="f").hint is None
    assert _refused(_params.numbers, None, name="p", function="f").hint is None
    assert _refused(_params.numbers, 0.5, name="p", function="f", hint="mine").hint == "mine"
    # the caller's hint also comes with a bad element
    bad_element = _refused(_params.numbers, [0.5, 2.0], name="p", function="f", high=1, hint="mine")
    assert bad_element.hint == "mine"
    assert str(bad_element).endswith("Hint: mine")


@pytest.mark.parametrize(
    "values",
    [[0.5, math.nan], [math.inf], [-math.inf, 0.5], [0.5, True], [0.5, "0.7"], [0.5, None]],
)
def test_numbers_refuses_any_bad_element_and_shows_them_all(values):
    err = _refused(_params.numbers, values, name="p", function="f")
    assert err.field == "p"
    assert f"Got {values!r} instead." in str(err)


def test_numbers_shows_numpy_elements_as_plain_numbers():
    err = _refused(
        _params.numbers, [np.float64(0.5), np.float64(2.0)], name="p", function="f", high=1
    )
    assert str(err).endswith("Got [0.5, 2.0] instead.")


@pytest.mark.parametrize(
    ("values", "kwargs", "ok"),
    [
        ([0.0, 1.0], {"low": 0, "high": 1}, True),
        ([0.0, 1.0], {"low": 0, "high": 1, "low_open": True}, False),
        ([0.0, 1.0], {"low": 0, "high": 1, "high_open": True}, False),
        ([0.5, 1.0], {"low": 0, "high": 1, "low_open": True}, True),
        ([0.0, 0.5], {"low": 0, "high": 1, "high_open": True}, True),
        ([-0.1], {"low": 0}, False),
        ([1.1], {"high": 1}, False),
    ],
)
def test_numbers_bounds_apply_to_every_element(values, kwargs, ok):
    if ok:
        assert _params.numbers(values, name="p", function="f", **kwargs) == tuple(values)
    else:
        assert _refused(_params.numbers, values, name="p", function="f", **kwargs).field == "p"


def test_increasing_means_strictly_increasing():
    assert _params.numbers([0.1, 0.2, 0.3], name="t", function="f", increasing=True)
    for values in ([0.2, 0.2], [0.3, 0.2], [0.1, 0.3, 0.2]):
        err = _refused(_params.numbers, values, name="t", function="f", increasing=True)
        assert "strictly increasing" in str(err)
    # without increasing=True, any order is fine
    assert _params.numbers([0.3, 0.2, 0.2], name="t", function="f") == (0.3, 0.2, 0.2)


# ---- flag ----------------------------------------------------------------------------


def test_flag_takes_only_true_and_false():
    assert _params.flag(True, name="f", function="g") is True
    assert _params.flag(np.bool_(False), name="f", function="g") is False
    for bad in (1, 0, "no", None, 1.0):
        err = _refused(_params.flag, bad, name="higher_is_better", function="score_values")
        assert str(err) == (
            "The 'higher_is_better' parameter of score_values must be True or False. "
            f"Got {bad!r} instead."
        )


# ---- choice --------------------------------------------------------------------------


class _Freq(enum.Enum):
    DAY = "day"
    WEEK = "week"


class _Level(enum.Enum):
    LOW = 1
    HIGH = 2


def test_choice_returns_the_member_for_a_member_or_its_value():
    assert _params.choice(_Freq.WEEK, _Freq, name="freq", function="f") is _Freq.WEEK
    assert _params.choice("day", _Freq, name="freq", function="f") is _Freq.DAY
    assert _params.choice(2, _Level, name="level", function="f") is _Level.HIGH


def test_choice_compares_types_too():
    # True == 1 and 1.0 == 1 in Python; neither names the member whose value is 1
    for bad in (True, 1.0, "1"):
        err = _refused(_params.choice, bad, _Level, name="level", function="f")
        assert str(err) == f"The 'level' parameter of f must be one of 1, 2. Got {bad!r} instead."
        assert err.hint is None


def test_choice_among_strings():
    assert _params.choice("mean", ("total", "mean"), name="monetary", function="f") == "mean"
    err = _refused(_params.choice, 1, ("total", "mean"), name="monetary", function="f")
    assert (
        str(err) == "The 'monetary' parameter of f must be one of 'total', 'mean'. Got 1 instead."
    )


def test_choice_suggests_the_closest_option():
    err = _refused(_params.choice, "weeek", _Freq, name="freq", function="period_keys")
    assert err.hint == "Did you mean 'week'?"
    assert str(err) == (
        "The 'freq' parameter of period_keys must be one of 'day', 'week'. Got 'weeek' instead."
        "\nHint: Did you mean 'week'?"
    )
    assert _refused(_params.choice, "mena", ("total", "mean"), name="m", function="f").hint == (
        "Did you mean 'mean'?"
    )
    assert _refused(_params.choice, "zzzzzz", _Freq, name="freq", function="f").hint is None


# ---- instance ------------------------------------------------------------------------


def test_instance_names_what_was_expected_and_what_came():
    assert _params.instance(3, int, name="n", function="f", what="an int") == 3
    err = _refused(_params.instance, "3", int, name="n", function="f", what="an int")
    assert str(err) == "The 'n' parameter of f must be an int. Got a str instead."
    assert err.field == "n"
    err = _refused(_params.instance, 3, str, name="label", function="g", what="a str")
    assert str(err) == "The 'label' parameter of g must be a str. Got an int instead."
    err = _refused(_params.instance, 3.0, str, name="label", function="g", what="a str")
    assert "Got a float instead." in str(err)


# ---- names ---------------------------------------------------------------------------


def test_names_returns_a_tuple_of_the_strings_in_order():
    assert _params.names(["won", "lead"], name="stages", function="f") == ("won", "lead")
    assert _params.names(iter(["a"]), name="stages", function="f") == ("a",)


def test_a_bare_string_is_one_name_and_gets_a_hint():
    err = _refused(_params.names, "spend", name="context", function="replay")
    assert str(err) == (
        "The 'context' parameter of replay must be a sequence of distinct names. "
        "Got 'spend' instead.\nHint: Pass ['spend'] for a single one."
    )
    assert err.field == "context"
    for bad in (b"spend", 5, None):
        assert _refused(_params.names, bad, name="context", function="replay").hint is None


def test_names_refuses_empty_and_non_string_names():
    for items in (["a", ""], ["a", 1], [None]):
        err = _refused(_params.names, items, name="stages", function="f", what="stage names")
        assert str(err) == (
            "The 'stages' parameter of f must be a sequence of distinct stage names "
            f"(non-empty strings). Got {items!r} instead."
        )


def test_an_empty_sequence_of_names_only_when_allowed():
    err = _refused(_params.names, [], name="by", function="f", what="dimension names")
    assert str(err) == (
        "The 'by' parameter of f must be a non-empty sequence of dimension names. Got [] instead."
    )
    assert _params.names([], name="by", function="f", allow_empty=True) == ()


def test_duplicate_names_are_counted():
    err = _refused(
        _params.names, ["lead", "won", "lead", "won", "won"], name="stages", function="f"
    )
    assert str(err) == (
        "The 'stages' parameter of f must be a sequence of distinct names; 'lead' appears 2 times. "
        "Got ['lead', 'won', 'lead', 'won', 'won'] instead."
    )
    err = _refused(_params.names, ["a", "b", "b", "b"], name="stages", function="f")
    assert "'b' appears 3 times" in str(err)


# ---- seeds ---------------------------------------------------------------------------

_SEED_MESSAGE = (
    "The 'seed' parameter of simulate_forecast must be an int >= 0, a numpy.random.SeedSequence "
    "or a numpy.random.Generator. Got {got} instead.\nHint: Pass an int such as seed=42 for "
    "numbers that repeat; for fresh numbers on every call pass seed=numpy.random.default_rng(), "
    "which says so in the call."
)


@pytest.mark.parametrize("check", [_params.as_seed_sequence, _params.as_generator])
@pytest.mark.parametrize("bad", [-1, None, 1.5, "x", True])
def test_a_bad_seed_is_refused_with_the_one_message(check, bad):
    err = _refused(check, bad, function="simulate_forecast")
    assert str(err) == _SEED_MESSAGE.format(got=repr(bad))
    assert err.field == "seed"
    renamed = _refused(check, bad, function="f", name="random_state")
    assert renamed.field == "random_state"
    assert str(renamed).startswith("The 'random_state' parameter of f must be an int >= 0")


def test_seed_zero_and_numpy_ints_are_seeds():
    assert _params.as_seed_sequence(0, function="f").entropy == 0
    assert _params.as_seed_sequence(np.uint8(9), function="f").entropy == 9
    assert _params.as_generator(np.int64(0), function="f").random() == (
        np.random.default_rng(0).random()
    )


def test_a_seed_sequence_is_used_as_given():
    ss = np.random.SeedSequence(5)
    assert _params.as_seed_sequence(ss, function="f") is ss
    assert _params.as_generator(ss, function="f").random() == (
        np.random.default_rng(np.random.SeedSequence(5)).random()
    )


def test_an_int_seed_is_the_seed_sequence_of_that_int():
    ss = _params.as_seed_sequence(7, function="f")
    assert type(ss) is np.random.SeedSequence
    assert ss.entropy == 7
    assert _params.as_generator(7, function="f").random() == np.random.default_rng(7).random()


def test_a_generator_seeds_four_fresh_words_and_advances():
    gen = np.random.default_rng(3)
    twin = np.random.default_rng(3)
    ss = _params.as_seed_sequence(gen, function="f")
    words = twin.integers(0, 2**63, size=_params.MAX_SEED_ENTROPY_WORDS, dtype=np.int64)
    assert _params.MAX_SEED_ENTROPY_WORDS == 4
    assert ss.entropy == [int(w) for w in words]
    # the generator moved on by exactly those draws: the next call seeds the next four words
    again = _params.as_seed_sequence(gen, function="f")
    more = twin.integers(0, 2**63, size=4, dtype=np.int64)
    assert again.entropy == [int(w) for w in more] != ss.entropy
    assert gen.random() == twin.random()


def test_a_generator_seed_is_used_as_the_generator():
    gen = np.random.default_rng(1)
    assert _params.as_generator(gen, function="f") is gen


# ---- work_limit ----------------------------------------------------------------------


def test_work_limit_allows_the_limit_and_refuses_beyond_it():
    _params.work_limit(10**11, limit=10**11, name="n_simulations", function="f", what="draws")
    err = _refused(
        _params.work_limit,
        10**11 + 1,
        limit=10**11,
        name="n_simulations",
        function="simulate_forecast",
        what="deal draws",
    )
    assert str(err) == (
        "The 'n_simulations' parameter of simulate_forecast asks for 100,000,000,001 deal draws; "
        "the limit is 100,000,000,000.\nHint: Ask for less work, or split it into several calls."
    )
    assert err.field == "n_simulations"


def test_instance_says_none_for_none():
    err = _refused(_params.instance, None, int, name="n", function="f", what="an int")
    assert str(err) == "The 'n' parameter of f must be an int. Got None instead."


# ---- text / identifier ---------------------------------------------------------------


def test_text_takes_strings_and_refuses_blanks_unless_allowed():
    assert _params.text("lead", name="initial", function="LifecycleModel") == "lead"
    for bad in (" ", "", 3, None, b"lead"):
        err = _refused(_params.text, bad, name="initial", function="LifecycleModel")
        assert str(err) == (
            "The 'initial' parameter of LifecycleModel must be a non-empty str. "
            f"Got {bad!r} instead."
        )
        assert err.field == "initial"
    assert _params.text(" ", name="label", function="f", allow_empty=True) == " "
    assert _params.text("", name="label", function="f", allow_empty=True) == ""
    err = _refused(_params.text, 3, name="label", function="f", allow_empty=True)
    assert str(err) == "The 'label' parameter of f must be a str. Got 3 instead."


def test_identifier_is_an_int_or_a_non_blank_string():
    assert _params.identifier("c-17", name="customer", function="CustomerState") == "c-17"
    out = _params.identifier(np.int64(17), name="customer", function="CustomerState")
    assert out == 17
    assert type(out) is int
    for bad in (1.0, True, " ", "", None):
        err = _refused(_params.identifier, bad, name="customer", function="CustomerState")
        assert str(err) == (
            "The 'customer' parameter of CustomerState must be an int or a non-empty str "
            f"(one id). Got {bad!r} instead."
        )
        assert err.field == "customer"
