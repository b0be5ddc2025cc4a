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
