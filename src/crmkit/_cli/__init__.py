"""The ``crmkit`` command line (presentation layer: depends on the core, never the reverse).

click and rich (the ``cli`` extra) and pyarrow (the ``files`` extra) are
imported only when a command runs: ``import crmkit`` loads none of them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

from crmkit._version import __version__

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on bad input (one line on stderr says what and where).

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    crmkit ...
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        sys.stdout.write(f"crmkit {__version__}\n")
        return 0
    missing = [name for name in ("click", "rich") if importlib.util.find_spec(name) is None]
    if missing:
        sys.stderr.write(
            f'crmkit: the command line needs {" and ".join(missing)}: pip install "crmkit[cli]"\n'
        )
        return 2
    from crmkit._cli._app import run  # noqa: PLC0415

    return run(args)
