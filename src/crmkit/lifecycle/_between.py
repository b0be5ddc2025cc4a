"""Time from one stage to another for every customer, from stage histories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import DATETIME_DTYPE, as_readonly, check_date_format, scalar_datetime
from crmkit._params import text
from crmkit._results import Kind, Result
from crmkit._survival import km_median
from crmkit.errors import InputError
from crmkit.lifecycle._entries import stage_entries
from crmkit.lifecycle._replay import Replay, StageLog

__all__ = ["TimeBetweenStages", "time_between_stages"]

_US_PER_DAY: Final = 86_400_000_000
_NAT: Final = np.iinfo(np.int64).min


@attrs.frozen(kw_only=True, repr=False)
class TimeBetweenStages(Result):
    """Per customer who entered the source stage: when, whether and when they reached the target.

    Attributes
    ----------
    customer : ndarray, shape (m,)
        Customers who entered ``source`` at least once.
    source_at : ndarray of datetime64[us], shape (m,)
        First entry into ``source``.
    target_at : ndarray of datetime64[us], shape (m,)
        First entry into ``target`` after that (in log order; NaT if not reached).
    days : ndarray of float64, shape (m,)
        Days from ``source_at`` to ``target_at``, or to ``as_of`` when the
        target was not reached (a censored observation).
    reached : ndarray of bool, shape (m,)
        Whether the target was reached by ``as_of``.
    source, target : str
        The two stages.
    n_reached : int
        Customers who reached the target.
    median_days : float
        Kaplan-Meier median of ``days`` with the unreached as censored: NaN
        exactly when fewer than half are known to reach the target (then
        ``n_reached`` is below half the customers), or when no customer of a
        replay has entered *source* yet.
    as_of : numpy.datetime64
        End of observation, exclusive.
    n_rows_after_as_of : int
        Stage entries at or after ``as_of`` (excluded).

    Examples
    --------
    >>> t = time_between_stages(
    ...     {
    ...         "customer": [1, 1, 2],
    ...         "stage": ["lead", "customer", "lead"],
    ...         "timestamp": ["2024-01-01", "2024-01-11", "2024-01-05"],
    ...     },
    ...     source="lead",
    ...     target="customer",
    ...     as_of="2024-01-31",
    ... )
    >>> t.days.tolist(), t.reached.tolist()
    ([10.0, 26.0], [True, False])
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "source_at", "target_at", "days", "reached")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "days": "number",
        "median_days": "number",
    }

    customer: npt.NDArray[Any]
    source_at: npt.NDArray[np.datetime64]
    target_at: npt.NDArray[np.datetime64]
    days: npt.NDArray[np.float64]
    reached: npt.NDArray[np.bool_]
    source: str
    target: str
    n_reached: int
    median_days: float
    as_of: np.datetime64
    n_rows_after_as_of: int


def _first_per_customer(
    codes: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_], k: int, times: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """First masked value per customer (rows sorted by customer then time); NaT if none."""
    out = np.full(k, _NAT, dtype=np.int64)
    c = codes[mask]
    if c.size:
        head = np.ones(c.size, dtype=bool)
        head[1:] = c[1:] != c[:-1]
        out[c[head]] = times[mask][head]
    return out


def time_between_stages(
    data: object,
    *,
    source: str,
    target: str,
    as_of: object,
    customer: str = "customer",
    stage: str = "stage",
    timestamp: str = "timestamp",
    date_format: str | None = None,
) -> TimeBetweenStages:
    """Time from a customer's first entry into *source* to their first entry into *target*.

    Parameters
    ----------
    data : Replay, StageLog, DataFrame-like or mapping of arrays
        Rows "customer entered stage at timestamp". A :class:`Replay` also
        contributes each customer's start (its ``started_at``, in the stage
        the replay started from); a :class:`StageLog` only its changes.
    source, target : str
        The two stages, e.g. ``"interested"`` and ``"customer"``. From a
        replay, both must be stages of its model; in a table, some customer
        must have entered *source*.
    as_of : date, datetime, ISO string or numpy.datetime64
        End of observation, exclusive: customers who have not reached
        *target* are censored here; entries at or after it are excluded and
        counted.
    customer, stage, timestamp : str
        Column names (tables only).
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (tables only).

    Returns
    -------
    TimeBetweenStages
        One row per customer who entered *source*, and the Kaplan-Meier
        median time to *target*.

    Raises
    ------
    InputError
        On empty data, null ids, bad timestamps, no entry before ``as_of``, a
        stage that is not a non-empty str, a stage the replayed model does
        not have, or a *source* no customer of a table entered.

    Notes
    -----
    Only the first entry into *source* counts, and the first entry into
    *target* at or after it; the median treats customers still on their way
    as censored (Kaplan & Meier, 1958), so slow converters are not ignored.

    Examples
    --------
    Days from first interest to first purchase, replayed from an event log:

    >>> from crmkit.lifecycle import prospect_lifecycle, replay
    >>> log = {
    ...     "customer": ["a", "a", "b", "b", "c"],
    ...     "event": ["show_interest", "purchase", "show_interest", "purchase", "show_interest"],
    ...     "timestamp": ["2024-01-01", "2024-01-08", "2024-01-02", "2024-01-22", "2024-01-10"],
    ... }
    >>> r = replay(prospect_lifecycle(), log)
    >>> t = time_between_stages(r, source="interested", target="customer", as_of="2024-02-01")
    >>> t.days.tolist(), t.n_reached, t.median_days
    ([7.0, 20.0, 22.0], 2, 20.0)
    """
    function = "time_between_stages"
    source = text(source, name="source", function=function)
    target = text(target, name="target", function=function)
    end = scalar_datetime(as_of, field="as_of", function=function)
    entries = stage_entries(
        data,
        customer=customer,
        stage=stage,
        timestamp=timestamp,
        date_format=check_date_format(date_format, function=function),
        end=end,
        function=function,
        replay_starts=True,
    )
    ids, names, times = entries.customer, entries.stage, entries.at
    if isinstance(data, (Replay, StageLog)):
        known = (data.changes if isinstance(data, Replay) else data).stages
        for name, value in (("source", source), ("target", target)):
            if value not in known:
                raise InputError.for_parameter(
                    name, f"a stage of the replayed model {list(known)}", value, function=function
                )
    elif not (names == source).any():
        raise InputError.for_parameter(
            "source",
            f"a stage some customer entered before as_of; the data's stages are "
            f"{sorted(set(names.tolist()))}",
            source,
            function=function,
        )
    fac = factorize(ids)
    t = times.view(np.int64)
    order = np.lexsort((np.arange(t.size), t, fac.codes))
    c = fac.codes[order]
    st = t[order]
    sn = names[order]
    k = fac.n_groups
    row = np.arange(c.size, dtype=np.int64)
    src_row = _first_per_customer(c, sn == source, k, row)
    started = src_row != _NAT
    src = np.full(k, _NAT, dtype=np.int64)
    src[started] = st[src_row[started]]
    # "after" in log order (time, then row): an entry at the same instant but earlier
    # in the log does not count
    after = (sn == target) & (row >= np.where(started, src_row, np.iinfo(np.int64).max)[c])
    tgt = _first_per_customer(c, after, k, st)
    reached = tgt != _NAT
    end_i = int(end.astype(np.int64))
    stop = np.where(reached, tgt, end_i)
    days = (stop - src).astype(np.float64) / _US_PER_DAY
    keep = np.flatnonzero(started)
    kept_days = days[keep]
    kept_reached = reached[keep]
    median = (
        float(km_median(np.zeros(keep.size, dtype=np.int64), kept_days, kept_reached, 1)[0])
        if keep.size
        else float("nan")  # a replayed source stage nobody has entered yet
    )
    return TimeBetweenStages(
        customer=as_readonly(fac.uniques[keep]),
        source_at=as_readonly(src[keep].view(DATETIME_DTYPE)),
        target_at=as_readonly(tgt[keep].view(DATETIME_DTYPE)),
        days=as_readonly(kept_days),
        reached=as_readonly(kept_reached),
        source=source,
        target=target,
        n_reached=int(kept_reached.sum()),
        median_days=median,
        as_of=end,
        n_rows_after_as_of=entries.n_after,
    )
