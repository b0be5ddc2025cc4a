"""Bad-input cases: Transactions, as_transactions and crmkit.periods."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmkit import Transactions, as_transactions, periods
from crmkit.periods import Calendar, Horizon
from tests.badinput.core import Case, Opt


def _columns() -> dict[str, object]:
    return {
        "customer": ["C001", "C002", "C001", "C003"],
        "timestamp": ["2024-01-05", "2024-01-09", "2024-02-11", "2024-03-01T10:30"],
        "amount": [40.0, 15.5, 60.0, 22.0],
    }


_TX = {"customer": "id", "timestamp": "date", "amount": "amount"}


def _arrays() -> dict[str, object]:
    return dict(_columns())


def _frame() -> dict[str, object]:
    return {"frame": pd.DataFrame(_columns())}


def _as_tx() -> dict[str, object]:
    return {"data": _columns()}


def _records() -> dict[str, object]:
    cols = _columns()
    rows = zip(*cols.values(), strict=True)
    return {"records": [dict(zip(cols, row, strict=True)) for row in rows]}


def _take() -> dict[str, object]:
    return {"rows": np.array([True, False, True, True])}


def _tx() -> Transactions:
    return Transactions.from_arrays(**_columns())


def _take_call(**kwargs: object) -> object:
    return _tx().take(**kwargs)


def _stamps() -> dict[str, object]:
    return {"timestamps": ["2024-01-05", "2024-02-11"], "freq": "month"}


def _keys() -> dict[str, object]:
    return {"keys": [648, 649], "freq": "month"}


CASES = [
    Case(
        "Transactions.from_arrays",
        Transactions.from_arrays,
        _arrays,
        params={"copy": "flag", "date_format": Opt("choice")},
        columns=_TX,
    ),
    Case(
        "Transactions.from_frame",
        Transactions.from_frame,
        _frame,
        params={"customer": "frame_column", "timestamp": "frame_column", "amount": "frame_column"},
    ),
    Case(
        "Transactions.from_records",
        Transactions.from_records,
        _records,
        params={"customer": "frame_column", "date_format": Opt("choice")},
    ),
    Case("as_transactions", as_transactions, _as_tx, tables={"data": _TX}),
    Case("Transactions.take", _take_call, _take, columns={}),
    Case(
        "periods.period_keys",
        periods.period_keys,
        _stamps,
        params={"freq": "choice"},
        columns={"timestamps": "date"},
        empty="result",  # element-wise: no timestamps, no keys
    ),
    Case(
        "periods.default_as_of",
        periods.default_as_of,
        lambda: {"timestamps": ["2024-01-05", "2024-03-01"]},
        columns={"timestamps": "date"},
    ),
    Case("periods.period_labels", periods.period_labels, _keys, params={"freq": "choice"}),
    Case("periods.period_bounds", periods.period_bounds, _keys, params={"freq": "choice"}),
    Case(
        "periods.bucket",
        periods.bucket,
        _stamps,
        params={"freq": "choice", "first": Opt("date"), "last": Opt("date")},
        columns={"timestamps": "date"},
    ),
    Case(
        "periods.last_observed_period",
        periods.last_observed_period,
        lambda: {"as_of": "2024-07-01", "freq": "month"},
        params={"as_of": "date", "freq": "choice"},
    ),
    Case(
        "periods.Calendar",
        Calendar,
        lambda: {"week_start": 6, "fiscal_year_start_month": 4, "fiscal_year_label": "start"},
        params={
            "week_start": "int",
            "fiscal_year_start_month": "count",
            "fiscal_year_label": "choice",
        },
    ),
    Case(
        "periods.Horizon.next_days",
        Horizon.next_days,
        lambda: {"as_of": "2024-01-01", "days": 30},
        params={"as_of": "date", "days": "count"},
    ),
    Case(
        "periods.Horizon.next_months",
        Horizon.next_months,
        lambda: {"as_of": "2024-01-31", "months": 3},
        params={"as_of": "date", "months": "count"},
    ),
    Case(
        "periods.Horizon.next_periods",
        Horizon.next_periods,
        lambda: {"as_of": "2024-02-10", "freq": "quarter", "n": 2},
        params={"as_of": "date", "freq": "choice", "n": "count", "include_current": "flag"},
    ),
]

EXEMPT = {
    "periods.Horizon": "built only through its next_* constructors (cases above)",
}
