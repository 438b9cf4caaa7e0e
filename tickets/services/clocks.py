"""SLA bookkeeping: recording breaches exactly once, escalating them, keeping the
ticket's denormalised due times current, and the minute scan."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse

from core.events import event_emit
from core.notifications import text_in
from core.services import notification_create
from tickets import sla
from tickets.models import OPEN_STATUSES, SlaBreach, SlaEvent, SlaTimer, Ticket
from tickets.notifications import NOTE_RECORDED
from tickets.selectors import ticket_sla_state

SLA_FIELDS = ["sla_due_at", "escalation_level", "escalated_at"]
# Escalation raises a ticket in every queue; capped so the queue order stays meaningful.
MAX_ESCALATION = 4


def breaches_insert_once(*, rows: list[tuple[int, str, dt.datetime]], now: dt.datetime) -> set[tuple[int, str]]:
    """INSERT … ON CONFLICT (ticket, clock) DO NOTHING RETURNING: the (ticket_id, clock)
    pairs actually inserted by *this* call. The unique constraint makes a second
    scanner, a retry or a redelivered task a no-op; only inserted rows escalate."""
    if not rows:
        return set()
    ops = connection.ops
    table = connection.ops.quote_name(SlaBreach._meta.db_table)
    values, params = [], []
    for ticket_id, clock, due_at in rows:
        values.append("(%s, %s, %s, %s)")
        params += [ticket_id, clock, ops.adapt_datetimefield_value(due_at), ops.adapt_datetimefield_value(now)]
    sql = (f"INSERT INTO {table} (ticket_id, clock, due_at, recorded_at) VALUES {', '.join(values)} "
           f"ON CONFLICT (ticket_id, clock) DO NOTHING RETURNING ticket_id, clock")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(int(t), c) for t, c in cursor.fetchall()}


def check_at(ticket: Ticket, state: sla.TicketSla) -> dt.datetime | None:
    """When the scan must next look at the ticket (None: never, while nothing changes)."""
    return state.next_check_at if ticket.status in OPEN_STATUSES else None


def timers_store(items: list[tuple[int, dt.datetime | None]]) -> None:
    """Upsert the SlaTimer of each (ticket id, check_at); delete it where there is nothing to watch."""
    keep = [SlaTimer(ticket_id=pk, check_at=at) for pk, at in items if at is not None]
    drop = [pk for pk, at in items if at is None]
    if keep:
        SlaTimer.objects.bulk_create(keep, update_conflicts=True, unique_fields=["ticket"], update_fields=["check_at"])
    if drop:
        SlaTimer.objects.filter(ticket_id__in=drop).delete()


def _escalate(ticket: Ticket, now: dt.datetime, notices: dict) -> None:
    """Raise the ticket in every queue and collect who hears of it: the
    department supervisor and the assignee."""
    ticket.escalation_level = min(MAX_ESCALATION, ticket.escalation_level + 1)
    ticket.escalated_at = now
    if ticket.department_id and ticket.department.supervisor_id:
        notices.setdefault(ticket.department.supervisor_id, (ticket.department.supervisor, []))
    if ticket.assignee_id:
        notices.setdefault(ticket.assignee_id, (ticket.assignee, []))


def _notify(notices: dict, now: dt.datetime) -> None:
    """One notification per recipient per settle: a single breach names its ticket;
    a storm of them (many tickets breaching in one scan batch) becomes one digest
    linking to the breached queue, instead of hundreds of e-mails."""
    for user, items in notices.values():
        if len(items) == 1:
            url = reverse("tickets:detail", args=[items[0][0].pk])
        else:
            url = reverse("tickets:queue") + "?scope=all&breached=on"
        params = {"count": len(items), "items": [{"number": t.number, "clock": str(c), "subject": t.subject, "due_at": due.isoformat()}
                            for t, c, due in items[:50]]}
        notification_create(recipient=user, kind="sla_breach", params=params, url=url, now=now)


def escalations_store(tickets: list[Ticket]) -> None:
    """Save escalation_level/escalated_at of many tickets in one statement (UPDATE …
    FROM VALUES on PostgreSQL, Django's bulk_update elsewhere). Neither column is
    indexed, so PostgreSQL can update in place (HOT) however big the table is."""
    if not tickets:
        return
    if connection.vendor != "postgresql":
        Ticket.objects.bulk_update(tickets, ["escalation_level", "escalated_at"])
        return
    rows = ", ".join(["(%s, %s::smallint, %s::timestamptz)"] * len(tickets))
    params = [v for t in tickets for v in (t.pk, t.escalation_level, t.escalated_at)]
    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} AS t SET escalation_level = v.lvl, escalated_at = v.esc "
                       f"FROM (VALUES {rows}) AS v(id, lvl, esc) WHERE t.id = v.id", params)


def sla_settle_many(*, tickets: Iterable[Ticket], now: dt.datetime) -> tuple[dict[int, sla.TicketSla], set]:
    """Record every clock overdue at ``now`` (once) and escalate the new breaches
    (escalation fields changed in memory: callers save them). Returns each ticket's
    state after the recording, and the (ticket id, clock) pairs inserted.

    Precondition: the caller holds the tickets' row locks and their ``sla_events``
    (and calendar) are prefetched or loadable."""
    tickets = list(tickets)
    states = {t.pk: ticket_sla_state(ticket=t, now=now) for t in tickets}
    wanted = [(t.pk, c.clock, c.due_at) for t in tickets for c in states[t.pk].clocks.values() if c.overdue]
    inserted = breaches_insert_once(rows=wanted, now=now)
    new_events = []
    notices: dict = {}
    by_pk = {t.pk: t for t in tickets}
    note_params = {"at": now.isoformat()}
    note = text_in(NOTE_RECORDED, note_params)
    for ticket_id, clock, due_at in wanted:
        if (ticket_id, clock) not in inserted:
            continue  # another scanner recorded (and escalated) it
        ticket = by_pk[ticket_id]
        new_events.append(SlaEvent(ticket=ticket, clock=clock, kind=SlaEvent.Kind.BREACHED, at=due_at, note=note,
                                   note_kind=NOTE_RECORDED, note_params=note_params))
        _escalate(ticket, now, notices)
        for user_id in {ticket.department.supervisor_id if ticket.department_id else None, ticket.assignee_id}:
            if user_id in notices:
                notices[user_id][1].append((ticket, clock, due_at))
    SlaEvent.objects.bulk_create(new_events)
    _notify(notices, now)
    if inserted:
        for breach in SlaBreach.objects.filter(ticket_id__in={t for t, _c in inserted}).select_related("ticket"):
            if (breach.ticket_id, breach.clock) in inserted:
                event_emit("ticket.breached", breach, now=now)
    added: dict[int, list[SlaEvent]] = {}
    for e in new_events:
        added.setdefault(e.ticket_id, []).append(e)
    for ticket in tickets:
        if ticket.pk in added:
            events = [*ticket.sla_events.all(), *added[ticket.pk]]
            states[ticket.pk] = ticket_sla_state(ticket=ticket, now=now, events=events)
    return states, inserted


def sla_breach_scan(*, now: dt.datetime, batch_size: int = 500) -> dict:
    """Record and escalate every SLA breach due by ``now``. Run every minute by beat.

    Reads the SlaTimer rows due by ``now`` (one per open ticket with a clock to
    watch, indexed by check_at) and writes back only timers, escalations and the
    append-only breach/event/notification rows: its cost does not grow with the
    closed history. Each batch locks its tickets with SKIP LOCKED, so two scanners
    split the work, and the unique (ticket, clock) constraint makes any overlap a no-op."""
    candidates = list(SlaTimer.objects.filter(check_at__lte=now).order_by("check_at", "ticket_id")
                      .values_list("ticket_id", flat=True))
    checked = recorded = escalated = 0
    for i in range(0, len(candidates), batch_size):
        with transaction.atomic():
            batch = list(Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                         .filter(pk__in=candidates[i:i + batch_size], status__in=OPEN_STATUSES,
                                 sla_timer__check_at__lte=now)
                         .select_related("department__supervisor", "assignee", "sla_calendar"))
            if not batch:
                continue
            prefetch_related_objects(batch, Prefetch("sla_events", queryset=SlaEvent.objects.order_by("at", "id")),
                                     "sla_calendar__hours", "sla_calendar__holidays")
            states, inserted = sla_settle_many(tickets=batch, now=now)
            timers_store([(t.pk, check_at(t, states[t.pk])) for t in batch])
            touched = {ticket_id for ticket_id, _clock in inserted}
            escalations_store([t for t in batch if t.pk in touched])
            checked += len(batch)
            recorded += len(inserted)
            escalated += len(touched)
    return {"candidates": len(candidates), "checked": checked, "breaches_recorded": recorded,
            "tickets_escalated": escalated}
