"""The recompute fanned out by customer-id range (segmentation/fanout.py): several
ranges give exactly the one-range result (cut points computed once over every
customer), through a real worker on PostgreSQL; a failed or lost range is
retried alone; the cut points equal the one-pass scores on any split."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test import override_settings

from conftest import wait_until
from core import jobs
from core.models import Job
from segmentation import analytics, fanout, services
from segmentation.models import CustomerSegment, SegmentHistory, SegmentSettings
from segmentation.tests.factories import AS_OF, at_noon, buy, customer_since, talk

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                     reason="range jobs and stage tables are the PostgreSQL path; SQLite runs "
                                            "the same phases in-process (test_sqlite_runs_the_ranges_in_process)")


def _world(make_customer, owner, n: int = 36) -> list:
    """Customers with ties in recency, frequency and spend (the quintile tie rule
    decides across ranges), refunds, a quiet one, a new one and one without purchases."""
    customers = []
    for i in range(n):
        c = customer_since(make_customer, owner=owner, name=f"C{i:02d}", days=40 + 13 * i)
        customers.append(c)
        if i % 9 == 8:
            talk(c, days=3)  # no purchases at all
            continue
        for k in range(1 + i % 4):
            buy(c, days=1 + (i % 5) * 7 + k, amount=100 * (1 + i % 3))
        if i % 7 == 0:
            buy(c, days=2, amount=50, kind="refund")
        if i % 6 == 0:
            buy(c, days=200 + i, amount=5000)  # inside the year, outside the half window
        talk(c, days=95 if i % 10 == 0 else 1 + i % 20, objection=(i == 5))
    _tickets_and_surveys(customers)
    return customers


def _tickets_and_surveys(customers) -> None:
    """Open complaints, closing ratings and survey answers spread over the ranges
    (each range reads them through the tickets and surveys contracts by id range)."""
    from surveys.models import Survey, SurveyResponse
    from tickets.models import Ticket

    survey = Survey.objects.create(code="fanout", name_zh="测试", name_en="Test", created_at=at_noon(300))
    for i, c in enumerate(customers):
        if i % 8 == 3:
            Ticket.objects.create(customer=c, subject="broken", is_complaint=True, created_at=at_noon(2),
                                  updated_at=at_noon(2))
        if i % 8 == 6:
            Ticket.objects.create(customer=c, subject="rated", created_at=at_noon(9), updated_at=at_noon(8),
                                  closed_at=at_noon(8), satisfaction=1 + i % 5)
        if i % 5 == 1:
            SurveyResponse.objects.create(customer=c, survey=survey, answered_at=at_noon(4 + i % 3),
                                          overall=1 + i % 10, nps=i % 11, created_at=at_noon(4))


def _rows() -> tuple[list[dict], list[tuple]]:
    current = list(CustomerSegment.objects.order_by("customer_id").values())
    history = list(SegmentHistory.objects.filter(as_of=AS_OF).order_by("customer_id")
                   .values_list("customer_id", "tier", "value_tier", "health_score", "rfm_segment"))
    return current, history


def _one_range_result(now) -> tuple[list[dict], list[tuple]]:
    services.segments_recompute(as_of=AS_OF, now=now, chunk_ids=10**9)
    rows = _rows()
    CustomerSegment.objects.all().delete()
    SegmentHistory.objects.all().delete()
    return rows


def test_cut_points_over_everyone_score_any_split_exactly_as_one_pass():
    """analytics.segment_cuts + score_segments(cuts=) on parts == score_segments on the whole."""
    rng = np.random.default_rng(7)
    n = 400
    day = pd.Timestamp(AS_OF)
    purchases = rng.integers(0, 4, n)
    inputs = analytics.empty_inputs().reindex(range(n))
    inputs["customer_id"] = np.arange(1, n + 1)
    inputs["customer_since"] = day - pd.to_timedelta(rng.integers(1, 900, n), unit="D")
    inputs["last_tx_on"] = day - pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    inputs["last_purchase_on"] = (day - pd.to_timedelta(rng.integers(0, 30, n) * 3, unit="D")).where(purchases > 0)
    inputs["purchases"] = purchases
    for c in ("spend", "spend_365", "net_spend_lifetime"):
        inputs[c] = np.where(purchases > 0, rng.integers(0, 6, n) * 100.0, 0.0)
    for c in ("purchases_recent", "purchases_prior", "due", "paid_on_time", "interactions_recent",
              "open_objections", "open_complaints"):
        inputs[c] = rng.integers(0, 2, n)
    inputs["last_interaction_on"] = day - pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    inputs["satisfaction"] = np.where(rng.random(n) < 0.3, rng.integers(0, 101, n), np.nan)
    params = SegmentSettings()

    whole = analytics.score_segments(inputs, as_of=AS_OF, params=params)
    cuts = analytics.segment_cuts(inputs, as_of=AS_OF, params=params)
    parts = pd.concat([analytics.score_segments(inputs.iloc[a:b], as_of=AS_OF, params=params, cuts=cuts)
                       for a, b in ((0, 37), (37, 38), (38, 250), (250, n))], ignore_index=True)
    pd.testing.assert_frame_equal(parts, whole)
    # Without the global cut points a part is scored against itself, and differs.
    alone = analytics.score_segments(inputs.iloc[:37], as_of=AS_OF, params=params)
    assert not alone["r_score"].equals(whole["r_score"].iloc[:37])


@pytest.mark.django_db
def test_sqlite_runs_the_ranges_in_process_with_the_same_result(alice, make_customer, now):
    _world(make_customer, alice)
    expected = _one_range_result(now)
    job = services.segments_recompute(as_of=AS_OF, now=now, chunk_ids=5)
    assert _rows() == expected
    reasons = " ".join(row["tier_reason"] for row in expected[0])
    assert "complaint:1" in reasons and "satisfaction:" in reasons  # the contracts' rows came through
    ranges = job.summary["ranges"]
    assert {r["phase"] for r in ranges} == {"inputs", "score"} and len(ranges) > 10
    assert job.progress_done == job.progress_total == len(ranges) + 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_fanned_out_through_a_real_worker_equals_the_one_range_result(celery_worker_real, alice, make_customer,
                                                                       now):
    customers = _world(make_customer, alice)
    expected = _one_range_result(now)
    assert len(expected[0]) == len(customers)

    # The parent only queues and waits here: every range runs on the Celery worker.
    with override_settings(SEGMENT_RECOMPUTE_PARENT_RUNS_RANGES=False):
        job = services.segments_recompute(as_of=AS_OF, now=now, chunk_ids=6)

    assert _rows() == expected
    reasons = " ".join(row["tier_reason"] for row in expected[0])
    assert "complaint:1" in reasons and "satisfaction:" in reasons  # the contracts' rows came through
    ranges = job.summary["ranges"]
    assert len(ranges) == 2 * len(fanout.ranges_plan(range_ids=6)) > 8 and all(r["attempts"] == 1 for r in ranges)
    assert all(r["runner"] != fanout.runner_name() for r in ranges)  # not this thread: the worker's
    # The range jobs and stage tables are gone; the parent tells them.
    assert not Job.objects.filter(kind=fanout.RANGE_JOB_KIND).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'segmentation_stage_%%'")
        assert cursor.fetchone()[0] == 0


def _fail_once(monkeypatch, *, phase: str, lo: int, how):
    """Make one range's first attempt of ``phase`` end by ``how(job)``; the others run normally."""
    handler = jobs.handler_get(fanout.RANGE_JOB_KIND)
    calls = []

    def run(*, job, progress):
        if job.params["phase"] == phase and job.params["lo"] == lo and job.attempts == 1:
            calls.append(job.pk)
            how(job)
        return handler.run(job=job, progress=progress)

    monkeypatch.setitem(jobs._HANDLERS, fanout.RANGE_JOB_KIND, jobs.Handler(
        kind=handler.kind, run=run, idempotent=handler.idempotent))
    return calls


def _assert_retried_alone(monkeypatch, *, phase: str, lo: int, how, expected, now) -> None:
    calls = _fail_once(monkeypatch, phase=phase, lo=lo, how=how)
    job = services.segments_recompute(as_of=AS_OF, now=now, chunk_ids=6)

    assert job.status == "succeeded" and len(calls) == 1
    assert _rows() == expected
    attempts = {(r["phase"], r["lo"]): r["attempts"] for r in job.summary["ranges"]}
    assert attempts.pop((phase, lo)) == 2
    assert set(attempts.values()) == {1}  # every other range ran once


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_failed_range_is_retried_alone(alice, make_customer, now, monkeypatch):
    _world(make_customer, alice)
    expected = _one_range_result(now)
    lo, _hi = fanout.ranges_plan(range_ids=6)[2]

    def fail(job):
        raise RuntimeError("connection reset by peer")

    _assert_retried_alone(monkeypatch, phase="score", lo=lo, how=fail, expected=expected, now=now)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_range_whose_worker_is_lost_mid_way_is_retried_alone(alice, make_customer, now, monkeypatch):
    """A worker killed inside a range leaves its job row running with a stopped
    heartbeat and its transaction rolled back; that range alone runs again."""
    import datetime as dt

    from django.utils import timezone

    _world(make_customer, alice)
    expected = _one_range_result(now)
    lo, _hi = fanout.ranges_plan(range_ids=6)[1]

    def die(job):
        # What the worker's death leaves: the row still running, the last beat long ago.
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
        raise jobs.JobCancelled(job.pk)  # unwinds without touching the row, as a dead process does

    _assert_retried_alone(monkeypatch, phase="inputs", lo=lo, how=die, expected=expected, now=now)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_range_failing_every_attempt_fails_the_recompute_and_keeps_the_previous_result(
        alice, make_customer, now, monkeypatch):
    _world(make_customer, alice, n=12)
    services.segments_recompute(as_of=AS_OF, now=now)
    before = _rows()
    handler = jobs.handler_get(fanout.RANGE_JOB_KIND)

    def always(*, job, progress):
        raise RuntimeError("bad range")

    monkeypatch.setitem(jobs._HANDLERS, fanout.RANGE_JOB_KIND, jobs.Handler(
        kind=handler.kind, run=always, idempotent=True))
    with pytest.raises(fanout.RangeFailed):
        services.segments_recompute(as_of=AS_OF, now=now, chunk_ids=6)
    assert _rows() == before
    parent = Job.objects.filter(kind="segmentation.recompute").latest("id")
    assert parent.status == "failed" and "bad range" in parent.error


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_second_recompute_of_the_same_day_waits_for_the_first(alice, make_customer, now):
    """The per-as_of lock: while it is held nothing of the second recompute starts."""
    import threading

    from django.db import connections

    _world(make_customer, alice, n=8)
    holder = connections.create_connection("default")
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [fanout.RUN_LOCK_KEY, AS_OF.toordinal()])
    errors = []

    def run():
        try:
            services.segments_recompute(as_of=AS_OF, now=now, chunk_ids=3)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert wait_until(lambda: Job.objects.filter(kind="segmentation.recompute", status="running").exists())
        # Waiting on the lock: it beats (progress writes) but has queued no range and staged nothing.
        parent = Job.objects.get(kind="segmentation.recompute")
        assert wait_until(lambda: Job.objects.get(pk=parent.pk).progress_total is None)
        assert not Job.objects.filter(kind=fanout.RANGE_JOB_KIND).exists()
    finally:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [fanout.RUN_LOCK_KEY, AS_OF.toordinal()])
        holder.close()
        thread.join(timeout=60)
    assert errors == []
    assert Job.objects.get(pk=parent.pk).status == "succeeded"
    assert CustomerSegment.objects.count() == 8
