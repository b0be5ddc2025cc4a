"""The heavy step inside the caller's engine: shared by every push-down of every area.

A push-down shrinks rows (transactions, stage histories, events) to one row
per customer, opportunity or cell inside the engine that holds them (DuckDB,
polars lazy, Dask, PySpark), collects only that small table, and hands it to
the area's numpy code, which stays the one definition of what is computed.
Every query is written once, as narwhals expressions; the boundary's rules
run in the engine as the same rules :mod:`crmkit._input` applies to arrays.
"""

from crmkit._engine._periods import with_period_key
from crmkit._engine._shrink import ActivityPeriods, activity_periods, transaction_cells
from crmkit._engine._table import (
    COLLECT_BELOW,
    EngineTable,
    Field,
    Unsupported,
    as_lazy,
    count_true,
    engine_name,
    engine_table,
    in_id_order,
    instant,
    pushdown,
)

__all__ = [
    "COLLECT_BELOW",
    "ActivityPeriods",
    "EngineTable",
    "Field",
    "Unsupported",
    "activity_periods",
    "as_lazy",
    "count_true",
    "engine_name",
    "engine_table",
    "in_id_order",
    "instant",
    "pushdown",
    "transaction_cells",
    "with_period_key",
]
