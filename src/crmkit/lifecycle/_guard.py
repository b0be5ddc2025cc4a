"""Guard conditions: declarative comparisons of context values with thresholds."""

from __future__ import annotations

import enum
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs
import numpy as np

from crmkit._params import choice, instance, number, text
from crmkit.errors import InputError, ModelDefinitionError

__all__ = ["Comparison", "Condition", "exclusive", "nonempty"]

_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")


class Comparison(enum.StrEnum):
    """How a guard condition compares a context value with its threshold.

    Examples
    --------
    >>> Comparison(">=").name
    'GE'
    """

    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="


_OPS: Final[dict[Comparison, Callable[[Any, Any], Any]]] = {
    Comparison.GT: operator.gt,
    Comparison.GE: operator.ge,
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
    Comparison.EQ: operator.eq,
    Comparison.NE: operator.ne,
}


def nonempty(inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    """Check for a non-blank str, named as a parameter of the class being built."""
    text(value, name=attribute.name, function=type(inst).__name__)


def _comparison(value: object) -> Comparison:
    return choice(value, Comparison, name="op", function="Condition")


def _threshold(value: object) -> float:
    return number(value, name="value", function="Condition")


@attrs.frozen(kw_only=True)
class Condition:
    """One comparison of a numeric context value with a threshold: ``field op value``.

    Guards are conjunctions of conditions, so they stay declarative: they
    serialise to JSON, their overlap can be checked when a model is built, and
    they evaluate over whole arrays during a replay.

    Parameters
    ----------
    field : str
        Name of the context value, e.g. ``"spend_90d"``.
    op : Comparison
        The comparison (``">="``, ``"<"``, ...).
    value : float
        The threshold, finite.

    Raises
    ------
    InputError
        If *field* is not a non-empty str, *op* not a comparison or *value*
        not a finite number (each named as a parameter of ``Condition``).

    Examples
    --------
    A customer counts as engaged after five site visits:

    >>> c = Condition.parse("visits >= 5")
    >>> c.holds({"visits": 7.0}), str(c)
    (True, 'visits >= 5')
    """

    field: str = attrs.field(validator=nonempty)
    op: Comparison = attrs.field(converter=_comparison)
    value: float = attrs.field(converter=_threshold)

    def __str__(self) -> str:
        return f"{self.field} {self.op.value} {self.value:g}"

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Build a condition from text such as ``"spend_90d >= 500"``.

        Parameters
        ----------
        text : str
            ``<field> <op> <number>`` with op one of ``> >= < <= == !=``.

        Returns
        -------
        Condition
            The parsed condition.

        Raises
        ------
        InputError
            If *text* is not a str.
        ModelDefinitionError
            If the text does not have that form.

        Examples
        --------
        >>> Condition.parse("orders_12m < 2").op
        <Comparison.LT: '<'>
        """
        source = instance(text, str, name="text", function="Condition.parse", what="a str")
        match = _CONDITION.match(source)
        if match is None:
            raise ModelDefinitionError(
                f"Cannot read the guard condition {source!r}; expected '<field> <op> <number>' "
                "with op one of >, >=, <, <=, ==, !=.",
                field="guard",
            )
        field, op, threshold = match.groups()
        try:
            value = float(threshold)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ModelDefinitionError(
                f"The threshold of the guard condition {source!r} must be a finite number; "
                f"got {threshold!r}.",
                field="guard",
            )
        return cls(field=field, op=Comparison(op), value=value)

    def holds(self, context: Mapping[str, Any]) -> Any:  # noqa: ANN401
        """Evaluate the condition on a context (scalars or arrays of equal length).

        Parameters
        ----------
        context : mapping of str to float or ndarray
            Context values by field name; must contain :attr:`field`.

        Returns
        -------
        bool or ndarray of bool
            Whether the condition holds (element-wise for arrays).

        Raises
        ------
        InputError
            If the context lacks the field or its value is not a finite number
            (or an array of numbers).

        Examples
        --------
        >>> import numpy as np
        >>> Condition.parse("spend > 100").holds({"spend": np.array([50.0, 150.0])}).tolist()
        [False, True]
        """
        if self.field not in context:
            raise InputError(
                f"The guard condition '{self}' needs the context value {self.field!r}, "
                f"which is missing; the context has {sorted(context)}.",
                field=self.field,
                hint="Pass every value the guards use in `context`.",
            )
        value = context[self.field]
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "iuf":
                raise InputError(
                    f"The context value {self.field!r} read by the guard condition '{self}' "
                    f"must hold numbers; got dtype {value.dtype}.",
                    field=self.field,
                )
        else:
            value = number(value, name=self.field, function=f"the guard condition '{self}'")
        result = _OPS[self.op](value, self.value)
        if isinstance(result, np.ndarray):
            return result
        return bool(result)

    def interval(self) -> tuple[float, float, bool, bool] | None:
        """Return the allowed set as ``(low, high, low_closed, high_closed)``; None for ``!=``."""
        v = float(self.value)
        inf = math.inf
        match self.op:
            case Comparison.GT:
                return (v, inf, False, False)
            case Comparison.GE:
                return (v, inf, True, False)
            case Comparison.LT:
                return (-inf, v, False, False)
            case Comparison.LE:
                return (-inf, v, False, True)
            case Comparison.EQ:
                return (v, v, True, True)
            case _:
                return None


def exclusive(a: tuple[Condition, ...], b: tuple[Condition, ...]) -> bool:
    """Whether two conjunctions can never hold together (some field's intervals are disjoint)."""
    if not a or not b:
        return False
    fields = {c.field for c in a} & {c.field for c in b}
    for field in fields:
        lo, hi, lo_c, hi_c = -math.inf, math.inf, False, False
        for c in (*a, *b):
            if c.field != field:
                continue
            iv = c.interval()
            if iv is None:
                continue
            clo, chi, clo_c, chi_c = iv
            if clo > lo or (clo == lo and not clo_c):
                lo, lo_c = clo, clo_c
            if chi < hi or (chi == hi and not chi_c):
                hi, hi_c = chi, chi_c
        if lo > hi or (lo == hi and not (lo_c and hi_c)):
            return True
        if lo == hi:  # a single point: excluded by a != on it
            ne = [c for c in (*a, *b) if c.field == field and c.op is Comparison.NE]
            if any(float(c.value) == lo for c in ne):
                return True
    return False
