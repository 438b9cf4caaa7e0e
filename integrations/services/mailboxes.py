"""Mailboxes (admin settings) and their poll over IMAP (imapclient).

A poll reads the messages after the last UID it stored (per UIDVALIDITY), hands
each to :func:`inbound_receive` with its INTERNALDATE as the arrival, stores the
UID after each message (a crash resumes where it stopped; a message read twice is
still one message) and marks them seen."""
from __future__ import annotations

import datetime as dt
import logging
import socket
import ssl

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from core.services import row_save
from integrations.models import InboundEmail, Mailbox
from integrations.services.inbound import inbound_receive

log = logging.getLogger(__name__)
FETCH_CHUNK = 50
POLL_LEASE = dt.timedelta(minutes=5)
IMAP_TIMEOUT = 30
MAILBOX_FIELDS = ("name", "host", "port", "use_tls", "username", "password", "folder", "active")


@transaction.atomic
def mailbox_save(*, mailbox: Mailbox | None, data: dict, now: dt.datetime) -> Mailbox:
    """Create or change a mailbox (admins; checked by the caller). A blank password
    keeps the stored one. Only the columns changed here are written: the poller's
    UIDs on the same row stand unless the source moved."""
    mailbox = mailbox or Mailbox(created_at=now)
    creating = mailbox.pk is None
    source = (mailbox.host, mailbox.username, mailbox.folder)
    changed = [name for name in MAILBOX_FIELDS if name in data and (name != "password" or data.get("password"))]
    for name in changed:
        setattr(mailbox, name, data[name])
    if creating and not mailbox.password:
        raise ValidationError({"password": [_("This field is required.")]})
    if not creating and (mailbox.host, mailbox.username, mailbox.folder) != source:
        # Another server, account or folder: the stored UIDs mean nothing there.
        mailbox.uid_validity, mailbox.last_uid = None, 0
        changed += ["uid_validity", "last_uid"]
    mailbox.full_clean()
    row_save(mailbox, fields=changed)
    return mailbox


def mailbox_delete(*, mailbox: Mailbox) -> None:
    mailbox.delete()


def _claim(mailbox_id: int, now: dt.datetime) -> Mailbox | None:
    claimed = (Mailbox.objects.filter(pk=mailbox_id, active=True)
               .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lte=now))
               .update(poll_lease_until=now + POLL_LEASE))
    return Mailbox.objects.get(pk=mailbox_id) if claimed else None


def _connect(mailbox: Mailbox) -> IMAPClient:
    client = IMAPClient(mailbox.host, port=mailbox.port, ssl=mailbox.use_tls, timeout=IMAP_TIMEOUT,
                        ssl_context=ssl.create_default_context() if mailbox.use_tls else None)
    client.normalise_times = False  # INTERNALDATE with its offset, not naive local time
    if not mailbox.use_tls and b"STARTTLS" in client.capabilities():
        # Never send the password in clear when the server offers encryption.
        client.starttls(ssl.create_default_context())
    client.login(mailbox.username, mailbox.password)
    return client


def mailbox_poll(*, mailbox_id: int, now: dt.datetime) -> dict:
    """Read the new messages of one mailbox. Safe to run twice at once (the lease)."""
    mailbox = _claim(mailbox_id, now)
    if mailbox is None:
        return {"skipped": True}
    counts = {"read": 0, "new": 0}
    error = ""
    try:
        client = _connect(mailbox)
        try:
            info = client.select_folder(mailbox.folder)
            validity = int(info.get(b"UIDVALIDITY", 0))
            if mailbox.uid_validity != validity:
                mailbox.uid_validity, mailbox.last_uid = validity, 0
            # "n:*" always matches the newest message, even when its UID is below n.
            uids = sorted(u for u in client.search(["UID", f"{mailbox.last_uid + 1}:*"]) if u > mailbox.last_uid)
            for start in range(0, len(uids), FETCH_CHUNK):
                chunk = uids[start:start + FETCH_CHUNK]
                fetched = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
                for uid in chunk:
                    item = fetched.get(uid)
                    if item is None:
                        continue  # expunged meanwhile
                    arrival = item.get(b"INTERNALDATE")
                    if arrival is not None and arrival.tzinfo is None:
                        arrival = arrival.replace(tzinfo=dt.timezone.utc)
                    _email, created = inbound_receive(raw=item[b"BODY[]"], source=InboundEmail.Source.IMAP,
                                                      mailbox=mailbox, received_at=arrival, now=now)
                    counts["read"] += 1
                    counts["new"] += int(created)
                    mailbox.last_uid = uid
                    Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=uid)
                client.add_flags(chunk, [b"\\Seen"], silent=True)
        finally:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                pass
    except (IMAPClientError, OSError, socket.error, ssl.SSLError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("mailbox %s poll failed: %s", mailbox.pk, error)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=error, poll_lease_until=None,
                                                 uid_validity=mailbox.uid_validity)
    return {**counts, "error": error}


def mailboxes_poll(*, now: dt.datetime) -> dict[int, dict]:
    """Beat job (every minute): poll every active mailbox."""
    return {pk: mailbox_poll(mailbox_id=pk, now=now)
            for pk in Mailbox.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)}
