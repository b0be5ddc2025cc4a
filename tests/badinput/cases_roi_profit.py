"""Bad-input cases: the profit side of crmkit.roi (P&L, its views, wallet, retention value)."""

from __future__ import annotations

from crmkit.roi import (
    CostColumn,
    CustomerPnL,
    MarginRate,
    customer_pnl,
    profit_by_segment,
    retention_clv,
    retention_economics,
    unprofitable_customers,
    wallet_opportunity,
    whale_curve,
)
from tests.badinput.core import Case, Opt

_TX_CORE = {"customer": "id", "timestamp": "date", "amount": "amount"}
_TX = {**_TX_CORE, "product": "label"}
_RATES = {"books": 0.3, "music": 0.45}


def _transactions() -> dict[str, list[object]]:
    return {
        "customer": ["C001", "C002", "C001", "C003"],
        "timestamp": ["2024-01-05", "2024-01-09", "2024-02-11", "2024-03-01T10:30"],
        "amount": [400.0, 155.0, 60.0, 220.0],
        "product": ["books", "music", "books", "music"],
    }


def _pnl_call() -> dict[str, object]:
    # the side tables name their customer column "client" (activity_customer) so that a
    # bad column in them is told apart from the transactions' "customer"
    return {
        "transactions": _transactions(),
        "margin": MarginRate(rate=_RATES, by="product"),
        "activities": {"client": ["C001", "C002", "C004"], "visits": [2.0, 0.0, 1.0]},
        "unit_costs": {"visits": 40.0},
        "direct_costs": {"client": ["C003", "C003"], "cost": [15.0, 5.0]},
        "activity_customer": "client",
        "direct_cost_column": "cost",
    }


def _cost_column_call() -> dict[str, object]:
    tx = _transactions()
    tx["cogs"] = [250.0, 80.0, 40.0, 120.0]
    return {"transactions": tx, "margin": CostColumn(column="cogs")}


def _pnl() -> CustomerPnL:
    return customer_pnl(**_pnl_call())  # type: ignore[arg-type]


def _customers() -> list[object]:
    return _pnl().customer.tolist()


CASES = [
    Case(
        "roi.customer_pnl",
        customer_pnl,
        _pnl_call,
        params={
            "margin": "value",
            "activity_customer": "frame_column",
            "direct_cost_column": "frame_column",
            "customer": "frame_column",
            "timestamp": "frame_column",
            "amount": "frame_column",
            "date_format": Opt("choice"),
        },
        tables={
            "transactions": _TX,
            "activities": {"client": "id", "visits": "zero_filled"},
            "direct_costs": {"client": "id", "cost": "amount"},
        },
        # profit / revenue is undefined where revenue is 0 (C004 only has activities),
        # profit / cost to serve where nothing is spent on a customer: documented NaN
        nonfinite=frozenset({"profit_margin", "return_on_cost_to_serve"}),
        fields={"client": ("activity_customer",), "cost": ("direct_cost_column",)},
    ),
    Case(
        "roi.customer_pnl",
        customer_pnl,
        _cost_column_call,
        params={"margin": "value"},
        tables={"transactions": {**_TX_CORE, "cogs": "amount"}},
        nonfinite=frozenset({"profit_margin", "return_on_cost_to_serve"}),
    ),
    # the column names these values hold are free text here: whether the column exists is
    # known only when customer_pnl reads the transactions (its cases above)
    Case("roi.MarginRate", MarginRate, lambda: {"rate": 0.3}, params={"rate": "number"}),
    Case(
        "roi.MarginRate",
        MarginRate,
        lambda: {"rate": dict(_RATES), "by": "product"},
        params={"rate": "value", "by": "text"},
        fields={"rate": ("by",)},  # a single rate with by= is refused naming by
    ),
    Case("roi.CostColumn", CostColumn, lambda: {"column": "cogs"}, params={"column": "text"}),
    Case(
        "roi.whale_curve",
        whale_curve,
        lambda: {"values": [120.0, -30.0, 60.0, 10.0], "customer": [11, 12, 13, 14]},
        columns={"values": "amount", "customer": "id"},
        # shares of the total are undefined when the total is <= 0 (overflow variants aside,
        # the valid call's total is positive; one row of -30 would make it negative)
        nonfinite=frozenset({"share_of_total_profit", "peak_share_of_total"}),
    ),
    Case(
        "roi.unprofitable_customers",
        unprofitable_customers,
        lambda: {"pnl": _pnl()},
        params={"pnl": "value"},
        # a driver's share of a cost to serve of 0, or its ratio to an average of 0
        nonfinite=frozenset({"main_driver_share", "main_driver_vs_average"}),
    ),
    Case(
        "roi.profit_by_segment",
        profit_by_segment,
        lambda: {"pnl": _pnl(), "segment": ["a", "b", "a", "b"], "segment_customer": _customers()},
        params={"pnl": "value"},
        columns={"segment": "id", "segment_customer": "id"},
        nonfinite=frozenset({"share_of_profit"}),  # undefined when total profit <= 0
    ),
    Case(
        "roi.wallet_opportunity",
        wallet_opportunity,
        lambda: {
            "pnl": _pnl(),
            "category_spend": [900.0, 400.0, 600.0, 50.0],
            "wallet_customer": _customers(),
            "excess": "raise",
        },
        params={"pnl": "value", "excess": "choice"},
        columns={"category_spend": "amount", "wallet_customer": "id"},
    ),
    Case(
        "roi.retention_clv",
        retention_clv,
        lambda: {
            "margin": [100.0, 80.0, 120.0],
            "retention": 0.8,
            "discount_rate": 0.1,
            "horizon": 5,
            "acquisition_cost": 150.0,
        },
        params={
            "margin": "number",
            "retention": "probability",
            "discount_rate": "number",
            "horizon": "count",
            "acquisition_cost": "number",
        },
        columns={"margin": "number"},
        empty="result",  # element-wise: no customers, no values
    ),
    Case(
        "roi.retention_clv",
        retention_clv,
        lambda: {
            "margin": 100.0,
            "retention": [0.5, 0.8],
            "discount_rate": [0.1, 0.05],
            "horizon": "infinite",
            "acquisition_cost": [150.0, 90.0],
        },
        columns={"retention": "number", "discount_rate": "number", "acquisition_cost": "number"},
        empty="result",
    ),
    Case(
        "roi.retention_economics",
        retention_economics,
        lambda: {
            "margin": 100.0,
            "retention": 0.75,
            "uplift": 0.05,
            "discount_rate": 0.1,
            "new_customers": 1_000,
            "acquisition_cost": 120.0,
            "retention_cost": 5.0,
        },
        params={
            "margin": "number",
            "retention": "probability",
            "uplift": "number",
            "discount_rate": "number",
            "new_customers": "positive",
            "acquisition_cost": "positive",
            "retention_cost": "positive",
        },
    ),
]

EXEMPT: dict[str, str] = {}
