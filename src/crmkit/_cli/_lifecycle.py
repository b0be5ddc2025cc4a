"""Commands on loyalty and the lifecycle: ``lifecycle``, ``cohorts``."""

from __future__ import annotations

from typing import Any

import click

from crmkit._cli._group import cli, day, show, term_of
from crmkit._cli._options import order_columns, orders_options
from crmkit._cli._readers import read_orders

__all__ = ["cohorts", "lifecycle"]


@cli.command()
@orders_options
@click.option(
    "--window-days",
    default=90.0,
    show_default=True,
    help="Recent window compared with the one before it (days).",
)
@click.pass_context
def lifecycle(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Relationship stage per customer (exploration, build-up, maturity, decline, ...).

    \b
    Runs crmkit.lifecycle.lifecycle_metrics and classify_stages.
    Example:
      crmkit lifecycle orders.csv --window-days 90 --out stages.csv
    """
    from crmkit.report._analyses import stages_analysis  # noqa: PLC0415

    term = term_of(ctx)
    tx, _ = read_orders(file, order_columns(kw), term)
    analysis = stages_analysis(tx, as_of=kw["as_of"], window_days=kw["window_days"])
    term.line(f"as_of {day(analysis.as_of)} (exclusive).")
    show(term, analysis, out=kw["out"], rows=kw["rows"])


@cli.command()
@orders_options
@click.option(
    "--frequency",
    type=click.Choice(["week", "month", "quarter", "year"]),
    default="month",
    show_default=True,
    help="Cohort and period length.",
)
@click.pass_context
def cohorts(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Cohort retention: the share of each first-purchase cohort buying n periods later.

    \b
    Runs crmkit.lifecycle.cohort_retention; empty cells are periods not yet
    observable.
    Example:
      crmkit cohorts orders.csv --frequency month --out cohorts.csv
    """
    from crmkit.report._analyses import cohorts_analysis  # noqa: PLC0415

    term = term_of(ctx)
    tx, _ = read_orders(file, order_columns(kw), term)
    analysis = cohorts_analysis(tx, as_of=kw["as_of"], frequency=kw["frequency"])
    term.line(f"as_of {day(analysis.as_of)} (exclusive).")
    show(term, analysis, out=kw["out"], rows=kw["rows"], tables=False)
