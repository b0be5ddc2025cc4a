"""Hypothesis strategies for the segmentation tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
nonneg = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


def value_arrays(elements=nonneg, min_size=1, max_size=60):
    """1-D float arrays, often with ties (values drawn from a small pool)."""
    pool = st.lists(elements, min_size=1, max_size=6)
    return st.one_of(
        hnp.arrays(np.float64, st.integers(min_size, max_size), elements=elements),
        pool.flatmap(
            lambda p: hnp.arrays(
                np.float64, st.integers(min_size, max_size), elements=st.sampled_from(p)
            )
        ),
    )


@st.composite
def transaction_logs(draw, max_rows=50):
    """Small transaction logs as dicts of numpy columns (int ids, day timestamps)."""
    n = draw(st.integers(1, max_rows))
    customer = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 8)))
    days = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 120)))
    hours = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 23)))
    amount = draw(
        hnp.arrays(
            np.float64,
            n,
            elements=st.floats(min_value=0.5, max_value=500, allow_nan=False),
        )
    )
    ts = np.datetime64("2024-01-01", "us") + days * np.timedelta64(1, "D")
    ts = ts + hours * np.timedelta64(1, "h")
    return {"customer": customer, "timestamp": ts, "amount": amount}
