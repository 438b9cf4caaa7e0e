"""Ticket services with a fixed clock: routing, replies and clocks, the breach
scan (exactly once), escalation, repeat flags, concurrency, history import."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from core.models import Notification
from tickets import selectors, services
from tickets.models import Department, RoutingRule, SlaBreach, SlaEvent, SlaTimer, Status, Ticket
from tickets.tests.factories import make_ticket

MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


@pytest.fixture
def acme(make_customer, alice):
    return make_customer(owner=alice, name="Acme")


@pytest.fixture
def technical(lena):
    dept = Department.objects.get(code="technical")
    dept.supervisor = lena
    dept.save(update_fields=["supervisor"])
    return dept


def scan(at):
    return services.sla_breach_scan(now=at)


def breaches(ticket):
    return sorted(SlaBreach.objects.filter(ticket=ticket).values_list("clock", flat=True))


# --- routing and numbering ----------------------------------------------------------------------------------

def test_a_ticket_is_routed_to_its_categorys_department_and_numbered(acme, sam, now):
    billing = make_ticket(customer=acme, actor=sam, now=now, category="billing")
    technical = make_ticket(customer=acme, actor=sam, now=now, category="product")
    service = make_ticket(customer=acme, actor=sam, now=now, category="service")
    assert billing.department.code == "finance"
    assert technical.department.code == "technical"
    assert service.department.code == "after_sales"
    assert billing.number == f"TK{billing.pk:07d}" and billing.status == Status.NEW


def test_an_edited_routing_rule_routes_new_tickets_to_the_new_department(acme, sam, now):
    escalations = Department.objects.create(code="escalations", name="Escalations")
    RoutingRule.objects.filter(category="billing").update(department=escalations)
    assert make_ticket(customer=acme, actor=sam, now=now, category="billing").department == escalations


def test_a_complaint_category_ticket_is_always_a_complaint(acme, sam, now):
    assert make_ticket(customer=acme, actor=sam, now=now, category="complaint").is_complaint is True
    assert make_ticket(customer=acme, actor=sam, now=now, category="billing").is_complaint is False


# --- the breach scan: exactly at the due minute, once ----------------------------------------------------

def test_the_scan_records_a_first_response_breach_at_ten_minutes_not_nine(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    scan(now + 9 * MIN)
    assert breaches(ticket) == []
    scan(now + 10 * MIN)
    assert breaches(ticket) == ["first_response"]


def test_the_scan_records_a_commitment_breach_at_two_hours_not_one_minute_earlier(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_reply(ticket=ticket, actor=sam, body="On it", now=now + MIN)
    scan(now + 119 * MIN)
    assert breaches(ticket) == []
    scan(now + 120 * MIN)
    assert breaches(ticket) == ["commitment"]


def test_the_scan_records_an_update_breach_24_hours_after_the_last_public_reply(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_reply(ticket=ticket, actor=sam, body="On it", now=now + MIN)
    services.ticket_commit(ticket=ticket, actor=sam, committed_resolution_at=now + 72 * H, now=now + 2 * MIN)
    services.ticket_reply(ticket=ticket, actor=sam, body="Progress", now=now + 3 * H)
    scan(now + 27 * H - MIN)
    assert breaches(ticket) == []
    scan(now + 27 * H)
    assert breaches(ticket) == ["update"]


def test_the_scan_records_a_resolution_breach_at_the_committed_time_not_one_minute_earlier(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_reply(ticket=ticket, actor=sam, body="On it", now=now + MIN)
    services.ticket_commit(ticket=ticket, actor=sam, committed_resolution_at=now + 6 * H, now=now + 2 * MIN)
    scan(now + 6 * H - MIN)
    assert breaches(ticket) == []
    scan(now + 6 * H)
    assert breaches(ticket) == ["resolution"]


def test_the_scan_run_twice_records_one_breach_and_escalates_once(acme, sam, lena, technical, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now, assignee=sam)
    first = scan(now + 10 * MIN)
    second = scan(now + 10 * MIN)
    assert first["breaches_recorded"] == 1 and second["breaches_recorded"] == 0
    assert SlaBreach.objects.filter(ticket=ticket).count() == 1
    assert SlaEvent.objects.filter(ticket=ticket, kind="breached").count() == 1
    assert Notification.objects.filter(kind="sla_breach").count() == 2  # supervisor lena + assignee sam
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1


def test_a_breach_inserted_by_another_scanner_is_not_notified_again(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    due = now + 10 * MIN
    assert services.breaches_insert_once(rows=[(ticket.pk, "first_response", due)], now=due) == \
        {(ticket.pk, "first_response")}
    assert services.breaches_insert_once(rows=[(ticket.pk, "first_response", due)], now=due) == set()


def test_a_breach_escalates_to_the_department_supervisor_and_the_assignee(acme, sam, bob, lena, technical, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now, assignee=bob)
    scan(now + 10 * MIN)
    recipients = set(Notification.objects.filter(kind="sla_breach").values_list("recipient__username", flat=True))
    assert recipients == {"lena", "bob"}
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1 and ticket.escalated_at == now + 10 * MIN


def test_the_scan_reads_only_tickets_whose_due_time_has_come(acme, sam, now):
    due_now = make_ticket(customer=acme, actor=sam, now=now)
    later = make_ticket(customer=acme, actor=sam, now=now + 5 * MIN)
    closed = make_ticket(customer=acme, actor=sam, now=now - 10 * H)
    services.ticket_resolve(ticket=closed, actor=sam, resolution="Fixed", now=now - 10 * H + MIN)
    result = scan(now + 10 * MIN)
    assert result["candidates"] == 1
    assert breaches(due_now) == ["first_response"] and breaches(later) == [] and breaches(closed) == []


def test_a_late_reply_records_the_breach_even_before_the_scan_runs(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_reply(ticket=ticket, actor=sam, body="Sorry for the wait", now=now + 15 * MIN)
    assert breaches(ticket) == ["first_response"]
    state = selectors.ticket_sla_state(ticket=Ticket.objects.get(pk=ticket.pk), now=now + 16 * MIN)
    assert state["first_response"].state == "breached" and state["first_response"].stopped_at == now + 15 * MIN


# --- replies, clocks, pauses ---------------------------------------------------------------------------------

def test_the_first_public_staff_reply_is_the_first_response_and_a_note_is_not(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_reply(ticket=ticket, actor=sam, body="internal", public=False, now=now + MIN)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    services.ticket_reply(ticket=ticket, actor=sam, body="Hello", now=now + 2 * MIN)
    ticket.refresh_from_db()
    assert ticket.first_response_at == now + 2 * MIN and ticket.status == Status.IN_PROGRESS
    assert ticket.assignee == sam
    state = selectors.ticket_sla_state(ticket=ticket, now=now + 3 * MIN)
    assert state["first_response"].state == "met"
    assert state["update"].due_at == now + 2 * MIN + 24 * H


def test_reassignment_never_resets_the_clocks(acme, sam, bob, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_assign(ticket=ticket, actor=sam, assignee=bob, now=now + 5 * MIN)
    services.ticket_assign(ticket=ticket, actor=sam, assignee=sam, now=now + 8 * MIN)
    state = selectors.ticket_sla_state(ticket=Ticket.objects.get(pk=ticket.pk), now=now + 9 * MIN)
    assert state["first_response"].due_at == now + 10 * MIN
    assert state["commitment"].due_at == now + 2 * H


def test_waiting_on_the_customer_pauses_every_clock_across_midnight_and_again(acme, sam, now):
    start = dt.datetime(2026, 6, 15, 23, 50, tzinfo=dt.timezone.utc)
    ticket = make_ticket(customer=acme, actor=sam, now=start)
    services.ticket_wait(ticket=ticket, actor=sam, now=start + 4 * MIN)
    services.ticket_resume(ticket=ticket, actor=sam, now=start + 70 * MIN)  # 01:00 next day
    services.ticket_wait(ticket=ticket, actor=sam, now=start + 72 * MIN)
    services.ticket_reply(ticket=ticket, actor=sam, body="Here are the logs", from_customer=True,
                          now=start + 5 * H)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    # 4 + 2 minutes used; 4 left after the customer answered.
    state = selectors.ticket_sla_state(ticket=ticket, now=start + 5 * H)
    assert state["first_response"].due_at == start + 5 * H + 4 * MIN
    scan(start + 5 * H + 3 * MIN)
    assert breaches(ticket) == []
    scan(start + 5 * H + 4 * MIN)
    assert breaches(ticket) == ["first_response"]


def test_a_paused_ticket_is_not_scanned(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_wait(ticket=ticket, actor=sam, now=now + MIN)
    assert not SlaTimer.objects.filter(ticket=ticket).exists()
    assert scan(now + 3 * H)["candidates"] == 0


def test_resolving_stops_every_clock_and_close_takes_satisfaction(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_resolve(ticket=ticket, actor=sam, resolution="Replaced the roller", now=now + 5 * MIN)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.first_response_at == now + 5 * MIN
    assert not SlaTimer.objects.filter(ticket=ticket).exists()
    with pytest.raises(ValidationError) as err:
        services.ticket_close(ticket=ticket, actor=sam, satisfaction=6, now=now + H)
    assert "satisfaction" in err.value.message_dict
    services.ticket_close(ticket=ticket, actor=sam, satisfaction=4, feedback="quick", now=now + H)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.satisfaction, ticket.closed_at) == (Status.CLOSED, 4, now + H)
    state = selectors.ticket_sla_state(ticket=ticket, now=now + 5 * H)
    assert not state.any_breached


def test_only_a_resolved_ticket_can_be_closed_and_a_closed_one_reopened(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    with pytest.raises(ValidationError):
        services.ticket_close(ticket=ticket, actor=sam, satisfaction=5, now=now + MIN)
    services.ticket_resolve(ticket=ticket, actor=sam, now=now + MIN)
    services.ticket_close(ticket=ticket, actor=sam, satisfaction=2, now=now + 2 * MIN)
    services.ticket_reopen(ticket=ticket, actor=sam, reason="Still broken", now=now + 3 * H)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.closed_at is None and ticket.satisfaction is None
    state = selectors.ticket_sla_state(ticket=ticket, now=now + 3 * H)
    assert state["update"].due_at == now + 3 * H + 24 * H


def test_a_commitment_must_be_in_the_future(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    with pytest.raises(ValidationError) as err:
        services.ticket_commit(ticket=ticket, actor=sam, committed_resolution_at=now, now=now)
    assert "committed_resolution_at" in err.value.message_dict


# --- concurrency ------------------------------------------------------------------------------------------

def test_a_stale_version_is_a_conflict_and_changes_nothing(acme, sam, bob, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    read_version = ticket.version
    services.ticket_assign(ticket=ticket, actor=sam, assignee=bob, now=now + MIN, version=read_version)
    with pytest.raises(services.TicketConflict) as err:
        services.ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), actor=sam, data={"subject": "Other"},
                               now=now + 2 * MIN, version=read_version)
    assert err.value.current_version == read_version + 1
    assert Ticket.objects.get(pk=ticket.pk).subject == "Printer jams"


# --- repeat complaints -------------------------------------------------------------------------------------

def test_a_second_complaint_of_the_same_category_within_30_days_is_a_repeat(acme, sam, now):
    first = make_ticket(customer=acme, actor=sam, now=now - dt.timedelta(days=29), category="billing",
                        is_complaint=True)
    second = make_ticket(customer=acme, actor=sam, now=now, category="billing", is_complaint=True)
    assert first.is_repeat is False
    assert second.is_repeat is True and second.repeat_of == first


def test_a_complaint_after_30_days_or_of_another_category_or_a_plain_ticket_is_not_a_repeat(acme, sam, now):
    make_ticket(customer=acme, actor=sam, now=now - dt.timedelta(days=31), category="complaint")
    assert make_ticket(customer=acme, actor=sam, now=now, category="complaint").is_repeat is False
    assert make_ticket(customer=acme, actor=sam, now=now + MIN, category="billing", is_complaint=True).is_repeat \
        is False
    assert make_ticket(customer=acme, actor=sam, now=now + 2 * MIN, category="complaint").is_repeat is True
    assert make_ticket(customer=acme, actor=sam, now=now + 3 * MIN, category="billing").is_repeat is False


def test_another_customers_complaint_does_not_make_a_repeat(acme, make_customer, charlie, sam, now):
    other = make_customer(owner=charlie, name="Other")
    make_ticket(customer=other, actor=sam, now=now - H, category="complaint")
    assert make_ticket(customer=acme, actor=sam, now=now, category="complaint").is_repeat is False


# --- history import --------------------------------------------------------------------------------------

def test_only_an_admin_or_integration_user_may_create_a_ticket_with_a_historical_created_at(acme, alice, ada, now):
    past = now - dt.timedelta(days=3)
    with pytest.raises(ValidationError) as err:
        make_ticket(customer=acme, actor=alice, now=now, created_at=past)
    assert "created_at" in err.value.message_dict
    assert make_ticket(customer=acme, actor=ada, now=now, created_at=past).created_at == past
    alice.user_permissions.add(Permission.objects.get(codename="import_ticket_history"))
    from crm.models import User

    integration = User.objects.get(pk=alice.pk)
    imported = make_ticket(customer=acme, actor=integration, now=now, created_at=past)
    assert imported.created_at == past
    assert breaches(imported) == ["commitment", "first_response", "update"]


# --- rows for other apps ----------------------------------------------------------------------------------

def test_ticket_activity_by_customer_gives_last_ticket_open_complaints_and_latest_satisfaction(acme, sam, now,
                                                                                              make_customer):
    quiet = make_customer(name="Quiet")
    old = make_ticket(customer=acme, actor=sam, now=now - dt.timedelta(days=10), category="complaint")
    services.ticket_resolve(ticket=old, actor=sam, now=now - dt.timedelta(days=9))
    services.ticket_close(ticket=old, actor=sam, satisfaction=2, now=now - dt.timedelta(days=9))
    rated = make_ticket(customer=acme, actor=sam, now=now - dt.timedelta(days=5))
    services.ticket_resolve(ticket=rated, actor=sam, now=now - dt.timedelta(days=4))
    services.ticket_close(ticket=rated, actor=sam, satisfaction=4, now=now - dt.timedelta(days=4))
    make_ticket(customer=acme, actor=sam, now=now - dt.timedelta(days=1), category="complaint")
    rows = selectors.ticket_activity_by_customer(as_of=now.date())
    assert len(rows) == 1 and quiet.pk not in {r["customer_id"] for r in rows}
    row = rows[0]
    assert row["customer_id"] == acme.pk
    assert row["last_ticket_at"] == now - dt.timedelta(days=1)
    assert row["open_complaints"] == 1
    assert row["latest_satisfaction_100"] == 80.0
    assert row["latest_satisfaction_at"] == now - dt.timedelta(days=4)
    # Replayed as of 8 days ago: the old complaint was resolved, the 4-star close had not happened.
    then = selectors.ticket_activity_by_customer(as_of=(now - dt.timedelta(days=8)).date())[0]
    assert then["open_complaints"] == 0 and then["latest_satisfaction_100"] == 40.0


def test_ticket_rows_for_metrics_flag_breaches_per_clock(acme, make_customer, charlie, sam, now):
    from crm.models import Customer

    late = make_ticket(customer=acme, actor=sam, now=now)
    services.ticket_reply(ticket=late, actor=sam, body="late", now=now + 11 * MIN)
    fine = make_ticket(customer=acme, actor=sam, now=now + MIN)
    services.ticket_resolve(ticket=fine, actor=sam, resolution="done", now=now + 2 * MIN)
    make_ticket(customer=make_customer(owner=charlie, name="South Co"), actor=sam, now=now)
    rows = selectors.ticket_rows_for_metrics(start=now - H, end=now + H,
                                             customers=Customer.objects.filter(pk=acme.pk))
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {late.pk, fine.pk}
    assert by_id[late.pk]["first_response_breached"] is True and by_id[late.pk]["any_breached"] is True
    assert by_id[fine.pk]["any_breached"] is False and by_id[fine.pk]["resolved_at"] == now + 2 * MIN


def test_the_demo_hook_makes_a_few_hundred_realistic_tickets_deterministically(make_customer, alice, sam, lena, now):
    from crm.models import User
    from tickets.demo import demo_generate

    User.objects.filter(pk=sam.pk).update(username="support")
    User.objects.filter(pk=lena.pk).update(username="lead")
    for i in range(30):
        make_customer(owner=alice, name=f"Demo {i}", source="demo", external_id=f"d{i}")
    summary = demo_generate(seed=7, now=now)
    tickets = Ticket.objects.all()
    assert 20 <= tickets.count() <= 320
    assert tickets.filter(status="closed", satisfaction__isnull=False).exists()
    assert tickets.filter(status__in=["new", "assigned", "in_progress", "waiting_customer"]).exists()
    assert SlaBreach.objects.exists()
    assert Department.objects.get(code="technical").supervisor.username == "lead"
    assert "tickets" in summary


def test_a_breach_storm_sends_each_person_one_digest_not_one_notice_per_ticket(acme, sam, lena, technical, now):
    tickets = [make_ticket(customer=acme, actor=sam, now=now, assignee=sam) for _ in range(5)]
    assert scan(now + 10 * MIN)["breaches_recorded"] == 5
    notices = Notification.objects.filter(kind="sla_breach")
    assert sorted(notices.values_list("recipient__username", flat=True)) == ["lena", "sam"]
    for n in notices:
        assert n.text_title == "5 SLA breaches on your tickets"
        assert all(t.number in n.text_body for t in tickets)


def test_a_policy_with_a_business_calendar_counts_only_business_hours_over_a_weekend_and_holiday(acme, sam):
    from zoneinfo import ZoneInfo

    from tickets.models import BusinessCalendar, BusinessHours, Holiday, SlaPolicy

    office = BusinessCalendar.objects.create(name="Office", timezone="Asia/Shanghai")
    for weekday in range(5):
        BusinessHours.objects.create(calendar=office, weekday=weekday, start=dt.time(9), end=dt.time(18))
    Holiday.objects.create(calendar=office, date=dt.date(2026, 6, 22), name="Holiday Monday")
    SlaPolicy.objects.filter(urgency="normal", tier="").update(calendar=office)
    sh = ZoneInfo("Asia/Shanghai")
    friday_evening = dt.datetime(2026, 6, 19, 17, 55, tzinfo=sh)
    ticket = make_ticket(customer=acme, actor=sam, now=friday_evening)
    tuesday = dt.datetime(2026, 6, 23, 9, 0, tzinfo=sh)
    scan(tuesday + 4 * MIN)
    assert breaches(ticket) == []
    scan(tuesday + 5 * MIN)
    assert breaches(ticket) == ["first_response"]
    state = selectors.ticket_sla_state(ticket=selectors.ticket_list_for_user(user=sam).get(pk=ticket.pk),
                                       now=tuesday)
    assert state["commitment"].due_at == dt.datetime(2026, 6, 23, 10, 55, tzinfo=sh)


def test_the_scan_moves_the_timer_to_the_next_unrecorded_clock(acme, sam, now):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    assert SlaTimer.objects.get(ticket=ticket).check_at == now + 10 * MIN
    scan(now + 10 * MIN)
    assert SlaTimer.objects.get(ticket=ticket).check_at == now + 2 * H
    ticket.refresh_from_db()
    assert ticket.sla_due_at == now + 10 * MIN  # the queue still sorts it by its overdue clock
