"""Commands on who the customers are: ``rfm``, ``segments``, ``pareto``, ``trends``."""

from __future__ import annotations

from typing import Any

import click

from crmkit._cli._files import reading
from crmkit._cli._group import as_of_line, cli, show, term_of
from crmkit._cli._options import order_columns, orders_options
from crmkit._cli._readers import lazy_orders, read_orders

__all__ = ["pareto", "rfm", "segments", "trends"]


@cli.command()
@orders_options
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
    from crmkit.report._analyses import rfm_analysis  # noqa: PLC0415
    from crmkit.segmentation import rfm_scores, rfm_summary  # noqa: PLC0415

    term = term_of(ctx)
    cols = order_columns(kw)
    lazy = lazy_orders(file, cols, term)  # Parquet with DuckDB: aggregated out of core
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
                date_format=cols.date_format,
            )
    else:
        tx, file_ = read_orders(file, cols, term)
        summary = rfm_summary(tx, unit=kw["unit"], as_of=kw["as_of"])
    scores = rfm_scores(summary, k=kw["k"], method=kw["method"])
    as_of_line(term, summary)
    show(term, rfm_analysis(summary, scores, source=file_.label), out=kw["out"], rows=kw["rows"])


def _segments(tx: Any, kw: dict[str, Any], grid: str = "10") -> tuple[Any, Any]:
    from crmkit.segmentation import (  # noqa: PLC0415
        RFM_GRID_10,
        RFM_GRID_11,
        assign_segments,
        rfm_scores,
        rfm_summary,
    )

    summary = rfm_summary(tx, unit="day", as_of=kw["as_of"])
    table = RFM_GRID_10 if grid == "10" else RFM_GRID_11
    return summary, assign_segments(rfm_scores(summary, k=table.k), table=table)


@cli.command()
@orders_options
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
    from crmkit.report._analyses import segments_analysis  # noqa: PLC0415

    term = term_of(ctx)
    tx, _ = read_orders(file, order_columns(kw), term)
    summary, segs = _segments(tx, kw, kw["grid"])
    as_of_line(term, summary)
    show(term, segments_analysis(segs), out=kw["out"], rows=kw["rows"])


@cli.command()
@orders_options
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
    from crmkit.report._analyses import concentration_analysis  # noqa: PLC0415
    from crmkit.segmentation import rfm_summary  # noqa: PLC0415

    term = term_of(ctx)
    tx, _ = read_orders(file, order_columns(kw), term)
    summary = rfm_summary(tx, unit="day", as_of=kw["as_of"])
    as_of_line(term, summary)
    analysis = concentration_analysis(summary, thresholds=kw["thresholds"])
    show(term, analysis, out=kw["out"], rows=kw["rows"])


@cli.command()
@orders_options
@click.option(
    "--freq",
    type=click.Choice(["week", "month", "quarter", "year"]),
    default="month",
    show_default=True,
    help="Period length.",
)
@click.pass_context
def trends(ctx: click.Context, /, file: str, **kw: Any) -> None:
    """Purchase trends per RFM segment: revenue, orders and active customers per period.

    \b
    Runs crmkit.segmentation.segment_trends on the RFM segments of
    assign_segments (each customer's segment as of --as-of). --out writes one
    row per period and segment.
    Example:
      crmkit trends orders.csv --freq quarter --as-of 2025-01-01 --out trends.csv
    """
    from crmkit.report._analyses import trends_analysis  # noqa: PLC0415

    term = term_of(ctx)
    tx, _ = read_orders(file, order_columns(kw), term)
    summary, segs = _segments(tx, kw)
    as_of_line(term, summary)
    analysis = trends_analysis(tx, segs, freq=kw["freq"], as_of=summary.as_of)
    show(term, analysis, out=kw["out"], rows=kw["rows"], head=False)
