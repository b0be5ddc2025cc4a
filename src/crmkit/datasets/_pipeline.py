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
from crmkit._params import SeedLike, as_generator, instance, integer, numbers, work_limit
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
        "region": np.asarray(REGIONS)[region],
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
    return SimulatedPipeline(
        opportunities=opps,
        history=history,
        deals=deals,
        true_win_rate=as_readonly(overall),
        true_win_rate_by_region=as_readonly(by_region),
        regions=REGIONS,
        as_of=t1,
    )
