"""The bad-input suite's machinery: cases, the classes of bad input, and the oracle.

A :class:`Case` is one public callable with a valid call (fresh keyword
arguments on every build) and a declaration of what each argument is: a
scalar parameter of some :data:`Kind`, a table (a mapping of columns, each of
a :data:`ColumnKind`) or a single column. From that declaration the suite
derives every bad variant of the call (:func:`variants`): each class of bad
input the project refuses, applied to one argument at a time.

The oracle (:func:`check`): a variant either raises a ``crmkit.errors``
exception whose ``field`` names the argument (or the column) that was made
bad, or, for variants that may be valid (one row, a very large count),
returns a result whose numbers are all finite. Any other exception, any
warning other than crmkit's own, a NaN or an infinity in the result, or
success where failure was due, fails the test.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import attrs
import numpy as np

from crmkit.errors import CrmkitError, CrmkitWarning

Kind = Literal[
    "int",  # any int
    "count",  # an int >= 1 (or >= 0): also checked with a huge value
    "number",  # any finite number
    "positive",  # a number > 0 (or >= 0)
    "probability",  # a number in [0, 1]
    "flag",  # True or False
    "choice",  # one of a few strings
    "seed",  # int >= 0, SeedSequence or Generator
    "date",  # one date
    "names",  # a sequence of distinct names
    "text",  # a free, non-empty name (a label, a segment name)
    "frame_column",  # the name of a column of a table argument
    "value",  # an instance of a crmkit value class (a MarginRate, a process, a result)
    "numbers",  # a non-empty sequence of finite numbers (one per stage, ...)
]
ColumnKind = Literal[
    "id",
    "date",
    "amount",
    "number",
    "label",
    "zero_filled",  # a number >= 0 whose missing values are documented to read as 0
    "optional_date",  # a date whose missing values are documented to mean "unknown" (NaT)
    "flag",  # an outcome: booleans or the numbers 0 and 1
    "probability",  # a number in [0, 1]
    "optional_probability",  # a number in [0, 1] whose missing values have a documented meaning
]


@dataclass(frozen=True)
class Opt:
    """A parameter that also accepts None (so None is not a bad value for it)."""

    kind: Kind


@dataclass(frozen=True)
class Case:
    """One public callable, a valid call and what each of its arguments is."""

    name: str
    call: Callable[..., object]
    build: Callable[[], dict[str, Any]]
    params: Mapping[str, Kind | Opt] = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, ColumnKind]] = field(default_factory=dict)
    columns: Mapping[str, ColumnKind] = field(default_factory=dict)
    empty: Literal["error", "result"] = "error"
    nonfinite: frozenset[str] = frozenset()  # result fields documented to hold NaN/inf
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # other names a field has


@dataclass(frozen=True)
class Variant:
    """A call made bad in one way: which argument, which class of bad input."""

    case: Case
    label: str
    arg: str  # the argument or column made bad
    mutate: Callable[[dict[str, Any]], dict[str, Any]]
    must_fail: bool

    @property
    def id(self) -> str:
        return f"{self.case.name}[{self.arg}={self.label}]"


_NAN = float("nan")
_INF = float("inf")

# (label, bad value, must fail) per kind of scalar parameter
_WRONG_TYPE: list[tuple[str, object, bool]] = [("str", "3", True), ("bool", True, True)]
SCALARS: dict[str, list[tuple[str, object, bool]]] = {
    "int": [*_WRONG_TYPE, ("float", 1.5, True), ("none", None, True)],
    "count": [
        *_WRONG_TYPE,
        ("float", 1.5, True),
        ("none", None, True),
        ("negative", -1, True),
        ("huge", 10**12, False),
    ],
    "number": [*_WRONG_TYPE, ("nan", _NAN, True), ("inf", _INF, True), ("none", None, True)],
    "positive": [
        *_WRONG_TYPE,
        ("nan", _NAN, True),
        ("inf", _INF, True),
        ("none", None, True),
        ("negative", -1.0, True),
        ("huge", 1e300, False),
    ],
    "probability": [
        ("str", "0.5", True),
        ("bool", True, True),
        ("nan", _NAN, True),
        ("above", 1.5, True),
        ("below", -0.5, True),
        ("none", None, True),
    ],
    "flag": [("str", "no", True), ("int", 1, True), ("none", None, True)],
    "choice": [("unknown", "nonsense", True), ("int", 3, True), ("none", None, True)],
    "seed": [
        ("negative", -1, True),
        ("str", "x", True),
        ("float", 1.5, True),
        ("none", None, True),
    ],
    "date": [
        ("empty", "", True),
        ("nat", "NaT", True),
        ("iso_basic", "19970101", True),
        ("number", 20240105, True),
        ("far", "3000-01-01", True),
        ("invalid", "2024-13-01", True),
        ("list", ["2024-01-01"], True),
        ("none", None, True),
    ],
    "names": [("str", "abc", True), ("ints", [1, 2], True), ("duplicates", None, True)],
    "text": [("int", 3, True), ("empty", "", True), ("none", None, True)],
    "frame_column": [("missing", "no_such_column", True), ("int", 3, True)],
    "value": [("str", "3", True), ("float", 0.3, True), ("dict", {}, True), ("none", None, True)],
    "numbers": [
        ("str", "abc", True),
        ("scalar", 0.5, True),
        ("nan_item", _NAN, True),  # the valid sequence with this first item (see _set)
        ("text_item", "x", True),
        ("empty", [], True),
        ("none", None, True),
    ],
}
_FIRST_ITEM = frozenset({"nan_item", "text_item"})  # labels that replace the first item

# (label, how row 1 of the column is made bad, must fail) per kind of column
COLUMNS: dict[str, list[tuple[str, Callable[[list[Any]], list[Any]], bool]]] = {
    "id": [
        ("null", lambda c: _at(c, 1, None), True),
        ("empty_text", lambda c: _at(c, 1, ""), True),
        ("mixed_int_text", lambda c: _at(c, 1, _other_type(c[1])), True),
        ("nan", lambda c: _at(c, 1, _NAN), True),
        ("huge_float", lambda c: [2.0**63 + 2048.0 * i for i in range(len(c))], True),
        ("bool", lambda c: _at(c, 1, True), True),
    ],
    "date": [
        ("null", lambda c: _at(c, 1, None), True),
        ("empty_text", lambda c: _at(c, 1, ""), True),
        ("nat", lambda c: _at(c, 1, "NaT"), True),
        ("iso_basic", lambda c: ["19970101"] * len(c), True),
        ("far", lambda c: _at(c, 1, "3000-01-01"), True),
        ("number", lambda c: [20240105] * len(c), True),
    ],
    "amount": [
        ("nan", lambda c: _at(c, 1, _NAN), True),
        ("inf", lambda c: _at(c, 1, _INF), True),
        ("null", lambda c: _at(c, 1, None), True),
        ("text", lambda c: _at(c, 1, "€40.00"), True),
        ("bool", lambda c: _at(c, 1, True), True),
        ("overflow", lambda c: [1e308] * len(c), False),
    ],
    "number": [
        ("nan", lambda c: _at(c, 1, _NAN), True),
        ("inf", lambda c: _at(c, 1, _INF), True),
        ("null", lambda c: _at(c, 1, None), True),
        ("text", lambda c: _at(c, 1, "€40.00"), True),
    ],
    "label": [("null", lambda c: _at(c, 1, None), True)],
    "optional_date": [
        ("null", lambda c: _at(c, 1, None), False),
        ("empty_text", lambda c: _at(c, 1, ""), False),
        ("nat", lambda c: _at(c, 1, "NaT"), False),
        ("iso_basic", lambda c: ["19970101"] * len(c), True),
        ("far", lambda c: _at(c, 1, "3000-01-01"), True),
        ("number", lambda c: [20240105] * len(c), True),
        ("invalid", lambda c: _at(c, 1, "2024-13-01"), True),
    ],
    "flag": [
        ("null", lambda c: _at(c, 1, None), True),
        ("text", lambda c: ["yes", "no"] * (len(c) // 2) + ["yes"] * (len(c) % 2), True),
        ("number", lambda c: _at(c, 1, 2), True),
        ("nan", lambda c: _at(c, 1, _NAN), True),
    ],
    "probability": [
        ("nan", lambda c: _at(c, 1, _NAN), True),
        ("null", lambda c: _at(c, 1, None), True),
        ("above", lambda c: _at(c, 1, 1.5), True),
        ("negative", lambda c: _at(c, 1, -0.1), True),
        ("text", lambda c: _at(c, 1, "40%"), True),
        ("bool", lambda c: _at(c, 1, True), True),
    ],
    "optional_probability": [
        ("nan", lambda c: _at(c, 1, _NAN), False),
        ("null", lambda c: _at(c, 1, None), False),
        ("inf", lambda c: _at(c, 1, _INF), True),
        ("above", lambda c: _at(c, 1, 40.0), True),
        ("negative", lambda c: _at(c, 1, -0.1), True),
        ("text", lambda c: _at(c, 1, "40%"), True),
        ("bool", lambda c: _at(c, 1, True), True),
    ],
    "zero_filled": [
        ("nan", lambda c: _at(c, 1, _NAN), False),
        ("null", lambda c: _at(c, 1, None), False),
        ("inf", lambda c: _at(c, 1, _INF), True),
        ("text", lambda c: _at(c, 1, "€40.00"), True),
        ("negative", lambda c: _at(c, 1, -1), True),
        ("bool", lambda c: _at(c, 1, True), True),
        ("overflow", lambda c: [1e308] * len(c), False),
    ],
}


def _at(column: list[Any], row: int, value: object) -> list[Any]:
    out = list(column)
    out[row] = value
    return out


def _other_type(value: object) -> object:
    return "1" if isinstance(value, (int, np.integer)) else 1


def _as_list(values: object) -> list[Any]:
    if isinstance(values, np.ndarray):
        return values.tolist() if values.dtype.kind != "M" else [str(v) for v in values]
    return list(values)  # type: ignore[call-overload]


def variants(case: Case) -> Iterator[Variant]:
    """Every bad variant of *case*'s valid call."""
    for name, declared in case.params.items():
        optional = isinstance(declared, Opt)
        kind = declared.kind if isinstance(declared, Opt) else declared
        for label, value, must_fail in SCALARS[kind]:
            if optional and value is None:
                continue
            yield Variant(case, label, name, _set(name, value, label), must_fail)
    for name, kinds in case.tables.items():
        yield Variant(case, "empty", name, _empty_table(name), case.empty == "error")
        yield Variant(case, "one_row", name, _one_row(name), must_fail=False)
        yield Variant(case, "read_only", name, _read_only(name), must_fail=False)
        for column, kind in kinds.items():
            for label, bad, must_fail in COLUMNS[kind]:
                yield Variant(case, label, column, _bad_column(name, column, bad), must_fail)
    for name, kind in case.columns.items():
        yield Variant(case, "empty", name, _set(name, [], "empty"), case.empty == "error")
        for label, bad, must_fail in COLUMNS[kind]:
            yield Variant(case, label, name, _bad_array(name, bad), must_fail)


def _set(name: str, value: object, label: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(kwargs: dict[str, Any]) -> dict[str, Any]:
        bad = value
        if label == "duplicates":
            good = list(kwargs[name])
            bad = [good[0], *good]
        elif label in _FIRST_ITEM:
            good = list(kwargs[name])
            bad = [value, *good[1:]]
        return {**kwargs, name: bad}

    return mutate


def _empty_table(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, name: {col: [] for col in kwargs[name]}}

    return mutate


def _one_row(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, name: {col: _as_list(v)[:1] for col, v in kwargs[name].items()}}

    return mutate


def _read_only(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(kwargs: dict[str, Any]) -> dict[str, Any]:
        table = {}
        for col, values in kwargs[name].items():
            arr = np.array(values)
            arr.flags.writeable = False
            table[col] = arr
        return {**kwargs, name: table}

    return mutate


def _bad_column(
    name: str, column: str, bad: Callable[[list[Any]], list[Any]]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(kwargs: dict[str, Any]) -> dict[str, Any]:
        table = dict(kwargs[name])
        table[column] = bad(_as_list(table[column]))
        return {**kwargs, name: table}

    return mutate


def _bad_array(
    name: str, bad: Callable[[list[Any]], list[Any]]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, name: bad(_as_list(kwargs[name]))}

    return mutate


# --------------------------------------------------------------------------- the oracle


def call_quietly(fn: Callable[..., object], kwargs: dict[str, Any]) -> object:
    """Call *fn*; crmkit's own warnings (e.g. ConvergenceWarning) are allowed, no other."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=CrmkitWarning)
        return fn(**kwargs)


def nonfinite_fields(result: object, allowed: frozenset[str], depth: int = 0) -> list[str]:
    """Names of the result's numeric fields holding NaN or infinity (none if all finite)."""
    out: list[str] = []
    if depth > 3:
        return out
    if attrs.has(type(result)):
        items = [(f.name, getattr(result, f.name)) for f in attrs.fields(type(result))]
    elif isinstance(result, Mapping):
        items = [(str(k), v) for k, v in result.items()]
    elif isinstance(result, tuple):
        items = [(str(i), v) for i, v in enumerate(result)]
    else:
        return _scalar_bad("value", result, allowed)
    for name, value in items:
        if name in allowed:
            continue
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "fc" and not np.isfinite(value).all():
                out.append(name)
        elif isinstance(value, float | np.floating):
            out.extend(_scalar_bad(name, value, allowed))
        elif attrs.has(type(value)) or isinstance(value, Mapping | tuple):
            out.extend(f"{name}.{n}" for n in nonfinite_fields(value, allowed, depth + 1))
    return out


def _scalar_bad(name: str, value: object, allowed: frozenset[str]) -> list[str]:
    if name in allowed:
        return []
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return [name]
    return []


def check(variant: Variant) -> None:
    """Assert the oracle for one bad variant (see the module docstring)."""
    case = variant.case
    kwargs = variant.mutate(case.build())
    expected = {variant.arg, *case.fields.get(variant.arg, ())}
    try:
        result = call_quietly(case.call, kwargs)
    except CrmkitError as err:
        refused = err
    else:
        refused = None
    if refused is not None:
        got = getattr(refused, "field", None)
        assert got in expected, (
            f"{variant.id}: raised {type(refused).__name__} naming field {got!r}, "
            f"expected one of {sorted(expected)}: {refused}"
        )
        assert str(refused).strip(), f"{variant.id}: empty message"
        return
    assert not variant.must_fail, f"{variant.id}: accepted bad input, returned {result!r:.200}"
    bad = nonfinite_fields(result, case.nonfinite)
    assert not bad, f"{variant.id}: NaN or inf in {bad} for finite valid input"
