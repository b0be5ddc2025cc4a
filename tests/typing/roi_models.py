"""Type-checked, never run: pins the public signatures of the customer-base model family.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_type

import numpy as np
import numpy.typing as npt

from crmkit.datasets import (
    SimulatedContracts,
    SimulatedHistories,
    simulate_contracts,
    simulate_donor_histories,
    simulate_purchase_histories,
)
from crmkit.roi import (
    BetaDiscreteWeibullFit,
    BGBBFit,
    BGNBDFit,
    CalendarPeriods,
    CalibrationHoldout,
    CovariateEffects,
    CovariateEncoding,
    CustomerCLV,
    FitDiagnostics,
    GammaGammaFit,
    HoldoutComparison,
    LikelihoodRatioTest,
    MBGNBDFit,
    ModelComparison,
    ParetoNBDFit,
    PredictionInterval,
    PurchaseCountPMF,
    RetentionCurve,
    ShiftedBetaGeometricFit,
    TrackingCurve,
    beta_discrete_weibull_from_params,
    bgbb_from_params,
    bgnbd_from_params,
    clv_interval,
    compare_models,
    customer_clv,
    derl,
    dert,
    expected_purchases_interval,
    expected_purchases_new_customer,
    fit_beta_discrete_weibull,
    fit_bgbb,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    fit_pareto_nbd,
    fit_shifted_beta_geometric,
    gamma_gamma_from_params,
    holdout_comparison,
    likelihood_ratio_test,
    mbgnbd_from_params,
    pareto_nbd_from_params,
    probability_alive,
    probability_alive_ahead,
    purchase_count_pmf,
    retention_curve,
    retention_elasticity,
    shifted_beta_geometric_from_params,
    tracking_curve,
)
from crmkit.segmentation import BTYDSummary

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def diagnostics(fit: BGNBDFit) -> None:
    d = fit.diagnostics
    assert_type(d, FitDiagnostics)
    assert_type(d.hessian_condition, float)
    assert_type(d.at_bound, tuple[str, ...])
    assert_type(d.degenerate, bool)
    assert_type(d.parameter_names, tuple[str, ...])
    assert_type(d.covariance, FloatArray)
    assert_type(d.working_covariance, FloatArray)
    assert_type(d.fitted, bool)
    assert_type(d.summary(), str)
    assert_type(fit.n_params, int)
    assert_type(fit.covariates, CovariateEffects | None)


def purchase_models(summary: BTYDSummary, table: Mapping[str, Any]) -> None:
    mbg = fit_mbgnbd(summary)
    assert_type(mbg, MBGNBDFit)
    mbg = fit_mbgnbd(frequency=[0, 2], recency=[0.0, 30.0], T=[40.0, 50.0])
    assert_type(mbg.params, dict[str, float])
    assert_type(mbg.standard_errors, dict[str, float])
    assert_type(mbg.n_params, int)
    assert_type(mbgnbd_from_params(r=0.5, alpha=6.0, a=0.9, b=1.6), MBGNBDFit)

    bgbb = fit_bgbb(summary)
    assert_type(bgbb, BGBBFit)
    bgbb = fit_bgbb(frequency=[0, 2], recency=[0, 3], T=[6, 6], weights=[10.0, 3.0])
    assert_type(bgbb.alpha, float)
    assert_type(bgbb.delta, float)
    assert_type(bgbb_from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8), BGBBFit)

    effects = CovariateEffects(
        encodings={
            "purchase": CovariateEncoding(
                sources=("channel",), columns=("channel[web]",), reference={"channel": "store"}
            )
        },
        coefficients={"purchase": {"channel[web]": 0.4}},
        standard_errors={},
    )
    assert_type(effects.processes, tuple[str, ...])
    assert_type(effects.coefficients, Mapping[str, Mapping[str, float]])
    bg = fit_bgnbd(
        summary, covariates=table, purchase_covariates=["channel"], dropout_covariates=["age"]
    )
    assert_type(bg, BGNBDFit)
    assert_type(bgnbd_from_params(r=0.2, alpha=4.0, a=0.8, b=2.0, covariates=effects), BGNBDFit)
    pnbd = fit_pareto_nbd(summary, covariates=table, purchase_covariates=["channel"])
    assert_type(pnbd, ParetoNBDFit)
    assert_type(
        pareto_nbd_from_params(r=0.5, alpha=10.0, s=0.5, beta=10.0, covariates=effects),
        ParetoNBDFit,
    )
    gg = fit_gamma_gamma(summary, covariates=table, spend_covariates=["channel"])
    assert_type(gg, GammaGammaFit)
    assert_type(gamma_gamma_from_params(p=6.0, q=4.0, gamma=15.0, covariates=None), GammaGammaFit)

    for model in (bg, mbg, pnbd, bgbb):
        assert_type(probability_alive(model, summary, covariates=None), FloatArray)
    assert_type(probability_alive_ahead(bg, summary, t=10.0, covariates=table), FloatArray)
    assert_type(expected_purchases_new_customer(mbg, t=[1.0, 2.0]), FloatArray)
    pmf = purchase_count_pmf(pnbd, t=39.0, n_max=10)
    assert_type(pmf, PurchaseCountPMF)
    assert_type(pmf.n, IntArray)
    assert_type(pmf.probability, FloatArray)
    assert_type(pmf.tail, float)
    assert_type(pmf.mean, float)
    assert_type(dert(bgbb, summary, discount_rate=0.1), FloatArray)
    curve = tracking_curve(bg, summary, t=[-10.0, 0.0, 10.0], covariates=table)
    assert_type(curve, TrackingCurve)
    assert_type(curve.cumulative, FloatArray)
    assert_type(curve.incremental, FloatArray)
    assert_type(curve.n_customers, int)


def contracts() -> None:
    sbg = fit_shifted_beta_geometric([1000, 631, 468])
    assert_type(sbg, ShiftedBetaGeometricFit)
    sbg = fit_shifted_beta_geometric(tenure=[1, 2, 3], churned=[True, False, True])
    assert_type(sbg.alpha, float)
    assert_type(sbg.c, float)
    bdw = fit_beta_discrete_weibull([1000, 631, 468, 382])
    assert_type(bdw, BetaDiscreteWeibullFit)
    assert_type(bdw.c, float)
    assert_type(shifted_beta_geometric_from_params(alpha=0.7, beta=1.2), ShiftedBetaGeometricFit)
    assert_type(
        beta_discrete_weibull_from_params(alpha=0.7, beta=1.2, c=0.8), BetaDiscreteWeibullFit
    )
    curve = retention_curve(bdw, periods=12)
    assert_type(curve, RetentionCurve)
    assert_type(curve.period, IntArray)
    assert_type(curve.survival, FloatArray)
    assert_type(curve.retention_rate, FloatArray)
    assert_type(curve.churn_probability, FloatArray)
    assert_type(derl(sbg, discount_rate=0.1, renewals=[0, 1]), FloatArray)
    assert_type(retention_elasticity(sbg, discount_rate=0.1, renewals=3), FloatArray)
    test = likelihood_ratio_test(sbg, bdw)
    assert_type(test, LikelihoodRatioTest)
    assert_type(test.statistic, float)
    assert_type(test.df, int)
    assert_type(test.p_value, float)


def uncertainty_and_value(summary: BTYDSummary, bg: BGNBDFit, gg: GammaGammaFit) -> None:
    band = expected_purchases_interval(bg, summary, t=26.0, level=0.9, seed=1)
    assert_type(band, PredictionInterval)
    band = expected_purchases_interval(
        bg, summary, t=26.0, level=0.8, seed=np.random.default_rng(1), n_draws=128
    )
    assert_type(band.estimate, FloatArray)
    assert_type(band.lower, FloatArray)
    assert_type(band.upper, FloatArray)
    assert_type(band.total_lower, float)
    assert_type(band.level, float)
    assert_type(band.n_draws, int)
    months = CalendarPeriods(as_of="2024-07-01", freq="month", time_unit="week")
    assert_type(months.ends(12), FloatArray)
    assert_type(months.as_of, np.datetime64)
    value = clv_interval(
        bg, gg, summary, periods=12, calendar=months, discount_rate=0.01, level=0.9, seed=2
    )
    assert_type(value, PredictionInterval)
    clv = customer_clv(bg, gg, summary, periods=12, calendar=months, discount_rate=0.01)
    assert_type(clv, CustomerCLV)
    assert_type(clv.period_ends, FloatArray)
    assert_type(clv.schedule, str)


def comparison(split: CalibrationHoldout) -> None:
    table = compare_models(split, models=["bgnbd", "pareto_nbd"])
    assert_type(table, ModelComparison)
    assert_type(table.model, npt.NDArray[np.str_])
    assert_type(table.aic, FloatArray)
    assert_type(table.tracking_error, FloatArray)
    assert_type(table.by_frequency, Mapping[str, HoldoutComparison])
    assert_type(table.best_aic, str)
    assert_type(split.holdout_by_period, IntArray)
    assert_type(holdout_comparison(table.fits["bgnbd"], split, covariates=None), HoldoutComparison)


def simulators(bg: BGNBDFit, bgbb: BGBBFit, sbg: ShiftedBetaGeometricFit) -> None:
    sim = simulate_purchase_histories(bg, T=39.0, n_customers=100, seed=1)
    assert_type(sim, SimulatedHistories)
    assert_type(sim.frequency, FloatArray)
    assert_type(sim.alive, npt.NDArray[np.bool_])
    assert_type(
        simulate_donor_histories(bgbb, n_customers=10, n_periods=6, seed=1), SimulatedHistories
    )
    cohort = simulate_contracts(sbg, n_customers=10, n_periods=6, seed=1)
    assert_type(cohort, SimulatedContracts)
    assert_type(cohort.survivors, IntArray)
    assert_type(cohort.tenure, FloatArray)
