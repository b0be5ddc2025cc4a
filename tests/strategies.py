"""Hypothesis strategies shared by the test suite."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import strategies as st

# the span where datetime64[us] and every frame library agree
MIN_TIME = dt.datetime(1980, 1, 1)
MAX_TIME = dt.datetime(2060, 12, 31)

naive_datetimes = st.datetimes(min_value=MIN_TIME, max_value=MAX_TIME)
int_ids = st.integers(min_value=-(2**40), max_value=2**40)
str_ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s != "")
amounts = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def transaction_columns(draw: st.DrawFn, *, min_rows: int = 1, max_rows: int = 40) -> dict:
    """Valid transaction columns as numpy arrays (ids int or str)."""
    n = draw(st.integers(min_value=min_rows, max_value=max_rows))
    id_pool = draw(
        st.one_of(
            st.lists(int_ids, min_size=1, max_size=8, unique=True),
            st.lists(str_ids, min_size=1, max_size=8, unique=True),
        )
    )
    ids = draw(st.lists(st.sampled_from(id_pool), min_size=n, max_size=n))
    times = draw(st.lists(naive_datetimes, min_size=n, max_size=n))
    values = draw(st.lists(amounts, min_size=n, max_size=n))
    return {
        "customer": np.asarray(ids),
        "timestamp": np.array(times, dtype="datetime64[us]"),
        "amount": np.asarray(values, dtype=np.float64),
    }
