import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import Transactions
from crmkit.errors import InputError
from crmkit.roi import CostColumn, MarginRate, customer_pnl
from tests.roi.strategies import pnl_inputs


def _tx(customers, amounts, **extra):
    n = len(customers)
    return {
        "customer": customers,
        "timestamp": ["2024-01-01"] * n,
        "amount": amounts,
        **extra,
    }


def test_hand_worked_pnl():
    # ann: revenue 1500, margin 40% -> 600, visits 3*150 + tickets 5*25 = 575, direct 0
    pnl = customer_pnl(
        _tx(["ann", "ann", "bob"], [900.0, 600.0, 400.0]),
        margin=MarginRate(rate=0.4),
        activities={"customer": ["ann", "bob"], "visits": [3, 0], "tickets": [5, 1]},
        unit_costs={"visits": 150.0, "tickets": 25.0},
        direct_costs={"customer": ["bob", "bob", "cy"], "cost": [10.0, 5.0, 30.0]},
    )
    assert pnl.customer.tolist() == ["ann", "bob", "cy"]
    assert pnl.revenue.tolist() == [1500.0, 400.0, 0.0]
    assert pnl.gross_margin.tolist() == pytest.approx([600.0, 160.0, 0.0])
    assert pnl.cost_to_serve.tolist() == pytest.approx([575.0, 40.0, 30.0])
    assert pnl.direct_cost.tolist() == [0.0, 15.0, 30.0]
    assert pnl.profit.tolist() == pytest.approx([25.0, 120.0, -30.0])
    assert pnl.profit_margin[:2].tolist() == pytest.approx([25 / 1500, 120 / 400])
    assert np.isnan(pnl.profit_margin[2])
    assert pnl.return_on_cost_to_serve.tolist() == pytest.approx([25 / 575, 3.0, -1.0])
    assert pnl.n_without_transactions == 1
    assert pnl.n_purchases.tolist() == [2, 1, 0]
    table = pnl.table()
    assert list(table)[5:8] == ["cost_visits", "cost_tickets", "direct_cost"]
    frame = pnl.to_frame("pandas")
    assert frame["profit"].sum() == pytest.approx(115.0)
    assert pnl.to_dict()["unit_costs"] == {"visits": 150.0, "tickets": 25.0}


def test_cost_column_and_product_rates():
    tx = _tx(
        [1, 1, 2],
        [100.0, -20.0, 50.0],
        cogs=[70.0, -14.0, 20.0],
        product=["books", "books", "music"],
    )
    by_cost = customer_pnl(tx, margin=CostColumn(column="cogs"))
    assert by_cost.gross_margin.tolist() == pytest.approx([24.0, 30.0])
    by_product = customer_pnl(
        tx, margin=MarginRate(rate={"books": 0.3, "music": 0.6}, by="product")
    )
    assert by_product.gross_margin.tolist() == pytest.approx([24.0, 30.0])
    assert by_product.n_purchases.tolist() == [1, 1]


def test_unknown_product_rate_lists_rows():
    tx = _tx([1, 2], [10.0, 5.0], product=["books", "games"])
    with pytest.raises(InputError, match="1 bad row") as err:
        customer_pnl(tx, margin=MarginRate(rate={"books": 0.3}, by="product"))
    assert "games" in str(err.value)


@settings(max_examples=60, deadline=None)
@given(pnl_inputs())
def test_profit_is_revenue_minus_costs_line_by_line(data):
    tx, activities, unit_costs, rate = data
    pnl = customer_pnl(
        tx, margin=MarginRate(rate=rate), activities=activities, unit_costs=unit_costs
    )
    lines = sum(pnl.activity_costs.values())
    np.testing.assert_allclose(pnl.cost_to_serve, lines + pnl.direct_cost, atol=1e-6)
    np.testing.assert_allclose(
        pnl.profit, pnl.revenue - pnl.cost_of_goods - pnl.cost_to_serve, atol=1e-6
    )
    np.testing.assert_allclose(pnl.cost_of_goods, pnl.revenue * (1 - rate), atol=1e-6)
    for name, cost in unit_costs.items():
        np.testing.assert_allclose(pnl.activity_costs[name], pnl.activity_counts[name] * cost)
    # every customer in either table is present exactly once
    expected = np.union1d(tx["customer"], activities["customer"])
    assert pnl.customer.tolist() == expected.tolist()
    assert pnl.total_revenue == pytest.approx(float(np.sum(tx["amount"])), abs=1e-6)


def test_missing_counts_are_zero_and_reported():
    pnl = customer_pnl(
        _tx([1, 2, 3], [10.0, 10.0, 10.0]),
        margin=MarginRate(rate=0.5),
        activities=pd.DataFrame({"customer": [1, 2], "visits": [2.0, np.nan]}),
        unit_costs={"visits": 4.0},
    )
    assert pnl.activity_counts["visits"].tolist() == [2.0, 0.0, 0.0]
    assert pnl.n_counts_filled == 1


def test_frames_in_and_out():
    tx = pl.DataFrame(_tx([1, 2], [10.0, 20.0]))
    pnl = customer_pnl(
        tx,
        margin=MarginRate(rate=0.5),
        activities=pl.DataFrame({"id": [2], "calls": [3]}),
        unit_costs={"calls": 1.0},
        activity_customer="id",
    )
    assert pnl.profit.tolist() == [5.0, 7.0]
    assert type(pnl.to_frame_like(tx)).__name__ == "DataFrame"


def test_unknown_activity_names_are_listed():
    with pytest.raises(InputError) as err:
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            activities={"customer": [1], "visits": [1], "calls": [2]},
            unit_costs={"visits": 3.0, "emails": 0.1},
        )
    message = str(err.value)
    assert "['calls']" in message
    assert "['emails']" in message


@pytest.mark.parametrize(
    ("activities", "unit_costs", "field"),
    [
        ({"customer": [1, 2], "visits": [1, -2]}, {"visits": 3.0}, "visits"),
        ({"customer": [1], "visits": [1]}, {"visits": -3.0}, "unit_costs['visits']"),
        ({"customer": [1], "visits": [1]}, {"visits": float("nan")}, "unit_costs['visits']"),
        ({"client": [1], "visits": [1]}, {"visits": 3.0}, "activity_customer"),
    ],
)
def test_bad_activities(activities, unit_costs, field):
    with pytest.raises(InputError) as err:
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            activities=activities,
            unit_costs=unit_costs,
        )
    assert err.value.field == field


def test_negative_count_error_names_rows():
    with pytest.raises(InputError, match=r"'visits' column .* >= 0: 1 bad row, at position 1"):
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            activities={"customer": [1, 2], "visits": [1, -2]},
            unit_costs={"visits": 3.0},
        )


def test_other_bad_input():
    with pytest.raises(InputError, match="given together"):
        customer_pnl(_tx([1], [10.0]), margin=MarginRate(rate=0.5), unit_costs={"a": 1.0})
    with pytest.raises(InputError, match="one kind"):
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            activities={"customer": ["x"], "a": [1]},
            unit_costs={"a": 1.0},
        )
    with pytest.raises(InputError, match="'cost'"):
        customer_pnl(_tx([1], [10.0]), margin=MarginRate(rate=0.5), direct_costs={"customer": [1]})
    with pytest.raises(InputError, match=">= 0"):
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            direct_costs={"customer": [1], "cost": [-1.0]},
        )
    with pytest.raises(InputError, match="'cogs'"):
        customer_pnl(_tx([1], [10.0]), margin=CostColumn(column="cogs"))
    with pytest.raises(InputError, match="'rate'"):
        MarginRate(rate=1.5)
    with pytest.raises(InputError, match="'by'"):
        MarginRate(rate={"a": 0.1})
    with pytest.raises(InputError, match="'by'"):
        MarginRate(rate=0.1, by="product")


def test_read_only_inputs_untouched():
    customers = np.array([1, 2, 2])
    amounts = np.array([5.0, 6.0, 7.0])
    counts = np.array([1.0, np.nan])
    for arr in (customers, amounts, counts):
        arr.flags.writeable = False
    tx = Transactions.from_arrays(customer=customers, timestamp=["2024-01-01"] * 3, amount=amounts)
    pnl = customer_pnl(
        tx,
        margin=MarginRate(rate=0.2),
        activities={"customer": np.array([1, 2]), "a": counts},
        unit_costs={"a": 2.0},
    )
    assert np.isnan(counts[1])
    assert pnl.activity_counts["a"].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="read-only"):
        pnl.profit[0] = 1.0


def test_lazy_frames_for_every_table():
    duckdb = pytest.importorskip("duckdb")
    tx = pd.DataFrame(_tx([1, 2, 2], [10.0, 20.0, 5.0], cogs=[6.0, 10.0, 2.0]))
    acts = pd.DataFrame({"customer": [1, 2], "visits": [1, 3]})
    costs = pd.DataFrame({"customer": [2], "cost": [4.0]})
    con = duckdb.connect()
    lazy_tx = con.from_df(tx)
    lazy_acts = con.from_df(acts)
    lazy_costs = con.from_df(costs)
    pnl = customer_pnl(
        lazy_tx,
        margin=CostColumn(column="cogs"),
        activities=lazy_acts,
        unit_costs={"visits": 2.0},
        direct_costs=lazy_costs,
    )
    eager = customer_pnl(
        tx,
        margin=CostColumn(column="cogs"),
        activities=acts,
        unit_costs={"visits": 2.0},
        direct_costs=costs,
    )
    assert pnl.profit.tolist() == eager.profit.tolist() == [2.0, 3.0]


def test_margin_column_missing_is_named():
    tx = Transactions.from_arrays(customer=[1], timestamp=["2024-01-01"], amount=[10.0])
    with pytest.raises(InputError, match="'product'"):
        customer_pnl(tx, margin=MarginRate(rate={"books": 0.3}, by="product"))
    with pytest.raises(InputError, match="'cogs'"):
        customer_pnl(tx, margin=CostColumn(column="cogs"))


# --- the boundary: every parameter and column refused by name ---------------------------


@pytest.mark.parametrize(
    ("margin", "hint"),
    [
        (0.3, "margin=MarginRate(rate=0.3)"),
        ("cogs", "margin=CostColumn(column='cogs')"),
        ({"books": 0.3}, "MarginRate(rate={...}, by='<column>')"),
        (None, "MarginRate(rate=0.3)"),
    ],
)
def test_a_bare_margin_is_refused_with_the_value_to_pass(margin, hint):
    with pytest.raises(InputError, match="must be a MarginRate or a CostColumn") as err:
        customer_pnl(_tx([1], [10.0]), margin=margin)
    assert err.value.field == "margin"
    assert hint in err.value.hint


def test_column_keywords_and_date_format():
    # CDNOW-style dates (YYYYMMDD numbers) need date_format, like every reader of dates
    raw = {"cust": [4, 4, 7], "day": [19970101, 19970118, 19970102], "eur": [29.33, 29.73, 10.0]}
    with pytest.raises(InputError, match="date_format") as err:
        customer_pnl(
            raw, margin=MarginRate(rate=0.5), customer="cust", timestamp="day", amount="eur"
        )
    assert err.value.field == "timestamp"
    text = raw | {"day": ["19970101", "19970118", "19970102"]}
    with pytest.raises(InputError, match="date_format") as err:
        customer_pnl(
            text, margin=MarginRate(rate=0.5), customer="cust", timestamp="day", amount="eur"
        )
    assert (err.value.field, err.value.column) == ("timestamp", "day")
    pnl = customer_pnl(
        raw,
        margin=MarginRate(rate=0.5),
        customer="cust",
        timestamp="day",
        amount="eur",
        date_format="%Y%m%d",
    )
    assert pnl.customer.tolist() == [4, 7]
    assert pnl.revenue.tolist() == pytest.approx([59.06, 10.0])
    with pytest.raises(InputError, match="mapped to 'amount'") as err:
        customer_pnl(raw, margin=MarginRate(rate=0.5), customer="cust", timestamp="day")
    assert err.value.field == "amount"


def test_empty_input_is_refused_naming_the_argument():
    tx = Transactions.from_arrays(customer=[1, 2], timestamp=["2024-01-01"] * 2, amount=[1.0, 2.0])
    with pytest.raises(InputError, match="at least one transaction") as err:
        customer_pnl(tx.take(np.zeros(2, dtype=bool)), margin=MarginRate(rate=0.5))
    assert err.value.field == "transactions"
    with pytest.raises(InputError, match="at least one row") as err:
        customer_pnl(_tx([], []), margin=MarginRate(rate=0.5))
    assert err.value.field == "transactions"
    for table, kwargs in [
        ("activities", {"activities": {"customer": [], "a": []}, "unit_costs": {"a": 1.0}}),
        ("direct_costs", {"direct_costs": {"customer": [], "cost": []}}),
    ]:
        with pytest.raises(InputError, match="has no rows") as err:
            customer_pnl(_tx([1], [10.0]), margin=MarginRate(rate=0.5), **kwargs)
        assert err.value.field == table
        assert f"{table}=None" in err.value.hint


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"unit_costs": {"a": "3"}}, "unit_costs['a']", "must be a number >= 0"),
        ({"unit_costs": {"a": True}}, "unit_costs['a']", "must be a number >= 0"),
        ({"unit_costs": {"a": float("inf")}}, "unit_costs['a']", "must be a number >= 0"),
        ({"unit_costs": [("a", 1.0)]}, "unit_costs", "mapping of activity name"),
        ({"unit_costs": {}}, "unit_costs", "non-empty mapping"),
        ({"activity_customer": ""}, "activity_customer", "name of a column"),
        ({"direct_cost_column": 3}, "direct_cost_column", "name of a column"),
    ],
)
def test_bad_parameters_are_named(kwargs, field, words):
    args = {
        "margin": MarginRate(rate=0.5),
        "activities": {"customer": [1], "a": [1]},
        "unit_costs": {"a": 1.0},
    } | kwargs
    with pytest.raises(InputError, match=words) as err:
        customer_pnl(_tx([1], [10.0]), **args)
    assert err.value.field == field


def test_side_table_errors_name_the_keyword_and_the_column():
    with pytest.raises(InputError, match="must not be null") as err:
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            direct_costs={"client": [1, None], "fee": [1.0, 2.0]},
            activity_customer="client",
            direct_cost_column="fee",
        )
    assert (err.value.field, err.value.column, err.value.positions) == (
        "activity_customer",
        "client",
        (1,),
    )
    with pytest.raises(InputError, match=">= 0") as err:
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            direct_costs={"client": [1, 1], "fee": [1.0, -2.0]},
            activity_customer="client",
            direct_cost_column="fee",
        )
    assert (err.value.field, err.value.column, err.value.positions) == (
        "direct_cost_column",
        "fee",
        (1,),
    )
    with pytest.raises(InputError, match="one kind") as err:
        customer_pnl(
            _tx([1], [10.0]),
            margin=MarginRate(rate=0.5),
            direct_costs={"customer": ["1"], "cost": [1.0]},
        )
    assert err.value.field == "activity_customer"


# --- finite in, finite out -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        # 2 x 1e308 of visits: each customer's line is finite, their total is not
        (
            {
                "activities": {"customer": [1, 2], "visits": [1.0, 1.0]},
                "unit_costs": {"visits": 1e308},
            },
            "visits",
        ),
        # two activity lines of 1e308 each: every line fits, the cost to serve does not
        (
            {
                "activities": {"customer": [1], "a": [1.0], "b": [1.0]},
                "unit_costs": {"a": 1e308, "b": 1e308},
            },
            "unit_costs",
        ),
        # a margin rate of -1e308: the cost of goods is amount x (1 + 1e308)
        ({"margin": MarginRate(rate=-1e308)}, "margin"),
    ],
)
def test_lines_beyond_float64_are_refused_by_name(kwargs, field):
    args = {"margin": MarginRate(rate=0.5)} | kwargs
    with pytest.raises(InputError, match="passes float64's range") as err:
        customer_pnl(_tx([1, 2], [10.0, 20.0]), **args)
    assert err.value.field == field
    assert "Rescale" in err.value.hint


def test_a_ratio_beyond_float64_is_nan_for_that_customer_only():
    # revenue 1e-300 against a cost of goods of 1e10: the profit margin would be -1e310,
    # which float64 cannot hold; the documented reading is NaN, the other customer's stands
    tx = _tx([1, 2], [1e-300, 50.0], cogs=[1e10, 20.0])
    pnl = customer_pnl(tx, margin=CostColumn(column="cogs"))
    assert np.isnan(pnl.profit_margin[0])
    assert pnl.profit_margin[1] == pytest.approx(30.0 / 50.0)
    assert np.isfinite(pnl.profit).all()


def _pnl_or_error(tx, **kwargs):
    try:
        return customer_pnl(tx, **kwargs)
    except InputError as err:
        return err


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.floats(-1e308, 1e308, allow_nan=False),
            st.floats(0.0, 1e308, allow_nan=False),
        ),
        min_size=1,
        max_size=12,
    ),
    st.floats(-1e308, 1.0, allow_nan=False),
    st.floats(0.0, 1e308, allow_nan=False),
)
def test_finite_in_finite_out_or_a_named_error(rows, rate, unit_cost):
    """Any finite input gives finite figures (NaN exactly where a ratio is undefined)."""
    customers = [r[0] for r in rows]
    pnl = _pnl_or_error(
        _tx(customers, [r[1] for r in rows]),
        margin=MarginRate(rate=rate),
        activities={"customer": customers, "visits": [r[2] for r in rows]},
        unit_costs={"visits": unit_cost},
    )
    if isinstance(pnl, InputError):
        assert pnl.field in {"amount", "margin", "visits", "unit_costs"}
        assert "float64" in str(pnl)
        return
    for name in ("revenue", "cost_of_goods", "gross_margin", "cost_to_serve", "profit"):
        values = getattr(pnl, name)
        assert np.isfinite(values).all(), name
        assert np.isfinite(np.abs(values).sum()), name  # every total over customers fits
    with np.errstate(all="ignore"):  # the oracle: NaN where undefined or beyond float64
        margin = np.where(pnl.revenue > 0, pnl.profit / pnl.revenue, np.nan)
        roi = np.where(pnl.cost_to_serve > 0, pnl.profit / pnl.cost_to_serve, np.nan)
    assert np.array_equal(np.isnan(pnl.profit_margin), ~np.isfinite(margin))
    assert np.array_equal(np.isnan(pnl.return_on_cost_to_serve), ~np.isfinite(roi))
    assert np.isfinite(pnl.total_profit)


# --- the value classes ---------------------------------------------------------------------


def test_margin_rate_keys():
    tx = _tx([1, 2], [100.0, 100.0], product=[7, 8])
    pnl = customer_pnl(tx, margin=MarginRate(rate={7: 0.25, "8": 0.5}, by="product"))
    assert pnl.gross_margin.tolist() == [25.0, 50.0]
    with pytest.raises(InputError, match="one rate per category") as err:
        MarginRate(rate={1: 0.2, "1": 0.3}, by="product")
    assert err.value.field == "rate"
    with pytest.raises(InputError, match="keys are category values") as err:
        MarginRate(rate={True: 0.2}, by="product")
    assert err.value.field == "rate"
    with pytest.raises(InputError, match="number <= 1") as err:
        MarginRate(rate={"books": "0.2"}, by="product")
    assert err.value.field == "rate['books']"


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: CostColumn(column=""), "column"),
        (lambda: CostColumn(column=3), "column"),
        (lambda: MarginRate(rate={"a": 0.2}, by=""), "by"),
        (lambda: MarginRate(rate=float("nan")), "rate"),
        (lambda: MarginRate(rate=True), "rate"),
    ],
)
def test_value_classes_refuse_bad_fields(make, field):
    with pytest.raises(InputError) as err:
        make()
    assert err.value.field == field


def test_parameters_are_checked_for_a_transactions_value_too():
    tx = Transactions.from_arrays(customer=[1], timestamp=["2024-01-01"], amount=[10.0])
    for kwargs, field in [
        ({"date_format": "nonsense"}, "date_format"),
        ({"customer": 3}, "customer"),
    ]:
        with pytest.raises(InputError) as err:
            customer_pnl(tx, margin=MarginRate(rate=0.5), **kwargs)
        assert err.value.field == field
