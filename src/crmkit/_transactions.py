"""The ``Transactions`` value: validated purchase rows, built from whatever the caller has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import check_column_names, is_frame, read_columns
from crmkit._groups import Factorized, factorize
from crmkit._input import (
    DATETIME_DTYPE,
    DEFAULT_YEARS,
    as_amounts,
    as_datetime,
    as_finite_float,
    as_ids,
    as_readonly,
    check_date_format,
    check_same_length,
    check_valid_years,
    to_array,
)
from crmkit._params import flag
from crmkit._results import Kind, Result, frozen_mapping, names_field, source_names
from crmkit.errors import InputError

__all__ = ["Transactions", "as_transactions", "customer_groups", "read_transactions"]

_CORE = ("customer", "timestamp", "amount")
_FUNCTION = "Transactions"


def _check_ids(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    ok = isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iU"
    if ok and isinstance(value, np.ndarray) and value.size > 1:
        ok = bool(np.all(value[1:] > value[:-1]))
    if not ok:
        raise InputError(
            f"Transactions.{attribute.name} must be a 1-D int64 or str array of distinct "
            "ids in ascending order.",
            field=attribute.name,
            hint="Build Transactions with Transactions.from_arrays(), which converts.",
        )


def _check_codes(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype != np.int64:
        raise InputError(
            f"Transactions.{attribute.name} must be a 1-D int64 array.",
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
    customer_codes : ndarray of int64, shape (n,)
        Per row, the position of its customer in ``customer_ids``.
    customer_ids : ndarray of int64 or str, shape (k,)
        The distinct customer ids, ascending. Ids are factorised once, when
        the rows are read; every analysis groups by these codes. The
        ``customer`` property gives the id per row (built on each access).
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

    customer_codes: npt.NDArray[np.int64] = attrs.field(validator=_check_codes)
    customer_ids: npt.NDArray[Any] = attrs.field(validator=_check_ids)
    timestamp: npt.NDArray[np.datetime64] = attrs.field(validator=_check_times)
    amount: npt.NDArray[np.float64] = attrs.field(validator=_check_amounts)
    extra: Mapping[str, npt.NDArray[Any]] = attrs.field(factory=dict, converter=frozen_mapping)
    n_negative: int = 0
    converted_to_utc: bool = False
    _source_names: Mapping[str, str] = names_field()

    def __attrs_post_init__(self) -> None:
        codes = self.customer_codes
        k = self.customer_ids.shape[0]
        if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= k):
            raise InputError(
                f"Transactions.customer_codes must index customer_ids (0 to {k - 1}).",
                field="customer_codes",
            )
        lengths = {
            "customer": codes.shape[0],
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
    def customer(self) -> npt.NDArray[Any]:
        """Customer id per row (read-only; built from the codes on each access)."""
        return as_readonly(self.customer_ids[self.customer_codes])

    @property
    def n_customers(self) -> int:
        """Number of distinct customers."""
        return int(self.customer_ids.shape[0])

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
        groups = customer_groups(self).take(index)
        return Transactions(
            customer_codes=as_readonly(groups.codes),
            customer_ids=as_readonly(groups.uniques),
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
        date_format: str | None = None,
        valid_years: tuple[int, int] = DEFAULT_YEARS,
    ) -> Transactions:
        """Validate column arrays (or sequences) into a ``Transactions`` value.

        Parameters
        ----------
        customer : array_like of int or str, shape (n,)
            Customer id per row; null or empty ids are rejected.
        timestamp : array_like, shape (n,)
            ``datetime64``, ``datetime``/``date`` objects or ISO-8601 strings
            (``YYYY-MM-DD[THH:MM[:SS]]``); with *date_format*, text or whole
            numbers in that layout. Aware values are converted to UTC; mixing
            aware and naive is an error.
        amount : array_like of float, shape (n,)
            Finite purchase values; negatives (refunds) are allowed and counted.
        extra : mapping of str to array_like, optional
            Further columns: numbers become float64 (and must be finite),
            whole numbers int64, text str, datetimes datetime64[us].
        copy : bool, default False
            Copy arrays that need no conversion instead of viewing them.
        date_format : str, optional
            A strftime pattern for text or numeric timestamps that are not
            ISO-8601, e.g. ``"%Y%m%d"`` or ``"%d/%m/%Y"``.
        valid_years : tuple of (int, int), default (1900, 2200)
            Years a timestamp may fall in (both inclusive); a date outside is
            refused as a likely misread.

        Returns
        -------
        Transactions
            The validated rows.

        Raises
        ------
        InputError
            On empty input, a length mismatch, null or mixed-type ids, NaN/inf
            amounts, or missing, unparsable, mixed-zone or out-of-window
            timestamps; the message names the column, the number of bad rows
            and the first positions and values.

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
        return cls._build(
            arrays,
            dict(extra or {}),
            dates=_DateRules.checked(date_format, valid_years, "Transactions.from_arrays"),
            copy=flag(copy, name="copy", function="Transactions.from_arrays"),
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any] | object],
        *,
        customer: str = "customer",
        timestamp: str = "timestamp",
        amount: str = "amount",
        extra: Sequence[str] | Mapping[str, str] = (),
        date_format: str | None = None,
        valid_years: tuple[int, int] = DEFAULT_YEARS,
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
        date_format : str, optional
            A strftime pattern for timestamps that are not ISO-8601.
        valid_years : tuple of (int, int), default (1900, 2200)
            Years a timestamp may fall in; a date outside is refused.

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
        dates = _DateRules.checked(
            date_format, valid_years, "Transactions.from_records", data_name="records"
        )
        mapping = {"customer": customer, "timestamp": timestamp, "amount": amount}
        return _from_records(records, mapping, _extra_mapping(extra), dates)

    @classmethod
    def from_frame(
        cls,
        frame: object,
        *,
        customer: str = "customer",
        timestamp: str = "timestamp",
        amount: str = "amount",
        extra: Sequence[str] | Mapping[str, str] = (),
        date_format: str | None = None,
        valid_years: tuple[int, int] = DEFAULT_YEARS,
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
        date_format : str, optional
            A strftime pattern for text or numeric timestamps that are not
            ISO-8601 (``"%Y%m%d"`` reads CDNOW's ``19970101``).
        valid_years : tuple of (int, int), default (1900, 2200)
            Years a timestamp may fall in; a date outside is refused.

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
        dates = _DateRules.checked(
            date_format, valid_years, "Transactions.from_frame", data_name="frame"
        )
        mapping = {"customer": customer, "timestamp": timestamp, "amount": amount}
        return _from_frame(frame, mapping, _extra_mapping(extra), dates)

    @classmethod
    def _build(
        cls,
        core: dict[str, Any],
        extra: dict[str, Any],
        *,
        copy: bool,
        dates: _DateRules,
        names: Mapping[str, str] | None = None,
    ) -> Transactions:
        """Validate columns; *names* maps crmkit fields to the caller's names for messages."""
        fn = dates.function
        label = dict(names or {})
        raw_ids = core["customer"]
        if isinstance(raw_ids, Factorized):  # read from a frame's own buffers
            groups = raw_ids
        else:
            ids = as_ids(raw_ids, field="customer", function=fn, column=label.get("customer"))
            groups = factorize(ids)
        times = as_datetime(
            core["timestamp"],
            field="timestamp",
            function=fn,
            column=label.get("timestamp"),
            date_format=dates.date_format,
            valid_years=dates.valid_years,
        )
        amount, n_negative = as_amounts(
            core["amount"], field="amount", function=fn, column=label.get("amount")
        )
        lengths = {
            "customer": groups.codes.size,
            "timestamp": times.values.size,
            "amount": amount.size,
        }
        extras = {
            name: _coerce_extra(name, values, dates, label.get(name, name))
            for name, values in extra.items()
        }
        lengths.update({name: arr.size for name, arr in extras.items()})
        n = check_same_length(lengths, function=fn)
        if n == 0:
            raise InputError(
                f"{fn} needs at least one row; got empty columns.",
                field=dates.data_name,
                hint="Check the filter that produced the data.",
            )

        def finish(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return as_readonly(arr.copy() if copy else arr)

        return cls(
            customer_codes=as_readonly(groups.codes),
            customer_ids=as_readonly(groups.uniques),
            timestamp=finish(times.values),
            amount=finish(amount),
            extra={name: finish(arr) for name, arr in extras.items()},
            n_negative=n_negative,
            converted_to_utc=times.aware,
            source_names=source_names(**label),
        )


@attrs.frozen
class _DateRules:
    """How the timestamps of one call are read, which function and argument errors name."""

    function: str
    date_format: str | None = None
    valid_years: tuple[int, int] = DEFAULT_YEARS
    data_name: str = "customer"

    @classmethod
    def checked(
        cls, date_format: object, valid_years: object, function: str, data_name: str = "customer"
    ) -> _DateRules:
        return cls(
            function=function,
            date_format=check_date_format(date_format, function=function),
            valid_years=check_valid_years(valid_years, function=function),
            data_name=data_name,
        )


def customer_groups(tx: Transactions) -> Factorized:
    """Return the customer codes and sorted ids of *tx*, as every per-customer kernel takes them."""
    return Factorized(codes=tx.customer_codes, uniques=tx.customer_ids)


def _extra_mapping(extra: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    if isinstance(extra, str):
        return {extra: extra}
    if isinstance(extra, Mapping):
        return dict(extra)
    return {name: name for name in extra}


def _read_field(record: object, key: str, field: str, position: int, function: str) -> object:
    if isinstance(record, Mapping):
        if key in record:
            return record[key]
    elif hasattr(record, key):
        return getattr(record, key)
    raise InputError(
        f"Record {position} given to {function} has no {key!r} (mapped to the {field!r} field).",
        field=field,
        positions=[position],
        hint=f"Pass {field}='<key>' naming the key that holds it.",
    )


def _from_records(
    records: Iterable[object],
    mapping: dict[str, str],
    extra_map: dict[str, str],
    dates: _DateRules,
) -> Transactions:
    keys = {**mapping, **extra_map}
    check_column_names(keys, function=dates.function)
    columns: dict[str, list[Any]] = {field: [] for field in keys}
    for position, record in enumerate(records):
        for field, key in keys.items():
            columns[field].append(_read_field(record, key, field, position, dates.function))
    core = {field: columns[field] for field in mapping}
    extras = {field: columns[field] for field in extra_map}
    return Transactions._build(core, extras, copy=False, dates=dates, names=keys)  # noqa: SLF001


def _from_frame(
    frame: object,
    mapping: dict[str, str],
    extra_map: dict[str, str],
    dates: _DateRules,
) -> Transactions:
    keys = {**mapping, **extra_map}
    columns = read_columns(frame, keys, function=dates.function, ids=("customer",))
    core = {field: columns[field] for field in mapping}
    extras = {field: columns[field] for field in extra_map}
    return Transactions._build(core, extras, copy=False, dates=dates, names=keys)  # noqa: SLF001


def _coerce_extra(name: str, values: object, dates: _DateRules, column: str) -> npt.NDArray[Any]:
    fn = dates.function
    arr = to_array(values, field=name, function=fn)
    kind = arr.dtype.kind
    if kind == "O" and any(
        isinstance(v, (float, np.floating)) and not isinstance(v, bool) for v in arr
    ):
        return as_finite_float(arr, field=name, function=fn, column=column)
    if kind in "iu":
        return arr.astype(np.int64, copy=False)
    if kind == "b":
        return arr
    if kind == "f":
        return as_finite_float(arr, field=name, function=fn, column=column)
    if kind == "M":
        return as_datetime(
            arr, field=name, function=fn, column=column, valid_years=dates.valid_years
        ).values
    return as_ids(arr, field=name, function=fn, column=column)


def read_transactions(
    data: object,
    *,
    function: str,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    extra: Sequence[str] | Mapping[str, str] = (),
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
    data_name: str = "data",
) -> Transactions:
    """Turn whatever the caller has into ``Transactions``, naming *function* in every error.

    The reader behind :func:`as_transactions` and every area function that
    takes transaction data: a ``Transactions`` value is returned as is; a
    frame, a mapping of columns or an iterable of records is validated once.
    """
    # the options are checked even for a Transactions value, which needs none of them
    dates = _DateRules.checked(date_format, valid_years, function, data_name=data_name)
    mapping = {"customer": customer, "timestamp": timestamp, "amount": amount}
    extra_map = _extra_mapping(extra)
    check_column_names({**mapping, **extra_map}, function=function)
    if isinstance(data, Transactions):
        return data
    if isinstance(data, Mapping):
        missing = [k for k in (*mapping.values(), *extra_map.values()) if k not in data]
        if missing:
            field = next(f for f, k in {**mapping, **extra_map}.items() if k == missing[0])
            raise InputError(
                f"The {field!r} column of {function} was mapped to {missing[0]!r}, "
                "which the columns given do not have.",
                field=field,
                hint=f"Available columns: {sorted(map(str, data))}; map each crmkit field "
                f"with {field}='<your column>'.",
            )
        core = {field: data[col] for field, col in mapping.items()}
        extras = {field: data[col] for field, col in extra_map.items()}
        names = {**mapping, **extra_map}
        return Transactions._build(core, extras, copy=False, dates=dates, names=names)  # noqa: SLF001
    if is_frame(data):
        return _from_frame(data, mapping, extra_map, dates)
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes, np.ndarray)):
        return _from_records(data, mapping, extra_map, dates)
    raise InputError(
        f"{function} cannot read transactions from a {type(data).__name__}.",
        field=data_name,
        hint="Pass a Transactions value, a DataFrame, a dict of columns or a list of records.",
    )


def as_transactions(
    data: object,
    *,
    customer: str = "customer",
    timestamp: str = "timestamp",
    amount: str = "amount",
    extra: Sequence[str] | Mapping[str, str] = (),
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
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
    date_format : str, optional
        A strftime pattern for timestamps that are not ISO-8601 (e.g.
        ``"%Y%m%d"``); ignored for a ``Transactions`` value, already read.
    valid_years : tuple of (int, int), default (1900, 2200)
        Years a timestamp may fall in; a date outside is refused.

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

    CDNOW's raw file writes dates as ``YYYYMMDD`` numbers:

    >>> cdnow = {"customer": [4, 4], "timestamp": [19970101, 19970118], "amount": [29.33, 29.73]}
    >>> str(as_transactions(cdnow, date_format="%Y%m%d").timestamp[1])
    '1997-01-18T00:00:00.000000'
    """
    return read_transactions(
        data,
        function="as_transactions",
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        extra=extra,
        date_format=date_format,
        valid_years=valid_years,
    )
