"""``crmkit demo``: one simulated company, every analysis, the 7P report, and where to go next.

Presentation layer: it simulates data with :mod:`crmkit.datasets`, hands it to
:func:`crmkit.report.build` (which calls the public functions of every area)
and prints the findings; it computes nothing of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from crmkit._version import __version__
from crmkit.datasets import simulate_cost_drivers, simulate_customer_base, simulate_pipeline
from crmkit.report import Report, build
from crmkit.roi import MarginRate

__all__ = ["DOCS_PAGES", "demo_report", "run_demo"]

START, END = "2023-01-01", "2025-01-01"
"""The simulated company's observation window (the report is as of END)."""

DOCS_PAGES = {
    "profiling": "docs/segmentation.md",
    "persistency": "docs/lifecycle.md",
    "profitability": "docs/roi.md",
    "performance": "docs/funnel.md",
    "prospecting": "docs/roi.md",
    "product": "docs/segmentation.md",
}
"""The guide that explains each section's analyses."""


def demo_report(*, n_customers: int, seed: int, charts: bool) -> Report:
    """Simulate one company from *seed* and build its report.

    Orders with products and channels (buy-till-you-die customers), the
    activities each customer consumed with their unit costs and margins per
    product, and a B2B pipeline with stage histories over the same window.
    """
    base = simulate_customer_base(n_customers, START, END, seed=seed)
    drivers = simulate_cost_drivers(base, seed=seed)
    pipeline = simulate_pipeline(max(500, n_customers // 2), "2022-07-01", END, seed=seed)
    return build(
        base.transactions,
        product="product",
        margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
        opportunities=pipeline.opportunities,
        history=pipeline.history,
        charts=charts,
        title=f"crmkit demo: a simulated company ({n_customers:,} customers, seed {seed})",
    )


def run_demo(
    *,
    n_customers: int,
    seed: int,
    out: Path,
    json_path: Path | None,
    charts: bool,
    say: Callable[[str], None],
) -> Path:
    """Simulate a company, write its report to *out* and print its findings with *say*."""
    started = time.perf_counter()
    say(f"crmkit {__version__} demo: {n_customers:,} simulated customers, seed {seed}")
    report = demo_report(n_customers=n_customers, seed=seed, charts=charts)
    for name, described in report.inputs.items():
        say(f"  {name}: {described}")
    for section in report.sections:
        say("")
        say(f"{section.title}: {section.question}")
        for line in section.headlines:
            say(f"  - {line}")
        for note in section.notes:
            say(f"  note: {note}")
    if report.not_computed:
        say("")
        for title, why in report.not_computed.items():
            say(f"{title}: not computed: {why}.")
    out.write_text(report.to_html(), encoding="utf-8")
    if json_path is not None:
        json_path.write_text(report.to_json(), encoding="utf-8")
    drawn = sum(1 for s in report.sections for c in s.charts if c.drawn)
    slots = sum(len(s.charts) for s in report.sections)
    elapsed = time.perf_counter() - started
    say("")
    say(f"Done in {elapsed:.1f} s. Where to go next:")
    say(f"  - the report ({drawn} of {slots} charts drawn): {out.resolve()}")
    missing = next((c.missing for s in report.sections for c in s.charts if not c.drawn), None)
    if missing:
        say(f"    charts not drawn: {missing}")
    say("    open it in a browser, or run crmkit demo --open")
    for section in report.sections:
        say(f"  - {section.title}: {DOCS_PAGES.get(section.key, 'docs/index.md')}")
    say("  - the same on your own orders: crmkit report orders.csv --out report.html")
    say("  - on real data (CDNOW): crmkit report --example cdnow --out cdnow.html")
    say("  - every command: crmkit --help; the command-line guide: docs/cli.md")
    return out
