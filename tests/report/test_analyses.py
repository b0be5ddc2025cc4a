"""crmkit.report._analyses: each finding computed and worded once, for the report and the CLI.

Oracle: the public crmkit function each analysis names, called directly on the
same data; the sentences are checked against its numbers, the full tables
against its result, and every chart request is drawn by the crmkit.plot
function it names.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from crmkit.datasets import (
    simulate_campaigns,
    simulate_cost_drivers,
    simulate_customer_base,
    simulate_pipeline,
)
from crmkit.errors import InputError
from crmkit.funnel import fit_stage_rates
from crmkit.periods import Horizon
from crmkit.report import _analyses as an
from crmkit.roi import (
    BenefitStream,
    BusinessCase,
    Campaigns,
    CostItem,
    DealRevenue,
    FirstTouch,
    LastTouch,
    Linear,
    MarginRate,
    MarkovChain,
    Triangular,
    campaign_results,
    compare_attribution,
    customer_pnl,
    evaluate_business_case,
    lift_test,
    sensitivity,
    simulate_business_case,
    touchpoint_paths,
)
from crmkit.segmentation import (
    assign_segments,
    gini,
    rfm_scores,
    rfm_summary,
    segment_summary,
    segment_trends,
    top_share,
)

AS_OF = "2025-01-01"


@pytest.fixture(scope="module")
def company():
    base = simulate_customer_base(300, "2023-01-01", AS_OF, seed=8)
    drivers = simulate_cost_drivers(base, seed=8)
    tx = base.transactions
    summary = rfm_summary(tx, unit="day", as_of=AS_OF)
    segments = assign_segments(rfm_scores(summary))
    return tx, drivers, summary, segments


@pytest.fixture(scope="module")
def marketing():
    return simulate_campaigns(400, "2023-01-01", AS_OF, seed=8)


def _case(**changes) -> BusinessCase:
    base = {
        "costs": (
            CostItem(name="licences", category="technology", one_off=80_000.0, recurring=60_000.0),
            CostItem(name="CRM team", category="people", recurring=90_000.0),
        ),
        "benefits": (
            BenefitStream(
                name="cross-sell", kind="revenue growth", value=270_000.0, ramp_up=(0.2, 0.5)
            ),
        ),
        "periods": 5,
        "discount_rate": 0.1,
        "first_period": 0,
    }
    return BusinessCase(**(base | changes))


@pytest.fixture(scope="module")
def analyses(company, marketing):
    """One analysis of every kind, on the simulated company."""
    tx, drivers, summary, segments = company
    pipeline = simulate_pipeline(300, "2023-01-01", AS_OF, seed=8)
    rates = fit_stage_rates(pipeline.history)
    pnl = customer_pnl(
        tx,
        margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
    )
    sim = marketing
    results = campaign_results(
        sim.campaigns,
        leads=sim.leads["campaign"],
        opportunities=sim.opportunities,
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
    )
    paths = touchpoint_paths(sim.touchpoints, sim.conversions, lookback_days=180, channel="medium")
    comparison = compare_attribution(paths, models=[FirstTouch(), LastTouch(), MarkovChain()])
    found = {
        "rfm": an.rfm_analysis(summary, segments.scores, source="orders.csv"),
        "segments": an.segments_analysis(segments),
        "concentration": an.concentration_analysis(summary),
        "trends": an.trends_analysis(tx, segments, freq="quarter", as_of=AS_OF),
        "stages": an.stages_analysis(tx, as_of=AS_OF, window_days=90),
        "churn": an.churn_analysis(tx, as_of=AS_OF),
        "cohorts": an.cohorts_analysis(tx, as_of=AS_OF, frequency="month"),
        "migration": an.migration_analysis(tx, summary, days=90),
        "forecast": an.forecast_analysis(
            pipeline.opportunities,
            periods=[Horizon.next_periods(AS_OF, "quarter", 2, include_current=True)],
            rates=rates,
            by=(),
            quotas=None,
            as_of=AS_OF,
        ),
        "calibration": an.calibration_analysis(rates),
        "products": an.products_analysis(tx, segments, product="product"),
        "profitability": an.profitability_analysis(pnl, segments),
        "campaigns": an.campaigns_analysis(results),
        "lift": an.lift_analysis(lift_test(**sim.holdout)),
        "attribution": an.attribution_analysis(comparison, paths),
        "business_case": an.business_case_analysis(
            _case(),
            change=0.2,
            distributions={"cross-sell": Triangular(low=0.4, mode=0.9, high=1.2)},
            n_simulations=2_000,
            seed=1,
        ),
    }
    pytest.importorskip("scipy")
    found["clv"] = an.clv_analysis(
        tx,
        as_of=AS_OF,
        freq="week",
        periods=12,
        period_length=52 / 12,
        discount_rate=0.01,
        horizon="the next 12 months",
        rate_period="month",
        rfm=summary,
    )
    return found


def _resolve(dotted: str) -> object:
    """The crmkit object a dotted name points to (a module attribute chain)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise AssertionError(dotted)


# --------------------------------------------------------------------------- the contract


def test_every_analysis_says_something_and_names_real_functions(analyses):
    for name, analysis in analyses.items():
        assert analysis.headlines, name
        assert analysis.functions, name
        assert len(set(analysis.functions)) == len(analysis.functions), name
        for function in analysis.functions:
            assert function.startswith("crmkit.")
            assert callable(_resolve(function)), (name, function)
        for table in analysis.tables:
            for function in table.function.split(", "):
                assert callable(_resolve(function)), (name, function)


def test_every_full_table_is_a_table(analyses):
    for name, analysis in analyses.items():
        detail = analysis.detail
        if detail is None:
            continue
        lengths = {np.asarray(v).shape[0] for v in detail.columns.values()}
        assert len(lengths) == 1, name
        assert {field for field, _, _ in detail.shown} <= set(detail.columns), name


def test_every_chart_request_is_drawn_by_the_plot_function_it_names(analyses):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    import crmkit.plot

    drawn = set()
    for name, analysis in analyses.items():
        for request in analysis.charts:
            assert request.name in crmkit.plot.__all__, (name, request.name)
            axes = Figure().add_subplot()
            getattr(crmkit.plot, request.name)(request.result, ax=axes, **request.options)
            assert axes.get_title(), (name, request.name)
            drawn.add(request.name)
    assert {"campaign_roi_chart", "lift_chart", "attribution_chart", "tornado_chart"} <= drawn
    assert {"cash_flow_chart", "npv_distribution_chart", "segment_trends_chart"} <= drawn


# --------------------------------------------------------------------------- customers


def test_concentration_is_the_library_top_share_and_gini(company, analyses):
    _, _, summary, _ = company
    headlines = analyses["concentration"].headlines
    top20 = float(top_share(summary.monetary, 0.2))
    assert headlines[0].startswith(
        f"The top 20 % of customers bring {100 * top20:.0f} % of revenue"
    )
    assert f"is {gini(summary.monetary):.2f} on a scale" in headlines[2]


def test_segments_name_the_segment_with_the_most_revenue(company, analyses):
    table = segment_summary(company[3])
    best = int(np.argmax(table.revenue_share))
    assert analyses["segments"].headlines[0].startswith(f"The '{table.segment[best]}' segment")
    rows = analyses["segments"].tables[0].rows
    shares = [row[3] for row in rows]
    assert shares == sorted(shares, reverse=True)


def test_rfm_detail_is_the_summary_beside_its_scores(company, analyses):
    _, _, summary, segments = company
    detail = analyses["rfm"].detail
    np.testing.assert_array_equal(detail.columns["monetary"], summary.monetary)
    np.testing.assert_array_equal(detail.columns["cell"], segments.scores.table()["cell"])
    assert analyses["rfm"].headlines == (
        f"{summary.customer.size:,} customers from orders.csv; scores 1 to 5.",
    )


def test_trends_are_the_library_segment_trends(company, analyses):
    tx, _, _, segments = company
    trends = segment_trends(tx, segments, freq="quarter", as_of=AS_OF)
    analysis = analyses["trends"]
    np.testing.assert_array_equal(analysis.detail.columns["revenue"], trends.revenue)
    revenue = trends.matrix("revenue")
    complete = revenue if trends.last_period_complete else revenue[:-1]
    assert analysis.headlines[0].startswith(
        f"Revenue per quarter went from {complete[0].sum():,.0f} in {trends.periods[0]}"
    )
    last = analysis.tables[0].rows[-1]
    assert last[0] == trends.periods[-1]
    assert last[1] == pytest.approx(revenue[-1].sum())


def test_trends_say_when_the_last_period_is_partial(company):
    tx, _, _, segments = company
    analysis = an.trends_analysis(tx, segments, freq="quarter", as_of="2024-11-15")
    assert any("ends after as_of" in note for note in analysis.notes)


def test_summary_notes_count_refunds_and_late_rows():
    orders = {
        "customer": ["a", "a", "b", "b"],
        "timestamp": ["2024-01-01", "2024-02-01", "2024-03-01", "2025-02-01"],
        "amount": [10.0, -4.0, 7.0, 9.0],
    }
    notes = an.summary_notes(rfm_summary(orders, unit="day", as_of="2025-01-01"))
    assert "1 rows with an amount of zero or less (refunds)" in notes[0]
    assert "1 rows at or after as_of are left out." in notes[1]


def test_migration_needs_history_before_the_window():
    orders = {
        "customer": ["a", "b"],
        "timestamp": ["2024-12-20", "2024-12-21"],
        "amount": [1.0, 2.0],
    }
    summary = rfm_summary(orders, unit="day", as_of=AS_OF)
    analysis = an.migration_analysis(orders, summary, days=90)
    assert analysis.headlines == ()
    assert analysis.notes == ("Segment migration needs more than 90 days of history before as_of.",)


# --------------------------------------------------------------------------- promotion


def test_campaigns_headline_is_the_totals_row(marketing, analyses):
    results = campaign_results(
        marketing.campaigns,
        leads=marketing.leads["campaign"],
        opportunities=marketing.opportunities,
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
    )
    t = results.totals
    head = analyses["campaigns"].headlines[0]
    assert head.startswith(
        f"{t.n_campaigns:,} campaigns spent {t.spend:,.0f} (budget {t.budget:,.0f})"
    )
    assert f"{t.leads:,.0f} leads, {t.won_deals:,.0f} won deals" in head
    assert f"ROI {100 * t.roi:.0f} %" in head
    rois = [row[7] for row in analyses["campaigns"].tables[0].rows]
    assert rois == sorted(rois, reverse=True)
    np.testing.assert_array_equal(analyses["campaigns"].detail.columns["roi"], results.roi)


def test_campaigns_by_group_adds_its_table_and_chart(marketing):
    revenue = DealRevenue(margin=MarginRate(rate=0.35))
    per = campaign_results(
        marketing.campaigns, leads=None, opportunities=marketing.opportunities, revenue=revenue
    )
    by = campaign_results(
        marketing.campaigns,
        leads=None,
        opportunities=marketing.opportunities,
        revenue=revenue,
        by=["channel"],
    )
    analysis = an.campaigns_analysis(per, by)
    assert analysis.tables[0].title == "Campaign results by channel"
    assert analysis.charts[0].result is by
    assert analysis.detail.result is by
    assert "Leads were not given: cost per lead and lead conversion are not known." in (
        analysis.notes
    )


def test_campaigns_that_spent_nothing_are_said_in_words():
    table = Campaigns.from_arrays(campaign=["idle", "free"], budget=[0.0, 0.0], spend=[0.0, 0.0])
    from crmkit.funnel import DEFAULT_PROCESS, Opportunities

    won = DEFAULT_PROCESS.won
    opportunities = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=["d1"],
        amount=[100.0],
        stage=[won],
        close_date=["2024-06-01"],
        dimensions={"campaign": ["free"]},
    )
    results = campaign_results(
        table,
        leads=None,
        opportunities=opportunities,
        revenue=DealRevenue(margin=MarginRate(rate=0.5)),
    )
    analysis = an.campaigns_analysis(results)
    assert "ROI unbounded (gains with nothing spent)" in analysis.headlines[0]
    assert analysis.headlines[-1] == "No campaign has paid back its spend yet."


def test_lift_counts_the_significant_tests(marketing, analyses):
    test = lift_test(**marketing.holdout)
    analysis = analyses["lift"]
    assert analysis.headlines[0].startswith(
        f"{int(test.significant.sum())} of {test.campaign.size} campaigns with a hold-out group"
    )
    lifts = [row[5] for row in analysis.tables[0].rows]
    assert lifts == sorted(lifts, reverse=True)
    assert analysis.notes == (f"Interval and test: {test.method}.",)


def test_attribution_shares_sum_to_one_per_model(marketing, analyses):
    table = analyses["attribution"].tables[0]
    shares = np.array([row[1:] for row in table.rows], dtype=float)
    np.testing.assert_allclose(shares.sum(axis=0), 1.0)
    labels = compare_attribution(
        touchpoint_paths(
            marketing.touchpoints, marketing.conversions, lookback_days=180, channel="medium"
        ),
        models=[FirstTouch(), LastTouch(), MarkovChain()],
    ).models
    assert table.columns == ("channel", *labels)


def test_attribution_names_the_most_disputed_channel(analyses):
    share = np.array([row[1:] for row in analyses["attribution"].tables[0].rows], dtype=float)
    channels = [row[0] for row in analyses["attribution"].tables[0].rows]
    disputed = channels[int(np.argmax(share.max(axis=1) - share.min(axis=1)))]
    assert f"The models disagree most on {disputed}:" in analyses["attribution"].headlines[1]
    assert analyses["attribution"].headlines[2].startswith("The data-driven Markov chain")


def test_attribution_counts_what_it_left_out(marketing):
    paths = touchpoint_paths(
        marketing.touchpoints, marketing.conversions, lookback_days=7, channel="medium"
    )
    analysis = an.attribution_analysis(compare_attribution(paths, models=[Linear()]), paths)
    text = " ".join(analysis.notes)
    if paths.n_touches_outside_lookback:
        assert f"{paths.n_touches_outside_lookback:,} touches before the lookback window" in text
    assert paths.n_conversions_outside_lookback > 0  # a week misses some journeys
    assert f"{paths.n_conversions_outside_lookback:,} conversions" in text
    assert "no model credits" in text


# --------------------------------------------------------------------------- business case


def test_business_case_headlines_are_the_library_figures(analyses):
    case = _case()
    plan = evaluate_business_case(case)
    tornado = sensitivity(case, change=0.2)
    futures = simulate_business_case(
        case,
        distributions={"cross-sell": Triangular(low=0.4, mode=0.9, high=1.2)},
        n_simulations=2_000,
        seed=1,
    )
    text = analyses["business_case"].headlines
    assert text[1].startswith(f"NPV {plan.npv:,.0f} at 10 % a year")
    assert f"{tornado.assumption[0]} ({tornado.swing[0]:,.0f})" in text[2]
    assert f"P(NPV < 0) {100 * futures.p_npv_negative:.1f} %" in text[3]
    flows = analyses["business_case"].tables[0].rows
    assert [row[3] for row in flows] == plan.net_cash_flow.tolist()


def test_business_case_without_distributions_runs_no_monte_carlo():
    analysis = an.business_case_analysis(_case(), change=0.1)
    assert "crmkit.roi.simulate_business_case" not in analysis.functions
    assert [c.name for c in analysis.charts] == ["cash_flow_chart", "tornado_chart"]
    assert analysis.notes[-1] == "Period 0 is today, not discounted (first_period=0)."


def test_business_case_monte_carlo_needs_a_seed():
    with pytest.raises(InputError) as info:
        an.business_case_analysis(
            _case(), change=0.1, distributions={"cross-sell": Triangular(low=0.5, mode=1, high=1.5)}
        )
    assert info.value.field == "seed"
    assert "needs a seed" in str(info.value)


def test_business_case_that_never_pays_back_says_so():
    analysis = an.business_case_analysis(
        _case(benefits=(BenefitStream(name="small", kind="cost reduction", value=1_000.0),)),
        change=0.2,
    )
    assert "it does not pay back within the plan" in analysis.headlines[1]


# --------------------------------------------------------------------------- putting together


def test_combine_keeps_the_order_and_names_each_function_once(analyses):
    both = an.combine(analyses["concentration"], analyses["segments"])
    assert both.headlines == analyses["concentration"].headlines + analyses["segments"].headlines
    assert both.functions.count("crmkit.segmentation.rfm_summary") <= 1
    assert both.detail is None
    kept = an.combine(analyses["lift"], detail=analyses["lift"].detail)
    assert kept.detail is analyses["lift"].detail


def test_numbers_in_sentences():
    assert an.money(1234567.8) == "1,234,568"
    assert an.pct(0.661) == "66 %"
    assert an.day(np.datetime64("2024-07-01T13:00")) == "2024-07-01"


# ---------------------------------------------------------------- shared by CLI and report


def test_rank_campaigns_is_the_two_library_calls_worded(marketing):
    revenue = DealRevenue(margin=MarginRate(rate=0.35))
    kwargs = {"leads": None, "opportunities": marketing.opportunities, "revenue": revenue}
    expected = an.campaigns_analysis(
        campaign_results(marketing.campaigns, **kwargs),
        campaign_results(marketing.campaigns, **kwargs, by=["channel"]),
    )
    got = an.rank_campaigns(marketing.campaigns, **kwargs, by=["channel"])
    assert got.headlines == expected.headlines
    assert [t.rows for t in got.tables] == [t.rows for t in expected.tables]
    alone = an.rank_campaigns(marketing.campaigns, **kwargs)
    assert alone.tables[0].title == "The campaigns with the highest ROI"


def test_holdout_lift_reads_the_five_columns(marketing):
    assert set(an.HOLDOUT_COLUMNS) <= set(marketing.holdout)
    got = an.holdout_lift(marketing.holdout)
    assert got.headlines == an.lift_analysis(lift_test(**marketing.holdout)).headlines


def test_default_models_add_w_shaped_only_with_milestones():
    plain = [type(m).__name__ for m in an.default_models(milestones=False)]
    assert plain == ["FirstTouch", "LastTouch", "Linear", "PositionBased", "MarkovChain"]
    full = [type(m).__name__ for m in an.default_models(milestones=True)]
    assert full == [*plain[:4], "WShaped", "MarkovChain"]


def test_compare_models_is_compare_attribution_worded(marketing):
    paths = touchpoint_paths(
        marketing.touchpoints, marketing.conversions, lookback_days=None, channel="medium"
    )
    got = an.compare_models(paths, [Linear(), MarkovChain()])
    expected = an.attribution_analysis(
        compare_attribution(paths, models=[Linear(), MarkovChain()]), paths
    )
    assert got.headlines == expected.headlines
    assert got.tables[0].rows == expected.tables[0].rows


def test_lifetime_value_of_a_degenerate_fit_is_said_in_words():
    """Four customers do not identify the models: no figure that is not an estimate is shown."""
    pytest.importorskip("scipy")
    import warnings

    from crmkit.errors import ConvergenceWarning, FitError
    from crmkit.report import build
    from crmkit.roi import fit_bgnbd
    from crmkit.segmentation import btyd_summary

    orders = {
        "customer": ["acme", "bolt", "acme", "cora", "dune", "bolt"],
        "timestamp": [
            "2024-01-05",
            "2024-01-20",
            "2024-02-11",
            "2024-02-20",
            "2024-03-02",
            "2024-03-15",
        ],
        "amount": [4000.0, 2500.0, 6000.0, 2500.0, 900.0, 3100.0],
    }
    options = {"periods": 12, "period_length": 52 / 12, "discount_rate": 0.01}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        summary = btyd_summary(orders, freq="week", as_of="2024-04-01")
        assert fit_bgnbd(summary).diagnostics.degenerate
        with pytest.raises(FitError, match=r"the fit is degenerate: BG/NBD \(the data do not"):
            an.clv_analysis(
                orders,
                as_of="2024-04-01",
                freq="week",
                horizon="a year",
                rate_period="month",
                **options,
            )
        report = build(orders, as_of="2024-04-01", charts=False)
    said = report.not_computed["Prospecting"]
    assert "degenerate" in said
    assert "more customers or a longer history" in said
