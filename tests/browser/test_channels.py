"""Channels in the browser: an admin sets up a mailbox, support triages a message
from an unknown sender, an admin reads a webhook's delivery log and sends a failed
delivery again. Screenshots in var/screenshots/channels-*.png."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone

from crm.services import customer_create
from integrations import services
from integrations.models import Mailbox, WebhookDelivery
from integrations.tests.servers import WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_adds_a_mailbox_in_the_settings(ada, login_as, live_server, screenshot):
    page = login_as(ada)
    page.goto(f"{live_server.url}/channels/mailboxes/")
    page.click("text=New mailbox")
    page.fill("#id_name", "Support inbox")
    page.fill("#id_host", "imap.example.com")
    page.fill("#id_port", "993")
    page.fill("#id_username", "support@example.com")
    page.fill("#id_password", "imap-pass-2026")
    screenshot("channels-mailbox-form")
    page.click("#mailbox-form button[type=submit]")
    page.wait_for_url("**/channels/mailboxes/")
    row = page.locator("#mailboxes tbody tr").first
    assert "Support inbox" in row.inner_text() and "Not polled yet" in row.inner_text()
    assert Mailbox.objects.get().password == "imap-pass-2026"
    assert "imap-pass-2026" not in page.content()
    screenshot("channels-mailboxes")

    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.goto(f"{live_server.url}/channels/mailboxes/")
    assert page.locator("h1").inner_text() == "邮箱"
    assert "尚未收取" in page.locator("#mailboxes").inner_text()
    screenshot("channels-mailboxes-zh")


def test_support_opens_a_ticket_from_the_triage_list(sam, ada, make_customer, login_as, live_server, screenshot):
    from tickets.defaults import ensure_defaults

    ensure_defaults()
    customer_create(actor=ada, data={"name": "Acme Printing"}, now=timezone.now())
    raw = ("From: 王芳 <wang.fang@newco.example>\r\nSubject: =?utf-8?b?5omT5Y2w5py65Y2h57q4?=\r\n"
           "Message-ID: <t1@newco.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "第二页总是卡纸，请尽快处理。").encode()
    services.inbound_receive(raw=raw, source="api", now=timezone.now())

    page = login_as(sam)
    page.goto(f"{live_server.url}/channels/triage/")
    assert "wang.fang@newco.example" in page.locator("#triage").inner_text()
    screenshot("channels-triage")
    page.click("text=打印机卡纸")
    page.fill("#id_q", "Acme")
    page.click("#pick-customer button[type=submit]")
    assert "Acme Printing" in page.locator("#customer-results").inner_text()
    screenshot("channels-triage-detail")
    page.click("#customer-results button[type=submit]")
    page.wait_for_url(re.compile(r".*/tickets/\d+/$"))
    assert "打印机卡纸" in page.locator("h1").inner_text()
    page.goto(f"{live_server.url}/channels/triage/")
    assert "Nothing to triage." in page.locator("#triage").inner_text()

    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.goto(f"{live_server.url}/channels/triage/")
    assert page.locator("h1").inner_text() == "邮件分拣"
    screenshot("channels-triage-zh")


def test_an_admin_reads_the_delivery_log_and_sends_a_failed_delivery_again(ada, login_as, live_server,
                                                                          screenshot):
    receiver = WebhookReceiver(secret="whsec-browser-1").start()
    try:
        now = timezone.now()
        hook, _ = services.webhook_create(actor=ada, url=receiver.url, events=["customer.created"], now=now,
                                          secret=receiver.secret)
        receiver.answers = [500]
        customer_create(actor=ada, data={"name": "Acme"}, now=now)
        customer_create(actor=ada, data={"name": "Beta"}, now=now)
        first, second = WebhookDelivery.objects.order_by("id")
        services.webhook_delivery_send(delivery_uuid=first.uuid, now=now)  # 500
        services.webhook_delivery_send(delivery_uuid=second.uuid, now=now)  # 200
        WebhookDelivery.objects.filter(pk=first.pk).update(status="failed", next_attempt_at=None)

        page = login_as(ada)
        page.goto(f"{live_server.url}/channels/webhooks/")
        page.click(f"text={receiver.url}")
        log = page.locator("#deliveries")
        assert "HTTP 500" in log.inner_text() and "HTTP 200" in log.inner_text()
        assert log.locator(".delivery-failed").count() == 1
        screenshot("channels-webhook-deliveries")
        log.locator(".delivery-failed button[type=submit]").click()
        page.wait_for_url(f"**/channels/webhooks/{hook.pk}/")
        assert "The delivery will be sent again." in page.locator(".messages").inner_text()
        assert page.locator("#deliveries .delivery-failed").count() == 0
        screenshot("channels-webhook-redelivered")

        page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
        page.goto(f"{live_server.url}/channels/webhooks/{hook.pk}/")
        assert page.locator("h1").inner_text() == "投递记录"
        screenshot("channels-webhook-deliveries-zh")
    finally:
        receiver.stop()
