"""The e-mail outbox: saved with the caller's transaction, sent once, retried with
back-off while the mail server fails, nothing lost."""
from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction

from core.models import OutboundEmail
from core.outbox import email_queue, outbound_email_send, outbox_sweep

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def mail_server(monkeypatch):
    """The SMTP hand-over: ``down`` makes it refuse like a server that is not there."""
    class Server:
        down = False

    server = Server()
    real_send = EmailMultiAlternatives.send

    def send(self, fail_silently=False):
        if server.down:
            raise smtplib.SMTPConnectError(421, "mail.example.com: service not available")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    return server


def test_an_email_is_written_with_the_callers_transaction_and_rolled_back_with_it(now):
    with pytest.raises(RuntimeError), transaction.atomic():
        email_queue(to="a@example.com", subject="Hi", body="Body", now=now)
        raise RuntimeError("the change that caused the e-mail failed")
    assert not OutboundEmail.objects.exists()


def test_the_sender_task_is_queued_by_name_after_commit(now, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("core.broker.current_app.send_task", lambda name, args, kwargs: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(to=["a@example.com"], subject="Hi", body="Body", now=now)
        assert sent == []
    assert sent == [("core.tasks.outbound_email_send", [email.pk])]


def test_an_email_is_sent_once_even_if_its_task_runs_twice(now, mail_server):
    email = email_queue(to=["a@example.com"], subject="Hi", body="Body", html="<p>Body</p>",
                        headers={"X-Ticket": "TK1"}, now=now)
    assert outbound_email_send(email_id=email.pk, now=now) is True
    assert outbound_email_send(email_id=email.pk, now=now) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com"] and message.body == "Body" and message.extra_headers["X-Ticket"] == "TK1"
    assert message.alternatives[0][0] == "<p>Body</p>"
    email.refresh_from_db()
    # Sent; the body (which may carry a single-use link) is not kept.
    assert email.sent_at == now and email.attempts == 1 and email.body == "" and email.html == ""


def test_a_mail_server_outage_delays_the_email_with_back_off_and_loses_nothing(now, mail_server, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    email = email_queue(to=["a@example.com"], subject="Hi", body="Body", now=now)
    mail_server.down = True
    assert outbound_email_send(email_id=email.pk, now=now) is False
    email.refresh_from_db()
    assert email.sent_at is None and email.attempts == 1 and "service not available" in email.last_error
    assert email.next_attempt_at == now + MIN and email.body == "Body"

    assert outbox_sweep(now=now + MIN) == 0  # still down: the back-off doubles
    email.refresh_from_db()
    assert email.attempts == 2 and email.next_attempt_at == now + 3 * MIN

    mail_server.down = False
    assert outbox_sweep(now=now + 2 * MIN) == 0  # not due yet
    assert outbox_sweep(now=now + 3 * MIN) == 1
    assert len(mail.outbox) == 1 and OutboundEmail.objects.get().sent_at == now + 3 * MIN


def test_the_back_off_is_capped(now, mail_server, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 300
    email = email_queue(to=["a@example.com"], subject="Hi", body="Body", now=now)
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=10)
    mail_server.down = True
    outbound_email_send(email_id=email.pk, now=now)
    assert OutboundEmail.objects.get().next_attempt_at == now + dt.timedelta(seconds=300)


def test_a_sweep_stops_at_the_first_failure_and_the_rest_wait(now, mail_server):
    for i in range(3):
        email_queue(to=[f"c{i}@example.com"], subject=f"S{i}", body="B", now=now)
    mail_server.down = True
    assert outbox_sweep(now=now) == 0
    assert list(OutboundEmail.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 0, 0]
    mail_server.down = False
    assert outbox_sweep(now=now) == 2  # the two untried ones; the failed one waits for its back-off
    assert outbox_sweep(now=now + MIN) == 1
    assert sorted(m.subject for m in mail.outbox) == ["S0", "S1", "S2"]


def test_a_row_held_by_another_sender_is_skipped_until_its_lease_runs_out(now, mail_server):
    email = email_queue(to=["a@example.com"], subject="Hi", body="Body", now=now)
    OutboundEmail.objects.filter(pk=email.pk).update(claimed_until=now + 10 * MIN)
    assert outbox_sweep(now=now + MIN) == 0 and mail.outbox == []
    assert outbox_sweep(now=now + 11 * MIN) == 1  # that sender died: the row is sent once, here


def test_the_body_is_stored_encrypted(now):
    email = email_queue(to=["a@example.com"], subject="Survey", body="answer at https://x/s/SECRET-TOKEN/", now=now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM core_outboundemail WHERE id = %s", [email.pk])
        stored = cursor.fetchone()[0]
    assert "SECRET-TOKEN" not in stored and OutboundEmail.objects.get().body.endswith("SECRET-TOKEN/")


def test_an_email_needs_a_recipient(now):
    with pytest.raises(ValueError):
        email_queue(to=[], subject="Hi", body="B", now=now)
    with pytest.raises(ValueError):
        email_queue(to=[""], subject="Hi", body="B", now=now)
