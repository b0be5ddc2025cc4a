"""Small results of every kind, built once, for the chart and notebook-table tests."""

from __future__ import annotations

import numpy as np
import pytest

from crmkit import Transactions
from crmkit.datasets import (
    simulate_cost_drivers,
    simulate_customer_base,
    simulate_lifecycle,
    simulate_pipeline,
)
from crmkit.funnel import (
    backtest_forecast,
    evaluate_win_scorer,
    fit_stage_rates,
    fit_win_scorer,
    lattice_forecast,
    scorecards,
)
from crmkit.lifecycle import (
    TransitionMatrix,
    churn_by_period,
    cohort_retention,
    project_stages,
    stage_panel,
    time_in_stage,
)
from crmkit.roi import (
    MarginRate,
    alive_matrix,
    calibration_holdout,
    customer_clv,
    customer_pnl,
    fit_bgnbd,
    fit_gamma_gamma,
    holdout_comparison,
    profit_by_segment,
    purchase_tracking,
    repeat_purchase_histogram,
    whale_curve,
)
from crmkit.segmentation import (
    Quantile,
    abc_classes,
    assign_segments,
    btyd_summary,
    lorenz_curve,
    rfm_scores,
    rfm_summary,
    segment_migration,
    segment_summary,
    share_of_wallet,
    value_potential_matrix,
    value_tiers,
)


@pytest.fixture(scope="session")
def results():
    """One result per chart, on small seeded data (the same every run)."""
    base = simulate_customer_base(1_500, "2023-01-01", "2024-07-01", seed=7)
    tx: Transactions = base.transactions
    rfm = rfm_summary(tx, unit="day", as_of="2024-07-01")
    scores = rfm_scores(rfm)
    seg = assign_segments(scores)
    before = assign_segments(rfm_scores(rfm_summary(tx, unit="day", as_of="2024-01-01")))
    rng = np.random.default_rng(5)
    wallet = share_of_wallet(rfm.monetary, rfm.monetary + rng.gamma(2.0, 400.0, rfm.monetary.size))
    btyd = btyd_summary(tx, freq="week", as_of="2024-07-01")
    bg = fit_bgnbd(btyd)
    buyers = btyd.filter((btyd.frequency == 0) | (btyd.monetary_value > 0))
    gg = fit_gamma_gamma(buyers)
    split = calibration_holdout(
        tx, freq="week", calibration_end="2024-01-01", observation_end="2024-07-01"
    )
    cal_fit = fit_bgnbd(split.calibration)
    drivers = simulate_cost_drivers(base, seed=7)
    pnl = customer_pnl(
        tx,
        margin=MarginRate(rate=dict(drivers.margin_rates), by="product"),
        activities=drivers.activities,
        unit_costs=drivers.unit_costs,
    )
    tiers = value_tiers(pnl.revenue, customer=pnl.customer)
    sim = simulate_pipeline(1_200, "2022-01-01", "2024-01-01", seed=4)
    opps = sim.opportunities
    rates = fit_stage_rates(sim.history)
    dist0 = lattice_forecast(opps, period="month", probabilities="configured")
    dist = lattice_forecast(
        opps,
        period="month",
        probabilities="configured",
        quotas={"period": dist0.period, "quota": dist0.p50 * 1.1},
    )
    bt = backtest_forecast(
        sim.history,
        opportunity=opps.id,
        amount=opps.amount,
        expected_close=sim.deals["expected_close"],
        snapshots=[f"2023-{m:02d}-01" for m in range(1, 13, 2)],
        horizon_days=90,
        methods=("configured", "calibrated"),
        maturity_days=120,
    )
    matrix = TransitionMatrix.from_probabilities(
        [[0.6, 0.4, 0.0], [0.05, 0.8, 0.15], [0.0, 0.1, 0.9]], stages=["new", "active", "lapsed"]
    )
    life = simulate_lifecycle(
        400,
        probabilities=matrix.probabilities,
        stages=matrix.stages,
        n_periods=12,
        start="2023-01-01",
        seed=3,
    )
    panel = stage_panel(
        {"customer": life.customer, "stage": life.stage, "timestamp": life.period_start},
        frequency="month",
        as_of="2024-01-01",
    )
    entries = {
        "customer": np.r_[np.arange(300), np.arange(300)],
        "stage": ["trial"] * 300 + ["paying"] * 300,
        "timestamp": np.r_[
            np.datetime64("2024-01-01") + rng.integers(0, 60, 300).astype("m8[D]"),
            np.datetime64("2024-03-15") + rng.integers(0, 60, 300).astype("m8[D]"),
        ],
    }
    return {
        "rfm": rfm,
        "btyd": btyd,
        "scores": scores,
        "segments": seg,
        "segment_summary": segment_summary(seg),
        "migration": segment_migration(before, seg),
        "lorenz": lorenz_curve(rfm.monetary),
        "abc": abc_classes(rfm.monetary, customer=rfm.customer),
        "tiers": value_tiers(rfm.monetary, customer=rfm.customer),
        "value_matrix": value_potential_matrix(
            rfm.monetary,
            wallet.wallet_gap,
            current_threshold=Quantile(0.5),
            potential_threshold=Quantile(0.5),
            customer=rfm.customer,
        ),
        "wallet": wallet,
        "transition": matrix,
        "projection": project_stages(matrix, {"new": 1000}, periods=12),
        "life": life,
        "panel": panel,
        "cohorts": cohort_retention(tx, frequency="month"),
        "churn": churn_by_period(tx, frequency="month"),
        "time_in_stage": time_in_stage(entries, as_of="2024-07-01"),
        "rates": rates,
        "distribution": dist,
        "evaluation": evaluate_win_scorer(
            fit_win_scorer(sim.history, fields=["source"]), sim.history, baseline="configured"
        ),
        "backtest": bt,
        "scorecard": scorecards(opps, sim.history, by="region", probabilities="configured"),
        "whale": whale_curve(pnl),
        "pnl": pnl,
        "segment_profit": profit_by_segment(
            pnl, segment=tiers.tier, segment_customer=tiers.customer
        ),
        "holdout": holdout_comparison(cal_fit, split),
        "split": split,
        "alive": alive_matrix(bg, btyd),
        "histogram": repeat_purchase_histogram(bg, btyd),
        "tracking": purchase_tracking(
            cal_fit, tx, freq="week", as_of="2024-07-01", calibration_end="2024-01-01"
        ),
        "clv": customer_clv(bg, gg, buyers, periods=12, period_length=52 / 12, discount_rate=0.01),
        "bg": bg,
        "gg": gg,
        "transactions": tx,
        "opportunities_sim": sim,
    }
