"""Stage entries (customer, stage, entered at) from a change log, a replay or a table.

The time-in-stage, time-between-stages and panel functions all start from the
same rows; this module reads them once, the same way, and rejects entries
that lie beyond ``as_of``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from crmkit._input import as_datetime, as_ids
from crmkit.errors import InputError
from crmkit.lifecycle._columns import columns
from crmkit.lifecycle._replay import Replay, StageLog

__all__ = ["reject_after_as_of", "stage_entries"]

Entries = tuple[npt.NDArray[Any], npt.NDArray[np.str_], npt.NDArray[np.datetime64]]


def stage_entries(
    data: object, *, customer: str, stage: str, timestamp: str, function: str
) -> Entries:
    """Return ids, stage names and entry times from a StageLog, a Replay's changes or a table."""
    if isinstance(data, (Replay, StageLog)):
        log = data.changes if isinstance(data, Replay) else data
        return log.customer, np.array(log.stages, dtype=str)[log.target_code], log.at
    cols = columns(
        data, {"customer": customer, "stage": stage, "timestamp": timestamp}, function=function
    )
    ids = as_ids(cols["customer"], field=customer, function=function)
    names = as_ids(cols["stage"], field=stage, function=function).astype(str)
    times = as_datetime(cols["timestamp"], field=timestamp, function=function).values
    return ids, names, times


def reject_after_as_of(
    times: npt.NDArray[np.datetime64],
    end: np.datetime64,
    *,
    field: str,
    function: str,
    allow_equal: bool,
) -> None:
    """Raise InputError naming every entry after ``as_of`` (or at it, unless *allow_equal*)."""
    late = times > end if allow_equal else times >= end
    if late.any():
        pos = np.flatnonzero(late)
        requirement = (
            f"must not be after as_of ({end})" if allow_equal else f"must be before as_of ({end})"
        )
        raise InputError.for_rows(
            field,
            requirement,
            positions=pos[:5].tolist(),
            values=[str(v) for v in times[pos[:5]]],
            n_bad=int(pos.size),
            function=function,
        )
