"""SMS for the results a customer waits for: a resolved ticket and a committed
resolution time, once per event, never to someone who opted out, in zh-Hans."""
from __future__ import annotations

import datetime as dt

import pytest

from care.sms_services import sms_on_event, sms_recipient
from core import sms
from core.models import OutboundSms
from core.outbox import outbox_sweep
from crm.models import Contact
from tickets import services as tickets
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _setup(settings):
    from tickets.defaults import ensure_defaults

    ensure_defaults()
    settings.SMS_BACKEND = "core.sms.LocmemBackend"
    settings.SMS_LANGUAGE = "zh-hans"
    settings.SMS_TEMPLATE_TICKET_RESOLVED = "SMS_RESOLVED"
    sms.sent.clear()


@pytest.fixture
def customer(make_customer, alice):
    return make_customer(owner=alice, name="Acme", phone="13800001111")


def test_a_resolved_ticket_sends_one_message_in_chinese(customer, alice, now):
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + H)
    (row,) = OutboundSms.objects.all()
    assert row.to == "13800001111" and row.template_code == "SMS_RESOLVED"
    assert ticket.number in row.text and "已解决" in row.text
    assert row.params == {"number": ticket.number, "subject": "Printer jams"}
    assert outbox_sweep(now=now + 2 * H) == 1
    assert [m["to"] for m in sms.sent] == ["13800001111"]


def test_the_same_event_firing_twice_sends_one_message(customer, alice, now):
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + H)
    ticket.refresh_from_db()
    sms_on_event(event="ticket.resolved", obj=ticket, now=now + 2 * H)  # a redelivered event
    assert OutboundSms.objects.count() == 1
    outbox_sweep(now=now + 3 * H)
    outbox_sweep(now=now + 4 * H)
    assert len(sms.sent) == 1


def test_a_ticket_resolved_again_after_a_reopen_is_a_new_result(customer, alice, now):
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + H)
    tickets.ticket_reopen(ticket=ticket, actor=alice, now=now + 2 * H, reason="still jams")
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + 3 * H)
    assert OutboundSms.objects.count() == 2


def test_a_committed_time_sends_one_message_per_promised_time(customer, alice, now):
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    promised = now + 24 * H
    tickets.ticket_commit(ticket=ticket, actor=alice, committed_resolution_at=promised, now=now + H)
    ticket.refresh_from_db()
    sms_on_event(event="ticket.committed", obj=ticket, now=now + H)  # fired twice
    (row,) = OutboundSms.objects.all()
    assert "前解决" in row.text or "解决" in row.text
    assert row.params["time"] in row.text
    tickets.ticket_commit(ticket=ticket, actor=alice, committed_resolution_at=promised + H, now=now + 2 * H)
    assert OutboundSms.objects.count() == 2  # a new promise is a new event


def test_a_customer_who_opted_out_gets_no_message(make_customer, alice, now):
    customer = make_customer(owner=alice, phone="13800001111", sms_opt_out=True)
    Contact.objects.create(customer=customer, name="Li", phone="13900002222", is_primary=True)
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + H)
    assert not OutboundSms.objects.exists()


def test_the_primary_contact_gets_it_unless_they_opted_out(customer, alice, now):
    li = Contact.objects.create(customer=customer, name="Li", phone="13900002222", is_primary=True)
    assert sms_recipient(customer=customer) == "13900002222"
    li.sms_opt_out = True
    li.save(update_fields=["sms_opt_out"])
    assert sms_recipient(customer=customer) == "13800001111"  # the customer's own number
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + H)
    assert OutboundSms.objects.get().to == "13800001111"


def test_a_customer_without_a_number_gets_no_message(make_customer, alice, now):
    customer = make_customer(owner=alice)
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + H)
    assert not OutboundSms.objects.exists()


def test_the_text_follows_the_configured_language(customer, alice, now, settings):
    settings.SMS_LANGUAGE = "en"
    ticket = make_ticket(customer=customer, actor=alice, now=now)
    tickets.ticket_resolve(ticket=ticket, actor=alice, now=now + H)
    assert "has been resolved" in OutboundSms.objects.get().text


def test_the_opt_out_is_editable_through_the_api(customer, alice, api_client_for):
    client = api_client_for(alice)
    response = client.patch(f"/api/v1/customers/{customer.pk}/", {"sms_opt_out": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["sms_opt_out"] is True
    customer.refresh_from_db()
    assert customer.sms_opt_out is True


def test_the_opt_out_is_shown_and_editable_on_the_customer_and_contact_forms(customer, alice, client):
    from django.urls import reverse

    client.force_login(alice)
    url = reverse("customer-edit", args=[customer.pk])
    assert 'name="sms_opt_out"' in client.get(url).content.decode()
    response = client.post(url, {"name": "Acme", "kind": "company", "owner": alice.pk, "sms_opt_out": "on"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.sms_opt_out is True
    page = client.get(reverse("contact-create", args=[customer.pk])).content.decode()
    assert 'name="sms_opt_out"' in page
