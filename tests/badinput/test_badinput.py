"""The generated bad-input suite: every public callable, every class of bad input.

Each case module (``cases_*.py``) lists :class:`~tests.badinput.core.Case`
values for its area and, in ``EXEMPT``, the public names it leaves out with the
reason. ``test_every_public_callable_has_a_case`` keeps the list complete: a
new public function without a case fails it.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import crmkit
from crmkit._results import Result
from tests.badinput.core import Case, call_quietly, check, nonfinite_fields, variants

HERE = Path(__file__).parent
MODULES = [
    importlib.import_module(f"tests.badinput.{m.name}")
    for m in pkgutil.iter_modules([str(HERE)])
    if m.name.startswith("cases_")
]
CASES: list[Case] = [case for module in MODULES for case in module.CASES]
EXEMPT: dict[str, str] = {name: why for module in MODULES for name, why in module.EXEMPT.items()}
VARIANTS = [v for case in CASES for v in variants(case)]

PUBLIC_MODULES = [
    "crmkit",
    *(f"crmkit.{n}" for n in crmkit.__all__ if inspect.ismodule(getattr(crmkit, n))),
]


def _public_callables() -> set[str]:
    """Public functions, value classes and their ``from_*`` constructors, by dotted name."""
    names: set[str] = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        if not hasattr(module, "__all__") or module_name == "crmkit.errors":
            continue
        prefix = module_name.removeprefix("crmkit").lstrip(".")
        prefix = f"{prefix}." if prefix else ""
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            if inspect.isfunction(obj):
                names.add(f"{prefix}{name}")
            elif inspect.isclass(obj) and not issubclass(obj, (enum.Enum, BaseException)):
                if not issubclass(obj, Result):
                    names.add(f"{prefix}{name}")
                for attr, value in vars(obj).items():
                    if attr.startswith(("from_", "next_")) and isinstance(value, classmethod):
                        names.add(f"{prefix}{name}.{attr}")
    return names


# areas whose cases are still being written: their callables are not yet all required here
# (none left: the suite walks the whole public API)
PENDING: set[str] = set()


def test_every_public_callable_has_a_case():
    covered = {case.name for case in CASES} | set(EXEMPT)
    required = {n for n in _public_callables() if n.split(".")[0] not in PENDING}
    missing = sorted(required - covered)
    assert not missing, (
        f"public callables without a bad-input case (or an EXEMPT reason): {missing}"
    )
    unknown = sorted(set(EXEMPT) - _public_callables())
    assert not unknown, f"exemptions for names that are not public callables: {unknown}"
    complete = {
        area
        for area in PENDING
        if all(n in covered for n in _public_callables() if n.split(".")[0] == area)
    }
    assert not complete, f"areas whose cases are complete must leave PENDING: {sorted(complete)}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_valid_call_succeeds_with_finite_output(case):
    result = call_quietly(case.call, case.build())
    assert not nonfinite_fields(result, case.nonfinite)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_bad_input_is_refused_by_name(variant):
    check(variant)
