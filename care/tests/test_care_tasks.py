"""Issue #11 item 1: birthday and holiday care tasks in the follow-up queue."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from care import services
from care.models import CareSettings, CareTask, Holiday, MembershipPerk
from crm.models import Contact, FollowUp, Interaction
from segmentation import queue
from segmentation.models import CustomerSegment

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.timezone.utc)


def _segment(customer, *, level: str, as_of: dt.date):
    return CustomerSegment.objects.create(
        customer=customer, as_of=as_of, tier="high_value", rfm_segment="champions", value_tier="high",
        membership_level=level, health_score=80, next_contact_due=as_of + dt.timedelta(days=30), computed_at=NOW)


def _birthdays(as_of: dt.date) -> set[tuple[str, dt.date]]:
    services.care_tasks_generate(as_of=as_of, now=NOW)
    return {(t.contact.name if t.contact else t.customer.name, t.occasion_date)
            for t in CareTask.objects.filter(occasion="birthday").select_related("customer", "contact")}


def test_birthdays_three_days_ahead_across_the_end_of_a_month_and_a_year(alice, make_customer):
    make_customer(owner=alice, name="Due 31 Jan", birthday=dt.date(1980, 1, 31))
    make_customer(owner=alice, name="Due 2 Feb", birthday=dt.date(1985, 2, 2))
    make_customer(owner=alice, name="Too far", birthday=dt.date(1985, 2, 3))
    make_customer(owner=alice, name="Yesterday", birthday=dt.date(1985, 1, 29))
    make_customer(owner=None, name="No owner", birthday=dt.date(1985, 1, 31))
    assert _birthdays(dt.date(2027, 1, 30)) == {("Due 31 Jan", dt.date(2027, 1, 31)),
                                                ("Due 2 Feb", dt.date(2027, 2, 2))}
    make_customer(owner=alice, name="New Year", birthday=dt.date(1990, 1, 1))
    assert ("New Year", dt.date(2027, 1, 1)) in _birthdays(dt.date(2026, 12, 30))


def test_a_leap_day_birthday_is_greeted_on_28_february_in_a_common_year_and_on_the_day_in_a_leap_year(
        alice, make_customer):
    make_customer(owner=alice, name="Leapling", birthday=dt.date(1996, 2, 29))
    assert _birthdays(dt.date(2027, 2, 26)) == {("Leapling", dt.date(2027, 2, 28))}
    CareTask.objects.all().delete()
    # 2028 is a leap year: nothing on the 28th, the day itself on the 29th.
    assert _birthdays(dt.date(2028, 2, 28)) == {("Leapling", dt.date(2028, 2, 29))}


def test_the_key_contacts_birthday_opens_its_own_task_with_the_customers_perk(alice, make_customer):
    customer = make_customer(owner=alice, name="Acme", birthday=dt.date(1970, 6, 16))
    _segment(customer, level="gold", as_of=dt.date(2026, 6, 15))
    Contact.objects.create(customer=customer, name="王丽", is_primary=True, birthday=dt.date(1988, 6, 17))
    Contact.objects.create(customer=customer, name="Not key", is_primary=False, birthday=dt.date(1988, 6, 17))
    MembershipPerk.objects.create(membership_level="gold", birthday_perk="300 元代金券", holiday_perk="礼盒")
    CareSettings.objects.create(pk=1, birthday_greeting="{name}，生日快乐！{perk}")
    assert _birthdays(dt.date(2026, 6, 15)) == {("Acme", dt.date(2026, 6, 16)), ("王丽", dt.date(2026, 6, 17))}
    contact_task = CareTask.objects.get(contact__name="王丽")
    assert contact_task.greeting == "王丽，生日快乐！300 元代金券"
    assert contact_task.perk == "300 元代金券"
    assert contact_task.followup.owner == alice and contact_task.followup.source == FollowUp.Source.CARE


def test_an_occasion_is_never_opened_twice_even_after_it_was_done(alice, make_customer):
    customer = make_customer(owner=alice, name="Acme", birthday=dt.date(1970, 6, 17))
    Holiday.objects.create(date=dt.date(2026, 6, 18), name="端午节")
    assert services.care_tasks_generate(as_of=dt.date(2026, 6, 15), now=NOW) == 2
    Interaction.objects.create(customer=customer, occurred_at=NOW, staff=alice, summary="greeted")
    FollowUp.objects.update(done_at=NOW)
    # The next nights still see the birthday and the holiday ahead: nothing new.
    assert services.care_tasks_generate(as_of=dt.date(2026, 6, 16), now=NOW) == 0
    assert services.care_tasks_generate(as_of=dt.date(2026, 6, 17), now=NOW) == 0
    assert CareTask.objects.count() == 2 and FollowUp.objects.count() == 2
    # The database refuses a second task for the same occasion whatever the caller.
    task = CareTask.objects.get(occasion="holiday")
    with pytest.raises(Exception):
        CareTask.objects.create(customer=customer, occasion="holiday", occasion_date=task.occasion_date,
                                greeting="x", followup=FollowUp.objects.create(
                                    customer=customer, owner=alice, reason="x", due_at=NOW, created_at=NOW),
                                created_at=NOW)


def test_a_holiday_greets_every_owned_customer_once_with_the_perk_of_its_level(alice, bob, make_customer):
    gold = make_customer(owner=alice, name="Gold Co")
    _segment(gold, level="gold", as_of=dt.date(2026, 9, 22))
    plain = make_customer(owner=bob, name="Plain Co")
    make_customer(owner=None, name="Nobody's")
    Holiday.objects.create(date=dt.date(2026, 9, 25), name="中秋节", greeting="{name}，{holiday}快乐！{perk}")
    services.care_tasks_generate(as_of=dt.date(2026, 9, 21), now=NOW)
    assert CareTask.objects.count() == 0  # four days ahead: not yet
    from django.utils import translation

    with translation.override("zh-hans"):  # the nightly job runs in the site's language
        services.care_tasks_generate(as_of=dt.date(2026, 9, 22), now=NOW)
    tasks = {t.customer_id: t for t in CareTask.objects.all()}
    assert set(tasks) == {gold.pk, plain.pk}
    assert tasks[gold.pk].greeting == "Gold Co，中秋节快乐！节日礼盒一份"  # the default gold holiday perk
    assert tasks[plain.pk].greeting == "Plain Co，中秋节快乐！" and tasks[plain.pk].perk == ""
    assert tasks[plain.pk].followup.owner == bob


def test_the_default_calendar_fills_an_empty_year_only():
    assert services.holiday_defaults_ensure(year=2026) == 7
    names = set(Holiday.objects.filter(date__year=2026).values_list("name", flat=True))
    assert {"春节", "国庆节", "中秋节"} <= names
    assert Holiday.objects.get(name="春节", date__year=2026).date == dt.date(2026, 2, 17)
    Holiday.objects.filter(name="清明节").delete()  # the team does not observe it
    assert services.holiday_defaults_ensure(year=2026) == 0
    assert not Holiday.objects.filter(name="清明节").exists()
    assert services.holiday_defaults_ensure(year=2027) == 7


def test_a_greeting_with_an_unknown_placeholder_is_refused():
    services.greeting_check("{name}，{holiday}快乐！{perk}", occasion="holiday")
    with pytest.raises(ValidationError):
        services.greeting_check("{nmae}，生日快乐", occasion="birthday")
    with pytest.raises(ValidationError):
        services.greeting_check("{name", occasion="birthday")


def test_the_queue_shows_the_care_task_and_one_click_logs_it_as_an_interaction(client, alice, make_customer):
    customer = make_customer(owner=alice, name="Acme", birthday=dt.date(1970, 6, 17))
    services.care_tasks_generate(as_of=dt.date(2026, 6, 15), now=NOW)
    items = queue.followup_queue_page(user=alice, today=dt.date(2026, 6, 15))["items"]
    care = [i for i in items if i["kind"] == "care"]
    assert len(care) == 1 and care[0]["reason"] == "Birthday of Acme on 06-17, in 2 days"
    assert care[0]["care"].greeting.startswith("Acme，")

    client.force_login(alice)
    response = client.post(reverse("segmentation:follow-up-log"),
                           {"customer_id": customer.pk, "channel": "wechat", "summary": care[0]["care"].greeting})
    assert response.status_code == 302
    task = CareTask.objects.select_related("followup__done_by").get()
    assert task.followup.done_at is not None
    assert task.followup.done_by.summary == task.greeting and task.followup.done_by.channel == "wechat"
    assert not [i for i in queue.followup_queue_page(user=alice, today=dt.date(2026, 6, 15))["items"]
                if i["kind"] == "care"]
