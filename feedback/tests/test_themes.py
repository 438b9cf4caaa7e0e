"""Issue 12 item 2: feedback texts grouped into themes per month and scope; a theme
raised by at least N customers is shared (共性), otherwise individual (个性)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from crm.models import Interaction
from feedback import services
from feedback.models import FeedbackTheme, ThemeEntry, ThemeMember
from feedback.text import tokens
from reviews.tests.factories import at

pytestmark = pytest.mark.django_db
MAY = dt.date(2026, 5, 1)
NOW = timezone.make_aware(dt.datetime(2026, 6, 1, 3, 0))


def answer(customer, day: dt.date, *, reason: str = "", suggestions: str = ""):
    from surveys.models import Survey, SurveyResponse

    survey = Survey.objects.filter(code="themes-test").first() or Survey.objects.create(
        code="themes-test", name_zh="测试", name_en="Test", created_at=at(day))
    return SurveyResponse.objects.create(customer=customer, survey=survey, answered_at=at(day), reason=reason,
                                         suggestions=suggestions, created_at=at(day))


def ticket(customer, created, *, subject: str, description: str = ""):
    from tickets.models import Ticket

    return Ticket.objects.create(customer=customer, subject=subject, description=description, created_at=created,
                                 updated_at=created)


def feedback(customer, day: dt.date, text: str):
    return Interaction.objects.create(customer=customer, occurred_at=at(day), summary="回访", feedback=text)


def theme(key: str, team=None, month=MAY) -> FeedbackTheme:
    return FeedbackTheme.objects.get(period_start=month, team=team, key=key)


def invoice_key() -> str:
    return f"dict:{ThemeEntry.objects.get(team=None, name_en='Invoices').pk}"


def test_the_default_dictionary_holds_the_seed_problem_types():
    names = set(ThemeEntry.objects.filter(team=None).values_list("name_zh", flat=True))
    assert {"响应速度", "数据同步", "发票问题", "功能需求", "价格"} <= names


def test_chinese_and_english_words():
    """Chinese is segmented; English is split on word boundaries, lower-cased, plurals folded."""
    assert tokens("系统数据同步经常延迟") == ["系统", "数据", "同步", "经常", "延迟"]
    assert tokens("The invoices were WRONG.") == ["the", "invoice", "were", "wrong"]


@override_settings(FEEDBACK_SHARED_MIN_CUSTOMERS=3)
def test_a_theme_of_exactly_n_customers_is_shared_and_of_n_minus_1_individual(alice, make_customer):
    a, b, c = (make_customer(owner=alice, name=f"c{i}") for i in range(3))
    answer(a, dt.date(2026, 5, 3), reason="发票抬头有误")
    ticket(b, at(dt.date(2026, 5, 4)), subject="需要补开发票", description="需要补开发票，请尽快处理。")
    feedback(c, dt.date(2026, 5, 5), "The invoice never arrived")
    feedback(a, dt.date(2026, 5, 6), "发票又错了")  # the same customer again does not count twice
    # Price: two customers only.
    answer(a, dt.date(2026, 5, 7), reason="价格偏高")
    feedback(b, dt.date(2026, 5, 8), "The price is too high")
    answer(c, dt.date(2026, 6, 1), reason="价格偏高")  # June: not May's
    services.themes_compute(month=MAY, now=NOW)

    invoices = theme(invoice_key(), team=alice.team)
    assert (invoices.customers, invoices.texts, invoices.is_shared) == (3, 4, True)
    price = theme(f"dict:{ThemeEntry.objects.get(team=None, name_en='Price').pk}", team=alice.team)
    assert (price.customers, price.is_shared) == (2, False)
    assert theme(invoice_key()).customers == 3  # every team together
    kinds = set(ThemeMember.objects.filter(theme=invoices).values_list("kind", flat=True))
    assert kinds == {"survey_answer", "ticket", "interaction"}


@override_settings(FEEDBACK_SHARED_MIN_CUSTOMERS=2)
def test_n_is_a_setting(alice, make_customer):
    a, b = (make_customer(owner=alice, name=f"c{i}") for i in range(2))
    feedback(a, dt.date(2026, 5, 7), "价格偏高")
    feedback(b, dt.date(2026, 5, 8), "price too high")
    services.themes_compute(month=MAY, now=NOW)
    assert theme(f"dict:{ThemeEntry.objects.get(team=None, name_en='Price').pk}", team=alice.team).is_shared


def test_dictionary_matches_words_in_chinese_and_english(alice, make_customer, north):
    c = make_customer(owner=alice)
    entry = ThemeEntry.objects.create(team=north, name_zh="包装", name_en="Packaging", keywords_zh="包装破损",
                                      keywords_en="packaging, box", updated_at=NOW)
    feedback(c, dt.date(2026, 5, 2), "收到的货包装破损了")
    feedback(c, dt.date(2026, 5, 3), "The boxes were crushed")
    feedback(c, dt.date(2026, 5, 4), "产品稳定,性价比高")  # 性价比 is not 价格 … nor 包装
    services.themes_compute(month=MAY, now=NOW)
    packaging = theme(f"dict:{entry.pk}", team=north)
    assert sorted(ThemeMember.objects.filter(theme=packaging).values_list("excerpt", flat=True)) == [
        "The boxes were crushed", "收到的货包装破损了"]
    # A team's own entry is not used for the other teams or for every team together.
    assert not FeedbackTheme.objects.filter(team=None, key=f"dict:{entry.pk}").exists()
    price_key = f"dict:{ThemeEntry.objects.get(team=None, name_en='Price').pk}"
    assert not FeedbackTheme.objects.filter(key=price_key).exists()


def test_unsupervised_grouping_puts_near_identical_texts_together(alice, make_customer):
    cs = [make_customer(owner=alice, name=f"c{i}") for i in range(6)]
    ThemeEntry.objects.update(is_active=False)  # nothing for the dictionary: everything is grouped
    for i, text in enumerate(["仓库门口停车位太少", "仓库门口的停车位太少了", "仓库门口停车位很少"]):
        feedback(cs[i], dt.date(2026, 5, 2 + i), text)
    for i, text in enumerate(["Your mobile app crashes at checkout", "mobile app crashes on checkout",
                              "the mobile app crashes when I check out"]):
        feedback(cs[3 + i], dt.date(2026, 5, 2 + i), text)
    services.themes_compute(month=MAY, now=NOW)
    groups = FeedbackTheme.objects.filter(team=None, period_start=MAY, source="grouping")
    members = [set(ThemeMember.objects.filter(theme=g).values_list("customer_id", flat=True)) for g in groups]
    assert {frozenset(m) for m in members} == {frozenset(c.pk for c in cs[:3]), frozenset(c.pk for c in cs[3:])}
    labels = {g.name_en for g in groups}
    assert any("停车位" in label for label in labels) and any("crashe" in label or "app" in label for label in labels)


def test_a_recompute_replaces_the_month(alice, make_customer):
    c = make_customer(owner=alice)
    feedback(c, dt.date(2026, 5, 2), "发票有误")
    services.themes_compute(month=MAY, now=NOW)
    services.themes_compute(month=MAY, now=NOW)
    assert FeedbackTheme.objects.filter(period_start=MAY, key=invoice_key()).count() == 2  # every team + North


def test_the_job_runs_the_service_and_records_its_summary(alice, make_customer):
    from core import jobs
    from feedback.models import THEMES_JOB_KIND

    feedback(make_customer(owner=alice), dt.date(2026, 5, 2), "发票有误")
    job = jobs.job_run_now(kind=THEMES_JOB_KIND, params={"month": "2026-05-01"}, actor=None, now=NOW)
    assert job.status == "succeeded" and job.summary["texts"] == 1
    assert theme(invoice_key(), team=alice.team).texts == 1


def test_the_nightly_run_covers_last_month_on_the_first(alice, make_customer):
    feedback(make_customer(owner=alice), dt.date(2026, 5, 30), "发票有误")
    assert services.themes_recompute_nightly(today=dt.date(2026, 6, 1), now=NOW) == ["succeeded", "succeeded"]
    assert theme(invoice_key()).texts == 1


def test_a_manager_never_sees_another_teams_texts(client, alice, charlie, lena, make_customer, north, south):
    mine, theirs = make_customer(owner=alice, name="Mine"), make_customer(owner=charlie, name="Theirs")
    feedback(mine, dt.date(2026, 5, 2), "发票有误")
    feedback(theirs, dt.date(2026, 5, 3), "发票没收到")
    services.themes_compute(month=MAY, now=NOW)
    north_theme, south_theme = theme(invoice_key(), team=north), theme(invoice_key(), team=south)
    # A customer that moved to South since the run is no longer shown to North.
    moved = make_customer(owner=alice, name="Moved")
    ThemeMember.objects.create(theme=north_theme, customer=moved, kind="interaction", object_id=0,
                               at=at(dt.date(2026, 5, 4)), excerpt="发票")
    moved.team, moved.owner = south, charlie
    moved.save()
    client.force_login(alice)
    page = client.get(reverse("feedback:theme-records", kwargs={"pk": north_theme.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Mine" in body and "Theirs" not in body and "Moved" not in body
    assert client.get(reverse("feedback:theme-records", kwargs={"pk": south_theme.pk})).status_code == 404
    every_team = theme(invoice_key())
    assert client.get(reverse("feedback:theme-records", kwargs={"pk": every_team.pk})).status_code == 404
    client.force_login(lena)
    assert client.get(reverse("feedback:theme-records", kwargs={"pk": south_theme.pk})).status_code == 404
