import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError, TransitionError
from crmkit.lifecycle import (
    CustomerState,
    LifecycleModel,
    Transition,
    apply,
    prospect_lifecycle,
    time_between,
    time_in_stages,
)
from tests.lifecycle.strategies import models, valid_walks

D = np.timedelta64(1, "D")


def _guarded():
    return LifecycleModel(
        name="tiers",
        stages=["member", "silver", "gold", "gone"],
        initial="member",
        terminal=["gone"],
        transitions=[
            Transition(
                name="to_silver",
                source="member",
                target="silver",
                event="review",
                guard=["spend >= 100", "spend < 1000"],
            ),
            Transition(
                name="to_gold",
                source=["member", "silver"],
                target="gold",
                event="review",
                guard=["spend >= 1000"],
            ),
            Transition(name="leave", source=["member", "silver", "gold"], target="gone"),
        ],
    )


def test_apply_records_history():
    m = prospect_lifecycle()
    s0 = CustomerState.start(m, at="2024-01-01", customer=7)
    s1 = apply(m, s0, "show_interest", at="2024-01-03")
    assert s0.stage == "prospect"  # immutable
    assert s0.history == ()
    assert s1.stage == "interested"
    assert s1.history[0].source == "prospect"
    assert s1.history[0].target == "interested"
    assert s1.history[0].transition == "show_interest"
    assert s1.entered_at == np.datetime64("2024-01-03", "us")
    assert s1.customer == 7


def test_guards_pick_transition_and_store_context():
    m = _guarded()
    s = CustomerState.start(m, at="2024-01-01")
    silver = apply(m, s, "review", at="2024-02-01", context={"spend": 150.0, "other": 1.0})
    assert silver.stage == "silver"
    assert silver.history[0].context == (("spend", 150.0),)
    gold = apply(m, silver, "review", at="2024-03-01", context={"spend": 5000})
    assert gold.stage == "gold"
    with pytest.raises(TransitionError, match="no guard holds"):
        apply(m, s, "review", at="2024-02-01", context={"spend": 10.0})
    with pytest.raises(InputError, match="'context' parameter of apply lacks \\['spend'\\]") as e:
        apply(m, s, "review", at="2024-02-01", context={})
    assert e.value.field == "context"


def test_apply_errors():
    m = prospect_lifecycle()
    s = CustomerState.start(m, at="2024-01-05")
    with pytest.raises(
        TransitionError, match=r"allowed events there: \['show_interest', 'purchase'\]"
    ):
        apply(m, s, "churn", at="2024-01-06")
    expected = r"'event' parameter of apply must be one of .*'nope'"
    with pytest.raises(InputError, match=expected) as e:
        apply(m, s, "nope", at="2024-01-06")
    assert e.value.field == "event"
    with pytest.raises(TransitionError, match="earlier than"):
        apply(m, s, "purchase", at="2024-01-04")
    with pytest.raises(InputError, match="belongs to the model") as e:
        apply(_guarded(), s, "leave", at="2024-01-06")
    assert e.value.field == "state"


def test_mixed_timezone_at_is_converted():
    m = prospect_lifecycle()
    s = CustomerState.start(m, at="2024-01-05T10:00")
    s = apply(m, s, "purchase", at="2024-01-05T12:00+02:00")
    assert s.entered_at == np.datetime64("2024-01-05T10:00", "us")


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_state_json_round_trip_exact(data):
    model = data.draw(models())
    walk = data.draw(valid_walks(model))
    s = CustomerState.start(model, at="2024-01-01T00:00:00.000001", customer="abc")
    t = np.datetime64("2024-01-01", "us")
    for i, event in enumerate(walk):
        s = apply(model, s, event, at=t + np.timedelta64((i + 1) * 3_600_000_001, "us"))
    restored = CustomerState.from_dict(json.loads(json.dumps(s.to_dict())))
    assert restored == s
    assert restored.to_dict() == s.to_dict()
    # time in stages sums to the elapsed time
    as_of = s.last_event_at + D
    spent = time_in_stages(s, as_of=as_of)
    assert sum(spent.values(), np.timedelta64(0, "us")) == as_of - s.started_at


def test_state_from_dict_errors():
    s = CustomerState.start(prospect_lifecycle(), at="2024-01-01")
    with pytest.raises(InputError, match="schema") as e:
        CustomerState.from_dict({**s.to_dict(), "schema": "x"})
    assert e.value.field == "schema"
    data = s.to_dict()
    del data["stage"]
    with pytest.raises(InputError, match="lacks the key 'stage'") as e:
        CustomerState.from_dict(data)
    assert e.value.field == "stage"


def test_time_in_stage_and_between():
    m = prospect_lifecycle()
    s = CustomerState.start(m, at="2024-01-01")
    s = apply(m, s, "purchase", at="2024-01-11")
    s = apply(m, s, "churn", at="2024-01-21")
    s = apply(m, s, "win_back", at="2024-01-26")
    spent = time_in_stages(s, as_of="2024-02-05")
    assert {k: v // D for k, v in spent.items()} == {"prospect": 10, "customer": 20, "churned": 5}
    assert time_between(s, "prospect", "churned") // D == 20
    assert time_between(s, "churned", "customer") // D == 5
    assert time_between(s, "customer", "upgraded") is None
    assert time_between(s, "upgraded", "customer") is None
    with pytest.raises(InputError, match="on or after the last recorded transition") as e:
        time_in_stages(s, as_of="2024-01-20")
    assert e.value.field == "as_of"
