"""Simulated lifecycle panels and event logs from a known stage transition matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import DATETIME_DTYPE, DEFAULT_YEARS, as_readonly, scalar_datetime
from crmkit._params import SeedLike, as_generator, choice, instance, integer, work_limit
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.lifecycle._chain import per_stage
from crmkit.lifecycle._matrix import check_matrix
from crmkit.lifecycle._model import LifecycleModel
from crmkit.periods import Frequency, FrequencyLike, period_bounds, period_keys

__all__ = ["SimulatedLifecycle", "simulate_lifecycle"]

_FUNCTION: Final = "simulate_lifecycle"
_TOL: Final = 1e-9
_MAX_ROWS: Final = 5 * 10**7  # panel rows (customers x periods) simulate_lifecycle draws


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
        The seed used when it was an int (None for a SeedSequence or Generator).

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
    seed: SeedLike,
) -> SimulatedLifecycle:
    """Simulate a customer base migrating between stages by a known Markov chain.

    Parameters
    ----------
    n_customers : int
        Customers to simulate, >= 1.
    probabilities : array_like of float, shape (S, S)
        True per-period transition matrix (rows sum to 1).
    stages : sequence of str, optional
        Distinct stage names; default ``model.stage_names``.
    model : LifecycleModel, optional
        If given, every possible stage change must be a transition of the
        model and the event log uses the model's event names (so it can be
        replayed); otherwise events are named ``"to_<stage>"``.
    n_periods : int
        Periods simulated, >= 1; ``n_customers * n_periods`` is at most
        5 * 10**7 and the last period ends by 2200.
    start : date, datetime, ISO string or numpy.datetime64
        A time inside the first period.
    frequency : Frequency or str, default "month"
        Period length.
    initial : array_like of float, shape (S,), optional
        Stage distribution at acquisition (shares summing to 1); default
        everyone in the model's initial stage (or the first stage).
    acquisition_periods : int, default 1
        Customers are acquired uniformly over the first this many periods
        (at most *n_periods*).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Randomness, with no default: an int >= 0 or a SeedSequence gives the
        same data on every call; a Generator is drawn from.

    Returns
    -------
    SimulatedLifecycle
        Panel, event log and the true parameters.

    Raises
    ------
    InputError
        On a non-stochastic matrix, mismatched shapes, bad counts, a bad seed,
        too many rows, or a possible stage change the model does not allow.

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
    n = integer(n_customers, name="n_customers", function=_FUNCTION, minimum=1)
    T = integer(n_periods, name="n_periods", function=_FUNCTION, minimum=1)
    acq = integer(
        acquisition_periods, name="acquisition_periods", function=_FUNCTION, minimum=1, maximum=T
    )
    work_limit(
        n * T,
        limit=_MAX_ROWS,
        name="n_customers" if n >= T else "n_periods",
        function=_FUNCTION,
        what=f"panel rows ({n:,} customers x {T:,} periods)",
    )
    if model is not None:
        model = instance(
            model, LifecycleModel, name="model", function=_FUNCTION, what="a LifecycleModel"
        )
    stage_input: object = stages
    if stages is None:
        if model is None:
            raise InputError(
                f"{_FUNCTION} needs the stage names: pass stages=[...] or model=...",
                field="stages",
            )
        stage_input = model.stage_names
    P, names = check_matrix(probabilities, stage_input, _FUNCTION)
    S = len(names)
    if initial is None:
        first = names.index(model.initial) if model is not None and model.initial in names else 0
        init = np.zeros(S)
        init[first] = 1.0
    else:
        init = per_stage(initial, names, field="initial", function=_FUNCTION, minimum=0.0)
        if abs(init.sum() - 1) > _TOL:
            raise InputError.for_parameter(
                "initial",
                f"{S} non-negative shares summing to 1",
                init.tolist(),
                function=_FUNCTION,
            )
    rng = as_generator(seed, function=_FUNCTION)
    freq = choice(frequency, Frequency, name="frequency", function=_FUNCTION)
    t0 = scalar_datetime(start, field="start", function=_FUNCTION)
    key0 = int(period_keys(np.array([t0]), freq)[0])
    last_valid = np.array([f"{DEFAULT_YEARS[1]}-12-31"], dtype=DATETIME_DTYPE)
    room = int(period_keys(last_valid, freq)[0]) - key0
    if room < T:
        raise InputError.for_parameter(
            "n_periods",
            f"at most {room:,} {freq.value} periods from start {str(t0)[:10]} (the simulation "
            f"must end by {DEFAULT_YEARS[1]}-12-31)",
            T,
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
    p_start, p_end = period_bounds(np.arange(key0, key0 + T + 1), freq)
    acquired = rng.integers(0, acq, n).astype(np.int64)
    cum = np.cumsum(P, axis=1)
    cum[:, -1] = 1.0
    cum_init = np.cumsum(init)
    cum_init[-1] = 1.0
    state = np.minimum(np.searchsorted(cum_init, rng.random(n), side="right"), S - 1)
    state0 = state.copy()
    panel_c, panel_p, panel_s = [], [], []
    ev_c, ev_from, ev_to, ev_p = [], [], [], []
    ids = np.arange(n, dtype=np.int64)
    for t in range(T):
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
        seed=int(seed) if isinstance(seed, (int, np.integer)) else None,
    )
