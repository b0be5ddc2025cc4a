"""The 7P report and the demo: ``report``, ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from crmkit._cli._files import CommandError
from crmkit._cli._group import cli, term_of
from crmkit._cli._marketing import read_campaigns, read_conversions, read_leads, read_touchpoints
from crmkit._cli._options import (
    column_options,
    costs_of,
    debug_option,
    history_columns,
    margin_of,
    order_columns,
    profit_options,
)
from crmkit._cli._output import Terminal
from crmkit._cli._readers import (
    read_history,
    read_opportunities,
    read_orders,
    read_table,
    sales_process,
)

__all__ = ["demo", "report"]


def _promotion_inputs(kw: dict[str, Any], term: Terminal) -> dict[str, Any]:
    """Read the campaigns, leads, touchpoints and conversions files the report is given."""
    inputs: dict[str, Any] = {}
    if kw["campaigns"]:
        campaigns, holdout, _ = read_campaigns(
            kw["campaigns"],
            term,
            columns={"campaign": None, "budget": None, "spend": None, "start": "", "end": ""},
            by=(),
            optional=("channel",),
            date_format=kw["date_format"],
            delimiter=kw["delimiter"],
        )
        inputs |= {"campaigns": campaigns, "holdout": holdout}
    if kw["leads"]:
        inputs["leads"], _ = read_leads(kw["leads"], term, column=None, delimiter=kw["delimiter"])
    if kw["touchpoints"]:
        if not kw["conversions"]:
            raise CommandError("--touchpoints needs the conversions: --conversions FILE")
        touches = read_touchpoints(
            kw["touchpoints"],
            term,
            columns={"customer": None, "timestamp": None, "channel": kw["touch_channel"]},
            flags={"channel": "--touch-channel"},
            date_format=kw["date_format"],
            delimiter=kw["delimiter"],
        )
        converted = read_conversions(
            kw["conversions"], term, date_format=kw["date_format"], delimiter=kw["delimiter"]
        )
        inputs |= {"touchpoints": touches.columns, "conversions": converted.columns}
    elif kw["conversions"]:
        raise CommandError("--conversions needs the touches: --touchpoints FILE")
    return inputs


@cli.command()
@click.argument("file", metavar="FILE", required=False)
@click.option(
    "--example", type=click.Choice(["cdnow"]), help="Run on a real data set shipped with crmkit."
)
@column_options
@click.option("--product", metavar="COLUMN", help="Product or category column: adds Product.")
@profit_options
@click.option(
    "--opportunities",
    metavar="FILE",
    help="The open and closed deals: adds the forecast (and, with a campaign column, the "
    "revenue of each campaign).",
)
@click.option(
    "--history", metavar="FILE", help="Stage history of past deals: calibrated win rates."
)
@click.option("--quotas", metavar="FILE", help="Quotas per period (columns period, quota).")
@click.option(
    "--campaigns",
    metavar="FILE",
    help="Campaigns (id, budget, spend, start, channel; hold-out columns for lift): adds "
    "Promotion.",
)
@click.option("--leads", metavar="FILE", help="One row per lead with its campaign.")
@click.option(
    "--deal-margin", type=float, metavar="RATE", help="Gross margin of won deals, for ROI."
)
@click.option("--touchpoints", metavar="FILE", help="Marketing touches: adds attribution.")
@click.option("--touch-channel", metavar="COLUMN", help="Channel column of --touchpoints.")
@click.option("--conversions", metavar="FILE", help="Conversions the touches led to.")
@click.option(
    "--lookback-days", type=float, metavar="DAYS", help="Attribution window (default: all)."
)
@click.option("--title", default="Customer analysis", show_default=True, help="Page title.")
@click.option(
    "--out",
    default="crmkit-report.html",
    show_default=True,
    metavar="PATH",
    help="The HTML page to write.",
)
@click.option("--json", "json_path", metavar="PATH", help="Also write the same content as JSON.")
@click.option("--no-charts", is_flag=True, help="Leave the charts out (faster; no matplotlib).")
@click.option("--open", "open_", is_flag=True, help="Open the page in the browser.")
@debug_option
@click.pass_context
def report(ctx: click.Context, /, file: str | None, **kw: Any) -> None:
    """The 7P customer-analysis report: one self-contained HTML page (and JSON).

    \b
    Profiling, Persistency, Performance (trends) and Prospecting from the
    orders alone; add --margin/--costs for Profitability, --opportunities for
    the forecast, --product for Product, and --campaigns, --touchpoints with
    --conversions for Promotion. Runs crmkit.report.build.

    Examples
    --------
      crmkit report orders.csv --out report.html
      crmkit report orders.csv --product category --margin 0.3 --opportunities opps.csv
      crmkit report orders.csv --campaigns campaigns.csv --opportunities opps.csv \\
          --deal-margin 0.35 --touchpoints touches.csv --conversions won.csv
      crmkit report --example cdnow --out cdnow.html
    """
    from crmkit.report import build  # noqa: PLC0415

    term = term_of(ctx)
    if (file is None) == (kw["example"] is None):
        raise CommandError("report: give one orders FILE, or --example cdnow")
    margin = margin_of(kw)
    if file is None:
        from crmkit.datasets import load_cdnow  # noqa: PLC0415

        tx = load_cdnow()
        label = "the CDNOW sample (crmkit.datasets.load_cdnow)"
        product = None
    else:
        extra: dict[str, str | None] = {}
        if kw["product"]:
            extra["product"] = kw["product"]
        if kw["cogs"]:
            extra["cogs"] = kw["cogs"]
        tx, file_ = read_orders(file, order_columns(kw), term, extra=extra)
        label = file_.label
        product = "product" if kw["product"] else None
    activities, customer, unit_costs, _costs_file = costs_of(kw, term)
    if activities is not None and margin is None:
        raise CommandError("--costs needs --margin RATE or --cogs COLUMN for the gross margin")
    process = sales_process((), "won", "lost")
    opportunities = history = None
    if kw["opportunities"]:
        opportunities, _o = read_opportunities(
            kw["opportunities"],
            term,
            process=process,
            columns={"id": None, "amount": None, "stage": None, "close_date": None, "created": ""},
            by=(),
            delimiter=kw["delimiter"],
            flags={},
            optional=("campaign",),
        )
    if kw["history"]:
        history, _h = read_history(
            kw["history"],
            term,
            process=process,
            columns=history_columns(),
            delimiter=kw["delimiter"],
            flags={},
        )
    quotas = None
    if kw["quotas"]:
        qfile, _q = read_table(
            kw["quotas"], term, what="quota", delimiter=kw["delimiter"], fields={"period": None}
        )
        quotas = qfile.table
    promotion = _promotion_inputs(kw, term)
    with term.progress("computing the report"):
        result = build(
            tx,
            as_of=kw["as_of"],
            product=product,
            margin=margin,
            activities=activities,
            unit_costs=unit_costs,
            opportunities=opportunities,
            history=history,
            quotas=quotas,
            activity_customer=customer,
            deal_margin=kw["deal_margin"],
            lookback_days=kw["lookback_days"],
            charts=not kw["no_charts"],
            title=kw["title"],
            **promotion,
        )
    _write_report(term, result, kw["out"], kw["json_path"], label=label, open_=kw["open_"])


def _write_report(
    term: Terminal,
    result: Any,
    out: str,
    json_path: str | None,
    *,
    label: str,
    open_: bool,
) -> Path:
    path = _write_text(Path(out), result.to_html())
    for section in result.sections:
        term.line(f"{section.title}: {section.headlines[0]}")
    for title, why in result.not_computed.items():
        term.line(f"{title}: not computed: {why}.")
    if json_path:
        _write_text(Path(json_path), result.to_json())
        term.note(f"wrote {json_path}")
    term.line(f"Report on {label}: {path.resolve()}")
    if open_:
        _open(term, path)
    return path


def _write_text(path: Path, text: str) -> Path:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise CommandError(f"{path}: cannot write it ({err.strerror or err})") from None
    return path


def _open(term: Terminal, path: Path) -> None:
    import webbrowser  # noqa: PLC0415

    try:
        webbrowser.get()
    except webbrowser.Error:
        term.note(f"no browser found here; open {path.resolve()} in one")
        return
    webbrowser.open(path.resolve().as_uri())


@cli.command()
@click.option("--customers", default=5_000, show_default=True, help="Customers to simulate.")
@click.option(
    "--seed", default=42, show_default=True, help="Random seed (same seed, same company)."
)
@click.option(
    "--out",
    default="crmkit-report.html",
    show_default=True,
    metavar="PATH",
    help="The report to write.",
)
@click.option("--json", "json_path", metavar="PATH", help="Also write the report as JSON.")
@click.option("--no-charts", is_flag=True, help="Leave the charts out.")
@click.option("--open", "open_", is_flag=True, help="Open the report in the browser.")
@debug_option
@click.pass_context
def demo(ctx: click.Context, /, **kw: Any) -> None:
    """Simulate one company and run every analysis on it, writing the report.

    \b
    Orders with products and channels, costs to serve, a sales pipeline with
    stage histories sourced by marketing campaigns (with their leads,
    touchpoints and hold-out tests) and a CRM business case, all from one
    seed; then the 7P report.
    Example:
      crmkit demo --customers 5000 --seed 42 --out demo.html --open
    """
    from crmkit._demo import run_demo  # noqa: PLC0415

    term = term_of(ctx)
    path = run_demo(
        n_customers=kw["customers"],
        seed=kw["seed"],
        out=Path(kw["out"]),
        json_path=Path(kw["json_path"]) if kw["json_path"] else None,
        charts=not kw["no_charts"],
        say=term.line,
    )
    if kw["open_"]:
        _open(term, path)
