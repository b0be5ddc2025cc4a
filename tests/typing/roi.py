"""Type-checked, never run: pins the public signatures of crmkit.roi.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, assert_type

import numpy as np
import numpy.typing as npt

from crmkit import Transactions
from crmkit.datasets import (
    SimulatedCostDrivers,
    SimulatedCustomerBase,
    simulate_cost_drivers,
)
from crmkit.periods import Frequency
from crmkit.roi import (
    BGNBDFit,
    CalibrationHoldout,
    CostColumn,
    CustomerCLV,
    CustomerPnL,
    FitDiagnostics,
    GammaGammaFit,
    HoldoutComparison,
    MarginRate,
    ParetoNBDFit,
    RetentionCLV,
    RetentionEconomics,
    RFMData,
    SegmentProfit,
    SpendData,
    SpendIndependence,
    UnprofitableCustomers,
    WalletOpportunity,
    WhaleCurve,
    bgnbd_from_params,
    calibration_holdout,
    customer_clv,
    customer_pnl,
    expected_purchases,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    gamma_gamma_from_params,
    holdout_comparison,
    pareto_nbd_from_params,
    probability_alive,
    profit_by_segment,
    profit_clv,
    retention_clv,
    retention_economics,
    spend_independence,
    unprofitable_customers,
    wallet_opportunity,
    whale_curve,
)
from crmkit.segmentation import BTYDSummary

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def protocols(summary: BTYDSummary) -> None:
    rfm: RFMData = summary
    spend: SpendData = summary
    assert_type(rfm.frequency, npt.ArrayLike)
    assert_type(rfm.recency, npt.ArrayLike)
    assert_type(rfm.T, npt.ArrayLike)
    assert_type(spend.monetary_value, npt.ArrayLike)


def purchase_models(summary: BTYDSummary) -> None:
    bg = fit_bgnbd(summary)
    assert_type(bg, BGNBDFit)
    bg = fit_bgnbd(frequency=[0, 2], recency=[0.0, 30.0], T=[40.0, 50.0])
    assert_type(bg.r, float)
    assert_type(bg.alpha, float)
    assert_type(bg.a, float)
    assert_type(bg.b, float)
    assert_type(bg.log_likelihood, float)
    assert_type(bg.n_customers, int)
    assert_type(bg.n_distinct_rows, int)
    assert_type(bg.params, dict[str, float])
    assert_type(bg.standard_errors, dict[str, float])
    assert_type(bg.to_dict(), dict[str, object])
    diag = bg.diagnostics
    assert_type(diag, FitDiagnostics)
    assert_type(diag.converged, bool)
    assert_type(diag.optimizer_message, str)
    assert_type(diag.n_iterations, int)
    assert_type(diag.n_evaluations, int)
    assert_type(diag.gradient_norm, float)
    assert_type(diag.hessian_positive_definite, bool)
    assert_type(diag.standard_errors, Mapping[str, float])
    assert_type(diag.warnings, tuple[str, ...])
    assert_type(diag.ok, bool)
    assert_type(bgnbd_from_params(r=0.2, alpha=4.0, a=0.8, b=2.0), BGNBDFit)

    pnbd = fit_pareto_nbd(summary)
    assert_type(pnbd, ParetoNBDFit)
    pnbd = fit_pareto_nbd(frequency=[0, 2], recency=[0.0, 30.0], T=[40.0, 50.0])
    assert_type(pnbd.r, float)
    assert_type(pnbd.alpha, float)
    assert_type(pnbd.s, float)
    assert_type(pnbd.beta, float)
    assert_type(pnbd.log_likelihood, float)
    assert_type(pnbd.params, dict[str, float])
    assert_type(pnbd.standard_errors, dict[str, float])
    assert_type(pnbd.diagnostics, FitDiagnostics)
    assert_type(pareto_nbd_from_params(r=0.5, alpha=10.0, s=0.5, beta=10.0), ParetoNBDFit)

    assert_type(probability_alive(bg, summary), FloatArray)
    assert_type(probability_alive(pnbd, frequency=[1], recency=[2.0], T=[3.0]), FloatArray)
    assert_type(expected_purchases(bg, summary, t=10.0), FloatArray)
    assert_type(expected_purchases(pnbd, t=10.0, frequency=[1], recency=[2.0], T=[3.0]), FloatArray)


def spend_models(summary: BTYDSummary) -> None:
    gg = fit_gamma_gamma(summary)
    assert_type(gg, GammaGammaFit)
    gg = fit_gamma_gamma(
        frequency=[1, 2], recency=[1.0, 2.0], T=[3.0, 4.0], monetary_value=[5.0, 6.0]
    )
    assert_type(gg.p, float)
    assert_type(gg.q, float)
    assert_type(gg.gamma, float)
    assert_type(gg.log_likelihood, float)
    assert_type(gg.n_customers, int)
    assert_type(gg.n_excluded, int)
    assert_type(gg.n_distinct_rows, int)
    assert_type(gg.independence, SpendIndependence | None)
    assert_type(gg.diagnostics, FitDiagnostics)
    assert_type(gg.params, dict[str, float])
    assert_type(gg.mean_spend, float)
    assert_type(gamma_gamma_from_params(p=6.0, q=4.0, gamma=15.0), GammaGammaFit)

    assert_type(expected_spend(gg, summary), FloatArray)
    assert_type(expected_spend(gg, frequency=[1], monetary_value=[5.0]), FloatArray)

    ind = spend_independence(summary)
    assert_type(ind, SpendIndependence)
    ind = spend_independence(frequency=[1, 2], monetary_value=[5.0, 6.0])
    assert_type(ind.correlation, float)
    assert_type(ind.p_value, float)
    assert_type(ind.n_customers, int)
    assert_type(ind.plausible, bool)


def clv_api(summary: BTYDSummary, bg: BGNBDFit, pnbd: ParetoNBDFit, pnl: CustomerPnL) -> None:
    gg = gamma_gamma_from_params(p=6.0, q=4.0, gamma=15.0)
    clv = customer_clv(bg, gg, summary, periods=12, period_length=30.0, discount_rate=0.01)
    assert_type(clv, CustomerCLV)
    clv = customer_clv(
        pnbd,
        gg,
        periods=12,
        period_length=30.0,
        discount_rate=0.01,
        frequency=[1],
        recency=[2.0],
        T=[3.0],
        monetary_value=[5.0],
    )
    assert_type(clv.customer, npt.NDArray[Any])
    assert_type(clv.p_alive, FloatArray)
    assert_type(clv.expected_purchases, FloatArray)
    assert_type(clv.value_per_purchase, FloatArray)
    assert_type(clv.clv, FloatArray)
    assert_type(clv.basis, Literal["spend", "profit"])
    assert_type(clv.periods, int)
    assert_type(clv.period_length, float)
    assert_type(clv.discount_rate, float)
    assert_type(clv.total_clv, float)
    assert_type(clv.n_negative, int)
    assert_type(clv.table(), dict[str, npt.NDArray[Any]])

    assert_type(
        profit_clv(bg, summary, periods=12, period_length=30.0, discount_rate=0.01, pnl=pnl),
        CustomerCLV,
    )
    assert_type(
        profit_clv(
            pnbd,
            periods=12,
            period_length=30.0,
            discount_rate=0.01,
            profit_per_purchase=[4.0],
            frequency=[1],
            recency=[2.0],
            T=[3.0],
        ),
        CustomerCLV,
    )


def holdout_api(tx: Transactions, bg: BGNBDFit, pnbd: ParetoNBDFit) -> None:
    cal = calibration_holdout(
        tx, freq="week", calibration_end="2024-06-30", observation_end="2024-12-31"
    )
    assert_type(cal, CalibrationHoldout)
    cal = calibration_holdout(
        {"id": [1], "ts": ["2024-01-01"], "value": [1.0]},
        freq=Frequency.DAY,
        calibration_end="2024-06-30",
        observation_end="2024-12-31",
        customer="id",
        timestamp="ts",
        amount="value",
        date_format="%Y-%m-%d",
    )
    assert_type(cal.calibration, BTYDSummary)
    assert_type(cal.customer, npt.NDArray[Any])
    assert_type(cal.holdout_purchases, IntArray)
    assert_type(cal.holdout_length, float)
    assert_type(cal.calibration_end, np.datetime64)
    assert_type(cal.observation_end, np.datetime64)
    assert_type(cal.freq, Frequency)
    assert_type(cal.n_new_in_holdout, int)

    comp = holdout_comparison(bg, cal)
    assert_type(comp, HoldoutComparison)
    comp = holdout_comparison(
        pnbd,
        cal.calibration,
        holdout_purchases=cal.holdout_purchases,
        holdout_length=cal.holdout_length,
        max_frequency=5,
    )
    assert_type(comp.frequency, IntArray)
    assert_type(comp.n_customers, IntArray)
    assert_type(comp.predicted, FloatArray)
    assert_type(comp.actual, FloatArray)
    assert_type(comp.predicted_total, float)
    assert_type(comp.actual_total, float)
    assert_type(comp.mean_absolute_error, float)
    assert_type(comp.root_mean_squared_error, float)
    assert_type(comp.correlation, float)
    assert_type(comp.customer_predicted, FloatArray)
    assert_type(comp.customer_actual, FloatArray)
    assert_type(comp.holdout_length, float)


def retention_api() -> None:
    rc = retention_clv(100.0, retention=0.8, discount_rate=0.1, horizon="infinite")
    assert_type(rc, RetentionCLV)
    rc = retention_clv(
        [100.0, 200.0],
        retention=[0.8, 0.9],
        discount_rate=0.1,
        horizon=5,
        acquisition_cost=[50.0, 60.0],
    )
    assert_type(rc.margin, FloatArray)
    assert_type(rc.retention, FloatArray)
    assert_type(rc.discount_rate, FloatArray)
    assert_type(rc.clv, FloatArray)
    assert_type(rc.margin_multiple, FloatArray)
    assert_type(rc.expected_periods, FloatArray)
    assert_type(rc.acquisition_cost, FloatArray)
    assert_type(rc.net_value, FloatArray)
    assert_type(rc.horizon, int | Literal["infinite"])

    econ = retention_economics(
        margin=100.0,
        retention=0.8,
        uplift=0.05,
        discount_rate=0.1,
        new_customers=1000.0,
        acquisition_cost=200.0,
    )
    assert_type(econ, RetentionEconomics)
    econ = retention_economics(
        margin=100.0,
        retention=0.8,
        uplift=0.05,
        discount_rate=0.1,
        new_customers=1000.0,
        acquisition_cost=200.0,
        retention_cost=10.0,
    )
    assert_type(econ.retention_before, float)
    assert_type(econ.clv_change, float)
    assert_type(econ.profit_change, float)
    assert_type(econ.programme_cost, float)
    assert_type(econ.acquisition_cost_to_match, float)
    assert_type(econ.break_even_retention_cost, float)


def profitability_api(base: SimulatedCustomerBase, tx: Transactions) -> None:
    drivers = simulate_cost_drivers(base, seed=1)
    assert_type(drivers, SimulatedCostDrivers)
    drivers = simulate_cost_drivers(tx, seed=np.random.default_rng(1), high_touch_share=0.1)
    assert_type(drivers.customer, npt.NDArray[Any])
    assert_type(drivers.counts, Mapping[str, IntArray])
    assert_type(drivers.unit_costs, Mapping[str, float])
    assert_type(drivers.margin_rates, Mapping[str, float])
    assert_type(drivers.high_touch, npt.NDArray[np.bool_])
    assert_type(drivers.activities, dict[str, npt.NDArray[Any]])

    flat = MarginRate(rate=0.3)
    assert_type(flat.rate, float | Mapping[str, float])
    assert_type(flat.by, str | None)
    by_category = MarginRate(rate={"books": 0.28, "music": 0.35}, by="category")
    assert_type(by_category, MarginRate)
    cost = CostColumn(column="cost")
    assert_type(cost.column, str)

    pnl = customer_pnl(tx, margin=flat)
    assert_type(pnl, CustomerPnL)
    pnl = customer_pnl(
        base.transactions,
        margin=cost,
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
        direct_costs={"customer": [1], "cost": [5.0]},
        activity_customer="customer",
        direct_cost_column="cost",
    )
    pnl = customer_pnl(
        {"cust": ["a"], "day": ["20240105"], "eur": [9.0]},
        margin=flat,
        customer="cust",
        timestamp="day",
        amount="eur",
        date_format="%Y%m%d",
    )
    assert_type(pnl.customer, npt.NDArray[Any])
    assert_type(pnl.n_purchases, IntArray)
    assert_type(pnl.revenue, FloatArray)
    assert_type(pnl.gross_margin, FloatArray)
    assert_type(pnl.activity_counts, Mapping[str, FloatArray])
    assert_type(pnl.activity_costs, Mapping[str, FloatArray])
    assert_type(pnl.cost_to_serve, FloatArray)
    assert_type(pnl.profit, FloatArray)
    assert_type(pnl.return_on_cost_to_serve, FloatArray)
    assert_type(pnl.unit_costs, Mapping[str, float])
    assert_type(pnl.n_without_transactions, int)
    assert_type(pnl.n_counts_filled, int)
    assert_type(pnl.total_profit, float)
    assert_type(pnl.total_revenue, float)
    assert_type(pnl.table(), dict[str, npt.NDArray[Any]])
    assert_type(pnl.to_frame(), Any)

    whale = whale_curve(pnl)
    assert_type(whale, WhaleCurve)
    whale = whale_curve([10.0, -5.0], customer=["a", "b"])
    assert_type(whale.customer, npt.NDArray[Any])
    assert_type(whale.cumulative_profit, FloatArray)
    assert_type(whale.share_of_customers, FloatArray)
    assert_type(whale.share_of_total_profit, FloatArray)
    assert_type(whale.total_profit, float)
    assert_type(whale.peak_profit, float)
    assert_type(whale.peak_customers, int)
    assert_type(whale.peak_share_of_total, float)
    assert_type(whale.tail_give_back, float)
    assert_type(whale.n_unprofitable, int)

    bad = unprofitable_customers(pnl)
    assert_type(bad, UnprofitableCustomers)
    assert_type(bad.main_cost_driver, npt.NDArray[np.str_])
    assert_type(bad.main_driver_share, FloatArray)
    assert_type(bad.total_loss, float)
    assert_type(bad.n_customers, int)

    seg = profit_by_segment(pnl, segment=["gold", "silver"])
    assert_type(seg, SegmentProfit)
    seg = profit_by_segment(pnl, segment=["gold"], segment_customer=[1])
    assert_type(seg.segment, npt.NDArray[Any])
    assert_type(seg.n_customers, IntArray)
    assert_type(seg.n_unprofitable, IntArray)
    assert_type(seg.profit_per_customer, FloatArray)
    assert_type(seg.share_of_profit, FloatArray)
    assert_type(seg.total_profit, float)

    wallet = wallet_opportunity(pnl, category_spend=[1000.0, 2000.0])
    assert_type(wallet, WalletOpportunity)
    wallet = wallet_opportunity(pnl, category_spend=[1000.0], wallet_customer=[1], excess="cap")
    assert_type(wallet.customer, npt.NDArray[Any])
    assert_type(wallet.share, FloatArray)
    assert_type(wallet.wallet_gap, FloatArray)
    assert_type(wallet.gap_margin, FloatArray)
    assert_type(wallet.overall_share, float)
    assert_type(wallet.n_capped, int)
