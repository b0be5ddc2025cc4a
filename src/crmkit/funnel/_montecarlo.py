"""Monte Carlo forecast distributions: seeded, chunked, threaded, with optional slip."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import scalar_datetime
from crmkit._params import SeedLike, as_seed_sequence, instance, integer, work_limit
from crmkit._reduce import bincount
from crmkit.errors import InputError
from crmkit.funnel._distribution import (
    ForecastDistribution,
    _pair_moments,
    _prepare,
    _Prepared,
    _result,
    level_distribution,
    slip_pairs,
)
from crmkit.funnel._grouping import PeriodSpec, _horizons
from crmkit.funnel._lattice import scale_unit
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._slip import SlipDistribution
from crmkit.periods import DEFAULT_CALENDAR, Calendar, Frequency, period_keys

if TYPE_CHECKING:
    from crmkit.funnel._calibration import StageRates

__all__ = [
    "MAX_BUFFER_CELLS",
    "MAX_DEAL_DRAWS",
    "MAX_JOBS",
    "MAX_KEPT_TOTALS",
    "MAX_SLIP_BUFFER_CELLS",
    "simulate_forecast",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_US_PER_DAY: Final = 86_400_000_000
MAX_DEAL_DRAWS: Final = 10**10
"""Most win draws one call makes (``n_simulations x open deals``)."""
MAX_KEPT_TOTALS: Final = 10**8
"""Most simulated totals one call keeps (``n_simulations x (cells + 1)``, 8 bytes each)."""
MAX_BUFFER_CELLS: Final = 2 * 10**8
"""Largest chunk buffer without slip (``chunk_size x open deals``, about 9 bytes each)."""
MAX_SLIP_BUFFER_CELLS: Final = 4 * 10**7
"""Largest chunk buffer with slip (``chunk_size x open deals``, about 50 bytes each)."""
MAX_JOBS: Final = 256
"""Most threads ``n_jobs`` may ask for."""


def _dense_matrix(prep: _Prepared, open_deals: IntArray) -> npt.NDArray[np.float32]:
    c = prep.cells
    n = c.n_cells
    col = np.full(prep.amount.size, -1, dtype=np.int64)
    col[open_deals] = np.arange(open_deals.size)
    op = prep.is_open[c.deal]
    mat = np.zeros((open_deals.size, n), dtype=np.float32)
    scale = _amount_scale(prep, open_deals)
    np.add.at(
        mat, (col[c.deal[op]], c.code[op]), (prep.amount[c.deal[op]] / scale).astype(np.float32)
    )
    return mat


def _amount_scale(prep: _Prepared, open_deals: IntArray) -> float:
    """Return the largest open amount (the float32 matrix's unit), or 1 if none is above 0."""
    largest = float(prep.amount[open_deals].max()) if open_deals.size else 0.0
    return largest if largest > 0 else 1.0


def _mean_sd(totals: FloatArray, unit: float) -> tuple[FloatArray, FloatArray]:
    """Column means and sample standard deviations, in *unit*s where sums would overflow."""
    scaled = totals / unit if unit != 1.0 else totals
    mean = scaled.mean(axis=0) * unit
    if totals.shape[0] < 2:
        return mean, np.zeros(totals.shape[1])
    return mean, scaled.std(axis=0, ddof=1) * unit


@attrs.frozen(kw_only=True)
class _SlipPlan:
    """How slipped close dates map back to cells."""

    expected: npt.NDArray[np.datetime64]
    days: FloatArray
    as_of: np.datetime64
    combo: IntArray
    lookup: IntArray
    spec: PeriodSpec
    calendar: Calendar
    first_key: int


def _slip_plan(
    prep: _Prepared,
    open_deals: IntArray,
    *,
    opportunities: Opportunities,
    by: Sequence[str],
    slip: SlipDistribution,
    as_of: np.datetime64,
    spec: PeriodSpec,
    calendar: Calendar,
) -> _SlipPlan:
    c = prep.cells
    n_periods = c.periods.label.size
    radix_codes_deal = np.zeros(open_deals.size, dtype=np.int64)
    radix_codes_cell = np.zeros(c.n_cells, dtype=np.int64)
    for name in by:
        dv = opportunities.dimensions[name][open_deals]
        cv = c.dims[name]
        if dv.dtype.kind != cv.dtype.kind:
            dv, cv = dv.astype(str), cv.astype(str)
        f = factorize(np.concatenate([dv, cv]))
        radix_codes_deal = radix_codes_deal * f.n_groups + f.codes[: dv.size]
        radix_codes_cell = radix_codes_cell * f.n_groups + f.codes[dv.size :]
    both = factorize(np.concatenate([radix_codes_deal, radix_codes_cell]))
    combo = both.codes[: open_deals.size]
    cell_combo = both.codes[open_deals.size :]
    lookup = np.full((max(n_periods, 1), max(both.n_groups, 1)), -1, dtype=np.int64)
    lookup[c.period, cell_combo] = np.arange(c.n_cells)
    first_key = 0
    if _horizons(spec) is None and n_periods:
        freq = Frequency(spec)  # type: ignore[arg-type]
        first_key = int(period_keys(c.periods.start[:1], freq, calendar=calendar)[0])
    return _SlipPlan(
        expected=opportunities.close_date[open_deals],
        days=slip.days,
        as_of=as_of,
        combo=combo,
        lookup=lookup,
        spec=spec,
        calendar=calendar,
        first_key=first_key,
    )


def _bernoulli(
    rng: np.random.Generator, prob: FloatArray, size: int, *, out: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Exact Bernoulli(p) draws from 8 random bits each, refined on ties.

    With ``T = min(floor(256 p), 255)`` and ``r = 256 p - T``, a deal wins when a
    uniform byte ``U < T``, or when ``U == T`` and a uniform ``V < r``:
    ``P = T / 256 + r / 256 = p`` exactly (to float64), using a quarter of the
    random bits of a float32 comparison.
    """
    n = prob.size
    scaled = prob * 256.0
    thresh = np.minimum(np.floor(scaled), 255.0)
    rest = scaled - thresh
    total = size * n
    raw = rng.bit_generator.random_raw(-(-total // 8)) if total else np.zeros(0, np.uint64)
    u = raw.view(np.uint8)[:total].reshape(size, n)
    t8 = thresh.astype(np.uint8)
    np.less(u, t8, out=out)
    ties = np.flatnonzero(u == t8)
    if ties.size:
        out.reshape(-1)[ties] = rng.random(ties.size) < rest[ties % n]
    return out


def _chunk(
    seed_seq: np.random.SeedSequence,
    *,
    size: int,
    prob: FloatArray,
    mat: npt.NDArray[np.float32],
    amounts: FloatArray,
    plan: _SlipPlan | None,
    n_cells: int,
    buffers: dict[str, npt.NDArray[Any]],
) -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(seed_seq)
    n = prob.size
    shape = (size, n)
    if buffers.get("w") is None or buffers["w"].shape[0] < size:
        # reused across a worker's chunks: no page faults on fresh 100 MB arrays
        buffers["w"] = np.empty(shape, dtype=np.bool_)
        buffers["f"] = np.empty(shape, dtype=np.float32)
    w, f = buffers["w"][:size], buffers["f"][:size]
    wins = _bernoulli(rng, prob, size, out=w)
    if plan is None:
        np.copyto(f, wins)
        return (f @ mat).astype(np.float64), np.zeros(size)
    idx = rng.integers(0, plan.days.size, size=(size, n))
    shift = (plan.days[idx] * _US_PER_DAY).astype(np.int64).astype("timedelta64[us]")
    dates = np.maximum(plan.expected[None, :] + shift, plan.as_of)
    horizons = _horizons(plan.spec)
    out = np.zeros(size * (n_cells + 1))
    sims = np.arange(size)[:, None] * (n_cells + 1)
    won_amt = np.where(wins, amounts[None, :], 0.0)
    if horizons is None:
        freq = Frequency(plan.spec)  # type: ignore[arg-type]
        keys = period_keys(dates.ravel(), freq, calendar=plan.calendar).reshape(dates.shape)
        pidx = keys - plan.first_key
        ok = (pidx >= 0) & (pidx < plan.lookup.shape[0])
        cell = np.where(
            ok, plan.lookup[np.clip(pidx, 0, plan.lookup.shape[0] - 1), plan.combo[None, :]], -1
        )
        cell = np.where(cell < 0, n_cells, cell)
        out += bincount((sims + cell).ravel(), weights=won_amt.ravel(), minlength=out.size)
    else:
        for h_i, h in enumerate(horizons):
            inside = (dates >= h.start) & (dates < h.end)
            cell = plan.lookup[h_i, plan.combo][None, :].repeat(size, axis=0)
            cell = np.where(inside & (cell >= 0), cell, n_cells)
            flat = (sims + cell).ravel()
            out += bincount(flat, weights=won_amt.ravel(), minlength=out.size)
    table = out.reshape(size, n_cells + 1)
    return table[:, :n_cells], table[:, n_cells]


def _check_work(n_sims: int, chunk: int, n_deals: int, n_cells: int, *, slip: bool) -> None:
    fn = "simulate_forecast"
    work_limit(
        n_sims * max(n_deals, 1),
        limit=MAX_DEAL_DRAWS,
        name="n_simulations",
        function=fn,
        what="win draws (n_simulations x open deals)",
    )
    work_limit(
        n_sims * (n_cells + 1),
        limit=MAX_KEPT_TOTALS,
        name="n_simulations",
        function=fn,
        what="kept totals (n_simulations x (cells + 1))",
    )
    work_limit(
        chunk * max(n_deals, 1),
        limit=MAX_SLIP_BUFFER_CELLS if slip else MAX_BUFFER_CELLS,
        name="chunk_size",
        function=fn,
        what="chunk buffer cells (chunk_size x open deals)",
    )


def simulate_forecast(
    opportunities: Opportunities,
    *,
    period: PeriodSpec,
    probabilities: Literal["configured"] | StageRates,
    n_simulations: int,
    seed: SeedLike,
    by: Sequence[str] = (),
    quotas: object | None = None,
    slip: SlipDistribution | None = None,
    as_of: object | None = None,
    chunk_size: int = 2_000,
    n_jobs: int = 1,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> ForecastDistribution:
    """Monte Carlo distribution of bookings per cell, optionally with close-date slip.

    Parameters
    ----------
    opportunities : Opportunities
        Open and won deals.
    period : Frequency, str, Horizon or list of Horizon
        Cells by close period or horizon.
    probabilities : "configured" or StageRates
        Win probability source; no default.
    n_simulations : int
        Number of simulated futures, >= 1; with the open deals, at most
        ``MAX_DEAL_DRAWS`` (1e10) win draws and ``MAX_KEPT_TOTALS`` (1e8)
        kept totals (``n_simulations x (cells + 1)``) per call.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        No default: an int >= 0 or a ``SeedSequence`` gives the same numbers
        on every call; a ``Generator`` is drawn from (so successive calls
        differ, reproducibly). Each chunk draws from its own child sequence,
        so results do not depend on ``n_jobs``.
    by : sequence of str
        Dimensions to group by.
    quotas : DataFrame or dict of columns, optional
        ``period``, ``quota`` and any subset of the ``by`` dimensions (the
        columns decide the level, as in :func:`forecast_pipeline`); reported in
        ``quota_level`` from the per-simulation SUM of the cells.
    slip : SlipDistribution, optional
        When given, each simulated win closes at its expected date plus a slip
        drawn from this distribution (never before ``as_of``), so it may move
        to another period or out of a horizon.
    as_of : date-like, optional
        Required with *slip*: the earliest possible close; refused without it.
    chunk_size : int
        Simulations per chunk, >= 1; the chunk buffers take about
        ``chunk_size x open deals x 9`` bytes without slip (about 50 with
        slip), at most ``MAX_BUFFER_CELLS`` (2e8) cells without slip and
        ``MAX_SLIP_BUFFER_CELLS`` (4e7) with it.
    n_jobs : int
        Threads to run chunks on, 1 to ``MAX_JOBS`` (256).
    calendar : Calendar
        Week start and fiscal year.

    Returns
    -------
    ForecastDistribution
        ``method="monte_carlo"``; ``amount_tolerance`` holds the standard error
        of the mean. With slip, ``expected`` and ``analytic_sd`` are the exact
        moments under slip (those :func:`lattice_forecast` with the same slip reports).

    Raises
    ------
    InputError
        For zero simulations, bad chunk or job counts, work beyond the limits
        above (before any is done), a bad seed (None included), slip without
        ``as_of``, and as :func:`forecast_pipeline`.

    Notes
    -----
    Each open deal wins independently with probability ``p_i``; a deal in
    several overlapping horizons wins or loses in all of them at once. Each
    win is drawn exactly from one random byte (``U < floor(256 p)``, with a
    float64 uniform deciding the 1-in-256 ties), and wins are summed with a
    float32 matrix product over amounts scaled by the largest one (relative
    error ~1e-6, far below the Monte Carlo error). Memory: the per-chunk buffers (about
    ``chunk_size x open deals x 9`` bytes per job) plus the kept totals,
    ``n_simulations x cells x 8`` bytes, from which the quantiles are exact.
    At a coarser quota level each simulation's cells are summed into their
    quota-level cell, so P(reach quota) is ``mean_s 1[Σ_cells total_s >= quota]``;
    with slip, the same simulated futures (same child seeds) are also mapped
    straight onto the quota-level cells, so a win slipping into a period that
    only the quotas name still counts toward that quota.

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
    >>> d = simulate_forecast(
    ...     opps, period="month", probabilities="configured", n_simulations=20_000, seed=1
    ... )
    >>> bool(abs(d.mean[0] - d.expected[0]) < 4 * d.amount_tolerance[0])
    True
    """
    fn = "simulate_forecast"
    n_sims = integer(n_simulations, name="n_simulations", function=fn, minimum=1)
    root = as_seed_sequence(seed, function=fn)
    chunk = integer(chunk_size, name="chunk_size", function=fn, minimum=1)
    jobs = integer(n_jobs, name="n_jobs", function=fn, minimum=1, maximum=MAX_JOBS)
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
    n = c.n_cells
    open_deals = np.unique(c.deal[prep.is_open[c.deal]])
    n_level = prep.level.cells.n_cells if prep.level is not None else 0
    _check_work(n_sims, min(chunk, n_sims), open_deals.size, n + n_level, slip=slip is not None)
    prob = prep.prob[open_deals]
    plan = None
    mat = np.zeros((open_deals.size, n), dtype=np.float32)
    scale = 1.0
    if slip is None or ref is None:
        mat = _dense_matrix(prep, open_deals)
        scale = _amount_scale(prep, open_deals)
    else:
        plan = _slip_plan(
            prep,
            open_deals,
            opportunities=opportunities,
            by=by,
            slip=slip,
            as_of=ref,
            spec=period,
            calendar=calendar,
        )
    level = prep.level
    level_plan = None
    if plan is not None and slip is not None and level is not None and not level.same_level:
        # the same futures (same child seeds) mapped straight to the quota-level cells, so
        # a win slipping into a quota-only period still counts toward that quota
        level_plan = _slip_plan(
            attrs.evolve(prep, cells=level.cells),
            open_deals,
            opportunities=opportunities,
            by=level.level,
            slip=slip,
            as_of=plan.as_of,
            spec=period,
            calendar=calendar,
        )
    k_level = level.cells.n_cells if level is not None else 0
    level_won = level.roll_up(prep.closed_won) if level is not None else np.zeros(0)
    level_slipped = np.empty((n_sims, k_level)) if level_plan is not None else None
    sizes = [chunk] * (n_sims // chunk) + ([n_sims % chunk] if n_sims % chunk else [])
    children = root.spawn(len(sizes))
    amounts = prep.amount[open_deals]
    totals = np.empty((n_sims, n))
    outside = np.empty(n_sims)

    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()

    def work(worker: int) -> None:
        buffers: dict[str, npt.NDArray[Any]] = {}
        for i in range(worker, len(sizes), jobs):
            block, out = _chunk(
                children[i],
                size=sizes[i],
                prob=prob,
                mat=mat,
                amounts=amounts,
                plan=plan,
                n_cells=n,
                buffers=buffers,
            )
            lo = starts[i]
            totals[lo : lo + sizes[i]] = block * scale + prep.closed_won[None, :]
            outside[lo : lo + sizes[i]] = out / scale
            if level_slipped is not None:
                level_block, _ = _chunk(
                    children[i],
                    size=sizes[i],
                    prob=prob,
                    mat=mat,
                    amounts=amounts,
                    plan=level_plan,
                    n_cells=k_level,
                    buffers=buffers,
                )
                level_slipped[lo : lo + sizes[i]] = level_block * scale + level_won[None, :]

    workers = min(jobs, len(sizes))  # threads beyond the chunks would have nothing to do
    if workers == 1:
        work(0)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, range(workers)))
    # the largest possible total: sums of n_simulations of them are taken in its units
    largest = prep.closed_won.max() if prep.closed_won.size else 0.0
    unit = scale_unit(float(largest + prep.amount[open_deals].sum()))
    mean, sd = _mean_sd(totals, unit)
    qs = np.quantile(totals, [0.1, 0.5, 0.9], axis=0, method="inverted_cdf").T.reshape(n, 3)
    p_quota = np.where(
        np.isfinite(prep.quota), (totals >= prep.quota[None, :]).mean(axis=0), np.nan
    )
    slipped = float((outside / unit).mean() * scale * unit) if plan is not None else 0.0
    moments = None
    if plan is not None and slip is not None:
        pairs = slip_pairs(
            prep, c, tuple(by), opportunities=opportunities, slip=slip, as_of=plan.as_of
        )
        moments = _pair_moments(prep, pairs, n, prep.closed_won)
    at_level = None
    if level is not None:
        lv = level
        k = k_level
        if level_slipped is not None:
            level_totals = level_slipped
        else:
            roll = np.zeros((n, k))
            roll[np.arange(n), lv.fine_to_coarse] = 1.0
            level_totals = totals @ roll  # the SUM of the simulated cells, per simulation
        lq = np.quantile(level_totals, [0.1, 0.5, 0.9], axis=0, method="inverted_cdf")
        reach = (level_totals >= lv.quota[None, :]).mean(axis=0)
        level_mean, lsd = _mean_sd(level_totals, unit)
        at_level = level_distribution(
            prep,
            closed_won=level_won,
            mean=level_mean,
            quantiles=lq.T.reshape(k, 3),
            p_quota=np.where(np.isfinite(lv.quota), reach, np.nan),
            amount_tol=lsd / np.sqrt(n_sims),
            prob_tol=np.zeros(k),
        )
    return _result(
        prep,
        mean=mean,
        sd=sd,
        quantiles=qs,
        p_quota=p_quota,
        amount_tol=sd / np.sqrt(n_sims),
        prob_tol=np.zeros(n),
        slipped_out=slipped,
        method="monte_carlo",
        n_simulations=n_sims,
        quota_level=at_level,
        moments=moments,
    )
