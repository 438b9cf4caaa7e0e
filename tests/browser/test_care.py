"""Browser journey of the care layer: an account manager's morning. The queue shows
a birthday with its greeting and perk and what to say to the customer's tier with
its own context; one click logs the greeting; the follow-up form shows the same
talking points (zh-Hans and English)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from care import services as care_services
from crm.models import Interaction, Transaction
from segmentation import services
from segmentation.tests.factories import AS_OF, at_noon, customer_since, talk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("today_is_as_of")]


@pytest.fixture
def morning(alice, make_customer, now):
    birthday = customer_since(make_customer, owner=alice, name="华东精密机械", days=500,
                              birthday=dt.date(1975, 6, 17), core_need="供应链效率优化",
                              settled_notes="发票抬头已确认", preferred_topics="行业趋势报告")
    Transaction.objects.create(customer=birthday, amount=Decimal("86000"), occurred_on=AS_OF - dt.timedelta(days=40))
    talk(birthday, days=50)
    other = customer_since(make_customer, owner=alice, name="Blue River Foods", days=200)
    talk(other, days=45)
    services.segments_recompute(as_of=AS_OF, now=now)
    care_services.care_tasks_generate(as_of=AS_OF, now=at_noon(0))
    return {"birthday": birthday, "other": other}


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_an_account_managers_morning_with_a_birthday_and_talking_points(morning, alice, login_as, live_server,
                                                                        screenshot, lang):
    page = login_as(alice, lang=lang)
    page.goto(f"{live_server.url}/segments/follow-ups/")
    group = page.locator(f"#queue-customer-{morning['birthday'].pk}")
    care_row = group.locator("tr[data-kind=care]")
    assert care_row.count() == 1
    text = care_row.inner_text()
    assert "06-17" in text and "华东精密机械，祝您生日快乐" in text
    points = group.locator("details.talking-points").first
    points.locator("summary").click()
    assert "供应链效率优化" in points.inner_text() and "发票抬头已确认" in points.inner_text()
    assert "86,000.00" in points.inner_text()
    screenshot(f"care-morning-queue-{lang}")

    summary = group.locator("input[name=summary]")
    assert "祝您生日快乐" in summary.input_value()
    group.get_by_role("button", name="Contacted" if lang == "en" else "已联系").click()
    group.wait_for(state="detached")
    logged = Interaction.objects.filter(customer=morning["birthday"]).latest("occurred_at")
    assert "祝您生日快乐" in logged.summary and logged.staff == alice

    page.goto(f"{live_server.url}/customers/{morning['other'].pk}/interactions/new/")
    form_points = page.locator("#interaction-form details.talking-points")
    assert form_points.count() == 1 and form_points.locator("li").count() >= 2
    screenshot(f"care-followup-form-{lang}")
