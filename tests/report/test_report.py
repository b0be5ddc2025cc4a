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


def test_orders_alone_give_three_views_and_say_what_to_add(company):
    report = build(company[0].transactions, charts=False)
    assert [s.key for s in report.sections] == ["profiling", "persistency", "prospecting"]
    assert list(report.not_computed) == ["Profitability", "Performance", "Product", "Promotion"]
    assert "--opportunities" in report.not_computed["Performance"]
    assert "--product" in report.not_computed["Product"]
    html = report.to_html()
    assert "not computed: give opportunities (crmkit report --opportunities FILE)" in html


def test_every_input_adds_its_view(full):
    assert [s.key for s in full.sections] == [k for k in SECTION_TITLES if k != "promotion"]
    assert list(full.not_computed) == ["Promotion"]


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
