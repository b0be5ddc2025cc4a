"""From the user's files to crmkit's validated inputs (orders, pipeline, stage history, costs)."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from crmkit._cli._files import CommandError, InputFile, _Names, guess_columns, read_file, reading
from crmkit._cli._output import Terminal
from crmkit._transactions import Transactions, as_transactions
from crmkit.funnel import DEFAULT_PROCESS, Opportunities, SalesProcess, StageHistory

__all__ = [
    "OrderColumns",
    "read_activities",
    "read_history",
    "read_opportunities",
    "read_orders",
    "read_table",
    "read_unit_costs",
]


@attrs.frozen(kw_only=True)
class OrderColumns:
    """The column flags of an orders file (None: guess it)."""

    customer: str | None = None
    timestamp: str | None = None
    amount: str | None = None
    date_format: str | None = None
    delimiter: str | None = None


def _say_guessed(
    term: Terminal,
    file: InputFile,
    fields: Mapping[str, str | None],
    found: Mapping[str, str],
    *,
    flags: Mapping[str, str] | None = None,
) -> None:
    guessed = [f for f in found if not fields.get(f)]
    if guessed:
        pairs = ", ".join(f"{f}={found[f]!r}" for f in guessed)
        names = flags if flags is not None else {f: "--" + f.replace("_", "-") for f in guessed}
        how = ", ".join(names[f] for f in guessed if f in names)
        said = f" (set them with {how})" if how else ""
        term.note(f"{file.label}: guessed the columns {pairs}{said}")


def read_orders(
    path: str, cols: OrderColumns, term: Terminal, *, extra: Mapping[str, str | None] = {}
) -> tuple[Transactions, InputFile]:
    """Read an orders file into ``Transactions`` (*extra*: more fields, None or "" to guess)."""
    fields: dict[str, str | None] = {
        "customer": cols.customer,
        "timestamp": cols.timestamp,
        "amount": cols.amount,
        **extra,
    }
    with term.progress(f"reading {path}"):
        file, found = read_file(
            path,
            what="order",
            delimiter=cols.delimiter,
            fields=fields,
            text_fields=["customer", "timestamp", *(f for f in extra if f != "cogs")],
            id_fields=["customer"],
        )
        _say_guessed(term, file, fields, found)
        with reading(file, found):
            tx = as_transactions(
                file.table,
                customer=found["customer"],
                timestamp=found["timestamp"],
                amount=found["amount"],
                extra={f: found[f] for f in extra if f in found},
                date_format=cols.date_format,
            )
    return tx, file


def lazy_orders(
    path: str, cols: OrderColumns, term: Terminal
) -> tuple[Any, dict[str, str], InputFile] | None:
    """Open a Parquet orders file as a DuckDB relation, aggregated out of core (None: read it).

    Used when DuckDB is installed (``pip install "crmkit[duckdb]"``): nothing is
    read here; the summary's heavy step runs in DuckDB, so a file larger than
    memory works. CSV files (whose dates crmkit reads by its own rules) and
    files DuckDB cannot open take the ordinary path, which also reports errors.
    """
    if not path.lower().endswith((".parquet", ".pq")) or not Path(path).is_file():
        return None
    if importlib.util.find_spec("duckdb") is None:
        return None
    import duckdb  # noqa: PLC0415  (optional: the duckdb extra)

    try:
        relation = duckdb.read_parquet(path)
        names = [str(name) for name in relation.columns]
    except duckdb.Error:
        return None
    fields: dict[str, str | None] = {
        "customer": cols.customer,
        "timestamp": cols.timestamp,
        "amount": cols.amount,
    }
    file = InputFile(label=path, kind="parquet", table=_Names(names), path=Path(path))
    found = guess_columns(file, fields, what="order")
    _say_guessed(term, file, fields, found)
    return relation, found, file


def read_table(
    path: str,
    term: Terminal,
    *,
    what: str,
    delimiter: str | None,
    fields: Mapping[str, str | None],
    flags: Mapping[str, str] | None = None,
) -> tuple[InputFile, dict[str, str]]:
    """Read a helper table (quotas, costs) as it is, with its columns found."""
    with term.progress(f"reading {path}"):
        file, found = read_file(
            path, what=what, delimiter=delimiter, fields=fields, id_fields=list(fields)
        )
    _say_guessed(term, file, fields, found, flags=flags if flags is not None else {})
    return file, found


def sales_process(stages: Sequence[tuple[str, float]], won: str, lost: str) -> SalesProcess:
    """Return the default process, or the one given stage by stage (``--process-stage``)."""
    if not stages:
        return DEFAULT_PROCESS
    from crmkit.funnel import Stage  # noqa: PLC0415

    return SalesProcess(
        stages=tuple(Stage(name=n, probability=p) for n, p in stages), won=won, lost=lost
    )


def read_opportunities(
    path: str,
    term: Terminal,
    *,
    process: SalesProcess,
    columns: Mapping[str, str | None],
    by: Sequence[str],
    delimiter: str | None,
    flags: Mapping[str, str] | None = None,
) -> tuple[Opportunities, InputFile]:
    """Read a pipeline file: one row per deal (id, amount, stage, close date, ...)."""
    fields: dict[str, str | None] = {**columns, **dict.fromkeys(by, "")}
    with term.progress(f"reading {path}"):
        file, found = read_file(
            path,
            what="opportunity",
            delimiter=delimiter,
            fields=fields,
            text_fields=["id", "stage", "close_date", "created", *by],
            id_fields=["id"],
        )
        missing = [d for d in by if d not in found]
        if missing:
            raise CommandError(
                f"{file.label}: no column {missing[0]!r} (--by); the columns are "
                f"{', '.join(file.columns)}"
            )
        _say_guessed(
            term, file, columns, {k: v for k, v in found.items() if k not in by}, flags=flags
        )
        with reading(file, found):
            opps = Opportunities.from_frame(
                file.table,
                process=process,
                id=found["id"],
                amount=found["amount"],
                stage=found["stage"],
                close_date=found.get("close_date"),
                created=found.get("created"),
                dimensions={d: found[d] for d in by},
            )
    return opps, file


def read_history(
    path: str,
    term: Terminal,
    *,
    process: SalesProcess,
    columns: Mapping[str, str | None],
    delimiter: str | None,
    flags: Mapping[str, str] | None = None,
) -> tuple[StageHistory, InputFile]:
    """Read a stage history: one row per stage entered (opportunity, stage, entered)."""
    with term.progress(f"reading {path}"):
        file, found = read_file(
            path,
            what="stage-history",
            delimiter=delimiter,
            fields=columns,
            text_fields=["opportunity", "stage", "entered", "reason"],
            id_fields=["opportunity"],
        )
        _say_guessed(term, file, columns, found, flags=flags)
        with reading(file, found):
            history = StageHistory.from_frame(
                file.table,
                process=process,
                opportunity=found["opportunity"],
                stage=found["stage"],
                entered=found["entered"],
                reason=found.get("reason"),
            )
    return history, file


def read_activities(
    path: str, term: Terminal, *, customer: str | None, delimiter: str | None
) -> tuple[Any, str, InputFile]:
    """Read activity counts per customer: a customer column and one column per activity."""
    file, found = read_table(
        path,
        term,
        what="activity",
        delimiter=delimiter,
        fields={"customer": customer},
        flags={"customer": "--costs-customer"},
    )
    return file.table, found["customer"], file


def read_unit_costs(
    path: str | None, pairs: Sequence[tuple[str, float]], term: Terminal, *, delimiter: str | None
) -> dict[str, float] | None:
    """Read unit costs from ``--unit-cost NAME=VALUE`` pairs and/or a unit-cost file."""
    costs: dict[str, float] = {}
    if path is not None:
        file, found = read_table(
            path,
            term,
            what="unit-cost",
            delimiter=delimiter,
            fields={"activity": None, "unit_cost": None},
        )
        names = file.table.column(found["activity"]).to_pylist()
        values = file.table.column(found["unit_cost"]).to_pylist()
        for i, (name, value) in enumerate(zip(names, values, strict=True)):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                where = file.where([i])
                raise CommandError(
                    f"{file.label}: column {found['unit_cost']!r} must hold numbers: {where} "
                    f"(value {value!r})"
                )
            costs[str(name)] = float(value)
    costs.update(dict(pairs))
    return costs or None
