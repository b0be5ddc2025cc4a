"""Type-checked, never run: pins the public signatures of crmkit.report and load_cdnow.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

import numpy as np

from crmkit import Transactions
from crmkit.datasets import load_cdnow
from crmkit.funnel import Opportunities, StageHistory
from crmkit.report import Chart, Report, Section, Table, build, format_cell
from crmkit.roi import MarginRate


def report(opps: Opportunities, history: StageHistory, path: Path) -> None:
    tx = load_cdnow()
    assert_type(tx, Transactions)
    r = build(
        tx,
        as_of="1998-07-01",
        product=None,
        margin=MarginRate(rate=0.3),
        activities=None,
        unit_costs=None,
        activity_customer="customer",
        opportunities=opps,
        history=history,
        quotas=None,
        by=("region",),
        charts=False,
        title="CDNOW",
        customer="customer",
        timestamp="timestamp",
        amount="amount",
        date_format=None,
    )
    assert_type(r, Report)
    assert_type(r.sections, tuple[Section, ...])
    assert_type(r.section("profiling"), Section)
    assert_type(r.as_of, np.datetime64)
    assert_type(r.to_html(), str)
    assert_type(r.to_json(indent=None), str)
    assert_type(r.write(path), Path)
    section = r.sections[0]
    assert_type(section.tables, tuple[Table, ...])
    assert_type(section.charts, tuple[Chart, ...])
    assert_type(section.charts[0].drawn, bool)
    assert_type(format_cell(0.5, "share"), str)
