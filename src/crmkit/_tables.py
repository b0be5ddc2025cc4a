"""Read a whole small table (every column) from a frame or a mapping of columns.

Some inputs are keyed by their column names rather than mapped one field at a
time: an activity-count table whose columns *are* the activity names, for
instance. This helper returns every column as a numpy array, using
:func:`crmkit._frames.read_columns` for frames so the frame boundary stays in
one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import narwhals.stable.v2 as nw

from crmkit._frames import is_frame, read_columns
from crmkit._input import check_same_length, to_array
from crmkit._results import Result
from crmkit.errors import InputError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["column_names", "read_mapped", "read_table"]


def column_names(frame: object) -> list[str]:
    """Return the column names of a frame narwhals understands."""
    return [str(c) for c in nw.from_native(cast("Any", frame)).columns]


def read_table(data: object, *, field: str, function: str) -> dict[str, npt.NDArray[Any]]:
    """Return every column of *data* (a DataFrame or a mapping of columns) as arrays.

    Parameters
    ----------
    data : DataFrame-like or mapping of str to array_like
        The table.
    field : str
        The parameter name, for error messages.
    function : str
        The public function asking, for error messages.

    Returns
    -------
    dict of str to ndarray
        Column name -> one-dimensional array, all of the same length.

    Raises
    ------
    InputError
        If *data* is neither a frame nor a mapping, or its columns differ in length.
    """
    if is_frame(data):
        names = column_names(data)
        return read_columns(data, {name: name for name in names}, function=function)
    if isinstance(data, Mapping):
        out = {str(k): to_array(v) for k, v in data.items()}
        check_same_length({k: v.shape[0] for k, v in out.items()}, function=function)
        return out
    raise InputError.for_parameter(
        field,
        "a DataFrame or a mapping of column name to values",
        type(data).__name__,
        function=function,
    )


def read_mapped(
    data: object, mapping: Mapping[str, str], *, field: str, function: str
) -> dict[str, npt.NDArray[Any]]:
    """Return ``{crmkit field: array}`` for *mapping* (field -> the caller's column) from *data*.

    Parameters
    ----------
    data : DataFrame-like, mapping of str to array_like, or Result
        A frame narwhals reads (only the mapped columns are materialised), a
        mapping of column name to values, or a crmkit result (its per-row table).
    mapping : mapping of str to str
        crmkit field name -> column name in *data*.
    field : str
        The parameter holding *data*, for error messages.
    function : str
        The public function asking, for error messages.

    Returns
    -------
    dict of str to ndarray
        One array per crmkit field, all of the same length.

    Raises
    ------
    InputError
        If *data* is not a table, lacks a mapped column, or its columns differ in length.

    Examples
    --------
    >>> cols = read_mapped({"cust": [1, 2]}, {"customer": "cust"}, field="data", function="f")
    >>> cols["customer"].tolist()
    [1, 2]
    """
    if isinstance(data, Result):
        data = data.table()
    if is_frame(data):
        out = read_columns(data, mapping, function=function)
    elif isinstance(data, Mapping):
        missing = [(f, col) for f, col in mapping.items() if col not in data]
        if missing:
            name, col = missing[0]
            raise InputError(
                f"The {field!r} table given to {function} has no column {col!r} "
                f"(for the {name!r} field).",
                field=name,
                hint=f"Available columns: {sorted(map(str, data))}; map the field with "
                f"{name}='<your column>'.",
            )
        out = {f: to_array(data[col]) for f, col in mapping.items()}
    else:
        raise InputError.for_parameter(
            field,
            "a DataFrame or a mapping of column name to values",
            type(data).__name__,
            function=function,
        )
    check_same_length({k: int(v.shape[0]) for k, v in out.items()}, function=function)
    return out
