import datetime as dt

import pytest

from core.models import Notification
from crm.models import FollowUp
from segmentation.digest import followup_digest_send, followup_digests_send

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def _overdue(customer, owner, days: int, now):
    return FollowUp.objects.create(customer=customer, owner=owner, source="manual", reason="call back",
                                   due_at=now - dt.timedelta(days=days), created_at=now - dt.timedelta(days=days + 1))


def test_alice_gets_one_digest_naming_her_overdue_customers(alice, make_customer, now):
    _overdue(make_customer(owner=alice, name="Acme"), alice, 3, now)
    assert followup_digest_send(user=alice, today=TODAY, now=now) is True
    n = Notification.objects.get(recipient=alice, kind="followup_digest")
    assert "Acme" in n.text_body and n.url == "/segments/follow-ups/"


def test_the_digest_is_sent_once_per_day_even_when_run_twice(alice, bob, make_customer, now):
    _overdue(make_customer(owner=alice, name="Acme"), alice, 3, now)
    assert followup_digests_send(today=TODAY, now=now) == 1
    assert followup_digests_send(today=TODAY, now=now) == 0
    assert Notification.objects.filter(kind="followup_digest").count() == 1
    assert not Notification.objects.filter(recipient=bob).exists()


def test_nothing_overdue_means_no_digest(alice, make_customer, now):
    _overdue(make_customer(owner=alice, name="Due later"), alice, -2, now)
    assert followup_digest_send(user=alice, today=TODAY, now=now) is False
    assert not Notification.objects.exists()


def test_charlies_digest_never_names_north_customers(alice, charlie, make_customer, now):
    _overdue(make_customer(owner=alice, name="North Co"), alice, 3, now)
    _overdue(make_customer(owner=charlie, name="South Co"), charlie, 3, now)
    followup_digests_send(today=TODAY, now=now)
    body = Notification.objects.get(recipient=charlie).text_body
    assert "South Co" in body and "North Co" not in body
