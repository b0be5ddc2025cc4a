"""PipelineState: feeding a log batch by batch equals the batch run, bit for bit."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    PipelineState,
    StageHistory,
    fit_stage_rates,
    pipeline_movement,
    truncate_history,
)
from crmkit.funnel._state import select_rows


@st.composite
def logs(draw: st.DrawFn) -> dict:
    """Random field-history logs: stage runs with repeats, outcomes, amounts, close dates."""
    n_opps = draw(st.integers(1, 12))
    rows: dict[str, list] = {k: [] for k in ("opp", "stage", "day", "amount", "close", "team")}
    for o in range(n_opps):
        n = draw(st.integers(1, 6))
        stages = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
        outcome = draw(st.sampled_from([None, 5, 6]))
        if outcome is not None:
            stages[-1] = outcome
        t = draw(st.integers(0, 100))
        team = draw(st.sampled_from(["a", "b"]))
        for s in stages:
            t += draw(st.integers(0, 15))
            rows["opp"].append(o * 7 + 3)
            rows["stage"].append(s)
            rows["day"].append(t)
            rows["amount"].append(float(draw(st.integers(0, 10**6))))
            rows["close"].append(t + draw(st.integers(0, 90)))
            rows["team"].append(team)
    return rows


def _history(rows: dict) -> StageHistory:
    base = np.datetime64("2024-01-01", "D")
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=np.asarray(rows["opp"]),
        stage=np.asarray(rows["stage"]),
        entered=base + np.asarray(rows["day"], dtype="m8[D]"),
        amount=np.asarray(rows["amount"]),
        close_date=base + np.asarray(rows["close"], dtype="m8[D]"),
        dimensions={"team": np.asarray(rows["team"])},
    )


def _same(a: object, b: object) -> None:
    for field in attrs.fields(type(a)):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, field.name
            np.testing.assert_array_equal(x, y, err_msg=field.name, strict=True)
        elif attrs.has(type(x)):
            _same(x, y)
        elif isinstance(x, float) and np.isnan(x):
            assert np.isnan(y), field.name
        elif not hasattr(x, "items"):
            assert x == y, field.name


@settings(max_examples=150, deadline=None)
@given(logs(), st.lists(st.integers(0, 200), max_size=4))
def test_incremental_equals_batch_bitwise(rows, cuts):
    h = _history(rows)
    days = sorted(set(cuts))
    base = np.datetime64("2024-01-01", "us")
    bounds = [base + np.timedelta64(d, "D") for d in days]
    state = PipelineState.from_history(h, as_of=bounds[0]) if bounds else None
    for hi in bounds[1:]:
        state = state.update(h, until=hi)
    state = PipelineState.from_history(h) if state is None else state.update(h, since=bounds[-1])
    batch = PipelineState.from_history(h)
    for st_ in (state, batch):  # every stay points at its own deal
        np.testing.assert_array_equal(st_.opportunity[st_.spell_owner], st_.spell_opportunity)
    for kw in ({"by": "team"}, {"created_before": "2024-02-01"}):
        try:
            expected = fit_stage_rates(h, **kw)
        except InputError:
            with pytest.raises(InputError, match="closed"):
                fit_stage_rates(state, **kw)
            continue
        _same(fit_stage_rates(state, **kw), expected)
    snap_a, snap_b = state.snapshot(), batch.snapshot()
    for name in ("id", "amount", "stage", "close_date", "created"):
        np.testing.assert_array_equal(getattr(snap_a, name), getattr(snap_b, name))
    start = PipelineState.from_history(h, as_of=base + np.timedelta64(60, "D"))
    m_inc = pipeline_movement(start, state, period="month", by=["team"], probabilities="configured")
    m_bat = pipeline_movement(start, batch, period="month", by=["team"], probabilities="configured")
    _same(m_inc, m_bat)


@settings(max_examples=60, deadline=None)
@given(logs(), st.integers(0, 200))
def test_state_at_a_date_is_the_truncated_log(rows, day):
    h = _history(rows)
    cut = np.datetime64("2024-01-01", "us") + np.timedelta64(day, "D")
    a = PipelineState.from_history(h, as_of=cut)
    b = PipelineState.from_history(truncate_history(h, cut))
    np.testing.assert_array_equal(a.opportunity, b.opportunity)
    np.testing.assert_array_equal(a.stage, b.stage)
    # the stage in force at the cut is what the history says
    if b.n_opportunities:
        full = PipelineState.from_history(h)
        at = h.state_at(cut - np.timedelta64(1, "us"))
        known = at >= 0
        np.testing.assert_array_equal(at[known], a.stage)
        assert full.n_opportunities == h.n_opportunities


def test_runs_of_one_stage_are_one_stay():
    h = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 1, 1],
        stage=["plan", "plan", "plan", "won"],
        entered=["2024-01-01", "2024-01-04", "2024-01-08", "2024-01-11"],
    )
    rates = fit_stage_rates(h)
    assert rates.n_spells[2] == 1
    assert rates.mean_days[2] == 10.0


def test_update_refuses_rows_that_break_the_log():
    day1 = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 2],
        stage=["plan", "won"],
        entered=["2024-01-05", "2024-01-05"],
    )
    state = PipelineState.from_history(day1)
    early = StageHistory.from_arrays(
        process=DEFAULT_PROCESS, opportunity=[1], stage=["close"], entered=["2024-01-02"]
    )
    with pytest.raises(InputError, match="earlier than the deal's latest row") as err:
        state.update(early)
    assert err.value.field == "entered"
    after_won = StageHistory.from_arrays(
        process=DEFAULT_PROCESS, opportunity=[2], stage=["plan"], entered=["2024-01-09"]
    )
    with pytest.raises(InputError, match="won or lost") as err:
        state.update(after_won)
    assert err.value.field == "stage"
    with pytest.raises(InputError, match="dimensions") as err:
        state.update(attrs.evolve(early, dimensions={"team": np.array(["a"])}))
    assert err.value.field == "rows"
    with pytest.raises(InputError, match="amount") as err:
        state.update(attrs.evolve(early, amount=np.array([1.0])))
    assert err.value.field == "rows"
    with pytest.raises(InputError, match="as_of") as err:
        state.update(early, until="2024-02-01")
    assert err.value.field == "since"
    strings = StageHistory.from_arrays(
        process=DEFAULT_PROCESS, opportunity=["x"], stage=["plan"], entered=["2024-01-09"]
    )
    with pytest.raises(InputError, match="kind") as err:
        state.update(strings)
    assert err.value.field == "rows"
    with pytest.raises(InputError, match="amount") as err:
        state.snapshot()
    assert err.value.field == "amount"
    assert select_rows(day1, np.array([True, False])).n_opportunities == 1
