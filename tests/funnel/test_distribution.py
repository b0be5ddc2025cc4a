"""Forecast distributions: lattice against exact enumeration, Monte Carlo against both."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings

from crmkit.datasets import simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    Opportunities,
    fit_slip,
    forecast_pipeline,
    lattice_forecast,
    simulate_forecast,
)
from crmkit.funnel._lattice import lattice_sum
from crmkit.periods import Horizon
from tests.funnel.strategies import bernoulli_deals


def _enumerate(a: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bits = np.array(list(itertools.product([0, 1], repeat=a.size)), dtype=float)
    values = bits @ a
    probs = np.prod(np.where(bits == 1, p, 1 - p), axis=1)
    return values, probs


@settings(max_examples=60, deadline=None)
@given(bernoulli_deals(max_deals=10))
def test_lattice_cdf_is_within_its_stated_bounds(deals):
    a, p = deals
    dist = lattice_sum(a, p, n_points=512)
    values, probs = _enumerate(a, p)
    t, eps = dist.amount_tolerance, dist.probability_tolerance
    slack = 1e-9 * (1 + a.sum())
    for x in np.unique(values):
        exact = probs[values <= x].sum()
        assert (
            dist.cdf_at(x - t - slack) - eps - 1e-9
            <= exact
            <= dist.cdf_at(x + t + slack) + eps + 1e-9
        )
    assert (dist.values * dist.pmf).sum() == pytest.approx((a * p).sum(), rel=1e-6, abs=1e-6)


def test_lattice_is_exact_for_integer_amounts():
    a = np.array([3.0, 5.0, 7.0])
    p = np.array([0.2, 0.5, 0.9])
    dist = lattice_sum(a, p, n_points=256)
    values, probs = _enumerate(a, p)
    for x in np.unique(values):
        assert dist.cdf_at(x + 1e-9) == pytest.approx(probs[values <= x].sum(), abs=1e-12)


def _deals(n: int, seed: int) -> Opportunities:
    rng = np.random.default_rng(seed)
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=np.arange(n),
        amount=rng.lognormal(9.5, 0.8, n).round(2),
        stage=rng.integers(0, 5, n),
        close_date=np.datetime64("2024-07-01") + rng.integers(0, 180, n).astype("timedelta64[D]"),
        dimensions={"region": rng.choice(["north", "south"], n)},
    )


def test_monte_carlo_mean_is_within_four_standard_errors_in_every_cell():
    opps = _deals(400, 1)
    for seed in range(3):
        mc = simulate_forecast(
            opps,
            period="quarter",
            by=["region"],
            probabilities="configured",
            n_simulations=20_000,
            seed=seed,
        )
        se = mc.analytic_sd / np.sqrt(mc.n_simulations)
        assert np.all(np.abs(mc.mean - mc.expected) <= 4 * se)
        np.testing.assert_allclose(mc.sd, mc.analytic_sd, rtol=0.05)


def test_monte_carlo_quantiles_agree_with_the_lattice():
    opps = _deals(300, 2)
    lat = lattice_forecast(
        opps, period="quarter", by=["region"], probabilities="configured", n_points=2**14
    )
    mc = simulate_forecast(
        opps,
        period="quarter",
        by=["region"],
        probabilities="configured",
        n_simulations=40_000,
        seed=3,
    )
    np.testing.assert_allclose(lat.mean, lat.expected, rtol=1e-6)
    np.testing.assert_allclose(lat.sd, lat.analytic_sd, rtol=1e-3)
    n = mc.n_simulations
    for q, col in ((0.1, "p10"), (0.5, "p50"), (0.9, "p90")):
        for j in range(lat.period.size):
            # the lattice CDF at the Monte Carlo quantile is q within sampling error
            x = getattr(mc, col)[j] - lat.closed_won[j]
            dist = lattice_sum(
                opps.amount[_cell(opps, lat, j)],
                DEFAULT_PROCESS.probabilities[opps.stage[_cell(opps, lat, j)]],
                n_points=2**14,
            )
            f = dist.cdf_at(x + dist.amount_tolerance)
            assert abs(f - q) <= 4 * np.sqrt(q * (1 - q) / n) + 0.01


def _cell(opps, lat, j):
    from crmkit.periods import period_keys, period_labels

    labels = period_labels(period_keys(opps.close_date, "quarter"), "quarter")
    return np.flatnonzero(
        (labels == lat.period[j])
        & (opps.dimensions["region"] == lat.groups["region"][j])
        & opps.is_open
    )


def test_quota_probability_matches_enumeration():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4],
        amount=[10_000.0, 20_000.0, 5_000.0, 7_000.0],
        stage=["plan", "close", "propose solution", "won"],
        close_date=["2024-07-10", "2024-07-25", "2024-07-03", "2024-07-02"],
    )
    quotas = {"period": ["2024-07"], "quota": [32_000.0]}
    lat = lattice_forecast(opps, period="month", probabilities="configured", quotas=quotas)
    values, probs = _enumerate(np.array([10_000.0, 20_000.0, 5_000.0]), np.array([0.4, 0.8, 0.6]))
    exact = probs[values + 7_000 >= 32_000].sum()
    assert lat.p_reach_quota[0] == pytest.approx(exact, abs=1e-9)
    mc = simulate_forecast(
        opps,
        period="month",
        probabilities="configured",
        quotas=quotas,
        n_simulations=50_000,
        seed=0,
    )
    assert abs(mc.p_reach_quota[0] - exact) < 4 * np.sqrt(exact * (1 - exact) / 50_000)
    assert lat.closed_won[0] == 7_000.0
    json.dumps(lat.to_dict())
    json.dumps(mc.to_dict())


def test_seeded_chunked_and_threaded_runs_agree():
    opps = _deals(200, 5)
    a = simulate_forecast(
        opps,
        period="month",
        probabilities="configured",
        n_simulations=5_000,
        seed=11,
        chunk_size=700,
    )
    b = simulate_forecast(
        opps,
        period="month",
        probabilities="configured",
        n_simulations=5_000,
        seed=11,
        chunk_size=700,
        n_jobs=2,
    )
    np.testing.assert_array_equal(a.p50, b.p50)
    np.testing.assert_array_equal(a.mean, b.mean)
    c = simulate_forecast(
        opps,
        period="month",
        probabilities="configured",
        n_simulations=5_000,
        seed=12,
        chunk_size=700,
    )
    assert not np.array_equal(a.mean, c.mean)


def test_zero_slip_equals_no_slip_and_slip_moves_money():
    opps = _deals(200, 6)
    zero = fit_slip(["2024-01-01"], ["2024-01-01"])
    kw = {"period": "month", "probabilities": "configured", "n_simulations": 3_000, "seed": 4}
    plain = simulate_forecast(opps, **kw)
    slipped0 = simulate_forecast(opps, slip=zero, as_of="2024-06-01", **kw)
    np.testing.assert_allclose(plain.mean, slipped0.mean, rtol=1e-5)
    late = fit_slip(["2024-01-01"], ["2024-04-01"])
    moved = simulate_forecast(opps, slip=late, as_of="2024-06-01", **kw)
    assert moved.slipped_out > 0
    assert moved.mean[0] < plain.mean[0]


def test_slip_with_horizons():
    sim = simulate_pipeline(800, "2023-01-01", "2024-07-01", seed=2)
    o = sim.opportunities
    won = o.stage == DEFAULT_PROCESS.won_code
    slip = fit_slip(sim.deals["expected_close"][won], sim.deals["actual_close"][won])
    hs = [Horizon.next_days(sim.as_of, 30), Horizon.next_days(sim.as_of, 90)]
    open_deals = o.subset(o.is_open)
    mc = simulate_forecast(
        open_deals,
        period=hs,
        by=["region"],
        probabilities="configured",
        n_simulations=2_000,
        seed=1,
        slip=slip,
        as_of=sim.as_of,
    )
    base = forecast_pipeline(open_deals, period=hs, by=["region"], probabilities="configured")
    assert mc.period.size == base.period.size
    # nothing can close before as_of, and the 90-day window holds the 30-day one
    assert np.all(mc.mean >= 0)
    assert mc.mean[mc.period == hs[1].label].sum() >= mc.mean[mc.period == hs[0].label].sum()


def test_bad_arguments():
    opps = _deals(10, 0)
    with pytest.raises(InputError, match="n_simulations"):
        simulate_forecast(opps, period="month", probabilities="configured", n_simulations=0, seed=1)
    with pytest.raises(InputError, match="as_of"):
        simulate_forecast(
            opps,
            period="month",
            probabilities="configured",
            n_simulations=10,
            seed=1,
            slip=fit_slip(["2024-01-01"], ["2024-01-02"]),
        )
    with pytest.raises(InputError, match="n_points"):
        lattice_forecast(opps, period="month", probabilities="configured", n_points=10)
    with pytest.raises(InputError, match="both dates"):
        fit_slip([None], ["2024-01-01"])


def test_byte_bernoulli_draws_are_exact_in_distribution():
    from crmkit.funnel._montecarlo import _bernoulli

    # edges, exact multiples of 1/256, and values just off them (only the tie draw decides)
    p = np.array([0.0, 1.0, 0.5, 0.5 + 1e-3, 1 / 256, 0.5 / 256, 255.5 / 256, 0.123456])
    n = 200_000
    out = np.empty((n, p.size), dtype=bool)
    wins = _bernoulli(np.random.default_rng(5), p, n, out=out)
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(wins.mean(axis=0) - p) <= 4 * se + 1e-12)
    assert wins[:, 0].sum() == 0
    assert wins[:, 1].all()


def test_lattice_with_slip_is_exact_against_enumeration():
    """Two deals, three equally likely slips: enumerate every future and compare."""
    import itertools

    from crmkit.funnel import SlipDistribution

    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2],
        amount=[100.0, 300.0],
        stage=["plan", "close"],
        close_date=["2024-07-25", "2024-07-28"],
    )
    slip = SlipDistribution(days=np.array([-30.0, 0.0, 10.0]), mean=0.0, median=0.0, share_late=0.3)
    d = lattice_forecast(
        opps,
        period="month",
        probabilities="configured",
        slip=slip,
        as_of="2024-07-01",
        n_points=512,
    )
    p = [0.4, 0.8]
    dates = [np.datetime64("2024-07-25"), np.datetime64("2024-07-28")]
    totals: dict[str, dict[float, float]] = {}
    for wins in itertools.product([0, 1], repeat=2):
        for shifts in itertools.product([-30, 0, 10], repeat=2):
            prob = 1.0 / 9
            cell: dict[str, float] = {}
            for i in range(2):
                prob *= p[i] if wins[i] else 1 - p[i]
                close = max(dates[i] + np.timedelta64(shifts[i], "D"), np.datetime64("2024-07-01"))
                month = str(close.astype("datetime64[M]"))
                cell[month] = cell.get(month, 0.0) + (opps.amount[i] if wins[i] else 0.0)
            for month in d.period.tolist():
                dist = totals.setdefault(month, {})
                v = cell.get(month, 0.0)
                dist[v] = dist.get(v, 0.0) + prob
    for j, month in enumerate(d.period.tolist()):
        vals = np.array(sorted(totals[month]))
        probs = np.array([totals[month][v] for v in vals])
        assert d.expected[j] == pytest.approx(float((vals * probs).sum()))
        assert d.mean[j] == pytest.approx(float((vals * probs).sum()))
        cdf = np.cumsum(probs)
        assert d.p50[j] == pytest.approx(vals[np.searchsorted(cdf, 0.5 - 1e-12)])
    # July only: wins that slip to August are outside every row
    assert d.period.tolist() == ["2024-07"]
    expected_out = 100 * 0.4 * (1 / 3) + 300 * 0.8 * (1 / 3)
    assert d.slipped_out == pytest.approx(expected_out)


def test_lattice_with_slip_agrees_with_monte_carlo():
    from crmkit.datasets import simulate_pipeline
    from crmkit.funnel import fit_slip, simulate_forecast

    sim = simulate_pipeline(2500, "2023-01-01", "2024-07-01", seed=9)
    opps = sim.opportunities
    won = opps.stage == DEFAULT_PROCESS.won_code
    slip = fit_slip(sim.deals["expected_close"][won], sim.deals["actual_close"][won])
    kw = {"period": "month", "probabilities": "configured", "slip": slip, "as_of": sim.as_of}
    lat = lattice_forecast(opps, n_points=4096, **kw)
    mc = simulate_forecast(opps, n_simulations=20_000, seed=3, **kw)
    np.testing.assert_array_equal(lat.expected, mc.expected)
    future = lat.n_open > 0
    assert np.all(np.abs(lat.mean - mc.mean)[future] <= 5 * mc.amount_tolerance[future] + 1.0)
    assert lat.slipped_out == pytest.approx(mc.slipped_out, rel=0.05)
    with pytest.raises(InputError) as err:
        lattice_forecast(opps, period="month", probabilities="configured", slip=slip)
    assert err.value.field == "as_of"
