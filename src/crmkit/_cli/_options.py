"""The options the commands share: columns of an orders file, a pipeline, costs, ``--debug``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from crmkit._cli._files import CommandError
from crmkit._cli._output import Terminal
from crmkit._cli._readers import OrderColumns, read_activities, read_unit_costs

__all__ = [
    "Pair",
    "costs_of",
    "debug_option",
    "history_columns",
    "margin_of",
    "order_columns",
    "orders_options",
    "pipeline_options",
    "profit_options",
]

F = TypeVar("F", bound=Callable[..., Any])


class Pair(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """``NAME=NUMBER``, e.g. ``--unit-cost sales_visits=40``."""

    name = "NAME=NUMBER"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, float]:
        if isinstance(value, tuple):
            return cast("tuple[str, float]", value)
        text = str(value)
        name, sep, number = text.partition("=")
        try:
            if not sep or not name:
                raise ValueError(text)  # noqa: TRY301
            return name.strip(), float(number)
        except ValueError:
            self.fail(f"{text!r} is not NAME=NUMBER (e.g. sales_visits=40)", param, ctx)


def _apply(func: F, options: list[Callable[[F], F]]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def debug_option(func: F) -> F:
    """Add ``--debug``: show the full traceback of an error."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.ensure_object(dict)
            ctx.find_root().ensure_object(dict)["debug"] = True
        return value

    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Show the full traceback of an error.",
    )(func)


def column_options(func: F) -> F:
    """Add the columns of an orders file, ``--date-format`` and ``--delimiter``."""
    return _apply(
        func,
        [
            click.option(
                "--customer",
                metavar="COLUMN",
                help="Customer id column (guessed: customer_id, ...).",
            ),
            click.option(
                "--timestamp",
                metavar="COLUMN",
                help="Order date column (guessed: order_date, InvoiceDate, date, ...).",
            ),
            click.option(
                "--amount",
                metavar="COLUMN",
                help="Order value column (guessed: amount, revenue, ...).",
            ),
            click.option(
                "--date-format",
                metavar="FORMAT",
                help="strftime layout of non-ISO dates, e.g. '%Y%m%d' or '%d/%m/%Y'.",
            ),
            click.option(
                "--delimiter",
                metavar="CHAR",
                help="CSV field separator (default ',', tab for .tsv).",
            ),
            click.option(
                "--as-of",
                metavar="DATE",
                help="End of observation, exclusive (default: midnight after the last order).",
            ),
        ],
    )


def orders_options(func: F) -> F:
    """Add the orders FILE argument, its columns, ``--out``, ``--rows`` and ``--debug``."""
    return _apply(
        func,
        [
            click.argument("file", metavar="FILE"),
            column_options,
            click.option(
                "--out",
                metavar="PATH",
                help="Write the full table: .csv, .parquet, or .json (the whole result).",
            ),
            click.option(
                "--rows", default=10, show_default=True, help="Rows shown on the terminal."
            ),
            debug_option,
        ],
    )


def order_columns(kw: dict[str, Any]) -> OrderColumns:
    """Return the orders-file flags of a command's keyword arguments."""
    return OrderColumns(
        customer=kw["customer"],
        timestamp=kw["timestamp"],
        amount=kw["amount"],
        date_format=kw["date_format"],
        delimiter=kw["delimiter"],
    )


def pipeline_options(func: F) -> F:
    """Add the columns of a pipeline file and the sales process."""
    return _apply(
        func,
        [
            click.option(
                "--id",
                "id_",
                metavar="COLUMN",
                help="Opportunity id column (guessed: id, deal_id, ...).",
            ),
            click.option("--amount", metavar="COLUMN", help="Deal value column."),
            click.option("--stage", "stage_", metavar="COLUMN", help="Stage column."),
            click.option("--close-date", metavar="COLUMN", help="Expected close date column."),
            click.option("--created", metavar="COLUMN", help="Creation date column (optional)."),
            process_option,
            click.option("--delimiter", metavar="CHAR", help="CSV field separator."),
        ],
    )


def process_option(func: F) -> F:
    """Add ``--process-stage`` (repeated), ``--won`` and ``--lost``."""
    return _apply(
        func,
        [
            click.option(
                "--process-stage",
                "process",
                type=Pair(),
                multiple=True,
                help="Your sales process, stage by stage in order, as NAME=PROBABILITY "
                "(default: identify opportunity=0.1, qualify=0.2, plan=0.4, "
                "propose solution=0.6, close=0.8).",
            ),
            click.option(
                "--won", default="won", show_default=True, help="Name of the won outcome."
            ),
            click.option(
                "--lost", default="lost", show_default=True, help="Name of the lost outcome."
            ),
        ],
    )


def history_columns() -> dict[str, str | None]:
    """Return the stage-history fields, guessed (the reason optional)."""
    return {"opportunity": None, "stage": None, "entered": None, "reason": ""}


def profit_options(func: F) -> F:
    """Add the gross margin (``--margin`` or ``--cogs``) and the cost-to-serve files."""
    return _apply(
        func,
        [
            click.option(
                "--margin", type=float, metavar="RATE", help="Gross margin rate, e.g. 0.3."
            ),
            click.option("--cogs", metavar="COLUMN", help="Cost-of-goods column of the orders."),
            click.option(
                "--costs",
                metavar="FILE",
                help="Activity counts per customer: a customer column and one column per activity.",
            ),
            click.option(
                "--costs-customer", metavar="COLUMN", help="Customer column of --costs (guessed)."
            ),
            click.option(
                "--unit-costs",
                metavar="FILE",
                help="Cost per unit of each activity: columns activity, unit_cost.",
            ),
            click.option(
                "--unit-cost",
                "unit_cost",
                type=Pair(),
                multiple=True,
                help="Cost per unit of one activity, NAME=NUMBER (repeat it).",
            ),
        ],
    )


def margin_of(kw: dict[str, Any]) -> Any:  # noqa: ANN401  (a MarginRate, a CostColumn or None)
    """Return the gross margin the flags ask for, or None."""
    from crmkit.roi import CostColumn, MarginRate  # noqa: PLC0415

    if kw["margin"] is not None and kw["cogs"]:
        raise CommandError("give --margin RATE or --cogs COLUMN, not both")
    if kw["margin"] is not None:
        return MarginRate(rate=kw["margin"])
    if kw["cogs"]:
        return CostColumn(column="cogs")
    return None


def costs_of(kw: dict[str, Any], term: Terminal) -> tuple[Any, str, dict[str, float] | None, Any]:
    """Read the activity counts and unit costs the flags name."""
    activities, customer, file = None, "customer", None
    if kw["costs"]:
        activities, customer, file = read_activities(
            kw["costs"], term, customer=kw["costs_customer"], delimiter=kw["delimiter"]
        )
    unit_costs = read_unit_costs(kw["unit_costs"], kw["unit_cost"], term, delimiter=kw["delimiter"])
    if activities is None and unit_costs:
        raise CommandError("unit costs need --costs FILE with the activity counts per customer")
    return activities, customer, unit_costs, file
