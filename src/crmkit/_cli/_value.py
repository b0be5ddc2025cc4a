"""Commands on what customers are worth: ``clv``, ``profitability``."""

from __future__ import annotations

from typing import Any

import click

from crmkit._cli._files import CommandError, reading
from crmkit._cli._group import cli, need_scipy, show, term_of
from crmkit._cli._options import (
    costs_of,
    margin_of,
    order_columns,
    orders_options,
    profit_options,
)
from crmkit._cli._readers import read_orders

__all__ = ["clv", "profitability"]


@cli.command()
@orders_options
@click.option(
    "--freq",
    type=click.Choice(["day", "week", "month"]),
    default="week",
    show_default=True,
    help="Period of the purchase model.",
)
@click.option("--periods", default=12, show_default=True, help="Periods of lifetime value ahead.")
@click.option(
    "--period-length",
    default=52 / 12,
    show_default="4.33: a month in weeks",
    help="Length of one value period in --freq units.",
)
@click.option(
    "--discount-rate", default=0.01, show_default=True, help="Discount rate per value period."
)
@click.pass_context
def clv(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Customer lifetime value: BG/NBD purchases x Gamma-Gamma spend, and P(alive).

    \b
    Runs crmkit.segmentation.btyd_summary, crmkit.roi.fit_bgnbd,
    fit_gamma_gamma and customer_clv (needs the models extra: scipy).
    Example:
      crmkit clv orders.csv --periods 12 --discount-rate 0.01 --out clv.csv
    """
    from crmkit.report._analyses import clv_analysis  # noqa: PLC0415

    need_scipy()
    term = term_of(ctx)
    tx, _ = read_orders(file, order_columns(kw), term)
    with term.progress("fitting BG/NBD and Gamma-Gamma"):
        analysis = clv_analysis(
            tx,
            as_of=kw["as_of"],
            freq=kw["freq"],
            periods=kw["periods"],
            period_length=kw["period_length"],
            discount_rate=kw["discount_rate"],
            horizon=f"the next {kw['periods']} periods",
            rate_period="period",
        )
    show(term, analysis, out=kw["out"], rows=kw["rows"], tables=False)


@cli.command()
@orders_options
@profit_options
@click.pass_context
def profitability(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """A profit-and-loss line per customer: margin, cost to serve, profit; the whale curve.

    \b
    Runs crmkit.roi.customer_pnl, whale_curve and unprofitable_customers.
    Example:
      crmkit profitability orders.csv --margin 0.3 --costs activities.csv \\
          --unit-cost sales_visits=40 --unit-cost service_tickets=6
    """
    from crmkit.report._analyses import profitability_analysis  # noqa: PLC0415
    from crmkit.roi import customer_pnl  # noqa: PLC0415

    term = term_of(ctx)
    margin = margin_of(kw)
    if margin is None:
        raise CommandError("profitability: give --margin RATE (e.g. 0.3) or --cogs COLUMN")
    extra = {"cogs": kw["cogs"]} if kw["cogs"] else {}
    tx, _ = read_orders(file, order_columns(kw), term, extra=extra)
    activities, customer, unit_costs, costs_file = costs_of(kw, term)
    if costs_file is not None:
        with reading(costs_file, {"customer": customer}, flags={"customer": "--costs-customer"}):
            pnl = customer_pnl(
                tx,
                margin=margin,
                activities=activities,
                unit_costs=unit_costs,
                activity_customer=customer,
            )
    else:
        pnl = customer_pnl(tx, margin=margin)
    show(term, profitability_analysis(pnl, None), out=kw["out"], rows=kw["rows"])
