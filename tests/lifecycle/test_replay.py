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
from tests.lifecycle.strategies import context_columns, event_logs, guarded_models, models


def _one_by_one(model, customers, events, times, context=None):
    """Oracle: apply() per customer in (time, row) order, skipping rejected events."""
    order = np.lexsort((np.arange(len(times)), times))
    states, rejected = {}, []
    for row in order:
        c = customers[row].item()
        state = states.get(c)
        if state is None:
            state = CustomerState.start(model, at=times[row], customer=c)
        ctx = None if context is None else {k: v[row] for k, v in context.items()}
        try:
            state = apply(model, state, str(events[row]), at=times[row], context=ctx)
        except TransitionError:
            rejected.append(int(row))
        states[c] = state
    return states, rejected


def _read_only(*arrays):
    out = tuple(a.copy() for a in arrays)
    for a in out:
        a.flags.writeable = False
    return out


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_replay_equals_apply_one_by_one(data):
    guarded = data.draw(st.booleans())
    model = data.draw(guarded_models() if guarded else models())
    valid_only = not guarded and data.draw(st.booleans())
    customers, events, times = data.draw(event_logs(model, valid_only=valid_only))
    context = data.draw(context_columns(len(events))) if guarded else None
    ro = _read_only(customers, events, times)
    log = {"customer": ro[0], "event": ro[1], "timestamp": ro[2]}
    if context is not None:
        log.update(dict(zip(context, _read_only(*context.values()), strict=True)))
    r = replay(model, log, context=list(context or ()))
    states, rejected = _one_by_one(model, customers, events, times, context)
    assert sorted(states) == r.customer.tolist()
    for i, c in enumerate(r.customer.tolist()):
        s = states[c]
        assert r.stage[i] == s.stage
        assert r.entered_at[i] == s.entered_at
        assert r.n_applied[i] == len(s.history)
        # the full state: transitions taken and the guard context values they read
        assert r.customer_state(model, c) == s
        assert CustomerState.from_dict(r.customer_state(model, c).to_dict()) == s
    assert sorted(r.rejected_rows.tolist()) == sorted(rejected)
    assert sum(r.rejected.values()) == len(rejected) == int(r.n_rejected.sum())
    if valid_only:
        assert not rejected
    # the change log equals the concatenated histories, guard records included
    logged = sorted(
        (c, str(h.at), h.source, h.target, h.transition, h.context)
        for c, s in states.items()
        for h in s.history
    )
    ch = r.changes
    at = ch.at
    guard_of = {
        int(row): (ch.transitions[int(t)], j)
        for j, (row, t) in enumerate(zip(ch.guard_rows, ch.guard_transition, strict=True))
    }
    assert (np.diff(ch.guard_rows) > 0).all()
    got = []
    for row in range(len(ch)):
        source, event = ch.source[row], ch.event[row]
        if row in guard_of:
            name, j = guard_of[row]
            ctx = tuple(
                (f, float(v[j])) for f, v in sorted(ch.guard_context.items()) if not np.isnan(v[j])
            )
        else:
            name = next(
                t.name
                for t in model.transitions
                if t.event == event and source in t.source and not t.guard
            )
            ctx = ()
        got.append((ch.customer[row].item(), str(at[row]), source, ch.target[row], name, ctx))
    assert sorted(got) == logged
    if not guarded:
        assert ch.guard_rows.size == 0
        assert dict(ch.guard_context) == {}


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
    with pytest.raises(InputError, match="'event' column of replay was mapped to 'event'") as e:
        replay(m, {"customer": [1], "timestamp": ["2024-01-01"]})
    assert e.value.field == "event"
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


def test_customer_state_keeps_which_guard_fired_and_what_it_read():
    # two guarded transitions with the same source, event and target: only the
    # recorded transition (not the stages) tells which one fired
    m = LifecycleModel(
        name="upsell",
        stages=["customer", "premium", "closed"],
        initial="customer",
        terminal=["closed"],
        transitions=[
            Transition(
                name="small",
                source="customer",
                target="premium",
                event="upsell",
                guard=["spend < 100", "visits >= 2"],
            ),
            Transition(
                name="big",
                source="customer",
                target="premium",
                event="upsell",
                guard=["spend >= 100"],
            ),
            Transition(name="downgrade", source="premium", target="customer"),
            Transition(name="close", source=["customer", "premium"], target="closed"),
        ],
    )
    log = {
        "customer": ["x", "x", "x", "y", "y", "x"],
        "event": ["upsell", "downgrade", "upsell", "upsell", "close", "close"],
        "timestamp": [
            "2024-01-01",
            "2024-02-01",
            "2024-03-01",
            "2024-01-05",
            "2024-01-06",
            "2024-04-01",
        ],
        "spend": [40.0, 0.0, 400.0, 10.0, 0.0, 0.0],
        "visits": [3.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        "ignored": [1.0] * 6,
    }
    r = replay(m, log, context=["spend", "visits", "ignored"])
    ch = r.changes
    assert r.rejected["guard_failed"] == 1  # y: spend < 100 but visits < 2
    assert sorted(ch.guard_context) == ["spend", "visits"]  # fields no guard reads are not kept
    assert [ch.transitions[t] for t in ch.guard_transition] == ["small", "big"]
    assert ch.guard_context["spend"].tolist() == [40.0, 400.0]
    assert np.isnan(ch.guard_context["visits"][1])
    x = r.customer_state(m, "x")
    assert [h.transition for h in x.history] == ["small", "downgrade", "big", "close"]
    assert [dict(h.context) for h in x.history] == [
        {"spend": 40.0, "visits": 3.0},
        {},
        {"spend": 400.0},
        {},
    ]
    s = CustomerState.start(m, at="2024-01-01", customer="x")
    for i in (0, 1, 2, 5):
        ctx = {k: log[k][i] for k in ("spend", "visits", "ignored")}
        s = apply(m, s, log["event"][i], at=log["timestamp"][i], context=ctx)
    assert x == s
    assert r.customer_state(m, "y").history[0].context == ()
    d = ch.to_dict()
    assert d["guard_context"]["visits"] == [3.0, None]
    assert d["transitions"] == ["small", "big", "downgrade", "close"]


def test_guard_records_with_rejections_and_initial_table():
    m = _tiers()
    first = replay(
        m,
        {
            "customer": [1, 2],
            "event": ["review", "review"],
            "timestamp": ["2024-01-01"] * 2,
            "spend": [150.0, 5.0],
        },
        context=["spend"],
    )
    assert first.changes.guard_rows.tolist() == [0]
    second = replay(
        m,
        {
            "customer": [1, 1, 2, 1],
            "event": ["close", "review", "review", "review"],
            "timestamp": ["2023-12-01", "2024-02-01", "2024-02-01", "2024-03-01"],
            "spend": [0.0, 50.0, 2000.0, 3000.0],
        },
        context=["spend"],
        initial=first,
    )
    ch = second.changes
    # row 0 is before the last recorded change, row 1 fails every guard
    assert second.rejected["before_last_recorded"] == 1
    assert second.rejected["guard_failed"] == 1
    assert ch.customer.tolist() == [1, 2]
    assert ch.guard_rows.tolist() == [0, 1]
    assert ch.guard_context["spend"].tolist() == [3000.0, 2000.0]
    assert [ch.transitions[t] for t in ch.guard_transition] == ["g", "g"]
    assert second.customer_state(m, 1).history[0].context == (("spend", 3000.0),)
