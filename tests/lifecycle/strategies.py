"""Hypothesis strategies for lifecycle models and event sequences."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from crmkit.lifecycle import (
    LifecycleModel,
    dwyer_lifecycle,
    marketing_funnel,
    prospect_lifecycle,
    relationship_lifecycle,
)

BUILTINS = (relationship_lifecycle, dwyer_lifecycle, prospect_lifecycle, marketing_funnel)


@st.composite
def models(draw: st.DrawFn) -> LifecycleModel:
    return draw(st.sampled_from(BUILTINS))()


@st.composite
def valid_walks(draw: st.DrawFn, model: LifecycleModel, max_len: int = 12) -> list[str]:
    """A sequence of events that is valid from the initial stage (unguarded models)."""
    stage = model.initial
    events: list[str] = []
    for _ in range(draw(st.integers(0, max_len))):
        allowed = model.allowed_events(stage)
        if not allowed:
            break
        event = draw(st.sampled_from(allowed))
        events.append(event)
        stage = next(t.target for t in model.transitions_from(stage) if t.event == event)
    return events


@st.composite
def event_logs(draw: st.DrawFn, model: LifecycleModel, *, valid_only: bool):
    """A multi-customer log (customer, event, timestamp) in shuffled row order."""
    n_customers = draw(st.integers(1, 6))
    customers, events, times = [], [], []
    for c in range(n_customers):
        if valid_only:
            walk = draw(valid_walks(model))
        else:
            walk = draw(st.lists(st.sampled_from(model.events), max_size=10))
        # distinct, increasing times per customer
        gaps = draw(st.lists(st.integers(1, 1000), min_size=len(walk), max_size=len(walk)))
        t = np.cumsum(np.array(gaps, dtype=np.int64)) if walk else np.array([], dtype=np.int64)
        customers += [f"c{c}"] * len(walk)
        events += walk
        times += list(np.datetime64("2024-01-01T00:00", "m") + t.astype("timedelta64[m]"))
    perm = draw(st.permutations(range(len(events))))
    return (
        np.array([customers[i] for i in perm], dtype=str),
        np.array([events[i] for i in perm], dtype=str),
        np.array([times[i] for i in perm], dtype="datetime64[us]"),
    )


@st.composite
def random_models(draw: st.DrawFn) -> LifecycleModel:
    """Valid models: a chain for reachability plus extra guarded or unguarded moves."""
    from crmkit.lifecycle import Condition, Stage, Transition

    n = draw(st.integers(2, 6))
    names = [draw(st.sampled_from(["", "stage ", "s-"])) + f"s{i}" for i in range(n)]
    text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
    stages = [Stage(name=name, description=draw(text)) for name in names]
    terminal = [names[-1]] if draw(st.booleans()) else []
    transitions = [
        Transition(name=f"t{i}", source=names[i], target=names[i + 1]) for i in range(n - 1)
    ]
    if not terminal:
        transitions.append(Transition(name="back", source=names[-1], target=names[0]))
    sources = [s for s in names if s not in terminal]
    for j in range(draw(st.integers(0, 4))):
        guard = [
            Condition(
                field=draw(st.sampled_from(["spend", "visits", "score.x"])),
                op=draw(st.sampled_from([">", ">=", "<", "<=", "==", "!="])),
                value=draw(st.floats(-1e6, 1e6, allow_nan=False)),
            )
            for _ in range(draw(st.integers(0, 2)))
        ]
        transitions.append(
            Transition(
                name=f"x{j}",
                source=draw(
                    st.lists(st.sampled_from(sources), min_size=1, max_size=3, unique=True)
                ),
                target=draw(st.sampled_from(names)),
                event=f"e{j}",
                guard=guard,
                description=draw(text),
            )
        )
    return LifecycleModel(
        name=draw(st.sampled_from(["m", "my model", 'quote"d'])),
        stages=stages,
        initial=names[0],
        terminal=terminal,
        transitions=transitions,
        description=draw(text),
    )


GUARD_FIELDS = ("spend", "visits", "score.x")


@st.composite
def guarded_models(draw: st.DrawFn) -> LifecycleModel:
    """Valid models whose events fire one of several guarded transitions.

    Each guarded event splits one context field into disjoint bins (so its
    guards exclude each other), may add a condition on another field, and may
    send several transitions to the same target (only the transition name then
    tells which guard fired).
    """
    from crmkit.lifecycle import Transition

    n = draw(st.integers(2, 5))
    names = [f"s{i}" for i in range(n)]
    terminal = [names[-1]] if draw(st.booleans()) else []
    transitions = [
        Transition(name=f"t{i}", source=names[i], target=names[i + 1]) for i in range(n - 1)
    ]
    if not terminal:
        transitions.append(Transition(name="back", source=names[-1], target=names[0]))
    sources = [s for s in names if s not in terminal]
    for e in range(draw(st.integers(1, 2))):
        field = draw(st.sampled_from(GUARD_FIELDS))
        edges = sorted(draw(st.lists(st.integers(0, 10), min_size=2, max_size=4, unique=True)))
        for j in range(len(edges) - 1):
            guard = [f"{field} >= {edges[j]}", f"{field} < {edges[j + 1]}"]
            if draw(st.booleans()):
                other = draw(st.sampled_from([f for f in GUARD_FIELDS if f != field]))
                op = draw(st.sampled_from([">", ">=", "<", "<=", "!="]))
                guard.append(f"{other} {op} {draw(st.integers(0, 10))}")
            transitions.append(
                Transition(
                    name=f"g{e}_{j}",
                    source=draw(
                        st.lists(st.sampled_from(sources), min_size=1, max_size=3, unique=True)
                    ),
                    target=draw(st.sampled_from(names)),
                    event=f"review{e}",
                    guard=guard,
                )
            )
    return LifecycleModel(
        name="guarded", stages=names, initial=names[0], terminal=terminal, transitions=transitions
    )


@st.composite
def context_columns(draw: st.DrawFn, n: int) -> dict[str, np.ndarray]:
    """Finite context values for every guard field, on and around the guard thresholds."""
    values = st.integers(-1, 11).map(float) | st.sampled_from([0.5, 2.25, 9.75])
    return {
        f: np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
        for f in GUARD_FIELDS
    }
