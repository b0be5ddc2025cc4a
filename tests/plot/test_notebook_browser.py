"""The notebook tables in a real browser: layout checked, a screenshot kept for CI.

Runs Debian's chromium headless on a page holding a few results, once on a light
and once on a dark background (as Jupyter's themes are), measures the layout from
inside the page and saves a screenshot to ``$CRMKIT_ARTIFACTS`` (or a temporary
folder). Skipped, saying why, where no browser is installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no headless browser: /usr/bin/chromium is missing (apt-get install -y chromium)",
)

_MEASURE = """
<script>
window.addEventListener('load', () => {
  const out = {page_width: document.documentElement.scrollWidth, window_width: window.innerWidth,
               boxes: [], tables: []};
  for (const theme of document.querySelectorAll('.theme')) {
    for (const box of theme.querySelectorAll(':scope > .crmkit-result')) {
      out.boxes.push({theme: theme.id, width: box.getBoundingClientRect().width,
                      room: theme.clientWidth});
    }
    const page = getComputedStyle(theme).color;
    for (const table of theme.querySelectorAll('.crmkit-result table')) {
      const num = table.querySelector('td.crmkit-num');
      out.tables.push({
        theme: theme.id,
        height: table.getBoundingClientRect().height,
        text_color: getComputedStyle(table.querySelector('td, th')).color,
        page_color: page,
        numbers_right: num ? getComputedStyle(num).textAlign : null,
        background: getComputedStyle(table).backgroundColor,
      });
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'report';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _page(results: dict) -> str:
    shown = [results[k] for k in ("rfm", "segments", "bg", "cohorts", "tracking")]
    body = "".join(r._repr_html_() for r in shown)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<style>body{margin:0;font-family:sans-serif}"
        ".theme{padding:12px;max-width:900px}"
        "#light{background:#ffffff;color:#111111}"
        "#dark{background:#111111;color:#e6e6e6}</style></head><body>"
        f"<div class='theme' id='light'>{body}</div>"
        f"<div class='theme' id='dark'>{body}</div>"
        f"{_MEASURE}</body></html>"
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_tables_lay_out_in_light_and_dark_themes(results, tmp_path):
    page = tmp_path / "tables.html"
    page.write_text(_page(results), encoding="utf-8")
    dom = _run("--window-size=960,2400", "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"<pre id=\"report\">(.*?)</pre>", dom.stdout, re.DOTALL)
    assert found, dom.stdout[-2000:]
    report = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    # a result never makes the page wider: a wide table scrolls inside its own box
    assert report["page_width"] <= report["window_width"], report
    assert {b["theme"] for b in report["boxes"]} == {"light", "dark"}
    for box in report["boxes"]:
        assert 0 < box["width"] <= box["room"] + 0.5, box
    for row in report["tables"]:
        assert row["height"] > 0, row
        # text takes the page's colour in either theme (no hard-coded black or white)
        assert row["text_color"] == row["page_color"], row
        assert row["background"] in ("rgba(0, 0, 0, 0)", "transparent"), row
        assert row["numbers_right"] in (None, "right"), row
    artifacts = Path(os.environ.get("CRMKIT_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "notebook-tables.png"
    done = _run("--window-size=960,2400", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 10_000
