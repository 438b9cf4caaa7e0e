"""Issue 10 (drill-down) in real Chromium: a team lead opens a KPI of the
dashboard, sees the customers behind it and opens a follow-up for each owner."""
from __future__ import annotations

import pytest

from crm.models import FollowUp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def may_world(alice, charlie, make_customer):
    from reviews.tests.test_drilldown import _team_world

    return {"north": _team_world(alice, make_customer, "N"), "south": _team_world(charlie, make_customer, "S")}


def test_lena_goes_from_the_churn_kpi_to_its_customers_and_opens_follow_ups(lena, alice, may_world, login_as,
                                                                              live_server, screenshot,
                                                                              bulk_followup):
    page = login_as(lena)
    page.goto(f"{live_server.url}/reviews/dashboard/?month=2026-05")
    kpi = page.locator(".kpi[data-metric=churn_rate]")
    assert kpi.locator("strong").inner_text().startswith("33.33")  # 2 of the 6 active North customers went quiet
    screenshot("drilldown-dashboard")
    kpi.locator("a.kpi-link").click()
    page.wait_for_selector("#records")
    assert "2 records" in page.locator("#records-summary").inner_text()
    names = sorted(page.locator("#records tbody tr td:first-child").all_inner_texts())
    assert names == ["N4", "N5"]  # never a South customer
    screenshot("drilldown-list")

    bulk_followup("Call back: no activity for 90 days", opened=2)
    screenshot("drilldown-followups")
    followups = FollowUp.objects.filter(reason="Call back: no activity for 90 days")
    assert sorted(f.customer.name for f in followups) == ["N4", "N5"] and {f.owner for f in followups} == {alice}

    # A cell of the value × engagement grid opens its customers the same way.
    page.goto(f"{live_server.url}/reviews/dashboard/?month=2026-05")
    page.locator("#value-engagement tbody tr:nth-child(3) td:nth-child(4) a").click()
    page.wait_for_selector("#records")
    assert "6 records" in page.locator("#records-summary").inner_text()
    assert "low value × low engagement" in page.locator("h1").inner_text().lower()
    screenshot("drilldown-grid-cell")
    page.go_back()
    page.locator(".kpi[data-metric=churn_rate] a.kpi-link").click()
    page.locator("nav.tabs a[data-part=denominator]").click()
    page.wait_for_selector("text=6 records")
    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    assert download_info.value.suggested_filename.startswith("churn_rate-denominator-20260501")
