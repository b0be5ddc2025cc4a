"""Simulated lifecycle panels and event logs from a known stage transition matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import DATETIME_DTYPE, as_readonly, scalar_datetime
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.lifecycle._model import LifecycleModel
from crmkit.periods import Frequency, FrequencyLike, period_bounds, period_keys

__all__ = ["SimulatedLifecycle", "simulate_lifecycle"]

_FUNCTION: Final = "simulate_lifecycle"
_TOL: Final = 1e-9


@attrs.frozen(kw_only=True, repr=False)
class SimulatedLifecycle(Result):
    """A simulated customer base moving between stages, with the truth kept.

    The per-row table is the panel: one row per customer and period from the
    customer's acquisition period on, with the stage at the end of the period.

    Attributes
    ----------
    customer : ndarray of int64, shape (n_rows,)
        Customer id (0..n_customers-1).
    period : ndarray of int64, shape (n_rows,)
        Period index 0..n_periods-1.
    period_start : ndarray of datetime64[us], shape (n_rows,)
        Start of the period.
    stage : ndarray of str, shape (n_rows,)
        Stage at the end of the period.
    events : dict of str to ndarray
        The event log: ``customer``, ``event``, ``timestamp`` (one row per
        stage change, at a uniformly drawn time inside the period of the change).
    stages : tuple of str
        Stage order of ``probabilities``.
    probabilities : ndarray of float64, shape (S, S)
        The true per-period transition matrix.
    initial : ndarray of float64, shape (S,)
        The true stage distribution at acquisition.
    acquired : ndarray of int64, shape (n_customers,)
        Acquisition period of each customer.
    acquired_at : ndarray of datetime64[us], shape (n_customers,)
        Acquisition time of each customer (uniform inside that period).
    initial_stage : ndarray of str, shape (n_customers,)
        Stage of each customer at acquisition.
    frequency : Frequency
        Period length.
    seed : int or None
        The seed used.

    Examples
    --------
    >>> from crmkit.datasets import simulate_lifecycle
    >>> sim = simulate_lifecycle(
    ...     10, probabilities=[[1.0]], stages=["active"], n_periods=2, start="2024-01-01", seed=0
    ... )
    >>> sim.stage.tolist().count("active")
    20
    """

    _table: ClassVar[tuple[str, ...]] = ("customer", "period", "period_start", "stage")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "period": "id",
        "probabilities": "probability",
        "initial": "probability",
        "acquired": "count",
    }

    customer: npt.NDArray[np.int64]
    period: npt.NDArray[np.int64]
    period_start: npt.NDArray[np.datetime64]
    stage: npt.NDArray[np.str_]
    events: Mapping[str, npt.NDArray[Any]]
    stages: tuple[str, ...]
    probabilities: npt.NDArray[np.float64]
    initial: npt.NDArray[np.float64]
    acquired: npt.NDArray[np.int64]
    acquired_at: npt.NDArray[np.datetime64]
    initial_stage: npt.NDArray[np.str_]
    frequency: Frequency
    seed: int | None


def _check_probabilities(P: npt.NDArray[np.float64], size: int) -> None:
    if P.shape != (size, size):
        raise InputError(
            f"The 'probabilities' of {_FUNCTION} must have shape ({size}, {size}) to match the "
            f"stages; got {P.shape}.",
            field="probabilities",
        )
    sums = P.sum(axis=1)
    bad = ~np.isfinite(P).all(axis=1) | (P < 0).any(axis=1) | (np.abs(sums - 1) > _TOL)
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError.for_rows(
            "probabilities",
            "must be non-negative with rows summing to 1",
            positions=pos[:5].tolist(),
            values=sums[pos[:5]].tolist(),
            n_bad=int(pos.size),
            function=_FUNCTION,
            kind="row of the matrix",
        )


def simulate_lifecycle(
    n_customers: int,
    *,
    probabilities: npt.ArrayLike,
    stages: Sequence[str] | None = None,
    model: LifecycleModel | None = None,
    n_periods: int,
    start: object,
    frequency: FrequencyLike = "month",
    initial: npt.ArrayLike | None = None,
    acquisition_periods: int = 1,
    seed: int | np.random.Generator | None = None,
) -> SimulatedLifecycle:
    """Simulate a customer base migrating between stages by a known Markov chain.

    Parameters
    ----------
    n_customers : int
        Customers to simulate, >= 1.
    probabilities : array_like of float, shape (S, S)
        True per-period transition matrix (rows sum to 1).
    stages : sequence of str, optional
        Stage names; default ``model.stage_names``.
    model : LifecycleModel, optional
        If given, every possible stage change must be a transition of the
        model and the event log uses the model's event names (so it can be
        replayed); otherwise events are named ``"to_<stage>"``.
    n_periods : int
        Periods simulated, >= 1.
    start : date, datetime, ISO string or numpy.datetime64
        A time inside the first period.
    frequency : Frequency or str, default "month"
        Period length.
    initial : array_like of float, shape (S,), optional
        Stage distribution at acquisition; default everyone in the model's
        initial stage (or the first stage).
    acquisition_periods : int, default 1
        Customers are acquired uniformly over the first this many periods.
    seed : int, numpy.random.Generator or None
        Randomness; the same seed gives the same data.

    Returns
    -------
    SimulatedLifecycle
        Panel, event log and the true parameters.

    Raises
    ------
    InputError
        On a non-stochastic matrix, mismatched shapes, bad counts, or a
        possible stage change the model does not allow.

    Examples
    --------
    >>> sim = simulate_lifecycle(
    ...     100,
    ...     probabilities=[[0.9, 0.1], [0.2, 0.8]],
    ...     stages=["active", "lapsed"],
    ...     n_periods=6,
    ...     start="2024-01-01",
    ...     seed=7,
    ... )
    >>> len(sim.customer), sorted(set(sim.events["event"].tolist()))
    (600, ['to_active', 'to_lapsed'])
    """
    checks: tuple[tuple[str, object], ...] = (
        ("n_customers", n_customers),
        ("n_periods", n_periods),
        ("acquisition_periods", acquisition_periods),
    )
    for name, value in checks:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise InputError.for_parameter(name, "an int >= 1", value, function=_FUNCTION)
    if acquisition_periods > n_periods:
        raise InputError.for_parameter(
            "acquisition_periods",
            f"an int <= n_periods ({n_periods})",
            acquisition_periods,
            function=_FUNCTION,
        )
    if stages is None:
        if model is None:
            raise InputError(
                f"{_FUNCTION} needs the stage names: pass stages=[...] or model=...",
                field="stages",
            )
        stages = model.stage_names
    names = tuple(str(s) for s in stages)
    S = len(names)
    P = np.array(probabilities, dtype=np.float64)
    _check_probabilities(P, S)
    if initial is None:
        first = names.index(model.initial) if model is not None and model.initial in names else 0
        init = np.zeros(S)
        init[first] = 1.0
    else:
        init = np.array(initial, dtype=np.float64)
        if init.shape != (S,) or (init < 0).any() or abs(init.sum() - 1) > _TOL:
            raise InputError.for_parameter(
                "initial",
                f"{S} non-negative shares summing to 1",
                init.tolist(),
                function=_FUNCTION,
            )
    event_names = np.array([f"to_{s}" for s in names] * S, dtype=object).reshape(S, S)
    if model is not None:
        unknown = [s for s in names if s not in model.stage_names]
        if unknown:
            raise InputError.for_parameter(
                "stages", f"stages of the model {model.name!r}", unknown, function=_FUNCTION
            )
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if i == j or P[i, j] == 0:
                    continue
                match = [t for t in model.transitions_from(a) if t.target == b and not t.guard]
                if not match:
                    raise InputError(
                        f"The 'probabilities' of {_FUNCTION} allow a move {a!r} -> {b!r}, which "
                        f"the model {model.name!r} has no unguarded transition for.",
                        field="probabilities",
                    )
                event_names[i, j] = match[0].event
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    freq = Frequency(frequency)
    t0 = scalar_datetime(start, field="start", function=_FUNCTION)
    key0 = int(period_keys(np.array([t0]), freq)[0])
    p_start, p_end = period_bounds(np.arange(key0, key0 + n_periods + 1), freq)
    n = int(n_customers)
    acquired = rng.integers(0, acquisition_periods, n).astype(np.int64)
    cum = np.cumsum(P, axis=1)
    cum[:, -1] = 1.0
    cum_init = np.cumsum(init)
    cum_init[-1] = 1.0
    state = np.minimum(np.searchsorted(cum_init, rng.random(n), side="right"), S - 1)
    state0 = state.copy()
    panel_c, panel_p, panel_s = [], [], []
    ev_c, ev_from, ev_to, ev_p = [], [], [], []
    ids = np.arange(n, dtype=np.int64)
    for t in range(n_periods):
        alive = acquired <= t
        moving = acquired < t
        u = rng.random(n)
        nxt = (u[:, None] >= cum[state]).sum(axis=1)
        nxt = np.minimum(nxt, S - 1)
        nxt = np.where(moving, nxt, state)
        change = moving & (nxt != state)
        ev_c.append(ids[change])
        ev_from.append(state[change])
        ev_to.append(nxt[change])
        ev_p.append(np.full(int(change.sum()), t, dtype=np.int64))
        state = nxt
        panel_c.append(ids[alive])
        panel_p.append(np.full(int(alive.sum()), t, dtype=np.int64))
        panel_s.append(state[alive])
    pc = np.concatenate(panel_c)
    pp = np.concatenate(panel_p)
    ps = np.concatenate(panel_s)
    order = np.lexsort((pp, pc))
    span = (p_end - p_start).view(np.int64)
    ec = np.concatenate(ev_c)
    ep = np.concatenate(ev_p)
    ef = np.concatenate(ev_from)
    et = np.concatenate(ev_to)
    when = p_start[ep].view(np.int64) + (rng.random(ec.size) * span[ep]).astype(np.int64)
    eorder = np.lexsort((when, ec))
    acq_at = p_start[acquired].view(np.int64) + (rng.random(n) * span[acquired]).astype(np.int64)
    names_arr = np.array(names, dtype=str)
    return SimulatedLifecycle(
        customer=as_readonly(pc[order]),
        period=as_readonly(pp[order]),
        period_start=as_readonly(p_start[pp[order]]),
        stage=as_readonly(names_arr[ps[order]]),
        events={
            "customer": as_readonly(ec[eorder]),
            "event": as_readonly(event_names[ef[eorder], et[eorder]].astype(str)),
            "timestamp": as_readonly(when[eorder].view(DATETIME_DTYPE)),
        },
        stages=names,
        probabilities=as_readonly(P),
        initial=as_readonly(init),
        acquired=as_readonly(acquired),
        acquired_at=as_readonly(acq_at.view(DATETIME_DTYPE)),
        initial_stage=as_readonly(names_arr[state0]),
        frequency=freq,
        seed=seed if isinstance(seed, int) else None,
    )
