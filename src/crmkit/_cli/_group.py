"""The ``crmkit`` command group, and how a command shows an analysis on the terminal."""

from __future__ import annotations

import traceback
import warnings
from typing import IO, Any

import click
import numpy as np

from crmkit._cli._files import CommandError, one_line
from crmkit._cli._options import debug_option
from crmkit._cli._output import Terminal, write_result
from crmkit._version import __version__
from crmkit.errors import CrmkitError
from crmkit.report._analyses import Analysis

__all__ = ["Failed", "as_of_line", "cli", "need_scipy", "show", "term_of"]


ORDER = (
    "rfm",
    "segments",
    "pareto",
    "trends",
    "lifecycle",
    "cohorts",
    "forecast",
    "calibrate",
    "clv",
    "profitability",
    "campaigns",
    "attribution",
    "business-case",
    "report",
    "demo",
)
"""The commands in the order ``crmkit --help`` lists them: the order a user meets them."""


class Failed(click.ClickException):
    """A command stopped on bad input: one line ``crmkit: error: ...`` on stderr, exit status 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the one line (on stderr unless *file* is given)."""
        click.echo(f"crmkit: error: {self.message}", file=file, err=file is None)


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002
        rank = {name: i for i, name in enumerate(ORDER)}
        return sorted(self.commands, key=lambda name: rank.get(name, len(ORDER)))

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command: bad input becomes :class:`Failed`, warnings become notes.

        Here rather than in :func:`crmkit._cli._app.run`, so that ``cli`` is the
        whole command line wherever click runs it (``crmkit``, ``python -m``,
        click's ``CliRunner``); ``--debug`` prints the traceback first.
        """
        term = term_of(ctx)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = super().invoke(ctx)
        except (CommandError, CrmkitError) as err:
            if ctx.find_root().ensure_object(dict).get("debug"):
                traceback.print_exc(file=term.err.file)
            message = str(err) if isinstance(err, CommandError) else one_line(err)
            raise Failed(message) from None
        for warning in caught:
            term.note(f"note: {warning.message}")
        return result


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="crmkit", message="%(prog)s %(version)s")
@debug_option
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


def term_of(ctx: click.Context) -> Terminal:
    """Return the terminal the command writes to (one per run, kept by the root context)."""
    obj = ctx.find_root().ensure_object(dict)
    term = obj.get("terminal")
    if not isinstance(term, Terminal):
        term = obj["terminal"] = Terminal()
    return term


def show(
    term: Terminal,
    analysis: Analysis,
    *,
    out: str | None,
    rows: int,
    tables: bool = True,
    head: bool = True,
) -> None:
    """Print an analysis: its findings, caveats, small tables and the head of its full table.

    ``--out`` writes the full table (CSV, Parquet) or the whole result (JSON);
    *tables* and *head* leave out the small tables or the head of the full one
    where the other already shows the same rows.
    """
    for line in analysis.headlines:
        term.line(line)
    for note in analysis.notes:
        term.line(f"Note: {note}")
    if tables:
        for table in analysis.tables:
            term.report_table(table)
    detail = analysis.detail
    if detail is None:
        return
    if out:
        path = write_result(out, detail.columns, detail.result)
        term.note(f"wrote {path}")
    if not head:
        return
    term.table(detail.title, detail.columns, detail.shown, rows=detail.rows or rows)


def day(when: object) -> str:
    """Write a timestamp as its day."""
    return str(np.asarray(when).astype("datetime64[D]"))


def as_of_line(term: Terminal, summary: Any) -> None:
    """Say where observation ends, and how many rows were after it."""
    default = " (default: midnight after the last order)" if summary.as_of_is_default else ""
    term.line(f"as_of {day(summary.as_of)}, exclusive{default}.")
    if summary.n_rows_after_as_of:
        term.note(f"{summary.n_rows_after_as_of:,} rows at or after as_of are left out")


def need_scipy() -> None:
    """Refuse, in one line, a command whose models need scipy when it is missing."""
    import importlib.util  # noqa: PLC0415

    if importlib.util.find_spec("scipy") is None:
        raise CommandError('the lifetime-value models need scipy: pip install "crmkit[models]"')
