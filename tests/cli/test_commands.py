"""Every subcommand on a small CSV and a small Parquet file, its output checked against the library.

Oracle: the library function the command names, called on the rows the file holds
(``Files.tx`` is crmkit's own reading of exactly what was written).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from crmkit.funnel import fit_stage_rates, forecast_pipeline, lattice_forecast
from crmkit.lifecycle import classify_stages, cohort_retention, lifecycle_metrics
from crmkit.periods import Horizon
from crmkit.report import build
from crmkit.roi import (
    MarginRate,
    customer_clv,
    customer_pnl,
    fit_bgnbd,
    fit_gamma_gamma,
)
from crmkit.segmentation import (
    abc_classes,
    assign_segments,
    btyd_summary,
    rfm_scores,
    rfm_summary,
)
from tests.cli.conftest import crmkit_cli, read_out

AS_OF = "2025-01-01"


def _ok(ran):
    assert ran.code == 0, ran.err
    return ran


def _ids(values):
    return np.asarray(values).astype(str)


def test_rfm(files, tmp_path):
    out = tmp_path / "rfm.parquet"
    ran = _ok(crmkit_cli("rfm", str(files.orders), "--as-of", AS_OF, "--out", str(out)))
    summary = rfm_summary(files.tx, unit="day", as_of=AS_OF)
    scores = rfm_scores(summary)
    got = read_out(out)
    np.testing.assert_array_equal(_ids(got["customer"]), _ids(summary.customer))
    np.testing.assert_allclose(got["recency"], summary.recency)
    np.testing.assert_array_equal(got["frequency"], summary.frequency)
    np.testing.assert_allclose(got["monetary"], summary.monetary, rtol=1e-12)
    for name in ("recency_score", "frequency_score", "monetary_score"):
        np.testing.assert_array_equal(got[name], getattr(scores, name))
    # the terminal shows the first customer's row and says what it guessed
    assert f"{summary.monetary[0]:,.2f}" in ran.out
    assert "guessed the columns customer='CustomerID', timestamp='InvoiceDate'" in ran.err


def test_segments(files, tmp_path):
    out = tmp_path / "segments.csv"
    ran = _ok(crmkit_cli("segments", str(files.orders), "--as-of", AS_OF, "--out", str(out)))
    segments = assign_segments(rfm_scores(rfm_summary(files.tx, unit="day", as_of=AS_OF)))
    got = read_out(out)
    np.testing.assert_array_equal(got["segment"].astype(str), segments.segment)
    assert f"champions           {segments.counts['champions']:>10}" not in ran.out  # rich aligns
    assert "champions" in ran.out


def test_pareto(files, tmp_path):
    out = tmp_path / "abc.parquet"
    ran = _ok(crmkit_cli("pareto", str(files.orders), "--as-of", AS_OF, "--out", str(out)))
    summary = rfm_summary(files.tx, unit="day", as_of=AS_OF)
    abc = abc_classes(summary.monetary, customer=summary.customer)
    got = read_out(out)
    np.testing.assert_array_equal(got["abc_class"].astype(str), abc.abc_class)
    assert f"{abc.customers['A']:,}" in ran.out


def test_lifecycle(files, tmp_path):
    out = tmp_path / "stages.csv"
    _ok(crmkit_cli("lifecycle", str(files.orders), "--as-of", AS_OF, "--out", str(out)))
    stages = classify_stages(lifecycle_metrics(files.tx, as_of=AS_OF, window_days=90))
    got = read_out(out)
    np.testing.assert_array_equal(got["stage"].astype(str), stages.stage)


def test_cohorts(files, tmp_path):
    out = tmp_path / "cohorts.parquet"
    _ok(crmkit_cli("cohorts", str(files.orders), "--as-of", AS_OF, "--out", str(out)))
    result = cohort_retention(files.tx, frequency="month", as_of=AS_OF)
    got = read_out(out)
    np.testing.assert_array_equal(got["cohort"].astype(str), result.cohort)
    for j, since in enumerate(result.periods_since):
        expected = np.where(result.observable[:, j], result.retention[:, j], np.nan)
        np.testing.assert_allclose(got[f"period_{since}"].astype(float), expected)


def test_clv(files, tmp_path):
    out = tmp_path / "clv.csv"
    _ok(crmkit_cli("clv", str(files.orders), "--as-of", AS_OF, "--out", str(out)))
    summary = btyd_summary(files.tx, freq="week", as_of=AS_OF)
    purchases = fit_bgnbd(summary)
    keep = (summary.frequency == 0) | (summary.monetary_value > 0)
    buyers = {name: column[keep] for name, column in summary.table().items()}
    spend = fit_gamma_gamma(buyers)
    clv = customer_clv(
        purchases, spend, buyers, periods=12, period_length=52 / 12, discount_rate=0.01
    )
    got = read_out(out)
    np.testing.assert_array_equal(_ids(got["customer"]), _ids(clv.customer))
    np.testing.assert_allclose(got["clv"], clv.clv, rtol=1e-9)


def test_profitability(files, tmp_path):
    out = tmp_path / "pnl.parquet"
    args = [
        "profitability",
        str(files.orders),
        "--margin",
        "0.3",
        "--costs",
        str(files.costs),
        "--unit-costs",
        str(files.unit_cost_file),
        "--out",
        str(out),
    ]
    ran = _ok(crmkit_cli(*args))
    pnl = customer_pnl(
        files.tx,
        margin=MarginRate(rate=0.3),
        activities=files.activities,
        unit_costs=files.unit_costs,
        activity_customer="customer_id",
    )
    got = read_out(out)
    np.testing.assert_allclose(got["profit"], pnl.profit, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got["cost_to_serve"], pnl.cost_to_serve, rtol=1e-9)
    assert f"profit {pnl.total_profit:,.2f}" in ran.out
    # the same unit costs given as flags
    flags = [f"--unit-cost={k}={v}" for k, v in files.unit_costs.items()]
    again = tmp_path / "again.parquet"
    cut = args[: args.index("--unit-costs")] + flags + ["--out", str(again)]
    _ok(crmkit_cli(*cut))
    np.testing.assert_allclose(read_out(again)["profit"], pnl.profit, rtol=1e-9, atol=1e-9)


def test_forecast(files, tmp_path):
    out = tmp_path / "forecast.csv"
    args = ["forecast", str(files.opps), "--history", str(files.stages), "--by", "region"]
    _ok(crmkit_cli(*args, "--as-of", AS_OF, "--out", str(out)))
    rates = fit_stage_rates(files.history)
    quarter = Horizon.next_periods(AS_OF, "quarter", 1, include_current=True)
    weighted = forecast_pipeline(
        files.opportunities, period=[quarter], probabilities=rates, by=["region"], as_of=AS_OF
    )
    spread = lattice_forecast(
        files.opportunities, period=[quarter], probabilities=rates, by=["region"]
    )
    got = read_out(out)
    np.testing.assert_array_equal(got["region"].astype(str), weighted.groups["region"])
    np.testing.assert_allclose(got["weighted"], weighted.weighted, rtol=1e-9)
    np.testing.assert_allclose(got["p50"], spread.p50, rtol=1e-9)


def test_calibrate(files, tmp_path):
    out = tmp_path / "rates.parquet"
    _ok(crmkit_cli("calibrate", str(files.stages), "--out", str(out)))
    rates = fit_stage_rates(files.history)
    got = read_out(out)
    np.testing.assert_array_equal(got["stage"].astype(str), rates.stage)
    np.testing.assert_allclose(got["win_rate"], rates.win_rate, rtol=1e-12)


def test_report(files, tmp_path):
    page, data = tmp_path / "report.html", tmp_path / "report.json"
    args = [
        "report",
        str(files.orders),
        "--product",
        "category",
        "--margin",
        "0.3",
        "--opportunities",
        str(files.opps),
        "--as-of",
        AS_OF,
        "--no-charts",
        "--out",
        str(page),
        "--json",
        str(data),
    ]
    ran = _ok(crmkit_cli(*args))
    expected = build(
        files.tx,
        as_of=AS_OF,
        product="product",
        margin=MarginRate(rate=0.3),
        opportunities=files.opportunities,
        charts=False,
    )
    got = json.loads(data.read_text(encoding="utf-8"))
    assert got == json.loads(expected.to_json())
    assert page.read_text(encoding="utf-8") == expected.to_html()
    assert "Promotion: not computed" in ran.out
    assert str(page.resolve()) in ran.out


def test_report_example_cdnow(tmp_path):
    page = tmp_path / "cdnow.html"
    ran = _ok(crmkit_cli("report", "--example", "cdnow", "--no-charts", "--out", str(page)))
    assert "2,357 customers" in ran.out
    assert "the CDNOW sample" in ran.out
    assert page.exists()


def test_json_out_is_the_whole_result(files, tmp_path):
    out = tmp_path / "rfm.json"
    _ok(crmkit_cli("rfm", str(files.orders), "--as-of", AS_OF, "--out", str(out)))
    got = json.loads(out.read_text(encoding="utf-8"))
    scores = rfm_scores(rfm_summary(files.tx, unit="day", as_of=AS_OF))
    assert got["k"] == 5
    assert got["recency_score"] == scores.recency_score.tolist()


def test_explicit_columns_say_nothing_guessed(files):
    ran = _ok(
        crmkit_cli(
            "rfm",
            str(files.orders),
            "--customer",
            "CustomerID",
            "--timestamp",
            "InvoiceDate",
            "--amount",
            "revenue",
        )
    )
    assert "guessed" not in ran.err


@pytest.mark.parametrize(
    "command",
    [
        "rfm",
        "segments",
        "pareto",
        "lifecycle",
        "cohorts",
        "forecast",
        "calibrate",
        "clv",
        "profitability",
        "report",
        "demo",
    ],
)
def test_every_command_explains_itself_with_an_example(command, capsys):
    _ok(crmkit_cli(command, "--help"))
    shown = capsys.readouterr().out  # click prints help itself
    assert "Example" in shown
    assert f"crmkit {command} " in shown


def test_python_dash_m_crmkit_version():
    done = subprocess.run(
        [sys.executable, "-m", "crmkit", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("crmkit ")


def test_csv_on_stdin(company, tmp_path):
    base = company[0]
    tx = base.transactions
    rows = "\n".join(
        f"{c},{str(t)[:10]},{float(a)!r}"
        for c, t, a in zip(tx.customer[:50], tx.timestamp[:50], tx.amount[:50], strict=True)
    )
    out = tmp_path / "rfm.csv"
    done = subprocess.run(
        [sys.executable, "-m", "crmkit", "rfm", "-", "--out", str(out)],
        input=f"customer_id,order_date,revenue\n{rows}\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    expected = rfm_summary(
        {
            "customer": tx.customer[:50],
            "timestamp": np.datetime_as_string(tx.timestamp[:50], unit="D"),
            "amount": tx.amount[:50],
        },
        unit="day",
    )
    np.testing.assert_allclose(read_out(out)["monetary"], expected.monetary, rtol=1e-12)
    assert "stdin: guessed the columns" in done.stderr
