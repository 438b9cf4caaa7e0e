import pytest
from django.core import mail

from conftest import wait_until
from core import crypto, masking
from core.models import Notification, OutboundEmail
from core.services import notification_create, notification_email_send


def test_phone_is_masked_as_138_stars_5678():
    assert masking.mask("phone", "13812345678") == "138****5678"


def test_short_values_are_fully_masked():
    assert masking.mask("phone", "1234") == "****"
    assert masking.mask("email", "nobody") == "****"


def test_encryption_round_trips_and_is_not_deterministic(settings):
    settings.FIELD_ENCRYPTION_KEY = "k1"
    a, b = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert a != b and crypto.decrypt(a) == crypto.decrypt(b) == "13812345678"


def test_rotated_key_still_decrypts_old_values(settings):
    settings.FIELD_ENCRYPTION_KEY = "old"
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEY = "new,old"
    assert crypto.decrypt(token) == "secret"
    settings.FIELD_ENCRYPTION_KEY = "new"
    with pytest.raises(ValueError):
        crypto.decrypt(token)


@pytest.mark.django_db
def test_notification_email_is_queued_once_even_if_asked_twice(alice, now):
    n = notification_create(recipient=alice, kind="test", title="Hello", now=now, email=False)
    assert notification_email_send(notification_id=n.pk, now=now) is True
    assert notification_email_send(notification_id=n.pk, now=now) is False
    email = OutboundEmail.objects.get()
    assert email.to == ["alice@example.com"] and email.subject == "Hello"


@pytest.mark.worker
def test_notification_email_goes_out_through_a_real_worker(celery_worker_real, alice, now):
    n = notification_create(recipient=alice, kind="test", title="Through the worker", now=now)
    # The outbox row commits with the notification; its sender task is queued on commit.
    assert Notification.objects.get(pk=n.pk).emailed_at is not None
    assert wait_until(lambda: OutboundEmail.objects.filter(sent_at__isnull=False).exists())
    assert [m.subject for m in mail.outbox] == ["Through the worker"] and mail.outbox[0].to == ["alice@example.com"]


def _audit_statements(user, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.services import audit_reveals_record

    with CaptureQueriesContext(connection) as captured:
        written = audit_reveals_record(user=user, reveals=[("crm.customer", [3, 1], ("phone", "email")),
                                                           ("crm.contact", [2], ("phone",))], channel="web", now=now)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit") if connection.vendor == "postgresql" else None
        setting = cursor.fetchone()[0] if connection.vendor == "postgresql" else None
    return written, [q["sql"] for q in captured.captured_queries], setting


@pytest.mark.django_db(transaction=True)
def test_a_reads_audit_rows_commit_without_waiting_for_the_flush_and_the_setting_does_not_leak(alice, now, settings):
    """Rule: on PostgreSQL a read's audit INSERT runs in its own transaction with synchronous_commit off
    (SET LOCAL: the connection keeps 'on' afterwards); AUDIT_SYNCHRONOUS_COMMIT=true waits; every row is
    written either way. In a caller's transaction nothing is changed (its other writes keep waiting)."""
    from django.db import connection, transaction

    from core.models import AuditLog

    postgres = connection.vendor == "postgresql"
    written, statements, setting = _audit_statements(alice, now)
    assert written == 3
    assert sorted(AuditLog.objects.values_list("object_type", "object_id", "fields", "user", "action", "channel",
                                               "at")) == [
        ("crm.contact", "2", "phone", alice.pk, "reveal", "web", now),
        ("crm.customer", "1", "phone,email", alice.pk, "reveal", "web", now),
        ("crm.customer", "3", "phone,email", alice.pk, "reveal", "web", now)]
    assert any("SET LOCAL synchronous_commit TO OFF" in s for s in statements) == postgres
    assert setting == ("on" if postgres else None)

    settings.AUDIT_SYNCHRONOUS_COMMIT = True
    written, statements, _ = _audit_statements(alice, now)
    assert written == 3 and not any("synchronous_commit" in s for s in statements)
    settings.AUDIT_SYNCHRONOUS_COMMIT = False
    with transaction.atomic():
        written, statements, setting = _audit_statements(alice, now)
    assert written == 3 and not any("synchronous_commit" in s for s in statements)
    assert setting == ("on" if postgres else None)
    assert AuditLog.objects.count() == 9
