"""Stage entries (customer, stage, entered at) from a change log, a replay or a table.

The time-in-stage, time-between-stages and panel functions all start from the
same rows; this module reads them once, the same way, and cuts them at
``as_of`` the way every crmkit function does: entries at or after it are
excluded and counted, never an error.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_datetime, as_ids
from crmkit.errors import InputError
from crmkit.lifecycle._columns import columns, nonempty_rows
from crmkit.lifecycle._replay import Replay, StageLog

__all__ = ["Entries", "stage_entries"]


@attrs.frozen(kw_only=True)
class Entries:
    """Stage entries before ``as_of``, and how many were at or after it."""

    customer: npt.NDArray[Any]
    stage: npt.NDArray[np.str_]
    at: npt.NDArray[np.datetime64]
    n_after: int


def stage_entries(
    data: object,
    *,
    customer: str,
    stage: str,
    timestamp: str,
    date_format: str | None,
    end: np.datetime64,
    function: str,
    replay_starts: bool = False,
) -> Entries:
    """Return the entries of a StageLog, a Replay or a table that lie before *end*.

    A :class:`Replay` gives its changes, and with *replay_starts* also each
    customer's start (in the stage the replay started from). Empty input, and
    input with no entry before *end*, are refused.
    """
    if isinstance(data, (Replay, StageLog)):
        if isinstance(data, Replay) and replay_starts:
            ids, names, times = _replay_entries(data)
        else:
            log = data.changes if isinstance(data, Replay) else data
            ids = log.customer
            names = np.array(log.stages, dtype=str)[log.target_code]
            times = log.at
    else:
        cols = columns(
            data, {"customer": customer, "stage": stage, "timestamp": timestamp}, function=function
        )
        ids = as_ids(cols["customer"], field="customer", function=function, column=customer)
        names = as_ids(cols["stage"], field="stage", function=function, column=stage).astype(str)
        times = as_datetime(
            cols["timestamp"],
            field="timestamp",
            function=function,
            column=timestamp,
            date_format=date_format,
        ).values
    nonempty_rows(ids.shape[0], function=function)
    keep = times < end
    n_after = int(keep.size - np.count_nonzero(keep))
    if n_after == keep.size:
        raise InputError.for_parameter(
            "as_of",
            f"after the first entry ({times.min()})",
            str(end),
            function=function,
            hint="Every entry is at or after as_of, so nothing is observed.",
        )
    if n_after:
        ids, names, times = ids[keep], names[keep], times[keep]
    return Entries(customer=ids, stage=names, at=times, n_after=n_after)


def _replay_entries(
    r: Replay,
) -> tuple[npt.NDArray[Any], npt.NDArray[np.str_], npt.NDArray[np.datetime64]]:
    """Stage entries of a replay: each customer's start (in its first stage) and every change."""
    log = r.changes
    names = np.array(log.stages, dtype=str)
    first_source = r.stage.copy()
    if len(log):
        head = np.ones(len(log), dtype=bool)
        head[1:] = log.customer[1:] != log.customer[:-1]
        where = np.searchsorted(r.customer, log.customer[head])
        first_source[where] = names[log.source_code[head]]
    ids = np.concatenate([r.customer, log.customer])
    stages = np.concatenate([first_source, names[log.target_code]])
    times = np.concatenate([r.started_at, log.at])
    return ids, stages, times
