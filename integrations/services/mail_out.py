"""E-mail out: a public staff reply on a ticket goes to the customer in the
ticket's thread (Message-ID, In-Reply-To, References, ``[TK0000123]`` in the
subject), through the outbox (core.outbox), so a mail-server outage delays it
and loses nothing. Internal notes and the customer's own messages never leave.

Runs as a core.events receiver of ``ticket_message.created``, inside the
reply's transaction: the outbox row and the thread entry commit with the reply."""
from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.utils.translation import gettext as _

from integrations.models import MailThread
from integrations.services.inbound import ticket_recipient
from tickets.models import TicketMessage

REFERENCES_KEPT = 20


def message_id_domain() -> str:
    return settings.EMAIL_MESSAGE_ID_DOMAIN or settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"


def reply_subject(*, number: str, subject: str) -> str:
    tag = f"[{number}]"
    return subject if tag in subject else f"{tag} {subject}"


def ticket_message_email(*, message: TicketMessage, now: dt.datetime):
    """Queue the e-mail of a public staff reply; None when nothing is to be sent
    (an internal note, the customer's own message, no address to write to)."""
    from core.outbox import email_queue

    if not message.public or message.from_customer:
        return None
    ticket = message.ticket
    to = ticket_recipient(ticket=ticket)
    if not to:
        return None
    thread = list(MailThread.objects.filter(ticket=ticket).order_by("created_at", "id")
                  .values_list("message_id", "outgoing"))
    incoming = [mid for mid, outgoing in thread if not outgoing]
    message_id = f"<{ticket.number}.{message.pk}.{secrets.token_hex(6)}@{message_id_domain()}>"
    headers = {"Message-ID": message_id}
    if thread:
        headers["In-Reply-To"] = incoming[-1] if incoming else thread[-1][0]
        headers["References"] = " ".join(mid for mid, _o in thread[-REFERENCES_KEPT:])
    MailThread.objects.create(message_id=message_id, ticket=ticket, outgoing=True, created_at=now)
    subject = reply_subject(number=ticket.number, subject=ticket.subject)
    footer = _("Reply to this e-mail to answer; keep %(number)s in the subject.") % {"number": ticket.number}
    return email_queue(to=[to], subject=subject, body=f"{message.body}\n\n-- \n{footer}\n", headers=headers, now=now)


def mail_out_on_event(*, event: str, obj, now) -> None:
    if event == "ticket_message.created" and isinstance(obj, TicketMessage):
        ticket_message_email(message=obj, now=now)
