"""crmkit demo: one simulated company, every view it can compute, the report written, next steps."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.conftest import crmkit_cli


def test_demo_writes_the_report_and_says_where_to_go_next(tmp_path):
    page, data = tmp_path / "demo.html", tmp_path / "demo.json"
    ran = crmkit_cli("demo", "--customers", "600", "--out", str(page), "--json", str(data))
    assert ran.code == 0, ran.err
    assert ran.err == ""  # no warning, raw or otherwise
    for title in ("Profiling", "Persistency", "Profitability", "Performance", "Prospecting"):
        assert f"\n{title}: " in ran.out
    assert "Promotion: not computed" in ran.out
    tail = ran.out.strip().splitlines()
    assert any(line.startswith("Done in ") and "Where to go next" in line for line in tail)
    assert "the report (" in ran.out
    assert str(page.resolve()) in ran.out
    assert tail[-3].endswith("crmkit report orders.csv --out report.html")
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert data.stat().st_size > 1000


def test_the_demo_prints_no_python_warning():
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "default",
            "-m",
            "crmkit",
            "demo",
            "--customers",
            "300",
            "--no-charts",
            "--out",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr
    assert "Warning" not in done.stdout
