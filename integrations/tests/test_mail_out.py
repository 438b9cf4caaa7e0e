"""E-mail out: a public staff reply reaches a real SMTP listener (aiosmtpd) through
the outbox, in the ticket's thread; the customer's answer to it threads back."""
from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest

from core.models import OutboundEmail
from core.outbox import outbox_sweep
from crm.models import Contact
from crm.services import contact_save, customer_create
from integrations import services
from integrations.models import InboundEmail, MailThread
from integrations.tests.servers import free_port
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db


class _Inbox:
    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                                          policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    settings.DEFAULT_FROM_EMAIL = "support@crm.example"
    yield inbox
    controller.stop()


@pytest.fixture
def ticket(ada, now):
    acme = customer_create(actor=ada, data={"name": "Acme", "email": "orders@acme.example"}, now=now)
    contact_save(contact=Contact(customer=acme), data={"name": "Li Lei", "email": "li.lei@acme.example"})
    raw = (b"From: Li Lei <li.lei@acme.example>\r\nSubject: Printer jams\r\nMessage-ID: <m1@acme.example>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\nIt jams.")
    received, _ = services.inbound_receive(raw=raw, source="api", now=now)
    return received.ticket


def test_a_public_reply_is_mailed_to_the_contact_in_the_tickets_thread(smtp, ticket, sam, now):
    ticket_services.ticket_reply(ticket=ticket, actor=sam, body="A technician comes today.",
                                 now=now + dt.timedelta(minutes=5))

    assert outbox_sweep(now=now + dt.timedelta(minutes=5)) == 1
    [(rcpt, msg)] = smtp.messages
    assert rcpt == ["li.lei@acme.example"]
    assert msg["Subject"] == f"[{ticket.number}] Printer jams"
    assert msg["In-Reply-To"] == "<m1@acme.example>"
    assert "<m1@acme.example>" in msg["References"]
    assert MailThread.objects.get(ticket=ticket, outgoing=True).message_id == msg["Message-ID"]
    assert "A technician comes today." in msg.get_content()


def test_an_internal_note_and_the_customers_own_message_never_leave(smtp, ticket, sam, now):
    ticket_services.ticket_reply(ticket=ticket, actor=sam, body="Check the warranty first.", public=False, now=now)
    ticket_services.ticket_reply(ticket=ticket, actor=sam, body="Customer called.", from_customer=True, now=now)

    assert not OutboundEmail.objects.exists()
    assert outbox_sweep(now=now) == 0 and smtp.messages == []


def test_without_a_contact_the_reply_goes_to_the_customers_e_mail(smtp, ada, sam, now):
    acme = customer_create(actor=ada, data={"name": "Acme", "email": "orders@acme.example"}, now=now)
    typed = ticket_services.ticket_create(actor=sam, customer=acme, subject="Invoice", now=now)
    ticket_services.ticket_resolve(ticket=typed, actor=sam, resolution="Credit note sent.", now=now)

    outbox_sweep(now=now)
    [(rcpt, msg)] = smtp.messages
    assert rcpt == ["orders@acme.example"] and msg["Subject"] == f"[{typed.number}] Invoice"
    assert msg["In-Reply-To"] is None  # a ticket typed by hand has no thread yet


def test_the_customers_answer_to_our_mail_threads_back_to_the_ticket(smtp, ticket, sam, now):
    ticket_services.ticket_reply(ticket=ticket, actor=sam, body="Is it model X?", now=now)
    ticket_services.ticket_wait(ticket=ticket, actor=sam, now=now)
    outbox_sweep(now=now)
    ours = smtp.messages[0][1]["Message-ID"]
    answer = (f"From: li.lei@acme.example\r\nSubject: Re: {smtp.messages[0][1]['Subject']}\r\n"
              f"Message-ID: <m9@acme.example>\r\nIn-Reply-To: {ours}\r\n\r\nYes, model X.").encode()

    received, _ = services.inbound_receive(raw=answer, source="api", now=now + dt.timedelta(hours=1))

    assert received.status == InboundEmail.Status.REPLY and received.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_mail_waits_in_the_outbox_while_the_smtp_server_is_down(settings, ticket, sam, now):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    ticket_services.ticket_reply(ticket=ticket, actor=sam, body="On our way.", now=now)

    assert outbox_sweep(now=now) == 0
    row = OutboundEmail.objects.get()
    assert row.sent_at is None and row.last_error
