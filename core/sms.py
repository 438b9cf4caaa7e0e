"""Text message backends, chosen like ``EMAIL_BACKEND`` by ``SMS_BACKEND``:

* ``core.sms.ConsoleBackend`` (default) writes each message to standard output,
  the number masked;
* ``core.sms.LocmemBackend`` (tests) keeps them in ``core.sms.sent``;
* ``core.sms.HttpGatewayBackend`` posts JSON to an SMS gateway modelled on the
  common Chinese gateways (signature name + approved template code + template
  parameters), signed with HMAC-SHA256 (README, Configuration).

A backend's ``send(to=, text=, template_code=, params=)`` returns the provider's
message id and raises on any failure; the outbox (core.outbox) retries."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from core.masking import mask_phone

# What LocmemBackend sent: dicts with to, text, template_code, params.
sent: list[dict] = []


class SmsError(Exception):
    """The gateway refused the message or could not be reached."""


class ConsoleBackend:
    def send(self, *, to: str, text: str, template_code: str = "", params: dict | None = None) -> str:
        sys.stdout.write(f"SMS to {mask_phone(to)} [{template_code or '-'}]: {text}\n")
        sys.stdout.flush()
        return ""


class LocmemBackend:
    def send(self, *, to: str, text: str, template_code: str = "", params: dict | None = None) -> str:
        sent.append({"to": to, "text": text, "template_code": template_code, "params": dict(params or {})})
        return f"locmem-{len(sent)}"


def gateway_signature(*, secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp\\nnonce\\nbody`` with the secret: what the
    gateway recomputes to authenticate the request."""
    payload = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class HttpGatewayBackend:
    """POST ``SMS_HTTP_URL`` with ``{"PhoneNumbers", "SignName", "TemplateCode",
    "TemplateParam" (a JSON string), "Content"}``; headers ``X-Sms-Access-Key``,
    ``X-Sms-Timestamp``, ``X-Sms-Nonce``, ``X-Sms-Signature``. Success is HTTP 200
    with ``{"Code": "OK", "BizId": "…"}``; any other code or status is an error."""

    def send(self, *, to: str, text: str, template_code: str = "", params: dict | None = None) -> str:
        body = json.dumps({"PhoneNumbers": to, "SignName": settings.SMS_SIGN_NAME, "TemplateCode": template_code,
                           "TemplateParam": json.dumps(params or {}, ensure_ascii=False), "Content": text},
                          ensure_ascii=False).encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
        request = urllib.request.Request(settings.SMS_HTTP_URL, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Sms-Access-Key": settings.SMS_ACCESS_KEY,
            "X-Sms-Timestamp": timestamp, "X-Sms-Nonce": nonce,
            "X-Sms-Signature": gateway_signature(secret=settings.SMS_SECRET, timestamp=timestamp, nonce=nonce,
                                                 body=body)})
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SmsError(f"gateway unreachable or unreadable: {exc.__class__.__name__}") from None
        if answer.get("Code") != "OK":
            raise SmsError(f"gateway refused: {answer.get('Code')} {str(answer.get('Message', ''))[:200]}")
        return str(answer.get("BizId", ""))


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
