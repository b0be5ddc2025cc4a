"""Rep and team scorecards against hand counts and a pandas oracle."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crmkit.datasets import simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import DEFAULT_PROCESS, Opportunities, StageHistory, scorecards


def _inputs():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4],
        amount=[1_000.0, 3_000.0, 500.0, 9_999.0],
        stage=["plan", "close", "qualify", "won"],
        dimensions={"owner": ["ana", "ana", "bo", "ana"]},
    )
    hist = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[10, 10, 11, 11, 12, 12],
        stage=["identify opportunity", "won", "identify opportunity", "lost", "qualify", "lost"],
        entered=[
            "2024-01-01",
            "2024-01-31",
            "2024-01-01",
            "2024-01-05",
            "2024-01-01",
            "2024-01-02",
        ],
        dimensions={"owner": ["ana", "ana", "ana", "ana", "bo", "bo"]},
    )
    return opps, hist


def test_known_values():
    opps, hist = _inputs()
    card = scorecards(
        opps,
        hist,
        by="owner",
        probabilities="configured",
        quota={"ana": 8_000.0},
        activities={"calls": [4, 2, 1, 100]},
    )
    assert card.group.tolist() == ["ana", "bo"]
    assert card.n_open.tolist() == [2, 1]
    assert card.open_pipeline.tolist() == [4_000.0, 500.0]
    assert card.weighted_pipeline.tolist() == pytest.approx([0.4 * 1000 + 0.8 * 3000, 0.2 * 500])
    assert card.n_won.tolist() == [1, 0]
    assert card.n_lost.tolist() == [1, 1]
    assert card.win_rate.tolist() == [0.5, 0.0]
    assert card.cycle_days[0] == 30.0
    assert card.velocity[0] == pytest.approx(2 * 0.5 * 2_000 / 30)
    assert card.coverage[0] == 0.5
    assert np.isnan(card.coverage[1])
    assert card.activities["calls"].tolist() == [3.0, 1.0]  # the won deal's calls are not workload
    # ana: 2 reached identify, 1 went on (0.5); overall 2 of 3 (bo skipped identify)
    assert card.conversion[0, 0] == 0.5
    assert card.overall_conversion[0] == pytest.approx(2 / 3)
    assert card.conversion_vs_all[0, 0] == pytest.approx(0.5 - 2 / 3)
    assert "activity_calls" in card.to_frame().columns
    json.dumps(card.to_dict())


def test_matches_pandas_on_simulated_data():
    sim = simulate_pipeline(1500, "2022-01-01", "2024-01-01", seed=6)
    o = sim.opportunities
    card = scorecards(o, sim.history, by="team", probabilities="configured")
    df = pd.DataFrame(
        {
            "team": o.dimensions["team"],
            "amount": o.amount,
            "open": o.is_open,
            "won": o.stage == 5,
            "lost": o.stage == 6,
        }
    )
    ref = df[df.open].groupby("team").amount.sum()
    np.testing.assert_allclose(card.open_pipeline, ref.reindex(card.group).to_numpy())
    wins = df.groupby("team").won.sum().reindex(card.group).to_numpy()
    np.testing.assert_array_equal(card.n_won, wins)
    assert np.all(card.weighted_pipeline <= card.open_pipeline)


def test_bad_arguments():
    opps, hist = _inputs()
    with pytest.raises(InputError, match="by"):
        scorecards(opps, hist, by="region", probabilities="configured")
    with pytest.raises(InputError, match="quota"):
        scorecards(opps, hist, by="owner", probabilities="configured", quota={"zed": 1.0})
    with pytest.raises(InputError, match="calls"):
        scorecards(opps, hist, by="owner", probabilities="configured", activities={"calls": [1, 2]})
    with pytest.raises(InputError, match=">= 0"):
        scorecards(
            opps, hist, by="owner", probabilities="configured", activities={"calls": [1, -2, 0, 0]}
        )


def test_reps_are_compared_with_their_own_team():
    sim = simulate_pipeline(3000, "2022-01-01", "2024-01-01", seed=2)
    card = scorecards(
        sim.opportunities, sim.history, by="owner", probabilities="configured", compare_to="team"
    )
    teams = scorecards(sim.opportunities, sim.history, by="team", probabilities="configured")
    team_conv = dict(zip(teams.group.tolist(), teams.conversion, strict=True))
    for rep, team, conv, diff in zip(
        card.group, card.parent, card.conversion, card.conversion_vs_parent, strict=True
    ):
        # the simulator gives rep r the team r % 3
        assert team == ["alpha", "beta", "gamma"][(int(rep[3:]) - 1) % 3]
        np.testing.assert_allclose(diff, conv - team_conv[team])
    plain = scorecards(sim.opportunities, sim.history, by="owner", probabilities="configured")
    assert plain.parent.size == 0
    assert np.isnan(plain.conversion_vs_parent).all()
    with pytest.raises(InputError, match="compare_to"):
        scorecards(
            sim.opportunities, sim.history, by="owner", probabilities="configured", compare_to="x"
        )
