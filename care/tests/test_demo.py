"""The demo hook gives every demo account manager a morning with care in it."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from care.demo import demo_generate
from care.models import CareTask, Holiday
from crm.models import Contact, Customer
from segmentation import queue

pytestmark = pytest.mark.django_db


def test_the_demo_fills_the_calendar_preferences_and_the_birthdays_of_the_coming_days(make_customer, alice, now):
    customers = [make_customer(owner=alice, name=f"Demo {i}", source="demo", external_id=f"D{i}") for i in range(16)]
    Contact.objects.create(customer=customers[14], name="王丽", is_primary=False)
    summary = demo_generate(seed=7, now=now)
    today = timezone.localdate(now)
    assert summary.startswith("care:")
    assert Holiday.objects.filter(date__year=today.year).exists()
    assert Holiday.objects.filter(date__year=today.year + 1).exists()
    assert Customer.objects.exclude(core_need="").count() == 12
    tasks = CareTask.objects.filter(occasion="birthday")
    assert {t.occasion_date for t in tasks} == {today + dt.timedelta(days=d) for d in (1, 2, 3)}
    assert tasks.filter(contact__name="王丽").exists()
    items = queue.followup_queue_page(user=alice, today=today)["items"]
    assert sum(1 for i in items if i["kind"] == "care") == 3


def test_the_demo_gives_up_some_churn_risk_customers_with_reasons_and_opts_some_out_of_sms(make_customer, alice,
                                                                                             now):
    from care.models import CustomerLoss
    from segmentation.models import CustomerSegment

    for i in range(44):
        c = make_customer(owner=alice, name=f"Demo {i}", source="demo", external_id=f"D{i}")
        CustomerSegment.objects.create(customer=c, as_of=now.date(), tier="churn_risk", rfm_segment="at_risk",
                                       value_tier="low", membership_level="bronze", health_score=20,
                                       next_contact_due=now.date(), computed_at=now)
    summary = demo_generate(seed=7, now=now)
    losses = list(CustomerLoss.objects.all())
    assert len(losses) == 3 and "3 churn-risk customers given up" in summary
    assert all(loss.note and loss.actor == alice and loss.tier == "churn_risk" for loss in losses)
    assert Customer.objects.filter(sms_opt_out=True).exists()
