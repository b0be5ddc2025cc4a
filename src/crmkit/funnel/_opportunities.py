"""The ``Opportunities`` value: validated open and closed deals with their dimensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._frames import Backend, read_columns, to_backend
from crmkit._groups import Factorized, factorize
from crmkit._input import (
    DATETIME_DTYPE,
    as_datetime,
    as_finite_float,
    as_ids,
    as_readonly,
    check_same_length,
    to_array,
)
from crmkit._results import frozen_mapping, json_safe
from crmkit.errors import InputError
from crmkit.funnel._process import ForecastCategory, SalesProcess

__all__ = ["Opportunities", "is_missing", "optional_times", "stage_codes"]

_FN = "Opportunities"
_NAT = np.datetime64("NaT", "us")


def is_missing(value: object) -> bool:
    """Whether *value* is a null: None, NaN, NaT or a value that refuses comparison (pd.NA)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT  # noqa: PLR0124
    except TypeError:
        return True


def optional_times(values: object, *, field: str, function: str) -> npt.NDArray[np.datetime64]:
    """Coerce timestamps to ``datetime64[us]`` keeping missing values as NaT."""
    arr = to_array(values)
    if arr.dtype.kind == "M":
        return arr.astype(DATETIME_DTYPE)
    if arr.dtype.kind in {"O", "f"}:
        missing = np.fromiter((is_missing(v) for v in arr), dtype=bool, count=arr.size)
        out = np.full(arr.size, _NAT, dtype=DATETIME_DTYPE)
        if (~missing).any():
            if arr.dtype.kind == "f":
                raise InputError(
                    f"The {field!r} column of {function} must hold dates; got numbers.",
                    field=field,
                )
            out[~missing] = as_datetime(arr[~missing], field=field, function=function).values
        return out
    return as_datetime(arr, field=field, function=function).values


def stage_codes(values: object, process: SalesProcess, *, field: str, function: str) -> Any:  # noqa: ANN401
    """Map stage names (or codes) to the process's int64 codes, rejecting unknown ones."""
    arr = to_array(values)
    n_codes = len(process.names)
    if arr.dtype.kind in "iu":
        codes = arr.astype(np.int64)
        bad = (codes < 0) | (codes >= n_codes)
        if bad.any():
            pos = np.flatnonzero(bad)
            raise InputError.for_rows(
                field,
                f"must hold stage codes 0..{n_codes - 1} or stage names",
                positions=pos[:5].tolist(),
                values=codes[pos[:5]].tolist(),
                n_bad=int(pos.size),
                function=function,
                hint=f"Known stages: {list(process.names)}.",
            )
        return codes
    ids = as_ids(arr, field=field, function=function)
    fact = factorize(ids.astype(str))
    lookup = {name: i for i, name in enumerate(process.names)}
    mapped = np.array([lookup.get(str(u), -1) for u in fact.uniques], dtype=np.int64)
    codes = mapped[fact.codes]
    bad = codes < 0
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError.for_rows(
            field,
            "must hold names of the sales process's stages",
            positions=pos[:5].tolist(),
            values=[str(ids[p]) for p in pos[:5]],
            n_bad=int(pos.size),
            function=function,
            hint=f"Known stages: {list(process.names)}.",
        )
    return codes


def _categories(values: object, default: npt.NDArray[np.int64], *, function: str) -> Any:  # noqa: ANN401
    arr = to_array(values)
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
    names = {c.name.lower(): int(c) for c in ForecastCategory}
    names.update({c.label: int(c) for c in ForecastCategory})
    names[""] = -2  # no override
    uniq, inverse = np.unique(np.strings.lower(np.strings.strip(texts)), return_inverse=True)
    mapped = np.array([names.get(str(u), -1) for u in uniq], dtype=np.int64)[inverse]
    bad = np.flatnonzero(mapped == -1)
    if bad.size:
        raise InputError.for_rows(
            "category",
            "must hold forecast categories or be empty (no override)",
            positions=bad[:5].tolist(),
            values=[arr[p] for p in bad[:5]],
            n_bad=int(bad.size),
            function=function,
            hint=f"Valid: {[c.label for c in ForecastCategory]}.",
        )
    return np.where(mapped == -2, default, mapped)


def _entered_probabilities(values: object, *, function: str) -> npt.NDArray[np.float64]:
    arr = to_array(values)
    if arr.dtype.kind == "O":
        arr = np.array([np.nan if is_missing(v) else v for v in arr.tolist()], dtype=object)
    try:
        out = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"The 'probability' column of {function} must hold numbers in [0, 1] or be empty.",
            field="probability",
        ) from None
    bad = ~np.isnan(out) & ~((out >= 0) & (out <= 1))
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError.for_rows(
            "probability",
            "must be in [0, 1] (or empty for the stage's probability)",
            positions=pos[:5].tolist(),
            values=out[pos[:5]].tolist(),
            n_bad=int(pos.size),
            function=function,
            hint="Percentages such as 40 must be given as 0.4.",
        )
    return out


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
    def _factorize_dimensions(self) -> Mapping[str, Factorized]:
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
    ) -> Opportunities:
        """Validate columns given as arrays or sequences.

        Parameters
        ----------
        process : SalesProcess
            The sales process the stage names belong to.
        id : array_like, shape (n,)
            Opportunity ids (ints or strings), unique.
        amount : array_like of float, shape (n,)
            Deal value, finite and >= 0.
        stage : array_like of str or int, shape (n,)
            Stage or outcome names (or codes) of the process.
        close_date : array_like of date-like, shape (n,), optional
            Expected (open) or actual (closed) close dates; missing values allowed.
        created : array_like of date-like, shape (n,), optional
            Creation dates; missing values allowed.
        category : array_like, shape (n,), optional
            Forecast-category overrides (names such as ``"commit"``,
            :class:`ForecastCategory` values, or empty for the stage default).
        probability : array_like of float, shape (n,), optional
            Win probabilities entered on deals, in [0, 1]; empty (None/NaN) for
            the stage's. Used by ``probabilities="configured"``; ignored on
            closed deals.
        dimensions : mapping of str to array_like, optional
            Grouping columns (owner, team, region, product line, ...), no nulls.

        Returns
        -------
        Opportunities

        Raises
        ------
        InputError
            For unknown stage names (the known ones are listed), negative or NaN
            amounts, duplicate ids, unparseable dates, null dimension values or
            columns of different lengths.

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS, id=[1], amount=[-5.0], stage=["plan"]
        ... )
        Traceback (most recent call last):
        ...
        crmkit.errors.InputError: The 'amount' column of Opportunities must be >= 0: 1 bad row, ...
        """
        ids = as_ids(id, field="id", function=_FN)
        amounts = as_finite_float(amount, field="amount", function=_FN, minimum=0.0)
        codes = stage_codes(stage, process, field="stage", function=_FN)
        lengths = {"id": ids.size, "amount": amounts.size, "stage": codes.size}
        n = ids.size
        nat = np.full(n, _NAT, dtype=DATETIME_DTYPE)
        close = (
            nat
            if close_date is None
            else optional_times(close_date, field="close_date", function=_FN)
        )
        made = nat if created is None else optional_times(created, field="created", function=_FN)
        lengths |= {"close_date": close.size, "created": made.size}
        dims: dict[str, npt.NDArray[Any]] = {}
        for name, col in (dimensions or {}).items():
            core = {"id", "amount", "stage", "close_date", "created", "category", "probability"}
            if name in core | {"period", "quota"}:
                raise InputError.for_parameter(
                    "dimensions", "named differently from the core columns", name, function=_FN
                )
            dims[name] = as_readonly(as_ids(col, field=name, function=_FN))
            lengths[name] = dims[name].size
        default_cat = process.categories[codes] if codes.size == n else codes
        cats = default_cat
        if category is not None:
            cat_arr = to_array(category)
            lengths["category"] = cat_arr.size
            check_same_length(lengths, function=_FN)
            cats = _categories(cat_arr, default_cat, function=_FN)
            closed = codes >= process.won_code
            cats = np.where(closed, default_cat, cats)  # a closed deal's category is its outcome
        entered = np.full(n, np.nan)
        if probability is not None:
            entered = _entered_probabilities(probability, function=_FN)
            lengths["probability"] = entered.size
            check_same_length(lengths, function=_FN)
            entered = np.where(codes >= process.won_code, np.nan, entered)
        check_same_length(lengths, function=_FN)
        fact = factorize(ids)
        if fact.n_groups != n:
            counts = np.bincount(fact.codes, minlength=fact.n_groups)
            dup = counts[fact.codes] > 1
            pos = np.flatnonzero(dup)
            raise InputError.for_rows(
                "id",
                "must be unique",
                positions=pos[:5].tolist(),
                values=[ids[p] for p in pos[:5]],
                n_bad=int(pos.size),
                function=_FN,
                hint="One row per opportunity: keep the latest snapshot of each deal.",
            )
        return cls(
            process=process,
            id=as_readonly(ids),
            amount=as_readonly(amounts),
            stage=as_readonly(codes),
            close_date=as_readonly(close),
            created=as_readonly(made),
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

        Returns
        -------
        Opportunities

        Raises
        ------
        InputError
            As :meth:`from_arrays`, and for a mapped column the frame lacks.

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
        dim_map = (
            dict(dimensions) if isinstance(dimensions, Mapping) else {d: d for d in dimensions}
        )
        mapping = {"id": id, "amount": amount, "stage": stage}
        optional = {
            "close_date": close_date,
            "created": created,
            "category": category,
            "probability": probability,
        }
        mapping |= {f: c for f, c in optional.items() if c is not None}
        mapping |= {f"dim:{k}": v for k, v in dim_map.items()}
        cols = read_columns(frame, mapping, function=_FN)
        return cls.from_arrays(
            process=process,
            id=cols["id"],
            amount=cols["amount"],
            stage=cols["stage"],
            close_date=cols.get("close_date"),
            created=cols.get("created"),
            category=cols.get("category"),
            probability=cols.get("probability"),
            dimensions={k: cols[f"dim:{k}"] for k in dim_map},
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
        mask : ndarray of bool, shape (n,)
            Which rows to keep.

        Returns
        -------
        Opportunities

        Examples
        --------
        >>> from crmkit.funnel import DEFAULT_PROCESS
        >>> o = Opportunities.from_arrays(
        ...     process=DEFAULT_PROCESS, id=[1, 2], amount=[1.0, 2.0], stage=["plan", "won"]
        ... )
        >>> o.subset(o.is_open).n_rows
        1
        """
        keep = np.asarray(mask, dtype=bool)
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
