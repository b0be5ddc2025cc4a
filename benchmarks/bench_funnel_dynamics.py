"""Benchmark: pipeline dynamics hot paths.

Measures, in one run (``benchmarks/run.py`` picks up every ``bench_*.py``):

* the movement report between two snapshots of N deals by month x region x
  product (amounts and weighted pipeline, every component), against a pandas
  merge-and-compare implementation of the same report (target: under 1 s and
  at least 5x faster);
* the rollup of a forecast of 10,000 reps x 12 months along a 4-level
  hierarchy (rep -> team -> region -> country), against pandas merges and
  group-bys up the levels (target: under 1 s and at least 5x faster);
* one day of a ~1,000,000-row stage-history log folded into a PipelineState,
  against rebuilding the state from the whole log.

Both baselines compute the same numbers; the script checks they agree.

Run: ``python benchmarks/bench_funnel_dynamics.py [--quick]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _timing import median_time, report

from crmkit.funnel import (
    COMPONENTS,
    DEFAULT_PROCESS,
    Hierarchy,
    Opportunities,
    PipelineState,
    StageHistory,
    forecast_pipeline,
    pipeline_movement,
    rollup_forecast,
)
from crmkit.funnel._rollup import MEASURES

_US_PER_DAY = 86_400_000_000
_NAMES = np.asarray(DEFAULT_PROCESS.names)


def make_snapshots(n: int, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Two weekly snapshots: 2 % of deals gone, 5 % new; stages, amounts, dates, regions edited."""
    rng = np.random.default_rng(seed)
    k = DEFAULT_PROCESS.n_stages
    regions = np.asarray(["north", "south", "east", "west"])
    products = np.asarray(["software", "services", "hardware"])
    start = {
        "id": np.arange(n, dtype=np.int64),
        "amount": rng.lognormal(9.5, 0.8, n).round(2),
        "stage": rng.integers(0, k + 2, n),
        "close_date": np.datetime64("2024-01-01", "us")
        + rng.integers(0, 365 * _US_PER_DAY, n).astype("timedelta64[us]"),
        "region": regions[rng.integers(0, 4, n)],
        "product": products[rng.integers(0, 3, n)],
    }
    keep = rng.random(n) >= 0.02
    n_new = n // 20
    end = {name: col[keep].copy() for name, col in start.items()}
    m = int(keep.sum())
    open_ = end["stage"] < k
    advance = open_ & (rng.random(m) < 0.15)
    end["stage"] = np.where(advance, end["stage"] + 1, end["stage"])  # some advance, some close
    cut = rng.random(m) < 0.05
    end["amount"] = np.where(cut, (end["amount"] * 0.8).round(2), end["amount"])
    push = open_ & (rng.random(m) < 0.1)
    end["close_date"] = np.where(
        push, end["close_date"] + np.timedelta64(30 * _US_PER_DAY, "us"), end["close_date"]
    )
    moved = rng.random(m) < 0.01
    end["region"] = np.where(moved, regions[rng.integers(0, 4, m)], end["region"])
    new = {
        "id": np.arange(n, n + n_new, dtype=np.int64),
        "amount": rng.lognormal(9.5, 0.8, n_new).round(2),
        "stage": rng.integers(0, 2, n_new),
        "close_date": np.datetime64("2024-03-01", "us")
        + rng.integers(0, 300 * _US_PER_DAY, n_new).astype("timedelta64[us]"),
        "region": regions[rng.integers(0, 4, n_new)],
        "product": products[rng.integers(0, 3, n_new)],
    }
    end = {name: np.concatenate([end[name], new[name]]) for name in start}
    return start, end


def as_opportunities(cols: dict[str, np.ndarray]) -> Opportunities:
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=cols["id"],
        amount=cols["amount"],
        stage=cols["stage"],
        close_date=cols["close_date"],
        dimensions={"region": cols["region"], "product": cols["product"]},
    )


def pandas_movement(df0: pd.DataFrame, df1: pd.DataFrame) -> pd.DataFrame:
    """The same movement report with a pandas outer merge and comparisons, then a group-by."""
    k = DEFAULT_PROCESS.n_stages
    probs = pd.Series(DEFAULT_PROCESS.probabilities)
    m = df0.merge(df1, on="id", how="outer", suffixes=("0", "1"), indicator=True)
    in0 = m["_merge"] != "right_only"
    in1 = m["_merge"] != "left_only"
    s0 = m["stage0"].fillna(-1).astype(np.int64)
    s1 = m["stage1"].fillna(-1).astype(np.int64)
    open0 = in0 & (s0 < k)
    open1 = in1 & (s1 < k)
    a0 = m["amount0"].fillna(0.0).where(open0 | in0, 0.0)
    a1 = m["amount1"].fillna(0.0)
    p0 = s0.map(probs).fillna(0.0).where(open0, 0.0)
    p1 = s1.map(probs).fillna(0.0).where(open1, 0.0)
    per0 = m["close_date0"].dt.to_period("M")
    per1 = m["close_date1"].dt.to_period("M")
    same_cell = (
        open0
        & open1
        & (per0 == per1)
        & (m["region0"] == m["region1"])
        & (m["product0"] == m["product1"])
    )
    moved = per0 != per1
    later = m["close_date1"] > m["close_date0"]
    earlier = m["close_date1"] < m["close_date0"]
    leave = open0 & ~same_cell
    enter = open1 & ~same_cell
    out_comp = np.select(
        [~in1, s1 == k, s1 == k + 1, moved & later, moved & earlier],
        ["removed", "won", "lost", "pushed_out", "pulled_out"],
        default="reassigned_out",
    )
    in_comp = np.select(
        [~in0, in0 & ~open0, moved & earlier, moved & later],
        ["new", "reopened", "pulled_in", "pushed_in"],
        default="reassigned_in",
    )
    stage_comp = np.select([s1 > s0, s1 < s0], ["advanced", "regressed"], default="reweighted")
    keys0 = {"period": per0, "region": m["region0"], "product": m["product0"]}
    keys1 = {"period": per1, "region": m["region1"], "product": m["product1"]}
    parts = [
        pd.DataFrame(keys0 | {"component": out_comp, "amount": -a0, "weighted": -a0 * p0})[leave],
        pd.DataFrame(keys1 | {"component": in_comp, "amount": a1, "weighted": a1 * p1})[enter],
        pd.DataFrame(
            keys0 | {"component": "amount_change", "amount": a1 - a0, "weighted": (a1 - a0) * p0}
        )[same_cell],
        pd.DataFrame(keys0 | {"component": stage_comp, "amount": 0.0, "weighted": a1 * (p1 - p0)})[
            same_cell
        ],
        pd.DataFrame(keys0 | {"component": "start", "amount": a0, "weighted": a0 * p0})[open0],
        pd.DataFrame(keys1 | {"component": "end", "amount": a1, "weighted": a1 * p1})[open1],
    ]
    flows = pd.concat(parts, ignore_index=True)
    return flows.groupby(["period", "region", "product", "component"], observed=True)[
        ["amount", "weighted"]
    ].sum()


def make_network(n_reps: int, seed: int = 2) -> tuple[Hierarchy, pd.DataFrame]:
    """rep -> team (10 reps) -> region (10 teams) -> country (one per 10 regions)."""
    rng = np.random.default_rng(seed)
    reps = np.array([f"rep{i:05d}" for i in range(n_reps)])
    teams = np.array([f"team{i:04d}" for i in range(n_reps // 10)])
    regions = np.array([f"region{i:03d}" for i in range(teams.size // 10)])
    countries = np.array([f"country{i:02d}" for i in range(max(regions.size // 10, 1))])
    rep_team = teams[rng.integers(0, teams.size, n_reps)]
    team_region = regions[np.arange(teams.size) % regions.size]
    region_country = countries[np.arange(regions.size) % countries.size]
    table = pd.DataFrame(
        {
            "node": np.concatenate([reps, teams, regions, countries]),
            "parent": np.concatenate(
                [rep_team, team_region, region_country, np.full(countries.size, None)]
            ),
        }
    )
    return Hierarchy.from_frame(table), table


def pandas_rollup(cells: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Every node's total: walk the leaf rows up the parents level by level, then group."""
    parent = table.set_index("node")["parent"]
    frames = []
    cur = cells.rename(columns={"owner": "node"})
    while len(cur):
        frames.append(cur.groupby(["node", "period"], sort=False)[list(MEASURES)].sum())
        cur = cur.assign(node=cur["node"].map(parent)).dropna(subset=["node"])
    return pd.concat(frames).groupby(level=[0, 1]).sum()


def make_log(n_opps: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = DEFAULT_PROCESS.n_stages
    top = rng.integers(0, k, n_opps)
    status = rng.integers(0, 3, n_opps)  # 0 open, 1 won, 2 lost
    rows = top + 1 + (status > 0)
    opp = np.repeat(np.arange(n_opps), rows)
    start = np.repeat(np.cumsum(rows) - rows, rows)
    pos = np.arange(opp.size) - start
    last = pos == np.repeat(rows - 1, rows)
    outcome = np.where(status == 1, k, k + 1)[opp]
    stage = np.where(last & (status[opp] > 0), outcome, np.minimum(pos, k - 1))
    t0 = np.datetime64("2022-01-01", "us") + rng.integers(0, 700, n_opps).astype("m8[D]")
    entered = t0[opp] + (pos * _US_PER_DAY * 9).astype("timedelta64[us]")
    return {
        "opportunity": opp,
        "stage": stage,
        "entered": entered,
        "amount": rng.lognormal(9.5, 0.8, n_opps).round(2)[opp],
        "close_date": entered + np.timedelta64(60 * _US_PER_DAY, "us"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    args = parser.parse_args()
    quick = args.quick
    repeats = 3 if quick else 5
    n_deals = 100_000 if quick else 1_000_000
    n_reps = 1_000 if quick else 10_000
    n_log_opps = 30_000 if quick else 280_000
    print(f"funnel dynamics, median of {repeats} (shared 2-core machine)")

    c0, c1 = make_snapshots(n_deals)
    before, after = as_opportunities(c0), as_opportunities(c1)
    df0, df1 = pd.DataFrame(c0), pd.DataFrame(c1)

    def run_movement() -> object:
        return pipeline_movement(
            before, after, period="month", by=["region", "product"], probabilities="configured"
        )

    t_c = median_time(run_movement, repeats=repeats)
    t_p = median_time(lambda: pandas_movement(df0, df1), repeats=repeats)
    report(f"movement, {n_deals:,} deals, month x region x product", t_c, "pandas merge", t_p)
    mv = run_movement()
    ref = pandas_movement(df0, df1)["amount"].groupby(level="component").sum()
    ours = dict(zip(COMPONENTS, mv.amount.sum(axis=0), strict=True))
    worst = max(abs(ours[c] - ref.get(c, 0.0)) for c in COMPONENTS)
    print(f"  same report as pandas: largest component difference {worst:.2e}")

    hierarchy, table = make_network(n_reps)
    rng = np.random.default_rng(5)
    n_cells_deals = n_reps * 30
    deals = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=np.arange(n_cells_deals),
        amount=rng.lognormal(9.5, 0.8, n_cells_deals).round(2),
        stage=rng.integers(0, DEFAULT_PROCESS.n_stages + 1, n_cells_deals),
        close_date=np.datetime64("2024-01-01", "us")
        + rng.integers(0, 365 * _US_PER_DAY, n_cells_deals).astype("timedelta64[us]"),
        dimensions={
            "owner": np.array([f"rep{i:05d}" for i in range(n_reps)])[
                rng.integers(0, n_reps, n_cells_deals)
            ]
        },
    )
    f = forecast_pipeline(deals, period="month", by=["owner"], probabilities="configured")
    commit = f.closed_won + f.commit
    best = commit + f.best_case
    cells = pd.DataFrame(
        {
            "owner": f.groups["owner"],
            "period": f.period,
            "closed": f.closed_won,
            "commit": commit,
            "best_case": best,
            "pipeline": best + f.pipeline_category,
            "expected": f.expected_total,
        }
    )
    t_r = median_time(lambda: rollup_forecast(f, hierarchy, node="owner"), repeats=repeats)
    t_pr = median_time(lambda: pandas_rollup(cells, table), repeats=repeats)
    report(
        f"rollup, {n_reps:,} reps x {np.unique(f.period).size} months, 4 levels",
        t_r,
        "pandas merge + groupby",
        t_pr,
    )
    r = rollup_forecast(f, hierarchy, node="owner")
    roots = r.depth == 0
    pr = pandas_rollup(cells, table)
    top = pr.loc[pr.index.get_level_values(0).str.startswith("country"), "expected"].sum()
    ours = r.column("expected", kind="system")[roots].sum()
    print(f"  same totals as pandas: difference {abs(ours - top):.2e}")
    t_h = median_time(lambda: Hierarchy.from_frame(table), repeats=repeats)
    print(f"  boundary: Hierarchy.from_frame of {len(table):,} nodes {t_h:.4f} s")

    log = make_log(n_log_opps)
    history = StageHistory.from_arrays(process=DEFAULT_PROCESS, **log)
    last_day = log["entered"].max().astype("datetime64[D]")
    cut = last_day.astype("datetime64[us]")
    yesterday = PipelineState.from_history(history, as_of=cut)
    day = StageHistory.from_arrays(
        process=DEFAULT_PROCESS, **{k: v[log["entered"] >= cut] for k, v in log.items()}
    )
    t_inc = median_time(lambda: yesterday.update(day), repeats=repeats)
    t_full = median_time(lambda: PipelineState.from_history(history), repeats=repeats)
    report(
        f"one day ({day.n_rows:,} rows) into a state of {history.n_rows:,} log rows",
        t_inc,
        "rebuild from the whole log",
        t_full,
    )


if __name__ == "__main__":
    main()
