"""Immutable customer states, applying one event, JSON round trip and time in stage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import numpy as np

from crmkit._input import scalar_datetime
from crmkit.errors import InputError, TransitionError
from crmkit.lifecycle._model import LifecycleModel, Transition

__all__ = ["CustomerState", "StageChange", "apply", "time_between", "time_in_stages"]

STATE_SCHEMA: Final = "crmkit.lifecycle.state"
STATE_SCHEMA_VERSION: Final = 1
_ZERO: Final = np.timedelta64(0, "us")


def _to_time(value: object) -> np.datetime64:
    if isinstance(value, np.datetime64) and value.dtype == np.dtype("datetime64[us]"):
        return value
    return scalar_datetime(value, field="at", function="CustomerState")


def _context(value: Mapping[str, Any] | None) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    return tuple(sorted((str(k), float(v)) for k, v in dict(value).items()))


@attrs.frozen(kw_only=True)
class StageChange:
    """One recorded transition of a customer.

    Parameters
    ----------
    source : str
        Stage left.
    target : str
        Stage entered.
    event : str
        Event that triggered the move.
    transition : str
        Name of the transition taken.
    at : numpy.datetime64
        When it happened (``datetime64[us]``, UTC-naive).
    context : tuple of (str, float)
        The context values the transition's guard looked at, sorted by name
        (empty for unguarded transitions).

    Examples
    --------
    >>> change = StageChange(
    ...     source="lead", target="customer", event="buy", transition="buy", at="2024-05-01"
    ... )
    >>> str(change.at)
    '2024-05-01T00:00:00.000000'
    """

    source: str
    target: str
    event: str
    transition: str
    at: np.datetime64 = attrs.field(converter=_to_time)
    context: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_context)

    def to_dict(self) -> dict[str, Any]:
        """Return the change as JSON-safe values.

        Returns
        -------
        dict
            ``from``, ``to``, ``event``, ``transition``, ``at`` (ISO string), ``context``.
        """
        return {
            "from": self.source,
            "to": self.target,
            "event": self.event,
            "transition": self.transition,
            "at": str(self.at),
            "context": dict(self.context),
        }


def _history(values: Iterable[StageChange]) -> tuple[StageChange, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class CustomerState:
    """Where one customer stands in a lifecycle, with the full transition log.

    States are immutable: :func:`apply` returns a new state. Store one with
    :meth:`to_dict` (JSON-safe, versioned) and restore it with :meth:`from_dict`
    without replaying anything.

    Parameters
    ----------
    model : str
        Name of the lifecycle model the state belongs to.
    customer : str or int or None
        The customer's id, if the application wants it stored with the state.
    stage : str
        Current stage.
    started_at : numpy.datetime64
        When the customer entered the lifecycle (in the model's initial stage).
    history : tuple of StageChange
        Every transition, oldest first.

    Examples
    --------
    >>> from crmkit.lifecycle import prospect_lifecycle
    >>> state = CustomerState.start(prospect_lifecycle(), at="2024-01-10", customer="c-17")
    >>> state.stage, str(state.entered_at)
    ('prospect', '2024-01-10T00:00:00.000000')
    """

    model: str
    customer: str | int | None = None
    stage: str
    started_at: np.datetime64 = attrs.field(converter=_to_time)
    history: tuple[StageChange, ...] = attrs.field(default=(), converter=_history)

    @classmethod
    def start(
        cls, model: LifecycleModel, *, at: object, customer: str | int | None = None
    ) -> CustomerState:
        """Return a new customer's state: the model's initial stage since *at*.

        Parameters
        ----------
        model : LifecycleModel
            The lifecycle.
        at : date, datetime, ISO string or numpy.datetime64
            When the customer entered the lifecycle.
        customer : str or int or None, default None
            Optional id stored with the state.

        Returns
        -------
        CustomerState
            In ``model.initial`` with an empty history.

        Examples
        --------
        >>> from crmkit.lifecycle import marketing_funnel
        >>> CustomerState.start(marketing_funnel(), at="2024-02-01").stage
        'subscriber'
        """
        return cls(model=model.name, customer=customer, stage=model.initial, started_at=at)

    @property
    def entered_at(self) -> np.datetime64:
        """When the customer entered the current stage."""
        return self.history[-1].at if self.history else self.started_at

    @property
    def last_event_at(self) -> np.datetime64:
        """Time of the most recent recorded transition (or the start)."""
        return self.entered_at

    def to_dict(self) -> dict[str, Any]:
        """Return the state as a JSON-safe dict with a schema name and version.

        Returns
        -------
        dict
            Restorable with :meth:`from_dict`; the round trip is exact.

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> d = CustomerState.start(prospect_lifecycle(), at="2024-01-01", customer=5).to_dict()
        >>> d["schema"], d["version"], d["stage"], d["started_at"]
        ('crmkit.lifecycle.state', 1, 'prospect', '2024-01-01T00:00:00.000000')
        """
        return {
            "schema": STATE_SCHEMA,
            "version": STATE_SCHEMA_VERSION,
            "model": self.model,
            "customer": self.customer,
            "stage": self.stage,
            "started_at": str(self.started_at),
            "history": [change.to_dict() for change in self.history],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CustomerState:
        """Restore a state saved with :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            The saved dict (for example after :func:`json.loads`).

        Returns
        -------
        CustomerState
            Equal to the state that was saved.

        Raises
        ------
        InputError
            If the schema or version is not recognised or a key is missing.

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> s = CustomerState.start(prospect_lifecycle(), at="2024-01-01")
        >>> CustomerState.from_dict(s.to_dict()) == s
        True
        """
        if data.get("schema") != STATE_SCHEMA or data.get("version") != STATE_SCHEMA_VERSION:
            raise InputError(
                f"Expected a customer state dict with schema {STATE_SCHEMA!r} version "
                f"{STATE_SCHEMA_VERSION}; got schema {data.get('schema')!r} version "
                f"{data.get('version')!r}.",
                field="schema",
            )
        try:
            return cls(
                model=data["model"],
                customer=data.get("customer"),
                stage=data["stage"],
                started_at=np.datetime64(data["started_at"], "us"),
                history=[
                    StageChange(
                        source=h["from"],
                        target=h["to"],
                        event=h["event"],
                        transition=h["transition"],
                        at=np.datetime64(h["at"], "us"),
                        context=h.get("context", {}),
                    )
                    for h in data["history"]
                ],
            )
        except KeyError as err:
            raise InputError(
                f"The customer state dict lacks the key {err.args[0]!r}.", field=str(err.args[0])
            ) from None


def _choose(
    model: LifecycleModel, stage: str, event: str, context: Mapping[str, Any]
) -> tuple[Transition | None, str]:
    candidates = [t for t in model.transitions if stage in t.source and t.event == event]
    if not candidates:
        return None, "not allowed"
    for t in candidates:
        if t.allowed(context):
            return t, ""
    return None, "guard failed"


def apply(
    model: LifecycleModel,
    state: CustomerState,
    event: str,
    *,
    at: object,
    context: Mapping[str, float] | None = None,
) -> CustomerState:
    """Apply one event to a customer's state and return the new state.

    Parameters
    ----------
    model : LifecycleModel
        The lifecycle the state follows.
    state : CustomerState
        The customer's current state (not modified).
    event : str
        The event name; must be one of ``model.events``.
    at : date, datetime, ISO string or numpy.datetime64
        When the event happened; not earlier than the last recorded transition.
    context : mapping of str to float, optional
        Values the transition guards look at (e.g. ``{"spend_90d": 420.0}``).
        The values a guard used are stored with the recorded change.

    Returns
    -------
    CustomerState
        A new state with the change appended to its history.

    Raises
    ------
    InputError
        If the event name is unknown (the message lists the known ones), the
        state belongs to another model, or a guard needs a missing context value.
    TransitionError
        If the event is not allowed from the current stage (the message lists
        the allowed events), every guarded transition's guard fails, or *at*
        is earlier than the last recorded transition.

    Notes
    -----
    Among the transitions leaving the current stage on *event*, the one whose
    guard holds fires; the model definition guarantees at most one does.

    Examples
    --------
    A prospect shows interest, then buys:

    >>> from crmkit.lifecycle import prospect_lifecycle
    >>> model = prospect_lifecycle()
    >>> s = CustomerState.start(model, at="2024-01-01")
    >>> s = apply(model, s, "show_interest", at="2024-01-05")
    >>> s = apply(model, s, "purchase", at="2024-02-01")
    >>> s.stage, [h.event for h in s.history]
    ('customer', ['show_interest', 'purchase'])
    """
    function = "apply"
    if state.model != model.name:
        raise InputError(
            f"The state given to {function} belongs to the model {state.model!r}, "
            f"not {model.name!r}.",
            field="state",
        )
    if event not in model.events:
        raise InputError(
            f"The 'event' parameter of {function} must be one of the events of the model "
            f"{model.name!r}: {list(model.events)}. Got {event!r} instead.",
            field="event",
            values=[event],
        )
    when = scalar_datetime(at, field="at", function=function)
    if when < state.last_event_at:
        raise TransitionError(
            f"The event {event!r} at {when} is earlier than the customer's last recorded "
            f"transition at {state.last_event_at}; events must be applied in time order."
        )
    ctx: Mapping[str, Any] = context or {}
    chosen, reason = _choose(model, state.stage, event, ctx)
    if chosen is None:
        allowed = model.allowed_events(state.stage)
        if reason == "guard failed":
            guards = [
                " and ".join(str(c) for c in t.guard)
                for t in model.transitions_from(state.stage)
                if t.event == event
            ]
            raise TransitionError(
                f"The event {event!r} cannot move a customer out of stage {state.stage!r}: "
                f"no guard holds ({'; '.join(guards)}) for the context {dict(ctx)}."
            )
        raise TransitionError(
            f"The event {event!r} is not allowed from stage {state.stage!r} of the model "
            f"{model.name!r}; allowed events there: {list(allowed)}."
        )
    used = {c.field: float(ctx[c.field]) for c in chosen.guard}
    change = StageChange(
        source=state.stage,
        target=chosen.target,
        event=event,
        transition=chosen.name,
        at=when,
        context=used,
    )
    return attrs.evolve(state, stage=chosen.target, history=(*state.history, change))


def _as_of(state: CustomerState, as_of: object, function: str) -> np.datetime64:
    when = scalar_datetime(as_of, field="as_of", function=function)
    if when < state.last_event_at:
        raise InputError.for_parameter(
            "as_of",
            f"on or after the last recorded transition ({state.last_event_at})",
            str(when),
            function=function,
        )
    return when


def time_in_stages(state: CustomerState, *, as_of: object) -> dict[str, np.timedelta64]:
    """Total time a customer has spent in each stage visited, up to *as_of*.

    Parameters
    ----------
    state : CustomerState
        The customer's state with its log.
    as_of : date, datetime, ISO string or numpy.datetime64
        The end of the observation; the current stage counts up to here.

    Returns
    -------
    dict of str to numpy.timedelta64
        Stage -> total time (microseconds), in order of first visit.

    Raises
    ------
    InputError
        If *as_of* is earlier than the last recorded transition.

    Notes
    -----
    Spell *k* lasts from the k-th entry to the (k+1)-th; the last spell is open
    and censored at ``as_of``. Repeat visits add up.

    Examples
    --------
    >>> from crmkit.lifecycle import prospect_lifecycle
    >>> model = prospect_lifecycle()
    >>> s = CustomerState.start(model, at="2024-01-01")
    >>> s = apply(model, s, "show_interest", at="2024-01-11")
    >>> days = {
    ...     k: int(v // np.timedelta64(1, "D"))
    ...     for k, v in time_in_stages(s, as_of="2024-01-31").items()
    ... }
    >>> days
    {'prospect': 10, 'interested': 20}
    """
    end = _as_of(state, as_of, "time_in_stages")
    starts = [state.started_at, *(h.at for h in state.history)]
    stages = [state.history[0].source if state.history else state.stage]
    stages += [h.target for h in state.history]
    ends = [*starts[1:], end]
    out: dict[str, np.timedelta64] = {}
    for stage, a, b in zip(stages, starts, ends, strict=True):
        out[stage] = out.get(stage, _ZERO) + (b - a)
    return out


def time_between(state: CustomerState, source: str, target: str) -> np.timedelta64 | None:
    """Time from the customer's first entry into *source* to the first entry into *target* after.

    Parameters
    ----------
    state : CustomerState
        The customer's state with its log.
    source, target : str
        Stage names.

    Returns
    -------
    numpy.timedelta64 or None
        The elapsed time; ``None`` if the customer never reached *target*
        after *source* (a documented, not an error, outcome).

    Examples
    --------
    Days from first interest to first purchase:

    >>> from crmkit.lifecycle import prospect_lifecycle
    >>> model = prospect_lifecycle()
    >>> s = CustomerState.start(model, at="2024-01-01")
    >>> s = apply(model, s, "show_interest", at="2024-01-05")
    >>> s = apply(model, s, "purchase", at="2024-01-19")
    >>> time_between(s, "interested", "customer") // np.timedelta64(1, "D")
    np.int64(14)
    >>> time_between(s, "customer", "upgraded") is None
    True
    """
    entries = [(state.history[0].source if state.history else state.stage, state.started_at)]
    entries += [(h.target, h.at) for h in state.history]
    first_source = next((i for i, (s, _) in enumerate(entries) if s == source), None)
    if first_source is None:
        return None
    for stage, at in entries[first_source:]:
        if stage == target:
            return at - entries[first_source][1]
    return None
