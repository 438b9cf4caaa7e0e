"""Browser journey of "why they left": an account manager opens a churn-risk
customer, gives it up without a reason (the error appears beside the reason),
then with one; the customer page shows the loss (zh-Hans and English)."""
from __future__ import annotations

import pytest

from care.models import CustomerLoss

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def at_risk(alice, make_customer, now):
    from segmentation.models import CustomerSegment

    customer = make_customer(owner=alice, name="华东精密机械")
    CustomerSegment.objects.create(customer=customer, as_of=now.date(), tier="churn_risk", rfm_segment="at_risk",
                                   value_tier="high", membership_level="gold", health_score=22,
                                   next_contact_due=now.date(), computed_at=now)
    return customer


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_giving_up_a_churn_risk_customer_needs_a_reason(at_risk, alice, login_as, live_server, screenshot, lang):
    en = lang == "en"
    page = login_as(alice, lang=lang)
    page.goto(f"{live_server.url}/customers/{at_risk.pk}/")
    panel = page.locator("#loss-panel")
    assert ("churn-risk customer" if en else "流失风险客户") in panel.inner_text()
    panel.locator("#give-up").click()
    page.wait_for_load_state()

    page.fill("#id_note", "客户转向了本地竞品，报价低 20%")
    page.click("#give-up-submit")
    page.wait_for_load_state()
    error = page.locator("#field-reason .errorlist")
    assert error.is_visible()
    assert ("Say why the customer left." if en else "请说明客户流失的原因。") in error.inner_text()
    assert page.input_value("#id_note") == "客户转向了本地竞品，报价低 20%"  # kept for the second try
    screenshot(f"give-up-missing-reason-{lang}")
    assert not CustomerLoss.objects.exists()

    page.select_option("#id_reason", "competitor")
    page.click("#give-up-submit")
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith(f"/customers/{at_risk.pk}")
    panel = page.locator("#loss-panel")
    assert ("Went to a competitor" if en else "转向竞争对手") in panel.inner_text()
    assert "本地竞品" in panel.inner_text()
    screenshot(f"give-up-recorded-{lang}")
    loss = CustomerLoss.objects.get()
    assert (loss.reason, loss.actor_id, loss.tier) == ("competitor", alice.pk, "churn_risk")
