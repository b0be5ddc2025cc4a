"""Declarative lifecycle models: stages, guarded transitions, checks and diagram export."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._params import names, text
from crmkit.errors import InputError, ModelDefinitionError
from crmkit.lifecycle._guard import Condition, exclusive, nonempty

__all__ = ["LifecycleModel", "Stage", "Transition"]

MODEL_SCHEMA: Final = "crmkit.lifecycle.model"
MODEL_SCHEMA_VERSION: Final = 1
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _stages(values: object) -> tuple[Stage, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InputError.for_parameter(
            "stages",
            "a sequence of Stage values or stage names",
            values,
            function="LifecycleModel",
            hint=f"Pass [{values!r}] for a single stage." if isinstance(values, str) else None,
        )
    out = []
    for v in values:
        if isinstance(v, Stage):
            out.append(v)
        elif isinstance(v, str):
            out.append(Stage(name=v))
        else:
            raise InputError.for_parameter(
                "stages",
                "a sequence of Stage values or stage names (str)",
                v,
                function="LifecycleModel",
            )
    return tuple(out)


def _sources(values: object) -> tuple[str, ...]:
    if isinstance(values, str):
        return (text(values, name="source", function="Transition"),)
    return names(values, name="source", function="Transition", what="stage names")


def _terminal(values: object) -> tuple[str, ...]:
    return names(
        values, name="terminal", function="LifecycleModel", allow_empty=True, what="stage names"
    )


def _description(inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    text(value, name=attribute.name, function=type(inst).__name__, allow_empty=True)


def _conditions(values: object) -> tuple[Condition, ...]:
    if isinstance(values, (str, Condition)):
        values = [values]
    if not isinstance(values, Iterable):
        raise InputError.for_parameter(
            "guard",
            "a sequence of Condition values or strings such as 'spend >= 100'",
            values,
            function="Transition",
        )
    out = []
    for v in values:
        if isinstance(v, Condition):
            out.append(v)
        elif isinstance(v, str):
            out.append(Condition.parse(v))
        else:
            raise InputError.for_parameter(
                "guard",
                "a sequence of Condition values or strings such as 'spend >= 100'",
                v,
                function="Transition",
            )
    return tuple(out)


def _transitions(values: object) -> tuple[Transition, ...]:
    requirement = "a sequence of Transition values"
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InputError.for_parameter(
            "transitions", requirement, values, function="LifecycleModel"
        )
    out = tuple(values)
    for v in out:
        if not isinstance(v, Transition):
            raise InputError.for_parameter("transitions", requirement, v, function="LifecycleModel")
    return out


@attrs.frozen(kw_only=True)
class Stage:
    """A named stage of a lifecycle, with an optional description.

    Parameters
    ----------
    name : str
        Unique, non-empty stage name.
    description : str, default ""
        What being in this stage means for the business.

    Raises
    ------
    InputError
        If *name* is not a non-empty str or *description* not a str.

    Examples
    --------
    >>> Stage(name="lead", description="left contact details").name
    'lead'
    """

    name: str = attrs.field(validator=nonempty)
    description: str = attrs.field(default="", validator=_description)


def _default_event(value: object, self_: Any) -> str:  # noqa: ANN401
    if value is None:
        return str(self_.name)
    return text(value, name="event", function="Transition")


@attrs.frozen(kw_only=True)
class Transition:
    """A named move from one or several source stages to a target stage.

    Parameters
    ----------
    name : str
        Unique name of the transition within its model.
    source : str or sequence of str
        The stage(s) the transition leaves from.
    target : str
        The stage it enters.
    event : str or None, default None
        The event that triggers it; ``None`` means the event is the transition's
        name. Several transitions may share an event if their guards exclude
        each other.
    guard : Condition, str or a sequence of them, default ()
        Conditions on the context that must all hold (empty: always allowed);
        strings are read with :meth:`Condition.parse`.
    description : str, default ""
        What the move means.

    Raises
    ------
    InputError
        If a name, the source, the target or the event is not a non-empty str
        (the source may also be a sequence of distinct ones), or the guard
        holds something other than conditions.
    ModelDefinitionError
        If a guard string cannot be read as a condition.

    Examples
    --------
    >>> t = Transition(name="qualify", source="lead", target="mql", guard=["score >= 50"])
    >>> t.event, t.source, str(t.guard[0])
    ('qualify', ('lead',), 'score >= 50')
    """

    name: str = attrs.field(validator=nonempty)
    source: tuple[str, ...] = attrs.field(converter=_sources)
    target: str = attrs.field(validator=nonempty)
    event: str = attrs.field(
        default=None,
        converter=attrs.Converter(_default_event, takes_self=True),  # type: ignore[misc]
        validator=nonempty,
    )
    guard: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    description: str = attrs.field(default="", validator=_description)

    def allowed(self, context: Mapping[str, Any]) -> Any:  # noqa: ANN401
        """Whether every guard condition holds on *context* (True when unguarded).

        Parameters
        ----------
        context : mapping of str to float or ndarray
            Context values by field name.

        Returns
        -------
        bool or ndarray of bool
            The conjunction of the guard conditions.

        Examples
        --------
        >>> Transition(name="vip", source="customer", target="vip", guard=["spend > 1000"]).allowed(
        ...     {"spend": 1500.0}
        ... )
        True
        """
        result: Any = True
        for condition in self.guard:
            result = result & condition.holds(context)
        return result


@attrs.frozen(kw_only=True)
class LifecycleModel:
    """A typed, immutable customer lifecycle: stages, initial and terminal stages, transitions.

    The definition is checked when built; every problem raises
    :class:`~crmkit.errors.ModelDefinitionError` naming it.

    Parameters
    ----------
    name : str
        Name of the model, stored with customer states.
    stages : sequence of Stage or str
        All stages, in display order.
    initial : str
        The stage every new customer starts in.
    terminal : sequence of str
        Stages with no way out (may be empty).
    transitions : sequence of Transition
        The allowed moves.
    description : str, default ""
        What the model describes; a reference where it comes from a paper.

    Raises
    ------
    InputError
        If an argument has the wrong type: a name that is not a non-empty str,
        stages that are neither ``Stage`` values nor names, terminal stages
        that are not a sequence of distinct names (a bare str is refused), or
        transitions that are not ``Transition`` values.
    ModelDefinitionError
        On duplicate stage or transition names, an unknown initial, terminal,
        source or target stage, a terminal stage with an outgoing transition, a
        stage unreachable from the initial stage, a non-terminal stage with no
        way out, or two transitions on the same event from the same stage whose
        guards do not exclude each other.

    Notes
    -----
    Guards are conjunctions of :class:`Condition` values. Two transitions
    sharing a source stage and an event are unambiguous only if both are
    guarded and, for some context field, the intervals their conditions allow
    are disjoint; so at most one of them can fire for any context.

    Examples
    --------
    A newsletter lifecycle where a subscriber becomes a buyer after ordering:

    >>> model = LifecycleModel(
    ...     name="newsletter",
    ...     stages=["subscriber", "buyer", "unsubscribed"],
    ...     initial="subscriber",
    ...     terminal=["unsubscribed"],
    ...     transitions=[
    ...         Transition(name="order", source="subscriber", target="buyer"),
    ...         Transition(
    ...             name="unsubscribe", source=["subscriber", "buyer"], target="unsubscribed"
    ...         ),
    ...     ],
    ... )
    >>> model.events
    ('order', 'unsubscribe')
    >>> model.allowed_events("buyer")
    ('unsubscribe',)
    >>> LifecycleModel.from_dict(model.to_dict()) == model
    True
    """

    name: str = attrs.field(validator=nonempty)
    stages: tuple[Stage, ...] = attrs.field(converter=_stages)
    initial: str = attrs.field(validator=nonempty)
    terminal: tuple[str, ...] = attrs.field(converter=_terminal)
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    description: str = attrs.field(default="", validator=_description)

    def __attrs_post_init__(self) -> None:
        _check_model(self)

    @property
    def stage_names(self) -> tuple[str, ...]:
        """Stage names in display order."""
        return tuple(s.name for s in self.stages)

    @property
    def events(self) -> tuple[str, ...]:
        """Distinct event names, in the order their first transition is listed."""
        return tuple(dict.fromkeys(t.event for t in self.transitions))

    def stage_index(self, stage: str) -> int:
        """Position of *stage* in :attr:`stages`.

        Parameters
        ----------
        stage : str
            A stage name.

        Returns
        -------
        int
            Its index.

        Raises
        ------
        InputError
            If the model has no such stage.

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> prospect_lifecycle().stage_index("customer")
        2
        """
        known = self.stage_names
        if stage not in known:
            raise InputError(
                f"{stage!r} is not a stage of the lifecycle model {self.name!r}; "
                f"its stages are {list(known)}.",
                field="stage",
                values=[stage],
            )
        return known.index(stage)

    def is_terminal(self, stage: str) -> bool:
        """Whether *stage* is terminal.

        Parameters
        ----------
        stage : str
            A stage name.

        Returns
        -------
        bool
            True for terminal stages.

        Raises
        ------
        InputError
            If the model has no such stage.

        Examples
        --------
        >>> from crmkit.lifecycle import dwyer_lifecycle
        >>> dwyer_lifecycle().is_terminal("dissolution")
        True
        """
        self.stage_index(stage)
        return stage in self.terminal

    def transitions_from(self, stage: str) -> tuple[Transition, ...]:
        """Transitions leaving *stage*, in definition order.

        Parameters
        ----------
        stage : str
            A stage name.

        Returns
        -------
        tuple of Transition
            Possibly empty (terminal stages).

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> [t.name for t in prospect_lifecycle().transitions_from("upgraded")]
        ['downgrade', 'churn']
        """
        self.stage_index(stage)
        return tuple(t for t in self.transitions if stage in t.source)

    def allowed_events(self, stage: str) -> tuple[str, ...]:
        """Events that can move a customer out of *stage* (guards aside).

        Parameters
        ----------
        stage : str
            A stage name.

        Returns
        -------
        tuple of str
            Distinct event names in definition order.

        Examples
        --------
        >>> from crmkit.lifecycle import marketing_funnel
        >>> marketing_funnel().allowed_events("lead")
        ('qualify_marketing',)
        """
        return tuple(dict.fromkeys(t.event for t in self.transitions_from(stage)))

    def to_mermaid(self) -> str:
        """Return the model as a Mermaid ``stateDiagram-v2`` diagram.

        Returns
        -------
        str
            Mermaid source; transitions are labelled with their event (and guard).

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> print(prospect_lifecycle().to_mermaid().splitlines()[0])
        stateDiagram-v2
        """
        ids = _ids(self.stage_names)
        lines = ["stateDiagram-v2"]
        for stage in self.stages:
            sid = ids[stage.name]
            if sid != stage.name:
                lines.append(f'    state "{_mermaid_text(stage.name)}" as {sid}')
        lines.append(f"    [*] --> {ids[self.initial]}")
        for t in self.transitions:
            label = _mermaid_text(_label(t))
            lines.extend(f"    {ids[s]} --> {ids[t.target]} : {label}" for s in t.source)
        lines.extend(f"    {ids[s]} --> [*]" for s in self.terminal)
        return "\n".join(lines)

    def to_dot(self) -> str:
        """Return the model as a Graphviz DOT digraph.

        Returns
        -------
        str
            DOT source: rounded boxes for stages, a double octagon for terminal
            stages, a point marking the initial stage and labelled edges.

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> prospect_lifecycle().to_dot().startswith('digraph "prospect"')
        True
        """
        q = _dot_quote
        lines = [
            f"digraph {q(self.name)} {{",
            "    rankdir=LR;",
            '    node [shape=box, style="rounded"];',
            "    __start__ [shape=point];",
        ]
        for stage in self.stages:
            shape = ", shape=doubleoctagon" if stage.name in self.terminal else ""
            tooltip = f", tooltip={q(stage.description)}" if stage.description else ""
            lines.append(f"    {q(stage.name)} [label={q(stage.name)}{shape}{tooltip}];")
        lines.append(f"    __start__ -> {q(self.initial)};")
        for t in self.transitions:
            lines.extend(f"    {q(s)} -> {q(t.target)} [label={q(_label(t))}];" for s in t.source)
        lines.append("}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the model as a JSON-safe dict with a schema name and version.

        Returns
        -------
        dict
            Restorable with :meth:`from_dict`; the round trip is exact.

        Examples
        --------
        >>> import json
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> data = json.loads(json.dumps(prospect_lifecycle().to_dict()))
        >>> data["schema"], data["version"], data["initial"]
        ('crmkit.lifecycle.model', 1, 'prospect')
        """
        return {
            "schema": MODEL_SCHEMA,
            "version": MODEL_SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "stages": [{"name": s.name, "description": s.description} for s in self.stages],
            "initial": self.initial,
            "terminal": list(self.terminal),
            "transitions": [
                {
                    "name": t.name,
                    "source": list(t.source),
                    "target": t.target,
                    "event": t.event,
                    "guard": [
                        {"field": c.field, "op": c.op.value, "value": c.value} for c in t.guard
                    ],
                    "description": t.description,
                }
                for t in self.transitions
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LifecycleModel:
        """Rebuild a model from :meth:`to_dict` output (re-checking the definition).

        Parameters
        ----------
        data : mapping
            A dict as produced by :meth:`to_dict` (for example after a JSON round trip).

        Returns
        -------
        LifecycleModel
            The model.

        Raises
        ------
        InputError
            If *data* (or one of its stage, transition or guard entries) is not
            a mapping, or a value has the wrong type.
        ModelDefinitionError
            If the schema or version is not recognised, a key is missing (the
            error's ``field`` names it) or the definition is inconsistent.

        Examples
        --------
        >>> from crmkit.lifecycle import prospect_lifecycle
        >>> m = prospect_lifecycle()
        >>> LifecycleModel.from_dict(m.to_dict()) == m
        True
        """
        function = "LifecycleModel.from_dict"
        top = _mapping(data, "data", function)
        if top.get("schema") != MODEL_SCHEMA or top.get("version") != MODEL_SCHEMA_VERSION:
            raise ModelDefinitionError(
                f"Expected a dict with schema {MODEL_SCHEMA!r} version {MODEL_SCHEMA_VERSION}; "
                f"got schema {top.get('schema')!r} version {top.get('version')!r}.",
                field="schema",
            )
        stages = [
            _mapping(s, "stages", function) for s in _items(_key(top, "stages", "data"), "stages")
        ]
        transitions = [
            _mapping(t, "transitions", function)
            for t in _items(_key(top, "transitions", "data"), "transitions")
        ]
        return cls(
            name=_key(top, "name", "data"),
            description=top.get("description", ""),
            stages=[
                Stage(name=_key(s, "name", "stages"), description=s.get("description", ""))
                for s in stages
            ],
            initial=_key(top, "initial", "data"),
            terminal=_key(top, "terminal", "data"),
            transitions=[
                Transition(
                    name=_key(t, "name", "transitions"),
                    source=_key(t, "source", "transitions"),
                    target=_key(t, "target", "transitions"),
                    event=t.get("event"),
                    guard=[
                        Condition(
                            field=_key(c, "field", "guard"),
                            op=_key(c, "op", "guard"),
                            value=_key(c, "value", "guard"),
                        )
                        for c in (
                            _mapping(g, "guard", function)
                            for g in _items(t.get("guard", []), "guard")
                        )
                    ],
                    description=t.get("description", ""),
                )
                for t in transitions
            ],
        )

    def event_table(self) -> tuple[npt.NDArray[np.int64], tuple[str, ...]]:
        """Return the (stage, event) -> next-stage table used by vectorised replay.

        Returns
        -------
        table : ndarray of int64, shape (n_stages, n_events)
            Index of the target stage; ``-1`` where the event is not allowed,
            ``-2`` where only guarded transitions apply.
        events : tuple of str
            The event order of the columns (:attr:`events`).

        Examples
        --------
        >>> from crmkit.lifecycle import dwyer_lifecycle
        >>> table, events = dwyer_lifecycle().event_table()
        >>> events, table[0].tolist()
        (('explore', 'expand', 'commit', 'dissolve'), [1, -1, -1, -1])
        """
        events = self.events
        ev_index = {e: i for i, e in enumerate(events)}
        st_index = {s: i for i, s in enumerate(self.stage_names)}
        table = np.full((len(self.stages), len(events)), -1, dtype=np.int64)
        for t in self.transitions:
            for s in t.source:
                table[st_index[s], ev_index[t.event]] = -2 if t.guard else st_index[t.target]
        return table, events


def _label(t: Transition) -> str:
    label = t.event
    if t.guard:
        label += " [" + " and ".join(str(c) for c in t.guard) + "]"
    return label


def _ids(names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, name in enumerate(names):
        out[name] = name if _IDENT.match(name) and name != "state" else f"s{i}"
    return out


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace(":", "#58;")


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mapping(value: object, name: str, function: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise InputError.for_parameter(
        name, "a mapping, as to_dict() writes it", value, function=function
    )


def _key(entry: Mapping[str, Any], key: str, where: str) -> Any:  # noqa: ANN401
    if key not in entry:
        part = "lifecycle model dict" if where == "data" else f"{where!r} entry of the model dict"
        raise ModelDefinitionError(
            f"The {part} lacks the key {key!r}.",
            field=key if where == "data" else where,
        )
    return entry[key]


def _items(value: object, where: str) -> list[object]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ModelDefinitionError(
            f"The {where!r} of a lifecycle model dict must be a list; got {type(value).__name__}.",
            field=where,
        )
    return list(value)


def _check_model(model: LifecycleModel) -> None:
    stage_names = model.stage_names
    where = f"lifecycle model {model.name!r}"
    dupes = sorted({n for n in stage_names if stage_names.count(n) > 1})
    if dupes:
        raise ModelDefinitionError(
            f"The {where} lists the stage(s) {dupes} more than once.", field="stages"
        )
    known = set(stage_names)
    if model.initial not in known:
        raise ModelDefinitionError(
            f"The initial stage {model.initial!r} of the {where} is not one of its stages "
            f"{list(stage_names)}.",
            field="initial",
        )
    unknown_terminal = [s for s in model.terminal if s not in known]
    if unknown_terminal:
        raise ModelDefinitionError(
            f"The terminal stage(s) {unknown_terminal} of the {where} are not among its stages "
            f"{list(stage_names)}.",
            field="terminal",
        )
    tnames = [t.name for t in model.transitions]
    tdupes = sorted({n for n in tnames if tnames.count(n) > 1})
    if tdupes:
        raise ModelDefinitionError(
            f"The {where} has duplicate transition names {tdupes}.", field="transitions"
        )
    for t in model.transitions:
        bad = [s for s in (*t.source, t.target) if s not in known]
        if bad:
            raise ModelDefinitionError(
                f"The transition {t.name!r} of the {where} refers to unknown stage(s) {bad}; "
                f"the stages are {list(stage_names)}.",
                field="transitions",
            )
        leaving_terminal = [s for s in t.source if s in model.terminal]
        if leaving_terminal:
            raise ModelDefinitionError(
                f"The transition {t.name!r} of the {where} leaves the terminal stage(s) "
                f"{leaving_terminal}; terminal stages have no way out.",
                field="terminal",
            )
    reachable = {model.initial}
    frontier = [model.initial]
    while frontier:
        stage = frontier.pop()
        for t in model.transitions:
            if stage in t.source and t.target not in reachable:
                reachable.add(t.target)
                frontier.append(t.target)
    unreachable = [n for n in stage_names if n not in reachable]
    if unreachable:
        raise ModelDefinitionError(
            f"The stage(s) {unreachable} of the {where} cannot be reached from the initial "
            f"stage {model.initial!r}.",
            field="transitions",
        )
    leaving = {s for t in model.transitions for s in t.source if t.target != s}
    dead = [n for n in stage_names if n not in model.terminal and n not in leaving]
    if dead:
        raise ModelDefinitionError(
            f"The non-terminal stage(s) {dead} of the {where} have no transition out; "
            "mark them terminal or add a transition.",
            field="terminal",
        )
    by_key: dict[tuple[str, str], list[Transition]] = {}
    for t in model.transitions:
        for s in t.source:
            by_key.setdefault((s, t.event), []).append(t)
    for (stage, event), group in by_key.items():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if not exclusive(a.guard, b.guard):
                    raise ModelDefinitionError(
                        f"The transitions {a.name!r} and {b.name!r} of the {where} both fire on "
                        f"the event {event!r} from stage {stage!r} and their guards do not "
                        "exclude each other.",
                        field="transitions",
                    )
