"""The nightly care task through a real Celery worker (the services are tested directly)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from care.models import CareTask, Holiday
from conftest import wait_until


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_fills_the_calendar_and_opens_todays_birthday_tasks(celery_worker_real, alice,
                                                                             make_customer):
    today = timezone.localdate()
    soon = today + dt.timedelta(days=1)
    make_customer(owner=alice, name="Soon", birthday=dt.date(2000, soon.month, soon.day))  # 2000: a leap year
    celery_worker_real.send_task("care.tasks_nightly")
    assert wait_until(lambda: Holiday.objects.filter(date__year=today.year + 1).exists())
    assert wait_until(lambda: CareTask.objects.filter(customer__name="Soon", occasion="birthday").exists())
    assert Holiday.objects.filter(date__year=today.year).exists()
