"""Benchmark: the customer-base model family (issue 15) against lifetimes, in one run.

On N simulated customers (default 1,000,000; purchase times in whole days, as a daily
summary gives them), measures:

* ``fit_mbgnbd`` against lifetimes' ``ModifiedBetaGeoFitter.fit`` (target: under 1 s,
  at least 10x faster);
* ``fit_bgbb`` on N donors over 8 annual opportunities against lifetimes'
  ``BetaGeoBetaBinomFitter.fit`` on the same per-donor rows;
* ``fit_shifted_beta_geometric`` and ``fit_beta_discrete_weibull`` on N subscribers'
  tenures against the textbook approach (the per-customer log-likelihood minimised by
  scipy's Nelder-Mead; lifetimes has no contractual model);
* ``fit_pareto_nbd`` (analytic gradient) against lifetimes' ``ParetoNBDFitter.fit``
  (target: at least 10x faster; lifetimes runs once, it takes minutes);
* ``fit_bgnbd`` with two covariates, beside lifetimes' ``BetaGeoFitter.fit`` without
  (lifetimes has no covariates: a reference point, not a like-for-like ratio);
* ``expected_purchases_interval`` and ``clv_interval`` (90%, 256 draws) on N customers,
  with their peak traced memory, beside lifetimes' point prediction
  ``conditional_expected_number_of_purchases_up_to_time`` (target: under 10 s and 1 GiB).

Run: ``python benchmarks/bench_models.py [--customers N] [--repeats R] [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from _timing import median_time, report
from lifetimes import (
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)
from scipy import optimize, special

from crmkit.datasets import (
    simulate_contracts,
    simulate_donor_histories,
    simulate_purchase_histories,
)
from crmkit.roi import (
    bgbb_from_params,
    bgnbd_from_params,
    clv_interval,
    expected_purchases_interval,
    fit_beta_discrete_weibull,
    fit_bgbb,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    fit_pareto_nbd,
    fit_shifted_beta_geometric,
    mbgnbd_from_params,
    pareto_nbd_from_params,
    shifted_beta_geometric_from_params,
)


def daily(sim):
    """Whole days, as a daily summary: recency and T floored."""
    T = np.floor(sim.T)
    return {
        "customer": sim.customer,
        "frequency": sim.frequency,
        "recency": np.minimum(np.floor(sim.recency), T),
        "T": T,
    }


def frame(data):
    return pd.DataFrame({k: data[k] for k in ("frequency", "recency", "T")})


def largest_difference(ours, theirs, names=None):
    names = names or {k: k for k in ours}
    return max(abs(ours[k] / theirs[names[k]] - 1) for k in ours)


def naive_sbg(tenure, churned):
    """The textbook sBG fit: per-customer log-likelihood, Nelder-Mead on the log parameters."""

    def nll(log_theta):
        a, b = np.exp(log_theta)
        churn = special.betaln(a + 1, b + tenure - 1) - special.betaln(a, b)
        survive = special.betaln(a, b + tenure) - special.betaln(a, b)
        return -np.sum(np.where(churned, churn, survive))

    result = optimize.minimize(nll, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-8})
    return dict(zip(("alpha", "beta"), np.exp(result.x), strict=True))


def peak_memory(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100,000 customers, 1 repeat")
    args = parser.parse_args()
    n, repeats = (100_000, 1) if args.quick else (args.customers, args.repeats)
    rng = np.random.default_rng(2024)
    ages = rng.uniform(365.0, 730.0, n)  # customers acquired over a year, observed for two
    warnings.simplefilter("ignore")  # lifetimes' own deprecation and runtime warnings
    print(f"models, {n:,} customers, median of {repeats} (lifetimes' Pareto/NBD once)")

    # MBG/NBD ------------------------------------------------------------------------------
    truth = mbgnbd_from_params(r=0.5, alpha=28.0, a=1.2, b=3.0)
    mbg = daily(simulate_purchase_histories(truth, T=ages, seed=1))
    mbg_df = frame(mbg)
    out: dict = {}
    t_ours = median_time(lambda: out.update(m=fit_mbgnbd(mbg)), repeats=repeats)
    t_theirs = median_time(
        lambda: out.update(
            l=ModifiedBetaGeoFitter().fit(mbg_df["frequency"], mbg_df["recency"], mbg_df["T"])
        ),
        repeats=repeats,
        warmup=0,
    )
    report("MBG/NBD fit", t_ours, "lifetimes ModifiedBetaGeoFitter.fit", t_theirs)
    print(
        f"  speed-up {t_theirs / t_ours:.1f}x; {out['m'].n_distinct_rows:,} distinct rows; "
        f"largest parameter difference {largest_difference(out['m'].params, out['l'].params_):.1e}"
    )

    # BG/BB ----------------------------------------------------------------------------------
    donors = simulate_donor_histories(
        bgbb_from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783),
        n_customers=n,
        n_periods=8,
        seed=2,
    )
    donor_df = pd.DataFrame(
        {"frequency": donors.frequency, "recency": donors.recency, "T": donors.T}
    )
    t_ours = median_time(lambda: out.update(m=fit_bgbb(donors)), repeats=repeats)
    t_theirs = median_time(
        lambda: out.update(
            l=BetaGeoBetaBinomFitter().fit(
                donor_df["frequency"], donor_df["recency"], donor_df["T"]
            )
        ),
        repeats=1,
        warmup=0,
    )
    report("BG/BB fit", t_ours, "lifetimes BetaGeoBetaBinomFitter.fit", t_theirs)
    print(
        f"  speed-up {t_theirs / t_ours:.1f}x; {out['m'].n_distinct_rows} distinct rows; "
        f"largest parameter difference {largest_difference(out['m'].params, out['l'].params_):.1e}"
    )

    # sBG / BdW ------------------------------------------------------------------------------
    cohort = simulate_contracts(
        shifted_beta_geometric_from_params(alpha=0.704, beta=1.182),
        n_customers=n,
        n_periods=12,
        seed=3,
    )
    t_ours = median_time(
        lambda: out.update(
            m=fit_shifted_beta_geometric(tenure=cohort.tenure, churned=cohort.churned)
        ),
        repeats=repeats,
    )
    t_theirs = median_time(
        lambda: out.update(l=naive_sbg(cohort.tenure, cohort.churned)), repeats=1, warmup=0
    )
    report("sBG fit", t_ours, "naive scipy Nelder-Mead", t_theirs)
    print(f"  largest parameter difference {largest_difference(out['m'].params, out['l']):.1e}")
    t_bdw = median_time(
        lambda: fit_beta_discrete_weibull(tenure=cohort.tenure, churned=cohort.churned),
        repeats=repeats,
    )
    report("BdW fit", t_bdw, "the sBG fit above", t_ours)

    # Pareto/NBD -----------------------------------------------------------------------------
    pareto = daily(
        simulate_purchase_histories(
            pareto_nbd_from_params(r=0.5, alpha=28.0, s=0.8, beta=140.0), T=ages, seed=4
        )
    )
    pareto_df = frame(pareto)
    t_ours = median_time(lambda: out.update(m=fit_pareto_nbd(pareto)), repeats=repeats)
    start = time.perf_counter()
    theirs = ParetoNBDFitter().fit(pareto_df["frequency"], pareto_df["recency"], pareto_df["T"])
    t_theirs = time.perf_counter() - start
    report("Pareto/NBD fit (analytic gradient)", t_ours, "lifetimes ParetoNBDFitter.fit", t_theirs)
    print(
        f"  speed-up {t_theirs / t_ours:.1f}x; {out['m'].n_distinct_rows:,} distinct rows; "
        f"largest parameter difference {largest_difference(out['m'].params, theirs.params_):.1e}"
    )

    # BG/NBD with covariates -----------------------------------------------------------------
    bg = daily(
        simulate_purchase_histories(
            bgnbd_from_params(r=0.5, alpha=28.0, a=1.2, b=3.0), T=ages, seed=5
        )
    )
    table = {
        "customer": bg["customer"],
        "channel": rng.choice(["store", "web", "phone"], n),
        "age": rng.normal(40.0, 12.0, n),
    }
    t_ours = median_time(
        lambda: fit_bgnbd(
            bg,
            covariates=table,
            purchase_covariates=["channel", "age"],
            dropout_covariates=["channel"],
        ),
        repeats=repeats,
    )
    bg_df = frame(bg)
    t_theirs = median_time(
        lambda: BetaGeoFitter().fit(bg_df["frequency"], bg_df["recency"], bg_df["T"]),
        repeats=1,
        warmup=0,
    )
    report(
        "BG/NBD fit, 2 covariates (5 coefficients)",
        t_ours,
        "lifetimes BetaGeoFitter.fit without covariates",
        t_theirs,
    )

    # prediction intervals -------------------------------------------------------------------
    fit = fit_bgnbd(bg)
    spend = np.where(bg["frequency"] > 0, rng.gamma(6.0, 5.0, n), 0.0)
    with_spend = {**bg, "monetary_value": spend}
    gg = fit_gamma_gamma(with_spend)
    t_band = median_time(
        lambda: expected_purchases_interval(fit, bg, t=365.0, level=0.9, seed=1),
        repeats=repeats,
    )
    lt = BetaGeoFitter()
    lt.params_ = pd.Series(fit.params)
    t_point = median_time(
        lambda: lt.conditional_expected_number_of_purchases_up_to_time(
            365.0, bg_df["frequency"], bg_df["recency"], bg_df["T"]
        ),
        repeats=repeats,
    )
    report(
        "90% intervals of expected purchases, 256 draws",
        t_band,
        "lifetimes point prediction",
        t_point,
    )
    memory = peak_memory(lambda: expected_purchases_interval(fit, bg, t=365.0, level=0.9, seed=1))
    print(
        f"  peak traced memory {memory / 2**30:.2f} GiB; target under 10 s and 1 GiB: "
        f"{'met' if t_band < 10 and memory < 2**30 else 'NOT met'}"
    )
    t_clv = median_time(
        lambda: clv_interval(
            fit,
            gg,
            with_spend,
            periods=12,
            period_length=30.0,
            discount_rate=0.01,
            level=0.9,
            seed=1,
        ),
        repeats=repeats,
    )
    report("90% intervals of 12-month CLV, 256 draws", t_clv, "lifetimes point prediction", t_point)
    memory = peak_memory(
        lambda: clv_interval(
            fit,
            gg,
            with_spend,
            periods=12,
            period_length=30.0,
            discount_rate=0.01,
            level=0.9,
            seed=1,
        )
    )
    print(
        f"  peak traced memory {memory / 2**30:.2f} GiB; target under 10 s and 1 GiB: "
        f"{'met' if t_clv < 10 and memory < 2**30 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
