#!/usr/bin/env python
"""The SLA breach scan with 10,000 open tickets alone, then with the same open
tickets plus 1,000,000 closed ones (and their SLA event history), in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_tickets \\
        .venv/bin/python bench/bench_tickets.py --open 10000 --closed 1000000 --repeat 5

Creates the database if missing and migrates it, then (always fresh):

1. loads customers and the open tickets with INSERT … SELECT generate_series:
   one in ten is a new ticket 15-60 minutes old with no reply (its first-response
   clock is overdue at the scan's ``now``), the rest are in progress with their
   first response and commitment met and the 24-hour update clock running;
   every ticket gets its SLA event log, its sla_due_at and its SlaTimer as the
   services would write them (checked against tickets.sla on a sample);
2. times ``tickets.services.sla_breach_scan(now=NOW)`` ``--repeat`` times after a
   warm-up, each run inside a transaction that is rolled back, so every run
   records and escalates the same breaches (notifications to the department
   supervisor and the assignee included), after a VACUUM (ANALYZE) of the
   tickets tables;
3. loads the closed tickets (two years of history, each with ``--closed-events``
   SLA events), ANALYZEs, and times the same scan again;

and prints the best time of each, the ratio (aim: under 1.5) and the plan of the
scan's candidate query.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_tickets"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from load import django_ready, insert_select  # noqa: E402  bench/load.py

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=dt_timezone.utc)


def _events_sql(SlaEvent, *, ticket_filter: str, rows: list[tuple[str, str, str, str | None]]) -> list[str]:
    """One INSERT per event kind: (clock, kind, at expression, target expression) for each ticket."""
    return [insert_select(SlaEvent, source=f"tickets_ticket t WHERE {ticket_filter}", values={
        "ticket_id": "t.id", "clock": f"'{clock}'", "kind": f"'{kind}'", "at": at, "target_at": target or "NULL",
        "note": "''"}) for clock, kind, at, target in rows]


def load_open(*, customers: int, open_count: int) -> float:
    from django.db import connection, transaction

    from crm.models import Customer, User
    from tickets.defaults import ensure_defaults
    from tickets.models import Department, SlaEvent, SlaTimer, Ticket

    began = time.monotonic()
    ensure_defaults()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE tickets_ticket, crm_customer, core_notification RESTART IDENTITY CASCADE")
        support, _ = User.objects.get_or_create(username="bench-support", defaults={"role": "support",
                                                                                    "email": "s@bench.example"})
        lead, _ = User.objects.get_or_create(username="bench-lead", defaults={"role": "team_lead",
                                                                              "email": "l@bench.example"})
        Department.objects.update(supervisor=lead)
        technical = Department.objects.get(code="technical").pk
        cur.execute(insert_select(Customer, source=f"generate_series(1, {customers}) AS g(i)", values={
            "name": "'Bench customer ' || i", "created_at": "now() - interval '3 years'", "source": "'bench'",
            "external_id": "'b' || i"}))
        # One in ten: new, 15-60 minutes old, unanswered (first response overdue at NOW).
        # The rest: in progress, created 25 minutes to 20 hours ago, first response after
        # 3 minutes, commitment after 20 (resolution promised 48 h later).
        now = f"timestamptz '{NOW.isoformat()}'"
        created = (f"CASE WHEN i % 10 = 0 THEN {now} - (15 + i % 46) * interval '1 minute' "
                   f"ELSE {now} - (i % 1200) * interval '1 minute' - interval '25 minutes' END")
        cur.execute(insert_select(Ticket, source=f"(SELECT i, {created} AS c FROM generate_series(1, {open_count})"
                                                 " AS g(i)) AS s", values={
            "number": "'OPEN' || i", "customer_id": f"1 + i % {customers}", "subject": "'Bench open ' || i",
            "category": "'technical'", "urgency": "'normal'", "channel": "'phone'", "department_id": str(technical),
            "assignee_id": str(support.pk),
            "status": "CASE WHEN i % 10 = 0 THEN 'assigned' ELSE 'in_progress' END",
            "created_at": "c", "updated_at": "c",
            "first_response_at": "CASE WHEN i % 10 = 0 THEN NULL ELSE c + interval '3 minutes' END",
            "committed_at": "CASE WHEN i % 10 = 0 THEN NULL ELSE c + interval '20 minutes' END",
            "committed_resolution_at": "CASE WHEN i % 10 = 0 THEN NULL ELSE c + interval '48 hours 20 minutes' END",
            # What tickets.services would store: the earliest due of a running clock.
            "sla_due_at": "CASE WHEN i % 10 = 0 THEN c + interval '10 minutes' "
                          "ELSE c + interval '24 hours 3 minutes' END"}))
        # Every open ticket has a clock to watch: its SlaTimer is that due time.
        cur.execute(insert_select(SlaTimer, source="tickets_ticket t WHERE t.number LIKE 'OPEN%'", values={
            "ticket_id": "t.id", "check_at": "t.sla_due_at"}))
        open_filter = "t.number LIKE 'OPEN%%'"
        answered = open_filter + " AND t.first_response_at IS NOT NULL"
        for statement in _events_sql(SlaEvent, ticket_filter=open_filter, rows=[
                ("first_response", "started", "t.created_at", None),
                ("commitment", "started", "t.created_at", None),
                ("update", "started", "t.created_at", None)]) + _events_sql(SlaEvent, ticket_filter=answered, rows=[
                ("first_response", "met", "t.first_response_at", None),
                ("update", "met", "t.first_response_at", None),
                ("update", "started", "t.first_response_at", None),
                ("commitment", "met", "t.committed_at", None),
                ("resolution", "started", "t.committed_at", "t.committed_resolution_at")]):
            cur.execute(statement.replace("%%", "%"))
    with connection.cursor() as cur:
        cur.execute("ANALYZE tickets_ticket; ANALYZE tickets_slaevent; ANALYZE crm_customer")
    return time.monotonic() - began


def load_closed(*, customers: int, closed: int, events_per_ticket: int) -> float:
    from django.db import connection, transaction

    from tickets.models import SlaEvent, Ticket

    began = time.monotonic()
    with transaction.atomic(), connection.cursor() as cur:
        created = "timestamptz '2024-06-15 00:00+08' + (i::float / %d) * interval '728 days'" % closed
        cur.execute(insert_select(Ticket, source=f"(SELECT i, {created} AS c FROM generate_series(1, {closed})"
                                                 " AS g(i)) AS s", values={
            "number": "'C' || i", "customer_id": f"1 + (i::bigint * 7919) % {customers}", "subject": "'Bench closed ' || i",
            "category": "(ARRAY['product','technical','service','invoice','billing','complaint','other'])"
                        "[1 + i % 7]",
            "is_complaint": "i % 7 = 5", "urgency": "'normal'", "channel": "'phone'", "status": "'closed'",
            "created_at": "c", "updated_at": "c + interval '30 hours'",
            "first_response_at": "c + interval '4 minutes'", "committed_at": "c + interval '30 minutes'",
            "committed_resolution_at": "c + interval '24 hours'", "resolved_at": "c + interval '20 hours'",
            "closed_at": "c + interval '30 hours'", "satisfaction": "1 + i % 5"}))
        kinds = [("first_response", "started", "t.created_at", None),
                 ("first_response", "met", "t.first_response_at", None),
                 ("commitment", "started", "t.created_at", None),
                 ("commitment", "met", "t.committed_at", None),
                 ("update", "started", "t.created_at", None),
                 ("update", "met", "t.resolved_at", None),
                 ("resolution", "started", "t.committed_at", "t.committed_resolution_at"),
                 ("resolution", "met", "t.resolved_at", None)][:events_per_ticket]
        for statement in _events_sql(SlaEvent, ticket_filter="t.status = 'closed'", rows=kinds):
            cur.execute(statement)
    with connection.cursor() as cur:
        cur.execute("ANALYZE tickets_ticket; ANALYZE tickets_slaevent")
    return time.monotonic() - began


def check_denormalised(sample: int = 200) -> int:
    """The loaded timers (and sla_due_at) must be what tickets.sla computes from the event log."""
    from tickets.models import Ticket
    from tickets.selectors import ticket_list_for_user, ticket_sla_state

    class Admin:
        is_authenticated = True
        is_superuser = True
        role = "admin"

    wrong = 0
    for t in (ticket_list_for_user(user=Admin()).filter(number__startswith="OPEN").select_related("sla_timer")
              .order_by("id")[:sample]):
        state = ticket_sla_state(ticket=t, now=NOW)
        wrong += state.next_check_at != t.sla_timer.check_at or state.next_due_at != t.sla_due_at
    assert Ticket.objects.filter(number__startswith="OPEN").count() > 0
    return wrong


def vacuum() -> None:
    """Start each phase from clean tables: no dead rows left by loading or by the
    previous phase's rolled-back runs, fresh statistics."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) tickets_ticket, tickets_slatimer, tickets_slaevent, tickets_slabreach, "
                    "core_notification")


def time_scan(repeat: int) -> tuple[float, dict]:
    from django.db import transaction

    from tickets.services import sla_breach_scan

    vacuum()

    def once():
        with transaction.atomic():
            result = sla_breach_scan(now=NOW)
            transaction.set_rollback(True)  # every run finds the same breaches
        return result

    result = once()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        result = once()
        best = min(best, time.perf_counter() - began)
    return best, result


def explain_candidates() -> str:
    from django.db import connection

    from tickets.models import SlaTimer

    qs = SlaTimer.objects.filter(check_at__lte=NOW).order_by("check_at", "ticket_id").values_list("ticket_id",
                                                                                                  flat=True)
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return "\n".join("    " + r[0] for r in cur.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--closed-events", type=int, default=4, choices=range(0, 9))
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    django_ready(DEFAULT_URL)
    seconds = load_open(customers=args.customers, open_count=args.open)
    print(f"loaded {args.customers:,} customers and {args.open:,} open tickets with their event logs "
          f"in {seconds:.1f}s; timers disagreeing with tickets.sla on a sample: {check_denormalised()}")
    t_open, r_open = time_scan(args.repeat)
    print(f"scan, {args.open:,} open only:               best of {args.repeat}: {t_open * 1000:.0f} ms  {r_open}")
    plan_open = explain_candidates()

    seconds = load_closed(customers=args.customers, closed=args.closed, events_per_ticket=args.closed_events)
    print(f"loaded {args.closed:,} closed tickets with {args.closed_events} SLA events each in {seconds:.1f}s")
    t_all, r_all = time_scan(args.repeat)
    print(f"scan, {args.open:,} open + {args.closed:,} closed: best of {args.repeat}: {t_all * 1000:.0f} ms  {r_all}")
    same = r_open == r_all
    print(f"same work both times: {'yes' if same else 'NO'}")
    print(f"ratio with / without closed history: {t_all / t_open:.2f} (aim < 1.5)")
    print("candidate query, open only:\n" + plan_open)
    print("candidate query, with closed history:\n" + explain_candidates())
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
