"""The e-mail outbox: every e-mail of the system leaves from ``OutboundEmail`` rows.

``email_queue`` writes the row in the caller's transaction (so the e-mail exists
exactly when the change that caused it does) and, after commit, sends the sender
task by name. A sender claims its row (a conditional UPDATE with a lease), so two
workers, a redelivered task and the sweeper never send it twice at once; an SMTP
failure releases the row with a doubling back-off. The sweeper (beat, every
minute) sends due rows, so a broker or mail-server outage delays e-mail and loses
none. Delivery is at least once: a worker killed between the SMTP hand-over and
marking the row sent leaves it to be sent again after the lease."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q

from core.broker import task_send
from core.models import OutboundEmail

log = logging.getLogger(__name__)

SEND_TASK = "core.tasks.outbound_email_send"
# How long a sender holds a row: far above one SMTP exchange.
LEASE = timedelta(minutes=10)
BATCH = 200


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


def outbound_email_send(*, email_id: int, now: datetime) -> bool:
    """Send one queued e-mail if it is due and unclaimed; True when it left."""
    return _send(email_id=email_id, now=now) == "sent"


def _send(*, email_id: int, now: datetime) -> str:
    """"sent", "skipped" (not due, sent or held by another sender) or "failed"."""
    claimed = (OutboundEmail.objects
               .filter(pk=email_id, sent_at__isnull=True, next_attempt_at__lte=now)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
               .update(claimed_until=now + LEASE, attempts=F("attempts") + 1))
    if not claimed:
        return "skipped"
    email = OutboundEmail.objects.get(pk=email_id)
    message = EmailMultiAlternatives(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, email.to,
                                     headers=email.headers or None)
    if email.html:
        message.attach_alternative(email.html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any SMTP / network failure: keep the row, try again later
        delay = min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (email.attempts - 1), settings.OUTBOX_RETRY_MAX_SECONDS)
        OutboundEmail.objects.filter(pk=email_id).update(
            claimed_until=None, next_attempt_at=now + timedelta(seconds=delay), last_error=repr(exc)[:2000])
        log.warning("e-mail %s not sent (attempt %s), next try in %s s: %r", email_id, email.attempts, delay, exc)
        return "failed"
    # The bodies may hold single-use links: not kept once delivered.
    OutboundEmail.objects.filter(pk=email_id).update(sent_at=now, claimed_until=None, body="", html="",
                                                     last_error="")
    return "sent"


def outbox_sweep(*, now: datetime) -> int:
    """Send the due, unclaimed e-mails (the sweeper's pass); how many left.

    Stops at the first failure: the mail server is most likely down, and waiting
    out its timeout once per row would hold the worker for the whole batch. The
    failed row got its back-off, so a row the server refuses for its own reasons
    does not block the rest at the next sweep."""
    due = (OutboundEmail.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
           .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
           .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH])
    sent = 0
    for pk in list(due):
        outcome = _send(email_id=pk, now=now)
        if outcome == "failed":
            break
        sent += outcome == "sent"
    return sent
