"""Text messages: the backends (console, locmem, the HTTP gateway against a real
server on 127.0.0.1) and the outbox they leave through (once per event, retried
with back-off, numbers never logged unmasked)."""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import sms
from core.models import OutboundSms
from core.outbox import outbound_sms_send, outbox_sweep, sms_queue

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)
NUMBER = "13812345678"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.SMS_BACKEND = "core.sms.LocmemBackend"
    sms.sent.clear()
    yield
    sms.sent.clear()


@pytest.fixture
def gateway(settings):
    """A real HTTP gateway on 127.0.0.1: records each request; ``answers`` is the
    queue of (status, JSON) it replies with (then OK)."""
    received: list[dict] = []
    answers: list[tuple[int, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body,
                             "json": json.loads(body)})
            status, answer = answers.pop(0) if answers else (200, {"Code": "OK", "Message": "OK",
                                                                   "BizId": f"biz-{len(received)}"})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "core.sms.HttpGatewayBackend"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/sms/send"
    settings.SMS_ACCESS_KEY, settings.SMS_SECRET, settings.SMS_SIGN_NAME = "key-1", "s3cret", "某某科技"

    class Gateway:
        pass

    g = Gateway()
    g.received, g.answers = received, answers
    yield g
    server.shutdown()
    server.server_close()


def test_one_event_sends_one_message_even_when_queued_twice(now):
    first = sms_queue(event_key="ticket.resolved:1:t", to=NUMBER, text="Done", now=now)
    again = sms_queue(event_key="ticket.resolved:1:t", to=NUMBER, text="Done", now=now)
    assert first is not None and again is None
    assert outbound_sms_send(sms_id=first.pk, now=now) is True
    assert outbound_sms_send(sms_id=first.pk, now=now) is False  # a redelivered task
    assert outbox_sweep(now=now + MIN) == 0
    assert [m["text"] for m in sms.sent] == ["Done"]


def test_the_number_and_text_are_stored_encrypted(now):
    from django.db import connection

    row = sms_queue(event_key="e:1", to=NUMBER, text="您的工单已解决", now=now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {'to'!r}, text FROM core_outboundsms WHERE id = %s".replace("'", '"'), [row.pk])
        stored_to, stored_text = cursor.fetchone()
    assert NUMBER not in stored_to and "工单" not in stored_text
    assert OutboundSms.objects.get().to == NUMBER


def test_the_http_gateway_gets_the_signed_template_request(now, gateway, settings):
    row = sms_queue(event_key="e:1", to=NUMBER, text="您的工单 TK1 已解决。", template_code="SMS_1001",
                    params={"number": "TK1"}, now=now)
    assert outbound_sms_send(sms_id=row.pk, now=now) is True
    (request,) = gateway.received
    body = request["json"]
    assert request["path"] == "/sms/send"
    assert body == {"PhoneNumbers": NUMBER, "SignName": "某某科技", "TemplateCode": "SMS_1001",
                    "TemplateParam": json.dumps({"number": "TK1"}, ensure_ascii=False),
                    "Content": "您的工单 TK1 已解决。"}
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-sms-access-key"] == "key-1"
    assert headers["x-sms-signature"] == sms.gateway_signature(
        secret="s3cret", timestamp=headers["x-sms-timestamp"], nonce=headers["x-sms-nonce"], body=request["body"])
    row.refresh_from_db()
    assert row.sent_at == now and row.provider_id == "biz-1" and row.attempts == 1


def test_a_gateway_error_is_retried_with_back_off_and_sent_once(now, gateway, settings, caplog):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    gateway.answers.extend([(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "rate limited"}),
                            (503, {"Code": "ServiceUnavailable"})])
    row = sms_queue(event_key="e:1", to=NUMBER, text="Done", now=now)
    with caplog.at_level(logging.WARNING, logger="core.outbox"):
        assert outbound_sms_send(sms_id=row.pk, now=now) is False  # refused by the gateway
        row.refresh_from_db()
        assert row.next_attempt_at == now + MIN and "BUSINESS_LIMIT_CONTROL" in row.last_error
        assert outbox_sweep(now=now + MIN - dt.timedelta(seconds=1)) == 0  # not due yet: nothing asked
        assert len(gateway.received) == 1
        assert outbox_sweep(now=now + MIN) == 0  # HTTP 503: the back-off doubles
        row.refresh_from_db()
        assert row.next_attempt_at == now + 3 * MIN and "503" in row.last_error
    assert outbox_sweep(now=now + 3 * MIN) == 1
    row.refresh_from_db()
    assert row.sent_at == now + 3 * MIN and row.attempts == 3 and row.last_error == ""
    assert len(gateway.received) == 3
    # The log names the message by its masked number only.
    assert caplog.records and all(NUMBER not in r.getMessage() for r in caplog.records)
    assert any("138****5678" in r.getMessage() for r in caplog.records)


def test_an_unreachable_gateway_keeps_the_message(now, settings):
    settings.SMS_BACKEND = "core.sms.HttpGatewayBackend"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/nothing-listens"
    settings.SMS_TIMEOUT = 2
    row = sms_queue(event_key="e:1", to=NUMBER, text="Done", now=now)
    assert outbound_sms_send(sms_id=row.pk, now=now) is False
    row.refresh_from_db()
    assert row.sent_at is None and row.attempts == 1 and "unreachable" in row.last_error


def test_the_console_backend_masks_the_number(capsys):
    sms.ConsoleBackend().send(to=NUMBER, text="Hello", template_code="SMS_1")
    out = capsys.readouterr().out
    assert "138****5678" in out and NUMBER not in out and "Hello" in out


def test_the_sms_sender_task_is_queued_by_name_after_commit(now, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("core.broker.current_app.send_task", lambda name, args, kwargs: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        row = sms_queue(event_key="e:1", to=NUMBER, text="Hi", now=now)
        assert sent == []
    assert sent == [("core.tasks.outbound_sms_send", [row.pk])]
