"""The ``crmkit`` command line (presentation layer: depends on the core, never the reverse)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from crmkit._groups import factorize
from crmkit._transactions import Transactions
from crmkit._version import __version__
from crmkit.datasets import simulate_transactions
from crmkit.errors import CrmkitError
from crmkit.periods import default_as_of

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
        help="simulate a customer base and summarise it",
        description="Simulate a realistic transaction log and print a short summary of it.",
    )
    demo.add_argument("--customers", type=int, default=5_000, help="customers to simulate")
    demo.add_argument("--start", default="2023-01-01", help="first day of the window")
    demo.add_argument("--end", default="2025-01-01", help="day after the window")
    demo.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    return parser


def _summary(tx: Transactions, out: TextIO) -> None:
    groups = factorize(tx.customer)
    revenue = np.bincount(groups.codes, weights=tx.amount, minlength=groups.n_groups)
    purchases = np.bincount(groups.codes, weights=tx.amount > 0, minlength=groups.n_groups)
    ranked = np.sort(revenue)[::-1]
    top = max(1, round(0.2 * ranked.size))
    share_top = ranked[:top].sum() / ranked.sum()
    as_of = default_as_of(tx.timestamp)
    last = np.full(groups.n_groups, np.datetime64("NaT", "us"))
    order = np.argsort(tx.timestamp, kind="stable")
    last[groups.codes[order]] = tx.timestamp[order]
    active = (as_of - last) <= np.timedelta64(90, "D")
    lines = [
        f"transactions      {tx.n_rows:>12,}",
        f"customers         {groups.n_groups:>12,}",
        (
            f"window            {tx.timestamp.min().astype('M8[D]')} to "
            f"{tx.timestamp.max().astype('M8[D]')} (as_of {as_of.astype('M8[D]')})"
        ),
        f"net revenue       {tx.amount.sum():>12,.2f}",
        f"refund rows       {tx.n_negative:>12,}",
        f"repeat buyers     {np.mean(purchases > 1):>12.1%}",
        f"top 20% revenue   {share_top:>12.1%}",
        f"active last 90d   {np.mean(active):>12.1%}",
    ]
    out.write("\n".join(lines) + "\n")


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
    transactions ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        tx = simulate_transactions(args.customers, args.start, args.end, seed=args.seed)
        sys.stdout.write(
            f"crmkit {__version__} demo: {args.customers:,} simulated customers, seed {args.seed}\n"
        )
        _summary(tx, sys.stdout)
    except CrmkitError as err:
        sys.stderr.write(f"crmkit: error: {err}\n")
        return 2
    return 0
