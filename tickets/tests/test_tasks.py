"""The breach scan through a real Celery worker, and two scanners at once."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from conftest import run_at_once, wait_until
from core.models import Notification
from tickets import services
from tickets.models import Department, SlaBreach, SlaEvent, Ticket, TicketMessage
from tickets.tasks import sla_breach_scan
from tickets.tests.factories import make_ticket


@pytest.mark.worker
def test_the_breach_scan_runs_through_a_real_worker_and_escalates(celery_worker_real, make_customer, alice, sam,
                                                                  lena):
    Department.objects.filter(code="technical").update(supervisor=lena)
    opened = timezone.now() - dt.timedelta(hours=3)
    ticket = make_ticket(customer=make_customer(owner=alice), actor=sam, now=opened, assignee=sam)
    sla_breach_scan.delay()
    # First response (10 min) and commitment (2 h) are due; the 24 h update clock is not.
    assert wait_until(lambda: SlaBreach.objects.filter(ticket=ticket).count() == 2)
    # The supervisor and the assignee each get one notice of both breaches, e-mailed by the same worker.
    assert wait_until(lambda: Notification.objects.filter(kind="sla_breach",
                                                         emailed_at__isnull=False).count() == 2)
    assert set(Notification.objects.filter(kind="sla_breach").values_list("recipient__username", flat=True)) == {
        "lena", "sam"}
    assert [n.text_title for n in Notification.objects.filter(kind="sla_breach")] == [
        "2 SLA breaches on your tickets"] * 2


@pytest.mark.django_db(transaction=True)
def test_two_scanners_at_once_record_each_breach_once(make_customer, alice, sam, now):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent inserts need PostgreSQL")
    customer = make_customer(owner=alice)
    tickets = [make_ticket(customer=customer, actor=sam, now=now, assignee=sam) for _ in range(40)]
    results = run_at_once(lambda: services.sla_breach_scan(now=now + dt.timedelta(minutes=10), batch_size=7))
    assert SlaBreach.objects.count() == len(tickets)
    assert sum(r["breaches_recorded"] for r in results) == len(tickets)
    assert SlaEvent.objects.filter(kind="breached").count() == len(tickets)
    # Every breach was announced to its assignee exactly once (digests per scan batch).
    text = " ".join(f"{n.text_title} {n.text_body}" for n in Notification.objects.filter(kind="sla_breach"))
    assert all(text.count(t.number) == 1 for t in tickets)


@pytest.mark.django_db(transaction=True)
def test_two_people_replying_at_once_lose_no_update(make_customer, alice, sam, bob, now):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    ticket = make_ticket(customer=make_customer(owner=alice), actor=sam, now=now)
    start = ticket.version
    barrier = threading.Barrier(2)
    errors = []

    def reply(user, minute):
        from django.db import connections

        try:
            barrier.wait()
            services.ticket_reply(ticket=Ticket.objects.get(pk=ticket.pk), actor=user, body=f"from {user}",
                                  now=now + dt.timedelta(minutes=minute))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reply, args=(u, m)) for u, m in ((sam, 1), (bob, 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ticket.refresh_from_db()
    assert ticket.version == start + 2  # each change saw the other's (serialised by the row lock)
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2
    # One first response, and exactly one restart of the update clock per reply.
    assert SlaEvent.objects.filter(ticket=ticket, clock="first_response", kind="met").count() == 1
    assert SlaEvent.objects.filter(ticket=ticket, clock="update", kind="started").count() == 3
