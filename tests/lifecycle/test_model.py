import json

import pytest
from hypothesis import given, settings

from crmkit.errors import InputError, ModelDefinitionError
from crmkit.lifecycle import (
    Comparison,
    Condition,
    LifecycleModel,
    Stage,
    Transition,
    dwyer_lifecycle,
    marketing_funnel,
    prospect_lifecycle,
    relationship_lifecycle,
)
from tests.lifecycle.strategies import models, random_models


def _model(**overrides):
    spec = {
        "name": "m",
        "stages": ["a", "b", "c"],
        "initial": "a",
        "terminal": ["c"],
        "transitions": [
            Transition(name="go", source="a", target="b"),
            Transition(name="end", source=["a", "b"], target="c"),
        ],
    }
    spec.update(overrides)
    return LifecycleModel(**spec)


def test_valid_model_properties():
    m = _model()
    assert m.stage_names == ("a", "b", "c")
    assert m.events == ("go", "end")
    assert m.allowed_events("a") == ("go", "end")
    assert m.allowed_events("c") == ()
    assert m.is_terminal("c")
    assert not m.is_terminal("a")
    table, events = m.event_table()
    assert events == ("go", "end")
    assert table.tolist() == [[1, 2], [-1, 2], [-1, -1]]


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"stages": ["a", "b", "b", "c"]}, "more than once"),
        ({"initial": "z"}, "initial stage 'z'"),
        ({"terminal": ["q"]}, r"terminal stage\(s\) \['q'\]"),
        (
            {"transitions": [Transition(name="go", source="a", target="x")]},
            r"unknown stage\(s\) \['x'\]",
        ),
        (
            {
                "transitions": [
                    Transition(name="go", source="a", target="b"),
                    Transition(name="go", source="b", target="c"),
                ]
            },
            "duplicate transition names",
        ),
        (
            {"transitions": [Transition(name="end", source="a", target="c")]},
            r"\['b'\].*cannot be reached",
        ),
        (
            {
                "transitions": [
                    Transition(name="go", source="a", target="b"),
                    Transition(name="end", source="a", target="c"),
                ]
            },
            r"non-terminal stage\(s\) \['b'\].*no transition out",
        ),
        (
            {
                "transitions": [
                    Transition(name="go", source="a", target="b"),
                    Transition(name="end", source=["a", "b"], target="c"),
                    Transition(name="back", source="c", target="a"),
                ]
            },
            "leaves the terminal stage",
        ),
        (
            {
                "transitions": [
                    Transition(name="go", source="a", target="b", event="e"),
                    Transition(name="end", source=["a", "b"], target="c", event="e"),
                ]
            },
            "'go' and 'end'.*event 'e' from stage 'a'",
        ),
        (
            {
                "transitions": [
                    Transition(name="go", source="a", target="b", event="e", guard=["x >= 5"]),
                    Transition(
                        name="end", source=["a", "b"], target="c", event="e", guard=["x > 3"]
                    ),
                ]
            },
            "guards do not exclude",
        ),
    ],
)
def test_definition_errors(overrides, match):
    with pytest.raises(ModelDefinitionError, match=match):
        _model(**overrides)


def test_exclusive_guards_are_accepted():
    m = _model(
        transitions=[
            Transition(name="go", source="a", target="b", event="e", guard=["x >= 5"]),
            Transition(name="end", source="a", target="c", event="e", guard=["x < 5"]),
            Transition(name="end_b", source="b", target="c", event="e"),
        ]
    )
    table, _ = m.event_table()
    assert table[0, 0] == -2
    assert table[1, 0] == 2


@pytest.mark.parametrize(
    ("a", "b", "exclusive"),
    [
        (["x > 5"], ["x <= 5"], True),
        (["x >= 5"], ["x <= 5"], False),
        (["x == 5"], ["x != 5"], True),
        (["x == 5"], ["x == 6"], True),
        (["x > 5"], ["y > 5"], False),
        (["x > 5", "y < 1"], ["y >= 1"], True),
    ],
)
def test_guard_exclusivity(a, b, exclusive):
    transitions = [
        Transition(name="t1", source="a", target="b", event="e", guard=a),
        Transition(name="t2", source="a", target="c", event="e", guard=b),
        Transition(name="t3", source="b", target="c"),
    ]
    if exclusive:
        _model(transitions=transitions)
    else:
        with pytest.raises(ModelDefinitionError, match="guards do not exclude"):
            _model(transitions=transitions)


def test_condition_parse_and_eval():
    c = Condition.parse("  spend_90d >= 500 ")
    assert c == Condition(field="spend_90d", op=Comparison.GE, value=500.0)
    assert c.holds({"spend_90d": 500})
    assert not c.holds({"spend_90d": 499.99})
    with pytest.raises(InputError, match="spend_90d"):
        c.holds({"spend": 1.0})
    with pytest.raises(ModelDefinitionError, match="Cannot read"):
        Condition.parse("spend is big")
    with pytest.raises(InputError, match="'value' parameter of Condition must be a finite") as err:
        Condition(field="x", op=">", value=float("nan"))
    assert err.value.field == "value"
    with pytest.raises(InputError, match="'name' parameter of Stage must be a non-empty") as err:
        Stage(name="")
    assert err.value.field == "name"


def test_mermaid_and_dot():
    m = _model(
        stages=["a", "b c", "c"],
        transitions=[
            Transition(name="go", source="a", target="b c", guard=["x > 1"]),
            Transition(name="end", source=["a", "b c"], target="c"),
        ],
    )
    mermaid = m.to_mermaid()
    assert mermaid.splitlines()[0] == "stateDiagram-v2"
    assert '    state "b c" as s1' in mermaid
    assert "    [*] --> a" in mermaid
    assert "    a --> s1 : go [x > 1]" in mermaid
    assert "    s1 --> c : end" in mermaid
    assert "    c --> [*]" in mermaid
    dot = m.to_dot()
    assert dot.startswith('digraph "m" {')
    assert '"a" -> "b c" [label="go [x > 1]"];' in dot
    assert '"c" [label="c", shape=doubleoctagon];' in dot
    assert '__start__ -> "a";' in dot
    assert dot.endswith("}")


@settings(max_examples=20, deadline=None)
@given(models())
def test_model_json_round_trip_exact(model):
    restored = LifecycleModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model
    assert restored.to_dict() == model.to_dict()


def test_guarded_model_round_trip():
    m = _model(
        transitions=[
            Transition(
                name="go",
                source="a",
                target="b",
                event="e",
                guard=["x >= 5", "y != 0"],
                description="d",
            ),
            Transition(name="end", source="a", target="c", event="e", guard=["x < 5"]),
            Transition(name="end_b", source="b", target="c"),
        ]
    )
    assert LifecycleModel.from_dict(json.loads(json.dumps(m.to_dict()))) == m


def test_from_dict_errors():
    data = _model().to_dict()
    with pytest.raises(ModelDefinitionError, match="schema"):
        LifecycleModel.from_dict({**data, "version": 99})
    broken = dict(data)
    del broken["initial"]
    with pytest.raises(ModelDefinitionError, match="'initial'"):
        LifecycleModel.from_dict(broken)


def test_builtins():
    assert relationship_lifecycle().terminal == ("terminated",)
    assert "reactivate" in relationship_lifecycle().allowed_events("decline")
    assert dwyer_lifecycle().stage_names == (
        "awareness",
        "exploration",
        "expansion",
        "commitment",
        "dissolution",
    )
    p = prospect_lifecycle()
    assert p.allowed_events("customer") == ("upgrade", "churn")
    assert p.allowed_events("churned") == ("win_back",)
    f = marketing_funnel()
    # forward-only except the explicit recycle
    order = f.stage_names
    for t in f.transitions:
        for s in t.source:
            assert order.index(t.target) > order.index(s) or t.name == "recycle"
    assert {t.target for t in f.transitions if t.name == "recycle"} == {"lead"}


def test_stage_index_unknown():
    with pytest.raises(InputError, match="not a stage"):
        _model().stage_index("zz")


@settings(max_examples=60, deadline=None)
@given(random_models())
def test_random_model_round_trip_and_diagrams(model):
    restored = LifecycleModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model
    mermaid = model.to_mermaid().splitlines()
    dot = model.to_dot().splitlines()
    n_edges = sum(len(t.source) for t in model.transitions)
    assert sum(" --> " in line and "[*]" not in line for line in mermaid) == n_edges
    assert sum(" -> " in line and "__start__" not in line for line in dot) == n_edges
    assert dot[0].startswith("digraph ")
    assert dot[-1] == "}"


def test_bad_comparison_is_refused_by_name():
    with pytest.raises(InputError, match="'op' parameter of Condition must be one of") as err:
        Condition(field="x", op="=>", value=1.0)
    assert err.value.field == "op"
    assert "Did you mean" in str(err.value)
