"""Small order, pipeline and cost files written in tmp_path, and a way to run the CLI in-process."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from crmkit import Transactions
from crmkit._cli._app import run
from crmkit._cli._output import Terminal
from crmkit.datasets import simulate_cost_drivers, simulate_customer_base, simulate_pipeline
from crmkit.funnel import Opportunities, StageHistory


@dataclass
class Ran:
    code: int
    out: str
    err: str


def crmkit_cli(*args: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), terminal=Terminal(out=out, err=err))
    return Ran(code=code, out=out.getvalue(), err=err.getvalue())


@dataclass
class Files:
    tx: Transactions
    opportunities: Opportunities
    history: StageHistory
    activities: dict[str, np.ndarray]
    unit_costs: dict[str, float]
    orders: Path
    opps: Path
    stages: Path
    costs: Path
    unit_cost_file: Path


def _write(table: pa.Table, path: Path) -> Path:
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return path


def _orders_table(tx: Transactions) -> pa.Table:
    return pa.table(
        {
            "CustomerID": tx.customer,
            "InvoiceDate": np.datetime_as_string(tx.timestamp, unit="s"),
            "revenue": tx.amount,
            "category": tx.extra["product"],
        }
    )


@pytest.fixture(scope="session")
def company() -> tuple[Transactions, object, object, object]:
    base = simulate_customer_base(300, "2023-01-01", "2025-01-01", seed=11)
    drivers = simulate_cost_drivers(base, seed=11)
    pipeline = simulate_pipeline(400, "2023-01-01", "2025-01-01", seed=11)
    return base, drivers, pipeline, None


@pytest.fixture(params=["csv", "parquet"])
def files(request, company, tmp_path) -> Files:
    base, drivers, pipeline, _ = company
    ext = request.param
    tx = base.transactions
    opps = pipeline.opportunities
    history = pipeline.history
    activities = {"customer_id": np.asarray(drivers.customer)} | {
        k: np.asarray(v) for k, v in drivers.counts.items()
    }
    orders = _write(_orders_table(tx), tmp_path / f"orders.{ext}")
    opps_path = _write(
        pa.table(
            {
                "deal_id": opps.id,
                "amount": opps.amount,
                "stage": opps.stage_names,
                "close_date": np.datetime_as_string(opps.close_date, unit="D"),
                "region": opps.dimensions["region"],
            }
        ),
        tmp_path / f"opps.{ext}",
    )
    names = np.asarray(history.process.names)
    stages = _write(
        pa.table(
            {
                "opportunity": history.opportunity[history.row_opportunity],
                "stage": names[history.stage],
                "entered": np.datetime_as_string(history.entered, unit="s"),
            }
        ),
        tmp_path / f"stages.{ext}",
    )
    costs = _write(pa.table(activities), tmp_path / f"activities.{ext}")
    unit_cost_file = _write(
        pa.table(
            {
                "activity": list(drivers.unit_costs),
                "unit_cost": list(drivers.unit_costs.values()),
            }
        ),
        tmp_path / f"unit_costs.{ext}",
    )
    # the library's own reading of exactly what was written: the oracle of every command
    written = Transactions.from_arrays(
        customer=tx.customer,
        timestamp=np.datetime_as_string(tx.timestamp, unit="s"),
        amount=tx.amount,
        extra={"product": tx.extra["product"]},
    )
    written_opps = Opportunities.from_arrays(
        process=opps.process,
        id=opps.id,
        amount=opps.amount,
        stage=opps.stage_names,
        close_date=np.datetime_as_string(opps.close_date, unit="D"),
        dimensions={"region": opps.dimensions["region"]},
    )
    written_history = StageHistory.from_arrays(
        process=history.process,
        opportunity=history.opportunity[history.row_opportunity],
        stage=names[history.stage],
        entered=np.datetime_as_string(history.entered, unit="s"),
    )
    return Files(
        tx=written,
        opportunities=written_opps,
        history=written_history,
        activities=activities,
        unit_costs=dict(drivers.unit_costs),
        orders=orders,
        opps=opps_path,
        stages=stages,
        costs=costs,
        unit_cost_file=unit_cost_file,
    )


def read_out(path: Path) -> dict[str, np.ndarray]:
    table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
