"""Customer profitability, lifetime value, campaign ROI and the CRM business case.

Customer input-output (a P&L line per customer with activity-based cost to
serve), the whale curve and the customers to fix, retention-based and
buy-till-you-die (BG/NBD + Gamma-Gamma) lifetime value, and lifetime value on
profit rather than revenue.
"""

from crmkit.roi._models._bgnbd import (
    BGNBDFit,
    bgnbd_from_params,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from crmkit.roi._models._btyd_data import RFMData, SpendData
from crmkit.roi._models._clv import CustomerCLV, customer_clv, profit_clv
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
from crmkit.roi._models._model_views import (
    FrequencyRecencyMatrix,
    PurchaseTracking,
    RepeatPurchaseHistogram,
    alive_matrix,
    expected_purchases_matrix,
    purchase_tracking,
    repeat_purchase_histogram,
)
from crmkit.roi._models._pareto import ParetoNBDFit, fit_pareto_nbd, pareto_nbd_from_params
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
    "BGNBDFit",
    "CalibrationHoldout",
    "CostColumn",
    "CustomerCLV",
    "CustomerPnL",
    "FitDiagnostics",
    "FrequencyRecencyMatrix",
    "GammaGammaFit",
    "HoldoutComparison",
    "MarginRate",
    "ParetoNBDFit",
    "PurchaseTracking",
    "RFMData",
    "RepeatPurchaseHistogram",
    "RetentionCLV",
    "RetentionEconomics",
    "SegmentProfit",
    "SpendData",
    "SpendIndependence",
    "UnprofitableCustomers",
    "WalletOpportunity",
    "WhaleCurve",
    "alive_matrix",
    "bgnbd_from_params",
    "calibration_holdout",
    "customer_clv",
    "customer_pnl",
    "expected_purchases",
    "expected_purchases_matrix",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "gamma_gamma_from_params",
    "holdout_comparison",
    "pareto_nbd_from_params",
    "probability_alive",
    "profit_by_segment",
    "profit_clv",
    "purchase_tracking",
    "repeat_purchase_histogram",
    "retention_clv",
    "retention_economics",
    "spend_independence",
    "unprofitable_customers",
    "wallet_opportunity",
    "whale_curve",
]
