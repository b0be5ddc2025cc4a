"""Choosing a model on evidence: likelihood-ratio tests and a holdout comparison in one call."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._input import as_readonly
from crmkit._params import choice, instance, integer
from crmkit._results import Kind, Result, frozen_mapping
from crmkit.errors import InputError
from crmkit.roi._models._bgbb import fit_bgbb
from crmkit.roi._models._bgnbd import BGNBDFit, fit_bgnbd
from crmkit.roi._models._btyd_data import require_models_extra
from crmkit.roi._models._contractual import BetaDiscreteWeibullFit, ShiftedBetaGeometricFit
from crmkit.roi._models._gamma_gamma import GammaGammaFit
from crmkit.roi._models._holdout import CalibrationHoldout, HoldoutComparison, holdout_comparison
from crmkit.roi._models._mbgnbd import fit_mbgnbd
from crmkit.roi._models._pareto import ParetoNBDFit, fit_pareto_nbd
from crmkit.roi._models._predict import MAX_FREQUENCY_ROWS, AnyPurchaseModel, prepare

__all__ = [
    "LikelihoodRatioTest",
    "ModelComparison",
    "compare_models",
    "likelihood_ratio_test",
]

FloatArray = npt.NDArray[np.float64]
ModelName = Literal["bgnbd", "mbgnbd", "pareto_nbd", "bgbb"]
_FITTERS: Final[dict[str, Callable[[object], Any]]] = {
    "bgnbd": fit_bgnbd,
    "mbgnbd": fit_mbgnbd,
    "pareto_nbd": fit_pareto_nbd,
    "bgbb": fit_bgbb,
}
_LR_TOLERANCE: Final = 1e-7  # relative: a full fit this far below the restricted one is rounding


@attrs.frozen(kw_only=True, repr=False)
class LikelihoodRatioTest(Result):
    r"""A likelihood-ratio test of a restricted model against the model that nests it.

    Attributes
    ----------
    statistic : float
        :math:`2(\\ell_{full} - \\ell_{restricted}) \\ge 0`.
    df : int
        Parameters the full model adds.
    p_value : float
        :math:`P(\\chi^2_{df} > \\text{statistic})`: small values reject the restriction.
    restricted, full : str
        The two models.

    Examples
    --------
    >>> from crmkit.roi import fit_beta_discrete_weibull, fit_shifted_beta_geometric
    >>> counts = [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> test = likelihood_ratio_test(
    ...     fit_shifted_beta_geometric(counts), fit_beta_discrete_weibull(counts)
    ... )
    >>> test.df, round(test.statistic, 2)
    (1, 1.32)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "statistic": "number",
        "p_value": "probability",
    }

    statistic: float
    df: int
    p_value: float
    restricted: str
    full: str


_RESTRICTED: Final = (ShiftedBetaGeometricFit, BGNBDFit, ParetoNBDFit, GammaGammaFit)


def _name(fit: object) -> str:
    name = type(fit).__name__.removesuffix("Fit")
    if getattr(fit, "covariates", None) is not None:
        name += " with covariates"
    return name


def _nested(restricted: object, full: object) -> bool:
    if isinstance(restricted, ShiftedBetaGeometricFit):
        return isinstance(full, BetaDiscreteWeibullFit)
    same = type(restricted) is type(full) and isinstance(
        full, (BGNBDFit, ParetoNBDFit, GammaGammaFit)
    )
    if not same:
        return False
    small = getattr(restricted, "covariates", None)
    big = getattr(full, "covariates", None)
    if big is None:
        return False
    if small is None:
        return True
    return all(
        set(enc.columns) <= set(big.encodings[p].columns) if p in big.encodings else False
        for p, enc in small.encodings.items()
    )


def likelihood_ratio_test(restricted: Any, full: Any) -> LikelihoodRatioTest:  # noqa: ANN401
    r"""Test whether the extra parameters of a nesting model improve the fit.

    Parameters
    ----------
    restricted : ShiftedBetaGeometricFit, BGNBDFit, ParetoNBDFit or GammaGammaFit
        The restricted model, fitted.
    full : BetaDiscreteWeibullFit, or the same model with (more) covariates
        The model that nests it (BdW nests the sBG at c = 1; a covariate
        model nests the model without them at zero coefficients), fitted on
        the same customers.

    Returns
    -------
    LikelihoodRatioTest
        The statistic, its degrees of freedom and p-value.

    Raises
    ------
    InputError
        For models that are not a nested pair, not both fitted, or fitted on
        different numbers of customers.
    crmkit.errors.FitError
        When the full model's log-likelihood is materially below the
        restricted one's (its fit did not reach its maximum).

    Notes
    -----
    Under the restriction, :math:`2(\ell_{full} - \ell_{restricted})` is
    asymptotically :math:`\chi^2` with as many degrees of freedom as the full
    model adds (Wilks 1938). For BdW against sBG the restriction c = 1 is
    interior, so the usual distribution applies. The full fits start from the
    restricted optimum, so the statistic is >= 0 up to rounding (clipped at
    0 within 1e-7 relative).

    References
    ----------
    Wilks, S. S. (1938). The large-sample distribution of the likelihood ratio
    for testing composite hypotheses. *Annals of Mathematical Statistics*,
    9(1), 60-62.

    Examples
    --------
    See :class:`LikelihoodRatioTest`.
    """
    fn = "likelihood_ratio_test"
    require_models_extra(fn)
    from scipy import stats  # noqa: PLC0415

    restricted = instance(
        restricted,
        _RESTRICTED,
        name="restricted",
        function=fn,
        what="a ShiftedBetaGeometricFit, BGNBDFit, ParetoNBDFit or GammaGammaFit",
    )
    if not _nested(restricted, full):
        raise InputError.for_parameter(
            "full",
            f"a model that nests the restricted {_name(restricted)} (BdW for an sBG, or the same "
            "model with more covariates)",
            _name(full),
            function=fn,
        )
    for field, fit in (("restricted", restricted), ("full", full)):
        if not fit.diagnostics.fitted:
            raise InputError.for_parameter(
                field, "a fitted model, not one built from parameters", _name(fit), function=fn
            )
    if restricted.n_customers != full.n_customers:
        raise InputError(
            f"The models given to {fn} were fitted on {restricted.n_customers} and "
            f"{full.n_customers} customers; a likelihood-ratio test needs the same data.",
            field="full",
        )
    diff = float(full.log_likelihood) - float(restricted.log_likelihood)
    if diff < -_LR_TOLERANCE * max(1.0, abs(float(restricted.log_likelihood))):
        from crmkit.errors import FitError  # noqa: PLC0415

        raise FitError(
            f"The full model's log-likelihood ({full.log_likelihood:.6g}) is below the restricted "
            f"model's ({restricted.log_likelihood:.6g}); its fit did not reach its maximum."
        )
    statistic = max(0.0, 2.0 * diff)
    df = int(full.n_params - restricted.n_params)
    return LikelihoodRatioTest(
        statistic=statistic,
        df=df,
        p_value=float(stats.chi2.sf(statistic, df)),
        restricted=_name(restricted),
        full=_name(full),
    )


@attrs.frozen(kw_only=True, repr=False)
class ModelComparison(Result):
    r"""Several models fitted on one calibration period and scored on its holdout.

    Attributes
    ----------
    model : ndarray of str, shape (k,)
        The models, in the order asked.
    n_params : ndarray of int64, shape (k,)
        Estimated parameters.
    log_likelihood, aic, bic : ndarray of float64, shape (k,)
        Calibration fit: log-likelihood, :math:`2p - 2\\ell` and
        :math:`p\\ln n - 2\\ell` (lower is better).
    holdout_mae, holdout_rmse : ndarray of float64, shape (k,)
        Per-customer errors of the holdout purchases predicted.
    predicted_total : ndarray of float64, shape (k,)
        Holdout purchases predicted for the calibration customers.
    actual_total : float
        What they actually made.
    tracking_error : ndarray of float64, shape (k,)
        Mean absolute error of the expected cumulative repeat purchases per
        holdout period, relative to the actual cumulative (the aggregate
        tracking plot's gap, in %).
    degenerate : ndarray of bool, shape (k,)
        Whether the fit was degenerate (see :attr:`FitDiagnostics.degenerate`).
    by_frequency : mapping of str to HoldoutComparison
        Per model, the calibration-vs-holdout table by calibration frequency.
    fits : mapping of str to fitted model
        The fitted models.
    best_aic, best_holdout : str
        The model with the lowest AIC and the lowest holdout MAE.

    Examples
    --------
    >>> from crmkit.datasets import simulate_customer_base
    >>> base = simulate_customer_base(2_000, "2022-01-01", "2024-01-01", seed=21, refund_rate=0.0)
    >>> from crmkit.roi import calibration_holdout
    >>> split = calibration_holdout(
    ...     base.transactions,
    ...     freq="week",
    ...     calibration_end="2023-07-01",
    ...     observation_end="2024-01-01",
    ... )
    >>> table = compare_models(split, models=["bgnbd", "pareto_nbd"])
    >>> table.model.tolist(), table.best_aic in ("bgnbd", "pareto_nbd")
    (['bgnbd', 'pareto_nbd'], True)
    """

    _kinds: ClassVar[Mapping[str, Kind]] = {
        "log_likelihood": "number",
        "aic": "number",
        "bic": "number",
        "holdout_mae": "number",
        "holdout_rmse": "number",
        "predicted_total": "number",
        "actual_total": "number",
        "tracking_error": "number",
    }

    _table: ClassVar[tuple[str, ...]] = (
        "model",
        "n_params",
        "log_likelihood",
        "aic",
        "bic",
        "holdout_mae",
        "holdout_rmse",
        "predicted_total",
        "tracking_error",
        "degenerate",
    )

    model: npt.NDArray[np.str_]
    n_params: npt.NDArray[np.int64]
    log_likelihood: FloatArray
    aic: FloatArray
    bic: FloatArray
    holdout_mae: FloatArray
    holdout_rmse: FloatArray
    predicted_total: FloatArray
    actual_total: float
    tracking_error: FloatArray
    degenerate: npt.NDArray[np.bool_]
    by_frequency: Mapping[str, HoldoutComparison] = attrs.field(converter=frozen_mapping)
    fits: Mapping[str, Any] = attrs.field(converter=frozen_mapping)
    best_aic: str
    best_holdout: str


def _tracking(model: AnyPurchaseModel, split: CalibrationHoldout) -> float:
    """Mean |expected - actual| cumulative repeat purchases over the holdout periods, in %."""
    p = prepare(
        model,
        split.calibration,
        frequency=None,
        recency=None,
        T=None,
        covariates=None,
        function="compare_models",
    )
    weights = p.weights()
    periods = np.arange(1, int(split.holdout_length) + 1, dtype=np.float64)
    x, t_x, T = p.rows.frequency, p.rows.recency, p.rows.T
    expected = np.array([float(np.dot(weights, p.kernel.expected(x, t_x, T, k))) for k in periods])
    actual = np.cumsum(split.holdout_by_period.astype(np.float64))
    keep = actual > 0
    if not keep.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs(expected[keep] - actual[keep]) / actual[keep]))


def compare_models(
    split: CalibrationHoldout,
    *,
    models: Sequence[ModelName],
    max_frequency: int = 7,
) -> ModelComparison:
    r"""Fit several purchase models on the calibration period and score them on the holdout.

    Parameters
    ----------
    split : CalibrationHoldout
        A :func:`calibration_holdout` split.
    models : sequence of {"bgnbd", "mbgnbd", "pareto_nbd", "bgbb"}
        The models to fit and compare (BG/BB needs whole-period data, which
        every split is).
    max_frequency : int
        Last group of the calibration-vs-holdout tables (FHL 2005 use 7; at
        most 10,000).

    Returns
    -------
    ModelComparison
        One row per model (log-likelihood, AIC, BIC, holdout MAE and RMSE,
        predicted total, tracking error), the tables by frequency and the fits.

    Raises
    ------
    InputError
        For an unknown or repeated model name, or a bad *split*.
    crmkit.errors.FitError
        When a fit fails outright.

    Warns
    -----
    crmkit.errors.ConvergenceWarning
        From every fit that has doubts (also recorded in ``degenerate`` and
        each fit's diagnostics).

    Notes
    -----
    Each model is fitted by maximum likelihood on ``split.calibration`` and
    predicts :math:`E[Y(t^*) \mid x, t_x, T]` over the holdout length
    :math:`t^*` (:func:`holdout_comparison`). AIC and BIC compare fit
    penalised for parameters; the holdout errors compare prediction; the
    tracking error is
    :math:`\frac{100}{K}\sum_{k}|\sum_i E[Y_i(k)] - C_k| / C_k` over the holdout
    periods k with :math:`C_k` the actual cumulative repeat purchases of the
    calibration customers.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Batislam, E. P., Denizel, M., & Filiztekin, A. (2007). Empirical
    validation and comparison of models for customer base analysis.
    *International Journal of Research in Marketing*, 24(3), 201-209.

    Examples
    --------
    See :class:`ModelComparison`.
    """
    fn = "compare_models"
    require_models_extra(fn)
    data = instance(
        split, CalibrationHoldout, name="split", function=fn, what="a CalibrationHoldout"
    )
    given: object = models
    if isinstance(given, str) or not isinstance(given, Sequence) or not given:
        raise InputError.for_parameter(
            "models",
            "a non-empty sequence of model names",
            models,
            function=fn,
            hint="Pass e.g. models=['bgnbd', 'pareto_nbd'].",
        )
    names = [choice(m, tuple(_FITTERS), name="models", function=fn) for m in models]
    if len(set(names)) != len(names):
        raise InputError.for_parameter("models", "distinct model names", list(models), function=fn)
    bins = integer(
        max_frequency, name="max_frequency", function=fn, minimum=1, maximum=MAX_FREQUENCY_ROWS
    )
    n = int(data.customer.shape[0])
    fits: dict[str, Any] = {}
    tables: dict[str, HoldoutComparison] = {}
    rows: list[tuple[float, ...]] = []
    for name in names:
        fit = _FITTERS[name](data.calibration)
        table = holdout_comparison(fit, data, max_frequency=bins)
        fits[name], tables[name] = fit, table
        k = fit.n_params
        ll = float(fit.log_likelihood)
        rows.append(
            (
                k,
                ll,
                2 * k - 2 * ll,
                k * np.log(n) - 2 * ll,
                table.mean_absolute_error,
                table.root_mean_squared_error,
                table.predicted_total,
                _tracking(fit, data),
                float(fit.diagnostics.degenerate),
            )
        )
    cols = np.array(rows, dtype=np.float64).T
    aic = cols[2]
    mae = cols[4]
    return ModelComparison(
        model=as_readonly(np.array(names)),
        n_params=as_readonly(cols[0].astype(np.int64)),
        log_likelihood=as_readonly(cols[1]),
        aic=as_readonly(aic),
        bic=as_readonly(cols[3]),
        holdout_mae=as_readonly(mae),
        holdout_rmse=as_readonly(cols[5]),
        predicted_total=as_readonly(cols[6]),
        actual_total=float(data.holdout_purchases.sum()),
        tracking_error=as_readonly(cols[7]),
        degenerate=as_readonly(cols[8].astype(bool)),
        by_frequency=tables,
        fits=fits,
        best_aic=names[int(np.argmin(aic))],
        best_holdout=names[int(np.argmin(mae))],
    )
