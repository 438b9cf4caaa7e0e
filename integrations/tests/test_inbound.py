"""E-mail in: messages delivered into a real Dovecot mailbox and read by the poll,
or posted raw to the mail-relay endpoint, become tickets, replies or triage items."""
from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from crm.models import Contact
from crm.services import contact_save, customer_create
from integrations import services
from integrations.models import InboundEmail, Mailbox
from tickets import services as ticket_services
from tickets.models import SlaEvent, Status, Ticket
from tickets.selectors import department_for_category

pytestmark = pytest.mark.django_db


def message(*, sender="li.lei@acme.example", subject="Printer jams", body="The printer jams on page 2.",
            message_id="<m1@acme.example>", extra: str = "", charset="utf-8") -> bytes:
    head = (f"From: Li Lei <{sender}>\r\nTo: support@crm.example\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: Mon, 15 Jun 2026 09:55:00 +0000\r\n{extra}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n")
    return head.encode("ascii") + base64.encodebytes(body.encode(charset if charset != "gb2312" else "gbk"))


@pytest.fixture
def acme(ada, now):
    return customer_create(actor=ada, data={"name": "Acme Printing", "email": "orders@acme.example"}, now=now)


@pytest.fixture
def li_lei(acme):
    return contact_save(contact=Contact(customer=acme), data={"name": "Li Lei", "email": "Li.Lei@acme.example"})


@pytest.fixture
def mailbox(dovecot, now):
    return services.mailbox_save(mailbox=None, now=now, data={
        "name": "Support", "host": "127.0.0.1", "port": dovecot.port, "use_tls": False,
        "username": dovecot.user, "password": dovecot.password, "folder": "INBOX", "active": True})


def test_a_contacts_email_in_the_mailbox_opens_an_email_ticket_with_clocks_from_its_arrival(dovecot, mailbox,
                                                                                              li_lei, now):
    arrival = now - dt.timedelta(minutes=3)
    dovecot.deliver(message(), when=arrival)

    result = services.mailbox_poll(mailbox_id=mailbox.pk, now=now)

    assert result == {"read": 1, "new": 1, "error": ""}
    email = InboundEmail.objects.get()
    ticket = email.ticket
    assert (email.status, email.contact) == (InboundEmail.Status.TICKET, li_lei)
    assert (ticket.customer, ticket.channel, ticket.subject) == (li_lei.customer, "email", "Printer jams")
    assert ticket.description == "The printer jams on page 2."
    assert ticket.department == department_for_category(category=ticket.category)  # routed as typed by hand
    assert ticket.created_at == arrival
    started = SlaEvent.objects.filter(ticket=ticket, kind="started", clock="first_response").get()
    assert started.at == arrival
    assert Mailbox.objects.get().last_uid == 1


def test_the_same_message_id_twice_is_one_message_and_one_ticket(dovecot, mailbox, li_lei, now):
    dovecot.deliver(message())
    dovecot.deliver(message())  # the relay delivered it twice
    services.mailbox_poll(mailbox_id=mailbox.pk, now=now)
    services.mailbox_poll(mailbox_id=mailbox.pk, now=now + dt.timedelta(minutes=1))  # nothing new
    _email, created = services.inbound_receive(raw=message(), source="api", now=now)

    assert created is False
    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_an_auto_reply_and_a_bounce_never_open_a_ticket(dovecot, mailbox, li_lei, now):
    dovecot.deliver(message(message_id="<ooo@acme.example>", subject="Out of office",
                            extra="Auto-Submitted: auto-replied\r\n"))
    dovecot.deliver(message(message_id="<bounce@mx.example>", sender="MAILER-DAEMON@mx.example",
                            subject="Undelivered Mail Returned to Sender"))
    dovecot.deliver(message(message_id="<news@acme.example>", extra="Precedence: bulk\r\n"))

    services.mailbox_poll(mailbox_id=mailbox.pk, now=now)

    assert sorted(InboundEmail.objects.values_list("status", flat=True)) == ["auto", "auto", "auto"]
    assert not Ticket.objects.exists()


def test_a_gbk_subject_and_body_read_right(dovecot, mailbox, li_lei, now):
    subject = "打印机卡纸，喆"  # 喆 exists in GBK only, not in GB2312
    encoded = "=?gb2312?B?" + base64.b64encode(subject.encode("gbk")).decode() + "?="
    dovecot.deliver(message(subject=encoded, body="第二页总是卡纸。", charset="gb2312"))

    services.mailbox_poll(mailbox_id=mailbox.pk, now=now)

    ticket = Ticket.objects.get()
    assert ticket.subject == subject
    assert ticket.description == "第二页总是卡纸。"


def test_a_reply_to_our_thread_adds_a_customer_message_and_resumes_the_waiting_clocks(dovecot, mailbox, li_lei,
                                                                                       sam, now):
    services.inbound_receive(raw=message(), source="api", now=now)
    ticket = Ticket.objects.get()
    ticket_services.ticket_wait(ticket=ticket, actor=sam, now=now + dt.timedelta(minutes=5))
    reply = message(message_id="<m2@acme.example>", subject="Re: Printer jams", body="Here is the photo.",
                    extra="In-Reply-To: <m1@acme.example>\r\nReferences: <m1@acme.example>\r\n")
    dovecot.deliver(reply)

    services.mailbox_poll(mailbox_id=mailbox.pk, now=now + dt.timedelta(minutes=30))

    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status == Status.IN_PROGRESS
    last = ticket.messages.order_by("-id").first()
    assert (last.body, last.from_customer, last.public) == ("Here is the photo.", True, True)
    kinds = list(ticket.sla_events.filter(clock="").values_list("kind", flat=True))
    assert kinds == ["paused", "resumed"]
    assert InboundEmail.objects.get(message_id="<m2@acme.example>").status == InboundEmail.Status.REPLY


def test_a_ticket_number_in_the_subject_threads_only_for_that_tickets_customer(li_lei, ada, now, make_customer):
    services.inbound_receive(raw=message(), source="api", now=now)
    ticket = Ticket.objects.get()
    services.inbound_receive(raw=message(message_id="<m3@acme.example>", subject=f"Re: [{ticket.number}] more"),
                             source="api", now=now)
    stranger = message(message_id="<x@evil.example>", sender="x@evil.example", subject=f"[{ticket.number}] hi")
    email, _created = services.inbound_receive(raw=stranger, source="api", now=now)

    assert ticket.messages.filter(from_customer=True).count() == 1
    assert email.status == InboundEmail.Status.TRIAGE


def test_an_unknown_sender_waits_in_triage_until_support_picks_the_customer(acme, sam, now):
    email, _ = services.inbound_receive(raw=message(sender="wang@newco.example"), source="api",
                                        now=now - dt.timedelta(minutes=20))
    assert email.status == InboundEmail.Status.TRIAGE and not Ticket.objects.exists()

    ticket = services.triage_assign(email=email, actor=sam, customer=acme, now=now)

    assert (ticket.customer, ticket.channel, ticket.created_at) == (acme, "email", email.received_at)
    email.refresh_from_db()
    assert (email.status, email.handled_by) == (InboundEmail.Status.TICKET, sam)
    # The sender is now a contact: their next message opens a ticket directly.
    nxt, _ = services.inbound_receive(raw=message(sender="wang@newco.example", message_id="<n2@newco.example>"),
                                      source="api", now=now)
    assert nxt.status == InboundEmail.Status.TICKET and nxt.ticket.customer == acme


def test_support_can_create_the_customer_from_triage(sam, now):
    email, _ = services.inbound_receive(raw=message(sender="wang@newco.example"), source="api", now=now)

    ticket = services.triage_create_customer(email=email, actor=sam, name="NewCo", now=now)

    assert ticket.customer.name == "NewCo" and ticket.customer.email == "wang@newco.example"


def test_an_unparseable_message_is_kept_and_reported_not_dropped(now, sam, ada):
    raw = b"\x00\x01 garbage without any header \xff"
    email, created = services.inbound_receive(raw=raw, source="api", now=now)

    assert created and email.status == InboundEmail.Status.FAILED and email.error
    with default_storage.open(email.raw.name, "rb") as f:
        assert f.read() == raw
    from core.models import Notification
    from integrations.selectors import triage_list_for_user

    assert email in triage_list_for_user(user=sam)
    reported = Notification.objects.get(recipient=ada)  # every admin hears of it
    assert reported.kind == "inbound_email_failed" and reported.url == "/channels/triage/"
    from core.notifications import notification_text

    title, body = notification_text(reported, language="zh-hans")
    assert title == "一封收到的邮件无法处理：（无主题）" and body == email.error


def test_html_only_mail_is_sanitised_to_text(li_lei, now):
    raw = (b"From: li.lei@acme.example\r\nSubject: html\r\nMessage-ID: <h@acme.example>\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Hello<script>alert('x')</script></p><p>A &amp; B<br>line</p><style>p{}</style>")
    email, _ = services.inbound_receive(raw=raw, source="api", now=now)

    assert email.ticket.description == "Hello\nA & B\nline"


def test_attachments_are_kept_up_to_the_size_limit(li_lei, now, settings):
    settings.INBOUND_ATTACHMENT_MAX_BYTES = 1000
    boundary = "b1"
    raw = (f"From: li.lei@acme.example\r\nSubject: files\r\nMessage-ID: <f@acme.example>\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n--{boundary}\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n--{boundary}\r\n"
           f"Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"small.png\"\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(b'p' * 100).decode()}\r\n--{boundary}\r\n"
           f"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"big.pdf\"\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(b'x' * 5000).decode()}\r\n--{boundary}--\r\n")
    email, _ = services.inbound_receive(raw=raw.encode(), source="api", now=now)

    small, big = email.attachments.order_by("id")
    assert (small.filename, small.size, small.ticket) == ("small.png", 100, email.ticket)
    assert default_storage.open(small.file.name).read() == b"p" * 100
    assert (big.filename, big.size, bool(big.file)) == ("big.pdf", 5000, False)
    assert email.ticket.description == "See attached."


# --- the mail-relay endpoint ---------------------------------------------------------------------------------

@pytest.fixture
def relay(db):
    from crm.models import User

    user = User.objects.create(username="mailrelay", role="support")
    user.user_permissions.add(Permission.objects.get(codename="receive_inbound_email"))
    return user


def _post(user, raw: bytes, content_type="message/rfc822"):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/inbound-email/", data=raw, content_type=content_type)


def test_the_relay_endpoint_takes_a_raw_message_once(relay, li_lei):
    first = _post(relay, message())
    again = _post(relay, message())

    assert first.status_code == 201 and first.json()["status"] == "ticket"
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Ticket.objects.count() == 1


def test_the_relay_endpoint_needs_the_permission_and_the_media_type(relay, sam, li_lei):
    assert _post(sam, message()).status_code == 403
    assert _post(relay, message(), content_type="text/plain").status_code == 415
    assert _post(relay, message(), content_type="application/json").status_code == 415
    assert not InboundEmail.objects.exists()


def test_the_relay_endpoint_refuses_a_message_over_the_limit(relay, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 100
    response = _post(relay, message(body="x" * 500))

    assert response.status_code == 413
    assert not InboundEmail.objects.exists()


def test_a_mailbox_that_refuses_the_login_records_the_error_and_reads_nothing(dovecot, mailbox, now):
    services.mailbox_save(mailbox=mailbox, data={"password": "wrong-password"}, now=now)
    dovecot.deliver(message())

    result = services.mailbox_poll(mailbox_id=mailbox.pk, now=now)

    mailbox.refresh_from_db()
    assert result["error"] and mailbox.last_error == result["error"] and mailbox.last_polled_at == now
    assert not InboundEmail.objects.exists()
    services.mailbox_save(mailbox=mailbox, data={"password": dovecot.password}, now=now)
    assert services.mailbox_poll(mailbox_id=mailbox.pk, now=now + dt.timedelta(minutes=1))["new"] == 1


def test_editing_a_mailbox_keeps_its_place_unless_the_folder_changes(dovecot, mailbox, li_lei, now):
    dovecot.deliver(message())
    services.mailbox_poll(mailbox_id=mailbox.pk, now=now)
    services.mailbox_save(mailbox=Mailbox.objects.get(), data={"name": "Help desk", "folder": "INBOX"}, now=now)
    assert Mailbox.objects.get().last_uid == 1
    services.mailbox_save(mailbox=Mailbox.objects.get(), data={"folder": "Support"}, now=now)
    assert Mailbox.objects.get().last_uid == 0


def test_our_own_mail_coming_back_is_never_filed_or_answered(li_lei, now, settings):
    from integrations.models import MailThread

    settings.DEFAULT_FROM_EMAIL = "CRM Support <support@crm.example>"
    services.inbound_receive(raw=message(), source="api", now=now)
    ticket = Ticket.objects.get()
    MailThread.objects.create(message_id="<TK1.ours@crm.example>", ticket=ticket, outgoing=True, created_at=now)

    echoed, _ = services.inbound_receive(raw=message(message_id="<TK1.ours@crm.example>", subject="Re: x",
                                                     extra="In-Reply-To: <m1@acme.example>\r\n"),
                                         source="api", now=now)
    from_us, _ = services.inbound_receive(raw=message(sender="support@crm.example", message_id="<z@crm.example>"),
                                          source="api", now=now)

    assert (echoed.status, from_us.status) == ("auto", "auto")
    assert ticket.messages.count() == 0 and Ticket.objects.count() == 1


def test_a_very_long_subject_still_opens_the_ticket(li_lei, now):
    email, _ = services.inbound_receive(raw=message(subject="S" * 290), source="api", now=now)

    assert email.status == InboundEmail.Status.TICKET and email.ticket.subject == "S" * 200


def test_a_message_that_cannot_be_filed_is_kept_as_failed_and_nothing_half_written(li_lei, now, monkeypatch):
    from integrations.services import inbound

    def broken(**kwargs):
        Ticket.objects.create(customer=li_lei.customer, subject="half", created_at=now, updated_at=now)
        raise RuntimeError("routing table missing")

    monkeypatch.setattr(inbound.ticket_services, "ticket_create", broken)
    email, created = services.inbound_receive(raw=message(), source="api", now=now)

    assert created and email.status == InboundEmail.Status.FAILED and "routing table missing" in email.error
    assert not Ticket.objects.exists()  # the failed filing was rolled back, the message was not
    assert InboundEmail.objects.get().pk == email.pk


def test_the_relay_endpoint_also_takes_the_message_as_octet_stream(relay, li_lei):
    response = _post(relay, message(), content_type="application/octet-stream")

    assert response.status_code == 201 and response.json()["status"] == "ticket"
