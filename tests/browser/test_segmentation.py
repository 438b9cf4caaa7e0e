"""Browser journeys of segmentation: a manager clears a queue item in one click;
a lead reads the segment overview (zh-Hans) and the customer panel."""
from __future__ import annotations

import pytest

from crm.models import Interaction
from segmentation import services
from segmentation.tests.factories import AS_OF, buy, customer_since, days_ago, followup, talk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("today_is_as_of")]


@pytest.fixture
def queue(alice, charlie, make_customer, now):
    urgent = customer_since(make_customer, owner=alice, name="华东精密机械", days=500)
    buy(urgent, days=100, amount=80000)
    talk(urgent, days=100)
    followup(urgent, owner=alice, due_days=2, reason="客户给出 3 分，48 小时内回电")
    later = customer_since(make_customer, owner=alice, name="Blue River Foods", days=200)
    talk(later, days=12)
    south = customer_since(make_customer, owner=charlie, name="South Only Ltd", days=200)
    talk(south, days=40)
    services.segments_recompute(as_of=days_ago(31), now=now)
    services.segments_recompute(as_of=AS_OF, now=now)
    return {"urgent": urgent, "later": later}


def test_a_manager_logs_the_contact_in_one_click_and_the_row_disappears(queue, alice, login_as, live_server,
                                                                         screenshot):
    page = login_as(alice)
    page.goto(f"{live_server.url}/segments/follow-ups/")
    urgent = page.locator(f"#queue-customer-{queue['urgent'].pk}")
    later = page.locator(f"#queue-customer-{queue['later'].pk}")
    assert urgent.is_visible() and later.is_visible()
    assert page.locator("text=South Only Ltd").count() == 0
    # Most urgent first: the churn-risk, high-value customer leads.
    assert page.locator("tbody.queue-group").first.get_attribute("id") == f"queue-customer-{queue['urgent'].pk}"
    screenshot("segmentation-followups-before")

    urgent.locator("input[name=summary]").fill("Called, visit booked")
    urgent.get_by_role("button", name="Contacted").click()
    urgent.wait_for(state="detached")

    assert later.is_visible()
    assert page.locator("#queue-count").inner_text().startswith("1 item due")
    logged = Interaction.objects.filter(customer=queue["urgent"]).latest("occurred_at")
    assert logged.summary == "Called, visit booked" and logged.staff == alice
    screenshot("segmentation-followups-after")
    page.reload()
    assert page.locator(f"#queue-customer-{queue['urgent'].pk}").count() == 0


def test_a_lead_reads_the_segment_overview_in_chinese(queue, lena, login_as, live_server, screenshot):
    page = login_as(lena, lang="zh-hans")
    page.goto(f"{live_server.url}/segments/")
    assert page.locator("h1").inner_text() == "客户分层"
    assert page.locator("#tier-trend tbody tr").count() == 2
    assert page.locator("#transitions").get_by_text("华东精密机械").is_visible()
    screenshot("segmentation-overview-zh")

    page.locator("#recompute button[type=submit]").click()
    # The new job (queued by lena) appears at the top of the job list.
    page.locator("#jobs tr[data-job-row]", has_text="lena").wait_for()
    assert page.locator("#jobs tr[data-job-row]").first.inner_text().count("lena") == 1
    page.evaluate("window.scrollTo(0, 0)")  # sticky headers would land mid-page in a full-page shot
    screenshot("segmentation-recompute-queued-zh")

    page.goto(f"{live_server.url}/customers/{queue['urgent'].pk}/")
    panel = page.locator("#segment-panel")
    assert "流失风险" in panel.inner_text() and "已 100 天无活动" in panel.inner_text()
    screenshot("segmentation-customer-panel-zh")
