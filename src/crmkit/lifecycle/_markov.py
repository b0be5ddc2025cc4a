"""Markov migration analytics: transition matrices, projection, steady state, absorption, value."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_ids, as_readonly
from crmkit._results import Result
from crmkit.errors import InputError
from crmkit.lifecycle._columns import columns
from crmkit.lifecycle._model import LifecycleModel
from crmkit.lifecycle._replay import Replay, StageLog

__all__ = [
    "Absorption",
    "MigrationValue",
    "StageProjection",
    "SteadyState",
    "TransitionMatrix",
    "absorption",
    "migration_value",
    "project_stages",
    "steady_state",
    "transition_matrix",
]

_ROW_TOL: Final = 1e-9
_SCAN_STAGES: Final = 24  # up to this many stages, match labels by comparison, not hashing
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MatrixLike = Any  # TransitionMatrix or (S, S) array_like with `stages`


@attrs.frozen(kw_only=True, repr=False)
class TransitionMatrix(Result):
    """Stage-to-stage transition counts and probabilities.

    Attributes
    ----------
    stage : ndarray of str, shape (S,)
        Stage names; rows and columns of the matrices follow this order.
    n_from : ndarray of int64, shape (S,)
        Observed transitions out of each stage (row sums of ``counts``).
    counts : ndarray of int64, shape (S, S)
        ``counts[i, j]``: observed moves from stage *i* to stage *j*.
    probabilities : ndarray of float64, shape (S, S)
        Row-normalised counts; a stage never observed as a source keeps a
        row with probability 1 of staying (flagged in ``observed``).
    observed : ndarray of bool, shape (S,)
        Whether the row was estimated from data.
    source : str
        ``"panel"`` (period-to-period, self-moves included), ``"history"``
        (the embedded jump chain of recorded changes) or ``"given"``.
    n_pairs : int
        Transitions counted.
    n_gap_pairs : int
        Consecutive observations of a customer skipped because periods in
        between were missing from that customer's panel (panel input only).

    Examples
    --------
    >>> m = TransitionMatrix.from_probabilities([[0.9, 0.1], [0.0, 1.0]], stages=["active", "lost"])
    >>> m.probabilities[0].tolist()
    [0.9, 0.1]
    """

    _table: ClassVar[tuple[str, ...]] = ("stage", "n_from")

    stage: npt.NDArray[np.str_]
    n_from: IntArray
    counts: IntArray
    probabilities: FloatArray
    observed: npt.NDArray[np.bool_]
    source: str
    n_pairs: int
    n_gap_pairs: int

    @property
    def stages(self) -> tuple[str, ...]:
        """Stage names as a tuple."""
        return tuple(str(s) for s in self.stage)

    @classmethod
    def from_probabilities(
        cls, probabilities: npt.ArrayLike, *, stages: Sequence[str]
    ) -> TransitionMatrix:
        """Wrap a user-given stochastic matrix, checking it.

        Parameters
        ----------
        probabilities : array_like of float, shape (S, S)
            Row-stochastic: non-negative, each row sums to 1 (within 1e-9).
        stages : sequence of str
            The S stage names.

        Returns
        -------
        TransitionMatrix
            With ``source="given"`` and zero counts.

        Raises
        ------
        InputError
            If the shape does not match, a value is negative or not finite, or
            a row does not sum to 1 (the message lists the rows and sums).
        """
        P, names = _check_matrix(probabilities, stages, "TransitionMatrix.from_probabilities")
        size = len(names)
        return cls(
            stage=as_readonly(np.array(names, dtype=str)),
            n_from=as_readonly(np.zeros(size, dtype=np.int64)),
            counts=as_readonly(np.zeros((size, size), dtype=np.int64)),
            probabilities=as_readonly(P),
            observed=as_readonly(np.ones(size, dtype=bool)),
            source="given",
            n_pairs=0,
            n_gap_pairs=0,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_matrix(
    probabilities: npt.ArrayLike, stages: Sequence[str], function: str
) -> tuple[FloatArray, tuple[str, ...]]:
    names = tuple(str(s) for s in stages)
    if len(set(names)) != len(names) or not names:
        raise InputError.for_parameter(
            "stages", "a non-empty sequence of distinct names", list(names), function=function
        )
    P = np.array(probabilities, dtype=np.float64)
    S = len(names)
    if P.shape != (S, S):
        raise InputError(
            f"The transition matrix given to {function} must have shape ({S}, {S}) to match "
            f"its {S} stages; got shape {P.shape}.",
            field="probabilities",
        )
    if not np.isfinite(P).all() or (P < 0).any():
        bad = np.flatnonzero(~np.isfinite(P).all(axis=1) | (P < 0).any(axis=1))
        raise InputError.for_rows(
            "probabilities",
            "must hold finite, non-negative probabilities",
            positions=bad[:5].tolist(),
            values=[names[i] for i in bad[:5]],
            n_bad=int(bad.size),
            function=function,
            kind="row of the matrix",
        )
    sums = P.sum(axis=1)
    off = np.abs(sums - 1.0) > _ROW_TOL
    if off.any():
        bad = np.flatnonzero(off)
        raise InputError.for_rows(
            "probabilities",
            "must have rows summing to 1",
            positions=bad[:5].tolist(),
            values=sums[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=function,
            kind="row of the matrix",
            hint="Divide each row by its sum, or pass counts to transition_matrix().",
        )
    return P, names


def _matrix(matrix: MatrixLike, function: str) -> tuple[FloatArray, tuple[str, ...]]:
    if isinstance(matrix, TransitionMatrix):
        return np.asarray(matrix.probabilities, dtype=np.float64), matrix.stages
    raise InputError.for_parameter(
        "matrix",
        "a TransitionMatrix (use TransitionMatrix.from_probabilities for your own)",
        type(matrix).__name__,
        function=function,
    )


def _stage_list(stages: Sequence[str] | LifecycleModel | None) -> tuple[str, ...] | None:
    if stages is None:
        return None
    if isinstance(stages, LifecycleModel):
        return stages.stage_names
    return tuple(str(s) for s in stages)


def _stage_codes(
    values: npt.NDArray[Any], names: tuple[str, ...] | None, *, field: str, function: str
) -> tuple[IntArray, tuple[str, ...]]:
    labels = as_ids(values, field=field, function=function).astype(str, copy=False)
    if names is not None and len(names) <= _SCAN_STAGES:
        codes = np.full(labels.shape[0], -1, dtype=np.int64)
        for i, name in enumerate(names):
            codes[labels == name] = i
    else:
        fac = factorize(labels)
        if names is None:
            names = tuple(str(u) for u in fac.uniques)
        lookup = {s: i for i, s in enumerate(names)}
        mapped = np.array([lookup.get(str(u), -1) for u in fac.uniques], dtype=np.int64)
        codes = mapped[fac.codes] if labels.size else np.zeros(0, dtype=np.int64)
    if codes.size and int(codes.min()) < 0:
        bad = np.flatnonzero(codes < 0)
        raise InputError.for_rows(
            field,
            f"must hold one of the stages {list(names)}",
            positions=bad[:5].tolist(),
            values=labels[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=function,
        )
    return codes, names


def _build(
    src: IntArray, dst: IntArray, names: tuple[str, ...], *, source: str, n_gap: int
) -> TransitionMatrix:
    S = len(names)
    counts = np.bincount(src * S + dst, minlength=S * S).astype(np.int64).reshape(S, S)
    n_from = counts.sum(axis=1)
    observed = n_from > 0
    P = np.eye(S)
    P[observed] = counts[observed] / n_from[observed, None]
    return TransitionMatrix(
        stage=as_readonly(np.array(names, dtype=str)),
        n_from=as_readonly(n_from),
        counts=as_readonly(counts),
        probabilities=as_readonly(P),
        observed=as_readonly(observed),
        source=source,
        n_pairs=int(src.size),
        n_gap_pairs=n_gap,
    )


def transition_matrix(
    data: object,
    *,
    customer: str = "customer",
    period: str = "period",
    stage: str = "stage",
    stages: Sequence[str] | LifecycleModel | None = None,
) -> TransitionMatrix:
    """Estimate stage-to-stage transition counts and probabilities.

    Parameters
    ----------
    data : DataFrame-like, mapping of arrays, Replay or StageLog
        Either a panel with one row per (customer, period) giving the stage
        the customer was in, or event histories (a :class:`Replay` or its
        ``changes``), whose recorded stage changes are counted.
    customer, period, stage : str
        Column names of the panel.
    stages : sequence of str or LifecycleModel, optional
        All stages, in order. Stages never observed are kept as rows and
        columns with zero counts. Default: the stages observed, sorted.

    Returns
    -------
    TransitionMatrix
        Counts, probabilities and how many pairs were used or skipped.

    Raises
    ------
    InputError
        On a stage outside *stages*, a customer observed twice in one period,
        null ids or a missing column.

    Notes
    -----
    Panel: for consecutive periods ``t, t + 1`` in which a customer is
    observed, ``counts[s_t, s_{t+1}] += 1``; periods are ranked among all
    distinct periods of the panel (ints or datetimes), and pairs with a gap
    are skipped and counted. The maximum-likelihood estimate of a
    homogeneous first-order chain is ``p_ij = n_ij / n_i`` (Anderson &
    Goodman, 1957). Histories count the recorded changes, which estimates
    the embedded jump chain (where customers go when they move).

    References
    ----------
    .. [1] Anderson, T. W. and Goodman, L. A. (1957). "Statistical Inference
       about Markov Chains". Annals of Mathematical Statistics 28(1), 89-110.

    Examples
    --------
    Monthly stages of three customers:

    >>> panel = {
    ...     "customer": [1, 1, 1, 2, 2, 3],
    ...     "period": [1, 2, 3, 1, 2, 1],
    ...     "stage": ["active", "active", "lapsed", "active", "lapsed", "active"],
    ... }
    >>> m = transition_matrix(panel, stages=["active", "lapsed", "lost"])
    >>> m.counts.tolist()
    [[1, 2, 0], [0, 0, 0], [0, 0, 0]]
    >>> m.probabilities[0].round(3).tolist(), m.observed.tolist()
    ([0.333, 0.667, 0.0], [True, False, False])
    """
    function = "transition_matrix"
    names = _stage_list(stages)
    if isinstance(data, (Replay, StageLog)):
        log = data.changes if isinstance(data, Replay) else data
        if names is None:
            names = log.stages
        missing = [x for x in log.stages if x not in names]
        if missing:
            raise InputError.for_parameter(
                "stages",
                f"a list including the log's stages {list(log.stages)}",
                list(names),
                function=function,
            )
        remap = np.array([names.index(x) for x in log.stages], dtype=np.int64)
        codes = np.concatenate([remap[log.source_code], remap[log.target_code]])
        half = codes.size // 2
        return _build(codes[:half], codes[half:], names, source="history", n_gap=0)
    cols = columns(
        data, {"customer": customer, "period": period, "stage": stage}, function=function
    )
    ids = as_ids(cols["customer"], field=customer, function=function)
    pcol = cols["period"]
    if pcol.dtype.kind not in "iuM":
        pcol = as_ids(pcol, field=period, function=function)
    pfac = factorize(pcol.view(np.int64) if pcol.dtype.kind == "M" else pcol)
    codes, names = _stage_codes(cols["stage"], names, field=stage, function=function)
    cfac = factorize(ids)
    n_periods = max(pfac.n_groups, 1)
    S = len(names)
    # one packed key (customer, period, stage) sorted with np.sort: no argsort needed
    packed = cfac.codes * np.int64(n_periods)
    packed += pfac.codes
    packed *= S
    packed += codes
    packed.sort()
    s_codes = packed % S
    skey = packed // S
    s_cust = skey // n_periods
    same_customer = s_cust[1:] == s_cust[:-1]
    step = np.diff(skey)
    if skey.size > 1 and not bool(step.all()):
        dup_keys = skey[1:][step == 0]
        key = cfac.codes * np.int64(n_periods) + pfac.codes
        rows = np.flatnonzero(np.isin(key, dup_keys))
        raise InputError.for_rows(
            period,
            "must not repeat for a customer (one stage per customer and period)",
            positions=rows[:5].tolist(),
            values=pcol[rows[:5]].tolist(),
            n_bad=int(rows.size),
            function=function,
        )
    consecutive = same_customer & (step == 1)
    n_gap = int(np.count_nonzero(same_customer & ~consecutive))
    return _build(
        s_codes[:-1][consecutive],
        s_codes[1:][consecutive],
        names,
        source="panel",
        n_gap=n_gap,
    )


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
    """

    _table: ClassVar[tuple[str, ...]] = ("period",)

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
    """

    _table: ClassVar[tuple[str, ...]] = ("stage", "share")

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
    """

    _table: ClassVar[tuple[str, ...]] = ("stage", "expected_periods")

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
    """

    _table: ClassVar[tuple[str, ...]] = ("stage", "value")

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
