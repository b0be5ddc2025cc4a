"""Terminal tables and progress (rich), and result files (CSV, JSON, Parquet by extension)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from crmkit._cli._files import CommandError
from crmkit.report import ColumnFormat, format_cell

__all__ = ["Column", "Terminal", "write_result"]

Column = tuple[str, str, ColumnFormat]
"""A column to show: (field of the result table, heading, format)."""

_PROGRESS_AFTER_S = 2.0


class Terminal:
    """Where a command writes: tables on stdout, notes and progress on stderr."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        from rich.console import Console  # noqa: PLC0415

        stdout = out if out is not None else sys.stdout
        stderr = err if err is not None else sys.stderr
        wide = None if stdout.isatty() else 200
        self.out = Console(file=stdout, width=wide, highlight=False, soft_wrap=False)
        self.err = Console(file=stderr, highlight=False, soft_wrap=True)

    def note(self, text: str) -> None:
        """Say something on stderr (what was guessed, a caveat)."""
        self.err.print(f"crmkit: {text}", markup=False)

    def line(self, text: str = "") -> None:
        """Print a line of the summary on stdout."""
        self.out.print(text, markup=False)

    def table(
        self,
        title: str,
        columns: Mapping[str, npt.NDArray[Any]],
        shown: Sequence[Column],
        *,
        rows: int,
    ) -> None:
        """Print the first *rows* rows of *columns* as an aligned table."""
        from rich.table import Table  # noqa: PLC0415

        n = int(np.asarray(next(iter(columns.values()))).shape[0]) if columns else 0
        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        for _field, heading, kind in shown:
            table.add_column(heading, justify="left" if kind in ("text", "date") else "right")
        for i in range(min(n, rows)):
            table.add_row(*(_cell(columns[f][i], kind) for f, _h, kind in shown))
        self.out.print(table)
        if n > rows:
            self.out.print(
                f"... {n - rows:,} more rows (write them all with --out FILE)", markup=False
            )

    @contextmanager
    def progress(self, label: str) -> Iterator[None]:
        """Show a spinner on stderr if the work takes more than about two seconds.

        Only when stderr is a terminal: redirected output stays clean.
        """
        if not self.err.is_terminal:
            yield
            return
        status = self.err.status(label)
        timer = threading.Timer(_PROGRESS_AFTER_S, status.start)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            status.stop()


def _cell(value: object, kind: ColumnFormat) -> str:
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return format_cell(int(value), kind)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return format_cell(number if np.isfinite(number) else None, kind)
    return str(value)


def write_result(path: str, columns: Mapping[str, npt.NDArray[Any]], result: object) -> Path:
    """Write *columns* as CSV or Parquet, or *result* in full as JSON, by the file's extension."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".json":
        to_dict = getattr(result, "to_dict", None)
        payload = to_dict() if callable(to_dict) else result
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        _write(target, lambda p: p.write_text(text + "\n", encoding="utf-8"))
        return target
    if suffix not in (".csv", ".parquet", ".pq"):
        raise CommandError(f"--out {path}: the name must end in .csv, .json or .parquet")
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv  # noqa: PLC0415
    import pyarrow.parquet  # noqa: PLC0415

    table = pa.table({name: _arrow(np.asarray(col)) for name, col in columns.items()})
    if suffix == ".csv":
        _write(target, lambda p: pa.csv.write_csv(table, p))
    else:
        _write(target, lambda p: pa.parquet.write_table(table, p))
    return target


def _arrow(values: npt.NDArray[Any]) -> Any:  # noqa: ANN401
    import pyarrow as pa  # noqa: PLC0415

    if values.dtype.kind == "U":
        return pa.array(values.tolist(), type=pa.string())
    if values.dtype.kind == "f":
        return pa.array(values, from_pandas=True)  # NaN (e.g. "not observable") becomes empty
    return pa.array(values)


def _write(target: Path, write: Any) -> None:  # noqa: ANN401
    try:
        write(target)
    except OSError as err:
        raise CommandError(f"--out {target}: cannot write it ({err.strerror or err})") from None
