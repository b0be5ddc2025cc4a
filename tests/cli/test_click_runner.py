"""The commands trends, campaigns, attribution, business-case and the report's Promotion
options, run as click runs them (``click.testing.CliRunner`` on ``cli``), on real CSV files.

Oracle: the library functions each command names, on the rows written; a bad
file or column gives exactly one ``crmkit: error:`` line naming the file, the
column (with the option that sets it) and the file line, exit status 2, and
never a traceback.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner, Result

from crmkit._cli._app import cli
from crmkit.datasets import simulate_campaigns, simulate_customer_base
from crmkit.roi import (
    BusinessCase,
    DealRevenue,
    FirstTouch,
    LastTouch,
    Linear,
    MarginRate,
    MarkovChain,
    PositionBased,
    campaign_results,
    compare_attribution,
    evaluate_business_case,
    lift_test,
    touchpoint_paths,
)
from crmkit.segmentation import assign_segments, rfm_scores, rfm_summary, segment_trends
from tests.cli.conftest import PLAN

AS_OF = "2025-01-01"


# --------------------------------------------------------------------------- files


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """Orders, campaigns (with hold-out columns), leads, deals, touches, conversions, a plan."""
    folder = tmp_path_factory.mktemp("files")
    sim = simulate_campaigns(300, "2023-01-01", AS_OF, seed=21)
    base = simulate_customer_base(200, "2023-01-01", AS_OF, seed=21)
    tx = base.transactions
    c = sim.campaigns
    ids = np.asarray(c.campaign)
    tested = {str(k): i for i, k in enumerate(np.asarray(sim.holdout["campaign"]))}

    def holdout(name):
        values = np.asarray(sim.holdout[name])
        return pa.array(
            [int(values[tested[str(k)]]) if str(k) in tested else None for k in ids],
            type=pa.int64(),
        )

    tables = {
        "orders": {
            "customer_id": tx.customer,
            "order_date": np.datetime_as_string(tx.timestamp, unit="s"),
            "revenue": tx.amount,
        },
        "campaigns": {
            "campaign": ids,
            "budget": np.asarray(c.budget),
            "spend": np.asarray(c.spend),
            "start": np.datetime_as_string(c.start, unit="D"),
            "channel": np.asarray(c.dimensions["channel"]),
            **{
                k: holdout(k) for k in ("population", "control", "responders", "control_responders")
            },
        },
        "leads": {"lead": sim.leads["lead"], "campaign": sim.leads["campaign"]},
        "opps": {
            "deal_id": sim.opportunities.id,
            "amount": sim.opportunities.amount,
            "stage": sim.opportunities.stage_names,
            "close_date": np.datetime_as_string(sim.opportunities.close_date, unit="D"),
            "campaign": sim.opportunities.dimensions["campaign"],
        },
        "touches": {
            "customer": np.asarray(sim.touchpoints["customer"]),
            "timestamp": np.datetime_as_string(sim.touchpoints["timestamp"], unit="s"),
            "medium": np.asarray(sim.touchpoints["medium"]),
            "campaign": np.asarray(sim.touchpoints["channel"]),  # the campaign touched
        },
        "conversions": {
            "account": np.asarray(sim.conversions["customer"]),
            "won_at": np.datetime_as_string(sim.conversions["timestamp"], unit="s"),
            "worth": np.asarray(sim.conversions["value"]),
        },
        "plan": PLAN,
    }
    paths = {}
    for name, columns in tables.items():
        paths[name] = folder / f"{name}.csv"
        pacsv.write_csv(pa.table(columns), paths[name])
    return paths


def _edit(
    path: Path, tmp_path: Path, *, line: int | None = None, column: str, value=None, drop=False
):
    """A copy of *path* with one cell changed (file *line*, header = 1) or a column dropped."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    k = rows[0].index(column)
    if drop:
        rows = [r[:k] + r[k + 1 :] for r in rows]
    else:
        rows[line - 1][k] = value
    out = tmp_path / f"edited-{path.name}"
    with out.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return out


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def fails(result: Result, *words: str) -> str:
    """Assert one clean error line with *words*, exit status 2; return the line."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("crmkit: error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def _conversions_options(written):
    return (
        "--conversions",
        written["conversions"],
        "--conversion-customer",
        "account",
        "--conversion-timestamp",
        "won_at",
        "--conversion-value",
        "worth",
    )


def _library_paths(written, *, lookback=None, channel="medium", column="medium"):
    read = {name: pacsv.read_csv(written[name]).to_pydict() for name in ("touches", "conversions")}
    touches = {"customer": read["touches"]["customer"], "timestamp": read["touches"]["timestamp"]}
    touches[channel] = read["touches"][column]
    conversions = {
        "customer": read["conversions"]["account"],
        "timestamp": read["conversions"]["won_at"],
        "value": read["conversions"]["worth"],
    }
    return touchpoint_paths(touches, conversions, lookback_days=lookback, channel=channel)


# --------------------------------------------------------------------------- success


def test_trends(written, tmp_path):
    out = tmp_path / "trends.csv"
    result = ok(invoke("trends", written["orders"], "--as-of", AS_OF, "--out", out))
    orders = pacsv.read_csv(written["orders"]).to_pydict()
    tx = {
        "customer": orders["customer_id"],
        "timestamp": [str(t) for t in orders["order_date"]],
        "amount": orders["revenue"],
    }
    summary = rfm_summary(tx, unit="day", as_of=AS_OF)
    trends = segment_trends(tx, assign_segments(rfm_scores(summary)), freq="month", as_of=AS_OF)
    revenue = trends.matrix("revenue")
    assert f"Revenue per month went from {revenue[0].sum():,.0f} in {trends.periods[0]}" in (
        result.stdout
    )
    written_back = pacsv.read_csv(out).to_pydict()
    np.testing.assert_allclose(written_back["revenue"], trends.revenue, rtol=1e-12)
    assert "guessed the columns customer='customer_id', timestamp='order_date'" in result.stderr


def test_campaigns(written, tmp_path):
    out = tmp_path / "campaigns.csv"
    result = ok(
        invoke(
            "campaigns",
            written["campaigns"],
            "--leads",
            written["leads"],
            "--opportunities",
            written["opps"],
            "--margin",
            "0.35",
            "--out",
            out,
        )
    )
    read = pacsv.read_csv(written["campaigns"]).to_pydict()
    from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    from crmkit.roi import Campaigns

    opps = pacsv.read_csv(written["opps"]).to_pydict()
    expected = campaign_results(
        Campaigns.from_arrays(
            campaign=read["campaign"],
            budget=read["budget"],
            spend=read["spend"],
            start=[str(s) for s in read["start"]],
        ),
        leads=pacsv.read_csv(written["leads"]).column("campaign").to_pylist(),
        opportunities=Opportunities.from_arrays(
            process=DEFAULT_PROCESS,
            id=opps["deal_id"],
            amount=opps["amount"],
            stage=opps["stage"],
            close_date=[str(d) for d in opps["close_date"]],
            dimensions={"campaign": opps["campaign"]},
        ),
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
    )
    t = expected.totals
    assert f"{t.n_campaigns:,} campaigns spent {t.spend:,.0f} (budget {t.budget:,.0f})" in (
        result.stdout
    )
    np.testing.assert_allclose(pacsv.read_csv(out).column("roi").to_numpy(), expected.roi)
    tested = [i for i, p in enumerate(read["population"]) if p is not None]
    lift = lift_test(
        campaign=[read["campaign"][i] for i in tested],
        **{
            k: [read[k][i] for i in tested]
            for k in ("population", "control", "responders", "control_responders")
        },
    )
    assert f"{int(lift.significant.sum())} of {lift.campaign.size} campaigns" in result.stdout


def test_attribution_with_the_conversions_columns_named(written, tmp_path):
    out = tmp_path / "credit.csv"
    result = ok(
        invoke(
            "attribution",
            written["touches"],
            *_conversions_options(written),
            "--lookback-days",
            "180",
            "--out",
            out,
        )
    )
    paths = _library_paths(written, lookback=180, channel="channel")
    expected = compare_attribution(
        paths, models=[FirstTouch(), LastTouch(), Linear(), PositionBased(), MarkovChain()]
    )
    got = pacsv.read_csv(out).to_pydict()
    assert list(got) == ["channel", *expected.models]
    for k, model in enumerate(expected.models):
        np.testing.assert_allclose(got[model], expected.value[:, k], rtol=1e-9)
    assert f"{paths.n_conversions:,} conversions worth {paths.converted_value:,.0f}" in (
        result.stdout
    )
    assert "within 180 days before each conversion" in result.stdout


def test_campaigns_on_attributed_revenue(written, tmp_path):
    out = tmp_path / "attributed.csv"
    result = ok(
        invoke(
            "campaigns",
            written["campaigns"],
            "--touchpoints",
            written["touches"],
            "--touch-campaign",
            "campaign",
            *_conversions_options(written),
            "--model",
            "last-touch",
            "--margin",
            "0.35",
            "--out",
            out,
        )
    )
    from crmkit.roi import AttributedRevenue, Campaigns

    read = pacsv.read_csv(written["campaigns"]).to_pydict()
    table = Campaigns.from_arrays(
        campaign=read["campaign"], budget=read["budget"], spend=read["spend"]
    )
    paths = _library_paths(written, channel="campaign", column="campaign")
    expected = campaign_results(
        table,
        leads=None,
        opportunities=None,
        revenue=AttributedRevenue(paths=paths, model=LastTouch(), margin=MarginRate(rate=0.35)),
    )
    got = pacsv.read_csv(out).to_pydict()
    np.testing.assert_allclose(got["revenue"], expected.revenue, rtol=1e-12)
    np.testing.assert_allclose(got["conversions"], expected.conversions, rtol=1e-12)
    t = expected.totals
    assert f"{t.conversions:,.1f} conversions ({expected.revenue_source})" in result.stdout


def test_business_case(written, tmp_path):
    out = tmp_path / "flows.json"
    result = ok(
        invoke(
            "business-case",
            written["plan"],
            "--periods",
            "5",
            "--discount-rate",
            "0.1",
            "--first-period",
            "1",
            "--out",
            out,
        )
    )
    case = BusinessCase.from_frame(PLAN, periods=5, discount_rate=0.1, first_period=1)
    plan = evaluate_business_case(case)
    assert f"NPV {plan.npv:,.0f} at 10 % a year" in result.stdout
    assert "Period 0 is discounted once (first_period=1)." in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    np.testing.assert_allclose(data["net_cash_flow"], plan.net_cash_flow)


def test_report_with_every_promotion_option(written, tmp_path):
    page, data = tmp_path / "report.html", tmp_path / "report.json"
    result = ok(
        invoke(
            "report",
            written["orders"],
            "--opportunities",
            written["opps"],
            "--campaigns",
            written["campaigns"],
            "--leads",
            written["leads"],
            "--deal-margin",
            "0.35",
            "--touchpoints",
            written["touches"],
            "--touch-channel",
            "medium",
            "--conversions",
            _renamed_conversions(written, tmp_path),
            "--lookback-days",
            "180",
            "--as-of",
            AS_OF,
            "--no-charts",
            "--out",
            page,
            "--json",
            data,
        )
    )
    content = json.loads(data.read_text(encoding="utf-8"))
    promotion = next(s for s in content["sections"] if s["key"] == "promotion")
    assert f"Promotion: {promotion['headlines'][0]}" in result.stdout
    assert "crmkit.roi.campaign_results" in promotion["functions"]
    assert "crmkit.roi.lift_test" in promotion["functions"]
    assert "crmkit.roi.compare_attribution" in promotion["functions"]
    assert "Promotion" not in content["not_computed"]
    assert "<section class='view' id='promotion'>" in page.read_text(encoding="utf-8")


def _renamed_conversions(written, tmp_path):
    """The conversions with the column names report guesses (it has no options for them)."""
    table = pacsv.read_csv(written["conversions"])
    path = tmp_path / "won.csv"
    pacsv.write_csv(table.rename_columns(["customer", "timestamp", "value"]), path)
    return path


def test_report_says_what_promotion_needs(written, tmp_path):
    result = ok(
        invoke(
            "report",
            written["orders"],
            "--campaigns",
            written["campaigns"],
            "--no-charts",
            "--out",
            tmp_path / "r.html",
        )
    )
    # hold-out columns alone give the lift; ROI needs the deals and their margin
    assert "Promotion: " in result.stdout
    assert "Campaign ROI needs the opportunities with the campaign" in (
        tmp_path / "r.html"
    ).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- bad files


def test_missing_and_empty_files(written, tmp_path):
    fails(invoke("campaigns", tmp_path / "nope.csv", "--margin", "0.3"), "nope.csv: no such file")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    fails(
        invoke("business-case", empty, "--periods", "5", "--discount-rate", "0.1"),
        "empty.csv: the file is empty",
    )
    header = tmp_path / "header.csv"
    header.write_text("customer,timestamp,medium\n", encoding="utf-8")
    fails(
        invoke("attribution", header, *_conversions_options(written)),
        "header.csv: the file has a header but no touchpoint rows",
    )


def test_campaigns_bad_cells_and_columns(written, tmp_path):
    def run(path, *more):
        return invoke(
            "campaigns", path, "--opportunities", written["opps"], "--margin", "0.3", *more
        )

    spend = _edit(written["campaigns"], tmp_path, line=4, column="spend", value="€100")
    fails(run(spend), "column 'spend' (--spend) must hold numbers", "line 4", "'€100'")
    no_spend = _edit(written["campaigns"], tmp_path, column="spend", drop=True)
    fails(run(no_spend), "no column found for the spend of each campaign row", "--spend COLUMN")
    fails(run(written["campaigns"], "--by", "region"), "no column 'region' (--by)", "channel")
    fails(run(written["campaigns"], "--spend", "cost"), "no column 'cost' (--spend)")
    negative = _edit(written["campaigns"], tmp_path, line=3, column="budget", value="-5")
    fails(run(negative), "column 'budget' (--budget)", ">= 0", "line 3")
    date = _edit(written["campaigns"], tmp_path, line=2, column="start", value="01/02/2023")
    fails(run(date), "column 'start' (--start)", "line 2", "--date-format")


def test_campaigns_hold_out_columns(written, tmp_path):
    def run(path):
        return invoke("campaigns", path, "--opportunities", written["opps"], "--margin", "0.3")

    half = _edit(written["campaigns"], tmp_path, column="control", drop=True)
    fails(run(half), "the hold-out columns need all of", "control not found")
    with written["campaigns"].open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    line = next(i for i, r in enumerate(rows[1:], start=2) if r[rows[0].index("population")])
    partial = _edit(written["campaigns"], tmp_path, line=line, column="responders", value="")
    fails(run(partial), "must be all filled or all empty on a row", f"line {line}")
    over = _edit(written["campaigns"], tmp_path, line=line, column="control", value="99999999")
    fails(run(over), "control")


def test_campaigns_side_files(written, tmp_path):
    base = ("campaigns", written["campaigns"], "--margin", "0.3")
    fails(
        invoke(
            *base,
            "--opportunities",
            written["opps"],
            "--leads",
            written["leads"],
            "--leads-campaign",
            "src",
        ),
        "leads.csv: no column 'src' (--leads-campaign)",
    )
    fails(
        invoke(*base, "--touchpoints", written["touches"]),
        "give the conversions with --conversions FILE",
    )
    fails(
        invoke(
            *base,
            "--touchpoints",
            written["touches"],
            "--touch-campaign",
            "campaign",
            *_conversions_options(written),
            "--lookback-days",
            "soon",
        ),
        "--lookback-days soon: give a number of days, or 'all'",
    )
    fails(invoke(*base), "give --opportunities FILE")


def test_attribution_bad_cells_and_columns(written, tmp_path):
    def run(touches, conversions=None, *more):
        options = _conversions_options(written)
        if conversions is not None:
            options = ("--conversions", conversions, *options[2:])
        return invoke("attribution", touches, *options, *more)

    blank = _edit(written["touches"], tmp_path, line=8, column="customer", value="")
    fails(run(blank), "touches.csv: column 'customer' (--customer)", "line 8")
    when = _edit(written["touches"], tmp_path, line=6, column="timestamp", value="yesterday")
    fails(run(when), "column 'timestamp' (--timestamp) must hold ISO-8601", "line 6", "'yesterday'")
    worth = _edit(written["conversions"], tmp_path, line=3, column="worth", value="-1")
    fails(run(written["touches"], worth), "column 'worth' (--conversion-value)", ">= 0", "line 3")
    no_value = _edit(written["conversions"], tmp_path, column="worth", drop=True)
    fails(
        invoke(
            "attribution",
            written["touches"],
            "--conversions",
            no_value,
            "--conversion-customer",
            "account",
            "--conversion-timestamp",
            "won_at",
        ),
        "no column found for the value of each conversion row: pass --conversion-value COLUMN",
    )
    fails(run(written["touches"], None, "--channel", "source"), "no column 'source' (--channel)")
    fails(run(written["touches"], None, "--model", "w-shaped"), "need the lead_created and")


def test_business_case_bad_plans(written, tmp_path):
    def run(path, *more):
        return invoke("business-case", path, "--periods", "5", "--discount-rate", "0.1", *more)

    no_kind = _edit(written["plan"], tmp_path, column="kind", drop=True)
    fails(run(no_kind), "no column found for the kind", "name its column 'kind'")
    ramp = _edit(written["plan"], tmp_path, line=5, column="ramp_up", value="0.2 2")
    fails(run(ramp), "column 'ramp_up' must hold shares in [0, 1]", "line 5")
    fails(run(written["plan"], "--uncertain", "upsell=0.5:1.5"), "upsell")
    fails(
        invoke("business-case", written["plan"], "--periods", "5", "--discount-rate", "-2"),
        "discount_rate",
    )


def test_option_syntax_errors_are_usage_errors(written):
    result = invoke(
        "business-case",
        written["plan"],
        "--periods",
        "5",
        "--discount-rate",
        "0.1",
        "--uncertain",
        "x",
    )
    assert result.exit_code == 2
    assert "Invalid value for '--uncertain'" in result.stderr
    assert "is not NAME=LOW:MODE:HIGH" in result.stderr
    assert "Traceback" not in result.stderr
    result = invoke("trends", written["orders"], "--freq", "fortnight")
    assert result.exit_code == 2
    assert "Invalid value for '--freq'" in result.stderr


def test_trends_bad_amount(written, tmp_path):
    bad = _edit(written["orders"], tmp_path, line=9, column="revenue", value="12,50")
    fails(invoke("trends", bad), "column 'revenue' (--amount) must hold numbers", "line 9")


def test_report_promotion_options_refused_in_one_line(written, tmp_path):
    base = ("report", written["orders"], "--no-charts", "--out", tmp_path / "r.html")
    fails(invoke(*base, "--touchpoints", written["touches"]), "--touchpoints needs the conversions")
    fails(invoke(*base, "--conversions", written["conversions"]), "--conversions needs the touches")
    fails(invoke(*base, "--deal-margin", "1.5"), "deal_margin", "[0, 1]")
    no_spend = _edit(written["campaigns"], tmp_path, column="spend", drop=True)
    fails(
        invoke(*base, "--campaigns", no_spend),
        "no column found for the spend",
        "name its column 'spend'",
    )
    fails(
        invoke(*base, "--touchpoints", written["touches"], "--conversions", written["conversions"]),
        "conversions.csv: no column found for the customer",
        "name its column 'customer'",
    )
    assert not (tmp_path / "r.html").exists()


def test_debug_shows_the_traceback(written, tmp_path):
    spend = _edit(written["campaigns"], tmp_path, line=4, column="spend", value="€100")
    result = invoke(
        "campaigns", spend, "--opportunities", written["opps"], "--margin", "0.3", "--debug"
    )
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "crmkit: error:" in result.stderr


def test_files_read_from_other_folders_keep_their_names(written, tmp_path):
    moved = tmp_path / "sub dir" / "plan file.csv"
    moved.parent.mkdir()
    shutil.copy(written["plan"], moved)
    ramp = _edit(moved, moved.parent, line=5, column="ramp_up", value="x")
    line = fails(invoke("business-case", ramp, "--periods", "5", "--discount-rate", "0.1"))
    assert str(ramp) in line
