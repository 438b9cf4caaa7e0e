"""Generated text stored on rows — a follow-up's survey call-back reason, a ticket's SLA
event notes — is kept as a kind + parameters and read in the reader's language,
whoever's language was active when it was made (as notifications are); rows stored
as finished text before are converted by the migrations where their text reads back."""
from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import translation

from crm.models import FollowUp
from segmentation import queue
from surveys import services as survey_services
from surveys.tests.factories import default_answers, default_survey, sent_invitation
from tickets import services as ticket_services
from tickets.models import SlaEvent
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db
FULL = {"quality": 9, "speed": 8, "resolution": 9, "care": 9, "overall": 9, "nps": 10}
H = dt.timedelta(hours=1)


def test_a_survey_call_back_reason_made_in_chinese_reads_in_english_for_an_english_reader(make_customer, alice,
                                                                                          now):
    customer = make_customer(owner=alice, name="Acme", email="buyer@acme.example")
    _inv, token = sent_invitation(customer, now=now - dt.timedelta(days=1))
    with translation.override("zh-hans"):  # the answer came in while Chinese was active
        survey_services.response_submit(token=token, language="zh-hans", now=now, data=default_answers(
            default_survey(), **{**FULL, "nps": 3}, reason="发票太慢"))
    followup = FollowUp.objects.get()
    assert (followup.reason_kind, followup.reason_params) == ("surveys.callback",
                                                              {"nps": 3, "score": None, "comment": "发票太慢"})

    with translation.override("en"):
        assert followup.reason_text == "Survey detractor: NPS 3. Call the customer back. 发票太慢"
        item = [i for i in queue.followup_queue_for_user(user=alice, today=now.date() + dt.timedelta(days=3))
                if i["followup"]][0]
        assert "Survey detractor: NPS 3" in item["reason"] and "问卷" not in item["reason"]
    with translation.override("zh-hans"):
        assert followup.reason_text.startswith("问卷贬损者")


def test_a_persons_own_reason_is_shown_as_typed_in_any_language(make_customer, alice, now):
    from crm.services import followup_create

    fu = followup_create(customer=make_customer(owner=alice), owner=alice, source=FollowUp.Source.MANUAL,
                         reason="Call about the renewal", due_at=now + H, now=now)
    assert (fu.reason_kind, fu.reason_params) == ("", None)
    with translation.override("zh-hans"):
        assert fu.reason_text == "Call about the renewal"


def test_sla_event_notes_read_in_the_readers_language(make_customer, alice, sam, now, client):
    ticket = make_ticket(customer=make_customer(owner=alice, name="Acme"), actor=sam, now=now)
    with translation.override("zh-hans"):
        ticket_services.ticket_reply(ticket=ticket, actor=sam, body="On it", now=now + H)
        ticket_services.sla_breach_scan(now=now + 30 * H)
    reply = SlaEvent.objects.get(ticket=ticket, note_kind="tickets.sla.public_reply")
    breach = SlaEvent.objects.filter(ticket=ticket, kind="breached").first()
    assert breach.note_kind == "tickets.sla.recorded"
    assert breach.note_params["at"] in {(now + H).isoformat(), (now + 30 * H).isoformat()}  # when it was recorded
    with translation.override("en"):
        assert reply.note_text == "public reply"
        assert breach.note_text.startswith("recorded at ")
    with translation.override("zh-hans"):
        assert reply.note_text == "公开回复" and breach.note_text.startswith("记录于 ")

    client.force_login(sam)
    page = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "public reply" in page and "recorded at" in page
    assert "公开回复" not in page and "记录于" not in page


def _migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def test_the_migration_converts_stored_call_back_reasons_of_both_languages(make_customer, alice, now):
    customer = make_customer(owner=alice)
    rows = {text: FollowUp.objects.create(customer=customer, owner=alice, source=source, reason=text, due_at=now,
                                          created_at=now, origin=f"surveys.response:{i}")
            for i, (source, text) in enumerate([
                ("detractor", "问卷贬损者:NPS 2 分,请回访客户。 太贵了"),
                ("detractor", "Survey detractor: NPS 5. Call the customer back."),
                ("low_satisfaction", "问卷满意度偏低:40/100,请回访客户。"),
                ("low_satisfaction", "Edited by hand")])}
    _migration("crm", "0007_followup_reason_kind").forwards(apps, None)

    got = {text: (fu.reason_kind, fu.reason_params) for text, fu in
           ((t, FollowUp.objects.get(pk=f.pk)) for t, f in rows.items())}
    assert got == {
        "问卷贬损者:NPS 2 分,请回访客户。 太贵了": ("surveys.callback", {"nps": 2, "score": None, "comment": "太贵了"}),
        "Survey detractor: NPS 5. Call the customer back.": ("surveys.callback",
                                                             {"nps": 5, "score": None, "comment": ""}),
        "问卷满意度偏低:40/100,请回访客户。": ("surveys.callback", {"nps": None, "score": 40, "comment": ""}),
        "Edited by hand": ("", None)}  # not the app's wording: left as it is
    with translation.override("en"):
        assert FollowUp.objects.get(pk=rows["问卷贬损者:NPS 2 分,请回访客户。 太贵了"].pk).reason_text == \
            "Survey detractor: NPS 2. Call the customer back. 太贵了"


def test_the_migration_converts_stored_sla_notes_of_both_languages(make_customer, alice, sam, now, settings):
    ticket = make_ticket(customer=make_customer(owner=alice), actor=sam, now=now)
    made = [SlaEvent.objects.create(ticket=ticket, clock="update", kind="started", at=now, note=note)
            for note in ("公开回复", "reopened", "记录于 2026-06-15 10:00:00", "recorded at 2026-06-15 10:00:00",
                         "a note typed by someone")]
    _migration("tickets", "0005_slaevent_note_kind").forwards(apps, None)

    kinds = [(e.note_kind, e.note_params) for e in SlaEvent.objects.filter(pk__in=[m.pk for m in made])
             .order_by("pk")]
    at = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert kinds == [("tickets.sla.public_reply", {}), ("tickets.sla.reopened", {}),
                     ("tickets.sla.recorded", {"at": at}), ("tickets.sla.recorded", {"at": at}), ("", None)]
    with translation.override("en"):
        assert SlaEvent.objects.get(pk=made[2].pk).note_text == "recorded at 2026-06-15 10:00:00"
