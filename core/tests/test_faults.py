"""Faults through real servers: a Redis the test stops and starts, a worker process
killed with SIGKILL in the middle of a recompute's write."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.utils import timezone

from conftest import wait_until
from core.models import Job
from core.sweeper import jobs_sweep
from segmentation import services as segmentation_services
from segmentation.models import CustomerSegment
from segmentation.tests.factories import AS_OF, buy, customer_since, talk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

BASE_DIR = Path(__file__).resolve().parents[2]


def _customers(make_customer, owner) -> None:
    for i in range(6):
        c = customer_since(make_customer, owner=owner, name=f"C{i}", days=40 + 60 * i)
        buy(c, days=5 + 30 * i, amount=100 * (i + 1))
        talk(c, days=10 + 20 * i)


def _segments() -> list[tuple]:
    return list(CustomerSegment.objects.order_by("customer_id").values_list("customer_id", "as_of", "tier",
                                                                            "computed_at"))


def test_with_redis_stopped_a_recompute_request_answers_202_and_runs_once_when_redis_is_back(
        app_on_own_redis, own_redis, lena, alice, make_customer, api_client_for, settings):
    _customers(make_customer, alice)
    # As in production, the cache lives on the same Redis as the broker.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": own_redis.url}}
    own_redis.stop()

    response = api_client_for(lena).post("/api/v1/segments/recompute/", {"as_of": AS_OF.isoformat()},
                                         format="json")

    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.status == "queued" and job.dispatched_at is None  # the write stands, the send waits

    own_redis.start()
    with start_worker(app_on_own_redis, pool="solo", perform_ping_check=False, shutdown_timeout=20,
                      loglevel="WARNING"):
        later = timezone.now() + dt.timedelta(minutes=1)
        assert jobs_sweep(now=later)["resent"] == 1
        assert wait_until(lambda: Job.objects.get(pk=job.pk).status in ("succeeded", "failed"), timeout=60)
        assert jobs_sweep(now=later + dt.timedelta(minutes=1))["resent"] == 0
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.attempts == 1 and job.dispatch_count == 1 and job.summary["customers"] == 6
    assert {s[1] for s in _segments()} == {AS_OF}


# ---------------------------------------------------------------- kill -9

def _worker(redis_url: str, name: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "REDIS_URL": redis_url,
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
           "JOB_HEARTBEAT_INTERVAL_SECONDS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--without-mingle",
         "--without-gossip", "-l", "WARNING", "-n", f"{name}@%h"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _swap_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND query LIKE 'DROP TABLE%%'")
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_recompute_leaves_segments_all_old_and_the_retry_makes_them_all_new(
        app_on_own_redis, own_redis, lena, alice, make_customer, api_client_for):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it shares with the test (the PostgreSQL run)")
    import psycopg2

    _customers(make_customer, alice)
    old_day = AS_OF - dt.timedelta(days=30)
    segmentation_services.segments_recompute(as_of=old_day, now=timezone.now())
    old = _segments()
    assert len(old) == 6 and {s[1] for s in old} == {old_day}

    # A reader holding the segment table makes the recompute's table swap wait in
    # the middle of its write transaction: that is where the worker is killed.
    db = connection.settings_dict
    reader = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1",
                              port=db["PORT"] or 5432)
    reader.cursor().execute("SELECT count(*) FROM segmentation_customersegment")
    worker = _worker(own_redis.url, "doomed")
    try:
        job_id = api_client_for(lena).post("/api/v1/segments/recompute/", {"as_of": AS_OF.isoformat()},
                                           format="json").json()["job_id"]
        assert wait_until(_swap_waiting_on_a_lock, timeout=90)
        assert Job.objects.get(pk=job_id).status == "running"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        reader.rollback()
        reader.close()

    # The dead worker's transaction never commits: every segment is the old one.
    assert _segments() == old
    job = Job.objects.get(pk=job_id)
    assert job.status == "running"  # nobody told the row; the heartbeat stopped

    # Past the heartbeat timeout the sweeper takes the worker for dead; the recompute
    # is idempotent, so it is queued again and sent.
    stale = job.heartbeat_at + dt.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_SECONDS + 1)
    assert jobs_sweep(now=stale) == {"resent": 1, "retried": 1, "failed": 0}
    replacement = _worker(own_redis.url, "replacement")
    try:
        assert wait_until(lambda: Job.objects.get(pk=job_id).status in ("succeeded", "failed"), timeout=90)
    finally:
        replacement.terminate()
        replacement.wait(timeout=30)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2, job.error
    new = _segments()
    # All new: every customer at the new date, written by one run.
    assert [s[0] for s in new] == [s[0] for s in old]
    assert {s[1] for s in new} == {AS_OF} and len({s[3] for s in new}) == 1
