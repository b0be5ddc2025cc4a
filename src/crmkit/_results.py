"""The result convention every crmkit calculation follows.

A result is a frozen attrs class that mixes in :class:`Result`. Its per-row
table (the fields named in ``_table``) becomes a DataFrame with
:meth:`Result.to_frame`, everything becomes JSON-safe with
:meth:`Result.to_dict`, and notebooks render it as an HTML table.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind, render_html, render_text
from crmkit._frames import Backend, frame_like, to_backend
from crmkit._input import as_readonly
from crmkit.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "FrozenMapping",
    "Kind",
    "Result",
    "count_labels",
    "frozen_mapping",
    "json_safe",
    "names_field",
    "names_of",
    "source_names",
]

_K = TypeVar("_K")
_V = TypeVar("_V")


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


def names_field() -> Any:  # noqa: ANN401  (an attrs field definition)
    """Return the field definition of a result's ``_source_names`` (the caller's column names).

    Declared as ``_source_names: Mapping[str, str] = names_field()``; the
    constructor takes it as ``source_names=`` and defaults to no renaming.
    """
    return attrs.field(factory=FrozenMapping, converter=frozen_mapping, eq=False, kw_only=True)


def source_names(**names: str) -> dict[str, str]:
    """Return the caller's column names that differ from crmkit's field names.

    A result keeps this mapping (crmkit column -> the caller's column) so that
    :meth:`Result.to_frame` gives the caller's own names back ("customer_id"
    stays "customer_id").

    Examples
    --------
    >>> source_names(customer="customer_id", timestamp="timestamp")
    {'customer': 'customer_id'}
    """
    return {field: column for field, column in names.items() if column != field}


def count_labels(labels: npt.ArrayLike, names: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Count how often each of *names* occurs in *labels* (zeros included, in order).

    Examples
    --------
    >>> count_labels(["b", "a", "b"], ("a", "b", "c"))
    {'a': 1, 'b': 2, 'c': 0}
    """
    values, counts = np.unique(np.asarray(labels).astype(str), return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=True))
    return {name: int(found.get(name, 0)) for name in names}


def names_of(data: object, *fields: str) -> dict[str, str]:
    """Return the caller's names of *fields* that *data* (a result) remembers.

    Examples
    --------
    >>> names_of(object(), "customer")
    {}
    """
    names: Mapping[str, str] = getattr(data, "column_names", None) or {}
    return {f: names[f] for f in fields if f in names}


class Result:
    """Mixin giving a frozen attrs result its table, dict, repr, HTML, rows and chart.

    Subclasses list their per-row array fields in ``_table``; those arrays
    all have one entry per row (per customer, per period, ...). A table column
    may be a property instead of a field (labels built from stored integer
    codes when read): ``table``, ``to_frame`` and ``to_dict`` include it all
    the same. They declare what their numeric fields mean in ``_kinds`` (field
    -> ``"money"``, ``"share"``, ``"probability"``, ``"count"``, ``"date"``,
    ``"number"`` or ``"text"``), which decides how notebooks and ``repr``
    write them; the fields that :meth:`take` selects rows of in ``_rows``
    (attrs fields only: a property follows the fields it is built from); and
    the :mod:`crmkit.plot` function that draws them in ``_plot``.

    Examples
    --------
    >>> import attrs, numpy as np
    >>> @attrs.frozen(kw_only=True, repr=False)
    ... class Totals(Result):
    ...     _table = ("customer", "revenue")
    ...     _rows = _table
    ...     _kinds = {"revenue": "money"}
    ...     customer: np.ndarray
    ...     revenue: np.ndarray
    ...     currency: str
    >>> t = Totals(customer=np.array([7, 9]), revenue=np.array([12500.0, 2.5]), currency="EUR")
    >>> t
    Totals(rows=2, currency='EUR')
      customer  revenue
             7   12,500
             9        2
    >>> t.to_dict()
    {'customer': [7, 9], 'revenue': [12500.0, 2.5], 'currency': 'EUR'}
    >>> t.filter(t.revenue > 100).customer.tolist()
    [7]
    """

    __slots__ = ()
    _table: ClassVar[tuple[str, ...]] = ()
    _kinds: ClassVar[Mapping[str, Kind]] = {}
    _rows: ClassVar[tuple[str, ...]] = ()
    _plot: ClassVar[str] = ""

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the per-row columns of this result as a dict of numpy arrays.

        Returns
        -------
        dict of str to ndarray
            Column name -> one-dimensional array; all of the same length.
        """
        return {name: np.asarray(getattr(self, name)) for name in self._table}

    @property
    def column_names(self) -> Mapping[str, str]:
        """The caller's column names, for columns the caller named differently.

        Filled when the result was read from the caller's frame, mapping or
        records with a column mapping such as ``customer="customer_id"``;
        :meth:`to_frame` and :meth:`to_frame_like` use these names.
        """
        names: Mapping[str, str] = getattr(self, "_source_names", None) or {}
        return names

    def _column_kinds(self) -> Mapping[str, Kind]:
        """Return what each column and field means (a hook for tables with computed columns)."""
        return self._kinds

    def _named_table(self) -> dict[str, npt.NDArray[Any]]:
        names = self.column_names
        return {names.get(k, k): v for k, v in self.table().items()}

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
            One column per table field; a column the caller named differently
            when the data came in (``customer="customer_id"``) keeps the
            caller's name.
        """
        return to_backend(self._named_table(), backend)

    def to_frame_like(self, like: object) -> Any:  # noqa: ANN401
        """Return the per-row table in the same frame library as *like*.

        Parameters
        ----------
        like : DataFrame-like
            Typically the frame the caller passed in.

        Returns
        -------
        DataFrame
            Same library as *like*: an eager frame for an eager one, a lazy
            table of the same engine (DuckDB relation, polars LazyFrame, Dask
            frame) for a lazy one. Columns keep the caller's names, as in
            :meth:`to_frame`.
        """
        return frame_like(self._named_table(), like)

    def _n_rows(self) -> int | None:
        if not self._table:
            return None
        return int(np.asarray(getattr(self, self._table[0])).shape[0])

    def take(self, rows: npt.ArrayLike) -> Self:
        """Return the same result with only the rows selected (a mask or positions).

        Parameters
        ----------
        rows : array_like of bool, shape (n,), or of int
            A boolean mask over the rows, or row positions in ``[0, n)`` (in
            the order wanted; repeats allowed).

        Returns
        -------
        Result
            The same type; every per-row field is taken (nested per-row
            results too), and counts or totals derived from the rows are
            recomputed. Settings and the counts of excluded input rows
            describe how the rows were computed and are kept.

        Raises
        ------
        InputError
            If a mask has the wrong length, a position is out of range, or
            *rows* is neither booleans nor integers.
        TypeError
            If the result's rows cannot be selected on their own (a curve,
            a matrix, a model).
        """
        if not self._rows:
            msg = (
                f"{type(self).__name__} has no rows to select on their own "
                "(its rows depend on each other); select the input instead."
            )
            raise TypeError(msg)
        index = _row_index(rows, self._n_rows() or 0, type(self).__name__)
        changes: dict[str, Any] = {}
        for name in self._rows:
            value = getattr(self, name)
            if isinstance(value, Result):
                changes[name] = value.take(index)
            elif isinstance(value, Mapping):
                changes[name] = {k: as_readonly(np.asarray(v)[index]) for k, v in value.items()}
            else:
                changes[name] = as_readonly(np.asarray(value)[index])
        return cast("Self", attrs.evolve(cast("Any", self), **self._recount(changes)))

    def filter(self, mask: npt.ArrayLike) -> Self:
        """Return the same result with only the rows where *mask* is true.

        Parameters
        ----------
        mask : array_like of bool, shape (n,)
            One flag per row, e.g. ``summary.monetary_mean > 0``.

        Returns
        -------
        Result
            As :meth:`take`.

        Raises
        ------
        InputError
            If *mask* is not boolean or has the wrong length.
        """
        flags = np.asarray(mask)
        if flags.dtype != np.bool_:
            raise InputError(
                f"The 'mask' of {type(self).__name__}.filter must be booleans, one per row; "
                f"got {flags.dtype}.",
                field="mask",
                hint="Use take() for row positions.",
            )
        return self.take(flags)

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        """Recompute the fields derived from the rows (a hook for :meth:`take`)."""
        return rows

    def plot(self, *, ax: Axes | None = None) -> Axes:
        """Draw this result's chart with :mod:`crmkit.plot` (needs the ``plot`` extra).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.

        Returns
        -------
        matplotlib.axes.Axes
            The chart; the :mod:`crmkit.plot` function named on the result's
            page takes more options.

        Raises
        ------
        TypeError
            If no chart draws this result yet.
        ImportError
            If matplotlib is not installed.
        """
        if not self._plot:
            msg = f"crmkit.plot has no chart for {type(self).__name__} yet."
            raise TypeError(msg)
        from crmkit import plot  # noqa: PLC0415  (presentation is imported on demand)

        chart = getattr(plot, self._plot)
        return cast("Axes", chart(self, ax=ax))

    def _header(self) -> str:
        parts = []
        n = self._n_rows()
        if n is not None:
            parts.append(f"rows={n}")
        parts.extend(
            f"{a.name}={_short(getattr(self, a.name))}"
            for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
            if a.name not in self._table and not a.name.startswith("_")
        )
        return f"{type(self).__name__}({', '.join(parts)})"

    def __repr__(self) -> str:
        return render_text(self, self._header())

    def _repr_html_(self) -> str:
        return render_html(self)


def _row_index(rows: npt.ArrayLike, n: int, owner: str) -> npt.NDArray[np.intp]:
    index = np.asarray(rows)
    if index.dtype == np.bool_:
        if index.shape != (n,):
            got = index.shape[0] if index.ndim else "a scalar"
            raise InputError(
                f"The 'rows' mask of {owner}.take must have {n} entries; got {got}.",
                field="rows",
            )
        return np.flatnonzero(index)
    if index.size == 0:
        return np.zeros(0, dtype=np.intp)
    if index.dtype.kind not in "iu" or index.ndim != 1:
        raise InputError(
            f"The 'rows' of {owner}.take must be a boolean mask or integer positions; "
            f"got {index.dtype} of shape {index.shape}.",
            field="rows",
        )
    bad = (index < 0) | (index >= n)
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError.for_rows(
            "rows",
            f"must be row positions in [0, {n})",
            positions=pos[:5].tolist(),
            values=index[pos[:5]].tolist(),
            n_bad=int(pos.size),
            function=f"{owner}.take",
        )
    return index.astype(np.intp)
