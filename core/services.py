from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection

from core.models import AuditLog, Notification
from core.notifications import notification_text, recipient_language
from core.outbox import email_queue
from core.site import absolute_url


def row_save(obj, *, fields: Iterable[str]) -> None:
    """Insert a new row; update only the named columns of an existing one (another
    writer's change to the other columns stands). Nothing named: nothing written."""
    if obj._state.adding:
        obj.save()
    elif fields := sorted(set(fields)):
        obj.save(update_fields=fields)


def audit_reveal_record(*, user, object_type: str, object_ids: Iterable, fields: Iterable[str], channel: str,
                        now: datetime) -> int:
    """Write one audit row per object whose personal fields were shown unmasked."""
    return audit_reveals_record(user=user, reveals=[(object_type, object_ids, fields)], channel=channel, now=now)


def audit_reveals_record(*, user, reveals: Iterable[tuple[str, Iterable, Iterable[str]]], channel: str,
                         now: datetime) -> int:
    """The reveal rows of several kinds of object (``(object_type, ids, fields)``) in
    one INSERT: a page showing a customer and its contacts writes once."""
    # (object_type, object_id, fields) per row: a page's 50 rows need no model instances on the fast path.
    rows = []
    for object_type, object_ids, fields in reveals:
        joined = ",".join(fields)
        rows.extend((object_type, str(pk), joined) for pk in object_ids)
    if not rows:
        return 0
    if connection.vendor == "postgresql" and not connection.in_atomic_block and not settings.AUDIT_SYNCHRONOUS_COMMIT:
        _audit_insert_without_flush_wait(user=user, rows=rows, channel=channel, now=now)
    else:
        AuditLog.objects.bulk_create([
            AuditLog(at=now, user=user, action=AuditLog.Action.REVEAL, object_type=object_type, object_id=object_id,
                     fields=joined, channel=channel)
            for object_type, object_id, joined in rows], batch_size=1000)
    return len(rows)


def _audit_insert_without_flush_wait(*, user, rows: list[tuple[str, str, str]], channel: str, now: datetime) -> None:
    """The rows of a read in one round trip: ``SET LOCAL`` and the ``INSERT`` sent as one query string
    are one implicit transaction, committed without waiting for the WAL flush (a third of a customer
    page's time under load: bench/README.md, "Load"). PostgreSQL still writes it in order and never
    half; only a crash of the database server within ~0.6 s (3 x wal_writer_delay) could lose it.
    AUDIT_SYNCHRONOUS_COMMIT=true waits for the flush (README, Configuration)."""
    meta = AuditLog._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column)
                        for name in ("at", "user", "action", "object_type", "object_id", "fields", "channel"))
    object_types, object_ids, fields = (list(column) for column in zip(*rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SET LOCAL synchronous_commit TO OFF; INSERT INTO {quote(meta.db_table)} ({columns}) "
            "SELECT %s, %s, %s, r.object_type, r.object_id, r.fields, %s "
            "FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[]) AS r(object_type, object_id, fields)",
            [now, getattr(user, "pk", None), AuditLog.Action.REVEAL.value, channel, object_types, object_ids,
             fields])


def audit_export_record(*, user, object_type: str, count: int, channel: str, now: datetime) -> None:
    AuditLog.objects.create(at=now, user=user, action=AuditLog.Action.EXPORT, object_type=object_type,
                            object_id=str(count), channel=channel)


def notification_create(*, recipient, kind: str, params: dict | None = None, title: str = "", body: str = "",
                        url: str = "", now: datetime, email: bool = True) -> Notification:
    """In-app notification; the e-mail copy is queued after the transaction commits.
    A kind with a renderer (core.notifications) takes ``params`` and is rendered in
    the reader's language; ``title``/``body`` are for free-text kinds only."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, params=params, title=title[:200], body=body, url=url, created_at=now
    )
    if email and recipient.email:
        notification_email_send(notification_id=notification.pk, now=now)
    return notification


def notification_email_send(*, notification_id: int, now: datetime) -> bool:
    """Put the e-mail copy into the outbox (core.outbox: in the caller's transaction,
    sent after commit, retried while the mail server is down). Once per
    notification: the row is claimed with a conditional UPDATE of ``emailed_at``."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=now)
    if not claimed:
        return False
    n = Notification.objects.select_related("recipient").get(pk=notification_id)
    title, body = notification_text(n, language=recipient_language(n.recipient))
    email_queue(to=[n.recipient.email], subject=title, body=f"{body}\n\n{absolute_url(n.url)}".strip(), now=now)
    return True


def notifications_mark_read(*, user, ids: Iterable[int] | None, now: datetime) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now)
