"""Bad-input cases: crmkit.segmentation."""

from __future__ import annotations

from crmkit import segmentation as seg
from tests.badinput.core import Case, Opt

_TX = {"customer": "id", "timestamp": "date", "amount": "amount"}
_TX_PRODUCTS = {**_TX, "product": "label"}


def _orders() -> dict[str, list[object]]:
    return {
        "customer": ["C1", "C2", "C1", "C3", "C2", "C4", "C5", "C1"],
        "timestamp": [
            "2024-01-05",
            "2024-01-09",
            "2024-02-11",
            "2024-03-01",
            "2024-03-15",
            "2024-04-02",
            "2024-05-20",
            "2024-06-01",
        ],
        "amount": [40.0, 15.5, 60.0, 22.0, 18.0, 75.0, 9.5, 33.0],
        "product": ["tea", "cake", "tea", "coffee", "cake", "tea", "coffee", "cake"],
    }


def _summary() -> seg.RFMSummary:
    return seg.rfm_summary(_orders(), unit="day", as_of="2024-07-01")


def _scores() -> seg.RFMScores:
    return seg.rfm_scores(_summary(), k=2)


def _segments() -> seg.Segments:
    return seg.assign_segments(_scores(), table=_table())


def _table() -> seg.RuleTable:
    rules = [
        seg.SegmentRule(name="best", recency=seg.ScoreRange(2, 2)),
        seg.SegmentRule(name="rest", recency=seg.ScoreRange(1, 1)),
    ]
    return seg.RuleTable(rules=rules, k=2)


_VALUES = [5.0, 80.0, 12.0, 3.0, 40.0, 1.0]
_IDS = ["a", "b", "c", "d", "e", "f"]

CASES = [
    Case(
        "segmentation.rfm_summary",
        seg.rfm_summary,
        lambda: {"data": _orders(), "unit": "day", "as_of": "2024-07-01"},
        params={
            "unit": "choice",
            "as_of": Opt("date"),
            "start": Opt("date"),
            "count_by": "choice",
            "purchases": "choice",
            "customer": "frame_column",
            "date_format": Opt("choice"),
        },
        tables={"data": _TX},
    ),
    Case(
        "segmentation.btyd_summary",
        seg.btyd_summary,
        lambda: {"data": _orders(), "freq": "week", "as_of": "2024-07-01"},
        params={
            "freq": "choice",
            "as_of": Opt("date"),
            "include_first_transaction": "flag",
            "timestamp": "frame_column",
            "date_format": Opt("choice"),
        },
        tables={"data": _TX},
    ),
    Case(
        "segmentation.rfm_scores",
        seg.rfm_scores,
        lambda: {"summary": _summary(), "k": 2},
        params={"k": "count", "method": "choice", "monetary": "choice"},
    ),
    Case(
        "segmentation.score_values",
        seg.score_values,
        lambda: {"values": list(_VALUES), "k": 3},
        params={"k": "count", "method": "choice", "higher_is_better": "flag"},
        columns={"values": "number"},
    ),
    Case(
        "segmentation.assign_segments",
        seg.assign_segments,
        lambda: {"scores": _scores(), "table": _table()},
    ),
    Case(
        "segmentation.segment_summary",
        seg.segment_summary,
        lambda: {"segments": _segments(), "revenue": [1.0, 2.0, 3.0, 4.0, 5.0]},
        columns={"revenue": "number"},
    ),
    Case(
        "segmentation.segment_migration",
        seg.segment_migration,
        lambda: {"before": _segments(), "after": _segments()},
    ),
    Case(
        "segmentation.check_rule_table",
        seg.check_rule_table,
        lambda: {"rules": list(_table().rules), "k": 2},
        params={"k": "count"},
    ),
    Case(
        "segmentation.gini",
        seg.gini,
        lambda: {"values": list(_VALUES)},
        columns={"values": "number"},
    ),
    Case(
        "segmentation.concentration",
        seg.concentration,
        lambda: {"values": list(_VALUES)},
        columns={"values": "number"},
    ),
    Case(
        "segmentation.lorenz_curve",
        seg.lorenz_curve,
        lambda: {"values": list(_VALUES)},
        columns={"values": "number"},
    ),
    Case(
        "segmentation.pareto_point",
        seg.pareto_point,
        lambda: {"values": list(_VALUES)},
        columns={"values": "number"},
    ),
    Case(
        "segmentation.top_share",
        seg.top_share,
        lambda: {"values": list(_VALUES), "p": 0.2},
        params={"p": "probability"},
        columns={"values": "number"},
    ),
    Case(
        "segmentation.abc_classes",
        seg.abc_classes,
        lambda: {"values": list(_VALUES), "customer": list(_IDS)},
        columns={"values": "number", "customer": "id"},
    ),
    Case(
        "segmentation.value_tiers",
        seg.value_tiers,
        lambda: {"values": list(_VALUES), "customer": list(_IDS)},
        params={"negative_tier": Opt("text")},
        columns={"values": "number", "customer": "id"},
    ),
    Case(
        "segmentation.value_potential_matrix",
        seg.value_potential_matrix,
        lambda: {
            "current": list(_VALUES),
            "potential": [9.0, 1.0, 30.0, 2.0, 8.0, 4.0],
            "current_threshold": seg.Quantile(0.5),
            "potential_threshold": seg.Absolute(5.0),
        },
        columns={"current": "number", "potential": "number"},
    ),
    Case(
        "segmentation.value_classes",
        seg.value_classes,
        lambda: {
            "current": list(_VALUES),
            "potential": [9.0, 1.0, 30.0, 2.0, 8.0, 4.0],
            "profit": [1.0, -2.0, 3.0, 0.5, 4.0, -1.0],
        },
        params={"valuable_share": "probability", "growable_share": "probability"},
        columns={"current": "number", "potential": "number", "profit": "number"},
    ),
    Case(
        "segmentation.share_of_wallet",
        seg.share_of_wallet,
        lambda: {
            "our_spend": [10.0, 20.0, 5.0],
            "category_spend": [40.0, 20.0, 50.0],
            "customer": ["a", "b", "c"],
        },
        params={"excess": "choice"},
        columns={"our_spend": "number", "category_spend": "number", "customer": "id"},
    ),
    Case(
        "segmentation.product_mix",
        seg.product_mix,
        lambda: {"data": _orders()},
        params={"product": "frame_column"},
        tables={"data": _TX_PRODUCTS},
    ),
    Case(
        "segmentation.product_affinity",
        seg.product_affinity,
        lambda: {"data": _orders()},
        params={"product": "frame_column", "min_support": "probability"},
        tables={"data": _TX_PRODUCTS},
    ),
    Case(
        "segmentation.cross_sell",
        seg.cross_sell,
        lambda: {"data": _orders(), "segments": _segments()},
        params={"n": "count", "product": "frame_column"},
        tables={"data": _TX_PRODUCTS},
    ),
    Case(
        "segmentation.SegmentRule",
        seg.SegmentRule,
        lambda: {"name": "best", "recency": seg.ScoreRange(4, 5)},
        params={"name": "text"},
    ),
    Case(
        "segmentation.ScoreRange",
        seg.ScoreRange,
        lambda: {"low": 2, "high": 4},
        params={"low": "count", "high": "count"},
    ),
    Case("segmentation.Quantile", seg.Quantile, lambda: {"q": 0.8}, params={"q": "probability"}),
    Case(
        "segmentation.Absolute", seg.Absolute, lambda: {"value": 100.0}, params={"value": "number"}
    ),
    Case(
        "segmentation.RuleTable",
        seg.RuleTable,
        lambda: {"rules": list(_table().rules), "k": 2},
        params={"k": "count", "fallback": Opt("text")},
    ),
]

EXEMPT = {
    "segmentation.RuleTableCheck": "a result type, built by check_rule_table (covered above)",
}
