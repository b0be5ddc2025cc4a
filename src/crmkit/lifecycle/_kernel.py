"""The replay kernel: event codes, grouping rows by customer, and the rank-by-rank scan."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_ids
from crmkit.errors import InputError
from crmkit.lifecycle._model import LifecycleModel

__all__ = ["Guard", "event_codes", "fired_guards", "group_order", "scan"]

_FUNCTION: Final = "replay"
_NOT_ALLOWED: Final = -1
_GUARDED: Final = -2
_SCAN_EVENTS: Final = 24  # up to this many events, match names by comparison, not hashing

IntArray = npt.NDArray[np.int64]
SmallArray = npt.NDArray[np.int16]  # stage and event codes (models have < 32768 of each)


def event_codes(model: LifecycleModel, events: npt.NDArray[Any], *, column: str) -> SmallArray:
    """Event codes (positions in ``model.events``); unknown or missing names are refused."""
    field = "event"
    # text columns need no id checks: an empty or unknown name is reported below
    names = (
        events
        if events.dtype.kind == "U" and events.ndim == 1
        else as_ids(events, field=field, function=_FUNCTION, column=column).astype(str, copy=False)
    )
    known = model.events
    if len(known) <= _SCAN_EVENTS:
        codes = np.full(names.shape[0], -1, dtype=np.int16)
        for i, name in enumerate(known):
            codes[names == name] = i
    else:
        fac = factorize(names)
        lookup = {e: i for i, e in enumerate(known)}
        mapped = np.array([lookup.get(str(u), -1) for u in fac.uniques], dtype=np.int16)
        codes = mapped[fac.codes]
    if codes.size and int(codes.min()) < 0:
        bad = np.flatnonzero(codes < 0)
        raise InputError.for_rows(
            field,
            f"must hold events of the model {model.name!r}",
            positions=bad[:5].tolist(),
            values=names[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=_FUNCTION,
            hint=f"Known events: {list(known)}.",
            column=column,
        )
    return codes


def group_order(codes: IntArray, times: npt.NDArray[np.int64]) -> IntArray:
    """Row order grouping rows by customer code, by time then position within a customer.

    Sorting the packed key ``code * n + position`` with ``np.sort`` (and taking
    it modulo n) is a stable sort by code several times faster than
    ``np.argsort``; an unsorted log is first put in stable time order.
    """
    n = codes.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n > 1 and not bool((times[1:] >= times[:-1]).all()):
        same = codes[1:] == codes[:-1]
        if bool((codes[1:] >= codes[:-1]).all()) and bool((times[1:] >= times[:-1])[same].all()):
            return np.arange(n, dtype=np.int64)  # already grouped and time-ordered
        by_time: IntArray = np.argsort(times, kind="stable").astype(np.int64, copy=False)
        key = codes[by_time] * np.int64(n)
        key += np.arange(n, dtype=np.int64)
        key.sort()
        key %= n
        grouped: IntArray = by_time[key]
        return grouped
    key = codes * np.int64(n)
    key += np.arange(n, dtype=np.int64)
    key.sort()
    key %= n
    return key


Guard = tuple[int, npt.NDArray[np.bool_], int, npt.NDArray[np.bool_]]


def scan(
    *,
    table: IntArray,
    terminal: npt.NDArray[np.bool_],
    guarded: list[Guard],
    stage0: IntArray,
    counts: IntArray,
    starts: IntArray,
    by_count: IntArray,
    s_codes: IntArray,
    s_ev: SmallArray,
    early: npt.NDArray[np.bool_] | None,
) -> tuple[SmallArray, npt.NDArray[np.int8], SmallArray]:
    """Resolve every event; rows are grouped by customer and time-ordered (sorted order).

    The k-th events of all customers are laid out contiguously (rank-major:
    customers ordered by event count, descending, so the customers with a
    k-th event are a prefix), and resolved together with two lookups into
    small (stage, event) tables: the stage after the event (the same stage
    when it is rejected) and the reason code (0 applied, i + 1 for
    ``_REASONS[i]``). Returns the stage after each event and the reason code
    per sorted row, and the final stage per customer in ``by_count`` order.
    """
    n = s_codes.size
    k = counts.size
    n_stages, n_events = table.shape
    stay = np.repeat(np.arange(n_stages, dtype=np.int16)[:, None], n_events, axis=1)
    after = np.where(table >= 0, table, stay).astype(np.int16).ravel()
    why_table = np.zeros(table.shape, dtype=np.int8)
    why_table[table == _NOT_ALLOWED] = 1
    why_table[(table == _NOT_ALLOWED) & terminal[:, None]] = 2
    why_table[table == _GUARDED] = 3
    why_flat = why_table.ravel()
    c_counts = counts[by_count]
    max_len = int(c_counts[0]) if k else 0
    n_active = np.searchsorted(-c_counts, -np.arange(max_len), side="left")
    offsets = np.zeros(max_len + 1, dtype=np.int64)
    np.cumsum(n_active, out=offsets[1:])
    position = np.empty(k, dtype=np.int64)
    position[by_count] = np.arange(k, dtype=np.int64)
    slot = np.arange(n, dtype=np.int64)
    slot -= starts[s_codes]
    slot = offsets[slot]
    slot += position[s_codes]
    rm_ev = np.empty(n, dtype=np.int16)
    rm_ev[slot] = s_ev
    rm_early = None
    if early is not None:
        rm_early = np.empty(n, dtype=bool)
        rm_early[slot] = early
    rm_guards = []
    for g_event, g_src, g_dst, g_mask in guarded:
        rm_mask = np.empty(n, dtype=bool)
        rm_mask[slot] = g_mask
        rm_guards.append((g_event, g_src, g_dst, rm_mask))
    rm_dst = np.empty(n, dtype=np.int16)
    rm_reason = np.empty(n, dtype=np.int8)
    cur = stage0.astype(np.int16)
    for j in range(max_len):
        m = int(n_active[j])
        lo, hi = int(offsets[j]), int(offsets[j + 1])
        c = cur[:m]
        e = rm_ev[lo:hi]
        idx = c * np.int32(n_events)
        idx += e
        new = after[idx]
        why = why_flat[idx]
        if rm_guards:
            need = why == 3
            if need.any():
                for g_event, g_src, g_dst, g_mask in rm_guards:
                    fire = need & (e == g_event) & g_src[c] & g_mask[lo:hi]
                    new[fire] = g_dst
                    why[fire] = 0
        if rm_early is not None:
            late = rm_early[lo:hi]
            why[late] = 4
            new[late] = c[late]
        rm_dst[lo:hi] = new
        rm_reason[lo:hi] = why
        cur[:m] = new
    return rm_dst[slot], rm_reason[slot], cur


def fired_guards(
    *,
    guarded: list[tuple[int, Guard]],
    src: SmallArray,
    dst: SmallArray,
    s_ev: SmallArray,
    applied: npt.NDArray[np.bool_],
) -> tuple[IntArray, SmallArray]:
    """Sorted rows applied by a guarded transition (ascending) and that transition's index.

    *guarded* pairs each guarded transition's index in the model with its
    ``(event, source mask, target, guard mask in sorted order)``. A (stage,
    event) pair has either one unguarded transition or only guarded ones whose
    guards exclude each other, so an applied row matching a guarded
    transition's event, source, target and guard was moved by it, and by no
    other.
    """
    rows: list[IntArray] = []
    which: list[SmallArray] = []
    for t_index, (g_event, g_src, g_dst, g_mask) in guarded:
        fire = s_ev == g_event
        fire &= g_mask
        fire &= dst == g_dst
        fire &= applied
        hit = np.flatnonzero(fire)
        hit = hit[g_src[src[hit]]]
        rows.append(hit.astype(np.int64, copy=False))
        which.append(np.full(hit.size, t_index, dtype=np.int16))
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int16)
    all_rows = np.concatenate(rows)
    ranks = np.argsort(all_rows, kind="stable")
    return all_rows[ranks], np.concatenate(which)[ranks]
