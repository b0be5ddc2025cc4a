"""Static customer covariates: read a covariate table once, encode it, join it on customer id.

A covariate table has a ``customer`` column and one column per covariate.
Numeric columns enter as they are; text (or boolean) columns such as an
acquisition channel or a region are coded as 0/1 indicators of every level but
the first in sorted order (the reference level). The encoding is kept in the
fitted model, so the same table, or a new one, is encoded the same way for
prediction. During fitting the design is centred and scaled (which keeps the
optimiser well conditioned); coefficients and covariances are reported on the
caller's scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_ids, as_numbers_or_labels
from crmkit._params import instance, number
from crmkit._params import names as check_names
from crmkit._results import FrozenMapping, frozen_mapping
from crmkit._tables import read_table
from crmkit.errors import InputError

__all__ = ["CovariateEffects", "CovariateEncoding", "Design", "design_for", "encode_table"]

FloatArray = npt.NDArray[np.float64]


_PROCESSES: Final = ("purchase", "dropout", "spend")


def _sources_names(value: object) -> tuple[str, ...]:
    return check_names(
        value, name="sources", function="CovariateEncoding", what="covariate column names"
    )


def _column_names(value: object) -> tuple[str, ...]:
    return check_names(
        value, name="columns", function="CovariateEncoding", what="design column names"
    )


def _reference(value: object) -> FrozenMapping[str, Any]:
    what = "a mapping of categorical source to reference level"
    given = instance(value, Mapping, name="reference", function="CovariateEncoding", what=what)  # type: ignore[type-abstract]
    return frozen_mapping(given)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _mapping(value: object, name: str) -> Mapping[str, Any]:
    what = "a mapping keyed by process"
    return instance(value, Mapping, name=name, function="CovariateEffects", what=what)  # type: ignore[type-abstract]


def _encodings(value: object) -> FrozenMapping[str, Any]:
    return frozen_mapping(_mapping(value, "encodings"))


def _coefficients(value: object) -> FrozenMapping[str, Any]:
    return frozen_mapping(_mapping(value, "coefficients"))


def _standard_errors(value: object) -> FrozenMapping[str, Any]:
    return frozen_mapping(_mapping(value, "standard_errors"))


def _value(value: object, name: str, *, nan_ok: bool) -> float:
    if nan_ok and isinstance(value, float) and math.isnan(value):
        return value  # a standard error that could not be computed
    low = 0.0 if name == "standard_errors" else None
    return number(value, name=name, function="CovariateEffects", low=low)


@attrs.frozen(kw_only=True)
class CovariateEncoding:
    """How the columns of a covariate table become the columns of a design matrix.

    Attributes
    ----------
    sources : tuple of str
        The covariate table's columns used, in order.
    columns : tuple of str
        The design columns: a numeric source keeps its name, a categorical
        source gives ``"name[level]"`` for every level but the reference.
    reference : mapping of str to str
        The reference level of each categorical source (absorbed in the
        model's base parameters).

    Examples
    --------
    >>> enc = encode_table(
    ...     {"customer": [1, 2, 3], "channel": ["web", "store", "web"]},
    ...     [1, 2, 3],
    ...     sources=["channel"],
    ...     field="covariates",
    ...     function="fit_bgnbd",
    ... ).encoding
    >>> enc.columns, dict(enc.reference)
    (('channel[web]',), {'channel': 'store'})
    """

    sources: tuple[str, ...] = attrs.field(converter=_sources_names)
    columns: tuple[str, ...] = attrs.field(converter=_column_names)
    reference: Mapping[str, str] = attrs.field(converter=_reference)

    def __attrs_post_init__(self) -> None:
        fn = "CovariateEncoding"
        ref = self.reference
        bad = [(k, v) for k, v in ref.items() if k not in self.sources or not _is_text(v)]
        if bad:
            raise InputError.for_parameter(
                "reference",
                f"a mapping of categorical sources (among {list(self.sources)}) to their "
                "reference level (a non-empty str)",
                dict(bad),
                function=fn,
            )
        for column in self.columns:
            categorical = [s for s in ref if column.startswith(f"{s}[") and column.endswith("]")]
            if column not in self.sources and not categorical:
                raise InputError.for_parameter(
                    "columns",
                    "design columns named after the sources: a numeric source's own name, "
                    "or 'source[level]' for a categorical one (with a reference level)",
                    column,
                    function=fn,
                )


@attrs.frozen(kw_only=True)
class CovariateEffects:
    """The covariate part of a fitted model: encodings and coefficients per process.

    Attributes
    ----------
    encodings : mapping of str to CovariateEncoding
        Per process (``"purchase"``, ``"dropout"`` or ``"spend"``), how its
        design is built from a covariate table.
    coefficients : mapping of str to mapping of str to float
        Per process, the coefficient of each design column. A purchase
        coefficient g scales the purchase-rate scale ``alpha`` by ``exp(-g z)``
        (positive g, more purchases); see each model for the dropout and
        spend processes.
    standard_errors : mapping of str to mapping of str to float
        Their asymptotic standard errors (NaN when not computable); empty
        for effects given without them.

    Examples
    --------
    Web buyers purchase more often than store buyers (a coefficient 0.4 on
    the web indicator, store the reference level):

    >>> channel = CovariateEncoding(
    ...     sources=("channel",), columns=("channel[web]",), reference={"channel": "store"}
    ... )
    >>> effects = CovariateEffects(
    ...     encodings={"purchase": channel},
    ...     coefficients={"purchase": {"channel[web]": 0.4}},
    ...     standard_errors={"purchase": {"channel[web]": 0.1}},
    ... )
    >>> effects.coefficients["purchase"]["channel[web]"], effects.processes
    (0.4, ('purchase',))
    """

    encodings: Mapping[str, CovariateEncoding] = attrs.field(converter=_encodings)
    coefficients: Mapping[str, Mapping[str, float]] = attrs.field(converter=_coefficients)
    standard_errors: Mapping[str, Mapping[str, float]] = attrs.field(converter=_standard_errors)

    def __attrs_post_init__(self) -> None:
        fn = "CovariateEffects"
        for process, encoding in self.encodings.items():
            if process not in _PROCESSES:
                raise InputError.for_parameter(
                    "encodings", f"keyed by process ({', '.join(_PROCESSES)})", process, function=fn
                )
            instance(
                encoding,
                CovariateEncoding,
                name="encodings",
                function=fn,
                what="a mapping of process to CovariateEncoding",
            )
        for field, missing_ok in (("coefficients", False), ("standard_errors", True)):
            given = getattr(self, field)
            if missing_ok and not given:
                continue  # effects known without their errors (a scenario, a simulation truth)
            if set(given) != set(self.encodings):
                raise InputError.for_parameter(
                    field,
                    f"keyed by the processes of the encodings ({list(self.encodings)})",
                    list(given),
                    function=fn,
                )
            inner = {}
            for process, values in given.items():
                columns = self.encodings[process].columns
                table = _mapping(values, field)
                if list(table) != list(columns):
                    raise InputError.for_parameter(
                        field,
                        f"a value for each design column of {process!r} ({list(columns)})",
                        list(table),
                        function=fn,
                    )
                inner[process] = frozen_mapping(
                    {c: _value(v, field, nan_ok=missing_ok) for c, v in table.items()}
                )
            object.__setattr__(self, field, frozen_mapping(inner))

    @property
    def processes(self) -> tuple[str, ...]:
        """The processes with covariates, in parameter order."""
        return tuple(self.encodings)


@attrs.frozen(kw_only=True)
class Design:
    """Internal: an encoded design matrix aligned with the data's customers."""

    encoding: CovariateEncoding
    matrix: FloatArray  # (n_customers, k)


def given_effects(
    effects: object, processes: Sequence[str], *, function: str
) -> tuple[CovariateEffects | None, list[str]]:
    """Check known covariate effects given to a ``*_from_params``; return them and their names."""
    if effects is None:
        return None, []
    value = instance(
        effects, CovariateEffects, name="covariates", function=function, what="a CovariateEffects"
    )
    names = []
    for process, encoding in value.encodings.items():
        if process not in processes:
            raise InputError.for_parameter(
                "covariates",
                f"effects on the processes {list(processes)}",
                f"an effect on {process!r}",
                function=function,
            )
        coefficients = value.coefficients.get(process, {})
        if list(coefficients) != list(encoding.columns):
            raise InputError.for_parameter(
                "covariates",
                f"a coefficient for each design column of {process!r} ({list(encoding.columns)})",
                list(coefficients),
                function=function,
            )
        for column, coefficient in coefficients.items():
            number(coefficient, name=f"{process}:{column}", function=function)
            names.append(f"{process}:{column}")
    return value, names


def _align(table_ids: npt.NDArray[Any], ids: npt.NDArray[Any], function: str) -> npt.NDArray[Any]:
    """Row of the covariate table for each data customer (every one must be there once)."""
    if table_ids.dtype.kind != ids.dtype.kind:
        raise InputError(
            f"The customer ids of the covariate table given to {function} are of another kind "
            f"({table_ids.dtype.kind!r}) than those of the data ({ids.dtype.kind!r}).",
            field="covariates",
            hint="Use the same ids (ints or strings) in both tables.",
        )
    order = np.argsort(table_ids, kind="stable")
    sorted_ids = table_ids[order]
    dup = sorted_ids[1:] == sorted_ids[:-1]
    if dup.any():
        repeated = np.unique(sorted_ids[1:][dup])
        raise InputError.for_rows(
            "covariates",
            "must have one row per customer",
            positions=order[1:][dup][:5].tolist(),
            values=repeated[:5].tolist(),
            n_bad=int(dup.sum()),
            function=function,
        )
    where = np.clip(np.searchsorted(sorted_ids, ids), 0, max(sorted_ids.size - 1, 0))
    found = sorted_ids[where] == ids if sorted_ids.size else np.zeros(ids.size, dtype=bool)
    if not found.all():
        missing = np.flatnonzero(~found)
        raise InputError.for_rows(
            "customer",
            "must all have a row in the covariate table",
            positions=missing[:5].tolist(),
            values=ids[missing[:5]].tolist(),
            n_bad=int(missing.size),
            function=function,
        )
    return order[where]


def encode_table(
    table: object,
    ids: npt.ArrayLike,
    *,
    sources: Sequence[str],
    field: str,
    function: str,
    encoding: CovariateEncoding | None = None,
) -> Design:
    """Encode *table*'s *sources* columns for the customers *ids* (new encoding or a fitted one)."""
    columns = read_table(table, field=field, function=function)
    if "customer" not in columns:
        raise InputError(
            f"The covariate table given to {function} needs a 'customer' column; "
            f"it has {sorted(columns)}.",
            field=field,
        )
    table_ids = as_ids(columns["customer"], field="customer", function=function)
    customers = as_ids(ids, field="customer", function=function)
    rows = _align(table_ids, customers, function)
    missing = [s for s in sources if s not in columns]
    if missing:
        raise InputError(
            f"The covariate table given to {function} has no column {missing[0]!r}; "
            f"it has {sorted(c for c in columns if c != 'customer')}.",
            field=field,
        )
    blocks: list[FloatArray] = []
    names: list[str] = []
    reference: dict[str, str] = dict(encoding.reference) if encoding is not None else {}
    for source in sources:
        # read the whole column (positions in errors are the table's rows), then align it
        numeric, read = as_numbers_or_labels(columns[source], field=source, function=function)
        values = read[rows]
        if not numeric or source in reference:
            text = values.astype(str)
            if encoding is None:
                levels = np.unique(text)
                if levels.size < 2:
                    raise InputError(
                        f"The covariate {source!r} given to {function} has a single level "
                        f"({levels.tolist()}); it cannot have an effect.",
                        field=field,
                    )
                reference[source] = str(levels[0])
                kept = [str(v) for v in levels[1:]]
            else:
                prefix = f"{source}["
                kept = [c[len(prefix) : -1] for c in encoding.columns if c.startswith(prefix)]
                known = {reference[source], *kept}
                unknown = ~np.isin(text, list(known))
                if unknown.any():
                    bad = np.flatnonzero(unknown)
                    raise InputError.for_rows(
                        source,
                        f"must hold a level seen when the model was fitted ({sorted(known)})",
                        positions=bad[:5].tolist(),
                        values=text[bad[:5]].tolist(),
                        n_bad=int(bad.size),
                        function=function,
                    )
            blocks.extend((text == level).astype(np.float64) for level in kept)
            names.extend(f"{source}[{level}]" for level in kept)
        else:
            blocks.append(values)
            names.append(source)
    matrix = np.column_stack(blocks) if blocks else np.zeros((customers.size, 0))
    enc = encoding or CovariateEncoding(
        sources=tuple(sources), columns=tuple(names), reference=reference
    )
    return Design(encoding=enc, matrix=np.ascontiguousarray(matrix, dtype=np.float64))


def _sources(effects: CovariateEffects) -> set[str]:
    return {s for e in effects.encodings.values() for s in e.sources}


def design_for(
    covariates: object,
    ids: npt.NDArray[Any] | None,
    effects: CovariateEffects | None,
    *,
    function: str,
) -> dict[str, FloatArray] | None:
    """Designs per process for predicting with a fitted model (None for a model without)."""
    if effects is None:
        if covariates is not None:
            raise InputError.for_parameter(
                "covariates",
                "None for a model fitted without covariates",
                type(covariates).__name__,
                function=function,
            )
        return None
    if covariates is None:
        raise InputError.for_parameter(
            "covariates",
            f"a covariate table with {sorted(_sources(effects))} (the model has covariates)",
            None,
            function=function,
        )
    if ids is None:
        raise InputError(
            f"{function} needs customer ids on the data to join the covariate table.",
            field="customer",
            hint="Pass a BTYDSummary or a table with a 'customer' column.",
        )
    return {
        process: encode_table(
            covariates,
            ids,
            sources=enc.sources,
            field="covariates",
            function=function,
            encoding=enc,
        ).matrix
        for process, enc in effects.encodings.items()
    }


def read_processes(
    covariates: object,
    spec: Mapping[str, object],
    ids: npt.NDArray[Any] | None,
    *,
    function: str,
) -> dict[str, Design]:
    """Encode the covariates of each process named in *spec* (process -> source names)."""
    given = {p: v for p, v in spec.items() if v is not None}
    if covariates is None:
        if given:
            first = next(iter(given))
            raise InputError.for_parameter(
                f"{first}_covariates",
                "None unless a covariates table is given",
                given[first],
                function=function,
            )
        return {}
    if not given:
        raise InputError.for_parameter(
            "covariates",
            "given with the names of the covariates of at least one process "
            f"({', '.join(f'{p}_covariates' for p in spec)})",
            "a table",
            function=function,
        )
    if ids is None:
        raise InputError(
            f"{function} needs customer ids on the data to join the covariate table.",
            field="customer",
            hint="Pass a BTYDSummary or a table with a 'customer' column.",
        )
    out = {}
    for process, sources in given.items():
        chosen = check_names(
            sources, name=f"{process}_covariates", function=function, what="column names"
        )
        out[process] = encode_table(
            covariates, ids, sources=chosen, field="covariates", function=function
        )
    return out


@attrs.frozen(kw_only=True)
class Standardised:
    """Internal: a centred and scaled design and how to map coefficients back."""

    matrix: FloatArray
    mean: FloatArray
    scale: FloatArray


def standardise(
    matrix: FloatArray, name: str, function: str, columns: Sequence[str]
) -> Standardised:
    """Centre and scale each design column; refuse a column without variation."""
    mean = matrix.mean(axis=0) if matrix.shape[0] else np.zeros(matrix.shape[1])
    scale = matrix.std(axis=0) if matrix.shape[0] else np.ones(matrix.shape[1])
    flat = ~(scale > 0)
    if flat.any():
        raise InputError(
            f"The covariate column {columns[int(np.flatnonzero(flat)[0])]!r} of {function} "
            "takes one value for every customer; it cannot have an effect.",
            field=name,
        )
    return Standardised(matrix=(matrix - mean) / scale, mean=mean, scale=scale)


def unstandardise(
    working: FloatArray,
    cov: FloatArray,
    *,
    blocks: Sequence[tuple[tuple[int, ...], int, Standardised, float]],
) -> tuple[FloatArray, FloatArray]:
    """Map working parameters (and their covariance) from standardised to raw covariates.

    Each block is (indices of the log base parameters it shifts, first
    coefficient index, its standardisation, the sign with which the design
    enters the log of those base parameters). With
    ``log theta_i = log theta + sign * g'(z - m)/s`` the raw coefficients are
    ``g / s`` and ``log theta`` absorbs ``- sign * g' m / s``: a linear map, so
    the covariance maps exactly.
    """
    k = working.size
    jac = np.eye(k)
    for bases, first, std, sign in blocks:
        width = std.mean.size
        cols = slice(first, first + width)
        jac[cols, cols] = np.diag(1.0 / std.scale)
        for base in bases:
            jac[base, cols] = -sign * std.mean / std.scale
    raw = jac @ working
    raw_cov = jac @ cov @ jac.T if np.all(np.isfinite(cov)) else np.full_like(cov, np.nan)
    return raw, raw_cov
