"""The funnel's boundary (issue 9): every bad input named, finite numbers out, one seed rule.

Each test of an error asserts the field it names and the key words of the message.
The oracle of the property tests: power-of-two scaling is exact in float64, so a
forecast of amounts x 2**k must equal the forecast of the amounts, x 2**k, bit for
bit, also past the magnitude where crmkit switches to scaled units to avoid
overflow; and a forecast of finite amounts is finite.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    Opportunities,
    PipelineState,
    StageHistory,
    backtest_forecast,
    beta_interval,
    fit_slip,
    fit_stage_rates,
    fit_win_scorer,
    forecast_pipeline,
    lattice_forecast,
    pipeline_snapshot,
    reliability,
    score_opportunities,
    scorecards,
    simulate_forecast,
)
from crmkit.funnel._backtest import Backtest
from crmkit.funnel._montecarlo import MAX_DEAL_DRAWS


def _opps(amount: list[float] | np.ndarray, **kw: object) -> Opportunities:
    n = len(amount)
    stages = ["plan", "close", "propose solution", "qualify", "won"]
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=list(range(n)),
        amount=amount,
        stage=[stages[i % len(stages)] for i in range(n)],
        close_date=["2024-07-10"] * n,
        **kw,  # type: ignore[arg-type]
    )


def _history() -> StageHistory:
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 2, 2, 3],
        stage=["plan", "won", "plan", "lost", "qualify"],
        entered=["2024-01-01", "2024-01-20", "2024-01-02", "2024-02-01", "2024-01-05"],
        dimensions={"team": ["a", "a", "b", "b", "a"]},
    )


_MONTH = {"period": "month", "probabilities": "configured"}


def _check(err: pytest.ExceptionInfo[InputError], field: str, *words: str) -> None:
    assert err.value.field == field, str(err.value)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


# ------------------------------------------------------------------ named in the issue


def test_backtest_n_points_zero_is_a_parameter_error_not_an_index_error():
    with pytest.raises(InputError) as err:
        backtest_forecast(
            _history(),
            snapshots=["2024-01-15"],
            horizon_days=30,
            methods=["configured"],
            opportunity=[1, 2, 3],
            amount=[10.0, 20.0, 30.0],
            expected_close=["2024-01-25", "2024-02-01", "2024-02-10"],
            n_points=0,
        )
    _check(
        err, "n_points", "'n_points' parameter of backtest_forecast", "an int in [256, 16777216]"
    )


@pytest.mark.parametrize("won", [["yes", "no"], [2, 0], [True, None], [0.5, 1.0]])
def test_reliability_outcomes_must_be_booleans_or_zero_one(won):
    with pytest.raises(InputError) as err:
        reliability([0.3, 0.7], won)
    _check(err, "won", "'won' column of reliability")
    assert err.value.positions  # the bad rows are shown


def test_reliability_reads_zero_one_as_outcomes():
    a = reliability([0.3, 0.7], [0, 1], n_bins=2)
    b = reliability([0.3, 0.7], [False, True], n_bins=2)
    assert a.brier == b.brier == pytest.approx((0.3**2 + 0.3**2) / 2)


@pytest.mark.parametrize("level", [1.5, 0.0, 1.0, float("nan"), "0.9", True])
def test_beta_interval_checks_its_level(level):
    with pytest.raises(InputError) as err:
        beta_interval([8.5], [2.5], level=level)
    _check(err, "level", "'level' parameter of beta_interval", "a number in (0, 1)")


@pytest.mark.parametrize(
    ("successes", "failures", "field"),
    [([0.0], [1.0], "successes"), ([1.0], [-1.0], "failures"), ([1.0, 2.0], [1.0], "failures")],
)
def test_beta_interval_checks_its_parameters(successes, failures, field):
    with pytest.raises(InputError) as err:
        beta_interval(successes, failures, level=0.9)
    _check(err, field, "beta_interval")


def test_beta_interval_matches_scipy():
    from scipy.stats import beta  # the independent reference, used only here

    lo, hi = beta_interval([8.5, 0.5], [2.5, 3.0], level=0.8)
    assert lo.tolist() == pytest.approx(beta.ppf(0.1, [8.5, 0.5], [2.5, 3.0]).tolist())
    assert hi.tolist() == pytest.approx(beta.ppf(0.9, [8.5, 0.5], [2.5, 3.0]).tolist())


@pytest.mark.parametrize("fn", [forecast_pipeline, lattice_forecast])
def test_unknown_period_is_a_parameter_error_with_a_suggestion(fn):
    with pytest.raises(InputError) as err:
        fn(_opps([1.0, 2.0]), period="monht", probabilities="configured")
    _check(err, "period", "'period' parameter of", "a Horizon")
    assert err.value.hint == "Did you mean 'month'?"
    with pytest.raises(InputError) as err:
        fn(_opps([1.0, 2.0]), period="fortnight", probabilities="configured")
    _check(err, "period", "Got 'fortnight' instead")


def test_simulate_forecast_refuses_work_beyond_its_limit_before_doing_any():
    opps = _opps([10.0, 20.0, 30.0])
    with pytest.raises(InputError) as err:
        simulate_forecast(opps, **_MONTH, n_simulations=10**12, seed=1)
    _check(err, "n_simulations", "win draws", f"the limit is {MAX_DEAL_DRAWS:,}")
    with pytest.raises(InputError) as err:
        simulate_forecast(opps, **_MONTH, n_simulations=10**9, seed=1)
    _check(err, "n_simulations", "kept totals")
    with pytest.raises(InputError) as err:
        simulate_forecast(opps, **_MONTH, n_simulations=10, seed=1, n_jobs=10**12)
    _check(err, "n_jobs", "an int in [1, 256]")


def test_simulate_forecast_chunk_buffer_is_bounded():
    many = _opps(np.full(200_000, 10.0))
    with pytest.raises(InputError) as err:
        simulate_forecast(many, **_MONTH, n_simulations=5_000, seed=1, chunk_size=5_000)
    _check(err, "chunk_size", "chunk buffer cells")


def test_lattice_forecast_refuses_huge_lattices_up_front():
    with pytest.raises(InputError) as err:
        lattice_forecast(_opps([1.0, 2.0]), **_MONTH, n_points=2**40)
    _check(err, "n_points", "an int in [256, 16777216]")
    months = [f"2024-{m:02d}-10" for m in range(1, 13)] * 10
    spread = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=list(range(120)),
        amount=[5.0] * 120,
        stage=["plan"] * 120,
        close_date=months,
        dimensions={"rep": [f"r{i % 7}" for i in range(120)]},  # 84 month x rep cells
    )
    with pytest.raises(InputError) as err:
        lattice_forecast(spread, **_MONTH, by=["rep"], n_points=2**24)
    _check(err, "n_points", "lattice points (cells x n_points)")


def test_zero_open_amounts_give_zero_quantiles_in_both_methods():
    opps = _opps([0.0, 0.0, 0.0])
    mc = simulate_forecast(opps, **_MONTH, n_simulations=500, seed=3)
    lat = lattice_forecast(opps, **_MONTH)
    for d in (mc, lat):
        assert d.p10.tolist() == d.p50.tolist() == d.p90.tolist() == [0.0]
        assert d.mean.tolist() == d.sd.tolist() == [0.0]


def test_amounts_whose_total_overflows_are_refused_by_name():
    with pytest.raises(InputError) as err:
        _opps([1e308, 1e308])
    _check(err, "amount", "finite float64 total")
    assert "Rescale" in str(err.value.hint)


@pytest.mark.parametrize("huge", [5e307, 1e200])
def test_huge_finite_amounts_give_finite_forecasts(huge):
    opps = _opps([huge, 1.1 * huge, 0.5 * huge])
    f = forecast_pipeline(opps, **_MONTH)
    lat = lattice_forecast(opps, **_MONTH)
    mc = simulate_forecast(opps, **_MONTH, n_simulations=400, seed=2)
    for d in (lat, mc):
        for name in ("mean", "sd", "expected", "analytic_sd", "p10", "p50", "p90"):
            assert np.isfinite(getattr(d, name)).all(), name
    assert np.isfinite(f.expected_total).all()
    # the analytic moments, computed here on the amounts in units of `huge`
    a = np.array([1.0, 1.1, 0.5])
    p = np.array([0.4, 0.8, 0.6])  # plan, close, propose solution
    assert lat.analytic_sd[0] == pytest.approx(huge * np.sqrt((a * a * p * (1 - p)).sum()))
    assert lat.expected[0] == pytest.approx(huge * (a * p).sum())


def test_fit_slip_counts_the_deals_it_leaves_out():
    s = fit_slip(
        ["2024-01-10", None, "2024-03-01", ""], ["2024-01-20", "2024-02-01", float("nan"), "NaT"]
    )
    assert s.days.tolist() == [10.0]
    assert s.n_missing == 3
    assert s.to_dict()["n_missing"] == 3
    with pytest.raises(InputError) as err:
        fit_slip([None], ["2024-01-01"])
    _check(err, "actual_close", "both dates")


@pytest.mark.parametrize(
    ("seed", "words"),
    [(None, "Got None"), (-1, "Got -1"), ("x", "Got 'x'"), (1.5, "Got 1.5"), (True, "Got True")],
)
def test_simulate_forecast_seed_rule(seed, words):
    with pytest.raises(InputError) as err:
        simulate_forecast(_opps([1.0, 2.0]), **_MONTH, n_simulations=10, seed=seed)
    _check(err, "seed", "'seed' parameter of simulate_forecast", "an int >= 0", words)
    assert "default_rng()" in str(err.value.hint)


def test_simulate_forecast_seeds_repeat_and_generators_advance():
    opps = _opps([10.0, 20.0, 30.0, 40.0])
    kw = {**_MONTH, "n_simulations": 200}
    a = simulate_forecast(opps, **kw, seed=5)
    b = simulate_forecast(opps, **kw, seed=np.random.SeedSequence(5))
    assert a.mean.tolist() == b.mean.tolist()
    rng = np.random.default_rng(9)
    c = simulate_forecast(opps, **kw, seed=rng)
    d = simulate_forecast(opps, **kw, seed=rng)
    again = simulate_forecast(opps, **kw, seed=np.random.default_rng(9))
    assert c.mean.tolist() != d.mean.tolist()
    assert c.mean.tolist() == again.mean.tolist()


# ------------------------------------------------------------------ empty input


@pytest.mark.parametrize(
    "call",
    [
        lambda o: forecast_pipeline(o, **_MONTH),
        lambda o: lattice_forecast(o, **_MONTH),
        lambda o: simulate_forecast(o, **_MONTH, n_simulations=10, seed=1),
    ],
)
def test_forecasts_refuse_an_empty_pipeline_by_name(call):
    with pytest.raises(InputError) as err:
        call(_opps([]))
    _check(err, "opportunities", "at least one deal", "empty Opportunities")


def test_estimators_refuse_empty_input_by_name():
    with pytest.raises(InputError) as err:
        reliability([], [])
    _check(err, "probability", "empty columns")
    with pytest.raises(InputError) as err:
        fit_slip([], [])
    _check(err, "expected_close", "empty columns")
    empty = StageHistory.from_arrays(process=DEFAULT_PROCESS, opportunity=[], stage=[], entered=[])
    with pytest.raises(InputError) as err:
        fit_stage_rates(empty)
    _check(err, "history", "closed")
    with pytest.raises(InputError) as err:
        fit_win_scorer(empty, fields=[])
    _check(err, "history", "won and lost")
    with pytest.raises(InputError) as err:
        backtest_forecast(empty, snapshots=["2024-01-01"], horizon_days=30, methods=["configured"])
    _check(err, "history", "empty StageHistory")
    no_deals = Opportunities.from_arrays(process=DEFAULT_PROCESS, id=[], amount=[], stage=[])
    with pytest.raises(InputError) as err:
        scorecards(no_deals, empty, by="team", probabilities="configured")
    _check(err, "opportunities", "empty")


def test_values_and_element_wise_functions_accept_empty_input():
    lo, hi = beta_interval([], [], level=0.9)
    assert lo.size == hi.size == 0
    snap = pipeline_snapshot(
        StageHistory.from_arrays(process=DEFAULT_PROCESS, opportunity=[], stage=[], entered=[]),
        as_of="2024-01-01",
        opportunity=[],
        amount=[],
        expected_close=[],
    )
    assert snap.n_rows == 0


# ------------------------------------------------------------------ dates


def test_opportunities_read_dates_in_a_layout_and_hint_at_it_otherwise():
    kw = {"process": DEFAULT_PROCESS, "id": [1, 2], "amount": [5.0, 6.0], "stage": ["plan"] * 2}
    with pytest.raises(InputError) as err:
        Opportunities.from_arrays(**kw, close_date=["20240710", "20240801"])
    _check(err, "close_date", "'close_date' column of Opportunities.from_arrays", "ISO-8601")
    assert "date_format='%Y%m%d'" in (err.value.hint or "")
    opps = Opportunities.from_arrays(
        **kw, close_date=[20240710, None], created=["20240501", ""], date_format="%Y%m%d"
    )
    assert [str(d)[:10] for d in opps.close_date] == ["2024-07-10", "NaT"]
    assert [str(d)[:10] for d in opps.created] == ["2024-05-01", "NaT"]


def test_opportunity_dates_outside_the_window_are_refused_unless_widened():
    kw = {"process": DEFAULT_PROCESS, "id": [1], "amount": [5.0], "stage": ["plan"]}
    with pytest.raises(InputError) as err:
        Opportunities.from_arrays(**kw, close_date=["2024-07-10T00:00", "1850-01-01"][1:])
    _check(err, "close_date", "years 1900-2200")
    opps = Opportunities.from_arrays(**kw, close_date=["1850-01-01"], valid_years=(1800, 2200))
    assert str(opps.close_date[0])[:4] == "1850"


def test_frame_errors_name_the_field_and_the_callers_column():
    frame = pd.DataFrame(
        {"opp": [1, 2], "value": [5.0, -1.0], "step": ["plan", "won"], "due": ["x", "y"]}
    )
    with pytest.raises(InputError) as err:
        Opportunities.from_frame(
            frame, process=DEFAULT_PROCESS, id="opp", amount="value", stage="step"
        )
    _check(err, "amount", "'amount' column ('value') of Opportunities.from_frame", ">= 0")
    assert err.value.column == "value"
    log = pd.DataFrame({"deal": [1, 1], "step": ["plan", "won"], "at": ["02/01/2024", "2024"]})
    with pytest.raises(InputError) as err:
        StageHistory.from_frame(
            log,
            process=DEFAULT_PROCESS,
            opportunity="deal",
            stage="step",
            entered="at",
            date_format="%d/%m/%Y",
        )
    _check(err, "entered", "StageHistory.from_frame", "'%d/%m/%Y'")
    assert err.value.column == "at"


def test_stage_history_and_state_read_dates_with_a_format():
    h = StageHistory.from_frame(
        pd.DataFrame(
            {
                "opportunity": [1, 1, 2],
                "stage": ["plan", "won", "qualify"],
                "entered": ["02/01/2024", "20/01/2024", "05/02/2024"],
            }
        ),
        process=DEFAULT_PROCESS,
        date_format="%d/%m/%Y",
    )
    state = PipelineState.from_history(h, as_of="15/01/2024", date_format="%d/%m/%Y")
    assert str(state.as_of)[:10] == "2024-01-15"
    assert state.n_opportunities == 1
    later = state.update(h, until="01/03/2024", date_format="%d/%m/%Y")
    assert later.n_opportunities == 2
    assert str(later.as_of)[:10] == "2024-03-01"
    with pytest.raises(InputError) as err:
        state.update(h, until="01/03/2024")
    _check(err, "until", "'until' parameter of PipelineState.update")
    with pytest.raises(InputError) as err:
        state.update(h, until="2024-01-10")
    _check(err, "until", "after since")


def test_backtest_and_snapshot_read_expected_dates_with_a_format():
    h = _history()
    cols = {
        "opportunity": [1, 2, 3],
        "amount": [10.0, 20.0, 30.0],
        "expected_close": ["20240125", "20240201", "20240210"],
    }
    with pytest.raises(InputError) as err:
        pipeline_snapshot(h, as_of="2024-01-15", **cols)
    _check(err, "expected_close", "pipeline_snapshot")
    snap = pipeline_snapshot(h, as_of="2024-01-15", **cols, date_format="%Y%m%d")
    assert snap.id.tolist() == [1, 2, 3]
    bt = backtest_forecast(
        h,
        snapshots=["20240115"],
        horizon_days=30,
        methods=["configured"],
        date_format="%Y%m%d",
        **cols,
    )
    assert str(bt.snapshot[0])[:10] == "2024-01-15"


def test_backtest_parameters_are_named():
    h = _history()
    cols = {"opportunity": [1, 2, 3], "amount": [1.0, 2.0, 3.0], "expected_close": [None] * 3}
    base = {"snapshots": ["2024-01-15"], "horizon_days": 30, "methods": ["configured"], **cols}
    cases = [
        ({"snapshots": "2024-01-15"}, "snapshots", "a non-empty sequence"),
        ({"methods": "configured"}, "methods", "sequence of distinct methods"),
        ({"methods": ["configured", "guess"]}, "methods", "one of 'configured'"),
        ({"horizon_days": 10**9}, "horizon_days", "an int in [1, 36525]"),
        ({"maturity_days": -1}, "maturity_days", "an int in [0, 36525]"),
        ({"shrinkage": -1.0}, "shrinkage", "a number in [0, 1e+12]"),
        ({"amount": None}, "opportunity", "given together"),
        ({"opportunity": ["1", "2", "3"]}, "opportunity", "the history's kind"),
    ]
    for change, field, words in cases:
        with pytest.raises(InputError) as err:
            backtest_forecast(h, **{**base, **change})
        _check(err, field, words)


def test_best_method_without_any_mape_is_an_error_not_a_warning():
    bt = backtest_forecast(
        _history(),
        snapshots=["2024-03-01"],
        horizon_days=10,
        methods=["configured"],
        opportunity=[1, 2, 3],
        amount=[1.0, 2.0, 3.0],
        expected_close=["2024-03-02"] * 3,
    )
    assert isinstance(bt, Backtest)
    assert np.isnan(bt.mape).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as err:
            bt.best_method()
    _check(err, "mape", "positive actual")


# ------------------------------------------------------------------ parameters


def test_score_opportunities_reads_stages_by_name_and_refuses_unknown_ones():
    h = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 2, 2],
        stage=["plan", "won", "plan", "lost"],
        entered=["2024-01-01", "2024-02-01", "2024-01-03", "2024-01-09"],
        dimensions={"source": ["web", "web", "event", "event"]},
    )
    scorer = fit_win_scorer(h, fields=["source"], min_support=0)
    deal = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[7],
        amount=[1.0],
        stage=["plan"],
        dimensions={"source": ["web"]},
    )
    by_name = score_opportunities(scorer, deal, stage=["close"])
    by_code = score_opportunities(scorer, deal, stage=[4])
    assert by_name.probability.tolist() == by_code.probability.tolist()
    with pytest.raises(InputError) as err:
        score_opportunities(scorer, deal, stage=["closing"])
    _check(err, "stage", "names of the sales process's stages")
    with pytest.raises(InputError) as err:
        score_opportunities(scorer, deal, stage=["plan", "plan"])
    _check(err, "stage", "same length")
    with pytest.raises(InputError) as err:
        fit_win_scorer(h, fields="source")
    _check(err, "fields", "Pass ['source']")
    with pytest.raises(InputError) as err:
        fit_win_scorer(h, fields=["source"], clamp=(0.9, 0.1))
    _check(err, "clamp", "strictly increasing")
    with pytest.raises(InputError) as err:
        score_opportunities(scorer, deal).explain(3)
    _check(err, "row", "an int in [0, 0]")


def test_fit_stage_rates_parameters_are_named():
    h = _history()
    for kwargs, field, words in [
        ({"prior": (0.5,)}, "prior", "a pair"),
        ({"prior": (0.5, True)}, "prior", "numbers in (0, 1e+09]"),
        ({"level": 1.0}, "level", "a number in (0, 1)"),
        ({"shrinkage": float("inf")}, "shrinkage", "a number in [0, 1e+12]"),
        ({"by": 3}, "by", "a dimension name"),
        ({"created_before": "19970101"}, "created_before", "date_format"),
    ]:
        with pytest.raises(InputError) as err:
            fit_stage_rates(h, **kwargs)
        _check(err, field, words)


def test_zero_day_cycles_give_a_documented_nan_velocity_not_inf():
    h = StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 2, 2],
        stage=["plan", "won", "plan", "lost"],
        entered=["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-05"],
        dimensions={"team": ["a", "a", "a", "a"]},
    )
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[5], amount=[10.0], stage=["plan"], dimensions={"team": ["a"]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        card = scorecards(opps, h, by="team", probabilities="configured")
        rates = fit_stage_rates(h)
        velocity = rates.sales_velocity(opps)
    assert card.cycle_days.tolist() == [0.0]
    assert np.isnan(card.velocity).all()
    assert np.isnan(velocity)


# ------------------------------------------------------------------ properties


_AMOUNTS = st.lists(
    st.floats(min_value=1.0, max_value=1e6, allow_nan=False).map(lambda x: x + 0.37),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(_AMOUNTS, st.integers(min_value=340, max_value=960))
def test_forecasts_are_exactly_scale_equivariant_across_the_overflow_guard(amounts, k):
    # Above the guard the lattice works in power-of-two units, so any two scales there
    # agree exactly. Across it (small amounts, computed directly) they agree within the
    # documented amount tolerance: small amounts on a whole-currency or cent grid are
    # summed exactly, their scaled copies are rounded to the lattice.
    a = np.asarray(amounts)
    scale, base = 2.0**k, 2.0**340
    small, edge, big = _opps(a), _opps(a * base), _opps(a * scale)
    for method in ("lattice", "monte_carlo"):
        if method == "lattice":
            d0 = lattice_forecast(small, **_MONTH, n_points=512)
            de = lattice_forecast(edge, **_MONTH, n_points=512)
            d1 = lattice_forecast(big, **_MONTH, n_points=512)
        else:
            d0 = simulate_forecast(small, **_MONTH, n_simulations=64, seed=4)
            de = simulate_forecast(edge, **_MONTH, n_simulations=64, seed=4)
            d1 = simulate_forecast(big, **_MONTH, n_simulations=64, seed=4)
        for name in ("mean", "sd", "expected", "analytic_sd", "p10", "p50", "p90"):
            got = getattr(d1, name)
            assert np.isfinite(got).all(), (method, name)
            assert got.tolist() == (getattr(de, name) * (scale / base)).tolist(), (method, name)
            want = getattr(d0, name) * scale
            tol = (d0.amount_tolerance * scale + d1.amount_tolerance) + 1e-12 * np.abs(want)
            assert (np.abs(got - want) <= tol).all(), (method, name, got, want, tol)
    f0, f1 = forecast_pipeline(small, **_MONTH), forecast_pipeline(big, **_MONTH)
    assert (f1.weighted == f0.weighted * scale).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=3e306, allow_nan=False), min_size=1, max_size=20)
)
def test_forecasts_of_finite_amounts_are_finite_and_ordered(amounts):
    opps = _opps(amounts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lat = lattice_forecast(opps, **_MONTH, n_points=512)
        mc = simulate_forecast(opps, **_MONTH, n_simulations=50, seed=1)
        f = forecast_pipeline(opps, **_MONTH)
    for d in (lat, mc):
        for name in ("mean", "sd", "expected", "analytic_sd", "p10", "p50", "p90"):
            assert np.isfinite(getattr(d, name)).all(), name
        assert (d.p10 <= d.p50).all()
        assert (d.p50 <= d.p90).all()
        assert (d.sd >= 0).all()
    assert (f.weighted <= f.pipeline).all()
    assert np.isfinite(f.expected_total).all()


def test_rollup_reads_adjustment_times_with_a_format():
    from crmkit.funnel import Hierarchy, rollup_forecast

    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2],
        amount=[100.0, 50.0],
        stage=["close", "won"],
        close_date=["2024-07-10", "2024-07-03"],
        dimensions={"owner": ["ana", "bo"]},
    )
    f = forecast_pipeline(opps, period="month", by=["owner"], probabilities="configured")
    h = Hierarchy.from_arrays(node=["north", "ana", "bo"], parent=[None, "north", "north"])
    adjustments = {
        "period": ["2024-07"],
        "node": ["ana"],
        "adjuster": ["north"],
        "measure": ["commit"],
        "amount": [60.0],
        "author": ["wei"],
        "at": ["01/07/2024 09:30"],
    }
    with pytest.raises(InputError) as err:
        rollup_forecast(f, h, node="owner", adjustments=adjustments)
    _check(err, "at", "'at' column of rollup_forecast")
    r = rollup_forecast(f, h, node="owner", adjustments=adjustments, date_format="%d/%m/%Y %H:%M")
    times = r.audit.at
    assert str(times[0]) == "2024-07-01T09:30:00.000000"
    with pytest.raises(InputError) as err:
        rollup_forecast(f, h, node="owner", date_format="day first")
    _check(err, "date_format", "a strftime pattern")
