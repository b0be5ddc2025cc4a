"""The 7P customer-analysis report: one self-contained HTML page (or JSON) from crmkit's results.

:func:`build` runs crmkit's analyses on transactions (and, when given,
opportunities, stage histories, costs and products) and organises them as the
seven views of customer analysis used in CRM practice: Profiling,
Persistency, Profitability, Performance, Prospecting, Product and Promotion.
Each section states its findings in words, shows its charts (drawn by
:mod:`crmkit.plot` when the ``plot`` extra is installed) and a small table,
and names the crmkit functions that produced it. ``crmkit report FILE`` is
the same at the terminal.

Examples
--------
>>> from crmkit.datasets import simulate_transactions
>>> from crmkit.report import build
>>> report = build(simulate_transactions(300, "2024-01-01", "2025-01-01", seed=1), charts=False)
>>> report.section("profiling").title
'Profiling'
"""

from crmkit.report._build import SECTION_TITLES, build
from crmkit.report._html import format_cell
from crmkit.report._model import Cell, Chart, ColumnFormat, Report, Section, Table

__all__ = [
    "SECTION_TITLES",
    "Cell",
    "Chart",
    "ColumnFormat",
    "Report",
    "Section",
    "Table",
    "build",
    "format_cell",
]
