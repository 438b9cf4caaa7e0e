"""Weekly summary and trend alerts stored from real tickets (fixed clock)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import Notification
from tickets import services
from tickets.models import Department, TrendAlert, WeeklySummary
from tickets.tests.factories import make_ticket

# Monday 2026-06-15 10:00 UTC (18:00 in Shanghai); the last complete week starts Monday 8 June.
LAST_WEEK = dt.date(2026, 6, 8)


def local(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def acme(make_customer, alice):
    return make_customer(owner=alice, name="Acme")


def test_a_billing_complaint_surge_three_weeks_running_alerts_every_department_once(acme, ada, lena, sam, now):
    finance = Department.objects.get(code="finance")
    finance.supervisor = sam
    finance.save(update_fields=["supervisor"])
    weekly = [1, 1, 1, 1, 1, 1, 1, 1, 3, 4, 5]  # 8 baseline weeks, then three above
    for n, count in enumerate(weekly):
        week = LAST_WEEK - dt.timedelta(weeks=len(weekly) - 1 - n)
        for i in range(count):
            make_ticket(customer=acme, actor=ada, now=now, created_at=local(week + dt.timedelta(days=i % 5)),
                        category="billing", is_complaint=True)
    alerts = services.trend_alerts_detect(week_start=LAST_WEEK, now=now)
    assert [a.category for a in alerts] == ["billing"]
    assert [e["count"] for e in alerts[0].evidence] == [3, 4, 5]
    notified = set(Notification.objects.filter(kind="ticket_trend").values_list("recipient__username", flat=True))
    assert notified == {"ada", "lena", "sam"}  # admin, team lead, finance supervisor
    assert services.trend_alerts_detect(week_start=LAST_WEEK, now=now) == []
    assert TrendAlert.objects.count() == 1
    assert Notification.objects.filter(kind="ticket_trend").count() == 3


def test_the_weekly_report_summarises_the_last_complete_week(acme, ada, sam, now):
    t1 = make_ticket(customer=acme, actor=ada, now=now, created_at=local(LAST_WEEK), category="billing",
                     is_complaint=True)
    services.ticket_resolve(ticket=t1, actor=sam, now=local(LAST_WEEK, 16))
    make_ticket(customer=acme, actor=ada, now=now, created_at=local(LAST_WEEK + dt.timedelta(days=2)),
                category="billing", is_complaint=True)
    make_ticket(customer=acme, actor=ada, now=now, created_at=local(LAST_WEEK + dt.timedelta(days=3)),
                category="technical")
    make_ticket(customer=acme, actor=sam, now=now, category="technical")  # this week: not counted
    result = services.weekly_ticket_report(now=now)
    assert result["week_start"] == "2026-06-08"
    s = WeeklySummary.objects.get(week_start=LAST_WEEK)
    assert s.total == 3 and s.volume_by_category["billing"] == 2 and s.volume_by_category["technical"] == 1
    assert s.resolved == 1 and abs(s.resolution_rate - 1 / 3) < 1e-9
    assert s.avg_handling_hours == 4.0
    assert (s.complaints, s.repeats, s.repeat_rate) == (2, 1, 0.5)
    services.weekly_ticket_report(now=now)
    assert WeeklySummary.objects.count() == 1
