import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import simulate_campaigns
from crmkit.errors import InputError
from crmkit.funnel import DEFAULT_PROCESS, Opportunities
from crmkit.roi import (
    AttributedRevenue,
    Campaigns,
    CustomerRevenue,
    DealRevenue,
    Linear,
    MarginRate,
    campaign_results,
    customer_pnl,
    touchpoint_paths,
)


def _campaigns(**kwargs):
    base = {
        "campaign": ["mail", "fair", "ads"],
        "budget": [1_000.0, 5_000.0, 0.0],
        "spend": [900.0, 6_000.0, 0.0],
        "start": ["2024-01-01", "2024-02-01", "2024-03-01"],
        "dimensions": {"channel": ["email", "event", "email"]},
    }
    return Campaigns.from_arrays(**(base | kwargs))


def _opportunities():
    # mail: 2 deals, one won (10,000 on 2024-02-10); fair: 3 deals, two won; ads: none
    return Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2, 3, 4, 5],
        amount=[10_000.0, 4_000.0, 6_000.0, 8_000.0, 2_000.0],
        stage=["won", "lost", "won", "won", "plan"],
        close_date=["2024-02-10", "2024-02-15", "2024-03-01", "2024-04-01", "2024-06-01"],
        dimensions={"campaign": ["mail", "mail", "fair", "fair", "fair"]},
    )


def test_known_values_from_won_deals():
    leads = ["mail"] * 30 + ["fair"] * 40
    r = campaign_results(
        _campaigns(),
        leads=leads,
        opportunities=_opportunities(),
        revenue=DealRevenue(margin=MarginRate(rate=0.4)),
    )
    assert r.groups["campaign"].tolist() == ["mail", "fair", "ads"]
    assert r.groups["channel"].tolist() == ["email", "event", "email"]
    assert r.budget_variance.tolist() == [-100.0, 1_000.0, 0.0]
    assert r.leads.tolist() == [30.0, 40.0, 0.0]
    assert r.opportunities.tolist() == [2.0, 3.0, 0.0]
    assert r.won_deals.tolist() == [1.0, 2.0, 0.0]
    assert r.revenue.tolist() == [10_000.0, 14_000.0, 0.0]
    assert r.gross_profit.tolist() == pytest.approx([4_000.0, 5_600.0, 0.0])
    assert r.cost_per_lead.tolist()[:2] == [30.0, 150.0]
    assert r.cost_per_opportunity.tolist()[:2] == [450.0, 2_000.0]
    assert r.cac.tolist()[:2] == [900.0, 3_000.0]
    assert r.roi.tolist()[:2] == pytest.approx([(4_000 - 900) / 900, (5_600 - 6_000) / 6_000])
    assert r.roas.tolist()[:2] == pytest.approx([10_000 / 900, 14_000 / 6_000])
    assert r.lead_to_opportunity.tolist()[:2] == pytest.approx([2 / 30, 3 / 40])
    assert r.opportunity_to_won.tolist()[:2] == pytest.approx([0.5, 2 / 3])
    # break-even: 900 / 4,000 per deal; 6,000 / 2,800 per deal
    assert r.break_even_conversions.tolist()[:2] == pytest.approx([0.225, 6_000 / 2_800])
    # mail paid back with its first deal, 40 days after its start; fair never covered 6,000
    assert r.paid_back.tolist() == [True, False, True]
    assert r.payback_days[0] == pytest.approx(40.0)
    assert np.isnan(r.payback_days[1])
    assert r.revenue_source == "won deals"


def test_zero_leads_and_zero_spend_are_defined():
    r = campaign_results(
        _campaigns(),
        leads=["mail"] * 3,
        opportunities=_opportunities(),
        revenue=DealRevenue(margin=MarginRate(rate=0.4)),
    )
    # fair spent 6,000 and got no lead: infinitely expensive leads
    assert r.cost_per_lead[1] == np.inf
    assert r.lead_to_opportunity[1] == np.inf  # 3 opportunities, no lead recorded
    # ads spent nothing and gained nothing: nothing to measure
    assert np.isnan(r.roi[2])
    assert np.isnan(r.roas[2])
    assert np.isnan(r.cost_per_lead[2])
    assert r.break_even_conversions[2] == 0.0
    assert r.payback_days[2] == 0.0
    d = r.to_dict()
    assert d["cost_per_lead"][1] is None  # JSON has no infinity
    free = campaign_results(
        _campaigns(spend=[0.0, 0.0, 0.0]),
        leads=None,
        opportunities=_opportunities(),
        revenue=DealRevenue(margin=MarginRate(rate=0.4)),
    )
    assert free.roi[0] == np.inf  # profit on nothing spent
    assert np.isnan(free.leads).all()  # leads not given


@st.composite
def programmes(draw):
    k = draw(st.integers(1, 6))
    spend = draw(st.lists(st.floats(0, 1e5), min_size=k, max_size=k))
    budget = draw(st.lists(st.floats(0, 1e5), min_size=k, max_size=k))
    channel = draw(st.lists(st.sampled_from(["a", "b"]), min_size=k, max_size=k))
    ids = [f"c{i}" for i in range(k)]
    leads = draw(st.lists(st.sampled_from(ids), max_size=60))
    n_opps = draw(st.integers(0, 20))
    opp_campaign = draw(st.lists(st.sampled_from(ids), min_size=n_opps, max_size=n_opps))
    won = draw(st.lists(st.booleans(), min_size=n_opps, max_size=n_opps))
    amount = draw(st.lists(st.floats(0, 1e5), min_size=n_opps, max_size=n_opps))
    rate = draw(st.floats(-0.5, 1.0))
    return ids, spend, budget, channel, leads, opp_campaign, won, amount, rate


def _ratio(a, b):
    if b == 0:
        return np.inf if a > 0 else -np.inf if a < 0 else np.nan
    with np.errstate(over="ignore"):
        return np.float64(a) / np.float64(b)


@settings(max_examples=80, deadline=None)
@given(programmes(), st.sampled_from([None, ["channel"]]))
def test_totals_and_groups_are_ratios_of_sums(data, by):
    ids, spend, budget, channel, leads, opp_campaign, won, amount, rate = data
    campaigns = Campaigns.from_arrays(
        campaign=ids, budget=budget, spend=spend, dimensions={"channel": channel}
    )
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=list(range(len(won))),
        amount=amount,
        stage=["won" if w else "lost" for w in won],
        dimensions={"campaign": opp_campaign},
    )
    r = campaign_results(
        campaigns,
        leads=leads,
        opportunities=opps,
        revenue=DealRevenue(margin=MarginRate(rate=rate)),
        by=by,
    )
    gross = sum(a * rate for a, w in zip(amount, won, strict=True) if w)
    revenue = sum(a for a, w in zip(amount, won, strict=True) if w)
    t = r.totals
    total_spend = sum(spend)
    np.testing.assert_allclose(t.spend, total_spend)
    np.testing.assert_allclose(t.gross_profit, gross, atol=1e-6)
    np.testing.assert_allclose(
        t.roi, _ratio(gross - total_spend, total_spend), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(t.roas, _ratio(revenue, total_spend), rtol=1e-9)
    np.testing.assert_allclose(t.cost_per_lead, _ratio(total_spend, len(leads)), rtol=1e-9)
    np.testing.assert_allclose(t.cac, _ratio(total_spend, sum(won)), rtol=1e-9)
    # each row from its own sums, and the rows add up to the totals
    assert r.spend.sum() == pytest.approx(total_spend)
    assert r.leads.sum() == len(leads)
    for i in range(r.n_campaigns.size):
        np.testing.assert_allclose(
            r.roi[i], _ratio(r.gross_profit[i] - r.spend[i], r.spend[i]), rtol=1e-9, atol=1e-12
        )
    if by:
        for i, label in enumerate(r.groups["channel"].tolist()):
            members = [j for j, c in enumerate(channel) if c == label]
            assert r.spend[i] == pytest.approx(sum(spend[j] for j in members))


def test_grouped_and_ranked():
    r = campaign_results(
        _campaigns(),
        leads=["mail"] * 30 + ["fair"] * 40 + ["ads"] * 10,
        opportunities=_opportunities(),
        revenue=DealRevenue(margin=MarginRate(rate=0.4)),
        by=["channel"],
    )
    assert r.groups["channel"].tolist() == ["email", "event"]
    assert r.n_campaigns.tolist() == [2, 1]
    assert r.leads.tolist() == [40.0, 40.0]
    assert r.cost_per_lead.tolist() == [22.5, 150.0]
    ranked = r.rank("cost_per_lead", descending=False)
    assert ranked.groups["channel"].tolist() == ["email", "event"]
    by_roi = campaign_results(
        _campaigns(),
        leads=None,
        opportunities=_opportunities(),
        revenue=DealRevenue(margin=MarginRate(rate=0.4)),
    ).rank("roi")
    assert by_roi.groups["campaign"].tolist() == ["mail", "fair", "ads"]  # NaN last
    with pytest.raises(InputError) as err:
        r.rank("profit")
    assert err.value.field == "by"
    assert "Did you mean" in str(err.value)


def test_margin_per_product_line():
    opps = Opportunities.from_arrays(
        process=DEFAULT_PROCESS,
        id=[1, 2],
        amount=[1_000.0, 1_000.0],
        stage=["won", "won"],
        dimensions={"campaign": ["mail", "mail"], "product": ["software", "services"]},
    )
    margin = MarginRate(rate={"software": 0.8, "services": 0.3}, by="product")
    r = campaign_results(
        _campaigns(), leads=None, opportunities=opps, revenue=DealRevenue(margin=margin)
    )
    assert r.gross_profit[0] == pytest.approx(1_100.0)
    missing = MarginRate(rate={"software": 0.8}, by="product")
    with pytest.raises(InputError) as err:
        campaign_results(
            _campaigns(), leads=None, opportunities=opps, revenue=DealRevenue(margin=missing)
        )
    assert err.value.field == "revenue"
    assert "services" in str(err.value)


def test_attributed_revenue_feeds_the_campaigns():
    touches = {
        "customer": [1, 1, 2],
        "timestamp": ["2024-02-01", "2024-03-05", "2024-03-02"],
        "channel": ["mail", "fair", "fair"],
    }
    sales = {"customer": [1, 2], "timestamp": ["2024-03-10", "2024-03-20"], "value": [800.0, 400.0]}
    paths = touchpoint_paths(touches, sales, lookback_days=None)
    r = campaign_results(
        _campaigns(),
        leads=None,
        opportunities=None,
        revenue=AttributedRevenue(paths=paths, model=Linear(), margin=MarginRate(rate=0.5)),
    )
    assert r.revenue.tolist() == [400.0, 800.0, 0.0]
    assert r.revenue.sum() == paths.converted_value
    assert r.conversions.tolist() == [0.5, 1.5, 0.0]
    assert r.model == "linear"
    # mail's 200 of gross profit (2024-03-10) does not cover its 900
    assert r.paid_back.tolist() == [False, False, True]
    unknown = touchpoint_paths(
        {"customer": [1], "timestamp": ["2024-01-01"], "channel": ["tv"]},
        {"customer": [1], "timestamp": ["2024-01-02"], "value": [1.0]},
        lookback_days=None,
    )
    with pytest.raises(InputError) as err:
        campaign_results(
            _campaigns(),
            leads=None,
            opportunities=None,
            revenue=AttributedRevenue(paths=unknown, model=Linear(), margin=MarginRate(rate=0.5)),
        )
    assert err.value.field == "channel"
    assert "tv" in str(err.value)


def test_customer_revenue_from_the_pnl():
    pnl = customer_pnl(
        {"customer": [1, 2, 3], "timestamp": ["2024-01-01"] * 3, "amount": [500.0, 700.0, 50.0]},
        margin=MarginRate(rate=0.4),
    )
    r = campaign_results(
        _campaigns(),
        leads=None,
        opportunities=None,
        revenue=CustomerRevenue(pnl=pnl, customer=[1, 2], campaign=["fair", "fair"]),
    )
    assert r.revenue.tolist() == [0.0, 1_200.0, 0.0]
    assert r.gross_profit.tolist() == pytest.approx([0.0, 480.0, 0.0])
    assert r.conversions.tolist() == [0.0, 2.0, 0.0]
    assert not r.paid_back[1]  # undated gains cannot date a payback
    with pytest.raises(InputError) as err:
        campaign_results(
            _campaigns(),
            leads=None,
            opportunities=None,
            revenue=CustomerRevenue(pnl=pnl, customer=[9], campaign=["fair"]),
        )
    assert err.value.field == "customer"


def test_bad_input():
    with pytest.raises(InputError) as err:
        _campaigns(spend=[900.0, -1.0, 0.0])
    assert err.value.field == "spend"
    assert err.value.positions == (1,)
    with pytest.raises(InputError) as err:
        _campaigns(campaign=["a", "a", "b"])
    assert err.value.field == "campaign"
    with pytest.raises(InputError) as err:
        campaign_results(
            _campaigns(),
            leads=["mail", "tv"],
            opportunities=None,
            revenue=DealRevenue(margin=MarginRate(rate=0.4)),
        )
    assert err.value.field == "leads"
    assert err.value.positions == (1,)
    with pytest.raises(InputError) as err:
        campaign_results(
            _campaigns(),
            leads=None,
            opportunities=None,
            revenue=DealRevenue(margin=MarginRate(rate=0.4)),
        )
    assert err.value.field == "opportunities"
    with pytest.raises(InputError) as err:
        campaign_results(
            _campaigns(),
            leads=None,
            opportunities=_opportunities(),
            revenue=DealRevenue(margin=MarginRate(rate=0.4)),
            campaign_dimension="source",
        )
    assert err.value.field == "campaign_dimension"
    with pytest.raises(InputError) as err:
        campaign_results(
            _campaigns(),
            leads=None,
            opportunities=_opportunities(),
            revenue=DealRevenue(margin=MarginRate(rate=0.4)),
            by=["region"],
        )
    assert err.value.field == "by"


def test_campaigns_from_a_frame():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {"id": ["a", "b"], "plan": [10.0, 20.0], "cost": [9.0, 25.0], "ch": ["x", "y"]}
    )
    c = Campaigns.from_frame(df, campaign="id", budget="plan", spend="cost", dimensions=["ch"])
    assert c.spend.tolist() == [9.0, 25.0]
    assert c.dimensions["ch"].tolist() == ["x", "y"]
    assert c.to_dict()["campaign"] == ["a", "b"]


def test_simulated_campaigns_source_the_pipeline():
    sim = simulate_campaigns(3_000, "2023-01-01", "2025-01-01", seed=7)
    opps = sim.opportunities
    camp_channel = dict(
        zip(
            sim.campaigns.campaign.tolist(),
            sim.campaigns.dimensions["channel"].tolist(),
            strict=True,
        )
    )
    sourced = [camp_channel[c] for c in np.asarray(opps.dimensions["campaign"]).tolist()]
    assert sourced == np.asarray(opps.dimensions["source"]).tolist()
    r = campaign_results(
        sim.campaigns,
        leads=sim.leads["campaign"],
        opportunities=opps,
        revenue=DealRevenue(margin=MarginRate(rate=0.35)),
        by=["channel"],
    )
    for i, channel in enumerate(r.groups["channel"].tolist()):
        truth = sim.true_lead_to_opportunity[channel]
        assert r.lead_to_opportunity[i] == pytest.approx(truth, rel=0.2)
        assert r.cost_per_lead[i] == pytest.approx(sim.true_cost_per_lead[channel], rel=0.2)
    assert r.totals.opportunities == 3_000
    # every won deal is a conversion of the touchpoints, and each lead its campaign's
    assert np.asarray(sim.conversions["customer"]).size == r.totals.won_deals
    again = simulate_campaigns(3_000, "2023-01-01", "2025-01-01", seed=7)
    assert again.campaigns.spend.tolist() == sim.campaigns.spend.tolist()
