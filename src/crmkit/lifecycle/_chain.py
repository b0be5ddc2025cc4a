"""Markov chain analytics: projection, steady state, absorption, customer value."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.lifecycle._matrix import TransitionMatrix, _is_int, _is_number, _matrix

__all__ = [
    "Absorption",
    "MigrationValue",
    "StageProjection",
    "SteadyState",
    "absorption",
    "migration_value",
    "project_stages",
    "steady_state",
]

_ROW_TOL: Final = 1e-9
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, repr=False)
class StageProjection(Result):
    """Stage distribution projected period by period.

    Attributes
    ----------
    period : ndarray of int64, shape (n + 1,)
        0 (the start) to n.
    shares : ndarray of float64, shape (n + 1, S)
        Share of customers per stage; rows sum to 1.
    counts : ndarray of float64, shape (n + 1, S)
        Expected customers per stage (``shares * total``).
    stages : tuple of str
        Column order.
    total : float
        Customers at the start.

    Examples
    --------
    >>> from crmkit.lifecycle import TransitionMatrix, project_stages
    >>> m = TransitionMatrix.from_probabilities([[0.9, 0.1], [0.0, 1.0]], stages=["active", "lost"])
    >>> project_stages(m, {"active": 100}, periods=1).counts.tolist()
    [[100.0, 0.0], [90.0, 10.0]]
    """

    _table: ClassVar[tuple[str, ...]] = ("period",)
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "period": "id",
        "shares": "share",
        "counts": "number",
        "total": "number",
    }
    _plot: ClassVar[str] = "stage_flow"

    period: IntArray
    shares: FloatArray
    counts: FloatArray
    stages: tuple[str, ...]
    total: float


def _distribution(
    initial: Mapping[str, float] | npt.ArrayLike, names: tuple[str, ...], function: str
) -> FloatArray:
    if isinstance(initial, Mapping):
        unknown = [k for k in initial if k not in names]
        if unknown:
            raise InputError.for_parameter(
                "initial", f"keyed by the stages {list(names)}", unknown, function=function
            )
        vec = np.array([float(initial.get(s, 0.0)) for s in names])
    else:
        vec = np.array(initial, dtype=np.float64)
    if vec.shape != (len(names),) or not np.isfinite(vec).all() or (vec < 0).any():
        raise InputError.for_parameter(
            "initial",
            f"{len(names)} finite non-negative counts or shares (one per stage)",
            vec.tolist(),
            function=function,
        )
    if vec.sum() <= 0:
        raise InputError.for_parameter(
            "initial", "counts or shares with a positive total", vec.tolist(), function=function
        )
    return vec


def project_stages(
    matrix: TransitionMatrix,
    initial: Mapping[str, float] | npt.ArrayLike,
    *,
    periods: int,
) -> StageProjection:
    """Project the stage distribution *periods* steps ahead: ``x_{t+1} = x_t P``.

    Parameters
    ----------
    matrix : TransitionMatrix
        The chain.
    initial : mapping of stage to count, or array_like of shape (S,)
        Customers (or shares) per stage now.
    periods : int
        Steps ahead, >= 1.

    Returns
    -------
    StageProjection
        Shares and expected counts for periods 0..n.

    Raises
    ------
    InputError
        On negative or mismatched *initial* or ``periods < 1``.

    Examples
    --------
    1,000 active customers of whom 20% lapse each month, 50% of lapsed return:

    >>> m = TransitionMatrix.from_probabilities(
    ...     [[0.8, 0.2, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]], stages=["active", "lapsed", "lost"]
    ... )
    >>> p = project_stages(m, {"active": 1000}, periods=2)
    >>> p.counts[2].round(1).tolist()
    [740.0, 220.0, 40.0]
    """
    function = "project_stages"
    P, names = _matrix(matrix, function)
    if not _is_int(periods) or periods < 1:
        raise InputError.for_parameter("periods", "an int >= 1", periods, function=function)
    vec = _distribution(initial, names, function)
    total = float(vec.sum())
    shares = np.empty((int(periods) + 1, len(names)))
    shares[0] = vec / total
    for t in range(int(periods)):
        nxt = shares[t] @ P
        np.clip(nxt, 0.0, None, out=nxt)
        shares[t + 1] = nxt / nxt.sum()
    return StageProjection(
        period=as_readonly(np.arange(int(periods) + 1, dtype=np.int64)),
        shares=as_readonly(shares),
        counts=as_readonly(shares * total),
        stages=names,
        total=total,
    )


@attrs.frozen(kw_only=True, repr=False)
class SteadyState(Result):
    """The long-run stage distribution of a chain.

    Attributes
    ----------
    stage : ndarray of str, shape (S,)
        Stage names.
    share : ndarray of float64, shape (S,)
        Stationary distribution ``pi`` with ``pi P = pi`` and ``sum(pi) = 1``.

    Examples
    --------
    >>> from crmkit.lifecycle import TransitionMatrix, steady_state
    >>> m = TransitionMatrix.from_probabilities([[0.5, 0.5], [0.5, 0.5]], stages=["a", "b"])
    >>> steady_state(m).share.tolist()
    [0.5, 0.5]
    """

    _table: ClassVar[tuple[str, ...]] = ("stage", "share")
    _kinds: ClassVar[Mapping[str, Kind]] = {"share": "share"}

    stage: npt.NDArray[np.str_]
    share: FloatArray


def _closed_classes(P: FloatArray) -> list[list[int]]:
    S = P.shape[0]
    reach = (P > 0) | np.eye(S, dtype=bool)
    for k in range(S):  # transitive closure (Warshall)
        reach |= reach[:, k : k + 1] & reach[k : k + 1, :]
    classes: list[list[int]] = []
    seen: set[int] = set()
    for i in range(S):
        if i in seen:
            continue
        members = [j for j in range(S) if reach[i, j] and reach[j, i]]
        seen.update(members)
        closed = all(not reach[m, j] or j in members for m in members for j in range(S))
        if closed:
            classes.append(members)
    return classes


def steady_state(matrix: TransitionMatrix) -> SteadyState:
    """Return the stationary stage distribution of the chain.

    Parameters
    ----------
    matrix : TransitionMatrix
        The chain.

    Returns
    -------
    SteadyState
        ``pi`` solving ``pi P = pi``, ``sum(pi) = 1``.

    Raises
    ------
    InputError
        If the chain has more than one closed class (the long run depends on
        where customers start; use :func:`project_stages` or :func:`absorption`).

    Notes
    -----
    Solved as the least-squares solution of ``(P^T - I) pi = 0`` stacked with
    ``1^T pi = 1``, which is exact when the stationary distribution is unique
    (exactly one closed communicating class). A chain with one absorbing
    stage reachable from all others has all its mass there.

    Examples
    --------
    >>> m = TransitionMatrix.from_probabilities(
    ...     [[0.9, 0.1], [0.3, 0.7]], stages=["active", "lapsed"]
    ... )
    >>> steady_state(m).share.round(3).tolist()
    [0.75, 0.25]
    """
    function = "steady_state"
    P, names = _matrix(matrix, function)
    classes = _closed_classes(P)
    if len(classes) > 1:
        groups = [[names[i] for i in c] for c in classes]
        raise InputError(
            f"The chain given to {function} has {len(classes)} closed classes {groups}, so its "
            "long-run distribution depends on the starting stages.",
            field="matrix",
            hint="Use project_stages() for a given start, or absorption() for absorbing chains.",
        )
    S = len(names)
    A = np.vstack([P.T - np.eye(S), np.ones((1, S))])
    b = np.zeros(S + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    return SteadyState(stage=as_readonly(np.array(names, dtype=str)), share=as_readonly(pi))


@attrs.frozen(kw_only=True, repr=False)
class Absorption(Result):
    """Expected time to absorption and where customers end up, per transient stage.

    Attributes
    ----------
    stage : ndarray of str, shape (T,)
        Transient stages.
    expected_periods : ndarray of float64, shape (T,)
        Expected periods until absorption starting from each stage.
    probabilities : ndarray of float64, shape (T, A)
        Probability of ending in each absorbing stage.
    absorbing : tuple of str
        The absorbing stages (columns of ``probabilities``).

    Examples
    --------
    >>> from crmkit.lifecycle import TransitionMatrix, absorption
    >>> m = TransitionMatrix.from_probabilities([[0.75, 0.25], [0.0, 1.0]], stages=["on", "off"])
    >>> absorption(m).expected_periods.tolist()
    [4.0]
    """

    _table: ClassVar[tuple[str, ...]] = ("stage", "expected_periods")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "expected_periods": "number",
        "probabilities": "probability",
    }

    stage: npt.NDArray[np.str_]
    expected_periods: FloatArray
    probabilities: FloatArray
    absorbing: tuple[str, ...]


def absorption(matrix: TransitionMatrix, *, absorbing: Sequence[str] | None = None) -> Absorption:
    """Return expected periods until absorption (e.g. churn) and absorption probabilities.

    Parameters
    ----------
    matrix : TransitionMatrix
        An absorbing chain.
    absorbing : sequence of str, optional
        The absorbing stages; default the stages with ``P[i, i] == 1``.
        Their rows are treated as absorbing whatever their probabilities.

    Returns
    -------
    Absorption
        Per transient stage: expected periods to absorption and the
        probability of ending in each absorbing stage.

    Raises
    ------
    InputError
        If there is no absorbing stage, an unknown stage is named, or some
        transient stage cannot reach an absorbing one.

    Notes
    -----
    With ``Q`` the transient-to-transient block and ``R`` the
    transient-to-absorbing block, the fundamental matrix is
    ``N = (I - Q)^{-1}``; expected periods are ``t = N 1`` and absorption
    probabilities ``B = N R`` (Kemeny & Snell, 1960).

    References
    ----------
    .. [1] Kemeny, J. G. and Snell, J. L. (1960). Finite Markov Chains. Van Nostrand, ch. 3.

    Examples
    --------
    Active customers lapse with 20% a month; lapsed ones return (50%) or are lost (20%):

    >>> m = TransitionMatrix.from_probabilities(
    ...     [[0.8, 0.2, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]], stages=["active", "lapsed", "lost"]
    ... )
    >>> a = absorption(m)
    >>> a.stage.tolist(), a.expected_periods.round(2).tolist()
    (['active', 'lapsed'], [22.5, 17.5])
    """
    function = "absorption"
    P, names = _matrix(matrix, function)
    if absorbing is None:
        is_abs = np.isclose(np.diag(P), 1.0, rtol=0.0, atol=_ROW_TOL)
    else:
        unknown = [s for s in absorbing if s not in names]
        if unknown:
            raise InputError.for_parameter(
                "absorbing", f"a list of the stages {list(names)}", unknown, function=function
            )
        is_abs = np.isin(np.array(names), list(absorbing))
    if not is_abs.any():
        raise InputError(
            f"The chain given to {function} has no absorbing stage (no stage with P[i, i] = 1).",
            field="absorbing",
            hint="Name the absorbing stages with absorbing=[...].",
        )
    trans = np.flatnonzero(~is_abs)
    absb = np.flatnonzero(is_abs)
    Q = P[np.ix_(trans, trans)]
    R = P[np.ix_(trans, absb)]
    reach = R.sum(axis=1) > 0
    for _ in range(trans.size):  # propagate "can reach absorption"
        reach = reach | ((Q > 0) & reach[None, :]).any(axis=1)
    if not reach.all():
        stuck = [names[i] for i in trans[~reach]]
        raise InputError(
            f"The stage(s) {stuck} of the chain given to {function} can never reach an "
            "absorbing stage, so the time to absorption is infinite.",
            field="matrix",
        )
    N = np.linalg.inv(np.eye(trans.size) - Q)
    return Absorption(
        stage=as_readonly(np.array([names[i] for i in trans], dtype=str)),
        expected_periods=as_readonly(N.sum(axis=1)),
        probabilities=as_readonly(N @ R),
        absorbing=tuple(names[i] for i in absb),
    )


@attrs.frozen(kw_only=True, repr=False)
class MigrationValue(Result):
    """Expected discounted customer value per starting stage (Pfeifer & Carraway, 2000).

    Attributes
    ----------
    stage : ndarray of str, shape (S,)
        Starting stage.
    value : ndarray of float64, shape (S,)
        Expected discounted net value of a customer starting there.
    discount_rate : float
        Per-period discount rate *d*.
    horizon : int or None
        Periods counted; ``None`` for the infinite horizon.

    Examples
    --------
    >>> from crmkit.lifecycle import TransitionMatrix, migration_value
    >>> m = TransitionMatrix.from_probabilities([[0.5, 0.5], [0.0, 1.0]], stages=["on", "off"])
    >>> migration_value(m, reward=[10.0, 0.0], discount_rate=0.0, horizon=3).value.tolist()
    [17.5, 0.0]
    """

    _table: ClassVar[tuple[str, ...]] = ("stage", "value")
    _kinds: ClassVar[Mapping[str, Kind]] = {"value": "money", "discount_rate": "share"}

    stage: npt.NDArray[np.str_]
    value: FloatArray
    discount_rate: float
    horizon: int | None


def _per_stage(
    values: Mapping[str, float] | npt.ArrayLike | float,
    names: tuple[str, ...],
    field: str,
    function: str,
) -> FloatArray:
    if isinstance(values, Mapping):
        unknown = [k for k in values if k not in names]
        if unknown:
            raise InputError.for_parameter(
                field, f"keyed by the stages {list(names)}", unknown, function=function
            )
        vec = np.array([float(values.get(s, 0.0)) for s in names])
    else:
        vec = np.broadcast_to(np.asarray(values, dtype=np.float64), (len(names),)).copy()
    if not np.isfinite(vec).all():
        raise InputError.for_parameter(field, "finite amounts", vec.tolist(), function=function)
    return vec


def migration_value(
    matrix: TransitionMatrix,
    *,
    reward: Mapping[str, float] | npt.ArrayLike,
    cost: Mapping[str, float] | npt.ArrayLike | float = 0.0,
    discount_rate: float,
    horizon: int | None = None,
) -> MigrationValue:
    """Value customers by Markov chain: expected discounted net reward per starting stage.

    Parameters
    ----------
    matrix : TransitionMatrix
        Per-period stage migration.
    reward : mapping of stage to float, or array_like of shape (S,)
        Margin earned per period in each stage (unlisted stages: 0).
    cost : mapping, array_like of shape (S,) or float, default 0
        Cost per period in each stage (e.g. marketing spent on it).
    discount_rate : float
        Per-period rate *d* > -1 (> 0 for the infinite horizon).
    horizon : int or None, default None
        Number of periods (``T``); ``None`` sums over an infinite horizon.

    Returns
    -------
    MigrationValue
        Value per starting stage.

    Raises
    ------
    InputError
        If ``discount_rate <= -1``, the infinite horizon is asked with
        ``discount_rate <= 0``, ``horizon < 1`` or a reward is not finite.

    Notes
    -----
    With ``r = reward - cost`` received at the start of each period and
    ``delta = 1 / (1 + d)``, the value over ``T`` periods is
    ``V_T = sum_{t=0}^{T-1} (delta P)^t r`` and over an infinite horizon
    ``V = (I - delta P)^{-1} r`` (Pfeifer & Carraway, 2000, eq. 6-7).

    References
    ----------
    .. [1] Pfeifer, P. E. and Carraway, R. L. (2000). "Modeling Customer
       Relationships as Markov Chains". Journal of Interactive Marketing
       14(2), 43-55.

    Examples
    --------
    Active customers earn 40 a month and cost 5; lapsed ones cost 2 to win back:

    >>> m = TransitionMatrix.from_probabilities(
    ...     [[0.8, 0.2, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]], stages=["active", "lapsed", "lost"]
    ... )
    >>> v = migration_value(
    ...     m, reward={"active": 40.0}, cost={"active": 5.0, "lapsed": 2.0}, discount_rate=0.01
    ... )
    >>> dict(zip(v.stage.tolist(), v.value.round(2).tolist()))
    {'active': 502.94, 'lapsed': 351.34, 'lost': 0.0}
    """
    function = "migration_value"
    P, names = _matrix(matrix, function)
    if not _is_number(discount_rate) or not math.isfinite(discount_rate) or discount_rate <= -1:
        raise InputError.for_parameter(
            "discount_rate", "a finite number > -1", discount_rate, function=function
        )
    if horizon is None and discount_rate <= 0:
        raise InputError.for_parameter(
            "discount_rate",
            "> 0 for an infinite horizon",
            discount_rate,
            function=function,
            hint="Pass horizon=<periods> to value a finite horizon without discounting.",
        )
    if horizon is not None and (not _is_int(horizon) or horizon < 1):
        raise InputError.for_parameter("horizon", "an int >= 1 or None", horizon, function=function)
    r = _per_stage(reward, names, "reward", function) - _per_stage(cost, names, "cost", function)
    M = P / (1.0 + float(discount_rate))
    if horizon is None:
        value = np.asarray(np.linalg.solve(np.eye(len(names)) - M, r), dtype=np.float64)
    else:
        value = np.zeros(len(names))
        term = r.copy()
        for _ in range(int(horizon)):
            value += term
            term = M @ term
    return MigrationValue(
        stage=as_readonly(np.array(names, dtype=str)),
        value=as_readonly(value),
        discount_rate=float(discount_rate),
        horizon=None if horizon is None else int(horizon),
    )
