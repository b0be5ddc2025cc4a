"""Simulated sales pipelines: stage histories, reasons, slips and dimensions, truth kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import (
    DATETIME_DTYPE,
    DEFAULT_YEARS,
    as_readonly,
    check_date_format,
    scalar_datetime,
)
from crmkit._params import (
    SeedLike,
    as_generator,
    instance,
    integer,
    names,
    numbers,
    work_limit,
)
from crmkit.errors import InputError
from crmkit.funnel import DEFAULT_PROCESS, Opportunities, SalesProcess, StageHistory

__all__ = ["SimulatedPipeline", "simulate_pipeline"]

_US_PER_DAY: Final = 86_400_000_000
_FN: Final = "simulate_pipeline"
MAX_DRAWS: Final = 20_000_000
"""Most deal-stage draws (deals x (stages + 1)) one simulation makes."""
_MAX_REPS: Final = 10**9
_MAX_DAYS: Final = 3650.0
_MAX_CYCLE_DAYS: Final = 36_500.0
_DEFAULT_ADVANCE: Final = (0.4, 0.5, 0.55, 0.65, 0.7)
_DEFAULT_DAYS: Final = (10.0, 14.0, 21.0, 18.0, 12.0)
REGIONS: Final = ("north", "south", "east", "west")
REGION_EFFECT: Final = (0.35, 0.0, -0.35, 0.1)
SOURCES: Final = ("web", "event", "referral", "outbound")
SOURCE_EFFECT: Final = (0.0, 0.15, 0.6, -0.45)
PRODUCTS: Final = ("software", "services", "hardware")
PRODUCT_MEDIAN: Final = (20_000.0, 8_000.0, 35_000.0)
TEAMS: Final = ("alpha", "beta", "gamma")
LOSS_REASONS: Final = ("price", "competitor", "no decision", "timing", "no budget")
WIN_REASONS: Final = ("product fit", "price", "relationship")


@attrs.frozen(kw_only=True, repr=False)
class SimulatedPipeline:
    """A simulated sales pipeline seen at ``as_of``, with the truth behind it.

    Attributes
    ----------
    opportunities : Opportunities
        Deals created before ``as_of`` with their stage at ``as_of``; open deals
        carry their (possibly pushed) expected close date, closed ones the actual one.
        Dimensions: ``owner``, ``team``, ``region``, ``product``, ``source``.
    history : StageHistory
        Stage-entered rows up to ``as_of``, with win/loss reasons and the dimensions.
    log : StageHistory
        The same deals as a field-history log (as a CRM's opportunity history
        records them): the stage rows plus a row whenever the rep revised the
        amount or pushed the close date, each row with the amount and close
        date in force after it. Its snapshot at ``as_of`` is ``opportunities``.
    deals : mapping of str to ndarray
        Per-deal truth, aligned with ``opportunities``: ``expected_close`` (the
        rep's estimate at creation), ``actual_close`` and ``outcome`` (``"won"`` /
        ``"lost"``, possibly after ``as_of``), ``calls``, ``visits``.
    true_win_rate : ndarray of float64, shape (k,)
        True P(win | reached stage) over the whole population.
    true_win_rate_by_region : ndarray of float64, shape (r, k)
        The same per region (rows in the order of ``regions``).
    regions : tuple of str
        Region names.
    as_of : numpy.datetime64
        When the pipeline is observed (the ``end`` of the simulation).

    Examples
    --------
    >>> sim = simulate_pipeline(100, "2024-01-01", "2024-06-01", seed=1)
    >>> str(sim.as_of), sim.true_win_rate.shape
    ('2024-06-01T00:00:00.000000', (5,))
    """

    opportunities: Opportunities
    history: StageHistory
    log: StageHistory
    deals: Mapping[str, npt.NDArray[Any]]
    true_win_rate: npt.NDArray[np.float64]
    true_win_rate_by_region: npt.NDArray[np.float64]
    regions: tuple[str, ...]
    as_of: np.datetime64

    def __repr__(self) -> str:
        return (
            f"SimulatedPipeline(opportunities={self.opportunities.n_rows}, "
            f"open={self.opportunities.n_open}, history_rows={self.history.n_rows})"
        )


def _per_stage(
    value: object,
    default: tuple[float, ...],
    k: int,
    *,
    name: str,
    low: float,
    high: float,
    high_open: bool = False,
) -> npt.NDArray[np.float64]:
    """One number per stage, each in ``(low, high]`` (``(low, high)`` if *high_open*)."""
    if value is None:
        return np.resize(np.array(default, dtype=np.float64), k)
    given = isinstance(value, (int, float, np.integer, np.floating))
    hint = f"Pass [{value!r}] * {k} for the same value in every stage." if given else None
    out = numbers(
        value,
        name=name,
        function=_FN,
        low=low,
        high=high,
        low_open=True,
        high_open=high_open,
        hint=hint,
    )
    if len(out) != k:
        raise InputError.for_parameter(
            name, f"a sequence of {k} numbers (one per stage)", list(out), function=_FN
        )
    return np.array(out, dtype=np.float64)


def _check_window(close_date: npt.NDArray[np.datetime64], t1: np.datetime64) -> None:
    """Refuse an ``end`` so late that simulated close dates pass the window of valid years."""
    last = np.datetime64(f"{DEFAULT_YEARS[1] + 1}-01-01", "us")
    if close_date.size and close_date.max() >= last:
        raise InputError.for_parameter(
            "end",
            f"early enough that the simulated close dates stay before {last.astype('M8[D]')} "
            f"(the latest is {close_date.max().astype('M8[D]')})",
            str(t1),
            function=_FN,
            hint="Move the window earlier, or shorten mean_days_in_stage.",
        )


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = np.log(p) - np.log1p(-p)
    return out


def _win_given_reached(
    q: npt.NDArray[np.float64], weight: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """P(win | reached s) for a mixture of advance-probability vectors q (c x k)."""
    k = q.shape[1]
    reach = np.ones_like(q)
    reach[:, 1:] = np.cumprod(q[:, :-1], axis=1)
    win_from = np.cumprod(q[:, ::-1], axis=1)[:, ::-1]
    num = (weight[:, None] * reach * win_from).sum(axis=0)
    den = (weight[:, None] * reach).sum(axis=0)
    out: npt.NDArray[np.float64] = (num / den).reshape(k)
    return out


def simulate_pipeline(
    n_opportunities: int,
    start: object,
    end: object,
    *,
    seed: SeedLike,
    process: SalesProcess = DEFAULT_PROCESS,
    advance: Sequence[float] | None = None,
    mean_days_in_stage: Sequence[float] | None = None,
    n_reps: int = 12,
    date_format: str | None = None,
    regions: Sequence[str] | None = None,
) -> SimulatedPipeline:
    """Simulate a B2B pipeline with stage histories, reasons, slips and dimensions.

    Deals are created uniformly over ``[start, end)``. From each stage a deal
    advances with probability ``advance[s]`` shifted on the log-odds scale by
    its region and lead source (referrals win more, outbound less), otherwise
    it is lost there; the last stage advances to won. Time in each stage is
    Gamma(2) with mean ``mean_days_in_stage[s]``. Amounts are log-normal by
    product line. The rep's expected close date at creation is the creation
    date plus a noisy estimate of the cycle, so actual close dates slip
    against it; open deals whose estimate has passed are pushed past ``end``.

    Parameters
    ----------
    n_opportunities : int
        Number of deals created, >= 1; at most 20,000,000 deal-stage draws
        (``n_opportunities x (stages + 1)``) in one call.
    start, end : date-like
        Creation window; ``end`` is also the observation time ``as_of``.
        Inside the years 1900-2200, and far enough before 2200 that the
        simulated close dates are too.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness (an int >= 0; no default): the same int or
        ``SeedSequence`` gives the same data; a ``Generator`` is drawn from.
    process : SalesProcess
        The stages (default :data:`~crmkit.funnel.DEFAULT_PROCESS`).
    advance : sequence of float, shape (k,), optional
        Base probability of advancing from each open stage, each in (0, 1);
        default ``(0.4, 0.5, 0.55, 0.65, 0.7)`` padded/cut to the process length.
    mean_days_in_stage : sequence of float, shape (k,), optional
        Mean days spent in each stage, each in (0, 3650] and at most 36,500 in
        all; default 10, 14, 21, 18, 12 (cycled to the process length).
    n_reps : int
        Sales reps (owners, ``"rep01"``, ``"rep02"``, ...), in [1, 10**9],
        spread over three teams.
    date_format : str, optional
        A strftime pattern for *start* and *end* when they are text that is
        not ISO-8601 (e.g. ``"%Y%m%d"``).
    regions : sequence of str, optional
        Four names for the four simulated regions (default north, south,
        east, west; their shares are 30/30/20/20 % and their win rates differ).

    Returns
    -------
    SimulatedPipeline
        The pipeline at ``end``, its history and the truth.

    Raises
    ------
    InputError
        For a count below 1 or beyond the work limit, an empty window, a
        wrong seed, probabilities outside (0, 1), stage lengths outside
        (0, 3650] days, sequences of the wrong length, or an ``end`` so close
        to 2200 that close dates would fall after it.

    Examples
    --------
    >>> sim = simulate_pipeline(500, "2023-01-01", "2024-07-01", seed=3)
    >>> sim.opportunities.n_rows, sorted(sim.opportunities.dimensions)
    (500, ['owner', 'product', 'region', 'source', 'team'])
    >>> bool(0 < sim.true_win_rate[0] < sim.true_win_rate[-1] < 1)
    True
    """
    n = integer(n_opportunities, name="n_opportunities", function=_FN, minimum=1)
    process = instance(process, SalesProcess, name="process", function=_FN, what="a SalesProcess")
    k = process.n_stages
    work_limit(
        n * (k + 1),
        limit=MAX_DRAWS,
        name="n_opportunities",
        function=_FN,
        what="deal-stage draws (deals x (stages + 1))",
    )
    reps = integer(n_reps, name="n_reps", function=_FN, minimum=1, maximum=_MAX_REPS)
    fmt = check_date_format(date_format, function=_FN)
    t0 = scalar_datetime(start, field="start", function=_FN, date_format=fmt)
    t1 = scalar_datetime(end, field="end", function=_FN, date_format=fmt)
    region_names = (
        REGIONS if regions is None else tuple(names(regions, name="regions", function=_FN))
    )
    if len(region_names) != len(REGIONS):
        raise InputError.for_parameter(
            "regions", f"{len(REGIONS)} distinct names", list(region_names), function=_FN
        )
    if t1 <= t0:
        raise InputError.for_parameter("end", f"after start ({t0})", str(t1), function=_FN)
    base = _per_stage(
        advance, _DEFAULT_ADVANCE, k, name="advance", low=0.0, high=1.0, high_open=True
    )
    days = _per_stage(
        mean_days_in_stage, _DEFAULT_DAYS, k, name="mean_days_in_stage", low=0.0, high=_MAX_DAYS
    )
    if days.sum() > _MAX_CYCLE_DAYS:
        raise InputError.for_parameter(
            "mean_days_in_stage",
            f"numbers adding up to at most {_MAX_CYCLE_DAYS:,.0f} days (a 100-year sales cycle)",
            days.tolist(),
            function=_FN,
        )
    rng = as_generator(seed, function=_FN)
    span = int((t1 - t0).astype(np.int64))
    created = t0 + rng.integers(0, span, size=n).astype("timedelta64[us]")
    region = rng.choice(len(REGIONS), size=n, p=[0.3, 0.3, 0.2, 0.2])
    source = rng.choice(len(SOURCES), size=n, p=[0.4, 0.2, 0.15, 0.25])
    product = rng.choice(len(PRODUCTS), size=n, p=[0.5, 0.3, 0.2])
    rep = rng.integers(0, reps, size=n)
    team = rep % len(TEAMS)
    amount = np.round(np.asarray(PRODUCT_MEDIAN)[product] * np.exp(rng.normal(0.0, 0.7, size=n)), 2)
    shift = np.asarray(REGION_EFFECT)[region] + np.asarray(SOURCE_EFFECT)[source]
    q = 1.0 / (1.0 + np.exp(-(_logit(base)[None, :] + shift[:, None])))
    advanced = rng.random((n, k)) < q
    fail = np.where(~advanced.all(axis=1), np.argmin(advanced, axis=1), k)  # k = won
    spell = rng.gamma(2.0, np.append(days, 1.0) / 2.0, size=(n, k + 1)) * _US_PER_DAY
    spell[:, k] = 0.0
    cum = np.zeros((n, k + 1))
    cum[:, 1:] = np.cumsum(spell[:, :k], axis=1)
    # deal enters stages 0..fail (fail < k: lost after the spell in stage fail)
    close_offset = (
        cum[np.arange(n), np.minimum(fail, k - 1)] + spell[np.arange(n), np.minimum(fail, k - 1)]
    )
    actual_close = created + close_offset.astype(np.int64).astype("timedelta64[us]")
    won = fail == k
    est_cycle = days.sum() * np.exp(rng.normal(-0.1, 0.35, size=n)) * _US_PER_DAY
    expected_close = created + est_cycle.astype(np.int64).astype("timedelta64[us]")
    # history rows: stages 0..min(fail, k-1), then the outcome
    n_stage_rows = np.minimum(fail, k - 1) + 1
    per_deal = n_stage_rows + 1
    deal_idx = np.repeat(np.arange(n), per_deal)
    pos_in = np.arange(deal_idx.size) - np.repeat(np.cumsum(per_deal) - per_deal, per_deal)
    is_outcome = pos_in == np.repeat(per_deal - 1, per_deal)
    stage_code = np.where(is_outcome, np.where(won[deal_idx], k, k + 1), pos_in)
    offset = np.where(is_outcome, close_offset[deal_idx], cum[deal_idx, np.minimum(pos_in, k)])
    entered = created[deal_idx] + offset.astype(np.int64).astype("timedelta64[us]")
    loss_p = np.array([0.25, 0.25, 0.2, 0.15, 0.15])
    reason_lost = np.asarray(LOSS_REASONS)[rng.choice(len(LOSS_REASONS), size=n, p=loss_p)]
    reason_won = np.asarray(WIN_REASONS)[rng.choice(len(WIN_REASONS), size=n, p=[0.5, 0.2, 0.3])]
    reason_deal = np.where(won, reason_won, reason_lost)
    reason = np.where(is_outcome, reason_deal[deal_idx], "")
    visible = entered < t1
    dims = {
        "owner": np.strings.add("rep", np.strings.zfill((rep + 1).astype(str), 2)),
        "team": np.asarray(TEAMS)[team],
        "region": np.asarray(region_names)[region],
        "product": np.asarray(PRODUCTS)[product],
        "source": np.asarray(SOURCES)[source],
    }
    ids = np.arange(1, n + 1, dtype=np.int64)
    history = StageHistory.from_arrays(
        process=process,
        opportunity=ids[deal_idx][visible],
        stage=stage_code[visible],
        entered=entered[visible],
        reason=reason[visible],
        dimensions={name: col[deal_idx][visible] for name, col in dims.items()},
    )
    state = history.state_at(t1 - np.timedelta64(1, "us"))
    is_open = state < k
    remaining = np.maximum(days.sum() - (t1 - created).astype(np.int64) / _US_PER_DAY, 7.0)
    pushed = t1 + (remaining * _US_PER_DAY * rng.uniform(0.5, 1.5, size=n)).astype(np.int64).astype(
        "timedelta64[us]"
    )
    open_close = np.where(expected_close < t1, pushed, expected_close)
    close_date = np.where(is_open, open_close, actual_close).astype(DATETIME_DTYPE)
    _check_window(close_date, t1)
    stage_now = state
    calls = rng.poisson(2.0 + 1.5 * np.minimum(stage_now, k - 1))
    visits = rng.poisson(0.3 + 0.4 * np.minimum(stage_now, k - 1))
    opps = Opportunities.from_arrays(
        process=process,
        id=ids,
        amount=amount,
        stage=stage_now,
        close_date=close_date,
        created=created,
        dimensions=dims,
    )
    combo_weight = (
        np.array([0.3, 0.3, 0.2, 0.2])[:, None] * np.array([0.4, 0.2, 0.15, 0.25])[None, :]
    )
    combo_shift = np.asarray(REGION_EFFECT)[:, None] + np.asarray(SOURCE_EFFECT)[None, :]
    q_combo = 1.0 / (1.0 + np.exp(-(_logit(base)[None, None, :] + combo_shift[:, :, None])))
    overall = _win_given_reached(q_combo.reshape(-1, k), combo_weight.ravel())
    by_region = np.stack(
        [_win_given_reached(q_combo[r], combo_weight[r]) for r in range(len(REGIONS))]
    )
    deals = {
        "expected_close": as_readonly(expected_close.astype(DATETIME_DTYPE)),
        "actual_close": as_readonly(actual_close.astype(DATETIME_DTYPE)),
        "outcome": as_readonly(np.where(won, process.won, process.lost)),
        "calls": as_readonly(calls.astype(np.int64)),
        "visits": as_readonly(visits.astype(np.int64)),
    }
    log = _field_log(
        rng,
        process=process,
        ids=ids,
        created=created,
        cum=cum,
        n_stage_rows=n_stage_rows,
        amount=amount,
        expected=expected_close.astype(DATETIME_DTYPE),
        actual=actual_close.astype(DATETIME_DTYPE),
        final_close=close_date,
        stage_rows=(deal_idx[visible], stage_code[visible], entered[visible], reason[visible]),
        dims=dims,
        t1=t1,
    )
    return SimulatedPipeline(
        opportunities=opps,
        history=history,
        log=log,
        deals=deals,
        true_win_rate=as_readonly(overall),
        true_win_rate_by_region=as_readonly(by_region),
        regions=region_names,
        as_of=t1,
    )


def _field_log(
    rng: np.random.Generator,
    *,
    process: SalesProcess,
    ids: npt.NDArray[np.int64],
    created: npt.NDArray[np.datetime64],
    cum: npt.NDArray[np.float64],
    n_stage_rows: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    expected: npt.NDArray[np.datetime64],
    actual: npt.NDArray[np.datetime64],
    final_close: npt.NDArray[np.datetime64],
    stage_rows: tuple[npt.NDArray[Any], ...],
    dims: Mapping[str, npt.NDArray[Any]],
    t1: np.datetime64,
) -> StageHistory:
    """Stage rows plus amount revisions and close-date pushes, with the values after each row."""
    n = ids.size
    end = np.minimum(actual, t1)
    # one amount revision for a third of the deals: reps start optimistic and cut
    revised = rng.random(n) < 0.35
    life = (end - created).astype(np.int64)
    rev_time = created + (rng.random(n) * life).astype(np.int64).astype("timedelta64[us]")
    first_amount = np.round(amount * np.exp(rng.normal(0.12, 0.15, size=n)), 2)
    # close-date pushes: whenever the expected date passes with the deal still open
    push_deal, push_time, push_close = [], [], []
    cur = expected.copy()
    still_open = actual >= t1
    active = np.flatnonzero((cur < actual) & (cur < t1))
    while active.size:
        gap = rng.uniform(14.0, 45.0, size=active.size) * _US_PER_DAY
        new = cur[active] + gap.astype(np.int64).astype("timedelta64[us]")
        last = still_open[active] & (new >= t1)
        new = np.where(last, final_close[active], new)
        push_deal.append(active)
        push_time.append(cur[active])
        push_close.append(new)
        cur[active] = new
        active = active[(cur[active] < actual[active]) & (cur[active] < t1)]
    p_deal = np.concatenate(push_deal) if push_deal else np.zeros(0, dtype=np.int64)
    p_time = np.concatenate(push_time) if push_time else np.zeros(0, dtype="datetime64[us]")
    p_close = np.concatenate(push_close) if push_close else np.zeros(0, dtype="datetime64[us]")
    s_deal, s_code, s_time, s_reason = stage_rows
    r_deal = np.flatnonzero(revised & (rev_time < t1) & (rev_time > created))
    deal = np.concatenate([s_deal, r_deal, p_deal])
    time = np.concatenate([s_time, rev_time[r_deal], p_time]).astype(DATETIME_DTYPE)
    kind = np.concatenate([np.zeros(s_deal.size), np.ones(r_deal.size), np.full(p_deal.size, 2)])
    order = np.lexsort((kind, time, deal))
    deal, time, kind = deal[order], time[order], kind[order]
    reason = np.concatenate([s_reason, np.full(r_deal.size + p_deal.size, "")])[order]
    # stage in force: the last stage row at or before the row
    k = process.n_stages
    offsets = (time - created[deal]).astype(np.int64)
    reached = (cum[deal, :k] <= offsets[:, None]) & (
        np.arange(k)[None, :] < n_stage_rows[deal, None]
    )
    open_stage = reached.sum(axis=1) - 1
    s_sorted = np.concatenate([s_code, np.zeros(r_deal.size + p_deal.size, dtype=np.int64)])[order]
    stage = np.where(kind == 0, s_sorted, open_stage)
    # close date in force: the latest push at or before the row, else the estimate at creation
    close = expected[deal].copy()
    if p_deal.size:
        pk = np.lexsort((p_time, p_deal))
        pd, pt, pc = p_deal[pk], p_time[pk], p_close[pk]
        key_rows = deal.astype(np.float64) * 1e18 + (
            time - np.datetime64("1970-01-01", "us")
        ).astype(np.int64)
        key_push = pd.astype(np.float64) * 1e18 + (pt - np.datetime64("1970-01-01", "us")).astype(
            np.int64
        )
        at = np.searchsorted(key_push, key_rows, side="right") - 1
        hit = (at >= 0) & (pd[np.maximum(at, 0)] == deal)
        close = np.where(hit, pc[np.maximum(at, 0)], close)
    outcome = stage >= process.won_code
    close = np.where(outcome, actual[deal], close).astype(DATETIME_DTYPE)
    value = np.where(revised[deal] & (time < rev_time[deal]), first_amount[deal], amount[deal])
    return StageHistory.from_arrays(
        process=process,
        opportunity=ids[deal],
        stage=stage,
        entered=time,
        reason=reason,
        dimensions={name: col[deal] for name, col in dims.items()},
        amount=value,
        close_date=close,
    )
