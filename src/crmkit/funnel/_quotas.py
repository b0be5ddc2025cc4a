"""Quotas at the forecast's level or at any coarser level (a subset of its ``by`` dimensions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

import attrs
import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from crmkit._frames import is_frame, read_columns
from crmkit._input import as_finite_float, as_ids, check_same_length, to_array
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._grouping import Cells, PeriodSpec, assign_cells
from crmkit.funnel._opportunities import Opportunities
from crmkit.periods import Calendar

__all__ = ["QuotaAttainment", "QuotaDistribution", "QuotaLevel", "quota_cells"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _columns(quotas: object, function: str) -> list[str]:
    if isinstance(quotas, dict):
        return [str(k) for k in quotas]
    if is_frame(quotas):
        return [str(c) for c in nw.from_native(cast("Any", quotas)).columns]
    raise InputError.for_parameter(
        "quotas", "a DataFrame or a dict of columns", type(quotas).__name__, function=function
    )


def read_quota_table(
    quotas: object, by: Sequence[str], *, function: str
) -> tuple[tuple[str, ...], npt.NDArray[Any], dict[str, npt.NDArray[Any]], FloatArray]:
    """Read a quota table; its own columns decide its level (a subset of *by*)."""
    names = _columns(quotas, function)
    for required in ("period", "quota"):
        if required not in names:
            raise InputError(
                f"The quotas of {function} need a {required!r} column; they have {names}.",
                field=required,
                hint="Give columns period, quota and any of the by dimensions.",
            )
    for name in names:
        if name not in ("period", "quota") and name not in by:
            raise InputError(
                f"The quotas of {function} have a column {name!r} that is not one of the "
                f"by dimensions {list(by)}.",
                field=name,
                hint="Quota columns are period, quota and a subset of by; drop or rename it.",
            )
    level = tuple(n for n in by if n in names)
    fields = ["period", *level, "quota"]
    if isinstance(quotas, dict):
        cols = {n: to_array(quotas[n]) for n in fields}
    else:
        cols = read_columns(quotas, {n: n for n in fields}, function=function)
    amount = as_finite_float(cols["quota"], field="quota", function=function, minimum=0.0)
    labels = as_ids(cols["period"], field="period", function=function).astype(str)
    dims = {n: as_ids(cols[n], field=n, function=function) for n in level}
    sizes = {"period": labels.size, **{n: d.size for n, d in dims.items()}, "quota": amount.size}
    check_same_length(sizes, function=function)
    return level, labels, dims, amount


@attrs.frozen(kw_only=True)
class QuotaLevel:
    """The quota-level cells and how the forecast's cells roll up into them."""

    level: tuple[str, ...]
    cells: Cells
    fine_to_coarse: IntArray
    quota: FloatArray
    same_level: bool

    def roll_up(self, values: FloatArray) -> FloatArray:
        """Sum per-forecast-cell *values* into the quota-level cells."""
        return bincount(self.fine_to_coarse, weights=values, minlength=self.cells.n_cells).astype(
            np.float64
        )


def quota_cells(
    opportunities: Opportunities,
    rows: IntArray,
    period: PeriodSpec,
    by: Sequence[str],
    quotas: object | None,
    *,
    calendar: Calendar,
    function: str,
) -> tuple[Cells, QuotaLevel | None]:
    """Build the forecast cells and, with quotas, the quota-level cells mapped onto them."""
    by = tuple(by)
    if quotas is None:
        cells = assign_cells(opportunities, rows, period, by, calendar=calendar, function=function)
        return cells, None
    level, labels, dims, amount = read_quota_table(quotas, by, function=function)
    same = level == by
    coarse = assign_cells(
        opportunities,
        rows,
        period,
        level,
        calendar=calendar,
        quota_periods=labels,
        quota_dims=dims,
        function=function,
    )
    counts = bincount(coarse.quota_code, minlength=coarse.n_cells)
    if (counts > 1).any():
        dup = np.flatnonzero(counts[coarse.quota_code] > 1)
        raise InputError.for_rows(
            "period",
            f"must give each {' x '.join(('period', *level))} cell at most one quota",
            positions=dup[:5].tolist(),
            values=[labels[i] for i in dup[:5]],
            n_bad=int(dup.size),
            function=function,
            kind="quota column",
        )
    quota = np.full(coarse.n_cells, np.nan)
    quota[coarse.quota_code] = amount
    if same:
        return coarse, QuotaLevel(
            level=level,
            cells=coarse,
            fine_to_coarse=np.arange(coarse.n_cells, dtype=np.int64),
            quota=quota,
            same_level=True,
        )
    fine = assign_cells(opportunities, rows, period, by, calendar=calendar, function=function)
    # both calls expand the same rows to the same (deal, period) pairs in the same order
    mapping = np.zeros(fine.n_cells, dtype=np.int64)
    mapping[fine.code] = coarse.code
    return fine, QuotaLevel(
        level=level, cells=coarse, fine_to_coarse=mapping, quota=quota, same_level=False
    )


class _LevelTable(Result):
    groups: Mapping[str, npt.NDArray[Any]]

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the per-cell columns, dimension columns after the period bounds.

        Returns
        -------
        dict of str to ndarray
            Column name -> array of length k.
        """
        base = super().table()
        cols = {k: base[k] for k in ("period", "start", "end")}
        cols |= {k: np.asarray(v) for k, v in self.groups.items()}
        cols |= {k: v for k, v in base.items() if k not in cols}
        return cols


@attrs.frozen(kw_only=True, repr=False)
class QuotaAttainment(_LevelTable):
    """Pipeline, bookings and quota attainment at the quota table's level.

    Attributes
    ----------
    period : ndarray of str, shape (k,)
        Period (or horizon) label of each quota-level cell.
    start, end : ndarray of datetime64[us], shape (k,)
        Half-open bounds of the period.
    groups : mapping of str to ndarray, shape (k,) each
        Values of the quota's dimensions (``by``), a subset of the forecast's.
    n_open : ndarray of int64, shape (k,)
        Open deals in the cell.
    pipeline, weighted, closed_won, expected_total : ndarray of float64, shape (k,)
        Sums of the forecast's cells that make up the cell.
    quota, attainment, remaining_quota, coverage : ndarray of float64, shape (k,)
        The quota (NaN where none), ``closed_won / quota``,
        ``max(quota - closed_won, 0)`` and ``pipeline / remaining_quota``.
    by : tuple of str
        The quota's dimensions (empty: one quota per period).

    Examples
    --------
    One quota for the region while forecasting per region and product:

    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, forecast_pipeline
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[10_000.0, 20_000.0, 4_000.0],
    ...     stage=["plan", "close", "won"],
    ...     close_date=["2024-07-10", "2024-07-25", "2024-07-03"],
    ...     dimensions={"region": ["north"] * 3, "product": ["sw", "svc", "sw"]},
    ... )
    >>> f = forecast_pipeline(
    ...     opps,
    ...     period="month",
    ...     by=["region", "product"],
    ...     probabilities="configured",
    ...     quotas={"period": ["2024-07"], "region": ["north"], "quota": [34_000.0]},
    ... )
    >>> f.quota_level.pipeline.tolist(), f.quota_level.coverage.tolist()
    ([30000.0], [1.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "end",
        "n_open",
        "pipeline",
        "weighted",
        "closed_won",
        "expected_total",
        "quota",
        "attainment",
        "remaining_quota",
        "coverage",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "pipeline": "money",
        "weighted": "money",
        "closed_won": "money",
        "expected_total": "money",
        "quota": "money",
        "remaining_quota": "money",
        "attainment": "share",
        "coverage": "number",
    }
    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    groups: Mapping[str, npt.NDArray[Any]]
    n_open: IntArray
    pipeline: FloatArray
    weighted: FloatArray
    closed_won: FloatArray
    expected_total: FloatArray
    quota: FloatArray
    attainment: FloatArray
    remaining_quota: FloatArray
    coverage: FloatArray
    by: tuple[str, ...]


@attrs.frozen(kw_only=True, repr=False)
class QuotaDistribution(_LevelTable):
    """Distribution of bookings and P(reach quota) at the quota table's level.

    Attributes
    ----------
    period : ndarray of str, shape (k,)
        Period (or horizon) label of each quota-level cell.
    start, end : ndarray of datetime64[us], shape (k,)
        Half-open bounds of the period.
    groups : mapping of str to ndarray, shape (k,) each
        Values of the quota's dimensions.
    n_open : ndarray of int64, shape (k,)
        Open deals in the cell.
    closed_won, expected : ndarray of float64, shape (k,)
        Amount already won and the exact expected total.
    mean, p10, p50, p90 : ndarray of float64, shape (k,)
        Mean and quantiles of the SUM over the forecast's cells in the cell
        (lattice: the lattice of all the cell's deals; Monte Carlo: the sum of
        the simulated cells).
    quota, p_reach_quota : ndarray of float64, shape (k,)
        The quota and P(total >= quota) (NaN where no quota).
    amount_tolerance, probability_tolerance : ndarray of float64, shape (k,)
        As in :class:`ForecastDistribution`.
    by : tuple of str
        The quota's dimensions.

    Examples
    --------
    Two products that each miss a 15,000 quota alone, but together?

    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities, lattice_forecast
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[10_000.0, 10_000.0],
    ...     stage=["propose solution", "propose solution"],
    ...     close_date=["2024-07-10", "2024-07-25"],
    ...     dimensions={"product": ["sw", "svc"]},
    ... )
    >>> d = lattice_forecast(
    ...     opps,
    ...     period="month",
    ...     by=["product"],
    ...     probabilities="configured",
    ...     quotas={"period": ["2024-07"], "quota": [15_000.0]},
    ... )
    >>> round(float(d.quota_level.p_reach_quota[0]), 2)  # both must win: 0.6 x 0.6
    0.36
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "end",
        "n_open",
        "closed_won",
        "expected",
        "mean",
        "p10",
        "p50",
        "p90",
        "quota",
        "p_reach_quota",
        "amount_tolerance",
        "probability_tolerance",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "closed_won": "money",
        "expected": "money",
        "mean": "money",
        "p10": "money",
        "p50": "money",
        "p90": "money",
        "quota": "money",
        "amount_tolerance": "money",
        "p_reach_quota": "probability",
        "probability_tolerance": "probability",
    }
    _plot: ClassVar[str] = "quota_chart"
    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    groups: Mapping[str, npt.NDArray[Any]]
    n_open: IntArray
    closed_won: FloatArray
    expected: FloatArray
    mean: FloatArray
    p10: FloatArray
    p50: FloatArray
    p90: FloatArray
    quota: FloatArray
    p_reach_quota: FloatArray
    amount_tolerance: FloatArray
    probability_tolerance: FloatArray
    by: tuple[str, ...]
