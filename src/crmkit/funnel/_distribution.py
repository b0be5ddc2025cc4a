"""Forecast distributions per cell: the shared preparation and the lattice method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import scalar_datetime
from crmkit._params import instance, integer, work_limit
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._forecast import (
    check_by,
    check_calendar,
    check_opportunities,
    probabilities_of,
)
from crmkit.funnel._grouping import Cells, PeriodSpec
from crmkit.funnel._lattice import lattice_sum, scale_unit
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._quotas import QuotaDistribution, QuotaLevel, quota_cells
from crmkit.funnel._slip import SlipDistribution, slip_shifts, window_probabilities
from crmkit.periods import DEFAULT_CALENDAR, Calendar

if TYPE_CHECKING:
    from crmkit.funnel._calibration import StageRates

__all__ = ["MAX_LATTICE_POINTS", "MAX_LATTICE_WORK", "ForecastDistribution", "lattice_forecast"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MAX_LATTICE_POINTS: Final = 2**24
"""Largest lattice per cell (128 MB of float64 per array)."""
MAX_LATTICE_WORK: Final = 2**30
"""Largest number of lattice points over all the cells of one call (cells x n_points)."""


@attrs.frozen(kw_only=True, repr=False)
class ForecastDistribution(Result):
    """Distribution of what each period and dimension cell will book.

    Attributes
    ----------
    period : ndarray of str, shape (k,)
        Period or horizon label of each cell.
    start, end : ndarray of datetime64[us], shape (k,)
        Bounds of the period.
    groups : mapping of str to ndarray, shape (k,) each
        Dimension values of each cell.
    n_open : ndarray of int64, shape (k,)
        Open deals in the cell.
    closed_won : ndarray of float64, shape (k,)
        Amount already won (a constant added to every outcome).
    mean, sd : ndarray of float64, shape (k,)
        Mean and standard deviation of the total (closed_won + open wins) from
        the method used.
    expected, analytic_sd : ndarray of float64, shape (k,)
        Exact moments: ``closed_won + Σ a p`` and ``sqrt(Σ a² p (1 - p))``.
    p10, p50, p90 : ndarray of float64, shape (k,)
        Quantiles of the total.
    quota : ndarray of float64, shape (k,)
        Quota of the cell (NaN if none, or if the quotas are coarser than the cells).
    p_reach_quota : ndarray of float64, shape (k,)
        P(total >= quota) (NaN without quota).
    amount_tolerance, probability_tolerance : ndarray of float64, shape (k,)
        Lattice error bounds (see Notes of :func:`lattice_forecast`); for Monte
        Carlo, the standard error of the mean and zero.
    method : {"lattice", "monte_carlo"}
        How the distribution was computed.
    n_simulations : int
        Monte Carlo draws (0 for the lattice).
    probabilities : str
        ``"configured"`` or ``"calibrated"``.
    slipped_out : float
        Monte Carlo with slip: mean amount per simulation won in a period (or
        outside every horizon) that is not a row of the table.
    quota_level : QuotaDistribution or None
        With quotas: the distribution of the SUM over the cells of each
        quota-level cell and its P(reach quota).

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2],
    ...     amount=[100.0, 300.0],
    ...     stage=["plan", "close"],
    ...     close_date=["2024-05-02", "2024-05-20"],
    ... )
    >>> d = lattice_forecast(opps, period="month", probabilities="configured")
    >>> d.p10.tolist(), d.p50.tolist(), d.p90.tolist()
    ([0.0], [300.0], [400.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "end",
        "n_open",
        "closed_won",
        "mean",
        "sd",
        "expected",
        "analytic_sd",
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
        "mean": "money",
        "sd": "money",
        "expected": "money",
        "analytic_sd": "money",
        "p10": "money",
        "p50": "money",
        "p90": "money",
        "quota": "money",
        "amount_tolerance": "money",
        "slipped_out": "money",
        "p_reach_quota": "probability",
        "probability_tolerance": "probability",
    }
    _rows: ClassVar[tuple[str, ...]] = (
        "period",
        "start",
        "end",
        "groups",
        "n_open",
        "closed_won",
        "mean",
        "sd",
        "expected",
        "analytic_sd",
        "p10",
        "p50",
        "p90",
        "quota",
        "p_reach_quota",
        "amount_tolerance",
        "probability_tolerance",
    )
    _plot: ClassVar[str] = "forecast_fan"

    def _recount(self, rows: dict[str, Any]) -> dict[str, Any]:
        return rows | {"quota_level": None}

    period: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    groups: Mapping[str, npt.NDArray[Any]]
    n_open: IntArray
    closed_won: FloatArray
    mean: FloatArray
    sd: FloatArray
    expected: FloatArray
    analytic_sd: FloatArray
    p10: FloatArray
    p50: FloatArray
    p90: FloatArray
    quota: FloatArray
    p_reach_quota: FloatArray
    amount_tolerance: FloatArray
    probability_tolerance: FloatArray
    slipped_out: float
    method: Literal["lattice", "monte_carlo"]
    n_simulations: int
    probabilities: str
    quota_level: QuotaDistribution | None = None

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the per-cell columns with the dimension columns after the bounds.

        Returns
        -------
        dict of str to ndarray
        """
        base = super().table()
        cols = {k: base[k] for k in ("period", "start", "end")}
        cols |= {k: np.asarray(v) for k, v in self.groups.items()}
        cols |= {k: v for k, v in base.items() if k not in cols}
        return cols


@attrs.frozen(kw_only=True)
class _Prepared:
    cells: Cells
    prob: FloatArray
    is_open: npt.NDArray[np.bool_]
    amount: FloatArray
    closed_won: FloatArray
    quota: FloatArray
    label: str
    level: QuotaLevel | None


def _prepare(
    opportunities: Opportunities,
    *,
    period: PeriodSpec,
    probabilities: Literal["configured"] | StageRates,
    by: Sequence[str],
    quotas: object | None,
    calendar: Calendar,
    function: str,
) -> _Prepared:
    """Check the arguments every distribution shares and build its cells."""
    opportunities = check_opportunities(opportunities, function=function)
    by = check_by(by, function=function)
    calendar = check_calendar(calendar, function=function)
    p = probabilities_of(opportunities, probabilities, function=function)
    won_code = opportunities.process.won_code
    rows = np.flatnonzero(opportunities.stage <= won_code).astype(np.int64)
    cells, level = quota_cells(
        opportunities, rows, period, by, quotas, calendar=calendar, function=function
    )
    n = cells.n_cells
    is_open = opportunities.stage < won_code
    pair_open = is_open[cells.deal]
    amount = opportunities.amount
    won_amt = np.where(pair_open, 0.0, amount[cells.deal])
    same = level is not None and level.same_level
    quota = level.quota if level is not None and same else np.full(n, np.nan)
    return _Prepared(
        cells=cells,
        prob=p,
        is_open=is_open,
        amount=amount,
        closed_won=bincount(cells.code, weights=won_amt, minlength=n).astype(np.float64),
        quota=quota,
        label="configured" if isinstance(probabilities, str) else "calibrated",
        level=level,
    )


def _spread(codes: IntArray, amount: FloatArray, prob: FloatArray, n: int) -> FloatArray:
    """Per cell ``sqrt(Σ a² p (1 - p))``, in scaled units where squares would overflow."""
    unit = scale_unit(float(amount.max())) if amount.size else 1.0
    a = amount / unit if unit != 1.0 else amount
    var = bincount(codes, weights=a * a * prob * (1 - prob), minlength=n).astype(np.float64)
    return np.sqrt(var) * unit


def _moments(prep: _Prepared) -> tuple[FloatArray, FloatArray, IntArray]:
    c = prep.cells
    n = c.n_cells
    op = prep.is_open[c.deal]
    a = np.where(op, prep.amount[c.deal], 0.0)
    p = prep.prob[c.deal]
    mean = prep.closed_won + bincount(c.code, weights=a * p, minlength=n)
    n_open = bincount(c.code, weights=op, minlength=n).astype(np.int64)
    return mean, _spread(c.code, a, p, n), n_open


def _result(
    prep: _Prepared,
    *,
    mean: FloatArray,
    sd: FloatArray,
    quantiles: FloatArray,
    p_quota: FloatArray,
    amount_tol: FloatArray,
    prob_tol: FloatArray,
    slipped_out: float,
    method: Literal["lattice", "monte_carlo"],
    n_simulations: int,
    quota_level: QuotaDistribution | None = None,
    moments: tuple[FloatArray, FloatArray] | None = None,
) -> ForecastDistribution:
    c = prep.cells
    expected, analytic_sd, n_open = _moments(prep)
    if moments is not None:
        expected, analytic_sd = moments
    per = c.periods
    return ForecastDistribution(
        period=per.label[c.period],
        start=per.start[c.period],
        end=per.end[c.period],
        groups=c.dims,
        n_open=n_open,
        closed_won=prep.closed_won,
        mean=mean,
        sd=sd,
        expected=expected,
        analytic_sd=analytic_sd,
        p10=quantiles[:, 0],
        p50=quantiles[:, 1],
        p90=quantiles[:, 2],
        quota=prep.quota,
        p_reach_quota=p_quota,
        amount_tolerance=amount_tol,
        probability_tolerance=prob_tol,
        slipped_out=slipped_out,
        method=method,
        n_simulations=n_simulations,
        probabilities=prep.label,
        quota_level=quota_level,
    )


@attrs.frozen(kw_only=True)
class SlipPairs:
    """(deal, cell, probability) triples: P(deal wins and closes in the cell) under slip."""

    deal: IntArray
    cell: IntArray
    prob: FloatArray
    slipped_out: float


def slip_pairs(
    prep: _Prepared,
    cells: Cells,
    names: Sequence[str],
    *,
    opportunities: Opportunities,
    slip: SlipDistribution,
    as_of: np.datetime64,
) -> SlipPairs:
    """Each open deal against every cell of its dimensions, with P(win) x P(close in the cell).

    The close date of a win is ``max(expected + slip, as_of)`` with the slip
    drawn from the empirical distribution, exactly as the Monte Carlo draws it.
    """
    c = prep.cells
    open_deals = np.unique(c.deal[prep.is_open[c.deal]])
    nd, nc = open_deals.size, cells.n_cells
    deal_key = np.zeros(nd, dtype=np.int64)
    cell_key = np.zeros(nc, dtype=np.int64)
    for name in names:
        dv, cv = opportunities.dimensions[name][open_deals], cells.dims[name]
        if dv.dtype.kind != cv.dtype.kind:
            dv, cv = dv.astype(str), cv.astype(str)
        f = factorize(np.concatenate([dv, cv]))
        deal_key = deal_key * f.n_groups + f.codes[:nd]
        cell_key = cell_key * f.n_groups + f.codes[nd:]
    both = factorize(np.concatenate([deal_key, cell_key]))
    dcombo, ccombo = both.codes[:nd], both.codes[nd:]
    n_combo = max(both.n_groups, 1)
    order = np.argsort(dcombo, kind="stable")
    counts = bincount(dcombo, minlength=n_combo)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sizes = counts[ccombo]
    total = int(sizes.sum())
    pair_cell = np.repeat(np.arange(nc, dtype=np.int64), sizes)
    head = np.repeat(first[ccombo] - (np.cumsum(sizes) - sizes), sizes)
    pair_deal = open_deals[order[head + np.arange(total)]] if total else open_deals[:0]
    shifts = slip_shifts(slip)
    per = cells.periods
    expected = opportunities.close_date
    q = window_probabilities(
        expected[pair_deal],
        shifts,
        as_of,
        per.start[cells.period][pair_cell],
        per.end[cells.period][pair_cell],
    )
    # expected amount won outside every cell of the deal's dimensions (windows may overlap)
    bounds = np.unique(np.concatenate([per.start[cells.period], per.end[cells.period]]))
    seg_lo, seg_hi = bounds[:-1], bounds[1:]
    covered = np.zeros((n_combo, max(seg_lo.size, 1)), dtype=bool)
    for j in range(nc):
        inside = (seg_lo >= per.start[cells.period[j]]) & (seg_hi <= per.end[cells.period[j]])
        covered[ccombo[j], : seg_lo.size] |= inside
    p_in = np.zeros(nd)
    for s_i in range(seg_lo.size):
        mine = covered[dcombo, s_i]
        if mine.any():
            p_in[mine] += window_probabilities(
                expected[open_deals[mine]],
                shifts,
                as_of,
                np.full(int(mine.sum()), seg_lo[s_i]),
                np.full(int(mine.sum()), seg_hi[s_i]),
            )
    a, p = prep.amount[open_deals], prep.prob[open_deals]
    return SlipPairs(
        deal=pair_deal,
        cell=pair_cell,
        prob=prep.prob[pair_deal] * q,
        slipped_out=float((a * p * np.clip(1.0 - p_in, 0.0, 1.0)).sum()),
    )


def _pair_moments(
    prep: _Prepared, pairs: SlipPairs, n: int, closed_won: FloatArray
) -> tuple[FloatArray, FloatArray]:
    a = prep.amount[pairs.deal]
    mean = closed_won + bincount(pairs.cell, weights=a * pairs.prob, minlength=n)
    return mean, _spread(pairs.cell, a, pairs.prob, n)


def _lattice_cells(
    prep: _Prepared,
    *,
    code: IntArray,
    n: int,
    closed_won: FloatArray,
    quota: FloatArray,
    points: int,
    pairs: SlipPairs | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Lattice distribution of each cell's total; *code* is the cell of every (deal, period).

    With *pairs*, each deal enters the cells of its pairs with the pair's
    probability instead (slip: a deal may land in any period).
    """
    if pairs is None:
        c = prep.cells
        op = prep.is_open[c.deal]
        p_deal, p_code = c.deal[op], code[op]
        p_prob = prep.prob[p_deal]
    else:
        p_deal, p_code, p_prob = pairs.deal, pairs.cell, pairs.prob
    order = np.argsort(p_code, kind="stable")
    deals, probs = p_deal[order], p_prob[order]
    bounds = np.searchsorted(p_code[order], np.arange(n + 1))
    mean, sd = np.zeros(n), np.zeros(n)
    qs = np.zeros((n, 3))
    p_quota = np.full(n, np.nan)
    a_tol, p_tol = np.zeros(n), np.zeros(n)
    for j in range(n):
        sel = slice(bounds[j], bounds[j + 1])
        dist = lattice_sum(prep.amount[deals[sel]], probs[sel], n_points=points)
        base = closed_won[j]
        vals = dist.values + base
        m = float((vals * dist.pmf).sum() / dist.pmf.sum())
        mean[j] = m
        unit = scale_unit(float(np.abs(vals).max()))  # (vals - m)² overflows past 1e154
        dev = (vals - m) / unit
        sd[j] = float(np.sqrt((dev * dev * dist.pmf).sum() / dist.pmf.sum())) * unit
        qs[j] = [dist.quantile(q) + base for q in (0.1, 0.5, 0.9)]
        if np.isfinite(quota[j]):
            p_quota[j] = dist.survival_at(quota[j] - base) if quota[j] > base else 1.0
        a_tol[j], p_tol[j] = dist.amount_tolerance, dist.probability_tolerance
    return mean, sd, qs, p_quota, a_tol, p_tol


def level_distribution(
    prep: _Prepared,
    *,
    closed_won: FloatArray,
    mean: FloatArray,
    quantiles: FloatArray,
    p_quota: FloatArray,
    amount_tol: FloatArray,
    prob_tol: FloatArray,
) -> QuotaDistribution:
    """Assemble the quota-level distribution table from per-level-cell statistics."""
    if prep.level is None:  # pragma: no cover - callers check
        msg = "no quota level"
        raise AssertionError(msg)
    lv = prep.level
    c = prep.cells
    op = prep.is_open[c.deal]
    code = lv.fine_to_coarse[c.code]
    k = lv.cells.n_cells
    a = np.where(op, prep.amount[c.deal], 0.0)
    expected = closed_won + bincount(code, weights=a * prep.prob[c.deal], minlength=k)
    per = lv.cells.periods
    return QuotaDistribution(
        period=per.label[lv.cells.period],
        start=per.start[lv.cells.period],
        end=per.end[lv.cells.period],
        groups=lv.cells.dims,
        n_open=bincount(code, weights=op, minlength=k).astype(np.int64),
        closed_won=closed_won,
        expected=expected,
        mean=mean,
        p10=quantiles[:, 0],
        p50=quantiles[:, 1],
        p90=quantiles[:, 2],
        quota=lv.quota,
        p_reach_quota=p_quota,
        amount_tolerance=amount_tol,
        probability_tolerance=prob_tol,
        by=lv.level,
    )


def lattice_forecast(
    opportunities: Opportunities,
    *,
    period: PeriodSpec,
    probabilities: Literal["configured"] | StageRates,
    by: Sequence[str] = (),
    quotas: object | None = None,
    n_points: int = 2**16,
    slip: SlipDistribution | None = None,
    as_of: object | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> ForecastDistribution:
    """Distribution of bookings per cell, exact up to a stated lattice resolution.

    Parameters
    ----------
    opportunities : Opportunities
        Open and won deals (lost ones are ignored).
    period : Frequency, str, Horizon or list of Horizon
        Cells by close period or horizon, as in :func:`forecast_pipeline`.
    probabilities : "configured" or StageRates
        Win probability source; no default.
    by : sequence of str
        Dimensions to group by.
    quotas : DataFrame or dict of columns, optional
        ``period``, ``quota`` and any subset of the ``by`` dimensions (the
        columns decide the level, as in :func:`forecast_pipeline`); reported in
        ``quota_level`` (and in ``p_reach_quota`` when at the cells' level).
    n_points : int
        Lattice size per cell (>= 256); more points, smaller error.
    slip : SlipDistribution, optional
        When given, a win closes at its expected date plus a slip from this
        distribution (never before ``as_of``), as in :func:`simulate_forecast`:
        each cell's distribution is then that of the deals of its dimensions
        that win *and* close in its period.
    as_of : date-like, optional
        Required with *slip*: the earliest possible close; refused without it.
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    ForecastDistribution
        ``method="lattice"`` with ``amount_tolerance`` and
        ``probability_tolerance`` per cell; with slip, ``expected`` and
        ``analytic_sd`` are the moments under slip and ``slipped_out`` the
        expected amount won outside every cell of the deal's dimensions.

    Raises
    ------
    InputError
        As :func:`forecast_pipeline`, for ``n_points < 256``, and for slip without ``as_of``.

    Notes
    -----
    The open total of a cell is ``S = Σ a_i X_i`` with independent
    ``X_i ~ Bernoulli(p_i)``. Amounts are rounded to a lattice of step ``h``
    (``a_i ≈ h k_i``) spanning the support or a Bernstein window around the
    mean holding all but 1e-12 of the mass; the pmf of ``Σ k_i X_i`` comes
    from dynamic programming within blocks and FFT products across them. The
    rounding bias ``Σ e_i p_i`` (``e_i = a_i - h k_i``) is added back. With
    ``t = amount_tolerance = sqrt(Σ e_i² ln(2/η) / 2)`` (Hoeffding, η = 1e-9)
    and ``ε = probability_tolerance`` (η + the Bernstein bound on mass outside
    the window + trimmed tails), the true CDF satisfies
    ``F_L(x - t) - ε <= F(x) <= F_L(x + t) + ε``; so every reported quantile
    is off by at most ``t`` in amount or ``ε`` in probability.

    At a coarser quota level the lattice is built over all the open deals of
    the quota-level cell (the convolution of its cells' distributions), so
    ``P(Σ_cells S_c >= quota)`` is exact up to the same bounds; it is not a sum
    or product of the cells' probabilities.

    Examples
    --------
    >>> from crmkit.funnel import DEFAULT_PROCESS, Opportunities
    >>> opps = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[10_000.0, 20_000.0, 5_000.0],
    ...     stage=["plan", "close", "propose solution"],
    ...     close_date=["2024-07-10", "2024-07-25", "2024-07-03"],
    ... )
    >>> d = lattice_forecast(
    ...     opps,
    ...     period="month",
    ...     probabilities="configured",
    ...     quotas={"period": ["2024-07"], "quota": [25_000.0]},
    ... )
    >>> round(float(d.mean[0])), round(float(d.p_reach_quota[0]), 3)
    (23000, 0.608)

    The same quota while grouping by product: P(reach) is for the month's total.

    >>> by_product = Opportunities.from_arrays(
    ...     process=DEFAULT_PROCESS,
    ...     id=[1, 2, 3],
    ...     amount=[10_000.0, 20_000.0, 5_000.0],
    ...     stage=["plan", "close", "propose solution"],
    ...     close_date=["2024-07-10", "2024-07-25", "2024-07-03"],
    ...     dimensions={"product": ["software", "services", "software"]},
    ... )
    >>> e = lattice_forecast(
    ...     by_product,
    ...     period="month",
    ...     by=["product"],
    ...     probabilities="configured",
    ...     quotas={"period": ["2024-07"], "quota": [25_000.0]},
    ... )
    >>> round(float(e.quota_level.p_reach_quota[0]), 3)
    0.608
    """
    fn = "lattice_forecast"
    points = integer(
        n_points, name="n_points", function=fn, minimum=256, maximum=MAX_LATTICE_POINTS
    )
    ref = None
    if slip is not None:
        instance(slip, SlipDistribution, name="slip", function=fn, what="a SlipDistribution")
        if as_of is None:
            raise InputError.for_parameter("as_of", "a date when slip is given", None, function=fn)
        ref = scalar_datetime(as_of, field="as_of", function=fn)
    elif as_of is not None:
        raise InputError.for_parameter(
            "as_of",
            "None unless slip is given (it is the earliest close of a slipped win)",
            as_of if isinstance(as_of, str) else type(as_of).__name__,
            function=fn,
            hint="To count overdue deals, pass as_of to forecast_pipeline.",
        )
    prep = _prepare(
        opportunities,
        period=period,
        probabilities=probabilities,
        by=by,
        quotas=quotas,
        calendar=calendar,
        function=fn,
    )
    c = prep.cells
    n_level = prep.level.cells.n_cells if prep.level is not None else 0
    work_limit(
        (c.n_cells + n_level) * points,
        limit=MAX_LATTICE_WORK,
        name="n_points",
        function=fn,
        what="lattice points (cells x n_points)",
    )
    pairs = None
    moments = None
    if slip is not None and ref is not None:
        pairs = slip_pairs(prep, c, tuple(by), opportunities=opportunities, slip=slip, as_of=ref)
        moments = _pair_moments(prep, pairs, c.n_cells, prep.closed_won)
    mean, sd, qs, p_quota, a_tol, p_tol = _lattice_cells(
        prep,
        code=c.code,
        n=c.n_cells,
        closed_won=prep.closed_won,
        quota=prep.quota,
        points=points,
        pairs=pairs,
    )
    at_level = None
    if prep.level is not None:
        lv = prep.level
        won = lv.roll_up(prep.closed_won)
        level_pairs = None
        if slip is not None and ref is not None:
            level_pairs = slip_pairs(
                prep, lv.cells, lv.level, opportunities=opportunities, slip=slip, as_of=ref
            )
        lm, _, lq, lp, la, lt = _lattice_cells(
            prep,
            code=lv.fine_to_coarse[c.code],
            n=lv.cells.n_cells,
            closed_won=won,
            quota=lv.quota,
            points=points,
            pairs=level_pairs,
        )
        at_level = level_distribution(
            prep,
            closed_won=won,
            mean=lm,
            quantiles=lq,
            p_quota=lp,
            amount_tol=la,
            prob_tol=lt,
        )
        if level_pairs is not None:
            lexp, _ = _pair_moments(prep, level_pairs, lv.cells.n_cells, won)
            at_level = attrs.evolve(at_level, expected=lexp)
    return _result(
        prep,
        mean=mean,
        sd=sd,
        quantiles=qs,
        p_quota=p_quota,
        amount_tol=a_tol,
        prob_tol=p_tol,
        slipped_out=0.0 if pairs is None else pairs.slipped_out,
        method="lattice",
        n_simulations=0,
        quota_level=at_level,
        moments=moments,
    )
