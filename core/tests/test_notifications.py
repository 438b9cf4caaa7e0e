"""Notifications keep kind + parameters and are read in the reader's language;
the list is paged and can be marked read; the e-mail copy is in the recipient's language."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from core.models import Notification, OutboundEmail
from core.outbox import outbound_email_send
from core.services import notification_create, notification_email_send

pytestmark = pytest.mark.django_db


def client_for(user, lang: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


def test_a_notification_made_in_chinese_reads_in_english_for_an_english_reader(alice, now):
    with translation.override("zh-hans"):
        notification_create(recipient=alice, kind="ticket_assigned", params={"number": "TK0000244", "subject": "X"},
                            url="/tickets/", now=now, email=False)
    en = client_for(alice, "en").get("/notifications/").content.decode()
    assert "Ticket TK0000244 assigned to you" in en and "工单" not in en
    zh = client_for(alice, "zh-hans").get("/notifications/").content.decode()
    assert "TK0000244" in zh and "assigned to you" not in zh


@pytest.mark.parametrize("kind, params", [
    ("ticket_assigned", {"number": "TK1", "subject": "Broken"}),
    ("sla_breach", {"count": 1, "items": [{"number": "TK1", "clock": "resolution", "subject": "Broken",
                                           "due_at": "2026-06-15T08:00:00+00:00"}]}),
    ("sla_breach", {"count": 2, "items": [{"number": "TK1", "clock": "first_response", "subject": "A",
                                           "due_at": "2026-06-15T08:00:00+00:00"},
                                          {"number": "TK2", "clock": "update", "subject": "B",
                                           "due_at": "2026-06-15T08:00:00+00:00"}]}),
    ("ticket_trend", {"category": "billing", "evidence": [{"week_start": "2026-06-01", "count": 5, "baseline": 2}]}),
    ("detractor", {"customer": "Acme", "nps": 3, "score": None, "comment": "slow"}),
    ("detractor", {"customer": "Acme", "nps": None, "score": 40, "comment": ""}),
    ("followup_digest", {"count": 3, "names": ["Acme", "Globex"]}),
    ("review_action_due", {"days": 2, "title": "Call back", "review": "May", "deadline": "2026-06-17"}),
])
def test_every_kind_reads_without_a_chinese_character_in_english_and_with_one_in_chinese(alice, now, kind, params):
    n = notification_create(recipient=alice, kind=kind, params=params, now=now, email=False)
    with translation.override("en"):
        n = Notification.objects.get(pk=n.pk)
        english = f"{n.text_title} {n.text_body}"
    with translation.override("zh-hans"):
        n = Notification.objects.get(pk=n.pk)
        chinese = f"{n.text_title} {n.text_body}"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english), english
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), chinese
    assert not re.search(r"[a-z_]+:\d", english), english  # no raw code such as resolution:1


def test_the_list_is_paged_at_25_with_the_same_queries_per_page(alice, now, django_assert_max_num_queries):
    for i in range(30):
        notification_create(recipient=alice, kind="ticket_assigned", params={"number": f"TK{i:04d}", "subject": ""},
                            now=now + dt.timedelta(minutes=i), email=False)
    c = client_for(alice, "en")
    with django_assert_max_num_queries(8):
        first = c.get("/notifications/").content.decode()
    assert first.count("assigned to you") == 25 and "TK0029" in first and "TK0004" not in first
    assert "Page 1 of 2" in first and "30 notifications, 30 unread." in first
    second = c.get("/notifications/?page=2").content.decode()
    assert second.count("assigned to you") == 5 and "TK0000" in second


def test_mark_all_read_marks_every_page_but_not_other_peoples(alice, bob, now):
    for i in range(30):
        notification_create(recipient=alice, kind="ticket_assigned", params={"number": f"TK{i}", "subject": ""},
                            now=now, email=False)
    notification_create(recipient=bob, kind="ticket_assigned", params={"number": "TKB", "subject": ""}, now=now,
                        email=False)
    r = client_for(alice, "en").post("/notifications/")
    assert r.status_code == 302
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1


def test_the_email_copy_is_in_the_site_language_with_an_absolute_link(alice, now, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    settings.SITE_URL = "https://crm.example.com"
    with translation.override("en"):
        n = notification_create(recipient=alice, kind="ticket_assigned", params={"number": "TK7", "subject": "S"},
                                url="/tickets/7/", now=now, email=False)
        notification_email_send(notification_id=n.pk, now=now)
    # Rendered when queued; the outbox sends the text as it was made.
    assert outbound_email_send(email_id=OutboundEmail.objects.get().pk, now=now)
    message = mail.outbox[0]
    assert "TK7" in message.subject and "assigned to you" not in message.subject
    assert "https://crm.example.com/tickets/7/" in message.body
