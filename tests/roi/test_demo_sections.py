from crmkit import _demo


def test_demo_prints_campaigns_and_business_case():
    # the demo's campaigns are the report's Promotion view (the demo prints its headlines)
    promotion = _demo.demo_report(n_customers=800, seed=3, charts=False).section("promotion")
    by_channel = promotion.tables[0]
    assert by_channel.title == "Campaign results by channel"
    assert {row[0] for row in by_channel.rows} == {"referral", "web", "event", "outbound"}
    campaigns = "\n".join(promotion.headlines)
    assert "ROI" in campaigns
    assert "paid back" in campaigns
    assert "hold-out group" in campaigns
    assert "Markov chain" in campaigns
    case = "\n".join(_demo.business_case_lines(3))
    assert "NPV" in case
    assert "IRR" in case
    assert "P(NPV < 0)" in case
