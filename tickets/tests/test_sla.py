"""The SLA clock module, pure: fixed times, no database."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from tickets import sla
from tickets.sla import Budgets, Calendar, Event

UTC = timezone.utc
T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # a Monday
MIN = timedelta(minutes=1)


def created(at=T0):
    return [Event(c, sla.STARTED, at) for c in (sla.FIRST_RESPONSE, sla.COMMITMENT, sla.UPDATE)]


def state(events, now, *, calendar=sla.ALWAYS_OPEN, budgets=Budgets()):
    return sla.evaluate(events, budgets=budgets, calendar=calendar, now=now)


# --- a breach at exactly the due minute, not one minute earlier -----------------------------------------

def test_first_response_is_breached_at_exactly_ten_minutes_and_not_one_minute_earlier():
    events = created()
    assert state(events, T0 + 9 * MIN)[sla.FIRST_RESPONSE].breached is False
    at_due = state(events, T0 + 10 * MIN)[sla.FIRST_RESPONSE]
    assert at_due.due_at == T0 + 10 * MIN
    assert at_due.breached is True and at_due.state == "breached"


def test_commitment_is_breached_at_exactly_two_hours_and_not_one_minute_earlier():
    events = created()
    assert state(events, T0 + 119 * MIN)[sla.COMMITMENT].breached is False
    assert state(events, T0 + 120 * MIN)[sla.COMMITMENT].breached is True


def test_update_is_breached_24_hours_after_the_last_public_reply_and_not_one_minute_earlier():
    reply = T0 + 5 * MIN
    events = [*created(), Event(sla.FIRST_RESPONSE, sla.MET, reply), Event(sla.UPDATE, sla.STARTED, reply)]
    up = state(events, reply + timedelta(hours=24) - MIN)[sla.UPDATE]
    assert up.breached is False and up.due_at == reply + timedelta(hours=24)
    assert state(events, reply + timedelta(hours=24))[sla.UPDATE].breached is True


def test_resolution_is_breached_at_exactly_the_committed_time_and_not_one_minute_earlier():
    committed_for = T0 + timedelta(hours=6)
    events = [*created(), Event(sla.COMMITMENT, sla.MET, T0 + 30 * MIN),
              Event(sla.RESOLUTION, sla.STARTED, T0 + 30 * MIN, target_at=committed_for)]
    assert state(events, committed_for - MIN)[sla.RESOLUTION].breached is False
    rs = state(events, committed_for)[sla.RESOLUTION]
    assert rs.breached is True and rs.due_at == committed_for


def test_a_reply_at_exactly_the_due_instant_is_late_and_one_minute_before_is_met():
    on_time = [*created(), Event(sla.FIRST_RESPONSE, sla.MET, T0 + 9 * MIN)]
    late = [*created(), Event(sla.FIRST_RESPONSE, sla.STOPPED, T0 + 10 * MIN)]
    assert state(on_time, T0 + timedelta(days=1))[sla.FIRST_RESPONSE].state == "met"
    assert state(late, T0 + timedelta(days=1))[sla.FIRST_RESPONSE].state == "breached"


def test_a_recorded_breach_stays_after_the_update_clock_restarts():
    restart = T0 + timedelta(hours=30)
    events = [*created(), Event(sla.UPDATE, sla.BREACHED, T0 + timedelta(hours=24)),
              Event(sla.UPDATE, sla.STARTED, restart)]
    up = state(events, restart + MIN)[sla.UPDATE]
    assert up.breached is True and up.overdue is False
    assert up.due_at == restart + timedelta(hours=24)


# --- pauses while waiting on the customer -----------------------------------------------------------------

def test_a_pause_spanning_midnight_pushes_the_due_time_back_by_its_length():
    start = datetime(2026, 6, 15, 23, 55, tzinfo=UTC)
    events = [*created(start), Event("", sla.PAUSED, start + 2 * MIN),
              Event("", sla.RESUMED, datetime(2026, 6, 16, 0, 30, tzinfo=UTC))]
    # 2 minutes used before the pause, 8 left after 00:30.
    fr = state(events, datetime(2026, 6, 16, 0, 37, tzinfo=UTC))[sla.FIRST_RESPONSE]
    assert fr.due_at == datetime(2026, 6, 16, 0, 38, tzinfo=UTC)
    assert fr.breached is False
    assert state(events, datetime(2026, 6, 16, 0, 38, tzinfo=UTC))[sla.FIRST_RESPONSE].breached is True


def test_repeated_pauses_each_stop_the_clock():
    events = [*created(), Event("", sla.PAUSED, T0 + 3 * MIN), Event("", sla.RESUMED, T0 + 63 * MIN),
              Event("", sla.PAUSED, T0 + 65 * MIN), Event("", sla.RESUMED, T0 + timedelta(hours=26))]
    fr = state(events, T0 + timedelta(hours=26))[sla.FIRST_RESPONSE]
    # 3 + 2 minutes used, 5 left after the second resume.
    assert fr.due_at == T0 + timedelta(hours=26) + 5 * MIN


def test_while_paused_a_clock_has_no_due_time_never_breaches_and_keeps_its_remaining_budget():
    events = [*created(), Event("", sla.PAUSED, T0 + 4 * MIN)]
    s = state(events, T0 + timedelta(days=3))
    assert s.paused is True
    fr = s[sla.FIRST_RESPONSE]
    assert fr.state == "paused" and fr.due_at is None and fr.breached is False
    assert fr.remaining_seconds == 6 * 60


def test_waiting_on_the_customer_pushes_the_committed_resolution_time_back():
    committed_for = T0 + timedelta(hours=4)
    events = [*created(), Event(sla.COMMITMENT, sla.MET, T0 + MIN),
              Event(sla.RESOLUTION, sla.STARTED, T0 + MIN, target_at=committed_for),
              Event("", sla.PAUSED, T0 + timedelta(hours=1)), Event("", sla.RESUMED, T0 + timedelta(hours=3))]
    assert state(events, T0 + timedelta(hours=5))[sla.RESOLUTION].due_at == committed_for + timedelta(hours=2)


def test_a_pause_after_the_committed_time_does_not_move_it():
    committed_for = T0 + timedelta(hours=1)
    events = [*created(), Event(sla.RESOLUTION, sla.STARTED, T0, target_at=committed_for),
              Event("", sla.PAUSED, T0 + timedelta(hours=2))]
    rs = state(events, T0 + timedelta(hours=3))[sla.RESOLUTION]
    assert rs.due_at == committed_for and rs.breached is True


# --- business-hours calendar ------------------------------------------------------------------------------

NINE_TO_SIX = tuple([(time(9), time(18))])
OFFICE = Calendar(tz="Asia/Shanghai", weekly={d: NINE_TO_SIX for d in range(5)},
                  holidays=frozenset({date(2026, 6, 22)}))  # Monday 22 June is a holiday


def shanghai(*args):
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_friday_evening_ticket_is_due_after_the_weekend_and_the_monday_holiday():
    friday = shanghai(2026, 6, 19, 17, 55)  # 5 business minutes left on Friday
    fr = state(created(friday), shanghai(2026, 6, 23, 9, 4), calendar=OFFICE)[sla.FIRST_RESPONSE]
    assert fr.due_at == shanghai(2026, 6, 23, 9, 5)
    assert fr.breached is False
    assert state(created(friday), shanghai(2026, 6, 23, 9, 5), calendar=OFFICE)[sla.FIRST_RESPONSE].breached


def test_a_ticket_created_on_saturday_starts_counting_on_the_next_business_morning():
    saturday = shanghai(2026, 6, 13, 11, 0)
    cm = state(created(saturday), saturday, calendar=OFFICE)[sla.COMMITMENT]
    assert cm.due_at == shanghai(2026, 6, 15, 11, 0)  # Monday 9:00 + 2 h


def test_a_24_hour_update_clock_counts_business_hours_across_the_weekend_and_holiday():
    thursday = shanghai(2026, 6, 18, 9, 0)
    up = state(created(thursday), thursday, calendar=OFFICE)[sla.UPDATE]
    # 9 h Thu + 9 h Fri + (weekend, Monday holiday) + 6 h Tue = 24 business hours.
    assert up.due_at == shanghai(2026, 6, 23, 15, 0)


def test_business_time_of_a_pause_is_not_counted_but_its_night_part_is_free_anyway():
    start = shanghai(2026, 6, 15, 17, 50)
    events = [*created(start), Event("", sla.PAUSED, shanghai(2026, 6, 15, 17, 55)),
              Event("", sla.RESUMED, shanghai(2026, 6, 16, 10, 0))]
    fr = state(events, shanghai(2026, 6, 16, 10, 0), calendar=OFFICE)[sla.FIRST_RESPONSE]
    assert fr.due_at == shanghai(2026, 6, 16, 10, 5)


def test_working_seconds_and_advance_agree():
    start = shanghai(2026, 6, 19, 16, 0)
    due = sla.advance(OFFICE, start, 5 * 3600)
    assert sla.working_seconds(OFFICE, start, due) == 5 * 3600


def test_a_calendar_without_hours_is_never_due():
    assert sla.advance(Calendar(tz="UTC", weekly={}), T0, 60) is None


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        sla.advance(sla.ALWAYS_OPEN, datetime(2026, 1, 1), 60)


# --- summary fields -----------------------------------------------------------------------------------------

def test_next_check_skips_recorded_breaches_and_next_due_keeps_them_for_the_queue():
    events = [*created(), Event(sla.FIRST_RESPONSE, sla.BREACHED, T0 + 10 * MIN)]
    s = state(events, T0 + 15 * MIN)
    assert s.next_due_at == T0 + 10 * MIN
    assert s.next_check_at == T0 + 120 * MIN
    api = s.to_api()
    assert api["first_response_breached"] is True and api["commitment_breached"] is False


def test_a_restart_at_the_same_instant_as_the_previous_stop_runs_a_new_cycle():
    reply = T0 + timedelta(hours=2)
    events = [*created(), Event(sla.UPDATE, sla.MET, reply), Event(sla.UPDATE, sla.STARTED, reply)]
    up = state(events, reply + MIN)[sla.UPDATE]
    assert up.state == "running" and up.stopped_at is None
    assert up.due_at == reply + timedelta(hours=24)
