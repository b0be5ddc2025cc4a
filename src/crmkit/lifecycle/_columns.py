"""Reading the lifecycle functions' columns from a frame or a mapping of arrays.

Keys of a mapping are crmkit field names; a key ``"context:<name>"`` is one
of the columns named by a ``context=`` parameter, and its errors name the
``context`` parameter. Every error shows the caller's column beside the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from crmkit._frames import check_column_names, is_frame, read_columns
from crmkit._input import check_same_length, to_array
from crmkit._results import Result
from crmkit.errors import InputError

__all__ = ["columns", "field_of", "nonempty_rows"]


def field_of(key: str) -> str:
    """Return the field a mapping key reports in errors (``"context:spend"`` -> ``"context"``)."""
    return key.partition(":")[0]


def columns(
    data: object, mapping: Mapping[str, str], *, function: str, data_name: str = "data"
) -> dict[str, npt.NDArray[Any]]:
    """Return ``{key: array}`` for *mapping* (key -> caller's column) from *data*.

    *data* is any frame narwhals reads, a mapping of column name -> array-like,
    or a crmkit result (its per-row table is used). The columns must have one
    length; the caller decides what an empty table means.
    """
    check_column_names({k: v for k, v in mapping.items() if ":" not in k}, function=function)
    if isinstance(data, Result):
        data = data.table()
    if isinstance(data, Mapping):
        missing = [(k, col) for k, col in mapping.items() if col not in data]
        if missing:
            key, col = missing[0]
            raise _missing(key, col, function, f"Available columns: {sorted(map(str, data))}.")
        out = {
            k: to_array(data[col], field=field_of(k), function=function)
            for k, col in mapping.items()
        }
    elif is_frame(data):
        try:
            out = read_columns(data, mapping, function=function)
        except InputError as err:
            if err.field is None or ":" not in err.field:
                raise
            raise _missing(err.field, mapping[err.field], function, err.hint) from None
    else:
        raise InputError(
            f"{function} cannot read a {type(data).__name__} as its {data_name!r} table.",
            field=data_name,
            hint="Pass a DataFrame or a dict of column name -> array.",
        )
    lengths = {field_of(k): int(np.shape(v)[0]) for k, v in out.items()}
    check_same_length(lengths, function=function)
    return out


def _missing(key: str, column: str, function: str, hint: str | None) -> InputError:
    field = field_of(key)
    what = f"The {field!r} column" if field == key else f"The column {column!r} named by {field!r}"
    return InputError(
        f"{what} of {function} was mapped to {column!r}, which the data does not have."
        if field == key
        else f"{what} of {function} is not in the data.",
        field=field,
        column=column,
        hint=hint,
    )


def nonempty_rows(n: int, *, function: str, data_name: str = "data") -> None:
    """Refuse an empty table: an estimate needs rows (the empty-input convention)."""
    if n == 0:
        raise InputError(
            f"{function} needs at least one row; got an empty {data_name!r} table.",
            field=data_name,
            hint="Check the filter that produced the data.",
        )
