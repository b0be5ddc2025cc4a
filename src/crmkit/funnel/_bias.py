"""How biased each submitter's past calls were, and their calls corrected for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_ids, as_readonly
from crmkit._params import choice
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._rollup import MEASURES, Rollup, read_columns_of

__all__ = ["BiasCorrected", "SubmissionBias", "fit_submission_bias"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, repr=False)
class BiasCorrected(Result):
    """Submissions next to their bias-corrected value.

    Attributes
    ----------
    node : ndarray, shape (s,)
        Submitter.
    period : ndarray of str, shape (s,)
        Period submitted for.
    submitted : ndarray of float64, shape (s,)
        The number entered.
    correction : ndarray of float64, shape (s,)
        The submitter's historical ``Σ actual / Σ submitted`` (1 without history).
    corrected : ndarray of float64, shape (s,)
        ``submitted x correction``.
    has_history : ndarray of bool, shape (s,)
        Whether the submitter had past periods to learn from.
    measure : str
        The measure submitted.

    Examples
    --------
    >>> past = {"period": ["2024-01"], "node": ["north"], "measure": ["commit"], "amount": [125.0]}
    >>> won = {"period": ["2024-01"], "node": ["north"], "actual": [100.0]}
    >>> b = fit_submission_bias(past, won, measure="commit")
    >>> c = b.correct(
    ...     {"period": ["2024-02"], "node": ["north"], "measure": ["commit"], "amount": [250.0]}
    ... )
    >>> c.correction.tolist(), c.corrected.tolist()
    ([0.8], [200.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "node",
        "period",
        "submitted",
        "correction",
        "corrected",
        "has_history",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "submitted": "money",
        "corrected": "money",
        "correction": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = _table
    node: npt.NDArray[Any]
    period: npt.NDArray[np.str_]
    submitted: FloatArray
    correction: FloatArray
    corrected: FloatArray
    has_history: npt.NDArray[np.bool_]
    measure: str


@attrs.frozen(kw_only=True, repr=False)
class SubmissionBias(Result):
    """How each submitter's past calls compared with what was actually won.

    Attributes
    ----------
    node : ndarray, shape (g,)
        Submitter (hierarchy node).
    n_periods : ndarray of int64, shape (g,)
        Past periods with both a submission and an actual.
    submitted, actual : ndarray of float64, shape (g,)
        Their sums.
    bias : ndarray of float64, shape (g,)
        ``Σ (submitted - actual) / Σ actual`` (positive: over-calls; NaN when
        nothing was won in those periods).
    mape : ndarray of float64, shape (g,)
        Mean of ``|submitted - actual| / actual`` over periods with ``actual > 0``
        (NaN if none).
    hit_rate : ndarray of float64, shape (g,)
        Share of periods where the actual reached the submission.
    correction : ndarray of float64, shape (g,)
        ``Σ actual / Σ submitted`` (1 when nothing was submitted).
    measure : str
        The measure scored.
    row_node, row_period : ndarray, shape (q,)
        The (submitter, period) pairs scored.
    row_submitted, row_actual : ndarray of float64, shape (q,)
        Their numbers.

    Examples
    --------
    >>> past = {
    ...     "period": ["2024-01", "2024-02"],
    ...     "node": ["south", "south"],
    ...     "measure": ["commit", "commit"],
    ...     "amount": [80.0, 90.0],
    ... }
    >>> won = {
    ...     "period": ["2024-01", "2024-02"],
    ...     "node": ["south", "south"],
    ...     "actual": [100.0, 100.0],
    ... }
    >>> b = fit_submission_bias(past, won, measure="commit")
    >>> float(b.bias[0]), float(b.hit_rate[0]), b.n_periods.tolist()
    (-0.15, 1.0, [2])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "node",
        "n_periods",
        "submitted",
        "actual",
        "bias",
        "mape",
        "hit_rate",
        "correction",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "submitted": "money",
        "actual": "money",
        "row_submitted": "money",
        "row_actual": "money",
        "bias": "share",
        "mape": "share",
        "hit_rate": "share",
        "correction": "number",
    }
    _rows: ClassVar[tuple[str, ...]] = _table
    node: npt.NDArray[Any]
    n_periods: IntArray
    submitted: FloatArray
    actual: FloatArray
    bias: FloatArray
    mape: FloatArray
    hit_rate: FloatArray
    correction: FloatArray
    measure: str
    row_node: npt.NDArray[Any]
    row_period: npt.NDArray[np.str_]
    row_submitted: FloatArray
    row_actual: FloatArray

    def correct(self, submissions: object) -> BiasCorrected:
        """Apply each submitter's historical correction to new submissions of the measure.

        Parameters
        ----------
        submissions : DataFrame or mapping of columns
            ``period``, ``node``, ``measure``, ``amount``; rows of other measures are ignored.

        Returns
        -------
        BiasCorrected

        Raises
        ------
        InputError
            For missing columns or bad amounts.

        Examples
        --------
        >>> past = {
        ...     "period": ["2024-01"],
        ...     "node": ["east"],
        ...     "measure": ["commit"],
        ...     "amount": [50.0],
        ... }
        >>> b = fit_submission_bias(
        ...     past, {"period": ["2024-01"], "node": ["east"], "actual": [100.0]}, measure="commit"
        ... )
        >>> b.correct(
        ...     {"period": ["2024-02"], "node": ["west"], "measure": ["commit"], "amount": [10.0]}
        ... ).has_history.tolist()  # no history: left as called
        [False]
        """
        fn = "SubmissionBias.correct"
        cols = read_columns_of(
            submissions, ("period", "node", "measure", "amount"), field="submissions", function=fn
        )
        mea = as_ids(cols["measure"], field="measure", function=fn).astype(str)
        keep = mea == self.measure
        nodes = as_ids(cols["node"], field="node", function=fn)[keep]
        amt = as_finite_float(cols["amount"], field="amount", function=fn, minimum=0.0)[keep]
        per = as_ids(cols["period"], field="period", function=fn).astype(str)[keep]
        keys = self.node.astype(str)
        vals = nodes.astype(str)
        idx = np.clip(np.searchsorted(keys, vals), 0, max(keys.size - 1, 0))
        known = keys[idx] == vals if keys.size else np.zeros(vals.size, dtype=bool)
        known &= self.n_periods[idx] > 0 if keys.size else known
        corr = np.where(known, self.correction[idx] if keys.size else 1.0, 1.0)
        return BiasCorrected(
            node=nodes,
            period=per,
            submitted=amt,
            correction=corr,
            corrected=amt * corr,
            has_history=known,
            measure=self.measure,
        )


def fit_submission_bias(
    submissions: object, actuals: Rollup | object, *, measure: str
) -> SubmissionBias:
    """Score each submitter's past calls against actual bookings: bias, accuracy, a correction.

    Parameters
    ----------
    submissions : DataFrame or mapping of columns
        Past submissions: ``period``, ``node``, ``measure``, ``amount``.
    actuals : Rollup or DataFrame or mapping of columns
        What was won: a :class:`Rollup` of the past periods (its ``closed``
        system number per node and period), or a table ``period``, ``node``, ``actual``.
    measure : str
        Which submissions to score (e.g. ``"commit"``); no default.

    Returns
    -------
    SubmissionBias
        One row per submitter; ``correct`` applies the correction to new calls.

    Raises
    ------
    InputError
        For an unknown measure, missing columns, bad amounts, or no
        submission of the measure with a matching actual.

    Notes
    -----
    Over a submitter's past periods *t* with submission ``s_t`` and actual
    ``a_t``: ``bias = Σ (s_t - a_t) / Σ a_t`` (as in :func:`backtest_forecast`)
    and the correction is the ratio estimator ``Σ a_t / Σ s_t``, so a
    manager who calls 20 % high has their next call scaled by 1 / 1.2. The
    ratio of sums is stable when single periods have small actuals.

    Examples
    --------
    >>> past = {
    ...     "period": ["2024-01", "2024-02", "2024-01", "2024-02"],
    ...     "node": ["north", "north", "south", "south"],
    ...     "measure": ["commit"] * 4,
    ...     "amount": [120.0, 130.0, 80.0, 90.0],
    ... }
    >>> won = {
    ...     "period": ["2024-01", "2024-02", "2024-01", "2024-02"],
    ...     "node": ["north", "north", "south", "south"],
    ...     "actual": [100.0, 100.0, 100.0, 100.0],
    ... }
    >>> b = fit_submission_bias(past, won, measure="commit")
    >>> b.node.tolist(), b.bias.round(3).tolist(), b.correction.round(3).tolist()
    (['north', 'south'], [0.25, -0.15], [0.8, 1.176])
    >>> b.correct(
    ...     {"period": ["2024-03"], "node": ["north"], "measure": ["commit"], "amount": [150.0]}
    ... ).corrected.tolist()
    [120.0]
    """
    fn = "fit_submission_bias"
    m = choice(measure, MEASURES, name="measure", function=fn)
    cols = read_columns_of(
        submissions, ("period", "node", "measure", "amount"), field="submissions", function=fn
    )
    mea = as_ids(cols["measure"], field="measure", function=fn).astype(str)
    keep = mea == m
    s_node = as_ids(cols["node"], field="node", function=fn)[keep].astype(str)
    s_per = as_ids(cols["period"], field="period", function=fn).astype(str)[keep]
    s_amt = as_finite_float(cols["amount"], field="amount", function=fn, minimum=0.0)[keep]
    if isinstance(actuals, Rollup):
        a_node = actuals.node.astype(str)
        a_per = actuals.period.astype(str)
        a_amt = actuals.column("closed", kind="system")
    else:
        acols = read_columns_of(actuals, ("period", "node", "actual"), field="actuals", function=fn)
        a_node = as_ids(acols["node"], field="node", function=fn).astype(str)
        a_per = as_ids(acols["period"], field="period", function=fn).astype(str)
        a_amt = as_finite_float(acols["actual"], field="actual", function=fn, minimum=0.0)
    actual_of = {
        (n, p): float(v)
        for n, p, v in zip(a_node.tolist(), a_per.tolist(), a_amt.tolist(), strict=True)
    }
    if not keep.any():
        raise InputError(
            f"{fn} found no {m!r} submission to score.",
            field="submissions",
            hint=f"Give past submissions with measure {m!r}.",
        )
    pairs = [(n, p) in actual_of for n, p in zip(s_node.tolist(), s_per.tolist(), strict=True)]
    matched = np.asarray(pairs, dtype=bool)
    if not matched.any():
        raise InputError(
            f"{fn} found no {m!r} submission with an actual for the same node and period.",
            field="actuals",
            hint="Give the actuals of the periods the submissions were for.",
        )
    r_node, r_per, r_sub = s_node[matched], s_per[matched], s_amt[matched]
    r_act = np.array(
        [actual_of[(n, p)] for n, p in zip(r_node.tolist(), r_per.tolist(), strict=True)]
    )
    uniq, code = np.unique(r_node, return_inverse=True)
    g = uniq.size
    n_per = bincount(code, minlength=g).astype(np.int64)
    sub = bincount(code, weights=r_sub, minlength=g).astype(np.float64)
    act = bincount(code, weights=r_act, minlength=g).astype(np.float64)
    pos = r_act > 0
    ape = bincount(code[pos], weights=np.abs(r_sub - r_act)[pos] / r_act[pos], minlength=g)
    n_pos = bincount(code[pos], minlength=g)
    hits = bincount(code, weights=(r_act >= r_sub).astype(np.float64), minlength=g)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = np.where(act > 0, (sub - act) / act, np.nan)
        mape = np.where(n_pos > 0, ape / n_pos, np.nan)
        correction = np.where(sub > 0, act / sub, 1.0)
    return SubmissionBias(
        node=as_readonly(uniq),
        n_periods=n_per,
        submitted=sub,
        actual=act,
        bias=bias,
        mape=mape,
        hit_rate=hits / n_per,
        correction=correction,
        measure=m,
        row_node=r_node,
        row_period=r_per,
        row_submitted=r_sub,
        row_actual=r_act,
    )
