"""Issue 16 item 11 in real Chromium: a team lead picks a month of imported
history on the dashboard and sees that month's figures."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def imported_1998(alice, bob, make_customer):
    """Customers created today whose purchases happened in March 1998: 2 of 4 bought twice."""
    from reviews.tests.factories import buy, talk

    now = timezone.now()
    for i, owner in enumerate([alice, bob, alice, bob]):
        c = make_customer(owner=owner, name=f"Imported {i}", created_at=now)
        buy(c, dt.date(1998, 3, 2), "120")
        if i % 2 == 0:
            buy(c, dt.date(1998, 3, 16), "80")
        talk(c, dt.date(1998, 3, 5), staff=owner)


def test_lena_picks_a_past_month_and_sees_its_figures(lena, imported_1998, login_as, live_server, screenshot):
    page = login_as(lena)
    page.goto(f"{live_server.url}/reviews/dashboard/")
    assert "partial month" in page.locator("#month-shown").inner_text()
    assert "no data" in page.locator(".kpi[data-metric=repurchase_rate]").inner_text()
    screenshot("dashboard-current-month")

    page.fill("#id_month", "1998-03")
    page.click("#dashboard-filter button[type=submit]")
    page.wait_for_url("**month=1998-03**")
    shown = page.locator("#month-shown").inner_text()
    assert "1998-03: the whole month" in shown and "partial" not in shown
    assert page.locator(".kpi[data-metric=repurchase_rate] strong").inner_text().startswith("50")
    assert page.locator(".kpi[data-metric=contact_frequency] strong").inner_text() != "no data"
    page.locator("#chart-churn-trend summary").click()
    assert "1998-03" in page.locator("#chart-churn-trend table").inner_text()
    screenshot("dashboard-past-month")

    # The month input stops a later month (max); typed into the address bar, the field says why.
    assert page.locator("#id_month").get_attribute("max") == timezone.localdate().strftime("%Y-%m")
    page.goto(f"{live_server.url}/reviews/dashboard/?month=2999-01")
    assert "Pick the current month or an earlier one." in page.locator("#dashboard-filter").inner_text()
