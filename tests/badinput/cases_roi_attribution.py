"""Bad-input cases: the rest of crmkit.roi's campaigns, attribution, business case and finance.

(``cases_roi_campaigns.py`` has their readers and value classes; this file the calls on
what those build.)
"""

from __future__ import annotations

from crmkit import roi
from tests.badinput.core import Case, Opt


def _paths() -> roi.TouchpointPaths:
    return roi.touchpoint_paths(
        {
            "customer": [1, 1, 1, 2, 2, 3],
            "timestamp": [
                "2024-01-01",
                "2024-01-03",
                "2024-01-05",
                "2024-01-02",
                "2024-01-04",
                "2024-01-02",
            ],
            "channel": ["display", "email", "search", "email", "events", "search"],
        },
        {
            "customer": [1, 2, 3],
            "timestamp": ["2024-01-06", "2024-01-05", "2024-01-03"],
            "value": [120.0, 300.0, 80.0],
        },
        lookback_days=None,
    )


def _pnl() -> roi.CustomerPnL:
    return roi.customer_pnl(
        {
            "customer": [1, 2, 3],
            "timestamp": ["2024-01-06", "2024-01-05", "2024-01-03"],
            "amount": [500.0, 700.0, 90.0],
        },
        margin=roi.MarginRate(rate=0.4),
    )


def _campaigns() -> roi.Campaigns:
    return roi.Campaigns.from_arrays(
        campaign=["mail", "fair"], budget=[1_000.0, 5_000.0], spend=[900.0, 6_000.0]
    )


def _case() -> roi.BusinessCase:
    return roi.BusinessCase(
        costs=(roi.CostItem(name="licences", category="technology", one_off=50_000.0),),
        benefits=(roi.BenefitStream(name="service", kind="cost reduction", value=20_000.0),),
        periods=3,
        discount_rate=0.08,
        first_period=0,
    )


CASES = [
    Case(
        "roi.FullPath",
        roi.FullPath,
        lambda: {"first": 0.25, "lead": 0.25, "opportunity": 0.2, "won": 0.2, "rest": 0.1},
        params={
            "first": "probability",
            "lead": "probability",
            "opportunity": "probability",
            "won": "probability",
            "rest": "probability",
        },
        # the weights must sum to 1: a changed one is refused as the set of weights
        fields=dict.fromkeys(("first", "lead", "opportunity", "won", "rest"), ("weights",)),
    ),
    Case(
        "roi.WShaped",
        roi.WShaped,
        lambda: {"first": 0.3, "lead": 0.3, "opportunity": 0.3, "rest": 0.1},
        params={
            "first": "probability",
            "lead": "probability",
            "opportunity": "probability",
            "rest": "probability",
        },
        fields=dict.fromkeys(("first", "lead", "opportunity", "rest"), ("weights",)),
    ),
    Case(
        "roi.attribute",
        roi.attribute,
        lambda: {"paths": _paths(), "model": roi.Linear()},
        params={"paths": "value", "model": "value"},
    ),
    Case(
        "roi.attribution_credits",
        roi.attribution_credits,
        lambda: {"paths": _paths(), "model": roi.PositionBased()},
        params={"paths": "value", "model": "value"},
    ),
    Case(
        "roi.compare_attribution",
        roi.compare_attribution,
        lambda: {"paths": _paths(), "models": [roi.Linear(), roi.LastTouch()]},
        params={"paths": "value", "models": "value"},
    ),
    Case(
        "roi.clv_attribution",
        roi.clv_attribution,
        lambda: {
            "paths": _paths(),
            "model": roi.Linear(),
            "clv": [300.0, 1_200.0, 150.0],
            "customer": [1, 2, 3],
            "spend": {"email": 200.0, "search": 300.0, "display": 50.0, "events": 400.0},
        },
        # (spend={} is valid: unlisted channels spent 0)
        params={"paths": "value", "model": "value"},
        columns={"clv": "amount", "customer": "id"},
        fields={"customer": ("clv",), "clv": ("customer",)},  # two columns: either is odd
        # ratios to a channel's spend (none for a channel without spend) are documented NaN
        nonfinite=frozenset({"ltv_to_spend", "roi"}),
    ),
    Case(
        "roi.AttributedRevenue",
        roi.AttributedRevenue,
        lambda: {"paths": _paths(), "model": roi.Linear(), "margin": roi.MarginRate(rate=0.5)},
        params={"paths": "value", "model": "value", "margin": "value"},
    ),
    Case(
        "roi.DealRevenue",
        roi.DealRevenue,
        lambda: {"margin": roi.MarginRate(rate=0.35)},
        params={"margin": "value"},
    ),
    Case(
        "roi.CustomerRevenue",
        roi.CustomerRevenue,
        lambda: {"pnl": _pnl(), "customer": [1, 2, 3], "campaign": ["mail", "fair", "mail"]},
        params={"pnl": "value"},
        columns={"customer": "id", "campaign": "id"},
        empty="result",  # no customer acquired is a valid (empty) revenue
        fields={"customer": ("campaign",), "campaign": ("customer",)},
        # the P&L's profit per cost to serve is NaN where nothing is spent (documented)
        nonfinite=frozenset({"return_on_cost_to_serve", "profit_margin"}),
    ),
    Case(
        "roi.campaign_results",
        roi.campaign_results,
        lambda: {
            "campaigns": _campaigns(),
            "leads": ["mail"] * 30 + ["fair"] * 40,
            "opportunities": None,
            "revenue": roi.CustomerRevenue(
                pnl=_pnl(), customer=[1, 2, 3], campaign=["mail", "fair", "mail"]
            ),
        },
        params={
            "campaigns": "value",
            "opportunities": Opt("value"),
            "revenue": "value",
            "by": Opt("names"),
            "campaign_dimension": "text",
        },
        columns={"leads": "id"},
        empty="result",  # no leads is a valid count of none
        # documented NaN: the funnel stages not given (no opportunities here), the ratios
        # taken from them, and the payback of campaigns without dated gains
        nonfinite=frozenset(
            {
                "opportunities",
                "won_deals",
                "lead_to_opportunity",
                "opportunity_to_won",
                "lead_to_won",
                "payback_days",
                "cost_per_lead",
                "cost_per_opportunity",
                "cost_per_deal",
            }
        ),
    ),
    Case(
        "roi.evaluate_business_case",
        roi.evaluate_business_case,
        lambda: {"case": _case()},
        params={"case": "value"},
        nonfinite=frozenset({"payback_period", "discounted_payback_period"}),
    ),
    Case(
        "roi.scenarios",
        roi.scenarios,
        lambda: {
            "case": _case(),
            "named": {"pessimistic": {"service": 0.8}, "expected": {}, "optimistic": {}},
        },
        params={"case": "value", "named": "value"},
        nonfinite=frozenset({"payback_period", "discounted_payback_period"}),
    ),
    Case(
        "roi.xirr_roots",
        roi.xirr_roots,
        lambda: {
            "cashflows": [-100.0, 30.0, 40.0, 50.0],
            "dates": ["2024-01-01", "2024-07-01", "2025-01-01", "2025-07-01"],
        },
        columns={"cashflows": "number", "dates": "date"},
    ),
]

EXEMPT: dict[str, str] = {
    "roi.FirstTouch": "takes no argument: there is no input to make bad",
    "roi.LastTouch": "takes no argument: there is no input to make bad",
    "roi.Linear": "takes no argument: there is no input to make bad",
    "roi.Shapley": "takes no argument: there is no input to make bad",
    "roi.TouchpointPaths": "the result of touchpoint_paths (cases_roi_campaigns.py), not built "
    "by callers",
    "roi.Campaigns": "the attrs form of validated arrays; built by from_arrays and from_frame "
    "(cases_roi_campaigns.py), which every public path goes through",
}
