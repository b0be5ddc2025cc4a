from crmkit import _demo


def test_demo_prints_campaigns_and_business_case():
    campaigns = "\n".join(_demo.campaign_lines(3))
    for channel in ("referral", "web", "event", "outbound"):
        assert channel in campaigns
    assert "ROI" in campaigns
    assert "payback" in campaigns
    assert "last touch vs Markov" in campaigns
    case = "\n".join(_demo.business_case_lines(3))
    assert "NPV" in case
    assert "IRR" in case
    assert "P(NPV < 0)" in case
