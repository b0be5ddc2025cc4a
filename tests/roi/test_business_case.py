import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InputError
from crmkit.roi import (
    BenefitStream,
    BusinessCase,
    CostItem,
    Triangular,
    Uniform,
    evaluate_business_case,
    irr_roots,
    npv,
    retention_economics,
    scenarios,
    sensitivity,
    simulate_business_case,
    xnpv,
)


def _case(**kwargs):
    base = {
        "costs": (
            CostItem(name="software", category="technology", one_off=120_000.0, recurring=25_000.0),
            CostItem(name="training", category="people", one_off=60_000.0, recurring=5_000.0),
            CostItem(name="change", category="process", one_off=30_000.0),
        ),
        "benefits": (
            BenefitStream(name="service", kind="cost reduction", value=60_000.0, ramp_up=(0.5,)),
            BenefitStream.revenue_growth(
                name="cross-sell", extra_revenue=200_000.0, margin_rate=0.3, ramp_up=(0.25, 0.6)
            ),
        ),
        "periods": 5,
        "discount_rate": 0.1,
        "first_period": 0,
    }
    return BusinessCase(**(base | kwargs))


def test_cash_flows_tco_and_figures():
    r = evaluate_business_case(_case())
    assert r.period.tolist() == [0, 1, 2, 3, 4, 5]
    assert r.one_off_cost["technology"].tolist() == [120_000.0, 0, 0, 0, 0, 0]
    assert r.recurring_cost["people"].tolist() == [0.0] + [5_000.0] * 5
    assert r.total_cost.tolist() == [210_000.0] + [30_000.0] * 5
    assert r.benefits["service"].tolist() == [0.0, 30_000.0] + [60_000.0] * 4
    assert r.benefits["cross-sell"].tolist() == [0.0, 15_000.0, 36_000.0] + [60_000.0] * 3
    assert dict(r.tco) == {"technology": 245_000.0, "people": 85_000.0, "process": 30_000.0}
    net = r.total_benefit - r.total_cost
    assert r.net_cash_flow.tolist() == net.tolist()
    assert r.npv == pytest.approx(npv(0.1, net.tolist(), first_period=0))
    assert r.cumulative_discounted[-1] == pytest.approx(r.npv)
    roots = irr_roots(net.tolist()).rate
    assert r.irr == pytest.approx(float(roots[0]))
    assert r.roi == pytest.approx((r.total_benefits - r.total_costs) / r.total_costs)
    assert r.break_even_period == 1  # from period 1 benefits cover the running costs
    assert r.payback_period is not None
    assert 3 < r.payback_period < 4
    assert r.discounted_payback_period is not None
    assert r.discounted_payback_period > r.payback_period
    frame = r.to_frame()
    assert "technology one-off" in frame.columns
    assert "cross-sell" in frame.columns
    assert r.to_dict()["irr_roots"] == [pytest.approx(r.irr)]


def test_spreadsheet_convention_discounts_every_period_once_more():
    zero = evaluate_business_case(_case())
    one = evaluate_business_case(_case(first_period=1))
    assert one.npv == pytest.approx(zero.npv / 1.1)
    assert one.irr == pytest.approx(zero.irr)


def test_dated_case_has_xnpv_and_xirr():
    r = evaluate_business_case(_case(start="2025-01-01"))
    assert r.date[1] == np.datetime64("2026-01-01")
    assert r.xnpv == pytest.approx(xnpv(0.1, r.net_cash_flow, r.date))
    assert r.xirr is not None
    assert abs(r.xirr - r.irr) < 2e-3
    monthly = evaluate_business_case(_case(start="2025-01-31", period_unit="month"))
    assert str(monthly.date[1].astype("M8[D]")) == "2025-02-28"


def test_several_irrs_are_listed_not_picked():
    second = CostItem.scheduled(
        name="re-platform", category="technology", periods=[0, 3], amounts=[100.0, 330.0]
    )
    case = BusinessCase(
        costs=(second,),
        benefits=(BenefitStream(name="b", kind="cost reduction", value=0.0),),
        periods=3,
        discount_rate=0.1,
        first_period=0,
    )
    # flows -100, 0, 0, -330: no sign change at all
    r = evaluate_business_case(case)
    assert r.irr is None
    assert r.irr_roots == ()
    assert r.mirr is None
    two = BusinessCase(
        costs=(
            CostItem.scheduled(
                name="c", category="process", periods=[0, 2], amounts=[100.0, 132.0]
            ),
        ),
        benefits=(
            BenefitStream(
                name="b", kind="cost reduction", value=230.0, start=1, ramp_up=(1.0, 0.0)
            ),
        ),
        periods=2,
        discount_rate=0.1,
        first_period=0,
    )
    # flows -100, 230, -132: NPV is zero at 10% and 20%
    r2 = evaluate_business_case(two)
    assert r2.net_cash_flow.tolist() == [-100.0, 230.0, -132.0]
    assert r2.irr is None
    assert r2.irr_roots == pytest.approx((0.1, 0.2))
    assert r2.mirr is not None


def test_retention_stream_from_retention_economics():
    econ = retention_economics(
        margin=100.0,
        retention=0.75,
        uplift=0.05,
        discount_rate=0.1,
        new_customers=1_000,
        acquisition_cost=120.0,
        retention_cost=5.0,
    )
    stream = BenefitStream.retention(name="loyalty", economics=econ, ramp_up=(0.5,))
    assert stream.value == pytest.approx(econ.profit_after - econ.profit_before)
    assert stream.amounts(3).tolist() == pytest.approx([0.0, stream.value / 2, stream.value])


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 0.3), st.sampled_from([0, 1]))
def test_sensitivity_at_zero_change_is_the_base_npv(rate, first):
    case = _case(discount_rate=rate, first_period=first)
    tornado = sensitivity(case, change=0.0)
    base = evaluate_business_case(case).npv
    assert tornado.base_npv == pytest.approx(base)
    np.testing.assert_allclose(tornado.low_npv, base, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(tornado.high_npv, base, rtol=1e-12, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 0.9))
def test_tornado_is_ranked_and_cash_assumptions_are_symmetric(change):
    case = _case()
    tornado = sensitivity(case, change=change)
    assert (np.diff(tornado.swing) <= 1e-9).all()
    assert set(tornado.assumption.tolist()) == set(case.assumptions)
    cash = tornado.assumption != "discount rate"
    np.testing.assert_allclose(
        (tornado.high_npv - tornado.base_npv)[cash],
        (tornado.base_npv - tornado.low_npv)[cash],
        rtol=1e-9,
        atol=1e-6,
    )
    # each bar is one assumption moved alone: recompute one by hand
    software = np.flatnonzero(tornado.assumption == "software one-off")[0]
    bumped = _case(
        costs=(
            CostItem(
                name="software",
                category="technology",
                one_off=120_000.0 * (1 + change),
                recurring=25_000.0,
            ),
            *_case().costs[1:],
        )
    )
    assert tornado.high_npv[software] == pytest.approx(evaluate_business_case(bumped).npv)


def test_scenarios():
    case = _case()
    s = scenarios(
        case,
        {
            "pessimistic": {"cross-sell": 0.5, "software one-off": 1.2, "discount rate": 1.2},
            "expected": {},
            "optimistic": {"cross-sell": 1.3, "service": 1.1},
        },
    )
    assert s.scenario.tolist() == ["pessimistic", "expected", "optimistic"]
    assert s.npv[1] == pytest.approx(evaluate_business_case(case).npv)
    assert s.npv[0] < s.npv[1] < s.npv[2]
    assert s.n_irr.tolist() == [1, 1, 1]
    assert s.multipliers["pessimistic"]["discount rate"] == 1.2
    assert s.multipliers["expected"]["service"] == 1.0
    with pytest.raises(InputError) as err:
        scenarios(case, {"bad": {"servcie": 1.0}})
    assert err.value.field == "named['bad']"
    assert "service" in str(err.value)
    with pytest.raises(InputError) as err:
        scenarios(case, {"bad": {"service": -0.5}})
    assert ">= 0" in str(err.value)
    with pytest.raises(InputError) as err:
        scenarios(case, {})
    assert err.value.field == "named"


def test_monte_carlo_is_seeded_and_matches_linearity():
    case = _case()
    dists = {
        "cross-sell": Triangular(low=0.3, mode=0.9, high=1.2),
        "software one-off": Uniform(low=0.9, high=1.4),
    }
    sim = simulate_business_case(case, distributions=dists, n_simulations=40_000, seed=42)
    again = simulate_business_case(case, distributions=dists, n_simulations=40_000, seed=42)
    assert sim.npv.tolist() == again.npv.tolist()
    # NPV is linear in the cash assumptions: its mean is the NPV at the mean multipliers
    at_mean = scenarios(
        case, {"mean": {"cross-sell": dists["cross-sell"].mean, "software one-off": 1.15}}
    ).npv[0]
    assert sim.npv_mean == pytest.approx(at_mean, abs=4 * sim.npv.std() / np.sqrt(40_000))
    assert sim.p_npv_negative == pytest.approx(float(np.mean(sim.npv < 0)))
    assert sim.npv_p5 <= sim.npv_p50 <= sim.npv_p95
    assert (np.isnan(sim.payback_period) == ~sim.paid_back).all()
    assert sim.payback_p10 <= sim.payback_p50 <= sim.payback_p90
    other = simulate_business_case(case, distributions=dists, n_simulations=40_000, seed=43)
    assert other.npv.tolist() != sim.npv.tolist()


def test_monte_carlo_chunks_give_the_same_numbers(monkeypatch):
    from crmkit.roi._business_case import _uncertainty

    case = _case()
    dists = {"service": Uniform(low=0.5, high=1.5)}
    whole = simulate_business_case(case, distributions=dists, n_simulations=1_000, seed=1)
    monkeypatch.setattr(_uncertainty, "_CHUNK_CELLS", 60)
    chunked = simulate_business_case(case, distributions=dists, n_simulations=1_000, seed=1)
    np.testing.assert_allclose(whole.npv, chunked.npv)


def test_bad_input():
    with pytest.raises(InputError) as err:
        _case(discount_rate=-1.0)
    assert err.value.field == "discount_rate"
    assert "> -1" in str(err.value)
    with pytest.raises(InputError) as err:
        _case(periods=0)
    assert err.value.field == "periods"
    with pytest.raises(InputError) as err:
        _case(first_period=2)
    assert err.value.field == "first_period"
    with pytest.raises(InputError) as err:
        CostItem(name="x", category="technology", one_off=-5.0)
    assert err.value.field == "one_off"
    with pytest.raises(InputError) as err:
        CostItem(name="x", category="hardware", one_off=5.0)
    assert err.value.field == "category"
    with pytest.raises(InputError) as err:
        CostItem.scheduled(name="x", category="people", periods=[0, 2, 1], amounts=[1.0, 1.0, 1.0])
    assert err.value.field == "periods"
    assert err.value.positions == (2,)
    assert "increasing order" in str(err.value)
    with pytest.raises(InputError) as err:
        BenefitStream(name="b", kind="cost reduction", value=1.0, ramp_up=(0.5, 1.5))
    assert err.value.field == "ramp_up"
    with pytest.raises(InputError) as err:
        _case(benefits=(BenefitStream(name="software", kind="cost reduction", value=1.0),))
    assert "distinct names" in str(err.value)
    with pytest.raises(InputError) as err:
        sensitivity(_case(), change=1.5)
    assert err.value.field == "change"
    with pytest.raises(InputError) as err:
        simulate_business_case(
            _case(), distributions={"licences": Uniform(low=0, high=1)}, n_simulations=10, seed=1
        )
    assert err.value.field == "distributions"
    with pytest.raises(InputError) as err:
        simulate_business_case(_case(), distributions={}, n_simulations=10, seed=None)
    assert err.value.field == "seed"
    with pytest.raises(InputError) as err:
        Triangular(low=1.0, mode=0.5, high=2.0)
    assert err.value.field == "mode"
    with pytest.raises(InputError) as err:
        simulate_business_case(_case(), distributions={}, n_simulations=10**10, seed=1)
    assert err.value.field == "n_simulations"
