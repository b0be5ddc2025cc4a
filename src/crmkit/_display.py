"""How results read: numbers formatted by meaning, compact text and notebook HTML tables.

Every result class declares what its numeric fields mean (``_kinds``: money,
share, probability, count, date, number, text); this module turns a value of
a known kind into text, and a whole result into its ``repr`` and its
``_repr_html_``. Nothing here computes: it only presents.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from crmkit._results import Result

__all__ = ["Kind", "format_column", "format_value", "render_html", "render_text"]

Kind = Literal["money", "share", "probability", "count", "date", "number", "id", "text"]
"""What a field means, which decides how its numbers are written."""

HEAD_ROWS: Final = 5
"""Rows shown from the top (and from the bottom) of a long table."""
TEXT_ROWS: Final = 5
_TEXT_WIDTH: Final = 100
_MAX_DEPTH: Final = 2
_MATRIX_ROWS: Final = 12
_MISSING: Final = "—"

_CSS: Final = """
.crmkit-result{font-family:inherit;font-size:12.5px;line-height:1.35;color:inherit;
  max-width:100%;overflow-x:auto;margin:.2em 0 .6em}
.crmkit-result .crmkit-title{font-weight:600;margin:0 0 .25em}
.crmkit-result .crmkit-title .crmkit-dim{font-weight:400;opacity:.7}
.crmkit-result .crmkit-scalars{display:flex;flex-wrap:wrap;gap:.15em 1.1em;margin:0 0 .4em}
.crmkit-result .crmkit-scalars span{white-space:nowrap}
.crmkit-result .crmkit-scalars b{font-weight:600;opacity:.75;margin-right:.35em}
.crmkit-result table{border-collapse:collapse;margin:.2em 0 .5em;background:transparent;
  color:inherit;font-variant-numeric:tabular-nums;width:auto}
.crmkit-result th,.crmkit-result td{padding:.2em .65em;border:0;
  border-bottom:1px solid rgba(127,127,127,.25);background:transparent;color:inherit}
.crmkit-result thead th{border-bottom:1px solid rgba(127,127,127,.6);font-weight:600;
  text-align:right;white-space:nowrap}
.crmkit-result tbody tr:nth-child(odd){background:rgba(127,127,127,.07)}
.crmkit-result tbody tr:hover{background:rgba(127,127,127,.16)}
.crmkit-result td.crmkit-num{text-align:right;white-space:nowrap}
.crmkit-result td.crmkit-txt,.crmkit-result th.crmkit-txt{text-align:left}
.crmkit-result tbody th{text-align:left;font-weight:600}
.crmkit-result td.crmkit-na{opacity:.5}
.crmkit-result tr.crmkit-gap td{text-align:center;opacity:.6;font-style:italic}
.crmkit-result details{margin:.1em 0 .3em .2em}
.crmkit-result summary{cursor:pointer;opacity:.85}
.crmkit-result details>.crmkit-result{margin-left:1em}
"""


# --- single values ------------------------------------------------------------------------


def _is_na(value: float) -> bool:
    return math.isnan(value)


def _number(value: float) -> str:
    if _is_na(value):
        return _MISSING
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if size >= 1e-6:
        decimals = 2 - math.floor(math.log10(size))
        return f"{value:.{decimals}f}"
    return f"{value:.2e}"


def _share(value: float) -> str:
    if _is_na(value):
        return _MISSING
    if math.isinf(value):
        return "∞"
    pct = value * 100
    if pct != 0 and abs(pct) < 0.1:
        return f"{pct:.2g}%"
    return f"{pct:,.1f}%"


def _probability(value: float) -> str:
    return _MISSING if _is_na(value) else f"{value:.3f}"


def _count(value: float) -> str:
    if _is_na(value):
        return _MISSING
    if float(value).is_integer():
        return f"{int(value):,}"
    return _number(value)


def _money_formatter(values: Sequence[float]) -> Callable[[float], str]:
    finite = [abs(v) for v in values if math.isfinite(v)]
    decimals = 0 if finite and max(finite) >= 1000 else 2

    def fmt(value: float) -> str:
        if _is_na(value):
            return _MISSING
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return f"{value:,.{decimals}f}"

    return fmt


def _date(value: object) -> str:
    arr = np.datetime64(cast("Any", value))
    if np.isnat(arr):
        return _MISSING
    day = arr.astype("datetime64[D]")
    if arr == day:
        return str(day)
    return str(arr.astype("datetime64[m]")).replace("T", " ")


def _plain(value: object) -> str:
    if value is None:
        return _MISSING
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (np.bool_, bool)):
        return "yes" if value else "no"
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _guess(value: object) -> Kind:
    if isinstance(value, (np.datetime64, dt.date)):
        return "date"
    if isinstance(value, (bool, np.bool_)):
        return "text"
    if isinstance(value, (int, np.integer)):
        return "count"
    if isinstance(value, (float, np.floating)):
        return "number"
    return "text"


def format_value(value: object, kind: Kind | None = None) -> str:
    """Write one value by its meaning (money, share, probability, count, date, number, text).

    Parameters
    ----------
    value : object
        A scalar (Python or numpy).
    kind : Kind, optional
        What the value means; guessed from its type when not given.

    Returns
    -------
    str
        ``"1,225,000"`` for money, ``"12.5%"`` for a share, ``"0.873"`` for a
        probability, ``"3,726"`` for a count, ``"2024-03-01"`` for a date and
        ``"—"`` for a missing value.

    Examples
    --------
    >>> format_value(1225000.0, "money"), format_value(0.0005106, "share")
    ('1,225,000', '0.051%')
    >>> format_value(0.87312, "probability"), format_value(3726, "count")
    ('0.873', '3,726')
    """
    k = kind or _guess(value)
    if k == "date" and isinstance(value, (np.datetime64, dt.date, str)):
        return _date(value)
    if k in ("text", "id") or not isinstance(value, (int, float, np.integer, np.floating)):
        return _plain(value)
    if isinstance(value, (bool, np.bool_)):
        return _plain(value)
    number = float(value)
    if k == "money":
        return _money_formatter([number])(number)
    if k == "share":
        return _share(number)
    if k == "probability":
        return _probability(number)
    if k == "count":
        return _count(number)
    return _number(number)


def format_column(values: npt.NDArray[Any], kind: Kind | None = None) -> list[str]:
    """Write every value of a column, consistently (money keeps one number of decimals).

    Parameters
    ----------
    values : ndarray, shape (n,)
        The column.
    kind : Kind, optional
        What the values mean; guessed from the dtype when not given.

    Returns
    -------
    list of str
        One string per value.

    Examples
    --------
    >>> import numpy as np
    >>> format_column(np.array([1225000.0, 3726.0]), "money")
    ['1,225,000', '3,726']
    """
    arr = np.asarray(values)
    k = kind or _kind_of_dtype(arr)
    if arr.dtype.kind == "M":
        return [_date(v) for v in arr]
    if arr.dtype.kind == "m":
        return [_MISSING if np.isnat(v) else str(v) for v in arr]
    if k in ("text", "id"):
        return [_plain(v) for v in arr.tolist()]
    if arr.dtype.kind in "iuf" and k == "money":
        floats = arr.astype(np.float64).tolist()
        fmt = _money_formatter(floats)
        return [fmt(v) for v in floats]
    if arr.dtype.kind in "iuf":
        return [format_value(v, k) for v in arr.tolist()]
    return [_plain(v) for v in arr.tolist()]


def _kind_of_dtype(arr: npt.NDArray[Any]) -> Kind:
    if arr.dtype.kind == "M":
        return "date"
    if arr.dtype.kind in "iu":
        return "count"
    if arr.dtype.kind == "f":
        return "number"
    return "text"


def _numeric(arr: npt.NDArray[Any], kind: Kind | None = None) -> bool:
    return kind not in ("text", "id") and arr.dtype.kind in "iufMm"


# --- the parts of a result ---------------------------------------------------------------


@attrs.frozen
class _Parts:
    """A result split into what is shown where."""

    name: str
    n_rows: int | None
    scalars: list[tuple[str, str]]
    table: dict[str, npt.NDArray[Any]]
    mappings: list[tuple[str, Mapping[str, Any]]]
    matrices: list[tuple[str, npt.NDArray[Any]]]
    arrays: list[tuple[str, str]]
    nested: list[tuple[str, object]]


def _fields(obj: object) -> list[str]:
    return [
        a.name
        for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(obj)))
        if not a.name.startswith("_")
    ]


def _kinds(obj: object) -> Mapping[str, Kind]:
    hook = getattr(obj, "_column_kinds", None)
    if hook is None:
        return cast("Mapping[str, Kind]", getattr(type(obj), "_kinds", {}))
    kinds = cast("Mapping[str, Kind]", hook())
    names: Mapping[str, str] = getattr(obj, "column_names", {})
    return {**kinds, **{names[k]: v for k, v in kinds.items() if k in names}}


def _summary(arr: npt.NDArray[Any], kind: Kind | None) -> str:
    n = arr.size
    if n == 0:
        return "no values"
    if arr.dtype.kind in "iuf" and arr.ndim == 1:
        finite = arr[np.isfinite(arr)] if arr.dtype.kind == "f" else arr
        if finite.size == 0:
            return f"{n:,} values, none finite"
        lo, hi = format_column(np.array([finite.min(), finite.max()]), kind)
        mean = format_column(np.array([finite.mean()]), kind)[0]
        return f"{n:,} values: min {lo}, mean {mean}, max {hi}"
    shown = ", ".join(format_column(arr.ravel()[:4], kind))
    return f"{n:,} values: {shown}{', …' if n > 4 else ''}"


def _short(value: object, kind: Kind | None) -> str:
    if isinstance(value, (tuple, list)) and value and attrs.has(type(value[0])):
        return f"{len(value)} x {type(value[0]).__name__}"
    if isinstance(value, (tuple, list, frozenset, set)):
        items = [format_value(v, kind) for v in list(value)[:6]]
        more = f", … ({len(value)} in all)" if len(value) > 6 else ""
        return ", ".join(items) + more if items else _MISSING
    return format_value(value, kind)


def _parts(result: Result) -> _Parts:
    kinds = _kinds(result)
    table_names = set(result._table)  # noqa: SLF001  (the mixin's own declaration)
    n_rows = result._n_rows()  # noqa: SLF001
    scalars: list[tuple[str, str]] = []
    mappings: list[tuple[str, Mapping[str, Any]]] = []
    matrices: list[tuple[str, npt.NDArray[Any]]] = []
    arrays: list[tuple[str, str]] = []
    nested: list[tuple[str, object]] = []
    for name in _fields(result):
        if name in table_names:
            continue
        value = getattr(result, name)
        kind = kinds.get(name)
        if isinstance(value, np.ndarray):
            if value.ndim == 2:
                matrices.append((name, value))
            else:
                arrays.append((name, _summary(value, kind)))
        elif isinstance(value, Mapping):
            mappings.append((name, value))
        elif attrs.has(type(value)):
            nested.append((name, value))
        else:
            scalars.append((name, _short(value, kind)))
    return _Parts(
        name=type(result).__name__,
        n_rows=n_rows,
        scalars=scalars,
        table=result._named_table(),  # noqa: SLF001  (the caller's column names)
        mappings=mappings,
        matrices=matrices,
        arrays=arrays,
        nested=nested,
    )


def _rows_shown(n: int, limit: int) -> tuple[list[int], int]:
    """Row positions to show (first and last *limit*) and how many are hidden between."""
    if n <= 2 * limit:
        return list(range(n)), 0
    return [*range(limit), *range(n - limit, n)], n - 2 * limit


def _column_kind(kinds: Mapping[str, Kind], name: str) -> Kind | None:
    return kinds.get(name)


# --- HTML ------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(
    columns: Mapping[str, npt.NDArray[Any]],
    kinds: Mapping[str, Kind],
    *,
    limit: int = HEAD_ROWS,
    index: Sequence[str] | None = None,
) -> str:
    names = list(columns)
    n = int(np.asarray(columns[names[0]]).shape[0]) if names else 0
    shown, hidden = _rows_shown(n, limit)
    cells: dict[str, list[str]] = {}
    numeric: dict[str, bool] = {}
    for name in names:
        arr = np.asarray(columns[name])
        cells[name] = format_column(arr[shown], _column_kind(kinds, name)) if n else []
        numeric[name] = _numeric(arr, _column_kind(kinds, name))
    head = "".join(
        f"<th class='{'crmkit-num' if numeric[c] else 'crmkit-txt'}'>{_e(c)}</th>" for c in names
    )
    if index is not None:
        head = "<th></th>" + head
    body: list[str] = []
    for pos, row in enumerate(shown):
        if hidden and pos == limit:
            span = len(names) + (index is not None)
            body.append(
                f"<tr class='crmkit-gap'><td colspan='{span}'>⋮ {hidden:,} more rows "
                "(.to_frame() has them all)</td></tr>"
            )
        tds = []
        for c in names:
            text = cells[c][pos]
            cls = "crmkit-num" if numeric[c] else "crmkit-txt"
            if text == _MISSING:
                cls += " crmkit-na"
            tds.append(f"<td class='{cls}'>{_e(text)}</td>")
        label = f"<th>{_e(index[row])}</th>" if index is not None else ""
        body.append(f"<tr>{label}{''.join(tds)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _same_kind(names: Mapping[str, object], kind: Kind | None) -> dict[str, Kind]:
    if kind is None:
        return {}
    return dict.fromkeys(names, kind)


def _mapping_html(value: Mapping[str, Any], kind: Kind | None) -> str:
    items = list(value.items())
    if items and all(isinstance(v, np.ndarray) and v.ndim == 1 for _, v in items):
        lengths = {int(v.shape[0]) for _, v in items}
        if len(lengths) == 1:
            columns = {str(k): v for k, v in items}
            return _html_table(columns, _same_kind(columns, kind))
    if all(np.ndim(v) == 0 and not attrs.has(type(v)) for _, v in items):
        head = "".join(f"<th>{_e(k)}</th>" for k, _ in items)
        row = "".join(
            f"<td class='crmkit-num'>{_e(format_value(v, kind))}</td>"
            if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
            else f"<td class='crmkit-txt'>{_e(format_value(v, kind))}</td>"
            for _, v in items
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody><tr>{row}</tr></tbody></table>"
    rows = "".join(
        f"<tr><th>{_e(k)}</th><td class='crmkit-txt'>{_e(_describe(v, kind))}</td></tr>"
        for k, v in items
    )
    return f"<table><tbody>{rows}</tbody></table>"


def _describe(value: object, kind: Kind | None) -> str:
    if isinstance(value, np.ndarray):
        return _summary(value, kind)
    if isinstance(value, Mapping):
        return f"{len(value)} entries"
    if attrs.has(type(value)):  # a nested result (a fit, a test): its scalar fields, formatted
        inner = _kinds(value)
        shown = [
            f"{a.name}={format_value(v, inner.get(a.name))}"
            for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(value)))
            if not a.name.startswith("_")
            and isinstance(v := getattr(value, a.name), (int, float, str, np.number))
        ]
        return f"{type(value).__name__}({', '.join(shown)})"
    return _short(value, kind)


def _labels_for(result: Result, size: int) -> list[str] | None:
    for name in result._table:  # noqa: SLF001
        col = np.asarray(getattr(result, name))
        if col.ndim == 1 and col.shape[0] == size and col.dtype.kind in "UOSM":
            return format_column(col)
    return None


def _matrix_html(result: Result, matrix: npt.NDArray[Any], kind: Kind | None) -> str:
    rows, cols = matrix.shape
    row_labels = _labels_for(result, rows) or [str(i) for i in range(rows)]
    col_labels = (
        row_labels if rows == cols and _labels_for(result, cols) else [str(j) for j in range(cols)]
    )
    col_idx, _ = _rows_shown(cols, _MATRIX_ROWS // 2)
    columns = {col_labels[j]: matrix[:, j] for j in col_idx}
    return _html_table(columns, _same_kind(columns, kind), limit=6, index=row_labels)


def _attrs_html(value: object, depth: int) -> str:
    from crmkit._results import Result  # noqa: PLC0415  (the two modules present each other)

    if isinstance(value, Result):
        return _result_html(value, depth)
    kinds = _kinds(value)
    rows = []
    for name in _fields(value):
        field = getattr(value, name)
        kind = kinds.get(name)
        if isinstance(field, Mapping) and field and all(np.ndim(v) == 0 for v in field.values()):
            cell = _mapping_html(field, kind)
        else:
            cell = _e(_describe(field, kind))
        rows.append(f"<tr><th>{_e(name)}</th><td class='crmkit-txt'>{cell}</td></tr>")
    return f"<div class='crmkit-result'><table><tbody>{''.join(rows)}</tbody></table></div>"


def _nested_summary(name: str, value: object) -> str:
    from crmkit._results import Result  # noqa: PLC0415

    label = type(value).__name__
    if isinstance(value, Result):
        n = value._n_rows()  # noqa: SLF001
        if n is not None:
            label += f", {n:,} rows"
    return f"<summary><b>{_e(name)}</b> · {_e(label)}</summary>"


def _result_html(result: Result, depth: int) -> str:
    parts = _parts(result)
    kinds = _kinds(result)
    dims = ""
    if parts.n_rows is not None:
        dims = (
            f" <span class='crmkit-dim'>{parts.n_rows:,} rows x {len(parts.table)} columns</span>"
        )
    out = [f"<div class='crmkit-title'>{_e(parts.name)}{dims}</div>"]
    if parts.scalars:
        spans = "".join(f"<span><b>{_e(k)}</b>{_e(v)}</span>" for k, v in parts.scalars)
        out.append(f"<div class='crmkit-scalars'>{spans}</div>")
    for name, mapping in parts.mappings:
        if not mapping:
            out.append(f"<div class='crmkit-scalars'><span><b>{_e(name)}</b>none</span></div>")
            continue
        out.append(
            f"<details open>{_nested_summary(name, mapping)}"
            f"{_mapping_html(mapping, kinds.get(name))}</details>"
        )
    if parts.table and parts.n_rows is not None:
        out.append(_html_table(parts.table, kinds))
    for name, matrix in parts.matrices:
        opened = " open" if matrix.shape[0] <= _MATRIX_ROWS else ""
        shape = f"{matrix.shape[0]} x {matrix.shape[1]}"
        out.append(
            f"<details{opened}><summary><b>{_e(name)}</b> · {shape}</summary>"
            f"{_matrix_html(result, matrix, kinds.get(name))}</details>"
        )
    if parts.arrays:
        spans = "".join(f"<span><b>{_e(k)}</b>{_e(v)}</span>" for k, v in parts.arrays)
        out.append(f"<div class='crmkit-scalars'>{spans}</div>")
    for name, value in parts.nested:
        if depth >= _MAX_DEPTH:
            out.append(
                f"<div class='crmkit-scalars'><span><b>{_e(name)}</b>"
                f"{_e(type(value).__name__)}</span></div>"
            )
            continue
        out.append(
            f"<details>{_nested_summary(name, value)}{_attrs_html(value, depth + 1)}</details>"
        )
    body = "\n".join(out)
    return f"<div class='crmkit-result'>{body}</div>"


def render_html(result: Result) -> str:
    """Return the notebook HTML of *result*: scoped CSS, a header, its tables.

    Parameters
    ----------
    result : Result
        Any crmkit result.

    Returns
    -------
    str
        One ``<div class="crmkit-result">`` holding a ``<style>`` whose rules
        all start with ``.crmkit-result`` (nothing leaks into the page), the
        scalars as a one-line header, breakdowns as small tables, the first
        and last rows of the per-row table, and nested results and
        diagnostics as collapsible tables. Colours come from the page, so
        light and dark themes both read well.
    """
    inner = _result_html(result, 0)
    return f"<div class='crmkit-result'><style>{_CSS}</style>{inner}</div>"


# --- text ------------------------------------------------------------------------------------


def _text_table(columns: Mapping[str, npt.NDArray[Any]], kinds: Mapping[str, Kind]) -> list[str]:
    names = list(columns)
    if not names:
        return []
    n = int(np.asarray(columns[names[0]]).shape[0])
    rows = min(n, TEXT_ROWS)
    cells = {c: format_column(np.asarray(columns[c])[:rows], kinds.get(c)) for c in names}
    widths = {c: max([len(c), *(len(v) for v in cells[c])]) for c in names}
    numeric = {c: _numeric(np.asarray(columns[c]), kinds.get(c)) for c in names}
    shown: list[str] = []
    used = 2
    for c in names:
        if used + widths[c] + 2 > _TEXT_WIDTH and shown:
            break
        shown.append(c)
        used += widths[c] + 2
    hidden_cols = len(names) - len(shown)

    def line(values: Mapping[str, str]) -> str:
        parts = [
            values[c].rjust(widths[c]) if numeric[c] else values[c].ljust(widths[c]) for c in shown
        ]
        tail = "  …" if hidden_cols else ""
        return "  " + "  ".join(parts).rstrip() + tail

    out = [line({c: c for c in shown})]
    out.extend(line({c: cells[c][i] for c in shown}) for i in range(rows))
    notes = []
    if n > rows:
        notes.append(f"{n - rows:,} more rows")
    if hidden_cols:
        notes.append(f"{hidden_cols} more columns")
    if notes:
        out.append("  … " + ", ".join(notes) + " (.to_frame() has them all)")
    return out


def render_text(result: Result, header: str) -> str:
    """Return the ``repr`` of *result*: its one-line *header*, then its first rows.

    Parameters
    ----------
    result : Result
        Any crmkit result.
    header : str
        The one-line summary (class name, rows and scalars).

    Returns
    -------
    str
        The header alone for results without a per-row table, else the
        header followed by a small aligned table of the first rows.
    """
    if result._n_rows() is None:  # noqa: SLF001
        return header
    lines = _text_table(result._named_table(), _kinds(result))  # noqa: SLF001
    return "\n".join([header, *lines])
