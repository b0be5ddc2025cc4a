import datetime as dt

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import (
    CashFlowError,
    InputError,
    MultipleIRRError,
    NoIRRError,
    NoSignChangeError,
)
from crmkit.roi import (
    discounted_payback_period,
    irr,
    irr_roots,
    mirr,
    npv,
    payback_period,
    xirr,
    xirr_roots,
    xnpv,
)

npf = pytest.importorskip("numpy_financial")

# Flows of 0 or at least 0.01 in size: numpy-financial's np.roots (the oracle) loses its
# accuracy when a coefficient is 1e-38 of the others, and such rates come within float
# precision of -100%.
amounts = st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1e5))
any_amount = st.one_of(amounts, amounts.map(lambda v: -v))
rates = st.floats(min_value=-0.9, max_value=2.0)


@st.composite
def conventional(draw, min_periods=2, max_periods=15):
    """An investment now, then non-negative returns of which at least one is positive."""
    n = draw(st.integers(min_periods, max_periods))
    invest = draw(st.floats(min_value=1.0, max_value=1e5))
    returns = draw(st.lists(amounts, min_size=n - 1, max_size=n - 1))
    assume(max(returns) > 1e-3 * invest)
    return np.array([-invest, *returns])


def _random_conventional(rng, s, n):
    flows = np.abs(rng.normal(15.0, 8.0, (s, n)))
    flows[:, 0] = -rng.uniform(20.0, 80.0, s)
    return flows


# --- agreement with numpy-financial (test-only oracle) -------------------------------------


def test_npv_and_irr_agree_with_numpy_financial_on_random_conventional_flows():
    rng = np.random.default_rng(2024)
    flows = _random_conventional(rng, 3_000, 10)
    rate = rng.uniform(-0.5, 0.5, flows.shape[0])
    ours_irr = irr(flows)
    ours_npv = npv(rate, flows, first_period=0)
    theirs_irr = np.array([npf.irr(row) for row in flows])
    theirs_npv = np.array([npf.npv(r, row) for r, row in zip(rate, flows, strict=True)])
    np.testing.assert_allclose(ours_irr, theirs_irr, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours_npv, theirs_npv, rtol=1e-9, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(conventional(), rates)
def test_npv_irr_mirr_agree_with_numpy_financial(flows, rate):
    assert npv(rate, flows, first_period=0) == pytest.approx(
        npf.npv(rate, flows), rel=1e-9, abs=1e-9
    )
    theirs = npf.irr(flows)
    assume(np.isfinite(theirs) and theirs < 1e3)
    assert irr(flows) == pytest.approx(theirs, rel=1e-9, abs=1e-9)
    assert mirr(flows, finance_rate=0.1, reinvest_rate=rate) == pytest.approx(
        npf.mirr(flows, 0.1, rate), rel=1e-9, abs=1e-9
    )


def test_numpy_financial_docstring_examples():
    # numpy-financial's own examples (npv, irr), cited from its docstrings
    assert npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000], first_period=0) == pytest.approx(
        3065.22267, abs=1e-5
    )
    assert irr([-100, 39, 59, 55, 20]) == pytest.approx(0.28095, abs=1e-5)
    assert irr([-100, 0, 0, 74]) == pytest.approx(-0.0955, abs=1e-5)
    assert irr([-100, 100, 0, 7]) == pytest.approx(0.06206, abs=1e-5)


# --- invariants -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(conventional(), rates, rates)
def test_npv_decreases_with_the_discount_rate_for_conventional_flows(flows, r1, r2):
    assume(abs(r1 - r2) > 1e-9)
    low, high = sorted((r1, r2))
    values = npv([low, high], flows, first_period=0)
    assert values[1] <= values[0] + 1e-9 * np.abs(flows).sum()


@settings(max_examples=300, deadline=None)
@given(st.lists(any_amount, min_size=2, max_size=8))
def test_npv_is_zero_at_every_reported_root(values):
    flows = np.array(values)
    assume(np.count_nonzero(flows) >= 2)
    roots = irr_roots(flows)
    assert roots.n_roots[0] <= roots.n_sign_changes[0]  # Descartes
    for rate in roots.rate:
        t = np.arange(flows.size)
        size = np.sum(np.abs(flows) * (1 + rate) ** -t)
        assert abs(npv(float(rate), flows, first_period=0)) <= 1e-7 * size


@settings(max_examples=100, deadline=None)
@given(conventional(max_periods=10), rates)
def test_xnpv_with_365_day_steps_equals_npv(flows, rate):
    dates = np.datetime64("2023-03-01") + np.arange(flows.size) * np.timedelta64(365, "D")
    assert xnpv(rate, flows, dates) == pytest.approx(
        npv(rate, flows, first_period=0), rel=1e-12, abs=1e-9
    )


@settings(max_examples=100, deadline=None)
@given(conventional(max_periods=10))
def test_xirr_with_365_day_steps_equals_irr(flows):
    theirs = irr(flows)
    assume(-0.99 < theirs < 1e3)
    dates = np.datetime64("2023-03-01") + np.arange(flows.size) * np.timedelta64(365, "D")
    assert xirr(flows, dates) == pytest.approx(theirs, rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(any_amount, min_size=1, max_size=10), rates)
def test_first_period_one_is_one_period_more_discounting(values, rate):
    at_zero = npv(rate, values, first_period=0)
    at_one = npv(rate, values, first_period=1)
    assert at_one == pytest.approx(at_zero / (1 + rate), rel=1e-12, abs=1e-9)


def test_scenarios_and_profiles_equal_one_call_per_row():
    rng = np.random.default_rng(7)
    flows = _random_conventional(rng, 50, 6)
    rate = rng.uniform(0.0, 0.3, 50)
    rowwise = npv(rate, flows, first_period=1)
    pairs = zip(rate, flows, strict=True)
    one_by_one = [npv(float(r), row.tolist(), first_period=1) for r, row in pairs]
    np.testing.assert_allclose(rowwise, one_by_one, rtol=1e-12)
    profile = npv(rate, flows[0], first_period=0)
    np.testing.assert_allclose(profile, [npv(float(r), flows[0], first_period=0) for r in rate])
    assert isinstance(npv(0.1, [1.0, 2.0], first_period=0), float)
    np.testing.assert_allclose(irr(flows), [irr(row.tolist()) for row in flows], rtol=1e-12)


# --- known values -------------------------------------------------------------------------


def test_two_roots_worked_by_hand():
    # -100 + 230 / y - 132 / y^2 = 0  <=>  100 y^2 - 230 y + 132 = 0  <=>  y = 1.1 or 1.2
    roots = irr_roots([-100.0, 230.0, -132.0])
    np.testing.assert_allclose(roots.rate, [0.1, 0.2], atol=1e-12)
    assert roots.n_roots.tolist() == [2]
    assert roots.n_sign_changes.tolist() == [2]
    with pytest.raises(MultipleIRRError) as err:
        irr([-100.0, 230.0, -132.0])
    assert err.value.n_roots == (2,)
    assert err.value.rows == (0,)
    assert "0.1, 0.2" in str(err.value)
    assert "irr_roots()" in str(err.value)


def test_double_root_is_one_root():
    # -(1 - x)^2: NPV touches zero at r = 0 only
    roots = irr_roots([-1.0, 2.0, -1.0])
    assert roots.n_roots.tolist() == [1]
    assert roots.rate[0] == pytest.approx(0.0, abs=1e-7)


def test_excel_xnpv_and_xirr_examples():
    # Microsoft's XNPV and XIRR documentation: one example for both functions
    values = [-10_000, 2_750, 4_250, 3_250, 2_750]
    dates = [
        dt.date(2008, 1, 1),
        dt.date(2008, 3, 1),
        dt.date(2008, 10, 30),
        dt.date(2009, 2, 15),
        dt.date(2009, 4, 1),
    ]
    assert xnpv(0.09, values, dates) == pytest.approx(2086.647602, abs=1e-6)
    assert xirr(values, dates) == pytest.approx(0.373362535, abs=1e-8)  # 9 digits shown


def test_same_day_flows_are_discounted_together():
    dates = ["2025-01-01", "2025-01-01", "2026-01-01"]
    assert xnpv(0.1, [-60.0, -40.0, 110.0], dates) == pytest.approx(0.0, abs=1e-9)
    assert xirr([-60.0, -40.0, 110.0], dates) == pytest.approx(0.1, abs=1e-9)
    # opposite signs on one day: the net flow counts, not two sign changes
    assert xirr_roots([-150.0, 50.0, 110.0], dates).n_sign_changes.tolist() == [1]


def test_xirr_with_several_roots_finds_both():
    # 366 days in 2024, then 365: the dated version of the two-root example
    dates = ["2024-01-01", "2025-01-01", "2026-01-01"]
    roots = xirr_roots([-100.0, 230.0, -132.0], dates)
    assert roots.n_roots.tolist() == [2]
    tau = np.array([0.0, 366.0, 731.0]) / 365.0
    for rate in roots.rate:
        assert abs(np.sum(np.array([-100.0, 230.0, -132.0]) * (1 + rate) ** -tau)) < 1e-9
    with pytest.raises(MultipleIRRError):
        xirr([-100.0, 230.0, -132.0], dates)


def test_payback_known_values():
    p = payback_period([-100.0, 60.0, 60.0], first_period=0)
    assert p.period[0] == pytest.approx(1 + 40 / 60)
    assert p.paid_back.tolist() == [True]
    assert payback_period([-100.0, 60.0, 60.0], first_period=1).period[0] == pytest.approx(
        2 + 40 / 60
    )
    # recovered in period 2, then an upgrade pushes the cumulative flow below 0 again
    later = payback_period([-100.0, 60.0, 60.0, -50.0, 100.0], first_period=0)
    assert later.period[0] == pytest.approx(3 + 30 / 100)
    never = payback_period([[-100.0, 10.0, 10.0], [5.0, 1.0, 0.0]], first_period=0)
    assert never.paid_back.tolist() == [False, True]
    assert np.isnan(never.period[0])
    assert never.period[1] == 0.0
    assert never.to_dict()["period"] == [None, 0.0]


@settings(max_examples=100, deadline=None)
@given(conventional(), st.floats(0.0, 1.0))
def test_discounted_payback_is_never_earlier(flows, rate):
    simple = payback_period(flows, first_period=0)
    late = discounted_payback_period(rate, flows, first_period=0)
    if late.paid_back[0]:
        assert simple.paid_back[0]
        assert late.period[0] >= simple.period[0] - 1e-12
    if rate == 0.0:
        assert late.paid_back[0] == simple.paid_back[0]


def test_mirr_of_flows_with_two_irrs():
    assert mirr([-100.0, 230.0, -132.0], finance_rate=0.1, reinvest_rate=0.12) == pytest.approx(
        npf.mirr([-100.0, 230.0, -132.0], 0.1, 0.12)
    )


# --- errors -------------------------------------------------------------------------------


def test_no_sign_change_is_a_named_error():
    with pytest.raises(NoSignChangeError) as err:
        irr([[-1.0, 2.0], [1.0, 2.0], [0.0, -3.0]])
    assert err.value.rows == (1, 2)
    assert err.value.n_bad == 2
    assert "never change sign" in str(err.value)
    assert isinstance(err.value, NoIRRError)
    assert isinstance(err.value, CashFlowError)
    assert isinstance(err.value, ValueError)
    with pytest.raises(NoSignChangeError):
        mirr([1.0, 2.0], finance_rate=0.1, reinvest_rate=0.1)
    with pytest.raises(NoSignChangeError):
        xirr([1.0, 2.0], ["2024-01-01", "2025-01-01"])


def test_sign_changes_without_a_root():
    # 1 - x + x^2 has no real root
    with pytest.raises(NoIRRError) as err:
        irr([1.0, -1.0, 1.0])
    assert not isinstance(err.value, NoSignChangeError)
    assert "mirr()" in str(err.value)
    assert irr_roots([1.0, -1.0, 1.0]).n_roots.tolist() == [0]


def test_bad_rates():
    with pytest.raises(InputError) as err:
        npv(-1.0, [1.0, 2.0], first_period=0)
    assert err.value.field == "rate"
    assert "> -1" in str(err.value)
    with pytest.raises(InputError) as err:
        npv([0.1, -1.5], [[1.0, 2.0], [1.0, 2.0]], first_period=0)
    assert err.value.field == "rate"
    assert err.value.positions == (1,)
    with pytest.raises(InputError) as err:
        npv([0.1, 0.2, 0.3], [[1.0, 2.0], [1.0, 2.0]], first_period=0)
    assert err.value.field == "rate"
    with pytest.raises(InputError) as err:
        mirr([-1.0, 2.0], finance_rate=0.1, reinvest_rate=float("nan"))
    assert err.value.field == "reinvest_rate"


def test_bad_cash_flows():
    with pytest.raises(InputError) as err:
        npv(0.1, [[1.0, 2.0], [np.nan, 1.0], [1.0, np.inf]], first_period=0)
    assert err.value.field == "cashflows"
    assert err.value.positions == (1, 2)
    assert "(1, 0)" in str(err.value)
    with pytest.raises(InputError) as err:
        npv(0.1, [[1.0, 2.0], [1.0]], first_period=0)
    assert "rectangular" in str(err.value)
    with pytest.raises(InputError) as err:
        irr([-1.0])
    assert "at least 2" in str(err.value)
    with pytest.raises(InputError) as err:
        npv(0.1, np.zeros((2, 2, 2)), first_period=0)
    assert "shape" in str(err.value)


def test_first_period_must_be_zero_or_one():
    for bad in (2, True, 0.0, "0"):
        with pytest.raises(InputError) as err:
            npv(0.1, [1.0], first_period=bad)
        assert err.value.field == "first_period"
        assert "NPV()" in str(err.value)


def test_dates_must_not_go_backwards():
    with pytest.raises(InputError) as err:
        xnpv(0.1, [-1.0, 1.0, 1.0], ["2024-01-01", "2025-01-01", "2024-06-01"])
    assert err.value.field == "dates"
    assert err.value.positions == (2,)
    assert "backwards" in str(err.value)
    with pytest.raises(InputError) as err:
        xnpv(0.1, [-1.0, 1.0], ["2024-01-01"])
    assert "one date per period" in str(err.value)


def test_inputs_are_not_modified():
    flows = np.array([[-10.0, 6.0, 6.0], [-10.0, 3.0, 9.0]])
    flows.flags.writeable = False
    irr(flows)
    npv(0.1, flows, first_period=0)
    payback_period(flows, first_period=0)
    assert flows.tolist() == [[-10.0, 6.0, 6.0], [-10.0, 3.0, 9.0]]
