"""E-mail in: the one service both the IMAP poll and the mail-relay endpoint feed.

A message is stored once (unique key: its Message-ID, or a digest of the bytes),
then, in the same transaction: an auto-reply or bounce stops there; a reply to
one of our messages (In-Reply-To / References) or one naming its ticket
(``[TK0000123]`` in the subject, from the ticket's customer) becomes a customer
message on that ticket (which ends a wait on the customer); a message from a
known customer or contact opens a ticket through tickets.services, as one typed
by hand, its clocks started at the arrival; anything else waits in triage.
A message that cannot be read is kept (raw bytes in storage) and listed as failed."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Contact, Customer
from integrations import mail_parse
from integrations.models import EmailAttachment, InboundEmail, Mailbox, MailThread
from integrations.services.senders import senders_match
from tickets import services as ticket_services
from tickets.models import Channel, Status, Ticket

log = logging.getLogger(__name__)


def _key(parsed: mail_parse.ParsedEmail | None, raw: bytes) -> str:
    return parsed.message_id if parsed and parsed.message_id else mail_parse.raw_digest(raw)


def _store_attachments(email: InboundEmail, parsed: mail_parse.ParsedEmail) -> None:
    limit = settings.INBOUND_ATTACHMENT_MAX_BYTES
    for att in parsed.attachments:
        row = EmailAttachment(email=email, filename=att.filename[:255], content_type=att.content_type[:100],
                              size=len(att.content))
        if len(att.content) <= limit:
            row.file.save(att.filename[-100:] or "attachment", ContentFile(att.content), save=False)
        row.save()


def _thread_ticket(parsed: mail_parse.ParsedEmail, matches) -> Ticket | None:
    """The ticket this message answers: by the ids of our messages it replies to,
    else by a ticket number in the subject when the sender is that ticket's customer
    (so a guessed number cannot write into someone else's ticket)."""
    ids = parsed.thread_ids
    if ids:
        ref = (MailThread.objects.filter(message_id__in=ids).select_related("ticket")
               .order_by("-outgoing", "-created_at").first())
        if ref is not None:
            return ref.ticket
    if parsed.ticket_number and matches:
        return Ticket.objects.filter(number=parsed.ticket_number,
                                     customer_id__in=[m.customer_id for m in matches]).first()
    return None


def _thread_add(ticket: Ticket, message_id: str, *, now: dt.datetime) -> None:
    if message_id:
        MailThread.objects.get_or_create(message_id=message_id, defaults={"ticket": ticket, "created_at": now})


def _open_ticket(email: InboundEmail, *, customer: Customer, contact: Contact | None, actor,
                 now: dt.datetime) -> Ticket:
    ticket = ticket_services.ticket_create(actor=actor, customer=customer, channel=Channel.EMAIL,
                                           subject=(email.subject or _("(no subject)"))[:200],
                                           description=email.body,
                                           now=email.received_at)
    email.status, email.ticket, email.contact = InboundEmail.Status.TICKET, ticket, contact
    _thread_add(ticket, email.message_id, now=now)
    email.attachments.update(ticket=ticket)
    return ticket


def _add_reply(email: InboundEmail, ticket: Ticket, *, actor, now: dt.datetime) -> bool:
    """A customer message on the ticket; False when the ticket no longer takes replies (closed)."""
    body = email.body or email.subject or _("(empty message)")
    try:
        ticket_services.ticket_reply(ticket=ticket, actor=actor, body=body, from_customer=True, now=now)
    except ValidationError:
        return False
    email.status, email.ticket = InboundEmail.Status.REPLY, ticket
    _thread_add(ticket, email.message_id, now=now)
    email.attachments.update(ticket=ticket)
    return True


def _own_address(address: str) -> bool:
    from email.utils import parseaddr

    ours = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    return bool(ours) and address == ours


def _loop_reason(parsed: mail_parse.ParsedEmail) -> str:
    """Why this message must not be answered or filed: a robot wrote it, or it is one of ours come back."""
    if parsed.auto_reason:
        return parsed.auto_reason
    if _own_address(parsed.from_address):
        return "sent from our own address"
    if parsed.message_id and MailThread.objects.filter(message_id=parsed.message_id, outgoing=True).exists():
        return "one of our own messages"
    return ""


def _route(email: InboundEmail, parsed: mail_parse.ParsedEmail, *, actor, now: dt.datetime) -> None:
    reason = _loop_reason(parsed)
    if reason:
        email.status, email.error = InboundEmail.Status.AUTO, reason
        return
    matches = senders_match(address=parsed.from_address)
    ticket = _thread_ticket(parsed, matches)
    if ticket is not None and _add_reply(email, ticket, actor=actor, now=now):
        return
    customers = {m.customer_id for m in matches}
    if len(customers) == 1:
        match = next((m for m in matches if m.contact_id), matches[0])
        _open_ticket(email, customer=match.customer, contact=match.contact, actor=actor, now=now)
    else:
        # Unknown sender, or an address shared by several customers: support decides.
        email.status = InboundEmail.Status.TRIAGE


def inbound_receive(*, raw: bytes, source: str, now: dt.datetime, received_at: dt.datetime | None = None,
                    mailbox: Mailbox | None = None, actor=None) -> tuple[InboundEmail, bool]:
    """Take one raw message. Returns (the stored message, created); a message
    already received (same Message-ID) is returned as it is, with created False.
    ``received_at`` is the arrival (IMAP INTERNALDATE), never later than ``now``."""
    arrival = min(received_at or now, now)
    try:
        parsed, error = mail_parse.parse(raw), ""
    except mail_parse.Unreadable as exc:
        parsed, error = None, str(exc)
    key = _key(parsed, raw)
    existing = InboundEmail.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            email = InboundEmail(source=source, mailbox=mailbox, dedupe_key=key, received_at=arrival,
                                 status=InboundEmail.Status.FAILED, error=error[:2000])
            if parsed is not None:
                email.message_id, email.from_address, email.from_name = (parsed.message_id, parsed.from_address,
                                                                         parsed.from_name)
                email.subject, email.body = parsed.subject, parsed.text
            email.raw.save("message.eml", ContentFile(raw), save=False)
            email.save()
            if parsed is not None:
                _store_attachments(email, parsed)
                try:
                    with transaction.atomic():
                        _route(email, parsed, actor=actor, now=now)
                except Exception as exc:  # whatever goes wrong filing it, the message is kept (never dropped)
                    log.exception("inbound e-mail %s could not be filed", email.pk)
                    email.status, email.ticket, email.contact = InboundEmail.Status.FAILED, None, None
                    email.error = f"could not be filed: {type(exc).__name__}: {exc}"[:2000]
                email.save(update_fields=["status", "error", "ticket", "contact"])
    except IntegrityError:
        # Received concurrently by another poller or relay: that one stands.
        existing = InboundEmail.objects.filter(dedupe_key=key).first()
        if existing is None:
            raise
        return existing, False
    if email.status == InboundEmail.Status.FAILED:
        log.warning("inbound e-mail %s could not be read or filed: %s", email.pk, email.error)
        _report_failure(email, now=now)
    return email, True


def _report_failure(email: InboundEmail, *, now: dt.datetime) -> None:
    """Every admin hears of it (the message waits in the triage list, marked unreadable)."""
    from django.urls import reverse

    from core.roles import Role
    from core.services import notification_create
    from crm.models import User

    admins = User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
    for admin in admins:
        notification_create(recipient=admin, kind="inbound_email_failed", now=now,
                            params={"subject": email.subject[:200], "error": email.error[:500]},
                            url=reverse("integrations:triage"))


# --- triage --------------------------------------------------------------------------------------------------

def _lock_triage(email: InboundEmail) -> InboundEmail:
    locked = InboundEmail.objects.select_for_update().get(pk=email.pk)
    if locked.status != InboundEmail.Status.TRIAGE:
        raise ValidationError({"status": [_("This message has already been handled.")]})
    return locked


def triage_assign(*, email: InboundEmail, actor, customer: Customer, now: dt.datetime,
                  remember_sender: bool = True) -> Ticket:
    """Support picked the customer: the ticket starts as if the customer had been
    known on arrival (clocks from the arrival). With ``remember_sender`` the address
    becomes a contact of the customer, so their next message opens a ticket directly.
    Caller checked the customer is in the actor's scope."""
    from crm.services import contact_save

    with transaction.atomic():
        locked = _lock_triage(email)
        contact = None
        if remember_sender and locked.from_address:
            contact = contact_save(contact=Contact(customer=customer),
                                   data={"name": (locked.from_name or locked.from_address)[:100],
                                         "email": locked.from_address})
        ticket = _open_ticket(locked, customer=customer, contact=contact, actor=actor, now=now)
        locked.handled_by, locked.handled_at = actor, now
        locked.save(update_fields=["status", "ticket", "contact", "handled_by", "handled_at"])
    email.status, email.ticket = locked.status, ticket
    return ticket


def triage_create_customer(*, email: InboundEmail, actor, name: str, now: dt.datetime) -> Ticket:
    """Support creates the customer from the sender (name given, e-mail = the sender), then as :func:`triage_assign`."""
    from crm.services import customer_create

    if not (name or "").strip():
        raise ValidationError({"name": [_("This field is required.")]})
    with transaction.atomic():
        customer = customer_create(actor=actor, data={"name": name.strip(), "email": email.from_address,
                                                      "preferred_channel": Customer.Channel.EMAIL}, now=now)
        return triage_assign(email=email, actor=actor, customer=customer, now=now, remember_sender=False)


def triage_dismiss(*, email: InboundEmail, actor, now: dt.datetime) -> InboundEmail:
    """Not a customer's request (spam, a newsletter): kept, but out of the list."""
    with transaction.atomic():
        locked = _lock_triage(email)
        locked.status, locked.handled_by, locked.handled_at = InboundEmail.Status.DISMISSED, actor, now
        locked.save(update_fields=["status", "handled_by", "handled_at"])
    return locked


def ticket_recipient(*, ticket: Ticket) -> str:
    """Where staff replies go: the contact who wrote the ticket in, else the customer's e-mail."""
    first = (InboundEmail.objects.filter(ticket=ticket, contact__isnull=False).select_related("contact")
             .order_by("received_at", "id").first())
    if first is not None and first.contact.email:
        return first.contact.email
    return ticket.customer.email or ""

