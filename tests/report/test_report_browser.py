"""The demo's report in a real browser: Debian's chromium, headless, driven by Playwright.

The page must load with no console message of level error or warning, make no request
but for itself, show every section the input had with its charts drawn, and a full-page
screenshot is kept (in ``$CRMKIT_ARTIFACTS``, or the test's temporary folder). Skipped,
saying why, where no browser is installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crmkit._demo import demo_report

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no headless browser: /usr/bin/chromium is missing (apt-get install -y chromium)",
)


def test_demo_report_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    pytest.importorskip("matplotlib")
    report = demo_report(n_customers=1_500, seed=42, charts=True)
    page_path = report.write(tmp_path / "demo-report.html")
    artifacts = Path(os.environ.get("CRMKIT_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "demo-report.png"

    console: list[tuple[str, str]] = []
    requests: list[str] = []
    failures: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: failures.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: failures.append(r.url))
            page.goto(page_path.as_uri(), wait_until="load")
            for section in report.sections:
                box = page.locator(f"section#{section.key}")
                assert box.is_visible(), section.key
                assert box.locator("h2").inner_text() == section.title
                for chart in section.charts:
                    image = box.locator(f"figure[data-chart='{chart.name}'] img")
                    assert image.is_visible(), chart.name
                    width = image.evaluate("img => img.complete ? img.naturalWidth : 0")
                    assert width > 0, f"{chart.name} did not draw"
            shown = page.locator("section.view").count()
            missing = page.locator("#not-computed li").all_inner_texts()
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shown == len(report.sections) + 1  # and the "not computed" list
    assert [m.split(" not computed")[0] for m in missing] == list(report.not_computed)
    assert not [m for m in console if m[0] in ("error", "warning")], console
    assert not failures, failures
    assert requests == [page_path.as_uri()], requests
    assert shot.stat().st_size > 50_000
