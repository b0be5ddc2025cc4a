"""Customer profitability, lifetime value, campaign ROI and the CRM business case.

Customer input-output (a P&L line per customer with activity-based cost to
serve), the whale curve and the customers to fix, retention-based and
buy-till-you-die (BG/NBD + Gamma-Gamma) lifetime value, lifetime value on
profit rather than revenue; which campaigns and channels paid back (campaign
results, lift against a control group, rule-based, milestone and data-driven
attribution); whether a CRM investment pays back (TCO, benefit streams,
sensitivity, scenarios, Monte Carlo); and the vectorised finance core under it
(NPV, IRR, MIRR, XNPV, XIRR, payback) on one cash-flow series or many scenarios.
"""

from crmkit.roi._attribution._attribute import (
    Attribution,
    AttributionComparison,
    ChannelWeights,
    ConversionCredits,
    attribute,
    attribution_credits,
    compare_attribution,
)
from crmkit.roi._attribution._clv import ChannelValue, clv_attribution
from crmkit.roi._attribution._models import (
    SHAPLEY_MAX_CHANNELS,
    AttributionModel,
    FirstTouch,
    FullPath,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    PositionBased,
    Shapley,
    TimeDecay,
    WShaped,
)
from crmkit.roi._attribution._paths import TouchpointPaths, touchpoint_paths
from crmkit.roi._business_case._evaluate import BusinessCaseResult, evaluate_business_case
from crmkit.roi._business_case._plan import (
    BenefitKind,
    BenefitStream,
    BusinessCase,
    CostCategory,
    CostItem,
)
from crmkit.roi._business_case._uncertainty import (
    BusinessCaseSimulation,
    Distribution,
    ScenarioResults,
    Sensitivity,
    Triangular,
    Uniform,
    scenarios,
    sensitivity,
    simulate_business_case,
)
from crmkit.roi._campaigns._lift import (
    DetectableLift,
    LiftTest,
    SampleSize,
    lift_test,
    minimum_detectable_lift,
    sample_size_for_lift,
)
from crmkit.roi._campaigns._results import (
    AttributedRevenue,
    CampaignResults,
    CampaignTotals,
    CustomerRevenue,
    DealRevenue,
    Metric,
    campaign_results,
)
from crmkit.roi._campaigns._table import Campaigns
from crmkit.roi._finance._payback import Payback, discounted_payback_period, payback_period
from crmkit.roi._finance._rates import (
    IRRRoots,
    irr,
    irr_roots,
    mirr,
    npv,
    xirr,
    xirr_roots,
    xnpv,
)
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
    "SHAPLEY_MAX_CHANNELS",
    "AttributedRevenue",
    "Attribution",
    "AttributionComparison",
    "AttributionModel",
    "BGBBFit",
    "BGNBDFit",
    "BenefitKind",
    "BenefitStream",
    "BetaDiscreteWeibullFit",
    "BusinessCase",
    "BusinessCaseResult",
    "BusinessCaseSimulation",
    "CalendarPeriods",
    "CalibrationHoldout",
    "CampaignResults",
    "CampaignTotals",
    "Campaigns",
    "ChannelValue",
    "ChannelWeights",
    "ConversionCredits",
    "CostCategory",
    "CostColumn",
    "CostItem",
    "CovariateEffects",
    "CovariateEncoding",
    "CustomerCLV",
    "CustomerPnL",
    "CustomerRevenue",
    "DealRevenue",
    "DetectableLift",
    "Distribution",
    "FirstTouch",
    "FitDiagnostics",
    "FrequencyRecencyMatrix",
    "FullPath",
    "GammaGammaFit",
    "HoldoutComparison",
    "IRRRoots",
    "LastNonDirect",
    "LastTouch",
    "LiftTest",
    "LikelihoodRatioTest",
    "Linear",
    "MBGNBDFit",
    "MarginRate",
    "MarkovChain",
    "Metric",
    "ModelComparison",
    "ParetoNBDFit",
    "Payback",
    "PositionBased",
    "PredictionInterval",
    "PurchaseCountPMF",
    "PurchaseTracking",
    "RFMData",
    "RepeatPurchaseHistogram",
    "RetentionCLV",
    "RetentionCurve",
    "RetentionEconomics",
    "SampleSize",
    "ScenarioResults",
    "SegmentProfit",
    "Sensitivity",
    "Shapley",
    "ShiftedBetaGeometricFit",
    "SpendData",
    "SpendIndependence",
    "TimeDecay",
    "TouchpointPaths",
    "TrackingCurve",
    "Triangular",
    "Uniform",
    "UnprofitableCustomers",
    "WShaped",
    "WalletOpportunity",
    "WhaleCurve",
    "alive_matrix",
    "attribute",
    "attribution_credits",
    "beta_discrete_weibull_from_params",
    "bgbb_from_params",
    "bgnbd_from_params",
    "calibration_holdout",
    "campaign_results",
    "clv_attribution",
    "clv_interval",
    "compare_attribution",
    "compare_models",
    "customer_clv",
    "customer_pnl",
    "derl",
    "dert",
    "discounted_payback_period",
    "evaluate_business_case",
    "expected_purchases",
    "expected_purchases_interval",
    "expected_purchases_matrix",
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
    "irr",
    "irr_roots",
    "lift_test",
    "likelihood_ratio_test",
    "mbgnbd_from_params",
    "minimum_detectable_lift",
    "mirr",
    "npv",
    "pareto_nbd_from_params",
    "payback_period",
    "probability_alive",
    "probability_alive_ahead",
    "profit_by_segment",
    "profit_clv",
    "purchase_count_pmf",
    "purchase_tracking",
    "repeat_purchase_histogram",
    "retention_clv",
    "retention_curve",
    "retention_economics",
    "retention_elasticity",
    "sample_size_for_lift",
    "scenarios",
    "sensitivity",
    "shifted_beta_geometric_from_params",
    "simulate_business_case",
    "spend_independence",
    "touchpoint_paths",
    "tracking_curve",
    "unprofitable_customers",
    "wallet_opportunity",
    "whale_curve",
    "xirr",
    "xirr_roots",
    "xnpv",
]
