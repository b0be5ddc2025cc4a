import io

from crmkit import _demo


def test_demo_prints_campaigns_and_business_case():
    out = io.StringIO()
    _demo._campaigns(3, out)
    _demo._business_case(3, out)
    text = out.getvalue()
    assert "Campaign ROI by channel" in text
    for channel in ("referral", "web", "event", "outbound"):
        assert channel in text
    assert "revenue share by attribution model" in text
    assert "CRM business case" in text
    assert "NPV" in text
    assert "P(NPV < 0)" in text
