"""One self-contained HTML page for a :class:`~crmkit.report.Report`.

No script, no font, stylesheet or image from anywhere else: the charts are
SVG data URIs and a Content-Security-Policy forbids every other source, so the
page opens from disk with no network and cannot make a request.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable

from crmkit.report._model import Cell, Chart, ColumnFormat, Report, Section, Table

__all__ = ["format_cell", "render"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
:root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --rule: #d9e2ec;
        --band: #f5f7fa; --accent: #0b6e99; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; border-bottom: 1px solid var(--rule); }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 0 0 2px; color: var(--accent); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .question, .source, footer { color: var(--muted); }
.question { margin: 0 0 12px; font-style: italic; }
nav ul { list-style: none; padding: 0; margin: 12px 0 16px; display: flex; flex-wrap: wrap;
         gap: 6px 18px; }
nav a { color: var(--accent); text-decoration: none; }
section.view { padding: 24px 0; border-bottom: 1px solid var(--rule); }
ul.headlines { padding-left: 20px; margin: 0 0 8px; }
ul.headlines li { margin: 3px 0; font-size: 16px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr));
          gap: 16px; margin: 12px 0; }
figure { margin: 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--rule); background: #fff; }
figcaption { font-size: 13px; color: var(--muted); }
.slot { border: 1px dashed var(--rule); padding: 18px; color: var(--muted); font-size: 13px;
        min-height: 80px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 4px 0 6px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--rule); white-space: nowrap; }
th { text-align: left; background: var(--band); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.source code, .functions code { font-size: 12.5px; }
.notes { font-size: 13.5px; color: var(--muted); }
.missing li { margin: 3px 0; }
"""


def format_cell(value: Cell, kind: ColumnFormat) -> str:
    """Format one table cell for reading (shared by the HTML page and the terminal).

    Parameters
    ----------
    value : str, int, float or None
        The cell.
    kind : ColumnFormat
        How its column is shown.

    Returns
    -------
    str
        ``""`` for an empty cell.

    Examples
    --------
    >>> format_cell(0.6612, "share"), format_cell(1234.5, "money"), format_cell(None, "count")
    ('66.1 %', '1,234.50', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind in ("money", "number") and abs(value) < 0.005:
        value = 0.0  # no "-0.00" from a sum that is zero up to rounding
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "share":
        return f"{100 * value:.1f} %"
    if kind == "number":
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(table: Table) -> str:
    numeric = [kind not in ("text", "date") for kind in table.formats]
    head = "".join(
        f"<th class='num'>{_e(c)}</th>" if n else f"<th>{_e(c)}</th>"
        for c, n in zip(table.columns, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{_e(format_cell(v, k))}</td>" if n else f"<td>{_e(v or '')}</td>"
            for v, k, n in zip(row, table.formats, numeric, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    return (
        f"<h3>{_e(table.title)}</h3><div class='scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
        f"<p class='source'>From <code>{_e(table.function)}</code></p>"
    )


def _chart(chart: Chart) -> str:
    caption = (
        f"<figcaption>{_e(chart.title)} · <code>crmkit.plot.{_e(chart.name)}</code></figcaption>"
    )
    if chart.svg is None:
        return (
            f"<figure class='chart-slot' data-chart='{_e(chart.name)}'><div class='slot'>"
            f"Chart not drawn: {_e(chart.missing)}.</div>{caption}</figure>"
        )
    data = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return (
        f"<figure class='chart' data-chart='{_e(chart.name)}'>"
        f"<img alt='{_e(chart.title)}' src='data:image/svg+xml;base64,{data}'>{caption}</figure>"
    )


def _items(lines: Iterable[str], css: str) -> str:
    inner = "".join(f"<li>{_e(line)}</li>" for line in lines)
    return f"<ul class='{css}'>{inner}</ul>" if inner else ""


def _section(section: Section) -> str:
    charts = "".join(_chart(c) for c in section.charts)
    functions = ", ".join(f"<code>{_e(f)}</code>" for f in section.functions)
    notes = _items(section.notes, "notes")
    return (
        f"<section class='view' id='{_e(section.key)}'>"
        f"<h2>{_e(section.title)}</h2><p class='question'>{_e(section.question)}</p>"
        f"{_items(section.headlines, 'headlines')}"
        f"{f'<div class=charts>{charts}</div>' if charts else ''}"
        f"{''.join(_table(t) for t in section.tables)}"
        f"{notes}"
        f"<p class='functions source'>Computed by {functions}. Docs: the "
        f"<em>{_e(section.docs)}</em> guide.</p></section>"
    )


def render(report: Report) -> str:
    """Return *report* as one self-contained HTML page."""
    nav = "".join(f"<li><a href='#{_e(s.key)}'>{_e(s.title)}</a></li>" for s in report.sections)
    as_of = str(report.as_of.astype("datetime64[D]"))
    default = " (midnight after the last purchase)" if report.as_of_is_default else ""
    inputs = "; ".join(f"{k}: {v}" for k, v in report.inputs.items())
    missing = "".join(
        f"<li><strong>{_e(title)}</strong> not computed: {_e(why)}.</li>"
        for title, why in report.not_computed.items()
    )
    missing_block = (
        f"<section class='view' id='not-computed'><h2>Not computed</h2>"
        f"<ul class='missing'>{missing}</ul></section>"
        if missing
        else ""
    )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(report.title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{_e(report.title)}</h1>"
        f"<p class='meta'>As of {_e(as_of)}{_e(default)} · {_e(inputs)} · "
        f"crmkit {_e(report.crmkit_version)}</p><nav><ul>{nav}</ul></nav></header>"
        f"<main>{''.join(_section(s) for s in report.sections)}{missing_block}</main>"
        "<footer><p>The seven views of customer analysis: profiling, persistency, "
        "profitability, performance, prospecting, product and promotion. Every number above "
        "comes from the crmkit function named beside it.</p></footer></body></html>\n"
    )
