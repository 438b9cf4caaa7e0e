"""Text messages for the results a customer waits for (seed 001 "重要事项同步通过
短信确认"): a ticket resolved, a committed resolution time set. A core.events
receiver (registered by care's AppConfig) queues them through the outbox
(core.outbox.sms_queue) in the ticket's own transaction, one per event (the
event key is unique: a trigger firing twice sends one), never to a customer or
contact who opted out. Texts are written in ``SMS_LANGUAGE`` (zh-Hans unless
configured) and numbers never appear unmasked in a log."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.masking import mask_phone

log = logging.getLogger(__name__)

SUBJECT_CHARS = 30


def sms_recipient(*, customer) -> str:
    """The number a customer's messages go to: its primary contact's mobile when
    that contact has one and did not opt out, else the customer's own; "" when
    the customer opted out or there is no number."""
    if customer.sms_opt_out:
        return ""
    contact = (customer.contacts.filter(is_primary=True, sms_opt_out=False).exclude(phone="")
               .only("phone").first())
    if contact is not None and contact.phone.strip():
        return contact.phone.strip()
    return (customer.phone or "").strip()


def _subject(ticket) -> str:
    s = ticket.subject.strip()
    return s if len(s) <= SUBJECT_CHARS else s[:SUBJECT_CHARS - 1] + "…"


def ticket_resolved_sms(*, ticket, now: dt.datetime):
    """The message of a resolution (one per resolution: a reopened ticket resolved
    again is a new result); None when nothing is sent."""
    params = {"number": ticket.number or str(ticket.pk), "subject": _subject(ticket)}
    with override(settings.SMS_LANGUAGE):
        text = _("Your request %(number)s \"%(subject)s\" has been resolved. If anything is still wrong, "
                 "reply to this message or call us.") % params
    return _queue(customer=ticket.customer, event_key=f"ticket.resolved:{ticket.pk}:{ticket.resolved_at.isoformat()}",
                  text=text, template_code=settings.SMS_TEMPLATE_TICKET_RESOLVED, params=params, now=now)


def ticket_committed_sms(*, ticket, now: dt.datetime):
    """The message of a committed resolution time (one per promised time)."""
    when = timezone.localtime(ticket.committed_resolution_at)
    params = {"number": ticket.number or str(ticket.pk), "subject": _subject(ticket),
              "time": f"{when:%Y-%m-%d %H:%M}"}
    with override(settings.SMS_LANGUAGE):
        text = _("We will resolve your request %(number)s \"%(subject)s\" by %(time)s.") % params
    key = f"ticket.committed:{ticket.pk}:{ticket.committed_resolution_at.isoformat()}"
    return _queue(customer=ticket.customer, event_key=key, text=text,
                  template_code=settings.SMS_TEMPLATE_TICKET_COMMITTED, params=params, now=now)


def _queue(*, customer, event_key: str, text: str, template_code: str, params: dict, now: dt.datetime):
    from core.outbox import sms_queue

    to = sms_recipient(customer=customer)
    if not to:
        log.info("no SMS for %s: customer %s opted out or has no number", event_key, customer.pk)
        return None
    sms = sms_queue(event_key=event_key, to=to, text=text, template_code=template_code, params=params,
                    language=settings.SMS_LANGUAGE, now=now)
    if sms is not None:
        log.info("SMS %s queued for %s to %s", sms.pk, event_key, mask_phone(to))
    return sms


def sms_on_event(*, event: str, obj, now) -> None:
    """core.events receiver."""
    from tickets.models import Ticket

    if not isinstance(obj, Ticket):
        return
    if event == "ticket.resolved" and obj.resolved_at is not None:
        ticket_resolved_sms(ticket=obj, now=now)
    elif event == "ticket.committed" and obj.committed_resolution_at is not None:
        ticket_committed_sms(ticket=obj, now=now)
