"""The ``crmkit`` command line (presentation layer: depends on the core, never the reverse)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crmkit._demo import run_demo
from crmkit._version import __version__
from crmkit.errors import CrmkitError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmkit",
        description="crmkit: the calculation engine of analytical CRM.",
    )
    parser.add_argument("--version", action="version", version=f"crmkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="analyse a simulated company end to end",
        description=(
            "Simulate a company (customers who buy till they die, a sales pipeline) and print "
            "its RFM segments, revenue concentration, lifecycle stages, pipeline forecast "
            "and customer lifetime value."
        ),
    )
    demo.add_argument("--customers", type=int, default=5_000, help="customers to simulate")
    demo.add_argument("--start", default="2023-01-01", help="first day of the window")
    demo.add_argument("--end", default="2025-01-01", help="day after the window")
    demo.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on bad input.

    Examples
    --------
    >>> main(["demo", "--customers", "300", "--seed", "1"])  # doctest: +ELLIPSIS
    crmkit ... demo: 300 simulated customers, seed 1
    ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        run_demo(
            n_customers=args.customers,
            start=args.start,
            end=args.end,
            seed=args.seed,
            out=sys.stdout,
        )
    except CrmkitError as err:
        sys.stderr.write(f"crmkit: error: {err}\n")
        return 2
    return 0
