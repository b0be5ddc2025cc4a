"""The weighted forecast's exact answers: probabilities, quota edges, overdue deals, messages.

Hand-computed values for a handful of deals (each figure is derived in a
comment from the definitions in the docstrings of ``deal_probabilities`` and
``forecast_pipeline``), at the edges the property tests of test_forecast.py
seldom reach: a quota met exactly, a quota of zero, a deal due on ``as_of``,
calibrated rates, and the full text of the errors (see tests/MUTATION.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from crmkit.errors import InputError
from crmkit.funnel import (
    DEFAULT_PROCESS,
    Opportunities,
    SalesProcess,
    Stage,
    StageHistory,
    deal_probabilities,
    fit_stage_rates,
    forecast_pipeline,
)


def _deals() -> Opportunities:
    # July: a plan deal (p 0.4) due on the 10th, a close deal (p 0.8) due on the 20th, a won
    # deal; August: a qualify deal (p 0.2); and a lost deal that is never pipeline
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4, 5],
        amount=[10_000.0, 20_000.0, 5_000.0, 8_000.0, 99_000.0],
        stage=["plan", "close", "won", "qualify", "lost"],
        close_date=["2024-07-10", "2024-07-20", "2024-07-03", "2024-08-15", "2024-07-01"],
        dimensions={"region": ["north", "north", "north", "south", "north"]},
    )


def _history() -> StageHistory:
    # opp 1: identify -> qualify -> plan -> won; opp 2: identify -> lost; opp 3: qualify -> lost
    return StageHistory.from_arrays(
        process=DEFAULT_PROCESS,
        opportunity=[1, 1, 1, 1, 2, 2, 3, 3],
        stage=[
            *("identify opportunity", "qualify", "plan", "won"),
            *("identify opportunity", "lost", "qualify", "lost"),
        ],
        entered=[
            *("2024-01-01", "2024-01-11", "2024-01-21", "2024-02-20"),
            *("2024-01-03", "2024-01-13", "2024-02-01", "2024-02-05"),
        ],
    )


def test_configured_probabilities_by_stage():
    # plan 0.4, close 0.8, won 1, qualify 0.2, lost 0 (DEFAULT_PROCESS)
    assert deal_probabilities(_deals(), "configured").tolist() == [0.4, 0.8, 1.0, 0.2, 0.0]


def test_calibrated_probabilities_are_the_fitted_win_rates():
    rates = fit_stage_rates(_history(), prior=(1.0, 1.0))
    # P(win | reached) with a Beta(1, 1) prior, (won + 1) / (reached + 2): plan and close were
    # reached by opp 1 only, which won -> 2/3; qualify by opps 1 and 3, one won -> 2/4
    p = deal_probabilities(_deals(), rates)
    assert p.tolist() == pytest.approx([2 / 3, 2 / 3, 1.0, 0.5, 0.0])
    f = forecast_pipeline(_deals(), period="month", probabilities=rates)
    assert f.probabilities == "calibrated"
    # July: (10k + 20k) x 2/3; August: 8k x 1/2
    assert f.weighted.tolist() == pytest.approx([20_000.0, 4_000.0])
    assert forecast_pipeline(
        _deals(), period="month", probabilities="configured"
    ).probabilities == ("configured")


def test_probabilities_that_are_neither_say_what_is_valid():
    with pytest.raises(InputError) as err:
        deal_probabilities(_deals(), "calibrated")  # type: ignore[arg-type]
    assert str(err.value) == (
        "The 'probabilities' parameter of deal_probabilities must be 'configured' or a "
        "StageRates from fit_stage_rates. Got 'calibrated' instead.\n"
        "Hint: No default: say which probabilities the forecast uses."
    )
    assert err.value.field == "probabilities"
    with pytest.raises(InputError) as err:
        deal_probabilities(_deals(), 0.5)  # type: ignore[arg-type]
    assert "Got 0.5 instead." in str(err.value)  # a number is shown as given
    assert err.value.field == "probabilities"
    with pytest.raises(InputError) as err:
        deal_probabilities(_deals(), [0.5])  # type: ignore[arg-type]
    assert "Got 'list' instead." in str(err.value)  # anything else by its type
    assert err.value.field == "probabilities"


def test_without_as_of_no_deal_is_overdue():
    f = forecast_pipeline(_deals(), period="month", probabilities="configured")
    assert f.as_of is None
    assert f.quota_level is None  # nor is there a quota table without quotas
    assert f.n_open.tolist() == [2, 1]
    assert f.n_open.dtype == np.int64
    assert f.n_overdue == 0
    assert f.overdue_amount == 0.0


def test_a_deal_due_on_as_of_is_not_overdue():
    # as_of 2024-07-20: the plan deal (due the 10th) is overdue, the close deal due that day
    # is not; won and lost deals never are
    f = forecast_pipeline(_deals(), period="month", probabilities="configured", as_of="2024-07-20")
    assert f.n_overdue == 1
    assert f.overdue_amount == 10_000.0
    assert f.as_of == np.datetime64("2024-07-20T00:00:00", "us")
    late = forecast_pipeline(
        _deals(), period="month", probabilities="configured", as_of="2024-07-20T00:00:01"
    )
    assert late.n_overdue == 2
    assert late.overdue_amount == 30_000.0


def test_quota_met_exactly_leaves_nothing_remaining_and_no_coverage():
    # July won 5,000: a quota of 5,000 is met (remaining 0, coverage undefined), one of 4,000
    # or of 0.5 exceeded (attainment 1.25 or 10,000, remaining 0), one of 0 has no attainment
    for quota, attainment in ((5_000.0, 1.0), (4_000.0, 1.25), (0.5, 10_000.0)):
        f = forecast_pipeline(
            _deals(),
            period="month",
            probabilities="configured",
            quotas={"period": ["2024-07"], "quota": [quota]},
        )
        assert f.attainment[0] == attainment
        assert f.remaining_quota[0] == 0.0
        assert np.isnan(f.coverage[0])
        assert f.quota_level.remaining_quota[0] == 0.0
        assert np.isnan(f.quota_level.coverage[0])
    zero = forecast_pipeline(
        _deals(),
        period="month",
        probabilities="configured",
        quotas={"period": ["2024-07"], "quota": [0.0]},
    )
    assert np.isnan(zero.attainment[0])
    assert zero.remaining_quota[0] == 0.0
    # a quota just above bookings: the pipeline of 30,000 covers the 1,000 left 30 times
    near = forecast_pipeline(
        _deals(),
        period="month",
        probabilities="configured",
        quotas={"period": ["2024-07"], "quota": [6_000.0]},
    )
    assert near.remaining_quota[0] == 1_000.0
    assert near.coverage[0] == 30.0


def test_the_quota_level_table_sums_the_cells_up_to_the_quota():
    # grouping by region with one quota per month: July north (open 30k, weighted 20k, won 5k)
    # and August south (open 8k, weighted 1.6k)
    f = forecast_pipeline(
        _deals(),
        period="month",
        by=["region"],
        probabilities="configured",
        quotas={"period": ["2024-07", "2024-08"], "quota": [40_000.0, 2_000.0]},
    )
    q = f.quota_level
    assert q.period.tolist() == ["2024-07", "2024-08"]
    assert q.start.tolist() == [
        np.datetime64("2024-07-01", "us"),
        np.datetime64("2024-08-01", "us"),
    ]
    assert q.end.tolist() == [np.datetime64("2024-08-01", "us"), np.datetime64("2024-09-01", "us")]
    assert q.n_open.tolist() == [2, 1]
    assert q.n_open.dtype == np.int64
    assert q.pipeline.tolist() == [30_000.0, 8_000.0]
    assert q.weighted.tolist() == [20_000.0, 1_600.0]
    assert q.closed_won.tolist() == [5_000.0, 0.0]
    assert q.expected_total.tolist() == [25_000.0, 1_600.0]
    assert q.quota.tolist() == [40_000.0, 2_000.0]
    assert q.attainment.tolist() == [0.125, 0.0]
    assert q.remaining_quota.tolist() == [35_000.0, 2_000.0]
    assert q.coverage.tolist() == [30_000.0 / 35_000.0, 4.0]
    assert q.by == ()
    # the cells are finer than the quotas: their quota columns are all NaN
    assert np.isnan(f.quota).all()
    assert f.groups["region"].tolist() == ["north", "south"]


def test_the_table_puts_the_dimensions_after_the_period_bounds():
    f = forecast_pipeline(_deals(), period="month", by=["region"], probabilities="configured")
    columns = list(f.table())
    assert columns[:4] == ["period", "start", "end", "region"]
    assert columns[4:7] == ["n_open", "pipeline", "weighted"]
    assert f.table()["region"].tolist() == ["north", "south"]
    assert f.to_frame().columns.tolist() == columns


def test_taking_cells_drops_the_quota_level_table_they_no_longer_sum_to():
    f = forecast_pipeline(
        _deals(),
        period="month",
        by=["region"],
        probabilities="configured",
        quotas={"period": ["2024-07", "2024-08"], "quota": [40_000.0, 2_000.0]},
    )
    july = f.take([0])
    assert july.period.tolist() == ["2024-07"]
    assert july.weighted.tolist() == [20_000.0]
    assert july.quota_level is None
    assert f.filter(f.pipeline > 10_000.0).quota_level is None
    assert f.quota_level is not None  # the original is left alone


def test_errors_name_forecast_pipeline():
    with pytest.raises(InputError) as err:
        forecast_pipeline(_deals(), period="fortnight", probabilities="configured")
    assert "parameter of forecast_pipeline" in str(err.value)
    assert err.value.field == "period"
    with pytest.raises(InputError) as err:
        forecast_pipeline(_deals(), period="month", by=["country"], probabilities="configured")
    assert "forecast_pipeline" in str(err.value)
    assert err.value.field == "by"
    with pytest.raises(InputError) as err:
        forecast_pipeline(_deals(), period="month", probabilities="configured", as_of="")
    assert "The 'as_of' parameter of forecast_pipeline" in str(err.value)
    assert err.value.field == "as_of"
    with pytest.raises(InputError) as err:
        forecast_pipeline(
            _deals(),
            period="month",
            probabilities="configured",
            quotas={"period": ["2024-07"], "quota": [1.0], "team": ["a"]},
        )
    assert "forecast_pipeline" in str(err.value)


def test_a_subnormal_quota_gives_infinite_ratios_without_a_warning():
    # the Notes: a ratio is infinite only where a positive (remaining) quota is below about
    # 1e-308 of the amounts. July won 5,000 against 5e-324: attainment inf, nothing remaining;
    # August won nothing: attainment 0 and a pipeline of 8,000 over 5e-324 remaining, inf
    f = forecast_pipeline(
        _deals(),
        period="month",
        probabilities="configured",
        quotas={"period": ["2024-07", "2024-08"], "quota": [5e-324, 5e-324]},
    )  # filterwarnings = error: an overflow warning would fail here
    assert f.attainment.tolist() == [np.inf, 0.0]
    assert f.remaining_quota.tolist() == [0.0, 5e-324]
    assert np.isnan(f.coverage[0])
    assert f.coverage[1] == np.inf


def test_argument_errors_in_full():
    with pytest.raises(InputError) as err:
        forecast_pipeline(_deals(), period="month", by=5, probabilities="configured")
    assert str(err.value) == (
        "The 'by' parameter of forecast_pipeline must be a sequence of distinct dimension "
        "names. Got 5 instead."
    )
    assert err.value.field == "by"
    with pytest.raises(InputError) as err:
        forecast_pipeline(_deals(), period="month", calendar="x", probabilities="configured")
    assert str(err.value) == (
        "The 'calendar' parameter of forecast_pipeline must be a Calendar. Got a str instead."
    )
    assert err.value.field == "calendar"
    empty = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[], amount=[], stage=[], close_date=[]
    )
    with pytest.raises(InputError) as err:
        forecast_pipeline(empty, period="month", probabilities="configured")
    assert str(err.value) == (
        "The 'opportunities' parameter of forecast_pipeline must hold at least one deal; got "
        "an empty Opportunities.\nHint: Check the filter that built it: nothing is left to "
        "forecast."
    )
    assert err.value.field == "opportunities"


def test_stage_rates_of_another_process_are_refused():
    other = SalesProcess(stages=(Stage(name="plan", probability=0.5),))
    history = StageHistory.from_arrays(
        process=other,
        opportunity=[1, 1],
        stage=["plan", "won"],
        entered=["2024-01-01", "2024-02-01"],
    )
    rates = fit_stage_rates(history, prior=(1.0, 1.0))
    for call, name in (
        (
            lambda: forecast_pipeline(_deals(), period="month", probabilities=rates),
            "forecast_pipeline",
        ),
        (lambda: deal_probabilities(_deals(), rates), "deal_probabilities"),
    ):
        with pytest.raises(InputError) as err:
            call()
        assert str(err.value) == (
            f"The 'probabilities' parameter of {name} must be stage rates fitted on the "
            "opportunities' sales process. Got 'StageRates of another SalesProcess' instead."
        )
        assert err.value.field == "probabilities"
