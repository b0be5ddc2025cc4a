"""Reading the user's CSV and Parquet files (pyarrow), guessing columns, and explaining errors.

Every problem with a file becomes one :class:`CommandError`: one line naming the
file, the column, the line numbers and what is valid. CSV files are parsed by
pyarrow; the standard library's ``csv`` module is used only after a failure,
to find the file line of a bad row (a quoted field may span lines).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import attrs

from crmkit.errors import CrmkitError, InputError

__all__ = [
    "GUESSES",
    "CommandError",
    "InputFile",
    "guess_columns",
    "one_line",
    "read_file",
]


class CommandError(Exception):
    """A problem the command line reports in one line (exit status 2)."""


GUESSES: Mapping[str, tuple[str, ...]] = {
    "customer": (
        "customer",
        "customer_id",
        "customerid",
        "cust_id",
        "custid",
        "client_id",
        "clientid",
        "client",
        "user_id",
        "userid",
        "member_id",
        "account_id",
        "buyer_id",
        "customer_no",
        "customer_number",
        "customer_code",
    ),
    "timestamp": (
        "timestamp",
        "order_date",
        "orderdate",
        "invoicedate",
        "invoice_date",
        "purchase_date",
        "transaction_date",
        "order_time",
        "order_datetime",
        "date",
        "datetime",
        "created_at",
        "ordered_at",
        "time",
    ),
    "amount": (
        "amount",
        "revenue",
        "sales",
        "sales_amount",
        "order_value",
        "order_total",
        "order_amount",
        "net_amount",
        "total",
        "value",
        "spend",
        "price",
        "monetary",
    ),
    "product": ("product", "product_id", "product_category", "category", "sku", "item"),
    "id": ("id", "opportunity", "opportunity_id", "opp_id", "deal_id", "deal"),
    "stage": ("stage", "stage_name", "deal_stage", "status"),
    "close_date": (
        "close_date",
        "expected_close",
        "expected_close_date",
        "closedate",
        "close",
        "closing_date",
    ),
    "created": ("created", "created_date", "created_at", "createddate", "open_date"),
    "entered": ("entered", "entered_at", "stage_date", "changed_at", "timestamp", "date"),
    "reason": ("reason", "loss_reason", "win_reason", "close_reason"),
    "activity": ("activity", "activity_name", "driver", "cost_driver"),
    "unit_cost": ("unit_cost", "cost", "cost_per_unit", "rate"),
}
"""Column names tried for each field, in order (matched ignoring case, spaces and ``_``)."""

_DELIMITERS = {";": "';'", "\t": "tab ('\\t')", "|": "'|'"}
_CANONICAL_INT = r"^(0|-?[1-9][0-9]{0,17})$"


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


@attrs.frozen
class InputFile:
    """A table read from the user's file, with what is needed to point at its lines."""

    label: str
    kind: Literal["csv", "parquet"]
    table: Any
    path: Path | None = None
    data: bytes | None = None
    delimiter: str = ","

    @property
    def columns(self) -> list[str]:
        """The column names, in file order."""
        return [str(n) for n in self.table.column_names]

    def where(self, positions: Sequence[int]) -> str:
        """Say where 0-based data rows are: file lines for CSV, row numbers for Parquet."""
        if not positions:
            return ""
        if self.kind == "parquet":
            numbers = [p + 1 for p in positions]
            noun = "row" if len(numbers) == 1 else "rows"
            return f"{noun} {', '.join(map(str, numbers))} (counting from 1)"
        lines = self._lines(positions)
        noun = "line" if len(lines) == 1 else "lines"
        return f"{noun} {', '.join(map(str, lines))}"

    def _text(self) -> Iterator[str]:
        if self.data is not None:
            yield from io.StringIO(self.data.decode("utf-8", errors="replace"), newline="")
        elif self.path is not None:
            with self.path.open(encoding="utf-8", errors="replace", newline="") as handle:
                yield from handle

    def _lines(self, positions: Sequence[int]) -> list[int]:
        wanted = set(positions)
        last = max(wanted)
        found: dict[int, int] = {}
        reader = csv.reader(self._text(), delimiter=self.delimiter)
        record = -1  # the header is record -1
        previous = 0
        for row in reader:
            start = previous + 1
            previous = reader.line_num
            if not row:
                continue
            if record in wanted:
                found[record] = start
            if record >= last:
                break
            record += 1
        return [found.get(p, p + 2) for p in positions]

    def first_bad_width(self) -> str | None:
        """Find the first CSV line whose number of fields differs from the header's."""
        reader = csv.reader(self._text(), delimiter=self.delimiter)
        width: int | None = None
        previous = 0
        for row in reader:
            start = previous + 1
            previous = reader.line_num
            if not row:
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                return f"line {start} has {len(row)} fields, the header has {width}"
        return None


def _kind(path: str) -> Literal["csv", "parquet"]:
    return "parquet" if path.lower().endswith((".parquet", ".pq")) else "csv"


def _pyarrow() -> Any:  # noqa: ANN401
    try:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute  # noqa: PLC0415
        import pyarrow.csv  # noqa: PLC0415
        import pyarrow.parquet  # noqa: PLC0415
    except ImportError:
        raise CommandError(
            'reading CSV and Parquet files needs pyarrow: pip install "crmkit[files]"'
        ) from None
    return pa


def read_file(
    path: str,
    *,
    what: str,
    delimiter: str | None,
    fields: Mapping[str, str | None],
    text_fields: Sequence[str] = (),
    id_fields: Sequence[str] = (),
) -> tuple[InputFile, dict[str, str]]:
    """Read a CSV or Parquet file (``-`` is CSV on stdin) into a pyarrow table.

    *fields* maps crmkit fields to the user's columns: a name, ``None`` to
    guess a required one, ``""`` to guess an optional one. The columns found
    are returned beside the file. The columns of *text_fields* are read as
    text, so that crmkit, not the CSV reader, decides what they hold (dates,
    ids); *id_fields* then become integers when every value is a plain
    integer written without leading zeros ("007" stays text).
    """
    pa = _pyarrow()
    label = "stdin" if path == "-" else path
    kind = "csv" if path == "-" else _kind(path)
    source: Path | None = None
    data: bytes | None = None
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{label}: no such file")
        if source.is_dir():
            raise CommandError(f"{label}: is a folder, not a {what} file")
        if source.stat().st_size == 0:
            raise CommandError(
                f"{label}: the file is empty (expected a header line and {what} rows)"
            )
    sep = delimiter or ("\t" if path.lower().endswith((".tsv", ".tab")) else ",")
    if kind == "parquet":
        try:
            table = pa.parquet.read_table(source)
        except (pa.ArrowException, OSError) as err:
            raise CommandError(
                f"{label}: not a readable Parquet file ({_first_line(err)})"
            ) from None
        file = InputFile(label=label, kind="parquet", table=table, path=source)
        mapping = guess_columns(file, fields, what=what)
        return file, mapping
    parse = pa.csv.ParseOptions(delimiter=sep, newlines_in_values=True)
    stream = io.BytesIO(data) if data is not None else source
    try:
        names = [str(n) for n in pa.csv.open_csv(stream, parse_options=parse).schema.names]
    except pa.ArrowInvalid as err:
        if "Empty CSV" in str(err):
            raise CommandError(
                f"{label}: the file is empty (expected a header line and {what} rows)"
            ) from None
        raise _csv_problem(err, InputFile(label, "csv", None, source, data, sep)) from None
    header = InputFile(label=label, kind="csv", table=_Names(names), path=source, data=data)
    if delimiter is None and len(names) == 1:
        for char, said in _DELIMITERS.items():
            if char in names[0]:
                raise CommandError(
                    f"{label}: the header {names[0]!r} reads as one column with delimiter ','; "
                    f"the file looks {said}-separated: pass --delimiter {said.split(' ')[0]}"
                )
    mapping = guess_columns(header, fields, what=what)
    as_text = [mapping[f] for f in text_fields if f in mapping]
    convert = pa.csv.ConvertOptions(
        column_types={name: pa.string() for name in as_text if name in names},
        strings_can_be_null=False,
    )
    stream = io.BytesIO(data) if data is not None else source
    try:
        table = pa.csv.read_csv(stream, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as err:
        raise _csv_problem(err, InputFile(label, "csv", None, source, data, sep)) from None
    if table.num_rows == 0:
        raise CommandError(f"{label}: the file has a header but no {what} rows")
    table = _integer_ids(pa, table, [mapping[f] for f in id_fields if f in mapping])
    file = InputFile(label=label, kind="csv", table=table, path=source, data=data, delimiter=sep)
    return file, mapping


def _csv_problem(err: Exception, file: InputFile) -> CommandError:
    detail = file.first_bad_width() if "columns" in str(err) else None
    return CommandError(f"{file.label}: cannot read it as CSV ({detail or _first_line(err)})")


@attrs.frozen
class _Names:
    """Stands in for a table while only the header has been read."""

    column_names: list[str]


def _integer_ids(pa: Any, table: Any, columns: Sequence[str]) -> Any:  # noqa: ANN401
    compute = pa.compute
    for name in columns:
        column = table.column(name)
        if not pa.types.is_string(column.type):
            continue
        plain = compute.match_substring_regex(column, _CANONICAL_INT)
        if compute.all(plain).as_py():
            index = table.column_names.index(name)
            table = table.set_column(index, name, compute.cast(column, pa.int64()))
    return table


def guess_columns(
    file: InputFile | Any,  # noqa: ANN401
    wanted: Mapping[str, str | None],
    *,
    what: str,
) -> dict[str, str]:
    """Map each wanted field to a column: the one given, or one guessed from common names.

    A field mapped to ``None`` is guessed; a field whose value is ``""`` is
    optional and guessed only when a known name is present. Raises
    :class:`CommandError` for a given column the file lacks or a required field
    that could not be guessed.
    """
    names = list(file.table.column_names)
    keyed = {_key(n): n for n in reversed(names)}
    found: dict[str, str] = {}
    taken: set[str] = set()
    for field, given in wanted.items():
        flag = "--" + field.replace("_", "-")
        if given:
            if given not in names:
                close = difflib.get_close_matches(given, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise CommandError(
                    f"{file.label}: no column {given!r} ({flag}); the columns are "
                    f"{', '.join(names)}{hint}"
                )
            found[field] = given
            taken.add(given)
            continue
        for candidate in GUESSES.get(field, (field,)):
            column = keyed.get(_key(candidate))
            if column is not None and column not in taken:
                found[field] = column
                taken.add(column)
                break
        else:
            if given is None:
                raise CommandError(
                    f"{file.label}: no column found for the {field} of each {what} row: "
                    f"pass {flag} COLUMN (the columns are {', '.join(names)})"
                )
    return found


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


_ROWS = re.compile(
    r"^The '(?P<field>[^']+)'(?: \('[^']*'\))? (?:column|parameter)(?: \('[^']*'\))? of "
    r"(?P<function>\S+) (?P<requirement>.+?)(?:: \d+ bad rows?,.*)?$"
)


def _cli_hint(hint: str) -> str:
    text = re.sub(r"date_format=('[^']*')", r"--date-format \1", hint)
    return text.replace("pass date_format", "pass --date-format")


def one_line(
    err: CrmkitError,
    *,
    file: InputFile | None = None,
    columns: Mapping[str, str] | None = None,
) -> str:
    """Say *err* in one line; with the file it was read from, name the column and file lines."""
    text = str(err).split("\nHint: ")[0].strip()
    first = text.splitlines()[0] if text else type(err).__name__
    if not isinstance(err, InputError):
        return first
    hint = f" Hint: {_cli_hint(err.hint)}" if err.hint else ""
    mapped = dict(columns or {})
    column = err.column or (mapped.get(err.field) if err.field else None)
    if file is None or column is None or column not in file.columns:
        return f"{first}{hint}"
    match = _ROWS.match(first)
    requirement = match.group("requirement") if match else first
    flag = f"--{err.field.replace('_', '-')}" if err.field in mapped else None
    name = f"column {column!r}" + (f" ({flag})" if flag else "")
    where = ""
    if err.positions:
        shown = ", ".join(repr(v) for v in err.values)
        count = f"{err.n_bad:,} bad rows, " if err.n_bad and err.n_bad > 1 else ""
        more = ", ..." if err.n_bad and err.n_bad > len(err.positions) else ""
        noun = "value" if len(err.values) == 1 else "values"
        where = f": {count}{file.where(err.positions)}{more} ({noun} {shown})"
    return f"{file.label}: {name} {requirement}{where}.{hint}"


@contextmanager
def reading(file: InputFile, columns: Mapping[str, str]) -> Iterator[None]:
    """Turn a crmkit error raised while reading *file* into a one-line :class:`CommandError`."""
    try:
        yield
    except CrmkitError as err:
        raise CommandError(one_line(err, file=file, columns=columns)) from err
