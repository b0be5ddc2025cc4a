"""Pipeline movement: the accounting identity, the change log, waterfalls and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.funnel import (
    COMPONENTS,
    DEFAULT_PROCESS,
    Opportunities,
    PipelineState,
    SalesProcess,
    Stage,
    pipeline_movement,
)
from crmkit.periods import Horizon

NAMES = DEFAULT_PROCESS.names


@st.composite
def snapshot_pair(draw: st.DrawFn, *, integer_amounts: bool = True) -> tuple[dict, dict]:
    """Two snapshots of overlapping deals: any change of stage, amount, close date or region."""
    n = draw(st.integers(1, 25))
    ids = np.arange(n, dtype=np.int64)
    amount = st.integers(0, 10**9).map(float) if integer_amounts else st.floats(0, 1e7)

    def columns(present: list[bool]) -> dict:
        rows = [i for i in range(n) if present[i]]
        m = len(rows)
        cols = {
            "id": ids[rows],
            "amount": np.asarray(draw(st.lists(amount, min_size=m, max_size=m)), dtype=float),
            "stage": np.asarray(draw(st.lists(st.sampled_from(NAMES), min_size=m, max_size=m))),
            "close_date": np.datetime64("2024-01-01", "D")
            + np.asarray(draw(st.lists(st.integers(0, 200), min_size=m, max_size=m)), "m8[D]"),
            "region": np.asarray(
                draw(st.lists(st.sampled_from(["n", "s"]), min_size=m, max_size=m)), dtype="<U1"
            ),
        }
        for v in cols.values():
            v.flags.writeable = False
        return cols

    before = columns(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    after = columns(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return before, after


def _opps(cols: dict) -> Opportunities:
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=cols["id"],
        amount=cols["amount"],
        stage=cols["stage"],
        close_date=cols["close_date"],
        dimensions={"region": cols["region"]},
    )


def _check_identity(m, before: Opportunities, after: Opportunities, *, exact: bool) -> None:
    recon = m.start + m.amount.sum(axis=1)
    wrecon = m.weighted_start + m.weighted.sum(axis=1)
    if exact:
        np.testing.assert_array_equal(recon, m.end)
    else:
        scale = np.abs(m.amount).sum(axis=1) + m.start + m.end + 1.0
        assert np.all(np.abs(recon - m.end) <= 1e-9 * scale)
    wscale = np.abs(m.weighted).sum(axis=1) + m.weighted_start + m.weighted_end + 1.0
    assert np.all(np.abs(wrecon - m.weighted_end) <= 1e-9 * wscale)
    # counts: every deal that enters or leaves a cell is counted once
    cnt = dict(zip(COMPONENTS, m.count.T, strict=True))
    inflow = sum(cnt[c] for c in ("new", "reopened", "pulled_in", "pushed_in", "reassigned_in"))
    outflow = sum(
        cnt[c] for c in ("pushed_out", "pulled_out", "reassigned_out", "won", "lost", "removed")
    )
    np.testing.assert_array_equal(m.n_start + inflow - outflow, m.n_end)
    # start and end are the open pipelines of the two snapshots
    assert m.start.sum() == pytest.approx(before.amount[before.is_open].sum(), rel=1e-12, abs=1e-6)
    assert m.end.sum() == pytest.approx(after.amount[after.is_open].sum(), rel=1e-12, abs=1e-6)
    # the unweighted pipeline does not move when only a stage changes
    for c in ("advanced", "regressed", "reweighted"):
        assert np.all(m.component(c) == 0)
    outs = ("pushed_out", "pulled_out", "reassigned_out", "won", "lost", "removed")
    assert all(np.all(m.component(c) <= 0) for c in outs)


@settings(max_examples=150, deadline=None)
@given(snapshot_pair())
def test_movement_identity_is_exact_for_whole_amounts(pair):
    b, a = pair
    before, after = _opps(b), _opps(a)
    m = pipeline_movement(before, after, period="month", by=["region"], probabilities="configured")
    _check_identity(m, before, after, exact=True)
    json.dumps(m.to_dict())


@settings(max_examples=80, deadline=None)
@given(snapshot_pair(integer_amounts=False))
def test_movement_identity_holds_to_rounding_for_any_amounts(pair):
    b, a = pair
    before, after = _opps(b), _opps(a)
    m = pipeline_movement(before, after, period="quarter", probabilities="configured")
    _check_identity(m, before, after, exact=False)


@settings(max_examples=80, deadline=None)
@given(snapshot_pair())
def test_movement_identity_over_overlapping_horizons(pair):
    b, a = pair
    before, after = _opps(b), _opps(a)
    spec = [Horizon.next_days("2024-01-20", 30), Horizon.next_days("2024-01-01", 90)]
    m = pipeline_movement(before, after, period=spec, by=["region"], probabilities="configured")
    recon = m.start + m.amount.sum(axis=1)
    np.testing.assert_array_equal(recon, m.end)


def test_known_movement_by_hand():
    before = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4, 5, 6],
        amount=[100.0, 200.0, 300.0, 400.0, 500.0, 600.0],
        stage=["plan", "plan", "close", "qualify", "plan", "plan"],
        close_date=["2024-07-05"] * 6,
        dimensions={"region": ["n", "n", "n", "n", "n", "n"]},
    )
    after = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4, 5, 7],
        amount=[100.0, 150.0, 300.0, 400.0, 500.0, 70.0],
        stage=["propose solution", "plan", "won", "lost", "plan", "qualify"],
        close_date=[
            "2024-07-05",
            "2024-07-05",
            "2024-07-02",
            "2024-07-03",
            "2024-08-05",
            "2024-07-30",
        ],
        dimensions={"region": ["n", "n", "n", "n", "n", "s"]},
    )
    m = pipeline_movement(before, after, period="month", by=["region"], probabilities="configured")
    july_n = (m.period == "2024-07") & (m.groups["region"] == "n")
    row = {c: float(m.component(c)[july_n][0]) for c in COMPONENTS}
    assert row["amount_change"] == -50.0  # deal 2
    assert row["won"] == -300.0  # deal 3
    assert row["lost"] == -400.0  # deal 4
    assert row["pushed_out"] == -500.0  # deal 5 to August
    assert row["removed"] == -600.0  # deal 6 gone
    assert float(m.start[july_n][0]) == 2100.0
    assert float(m.end[july_n][0]) == 250.0
    # weighted: deal 1 advanced plan (0.4) -> propose (0.6) at amount 100
    w = float(m.component("advanced", weighted=True)[july_n][0])
    assert w == pytest.approx(20.0)
    aug = m.period == "2024-08"
    assert float(m.component("pushed_in")[aug][0]) == 500.0
    july_s = (m.period == "2024-07") & (m.groups["region"] == "s")
    assert float(m.component("new")[july_s][0]) == 70.0
    ch = m.changes
    assert ch.id.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert ch.won.tolist() == [False, False, True, False, False, False, False]
    assert ch.pushed.tolist() == [False, False, False, False, True, False, False]
    assert ch.amount_down.tolist() == [False, True, False, False, False, False, False]
    assert ch.created.tolist()[-1]
    assert ch.removed.tolist()[5]
    assert m.n_unchanged == 0
    w_all = m.waterfall(weighted=False, where={"period": "2024-07", "region": "n"})
    assert w_all.amount[0] == 2100.0
    assert w_all.amount[-1] == 250.0
    assert w_all.amount[1:-1].sum() == pytest.approx(250.0 - 2100.0)
    assert np.all(w_all.bottom <= w_all.top)


def test_movement_from_a_log_sliced_at_two_dates_matches_the_snapshots():
    from crmkit.datasets import simulate_pipeline

    sim = simulate_pipeline(800, "2023-01-01", "2024-01-01", seed=4)
    s0 = PipelineState.from_history(sim.log, as_of="2023-12-01")
    s1 = PipelineState.from_history(sim.log, as_of="2024-01-01")
    m = pipeline_movement(s0, s1, period="month", by=["region"], probabilities="configured")
    m2 = pipeline_movement(
        s0.snapshot(), sim.opportunities, period="month", by=["region"], probabilities="configured"
    )
    np.testing.assert_array_equal(m.amount, m2.amount)
    np.testing.assert_array_equal(m.end, m2.end)
    assert (m.component("pushed_out") < 0).any()  # the log pushes close dates


def test_movement_refuses_snapshots_of_other_processes():
    other = SalesProcess(stages=(Stage(name="plan", probability=0.5),))
    a = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[1], amount=[1.0], stage=["plan"], close_date=["2024-01-01"]
    )
    b = Opportunities.from_arrays(
        process=other, id=[1], amount=[1.0], stage=["plan"], close_date=["2024-01-01"]
    )
    with pytest.raises(InputError, match="same sales process") as err:
        pipeline_movement(a, b, period="month", probabilities="configured")
    assert err.value.field == "after"


def test_a_deal_id_twice_in_a_snapshot_is_named():
    with pytest.raises(InputError, match="must be unique") as err:
        Opportunities.from_arrays(
            process=DEFAULT_PROCESS,
            id=[1, 2, 1],
            amount=[1.0, 2.0, 3.0],
            stage=["plan"] * 3,
            close_date=["2024-01-01"] * 3,
        )
    assert err.value.field == "id"
    assert err.value.positions == (0, 2)


def test_movement_errors_name_the_field():
    a = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[1], amount=[1.0], stage=["plan"], close_date=["2024-01-01"]
    )
    b = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=["x"], amount=[1.0], stage=["plan"], close_date=["2024-01-01"]
    )
    with pytest.raises(InputError, match="same kind") as err:
        pipeline_movement(a, b, period="month", probabilities="configured")
    assert err.value.field == "after"
    with pytest.raises(InputError, match="dimension names") as err:
        pipeline_movement(a, a, period="month", by=["region"], probabilities="configured")
    assert err.value.field == "by"
    nodate = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[1], amount=[1.0], stage=["plan"]
    )
    with pytest.raises(InputError, match="must be known") as err:
        pipeline_movement(a, nodate, period="month", probabilities="configured")
    assert err.value.field == "close_date"
    with pytest.raises(InputError) as err:
        pipeline_movement(a, a, period="fortnight", probabilities="configured")
    assert err.value.field == "period"
    with pytest.raises(InputError) as err:
        pipeline_movement(a, "b", period="month", probabilities="configured")
    assert err.value.field == "after"
    m = pipeline_movement(a, a, period="month", probabilities="configured")
    with pytest.raises(InputError) as err:
        m.waterfall(weighted=True, where={"team": "x"})
    assert err.value.field == "where"
    with pytest.raises(InputError) as err:
        m.component("teleported")
    assert err.value.field == "name"
    assert m.n_unchanged == 1
    assert m.changes.id.size == 0


def test_movement_over_close_dates_centuries_apart():
    """Dates too spread for the per-day key table take the direct path: same answer."""
    a = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3],
        amount=[1.0, 2.0, 4.0],
        stage=["plan", "plan", "plan"],
        close_date=["1905-03-01", "2190-07-01", "2024-01-05"],
    )
    b = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3],
        amount=[1.0, 2.0, 4.0],
        stage=["plan", "won", "plan"],
        close_date=["1905-04-01", "2190-07-01", "2024-01-05"],
    )
    m = pipeline_movement(a, b, period="month", probabilities="configured")
    assert m.period.tolist() == ["1905-03", "1905-04", "2024-01", "2190-07"]
    assert m.component("pushed_out").tolist() == [-1.0, 0.0, 0.0, 0.0]
    assert m.component("won").tolist() == [0.0, 0.0, 0.0, -2.0]
    assert m.end.tolist() == [0.0, 1.0, 4.0, 0.0]
