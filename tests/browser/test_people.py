"""Issue 12 item 1 in real Chromium: a team lead prepares the review — the people
page, the weakest figure of a column, the records behind it, and a follow-up
opened for them."""
from __future__ import annotations

import pytest

from crm.models import FollowUp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def followups(alice, bob, charlie, make_customer):
    from reviews.tests.test_people import followups as world

    return world.__wrapped__(alice, bob, charlie, make_customer)


def test_lena_goes_from_the_weakest_on_time_share_to_its_follow_ups_and_acts(lena, bob, followups, login_as,
                                                                              live_server, screenshot,
                                                                              bulk_followup):
    page = login_as(lena)
    page.goto(f"{live_server.url}/reviews/people/?month=2026-05")
    owners = page.locator("#people-owner")
    names = owners.locator("tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == ["alice", "bob", "lena"]  # North only, never Charlie
    bob_cell = owners.locator(f"tr[data-member='{bob.pk}'] td[data-metric=followup_on_time]")
    assert "figure-low" in bob_cell.get_attribute("class")  # 0 %: the weakest of the column
    assert bob_cell.locator("a").inner_text() == "0%"
    screenshot("people-owners")
    bob_cell.locator("a").click()
    page.wait_for_selector("#records")
    assert "0 records" in page.locator("#records-summary").inner_text()  # none of Bob's done on time …
    assert page.locator("#records-group").inner_text() == "Account manager: bob"
    page.locator("nav.tabs a[data-part=denominator]").click()  # … of the follow-ups he had due
    page.wait_for_selector("text=2 records")
    screenshot("people-records")

    bulk_followup("Overdue follow-ups: call today", opened=1)
    screenshot("people-action")
    opened = FollowUp.objects.get(reason="Overdue follow-ups: call today")
    assert opened.owner == bob and opened.customer.owner == bob


def test_the_people_page_in_chinese(lena, followups, login_as, live_server, screenshot):
    page = login_as(lena, lang="zh-hans")
    page.goto(f"{live_server.url}/reviews/people/?month=2026-05")
    assert page.locator("h1").inner_text() == "人员与部门"
    assert "客户经理" in page.locator("#people-owner-title").inner_text()
    assert page.locator("#people-agent").count() == 1 and page.locator("#people-department").count() == 1
    screenshot("people-zh")
