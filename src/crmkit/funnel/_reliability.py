"""Calibration checks of win probabilities: reliability tables, Brier scores, held-out tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_finite_float, as_flags, check_same_length
from crmkit._params import choice, instance, integer
from crmkit._reduce import bincount
from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._calibration import StageRates
from crmkit.funnel._history import StageHistory
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._scoring import WinScorer, score_opportunities

__all__ = ["Reliability", "WinScoreEvaluation", "evaluate_win_scorer", "reliability"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MAX_BINS: Final = 10_000
"""Most reliability bins a table may ask for."""


@attrs.frozen(kw_only=True, repr=False)
class Reliability(Result):
    """Reliability (calibration) table of predicted probabilities against outcomes.

    Attributes
    ----------
    bin_lower, bin_upper : ndarray of float64, shape (b,)
        Probability bin edges.
    count : ndarray of int64, shape (b,)
        Predictions in the bin.
    mean_predicted, observed_rate : ndarray of float64, shape (b,)
        Mean prediction and share won in the bin (NaN for empty bins).
    brier : float
        Brier score ``mean((p - y)²)``.
    base_rate : float
        Share won overall.

    Examples
    --------
    >>> reliability([0.3, 0.7], [False, True], n_bins=2).observed_rate.tolist()
    [0.0, 1.0]
    """

    _table: ClassVar[tuple[str, ...]] = (
        "bin_lower",
        "bin_upper",
        "count",
        "mean_predicted",
        "observed_rate",
    )
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "bin_lower": "probability",
        "bin_upper": "probability",
        "mean_predicted": "probability",
        "observed_rate": "probability",
        "brier": "number",
        "base_rate": "share",
    }
    _plot: ClassVar[str] = "reliability_diagram"
    bin_lower: FloatArray
    bin_upper: FloatArray
    count: IntArray
    mean_predicted: FloatArray
    observed_rate: FloatArray
    brier: float
    base_rate: float


def reliability(probability: npt.ArrayLike, won: npt.ArrayLike, *, n_bins: int = 10) -> Reliability:
    """Tabulate predicted win probabilities against what happened, with the Brier score.

    Parameters
    ----------
    probability : array_like of float, shape (n,)
        Predictions in [0, 1].
    won : array_like of bool, shape (n,)
        Outcomes: booleans or the numbers 1 (won) and 0 (lost). Anything else
        (``"yes"``, 2, None) is refused, never read as truthy.
    n_bins : int
        Equal-width bins over [0, 1], 1 to 10,000.

    Returns
    -------
    Reliability
        ``mean_predicted`` and ``observed_rate`` are NaN exactly in the bins
        without predictions (``count == 0``).

    Raises
    ------
    InputError
        For probabilities outside [0, 1] or not finite, outcomes that are not
        booleans or 0/1, mismatched lengths, no rows, or a bad ``n_bins``.

    Notes
    -----
    ``brier = (1/n) Σ (p_i - y_i)²`` (Brier 1950); a perfectly calibrated model
    has ``observed_rate ≈ mean_predicted`` in every bin.

    References
    ----------
    Brier, G. W. (1950). Verification of forecasts expressed in terms of
    probability. Monthly Weather Review, 78(1), 1-3.

    Examples
    --------
    >>> r = reliability([0.1, 0.2, 0.8, 0.9], [False, False, True, True], n_bins=2)
    >>> r.count.tolist(), round(r.brier, 3)
    ([2, 2], 0.025)
    """
    return _reliability(probability, won, n_bins=n_bins, function="reliability")


def _reliability(probability: object, won: object, *, n_bins: object, function: str) -> Reliability:
    fn = function
    bins = integer(n_bins, name="n_bins", function=fn, minimum=1, maximum=MAX_BINS)
    p = as_finite_float(probability, field="probability", function=fn, minimum=0.0, maximum=1.0)
    y = as_flags(won, field="won", function=fn)
    n = check_same_length({"probability": p.size, "won": y.size}, function=fn)
    if n == 0:
        raise InputError(
            f"{fn} needs predictions and outcomes; got empty columns.",
            field="probability",
            hint="Pass the predicted win probability and the outcome of each closed deal.",
        )
    edges = np.linspace(0.0, 1.0, bins + 1)
    b = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    count = bincount(b, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = bincount(b, weights=p, minlength=bins) / count
        rate = bincount(b, weights=y, minlength=bins) / count
    return Reliability(
        bin_lower=edges[:-1],
        bin_upper=edges[1:],
        count=count.astype(np.int64),
        mean_predicted=mean_p,
        observed_rate=rate,
        brier=float(np.mean((p - y) ** 2)),
        base_rate=float(y.mean()),
    )


@attrs.frozen(kw_only=True, repr=False)
class WinScoreEvaluation(Result):
    """Held-out calibration of the naive-Bayes scores next to stage-only probabilities.

    Attributes
    ----------
    model, baseline : Reliability
        Reliability tables of the scorer and of the stage-only probabilities.
    brier, brier_baseline : float
        Their Brier scores (lower is better).
    n_examples : int
        (deal, stage reached) pairs scored.
    baseline_name : str
        ``configured`` or ``calibrated``.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> from crmkit.funnel import fit_win_scorer
    >>> h = simulate_pipeline(800, "2022-01-01", "2024-01-01", seed=4).history
    >>> ev = evaluate_win_scorer(fit_win_scorer(h, fields=["source"]), h, baseline="configured")
    >>> ev.baseline_name, ev.n_examples > 800
    ('configured', True)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {"brier": "number", "brier_baseline": "number"}
    _plot: ClassVar[str] = "reliability_diagram"

    model: Reliability
    baseline: Reliability
    brier: float
    brier_baseline: float
    n_examples: int
    baseline_name: str


def evaluate_win_scorer(
    scorer: WinScorer,
    holdout: StageHistory,
    *,
    baseline: Literal["configured"] | StageRates,
    n_bins: int = 10,
) -> WinScoreEvaluation:
    """Score closed held-out deals at every stage they reached and check calibration.

    Parameters
    ----------
    scorer : WinScorer
        Fitted on other deals.
    holdout : StageHistory
        Held-out histories; only closed deals are used, each once per stage it
        reached (the score a rep would have seen at that stage).
    baseline : "configured" or StageRates
        Stage-only probabilities to compare with.
    n_bins : int
        Reliability bins.

    Returns
    -------
    WinScoreEvaluation

    Raises
    ------
    InputError
        If *scorer*, *holdout* or *baseline* is not of its type (or of another
        sales process), the holdout lacks the scorer's dimensions or has no
        closed deal, or ``n_bins`` is bad.

    Examples
    --------
    >>> from crmkit.datasets import simulate_pipeline
    >>> from crmkit.funnel import fit_stage_rates, fit_win_scorer
    >>> train = simulate_pipeline(3000, "2022-01-01", "2024-01-01", seed=1).history
    >>> test = simulate_pipeline(1000, "2022-01-01", "2024-01-01", seed=2).history
    >>> scorer = fit_win_scorer(train, fields=["source", "region"])
    >>> ev = evaluate_win_scorer(scorer, test, baseline=fit_stage_rates(train))
    >>> bool(ev.brier < ev.brier_baseline)
    True
    """
    fn = "evaluate_win_scorer"
    scorer = instance(scorer, WinScorer, name="scorer", function=fn, what="a WinScorer")
    holdout = instance(holdout, StageHistory, name="holdout", function=fn, what="a StageHistory")
    integer(n_bins, name="n_bins", function=fn, minimum=1, maximum=MAX_BINS)
    if holdout.process != scorer.process:
        raise InputError.for_parameter(
            "holdout", "histories of the scorer's sales process", "another process", function=fn
        )
    needed = (*scorer.fields, *((scorer.team,) if scorer.team else ()))
    lacking = [f for f in needed if f not in holdout.dimensions]
    if lacking:
        raise InputError.for_parameter(
            "holdout",
            f"histories with the scorer's dimensions {list(needed)}",
            list(holdout.dimensions),
            function=fn,
        )
    if isinstance(baseline, StageRates):
        if baseline.process != holdout.process:
            raise InputError.for_parameter(
                "baseline",
                "stage rates fitted on the holdout's sales process",
                "StageRates of another SalesProcess",
                function=fn,
            )
    else:
        choice(baseline, ("configured",), name="baseline", function=fn)
    k = holdout.process.n_stages
    won_code = holdout.process.won_code
    closed = holdout.outcome >= won_code
    if not closed.any():
        raise InputError(
            "evaluate_win_scorer needs closed deals in the holdout; got none.",
            field="holdout",
            hint="Hold out histories that include won/lost outcome rows.",
        )
    reach = np.where(holdout.outcome == won_code, k - 1, holdout.max_open_stage)
    reps = np.where(closed, reach + 1, 0)
    deal = np.repeat(np.arange(holdout.n_opportunities), reps)
    start = np.repeat(np.cumsum(reps) - reps, reps)
    stage = (np.arange(deal.size) - start).astype(np.int64)
    opps = Opportunities.from_arrays(
        process=holdout.process,
        id=np.arange(deal.size),
        amount=np.zeros(deal.size),
        stage=stage,
        dimensions={name: col[deal] for name, col in holdout.dimensions.items()},
    )
    won = holdout.outcome[deal] == won_code
    scores = score_opportunities(scorer, opps)
    if isinstance(baseline, StageRates):
        base_p = baseline.probabilities_for(opps)
        name = "calibrated"
    else:
        base_p = holdout.process.probabilities[stage]
        name = "configured"
    model = _reliability(scores.probability, won, n_bins=n_bins, function=fn)
    base = _reliability(base_p, won, n_bins=n_bins, function=fn)
    return WinScoreEvaluation(
        model=model,
        baseline=base,
        brier=model.brier,
        brier_baseline=base.brier,
        n_examples=int(deal.size),
        baseline_name=name,
    )
