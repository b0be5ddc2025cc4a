"""The ``Opportunities`` value: validated open and closed deals with their dimensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import Backend, read_columns, to_backend
from crmkit._groups import Factorized, factorize
from crmkit._input import (
    DATETIME_DTYPE,
    DEFAULT_YEARS,
    as_amounts,
    as_finite_float,
    as_flags,
    as_ids,
    as_optional_datetime,
    as_readonly,
    check_date_format,
    check_same_length,
    check_valid_years,
    to_array,
)
from crmkit._params import instance, names
from crmkit._reduce import bincount
from crmkit._results import frozen_mapping, json_safe
from crmkit._values import bad_rows_error, is_null
from crmkit.errors import InputError
from crmkit.funnel._process import ForecastCategory, SalesProcess

__all__ = [
    "Opportunities",
    "deal_amounts",
    "dimension_columns",
    "is_missing",
    "optional_times",
    "stage_codes",
]

_NAT = np.datetime64("NaT", "us")
_CORE: Final = ("id", "amount", "stage", "close_date", "created", "category", "probability")


def is_missing(value: object) -> bool:
    """Whether *value* is a null: None, NaN, NaT or a value that refuses comparison (pd.NA)."""
    return is_null(value)


def optional_times(
    values: object,
    *,
    field: str,
    function: str,
    date_format: str | None = None,
    valid_years: tuple[int, int] = DEFAULT_YEARS,
    column: str | None = None,
) -> npt.NDArray[np.datetime64]:
    """Read a date column whose missing values mean "unknown": they become NaT.

    Every other value is read as :func:`crmkit._input.as_datetime` reads it
    (ISO-8601, or *date_format*; years in *valid_years*), and refused likewise
    (:func:`crmkit._input.as_optional_datetime`).
    """
    times, _ = as_optional_datetime(
        values,
        field=field,
        function=function,
        date_format=date_format,
        valid_years=valid_years,
        column=column,
    )
    return times


def deal_amounts(
    values: object, *, field: str, function: str, column: str | None = None
) -> npt.NDArray[np.float64]:
    """Read deal values: finite, >= 0, and with a total within float64's range."""
    out, n_negative = as_amounts(values, field=field, function=function, column=column)
    if n_negative:
        raise bad_rows_error(
            out < 0,
            out,
            field=field,
            requirement="must be >= 0",
            function=function,
            column=column,
            hint="Deal values are never negative; record a lost deal with the lost stage.",
        )
    return out


def stage_codes(
    values: object,
    process: SalesProcess,
    *,
    field: str,
    function: str,
    column: str | None = None,
) -> Any:  # noqa: ANN401
    """Map stage names (or codes) to the process's int64 codes, rejecting unknown ones."""
    arr = to_array(values, field=field, function=function)
    n_codes = len(process.names)
    if arr.dtype.kind in "iu":
        codes = arr.astype(np.int64)
        bad = (codes < 0) | (codes >= n_codes)
        if bad.any():
            raise bad_rows_error(
                bad,
                codes,
                field=field,
                requirement=f"must hold stage codes 0..{n_codes - 1} or stage names",
                function=function,
                column=column,
                hint=f"Known stages: {list(process.names)}.",
            )
        return codes
    ids = as_ids(arr, field=field, function=function, column=column)
    fact = factorize(ids.astype(str))
    lookup = {name: i for i, name in enumerate(process.names)}
    mapped = np.array([lookup.get(str(u), -1) for u in fact.uniques], dtype=np.int64)
    codes = mapped[fact.codes]
    bad = codes < 0
    if bad.any():
        raise bad_rows_error(
            bad,
            ids,
            field=field,
            requirement="must hold names of the sales process's stages",
            function=function,
            column=column,
            hint=f"Known stages: {list(process.names)}.",
        )
    return codes


def _categories(
    values: object, default: npt.NDArray[np.int64], *, function: str, column: str | None
) -> Any:  # noqa: ANN401
    arr = to_array(values, field="category", function=function)
    if arr.dtype.kind == "U":
        texts = arr
    else:
        texts = np.array(
            [
                ""
                if is_missing(v)
                else v.name.lower()
                if isinstance(v, ForecastCategory)
                else str(v)
                for v in arr.tolist()
            ],
            dtype=str,
        )
    known = {c.name.lower(): int(c) for c in ForecastCategory}
    known.update({c.label: int(c) for c in ForecastCategory})
    known[""] = -2  # no override
    uniq, inverse = np.unique(np.strings.lower(np.strings.strip(texts)), return_inverse=True)
    mapped = np.array([known.get(str(u), -1) for u in uniq], dtype=np.int64)[inverse]
    if (mapped == -1).any():
        raise bad_rows_error(
            mapped == -1,
            arr,
            field="category",
            requirement="must hold forecast categories or be empty (no override)",
            function=function,
            column=column,
            hint=f"Valid: {[c.label for c in ForecastCategory]}.",
        )
    return np.where(mapped == -2, default, mapped)


def _entered_probabilities(
    values: object, *, function: str, column: str | None
) -> npt.NDArray[np.float64]:
    """Probabilities entered on deals: numbers in [0, 1]; missing ones (NaN) mean the stage's."""
    arr = to_array(values, field="probability", function=function)
    kind = arr.dtype.kind
    if kind == "O":
        missing = np.fromiter((is_missing(v) for v in arr), dtype=bool, count=arr.size)
    elif kind == "f":
        missing = np.isnan(arr)
    elif kind in "UST":
        missing = np.strings.str_len(np.strings.strip(arr.astype(str))) == 0
    else:
        missing = np.zeros(arr.size, dtype=bool)
    filled = arr
    if missing.any():  # a placeholder keeps the positions of the other rows' errors right
        filled = arr.astype(object)
        filled[missing] = 0.0
    out = as_finite_float(
        filled, field="probability", function=function, column=column, minimum=0.0
    )
    if out.size and out.max() > 1.0:
        raise bad_rows_error(
            out > 1.0,
            arr,
            field="probability",
            requirement="must be in [0, 1] (or empty for the stage's probability)",
            function=function,
            column=column,
            hint="Percentages such as 40 must be given as 0.4.",
        )
    return np.where(missing, np.nan, out)


def dimension_columns(
    dimensions: object, *, function: str, reserved: tuple[str, ...] = (*_CORE, "period", "quota")
) -> dict[str, object]:
    """Check a mapping of dimension name -> column: names are distinct strings, not *reserved*."""
    if dimensions is None:
        return {}
    dims: Mapping[str, object] = instance(
        dimensions,
        Mapping,  # type: ignore[type-abstract]
        name="dimensions",
        function=function,
        what="a mapping of columns",
    )
    listed = names(
        list(dims), name="dimensions", function=function, allow_empty=True, what="dimension names"
    )
    clash = [d for d in listed if d in reserved]
    if clash:
        raise InputError.for_parameter(
            "dimensions", "named differently from the core columns", clash[0], function=function
        )
    return dict(dims)


def _check_array(kind: str) -> Any:  # noqa: ANN401
    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind not in kind:
            raise InputError(
                f"Opportunities.{attribute.name} must be a 1-D array of kind {kind!r}.",
                field=attribute.name,
                hint="Build Opportunities with Opportunities.from_arrays(), which converts.",
            )

    return check


@attrs.frozen(kw_only=True, repr=False)
class Opportunities:
    """Validated opportunities: amounts, stages, dates and any dimensions.

    Build with :meth:`from_arrays` or :meth:`from_frame`; both validate every
    column once. Stages are stored as the process's codes (open stages
    ``0..k-1``, won ``k``, lost ``k+1``); missing close or created dates are
    ``NaT`` (a period forecast refuses open deals without a close date).

    Attributes
    ----------
    process : SalesProcess
        The stages the codes refer to.
    id : ndarray of int64 or str, shape (n,)
        Opportunity ids.
    amount : ndarray of float64, shape (n,)
        Deal value (currency units, >= 0).
    stage : ndarray of int64, shape (n,)
        Stage code of each deal.
    close_date : ndarray of datetime64[us], shape (n,)
        Expected close date of open deals, actual close date of closed ones (NaT if unknown).
    created : ndarray of datetime64[us], shape (n,)
        Creation time (NaT if not given).
    category : ndarray of int64, shape (n,)
        :class:`ForecastCategory` of each deal, the stage default unless overridden.
    probability : ndarray of float64, shape (n,)
        Win probability entered on the deal by its owner (NaN: use the stage's);
        always NaN on closed deals.
    dimensions : mapping of str to ndarray, shape (n,) each
        Grouping columns such as owner, team, region, product line.
    dimension_groups : mapping of str to Factorized
        Each dimension as dense codes and sorted unique values, computed once
        at the boundary so every grouping after it works on integers.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[10_000.0, 4_000.0, 7_500.0],
    ...     stage=["qualify", "close", "won"],
    ...     close_date=["2024-07-15", "2024-07-30", "2024-06-20"],
    ...     dimensions={"region": ["north", "south", "north"]},
    ... )
    >>> opps.n_open, opps.stage_names.tolist()
    (2, ['qualify', 'close', 'won'])
    """

    process: SalesProcess
    id: npt.NDArray[Any] = attrs.field(validator=_check_array("iU"))
    amount: npt.NDArray[np.float64] = attrs.field(validator=_check_array("f"))
    stage: npt.NDArray[np.int64] = attrs.field(validator=_check_array("i"))
    close_date: npt.NDArray[np.datetime64] = attrs.field(validator=_check_array("M"))
    created: npt.NDArray[np.datetime64] = attrs.field(validator=_check_array("M"))
    category: npt.NDArray[np.int64] = attrs.field(validator=_check_array("i"))
    probability: npt.NDArray[np.float64] = attrs.field(validator=_check_array("f"))
    dimensions: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    dimension_groups: Mapping[str, Factorized] = attrs.field(converter=frozen_mapping)

    @dimension_groups.default
    def _factorizedimension_columns(self) -> Mapping[str, Factorized]:
        return {k: factorize(v) for k, v in self.dimensions.items()}

    @classmethod
    def from_arrays(
        cls,
        *,
        process: SalesProcess,
        id: object,  # noqa: A002
        amount: object,
        stage: object,
        close_date: object | None = None,
        created: object | None = None,
        category: object | None = None,
        probability: object | None = None,
        dimensions: Mapping[str, object] | None = None,
        date_format: str | None = None,
        valid_years: tuple[int, int] = DEFAULT_YEARS,
    ) -> Opportunities:
        """Validate columns given as arrays or sequences.

        Parameters
        ----------
        process : SalesProcess
            The sales process the stage names belong to.
        id : array_like, shape (n,)
            Opportunity ids (ints or strings, not both), unique.
        amount : array_like of float, shape (n,)
            Deal value, finite and >= 0; the values' total must be within
            float64's range (about 1.8e308), so no forecast sum can overflow.
        stage : array_like of str or int, shape (n,)
            Stage or outcome names (or codes) of the process.
        close_date : array_like of date-like, shape (n,), optional
            Expected (open) or actual (closed) close dates. Missing values
            (None, NaN, NaT, empty text) mean "unknown" and become NaT.
        created : array_like of date-like, shape (n,), optional
            Creation dates; missing values become NaT, as for *close_date*.
        category : array_like, shape (n,), optional
            Forecast-category overrides (names such as ``"commit"``,
            :class:`ForecastCategory` values, or empty for the stage default).
        probability : array_like of float, shape (n,), optional
            Win probabilities entered on deals, in [0, 1]; empty (None/NaN) for
            the stage's. Used by ``probabilities="configured"``; ignored on
            closed deals.
        dimensions : mapping of str to array_like, optional
            Grouping columns (owner, team, region, product line, ...), no nulls.
        date_format : str, optional
            A strftime pattern for dates that are not ISO-8601 (``"%Y%m%d"``,
            ``"%d/%m/%Y"``, ...); text or whole numbers in that layout.
        valid_years : tuple of (int, int), default (1900, 2200)
            Years a date may fall in (both inclusive); a date outside is
            refused as a likely misread.

        Returns
        -------
        Opportunities

        Raises
        ------
        InputError
            For unknown stage names (the known ones are listed), negative, NaN
            or overflowing amounts, duplicate or mixed int/str ids, unreadable
            or out-of-window dates, null dimension values or columns of
            different lengths; the message names the column, the number of bad
            rows and the first positions and values.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS, id=[1], amount=[-5.0], stage=["plan"]
        ... )
        Traceback (most recent call last):
        ...
        crmkit.errors.InputError: The 'amount' column of Opportunities.from_arrays must be >= 0: ...

        Dates in another layout need their format:

        >>> Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1],
        ...     amount=[5.0],
        ...     stage=["plan"],
        ...     close_date=["15/07/2024"],
        ...     date_format="%d/%m/%Y",
        ... ).close_date.tolist()
        [datetime.datetime(2024, 7, 15, 0, 0)]
        """
        fn = "Opportunities.from_arrays"
        given = {
            "close_date": close_date,
            "created": created,
            "category": category,
            "probability": probability,
        }
        columns = {"id": id, "amount": amount, "stage": stage}
        columns |= {k: v for k, v in given.items() if v is not None}
        return cls._build(
            process,
            columns,
            dimension_columns(dimensions, function=fn),
            date_format=check_date_format(date_format, function=fn),
            valid_years=check_valid_years(valid_years, function=fn),
            function=fn,
        )

    @classmethod
    def _build(
        cls,
        process: object,
        columns: Mapping[str, object],
        dimensions: Mapping[str, object],
        *,
        date_format: str | None,
        valid_years: tuple[int, int],
        function: str,
        names_in_frame: Mapping[str, str] | None = None,
    ) -> Opportunities:
        fn = function
        proc = instance(process, SalesProcess, name="process", function=fn, what="a SalesProcess")
        frame_names = dict(names_in_frame or {})

        def col(field: str) -> str | None:
            return frame_names.get(field)

        ids = as_ids(columns["id"], field="id", function=fn, column=col("id"))
        amounts = deal_amounts(columns["amount"], field="amount", function=fn, column=col("amount"))
        codes = stage_codes(columns["stage"], proc, field="stage", function=fn, column=col("stage"))
        lengths = {"id": ids.size, "amount": amounts.size, "stage": codes.size}
        dates = {}
        for name in ("close_date", "created"):
            if name in columns:
                dates[name] = optional_times(
                    columns[name],
                    field=name,
                    function=fn,
                    date_format=date_format,
                    valid_years=valid_years,
                    column=col(name),
                )
                lengths[name] = dates[name].size
        dims: dict[str, npt.NDArray[Any]] = {}
        for name, values in dimensions.items():
            dims[name] = as_readonly(as_ids(values, field=name, function=fn, column=col(name)))
            lengths[name] = dims[name].size
        raw_cat = None if "category" not in columns else to_array(columns["category"])
        if raw_cat is not None:
            lengths["category"] = raw_cat.size
        entered = None
        if "probability" in columns:
            entered = _entered_probabilities(
                columns["probability"], function=fn, column=col("probability")
            )
            lengths["probability"] = entered.size
        n = check_same_length(lengths, function=fn)
        closed = codes >= proc.won_code
        default_cat = proc.categories[codes]
        cats = default_cat
        if raw_cat is not None:
            cats = _categories(raw_cat, default_cat, function=fn, column=col("category"))
            cats = np.where(closed, default_cat, cats)  # a closed deal's category is its outcome
        entered = np.full(n, np.nan) if entered is None else np.where(closed, np.nan, entered)
        nat = np.full(n, _NAT, dtype=DATETIME_DTYPE)
        fact = factorize(ids)
        if fact.n_groups != n:
            counts = bincount(fact.codes, minlength=fact.n_groups)
            raise bad_rows_error(
                counts[fact.codes] > 1,
                ids,
                field="id",
                requirement="must be unique",
                function=fn,
                column=col("id"),
                hint="One row per opportunity: keep the latest snapshot of each deal.",
            )
        return cls(
            process=proc,
            id=as_readonly(ids),
            amount=as_readonly(amounts),
            stage=as_readonly(codes),
            close_date=as_readonly(dates.get("close_date", nat)),
            created=as_readonly(dates.get("created", nat)),
            category=as_readonly(np.asarray(cats, dtype=np.int64)),
            probability=as_readonly(entered),
            dimensions=dims,
        )

    @classmethod
    def from_frame(
        cls,
        frame: object,
        *,
        process: SalesProcess,
        id: str = "id",  # noqa: A002
        amount: str = "amount",
        stage: str = "stage",
        close_date: str | None = None,
        created: str | None = None,
        category: str | None = None,
        probability: str | None = None,
        dimensions: Sequence[str] | Mapping[str, str] = (),
        date_format: str | None = None,
        valid_years: tuple[int, int] = DEFAULT_YEARS,
    ) -> Opportunities:
        """Validate the mapped columns of any DataFrame narwhals supports.

        Parameters
        ----------
        frame : DataFrame-like
            pandas, polars, pyarrow, DuckDB, Dask, ...
        process : SalesProcess
            The sales process the stage names belong to.
        id, amount, stage : str
            Column names of the core fields.
        close_date, created, category, probability : str, optional
            Column names of the optional fields.
        dimensions : sequence of str or mapping of str to str
            Dimension columns; a mapping renames them (crmkit name -> column).
        date_format : str, optional
            A strftime pattern for dates that are not ISO-8601, as in :meth:`from_arrays`.
        valid_years : tuple of (int, int), default (1900, 2200)
            Years a date may fall in, as in :meth:`from_arrays`.

        Returns
        -------
        Opportunities

        Raises
        ------
        InputError
            As :meth:`from_arrays` (naming the crmkit field, with the frame's
            column in ``err.column``), and for a mapped column the frame lacks.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> df = pd.DataFrame(
        ...     {
        ...         "opp": [1, 2],
        ...         "value": [5e3, 2e3],
        ...         "stage": ["plan", "lost"],
        ...         "owner": ["ana", "bo"],
        ...     }
        ... )
        >>> opps = Opportunities.from_frame(
        ...     df, process=DEFAULT_PROCESS, id="opp", amount="value", dimensions=["owner"]
        ... )
        >>> opps.n_open, list(opps.dimensions)
        (1, ['owner'])
        """
        fn = "Opportunities.from_frame"
        fmt = check_date_format(date_format, function=fn)
        years = check_valid_years(valid_years, function=fn)
        if isinstance(dimensions, Mapping):
            dim_map = dict(dimensions)
            names(list(dim_map), name="dimensions", function=fn, allow_empty=True)
        else:
            listed = names(
                dimensions, name="dimensions", function=fn, allow_empty=True, what="column names"
            )
            dim_map = {d: d for d in listed}
        dimension_columns(dict.fromkeys(dim_map), function=fn)
        mapping = {"id": id, "amount": amount, "stage": stage}
        optional = {
            "close_date": close_date,
            "created": created,
            "category": category,
            "probability": probability,
        }
        mapping |= {f: c for f, c in optional.items() if c is not None}
        mapping |= dim_map
        cols = read_columns(frame, mapping, function=fn)
        core = {f: cols[f] for f in mapping if f not in dim_map}
        return cls._build(
            process,
            core,
            {k: cols[k] for k in dim_map},
            date_format=fmt,
            valid_years=years,
            function=fn,
            names_in_frame=mapping,
        )

    @property
    def n_rows(self) -> int:
        """Number of opportunities."""
        return int(self.id.size)

    @property
    def is_open(self) -> npt.NDArray[np.bool_]:
        """Which deals are still open (not won, not lost)."""
        return self.stage < self.process.won_code

    @property
    def n_open(self) -> int:
        """Number of open deals."""
        return int(self.is_open.sum())

    @property
    def stage_names(self) -> npt.NDArray[np.str_]:
        """Stage name of each deal."""
        return np.asarray(self.process.names)[self.stage]

    def subset(self, mask: npt.NDArray[np.bool_]) -> Opportunities:
        """Return the opportunities where *mask* is true.

        Parameters
        ----------
        mask : array_like of bool, shape (n,)
            Which rows to keep (booleans or 0/1, one per deal).

        Returns
        -------
        Opportunities

        Raises
        ------
        InputError
            For a mask of another length or of values other than booleans or 0/1.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> o = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS, id=[1, 2], amount=[1.0, 2.0], stage=["plan", "won"]
        ... )
        >>> o.subset(o.is_open).n_rows
        1
        """
        fn = "Opportunities.subset"
        keep = as_flags(mask, field="mask", function=fn)
        check_same_length({"opportunities": self.n_rows, "mask": keep.size}, function=fn)
        return attrs.evolve(
            self,
            id=as_readonly(self.id[keep]),
            amount=as_readonly(self.amount[keep]),
            stage=as_readonly(self.stage[keep]),
            close_date=as_readonly(self.close_date[keep]),
            created=as_readonly(self.created[keep]),
            category=as_readonly(self.category[keep]),
            probability=as_readonly(self.probability[keep]),
            dimensions={k: as_readonly(v[keep]) for k, v in self.dimensions.items()},
            dimension_groups={
                k: Factorized(codes=g.codes[keep], uniques=g.uniques)
                for k, g in self.dimension_groups.items()
            },
        )

    def _columns(self) -> dict[str, npt.NDArray[Any]]:
        """One array per column: the core fields, then every dimension."""
        cols: dict[str, npt.NDArray[Any]] = {
            "id": self.id,
            "amount": self.amount,
            "stage": self.stage_names,
            "close_date": self.close_date,
            "created": self.created,
            "category": np.array([c.label for c in ForecastCategory])[self.category],
            "probability": self.probability,
        }
        return cols | dict(self.dimensions)

    def to_dict(self) -> dict[str, object]:
        """Return the columns as JSON-safe lists (stages as names).

        Returns
        -------
        dict

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS, id=[1], amount=[2.0], stage=["plan"]
        ... ).to_dict()["stage"]
        ['plan']
        """
        return {k: json_safe(v) for k, v in self._columns().items()}

    def to_frame(self, backend: Backend = "pandas") -> Any:  # noqa: ANN401
        """Return the deals as a DataFrame (stage and category as names).

        Parameters
        ----------
        backend : {"pandas", "polars", "pyarrow"}
            Frame library to build.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> o = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS,
        ...     id=[1],
        ...     amount=[2.0],
        ...     stage=["plan"],
        ...     dimensions={"team": ["a"]},
        ... )
        >>> list(o.to_frame().columns)
        ['id', 'amount', 'stage', 'close_date', 'created', 'category', 'probability', 'team']
        """
        return to_backend(self._columns(), backend)

    def __repr__(self) -> str:
        return (
            f"Opportunities(rows={self.n_rows}, open={self.n_open}, "
            f"dimensions={list(self.dimensions)})"
        )
