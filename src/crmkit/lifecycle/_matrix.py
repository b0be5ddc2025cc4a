"""Stage transition matrices estimated from panels or histories, or given by the user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._groups import factorize
from crmkit._input import as_datetime, as_ids, as_readonly, check_date_format, to_array
from crmkit._params import instance, names
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.lifecycle._columns import columns, nonempty_rows
from crmkit.lifecycle._model import LifecycleModel
from crmkit.lifecycle._replay import Replay, StageLog

__all__ = ["TransitionMatrix", "check_matrix", "transition_matrix"]

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
            If *stages* are not distinct names, *probabilities* is not an
            (S, S) array of numbers, a value is negative or not finite, or a
            row does not sum to 1 (the message lists the rows and sums).

        Examples
        --------
        >>> m = TransitionMatrix.from_probabilities([[0.8, 0.2], [0.1, 0.9]], stages=["a", "b"])
        >>> m.source, m.stages
        ('given', ('a', 'b'))
        """
        P, labels = check_matrix(probabilities, stages, "TransitionMatrix.from_probabilities")
        size = len(labels)
        return cls(
            stage=as_readonly(np.array(labels, dtype=str)),
            n_from=as_readonly(np.zeros(size, dtype=np.int64)),
            counts=as_readonly(np.zeros((size, size), dtype=np.int64)),
            probabilities=as_readonly(P),
            standard_errors=as_readonly(np.full((size, size), np.nan)),
            observed=as_readonly(np.ones(size, dtype=bool)),
            source="given",
            n_pairs=0,
            n_gap_pairs=0,
        )


def check_matrix(
    probabilities: object, stages: object, function: str
) -> tuple[FloatArray, tuple[str, ...]]:
    """Return a row-stochastic matrix and its distinct stage names, or refuse them."""
    labels = names(stages, name="stages", function=function, what="stage names")
    S = len(labels)
    shape = f"a ({S}, {S}) array of probabilities (one row and column per stage)"
    try:
        raw = np.asarray(probabilities)
    except ValueError:  # ragged nested sequences
        raw = np.asarray(None)
    if raw.dtype.kind not in "iuf" or raw.shape != (S, S):
        got = f"an array of shape {raw.shape}" if raw.dtype.kind in "iuf" else probabilities
        raise InputError.for_parameter("probabilities", shape, got, function=function)
    P = raw.astype(np.float64)
    if not np.isfinite(P).all() or (P < 0).any():
        bad = np.flatnonzero(~np.isfinite(P).all(axis=1) | (P < 0).any(axis=1))
        raise InputError.for_rows(
            "probabilities",
            "must hold finite, non-negative probabilities",
            positions=bad[:5].tolist(),
            values=[labels[i] for i in bad[:5]],
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
    return P, labels


def _matrix(matrix: object, function: str) -> tuple[FloatArray, tuple[str, ...]]:
    chain = instance(
        matrix,
        TransitionMatrix,
        name="matrix",
        function=function,
        what="a TransitionMatrix (use TransitionMatrix.from_probabilities for your own)",
    )
    return np.asarray(chain.probabilities, dtype=np.float64), chain.stages


def _stage_list(stages: object, function: str) -> tuple[str, ...] | None:
    if stages is None:
        return None
    if isinstance(stages, LifecycleModel):
        return stages.stage_names
    return names(stages, name="stages", function=function, what="stage names")


def _period_ordinals(
    values: object, *, column: str, date_format: str | None, function: str
) -> npt.NDArray[np.int64]:
    """Period column as int64 ordinals: whole numbers as given, dates as microseconds.

    Text is read as dates (ISO-8601 or *date_format*), never ranked as text
    (``"Feb" < "Jan"``); floats must be whole.
    """
    raw = to_array(values, field="period", function=function)
    is_date = raw.dtype.kind == "M" or (
        raw.dtype.kind == "O"
        and raw.size > 0
        and any(isinstance(v, (dt.date, np.datetime64)) for v in raw.tolist())
    )
    if not is_date:
        raw = as_ids(raw, field="period", function=function, column=column)
        if raw.dtype.kind in "iu":
            return raw.astype(np.int64, copy=False)
    times = as_datetime(
        raw, field="period", function=function, column=column, date_format=date_format
    ).values
    return times.view(np.int64)


def _stage_codes(
    values: npt.NDArray[Any], known: tuple[str, ...] | None, *, column: str, function: str
) -> tuple[IntArray, tuple[str, ...]]:
    field = "stage"
    labels = as_ids(values, field=field, function=function, column=column).astype(str, copy=False)
    if known is not None and len(known) <= _SCAN_STAGES:
        codes = np.full(labels.shape[0], -1, dtype=np.int64)
        for i, label in enumerate(known):
            codes[labels == label] = i
    else:
        fac = factorize(labels)
        if known is None:
            known = tuple(str(u) for u in fac.uniques)
        lookup = {s: i for i, s in enumerate(known)}
        mapped = np.array([lookup.get(str(u), -1) for u in fac.uniques], dtype=np.int64)
        codes = mapped[fac.codes] if labels.size else np.zeros(0, dtype=np.int64)
    if codes.size and int(codes.min()) < 0:
        bad = np.flatnonzero(codes < 0)
        raise InputError.for_rows(
            field,
            f"must hold one of the stages {list(known)}",
            positions=bad[:5].tolist(),
            values=labels[bad[:5]].tolist(),
            n_bad=int(bad.size),
            function=function,
            column=column,
        )
    return codes, known


def _build(
    src: IntArray, dst: IntArray, labels: tuple[str, ...], *, source: str, n_gap: int
) -> TransitionMatrix:
    S = len(labels)
    counts = bincount(src * S + dst, minlength=S * S).astype(np.int64).reshape(S, S)
    n_from = counts.sum(axis=1)
    observed = n_from > 0
    P = np.eye(S)
    P[observed] = counts[observed] / n_from[observed, None]
    se = np.full((S, S), np.nan)
    se[observed] = np.sqrt(P[observed] * (1.0 - P[observed]) / n_from[observed, None])
    return TransitionMatrix(
        stage=as_readonly(np.array(labels, dtype=str)),
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
    date_format: str | None = None,
) -> TransitionMatrix:
    """Estimate stage-to-stage transition counts and probabilities.

    Parameters
    ----------
    data : DataFrame-like, mapping of arrays, Replay or StageLog
        Either a panel with one row per (customer, period) giving the stage
        the customer was in, or event histories (a :class:`Replay` or its
        ``changes``), whose recorded stage changes are counted.
    customer, period, stage : str
        Column names of the panel. Periods are whole numbers (period keys
        such as :func:`stage_panel` writes, or period indexes) or dates
        (datetimes, ISO-8601 text or text in *date_format*); other text is
        refused rather than ranked alphabetically.
    stages : sequence of str or LifecycleModel, optional
        All stages, in order (distinct names). Stages never observed are kept
        as rows and columns with zero counts. Default: the stages observed,
        sorted.
    date_format : str, optional
        A strftime pattern for text periods that are not ISO-8601 dates.

    Returns
    -------
    TransitionMatrix
        Counts, probabilities and how many pairs were used or skipped.

    Raises
    ------
    InputError
        On an empty panel or history (``field="data"``), a stage outside
        *stages*, a customer observed twice in one period, null ids, periods
        that are neither whole numbers nor dates, duplicate *stages* or a
        missing column.

    Notes
    -----
    Panel: for consecutive periods ``t, t + 1`` in which a customer is
    observed, ``counts[s_t, s_{t+1}] += 1``; periods are ranked among all
    distinct periods of the panel, and pairs with a gap are skipped and
    counted. The maximum-likelihood estimate of a homogeneous first-order
    chain is ``p_ij = n_ij / n_i`` (Anderson & Goodman, 1957). Histories count
    the recorded changes, which estimates the embedded jump chain (where
    customers go when they move). A stage never left in the data keeps a row
    of "stays" with ``observed`` False and NaN standard errors; every other
    number is finite.

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
    known = _stage_list(stages, function)
    fmt = check_date_format(date_format, function=function)
    if isinstance(data, (Replay, StageLog)):
        log = data.changes if isinstance(data, Replay) else data
        nonempty_rows(len(log), function=function)
        if known is None:
            known = log.stages
        missing = [x for x in log.stages if x not in known]
        if missing:
            raise InputError.for_parameter(
                "stages",
                f"a list including the log's stages {list(log.stages)}",
                list(known),
                function=function,
            )
        remap = np.array([known.index(x) for x in log.stages], dtype=np.int64)
        codes = np.concatenate([remap[log.source_code], remap[log.target_code]])
        half = codes.size // 2
        return _build(codes[:half], codes[half:], known, source="history", n_gap=0)
    cols = columns(
        data, {"customer": customer, "period": period, "stage": stage}, function=function
    )
    ids = as_ids(cols["customer"], field="customer", function=function, column=customer)
    nonempty_rows(ids.shape[0], function=function)
    pcol = _period_ordinals(cols["period"], column=period, date_format=fmt, function=function)
    pfac = factorize(pcol)
    codes, known = _stage_codes(cols["stage"], known, column=stage, function=function)
    cfac = factorize(ids)
    n_periods = max(pfac.n_groups, 1)
    S = len(known)
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
            "period",
            "must not repeat for a customer (one stage per customer and period)",
            positions=rows[:5].tolist(),
            values=np.asarray(cols["period"])[rows[:5]].tolist(),
            n_bad=int(rows.size),
            function=function,
            column=period,
        )
    consecutive = same_customer & (step == 1)
    n_gap = int(np.count_nonzero(same_customer & ~consecutive))
    return _build(
        s_codes[:-1][consecutive],
        s_codes[1:][consecutive],
        known,
        source="panel",
        n_gap=n_gap,
    )
