"""BusinessCase.from_frame: the documented table layout read into the same plan as the constructor.

Oracle: the direct constructor (:class:`CostItem`, :class:`BenefitStream`,
:class:`BusinessCase`) called with the values the rows hold; an empty cell
takes the default the layout documents.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.roi import BenefitStream, BusinessCase, CostItem, evaluate_business_case

_COLUMNS = (
    "item",
    "kind",
    "category",
    "one_off",
    "recurring",
    "escalation",
    "value",
    "ramp_up",
    "from_period",
    "growth",
)

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
"""The plan of docs/campaigns.md in the documented layout."""


def _direct() -> BusinessCase:
    """The same plan, written with the constructors."""
    return BusinessCase(
        costs=(
            CostItem(
                name="licences",
                category="technology",
                one_off=80_000.0,
                recurring=60_000.0,
                escalation=0.03,
            ),
            CostItem(name="CRM team", category="people", recurring=90_000.0),
            CostItem(name="change management", category="process", one_off=60_000.0),
        ),
        benefits=(
            BenefitStream(
                name="cross-sell", kind="revenue growth", value=270_000.0, ramp_up=(0.2, 0.5, 0.8)
            ),
            BenefitStream(
                name="service cost", kind="cost reduction", value=80_000.0, ramp_up=(0.5,)
            ),
        ),
        periods=5,
        discount_rate=0.1,
        first_period=0,
    )


def _read(frame, **options):
    return BusinessCase.from_frame(frame, periods=5, discount_rate=0.1, first_period=0, **options)


def test_the_documented_plan_is_the_constructed_one():
    case = _read(PLAN)
    assert case == _direct()
    assert evaluate_business_case(case).npv == evaluate_business_case(_direct()).npv


@pytest.mark.parametrize("library", ["pandas", "polars", "pyarrow"])
def test_every_frame_library_gives_the_same_plan(library):
    lib = pytest.importorskip(library)
    frame = lib.table(PLAN) if library == "pyarrow" else lib.DataFrame(PLAN)
    assert _read(frame) == _direct()


def test_columns_named_otherwise_are_mapped():
    renamed = {
        ("name" if k == "item" else "benefit" if k == "value" else k): v for k, v in PLAN.items()
    }
    assert _read(renamed, columns={"item": "name", "value": "benefit"}) == _direct()


def test_only_item_and_kind_are_required():
    case = _read({"item": ["crm"], "kind": ["cost reduction"], "value": [10.0]})
    assert case.benefits == (BenefitStream(name="crm", kind="cost reduction", value=10.0),)
    assert case.costs == ()


def test_plan_options_reach_the_case():
    case = BusinessCase.from_frame(
        PLAN,
        periods=24,
        discount_rate=0.01,
        first_period=1,
        period_unit="month",
        start="2025-01-01",
    )
    assert (case.periods, case.discount_rate, case.first_period, case.period_unit) == (
        24,
        0.01,
        1,
        "month",
    )
    assert case.start == np.datetime64("2025-01-01")


def test_the_callers_table_is_not_changed():
    frozen = {}
    for k, v in PLAN.items():
        arr = np.array(v, dtype=object)
        arr.flags.writeable = False
        frozen[k] = arr
    kept = {k: v.copy() for k, v in frozen.items()}
    assert _read(frozen) == _direct()
    for k, v in frozen.items():
        assert v.tolist() == kept[k].tolist()


# --------------------------------------------------------------------------- round trip

_names = st.lists(
    st.text(alphabet="abcdefgh xyz", min_size=1, max_size=8).map(str.strip).filter(bool),
    min_size=1,
    max_size=8,
    unique=True,
)
_money = st.floats(min_value=0.0, max_value=1e7, allow_nan=False)
_rate = st.floats(min_value=-0.5, max_value=0.5, allow_nan=False)
_share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def _plans(draw: st.DrawFn) -> tuple[dict[str, list[object]], BusinessCase]:
    """A plan as table rows (blanks where the default is meant) and as constructed values."""
    names = draw(_names)
    rows: dict[str, list[object]] = {c: [] for c in _COLUMNS}
    costs, benefits = [], []

    def cell(value, default):
        # the default may be written out or left blank: both mean the same
        return None if value == default and draw(st.booleans()) else value

    for name in names:
        start = draw(st.integers(min_value=0, max_value=5))
        if draw(st.booleans()):
            item = CostItem(
                name=name,
                category=draw(st.sampled_from(["technology", "people", "process"])),
                one_off=draw(_money),
                recurring=draw(_money),
                recurring_from=start,
                escalation=draw(_rate),
            )
            costs.append(item)
            row = {
                "kind": "cost",
                "category": item.category,
                "one_off": cell(item.one_off, 0.0),
                "recurring": cell(item.recurring, 0.0),
                "escalation": cell(item.escalation, 0.0),
            }
        else:
            ramp = tuple(draw(st.lists(_share, max_size=3)))
            stream = BenefitStream(
                name=name,
                kind=draw(st.sampled_from(["revenue growth", "cost reduction", "retention"])),
                value=draw(_money),
                ramp_up=ramp,
                start=start,
                growth=draw(_rate),
            )
            benefits.append(stream)
            row = {
                "kind": stream.kind,
                "value": stream.value,
                "ramp_up": " ".join(repr(p) for p in ramp) if ramp else None,
                "growth": cell(stream.growth, 0.0),
            }
        row |= {"item": name, "from_period": cell(start, 1)}
        for column in _COLUMNS:
            rows[column].append(row.get(column))
    case = BusinessCase(
        costs=costs, benefits=benefits, periods=5, discount_rate=0.1, first_period=0
    )
    return rows, case


@settings(max_examples=60, deadline=None)
@given(_plans())
def test_rows_read_back_into_the_constructed_plan(plan):
    rows, case = plan
    assert _read(rows) == case


# --------------------------------------------------------------------------- bad tables


def _with(**cells):
    rows = {k: list(v) for k, v in PLAN.items()}
    for name, (row, value) in cells.items():
        rows.setdefault(name, [None] * len(rows["item"]))[row] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "field", "words", "positions"),
    [
        (_with(kind=(1, "capex")), "kind", "must be one of ['cost', 'revenue growth'", (1,)),
        (_with(category=(3, "people")), "category", "must be empty on a benefit row", (3,)),
        (_with(one_off=(4, 5.0)), "one_off", "must be empty on a benefit row", (4,)),
        (_with(value=(0, 5.0)), "value", "must be empty on a cost row", (0,)),
        (_with(ramp_up=(2, "0.5")), "ramp_up", "must be empty on a cost row", (2,)),
        (_with(growth=(1, 0.1)), "growth", "must be empty on a cost row", (1,)),
        (_with(category=(1, None)), "category", "must be given on every cost row", (1,)),
        (_with(category=(1, "marketing")), "category", "must be one of ['technology'", (1,)),
        (_with(value=(3, None)), "value", "must be given on every benefit row", (3,)),
        (_with(item=(1, "licences")), "item", "must be unique", (0, 1)),
        (_with(one_off=(0, -1.0)), "one_off", "must be >= 0", (0,)),
        (_with(recurring=(1, "€90,000")), "recurring", "must hold numbers", (1,)),
        (_with(escalation=(0, -1.0)), "escalation", "must be > -1", (0,)),
        (_with(growth=(3, -1.5)), "growth", "must be > -1", (3,)),
        (_with(ramp_up=(3, "0.2 1.5")), "ramp_up", "shares in [0, 1]", (3,)),
        (_with(ramp_up=(4, "half")), "ramp_up", "shares in [0, 1]", (4,)),
        (_with(from_period=(3, 1.5)), "from_period", "whole number of periods", (3,)),
        (_with(from_period=(3, -1.0)), "from_period", "must be >= 0", (3,)),
    ],
)
def test_bad_cells_name_the_column_and_rows(rows, field, words, positions):
    with pytest.raises(InputError) as info:
        _read(rows)
    err = info.value
    assert err.field == field
    assert words in str(err)
    assert "BusinessCase.from_frame" in str(err)
    assert err.positions == positions


def test_a_bad_cell_shows_its_value_and_item():
    with pytest.raises(InputError) as info:
        _read(_with(category=(3, "people")))
    assert "with value 'people'" in str(info.value)
    assert "The item on that row: 'cross-sell'" in str(info.value)


def test_a_column_named_otherwise_shows_both_names():
    renamed = {
        ("cost_kind" if k == "category" else k): v for k, v in _with(category=(1, "x")).items()
    }
    with pytest.raises(InputError) as info:
        _read(renamed, columns={"category": "cost_kind"})
    assert info.value.field == "category"
    assert "cost_kind" in str(info.value)


@pytest.mark.parametrize("missing", ["item", "kind"])
def test_the_required_columns(missing):
    rows = {k: v for k, v in PLAN.items() if k != missing}
    with pytest.raises(InputError) as info:
        _read(rows)
    assert info.value.field == missing
    assert f"no column {missing!r}" in str(info.value)


def test_a_mapped_column_that_is_absent_is_refused_not_skipped():
    with pytest.raises(InputError) as info:
        _read(PLAN, columns={"value": "benefit"})
    assert info.value.field == "value"
    assert "no column 'benefit'" in str(info.value)


def test_unknown_layout_columns_in_the_mapping():
    with pytest.raises(InputError) as info:
        _read(PLAN, columns={"price": "p"})
    assert info.value.field == "columns"
    assert "mapping from the layout's columns" in str(info.value)


def test_an_empty_table_or_no_table():
    with pytest.raises(InputError) as info:
        _read({k: [] for k in PLAN})
    assert info.value.field == "frame"
    assert "no rows" in str(info.value)
    with pytest.raises(InputError) as info:
        _read("plan.csv")
    assert info.value.field == "frame"
    assert "DataFrame or a mapping" in str(info.value)


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"periods": 0}, "periods", "must be an int in [1, 12000]"),
        ({"discount_rate": -1.0}, "discount_rate", "must be a number > -1"),
        ({"first_period": 2}, "first_period", "must be an int in [0, 1]"),
    ],
)
def test_plan_options_are_checked_as_the_constructor_checks_them(options, field, words):
    kwargs = {"periods": 5, "discount_rate": 0.1, "first_period": 0} | options
    with pytest.raises(InputError) as info:
        BusinessCase.from_frame(PLAN, **kwargs)
    assert info.value.field == field
    assert words in str(info.value)
