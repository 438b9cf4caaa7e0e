"""The job sweeper's rules: re-send what the broker never got (once per sweep),
fail or retry a job whose heartbeat stopped, leave healthy jobs alone."""
from __future__ import annotations

import datetime as dt

import pytest
from kombu.exceptions import OperationalError

from core import jobs
from core.models import Job
from core.sweeper import jobs_sweep

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


@jobs.job_handler("test.sweep_plain")
def _plain(*, job, progress) -> dict:
    return {"ran": True}


@jobs.job_handler("test.sweep_idempotent", idempotent=True)
def _idempotent(*, job, progress) -> dict:
    return {"ran": True}


@pytest.fixture
def broker(monkeypatch):
    """The broker's side of ``send_task``: records what reached it; ``down`` refuses."""
    class Broker:
        down = False
        sent: list[tuple[str, list]] = []

        def send_task(self, name, args=None, kwargs=None):
            if self.down:
                raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
            self.sent.append((name, args))

    b = Broker()
    b.sent = []
    monkeypatch.setattr("core.broker.current_app.send_task", b.send_task)
    return b


def _enqueue(kind, *, actor, now, callbacks):
    with callbacks(execute=True):
        return jobs.job_enqueue(kind=kind, params={}, actor=actor, now=now)


def test_a_job_whose_send_failed_waits_queued_and_the_next_sweep_sends_it_once(
        alice, now, broker, django_capture_on_commit_callbacks):
    broker.down = True
    job = _enqueue("test.sweep_plain", actor=alice, now=now, callbacks=django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "queued" and job.dispatched_at is None and broker.sent == []

    broker.down = False
    assert jobs_sweep(now=now + MIN)["resent"] == 1
    assert broker.sent == [("core.tasks.job_run", [job.pk])]
    # The next sweeps find it dispatched: no second message.
    assert jobs_sweep(now=now + 2 * MIN)["resent"] == 0
    assert jobs_sweep(now=now + 3 * MIN)["resent"] == 0
    assert len(broker.sent) == 1 and Job.objects.get(pk=job.pk).dispatch_count == 1


def test_a_sweep_that_cannot_reach_the_broker_leaves_the_job_for_the_next_one(
        alice, now, broker, django_capture_on_commit_callbacks):
    broker.down = True
    job = _enqueue("test.sweep_plain", actor=alice, now=now, callbacks=django_capture_on_commit_callbacks)
    assert jobs_sweep(now=now + MIN)["resent"] == 0
    assert Job.objects.get(pk=job.pk).dispatched_at is None
    broker.down = False
    assert jobs_sweep(now=now + 2 * MIN)["resent"] == 1


def test_a_job_just_committed_is_left_to_its_own_dispatch(alice, now, broker):
    Job.objects.create(kind="test.sweep_plain", created_by=alice, created_at=now)
    assert jobs_sweep(now=now + dt.timedelta(seconds=5))["resent"] == 0
    assert broker.sent == []


def test_a_job_dispatched_long_ago_and_never_started_is_sent_again(alice, now, broker, settings):
    settings.JOB_REDISPATCH_AFTER_SECONDS = 900
    job = Job.objects.create(kind="test.sweep_plain", created_by=alice, created_at=now, dispatched_at=now,
                             dispatch_count=1)
    assert jobs_sweep(now=now + 10 * MIN)["resent"] == 0  # a busy queue, not a lost message
    assert jobs_sweep(now=now + 16 * MIN)["resent"] == 1
    assert Job.objects.get(pk=job.pk).dispatch_count == 2


def test_a_running_job_whose_heartbeat_stopped_is_failed_and_a_rerun_is_not_refused(alice, now, broker, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_SECONDS = 300
    job = Job.objects.create(kind="test.sweep_plain", created_by=alice, created_at=now, status="running",
                             started_at=now, heartbeat_at=now, attempts=1)
    assert jobs_sweep(now=now + 4 * MIN)["failed"] == 0  # still within the timeout
    assert jobs_sweep(now=now + 6 * MIN)["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "worker lost" in job.error and job.finished_at == now + 6 * MIN
    # Asking for the same work again starts a new job that runs.
    again = jobs.job_enqueue(kind="test.sweep_plain", params={}, actor=alice, now=now + 7 * MIN)
    assert jobs.job_run(job_id=again.pk, clock=lambda: now + 7 * MIN).status == "succeeded"


def test_an_idempotent_job_whose_worker_died_is_queued_again_and_sent(alice, now, broker, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_SECONDS = 300
    job = Job.objects.create(kind="test.sweep_idempotent", created_by=alice, created_at=now, status="running",
                             started_at=now, heartbeat_at=now, attempts=1, dispatched_at=now)
    result = jobs_sweep(now=now + 6 * MIN)
    assert result == {"resent": 1, "retried": 1, "failed": 0}
    job.refresh_from_db()
    assert job.status == "queued" and broker.sent == [("core.tasks.job_run", [job.pk])]
    finished = jobs.job_run(job_id=job.pk, clock=lambda: now + 7 * MIN)
    assert finished.status == "succeeded" and finished.attempts == 2


def test_an_idempotent_job_lost_too_often_is_failed(alice, now, broker, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_SECONDS = 300
    settings.JOB_MAX_ATTEMPTS = 3
    job = Job.objects.create(kind="test.sweep_idempotent", created_by=alice, created_at=now, status="running",
                             started_at=now, heartbeat_at=now, attempts=3)
    assert jobs_sweep(now=now + 6 * MIN)["failed"] == 1
    assert Job.objects.get(pk=job.pk).status == "failed" and broker.sent == []


def test_a_running_job_with_a_fresh_heartbeat_and_finished_jobs_are_left_alone(alice, now, broker, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_SECONDS = 300
    later = now + 60 * MIN
    alive = Job.objects.create(kind="test.sweep_plain", created_at=now, status="running", started_at=now,
                               heartbeat_at=later - MIN, attempts=1)
    done = Job.objects.create(kind="test.sweep_plain", created_at=now, status="succeeded", finished_at=now)
    cancelled = Job.objects.create(kind="test.sweep_plain", created_at=now, status="cancelled", finished_at=now)
    assert jobs_sweep(now=later) == {"resent": 0, "retried": 0, "failed": 0}
    assert [Job.objects.get(pk=j.pk).status for j in (alive, done, cancelled)] == ["running", "succeeded",
                                                                                   "cancelled"]


def test_a_worker_that_outlived_its_retry_cannot_overwrite_the_newer_attempt(alice, now, broker, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_SECONDS = 300
    job = jobs.job_enqueue(kind="test.sweep_idempotent", params={}, actor=alice, now=now)
    first = jobs.job_claim(job_id=job.pk, now=now)
    jobs_sweep(now=now + 6 * MIN)  # takes the first attempt for dead, queues a retry
    second = jobs.job_claim(job_id=job.pk, now=now + 7 * MIN)
    assert second.attempts == 2
    # The first worker was only slow: it finishes now, and must not close attempt 2.
    jobs._execute(first, clock=lambda: now + 8 * MIN)
    assert Job.objects.get(pk=job.pk).status == "running"
