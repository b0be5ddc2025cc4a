"""Reading the lifecycle functions' columns from a frame or a mapping of arrays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from crmkit._frames import is_frame, read_columns
from crmkit._input import check_same_length, to_array
from crmkit._results import Result
from crmkit.errors import InputError

__all__ = ["columns"]


def columns(
    data: object, mapping: Mapping[str, str], *, function: str
) -> dict[str, npt.NDArray[Any]]:
    """Return ``{field: array}`` for *mapping* (field -> caller's column) from *data*.

    *data* is any frame narwhals reads, a mapping of column name -> array-like,
    or a crmkit result (its per-row table is used).
    """
    if isinstance(data, Result):
        data = data.table()
    if isinstance(data, Mapping):
        missing = [col for col in mapping.values() if col not in data]
        if missing:
            raise InputError(
                f"The data given to {function} has no column {missing[0]!r}.",
                field=missing[0],
                hint=f"Available columns: {sorted(map(str, data))}.",
            )
        out = {field: to_array(data[col]) for field, col in mapping.items()}
    elif is_frame(data):
        out = read_columns(data, mapping, function=function)
    else:
        raise InputError(
            f"{function} cannot read a {type(data).__name__}.",
            field="data",
            hint="Pass a DataFrame or a dict of column name -> array.",
        )
    check_same_length({k: int(np.shape(v)[0]) for k, v in out.items()}, function=function)
    return out
