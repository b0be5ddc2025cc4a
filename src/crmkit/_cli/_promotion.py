"""Commands on marketing and the CRM investment: campaigns, attribution, business-case."""

from __future__ import annotations

from typing import Any, cast

import click

from crmkit._cli._files import CommandError, reading
from crmkit._cli._group import cli, show, term_of
from crmkit._cli._marketing import (
    Marketing,
    read_business_case,
    read_campaigns,
    read_conversions,
    read_leads,
    read_touchpoints,
)
from crmkit._cli._options import F, debug_option, process_option
from crmkit._cli._output import Terminal
from crmkit._cli._readers import read_opportunities, sales_process
from crmkit.report._analyses import combine

__all__ = ["attribution", "business_case", "campaigns"]

CAMPAIGN_FLAGS = {f: f"--{f}" for f in ("campaign", "budget", "spend", "start", "end")}
"""The options naming the columns of a campaigns file."""

CONVERSION_FLAGS = {f: f"--conversion-{f}" for f in ("customer", "timestamp", "value")}
"""The options naming the columns of a conversions file."""

MODELS = (
    "first-touch",
    "last-touch",
    "linear",
    "time-decay",
    "position-based",
    "w-shaped",
    "full-path",
    "markov",
    "shapley",
)


def _model(name: str, half_life_days: float) -> Any:
    from crmkit import roi  # noqa: PLC0415

    return {
        "first-touch": roi.FirstTouch,
        "last-touch": roi.LastTouch,
        "linear": roi.Linear,
        "time-decay": lambda: roi.TimeDecay(half_life_days=half_life_days),
        "position-based": roi.PositionBased,
        "w-shaped": roi.WShaped,
        "full-path": roi.FullPath,
        "markov": roi.MarkovChain,
        "shapley": roi.Shapley,
    }[name]()


def _lookback(value: str | None) -> float | None:
    if value is None or value.strip().lower() in ("all", "none"):
        return None
    try:
        return float(value)
    except ValueError:
        raise CommandError(
            f"--lookback-days {value}: give a number of days, or 'all' for every touch"
        ) from None


def _touch_options(func: F) -> F:
    options = [
        click.option(
            "--conversions",
            metavar="FILE",
            help="Conversions: customer, timestamp, value (and lead_created, "
            "opportunity_created for the W-shaped and full-path models).",
        ),
        click.option(
            "--lookback-days",
            metavar="DAYS",
            help="Only touches this many days before a conversion count (default: all).",
        ),
        click.option(
            "--half-life-days",
            default=7.0,
            show_default=True,
            help="Half-life of the time-decay model.",
        ),
        click.option(
            "--conversion-customer", metavar="COLUMN", help="Customer column of --conversions."
        ),
        click.option(
            "--conversion-timestamp", metavar="COLUMN", help="Time column of --conversions."
        ),
        click.option("--conversion-value", metavar="COLUMN", help="Value column of --conversions."),
        click.option("--date-format", metavar="FORMAT", help="strftime layout of non-ISO dates."),
        click.option("--delimiter", metavar="CHAR", help="CSV field separator."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _paths(
    touches: Marketing, conversions: Marketing, *, label: str, lookback: float | None
) -> Any:
    from crmkit.roi import touchpoint_paths  # noqa: PLC0415

    milestones = "lead_created" in conversions.columns
    # the touches were checked as they were read: what is left concerns the conversions
    with reading(conversions.file, conversions.found, flags=CONVERSION_FLAGS):
        return touchpoint_paths(
            touches.columns,
            conversions.columns,
            lookback_days=lookback,
            channel=label,
            lead_created="lead_created" if milestones else None,
            opportunity_created="opportunity_created" if milestones else None,
        )


def _attributed(
    term: Terminal, kw: dict[str, Any], *, label: str, column: str | None, flags: dict[str, str]
) -> tuple[Any, bool]:
    if not kw["conversions"]:
        raise CommandError("give the conversions with --conversions FILE")
    touches = read_touchpoints(
        kw["touchpoints"],
        term,
        columns={"customer": kw["customer"], "timestamp": kw["timestamp"], label: column},
        flags=flags,
        date_format=kw["date_format"],
        delimiter=kw["delimiter"],
    )
    converted = read_conversions(
        kw["conversions"],
        term,
        date_format=kw["date_format"],
        delimiter=kw["delimiter"],
        columns={f: kw[f"conversion_{f}"] for f in ("customer", "timestamp", "value")},
        flags=CONVERSION_FLAGS,
    )
    paths = _paths(touches, converted, label=label, lookback=_lookback(kw["lookback_days"]))
    return paths, "lead_created" in converted.columns


@cli.command()
@click.argument("file", metavar="FILE")
@click.option("--campaign", metavar="COLUMN", help="Campaign id column (guessed: campaign, ...).")
@click.option("--budget", metavar="COLUMN", help="Planned spend column (guessed: budget, ...).")
@click.option("--spend", metavar="COLUMN", help="Actual spend column (guessed: spend, cost, ...).")
@click.option("--start", metavar="COLUMN", help="Start date column (optional; for payback).")
@click.option("--end", metavar="COLUMN", help="End date column (optional).")
@click.option("--by", multiple=True, metavar="COLUMN", help="Group the campaigns by this column.")
@click.option("--leads", metavar="FILE", help="One row per lead with its campaign.")
@click.option("--leads-campaign", metavar="COLUMN", help="Campaign column of --leads (guessed).")
@click.option(
    "--opportunities",
    metavar="FILE",
    help="Deals with the campaign that sourced each (a campaign column): revenue from wins.",
)
@process_option
@click.option(
    "--touchpoints",
    metavar="FILE",
    help="Touches labelled by campaign: revenue credited by --model instead.",
)
@click.option("--customer", metavar="COLUMN", help="Customer column of --touchpoints (guessed).")
@click.option("--timestamp", metavar="COLUMN", help="Time column of --touchpoints (guessed).")
@click.option(
    "--touch-campaign", "campaign_", metavar="COLUMN", help="Campaign column of --touchpoints."
)
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="linear",
    show_default=True,
    help="Attribution model for --touchpoints.",
)
@_touch_options
@click.option(
    "--margin", type=float, metavar="RATE", help="Gross margin rate of the revenue, e.g. 0.35."
)
@click.option("--out", metavar="PATH", help="Write the results (.csv, .parquet, .json).")
@click.option("--rows", default=20, show_default=True, help="Rows shown on the terminal.")
@debug_option
@click.pass_context
def campaigns(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Which campaigns paid back: spend, leads, deals, revenue, CAC, ROI, payback, lift.

    \b
    The campaigns file has one row per campaign: id, budget, spend (and start,
    end, grouping columns such as channel); optional hold-out columns
    population, control, responders, control_responders add each campaign's
    lift over its control group. Runs crmkit.roi.campaign_results (revenue
    from the won deals each campaign sourced, or credited by an attribution
    model over --touchpoints) and crmkit.roi.lift_test.
    Example:
      crmkit campaigns campaigns.csv --leads leads.csv --opportunities opps.csv \\
          --margin 0.35 --by channel
    """
    from crmkit.report._analyses import holdout_lift, rank_campaigns  # noqa: PLC0415
    from crmkit.roi import AttributedRevenue, DealRevenue, MarginRate  # noqa: PLC0415

    term = term_of(ctx)
    if kw["margin"] is None:
        raise CommandError("campaigns: give the gross margin of the revenue, --margin RATE")
    table, holdout, read = read_campaigns(
        file,
        term,
        columns={
            "campaign": kw["campaign"],
            "budget": kw["budget"],
            "spend": kw["spend"],
            "start": kw["start"] or "",
            "end": kw["end"] or "",
        },
        by=kw["by"],
        date_format=kw["date_format"],
        delimiter=kw["delimiter"],
        flags=CAMPAIGN_FLAGS,
    )
    leads = None
    if kw["leads"]:
        leads, _ = read_leads(
            kw["leads"],
            term,
            column=kw["leads_campaign"],
            delimiter=kw["delimiter"],
            flags={"campaign": "--leads-campaign"},
        )
    opportunities = None
    if kw["opportunities"]:
        opportunities, _o = read_opportunities(
            kw["opportunities"],
            term,
            process=sales_process(kw["process"], kw["won"], kw["lost"]),
            columns={"id": None, "amount": None, "stage": None, "close_date": "", "created": ""},
            by=("campaign",),
            delimiter=kw["delimiter"],
            flags={},
        )
    margin = MarginRate(rate=kw["margin"])
    revenue: Any
    if kw["touchpoints"]:
        flags = {"customer": "--customer", "timestamp": "--timestamp"}
        paths, _ = _attributed(
            term,
            kw,
            label="campaign",
            column=kw["campaign_"],
            flags=flags | {"campaign": "--touch-campaign"},
        )
        revenue = AttributedRevenue(
            paths=paths, model=_model(kw["model"], kw["half_life_days"]), margin=margin
        )
    elif opportunities is not None:
        revenue = DealRevenue(margin=margin)
    else:
        raise CommandError(
            "campaigns: give --opportunities FILE (the won deals each campaign sourced) or "
            "--touchpoints FILE with --conversions FILE (revenue credited by --model)"
        )
    with reading(read.file, read.found, flags=CAMPAIGN_FLAGS):
        parts = [
            rank_campaigns(
                table, leads=leads, opportunities=opportunities, revenue=revenue, by=kw["by"]
            )
        ]
    if holdout is not None:
        with reading(read.file, read.found, flags=CAMPAIGN_FLAGS):
            parts.append(holdout_lift(holdout))
        term.line(
            f"Hold-out groups: {holdout['campaign'].size:,} of {table.n_campaigns:,} "
            "campaigns (the rows with the hold-out columns filled)."
        )
    analysis = combine(*parts, detail=parts[0].detail)
    show(term, analysis, out=kw["out"], rows=kw["rows"], head=False)


@cli.command()
@click.argument("file", metavar="FILE")
@click.option("--customer", metavar="COLUMN", help="Customer (journey) id column (guessed).")
@click.option("--timestamp", metavar="COLUMN", help="Time of the touch column (guessed).")
@click.option(
    "--channel", metavar="COLUMN", help="Channel (or campaign) column (guessed: channel, ...)."
)
@click.option(
    "--model",
    "models",
    type=click.Choice(MODELS),
    multiple=True,
    help="A model to compare (repeat it); default first-touch, last-touch, linear, "
    "position-based, w-shaped (with milestone dates) and markov.",
)
@_touch_options
@click.option("--out", metavar="PATH", help="Write the comparison (.csv, .parquet, .json).")
@debug_option
@click.pass_context
def attribution(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Which channel earned the conversions: several attribution models side by side.

    \b
    The touchpoints file has one row per touch (customer, timestamp, channel);
    --conversions one row per converting customer (customer, timestamp, value).
    Runs crmkit.roi.touchpoint_paths and compare_attribution.
    Example:
      crmkit attribution touchpoints.csv --conversions won.csv --lookback-days 180 \\
          --model last-touch --model markov
    """
    from crmkit.report._analyses import compare_models, default_models  # noqa: PLC0415

    term = term_of(ctx)
    kw["touchpoints"] = file
    flags = {"customer": "--customer", "timestamp": "--timestamp", "channel": "--channel"}
    paths, milestones = _attributed(term, kw, label="channel", column=kw["channel"], flags=flags)
    if not milestones and {"w-shaped", "full-path"} & set(kw["models"]):
        raise CommandError(
            "the w-shaped and full-path models need the lead_created and opportunity_created "
            "columns of --conversions"
        )
    if kw["models"]:
        models = [_model(n, kw["half_life_days"]) for n in dict.fromkeys(kw["models"])]
    else:
        models = default_models(milestones=milestones)
    with term.progress("crediting the conversions"):
        analysis = compare_models(paths, models)
    show(term, analysis, out=kw["out"], rows=100, head=False)


class _Uncertain(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """``NAME=LOW:MODE:HIGH`` (triangular) or ``NAME=LOW:HIGH`` (uniform) multipliers."""

    name = "NAME=LOW:MODE:HIGH"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, tuple[float, ...]]:
        if isinstance(value, tuple):
            return cast("tuple[str, tuple[float, ...]]", value)
        text = str(value)
        name, sep, bounds = text.rpartition("=")
        try:
            numbers = tuple(float(v) for v in bounds.split(":"))
            if not sep or not name or len(numbers) not in (2, 3):
                raise ValueError(text)  # noqa: TRY301
        except ValueError:
            self.fail(
                f"{text!r} is not NAME=LOW:MODE:HIGH or NAME=LOW:HIGH "
                "(e.g. cross-sell=0.4:0.9:1.2)",
                param,
                ctx,
            )
        return name.strip(), numbers


@cli.command(name="business-case")
@click.argument("file", metavar="FILE")
@click.option("--periods", type=int, required=True, help="Periods after today in the plan.")
@click.option(
    "--discount-rate", type=float, required=True, help="Discount rate per period, e.g. 0.1."
)
@click.option(
    "--first-period",
    type=click.Choice(["0", "1"]),
    default="0",
    show_default=True,
    help="0: period 0 is today, not discounted; 1: discount it once (a spreadsheet's NPV()).",
)
@click.option("--monthly", is_flag=True, help="Periods are months (default years).")
@click.option("--start", metavar="DATE", help="Date of period 0: adds XNPV and XIRR.")
@click.option(
    "--change", default=0.2, show_default=True, help="Relative change of the tornado (+-)."
)
@click.option(
    "--uncertain",
    type=_Uncertain(),
    multiple=True,
    help="An uncertain assumption as multipliers of its plan value, NAME=LOW:MODE:HIGH "
    "(triangular) or NAME=LOW:HIGH (uniform); repeat it. Runs a Monte Carlo.",
)
@click.option("--simulations", default=20_000, show_default=True, help="Futures simulated.")
@click.option("--seed", default=0, show_default=True, help="Random seed of the Monte Carlo.")
@click.option("--delimiter", metavar="CHAR", help="CSV field separator.")
@click.option("--out", metavar="PATH", help="Write the cash flows (.csv, .parquet, .json).")
@debug_option
@click.pass_context
def business_case(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Whether a CRM investment pays back: NPV, IRR, payback, the tornado, a Monte Carlo.

    \b
    The file has one row per cost item or benefit stream, columns:
      item, kind (cost, revenue growth, cost reduction or retention),
      category (costs: technology, people or process), one_off, recurring,
      escalation (costs), value, ramp_up ("0.2 0.5 0.8"), growth (benefits),
      from_period (first period of a benefit or recurring cost, default 1).
    Runs crmkit.roi.BusinessCase.from_frame, evaluate_business_case,
    sensitivity and simulate_business_case (with --uncertain).
    Example:
      crmkit business-case plan.csv --periods 5 --discount-rate 0.1 \\
          --uncertain cross-sell=0.4:0.9:1.2 --seed 7
    """
    from crmkit.report._analyses import business_case_analysis  # noqa: PLC0415
    from crmkit.roi import Triangular, Uniform  # noqa: PLC0415

    term = term_of(ctx)
    case = read_business_case(
        file,
        term,
        periods=kw["periods"],
        discount_rate=kw["discount_rate"],
        first_period=int(kw["first_period"]),
        period_unit="month" if kw["monthly"] else "year",
        start=kw["start"],
        delimiter=kw["delimiter"],
    )
    distributions: dict[str, Any] = {}
    for name, bounds in kw["uncertain"]:
        if len(bounds) == 3:
            distributions[name] = Triangular(low=bounds[0], mode=bounds[1], high=bounds[2])
        else:
            distributions[name] = Uniform(low=bounds[0], high=bounds[1])
    with term.progress("simulating futures"):
        analysis = business_case_analysis(
            case,
            change=kw["change"],
            distributions=distributions or None,
            n_simulations=kw["simulations"],
            seed=kw["seed"],
        )
    show(term, analysis, out=kw["out"], rows=200, head=False)
