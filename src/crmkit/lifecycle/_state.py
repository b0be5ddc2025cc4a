"""Immutable customer states, applying one event, JSON round trip and time in stage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import numpy as np

from crmkit._input import DATETIME_DTYPE, DEFAULT_YEARS, scalar_datetime
from crmkit._params import choice, identifier, instance, number, text
from crmkit.errors import InputError, TransitionError
from crmkit.lifecycle._guard import nonempty
from crmkit.lifecycle._model import LifecycleModel, Transition

__all__ = ["CustomerState", "StageChange", "apply", "time_between", "time_in_stages"]

STATE_SCHEMA: Final = "crmkit.lifecycle.state"
STATE_SCHEMA_VERSION: Final = 1
_ZERO: Final = np.timedelta64(0, "us")


# A datetime64[us] inside the default window of years is what scalar_datetime returns for it
# unchanged; states rebuilt by apply, evolve and replay pass such values, so they skip the
# parse. Anything else (NaT, other units, text, dates outside the window) goes to the reader.
_FIRST: Final = np.datetime64(f"{DEFAULT_YEARS[0]}-01-01", "us")
_AFTER_LAST: Final = np.datetime64(f"{DEFAULT_YEARS[1] + 1}-01-01", "us")


def _time(value: object, field: str, function: str) -> np.datetime64:
    if (
        isinstance(value, np.datetime64)
        and value.dtype == DATETIME_DTYPE
        and _FIRST <= value < _AFTER_LAST
    ):
        return value
    return scalar_datetime(value, field=field, function=function)


def _change_time(value: object) -> np.datetime64:
    return _time(value, "at", "StageChange")


def _start_time(value: object) -> np.datetime64:
    return _time(value, "started_at", "CustomerState")


def _context(value: object) -> tuple[tuple[str, float], ...]:
    """Context values as sorted (name, finite number) pairs, from a mapping or such pairs."""
    if value is None:
        return ()
    pairs = _context_items(value, function="StageChange")
    return tuple(sorted(pairs.items()))


def _context_items(value: object, *, function: str) -> dict[str, float]:
    requirement = "a mapping of context names (str) to finite numbers"
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (tuple, list)) and all(
        isinstance(p, tuple) and len(p) == 2 for p in value
    ):
        items = list(value)
    else:
        raise InputError.for_parameter("context", requirement, value, function=function)
    out: dict[str, float] = {}
    for key, number_ in items:
        name = text(key, name="context", function=function)
        out[name] = number(
            number_,
            name="context",
            function=function,
            hint=f"context[{name!r}] must be a finite number.",
        )
    return out


def _customer(value: object) -> str | int | None:
    if value is None:
        return None
    return identifier(value, name="customer", function="CustomerState")


def _history(values: object) -> tuple[StageChange, ...]:
    requirement = "a sequence of StageChange values, oldest first"
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InputError.for_parameter("history", requirement, values, function="CustomerState")
    out = tuple(values)
    for change in out:
        if not isinstance(change, StageChange):
            raise InputError.for_parameter("history", requirement, change, function="CustomerState")
    return out


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
    context : mapping of str to float, or tuple of (str, float)
        The context values the transition's guard looked at (finite), kept
        sorted by name (empty for unguarded transitions).

    Raises
    ------
    InputError
        If a name is not a non-empty str, *at* is not a valid date or a
        context value is not a finite number.

    Examples
    --------
    >>> change = StageChange(
    ...     source="lead", target="customer", event="buy", transition="buy", at="2024-05-01"
    ... )
    >>> str(change.at)
    '2024-05-01T00:00:00.000000'
    """

    source: str = attrs.field(validator=nonempty)
    target: str = attrs.field(validator=nonempty)
    event: str = attrs.field(validator=nonempty)
    transition: str = attrs.field(validator=nonempty)
    at: np.datetime64 = attrs.field(converter=_change_time)
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

    Raises
    ------
    InputError
        If a field has the wrong type, or the history is not one chain: each
        change must leave the stage the previous one entered, none may be
        earlier than the previous one (or than ``started_at``), and the last
        one must enter ``stage``.

    Examples
    --------
    >>> from crmkit.lifecycle import prospect_lifecycle
    >>> state = CustomerState.start(prospect_lifecycle(), at="2024-01-10", customer="c-17")
    >>> state.stage, str(state.entered_at)
    ('prospect', '2024-01-10T00:00:00.000000')
    """

    model: str = attrs.field(validator=nonempty)
    customer: str | int | None = attrs.field(default=None, converter=_customer)
    stage: str = attrs.field(validator=nonempty)
    started_at: np.datetime64 = attrs.field(converter=_start_time)
    history: tuple[StageChange, ...] = attrs.field(default=(), converter=_history)

    def __attrs_post_init__(self) -> None:
        previous_stage: str | None = None
        previous_at = self.started_at
        for i, change in enumerate(self.history):
            if previous_stage is not None and change.source != previous_stage:
                problem = f"leaves {change.source!r}, but change {i - 1} entered {previous_stage!r}"
            elif change.at < previous_at:
                problem = f"at {change.at} is earlier than the one before it ({previous_at})"
            else:
                previous_stage, previous_at = change.target, change.at
                continue
            raise InputError(
                f"The 'history' parameter of CustomerState must be one chain of changes in "
                f"time order; change {i} {problem}.",
                field="history",
            )
        if previous_stage is not None and previous_stage != self.stage:
            raise InputError(
                f"The 'stage' parameter of CustomerState must be the stage the last change "
                f"entered ({previous_stage!r}). Got {self.stage!r} instead.",
                field="stage",
            )

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

        Raises
        ------
        InputError
            If *model* is not a LifecycleModel, *at* not a valid date or
            *customer* not an int, a non-empty str or None.

        Examples
        --------
        >>> from crmkit.lifecycle import marketing_funnel
        >>> CustomerState.start(marketing_funnel(), at="2024-02-01").stage
        'subscriber'
        """
        lifecycle = instance(
            model,
            LifecycleModel,
            name="model",
            function="CustomerState.start",
            what="a LifecycleModel",
        )
        when = _time(at, "at", "CustomerState.start")
        return cls(
            model=lifecycle.name, customer=customer, stage=lifecycle.initial, started_at=when
        )

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
            If *data* is not a mapping, the schema or version is not
            recognised, a key is missing (the error's ``field`` names it) or a
            value is invalid (dates are read as ISO-8601, never guessed).

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> s = CustomerState.start(prospect_lifecycle(), at="2024-01-01")
        >>> CustomerState.from_dict(s.to_dict()) == s
        True
        """
        function = "CustomerState.from_dict"
        if not isinstance(data, Mapping):
            raise InputError.for_parameter(
                "data", "a mapping, as to_dict() writes it", data, function=function
            )
        if data.get("schema") != STATE_SCHEMA or data.get("version") != STATE_SCHEMA_VERSION:
            raise InputError(
                f"Expected a customer state dict with schema {STATE_SCHEMA!r} version "
                f"{STATE_SCHEMA_VERSION}; got schema {data.get('schema')!r} version "
                f"{data.get('version')!r}.",
                field="schema",
            )
        saved = data.get("history")
        if not isinstance(saved, list) or not all(isinstance(h, Mapping) for h in saved):
            raise InputError.for_parameter(
                "history", "a list of mappings, as to_dict() writes it", saved, function=function
            )
        return cls(
            model=_saved(data, "model", function),
            customer=data.get("customer"),
            stage=_saved(data, "stage", function),
            started_at=_saved(data, "started_at", function),
            history=[
                StageChange(
                    source=_saved(h, "from", function),
                    target=_saved(h, "to", function),
                    event=_saved(h, "event", function),
                    transition=_saved(h, "transition", function),
                    at=_saved(h, "at", function),
                    context=h.get("context", {}),
                )
                for h in saved
            ],
        )


def _saved(data: Mapping[str, Any], key: str, function: str) -> Any:  # noqa: ANN401
    if key not in data:
        raise InputError(f"The dict given to {function} lacks the key {key!r}.", field=key)
    return data[key]


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
        state belongs to another model, *at* is not a valid date, a context
        value is not a finite number, or a guard needs a missing context value.
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
    lifecycle = instance(
        model, LifecycleModel, name="model", function=function, what="a LifecycleModel"
    )
    current = instance(
        state, CustomerState, name="state", function=function, what="a CustomerState"
    )
    if current.model != lifecycle.name or current.stage not in lifecycle.stage_names:
        raise InputError(
            f"The state given to {function} belongs to the model {current.model!r} (stage "
            f"{current.stage!r}), not to {lifecycle.name!r}.",
            field="state",
        )
    name = choice(event, lifecycle.events, name="event", function=function)
    when = _time(at, "at", function)
    ctx = {} if context is None else _context_items(context, function=function)
    candidates = [t for t in lifecycle.transitions if current.stage in t.source and t.event == name]
    needed = sorted({c.field for t in candidates for c in t.guard} - set(ctx))
    if needed:
        raise InputError(
            f"The 'context' parameter of {function} lacks {needed}, which the guards of the "
            f"event {name!r} from stage {current.stage!r} read.",
            field="context",
            hint="Pass every value the guards use in `context`.",
        )
    if when < current.last_event_at:
        raise TransitionError(
            f"The event {name!r} at {when} is earlier than the customer's last recorded "
            f"transition at {current.last_event_at}; events must be applied in time order."
        )
    chosen, reason = _choose(lifecycle, current.stage, name, ctx)
    if chosen is None:
        allowed = lifecycle.allowed_events(current.stage)
        if reason == "guard failed":
            guards = [" and ".join(str(c) for c in t.guard) for t in candidates]
            raise TransitionError(
                f"The event {name!r} cannot move a customer out of stage {current.stage!r}: "
                f"no guard holds ({'; '.join(guards)}) for the context {ctx}."
            )
        raise TransitionError(
            f"The event {name!r} is not allowed from stage {current.stage!r} of the model "
            f"{lifecycle.name!r}; allowed events there: {list(allowed)}."
        )
    used = {c.field: ctx[c.field] for c in chosen.guard}
    change = StageChange(
        source=current.stage,
        target=chosen.target,
        event=name,
        transition=chosen.name,
        at=when,
        context=used,
    )
    return attrs.evolve(current, stage=chosen.target, history=(*current.history, change))


def _as_of(state: object, as_of: object, function: str) -> tuple[CustomerState, np.datetime64]:
    current = instance(
        state, CustomerState, name="state", function=function, what="a CustomerState"
    )
    when = scalar_datetime(as_of, field="as_of", function=function)
    if when < current.last_event_at:
        raise InputError.for_parameter(
            "as_of",
            f"on or after the last recorded transition ({current.last_event_at})",
            str(when),
            function=function,
        )
    return current, when


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
        If *state* is not a CustomerState, or *as_of* is not a valid date or
        is earlier than the last recorded transition (a state holds no rows to
        exclude: pass the state as it stood at *as_of*).

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
    state, end = _as_of(state, as_of, "time_in_stages")
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
        after *source* (a documented, not an error, outcome). A state does not
        carry its model's stage list, so a misspelt stage also gives ``None``.

    Raises
    ------
    InputError
        If *state* is not a CustomerState or a stage is not a non-empty str.

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
    function = "time_between"
    state = instance(state, CustomerState, name="state", function=function, what="a CustomerState")
    source = text(source, name="source", function=function)
    target = text(target, name="target", function=function)
    entries = [(state.history[0].source if state.history else state.stage, state.started_at)]
    entries += [(h.target, h.at) for h in state.history]
    first_source = next((i for i, (s, _) in enumerate(entries) if s == source), None)
    if first_source is None:
        return None
    for stage, at in entries[first_source:]:
        if stage == target:
            return at - entries[first_source][1]
    return None
