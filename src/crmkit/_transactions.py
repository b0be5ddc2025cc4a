"""The ``Transactions`` value: validated purchase rows, built from whatever the caller has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import is_frame, read_columns
from crmkit._input import (
    DATETIME_DTYPE,
    as_amounts,
    as_datetime,
    as_finite_float,
    as_ids,
    as_readonly,
    check_same_length,
    to_array,
)
from crmkit._results import Kind, Result, frozen_mapping, names_field, source_names
from crmkit.errors import InputError

__all__ = ["Transactions", "as_transactions"]

_CORE = ("customer", "timestamp", "amount")
_FUNCTION = "Transactions"


def _check_ids(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind not in "iU":
        raise InputError(
            f"Transactions.{attribute.name} must be a 1-D int64 or str array.",
            field=attribute.name,
            hint="Build Transactions with Transactions.from_arrays(), which converts.",
        )


def _check_times(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype != DATETIME_DTYPE:
        raise InputError(
            f"Transactions.{attribute.name} must be a 1-D datetime64[us] array.",
            field=attribute.name,
            hint="Build Transactions with Transactions.from_arrays(), which converts.",
        )


def _check_amounts(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype != np.float64:
        raise InputError(
            f"Transactions.{attribute.name} must be a 1-D float64 array.",
            field=attribute.name,
            hint="Build Transactions with Transactions.from_arrays(), which converts.",
        )


@attrs.frozen(kw_only=True, repr=False)
class Transactions(Result):
    """Purchase rows: who bought, when, for how much, plus any extra columns.

    The one validated input type for transaction data. Build it with
    :meth:`from_arrays`, :meth:`from_records` or :meth:`from_frame` (or let
    :func:`as_transactions` pick); each checks every row once, so functions
    that take a ``Transactions`` trust it.

    Attributes
    ----------
    customer : ndarray of int64 or str, shape (n,)
        Customer id per row.
    timestamp : ndarray of datetime64[us], shape (n,)
        Purchase time, UTC-naive (aware inputs were converted to UTC).
    amount : ndarray of float64, shape (n,)
        Purchase value in any currency; negative rows are refunds or returns.
    extra : mapping of str to ndarray, shape (n,) each
        Optional columns such as quantity, product, channel or cost.
    n_negative : int
        Rows with a negative amount (refunds/returns); kept, never dropped.
    converted_to_utc : bool
        Whether the source timestamps carried a time zone.

    Notes
    -----
    The arrays are read-only views of the caller's arrays when no conversion
    was needed (pass ``copy=True`` to :meth:`from_arrays` to decouple them);
    crmkit never writes to them.

    Examples
    --------
    A shop with three purchases and one refund:

    >>> tx = Transactions.from_arrays(
    ...     customer=["ann", "bob", "ann", "ann"],
    ...     timestamp=["2024-01-05", "2024-01-09", "2024-02-11", "2024-02-12"],
    ...     amount=[40.0, 15.5, 60.0, -20.0],
    ... )
    >>> tx
    Transactions(rows=4, n_negative=1, n_zero=0, converted_to_utc=False)
    >>> float(tx.amount.sum())
    95.5
    """

    _table: ClassVar[tuple[str, ...]] = _CORE
    _kinds: ClassVar[Mapping[str, Kind]] = {"customer": "id", "amount": "money"}

    customer: npt.NDArray[Any] = attrs.field(validator=_check_ids)
    timestamp: npt.NDArray[np.datetime64] = attrs.field(validator=_check_times)
    amount: npt.NDArray[np.float64] = attrs.field(validator=_check_amounts)
    extra: Mapping[str, npt.NDArray[Any]] = attrs.field(factory=dict, converter=frozen_mapping)
    n_negative: int = 0
    converted_to_utc: bool = False
    _source_names: Mapping[str, str] = names_field()

    def __attrs_post_init__(self) -> None:
        lengths = {
            "customer": self.customer.shape[0],
            "timestamp": self.timestamp.shape[0],
            "amount": self.amount.shape[0],
        }
        lengths.update({name: np.shape(col)[0] for name, col in self.extra.items()})
        check_same_length(lengths, function=_FUNCTION)
        clash = set(self.extra) & set(_CORE)
        if clash:
            raise InputError(
                f"Extra columns of {_FUNCTION} cannot reuse the core names {sorted(clash)}.",
                field=min(clash),
            )

    def __repr__(self) -> str:
        extra = f", extra={list(self.extra)}" if self.extra else ""
        return (
            f"Transactions(rows={len(self)}{extra}, n_negative={self.n_negative}, "
            f"n_zero={self.n_zero}, converted_to_utc={self.converted_to_utc})"
        )

    @property
    def n_zero(self) -> int:
        """Rows with an amount of exactly zero (kept, never dropped; counted on demand)."""
        return int(np.count_nonzero(self.amount == 0))

    def __len__(self) -> int:
        return int(self.amount.shape[0])

    @property
    def n_rows(self) -> int:
        """Number of transaction rows."""
        return len(self)

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the core and extra columns as a dict of numpy arrays.

        Returns
        -------
        dict of str to ndarray
            ``customer``, ``timestamp``, ``amount`` and every extra column.
        """
        cols = {name: getattr(self, name) for name in _CORE}
        cols.update(self.extra)
        return cols

    def take(self, rows: npt.ArrayLike) -> Transactions:
        """Return the rows selected by a boolean mask or integer positions.

        Parameters
        ----------
        rows : array_like of bool, shape (n,), or of int
            Which rows to keep.

        Returns
        -------
        Transactions
            A new value; counts of negative and zero rows are recomputed.

        Examples
        --------
        >>> tx = Transactions.from_arrays(
        ...     customer=[1, 2], timestamp=["2024-01-01"] * 2, amount=[5.0, -1.0]
        ... )
        >>> tx.take(tx.amount > 0).n_negative
        0
        """
        index = np.asarray(rows)
        if index.dtype == np.bool_ and index.shape != self.amount.shape:
            raise InputError(
                f"The 'rows' mask of Transactions.take must have {len(self)} entries; "
                f"got {index.shape[0] if index.ndim else 'a scalar'}.",
                field="rows",
            )
        amount = self.amount[index]
        return Transactions(
            customer=self.customer[index],
            timestamp=self.timestamp[index],
            amount=amount,
            extra={k: v[index] for k, v in self.extra.items()},
            n_negative=int(np.count_nonzero(amount < 0)),
            converted_to_utc=self.converted_to_utc,
            source_names=self.column_names,
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        customer: npt.ArrayLike,
        timestamp: npt.ArrayLike,
        amount: npt.ArrayLike,
        extra: Mapping[str, npt.ArrayLike] | None = None,
        copy: bool = False,
    ) -> Transactions:
        """Validate column arrays (or sequences) into a ``Transactions`` value.

        Parameters
        ----------
        customer : array_like of int or str, shape (n,)
            Customer id per row; null or empty ids are rejected.
        timestamp : array_like, shape (n,)
            ``datetime64``, ``datetime``/``date`` objects or ISO-8601 strings.
            Aware values are converted to UTC; mixing aware and naive is an error.
        amount : array_like of float, shape (n,)
            Finite purchase values; negatives (refunds) are allowed and counted.
        extra : mapping of str to array_like, optional
            Further columns: numbers become float64 (and must be finite),
            whole numbers int64, text str, datetimes datetime64[us].
        copy : bool, default False
            Copy arrays that need no conversion instead of viewing them.

        Returns
        -------
        Transactions
            The validated rows.

        Raises
        ------
        InputError
            On empty input, a length mismatch, null ids, NaN/inf amounts or
            unparsable/mixed-zone timestamps; the message names the column,
            the number of bad rows and the first positions and values.

        Examples
        --------
        >>> import numpy as np
        >>> tx = Transactions.from_arrays(
        ...     customer=np.array([101, 102, 101]),
        ...     timestamp=np.array(
        ...         ["2024-03-01", "2024-03-02", "2024-03-09"], dtype="datetime64[D]"
        ...     ),
        ...     amount=np.array([20.0, 35.0, 12.5]),
        ...     extra={"channel": ["web", "store", "web"]},
        ... )
        >>> tx.extra["channel"].tolist()
        ['web', 'store', 'web']
        """
        arrays: dict[str, Any] = {
            "customer": customer,
            "timestamp": timestamp,
            "amount": amount,
        }
        return cls._build(arrays, dict(extra or {}), copy=copy)

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any] | object],
        *,
        customer: str = "customer",
        timestamp: str = "timestamp",
        amount: str = "amount",
        extra: Sequence[str] | Mapping[str, str] = (),
    ) -> Transactions:
        """Validate an iterable of records (dicts or attrs/dataclass objects).

        Parameters
        ----------
        records : iterable of mapping or object
            One record per transaction. Mappings are read by key, other
            objects by attribute.
        customer, timestamp, amount : str
            The key (or attribute) holding each core field.
        extra : sequence of str or mapping of str to str
            Extra fields to keep: names, or crmkit name -> record key.

        Returns
        -------
        Transactions
            The validated rows.

        Raises
        ------
        InputError
            If a record lacks a field (naming the record position) or any
            column is invalid.

        Examples
        --------
        >>> rows = [
        ...     {"cust": "c1", "when": "2024-05-01", "value": 9.99},
        ...     {"cust": "c2", "when": "2024-05-03", "value": 24.0},
        ... ]
        >>> Transactions.from_records(
        ...     rows, customer="cust", timestamp="when", amount="value"
        ... ).n_rows
        2
        """
        mapping = {"customer": customer, "timestamp": timestamp, "amount": amount}
        extra_map = _extra_mapping(extra)
        keys = {**mapping, **extra_map}
        columns: dict[str, list[Any]] = {field: [] for field in keys}
        for position, record in enumerate(records):
            for field, key in keys.items():
                columns[field].append(_read_field(record, key, field, position))
        core = {field: columns[field] for field in mapping}
        extras = {field: columns[field] for field in extra_map}
        return cls._build(core, extras, copy=False, names=source_names(**keys))

    @classmethod
    def from_frame(
        cls,
        frame: object,
        *,
        customer: str = "customer",
        timestamp: str = "timestamp",
        amount: str = "amount",
        extra: Sequence[str] | Mapping[str, str] = (),
    ) -> Transactions:
        """Validate the mapped columns of any DataFrame narwhals supports.

        pandas, polars (eager or lazy), pyarrow tables, DuckDB relations and
        Dask frames all work; lazy engines run the column selection themselves.

        Parameters
        ----------
        frame : DataFrame-like
            The caller's table; never modified.
        customer, timestamp, amount : str
            The caller's column name for each core field.
        extra : sequence of str or mapping of str to str
            Extra columns to keep: names, or crmkit name -> frame column.

        Returns
        -------
        Transactions
            The validated rows.

        Raises
        ------
        InputError
            If a mapped column is missing (with close matches as a hint) or
            any column is invalid.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame(
        ...     {
        ...         "cust_id": [1, 2],
        ...         "ts": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        ...         "value": [3.0, 4.0],
        ...     }
        ... )
        >>> Transactions.from_frame(
        ...     df, customer="cust_id", timestamp="ts", amount="value"
        ... ).customer.tolist()
        [1, 2]
        """
        mapping = {"customer": customer, "timestamp": timestamp, "amount": amount}
        extra_map = _extra_mapping(extra)
        columns = read_columns(frame, {**mapping, **extra_map}, function=_FUNCTION)
        core = {field: columns[field] for field in mapping}
        extras = {field: columns[field] for field in extra_map}
        return cls._build(core, extras, copy=False, names=source_names(**{**mapping, **extra_map}))

    @classmethod
    def _build(
        cls,
        core: dict[str, Any],
        extra: dict[str, Any],
        *,
        copy: bool,
        names: Mapping[str, str] | None = None,
    ) -> Transactions:
        ids = as_ids(core["customer"], field="customer", function=_FUNCTION)
        times = as_datetime(core["timestamp"], field="timestamp", function=_FUNCTION)
        amount, n_negative = as_amounts(core["amount"], field="amount", function=_FUNCTION)
        lengths = {
            "customer": ids.size,
            "timestamp": times.values.size,
            "amount": amount.size,
        }
        extras = {name: _coerce_extra(name, values) for name, values in extra.items()}
        lengths.update({name: arr.size for name, arr in extras.items()})
        n = check_same_length(lengths, function=_FUNCTION)
        if n == 0:
            raise InputError(
                f"{_FUNCTION} needs at least one row; got empty columns.",
                field="customer",
                hint="Check the filter that produced the data.",
            )

        def finish(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return as_readonly(arr.copy() if copy else arr)

        return cls(
            customer=finish(ids),
            timestamp=finish(times.values),
            amount=finish(amount),
            extra={name: finish(arr) for name, arr in extras.items()},
            n_negative=n_negative,
            converted_to_utc=times.aware,
            source_names=names or {},
        )


def _extra_mapping(extra: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    if isinstance(extra, str):
        return {extra: extra}
    if isinstance(extra, Mapping):
        return dict(extra)
    return {name: name for name in extra}


def _read_field(record: object, key: str, field: str, position: int) -> object:
    if isinstance(record, Mapping):
        if key in record:
            return record[key]
    elif hasattr(record, key):
        return getattr(record, key)
    raise InputError(
        f"Record {position} given to {_FUNCTION} has no {key!r} (mapped to the {field!r} field).",
        field=field,
        positions=[position],
        hint=f"Pass {field}='<key>' naming the key that holds it.",
    )


def _coerce_extra(name: str, values: object) -> npt.NDArray[Any]:
    arr = to_array(values)
    kind = arr.dtype.kind
    if kind == "O" and any(
        isinstance(v, (float, np.floating)) and not isinstance(v, bool) for v in arr
    ):
        return as_finite_float(arr, field=name, function=_FUNCTION)
    if kind in "iu":
        return arr.astype(np.int64, copy=False)
    if kind == "b":
        return arr
    if kind == "f":
        return as_finite_float(arr, field=name, function=_FUNCTION)
    if kind == "M":
        return as_datetime(arr, field=name, function=_FUNCTION).values
    return as_ids(arr, field=name, function=_FUNCTION)


def as_transactions(
    data: object,
    *,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    extra: Sequence[str] | Mapping[str, str] = (),
) -> Transactions:
    """Turn whatever the caller has into ``Transactions``.

    Accepts a ``Transactions`` value (returned as is), any DataFrame narwhals
    supports, a mapping of column name -> array, or an iterable of records;
    the column names map the caller's names onto crmkit's fields.

    Parameters
    ----------
    data : Transactions, DataFrame-like, mapping of arrays or iterable of records
        The transaction rows.
    customer, timestamp, amount : str
        The caller's name for each core field.
    extra : sequence of str or mapping of str to str
        Extra columns to keep.

    Returns
    -------
    Transactions
        The validated rows.

    Raises
    ------
    InputError
        If *data* is of an unsupported type or any column is invalid.

    Examples
    --------
    >>> cols = {"id": [1, 1], "day": ["2024-01-01", "2024-02-01"], "eur": [10.0, 12.0]}
    >>> as_transactions(cols, customer="id", timestamp="day", amount="eur").n_rows
    2
    """
    if isinstance(data, Transactions):
        return data
    if isinstance(data, Mapping):
        keys = {"customer": customer, "timestamp": timestamp, "amount": amount}
        extra_map = _extra_mapping(extra)
        missing = [k for k in (*keys.values(), *extra_map.values()) if k not in data]
        if missing:
            raise InputError(
                f"The columns given to as_transactions have no {missing[0]!r}.",
                field=missing[0],
                hint=f"Available columns: {sorted(map(str, data))}.",
            )
        tx = Transactions.from_arrays(
            customer=data[customer],
            timestamp=data[timestamp],
            amount=data[amount],
            extra={name: data[col] for name, col in extra_map.items()},
        )
        names = source_names(**{**keys, **extra_map})
        return attrs.evolve(tx, source_names=names) if names else tx
    if is_frame(data):
        return Transactions.from_frame(
            data, customer=customer, timestamp=timestamp, amount=amount, extra=extra
        )
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes, np.ndarray)):
        return Transactions.from_records(
            data, customer=customer, timestamp=timestamp, amount=amount, extra=extra
        )
    raise InputError(
        f"as_transactions cannot read a {type(data).__name__}.",
        field="data",
        hint="Pass a Transactions value, a DataFrame, a dict of columns or a list of records.",
    )
