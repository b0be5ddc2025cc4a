"""campaigns, attribution, business-case and trends on small CSV and Parquet files.

Oracle: the library functions each command names, called on the rows the files hold
(``MarketingFiles`` keeps crmkit's own reading of exactly what was written).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from crmkit.report import build
from crmkit.roi import (
    AttributedRevenue,
    BusinessCase,
    DealRevenue,
    FirstTouch,
    LastTouch,
    Linear,
    MarginRate,
    MarkovChain,
    PositionBased,
    Triangular,
    WShaped,
    campaign_results,
    compare_attribution,
    evaluate_business_case,
    lift_test,
    sensitivity,
    simulate_business_case,
    touchpoint_paths,
)
from crmkit.segmentation import assign_segments, rfm_scores, rfm_summary, segment_trends
from tests.cli.conftest import crmkit_cli, read_out

AS_OF = "2025-01-01"


def _ok(ran):
    assert ran.code == 0, ran.err
    return ran


def _paths(m, *, channel, lookback=None):
    return touchpoint_paths(
        m.touches,
        m.converted,
        lookback_days=lookback,
        channel=channel,
        lead_created="lead_created",
        opportunity_created="opportunity_created",
    )


def test_campaigns_from_won_deals_by_channel(marketing, tmp_path):
    out = tmp_path / "by_channel.csv"
    args = [
        "campaigns",
        str(marketing.campaigns),
        "--leads",
        str(marketing.leads),
        "--opportunities",
        str(marketing.opps),
        "--margin",
        "0.35",
        "--by",
        "channel",
        "--out",
        str(out),
    ]
    ran = _ok(crmkit_cli(*args))
    revenue = DealRevenue(margin=MarginRate(rate=0.35))
    expected = campaign_results(
        marketing.table,
        leads=marketing.lead_campaign,
        opportunities=marketing.opportunities,
        revenue=revenue,
        by=["channel"],
    )
    got = read_out(out)
    np.testing.assert_array_equal(got["channel"].astype(str), expected.groups["channel"])
    np.testing.assert_allclose(got["roi"], expected.roi, rtol=1e-12)
    np.testing.assert_allclose(got["cac"], expected.cac, rtol=1e-12)
    np.testing.assert_array_equal(got["leads"], expected.leads)
    t = expected.totals
    assert f"{t.n_campaigns:,} campaigns spent {t.spend:,.0f}" in ran.out
    assert f"{t.won_deals:,.0f} won deals" in ran.out
    # the hold-out columns of the outbound rows: each campaign's lift
    lift = lift_test(**marketing.holdout)
    assert (
        f"{int(lift.significant.sum())} of {lift.campaign.size} campaigns with a hold-out group"
        in ran.out
    )
    assert f"Hold-out groups: {lift.campaign.size} of {marketing.table.n_campaigns}" in ran.out
    assert "guessed the columns campaign='campaign', budget='budget', spend='spend'" in ran.err


def test_campaigns_with_attributed_revenue(marketing, tmp_path):
    out = tmp_path / "per_campaign.json"
    args = [
        "campaigns",
        str(marketing.campaigns),
        "--touchpoints",
        str(marketing.touchpoints),
        "--touch-campaign",
        "channel",
        "--conversions",
        str(marketing.conversions),
        "--model",
        "w-shaped",
        "--lookback-days",
        "180",
        "--margin",
        "0.35",
        "--out",
        str(out),
    ]
    _ok(crmkit_cli(*args))
    paths = _paths(marketing, channel="channel", lookback=180)
    expected = campaign_results(
        marketing.table,
        leads=None,
        opportunities=None,
        revenue=AttributedRevenue(paths=paths, model=WShaped(), margin=MarginRate(rate=0.35)),
    )
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got["model"] == "W-shaped"
    assert got["groups"]["campaign"] == expected.groups["campaign"].tolist()
    np.testing.assert_allclose(got["conversions"], expected.conversions, rtol=1e-12)
    np.testing.assert_allclose(got["revenue"], expected.revenue, rtol=1e-12)


def test_campaigns_needs_a_revenue_source(marketing):
    ran = crmkit_cli("campaigns", str(marketing.campaigns), "--margin", "0.3")
    assert ran.code == 2
    assert "give --opportunities FILE" in ran.err
    ran = crmkit_cli("campaigns", str(marketing.campaigns), "--opportunities", str(marketing.opps))
    assert ran.code == 2
    assert "--margin RATE" in ran.err


def test_attribution_compares_the_default_models(marketing, tmp_path):
    out = tmp_path / "attribution.parquet"
    ran = _ok(
        crmkit_cli(
            "attribution",
            str(marketing.touchpoints),
            "--conversions",
            str(marketing.conversions),
            "--channel",
            "medium",
            "--out",
            str(out),
        )
    )
    paths = _paths(marketing, channel="medium")
    models = [FirstTouch(), LastTouch(), Linear(), PositionBased(), WShaped(), MarkovChain()]
    expected = compare_attribution(paths, models=models)
    got = read_out(out)
    np.testing.assert_array_equal(got["channel"].astype(str), expected.channel)
    for k, label in enumerate(expected.models):
        np.testing.assert_allclose(got[label], expected.value[:, k], rtol=1e-9)
    assert f"{paths.n_conversions:,} conversions worth {paths.converted_value:,.0f}" in ran.out
    assert "at any time before each conversion" in ran.out


def test_attribution_models_and_window_as_asked(marketing, tmp_path):
    out = tmp_path / "two.csv"
    _ok(
        crmkit_cli(
            "attribution",
            str(marketing.touchpoints),
            "--conversions",
            str(marketing.conversions),
            "--channel",
            "medium",
            "--model",
            "last-touch",
            "--model",
            "time-decay",
            "--half-life-days",
            "14",
            "--lookback-days",
            "90",
            "--out",
            str(out),
        )
    )
    from crmkit.roi import TimeDecay

    paths = _paths(marketing, channel="medium", lookback=90)
    expected = compare_attribution(paths, models=[LastTouch(), TimeDecay(half_life_days=14)])
    got = read_out(out)
    assert list(got) == ["channel", *expected.models]
    np.testing.assert_allclose(got[expected.models[1]], expected.value[:, 1], rtol=1e-9)


def test_attribution_without_milestones_refuses_the_milestone_models(marketing, tmp_path):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    plain = tmp_path / "won.csv"
    pacsv.write_csv(
        pa.table({k: marketing.converted[k] for k in ("customer", "timestamp", "value")}), plain
    )
    ran = crmkit_cli(
        "attribution",
        str(marketing.touchpoints),
        "--conversions",
        str(plain),
        "--channel",
        "medium",
        "--model",
        "w-shaped",
    )
    assert ran.code == 2
    assert "need the lead_created and opportunity_created" in ran.err


def test_business_case_from_the_documented_layout(marketing, tmp_path):
    out = tmp_path / "flows.csv"
    args = [
        "business-case",
        str(marketing.plan),
        "--periods",
        "5",
        "--discount-rate",
        "0.1",
        "--uncertain",
        "cross-sell=0.4:0.9:1.2",
        "--uncertain",
        "service cost=0.8:1.1",
        "--simulations",
        "4000",
        "--seed",
        "3",
        "--out",
        str(out),
    ]
    ran = _ok(crmkit_cli(*args))
    case = BusinessCase.from_frame(
        marketing.plan_rows, periods=5, discount_rate=0.1, first_period=0
    )
    plan = evaluate_business_case(case)
    got = read_out(out)
    np.testing.assert_allclose(got["net_cash_flow"], plan.net_cash_flow, rtol=1e-12)
    np.testing.assert_allclose(got["cumulative_discounted"], plan.cumulative_discounted)
    assert f"NPV {plan.npv:,.0f} at 10 % a year" in ran.out
    tornado = sensitivity(case, change=0.2)
    assert f"{tornado.assumption[0]} ({tornado.swing[0]:,.0f})" in ran.out
    from crmkit.roi import Uniform

    futures = simulate_business_case(
        case,
        distributions={
            "cross-sell": Triangular(low=0.4, mode=0.9, high=1.2),
            "service cost": Uniform(low=0.8, high=1.1),
        },
        n_simulations=4000,
        seed=3,
    )
    assert f"P(NPV < 0) {100 * futures.p_npv_negative:.1f} %" in ran.out


@pytest.mark.parametrize(
    ("row", "cell", "said"),
    [
        (1, {"kind": "capex"}, "column 'kind' must be one of"),
        (1, {"value": 5.0}, "column 'value' must be empty on a cost row"),
        (3, {"ramp_up": "0.2 x"}, "column 'ramp_up' must hold shares in [0, 1]"),
        (3, {"category": "people"}, "column 'category' must be empty on a benefit row"),
    ],
)
def test_business_case_bad_rows_name_the_line(tmp_path, row, cell, said):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from tests.cli.conftest import PLAN

    rows = {k: list(v) for k, v in PLAN.items()}
    ((name, value),) = cell.items()
    rows[name][row] = value  # the header is line 1
    path = tmp_path / "plan.csv"
    pacsv.write_csv(pa.table(rows), path)
    ran = crmkit_cli("business-case", str(path), "--periods", "5", "--discount-rate", "0.1")
    assert ran.code == 2
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1
    assert said in lines[0]
    assert f"line {row + 2} " in lines[0]
    assert "Traceback" not in ran.err


def test_business_case_options_are_required(marketing):
    ran = crmkit_cli("business-case", str(marketing.plan), "--periods", "5")
    assert ran.code == 2
    assert "--discount-rate" in ran.err


def test_trends(files, tmp_path):
    out = tmp_path / "trends.parquet"
    ran = _ok(
        crmkit_cli(
            "trends", str(files.orders), "--freq", "quarter", "--as-of", AS_OF, "--out", str(out)
        )
    )
    summary = rfm_summary(files.tx, unit="day", as_of=AS_OF)
    expected = segment_trends(
        files.tx, assign_segments(rfm_scores(summary)), freq="quarter", as_of=AS_OF
    )
    got = read_out(out)
    np.testing.assert_array_equal(got["period"].astype(str), expected.period)
    np.testing.assert_array_equal(got["segment"].astype(str), expected.segment)
    np.testing.assert_allclose(got["revenue"], expected.revenue, rtol=1e-12)
    np.testing.assert_array_equal(got["customers"], expected.customers)
    assert f"Revenue per quarter and segment (the last {min(8, expected.periods.size)})" in ran.out


def test_report_with_campaigns_and_touchpoints(files, marketing, tmp_path):
    data = tmp_path / "report.json"
    args = [
        "report",
        str(files.orders),
        "--opportunities",
        str(marketing.opps),
        "--campaigns",
        str(marketing.campaigns),
        "--leads",
        str(marketing.leads),
        "--deal-margin",
        "0.35",
        "--touchpoints",
        str(marketing.touchpoints),
        "--touch-channel",
        "medium",
        "--conversions",
        str(marketing.conversions),
        "--lookback-days",
        "180",
        "--as-of",
        AS_OF,
        "--no-charts",
        "--out",
        str(tmp_path / "report.html"),
        "--json",
        str(data),
    ]
    ran = _ok(crmkit_cli(*args))
    touches = {k: marketing.touches[k] for k in ("customer", "timestamp", "medium")}
    touches["channel"] = touches.pop("medium")
    expected = build(
        files.tx,
        as_of=AS_OF,
        opportunities=marketing.opportunities,
        campaigns=marketing.table,
        leads=marketing.lead_campaign,
        deal_margin=0.35,
        touchpoints=touches,
        conversions=marketing.converted,
        lookback_days=180,
        holdout=marketing.holdout,
        charts=False,
    )
    got = json.loads(data.read_text(encoding="utf-8"))
    assert got["sections"] == json.loads(expected.to_json())["sections"]
    promotion = expected.section("promotion")
    assert f"Promotion: {promotion.headlines[0]}" in ran.out
    assert {c.name for c in promotion.charts} == {
        "campaign_roi_chart",
        "lift_chart",
        "attribution_chart",
    }
