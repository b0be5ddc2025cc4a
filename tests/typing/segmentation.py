"""Type-checked, never run: pins the public signatures of crmkit.segmentation.

CI checks it with ``mypy --strict tests/typing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, assert_type

import numpy as np
import numpy.typing as npt

from crmkit import Transactions
from crmkit.periods import Calendar, Frequency
from crmkit.segmentation import (
    RFM_GRID_10,
    RFM_GRID_11,
    ABCClasses,
    Absolute,
    BTYDSummary,
    Concentration,
    CountBy,
    CrossSell,
    DimensionScores,
    LorenzCurve,
    ParetoPoint,
    ProductAffinity,
    ProductMix,
    Quantile,
    RFMScores,
    RFMSummary,
    RuleTable,
    RuleTableCheck,
    ScoreRange,
    ScoringMethod,
    SegmentMigration,
    SegmentRule,
    Segments,
    SegmentSummary,
    ShareOfWallet,
    TimeUnit,
    ValueClasses,
    ValueMatrix,
    ValueTiers,
    abc_classes,
    assign_segments,
    btyd_summary,
    check_rule_table,
    concentration,
    cross_sell,
    gini,
    lorenz_curve,
    pareto_point,
    product_affinity,
    product_mix,
    rfm_scores,
    rfm_summary,
    score_values,
    segment_migration,
    segment_summary,
    share_of_wallet,
    top_share,
    value_classes,
    value_potential_matrix,
    value_tiers,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]


def summary_api(tx: Transactions) -> None:
    assert_type(TimeUnit.MONTH, Literal[TimeUnit.MONTH])
    assert_type(TimeUnit.WEEK.days, float)
    count_by: CountBy = "week"
    assert_type(count_by, Literal["transaction", "day", "week", "month", "quarter", "year"])

    s = rfm_summary(tx, unit="day")
    assert_type(s, RFMSummary)
    s = rfm_summary(
        {"customer": [1], "timestamp": ["2024-01-01"], "amount": [1.0]},
        unit=TimeUnit.WEEK,
        as_of="2024-02-01",
        start="2023-01-01",
        count_by=count_by,
        purchases="all",
        calendar=Calendar(fiscal_year_start_month=4),
        customer="customer",
        timestamp="timestamp",
        amount="amount",
    )
    assert_type(s.customer, npt.NDArray[Any])
    assert_type(s.recency, FloatArray)
    assert_type(s.frequency, IntArray)
    assert_type(s.monetary, FloatArray)
    assert_type(s.monetary_mean, FloatArray)
    assert_type(s.first_purchase, TimeArray)
    assert_type(s.last_purchase, TimeArray)
    assert_type(s.tenure, FloatArray)
    assert_type(s.as_of, np.datetime64)
    assert_type(s.as_of_is_default, bool)
    assert_type(s.start, np.datetime64 | None)
    assert_type(s.unit, TimeUnit)
    assert_type(s.count_by, CountBy)
    assert_type(s.purchases, Literal["positive", "all"])
    assert_type(s.n_rows_used, int)
    assert_type(s.computed_in, str)
    assert_type(s.n_rows_after_as_of, int)
    assert_type(s.n_rows_before_start, int)
    assert_type(s.n_rows_not_purchases, int)
    assert_type(s.n_customers_without_purchase, int)
    assert_type(s.table(), dict[str, npt.NDArray[Any]])
    assert_type(s.to_dict(), dict[str, object])
    assert_type(s.to_frame(), Any)
    assert_type(s.to_frame("polars"), Any)
    assert_type(s.to_frame_like({}), Any)

    b = btyd_summary(tx, freq="week")
    assert_type(b, BTYDSummary)
    b = btyd_summary(
        tx,
        freq=Frequency.MONTH,
        as_of="2024-02-01",
        include_first_transaction=True,
        calendar=Calendar(),
        customer="c",
        timestamp="t",
        amount="a",
    )
    assert_type(b.customer, npt.NDArray[Any])
    assert_type(b.frequency, IntArray)
    assert_type(b.recency, FloatArray)
    assert_type(b.T, FloatArray)
    assert_type(b.monetary_value, FloatArray)
    assert_type(b.as_of, np.datetime64)
    assert_type(b.as_of_is_default, bool)
    assert_type(b.freq, Frequency)
    assert_type(b.include_first_transaction, bool)
    assert_type(b.n_rows_used, int)
    assert_type(b.n_rows_after_as_of, int)
    assert_type(b.n_customers_after_as_of, int)
    assert_type(b.n_negative_rows, int)
    assert_type(b.computed_in, str)


def scores_api(summary: RFMSummary) -> None:
    assert_type(ScoringMethod.RANK, Literal[ScoringMethod.RANK])
    assert_type(ScoringMethod("quantile"), ScoringMethod)

    d = score_values([1.0, 2.0, 3.0])
    assert_type(d, DimensionScores)
    d = score_values(np.array([1.0, 2.0]), k=3, method=ScoringMethod.RANK, higher_is_better=False)
    d = score_values([1.0, 2.0], k=3, method="thresholds", edges=[1.0, 2.0])
    assert_type(d.score, IntArray)
    assert_type(d.k, int)
    assert_type(d.method, ScoringMethod)
    assert_type(d.edges, FloatArray | None)
    assert_type(d.higher_is_better, bool)
    assert_type(d.levels_used, int)

    r = rfm_scores(summary)
    assert_type(r, RFMScores)
    r = rfm_scores(summary, k=4, method="rank", weights=(1.0, 1.0, 2.0), monetary="mean")
    r = rfm_scores(
        {"customer": [1, 2], "recency": [3, 40], "frequency": [9, 2], "monetary": [9.0, 8.0]},
        k=3,
        method=ScoringMethod.THRESHOLDS,
        edges={"recency": [10, 30], "frequency": [2, 5], "monetary": [5.0, 50.0]},
        weights={"recency": 2.0, "frequency": 1.0},
        monetary="total",
    )
    assert_type(r.customer, npt.NDArray[Any])
    assert_type(r.recency, FloatArray)
    assert_type(r.frequency, FloatArray)
    assert_type(r.monetary, FloatArray)
    assert_type(r.recency_score, IntArray)
    assert_type(r.frequency_score, IntArray)
    assert_type(r.monetary_score, IntArray)
    assert_type(r.score, FloatArray)
    assert_type(r.cell, npt.NDArray[np.str_])
    assert_type(r.k, int)
    assert_type(r.method, ScoringMethod)
    assert_type(r.weights, Mapping[str, float])
    assert_type(r.edges, Mapping[str, FloatArray | None])
    assert_type(r.levels_used, Mapping[str, int])


def rules_api() -> None:
    rng = ScoreRange(4, 5)
    assert_type(rng, ScoreRange)
    assert_type(rng.low, int)
    assert_type(rng.high, int)
    assert_type(rng.contains(5), bool)

    rule = SegmentRule(name="champions", recency=5, frequency=(4, 5), monetary=rng)
    assert_type(rule, SegmentRule)
    rule = SegmentRule(name="any")
    assert_type(rule.name, str)
    assert_type(rule.recency, ScoreRange | None)
    assert_type(rule.frequency, ScoreRange | None)
    assert_type(rule.monetary, ScoreRange | None)
    assert_type(rule.ranges(2), tuple[ScoreRange | None, ...])

    check = check_rule_table([rule], k=5)
    assert_type(check, RuleTableCheck)
    assert_type(check.k, int)
    assert_type(check.dimensions, tuple[str, ...])
    assert_type(check.gaps, tuple[tuple[int, ...], ...])
    assert_type(check.overlaps, tuple[tuple[tuple[int, ...], tuple[str, ...]], ...])
    assert_type(check.unreachable, tuple[str, ...])
    assert_type(check.ok, bool)
    assert_type(check.describe(), str)

    table = RuleTable(rules=[rule], k=3, fallback="other")
    assert_type(table, RuleTable)
    table = RuleTable(rules=(rule,))
    assert_type(table.rules, tuple[SegmentRule, ...])
    assert_type(table.k, int)
    assert_type(table.fallback, str | None)
    assert_type(table.check(), RuleTableCheck)
    assert_type(table.dimensions, int)
    assert_type(table.segments, tuple[str, ...])
    assert_type(table.lookup(), IntArray)
    assert_type(RFM_GRID_10, RuleTable)
    assert_type(RFM_GRID_11, RuleTable)


def segments_api(scores: RFMScores) -> None:
    seg = assign_segments(scores)
    assert_type(seg, Segments)
    seg = assign_segments(scores, table=RFM_GRID_11)
    assert_type(seg.customer, npt.NDArray[Any])
    assert_type(seg.segment, npt.NDArray[np.str_])
    assert_type(seg.code, IntArray)
    assert_type(seg.names, tuple[str, ...])
    assert_type(seg.scores, RFMScores)
    assert_type(seg.rule_table, RuleTable)
    assert_type(seg.counts, Mapping[str, int])

    t = segment_summary(seg)
    assert_type(t, SegmentSummary)
    t = segment_summary(seg, revenue=[1.0, 2.0], by=["web", "store"], by_name="channel")
    assert_type(t, SegmentSummary)
    t = segment_summary(seg, by=np.array([1, 2]))
    assert_type(t.segment, npt.NDArray[np.str_])
    assert_type(t.group, npt.NDArray[Any])
    assert_type(t.customers, IntArray)
    assert_type(t.customer_share, FloatArray)
    assert_type(t.revenue, FloatArray)
    assert_type(t.revenue_share, FloatArray)
    assert_type(t.mean_recency, FloatArray)
    assert_type(t.mean_frequency, FloatArray)
    assert_type(t.mean_monetary, FloatArray)
    assert_type(t.mean_recency_score, FloatArray)
    assert_type(t.mean_frequency_score, FloatArray)
    assert_type(t.mean_monetary_score, FloatArray)
    assert_type(t.by_name, str | None)
    assert_type(t.table(), dict[str, npt.NDArray[Any]])

    m = segment_migration(seg, seg)
    assert_type(m, SegmentMigration)
    assert_type(m.from_segment, npt.NDArray[np.str_])
    assert_type(m.to_segment, npt.NDArray[np.str_])
    assert_type(m.customers, IntArray)
    assert_type(m.labels, tuple[str, ...])
    assert_type(m.matrix, IntArray)
    assert_type(m.entered, IntArray)
    assert_type(m.left, IntArray)
    assert_type(m.n_matched, int)
    assert_type(m.retention_share(), FloatArray)


def concentration_api() -> None:
    values = [500.0, 200.0, 100.0, 50.0]
    c = lorenz_curve(values)
    assert_type(c, LorenzCurve)
    assert_type(c.population_share, FloatArray)
    assert_type(c.value_share, FloatArray)
    assert_type(c.gini, float)
    assert_type(c.total, float)
    assert_type(c.n_negative, int)

    assert_type(gini(np.array(values)), float)

    assert_type(top_share(values, 0.2), float)
    assert_type(top_share(values, np.float64(0.2)), float)
    assert_type(top_share(values, [0.1, 0.5]), FloatArray)
    assert_type(top_share(values, (0.1, 0.5)), FloatArray)
    assert_type(top_share(values, np.array([0.1, 0.5])), FloatArray)

    pt = pareto_point(values)
    assert_type(pt, ParetoPoint)
    assert_type(pt.customer_share, float)
    assert_type(pt.value_share, float)
    assert_type(str(pt), str)

    abc = abc_classes(values)
    assert_type(abc, ABCClasses)
    abc = abc_classes(
        values, thresholds=[0.5, 0.8, 0.95], labels=["A", "B", "C", "D"], customer=["a"] * 4
    )
    assert_type(abc.customer, npt.NDArray[Any])
    assert_type(abc.value, FloatArray)
    assert_type(abc.abc_class, npt.NDArray[np.str_])
    assert_type(abc.code, npt.NDArray[np.int8])
    assert_type(abc.thresholds, tuple[float, ...])
    assert_type(abc.labels, tuple[str, ...])
    assert_type(abc.customers, Mapping[str, int])
    assert_type(abc.value_share, Mapping[str, float])


def concentration_result_api() -> None:
    c = concentration(np.array([500.0, 200.0, 100.0]))
    assert_type(c, Concentration)
    assert_type(concentration([1.0, 2.0]), Concentration)
    assert_type(c.value, FloatArray)
    assert_type(c.sorted_value, FloatArray)
    assert_type(c.population_share, FloatArray)
    assert_type(c.cumulative_share, FloatArray)
    assert_type(c.total, float)
    assert_type(c.gini, float)
    assert_type(c.n_negative, int)
    assert_type(c.lorenz_curve(), LorenzCurve)
    assert_type(c.top_share(0.2), float)
    assert_type(c.top_share([0.1, 0.2]), FloatArray)
    assert_type(c.top_share(np.array([0.1, 0.2])), FloatArray)
    assert_type(c.pareto_point(), ParetoPoint)
    assert_type(c.abc_classes(), ABCClasses)
    assert_type(
        c.abc_classes(thresholds=[0.5, 0.9], labels=["A", "B", "C"], customer=[1, 2, 3]),
        ABCClasses,
    )


def value_api() -> None:
    values = [500.0, 200.0, 100.0, 50.0]
    tiers = value_tiers(values)
    assert_type(tiers, ValueTiers)
    tiers = value_tiers(
        values,
        cuts=[0.25, 0.5],
        labels=["gold", "silver", "bronze"],
        negative_tier="loss",
        customer=[1, 2, 3, 4],
    )
    assert_type(tiers.customer, npt.NDArray[Any])
    assert_type(tiers.value, FloatArray)
    assert_type(tiers.tier, npt.NDArray[np.str_])
    assert_type(tiers.labels, tuple[str, ...])
    assert_type(tiers.customers, Mapping[str, int])
    assert_type(tiers.value_total, Mapping[str, float])
    assert_type(tiers.value_share, Mapping[str, float])

    q = Quantile(0.75)
    assert_type(q, Quantile)
    assert_type(q.q, float)
    a = Absolute(250.0)
    assert_type(a, Absolute)
    assert_type(Absolute(250), Absolute)
    assert_type(a.value, float)

    vm = value_potential_matrix(values, values, current_threshold=q, potential_threshold=a)
    assert_type(vm, ValueMatrix)
    vm = value_potential_matrix(
        np.array(values),
        values,
        current_threshold=Absolute(100.0),
        potential_threshold=Quantile(0.5),
        customer=["a", "b", "c", "d"],
    )
    assert_type(vm.customer, npt.NDArray[Any])
    assert_type(vm.current, FloatArray)
    assert_type(vm.potential, FloatArray)
    assert_type(vm.quadrant, npt.NDArray[np.str_])
    assert_type(vm.current_cut, float)
    assert_type(vm.potential_cut, float)
    assert_type(vm.customers, Mapping[str, int])
    assert_type(vm.current_total, Mapping[str, float])

    sow = share_of_wallet(values, [600.0, 300.0, 100.0, 80.0])
    assert_type(sow, ShareOfWallet)
    sow = share_of_wallet(values, values, customer=[1, 2, 3, 4], excess="cap")
    assert_type(sow.customer, npt.NDArray[Any])
    assert_type(sow.our_spend, FloatArray)
    assert_type(sow.category_spend, FloatArray)
    assert_type(sow.share, FloatArray)
    assert_type(sow.wallet_gap, FloatArray)
    assert_type(sow.overall_share, float)
    assert_type(sow.n_capped, int)

    vc = value_classes(values, values, [10.0, -5.0, 3.0, 1.0])
    assert_type(vc, ValueClasses)
    vc = value_classes(
        values,
        values,
        values,
        valuable_share=0.1,
        growable_share=0.3,
        labels=["mvc", "mgc", "bz", "rest"],
        customer=[1, 2, 3, 4],
    )
    assert_type(vc.customer, npt.NDArray[Any])
    assert_type(vc.value_class, npt.NDArray[np.str_])
    assert_type(vc.labels, tuple[str, ...])
    assert_type(vc.customers, Mapping[str, int])


def products_api(tx: Transactions, seg: Segments) -> None:
    mix = product_mix(tx)
    assert_type(mix, ProductMix)
    mix = product_mix(tx, product="sku", segments=seg)
    mix = product_mix(
        tx,
        segments={"customer": [1, 2], "segment": ["a", "b"]},
        customer="c",
        timestamp="t",
        amount="a",
    )
    assert_type(mix.customer, npt.NDArray[Any])
    assert_type(mix.product, npt.NDArray[Any])
    assert_type(mix.revenue, FloatArray)
    assert_type(mix.share, FloatArray)
    assert_type(mix.products, npt.NDArray[Any])
    assert_type(mix.customers, npt.NDArray[Any])
    assert_type(mix.customer_share, FloatArray)
    assert_type(mix.segment_names, tuple[str, ...])
    assert_type(mix.segment_share, FloatArray)
    assert_type(mix.n_customers_nonpositive, int)
    assert_type(mix.n_customers_unsegmented, int)

    aff = product_affinity(tx)
    assert_type(aff, ProductAffinity)
    aff = product_affinity(tx, product="sku", min_support=0.01)
    assert_type(aff.antecedent, npt.NDArray[Any])
    assert_type(aff.consequent, npt.NDArray[Any])
    assert_type(aff.customers_both, IntArray)
    assert_type(aff.support, FloatArray)
    assert_type(aff.confidence, FloatArray)
    assert_type(aff.lift, FloatArray)
    assert_type(aff.products, npt.NDArray[Any])
    assert_type(aff.buyers, IntArray)
    assert_type(aff.n_customers, int)
    assert_type(aff.min_support, float)

    cs = cross_sell(tx, seg)
    assert_type(cs, CrossSell)
    cs = cross_sell(tx, {"customer": [1], "segment": ["a"]}, n=5, product="sku")
    assert_type(cs.customer, npt.NDArray[Any])
    assert_type(cs.rank, IntArray)
    assert_type(cs.product, npt.NDArray[Any])
    assert_type(cs.segment, npt.NDArray[np.str_])
    assert_type(cs.penetration, FloatArray)
    assert_type(cs.n, int)
    assert_type(cs.n_customers_unsegmented, int)
