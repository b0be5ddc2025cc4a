"""Naive-Bayes win scoring (Odoo's choices), reliability tables and held-out evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    Opportunities,
    StageHistory,
    evaluate_win_scorer,
    fit_stage_rates,
    fit_win_scorer,
    reliability,
    score_opportunities,
)


def _history() -> StageHistory:
    # 3 won (all via close), 3 lost: at identify, qualify, plan
    opp = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6]
    stage = [
        "close",
        "won",
        "close",
        "won",
        "close",
        "won",
        "identify opportunity",
        "lost",
        "identify opportunity",
        "qualify",
        "lost",
        "identify opportunity",
        "qualify",
        "plan",
        "lost",
    ]
    day = [f"2024-01-{d:02d}" for d in (1, 9, 2, 9, 3, 9, 1, 2, 1, 2, 3, 1, 2, 3, 4)]
    source = [
        "ref",
        "ref",
        "ref",
        "ref",
        "web",
        "web",
        "web",
        "web",
        "web",
        "web",
        "web",
        "ref",
        "ref",
        "ref",
        "ref",
    ]
    team = ["a"] * 8 + ["b"] * 7
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=opp,
        stage=stage,
        entered=day,
        dimensions={"source": source, "team": team},
    )


def _open(stage, source, team=("a",)) -> Opportunities:
    n = len(stage)
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=np.arange(n),
        amount=np.ones(n),
        stage=stage,
        dimensions={
            "source": list(source),
            "team": list(team) * n if len(team) == 1 else list(team),
        },
    )


def test_matches_the_odoo_formula_by_hand():
    a = 0.1
    scorer = fit_win_scorer(_history(), fields=["source"], smoothing=a, min_support=0)
    s = score_opportunities(scorer, _open(["qualify"], ["ref"]))
    W, L = 3 + a, 3 + a  # won / lost deals (first-stage counts, smoothed)
    w_s, l_s = 3 + a, 2 + a  # reached qualify
    # source ref: won 2 (opps 1, 2), lost 1 (opp 6); web: won 1, lost 2
    w_f, l_f = 2 + a, 1 + a
    W_f, L_f = (2 + a) + (1 + a), (1 + a) + (2 + a)
    odds = (W / L) * (w_s / W) / (l_s / L) * (w_f / W_f) / (l_f / L_f)
    assert s.probability[0] == pytest.approx(odds / (1 + odds))
    assert s.likelihood_ratio[0].tolist() == pytest.approx(
        [(w_s / W) / (l_s / L), (w_f / W_f) / (l_f / L_f)]
    )
    assert s.prior[0] == pytest.approx(0.5)
    assert list(s.explain(0)) == ["stage", "source"] or list(s.explain(0)) == ["source", "stage"]
    json.dumps(s.to_dict())
    json.dumps(scorer.to_dict())


def test_unseen_and_unsupported_values_are_neutral():
    scorer = fit_win_scorer(_history(), fields=["source"], min_support=0)
    s = score_opportunities(scorer, _open(["plan"], ["fax"]))
    assert s.likelihood_ratio[0, 1] == 1.0
    strict = fit_win_scorer(_history(), fields=["source"], min_support=10)
    s2 = score_opportunities(strict, _open(["plan"], ["ref"]))
    assert s2.likelihood_ratio[0, 1] == 1.0


def test_team_tables_and_fallback():
    scorer = fit_win_scorer(_history(), fields=["source"], team="team", min_support=0)
    # team a has won (1, 2, 3) and lost (4): own table; team b has only lost deals: no own table
    assert scorer.teams.tolist() == ["a"]
    s = score_opportunities(
        scorer, _open(["plan", "plan", "plan"], ["ref"] * 3, team=("a", "b", "zz"))
    )
    assert s.team_table.tolist() == [True, False, False]
    assert s.prior[0] == pytest.approx((3 + 0.1) / (3 + 0.1 + 1 + 0.1))
    assert s.prior[1] == pytest.approx(0.5)


def test_clamping_and_closed_deals():
    scorer = fit_win_scorer(
        _history(), fields=["source"], smoothing=0.0, min_support=0, clamp=(0.05, 0.95)
    )
    s = score_opportunities(scorer, _open(["close", "won", "lost"], ["ref", "ref", "ref"]))
    assert s.probability.tolist() == [0.95, 0.95, 0.05]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from(list(DEFAULT_PROCESS.names[:5])), min_size=1, max_size=20),
    st.floats(min_value=0.0, max_value=2.0),
)
def test_probabilities_are_bounded_and_explained_by_their_ratios(stages, smoothing):
    scorer = fit_win_scorer(
        _history(), fields=["source"], smoothing=smoothing, min_support=0, clamp=(0.0, 1.0)
    )
    s = score_opportunities(
        scorer,
        _open(stages, ["ref", "web"] * 10 + [] if False else (["ref", "web"] * 10)[: len(stages)]),
    )
    assert np.all((s.probability >= 0) & (s.probability <= 1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = s.prior / (1 - s.prior) * np.prod(s.likelihood_ratio, axis=1)
        finite = np.isfinite(odds)
        np.testing.assert_allclose(s.probability[finite], (odds / (1 + odds))[finite], rtol=1e-9)
    assert np.all(s.probability[np.isposinf(odds)] == 1.0)


def test_reliability_known_values_and_errors():
    r = reliability([0.05, 0.15, 0.95, 0.85, 0.5], [False, True, True, True, False], n_bins=2)
    assert r.count.tolist() == [2, 3]
    assert r.observed_rate.tolist() == pytest.approx([0.5, 2 / 3])
    expected = np.mean((np.array([0.05, 0.15, 0.95, 0.85, 0.5]) - np.array([0, 1, 1, 1, 0])) ** 2)
    assert r.brier == pytest.approx(expected)
    with pytest.raises(InputError, match="must be <= 1") as err:
        reliability([1.2], [True])
    assert err.value.field == "probability"
    with pytest.raises(InputError, match="'n_bins' parameter of reliability") as err:
        reliability([0.2], [True], n_bins=0)
    assert err.value.field == "n_bins"


def test_naive_bayes_beats_stage_only_on_held_out_deals():
    train = simulate_pipeline(5000, "2021-01-01", "2024-01-01", seed=11).history
    test = simulate_pipeline(2500, "2021-01-01", "2024-01-01", seed=12).history
    scorer = fit_win_scorer(train, fields=["source", "region", "product"], team="team")
    ev = evaluate_win_scorer(scorer, test, baseline=fit_stage_rates(train))
    assert ev.brier < ev.brier_baseline
    assert ev.baseline_name == "calibrated"
    ok = ev.model.count > 100
    assert np.all(np.abs(ev.model.observed_rate[ok] - ev.model.mean_predicted[ok]) < 0.12)
    json.dumps(ev.to_dict())


def test_bad_arguments():
    h = _history()
    with pytest.raises(InputError, match="fields"):
        fit_win_scorer(h, fields=["country"])
    with pytest.raises(InputError, match="smoothing"):
        fit_win_scorer(h, fields=["source"], smoothing=-1)
    with pytest.raises(InputError, match="clamp"):
        fit_win_scorer(h, fields=["source"], clamp=(0.9, 0.1))
    only_lost = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1],
        stage=["plan", "lost"],
        entered=["2024-01-01", "2024-01-02"],
        dimensions={"source": ["a", "a"]},
    )
    with pytest.raises(InputError, match="won and lost"):
        fit_win_scorer(only_lost, fields=["source"])
    scorer = fit_win_scorer(h, fields=["source"])
    no_dim = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[1], amount=[1.0], stage=["plan"]
    )
    with pytest.raises(InputError, match="source"):
        score_opportunities(scorer, no_dim)
