"""A broker outage never turns a saved ticket change into a server error."""
from __future__ import annotations

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from core.models import Notification, OutboundEmail
from core.outbox import outbox_sweep
from tickets.models import Ticket
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_assign_with_the_broker_down_answers_200_keeps_the_change_and_the_email_leaves_later(
        make_customer, alice, sam, bob, now, api_client_for, monkeypatch, django_capture_on_commit_callbacks):
    ticket = make_ticket(customer=make_customer(owner=alice), actor=sam, now=now)

    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("core.broker.current_app.send_task", refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(sam).post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": bob.pk},
                                            format="json")

    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).assignee == bob
    assert Notification.objects.filter(recipient=bob).exists()
    email = OutboundEmail.objects.get(to=["bob@example.com"])
    assert email.sent_at is None and mail.outbox == []
    # The outbox sweeper (beat) sends it without the broker's message.
    assert outbox_sweep(now=email.next_attempt_at) == 1
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
