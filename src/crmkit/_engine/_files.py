"""Open a CSV or Parquet file as a lazy table: the embedded default for files larger than memory.

:func:`read_file` is what the command line's file subcommands call. With
DuckDB installed (``pip install crmkit[duckdb]``) the file becomes a DuckDB
relation: nothing is read until a push-down runs, and DuckDB streams the
aggregation out of core, so a file larger than RAM works. Without DuckDB,
polars' lazy scan is used when polars is installed, and pyarrow's reader
otherwise (which reads the file into memory).

Parquet columns keep their types, so a Parquet file is aggregated wholly in
DuckDB, out of core. In a CSV file, DuckDB's sniffed types are kept except
for dates and times, which DuckDB would guess (``01/02/2024`` as 1 February):
they stay text and crmkit reads them by its own rules (ISO-8601, or
``date_format=``), which happens in numpy, so a CSV file must fit in memory.
Convert a large CSV file to Parquet first (DuckDB: ``COPY (FROM 'x.csv') TO
'x.parquet'``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Final

from crmkit.errors import InputError

__all__ = ["read_file"]

_SUFFIXES: Final = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet"}


def read_file(path: str | os.PathLike[str], *, function: str = "crmkit") -> Any:  # noqa: ANN401
    """Return a lazy table over a CSV or Parquet file (DuckDB, else polars, else pyarrow).

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (``.tsv``, ``.txt``) or ``.parquet`` file.
    function : str
        The caller, for error messages.

    Returns
    -------
    DuckDB relation, polars LazyFrame or pyarrow Table
        Pass it to any crmkit function; a lazy one is aggregated in its engine.

    Raises
    ------
    InputError
        If the file does not exist or its suffix is neither CSV nor Parquet.
    ImportError
        If none of duckdb, polars and pyarrow is installed.
    """
    file = Path(path)
    kind = _SUFFIXES.get(file.suffix.lower())
    if kind is None:
        raise InputError(
            f"{function} reads .csv and .parquet files; got {str(file)!r}.",
            field="path",
            hint="Convert the file to CSV or Parquet, or load it yourself and pass the frame.",
        )
    if not file.is_file():
        raise InputError(f"{function} found no file at {str(file)!r}.", field="path")
    if importlib.util.find_spec("duckdb") is not None:
        return _duckdb(file, kind)
    if importlib.util.find_spec("polars") is not None:
        import polars as pl  # noqa: PLC0415  (optional)

        return pl.scan_parquet(file) if kind == "parquet" else pl.scan_csv(file)
    if importlib.util.find_spec("pyarrow") is not None:
        if kind == "parquet":
            import pyarrow.parquet as pq  # noqa: PLC0415  (optional)

            return pq.read_table(file)
        import pyarrow.csv as pacsv  # noqa: PLC0415  (optional)

        return pacsv.read_csv(file)
    msg = f"{function} reads files with duckdb, polars or pyarrow; pip install crmkit[duckdb]"
    raise ImportError(msg)


def _duckdb(file: Path, kind: str) -> Any:  # noqa: ANN401
    import duckdb  # noqa: PLC0415  (optional: the duckdb extra)

    if kind == "parquet":
        return duckdb.read_parquet(str(file))
    sniffed = duckdb.read_csv(str(file))
    # DuckDB's sniffer guesses date layouts (01/02/2024 becomes 1 February): crmkit never
    # guesses, so dates stay text and are read by crmkit's rules (ISO-8601 or date_format)
    temporal = {
        name: "VARCHAR"
        for name, dtype in zip(sniffed.columns, sniffed.types, strict=True)
        if str(dtype).startswith(("DATE", "TIMESTAMP", "TIME"))
    }
    return duckdb.read_csv(str(file), dtype=temporal) if temporal else sniffed
