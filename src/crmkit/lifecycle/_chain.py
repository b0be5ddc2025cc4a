"""Markov chain analytics: projection, steady state, absorption, customer value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly
from crmkit._params import integer, names, number, numbers, work_limit
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.lifecycle._matrix import TransitionMatrix, _matrix

__all__ = [
    "Absorption",
    "MigrationValue",
    "StageProjection",
    "SteadyState",
    "absorption",
    "migration_value",
    "per_stage",
    "project_stages",
    "steady_state",
]

_ROW_TOL: Final = 1e-9
_BLOCK: Final = 256  # periods projected per vectorised step of project_stages
_MAX_CELLS: Final = 10**7  # stage shares, (periods + 1) x stages, project_stages returns at most
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


def per_stage(
    values: object,
    labels: tuple[str, ...],
    *,
    field: str,
    function: str,
    minimum: float | None = None,
    scalar: bool = False,
) -> FloatArray:
    """One finite number per stage, from a mapping (unlisted stages: 0), a sequence or a scalar.

    Sequences go through :func:`crmkit._params.numbers`, mapping values and a
    scalar through :func:`crmkit._params.number`, so text, bools and NaN are
    refused by name.
    """
    S = len(labels)
    low = "" if minimum is None else f" >= {minimum:g}"
    what = f"a mapping of stage to number{low} or {S} numbers{low} (one per stage {list(labels)})"
    if scalar:
        what += ", or one number for every stage"
    if isinstance(values, Mapping):
        unknown = [k for k in values if k not in labels]
        if unknown:
            raise InputError.for_parameter(
                field, f"keyed by the stages {list(labels)}", unknown, function=function
            )
        items = [
            number(values.get(s, 0.0), name=field, function=function, low=minimum) for s in labels
        ]
        return np.array(items, dtype=np.float64)
    if (
        isinstance(values, (str, bytes))
        or not isinstance(values, Iterable)
        or (isinstance(values, np.ndarray) and values.ndim == 0)
    ):
        if not scalar:
            raise InputError.for_parameter(field, what, values, function=function)
        one = values.item() if isinstance(values, np.ndarray) else values
        return np.full(S, number(one, name=field, function=function, low=minimum))
    seq = values.tolist() if isinstance(values, np.ndarray) else values
    out = numbers(seq, name=field, function=function, low=minimum)
    if len(out) != S:
        raise InputError.for_parameter(
            field, what, f"{len(out)} values for {S} stages", function=function
        )
    return np.array(out, dtype=np.float64)


def _distribution(values: object, labels: tuple[str, ...], function: str) -> FloatArray:
    """Return customers (or shares) per stage: finite, >= 0, with a positive finite total."""
    vec = per_stage(values, labels, field="initial", function=function, minimum=0.0)
    top = float(vec.max())
    if top <= 0:
        raise InputError.for_parameter(
            "initial", "counts or shares with a positive total", vec.tolist(), function=function
        )
    if not np.isfinite(top * float((vec / top).sum())):
        raise InputError.for_parameter(
            "initial",
            "counts whose total is within float64's range",
            vec.tolist(),
            function=function,
            hint="Rescale the counts (e.g. to thousands of customers).",
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
        Customers (or shares) per stage now: finite, >= 0, with a positive
        total (unlisted stages of a mapping: 0).
    periods : int
        Steps ahead, >= 1, with ``(periods + 1) * S`` at most
        10**7.

    Returns
    -------
    StageProjection
        Shares and expected counts for periods 0..n.

    Raises
    ------
    InputError
        On negative, non-numeric or mismatched *initial*, ``periods < 1`` or
        a projection of more than 10**7 shares.

    Notes
    -----
    Computed a block of 256 periods at a time from the powers ``P^1 ..
    P^256`` (``x_{t+i} = x_t P^i``), so a long projection costs a few
    thousand vectorised steps, not one Python step per period; each row is
    renormalised to sum to 1.

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
    P, labels = _matrix(matrix, function)
    n = integer(periods, name="periods", function=function, minimum=1)
    S = len(labels)
    work_limit(
        (n + 1) * S,
        limit=_MAX_CELLS,
        name="periods",
        function=function,
        what=f"stage shares ({n + 1:,} periods x {S} stages)",
    )
    vec = _distribution(initial, labels, function)
    top = float(vec.max())
    scaled = vec / top
    total = top * float(scaled.sum())
    shares = np.empty((n + 1, S))
    shares[0] = scaled / scaled.sum()
    block = min(n, _BLOCK)
    powers = np.empty((block, S, S))
    powers[0] = P
    for i in range(1, block):
        powers[i] = powers[i - 1] @ P
    t = 0
    while t < n:
        m = min(block, n - t)
        step = shares[t] @ powers[:m]  # (m, S): x_t P^1 .. x_t P^m
        np.clip(step, 0.0, None, out=step)
        step /= step.sum(axis=1, keepdims=True)
        shares[t + 1 : t + 1 + m] = step
        t += m
    return StageProjection(
        period=as_readonly(np.arange(n + 1, dtype=np.int64)),
        shares=as_readonly(shares),
        counts=as_readonly(shares * total),
        stages=labels,
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
    P, labels = _matrix(matrix, function)
    classes = _closed_classes(P)
    if len(classes) > 1:
        groups = [[labels[i] for i in c] for c in classes]
        raise InputError(
            f"The chain given to {function} has {len(classes)} closed classes {groups}, so its "
            "long-run distribution depends on the starting stages.",
            field="matrix",
            hint="Use project_stages() for a given start, or absorption() for absorbing chains.",
        )
    S = len(labels)
    A = np.vstack([P.T - np.eye(S), np.ones((1, S))])
    b = np.zeros(S + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    return SteadyState(stage=as_readonly(np.array(labels, dtype=str)), share=as_readonly(pi))


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
        The absorbing stages (distinct stage names); default the stages with
        ``P[i, i] == 1`` (within 1e-9). Their rows are treated as absorbing
        whatever their probabilities.

    Returns
    -------
    Absorption
        Per transient stage: expected periods to absorption and the
        probability of ending in each absorbing stage.

    Raises
    ------
    InputError
        If there is no absorbing stage, an unknown stage is named, some
        transient stage cannot reach an absorbing one, or reaches it so
        slowly that the expected time exceeds float64 (``field="matrix"``).

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
    P, labels = _matrix(matrix, function)
    if absorbing is None:
        is_abs = np.isclose(np.diag(P), 1.0, rtol=0.0, atol=_ROW_TOL)
    else:
        chosen = names(absorbing, name="absorbing", function=function, what="stage names")
        unknown = [s for s in chosen if s not in labels]
        if unknown:
            raise InputError.for_parameter(
                "absorbing", f"a list of the stages {list(labels)}", unknown, function=function
            )
        is_abs = np.isin(np.array(labels), list(chosen))
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
    moves = Q > 0
    for _ in range(trans.size):  # propagate "can reach absorption" until nothing changes
        grown = reach | (moves & reach[None, :]).any(axis=1)
        if bool((grown == reach).all()):
            break
        reach = grown
    if not reach.all():
        stuck = [labels[i] for i in trans[~reach]]
        raise InputError(
            f"The stage(s) {stuck} of the chain given to {function} can never reach an "
            "absorbing stage, so the time to absorption is infinite.",
            field="matrix",
        )
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        try:
            N = np.linalg.inv(np.eye(trans.size) - Q)
        except np.linalg.LinAlgError:
            N = np.full((trans.size, trans.size), np.inf)
        expected = N.sum(axis=1)
        ends = N @ R
    if not (np.isfinite(expected).all() and np.isfinite(ends).all()):
        raise InputError(
            f"The chain given to {function} leaks into its absorbing stages too slowly for "
            "float64: the expected time to absorption is beyond its range.",
            field="matrix",
            hint="Probabilities this small (below about 1e-15) are lost to float64 rounding; "
            "round them to 0.",
        )
    return Absorption(
        stage=as_readonly(np.array([labels[i] for i in trans], dtype=str)),
        expected_periods=as_readonly(expected),
        probabilities=as_readonly(ends),
        absorbing=tuple(labels[i] for i in absb),
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
        Margin earned per period in each stage (unlisted stages of a mapping: 0).
    cost : mapping, array_like of shape (S,) or float, default 0
        Cost per period in each stage (e.g. marketing spent on it).
    discount_rate : float
        Per-period rate *d* > -1 (> 0 for the infinite horizon).
    horizon : int or None, default None
        Number of periods (``T`` >= 1, any size: the sum is formed in
        O(log T) matrix products); ``None`` sums over an infinite horizon.

    Returns
    -------
    MigrationValue
        Value per starting stage.

    Raises
    ------
    InputError
        If ``discount_rate <= -1``, the infinite horizon is asked with
        ``discount_rate <= 0``, ``horizon < 1``, a reward or cost is not a
        finite number, or a value would exceed float64's range (field
        ``horizon`` when ``discount_rate <= 0`` lets it accumulate, else
        ``reward``): values are never returned as infinity.

    Notes
    -----
    With ``r = reward - cost`` received at the start of each period and
    ``delta = 1 / (1 + d)``, the value over ``T`` periods is
    ``V_T = sum_{t=0}^{T-1} (delta P)^t r`` and over an infinite horizon
    ``V = (I - delta P)^{-1} r`` (Pfeifer & Carraway, 2000, eq. 6-7). The
    finite sum is formed by binary doubling, so ``horizon=10**12`` costs
    about 80 matrix products.

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
    P, labels = _matrix(matrix, function)
    d = number(discount_rate, name="discount_rate", function=function, low=-1.0, low_open=True)
    T = None if horizon is None else integer(horizon, name="horizon", function=function, minimum=1)
    if T is None and d <= 0:
        raise InputError.for_parameter(
            "discount_rate",
            "> 0 for an infinite horizon",
            discount_rate,
            function=function,
            hint="Pass horizon=<periods> to value a finite horizon without discounting.",
        )
    gain = per_stage(reward, labels, field="reward", function=function)
    spend = per_stage(cost, labels, field="cost", function=function, scalar=True)
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        r = gain - spend
    if not np.isfinite(r).all():
        raise InputError.for_parameter(
            "cost",
            "such that reward - cost stays within float64's range",
            spend.tolist(),
            function=function,
            hint="Rescale the rewards and costs (e.g. to thousands).",
        )
    M = P / (1.0 + d)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected below
        if T is None:
            value = np.asarray(np.linalg.solve(np.eye(len(labels)) - M, r), dtype=np.float64)
        else:
            value = _discounted_sum(M, r, T)
    if not np.isfinite(value).all():
        if T is not None and d <= 0:
            raise InputError.for_parameter(
                "horizon",
                f"short enough that values accumulating by a factor 1 / (1 + d) = "
                f"{1 / (1 + d):.4g} a period stay within float64's range",
                T,
                function=function,
                hint="Without a positive discount_rate value keeps accumulating; shorten the "
                "horizon.",
            )
        raise InputError.for_parameter(
            "reward",
            "small enough that the customer values stay within float64's range",
            gain.tolist(),
            function=function,
            hint="Rescale the rewards and costs (e.g. to thousands).",
        )
    return MigrationValue(
        stage=as_readonly(np.array(labels, dtype=str)),
        value=as_readonly(value),
        discount_rate=d,
        horizon=T,
    )


def _discounted_sum(M: FloatArray, r: FloatArray, horizon: int) -> FloatArray:
    """Return ``sum_{t=0}^{T-1} M^t r`` with O(log T) matrix products (binary doubling).

    With ``s_b = sum_{t<b} M^t r`` and ``M^b``: ``s_2b = s_b + M^b s_b``,
    ``M^2b = M^b M^b``; the blocks of the binary digits of T are added at
    their offsets (powers of M commute, so the order does not matter).
    """
    S = r.size
    value = np.zeros(S)
    offset = np.eye(S)  # M^(periods already summed)
    block_sum = r.copy()  # s_b for b = 1
    block_power = M.copy()  # M^b
    remaining = horizon
    while True:
        if remaining & 1:
            value += offset @ block_sum
            offset = offset @ block_power
        remaining >>= 1
        if not remaining or not np.isfinite(value).all():
            return value
        block_sum = block_sum + block_power @ block_sum
        block_power = block_power @ block_power
