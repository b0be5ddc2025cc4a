import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.roi import (
    CostColumn,
    MarginRate,
    bgnbd_from_params,
    customer_pnl,
    profit_clv,
    wallet_opportunity,
)
from crmkit.segmentation import share_of_wallet, value_tiers


def _pnl():
    return customer_pnl(
        {
            "customer": ["a", "b", "c"],
            "timestamp": ["2024-01-01"] * 3,
            "amount": [300.0, 50.0, 0.0],
        },
        margin=MarginRate(rate=0.3),
        activities={"customer": ["a", "b", "c"], "calls": [1, 2, 3]},
        unit_costs={"calls": 5.0},
    )


def test_wallet_reuses_share_of_wallet():
    pnl = _pnl()
    gap = wallet_opportunity(pnl, category_spend=[400.0, 1000.0, 200.0])
    reference = share_of_wallet(pnl.revenue, [400.0, 1000.0, 200.0], customer=pnl.customer)
    np.testing.assert_array_equal(gap.share, reference.share)
    np.testing.assert_array_equal(gap.wallet_gap, reference.wallet_gap)
    assert gap.overall_share == reference.overall_share
    # c has no revenue: the base-wide margin rate (0.3) values its gap
    assert gap.margin_rate.tolist() == pytest.approx([0.3, 0.3, 0.3])
    assert gap.gap_margin.tolist() == pytest.approx([30.0, 285.0, 60.0])
    assert gap.profit.tolist() == pytest.approx([85.0, 5.0, -15.0])


def test_wallet_aligned_by_customer_and_capped():
    pnl = _pnl()
    gap = wallet_opportunity(
        pnl,
        category_spend=[200.0, 100.0, 250.0],
        wallet_customer=["c", "b", "a"],
        excess="cap",
    )
    assert gap.category_spend.tolist() == [300.0, 100.0, 200.0]
    assert gap.n_capped == 1
    with pytest.raises(InputError, match="at least each customer's revenue"):
        wallet_opportunity(pnl, category_spend=[250.0, 100.0, 200.0])
    with pytest.raises(InputError, match="every P&L customer") as err:
        wallet_opportunity(pnl, category_spend=[1.0], wallet_customer=["a"])
    assert err.value.field == "category_spend"


def test_wallet_rejects_net_refunders():
    pnl = customer_pnl(
        {"customer": [1, 1], "timestamp": ["2024-01-01"] * 2, "amount": [10.0, -30.0]},
        margin=MarginRate(rate=0.3),
    )
    with pytest.raises(InputError, match="'revenue'"):
        wallet_opportunity(pnl, category_spend=[100.0])


def test_pyramid_runs_on_profit_clv():
    bg = bgnbd_from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    value = profit_clv(
        bg,
        {
            "customer": [1, 2, 3, 4, 5],
            "frequency": [5, 3, 1, 0, 8],
            "recency": [30.0, 20.0, 5.0, 0.0, 37.0],
            "T": [38.0] * 5,
        },
        profit_per_purchase=[10.0, 4.0, 1.0, 2.0, -6.0],
        periods=12,
        period_length=52 / 12,
        discount_rate=0.01,
    )
    tiers = value_tiers(
        value.clv,
        customer=value.customer,
        cuts=(0.2, 0.6),
        labels=("gold", "silver", "bronze"),
        negative_tier="loss",
    )
    assert tiers.tier[tiers.customer.tolist().index(5)] == "loss"
    assert tiers.customers["loss"] == 1


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        # amounts of at least a cent (or none): a subnormal spend makes margin / revenue meaningless
        st.tuples(
            st.one_of(st.just(0.0), st.floats(0.01, 1e4)),
            st.floats(0.0, 1e4),
            st.floats(-0.5, 1.0),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_gap_margin_is_gap_times_margin_rate(rows):
    spend = [r[0] for r in rows]
    assume(sum(spend) > 0)
    extra = [r[1] + 1.0 for r in rows]
    pnl = customer_pnl(
        {
            "customer": list(range(len(rows))),
            "timestamp": ["2024-01-01"] * len(rows),
            "amount": spend,
        },
        margin=MarginRate(rate=0.25),
    )
    wallet = np.asarray(spend) + np.asarray(extra)
    gap = wallet_opportunity(pnl, category_spend=wallet)
    np.testing.assert_allclose(gap.wallet_gap, extra, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gap.gap_margin, gap.wallet_gap * 0.25, rtol=1e-9, atol=1e-9)
    assert np.all((gap.share >= 0) & (gap.share <= 1))


def test_no_revenue_at_all_leaves_the_rate_undefined():
    pnl = customer_pnl(
        {"customer": [1], "timestamp": ["2024-01-01"], "amount": [0.0]},
        margin=MarginRate(rate=0.3),
    )
    gap = wallet_opportunity(pnl, category_spend=[50.0])
    assert np.isnan(gap.margin_rate[0])
    assert gap.to_dict()["gap_margin"] == [None]


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"category_spend": [400.0, 100.0, 0.0]}, "category_spend", "must be > 0"),
        ({"category_spend": [400.0, np.nan, 10.0]}, "category_spend", "finite"),
        ({"category_spend": [1e308, 1e308, 1e308]}, "category_spend", "finite float64 total"),
        ({"category_spend": []}, "category_spend", "empty"),
        ({"category_spend": [400.0, 100.0]}, "category_spend", "same length"),
        ({"wallet_customer": []}, "wallet_customer", "empty"),
        ({"wallet_customer": ["a", "b", "b"]}, "wallet_customer", "each customer once"),
        ({"wallet_customer": [1, 2, 3]}, "wallet_customer", "same kind"),
        ({"excess": "clip"}, "excess", "one of 'raise', 'cap'"),
        ({"excess": True}, "excess", "one of 'raise', 'cap'"),
    ],
)
def test_bad_wallets_are_named(kwargs, field, words):
    args = {"category_spend": [400.0, 100.0, 10.0]} | kwargs
    with pytest.raises(InputError, match=words) as err:
        wallet_opportunity(_pnl(), **args)
    assert err.value.field == field


def test_a_pnl_is_required():
    with pytest.raises(InputError, match="must be a CustomerPnL") as err:
        wallet_opportunity({"revenue": [1.0]}, category_spend=[2.0])  # type: ignore[arg-type]
    assert err.value.field == "pnl"


def test_a_gap_margin_beyond_float64_is_refused():
    # revenue 1e-300 with a cost of goods of 1.0: a margin rate of -1e300 on a gap of 1e10
    pnl = customer_pnl(
        {
            "customer": [1, 2],
            "timestamp": ["2024-01-01"] * 2,
            "amount": [1e-300, 10.0],
            "cogs": [1.0, 5.0],
        },
        margin=CostColumn(column="cogs"),
    )
    with pytest.raises(InputError, match="wallet gap") as err:
        wallet_opportunity(pnl, category_spend=[1e10, 20.0])
    assert err.value.field == "pnl"
