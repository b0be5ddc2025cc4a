"""Commands on the sales pipeline: ``forecast``, ``calibrate``."""

from __future__ import annotations

from typing import Any

import click

from crmkit._cli._files import CommandError
from crmkit._cli._group import cli, show, term_of
from crmkit._cli._options import debug_option, history_columns, pipeline_options, process_option
from crmkit._cli._readers import read_history, read_opportunities, read_table, sales_process

__all__ = ["calibrate", "forecast"]


@cli.command()
@click.argument("file", metavar="FILE")
@pipeline_options
@click.option("--by", multiple=True, metavar="COLUMN", help="Forecast per value of this column.")
@click.option(
    "--history",
    metavar="FILE",
    help="Stage history of past deals: forecast with calibrated win rates.",
)
@click.option(
    "--quotas", metavar="FILE", help="Quotas: columns period, quota and each --by column."
)
@click.option(
    "--period",
    type=click.Choice(["month", "quarter", "year"]),
    default="quarter",
    show_default=True,
    help="Forecast period length.",
)
@click.option(
    "--periods", default=1, show_default=True, help="Number of periods, from the current one."
)
@click.option(
    "--as-of", metavar="DATE", help="Forecast date (default: today's data, the last stage entry)."
)
@click.option("--out", metavar="PATH", help="Write the forecast table (.csv, .parquet, .json).")
@debug_option
@click.pass_context
def forecast(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Pipeline forecast per period: weighted value and its spread (P10, P50, P90).

    \b
    Runs crmkit.funnel.forecast_pipeline and lattice_forecast, with win rates
    from crmkit.funnel.fit_stage_rates when --history is given.
    Example:
      crmkit forecast opportunities.csv --history stages.csv --by region --period quarter
    """
    from crmkit.funnel import fit_stage_rates  # noqa: PLC0415
    from crmkit.periods import Horizon, default_as_of  # noqa: PLC0415
    from crmkit.report._analyses import forecast_analysis  # noqa: PLC0415

    term = term_of(ctx)
    process = sales_process(kw["process"], kw["won"], kw["lost"])
    columns = {
        "id": kw["id_"],
        "amount": kw["amount"],
        "stage": kw["stage_"],
        "close_date": kw["close_date"],
        "created": kw["created"] or "",
    }
    opps, _ = read_opportunities(
        file, term, process=process, columns=columns, by=kw["by"], delimiter=kw["delimiter"]
    )
    rates = None
    as_of = kw["as_of"]
    if kw["history"]:
        history, _h = read_history(
            kw["history"],
            term,
            process=process,
            columns=history_columns(),
            delimiter=kw["delimiter"],
            flags={},  # the options name the pipeline's columns, not the history's
        )
        with term.progress("calibrating win rates"):
            rates = fit_stage_rates(history)
        if as_of is None:
            as_of = default_as_of(history.entered)
    if as_of is None:
        raise CommandError(
            "forecast: give --as-of DATE (or --history FILE, whose last entry sets it)"
        )
    horizon = Horizon.next_periods(as_of, kw["period"], kw["periods"], include_current=True)
    quotas = None
    if kw["quotas"]:
        qfile, _q = read_table(
            kw["quotas"], term, what="quota", delimiter=kw["delimiter"], fields={"period": None}
        )
        quotas = qfile.table
    with term.progress("computing the spread"):
        analysis = forecast_analysis(
            opps, periods=[horizon], rates=rates, by=kw["by"], quotas=quotas, as_of=as_of
        )
    show(term, analysis, out=kw["out"], rows=50, tables=False)


@cli.command()
@click.argument("file", metavar="FILE")
@click.option("--opportunity", metavar="COLUMN", help="Opportunity id column.")
@click.option("--stage", "stage_", metavar="COLUMN", help="Stage entered column.")
@click.option("--entered", metavar="COLUMN", help="When the stage was entered.")
@click.option("--reason", metavar="COLUMN", help="Win/loss reason column (optional).")
@process_option
@click.option("--level", default=0.9, show_default=True, help="Credible interval level.")
@click.option("--delimiter", metavar="CHAR", help="CSV field separator.")
@click.option("--out", metavar="PATH", help="Write the stage table (.csv, .parquet, .json).")
@debug_option
@click.pass_context
def calibrate(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Win rate from each stage, learnt from past deals, with a credible interval.

    \b
    Runs crmkit.funnel.fit_stage_rates on a stage history (one row per stage
    entered, won and lost rows included).
    Example:
      crmkit calibrate stage_history.csv --level 0.9 --out rates.csv
    """
    from crmkit.funnel import fit_stage_rates  # noqa: PLC0415
    from crmkit.report._analyses import calibration_analysis  # noqa: PLC0415

    term = term_of(ctx)
    process = sales_process(kw["process"], kw["won"], kw["lost"])
    columns = {
        "opportunity": kw["opportunity"],
        "stage": kw["stage_"],
        "entered": kw["entered"],
        "reason": kw["reason"] or "",
    }
    history, _ = read_history(
        file, term, process=process, columns=columns, delimiter=kw["delimiter"]
    )
    rates = fit_stage_rates(history, level=kw["level"])
    show(term, calibration_analysis(rates), out=kw["out"], rows=50, tables=False)
