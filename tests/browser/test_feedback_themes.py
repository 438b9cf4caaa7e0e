"""Issue 12 item 2 in real Chromium: a team lead opens a frequent issue of the
month on the dashboard and reads its answers and tickets (never another team's),
in English and in Chinese."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def may_feedback(alice, bob, charlie, make_customer):
    from feedback import services
    from feedback.defaults import DEFAULT_THEMES
    from feedback.models import ThemeEntry
    from feedback.tests.test_themes import answer, feedback, ticket
    from reviews.tests.factories import at

    # A transactional test starts from an empty database: the migration's defaults again.
    for name_zh, name_en, keywords_zh, keywords_en in DEFAULT_THEMES:
        ThemeEntry.objects.get_or_create(team=None, name_zh=name_zh, defaults={
            "name_en": name_en, "keywords_zh": keywords_zh, "keywords_en": keywords_en, "updated_at": timezone.now()})
    north = [make_customer(owner=alice if i % 2 else bob, name=f"N{i}") for i in range(4)]
    south = make_customer(owner=charlie, name="S0")
    answer(north[0], dt.date(2026, 5, 3), reason="发票抬头有误", suggestions="希望开票更快")
    ticket(north[1], at(dt.date(2026, 5, 4)), subject="需要补开发票", description="需要补开发票，请尽快处理。")
    feedback(north[2], dt.date(2026, 5, 5), "The invoice never arrived")
    answer(north[3], dt.date(2026, 5, 6), reason="价格偏高")
    feedback(south, dt.date(2026, 5, 7), "发票没收到")
    services.themes_compute(month=dt.date(2026, 5, 1), now=timezone.now())
    return north


def test_lena_opens_a_frequent_issue_and_reads_its_answers_and_tickets(lena, may_feedback, login_as, live_server,
                                                                        screenshot):
    page = login_as(lena)
    page.goto(f"{live_server.url}/reviews/dashboard/?month=2026-05")
    issues = page.locator("#frequent-issues")
    first = issues.locator("tbody tr").first
    assert first.locator("td").nth(0).inner_text() == "Invoices"
    assert first.locator("td").nth(1).inner_text() == "shared" and first.locator("td").nth(2).inner_text() == "3"
    issues.scroll_into_view_if_needed()
    screenshot("themes-dashboard")
    first.locator("a").click()
    page.wait_for_selector("#records")
    names = sorted(page.locator("#records tbody tr td:first-child").all_inner_texts())
    assert names == ["N0", "N1", "N2"]  # never South's S0
    screenshot("themes-records")
    page.locator("nav.tabs a[data-kind=ticket]").click()
    page.wait_for_selector("#records tbody tr[data-kind=ticket]")
    assert page.locator("#records tbody tr").count() == 1
    page.locator("#records tbody tr a", has_text="Ticket").click()
    page.wait_for_url("**/tickets/**")
    screenshot("themes-ticket")


def test_the_same_in_chinese(lena, may_feedback, login_as, live_server, screenshot):
    page = login_as(lena, lang="zh-hans")
    page.goto(f"{live_server.url}/reviews/dashboard/?month=2026-05")
    first = page.locator("#frequent-issues tbody tr").first
    assert first.locator("td").nth(0).inner_text() == "发票问题" and first.locator("td").nth(1).inner_text() == "共性"
    assert "本月高频问题" in page.locator("#frequent-issues h2").inner_text()
    first.locator("a").click()
    page.wait_for_selector("#records")
    assert "3 位客户" in page.locator("#theme-summary").inner_text()
    screenshot("themes-records-zh")
    page.goto(f"{live_server.url}/feedback/dictionary/")
    assert page.locator("#entries tbody tr", has_text="发票问题").count() == 1
    screenshot("themes-dictionary-zh")
