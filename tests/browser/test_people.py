"""Issue 12 item 1 in real Chromium: a team lead prepares the review — the people
page, the weakest figure of a column, the records behind it, and a follow-up
opened for them."""
from __future__ import annotations

import datetime as dt

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
    assert bob_cell.locator("a.figure-link").inner_text() == "0%"
    # Each part of the rate opens its own records: 0 done on time of 2 due.
    assert bob_cell.locator(".figure-parts a").all_inner_texts() == ["0", "2"]
    screenshot("people-owners")
    bob_cell.locator("a.figure-link").click()
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


def test_lena_prepares_a_quarterly_review_with_its_header(lena, alice, followups, login_as, live_server,
                                                          screenshot):
    """Issue 12 item 6: the form lets a lead pick a quarter; the report's header shows
    purpose, period, participants and data sources (seed 000)."""
    from reviews.models import Review

    page = login_as(lena)
    page.goto(f"{live_server.url}/reviews/new/")
    page.fill("#id_title", "North · Q2 review")
    page.select_option("#id_period_kind", "quarter")
    page.fill("#id_period_start", "2026-04-01")
    page.fill("#id_summary", "Review the quarter's customer care and agree the next quarter's actions")
    page.check(f"#review-form input[name=participants][value='{lena.pk}']")
    page.check(f"#review-form input[name=participants][value='{alice.pk}']")
    page.check("#review-form input[name=data_sources][value=feedback]")
    screenshot("review-quarterly-form")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector("#review-header")
    review = Review.objects.get(title="North · Q2 review")
    assert (review.period_start, review.period_end) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert "2026-04-01 – 2026-06-30" in page.locator("#header-period").inner_text()
    assert "Quarterly review" in page.locator("#header-period").inner_text()
    participants = page.locator("#header-participants").inner_text()
    assert "alice" in participants and "lena" in participants and "Team lead" in participants
    assert "Customer feedback" in page.locator("#header-sources").inner_text()
    screenshot("review-quarterly-header")
