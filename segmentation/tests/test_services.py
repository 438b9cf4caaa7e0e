"""The recompute on a real database: inputs from SQL, set-wise writes, atomicity,
idempotency, history, and the one-click contact."""
from __future__ import annotations

import datetime as dt

import pytest

from core.jobs import job_run
from core.models import Job
from crm.models import FollowUp
from segmentation import services
from segmentation.models import CustomerSegment, SegmentHistory, SegmentSettings
from segmentation.tests.factories import AS_OF, at_noon, buy, customer_since, days_ago, followup, talk

pytestmark = pytest.mark.django_db


def seg(customer) -> CustomerSegment:
    return CustomerSegment.objects.get(customer=customer)


def test_tier_is_churn_risk_after_90_days_without_activity_counted_from_sql(alice, make_customer, now):
    active = customer_since(make_customer, owner=alice, name="Day 89", days=200)
    talk(active, days=89)
    quiet = customer_since(make_customer, owner=alice, name="Day 90", days=200)
    buy(quiet, days=120)
    talk(quiet, days=90)

    services.segments_recompute(as_of=AS_OF, now=now)

    assert seg(active).tier == "potential"
    assert seg(quiet).tier == "churn_risk"
    assert seg(quiet).tier_reason == "inactive:90"


def test_an_unresolved_objection_makes_churn_risk_and_a_resolved_one_does_not(alice, make_customer, now):
    open_one = customer_since(make_customer, owner=alice, name="Objects", days=200)
    talk(open_one, days=5, objection=True)
    resolved = customer_since(make_customer, owner=alice, name="Resolved", days=200)
    talk(resolved, days=5, objection=True, resolved_days=2)

    services.segments_recompute(as_of=AS_OF, now=now)

    assert (seg(open_one).tier, seg(open_one).tier_reason) == ("churn_risk", "objection:1")
    assert seg(resolved).tier == "potential"


def test_high_value_spend_looks_back_365_days_whatever_the_rfm_window(alice, make_customer, now):
    SegmentSettings.objects.create(pk=1, rfm_window_days=90)
    customers = [customer_since(make_customer, owner=alice, name=f"C{i}", days=300) for i in range(1, 6)]
    for i, c in enumerate(customers, start=1):
        buy(c, days=10, amount=100 * i)
        talk(c, days=1)
    big_then = customers[0]
    buy(big_then, days=200, amount=50_000)  # outside the RFM window, inside the year

    services.segments_recompute(as_of=AS_OF, now=now)

    assert (seg(big_then).tier, seg(big_then).tier_reason) == ("high_value", "top_spend:20")
    assert seg(big_then).m_amount == 100  # RFM keeps its own 90-day window
    assert seg(customers[4]).tier == "potential"


def test_new_is_counted_from_the_earliest_of_first_deal_first_transaction_and_creation(alice, make_customer, now):
    imported_deal = customer_since(make_customer, owner=alice, name="Deal 89", days=0, first_deal_date=days_ago(89))
    imported_tx = customer_since(make_customer, owner=alice, name="Bought 95", days=0, first_deal_date=days_ago(20))
    buy(imported_tx, days=95)
    by_creation = customer_since(make_customer, owner=alice, name="Created 90", days=90,
                                 first_deal_date=days_ago(10))
    buy(by_creation, days=1, amount=10_000)  # the top spender: high value, whatever its age
    for c in (imported_deal, imported_tx, by_creation):
        talk(c, days=0)

    services.segments_recompute(as_of=AS_OF, now=now)

    assert seg(imported_deal).tier == "new"
    # Customer since its purchase 95 days ago, not since the later deal date or the import.
    assert (seg(imported_tx).tier, seg(imported_tx).tier_reason) == ("potential", "potential:95:20")
    assert seg(by_creation).tier == "high_value"


def test_top_20_percent_of_spend_in_the_window_is_high_value_net_of_refunds(alice, make_customer, now):
    customers = []
    for i in range(1, 11):
        c = customer_since(make_customer, owner=alice, name=f"C{i}", days=200)
        buy(c, days=10, amount=i * 1000)
        customers.append(c)
    # C10 refunds most of its spend: C9 and C8 are now the top two.
    buy(customers[9], days=5, amount=9500, kind="refund")
    services.segments_recompute(as_of=AS_OF, now=now)

    tiers = {c.name: seg(c).tier for c in customers}
    assert tiers["C9"] == tiers["C8"] == "high_value"
    assert tiers["C10"] == "potential" and tiers["C1"] == "potential"
    assert seg(customers[8]).tier_reason == "top_spend:20"
    assert seg(customers[0]).tier_reason == "potential:200:20"
    assert seg(customers[8]).m_amount == 9000
    assert seg(customers[9]).m_amount == 500


def test_satisfaction_and_complaints_come_through_the_ticket_and_survey_contracts(alice, make_customer, now,
                                                                                   monkeypatch):
    unhappy = customer_since(make_customer, owner=alice, name="Unhappy", days=200)
    complaining = customer_since(make_customer, owner=alice, name="Complaining", days=200)
    happy_again = customer_since(make_customer, owner=alice, name="Happy again", days=200)
    for c in (unhappy, complaining, happy_again):
        talk(c, days=3)

    def in_range(rows, lo, hi):  # the contracts' id range (one range of the fan-out)
        return [r for r in rows if lo is None or lo <= r["customer_id"] < hi]

    def tickets(*, as_of, lo=None, hi=None):
        assert as_of == AS_OF
        return in_range([
            {"customer_id": complaining.pk, "last_ticket_at": at_noon(2), "open_complaints": 1,
             "latest_satisfaction_100": None, "latest_satisfaction_at": None},
            {"customer_id": happy_again.pk, "last_ticket_at": at_noon(20), "open_complaints": 0,
             "latest_satisfaction_100": 40.0, "latest_satisfaction_at": at_noon(20)},
        ], lo, hi)

    def surveys(*, as_of, lo=None, hi=None):
        return in_range([
            {"customer_id": unhappy.pk, "satisfaction_100": 55.0, "answered_at": at_noon(4),
             "last_response_at": at_noon(4)},
            {"customer_id": happy_again.pk, "satisfaction_100": 90.0, "answered_at": at_noon(10),
             "last_response_at": at_noon(10)},
        ], lo, hi)

    monkeypatch.setattr("tickets.selectors.ticket_activity_by_customer", tickets)
    monkeypatch.setattr("surveys.selectors.latest_satisfaction_by_customer", surveys)
    services.segments_recompute(as_of=AS_OF, now=now)

    assert (seg(unhappy).tier, seg(unhappy).tier_reason) == ("churn_risk", "satisfaction:55:60")
    assert (seg(complaining).tier, seg(complaining).tier_reason) == ("churn_risk", "complaint:1")
    assert seg(happy_again).tier == "potential"  # the survey (day 10) is later than the ticket rating (day 20)
    assert seg(happy_again).health_satisfaction == 90


def test_collection_rate_counts_purchases_paid_by_their_due_date(alice, make_customer, now):
    c = customer_since(make_customer, owner=alice, name="Payer", days=200)
    buy(c, days=60, due_days=30, paid_days=31)   # on time
    buy(c, days=60, due_days=30, paid_days=30)   # on the due day: on time
    buy(c, days=60, due_days=30, paid_days=20)   # late
    buy(c, days=60, due_days=30)                 # unpaid
    buy(c, days=5, due_days=-10)                 # not due yet: not counted

    services.segments_recompute(as_of=AS_OF, now=now)

    assert seg(c).health_collection == 50


def test_recompute_is_idempotent_same_rows_and_one_history_row(alice, bob, make_customer, now):
    a = customer_since(make_customer, owner=alice, name="A", days=200)
    b = customer_since(make_customer, owner=bob, name="B", days=20)
    buy(a, days=3, amount=500)
    talk(b, days=1)

    services.segments_recompute(as_of=AS_OF, now=now)
    first = list(CustomerSegment.objects.order_by("customer_id").values())
    job = services.segments_recompute(as_of=AS_OF, now=now)

    assert list(CustomerSegment.objects.order_by("customer_id").values()) == first
    assert SegmentHistory.objects.filter(as_of=AS_OF).count() == 2
    assert job.status == "succeeded" and job.summary["customers"] == 2 and job.summary["tier_changed"] == 0


def test_a_failed_recompute_leaves_the_previous_result_intact(alice, make_customer, now, monkeypatch):
    c = customer_since(make_customer, owner=alice, name="Steady", days=200)
    buy(c, days=3)
    services.segments_recompute(as_of=AS_OF, now=now)
    before = list(CustomerSegment.objects.values())
    history_before = SegmentHistory.objects.count()

    # Later, the customer goes quiet; the recompute fails after writing the current table.
    def boom(frame, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_write_history", boom)
    later = AS_OF.replace(month=10)
    with pytest.raises(RuntimeError):
        services.segments_recompute(as_of=later, now=now)

    assert list(CustomerSegment.objects.values()) == before
    assert SegmentHistory.objects.count() == history_before
    job = Job.objects.latest("id")
    assert job.status == "failed" and "disk full" in job.error


def test_a_replay_of_an_older_date_writes_history_but_keeps_the_current_segment(alice, make_customer, now):
    c = customer_since(make_customer, owner=alice, name="C", days=300)
    buy(c, days=3)
    services.segments_recompute(as_of=AS_OF, now=now)
    services.segments_recompute(as_of=days_ago(200), now=now)

    assert seg(c).as_of == AS_OF
    assert set(SegmentHistory.objects.filter(customer=c).values_list("as_of", flat=True)) == {AS_OF, days_ago(200)}
    # At day -200 the customer was 100 days old with no activity since: churn risk.
    assert SegmentHistory.objects.get(customer=c, as_of=days_ago(200)).tier == "churn_risk"


def test_a_customer_created_after_as_of_is_left_out(alice, make_customer, now):
    customer_since(make_customer, owner=alice, name="Future", days=-5)
    job = services.segments_recompute(as_of=AS_OF, now=now)
    assert job.summary["customers"] == 0 and not CustomerSegment.objects.exists()


def test_a_claimed_job_is_not_run_twice(alice, lena, make_customer, now):
    customer_since(make_customer, owner=alice, name="C", days=300)
    job = services.recompute_request(actor=lena, as_of=AS_OF, now=now)
    assert job_run(job_id=job.pk, clock=lambda: now).status == "succeeded"
    CustomerSegment.objects.all().delete()

    again = job_run(job_id=job.pk, clock=lambda: now)

    assert again is None and Job.objects.get(pk=job.pk).attempts == 1
    assert not CustomerSegment.objects.exists()  # the redelivered run did nothing


def test_recompute_request_is_for_team_leads_and_admins(alice, lena, now):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.recompute_request(actor=alice, as_of=AS_OF, now=now)
    job = services.recompute_request(actor=lena, as_of=AS_OF, now=now)
    assert job.status == "queued" and job.created_by == lena and job.kind == "segmentation.recompute"


def test_logging_a_contact_from_the_queue_closes_follow_ups_and_moves_the_due_date(alice, make_customer, now):
    c = customer_since(make_customer, owner=alice, name="Overdue", days=300)
    buy(c, days=3)
    talk(c, days=40)
    fu = followup(c, owner=alice, due_days=1)
    services.segments_recompute(as_of=AS_OF, now=now)
    # The only spender is in the top 20 %: high_value, contacted every 15 days.
    assert (seg(c).tier, seg(c).days_overdue) == ("high_value", 40 - 15)

    services.queue_contact_log(actor=alice, customer_id=c.pk, channel="phone", summary="Checked in", now=now)

    fu.refresh_from_db()
    assert fu.done_at == now
    assert seg(c).last_contact_on == AS_OF
    assert seg(c).next_contact_due == days_ago(-15) and seg(c).days_overdue == 0


def test_charlie_cannot_log_a_contact_for_a_north_customer(alice, charlie, make_customer, now):
    from django.http import Http404

    c = customer_since(make_customer, owner=alice, name="North only", days=300)
    with pytest.raises(Http404):
        services.queue_contact_log(actor=charlie, customer_id=c.pk, channel="phone", summary="x", now=now)
    assert not FollowUp.objects.exists() and not c.interactions.exists()


def test_demo_hook_segments_today_and_six_month_ends(alice, make_customer, now):
    from segmentation.demo import demo_generate

    c = customer_since(make_customer, owner=alice, name="Demo", days=300)
    buy(c, days=3)
    summary = demo_generate(seed=1, now=now)
    assert "1 customers segmented as of 2026-06-15" in summary
    # Six month-ends before 2026-06-15 (the survey answers go back 180 days), then today.
    assert sorted(SegmentHistory.objects.values_list("as_of", flat=True)) == [
        dt.date(2025, 12, 31), dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31),
        dt.date(2026, 4, 30), dt.date(2026, 5, 31), AS_OF]


def test_the_postgresql_table_swap_keeps_every_constraint_and_index(alice, make_customer, now):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the table swap is the PostgreSQL writer")

    def shape():
        with connection.cursor() as cursor:
            cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = 'segmentation_customersegment'::regclass AND contype <> 'n' ORDER BY 1")
            constraints = cursor.fetchall()
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes "
                           "WHERE tablename = 'segmentation_customersegment' ORDER BY 1")
            return constraints, cursor.fetchall()

    c = customer_since(make_customer, owner=alice, name="C", days=300)
    buy(c, days=3)
    before = shape()
    services.segments_recompute(as_of=AS_OF, now=now)
    services.segments_recompute(as_of=AS_OF, now=now)
    assert shape() == before
    # The foreign key still guards the table.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("UPDATE segmentation_customersegment SET customer_id = 999999")


def test_membership_reaches_silver_at_exactly_10000_from_cent_amounts(alice, make_customer, now):
    c = customer_since(make_customer, owner=alice, name="Cents", days=300)
    for amount in ("3333.33", "3333.33", "3333.34", "0.10", "0.20"):
        buy(c, days=10, amount=amount)
    buy(c, days=5, amount="0.30", kind="refund")
    services.segments_recompute(as_of=AS_OF, now=now)
    assert (seg(c).membership_points, seg(c).membership_level) == (10000, "silver")
