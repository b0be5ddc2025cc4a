"""The ``crmkit`` commands (click): each reads files, calls crmkit's public functions, shows them.

Presentation only: the numbers come from the library functions named in each
command's help; this module maps flags to arguments and results to tables.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import click
import numpy as np

from crmkit._cli._files import CommandError, one_line, reading
from crmkit._cli._output import Column, Terminal, write_result
from crmkit._cli._readers import (
    OrderColumns,
    lazy_orders,
    read_activities,
    read_history,
    read_opportunities,
    read_orders,
    read_table,
    read_unit_costs,
    sales_process,
)
from crmkit._version import __version__
from crmkit.errors import CrmkitError

__all__ = ["cli", "run"]

_F = TypeVar("_F", bound=Callable[..., Any])


class _Pair(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
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


def _term(ctx: click.Context) -> Terminal:
    term = ctx.obj.get("terminal") if ctx.obj else None
    return term if isinstance(term, Terminal) else Terminal()


def _debug_option(func: _F) -> _F:
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


def _orders_options(func: _F) -> _F:
    options = [
        click.argument("file", metavar="FILE"),
        click.option(
            "--customer", metavar="COLUMN", help="Customer id column (guessed: customer_id, ...)."
        ),
        click.option(
            "--timestamp",
            metavar="COLUMN",
            help="Order date column (guessed: order_date, InvoiceDate, date, ...).",
        ),
        click.option(
            "--amount", metavar="COLUMN", help="Order value column (guessed: amount, revenue, ...)."
        ),
        click.option(
            "--date-format",
            metavar="FORMAT",
            help="strftime layout of non-ISO dates, e.g. '%Y%m%d' or '%d/%m/%Y'.",
        ),
        click.option(
            "--delimiter", metavar="CHAR", help="CSV field separator (default ',', tab for .tsv)."
        ),
        click.option(
            "--as-of",
            metavar="DATE",
            help="End of observation, exclusive (default: midnight after the last order).",
        ),
        click.option(
            "--out",
            metavar="PATH",
            help="Write the full table: .csv, .parquet, or .json (the whole result).",
        ),
        click.option("--rows", default=10, show_default=True, help="Rows shown on the terminal."),
        _debug_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _cols(kw: dict[str, Any]) -> OrderColumns:
    return OrderColumns(
        customer=kw["customer"],
        timestamp=kw["timestamp"],
        amount=kw["amount"],
        date_format=kw["date_format"],
        delimiter=kw["delimiter"],
    )


def _finish(
    term: Terminal,
    title: str,
    columns: dict[str, Any],
    shown: Sequence[Column],
    *,
    result: object,
    out: str | None,
    rows: int,
) -> None:
    if out:
        path = write_result(out, columns, result)
        term.note(f"wrote {path}")
    term.table(title, columns, shown, rows=rows)


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002
        return list(self.commands)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="crmkit", message="%(prog)s %(version)s")
@_debug_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """crmkit: analytical CRM on your own CSV and Parquet files.

    \b
    Start with the demo, then run the report on your orders:
      crmkit demo
      crmkit report orders.csv --out report.html
    Every command reads CSV (or - for stdin) and Parquet, guesses the columns
    from common names and says what it guessed; `crmkit COMMAND --help`
    lists its options with an example.
    """
    ctx.ensure_object(dict)


# --------------------------------------------------------------------------- segmentation


@cli.command()
@_orders_options
@click.option(
    "--unit",
    type=click.Choice(["day", "week", "month"]),
    default="day",
    show_default=True,
    help="Unit of recency and tenure.",
)
@click.option("--k", default=5, show_default=True, help="Score levels (quintiles: 5).")
@click.option(
    "--method",
    type=click.Choice(["quantile", "rank"]),
    default="quantile",
    show_default=True,
    help="How scores are cut.",
)
@click.pass_context
def rfm(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Recency, frequency and monetary value per customer, with their scores.

    \b
    Runs crmkit.segmentation.rfm_summary and rfm_scores.
    Example:
      crmkit rfm orders.csv --as-of 2025-01-01 --out rfm.csv
    """
    from crmkit.segmentation import rfm_scores, rfm_summary  # noqa: PLC0415

    term = _term(ctx)
    lazy = lazy_orders(file, _cols(kw), term)  # Parquet with DuckDB: aggregated out of core
    if lazy is not None:
        relation, found, file_ = lazy
        with reading(file_, found):
            summary = rfm_summary(
                relation,
                unit=kw["unit"],
                as_of=kw["as_of"],
                customer=found["customer"],
                timestamp=found["timestamp"],
                amount=found["amount"],
                date_format=_cols(kw).date_format,
            )
    else:
        tx, file_ = read_orders(file, _cols(kw), term)
        summary = rfm_summary(tx, unit=kw["unit"], as_of=kw["as_of"])
    scores = rfm_scores(summary, k=kw["k"], method=kw["method"])
    columns = {**summary.table(), **scores.table()}
    _as_of_line(term, summary)
    term.line(f"{summary.customer.size:,} customers from {file_.label}; scores 1 to {scores.k}.")
    _finish(
        term,
        "RFM per customer",
        columns,
        [
            ("customer", "customer", "text"),
            ("recency", f"recency ({kw['unit']}s)", "number"),
            ("frequency", "frequency", "count"),
            ("monetary", "monetary", "money"),
            ("recency_score", "R", "count"),
            ("frequency_score", "F", "count"),
            ("monetary_score", "M", "count"),
            ("cell", "cell", "text"),
        ],
        result=scores,
        out=kw["out"],
        rows=kw["rows"],
    )


@cli.command()
@_orders_options
@click.option(
    "--grid",
    type=click.Choice(["10", "11"]),
    default="10",
    show_default=True,
    help="Rule table: the 10-segment or the 11-segment RFM grid.",
)
@click.pass_context
def segments(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Named RFM segments (champions, at risk, ...) per customer, and per segment.

    \b
    Runs crmkit.segmentation.rfm_summary, rfm_scores, assign_segments and
    segment_summary. --out writes one row per customer.
    Example:
      crmkit segments orders.csv --out segments.parquet
    """
    from crmkit.segmentation import (  # noqa: PLC0415
        RFM_GRID_10,
        RFM_GRID_11,
        assign_segments,
        rfm_scores,
        rfm_summary,
        segment_summary,
    )

    term = _term(ctx)
    tx, _ = read_orders(file, _cols(kw), term)
    summary = rfm_summary(tx, unit="day", as_of=kw["as_of"])
    grid = RFM_GRID_10 if kw["grid"] == "10" else RFM_GRID_11
    segs = assign_segments(rfm_scores(summary, k=grid.k), table=grid)
    table = segment_summary(segs)
    _as_of_line(term, summary)
    term.table(
        "Segments",
        table.table(),
        [
            ("segment", "segment", "text"),
            ("customers", "customers", "count"),
            ("customer_share", "share of customers", "share"),
            ("revenue_share", "share of revenue", "share"),
            ("mean_recency", "mean recency (days)", "number"),
            ("mean_frequency", "mean orders", "number"),
            ("mean_monetary", "mean revenue", "money"),
        ],
        rows=len(table.segment),
    )
    columns = {**segs.scores.table(), "segment": segs.segment}
    _finish(
        term,
        "Segment per customer",
        columns,
        [
            ("customer", "customer", "text"),
            ("segment", "segment", "text"),
            ("recency_score", "R", "count"),
            ("frequency_score", "F", "count"),
            ("monetary_score", "M", "count"),
        ],
        result=segs,
        out=kw["out"],
        rows=kw["rows"],
    )


@cli.command()
@_orders_options
@click.option(
    "--thresholds",
    nargs=2,
    type=float,
    default=(0.8, 0.95),
    show_default=True,
    help="Cumulative revenue shares closing classes A and B.",
)
@click.pass_context
def pareto(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Revenue concentration: the 80/20 point, top shares, Gini and ABC classes.

    \b
    Runs crmkit.segmentation.rfm_summary, top_share, pareto_point, gini and
    abc_classes on each customer's revenue.
    Example:
      crmkit pareto orders.csv --thresholds 0.8 0.95
    """
    from crmkit.segmentation import (  # noqa: PLC0415
        abc_classes,
        gini,
        pareto_point,
        rfm_summary,
        top_share,
    )

    term = _term(ctx)
    tx, _ = read_orders(file, _cols(kw), term)
    summary = rfm_summary(tx, unit="day", as_of=kw["as_of"])
    revenue = summary.monetary
    abc = abc_classes(revenue, thresholds=kw["thresholds"], customer=summary.customer)
    _as_of_line(term, summary)
    for p in (0.01, 0.1, 0.2):
        term.line(
            f"The top {p:.0%} of customers bring {float(top_share(revenue, p)):.1%} of revenue."
        )
    term.line(f"Pareto point: {pareto_point(revenue)}.")
    term.line(f"Gini coefficient: {gini(revenue):.3f}.")
    term.table(
        "ABC classes",
        {
            "class": np.asarray(abc.labels),
            "customers": np.asarray([abc.customers[k] for k in abc.labels]),
            "share": np.asarray([abc.value_share[k] for k in abc.labels]),
        },
        [
            ("class", "class", "text"),
            ("customers", "customers", "count"),
            ("share", "share of revenue", "share"),
        ],
        rows=len(abc.labels),
    )
    _finish(
        term,
        "ABC class per customer",
        abc.table(),
        [
            ("customer", "customer", "text"),
            ("value", "revenue", "money"),
            ("abc_class", "class", "text"),
        ],
        result=abc,
        out=kw["out"],
        rows=kw["rows"],
    )


# --------------------------------------------------------------------------- lifecycle


@cli.command()
@_orders_options
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
    from crmkit.lifecycle import classify_stages, lifecycle_metrics  # noqa: PLC0415

    term = _term(ctx)
    tx, _ = read_orders(file, _cols(kw), term)
    metrics = lifecycle_metrics(tx, as_of=kw["as_of"], window_days=kw["window_days"])
    stages = classify_stages(metrics)
    term.line(f"as_of {_day(metrics.as_of)} (exclusive).")
    names = list(stages.stage_counts)
    counts = np.asarray([stages.stage_counts[s] for s in names])
    term.table(
        "Stages",
        {"stage": np.asarray(names), "customers": counts},
        [("stage", "stage", "text"), ("customers", "customers", "count")],
        rows=len(names),
    )
    _finish(
        term,
        "Stage per customer",
        {**metrics.table(), "stage": stages.stage, "rule": stages.rule},
        [
            ("customer", "customer", "text"),
            ("stage", "stage", "text"),
            ("rule", "rule", "text"),
            ("recency_days", "recency (days)", "number"),
            ("frequency", "orders", "count"),
        ],
        result=stages,
        out=kw["out"],
        rows=kw["rows"],
    )


@cli.command()
@_orders_options
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
    from crmkit.lifecycle import cohort_retention  # noqa: PLC0415

    term = _term(ctx)
    tx, _ = read_orders(file, _cols(kw), term)
    result = cohort_retention(tx, frequency=kw["frequency"], as_of=kw["as_of"])
    term.line(f"as_of {_day(result.as_of)} (exclusive).")
    columns: dict[str, Any] = {"cohort": result.cohort, "size": result.size}
    for j, since in enumerate(result.periods_since):
        shares = np.where(result.observable[:, j], result.retention[:, j], np.nan)
        columns[f"period_{int(since)}"] = shares
    n = min(8, result.periods_since.size)
    _finish(
        term,
        f"Retention per {kw['frequency']} since the first purchase",
        columns,
        [
            ("cohort", "cohort", "text"),
            ("size", "customers", "count"),
            *((f"period_{int(s)}", str(int(s)), "share") for s in result.periods_since[:n]),
        ],
        result=result,
        out=kw["out"],
        rows=max(kw["rows"], 12),
    )


# --------------------------------------------------------------------------- funnel


def _pipeline_options(func: _F) -> _F:
    options = [
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
        click.option(
            "--process-stage",
            "process",
            type=_Pair(),
            multiple=True,
            help="Your sales process, stage by stage in order, as NAME=PROBABILITY "
            "(default: identify opportunity=0.1, qualify=0.2, plan=0.4, "
            "propose solution=0.6, close=0.8).",
        ),
        click.option("--won", default="won", show_default=True, help="Name of the won outcome."),
        click.option("--lost", default="lost", show_default=True, help="Name of the lost outcome."),
        click.option("--delimiter", metavar="CHAR", help="CSV field separator."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _history_columns() -> dict[str, str | None]:
    return {"opportunity": None, "stage": None, "entered": None, "reason": ""}


@cli.command()
@click.argument("file", metavar="FILE")
@_pipeline_options
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
@_debug_option
@click.pass_context
def forecast(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Pipeline forecast per period: weighted value and its spread (P10, P50, P90).

    \b
    Runs crmkit.funnel.forecast_pipeline and lattice_forecast, with win rates
    from crmkit.funnel.fit_stage_rates when --history is given.
    Example:
      crmkit forecast opportunities.csv --history stages.csv --by region --period quarter
    """
    from crmkit.funnel import fit_stage_rates, forecast_pipeline, lattice_forecast  # noqa: PLC0415
    from crmkit.periods import Horizon, default_as_of  # noqa: PLC0415

    term = _term(ctx)
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
    probabilities: Any = "configured"
    as_of = kw["as_of"]
    if kw["history"]:
        history, _h = read_history(
            kw["history"],
            term,
            process=process,
            columns=_history_columns(),
            delimiter=kw["delimiter"],
        )
        with term.progress("calibrating win rates"):
            probabilities = fit_stage_rates(history)
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
    periods = [horizon]
    weighted = forecast_pipeline(
        opps, period=periods, probabilities=probabilities, by=kw["by"], quotas=quotas, as_of=as_of
    )
    with term.progress("computing the spread"):
        spread = lattice_forecast(
            opps, period=periods, probabilities=probabilities, by=kw["by"], quotas=quotas
        )
    source = "calibrated" if kw["history"] else "configured"
    term.line(f"{opps.n_open:,} open deals as of {_day(weighted.as_of)}; {source} win rates.")
    table = {
        **weighted.table(),
        **{k: spread.table()[k] for k in ("p10", "p50", "p90", "p_reach_quota")},
    }
    for name in kw["by"]:
        table[name] = weighted.groups[name]
    shown: list[Column] = [("period", "period", "text")]
    shown += [(name, name, "text") for name in kw["by"]]
    shown += [
        ("n_open", "open deals", "count"),
        ("pipeline", "pipeline", "money"),
        ("weighted", "weighted", "money"),
        ("p10", "P10", "money"),
        ("p50", "P50", "money"),
        ("p90", "P90", "money"),
    ]
    if quotas is not None:
        shown += [("quota", "quota", "money"), ("p_reach_quota", "P(quota)", "share")]
    _finish(term, "Forecast", table, shown, result=weighted, out=kw["out"], rows=50)


@cli.command()
@click.argument("file", metavar="FILE")
@click.option("--opportunity", metavar="COLUMN", help="Opportunity id column.")
@click.option("--stage", "stage_", metavar="COLUMN", help="Stage entered column.")
@click.option("--entered", metavar="COLUMN", help="When the stage was entered.")
@click.option("--reason", metavar="COLUMN", help="Win/loss reason column (optional).")
@click.option(
    "--process-stage",
    "process",
    type=_Pair(),
    multiple=True,
    help="Sales process stages, NAME=PROBABILITY, in order.",
)
@click.option("--won", default="won", show_default=True, help="Name of the won outcome.")
@click.option("--lost", default="lost", show_default=True, help="Name of the lost outcome.")
@click.option("--level", default=0.9, show_default=True, help="Credible interval level.")
@click.option("--delimiter", metavar="CHAR", help="CSV field separator.")
@click.option("--out", metavar="PATH", help="Write the stage table (.csv, .parquet, .json).")
@_debug_option
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

    term = _term(ctx)
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
    term.line(
        f"{rates.n_closed:,} closed deals ({rates.n_open_excluded:,} still open, left out); "
        f"won deals took {rates.median_cycle_days_won:.0f} days (median)."
    )
    configured = np.asarray([s.probability for s in process.stages])
    table = {**rates.table(), "configured": configured}
    _finish(
        term,
        "Win rate from each stage",
        table,
        [
            ("stage", "stage", "text"),
            ("n_reached", "deals reached", "count"),
            ("configured", "configured", "share"),
            ("win_rate", "calibrated", "share"),
            ("lower", "low", "share"),
            ("upper", "high", "share"),
            ("median_days", "median days", "number"),
        ],
        result=rates,
        out=kw["out"],
        rows=50,
    )


# --------------------------------------------------------------------------- roi


@cli.command()
@_orders_options
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
    from crmkit.roi import customer_clv, fit_bgnbd, fit_gamma_gamma  # noqa: PLC0415
    from crmkit.segmentation import btyd_summary  # noqa: PLC0415

    _need_scipy()
    term = _term(ctx)
    tx, _ = read_orders(file, _cols(kw), term)
    summary = btyd_summary(tx, freq=kw["freq"], as_of=kw["as_of"])
    with term.progress("fitting BG/NBD and Gamma-Gamma"):
        purchases = fit_bgnbd(summary)
        keep = (summary.frequency == 0) | (summary.monetary_value > 0)
        buyers = {name: column[keep] for name, column in summary.table().items()}
        spend = fit_gamma_gamma(buyers)
    result = customer_clv(
        purchases,
        spend,
        buyers,
        periods=kw["periods"],
        period_length=kw["period_length"],
        discount_rate=kw["discount_rate"],
    )
    params = ", ".join(f"{k}={v:.4g}" for k, v in purchases.params.items())
    term.line(f"BG/NBD {params}; converged: {purchases.diagnostics.converged}.")
    gg = ", ".join(f"{k}={v:.4g}" for k, v in spend.params.items())
    term.line(f"Gamma-Gamma {gg}; converged: {spend.diagnostics.converged}.")
    dropped = int(np.count_nonzero(~keep))
    if dropped:
        term.note(f"{dropped:,} customers whose repeat purchases net to zero or less are left out")
    term.line(f"Expected value of the base over {kw['periods']} periods: {result.total_clv:,.2f}.")
    _finish(
        term,
        "Lifetime value per customer",
        result.table(),
        [
            ("customer", "customer", "text"),
            ("p_alive", "P(alive)", "share"),
            ("expected_purchases", "expected purchases", "number"),
            ("value_per_purchase", "value per purchase", "money"),
            ("clv", "CLV", "money"),
        ],
        result=result,
        out=kw["out"],
        rows=kw["rows"],
    )


def _profit_options(func: _F) -> _F:
    options = [
        click.option("--margin", type=float, metavar="RATE", help="Gross margin rate, e.g. 0.3."),
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
            type=_Pair(),
            multiple=True,
            help="Cost per unit of one activity, NAME=NUMBER (repeat it).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _margin(kw: dict[str, Any]) -> Any:
    from crmkit.roi import CostColumn, MarginRate  # noqa: PLC0415

    if kw["margin"] is not None and kw["cogs"]:
        raise CommandError("give --margin RATE or --cogs COLUMN, not both")
    if kw["margin"] is not None:
        return MarginRate(rate=kw["margin"])
    if kw["cogs"]:
        return CostColumn(column="cogs")
    return None


def _costs(kw: dict[str, Any], term: Terminal) -> tuple[Any, str, dict[str, float] | None, Any]:
    activities, customer, file = None, "customer", None
    if kw["costs"]:
        activities, customer, file = read_activities(
            kw["costs"], term, customer=kw["costs_customer"], delimiter=kw["delimiter"]
        )
    unit_costs = read_unit_costs(kw["unit_costs"], kw["unit_cost"], term, delimiter=kw["delimiter"])
    if activities is None and unit_costs:
        raise CommandError("unit costs need --costs FILE with the activity counts per customer")
    return activities, customer, unit_costs, file


@cli.command()
@_orders_options
@_profit_options
@click.pass_context
def profitability(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """A profit-and-loss line per customer: margin, cost to serve, profit; the whale curve.

    \b
    Runs crmkit.roi.customer_pnl, whale_curve and unprofitable_customers.
    Example:
      crmkit profitability orders.csv --margin 0.3 --costs activities.csv \\
          --unit-cost sales_visits=40 --unit-cost service_tickets=6
    """
    from crmkit.roi import customer_pnl, whale_curve  # noqa: PLC0415

    term = _term(ctx)
    margin = _margin(kw)
    if margin is None:
        raise CommandError("profitability: give --margin RATE (e.g. 0.3) or --cogs COLUMN")
    extra = {"cogs": kw["cogs"]} if kw["cogs"] else {}
    tx, _ = read_orders(file, _cols(kw), term, extra=extra)
    activities, customer, unit_costs, costs_file = _costs(kw, term)
    if costs_file is not None:
        with reading(costs_file, {"customer": customer}):
            pnl = customer_pnl(
                tx,
                margin=margin,
                activities=activities,
                unit_costs=unit_costs,
                activity_customer=customer,
            )
    else:
        pnl = customer_pnl(tx, margin=margin)
    whale = whale_curve(pnl)
    term.line(
        f"Revenue {float(pnl.revenue.sum()):,.2f}, "
        f"gross margin {float(pnl.gross_margin.sum()):,.2f}, "
        f"cost to serve {float(pnl.cost_to_serve.sum()):,.2f}, profit {whale.total_profit:,.2f}."
    )
    term.line(
        f"The most profitable {whale.peak_share_of_customers:.0%} of customers earn "
        f"{whale.peak_share_of_total:.0%} of profit; {whale.n_unprofitable:,} unprofitable "
        f"customers give back {whale.tail_give_back:,.2f}."
    )
    _finish(
        term,
        "Profit and loss per customer",
        pnl.table(),
        [
            ("customer", "customer", "text"),
            ("revenue", "revenue", "money"),
            ("gross_margin", "gross margin", "money"),
            ("cost_to_serve", "cost to serve", "money"),
            ("profit", "profit", "money"),
        ],
        result=pnl,
        out=kw["out"],
        rows=kw["rows"],
    )


# --------------------------------------------------------------------------- report and demo


@cli.command()
@click.argument("file", metavar="FILE", required=False)
@click.option(
    "--example", type=click.Choice(["cdnow"]), help="Run on a real data set shipped with crmkit."
)
@click.option("--customer", metavar="COLUMN", help="Customer id column (guessed).")
@click.option("--timestamp", metavar="COLUMN", help="Order date column (guessed).")
@click.option("--amount", metavar="COLUMN", help="Order value column (guessed).")
@click.option("--product", metavar="COLUMN", help="Product or category column: adds Product.")
@click.option("--date-format", metavar="FORMAT", help="strftime layout of non-ISO dates.")
@click.option("--delimiter", metavar="CHAR", help="CSV field separator.")
@click.option("--as-of", metavar="DATE", help="End of observation, exclusive.")
@_profit_options
@click.option(
    "--opportunities", metavar="FILE", help="The open and closed deals: adds Performance."
)
@click.option(
    "--history", metavar="FILE", help="Stage history of past deals: calibrated win rates."
)
@click.option("--quotas", metavar="FILE", help="Quotas per period (columns period, quota).")
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
@_debug_option
@click.pass_context
def report(ctx: click.Context, /, file: str | None, **kw: Any) -> None:
    """The 7P customer-analysis report: one self-contained HTML page (and JSON).

    \b
    Profiling, Persistency and Prospecting from the orders alone; add
    --margin/--costs for Profitability, --opportunities for Performance and
    --product for Product. Runs crmkit.report.build.

    Examples
    --------
      crmkit report orders.csv --out report.html
      crmkit report orders.csv --product category --margin 0.3 --opportunities opps.csv
      crmkit report --example cdnow --out cdnow.html
    """
    from crmkit.report import build  # noqa: PLC0415

    term = _term(ctx)
    if (file is None) == (kw["example"] is None):
        raise CommandError("report: give one orders FILE, or --example cdnow")
    margin = _margin(kw)
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
        tx, file_ = read_orders(file, _cols(kw), term, extra=extra)
        label = file_.label
        product = "product" if kw["product"] else None
    activities, customer, unit_costs, _costs_file = _costs(kw, term)
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
        )
    if kw["history"]:
        history, _h = read_history(
            kw["history"],
            term,
            process=process,
            columns=_history_columns(),
            delimiter=kw["delimiter"],
            flags={},
        )
    quotas = None
    if kw["quotas"]:
        qfile, _q = read_table(
            kw["quotas"], term, what="quota", delimiter=kw["delimiter"], fields={"period": None}
        )
        quotas = qfile.table
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
            charts=not kw["no_charts"],
            title=kw["title"],
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
@_debug_option
@click.pass_context
def demo(ctx: click.Context, /, **kw: Any) -> None:
    """Simulate one company and run every analysis on it, writing the report.

    \b
    Orders with products and channels, costs to serve and a sales pipeline
    with stage histories, all from one seed; then the 7P report.
    Example:
      crmkit demo --customers 5000 --seed 42 --out demo.html --open
    """
    from crmkit._demo import run_demo  # noqa: PLC0415

    term = _term(ctx)
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


# --------------------------------------------------------------------------- running


def _day(when: object) -> str:
    return str(np.asarray(when).astype("datetime64[D]"))


def _as_of_line(term: Terminal, summary: Any) -> None:
    default = " (default: midnight after the last order)" if summary.as_of_is_default else ""
    term.line(f"as_of {_day(summary.as_of)}, exclusive{default}.")
    if summary.n_rows_after_as_of:
        term.note(f"{summary.n_rows_after_as_of:,} rows at or after as_of are left out")


def _need_scipy() -> None:
    import importlib.util  # noqa: PLC0415

    if importlib.util.find_spec("scipy") is None:
        raise CommandError('the lifetime-value models need scipy: pip install "crmkit[models]"')


def run(args: Sequence[str], *, terminal: Terminal | None = None) -> int:
    """Run the command line on *args* and return the exit status (2 for bad input)."""
    term = terminal if terminal is not None else Terminal()
    obj: dict[str, Any] = {"terminal": term}
    debug = "--debug" in args
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cli.main(args=list(args), prog_name="crmkit", standalone_mode=False, obj=obj)
        for warning in caught:
            term.note(f"note: {warning.message}")
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as err:
        err.show(file=term.err.file)
        return 2
    except click.exceptions.Abort:
        term.note("aborted")
        return 1
    except (CommandError, CrmkitError) as err:
        if debug or obj.get("debug"):
            traceback.print_exc(file=term.err.file)
        message = str(err) if isinstance(err, CommandError) else one_line(err)
        term.err.print(f"crmkit: error: {message}", markup=False, highlight=False)
        return 2
    return 0
