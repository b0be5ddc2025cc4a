"""Calibration checks of win probabilities: reliability tables, Brier scores, held-out tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._results import Kind, Result
from crmkit.errors import InputError
from crmkit.funnel._calibration import StageRates
from crmkit.funnel._history import StageHistory
from crmkit.funnel._opportunities import Opportunities
from crmkit.funnel._scoring import WinScorer, score_opportunities

__all__ = ["Reliability", "WinScoreEvaluation", "evaluate_win_scorer", "reliability"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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
        Outcomes.
    n_bins : int
        Equal-width bins over [0, 1], >= 1.

    Returns
    -------
    Reliability

    Raises
    ------
    InputError
        For probabilities outside [0, 1], mismatched lengths or no rows.

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
    fn = "reliability"
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(won, dtype=bool)
    if p.size == 0 or p.size != y.size:
        raise InputError(
            f"{fn} needs equal, non-zero numbers of predictions and outcomes.", field="won"
        )
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        pos = np.flatnonzero(bad)
        raise InputError.for_rows(
            "probability",
            "must be in [0, 1]",
            positions=pos[:5].tolist(),
            values=p[pos[:5]].tolist(),
            n_bad=int(pos.size),
            function=fn,
        )
    bins: object = n_bins
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise InputError.for_parameter("n_bins", "an int >= 1", n_bins, function=fn)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    b = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(b, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(b, weights=p, minlength=n_bins) / count
        rate = np.bincount(b, weights=y, minlength=n_bins) / count
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
        If the holdout has no closed deal.

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
    k = holdout.process.n_stages
    won_code = holdout.process.won_code
    closed = holdout.outcome >= won_code
    if not closed.any():
        raise InputError("evaluate_win_scorer needs closed deals in the holdout.", field="holdout")
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
    if isinstance(baseline, str):
        if baseline != "configured":
            raise InputError.for_parameter(
                "baseline", "'configured' or a StageRates", baseline, function="evaluate_win_scorer"
            )
        base_p = holdout.process.probabilities[stage]
        name = "configured"
    else:
        base_p = baseline.probabilities_for(opps)
        name = "calibrated"
    model = reliability(scores.probability, won, n_bins=n_bins)
    base = reliability(base_p, won, n_bins=n_bins)
    return WinScoreEvaluation(
        model=model,
        baseline=base,
        brier=model.brier,
        brier_baseline=base.brier,
        n_examples=int(deal.size),
        baseline_name=name,
    )
