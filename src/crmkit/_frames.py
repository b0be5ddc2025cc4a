"""The frame boundary: reading columns from, and writing tables to, any DataFrame.

Built on narwhals, so pandas, polars, pyarrow, DuckDB, Dask (and anything else
narwhals supports) work without crmkit importing any of them. This is the only
module that touches a DataFrame; everything behind it sees numpy arrays.
"""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Collection, Mapping
from typing import Any, Literal, cast

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmkit.errors import InputError

__all__ = [
    "Backend",
    "check_column_names",
    "frame_like",
    "is_frame",
    "read_columns",
    "to_backend",
]

Backend = Literal["pandas", "polars", "pyarrow"]
"""Eager frame libraries a result table can be returned as."""


def is_frame(obj: object) -> bool:
    """Whether *obj* is a DataFrame or lazy table that narwhals understands."""
    if isinstance(obj, (np.ndarray, list, tuple, dict)):
        return False
    converted: object = nw.from_native(cast("Any", obj), pass_through=True)
    return isinstance(converted, (nw.DataFrame, nw.LazyFrame))


def read_columns(
    frame: object,
    mapping: Mapping[str, str],
    *,
    function: str,
    ids: Collection[str] = (),
) -> dict[str, Any]:
    """Pull the mapped columns of *frame* out as numpy arrays.

    Parameters
    ----------
    frame : DataFrame-like
        Any eager or lazy frame narwhals supports. Lazy frames (DuckDB, Dask,
        polars LazyFrame) run the column selection in their own engine and
        only the selected columns are materialised.
    mapping : mapping of str to str
        crmkit field name -> the caller's column name.
    function : str
        The public function asking, for error messages.
    ids : collection of str
        Fields holding ids. A text (or categorical) id column comes back as a
        :class:`~crmkit._groups.Factorized` (dense codes and sorted uniques),
        read from the frame's Arrow buffers when pyarrow is installed, never
        through a Python string per row; null, empty and blank ids are refused
        there with their positions.

    Returns
    -------
    dict of str to ndarray or Factorized
        One array per crmkit field (a ``Factorized`` for text *ids* fields).
        Timezone-aware datetime columns come back as UTC ``datetime64``; null
        strings come back as ``None`` so the field validators can report them.
    """
    check_column_names(mapping, function=function)
    nw_frame = nw.from_native(cast("Any", frame))
    available = list(nw_frame.columns)
    missing = [col for col in mapping.values() if col not in available]
    if missing:
        field = next(f for f, col in mapping.items() if col == missing[0])
        close = difflib.get_close_matches(missing[0], available, n=3)
        hint = (
            f"Did you mean one of these columns: {close}?"
            if close
            else f"The frame has the columns {available}; map each crmkit field with "
            f"{field}='<your column>'."
        )
        raise InputError(
            f"The {field!r} column of {function} was mapped to {missing[0]!r}, "
            f"which the frame does not have.",
            field=field,
            hint=hint,
        )
    columns = list(dict.fromkeys(mapping.values()))
    selected = nw_frame.select(columns)
    eager = selected.collect() if isinstance(selected, nw.LazyFrame) else selected
    out: dict[str, Any] = {}
    for field, col in mapping.items():
        series = eager.get_column(col)
        if field in ids and series.dtype in (nw.String, nw.Categorical, nw.Enum):
            native = _arrow_ids(series, field=field, function=function, column=col)
            if native is not None:
                out[field] = native
                continue
        out[field] = _series_to_numpy(series)
    return out


def _arrow_ids(series: nw.Series[Any], *, field: str, function: str, column: str) -> Any:  # noqa: ANN401
    """Factorise a text id column from its Arrow form; None when pyarrow is not installed."""
    if importlib.util.find_spec("pyarrow") is None:
        return None
    from crmkit._arrow import factorize_arrow  # noqa: PLC0415  (imports pyarrow)

    return factorize_arrow(series.to_arrow(), field=field, function=function, column=column)


def check_column_names(mapping: Mapping[str, object], *, function: str) -> None:
    """Refuse a column mapping whose names are not strings (``customer=3``)."""
    for field, col in mapping.items():
        if not isinstance(col, str) or not col:
            raise InputError.for_parameter(
                field,
                "the name of a column (a non-empty str)",
                col,
                function=function,
                hint=f"Pass {field}='<your column>'.",
            )


def _series_to_numpy(series: nw.Series[Any]) -> npt.NDArray[Any]:
    dtype = series.dtype
    if dtype in (nw.String, nw.Categorical, nw.Enum):
        nulls = series.is_null().to_numpy()
        values = series.cast(nw.String).to_numpy()
        if nulls.any():
            out = np.asarray(values, dtype=object).copy()
            out[nulls] = None
            return out
        return np.asarray(values).astype(str)
    if dtype in (nw.Datetime, nw.Date):
        if series.null_count():
            raw = np.asarray(series.to_numpy())
            if raw.dtype.kind != "M":
                raw = raw.astype("datetime64[us]")
            return raw
        return np.asarray(series.to_numpy())
    if dtype.is_numeric() or dtype == nw.Boolean:
        if series.null_count():
            nulls = series.is_null().to_numpy()
            values = np.asarray(series.cast(nw.Float64).to_numpy(), dtype=np.float64).copy()
            values[nulls] = np.nan
            return values
        return np.asarray(series.to_numpy())
    return np.asarray(series.to_numpy(), dtype=object)


def to_backend(columns: Mapping[str, npt.NDArray[Any]], backend: Backend) -> Any:  # noqa: ANN401
    """Build a native frame of *backend* from equal-length numpy columns.

    Raises
    ------
    ImportError
        If the frame library is not installed; the message names it.
    """
    try:
        frame = nw.from_dict(dict(columns), backend=backend)
    except ModuleNotFoundError as err:
        msg = (
            f"to_frame(backend={backend!r}) needs {backend}; install it with pip install {backend}"
        )
        raise ImportError(msg) from err
    return frame.to_native()


def _eager_backend() -> Backend:
    """Return an installed eager library to stage a small table in (pyarrow first)."""
    for name in ("pyarrow", "polars", "pandas"):
        if importlib.util.find_spec(name) is not None:
            return name
    msg = "to_frame_like of a lazy table needs pyarrow, polars or pandas; pip install pyarrow"
    raise ImportError(msg)


def frame_like(columns: Mapping[str, npt.NDArray[Any]], like: object) -> Any:  # noqa: ANN401
    """Return *columns* as a frame of the same library as *like* ("same in, same out").

    Eager inputs (pandas, polars, pyarrow, ...) get the same type back. Lazy
    inputs get a lazy table of the same engine (a DuckDB relation, a polars
    LazyFrame, a Dask frame, a PySpark DataFrame in the caller's session) over
    the in-memory result, so a pipeline stays in its engine.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> out = frame_like({"customer": np.array([1, 2])}, pd.DataFrame({"x": [0]}))
    >>> type(out).__name__
    'DataFrame'
    """
    nw_like = nw.from_native(cast("Any", like))
    if isinstance(nw_like, nw.LazyFrame):
        engine = nw_like.implementation
        eager = nw.from_dict(dict(columns), backend=_eager_backend())
        # Spark-like engines build frames in the caller's session
        session = getattr(nw_like.to_native(), "sparkSession", None)
        return eager.lazy(backend=engine, session=session).to_native()
    namespace = nw.get_native_namespace(nw_like)
    return nw.from_dict(dict(columns), backend=namespace).to_native()
