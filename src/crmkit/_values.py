"""Raw values to one-dimensional numpy arrays, and the standard bad-rows error.

The lowest layer of the boundary, shared by :mod:`crmkit._input` (ids, amounts,
numbers) and :mod:`crmkit._dates` (timestamps).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit.errors import InputError

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw

__all__ = [
    "SHOWN",
    "EngineRule",
    "as_readonly",
    "bad_rows_error",
    "column_name",
    "is_null",
    "to_array",
]

SHOWN: Final = 5
"""How many offending positions and values an error shows."""

_G = TypeVar("_G", bound=np.generic)


@attrs.frozen(kw_only=True)
class EngineRule:
    """One boundary rule as a narwhals expression, for checking rows inside a lazy engine.

    The rules are written next to the numpy checks they mirror (``id_rules``
    and ``amount_rules`` in :mod:`crmkit._input`, ``datetime_rules`` in
    :mod:`crmkit._dates`) and share their requirement and hint texts, so the
    error a lazy table gets names the same rule as the one an array gets.

    Attributes
    ----------
    requirement : str
        What valid rows satisfy, as in the numpy error (``"must not be null"``).
    bad : narwhals Expr or None
        True on an offending row (a row rule).
    total : narwhals Expr or None
        A whole-column aggregate that is true when the column breaks the rule
        (a table rule, such as magnitudes summing past float64's range); the
        error then shows the rows with the largest ``shown_by``.
    shown_by : narwhals Expr or None
        For a table rule: which rows to show (largest first).
    hint : str or None
        How to fix it.
    per_value : bool
        The rule depends on the value alone (a blank id), so it is checked on
        the distinct values a push-down collects anyway, by the numpy check;
        the engine counts the offending rows only when a value fails. This
        spares a string operation over every row.
    """

    requirement: str
    bad: nw.Expr | None = None
    total: nw.Expr | None = None
    shown_by: nw.Expr | None = None
    hint: str | None = None
    per_value: bool = False


def as_readonly(array: npt.NDArray[_G]) -> npt.NDArray[_G]:
    """Return a read-only view, so results cannot be changed behind crmkit's back."""
    view = array.view()
    view.flags.writeable = False
    return view


def to_array(
    values: object, *, field: str | None = None, function: str | None = None
) -> npt.NDArray[Any]:
    """Return *values* as a numpy array without converting what is already one.

    Sequences and iterables become an object array first, then the natural
    dtype of their Python scalars (see :func:`_tighten`); array-likes (pandas,
    polars, pyarrow arrays) go through ``numpy.asarray``.
    """
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        where = f"The {field!r} column of {function}" if field and function else "crmkit"
        raise InputError(
            f"{where} expects a sequence or array of values; got a {type(values).__name__}.",
            field=field,
            hint="Pass one value per row, e.g. a list, a numpy array or a frame column.",
        )
    if hasattr(values, "__array__"):
        arr = np.asarray(values)
        return _tighten(arr) if arr.dtype == object else arr
    seq = values if isinstance(values, Sequence) else list(values)
    # dtype=object keeps mixed Python values (datetimes, None) untouched
    arr = np.empty(len(seq), dtype=object)
    try:
        arr[:] = seq
    except ValueError:
        where = f"The {field!r} column of {function}" if field and function else "A column"
        raise InputError(
            f"{where} must be one-dimensional: one value per row, not nested sequences.",
            field=field,
        ) from None
    return _tighten(arr)


def _tighten(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Give an object array of homogeneous Python scalars its natural dtype.

    Only exact types are tightened: bools stay bools (never ints), a mix of
    ints and strings stays an object array for the caller to refuse, and ints
    beyond int64 stay Python ints.
    """
    if arr.dtype != object or arr.size == 0:
        return arr
    kinds = {type(v) for v in arr.tolist()}
    if kinds == {int}:
        try:
            return arr.astype(np.int64)
        except OverflowError:
            return arr
    if kinds <= {float, int} and float in kinds:
        return arr.astype(np.float64)
    if kinds == {str}:
        return arr.astype(str)
    if kinds == {bool}:
        return arr.astype(np.bool_)
    return arr


def column_name(field: str, column: str | None) -> str:
    """Return how a message names a column: ``'timestamp'``, or ``'timestamp' ('order_date')``."""
    if column is None or column == field:
        return repr(field)
    return f"{field!r} ({column!r})"


def is_null(value: object) -> bool:
    """Whether one value is missing: None, NaN, NaT or pandas.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT  # noqa: PLR0124
    except (TypeError, ValueError):  # pandas.NA refuses bool(); it is null
        return True


def bad_rows_error(
    mask: npt.NDArray[np.bool_],
    arr: npt.NDArray[Any],
    *,
    field: str,
    requirement: str,
    function: str,
    hint: str | None = None,
    as_text: bool = False,
    column: str | None = None,
) -> InputError:
    """Build the standard error for the rows of *arr* flagged by *mask*."""
    positions = np.flatnonzero(mask)
    first = positions[:SHOWN]
    values: list[object] = [arr[p] for p in first]
    shown = [str(v) for v in values] if as_text else values
    return InputError.for_rows(
        field,
        requirement,
        positions=first.tolist(),
        values=shown,
        n_bad=int(positions.size),
        function=function,
        hint=hint,
        column=column,
    )
