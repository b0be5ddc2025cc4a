"""The weighted pipeline forecast: Σ amount x probability by period and any dimensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import scalar_datetime
from crmkit._params import instance, names
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._calibration import StageRates
from crmkit.funnel._grouping import PeriodSpec
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._process import ForecastCategory
from crmkit.funnel._quotas import QuotaAttainment, QuotaLevel, quota_cells
from crmkit.periods import DEFAULT_CALENDAR, Calendar

__all__ = [
    "PipelineForecast",
    "check_by",
    "check_calendar",
    "check_opportunities",
    "deal_probabilities",
    "forecast_pipeline",
    "probabilities_of",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def check_opportunities(
    value: object, *, function: str, name: str = "opportunities", allow_empty: bool = False
) -> Opportunities:
    """Return *value* if it is an ``Opportunities``; refuse anything else.

    Unless *allow_empty*, a pipeline without deals is refused too: a forecast
    or a summary of nothing hides an upstream filter that removed everything.
    """
    opps = instance(value, Opportunities, name=name, function=function, what="an Opportunities")
    if not allow_empty and opps.n_rows == 0:
        raise InputError(
            f"The {name!r} parameter of {function} must hold at least one deal; "
            "got an empty Opportunities.",
            field=name,
            hint="Check the filter that built it: nothing is left to forecast.",
        )
    return opps


def check_by(value: object, *, function: str) -> tuple[str, ...]:
    """Return the ``by`` dimension names as a tuple (a bare str is one name, not its letters)."""
    return names(value, name="by", function=function, allow_empty=True, what="dimension names")


def check_calendar(value: object, *, function: str) -> Calendar:
    """Return *value* if it is a :class:`~crmkit.periods.Calendar`."""
    return instance(value, Calendar, name="calendar", function=function, what="a Calendar")


def probabilities_of(
    opportunities: Opportunities, probabilities: object, *, function: str
) -> FloatArray:
    """Each deal's win probability from ``"configured"`` or a ``StageRates`` (checked)."""
    if isinstance(probabilities, StageRates):
        if probabilities.process != opportunities.process:
            raise InputError.for_parameter(
                "probabilities",
                "stage rates fitted on the opportunities' sales process",
                "StageRates of another SalesProcess",
                function=function,
            )
        return probabilities.probabilities_for(opportunities)
    if isinstance(probabilities, str) and probabilities == "configured":
        stage_p = opportunities.process.probabilities[opportunities.stage]
        entered = opportunities.probability
        return np.where(np.isnan(entered), stage_p, entered)
    shown = probabilities if isinstance(probabilities, (str, int, float)) else type(probabilities)
    raise InputError.for_parameter(
        "probabilities",
        "'configured' or a StageRates from fit_stage_rates",
        shown.__name__ if isinstance(shown, type) else shown,
        function=function,
        hint="No default: say which probabilities the forecast uses.",
    )


def deal_probabilities(
    opportunities: Opportunities,
    probabilities: Literal["configured"] | StageRates,
) -> FloatArray:
    """Return each deal's win probability: configured by stage, or calibrated from history.

    Parameters
    ----------
    opportunities : Opportunities
        The deals (an empty pipeline gives an empty array).
    probabilities : "configured" or StageRates
        ``"configured"`` uses the probability entered on each deal, else its
        stage's configured probability; a
        :class:`StageRates` from :func:`fit_stage_rates` uses the calibrated
        P(win | reached stage), per group when it was fitted per dimension.

    Returns
    -------
    ndarray of float64, shape (n,)
        Won deals 1, lost deals 0, open deals their stage probability.

    Raises
    ------
    InputError
        If *opportunities* is not an ``Opportunities``, *probabilities* is
        neither, or the rates were fitted on another process.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> o = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[1.0, 1.0, 1.0],
    ...     stage=["plan", "won", "lost"],
    ... )
    >>> deal_probabilities(o, "configured").tolist()
    [0.4, 1.0, 0.0]
    """
    fn = "deal_probabilities"
    opps = check_opportunities(opportunities, function=fn, allow_empty=True)
    return probabilities_of(opps, probabilities, function=fn)


@attrs.frozen(kw_only=True, repr=False)
class PipelineForecast(Result):
    """Weighted forecast per period and dimension cell.

    Attributes
    ----------
    period : ndarray of str, shape (k,)
        Period label (or horizon label) of each cell.
    start, end : ndarray of datetime64[us], shape (k,)
        Half-open bounds of the period.
    groups : mapping of str to ndarray, shape (k,) each
        Dimension values of each cell, one array per ``by`` name.
    n_open : ndarray of int64, shape (k,)
        Open deals expected to close in the cell.
    pipeline : ndarray of float64, shape (k,)
        Unweighted open pipeline Σ amount.
    weighted : ndarray of float64, shape (k,)
        Weighted open pipeline Σ amount x p.
    closed_won : ndarray of float64, shape (k,)
        Amount already won (closed in the period).
    expected_total : ndarray of float64, shape (k,)
        ``closed_won + weighted``.
    commit, best_case, pipeline_category, omitted : ndarray of float64, shape (k,)
        Open amount by forecast category (not cumulative: the usual "best case
        total" is ``closed_won + commit + best_case``).
    quota, attainment, remaining_quota, coverage : ndarray of float64, shape (k,)
        When quotas are given: the quota, closed_won / quota,
        max(quota - closed_won, 0) and pipeline / remaining_quota. All four
        are NaN where the cell has no quota (and all of them when the quotas
        are coarser than the cells: see ``quota_level``), attainment also
        where the quota is 0 and coverage where it is already met.
    by : tuple of str
        The dimension names.
    probabilities : str
        ``"configured"`` or ``"calibrated"``.
    n_lost, n_overdue : int
        Lost deals (never counted as pipeline) and open deals whose expected close
        date is before ``as_of`` (still counted in their period).
    overdue_amount : float
        Amount of those overdue open deals.
    as_of : numpy.datetime64 or None
        The ``as_of`` given (None: overdue deals were not counted).
    quota_level : QuotaAttainment or None
        With quotas: pipeline, bookings, attainment and coverage at the quota
        table's level (the cells summed up to it), one row per quota-level cell.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[5e3, 1e3],
    ...     stage=["close", "won"],
    ...     close_date=["2024-05-02", "2024-05-20"],
    ... )
    >>> f = forecast_pipeline(opps, period="month", probabilities="configured")
    >>> f
    PipelineForecast(rows=1, groups=<0 entries>, by=(), probabilities='configured', ...)
    >>> f.expected_total.tolist()
    [5000.0]
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
        "commit",
        "best_case",
        "pipeline_category",
        "omitted",
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
        "commit": "money",
        "best_case": "money",
        "pipeline_category": "money",
        "omitted": "money",
        "quota": "money",
        "remaining_quota": "money",
        "overdue_amount": "money",
        "attainment": "share",
        "coverage": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "end",
        "groups",
        "n_open",
        "pipeline",
        "weighted",
        "closed_won",
        "expected_total",
        "commit",
        "best_case",
        "pipeline_category",
        "omitted",
        "quota",
        "attainment",
        "remaining_quota",
        "coverage",
    )

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        return rows | {"quota_level": None}

    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    groups: Mapping[str, npt.NDArray[Any]]
    n_open: IntArray
    pipeline: FloatArray
    weighted: FloatArray
    closed_won: FloatArray
    expected_total: FloatArray
    commit: FloatArray
    best_case: FloatArray
    pipeline_category: FloatArray
    omitted: FloatArray
    quota: FloatArray
    attainment: FloatArray
    remaining_quota: FloatArray
    coverage: FloatArray
    by: tuple[str, ...]
    probabilities: str
    n_lost: int
    n_overdue: int
    overdue_amount: float
    as_of: np.datetime64 | None
    quota_level: QuotaAttainment | None = None

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


def _sum(codes: IntArray, weights: FloatArray, n: int) -> FloatArray:
    return bincount(codes, weights=weights, minlength=n).astype(np.float64)


def _attainment(
    quota: FloatArray, closed_won: FloatArray, pipeline: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    # NaN where there is no quota; an overflowing ratio (a subnormal quota) is inf, as documented
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        attainment = np.where(quota > 0, closed_won / quota, np.nan)
        remaining = np.maximum(quota - closed_won, 0.0)
        coverage = np.where(remaining > 0, pipeline / remaining, np.nan)
    return attainment, remaining, coverage


def _quota_attainment(
    level: QuotaLevel,
    n_open: IntArray,
    pipeline: FloatArray,
    weighted: FloatArray,
    closed_won: FloatArray,
) -> QuotaAttainment:
    c = level.cells
    up = level.roll_up
    pipe, won = up(pipeline), up(closed_won)
    attainment, remaining, coverage = _attainment(level.quota, won, pipe)
    return QuotaAttainment(
        period=c.periods.label[c.period],
        start=c.periods.start[c.period],
        end=c.periods.end[c.period],
        groups=c.dims,
        n_open=up(n_open.astype(np.float64)).astype(np.int64),
        pipeline=pipe,
        weighted=up(weighted),
        closed_won=won,
        expected_total=won + up(weighted),
        quota=level.quota,
        attainment=attainment,
        remaining_quota=remaining,
        coverage=coverage,
        by=level.level,
    )


def forecast_pipeline(
    opportunities: Opportunities,
    *,
    period: PeriodSpec,
    probabilities: Literal["configured"] | StageRates,
    by: Sequence[str] = (),
    quotas: object | None = None,
    as_of: object | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> PipelineForecast:
    """Forecast bookings per close period and any dimensions: Σ amount x probability.

    Parameters
    ----------
    opportunities : Opportunities
        Open and closed deals; lost deals are counted in ``n_lost`` only.
    period : Frequency, str, Horizon or list of Horizon
        Group by calendar period of the close date (``"month"``, ``"quarter"``,
        ``"fiscal_quarter"``, ...) or by horizons such as
        ``Horizon.next_days(as_of, 90)`` (a deal may fall in several horizons).
    probabilities : "configured" or StageRates
        Stage probabilities from the process, or calibrated ones from
        :func:`fit_stage_rates`. No default: the choice changes the forecast.
    by : sequence of str
        Dimension names to group by at once (e.g. ``("region", "product")``).
    quotas : DataFrame or dict of columns, optional
        Columns ``period`` (labels such as ``"2024-07"`` or horizon labels),
        ``quota`` and any subset of the ``by`` dimensions; the columns decide the
        quota's level (all of ``by``: per cell; ``region`` only while grouping by
        region x product: per region; none: one total per period), reported in
        ``quota_level``. One row per quota-level cell.
    as_of : date-like, optional
        When given, open deals expected to close before it are reported as overdue.
    calendar : Calendar
        Week start and fiscal-year start for the periods.

    Returns
    -------
    PipelineForecast
        One row per cell with deals or a quota.

    Raises
    ------
    InputError
        For an empty pipeline (no deal at all), open or won deals without a
        close date, unknown ``by`` names, a bad ``period``, ``probabilities``,
        ``as_of`` or ``calendar``, quotas for periods that do not exist,
        duplicate quota cells, quota columns other than ``period``, ``quota``
        and ``by`` names (naming the column).

    Notes
    -----
    For the open deals *i* of a cell, ``weighted = Σ a_i p_i`` and
    ``pipeline = Σ a_i``, so ``weighted <= pipeline`` and every column is
    additive across cells. Coverage is ``pipeline / max(quota - closed_won, 0)``.
    Every sum is finite: :class:`Opportunities` refuses amounts whose total
    exceeds float64's range. ``quota``, ``attainment`` and ``coverage`` are NaN
    exactly where stated above; the two ratios are infinite only where a
    positive (remaining) quota is so small that the ratio exceeds float64's
    range (below about 1e-308 of the amounts).

    Examples
    --------
    Two regions, July and August:

    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3, 4],
    ...     amount=[10_000.0, 20_000.0, 5_000.0, 8_000.0],
    ...     stage=["plan", "close", "won", "qualify"],
    ...     close_date=["2024-07-10", "2024-07-25", "2024-07-03", "2024-08-15"],
    ...     dimensions={"region": ["north", "north", "south", "south"]},
    ... )
    >>> f = forecast_pipeline(
    ...     opps,
    ...     period="month",
    ...     by=["region"],
    ...     probabilities="configured",
    ...     quotas={"period": ["2024-07"], "region": ["north"], "quota": [30_000.0]},
    ... )
    >>> f.period.tolist(), f.groups["region"].tolist(), f.weighted.tolist()
    (['2024-07', '2024-07', '2024-08'], ['north', 'south', 'south'], [20000.0, 0.0, 1600.0])
    >>> float(f.coverage[0])
    1.0

    One quota for the whole month while still grouping by region:

    >>> g = forecast_pipeline(
    ...     opps,
    ...     period="month",
    ...     by=["region"],
    ...     probabilities="configured",
    ...     quotas={"period": ["2024-07"], "quota": [35_000.0]},
    ... )
    >>> g.quota_level.period.tolist(), g.quota_level.coverage.tolist()
    (['2024-07', '2024-08'], [1.0, nan])
    """
    fn = "forecast_pipeline"
    opportunities = check_opportunities(opportunities, function=fn)
    by = check_by(by, function=fn)
    calendar = check_calendar(calendar, function=fn)
    ref = None if as_of is None else scalar_datetime(as_of, field="as_of", function=fn)
    p = probabilities_of(opportunities, probabilities, function=fn)
    stage = opportunities.stage
    won_code = opportunities.process.won_code
    rows = np.flatnonzero(stage <= won_code).astype(np.int64)
    cells, level = quota_cells(
        opportunities, rows, period, by, quotas, calendar=calendar, function=fn
    )
    n = cells.n_cells
    d = cells.deal
    code = cells.code
    amount = opportunities.amount[d]
    is_open = stage[d] < won_code
    open_amount = np.where(is_open, amount, 0.0)
    cat = opportunities.category[d]
    categories = {
        c: _sum(code, np.where(is_open & (cat == c), amount, 0.0), n)
        for c in (
            ForecastCategory.COMMIT,
            ForecastCategory.BEST_CASE,
            ForecastCategory.PIPELINE,
            ForecastCategory.OMITTED,
        )
    }
    pipeline = _sum(code, open_amount, n)
    weighted = _sum(code, open_amount * p[d], n)
    closed_won = _sum(code, np.where(is_open, 0.0, amount), n)
    n_open = bincount(code, weights=is_open, minlength=n).astype(np.int64)
    quota = level.quota if level is not None and level.same_level else np.full(n, np.nan)
    attainment, remaining, coverage = _attainment(quota, closed_won, pipeline)
    at_level = None
    if level is not None:
        at_level = _quota_attainment(level, n_open, pipeline, weighted, closed_won)
    n_overdue, overdue_amount = 0, 0.0
    if ref is not None:
        overdue = (stage < won_code) & (opportunities.close_date < ref)
        n_overdue = int(overdue.sum())
        overdue_amount = float(opportunities.amount[overdue].sum())
    per = cells.periods
    return PipelineForecast(
        period=per.label[cells.period],
        start=per.start[cells.period],
        end=per.end[cells.period],
        groups=cells.dims,
        n_open=n_open,
        pipeline=pipeline,
        weighted=weighted,
        closed_won=closed_won,
        expected_total=closed_won + weighted,
        commit=categories[ForecastCategory.COMMIT],
        best_case=categories[ForecastCategory.BEST_CASE],
        pipeline_category=categories[ForecastCategory.PIPELINE],
        omitted=categories[ForecastCategory.OMITTED],
        quota=quota,
        attainment=attainment,
        remaining_quota=remaining,
        coverage=coverage,
        by=by,
        probabilities="configured" if isinstance(probabilities, str) else "calibrated",
        n_lost=int((stage == opportunities.process.lost_code).sum()),
        n_overdue=n_overdue,
        overdue_amount=overdue_amount,
        as_of=ref,
        quota_level=at_level,
    )
