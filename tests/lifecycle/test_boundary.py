"""Issue 9 for crmkit.lifecycle: bad input is refused by name, and one convention holds.

Each test names the problem it closes. Errors are checked by their ``field``
and the key words of their message, not only their type.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import Transactions
from crmkit.errors import InputError, ModelDefinitionError
from crmkit.lifecycle import (
    CustomerState,
    LifecycleModel,
    StageChange,
    TransitionMatrix,
    apply,
    churn_by_period,
    classify_stages,
    cohort_retention,
    lifecycle_metrics,
    migration_value,
    project_stages,
    prospect_lifecycle,
    replay,
    stage_panel,
    time_between_stages,
    time_in_stage,
    transition_matrix,
)

CHURN = TransitionMatrix.from_probabilities(
    [[0.8, 0.2, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]], stages=["active", "lapsed", "lost"]
)


def _raises(field: str, *words: str):
    """Context manager: an InputError naming *field* whose message has every word."""
    return _Raises(field, words)


class _Raises:
    def __init__(self, field: str, words: tuple[str, ...]) -> None:
        self.field = field
        self.words = words
        self._cm = pytest.raises(InputError)

    def __enter__(self):
        return self._cm.__enter__()

    def __exit__(self, *exc):
        suppressed = self._cm.__exit__(*exc)
        err = self._cm.excinfo.value
        assert err.field == self.field, f"field {err.field!r}, expected {self.field!r}: {err}"
        for word in self.words:
            assert word in str(err), f"{word!r} not in: {err}"
        return suppressed


# --------------------------------------------------------------------------- named problems


def test_apply_refuses_an_empty_at():
    m = prospect_lifecycle()
    s = CustomerState.start(m, at="2024-01-01")
    with _raises("at", "'at' parameter of apply", "null or empty"):
        apply(m, s, "purchase", at="")
    with _raises("at", "date_format"):
        apply(m, s, "purchase", at="20240105")


def test_replay_context_is_names_not_letters():
    log = {"customer": [1], "event": ["purchase"], "timestamp": ["2024-01-02"], "spend": [1.0]}
    with _raises("context", "'context' parameter of replay", "Pass ['spend']"):
        replay(prospect_lifecycle(), log, context="spend")
    with _raises("context", "'spend' appears 2 times"):
        replay(prospect_lifecycle(), log, context=["spend", "spend"])
    with _raises("context", "'missing'", "not in the data"):
        replay(prospect_lifecycle(), log, context=["missing"])
    frame = pd.DataFrame(log)
    with _raises("context", "'missing'"):
        replay(prospect_lifecycle(), frame, context=["missing"])


def test_transition_matrix_refuses_duplicate_stages():
    panel = {"customer": [1, 1], "period": [1, 2], "stage": ["a", "b"]}
    with _raises("stages", "'a' appears 2 times"):
        transition_matrix(panel, stages=["a", "a", "b"])
    with _raises("stages", "Pass ['ab']"):
        transition_matrix(panel, stages="ab")


def test_project_stages_is_bounded_and_fast():
    with _raises("periods", "limit is 10,000,000"):
        project_stages(CHURN, {"active": 1}, periods=10**7)
    # a long projection inside the limit runs in blocks: lost customers absorb everyone
    p = project_stages(CHURN, {"active": 1000}, periods=1_000_000)
    assert p.shares.shape == (1_000_001, 3)
    assert np.allclose(p.shares[-1], [0.0, 0.0, 1.0])
    assert np.allclose(p.shares.sum(axis=1), 1.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 700), st.integers(0, 2**31 - 1))
def test_block_projection_equals_step_by_step(periods, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(4), size=4)
    m = TransitionMatrix.from_probabilities(P, stages=list("abcd"))
    start = rng.random(4) + 0.1
    p = project_stages(m, start, periods=periods)
    x = start / start.sum()
    expected = [x]
    for _ in range(periods):
        x = x @ P
        expected.append(x / x.sum())
    assert np.allclose(p.shares, np.array(expected), rtol=0, atol=1e-12)


def test_project_stages_initial_is_checked_by_name():
    with _raises("initial", "number >= 0", "'x'"):
        project_stages(CHURN, {"active": "x"}, periods=1)
    with _raises("initial", "3 numbers"):
        project_stages(CHURN, [1.0, 2.0], periods=1)
    with _raises("initial", "within float64's range"):
        project_stages(CHURN, [1e308, 1e308, 1e308], periods=1)
    huge = project_stages(CHURN, [1e308, 1e307, 0.0], periods=2)
    assert np.isfinite(huge.counts).all()


def test_migration_value_overflow_is_refused_by_name():
    with _raises("horizon", "float64's range"):
        migration_value(CHURN, reward=[1.0, 0.0, 0.0], discount_rate=-0.5, horizon=5000)
    with _raises("reward", "float64's range", "Rescale"):
        migration_value(CHURN, reward=[1e308, 0.0, 0.0], discount_rate=0.01)
    with _raises("cost", "reward - cost"):
        migration_value(CHURN, reward=[1e308, 0.0, 0.0], cost=-1e308, discount_rate=0.01)
    with _raises("reward", "'x'"):
        migration_value(CHURN, reward={"active": "x"}, discount_rate=0.01)
    with _raises("reward", "keyed by the stages"):
        migration_value(CHURN, reward={"vip": 1.0}, discount_rate=0.01)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 300),
    st.floats(-0.3, 1.0),
    st.integers(0, 2**31 - 1),
)
def test_doubling_horizon_equals_the_plain_sum(horizon, d, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(3), size=3)
    r = rng.normal(0, 50, size=3)
    m = TransitionMatrix.from_probabilities(P, stages=["a", "b", "c"])
    M = P / (1 + d)
    expected = np.zeros(3)
    term = r.copy()
    for _ in range(horizon):
        expected += term
        term = M @ term
    if not np.isfinite(expected).all():
        return
    got = migration_value(m, reward=r, discount_rate=d, horizon=horizon).value
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "x", None])
def test_per_stage_numbers_refuse_each_bad_item(bad):
    with _raises("reward"):
        migration_value(CHURN, reward=[bad, 0.0, 0.0], discount_rate=0.01)
    with _raises("reward"):
        migration_value(CHURN, reward={"active": bad}, discount_rate=0.01)
    with _raises("cost"):
        migration_value(CHURN, reward=[1.0, 0.0, 0.0], cost=bad, discount_rate=0.01)
    with _raises("initial"):
        project_stages(CHURN, [bad, 1.0, 0.0], periods=1)
    with _raises("context", "'context' parameter of StageChange"):
        StageChange(
            source="a",
            target="b",
            event="e",
            transition="t",
            at="2024-01-01",
            context={"spend": bad},
        )


def test_cost_may_be_one_number_reward_may_not():
    flat = migration_value(CHURN, reward=[10.0, 0.0, 0.0], cost=1.0, discount_rate=0.1)
    listed = migration_value(CHURN, reward=[10.0, 0.0, 0.0], cost=[1.0] * 3, discount_rate=0.1)
    assert flat.value.tolist() == listed.value.tolist()
    with _raises("reward", "one per stage"):
        migration_value(CHURN, reward=10.0, discount_rate=0.1)
    empty = StageChange(
        source="a", target="b", event="e", transition="t", at="2024-01-01", context={}
    )
    assert empty.context == ()


def test_a_huge_horizon_converges_to_the_infinite_one():
    reward = {"active": 40.0}
    long = migration_value(CHURN, reward=reward, discount_rate=0.01, horizon=10**12).value
    forever = migration_value(CHURN, reward=reward, discount_rate=0.01).value
    assert np.allclose(long, forever, rtol=1e-10)


def test_absorption_too_slow_for_float64_is_refused():
    from crmkit.lifecycle import absorption

    leak = TransitionMatrix.from_probabilities(
        [[0.0, 1.0, 0.0], [1.0 - 1e-17, 0.0, 1e-17], [0.0, 0.0, 1.0]], stages=["a", "b", "c"]
    )
    with _raises("matrix", "too slowly for float64"):
        absorption(leak)


def test_cohort_retention_excludes_and_counts_rows_after_as_of():
    rows = {
        "customer": [1, 1, 2, 2],
        "timestamp": ["2024-01-05", "2024-02-03", "2024-01-20", "2024-03-01"],
    }
    r = cohort_retention(rows, frequency="month", as_of="2024-03-01")
    assert r.n_rows_after_as_of == 1  # 2024-03-01 is at as_of: excluded
    assert r.active.tolist() == [[2, 1]]
    assert not r.as_of_is_default
    with _raises("as_of", "'as_of' parameter of cohort_retention"):
        cohort_retention(rows, frequency="month", as_of="2024-01-01")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9)), min_size=1, max_size=60),
)
def test_cohort_churn_is_the_share_of_last_periods_actives_who_left(rows):
    """Oracle: the sets of active customers per (cohort, period since), by hand."""
    months = np.array(["2024-01-15"], dtype="datetime64[M]")[0]
    cust = [c for c, _ in rows]
    stamp = [str((months + m).astype("datetime64[D]")) for _, m in rows]
    r = cohort_retention(
        {"customer": cust, "timestamp": stamp}, frequency="month", as_of="2024-11-01"
    )
    first = {}
    for c, m in rows:
        first[c] = min(first.get(c, m), m)
    active = {(c, m - first[c]) for c, m in rows}
    churn = r.churn_rate
    for k in range(1, r.periods_since.size):
        observable = [c for c in first if first[c] + k <= 9]
        before = [c for c in observable if (c, k - 1) in active]
        if not before:
            assert np.isnan(churn[k])
            continue
        stayed = [c for c in before if (c, k) in active]
        assert churn[k] == pytest.approx(1 - len(stayed) / len(before))
        assert 0.0 <= churn[k] <= 1.0
    assert np.isnan(churn[0])


def test_purchase_data_with_returning_customers_gives_no_negative_churn():
    # two customers skip February and come back in March: the active count rises
    rows = {
        "customer": [1, 2, 3, 1, 2, 3],
        "timestamp": [
            "2024-01-02",
            "2024-01-03",
            "2024-01-04",
            "2024-03-02",
            "2024-03-03",
            "2024-02-04",
        ],
    }
    r = cohort_retention(rows, frequency="month", as_of="2024-04-01")
    assert r.active.tolist() == [[3, 1, 2]]
    assert r.churn_rate[1:].tolist() == [2 / 3, 1.0]  # net change would say -1.0 at k = 2


def test_lifecycle_metrics_takes_the_column_keywords_and_date_format():
    cdnow = pd.DataFrame(
        {"cust": [4, 4, 5], "date": [19970101, 19970118, 19970212], "eur": [29.33, 29.73, 5.0]}
    )
    m = lifecycle_metrics(
        cdnow,
        customer="cust",
        timestamp="date",
        amount="eur",
        date_format="%Y%m%d",
        as_of="1997-03-01",
    )
    assert m.customer.tolist() == [4, 5]
    assert m.tenure_days.tolist() == [59.0, 17.0]
    with _raises("timestamp", "date_format='%Y%m%d'"):
        lifecycle_metrics(cdnow, customer="cust", timestamp="date", amount="eur")
    with _raises("customer", "'customer' column of lifecycle_metrics was mapped to 'id'"):
        lifecycle_metrics(cdnow, customer="id", timestamp="date", amount="eur")


def test_lifecycle_metrics_cuts_strictly_at_as_of():
    tx = {"customer": [1, 1], "timestamp": ["2024-01-01", "2024-03-01"], "amount": [5.0, 7.0]}
    m = lifecycle_metrics(tx, as_of="2024-03-01")
    assert m.n_rows_after_as_of == 1
    assert m.frequency.tolist() == [1]
    default = lifecycle_metrics(tx)
    assert default.as_of_is_default
    assert str(default.as_of)[:10] == "2024-03-02"


# --------------------------------------------------------------------------- empty input


def test_estimators_refuse_empty_input_by_the_data_argument():
    empty_panel = {"customer": [], "period": [], "stage": []}
    with _raises("data", "transition_matrix needs at least one row"):
        transition_matrix(empty_panel)
    entries = {"customer": [], "stage": [], "timestamp": []}
    with _raises("data", "stage_panel"):
        stage_panel(entries, frequency="month", as_of="2024-01-01")
    with _raises("data", "time_in_stage"):
        time_in_stage(entries, as_of="2024-01-01")
    with _raises("data", "time_between_stages"):
        time_between_stages(entries, source="a", target="b", as_of="2024-01-01")
    with _raises("data", "classify_stages"):
        classify_stages({"customer": [], "tenure_days": [], "recency_days": [], "frequency": []})
    with _raises("data", "cohort_retention"):
        cohort_retention({"customer": [], "timestamp": []}, frequency="month")
    with _raises("data", "churn_by_period"):
        churn_by_period({"customer": [], "timestamp": []}, frequency="month")
    with _raises("transactions", "lifecycle_metrics"):
        lifecycle_metrics({"customer": [], "timestamp": [], "amount": []})
    nothing_replayed = replay(
        prospect_lifecycle(), {"customer": [1], "event": ["churn"], "timestamp": ["2024-01-01"]}
    )
    with _raises("data", "transition_matrix"):
        transition_matrix(nothing_replayed)


def test_replay_of_an_empty_batch_changes_nothing():
    m = prospect_lifecycle()
    empty = {"customer": [], "event": [], "timestamp": []}
    r = replay(m, empty)
    assert r.customer.size == 0
    assert r.n_events == 0
    before = replay(
        m, {"customer": ["a", "b"], "event": ["purchase"] * 2, "timestamp": ["2024-01-02"] * 2}
    )
    after = replay(m, empty, initial=before)
    assert after.customer.tolist() == before.customer.tolist()
    assert after.stage.tolist() == before.stage.tolist()
    assert after.entered_at.tolist() == before.entered_at.tolist()


# --------------------------------------------------------------------------- dates


def test_every_lifecycle_reader_takes_date_format():
    days = ["02/01/2024", "20/01/2024", "03/02/2024", "03/03/2024"]
    entries = {
        "customer": [1, 1, 2, 1],
        "stage": ["lead", "customer", "lead", "churned"],
        "timestamp": days,
    }
    iso = {**entries, "timestamp": ["2024-01-02", "2024-01-20", "2024-02-03", "2024-03-03"]}
    fmt = "%d/%m/%Y"
    kw = {"frequency": "month", "as_of": "2024-04-01"}
    assert (
        stage_panel(entries, date_format=fmt, **kw).stage.tolist()
        == stage_panel(iso, **kw).stage.tolist()
    )
    assert time_in_stage(entries, as_of="2024-04-01", date_format=fmt).spells.days.tolist() == (
        time_in_stage(iso, as_of="2024-04-01").spells.days.tolist()
    )
    between = {"source": "lead", "target": "customer", "as_of": "2024-04-01"}
    assert time_between_stages(entries, date_format=fmt, **between).days.tolist() == (
        time_between_stages(iso, **between).days.tolist()
    )
    activity = {"customer": entries["customer"], "timestamp": days}
    iso_activity = {"customer": iso["customer"], "timestamp": iso["timestamp"]}
    assert cohort_retention(activity, date_format=fmt, **kw).active.tolist() == (
        cohort_retention(iso_activity, **kw).active.tolist()
    )
    assert churn_by_period(activity, date_format=fmt, **kw).churn_rate.tolist() == (
        churn_by_period(iso_activity, **kw).churn_rate.tolist()
    )
    log = {"customer": [1, 1], "event": ["purchase", "churn"], "timestamp": days[:2]}
    r = replay(prospect_lifecycle(), log, date_format=fmt)
    assert str(r.entered_at[0])[:10] == "2024-01-20"
    with _raises("timestamp", "ISO-8601", "date_format"):
        replay(prospect_lifecycle(), {**log, "timestamp": ["20240102", "20240120"]})
    with _raises("timestamp", "'timestamp' column of stage_panel"):
        stage_panel(entries, **kw)


def test_transition_matrix_reads_text_periods_as_dates_never_as_text():
    panel = {
        "customer": [1, 1, 1],
        "period": ["2024-01", "2024-02", "2024-03"],
        "stage": ["a", "a", "b"],
    }
    with _raises("period", "date"):
        transition_matrix({**panel, "period": ["Jan", "Feb", "Mar"]})
    m = transition_matrix(
        {**panel, "period": ["01/2024", "02/2024", "03/2024"]}, date_format="%m/%Y"
    )
    assert m.counts.tolist() == [[1, 1], [0, 0]]
    iso = transition_matrix({**panel, "period": ["2024-01-01", "2024-02-01", "2024-03-01"]})
    assert iso.counts.tolist() == m.counts.tolist()
    with _raises("period", "whole numbers"):
        transition_matrix({**panel, "period": [1.0, 1.5, 2.0]})


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("bad", ["   ", ["lead"], 3, None, ""])
def test_stage_and_event_names_are_non_blank_text(bad):
    from crmkit.lifecycle import Stage, Transition

    with _raises("name", "'name' parameter of Stage must be a non-empty str"):
        Stage(name=bad)
    with _raises("event", "'event' parameter of apply"):
        apply(
            prospect_lifecycle(),
            CustomerState.start(prospect_lifecycle(), at="2024-01-01"),
            bad,
            at="2024-01-02",
        )
    if bad is not None:  # None means "the transition's name" for an event
        with _raises("event", "'event' parameter of Transition"):
            Transition(name="go", source="a", target="b", event=bad)


def test_one_source_or_guard_may_be_given_alone():
    from crmkit.lifecycle import Transition

    t = Transition(name="go", source="a", target="b", guard="score > 1")
    assert t.source == ("a",)
    assert str(t.guard[0]) == "score > 1"
    with _raises("source", "'a' appears 2 times"):
        Transition(name="go", source=["a", "a"], target="b")
    with _raises("guard", "Condition values or strings"):
        Transition(name="go", source="a", target="b", guard=[3])


def test_model_values_refuse_wrong_types_by_name():
    with _raises("terminal", "Pass ['lost']"):
        LifecycleModel(name="m", stages=["a", "lost"], initial="a", terminal="lost", transitions=[])
    with _raises("stages", "Stage values or stage names"):
        LifecycleModel(name="m", stages=["a", 3], initial="a", terminal=[], transitions=[])
    with _raises("transitions", "Transition values"):
        LifecycleModel(
            name="m", stages=["a"], initial="a", terminal=["a"], transitions=[{"name": "x"}]
        )
    with pytest.raises(ModelDefinitionError, match="not one of its stages") as err:
        LifecycleModel(name="m", stages=["a"], initial="b", terminal=["a"], transitions=[])
    assert err.value.field == "initial"
    with pytest.raises(ModelDefinitionError, match="more than once") as err:
        LifecycleModel(name="m", stages=["a", "a"], initial="a", terminal=["a"], transitions=[])
    assert err.value.field == "stages"


def test_model_from_dict_names_what_is_missing():
    data = prospect_lifecycle().to_dict()
    del data["initial"]
    with pytest.raises(ModelDefinitionError, match="lacks the key 'initial'") as err:
        LifecycleModel.from_dict(data)
    assert err.value.field == "initial"
    data = prospect_lifecycle().to_dict()
    data["stages"] = ["prospect"]
    with _raises("stages", "a mapping"):
        LifecycleModel.from_dict(data)
    data = prospect_lifecycle().to_dict()
    data["transitions"] = "purchase"
    with pytest.raises(ModelDefinitionError, match="must be a list") as err:
        LifecycleModel.from_dict(data)
    assert err.value.field == "transitions"


def test_customer_states_refuse_misread_or_broken_histories():
    s = CustomerState.start(prospect_lifecycle(), at="2024-01-01", customer=7)
    saved = s.to_dict()
    with _raises("started_at", "date_format"):
        CustomerState.from_dict({**saved, "started_at": "19970101"})
    with _raises("started_at", "null or empty"):
        CustomerState.from_dict({**saved, "started_at": ""})
    with _raises("customer", "an int or a non-empty str"):
        CustomerState.start(prospect_lifecycle(), at="2024-01-01", customer=1.5)
    late = StageChange(
        source="prospect",
        target="customer",
        event="purchase",
        transition="purchase",
        at="2023-12-01",
    )
    with _raises("history", "earlier than"):
        CustomerState(model="prospect", stage="customer", started_at="2024-01-01", history=[late])
    ok = StageChange(
        source="prospect",
        target="customer",
        event="purchase",
        transition="purchase",
        at="2024-01-05",
    )
    with _raises("stage", "the last change entered ('customer')"):
        CustomerState(model="prospect", stage="churned", started_at="2024-01-01", history=[ok])
    broken = StageChange(
        source="interested", target="churned", event="churn", transition="churn", at="2024-01-06"
    )
    with _raises("history", "leaves 'interested'"):
        CustomerState(
            model="prospect", stage="churned", started_at="2024-01-01", history=[ok, broken]
        )


def test_replay_initial_and_customer_state_refuse_mismatched_ids():
    m = prospect_lifecycle()
    first = replay(m, {"customer": ["a"], "event": ["purchase"], "timestamp": ["2024-01-02"]})
    with _raises("initial", "same type"):
        replay(m, {"customer": [1], "event": ["churn"], "timestamp": ["2024-02-01"]}, initial=first)
    with _raises("customer", "not in this replay"):
        first.customer_state(m, 1)
    table = {
        "customer": ["a"],
        "stage": ["customer"],
        "entered_at": ["2024-02-01"],
        "last_event_at": ["2024-01-01"],
    }
    with _raises("last_event_at", "earlier than entered_at"):
        replay(
            m, {"customer": ["a"], "event": ["churn"], "timestamp": ["2024-03-01"]}, initial=table
        )


def test_classify_stages_never_warns_on_absurd_but_finite_metrics():
    metrics = {
        "customer": [1, 2],
        "tenure_days": [1e308, 400.0],
        "recency_days": [1e300, 10.0],
        "frequency": [3, 1e308],
        "recent_count": [1e308, 4],
        "earlier_count": [1e308, 4],
        "recent_spend": [1e308, 10.0],
        "earlier_spend": [-1e308, 10.0],
    }
    c = classify_stages(metrics)  # filterwarnings=error: an overflow warning fails here
    assert c.stage.size == 2


def test_cohort_functions_read_transactions_by_their_codes():
    tx = Transactions.from_arrays(
        customer=["b", "a", "b"],
        timestamp=["2024-01-02", "2024-01-03", "2024-02-01"],
        amount=[1.0, 1.0, 1.0],
    )
    r = cohort_retention(tx, frequency="month", as_of="2024-02-01")
    assert r.n_rows_after_as_of == 1
    assert r.size.tolist() == [2]
