"""The ``crmkit`` commands (click): each reads files, runs one analysis, shows it.

Presentation only: the numbers and their sentences come from
:mod:`crmkit.report._analyses` (shared with the report), which names the
library functions behind them. The commands live by concept in the modules
imported below, in the order ``crmkit --help`` lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from crmkit._cli import _customers, _lifecycle, _pipeline, _promotion, _report, _value
from crmkit._cli._group import cli
from crmkit._cli._output import Terminal

__all__ = ["cli", "run"]

COMMANDS = (_customers, _lifecycle, _pipeline, _value, _promotion, _report)
"""The modules whose commands ``cli`` holds (importing them registers the commands)."""


def run(args: Sequence[str], *, terminal: Terminal | None = None) -> int:
    """Run the command line on *args* and return the exit status (2 for bad input).

    ``cli`` itself turns bad input into one line on stderr (see
    :class:`crmkit._cli._group.Failed`); this only picks the terminal and
    returns the status instead of exiting.
    """
    term = terminal if terminal is not None else Terminal()
    obj: dict[str, Any] = {"terminal": term}
    try:
        cli.main(args=list(args), prog_name="crmkit", standalone_mode=False, obj=obj)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as err:
        err.show(file=term.err.file)
        return 2
    except click.exceptions.Abort:
        term.note("aborted")
        return 1
    return 0
