"""Customer profitability, lifetime value, campaign ROI and the CRM business case.

Customer input-output (a P&L line per customer with activity-based cost to
serve), the whale curve and the customers to fix, retention-based and
buy-till-you-die (BG/NBD + Gamma-Gamma) lifetime value, and lifetime value on
profit rather than revenue.
"""

from crmkit.roi._models._bgbb import BGBBFit, bgbb_from_params, fit_bgbb
from crmkit.roi._models._bgnbd import BGNBDFit, bgnbd_from_params, fit_bgnbd
from crmkit.roi._models._btyd_data import RFMData, SpendData
from crmkit.roi._models._clv import CalendarPeriods, CustomerCLV, customer_clv, profit_clv
from crmkit.roi._models._compare import (
    LikelihoodRatioTest,
    ModelComparison,
    compare_models,
    likelihood_ratio_test,
)
from crmkit.roi._models._contractual import (
    BetaDiscreteWeibullFit,
    ShiftedBetaGeometricFit,
    beta_discrete_weibull_from_params,
    fit_beta_discrete_weibull,
    fit_shifted_beta_geometric,
    shifted_beta_geometric_from_params,
)
from crmkit.roi._models._covariates import CovariateEffects, CovariateEncoding
from crmkit.roi._models._fit import FitDiagnostics
from crmkit.roi._models._gamma_gamma import (
    GammaGammaFit,
    SpendIndependence,
    expected_spend,
    fit_gamma_gamma,
    gamma_gamma_from_params,
    spend_independence,
)
from crmkit.roi._models._holdout import (
    CalibrationHoldout,
    HoldoutComparison,
    calibration_holdout,
    holdout_comparison,
)
from crmkit.roi._models._intervals import (
    PredictionInterval,
    clv_interval,
    expected_purchases_interval,
)
from crmkit.roi._models._mbgnbd import MBGNBDFit, fit_mbgnbd, mbgnbd_from_params
from crmkit.roi._models._pareto import ParetoNBDFit, fit_pareto_nbd, pareto_nbd_from_params
from crmkit.roi._models._predict import (
    PurchaseCountPMF,
    TrackingCurve,
    dert,
    expected_purchases,
    expected_purchases_new_customer,
    probability_alive,
    probability_alive_ahead,
    purchase_count_pmf,
    tracking_curve,
)
from crmkit.roi._models._retention_curves import (
    RetentionCurve,
    derl,
    retention_curve,
    retention_elasticity,
)
from crmkit.roi._profit._pnl import CostColumn, CustomerPnL, MarginRate, customer_pnl
from crmkit.roi._profit._retention import (
    RetentionCLV,
    RetentionEconomics,
    retention_clv,
    retention_economics,
)
from crmkit.roi._profit._views import (
    SegmentProfit,
    UnprofitableCustomers,
    WhaleCurve,
    profit_by_segment,
    unprofitable_customers,
    whale_curve,
)
from crmkit.roi._profit._wallet import WalletOpportunity, wallet_opportunity

__all__ = [
    "BGBBFit",
    "BGNBDFit",
    "BetaDiscreteWeibullFit",
    "CalendarPeriods",
    "CalibrationHoldout",
    "CostColumn",
    "CovariateEffects",
    "CovariateEncoding",
    "CustomerCLV",
    "CustomerPnL",
    "FitDiagnostics",
    "GammaGammaFit",
    "HoldoutComparison",
    "LikelihoodRatioTest",
    "MBGNBDFit",
    "MarginRate",
    "ModelComparison",
    "ParetoNBDFit",
    "PredictionInterval",
    "PurchaseCountPMF",
    "RFMData",
    "RetentionCLV",
    "RetentionCurve",
    "RetentionEconomics",
    "SegmentProfit",
    "ShiftedBetaGeometricFit",
    "SpendData",
    "SpendIndependence",
    "TrackingCurve",
    "UnprofitableCustomers",
    "WalletOpportunity",
    "WhaleCurve",
    "beta_discrete_weibull_from_params",
    "bgbb_from_params",
    "bgnbd_from_params",
    "calibration_holdout",
    "clv_interval",
    "compare_models",
    "customer_clv",
    "customer_pnl",
    "derl",
    "dert",
    "expected_purchases",
    "expected_purchases_interval",
    "expected_purchases_new_customer",
    "expected_spend",
    "fit_beta_discrete_weibull",
    "fit_bgbb",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_pareto_nbd",
    "fit_shifted_beta_geometric",
    "gamma_gamma_from_params",
    "holdout_comparison",
    "likelihood_ratio_test",
    "mbgnbd_from_params",
    "pareto_nbd_from_params",
    "probability_alive",
    "probability_alive_ahead",
    "profit_by_segment",
    "profit_clv",
    "purchase_count_pmf",
    "retention_clv",
    "retention_curve",
    "retention_economics",
    "retention_elasticity",
    "shifted_beta_geometric_from_params",
    "spend_independence",
    "tracking_curve",
    "unprofitable_customers",
    "wallet_opportunity",
    "whale_curve",
]
