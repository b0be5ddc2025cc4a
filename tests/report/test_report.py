"""crmkit.report.build: sections from the inputs given, the rest listed; the page self-contained.

Oracle: each headline is checked against the library call the section names.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from crmkit.datasets import simulate_cost_drivers, simulate_customer_base, simulate_pipeline
from crmkit.errors import InputError
from crmkit.report import SECTION_TITLES, Chart, Report, Table, build, format_cell
from crmkit.roi import MarginRate, customer_pnl, whale_curve
from crmkit.segmentation import rfm_summary, top_share


@pytest.fixture(scope="module")
def company():
    base = simulate_customer_base(400, "2023-01-01", "2025-01-01", seed=3)
    drivers = simulate_cost_drivers(base, seed=3)
    pipeline = simulate_pipeline(500, "2023-01-01", "2025-01-01", seed=3)
    return base, drivers, pipeline


@pytest.fixture(scope="module")
def full(company) -> Report:
    base, drivers, pipeline = company
    return build(
        base.transactions,
        product="product",
        margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
        opportunities=pipeline.opportunities,
        history=pipeline.history,
        charts=True,
    )


def test_orders_alone_give_four_views_and_say_what_to_add(company):
    report = build(company[0].transactions, charts=False)
    keys = [s.key for s in report.sections]
    assert keys == ["profiling", "persistency", "performance", "prospecting"]
    assert list(report.not_computed) == ["Profitability", "Product", "Promotion"]
    assert "--product" in report.not_computed["Product"]
    assert "--campaigns FILE" in report.not_computed["Promotion"]
    performance = report.section("performance")
    assert [c.name for c in performance.charts] == ["segment_trends_chart"]
    assert any("--opportunities" in n for n in performance.notes)
    html = report.to_html()
    assert "not computed: give campaigns (crmkit report --campaigns FILE)" in html


def test_every_input_adds_its_view(full):
    assert [s.key for s in full.sections] == [k for k in SECTION_TITLES if k != "promotion"]
    assert list(full.not_computed) == ["Promotion"]


def test_performance_trends_are_the_library_segment_trends(company, full):
    from crmkit.segmentation import assign_segments, rfm_scores, segment_trends

    tx = company[0].transactions
    summary = rfm_summary(tx, unit="day")
    trends = segment_trends(
        tx, assign_segments(rfm_scores(summary)), freq="month", as_of=summary.as_of
    )
    section = full.section("performance")
    assert "crmkit.segmentation.segment_trends" in section.functions
    table = next(t for t in section.tables if t.function == "crmkit.segmentation.segment_trends")
    last = table.rows[-1]
    assert last[0] == trends.periods[-1]
    assert last[1] == pytest.approx(float(trends.matrix("revenue")[-1].sum()))
    assert last[3] == int(trends.matrix("customers")[-1].sum())
    assert not any("no crmkit function gives" in n for n in section.notes)


def test_profiling_headline_is_the_library_top_share(company, full):
    summary = rfm_summary(company[0].transactions, unit="day")
    share = float(top_share(summary.monetary, 0.2))
    assert (
        f"The top 20 % of customers bring {100 * share:.0f} % of revenue"
        in (full.section("profiling").headlines[1])
    )


def test_profitability_headline_is_the_whale_curve(company, full):
    base, drivers, _ = company
    pnl = customer_pnl(
        base.transactions,
        margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
    )
    whale = whale_curve(pnl)
    text = " ".join(full.section("profitability").headlines)
    assert f"{whale.n_unprofitable:,} unprofitable customers give back" in text
    assert f"{whale.total_profit:,.0f} of profit" in text


def test_every_section_names_its_functions_and_tables(full):
    for section in full.sections:
        assert section.functions, section.key
        assert all(f.startswith("crmkit.") for f in section.functions)
        for table in section.tables:
            assert table.function.startswith("crmkit.")
            assert all(len(row) == len(table.columns) for row in table.rows)


def test_charts_are_drawn_as_svg(full):
    pytest.importorskip("matplotlib")
    charts = [c for s in full.sections for c in s.charts]
    assert charts
    assert all(c.drawn and c.missing is None for c in charts), [c.name for c in charts]
    assert all(c.svg.lstrip().startswith("<?xml") for c in charts)


def test_without_charts_each_slot_says_why(company):
    report = build(company[0].transactions, charts=False)
    slots = [c for s in report.sections for c in s.charts]
    assert slots
    assert all(c.missing == "charts were not asked for" for c in slots)
    assert "Chart not drawn: charts were not asked for." in report.to_html()


def test_the_page_needs_no_network(full):
    html = full.to_html()
    assert "Content-Security-Policy" in html
    assert "default-src 'none'" in html
    assert "<script" not in html
    sources = re.findall(r"(?:src|href)='([^']*)'", html)
    assert sources
    assert all(s.startswith(("data:image/svg+xml;base64,", "#")) for s in sources), sources
    assert not re.search(r"https?://", html.replace("http://www.w3.org", ""))


def test_json_holds_the_same_content(full, tmp_path):
    path = full.write(tmp_path / "report.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [s["key"] for s in data["sections"]] == [s.key for s in full.sections]
    assert data["sections"][0]["headlines"] == list(full.sections[0].headlines)
    assert data["not_computed"] == dict(full.not_computed)
    assert data["as_of"] == str(full.as_of)
    html = full.write(tmp_path / "report.html")
    assert html.read_text(encoding="utf-8") == full.to_html()


def test_promotion_is_the_library_campaign_lift_and_attribution():
    from crmkit.datasets import simulate_campaigns
    from crmkit.roi import DealRevenue, campaign_results, lift_test

    sim = simulate_campaigns(500, "2023-01-01", "2025-01-01", seed=4)
    base = simulate_customer_base(200, "2023-01-01", "2025-01-01", seed=4)
    report = build(
        base.transactions,
        opportunities=sim.opportunities,
        campaigns=sim.campaigns,
        leads=sim.leads["campaign"],
        deal_margin=0.35,
        touchpoints=sim.touchpoints,
        touchpoint_channel="medium",
        conversions=sim.conversions,
        lookback_days=180,
        holdout=sim.holdout,
        charts=False,
    )
    assert "Promotion" not in report.not_computed
    promotion = report.section("promotion")
    results = campaign_results(
        sim.campaigns,
        leads=sim.leads["campaign"],
        opportunities=sim.opportunities,
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
    )
    assert promotion.headlines[0].startswith(
        f"{results.totals.n_campaigns} campaigns spent {results.totals.spend:,.0f}"
    )
    lift = lift_test(**sim.holdout)
    text = " ".join(promotion.headlines)
    assert f"{int(lift.significant.sum())} of {lift.campaign.size} campaigns" in text
    assert [c.name for c in promotion.charts] == [
        "campaign_roi_chart",
        "campaign_roi_chart",
        "lift_chart",
        "attribution_chart",
    ]
    assert "crmkit.roi.compare_attribution" in promotion.functions
    assert promotion.docs == "campaigns"


def test_promotion_says_what_is_missing(company):
    from crmkit.datasets import simulate_campaigns

    sim = simulate_campaigns(300, "2023-01-01", "2025-01-01", seed=4)
    report = build(company[0].transactions, campaigns=sim.campaigns, charts=False)
    assert "Promotion" in report.not_computed
    assert "a 'campaign' column of --opportunities" in report.not_computed["Promotion"]
    with pytest.raises(InputError) as info:
        build(company[0].transactions, deal_margin=1.5, charts=False)
    assert info.value.field == "deal_margin"


def test_section_lookup_names_the_missing_one(full):
    with pytest.raises(KeyError, match="promotion"):
        full.section("promotion")


def test_transactions_as_a_table_with_their_column_names(company):
    tx = company[0].transactions
    frame = {
        "cust": tx.customer,
        "day": np.datetime_as_string(tx.timestamp, unit="D"),
        "eur": tx.amount,
    }
    report = build(frame, customer="cust", timestamp="day", amount="eur", charts=False)
    assert report.section("profiling").tables[0].rows


def test_bad_transactions_are_refused_by_the_library(company):
    with pytest.raises(InputError) as info:
        build({"customer": [1], "timestamp": ["19970101"], "amount": [1.0]}, charts=False)
    assert info.value.field == "timestamp"
    assert "date_format" in str(info.value)


def test_table_checks_its_shape():
    with pytest.raises(InputError) as info:
        Table(title="t", columns=("a", "b"), formats=("text",), rows=[], function="crmkit.x")
    assert info.value.field == "formats"
    with pytest.raises(InputError) as info:
        Table(title="t", columns=("a",), formats=("text",), rows=[("x", 1)], function="crmkit.x")
    assert info.value.field == "rows"


def test_cells_are_formatted_by_meaning():
    assert format_cell(0.661, "share") == "66.1 %"
    assert format_cell(-0.001, "money") == "0.00"
    assert format_cell(1234567, "count") == "1,234,567"
    assert Chart(name="x", title="t", svg="<svg/>", missing=None).drawn


@pytest.fixture(scope="module")
def promoted():
    """A report with every Promotion input, charts drawn."""
    from crmkit.datasets import simulate_campaigns

    sim = simulate_campaigns(400, "2023-01-01", "2025-01-01", seed=6)
    base = simulate_customer_base(150, "2023-01-01", "2025-01-01", seed=6)
    report = build(
        base.transactions,
        opportunities=sim.opportunities,
        campaigns=sim.campaigns,
        leads=sim.leads["campaign"],
        deal_margin=0.35,
        touchpoints=sim.touchpoints,
        touchpoint_channel="medium",
        conversions=sim.conversions,
        holdout=sim.holdout,
        charts=True,
    )
    return sim, report


def test_promotion_renders_on_the_page_with_its_charts(promoted):
    pytest.importorskip("matplotlib")
    _, report = promoted
    section = report.section("promotion")
    assert all(chart.drawn for chart in section.charts)
    html = report.to_html()
    start = html.index("<section class='view' id='promotion'>")
    body = html[start : html.index("</section>", start)]
    assert body.count("<figure class='chart' ") == len(section.charts) == 4
    assert body.count("src='data:image/svg+xml;base64,") == 4
    assert "Promotion" not in report.not_computed
    for headline in section.headlines:
        assert _text(headline) in _text(body)
    assert "crmkit.roi.campaign_results" in body
    assert "Docs: the <em>campaigns</em> guide" in body


def test_promotion_per_channel_of_the_campaigns(promoted):
    sim, report = promoted
    from crmkit.roi import DealRevenue, campaign_results

    by = campaign_results(
        sim.campaigns,
        leads=sim.leads["campaign"],
        opportunities=sim.opportunities,
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
        by=["channel"],
    )
    table = report.section("promotion").tables[0]
    assert table.title == "Campaign results by channel"
    assert sorted(row[0] for row in table.rows) == sorted(by.groups["channel"].tolist())


def test_performance_with_the_pipeline_adds_the_forecast(full):
    section = full.section("performance")
    names = [c.name for c in section.charts]
    assert names[0] == "segment_trends_chart"
    assert "forecast_fan" in names
    assert "crmkit.funnel.forecast_pipeline" in section.functions
    assert "crmkit.funnel.fit_stage_rates" in section.functions or any(
        "calibrated on" in h for h in section.headlines
    )
    assert not any("--opportunities" in n for n in section.notes)
    html = full.to_html()
    start = html.index("<section class='view' id='performance'>")
    assert "weighted forecast" in html[start : html.index("</section>", start)]


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"touchpoints": "sim"}, "Attribution needs both the touchpoints and the conversions"),
        ({"conversions": "sim"}, "Attribution needs both the touchpoints and the conversions"),
        (
            {"campaigns": "sim", "opportunities": "sim"},
            "Campaign ROI needs the gross margin of won deals (--deal-margin RATE)",
        ),
    ],
)
def test_promotion_half_given_says_what_is_missing(company, given, said):
    from crmkit.datasets import simulate_campaigns

    sim = simulate_campaigns(200, "2023-01-01", "2025-01-01", seed=2)
    inputs = {key: getattr(sim, key) for key in given}
    report = build(company[0].transactions, charts=False, **inputs)
    assert said in report.not_computed["Promotion"]
    assert said in report.to_html()
    assert "promotion" not in [s.key for s in report.sections]


def test_hold_out_tests_alone_give_promotion_its_lift(company):
    from crmkit.datasets import simulate_campaigns
    from crmkit.roi import lift_test

    sim = simulate_campaigns(200, "2023-01-01", "2025-01-01", seed=2)
    report = build(company[0].transactions, holdout=sim.holdout, charts=False)
    section = report.section("promotion")
    assert section.functions == ("crmkit.roi.lift_test",)
    lift = lift_test(**sim.holdout)
    assert section.headlines[0].startswith(
        f"{int(lift.significant.sum())} of {lift.campaign.size} campaigns with a hold-out group"
    )


def test_hold_out_table_missing_a_column_is_refused(company):
    from crmkit.datasets import simulate_campaigns

    sim = simulate_campaigns(200, "2023-01-01", "2025-01-01", seed=2)
    holdout = {k: v for k, v in dict(sim.holdout).items() if k != "control_responders"}
    with pytest.raises(InputError) as info:
        build(company[0].transactions, holdout=holdout, charts=False)
    assert info.value.field == "control_responders"
    assert "no column 'control_responders'" in str(info.value)


def _text(html_or_text: str) -> str:
    """Text with markup and HTML escapes undone, spaces collapsed (to find a headline on a page)."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_or_text)).split())
