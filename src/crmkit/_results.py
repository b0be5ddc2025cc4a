"""The result convention every crmkit calculation follows.

A result is a frozen attrs class that mixes in :class:`Result`. Its per-row
table (the fields named in ``_table``) becomes a DataFrame with
:meth:`Result.to_frame`, everything becomes JSON-safe with
:meth:`Result.to_dict`, and notebooks render it as an HTML table.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import Backend, frame_like, to_backend

__all__ = ["FrozenMapping", "Result", "frozen_mapping", "json_safe"]

_K = TypeVar("_K")
_V = TypeVar("_V")

_HTML_ROWS = 10


class FrozenMapping(Mapping[_K, _V]):
    """A read-only mapping for the dict-like fields of frozen values and results.

    It behaves like a dict for reading (and prints like one) but has no way
    to change it, so a frozen result stays frozen all the way down.

    Examples
    --------
    >>> counts = FrozenMapping({"champions": 12, "hibernating": 40})
    >>> counts["champions"], counts
    (12, {'champions': 12, 'hibernating': 40})
    >>> counts == {"champions": 12, "hibernating": 40}
    True
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[_K, _V] | None = None) -> None:
        self._data: dict[_K, _V] = dict(data) if data is not None else {}

    def __getitem__(self, key: _K) -> _V:
        return self._data[key]

    def __iter__(self) -> Iterator[_K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)


def frozen_mapping(value: Mapping[str, Any]) -> FrozenMapping[str, Any]:
    """Convert a mapping to a :class:`FrozenMapping` (an attrs converter for result fields).

    Not generic on purpose: the attrs plugin of mypy types ``__init__`` from the
    converter's parameter, and the field's own annotation carries the precise type.

    Examples
    --------
    >>> frozen_mapping({"a": 1})["a"]
    1
    """
    return value if isinstance(value, FrozenMapping) else FrozenMapping(value)


def json_safe(value: object) -> object:
    """Convert *value* to plain JSON types (dict, list, str, float, int, bool, None).

    numpy arrays become lists, ``datetime64`` ISO strings, non-finite floats
    ``None``, enums their value and nested results their ``to_dict()``.

    Examples
    --------
    >>> import numpy as np
    >>> json_safe({"a": np.array([1.5, np.nan]), "t": np.datetime64("2024-01-02")})
    {'a': [1.5, None], 't': '2024-01-02'}
    """
    if isinstance(value, Result):
        return value.to_dict()
    if attrs.has(type(value)):
        return {
            a.name: json_safe(getattr(value, a.name))
            for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(value)))
            if not a.name.startswith("_")
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            return [None if np.isnat(v) else str(v) for v in value.ravel()]
        if value.dtype.kind == "m":
            return [None if np.isnat(v) else str(v) for v in value.ravel()]
        if value.dtype.kind == "f":
            return [json_safe(v) for v in value.tolist()]
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value)
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else str(value)
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return value


def _short(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"<{value.size} values>"
    if isinstance(value, Mapping):
        return f"<{len(value)} entries>"
    if isinstance(value, (tuple, list)) and len(value) > 4:
        return f"<{len(value)} items>"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, np.datetime64):
        return str(value)
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, Result):
        return f"{type(value).__name__}(...)"
    return repr(value)


class Result:
    """Mixin giving a frozen attrs result its table, dict, repr and HTML forms.

    Subclasses list their per-row array fields in ``_table``; those arrays
    all have one entry per row (per customer, per period, ...). A table column
    may be a property instead of a field (labels built from stored integer
    codes when read): ``table``, ``to_frame`` and ``to_dict`` include it all
    the same.

    Examples
    --------
    >>> import attrs, numpy as np
    >>> @attrs.frozen(kw_only=True, repr=False)
    ... class Totals(Result):
    ...     _table = ("customer", "revenue")
    ...     customer: np.ndarray
    ...     revenue: np.ndarray
    ...     currency: str
    >>> t = Totals(customer=np.array([7, 9]), revenue=np.array([10.0, 2.5]), currency="EUR")
    >>> t
    Totals(rows=2, currency='EUR')
    >>> t.to_dict()
    {'customer': [7, 9], 'revenue': [10.0, 2.5], 'currency': 'EUR'}
    """

    __slots__ = ()
    _table: ClassVar[tuple[str, ...]] = ()

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the per-row columns of this result as a dict of numpy arrays.

        Returns
        -------
        dict of str to ndarray
            Column name -> one-dimensional array; all of the same length.
        """
        return {name: np.asarray(getattr(self, name)) for name in self._table}

    def to_dict(self) -> dict[str, object]:
        """Return every public field as JSON-safe Python values.

        Returns
        -------
        dict
            Serialisable with :func:`json.dumps` as it is.
        """
        fields = [
            a.name
            for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
            if not a.name.startswith("_")
        ]
        derived = [c for c in self._table if c not in fields]
        if derived:  # table columns built on access go after the column before them
            placed = set(fields)
            for column in self._table:
                if column not in placed:
                    before = self._table[: self._table.index(column)]
                    anchor = next((c for c in reversed(before) if c in fields), None)
                    fields.insert(0 if anchor is None else fields.index(anchor) + 1, column)
                    placed.add(column)
        return {name: json_safe(getattr(self, name)) for name in fields}

    def to_frame(self, backend: Backend = "pandas") -> Any:  # noqa: ANN401
        """Return the per-row table as a DataFrame of *backend*.

        Parameters
        ----------
        backend : {"pandas", "polars", "pyarrow"}
            The frame library to build; it must be installed.

        Returns
        -------
        DataFrame
            One column per table field.
        """
        return to_backend(self.table(), backend)

    def to_frame_like(self, like: object) -> Any:  # noqa: ANN401
        """Return the per-row table in the same frame library as *like*.

        Parameters
        ----------
        like : DataFrame-like
            Typically the frame the caller passed in.

        Returns
        -------
        DataFrame
            Same library as *like* (lazy inputs get their eager counterpart).
        """
        return frame_like(self.table(), like)

    def _scalars(self) -> dict[str, object]:
        return {
            a.name: getattr(self, a.name)
            for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
            if a.name not in self._table and not a.name.startswith("_")
        }

    def _n_rows(self) -> int | None:
        if not self._table:
            return None
        return int(np.asarray(getattr(self, self._table[0])).shape[0])

    def __repr__(self) -> str:
        parts = []
        n = self._n_rows()
        if n is not None:
            parts.append(f"rows={n}")
        parts.extend(f"{k}={_short(v)}" for k, v in self._scalars().items())
        return f"{type(self).__name__}({', '.join(parts)})"

    def _repr_html_(self) -> str:
        head = f"<strong>{html.escape(type(self).__name__)}</strong>"
        scalars = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td>{html.escape(_short(v))}</td></tr>"
            for k, v in self._scalars().items()
        )
        out = [head]
        if scalars:
            out.append(f"<table>{scalars}</table>")
        if self._table:
            cols = self.table()
            n = self._n_rows() or 0
            header = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
            body = "".join(
                "<tr>"
                + "".join(f"<td>{html.escape(_cell(cols[c][i]))}</td>" for c in cols)
                + "</tr>"
                for i in range(min(n, _HTML_ROWS))
            )
            more = (
                f"<p>… {n - _HTML_ROWS} more rows; use .to_frame() for all of them.</p>"
                if n > _HTML_ROWS
                else ""
            )
            out.append(
                f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>{more}"
            )
        return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.4g}"
    return str(value)
