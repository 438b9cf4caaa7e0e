"""The webhooks API (admins only) and the pages (admins / support), with their scope."""
from __future__ import annotations

import pytest
from django.test import Client

from crm.services import customer_create
from integrations import services
from integrations.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_webhook_and_sees_the_secret_only_once(ada, api_client_for, webhook_receiver):
    client = api_client_for(ada)
    created = client.post("/api/v1/webhooks/", {"url": webhook_receiver.url, "events": ["ticket.created"],
                                                "active": True})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert len(secret) >= 32
    assert Webhook.objects.get().secret == secret  # decrypted by the field
    shown = client.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    assert "secret" not in shown and secret not in str(client.get("/api/v1/webhooks/").json())


def test_the_secret_is_encrypted_at_rest(ada, now, webhook_receiver):
    from django.db import connection

    hook, secret = services.webhook_create(actor=ada, url=webhook_receiver.url, events=["ticket.created"], now=now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM integrations_webhook WHERE id = %s", [hook.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and secret not in stored


def test_webhooks_are_for_admins_only(sam, lena, alice, ada, api_client_for, now, webhook_receiver):
    hook, _ = services.webhook_create(actor=ada, url=webhook_receiver.url, events=["ticket.created"], now=now)
    for user in (sam, lena, alice):
        client = api_client_for(user)
        assert client.get("/api/v1/webhooks/").status_code == 403
        assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").status_code == 403
        assert client.post("/api/v1/webhooks/", {"url": webhook_receiver.url,
                                                 "events": ["ticket.created"]}).status_code == 403


def test_bad_input_gets_a_message_per_field(ada, api_client_for):
    response = api_client_for(ada).post("/api/v1/webhooks/", {"url": "not a url", "events": ["nope"]})
    assert response.status_code == 400
    assert set(response.json()) >= {"url", "events"}


def test_the_delivery_log_lists_every_attempt_without_a_query_per_row(ada, api_client_for, now, webhook_receiver,
                                                                     django_assert_max_num_queries):
    webhook_receiver.answers = [500, 500]
    hook, _ = services.webhook_create(actor=ada, url=webhook_receiver.url, events=["customer.created"], now=now,
                                      secret=webhook_receiver.secret)
    for i in range(3):
        customer_create(actor=ada, data={"name": f"C{i}"}, now=now)
    for delivery in WebhookDelivery.objects.all():
        services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now)
    client = api_client_for(ada)

    with django_assert_max_num_queries(6):
        rows = client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()["results"]

    assert len(rows) == 3
    assert sorted(r["attempt_log"][0]["status_code"] for r in rows) == [200, 500, 500]
    assert {r["status"] for r in rows} == {"pending", "succeeded"}


def test_a_failed_delivery_is_sent_again_through_the_api(ada, api_client_for, now, webhook_receiver):
    hook, _ = services.webhook_create(actor=ada, url=webhook_receiver.url, events=["customer.created"], now=now,
                                      secret=webhook_receiver.secret)
    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None)
    client = api_client_for(ada)

    response = client.post(f"/api/v1/webhooks/{hook.pk}/deliveries/{delivery.uuid}/redeliver/")

    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert client.post(f"/api/v1/webhooks/{hook.pk}/deliveries/{delivery.uuid}/redeliver/").status_code == 400


# --- pages --------------------------------------------------------------------------------------------------

def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_mailbox_and_webhook_pages_do_not_exist_for_non_admins(sam, alice, lena):
    for user in (sam, alice, lena):
        client = _client(user)
        assert client.get("/channels/mailboxes/").status_code == 404
        assert client.get("/channels/webhooks/").status_code == 404


def test_triage_is_for_support_and_admins(sam, ada, alice, lena, now):
    email, _ = services.inbound_receive(raw=b"From: x@unknown.example\r\nSubject: hi\r\n\r\nhello", source="api",
                                        now=now)
    assert _client(sam).get(f"/channels/triage/{email.pk}/").status_code == 200
    assert _client(ada).get("/channels/triage/").status_code == 200
    for user in (alice, lena):
        assert _client(user).get("/channels/triage/").status_code == 404
        assert _client(user).get(f"/channels/triage/{email.pk}/").status_code == 404


def test_the_mailbox_form_keeps_the_password_when_left_blank(ada, now):
    client = _client(ada)
    data = {"name": "Support", "host": "imap.example.com", "port": 993, "use_tls": "on", "username": "support",
            "password": "imap-pass-1", "folder": "INBOX", "active": "on"}
    assert client.post("/channels/mailboxes/new/", data).status_code == 302
    from integrations.models import Mailbox

    mailbox = Mailbox.objects.get()
    assert client.post(f"/channels/mailboxes/{mailbox.pk}/", {**data, "password": "", "name": "Help"}).status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.password) == ("Help", "imap-pass-1")
    missing = client.post("/channels/mailboxes/new/", {**data, "password": ""})
    assert missing.status_code == 200 and "password" in missing.context["form"].errors


def test_the_sender_index_rebuild_finds_customers_written_around_the_services(ada, now):
    from crm.models import Customer
    from integrations.models import InboundEmail

    Customer.objects.create(name="Imported", email="bulk@imported.example", created_at=now)  # no event
    first, _ = services.inbound_receive(raw=b"From: bulk@imported.example\r\nMessage-ID: <a@i>\r\nSubject: x\r\n\r\nx",
                                        source="api", now=now)
    assert first.status == InboundEmail.Status.TRIAGE

    services.sender_index_rebuild()
    second, _ = services.inbound_receive(raw=b"From: Bulk@Imported.example\r\nMessage-ID: <b@i>\r\nSubject: y\r\n\r\ny",
                                         source="api", now=now)
    assert second.status == InboundEmail.Status.TICKET


def test_email_attachments_show_on_the_ticket_page_for_those_who_may_read_it(ada, sam, charlie, alice, now):
    import base64

    from crm.services import customer_create

    customer_create(actor=alice, data={"name": "Acme", "email": "li@acme.example"}, now=now)
    raw = ("From: li@acme.example\r\nSubject: photo\r\nMessage-ID: <p@acme.example>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee\r\n--b\r\n"
           "Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"jam.png\"\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(b'PNGDATA').decode()}\r\n--b--\r\n")
    email, _ = services.inbound_receive(raw=raw.encode(), source="api", now=now)
    att = email.attachments.get()
    url = f"/channels/tickets/{email.ticket_id}/attachments/{att.pk}/"

    page = _client(sam).get(f"/tickets/{email.ticket_id}/")
    assert "jam.png" in page.content.decode() and url in page.content.decode()
    download = _client(alice).get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"PNGDATA"
    assert "attachment" in download["Content-Disposition"]
    assert _client(charlie).get(url).status_code == 404  # another team's customer


def test_received_messages_are_listed_for_support_with_what_became_of_them(sam, alice, api_client_for, now,
                                                                          django_assert_max_num_queries):
    for i in range(3):
        services.inbound_receive(raw=f"From: x{i}@unknown.example\r\nMessage-ID: <u{i}@x>\r\nSubject: s{i}\r\n\r\nb"
                                 .encode(), source="api", now=now)
    services.inbound_receive(raw=b"\x00broken", source="api", now=now)
    client = api_client_for(sam)

    with django_assert_max_num_queries(4):
        triage = client.get("/api/v1/inbound-emails/?status=triage").json()["results"]
    failed = client.get("/api/v1/inbound-emails/?status=failed").json()["results"]

    assert sorted(r["subject"] for r in triage) == ["s0", "s1", "s2"]
    assert len(failed) == 1 and failed[0]["error"]
    assert api_client_for(alice).get("/api/v1/inbound-emails/").status_code == 403


def test_django_admin_saves_a_mailbox_through_the_service_with_the_password_encrypted(ada):
    from django.db import connection

    from integrations.models import Mailbox

    client = _client(ada)
    data = {"name": "Support", "host": "imap.example.com", "port": 993, "use_tls": "on", "username": "support",
            "password": "imap-pass-9", "folder": "INBOX", "active": "on"}
    assert client.post("/admin/integrations/mailbox/add/", data).status_code == 302
    mailbox = Mailbox.objects.get()
    assert client.post(f"/admin/integrations/mailbox/{mailbox.pk}/change/", {**data, "password": ""}).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM integrations_mailbox")
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and Mailbox.objects.get().password == "imap-pass-9"


def test_a_mailbox_edit_does_not_overwrite_what_the_poller_wrote_meanwhile(ada, now):
    """Rule: a write names its columns; the edit loaded before a poll keeps the poll's UIDs."""
    from integrations.models import Mailbox

    mailbox = services.mailbox_save(mailbox=None, data={"name": "Support", "host": "imap.example.com", "port": 993,
                                                         "use_tls": True, "username": "support",
                                                         "password": "imap-pass-1", "folder": "INBOX",
                                                         "active": True}, now=now)
    stale = Mailbox.objects.get(pk=mailbox.pk)
    Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=7, last_uid=42)  # the poller, meanwhile
    services.mailbox_save(mailbox=stale, data={"name": "Help desk"}, now=now)
    fresh = Mailbox.objects.get(pk=mailbox.pk)
    assert (fresh.name, fresh.uid_validity, fresh.last_uid) == ("Help desk", 7, 42)
