"""Vectorised replay of lifecycle event logs for many customers at once."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import (
    DATETIME_DTYPE,
    as_datetime,
    as_finite_float,
    as_ids,
    as_readonly,
    check_date_format,
)
from crmkit._params import flag, identifier, instance, names
from crmkit._reduce import bincount
from crmkit._results import Kind, Result, frozen_mapping
from crmkit.errors import InputError, TransitionError
from crmkit.lifecycle._columns import columns
from crmkit.lifecycle._kernel import Guard, event_codes, fired_guards, group_order, scan
from crmkit.lifecycle._model import LifecycleModel
from crmkit.lifecycle._state import CustomerState, StageChange

__all__ = ["RejectReason", "Replay", "StageLog", "replay"]

_FUNCTION: Final = "replay"
_MIN_TIME: Final = np.iinfo(np.int64).min + 1

IntArray = npt.NDArray[np.int64]


class RejectReason(enum.StrEnum):
    """Why a replay did not apply an event.

    Examples
    --------
    >>> [r.value for r in RejectReason]
    ['not_allowed', 'after_terminal', 'guard_failed', 'before_last_recorded']
    """

    NOT_ALLOWED = "not_allowed"
    """The event has no transition out of the customer's current stage."""
    AFTER_TERMINAL = "after_terminal"
    """The customer was already in a terminal stage."""
    GUARD_FAILED = "guard_failed"
    """Only guarded transitions apply and none of their guards held."""
    BEFORE_LAST = "before_last_recorded"
    """The event is earlier than the customer's last recorded transition."""


_REASONS: Final = tuple(RejectReason)
_REASON_OBJECTS: Final = np.array([None, *_REASONS], dtype=object)


@attrs.frozen(kw_only=True, repr=False)
class StageLog(Result):
    """The transitions a replay applied, one row per stage change, in time order per customer.

    Stages and events are held as small integer codes into :attr:`stages` and
    :attr:`events` (a 10M-row log stays compact); the ``source``, ``target``
    and ``event`` properties and :meth:`table` give the names.

    Attributes
    ----------
    customer : ndarray, shape (m,)
        Customer id.
    source_code, target_code : ndarray of int16, shape (m,)
        Stage left and stage entered, as positions in :attr:`stages`.
    event_code : ndarray of int16, shape (m,)
        Triggering event, as a position in :attr:`events`.
    at : ndarray of datetime64[us], shape (m,)
        When the change happened.
    stages : tuple of str
        The model's stage names.
    events : tuple of str
        The model's event names.
    transitions : tuple of str
        The model's transition names.
    guard_rows : ndarray of int64, shape (g,)
        Positions (rows of this log, ascending) of the changes made by a
        guarded transition.
    guard_transition : ndarray of int16, shape (g,)
        The guarded transition of each of ``guard_rows``, as a position in
        :attr:`transitions`.
    guard_context : dict of str to ndarray of float64, shape (g,)
        For every field any guard of the model reads, the context value the
        guard of each of ``guard_rows`` read; NaN where that transition's
        guard does not read the field (context values are finite, so NaN only
        ever means "not read"). Empty when the model has no guards.

    Notes
    -----
    Guard records are kept only for guarded changes: an unguarded change
    reads no context and its transition follows from (source, event), so a
    log without guards pays nothing, and a mixed log stores
    ``g * (8 + 2 + 8 * fields)`` bytes rather than that much per change.

    Examples
    --------
    >>> from crmkit.lifecycle import prospect_lifecycle, replay
    >>> log = {
    ...     "customer": [1, 1],
    ...     "event": ["purchase", "churn"],
    ...     "timestamp": ["2024-01-02", "2024-03-01"],
    ... }
    >>> replay(prospect_lifecycle(), log).changes.target.tolist()
    ['customer', 'churned']

    A guarded move keeps the value its guard read:

    >>> from crmkit.lifecycle import LifecycleModel, Transition
    >>> tiers = LifecycleModel(
    ...     name="tiers",
    ...     stages=["member", "gold"],
    ...     initial="member",
    ...     terminal=[],
    ...     transitions=[
    ...         Transition(name="promote", source="member", target="gold", guard=["spend >= 1000"]),
    ...         Transition(name="demote", source="gold", target="member"),
    ...     ],
    ... )
    >>> log = {
    ...     "customer": [1, 1, 1],
    ...     "event": ["promote", "demote", "promote"],
    ...     "timestamp": ["2024-01-02", "2024-02-01", "2024-03-01"],
    ...     "spend": [1500.0, 0.0, 1200.0],
    ... }
    >>> changes = replay(tiers, log, context=["spend"]).changes
    >>> changes.guard_rows.tolist(), changes.guard_context["spend"].tolist()
    ([0, 2], [1500.0, 1200.0])
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "source", "target", "event", "at")
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id", "guard_context": "number"}

    customer: npt.NDArray[Any]
    source_code: npt.NDArray[np.int16]
    target_code: npt.NDArray[np.int16]
    event_code: npt.NDArray[np.int16]
    at: npt.NDArray[np.datetime64]
    stages: tuple[str, ...]
    events: tuple[str, ...]
    transitions: tuple[str, ...]
    guard_rows: IntArray
    guard_transition: npt.NDArray[np.int16]
    guard_context: Mapping[str, npt.NDArray[np.float64]] = attrs.field(converter=frozen_mapping)

    @property
    def source(self) -> npt.NDArray[np.str_]:
        """Stage left, by name."""
        return np.array(self.stages, dtype=str)[self.source_code]

    @property
    def target(self) -> npt.NDArray[np.str_]:
        """Stage entered, by name."""
        return np.array(self.stages, dtype=str)[self.target_code]

    @property
    def event(self) -> npt.NDArray[np.str_]:
        """Triggering event, by name."""
        return np.array(self.events, dtype=str)[self.event_code]

    def __len__(self) -> int:
        return int(self.customer.shape[0])


@attrs.frozen(kw_only=True, repr=False)
class Replay(Result):
    """Current stage of every customer after replaying an event log.

    Attributes
    ----------
    customer : ndarray, shape (k,)
        Customer ids, ascending.
    stage : ndarray of str, shape (k,)
        Current stage.
    entered_at : ndarray of datetime64[us], shape (k,)
        When the customer entered the current stage: the last applied change,
        else the initial table's value, else the customer's first event.
    last_event_at : ndarray of datetime64[us], shape (k,)
        Time of the last applied change (or of the initial table's record,
        or of the first event when nothing was applied).
    started_at : ndarray of datetime64[us], shape (k,)
        Start of the replayed history: the initial table's ``entered_at``, else
        the customer's first event.
    n_applied, n_rejected : ndarray of int64, shape (k,)
        Events applied and rejected per customer.
    model : str
        Name of the lifecycle model.
    n_events : int
        Rows in the log.
    rejected : dict of str to int
        Count of rejected events per :class:`RejectReason` value (zeros kept).
    rejected_rows : ndarray of int64
        Row positions (in the caller's log) of the rejected events, ascending.
    rejected_reason : ndarray of RejectReason (object)
        The reason for each of ``rejected_rows``.
    changes : StageLog
        Every applied transition.

    Examples
    --------
    >>> from crmkit.lifecycle import prospect_lifecycle, replay
    >>> log = {
    ...     "customer": ["a", "a", "b"],
    ...     "event": ["purchase", "upgrade", "churn"],
    ...     "timestamp": ["2024-01-02", "2024-02-01", "2024-01-05"],
    ... }
    >>> r = replay(prospect_lifecycle(), log)
    >>> r.stage.tolist(), r.rejected["not_allowed"]
    (['upgraded', 'prospect'], 1)
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "stage",
        "entered_at",
        "last_event_at",
        "started_at",
        "n_applied",
        "n_rejected",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id"}

    customer: npt.NDArray[Any]
    stage: npt.NDArray[np.str_]
    entered_at: npt.NDArray[np.datetime64]
    last_event_at: npt.NDArray[np.datetime64]
    started_at: npt.NDArray[np.datetime64]
    n_applied: IntArray
    n_rejected: IntArray
    model: str
    n_events: int
    rejected: Mapping[str, int] = attrs.field(converter=frozen_mapping)
    rejected_rows: IntArray
    rejected_reason: npt.NDArray[np.object_]
    changes: StageLog

    def customer_state(self, model: LifecycleModel, customer: str | int) -> CustomerState:
        """Return one customer's replayed history as a storable :class:`CustomerState`.

        Parameters
        ----------
        model : LifecycleModel
            The model the log was replayed with.
        customer : str or int
            The customer's id.

        Returns
        -------
        CustomerState
            Started at :attr:`started_at` in the stage the replay started from,
            with every applied change, each with its transition and the
            context values its guard read: the state applying the same events
            one by one with :func:`~crmkit.lifecycle.apply` returns.

        Raises
        ------
        InputError
            If the customer is not in the result (or is not one id: an int or a
            non-empty str) or *model* is not the LifecycleModel replayed.

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle, replay
        >>> m = prospect_lifecycle()
        >>> log = {
        ...     "customer": [9, 9],
        ...     "event": ["purchase", "upgrade"],
        ...     "timestamp": ["2024-01-02", "2024-02-01"],
        ... }
        >>> s = replay(m, log).customer_state(m, 9)
        >>> s.stage, [h.transition for h in s.history]
        ('upgraded', ['purchase', 'upgrade'])
        """
        function = "Replay.customer_state"
        model = instance(
            model, LifecycleModel, name="model", function=function, what="a LifecycleModel"
        )
        customer = identifier(customer, name="customer", function=function)
        log = self.changes
        if (
            model.name != self.model
            or model.stage_names != log.stages
            or tuple(t.name for t in model.transitions) != log.transitions
        ):
            raise InputError(
                f"customer_state needs the model the log was replayed with ({self.model!r}).",
                field="model",
            )
        same_kind = (self.customer.dtype.kind == "U") == isinstance(customer, str)
        i = int(np.searchsorted(self.customer, customer)) if same_kind else self.customer.size
        if i >= self.customer.size or self.customer[i] != customer:
            raise InputError(
                f"The customer {customer!r} is not in this replay result.",
                field="customer",
                values=[customer],
            )
        rows = np.flatnonzero(log.customer == customer)
        where = np.searchsorted(log.guard_rows, rows)
        history = []
        for r, g in zip(rows.tolist(), where.tolist(), strict=True):
            source = log.stages[int(log.source_code[r])]
            target = log.stages[int(log.target_code[r])]
            event = log.events[int(log.event_code[r])]
            context: dict[str, float] = {}
            if g < log.guard_rows.size and int(log.guard_rows[g]) == r:
                taken = model.transitions[int(log.guard_transition[g])]
                context = {c.field: float(log.guard_context[c.field][g]) for c in taken.guard}
            else:  # an unguarded change: the only transition on (source, event)
                taken = next(
                    t
                    for t in model.transitions
                    if t.event == event and source in t.source and not t.guard
                )
            history.append(
                StageChange(
                    source=source,
                    target=target,
                    event=event,
                    transition=taken.name,
                    at=log.at[r],
                    context=context,
                )
            )
        return CustomerState(
            model=model.name,
            customer=self.customer[i].item(),
            stage=str(self.stage[i]),
            started_at=self.started_at[i],
            history=history,
        )

    def stage_counts(self) -> dict[str, int]:
        """Return the number of customers per current stage (stages in sorted order).

        Returns
        -------
        dict of str to int
            Stage -> customers.

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle, replay
        >>> log = {
        ...     "customer": [1, 2],
        ...     "event": ["purchase", "purchase"],
        ...     "timestamp": ["2024-01-01", "2024-01-02"],
        ... }
        >>> replay(prospect_lifecycle(), log).stage_counts()
        {'customer': 2}
        """
        names, counts = np.unique(self.stage, return_counts=True)
        return {str(n): int(c) for n, c in zip(names, counts, strict=True)}


@attrs.frozen(kw_only=True)
class _Initial:
    customer: npt.NDArray[Any]
    stage: IntArray
    entered_at: npt.NDArray[np.datetime64]
    last_event_at: npt.NDArray[np.datetime64]


def _read_initial(model: LifecycleModel, initial: object) -> _Initial:
    if isinstance(initial, Replay):
        if initial.model != model.name:
            raise InputError(
                f"The 'initial' replay given to {_FUNCTION} is of the model {initial.model!r}, "
                f"not {model.name!r}.",
                field="initial",
            )
        data: Mapping[str, Any] = {
            "customer": initial.customer,
            "stage": initial.stage,
            "entered_at": initial.entered_at,
            "last_event_at": initial.last_event_at,
        }
    elif isinstance(initial, Mapping):
        data = initial
    else:
        raise InputError(
            f"The 'initial' parameter of {_FUNCTION} must be a Replay or a mapping with "
            f"'customer', 'stage' and 'entered_at' arrays. Got a {type(initial).__name__}.",
            field="initial",
        )
    keys = ["customer", "stage", "entered_at"]
    has_last = "last_event_at" in data
    if has_last:
        keys.append("last_event_at")
    fn = f"{_FUNCTION} (initial)"
    cols = columns(data, {k: k for k in keys}, function=fn, data_name="initial")
    ids = as_ids(cols["customer"], field="customer", function=fn)
    stage_names = as_ids(cols["stage"], field="stage", function=fn).astype(str, copy=False)
    entered = as_datetime(cols["entered_at"], field="entered_at", function=fn).values
    last = (
        as_datetime(cols["last_event_at"], field="last_event_at", function=fn).values
        if has_last
        else entered
    )
    early = last < entered
    if early.any():
        bad = np.flatnonzero(early)
        raise InputError.for_rows(
            "last_event_at",
            "must not be earlier than entered_at",
            positions=bad[:5].tolist(),
            values=[str(v) for v in last[bad[:5]]],
            n_bad=int(bad.size),
            function=fn,
        )
    known = np.array(model.stage_names)
    order = np.argsort(known)
    where = np.searchsorted(known[order], stage_names)
    where = np.clip(where, 0, known.size - 1)
    ok = known[order][where] == stage_names
    if not ok.all():
        bad = np.flatnonzero(~ok)
        raise InputError.for_rows(
            "stage",
            f"must name stages of the model {model.name!r} {list(model.stage_names)}",
            positions=bad[:5].tolist(),
            values=stage_names[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=fn,
        )
    fac = factorize(ids)
    if fac.n_groups != ids.size:
        counts = bincount(fac.codes, minlength=fac.n_groups)
        dup = np.flatnonzero(counts[fac.codes] > 1)
        raise InputError.for_rows(
            "customer",
            "must list each customer once",
            positions=dup[:5].tolist(),
            values=ids[dup[:5]].tolist(),
            n_bad=int(dup.size),
            function=fn,
        )
    rank = np.empty_like(fac.codes)
    rank[fac.codes] = np.arange(ids.size)
    return _Initial(
        customer=fac.uniques,
        stage=order[where][rank].astype(np.int64),
        entered_at=entered[rank],
        last_event_at=last[rank],
    )


def replay(
    model: LifecycleModel,
    data: object,
    *,
    customer: str = "customer",
    event: str = "event",
    timestamp: str = "timestamp",
    context: Sequence[str] = (),
    initial: Replay | Mapping[str, Any] | None = None,
    strict: bool = False,
    date_format: str | None = None,
) -> Replay:
    """Replay an event log for many customers at once and return each one's current stage.

    Parameters
    ----------
    model : LifecycleModel
        The lifecycle.
    data : DataFrame-like or mapping of str to array_like
        The log, one row per event: customer id, event name, timestamp, and
        any context columns the guards use.
    customer, event, timestamp : str
        The caller's column names for the three fields.
    context : sequence of str, default ()
        Numeric columns handed to the guards (by column name = guard field);
        distinct names (a bare str is refused: pass ``["spend"]``).
    initial : Replay or mapping of arrays, optional
        Where customers stand before the log: a previous :class:`Replay` of
        the same model or a table with ``customer``, ``stage``, ``entered_at``
        (and optionally ``last_event_at``), ids of the same type as the log's.
        When given, every customer in the log must be in it. When omitted,
        every customer starts in ``model.initial``.
    strict : bool, default False
        Raise :class:`~crmkit.errors.TransitionError` for the earliest
        rejected event instead of counting rejections.
    date_format : str, optional
        A strftime pattern for log timestamps that are not ISO-8601, e.g.
        ``"%d/%m/%Y %H:%M"``.

    Returns
    -------
    Replay
        Current stage per customer, rejection counts per reason, the
        rejected rows and the log of applied changes. An empty log changes
        nothing: no customers (or those of *initial*, where they stood).

    Raises
    ------
    InputError
        On an unknown event name (the message lists the known ones), events
        of customers missing from *initial*, null or mixed-type ids, bad or
        mixed-zone timestamps, non-finite context values, a missing column or
        a parameter of the wrong type.
    TransitionError
        With ``strict=True``, for the earliest rejected event.

    Notes
    -----
    Rows are grouped by customer and ordered by time (ties keep row order).
    The model becomes a table ``next[stage, event]``; the k-th events of all
    customers are then resolved together, for k = 1, 2, ..., so the Python
    loop runs once per event *rank*, not once per event. Guards are evaluated
    once over the whole log; the changes a guarded transition made keep the
    context values its guard read (:class:`StageLog`). The result equals
    applying the events one by one with :func:`apply`, skipping the rejected
    ones (:meth:`Replay.customer_state` rebuilds exactly that state).

    Examples
    --------
    Three customers of a subscription business:

    >>> from crmkit.lifecycle import prospect_lifecycle
    >>> log = {
    ...     "customer": [1, 2, 1, 3, 1, 2],
    ...     "event": ["show_interest", "purchase", "purchase", "purchase", "churn", "win_back"],
    ...     "timestamp": [
    ...         "2024-01-03",
    ...         "2024-01-04",
    ...         "2024-01-09",
    ...         "2024-02-01",
    ...         "2024-03-15",
    ...         "2024-03-20",
    ...     ],
    ... }
    >>> r = replay(prospect_lifecycle(), log)
    >>> dict(zip(r.customer.tolist(), r.stage.tolist()))
    {1: 'churned', 2: 'customer', 3: 'customer'}
    >>> r.rejected
    {'not_allowed': 1, 'after_terminal': 0, 'guard_failed': 0, 'before_last_recorded': 0}
    >>> r.rejected_rows.tolist()
    [5]
    """
    model = instance(
        model, LifecycleModel, name="model", function=_FUNCTION, what="a LifecycleModel"
    )
    context_names = names(
        context, name="context", function=_FUNCTION, allow_empty=True, what="column names"
    )
    strict = flag(strict, name="strict", function=_FUNCTION)
    fmt = check_date_format(date_format, function=_FUNCTION)
    mapping = {"customer": customer, "event": event, "timestamp": timestamp}
    mapping.update({f"context:{name}": name for name in context_names})
    cols = columns(data, mapping, function=_FUNCTION)
    ids = as_ids(cols["customer"], field="customer", function=_FUNCTION, column=customer)
    times = as_datetime(
        cols["timestamp"],
        field="timestamp",
        function=_FUNCTION,
        column=timestamp,
        date_format=fmt,
    ).values
    ev = event_codes(model, cols["event"], column=event)
    ctx = {
        name: as_finite_float(cols[f"context:{name}"], field=name, function=_FUNCTION, column=name)
        for name in context_names
    }
    n = ids.shape[0]
    fac = factorize(ids)
    codes = fac.codes
    start = None if initial is None else _read_initial(model, initial)
    if (
        start is not None
        and ids.size
        and start.customer.size
        and start.customer.dtype.kind != ids.dtype.kind
    ):
        raise InputError(
            f"The ids of the 'initial' table of {_FUNCTION} must be of the same type as "
            f"the log's {customer!r} column (ints or strings, not both).",
            field="initial",
            hint="Make both id columns the same type, e.g. cast them to str.",
        )
    k = fac.n_groups
    stage0 = np.full(k, model.stage_index(model.initial), dtype=np.int64)
    t_int = times.view(np.int64)
    floor = np.full(k, _MIN_TIME, dtype=np.int64)
    out_customer = fac.uniques
    extra_customers = 0
    if start is not None:
        pos = np.searchsorted(start.customer, fac.uniques)
        pos_c = np.clip(pos, 0, max(start.customer.size - 1, 0))
        found = (
            start.customer[pos_c] == fac.uniques if start.customer.size else np.zeros(k, dtype=bool)
        )
        if not found.all():
            bad = np.flatnonzero(~found[codes])
            raise InputError.for_rows(
                "customer",
                "must only hold customers listed in the 'initial' table",
                positions=bad[:5].tolist(),
                values=ids[bad[:5]].tolist(),
                n_bad=int(bad.size),
                function=_FUNCTION,
                hint="Add the new customers to 'initial' in the model's initial stage.",
                column=customer,
            )
        stage0 = start.stage[pos_c]
        floor = start.last_event_at[pos_c].view(np.int64)
        extra_customers = start.customer.size - k

    guard_masks = [
        (t, np.asarray(t.allowed(ctx), dtype=bool) if n else np.zeros(0, dtype=bool))
        for t in model.transitions
        if t.guard
    ]
    table, _ = model.event_table()
    terminal = np.zeros(len(model.stages), dtype=bool)
    for s in model.terminal:
        terminal[model.stage_index(s)] = True
    st_index = {s: i for i, s in enumerate(model.stage_names)}
    ev_index = {e: i for i, e in enumerate(model.events)}
    t_index = {t.name: i for i, t in enumerate(model.transitions)}
    guarded = [
        (
            t_index[t.name],
            (
                ev_index[t.event],
                np.isin(np.arange(len(st_index)), [st_index[s] for s in t.source]),
                st_index[t.target],
                m,
            ),
        )
        for t, m in guard_masks
    ]

    order = group_order(codes, t_int)
    counts = bincount(codes, minlength=k).astype(np.int64)
    starts = np.zeros(k, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    s_codes = np.repeat(np.arange(k, dtype=np.int64), counts)
    s_ev = ev[order]
    s_time = t_int[order]
    early = s_time < floor[s_codes] if start is not None else np.zeros(s_time.size, dtype=bool)
    guarded_sorted = [(i, (ge, gs, gd, gm[order])) for i, (ge, gs, gd, gm) in guarded]
    by_count = np.argsort(-counts, kind="stable")
    dst, reason, final_rank_major = scan(
        table=table,
        terminal=terminal,
        guarded=[g for _, g in guarded_sorted],
        stage0=stage0[by_count],
        counts=counts,
        starts=starts,
        by_count=by_count,
        s_codes=s_codes,
        s_ev=s_ev,
        early=early,
    )
    cur = final_rank_major
    src = np.empty_like(dst)
    if n:
        src[1:] = dst[:-1]
        src[starts[counts > 0]] = stage0[counts > 0]

    stage_idx = np.empty(k, dtype=np.int64)
    stage_idx[by_count] = cur
    applied = reason == 0
    all_applied = bool(applied.all())  # the common case of a clean log: no gathers needed
    n_applied = counts.copy() if all_applied else bincount(s_codes[applied], minlength=k)
    n_applied = n_applied.astype(np.int64, copy=False)
    n_rejected = counts - n_applied
    first_time = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    last_applied = np.full(k, _MIN_TIME - 1, dtype=np.int64)
    a_pos: npt.NDArray[np.intp] | slice = slice(None) if all_applied else np.flatnonzero(applied)
    if n:
        seen = counts > 0
        first_time[seen] = s_time[starts[seen]]
        if all_applied:
            last_applied[seen] = s_time[starts[seen] + counts[seen] - 1]
        elif isinstance(a_pos, np.ndarray) and a_pos.size:
            a_codes = s_codes[a_pos]
            is_last = np.ones(a_pos.size, dtype=bool)
            is_last[:-1] = a_codes[1:] != a_codes[:-1]
            last_applied[a_codes[is_last]] = s_time[a_pos[is_last]]
    has_applied = n_applied > 0
    if start is not None:
        base_entered = start.entered_at[pos_c].view(np.int64)
        base_last = floor
    else:
        base_entered = first_time
        base_last = first_time
    entered = np.where(has_applied, last_applied, base_entered)
    last_event = np.where(has_applied, last_applied, base_last)

    if all_applied:
        rej_rows = np.zeros(0, dtype=np.int64)
        rej_reason = np.zeros(0, dtype=np.int8)
    else:
        row_reason = np.empty(n, dtype=np.int8)
        row_reason[order] = reason
        rej_rows = np.flatnonzero(row_reason)
        rej_reason = row_reason[rej_rows]
    if strict and rej_rows.size:
        row = int(rej_rows[np.lexsort((rej_rows, t_int[rej_rows]))[0]])
        first = int(np.flatnonzero(order == row)[0])
        _raise_first(
            model,
            customer=ids[row].item(),
            event=cols["event"][row],
            at=times[row],
            row=row,
            reason=_REASONS[int(reason[first]) - 1],
            stage=model.stage_names[int(src[first])],
            total=int(rej_rows.size),
        )
    stage_labels = np.array(model.stage_names)
    g_rows, g_which, g_context = _guard_records(
        model,
        guarded_sorted,
        ctx,
        order=order,
        src=src,
        dst=dst,
        s_ev=s_ev,
        applied=applied,
        a_pos=a_pos,
    )
    changes = StageLog(
        customer=as_readonly(fac.uniques[s_codes[a_pos]]),
        source_code=as_readonly(src[a_pos].astype(np.int16, copy=False)),
        target_code=as_readonly(dst[a_pos].astype(np.int16, copy=False)),
        event_code=as_readonly(s_ev[a_pos].astype(np.int16, copy=False)),
        at=as_readonly(s_time[a_pos].view(DATETIME_DTYPE)),
        stages=model.stage_names,
        events=model.events,
        transitions=tuple(t_index),
        guard_rows=as_readonly(g_rows),
        guard_transition=as_readonly(g_which),
        guard_context=g_context,
    )
    per_reason = bincount(rej_reason, minlength=len(_REASONS) + 1)
    result_customer = out_customer
    result_stage = stage_idx
    result_entered = entered
    result_started = base_entered
    result_last = last_event
    result_applied = n_applied
    result_rejected = n_rejected
    if start is not None and extra_customers > 0:
        # customers of the initial table without events keep their stage
        idle = np.ones(start.customer.size, dtype=bool)
        idle[pos_c] = False
        result_customer = np.concatenate([out_customer, start.customer[idle]])
        result_stage = np.concatenate([stage_idx, start.stage[idle]])
        result_entered = np.concatenate([entered, start.entered_at[idle].view(np.int64)])
        result_started = np.concatenate([base_entered, start.entered_at[idle].view(np.int64)])
        result_last = np.concatenate([last_event, start.last_event_at[idle].view(np.int64)])
        zeros = np.zeros(int(idle.sum()), dtype=np.int64)
        result_applied = np.concatenate([n_applied, zeros])
        result_rejected = np.concatenate([n_rejected, zeros])
        final = np.argsort(result_customer, kind="stable")
        result_customer = result_customer[final]
        result_stage = result_stage[final]
        result_entered = result_entered[final]
        result_started = result_started[final]
        result_last = result_last[final]
        result_applied = result_applied[final]
        result_rejected = result_rejected[final]
    return Replay(
        customer=as_readonly(result_customer),
        stage=as_readonly(stage_labels[result_stage]),
        entered_at=as_readonly(result_entered.view(DATETIME_DTYPE)),
        last_event_at=as_readonly(result_last.view(DATETIME_DTYPE)),
        started_at=as_readonly(result_started.view(DATETIME_DTYPE)),
        n_applied=as_readonly(result_applied),
        n_rejected=as_readonly(result_rejected),
        model=model.name,
        n_events=int(n),
        rejected={r.value: int(per_reason[i + 1]) for i, r in enumerate(_REASONS)},
        rejected_rows=as_readonly(rej_rows.astype(np.int64)),
        rejected_reason=as_readonly(_REASON_OBJECTS[rej_reason]),
        changes=changes,
    )


def _guard_records(
    model: LifecycleModel,
    guarded: list[tuple[int, Guard]],
    ctx: Mapping[str, npt.NDArray[np.float64]],
    *,
    order: IntArray,
    src: npt.NDArray[np.int16],
    dst: npt.NDArray[np.int16],
    s_ev: npt.NDArray[np.int16],
    applied: npt.NDArray[np.bool_],
    a_pos: npt.NDArray[np.intp] | slice,
) -> tuple[IntArray, npt.NDArray[np.int16], dict[str, npt.NDArray[np.float64]]]:
    """Return the changes guarded transitions made (change-log rows) and what the guards read."""
    fields = sorted({c.field for t in model.transitions for c in t.guard})
    if not guarded or not src.size:
        empty = np.zeros(0, dtype=np.float64)
        return (
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int16),
            {f: as_readonly(empty) for f in fields},
        )
    rows, which = fired_guards(guarded=guarded, src=src, dst=dst, s_ev=s_ev, applied=applied)
    reads = np.array(
        [[any(c.field == f for c in t.guard) for f in fields] for t in model.transitions],
        dtype=bool,
    ).reshape(len(model.transitions), len(fields))
    caller_rows = order[rows]
    context = {
        f: as_readonly(np.where(reads[which, j], ctx[f][caller_rows], np.nan))
        for j, f in enumerate(fields)
    }
    # sorted-row positions -> positions in the change log (the applied rows, in order)
    log_rows = rows if isinstance(a_pos, slice) else np.searchsorted(a_pos, rows)
    return log_rows.astype(np.int64, copy=False), which, context


def _raise_first(
    model: LifecycleModel,
    *,
    customer: object,
    event: object,
    at: np.datetime64,
    row: int,
    reason: RejectReason,
    stage: str,
    total: int,
) -> None:
    raise TransitionError(
        f"replay(strict=True): the event {str(event)!r} of customer {customer!r} "
        f"at {at} (row {row}) was rejected ({reason.value}) in stage {stage!r}; "
        f"allowed events there: {list(model.allowed_events(stage))}. "
        f"{total} event(s) were rejected in all."
    )
