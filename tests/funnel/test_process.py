"""Sales process definitions and the Opportunities boundary."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings

from crmkit.errors import InputError, ModelDefinitionError
from crmkit.funnel import DEFAULT_PROCESS, ForecastCategory, Opportunities, SalesProcess, Stage
from tests.funnel.strategies import build, opportunity_columns


def test_default_process_has_five_increasing_stages():
    assert DEFAULT_PROCESS.names == (
        "identify opportunity",
        "qualify",
        "plan",
        "propose solution",
        "close",
        "won",
        "lost",
    )
    probs = DEFAULT_PROCESS.probabilities
    assert np.all(np.diff(probs[:5]) >= 0)
    assert probs[5] == 1.0
    assert probs[6] == 0.0
    assert DEFAULT_PROCESS.won_code == 5
    assert DEFAULT_PROCESS.lost_code == 6


@pytest.mark.parametrize(
    ("stages", "won", "lost", "match"),
    [
        (
            (Stage(name="a", probability=0.5), Stage(name="b", probability=0.2)),
            "won",
            "lost",
            "decrease",
        ),
        (
            (Stage(name="a", probability=0.1), Stage(name="a", probability=0.2)),
            "won",
            "lost",
            "twice",
        ),
        ((Stage(name="won", probability=0.1),), "won", "lost", "twice"),
    ],
)
def test_inconsistent_process_definitions_are_rejected(stages, won, lost, match):
    with pytest.raises(ModelDefinitionError, match=match):
        SalesProcess(stages=stages, won=won, lost=lost)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"stages": (), "won": "won"}, "stages", "non-empty sequence of Stage"),
        ({"stages": "plan"}, "stages", "non-empty sequence of Stage"),
        ({"stages": [0.3]}, "stages", "non-empty sequence of Stage"),
        ({"stages": [Stage(name="a", probability=0.1)], "won": ""}, "won", "non-empty name"),
        ({"stages": [Stage(name="a", probability=0.1)], "lost": 3}, "lost", "a non-empty name"),
    ],
)
def test_bad_process_parameters_name_the_field(kwargs, field, words):
    with pytest.raises(InputError, match=words) as err:
        SalesProcess(**kwargs)
    assert err.value.field == field
    assert "of SalesProcess" in str(err.value)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), True, "x", None])
def test_stage_probability_must_be_in_unit_interval(p):
    words = r"'probability' parameter of Stage must be a number in \[0, 1\]"
    with pytest.raises(InputError, match=words) as err:
        Stage(name="a", probability=p)
    assert err.value.field == "probability"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"name": ""}, "name"), ({"name": 3}, "name"), ({"category": 9}, "category")],
)
def test_stage_name_and_category_are_checked(kwargs, field):
    with pytest.raises(InputError) as err:
        Stage(**{"name": "a", "probability": 0.5, **kwargs})
    assert err.value.field == field
    assert "of Stage" in str(err.value)


def test_custom_process_and_code_lookup():
    proc = SalesProcess(
        stages=[Stage(name="lead", probability=0.05), Stage(name="demo", probability=0.3)],
        won="signed",
        lost="dropped",
    )
    assert proc.code("signed") == 2
    with pytest.raises(ModelDefinitionError, match="known"):
        proc.code("nope")


@settings(max_examples=50, deadline=None)
@given(opportunity_columns())
def test_arrays_validate_and_never_modify_inputs(cols):
    before = {k: v.copy() for k, v in cols.items()}
    opps = build(cols)
    for k, v in cols.items():
        np.testing.assert_array_equal(v, before[k])
    assert opps.n_rows == cols["id"].size
    np.testing.assert_array_equal(opps.stage_names, cols["stage"])
    assert not opps.amount.flags.writeable
    assert opps.n_open == int(np.isin(cols["stage"], ["won", "lost"], invert=True).sum())
    json.dumps(opps.to_dict())


def test_unknown_stage_lists_known_ones():
    with pytest.raises(InputError) as err:
        Opportunities.from_arrays(
            process=DEFAULT_PROCESS,
            id=[1, 2, 3],
            amount=[1.0, 2.0, 3.0],
            stage=["plan", "demo", "x"],
        )
    assert err.value.field == "stage"
    assert err.value.n_bad == 2
    assert err.value.positions == (1, 2)
    assert "qualify" in str(err.value)


@pytest.mark.parametrize(("amount", "n_bad"), [([1.0, -2.0, -3.0], 2), ([np.nan, 1.0, 2.0], 1)])
def test_negative_or_nan_amounts_are_rejected(amount, n_bad):
    with pytest.raises(InputError) as err:
        Opportunities.from_arrays(
            process=DEFAULT_PROCESS, id=[1, 2, 3], amount=amount, stage=["plan"] * 3
        )
    assert err.value.field == "amount"
    assert err.value.n_bad == n_bad


def test_duplicate_ids_and_length_mismatch():
    with pytest.raises(InputError, match="unique"):
        Opportunities.from_arrays(
            process=DEFAULT_PROCESS, id=[1, 1], amount=[1, 2], stage=["plan"] * 2
        )
    with pytest.raises(InputError, match="same length"):
        Opportunities.from_arrays(
            process=DEFAULT_PROCESS, id=[1, 2], amount=[1.0], stage=["plan"] * 2
        )


def test_stage_codes_are_accepted_and_checked():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS, id=[1, 2], amount=[1, 2], stage=[0, 5]
    )
    assert opps.stage_names.tolist() == ["identify opportunity", "won"]
    with pytest.raises(InputError, match="stage codes"):
        Opportunities.from_arrays(process=DEFAULT_PROCESS, id=[1], amount=[1], stage=[9])


def test_category_overrides_apply_to_open_deals_only():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4],
        amount=[1.0] * 4,
        stage=["qualify", "plan", "won", "close"],
        category=["commit", None, "pipeline", ForecastCategory.OMITTED],
    )
    assert opps.category.tolist() == [
        ForecastCategory.COMMIT,
        ForecastCategory.PIPELINE,
        ForecastCategory.CLOSED,
        ForecastCategory.OMITTED,
    ]
    with pytest.raises(InputError, match="forecast categories"):
        Opportunities.from_arrays(
            process=DEFAULT_PROCESS, id=[1], amount=[1.0], stage=["plan"], category=["maybe"]
        )


def test_missing_close_dates_are_kept_as_nat():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2],
        amount=[1.0, 2.0],
        stage=["plan", "plan"],
        close_date=["2024-01-01", None],
    )
    assert np.isnat(opps.close_date).tolist() == [False, True]


@pytest.mark.parametrize("lib", ["pandas", "polars", "pyarrow", "duckdb"])
def test_frames_give_the_same_value_as_arrays(lib):
    data = {
        "opp": ["a", "b", "c"],
        "value": [100.0, 250.0, 0.0],
        "st": ["plan", "won", "qualify"],
        "close": pd.to_datetime(["2024-03-01", "2024-02-01", "2024-04-15"]),
        "owner": ["ana", "bo", "ana"],
    }
    frame = pd.DataFrame(data) if lib == "pandas" else pl.DataFrame(data)
    if lib == "pyarrow":
        frame = pa.Table.from_pandas(pd.DataFrame(data))
    elif lib == "duckdb":
        con = duckdb.connect()
        con.register("deals", pd.DataFrame(data))
        frame = con.sql("select * from deals")
    opps = Opportunities.from_frame(
        frame,
        process=DEFAULT_PROCESS,
        id="opp",
        amount="value",
        stage="st",
        close_date="close",
        dimensions={"rep": "owner"},
    )
    direct = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=data["opp"],
        amount=data["value"],
        stage=data["st"],
        close_date=np.array(["2024-03-01", "2024-02-01", "2024-04-15"], dtype="M8[us]"),
        dimensions={"rep": data["owner"]},
    )
    np.testing.assert_array_equal(opps.close_date, direct.close_date)
    np.testing.assert_array_equal(opps.dimensions["rep"], direct.dimensions["rep"])
    assert opps.to_dict() == direct.to_dict()


def test_frame_with_missing_column_hints():
    with pytest.raises(InputError, match="Did you mean"):
        Opportunities.from_frame(
            pd.DataFrame({"id": [1], "amount": [1.0], "stage": ["plan"]}),
            process=DEFAULT_PROCESS,
            amount="amont",
        )
