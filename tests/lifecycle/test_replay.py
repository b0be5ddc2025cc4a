import numpy as np
import pandas as pd
import polars as pl
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
    relationship_lifecycle,
    replay,
)
from tests.lifecycle.strategies import event_logs, models


def _one_by_one(model, customers, events, times):
    """Oracle: apply() per customer in (time, row) order, skipping rejected events."""
    order = np.lexsort((np.arange(len(times)), times))
    states, rejected = {}, []
    for row in order:
        c = customers[row].item()
        state = states.get(c)
        if state is None:
            state = CustomerState.start(model, at=times[row], customer=c)
        try:
            state = apply(model, state, str(events[row]), at=times[row])
        except TransitionError:
            rejected.append(int(row))
        states[c] = state
    return states, rejected


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_replay_equals_apply_one_by_one(data):
    model = data.draw(models())
    valid_only = data.draw(st.booleans())
    customers, events, times = data.draw(event_logs(model, valid_only=valid_only))
    ro = customers.copy(), events.copy(), times.copy()
    for a in ro:
        a.flags.writeable = False
    r = replay(model, {"customer": ro[0], "event": ro[1], "timestamp": ro[2]})
    states, rejected = _one_by_one(model, customers, events, times)
    assert sorted(states) == r.customer.tolist()
    for i, c in enumerate(r.customer.tolist()):
        s = states[c]
        assert r.stage[i] == s.stage
        assert r.entered_at[i] == s.entered_at
        assert r.n_applied[i] == len(s.history)
        assert r.customer_state(model, c) == s
    assert sorted(r.rejected_rows.tolist()) == sorted(rejected)
    assert sum(r.rejected.values()) == len(rejected) == int(r.n_rejected.sum())
    if valid_only:
        assert not rejected
    # the change log equals the concatenated histories
    logged = sorted(
        (c, str(h.at), h.source, h.target) for c, s in states.items() for h in s.history
    )
    got = sorted(
        zip(
            r.changes.customer.tolist(),
            [str(t) for t in r.changes.at],
            r.changes.source.tolist(),
            r.changes.target.tolist(),
            strict=True,
        )
    )
    assert got == logged


def test_reasons_and_positions():
    m = relationship_lifecycle()
    log = {
        "customer": [5, 5, 5, 5, 6],
        "event": ["terminate", "build_up", "mature", "reactivate", "mature"],
        "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-01"],
    }
    r = replay(m, log)
    assert r.stage.tolist() == ["terminated", "exploration"]
    assert r.rejected == {
        "not_allowed": 1,
        "after_terminal": 3,
        "guard_failed": 0,
        "before_last_recorded": 0,
    }
    # ascending row positions
    assert r.rejected_rows.tolist() == [1, 2, 3, 4]
    assert r.rejected_reason.tolist() == ["after_terminal"] * 3 + ["not_allowed"]
    assert r.n_applied.tolist() == [1, 0]
    assert r.n_rejected.tolist() == [3, 1]
    assert r.stage_counts() == {"exploration": 1, "terminated": 1}
    with pytest.raises(TransitionError, match=r"'terminate'|'mature'") as info:
        replay(m, log, strict=True)
    assert "row 4" in str(info.value)
    assert "4 event(s)" in str(info.value)


def test_guarded_replay_uses_context_columns():
    m = LifecycleModel(
        name="tiers",
        stages=["member", "silver", "gold"],
        initial="member",
        terminal=[],
        transitions=[
            Transition(
                name="s",
                source="member",
                target="silver",
                event="review",
                guard=["spend >= 100", "spend < 1000"],
            ),
            Transition(
                name="g",
                source=["member", "silver"],
                target="gold",
                event="review",
                guard=["spend >= 1000"],
            ),
            Transition(name="down", source=["silver", "gold"], target="member"),
        ],
    )
    frame = pd.DataFrame(
        {
            "cid": ["a", "a", "b", "c"],
            "what": ["review", "review", "review", "review"],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01", "2024-01-01"]),
            "spend": [150.0, 2000.0, 10.0, 5000.0],
        }
    )
    r = replay(m, frame, customer="cid", event="what", timestamp="when", context=["spend"])
    assert r.stage.tolist() == ["gold", "member", "gold"]
    assert r.rejected["guard_failed"] == 1
    with pytest.raises(InputError, match="spend"):
        replay(m, frame, customer="cid", event="what", timestamp="when")


def test_polars_frame_and_initial_table():
    m = prospect_lifecycle()
    first = replay(
        m,
        pl.DataFrame(
            {
                "customer": [1, 2],
                "event": ["purchase", "show_interest"],
                "timestamp": ["2024-01-05", "2024-01-06"],
            }
        ).with_columns(pl.col("timestamp").str.to_datetime()),
    )
    second = replay(
        m,
        {
            "customer": [1, 1],
            "event": ["upgrade", "churn"],
            "timestamp": ["2024-01-01", "2024-02-01"],
        },
        initial=first,
    )
    assert second.customer.tolist() == [1, 2]
    assert second.stage.tolist() == ["churned", "interested"]
    assert second.rejected["before_last_recorded"] == 1
    assert second.n_applied.tolist() == [1, 0]
    assert str(second.entered_at[1]) == "2024-01-06T00:00:00.000000"
    with pytest.raises(InputError, match=r"listed in the 'initial' table.*1 bad row"):
        replay(
            m, {"customer": [9], "event": ["purchase"], "timestamp": ["2024-03-01"]}, initial=first
        )
    table = {"customer": ["x"], "stage": ["vip"], "entered_at": ["2024-01-01"]}
    with pytest.raises(InputError, match="must name stages"):
        replay(
            m, {"customer": ["x"], "event": ["churn"], "timestamp": ["2024-03-01"]}, initial=table
        )


def test_bad_input():
    m = prospect_lifecycle()
    with pytest.raises(InputError, match=r"(?s)2 bad rows.*Known events: \['show_interest'"):
        replay(
            m,
            {
                "customer": [1, 2, 3],
                "event": ["purchase", "buy", "buy"],
                "timestamp": ["2024-01-01"] * 3,
            },
        )
    with pytest.raises(InputError, match="mix timezone-aware and naive"):
        replay(
            m,
            {
                "customer": [1, 2],
                "event": ["purchase"] * 2,
                "timestamp": ["2024-01-01T00:00+01:00", "2024-01-01T00:00"],
            },
        )
    with pytest.raises(InputError, match="no column 'event'"):
        replay(m, {"customer": [1], "timestamp": ["2024-01-01"]})
    with pytest.raises(InputError, match="must not be null"):
        replay(
            m, {"customer": [1, None], "event": ["purchase"] * 2, "timestamp": ["2024-01-01"] * 2}
        )


def test_empty_log():
    r = replay(
        prospect_lifecycle(),
        {
            "customer": np.array([], dtype=np.int64),
            "event": np.array([], dtype=str),
            "timestamp": np.array([], dtype="datetime64[us]"),
        },
    )
    assert r.customer.size == 0
    assert r.n_events == 0
    assert r.to_dict()["rejected"]["not_allowed"] == 0


def _tiers():
    return LifecycleModel(
        name="tiers",
        stages=["member", "silver", "gold", "closed"],
        initial="member",
        terminal=["closed"],
        transitions=[
            Transition(
                name="s",
                source="member",
                target="silver",
                event="review",
                guard=["spend >= 100", "spend < 1000"],
            ),
            Transition(
                name="g",
                source=["member", "silver"],
                target="gold",
                event="review",
                guard=["spend >= 1000"],
            ),
            Transition(name="down", source=["silver", "gold"], target="member"),
            Transition(name="close", source=["member", "silver", "gold"], target="closed"),
        ],
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from(["review", "down", "close"]),
            st.integers(0, 50),
            st.sampled_from([0.0, 50.0, 100.0, 500.0, 999.99, 1000.0, 5000.0]),
        ),
        max_size=40,
    )
)
def test_guarded_replay_equals_apply(rows):
    model = _tiers()
    cust = np.array([r[0] for r in rows], dtype=np.int64)
    ev = np.array([r[1] for r in rows], dtype=str)
    t = np.datetime64("2024-01-01", "us") + np.array([r[2] for r in rows], dtype=np.int64) * (
        np.timedelta64(1, "h")
    )
    spend = np.array([r[3] for r in rows], dtype=np.float64)
    for a in (cust, ev, t, spend):
        a.flags.writeable = False
    r = replay(
        model, {"customer": cust, "event": ev, "timestamp": t, "spend": spend}, context=["spend"]
    )
    order = np.lexsort((np.arange(len(rows)), t))
    states, rejected = {}, []
    for row in order:
        c = int(cust[row])
        s = states.get(c) or CustomerState.start(model, at=t[row])
        try:
            s = apply(model, s, str(ev[row]), at=t[row], context={"spend": spend[row]})
        except TransitionError:
            rejected.append(int(row))
        states[c] = s
    assert dict(zip(r.customer.tolist(), r.stage.tolist(), strict=True)) == {
        c: s.stage for c, s in states.items()
    }
    assert r.rejected_rows.tolist() == sorted(rejected)


def test_strict_reports_earliest_rejection_in_time():
    m = prospect_lifecycle()
    log = {
        "customer": [1, 2],
        "event": ["churn", "upgrade"],
        "timestamp": ["2024-05-01", "2024-01-01"],
    }
    with pytest.raises(TransitionError, match=r"'upgrade' of customer 2 .*\(row 1\).*not_allowed"):
        replay(m, log, strict=True)


def test_replay_result_is_json_safe_and_framed():
    import json

    r = replay(
        relationship_lifecycle(),
        {
            "customer": [1, 1, 2],
            "event": ["build_up", "reactivate", "terminate"],
            "timestamp": ["2024-01-01", "2024-02-01", "2024-01-05"],
        },
    )
    d = json.loads(json.dumps(r.to_dict()))
    assert d["rejected_reason"] == ["not_allowed"]
    assert d["changes"]["stages"] == list(relationship_lifecycle().stage_names)
    frame = r.changes.to_frame()
    assert frame["target"].tolist() == ["build_up", "terminated"]
    assert len(r.changes) == 2


def test_customer_state_errors():
    m = prospect_lifecycle()
    r = replay(m, {"customer": [1], "event": ["purchase"], "timestamp": ["2024-01-01"]})
    with pytest.raises(InputError, match="not in this replay"):
        r.customer_state(m, 2)
    with pytest.raises(InputError, match="model the log was replayed with"):
        r.customer_state(relationship_lifecycle(), 1)
