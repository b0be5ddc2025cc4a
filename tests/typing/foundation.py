"""Type-checked, never run: pins the public signatures (``mypy --strict tests/typing``).

A change that breaks a caller's types breaks this file first.
"""

from __future__ import annotations

from typing import assert_type

import numpy as np

import crmkit
from crmkit import Transactions, as_transactions
from crmkit.datasets import SimulatedCustomerBase, simulate_customer_base, simulate_transactions
from crmkit.errors import CrmkitError, EngineError, InputError
from crmkit.periods import Calendar, Horizon, PeriodBuckets, Weekday, bucket, default_as_of


def boundary() -> None:
    tx = Transactions.from_arrays(customer=[1], timestamp=["2024-01-01"], amount=[1.0])
    assert_type(tx, Transactions)
    assert_type(tx.n_rows, int)
    assert_type(tx.n_negative, int)
    assert_type(as_transactions({"customer": [1]}), Transactions)
    assert_type(Transactions.from_records([], customer="c"), Transactions)
    assert_type(tx.to_dict(), dict[str, object])
    err: CrmkitError = InputError("x", field="amount")
    engine_err: CrmkitError = EngineError("x", engine="duckdb", step="check the rows")
    assert_type(EngineError("x", engine="e", step="s").engine_message, str)
    assert_type(EngineError("x", engine="e", step="s", field="amount").field, str | None)
    assert_type(err, CrmkitError)
    assert_type(engine_err, CrmkitError)
    assert_type(crmkit.__version__, str)


def periods() -> None:
    cal = Calendar(week_start=Weekday.SUNDAY, fiscal_year_start_month=4)
    b = bucket(np.array(["2024-01-01"], dtype="M8[D]"), "month", calendar=cal)
    assert_type(b, PeriodBuckets)
    assert_type(Horizon.next_months("2024-01-01", 3), Horizon)
    assert_type(default_as_of(["2024-01-01"]), np.datetime64)


def datasets() -> None:
    assert_type(simulate_transactions(10, "2024-01-01", "2025-01-01", seed=1), Transactions)
    base = simulate_customer_base(10, "2024-01-01", "2025-01-01", seed=1, id_kind="str")
    assert_type(base, SimulatedCustomerBase)
