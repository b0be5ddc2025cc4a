"""Parameter checks: the one place a public function's scalar arguments are validated.

Columns go through :mod:`crmkit._input`; everything else a caller passes (a
count, a rate, a flag, an option, a seed, a list of names) goes through one of
these helpers, so every public function refuses a wrong type or an out-of-range
value with the same one-line message::

    The 'k' parameter of rfm_scores must be an int >= 2. Got 1 instead.

Rules shared by every helper:

* bools are not numbers (``True`` is refused where an int is asked for), and
  numbers are not bools (``flag`` takes only ``True``/``False``);
* floats are not ints, even integral ones (``1e5`` gets a hint to pass
  ``int(1e5)``), as numpy refuses float sizes;
* strings are not sequences of names (``"spend"`` is one name, not five letters);
* NaN is never in range.
"""

from __future__ import annotations

import difflib
import enum
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeVar, cast, overload

import numpy as np

from crmkit.errors import InputError

__all__ = [
    "MAX_SEED_ENTROPY_WORDS",
    "SeedLike",
    "as_generator",
    "as_seed_sequence",
    "choice",
    "flag",
    "identifier",
    "instance",
    "integer",
    "names",
    "number",
    "numbers",
    "probability",
    "text",
    "work_limit",
]

SeedLike = int | np.integer[Any] | np.random.SeedSequence | np.random.Generator
"""What every seeded function accepts: an int >= 0, a ``SeedSequence`` or a ``Generator``."""

MAX_SEED_ENTROPY_WORDS: Final = 4
"""64-bit words drawn from a caller's ``Generator`` to seed a ``SeedSequence``."""

_E = TypeVar("_E", bound=enum.Enum)
_T = TypeVar("_T")


def _type_name(value: object) -> str:
    return type(value).__name__


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _int_requirement(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an int in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"an int >= {minimum}"
    if maximum is not None:
        return f"an int <= {maximum}"
    return "an int"


def integer(
    value: object,
    *,
    name: str,
    function: str,
    minimum: int | None = None,
    maximum: int | None = None,
    hint: str | None = None,
) -> int:
    """Return *value* as an int in ``[minimum, maximum]``.

    Python and numpy integers are accepted; bools, floats (even integral ones)
    and strings are refused.

    Examples
    --------
    >>> integer(5, name="k", function="rfm_scores", minimum=2)
    5
    >>> integer(1, name="k", function="rfm_scores", minimum=2)
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'k' parameter of rfm_scores must be an int >= 2. Got 1 instead.
    """
    requirement = _int_requirement(minimum, maximum)
    if not _is_int(value):
        if hint is None and isinstance(value, (float, np.floating)) and float(value).is_integer():
            hint = f"Pass int({value!r}); crmkit does not round counts for you."
        raise InputError.for_parameter(name, requirement, value, function=function, hint=hint)
    out = int(cast("int", value))  # an int or numpy integer: checked above
    if (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        raise InputError.for_parameter(name, requirement, value, function=function, hint=hint)
    return out


def _number_requirement(
    low: float | None, high: float | None, *, low_open: bool, high_open: bool, finite: bool
) -> str:
    noun = "a finite number" if finite and low is None and high is None else "a number"
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"{noun} in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"{noun} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{noun} {'<' if high_open else '<='} {high:g}"
    return noun


def number(
    value: object,
    *,
    name: str,
    function: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
    hint: str | None = None,
) -> float:
    """Return *value* as a float in the given range (bounds closed unless ``*_open``).

    Ints and floats (Python or numpy) are accepted; bools, strings and NaN are
    refused, and infinities unless ``finite=False``.

    Examples
    --------
    >>> number(0.25, name="discount_rate", function="npv", low=-1, low_open=True)
    0.25
    >>> number("0.1", name="discount_rate", function="npv", low=-1, low_open=True)
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'discount_rate' parameter of npv must be a number > -1. ...
    """
    requirement = _number_requirement(
        low, high, low_open=low_open, high_open=high_open, finite=finite
    )
    if not _is_real(value):
        raise InputError.for_parameter(name, requirement, value, function=function, hint=hint)
    out = float(cast("float", value))
    bad = (
        math.isnan(out)
        or (finite and math.isinf(out))
        or (low is not None and (out <= low if low_open else out < low))
        or (high is not None and (out >= high if high_open else out > high))
    )
    if bad:
        raise InputError.for_parameter(name, requirement, value, function=function, hint=hint)
    return out


def probability(
    value: object,
    *,
    name: str,
    function: str,
    low_open: bool = False,
    high_open: bool = False,
    hint: str | None = None,
) -> float:
    """Return a probability (or any fraction) in [0, 1], open at either end if asked.

    Examples
    --------
    >>> probability(0.9, name="level", function="beta_interval", low_open=True, high_open=True)
    0.9
    """
    return number(
        value,
        name=name,
        function=function,
        low=0.0,
        high=1.0,
        low_open=low_open,
        high_open=high_open,
        hint=hint,
    )


def numbers(
    value: object,
    *,
    name: str,
    function: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    increasing: bool = False,
    hint: str | None = None,
) -> tuple[float, ...]:
    """Return a non-empty sequence of numbers, each in the range, as a tuple of floats.

    The same rules as :func:`number` for each element; ``increasing=True``
    also asks for strictly increasing values (cut points, thresholds). A bare
    number is refused, with a hint to wrap it in a list.

    Examples
    --------
    >>> numbers([0.8, 0.95], name="thresholds", function="abc_classes", low=0, high=1)
    (0.8, 0.95)
    >>> numbers([0.95, 0.8], name="thresholds", function="abc_classes", increasing=True)
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'thresholds' parameter of abc_classes must be a non-empty ...
    """
    each = _number_requirement(low, high, low_open=low_open, high_open=high_open, finite=True)
    noun = each.removeprefix("a ").replace("number", "numbers", 1)
    order = "strictly increasing " if increasing else ""
    requirement = f"a non-empty sequence of {order}{noun}"
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        if hint is None and _is_real(value):
            hint = f"Pass [{value!r}] for a single one."
        raise InputError.for_parameter(name, requirement, value, function=function, hint=hint)
    items = list(cast("Iterable[object]", value))
    ok = bool(items) and all(_is_real(v) for v in items)
    out = tuple(float(cast("float", v)) for v in items) if ok else ()
    ok = ok and all(
        not (
            math.isnan(v)
            or math.isinf(v)
            or (low is not None and (v <= low if low_open else v < low))
            or (high is not None and (v >= high if high_open else v > high))
        )
        for v in out
    )
    if ok and increasing:
        ok = all(a < b for a, b in itertools.pairwise(out))
    if not ok:
        shown = [v.item() if isinstance(v, np.generic) else v for v in items]
        raise InputError.for_parameter(name, requirement, shown, function=function, hint=hint)
    return out


def flag(value: object, *, name: str, function: str) -> bool:
    """Return *value* if it is ``True`` or ``False`` (numpy bools too); refuse anything else.

    Examples
    --------
    >>> flag("no", name="higher_is_better", function="score_values")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'higher_is_better' parameter of score_values must be True ...
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise InputError.for_parameter(name, "True or False", value, function=function)


@overload
def choice(
    value: object,
    options: type[_E],
    *,
    name: str,
    function: str,
    among: Sequence[_E] | None = None,
) -> _E: ...


@overload
def choice(value: object, options: Sequence[str], *, name: str, function: str) -> str: ...


def choice(
    value: object,
    options: type[enum.Enum] | Sequence[str],
    *,
    name: str,
    function: str,
    among: Sequence[enum.Enum] | None = None,
) -> object:
    """Return the option *value* names: an enum member (by member or value) or one of the strings.

    With *among*, only those members of the enum are valid.

    Examples
    --------
    >>> choice("mean", ("total", "mean"), name="monetary", function="rfm_scores")
    'mean'
    >>> choice("fortnight", ("day", "week"), name="freq", function="f")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'freq' parameter of f must be one of 'day', 'week'. Got ...
    """
    if isinstance(options, type) and issubclass(options, enum.Enum):
        members = list(options) if among is None else list(among)
        if isinstance(value, options) and value in members:
            return value
        values = [m.value for m in members]
        for member in members:
            if type(value) is type(member.value) and value == member.value:
                return member
    else:
        values = list(options)
        if isinstance(value, str) and value in values:
            return value
    valid = ", ".join(repr(v) for v in values)
    text_values = [v for v in values if isinstance(v, str)]
    close = difflib.get_close_matches(value, text_values, n=1) if isinstance(value, str) else []
    hint = f"Did you mean {close[0]!r}?" if close else None
    raise InputError.for_parameter(name, f"one of {valid}", value, function=function, hint=hint)


@overload
def instance(value: object, kind: type[_T], *, name: str, function: str, what: str) -> _T: ...


@overload
def instance(
    value: object, kind: tuple[type[_T], ...], *, name: str, function: str, what: str
) -> _T: ...


def instance(
    value: object, kind: type[_T] | tuple[type[_T], ...], *, name: str, function: str, what: str
) -> _T:
    """Return *value* if it is a *kind* (or one of a tuple of kinds); else refuse it.

    The message names what was expected (*what*) and what was given.

    Examples
    --------
    >>> instance(3, int, name="n", function="f", what="an int")
    3
    >>> instance("3", int, name="n", function="f", what="an int")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'n' parameter of f must be an int. Got a str instead.
    """
    if isinstance(value, kind):
        return value
    article = "an" if _type_name(value)[:1].lower() in "aeiou" else "a"
    got = "None" if value is None else f"{article} {_type_name(value)}"
    raise InputError(
        f"The {name!r} parameter of {function} must be {what}. Got {got} instead.",
        field=name,
    )


def text(value: object, *, name: str, function: str, allow_empty: bool = False) -> str:
    """Return *value* if it is a str (non-blank unless *allow_empty*); refuse anything else.

    For names and labels given one at a time: a stage, an event, a model's
    name. Numbers are not names (``3`` is refused, not turned into ``"3"``).

    Examples
    --------
    >>> text("lead", name="initial", function="LifecycleModel")
    'lead'
    >>> text(" ", name="initial", function="LifecycleModel")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'initial' parameter of LifecycleModel must be a non-empty str. ...
    """
    requirement = "a str" if allow_empty else "a non-empty str"
    if isinstance(value, str) and (allow_empty or value.strip()):
        return str(value)
    raise InputError.for_parameter(name, requirement, value, function=function)


def identifier(value: object, *, name: str, function: str) -> int | str:
    """Return one id as an id column holds them: an int or a non-empty str.

    Bools, floats and blank strings are refused, as :func:`crmkit._input.as_ids`
    refuses them in a column.

    Examples
    --------
    >>> identifier("c-17", name="customer", function="CustomerState")
    'c-17'
    >>> identifier(1.0, name="customer", function="CustomerState")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'customer' parameter of CustomerState must be an int or a ...
    """
    if _is_int(value):
        return int(cast("int", value))
    if isinstance(value, str) and value.strip():
        return str(value)
    raise InputError.for_parameter(
        name, "an int or a non-empty str (one id)", value, function=function
    )


def names(
    value: object,
    *,
    name: str,
    function: str,
    allow_empty: bool = False,
    what: str = "names",
) -> tuple[str, ...]:
    """Return a sequence of distinct, non-empty strings as a tuple.

    A bare string is refused (it is one name, not a list of its letters), as are
    duplicates and non-strings.

    Examples
    --------
    >>> names(["lead", "won"], name="stages", function="transition_matrix")
    ('lead', 'won')
    >>> names(["lead", "lead"], name="stages", function="transition_matrix")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'stages' parameter of transition_matrix must be a sequence ...
    """
    requirement = f"a sequence of distinct {what}"
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        hint = f"Pass [{value!r}] for a single one." if isinstance(value, str) else None
        raise InputError.for_parameter(name, requirement, value, function=function, hint=hint)
    items = list(value)
    bad = [v for v in items if not isinstance(v, str) or not v]
    if bad:
        raise InputError.for_parameter(
            name, f"{requirement} (non-empty strings)", items, function=function
        )
    if not items and not allow_empty:
        raise InputError.for_parameter(
            name, f"a non-empty sequence of {what}", items, function=function
        )
    seen: dict[str, int] = {}
    for v in items:
        seen[v] = seen.get(v, 0) + 1
    repeated = [(k, c) for k, c in seen.items() if c > 1]
    if repeated:
        k, c = repeated[0]
        raise InputError.for_parameter(
            name, f"{requirement}; {k!r} appears {c} times", items, function=function
        )
    return tuple(items)


_SEED_REQUIREMENT: Final = "an int >= 0, a numpy.random.SeedSequence or a numpy.random.Generator"
_SEED_HINT: Final = (
    "Pass an int such as seed=42 for numbers that repeat; for fresh numbers on "
    "every call pass seed=numpy.random.default_rng(), which says so in the call."
)


def _check_seed(value: object, *, name: str, function: str) -> None:
    if isinstance(value, (np.random.SeedSequence, np.random.Generator)):
        return
    if _is_int(value) and int(cast("int", value)) >= 0:
        return
    raise InputError.for_parameter(
        name, _SEED_REQUIREMENT, value, function=function, hint=_SEED_HINT
    )


def as_seed_sequence(value: object, *, function: str, name: str = "seed") -> np.random.SeedSequence:
    """Return the ``SeedSequence`` a seed stands for (the one rule for every seeded function).

    An int >= 0 or a ``SeedSequence`` gives the same numbers on every call; a
    ``Generator`` is advanced (four 64-bit draws seed the sequence), so
    successive calls with one generator differ, reproducibly. ``None`` is
    refused: randomness is never drawn from the operating system behind the
    caller's back.

    Examples
    --------
    >>> as_seed_sequence(7, function="simulate_forecast").entropy
    7
    >>> as_seed_sequence(-1, function="simulate_forecast")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'seed' parameter of simulate_forecast must be an int >= 0, ...
    """
    _check_seed(value, name=name, function=function)
    if isinstance(value, np.random.SeedSequence):
        return value
    if isinstance(value, np.random.Generator):
        words = value.integers(0, 2**63, size=MAX_SEED_ENTROPY_WORDS, dtype=np.int64)
        return np.random.SeedSequence([int(w) for w in words])
    return np.random.SeedSequence(int(cast("int", value)))


def as_generator(value: object, *, function: str, name: str = "seed") -> np.random.Generator:
    """Return the ``Generator`` a seed stands for; a given ``Generator`` is used as is.

    Examples
    --------
    >>> float(as_generator(7, function="simulate_transactions").random()) == float(
    ...     as_generator(7, function="simulate_transactions").random()
    ... )
    True
    """
    _check_seed(value, name=name, function=function)
    if isinstance(value, np.random.Generator):
        return value
    return np.random.default_rng(value)  # type: ignore[arg-type]


def work_limit(size: int, *, limit: int, name: str, function: str, what: str) -> None:
    """Refuse work beyond a documented size before any of it is done.

    *size* is the amount of work the parameters ask for (simulations x deals,
    periods x stages, ...) and *what* says what it counts.

    Examples
    --------
    >>> work_limit(10**13, limit=10**11, name="n_simulations", function="f", what="deal draws")
    Traceback (most recent call last):
    ...
    crmkit.errors.InputError: The 'n_simulations' parameter of f asks for 10,000,000,000,000 ...
    """
    if size > limit:
        raise InputError(
            f"The {name!r} parameter of {function} asks for {size:,} {what}; "
            f"the limit is {limit:,}.",
            field=name,
            hint="Ask for less work, or split it into several calls.",
        )
