"""A lazy table read inside its engine: which path, normalised columns, the boundary's checks.

:func:`engine_table` is the one entry point of every push-down. It

1. recognises a lazy table (DuckDB relation, polars LazyFrame, Dask or
   PySpark DataFrame, anything narwhals treats as lazy);
2. asks the engine for its row count and, below :data:`COLLECT_BELOW` rows,
   declines (the caller collects the mapped columns and runs numpy, which is
   faster on small tables);
3. normalises the mapped columns (ids as integers, floats or text; times as
   UTC-naive microseconds; amounts as float64), declining a column type the
   engine rules are not written for (text dates, text amounts): the numpy
   path reads those and applies the very same rules;
4. runs the boundary's rules (``id_rules``, ``datetime_rules``,
   ``amount_rules``, written next to their numpy checks) as one aggregate
   query of bad-row counts, and when a rule fails collects only the first
   offending rows to name them in the :class:`~crmkit.errors.InputError`.

Every call into the engine goes through :meth:`EngineTable.run`: an operation
narwhals does not implement for the engine raises :class:`Unsupported` (the
caller falls back to numpy, and its result says ``computed_in="numpy"``); any
other engine exception becomes an :class:`~crmkit.errors.EngineError` naming
the engine, the step and, when one column is at fault, that column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, TypeVar, cast

import attrs
import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmkit._frames import read_columns
from crmkit._groups import Factorized, factorize
from crmkit._input import (
    DEFAULT_YEARS,
    EngineRule,
    amount_rules,
    as_ids,
    datetime_rules,
    id_rules,
)
from crmkit._values import SHOWN, column_phrase
from crmkit.errors import CrmkitError, EngineError, InputError

__all__ = [
    "COLLECT_BELOW",
    "EngineTable",
    "Field",
    "Unsupported",
    "as_lazy",
    "count_true",
    "engine_name",
    "engine_table",
    "in_id_order",
    "instant",
    "pushdown",
]

COLLECT_BELOW: Final = 1_000_000
"""Lazy tables with fewer rows are collected and computed in numpy (faster at that size)."""

_T = TypeVar("_T")
_MESSAGE_LINES: Final = 6
_FLOAT_MAX: Final = float(np.finfo(np.float64).max)
_LARGEST_POOL: Final = 1000

FieldKind = Literal["id", "time", "amount"]


@attrs.frozen
class Field:
    """One mapped column: the crmkit field, the caller's column and how it is read."""

    name: str
    column: str
    kind: FieldKind


class Unsupported(Exception):  # noqa: N818  (a signal between crmkit modules, never raised to callers)
    """The engine lacks an operation the push-down needs: the numpy path runs instead."""


def as_lazy(data: object) -> nw.LazyFrame[Any] | None:
    """Return *data* as a narwhals LazyFrame when it is a lazy table, else None."""
    if isinstance(data, (np.ndarray, list, tuple, dict, Mapping)) or data is None:
        return None
    converted: object = nw.from_native(cast("Any", data), pass_through=True)
    return converted if isinstance(converted, nw.LazyFrame) else None


def engine_name(frame: nw.LazyFrame[Any]) -> str:
    """Return the engine's name as narwhals spells it (``"duckdb"``, ``"pyspark"``, ...)."""
    return str(frame.implementation.value)


def _first_lines(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    lines = text.splitlines()
    return "\n".join(lines[:_MESSAGE_LINES])


def _call(
    engine: str,
    step: str,
    function: str,
    query: Callable[[], _T],
    blame: Callable[[], Field | None] | None = None,
) -> _T:
    try:
        return query()
    except (CrmkitError, Unsupported):
        raise
    except NotImplementedError as err:
        raise Unsupported(str(err)) from err
    except Exception as err:  # an engine may raise anything; the caller gets a crmkit error
        field = blame() if blame is not None else None
        where = f" (reading the {column_phrase(field.name, field.column)})" if field else ""
        raise EngineError(
            f"{function} could not {step} in {engine}{where}.",
            engine=engine,
            step=step,
            field=field.name if field else None,
            column=field.column if field else None,
            engine_message=_first_lines(err),
            hint="Check the column's type in the engine, or collect the table "
            "(e.g. to pandas or pyarrow) and pass that instead.",
        ) from err


@attrs.frozen(kw_only=True)
class EngineTable:
    """Checked rows inside their engine: one column per crmkit field, named by the field.

    Attributes
    ----------
    frame : narwhals LazyFrame
        The normalised columns: ids, UTC-naive ``Datetime("us")`` times, Float64 amounts.
    engine : str
        The engine's name.
    function : str
        The public function, for messages.
    fields : tuple of Field
        The mapped columns, in the order their rules run.
    n_rows : int
        Rows in the table.
    first, last : mapping of str to numpy.datetime64
        Per time field, its earliest and latest instant.
    extra : mapping of str to object
        The values of the caller's ``extra`` aggregates, computed in the scan
        that checks the rows.
    deferred : tuple of (Field, EngineRule)
        Rules on values alone (blank ids), checked by :meth:`collect` on the
        distinct values it reads.
    """

    frame: nw.LazyFrame[Any]
    source: nw.LazyFrame[Any]
    engine: str
    function: str
    fields: tuple[Field, ...]
    n_rows: int
    first: Mapping[str, np.datetime64]
    last: Mapping[str, np.datetime64]
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    deferred: tuple[tuple[Field, EngineRule], ...] = ()

    def field(self, name: str) -> Field:
        """Return the mapped column of crmkit field *name*."""
        return next(f for f in self.fields if f.name == name)

    def run(self, step: str, query: Callable[[], _T], *, blame: Sequence[str] | None = None) -> _T:
        """Run *query* in the engine; a failure names the step and, if found, the column.

        On a failure, each field in *blame* (default: every field) is read alone,
        and when exactly one of them fails the error names its column.
        """
        fields = list(self.fields) if blame is None else [self.field(name) for name in blame]

        def culprit() -> Field | None:
            return _culprit(self.source, fields)

        return _call(self.engine, step, self.function, query, culprit if fields else None)

    def scalars(
        self, step: str, exprs: Mapping[str, nw.Expr], *, frame: nw.LazyFrame[Any] | None = None
    ) -> dict[str, Any]:
        """Return one aggregate row (counts, bounds) as Python values."""
        lf = self.frame if frame is None else frame
        selected = [e.alias(k) for k, e in exprs.items()]
        row = self.run(step, lambda: lf.select(*selected).collect().to_dict(as_series=False))
        return {k: v[0] for k, v in row.items()}

    def collect(
        self, step: str, frame: nw.LazyFrame[Any], *, ids: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Collect a small aggregated table and read its columns as numpy arrays.

        The rules on values alone (:attr:`deferred`) run here, by the numpy id
        check on the collected values; when one fails, the engine counts the
        offending rows and the error names them as any engine rule does.
        """
        eager = self.run(step, frame.collect)
        names = {name: name for name in eager.columns}
        try:  # text ids factorised from Arrow are checked for blanks there
            cols = read_columns(eager.to_native(), names, function=self.function, ids=ids)
        except InputError as err:
            raise self._deferred_error(err) from None
        for field, _ in self.deferred:
            values = cols.get(field.name)
            if values is None or isinstance(values, Factorized):
                continue
            try:
                as_ids(values, field=field.name, function=self.function)
            except InputError as err:
                raise self._deferred_error(err) from None
        return cols

    def _deferred_error(self, err: InputError) -> InputError:
        """Return the engine's count and rows for a value rule the collected values broke."""
        for field, rule in self.deferred:
            if field.name == err.field and rule.requirement in str(err):
                bad = cast("nw.Expr", rule.bad)
                n_bad = self.scalars("count the bad rows", {"n": count_true(bad)})["n"]
                return _rows_error(self, field, rule, int(n_bad))
        return err


def count_true(condition: nw.Expr) -> nw.Expr:
    """Count the rows where *condition* holds; a null condition (a null input) does not count.

    Booleans are cast before summing: Spark refuses to sum them.
    """
    return condition.fill_null(value=False).cast(nw.Int64).sum()


def instant(value: np.datetime64) -> dt.datetime:
    """*value* as the naive datetime an engine compares its (naive UTC) timestamps with."""
    out: dt.datetime = value.astype("datetime64[us]").item()
    return out


def _culprit(source: nw.LazyFrame[Any], fields: Sequence[Field]) -> Field | None:
    """After a failure: the one field whose column alone makes the engine fail, if any."""
    failing = []
    for field in fields:
        probe = _normalised(source.collect_schema()[field.column], field)
        if probe is None:
            continue
        try:
            source.select(probe.null_count().alias("n")).collect()
        except Exception:  # noqa: BLE001  (probing which column the engine refuses)
            failing.append(field)
    return failing[0] if len(failing) == 1 else None


def _normalised(dtype: nw.dtypes.DType, field: Field) -> nw.Expr | None:
    """Return the column of *field* in crmkit's form; None when only numpy reads it."""
    col = nw.col(field.column)
    if field.kind == "id":
        if dtype.is_integer() or dtype.is_float():
            return col
        if dtype in (nw.String, nw.Categorical, nw.Enum):
            return col.cast(nw.String)
        return None
    if field.kind == "time":
        if dtype == nw.Date:
            return col.cast(nw.Datetime("us"))
        if not isinstance(dtype, nw.Datetime):
            return None  # text and numbers: ISO-8601 and date_format are read by numpy
        zone = dtype.time_zone
        if zone is not None:
            if zone not in {"UTC", "Etc/UTC"}:
                col = col.dt.convert_time_zone("UTC")
            col = col.dt.replace_time_zone(None)
        return col if dtype.time_unit == "us" else col.cast(nw.Datetime("us"))
    if dtype.is_numeric() and dtype != nw.Boolean:
        return col.cast(nw.Float64)
    return None


def _rules(
    field: Field, dtype: nw.dtypes.DType, valid_years: tuple[int, int]
) -> tuple[EngineRule, ...]:
    col = nw.col(field.name)
    if field.kind == "id":
        return id_rules(dtype, col) or ()
    if field.kind == "time":
        return datetime_rules(col, valid_years)
    return amount_rules(nw.Float64(), col) or ()


def pushdown(data: object, function: str, call: Callable[[], _T]) -> _T | None:
    """Run a push-down: None when the engine lacks an operation (the numpy path runs instead).

    Any other engine exception, raised while the query is built (some engines
    bind expressions as soon as they are written) or run, becomes an
    :class:`~crmkit.errors.EngineError`.
    """
    lf = as_lazy(data)
    engine = engine_name(lf) if lf is not None else "the engine"
    try:
        return _call(engine, "build the query", function, call)
    except Unsupported:
        return None


def engine_table(
    data: object,
    fields: Sequence[Field],
    *,
    function: str,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
    extra: Mapping[str, nw.Expr] | None = None,
) -> EngineTable | None:
    """Return the checked, normalised columns of a lazy table, or None for the numpy path.

    None means: *data* is not lazy, has fewer than :data:`COLLECT_BELOW` rows
    (or none), lacks a mapped column (the numpy path names it), or holds a
    column type the engine rules are not written for. *extra* aggregates
    (over the normalised columns, named by field) run in the same scan as the
    checks, so a push-down that knows its window reads the rows once more only
    to aggregate them.

    Raises
    ------
    InputError
        When rows break a boundary rule; the message shows the first offending
        rows with their other columns (a lazy table has no row positions).
    EngineError
        When the engine fails a step.
    Unsupported
        When the engine lacks an operation (the caller falls back to numpy).
    """
    lf = as_lazy(data)
    if lf is None:
        return None
    engine = engine_name(lf)
    schema = _call(engine, "read the schema", function, lf.collect_schema)
    if any(f.column not in schema for f in fields):
        return None
    n_rows = int(
        _call(
            engine,
            "count the rows",
            function,
            lambda: lf.select(nw.len().alias("n")).collect().item(0, "n"),
        )
    )
    if n_rows == 0 or n_rows < COLLECT_BELOW:
        return None
    exprs = {}
    for field in fields:
        expr = _normalised(schema[field.column], field)
        if expr is None:
            return None
        exprs[field.name] = expr
    frame = lf.select(*(e.alias(name) for name, e in exprs.items()))
    table = EngineTable(
        frame=frame,
        source=lf,
        engine=engine,
        function=function,
        fields=tuple(fields),
        n_rows=n_rows,
        first={},
        last={},
    )
    return _checked(table, schema, valid_years, extra or {})


def _checked(
    table: EngineTable,
    schema: Mapping[str, nw.dtypes.DType],
    valid_years: tuple[int, int],
    extra: Mapping[str, nw.Expr],
) -> EngineTable:
    """Count the bad rows of every rule in one query; raise for the first broken rule."""
    checks: dict[str, nw.Expr] = {}
    rules: list[tuple[Field, EngineRule, str]] = []
    deferred: list[tuple[Field, EngineRule]] = []
    for i, field in enumerate(table.fields):
        for j, rule in enumerate(_rules(field, schema[field.column], valid_years)):
            if rule.per_value:
                deferred.append((field, rule))
                continue
            key = f"r{i}_{j}"
            rules.append((field, rule, key))
            if rule.bad is not None:
                checks[key] = count_true(rule.bad)
            elif rule.total is not None:
                checks[key] = rule.total.cast(nw.Int64)
    times = [f.name for f in table.fields if f.kind == "time"]
    for name in times:
        checks[f"first_{name}"] = nw.col(name).min()
        checks[f"last_{name}"] = nw.col(name).max()
    checks.update({f"extra_{name}": e for name, e in extra.items()})
    counts = table.scalars("check the rows", checks) if checks else {}
    for field, rule, key in rules:
        n_bad = int(counts[key] or 0)
        if n_bad:
            raise _rows_error(table, field, rule, n_bad)
    return attrs.evolve(
        table,
        first={name: np.datetime64(counts[f"first_{name}"], "us") for name in times},
        last={name: np.datetime64(counts[f"last_{name}"], "us") for name in times},
        extra={name: counts[f"extra_{name}"] for name in extra},
        deferred=tuple(deferred),
    )


def _rows_error(table: EngineTable, field: Field, rule: EngineRule, n_bad: int) -> InputError:
    """Name the first offending rows of a broken rule (only they are collected)."""

    def shown() -> list[dict[str, Any]]:
        if rule.bad is not None:
            bad = table.frame.filter(rule.bad.fill_null(value=False))
        else:
            # a table rule (magnitudes summing past float64's range): some row holds at
            # least 1/n of the limit; the largest of those are shown (no sort: Dask lacks it)
            by = cast("nw.Expr", rule.shown_by)
            big = table.frame.filter(by >= _FLOAT_MAX / table.n_rows).head(_LARGEST_POOL)
            rows = big.collect().rows(named=True)
            key = [abs(float(r[field.name])) for r in rows]
            return [rows[i] for i in np.argsort(key, kind="stable")[::-1][:SHOWN]]
        return bad.head(SHOWN).collect().rows(named=True)

    noun = "row" if n_bad == 1 else "rows"
    count = f"{n_bad} bad {noun}" if rule.bad is not None else "the largest rows"
    rows = table.run("show the bad rows", shown)
    values = [row[field.name] for row in rows]
    others = [{k: _plain(v) for k, v in row.items() if k != field.name} for row in rows]
    message = (
        f"The {column_phrase(field.name, field.column)} of {table.function} "
        f"{rule.requirement}: {count} in the {table.engine} table, first with values "
        f"{[_plain(v) for v in values]!r} (a lazy table has no row positions; their other "
        f"columns: {others!r})."
    )
    return InputError(
        message,
        field=field.name,
        n_bad=n_bad if rule.bad is not None else None,
        values=values,
        hint=rule.hint,
        column=field.column,
    )


def _plain(value: object) -> object:
    if isinstance(value, (np.datetime64,)) or hasattr(value, "isoformat"):
        return str(value)
    return value


def in_id_order(
    cols: Mapping[str, Any], *, field: str, function: str
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Return the sorted ids of a one-row-per-id table and the row order that sorts them.

    The ids go through :func:`~crmkit._input.as_ids` (or arrive factorised from
    Arrow), so an aggregated table lists ids in the order and with the types
    of the numpy path.
    """
    raw = cols[field]
    groups = (
        raw
        if isinstance(raw, Factorized)
        else factorize(as_ids(raw, field=field, function=function))
    )
    order = np.empty(groups.codes.size, dtype=np.int64)
    order[groups.codes] = np.arange(groups.codes.size, dtype=np.int64)
    return groups.uniques, order
