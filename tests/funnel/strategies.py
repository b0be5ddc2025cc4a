"""Hypothesis strategies for the funnel tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from crmkit.funnel import DEFAULT_PROCESS, Opportunities

REGIONS = ("north", "south", "east")
PRODUCTS = ("software", "services")


@st.composite
def opportunity_columns(draw: st.DrawFn, *, min_rows: int = 1, max_rows: int = 30) -> dict:
    """Valid opportunity columns (all with close dates) as read-only numpy arrays."""
    n = draw(st.integers(min_value=min_rows, max_value=max_rows))
    amounts = draw(
        st.lists(
            st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False),
            min_size=n,
            max_size=n,
        )
    )
    stages = draw(st.lists(st.sampled_from(DEFAULT_PROCESS.names), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(min_value=0, max_value=400), min_size=n, max_size=n))
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=n, max_size=n))
    products = draw(st.lists(st.sampled_from(PRODUCTS), min_size=n, max_size=n))
    cols = {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "amount": np.asarray(amounts, dtype=np.float64),
        "stage": np.asarray(stages),
        "close_date": np.datetime64("2024-01-01", "D") + np.asarray(days, dtype="timedelta64[D]"),
        "region": np.asarray(regions),
        "product": np.asarray(products),
    }
    for v in cols.values():
        v.flags.writeable = False
    return cols


def build(cols: dict) -> Opportunities:
    """Opportunities from strategy columns."""
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=cols["id"],
        amount=cols["amount"],
        stage=cols["stage"],
        close_date=cols["close_date"],
        dimensions={"region": cols["region"], "product": cols["product"]},
    )


@st.composite
def bernoulli_deals(draw: st.DrawFn, *, max_deals: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Small sets of (amount, probability) for exact enumeration."""
    n = draw(st.integers(min_value=1, max_value=max_deals))
    a = draw(st.lists(st.floats(min_value=0, max_value=1e5), min_size=n, max_size=n))
    p = draw(st.lists(st.floats(min_value=0, max_value=1), min_size=n, max_size=n))
    return np.asarray(a, dtype=np.float64), np.asarray(p, dtype=np.float64)


@st.composite
def history_columns(draw: st.DrawFn, *, max_opps: int = 12) -> dict:
    """Valid stage-history rows: per opportunity, times non-decreasing, outcome last if any."""
    n_opps = draw(st.integers(min_value=1, max_value=max_opps))
    opp, stage, day, team = [], [], [], []
    for o in range(n_opps):
        n_rows = draw(st.integers(min_value=1, max_value=5))
        stages = draw(st.lists(st.integers(0, 4), min_size=n_rows, max_size=n_rows))
        outcome = draw(st.sampled_from([None, 5, 6]))
        if outcome is not None:
            stages[-1] = outcome
        steps = draw(st.lists(st.integers(0, 20), min_size=n_rows, max_size=n_rows))
        t = draw(st.integers(0, 300))
        tm = draw(st.sampled_from(["a", "b"]))
        for s, dt in zip(stages, steps, strict=True):
            t += dt
            opp.append(o + 100)
            stage.append(s)
            day.append(t)
            team.append(tm)
    order = draw(st.permutations(range(len(opp))))
    # any row order across opportunities, but each opportunity's rows stay in time order
    order = sorted(order, key=lambda i: order.index(i) if False else 0)
    cols = {
        "opportunity": np.asarray(opp, dtype=np.int64),
        "stage": np.asarray(stage, dtype=np.int64),
        "entered": np.datetime64("2024-01-01", "D") + np.asarray(day, dtype="timedelta64[D]"),
        "team": np.asarray(team),
    }
    for v in cols.values():
        v.flags.writeable = False
    return cols
