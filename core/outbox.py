"""The outbox: every e-mail and text message of the system leaves from a row
(``OutboundEmail``, ``OutboundSms``; both ``core.models.OutboxRow``).

``email_queue`` / ``sms_queue`` write the row in the caller's transaction (so the
message exists exactly when the change that caused it does) and, after commit,
send the sender task by name. A sender claims its row (a conditional UPDATE with
a lease), so two workers, a redelivered task and the sweeper never send it twice
at once; a delivery failure releases the row with a doubling back-off. The
sweeper (beat, every minute) sends due rows of every box, so a broker, mail-server
or SMS-gateway outage delays messages and loses none. Delivery is at least once:
a worker killed between the hand-over and marking the row sent leaves it to be
sent again after the lease. One mechanism, two boxes: each ``Box`` names its
model, how one row is delivered and what is cleared once it left."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from core.broker import task_send
from core.models import OutboundEmail, OutboundSms

log = logging.getLogger(__name__)

SEND_TASK = "core.tasks.outbound_email_send"
SMS_SEND_TASK = "core.tasks.outbound_sms_send"
# How long a sender holds a row: far above one SMTP exchange or gateway call.
LEASE = timedelta(minutes=10)
BATCH = 200


@dataclass(frozen=True)
class Box:
    name: str
    model: type
    # Hands one claimed row over (raises on any failure); may return fields to store on success.
    deliver: Callable[[object], dict | None]
    # Written on success besides sent_at (e.g. bodies with single-use links cleared).
    cleared: dict = field(default_factory=dict)
    # How a row is named in the log (never an unmasked number).
    describe: Callable[[object], str] = lambda row: f"#{row.pk}"


def _email_deliver(email: OutboundEmail) -> None:
    message = EmailMultiAlternatives(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, email.to,
                                     headers=email.headers or None)
    if email.html:
        message.attach_alternative(email.html, "text/html")
    message.send()


def _sms_deliver(sms: OutboundSms) -> dict:
    from core.sms import sms_backend

    provider_id = sms_backend().send(to=sms.to, text=sms.text, template_code=sms.template_code,
                                     params=sms.params or {})
    return {"provider_id": (provider_id or "")[:100]}


def _sms_describe(sms: OutboundSms) -> str:
    from core.masking import mask_phone

    return f"#{sms.pk} to {mask_phone(sms.to)}"


# The bodies may hold single-use links: not kept once delivered.
EMAIL = Box("e-mail", OutboundEmail, _email_deliver, cleared={"body": "", "html": ""})
SMS = Box("sms", OutboundSms, _sms_deliver, describe=_sms_describe)


def email_queue(*, to: list[str] | str, subject: str, body: str, html: str | None = None,
                headers: dict | None = None, now: datetime) -> OutboundEmail:
    """Queue one e-mail (in the caller's transaction); it is sent after commit."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(recipients):
        raise ValueError("an e-mail needs at least one recipient address")
    email = OutboundEmail.objects.create(to=recipients, subject=subject[:998], body=body, html=html or "",
                                         headers=headers or {}, created_at=now, next_attempt_at=now)
    transaction.on_commit(lambda: task_send(SEND_TASK, args=[email.pk]))
    return email


def sms_queue(*, event_key: str, to: str, text: str, now: datetime, template_code: str = "",
              params: dict | None = None, language: str = "") -> OutboundSms | None:
    """Queue the one text message of an event (in the caller's transaction); None
    when that event already has its message (the trigger fired again)."""
    if not to.strip() or not event_key:
        raise ValueError("a text message needs a number and an event key")
    if OutboundSms.objects.filter(event_key=event_key).exists():
        return None
    try:
        # The unique key decides between two concurrent triggers of the same event.
        with transaction.atomic():
            sms = OutboundSms.objects.create(event_key=event_key[:200], to=to.strip(), text=text,
                                             template_code=template_code, params=params or {}, language=language,
                                             created_at=now, next_attempt_at=now)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: task_send(SMS_SEND_TASK, args=[sms.pk]))
    return sms


def outbound_email_send(*, email_id: int, now: datetime) -> bool:
    """Send one queued e-mail if it is due and unclaimed; True when it left."""
    return _send(EMAIL, pk=email_id, now=now) == "sent"


def outbound_sms_send(*, sms_id: int, now: datetime) -> bool:
    """Send one queued text message if it is due and unclaimed; True when it left."""
    return _send(SMS, pk=sms_id, now=now) == "sent"


def _due(box: Box, now: datetime):
    return (box.model.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))


def _send(box: Box, *, pk: int, now: datetime) -> str:
    """"sent", "skipped" (not due, sent or held by another sender) or "failed"."""
    claimed = _due(box, now).filter(pk=pk).update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    row = box.model.objects.get(pk=pk)
    try:
        stored = box.deliver(row) or {}
    except Exception as exc:  # any SMTP / gateway / network failure: keep the row, try again later
        delay = min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1), settings.OUTBOX_RETRY_MAX_SECONDS)
        box.model.objects.filter(pk=pk).update(
            claimed_until=None, next_attempt_at=now + timedelta(seconds=delay), last_error=repr(exc)[:2000])
        log.warning("%s %s not sent (attempt %s), next try in %s s: %r", box.name, box.describe(row), row.attempts,
                    delay, exc)
        return "failed"
    box.model.objects.filter(pk=pk).update(sent_at=now, claimed_until=None, last_error="", **box.cleared, **stored)
    return "sent"


def outbox_sweep(*, now: datetime) -> int:
    """Send the due, unclaimed e-mails and text messages (the sweeper's pass); how many left.

    Each box stops at its first failure: the server is most likely down, and
    waiting out its timeout once per row would hold the worker for the whole
    batch. The failed row got its back-off, so a row the server refuses for its
    own reasons does not block the rest at the next sweep."""
    sent = 0
    for box in (EMAIL, SMS):
        due = _due(box, now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH]
        for pk in list(due):
            outcome = _send(box, pk=pk, now=now)
            if outcome == "failed":
                break
            sent += outcome == "sent"
    return sent
