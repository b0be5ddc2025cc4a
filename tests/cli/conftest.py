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


@dataclass
class MarketingFiles:
    """Campaign, lead, pipeline, touch, conversion and plan files, and the library's reading."""

    campaigns: Path
    leads: Path
    opps: Path
    touchpoints: Path
    conversions: Path
    plan: Path
    table: object  # the Campaigns the campaigns file holds
    holdout: dict[str, np.ndarray]
    lead_campaign: np.ndarray
    opportunities: Opportunities
    touches: dict[str, np.ndarray]
    converted: dict[str, np.ndarray]
    plan_rows: dict[str, list]


PLAN = {
    "item": ["licences", "CRM team", "change management", "cross-sell", "service cost"],
    "kind": ["cost", "cost", "cost", "revenue growth", "cost reduction"],
    "category": ["technology", "people", "process", None, None],
    "one_off": [80_000.0, None, 60_000.0, None, None],
    "recurring": [60_000.0, 90_000.0, None, None, None],
    "escalation": [0.03, None, None, None, None],
    "value": [None, None, None, 270_000.0, 80_000.0],
    "ramp_up": [None, None, None, "0.2 0.5 0.8", "0.5"],
}
"""The business case of docs/campaigns.md, as rows of the documented layout."""


@pytest.fixture(scope="session")
def marketing_sim():
    from crmkit.datasets import simulate_campaigns

    return simulate_campaigns(400, "2023-01-01", "2025-01-01", seed=5)


@pytest.fixture(params=["csv", "parquet"])
def marketing(request, marketing_sim, tmp_path) -> MarketingFiles:
    from crmkit.roi import Campaigns

    sim = marketing_sim
    ext = request.param
    c = sim.campaigns
    ids = np.asarray(c.campaign)
    tested = {str(k): i for i, k in enumerate(np.asarray(sim.holdout["campaign"]))}
    columns = {
        "campaign": ids,
        "budget": np.asarray(c.budget),
        "spend": np.asarray(c.spend),
        "start": np.datetime_as_string(c.start, unit="D"),
        "end": np.datetime_as_string(c.end, unit="D"),
        "channel": np.asarray(c.dimensions["channel"]),
    }
    holdout_columns = {}
    for name in ("population", "control", "responders", "control_responders"):
        values = np.asarray(sim.holdout[name])
        holdout_columns[name] = pa.array(
            [int(values[tested[str(k)]]) if str(k) in tested else None for k in ids],
            type=pa.int64(),
        )
    campaigns = _write(pa.table({**columns, **holdout_columns}), tmp_path / f"campaigns.{ext}")
    leads = _write(
        pa.table({"lead": sim.leads["lead"], "campaign": sim.leads["campaign"]}),
        tmp_path / f"leads.{ext}",
    )
    opps = sim.opportunities
    opps_path = _write(
        pa.table(
            {
                "deal_id": opps.id,
                "amount": opps.amount,
                "stage": opps.stage_names,
                "close_date": np.datetime_as_string(opps.close_date, unit="D"),
                "campaign": opps.dimensions["campaign"],
            }
        ),
        tmp_path / f"opps.{ext}",
    )
    tp = sim.touchpoints
    touch_text = {
        "customer": np.asarray(tp["customer"]),
        "timestamp": np.datetime_as_string(tp["timestamp"], unit="s"),
        "channel": np.asarray(tp["channel"]),
        "medium": np.asarray(tp["medium"]),
    }
    touchpoints = _write(pa.table(touch_text), tmp_path / f"touchpoints.{ext}")
    cv = sim.conversions
    conv_text = {
        "customer": np.asarray(cv["customer"]),
        "timestamp": np.datetime_as_string(cv["timestamp"], unit="s"),
        "value": np.asarray(cv["value"]),
        "lead_created": np.datetime_as_string(cv["lead_created"], unit="s"),
        "opportunity_created": np.datetime_as_string(cv["opportunity_created"], unit="s"),
    }
    conversions = _write(pa.table(conv_text), tmp_path / f"conversions.{ext}")
    plan = _write(pa.table(PLAN), tmp_path / f"plan.{ext}")
    tested_rows = np.array([str(k) in tested for k in ids])
    return MarketingFiles(
        campaigns=campaigns,
        leads=leads,
        opps=opps_path,
        touchpoints=touchpoints,
        conversions=conversions,
        plan=plan,
        table=Campaigns.from_arrays(
            campaign=ids,
            budget=columns["budget"],
            spend=columns["spend"],
            start=columns["start"],
            end=columns["end"],
            dimensions={"channel": columns["channel"]},
        ),
        holdout={
            "campaign": ids[tested_rows],
            **{k: np.asarray(sim.holdout[k]) for k in holdout_columns},
        },
        lead_campaign=np.asarray(sim.leads["campaign"]),
        opportunities=Opportunities.from_arrays(
            process=opps.process,
            id=opps.id,
            amount=opps.amount,
            stage=opps.stage_names,
            close_date=np.datetime_as_string(opps.close_date, unit="D"),
            dimensions={"campaign": opps.dimensions["campaign"]},
        ),
        touches=touch_text,
        converted=conv_text,
        plan_rows=PLAN,
    )
