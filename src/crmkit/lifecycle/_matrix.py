"""Stage transition matrices estimated from panels or histories, or given by the user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_ids, as_readonly
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.lifecycle._columns import columns
from crmkit.lifecycle._model import LifecycleModel
from crmkit.lifecycle._replay import Replay, StageLog

__all__ = ["TransitionMatrix", "transition_matrix"]

_ROW_TOL: Final = 1e-9
_SCAN_STAGES: Final = 24  # up to this many stages, match labels by comparison, not hashing
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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
    standard_errors : ndarray of float64, shape (S, S)
        Binomial standard error of each estimated probability,
        ``sqrt(p_ij (1 - p_ij) / n_i)``; NaN for rows not estimated from data.
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
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "probabilities": "probability",
        "standard_errors": "probability",
    }
    _plot: ClassVar[str] = "transition_heatmap"

    stage: npt.NDArray[np.str_]
    n_from: IntArray
    counts: IntArray
    probabilities: FloatArray
    standard_errors: FloatArray
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

        Examples
        --------
        >>> m = TransitionMatrix.from_probabilities([[0.8, 0.2], [0.1, 0.9]], stages=["a", "b"])
        >>> m.source, m.stages
        ('given', ('a', 'b'))
        """
        P, names = _check_matrix(probabilities, stages, "TransitionMatrix.from_probabilities")
        size = len(names)
        return cls(
            stage=as_readonly(np.array(names, dtype=str)),
            n_from=as_readonly(np.zeros(size, dtype=np.int64)),
            counts=as_readonly(np.zeros((size, size), dtype=np.int64)),
            probabilities=as_readonly(P),
            standard_errors=as_readonly(np.full((size, size), np.nan)),
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


def _matrix(matrix: object, function: str) -> tuple[FloatArray, tuple[str, ...]]:
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
    se = np.full((S, S), np.nan)
    se[observed] = np.sqrt(P[observed] * (1.0 - P[observed]) / n_from[observed, None])
    return TransitionMatrix(
        stage=as_readonly(np.array(names, dtype=str)),
        n_from=as_readonly(n_from),
        counts=as_readonly(counts),
        probabilities=as_readonly(P),
        standard_errors=as_readonly(se),
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
    key = cfac.codes * np.int64(n_periods)
    key += pfac.codes
    if key.size > 1 and bool((key[1:] > key[:-1]).all()):
        skey, s_codes, s_cust = key, codes, cfac.codes  # already ordered: no sort
    else:
        # pack (customer, period, stage) into one key and np.sort it: no argsort needed
        packed = key * S
        packed += codes
        packed.sort()
        s_codes = packed % S
        skey = packed // S
        s_cust = skey // n_periods
    same_customer = s_cust[1:] == s_cust[:-1]
    step = np.diff(skey)
    if skey.size > 1 and not bool(step.all()):
        dup_keys = skey[1:][step == 0]
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
