"""The job sweeper (beat: every minute, config/celery_app.py). It repairs what a
broker or a worker lost, from the job rows alone:

* a queued job whose runner task never reached the broker (down at commit) or
  was dispatched long ago without starting is sent again: once per sweep, the
  row claimed with a conditional UPDATE so two sweepers never both send it;
* a running job whose heartbeat stopped (its worker died) is re-queued when its
  handler is idempotent and it has attempts left, else marked failed. A new
  request for the same work then runs normally."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q

from core import jobs
from core.broker import task_send
from core.models import Job

log = logging.getLogger(__name__)

# A job just committed is being dispatched by its own after-commit hook.
DISPATCH_GRACE = timedelta(seconds=30)
BATCH = 500


def jobs_sweep(*, now: datetime) -> dict:
    """One sweep; returns how many jobs were re-sent, retried and failed."""
    retried, failed = _lost_running(now=now)
    resent = _undispatched_queued(now=now)
    if resent or retried or failed:
        log.warning("job sweep: %s re-sent, %s retried, %s failed", resent, retried, failed)
    return {"resent": resent, "retried": retried, "failed": failed}


def _undispatched_queued(*, now: datetime) -> int:
    redispatch_before = now - timedelta(seconds=settings.JOB_REDISPATCH_AFTER_SECONDS)
    due = (Job.objects.filter(status=Job.Status.QUEUED, created_at__lte=now - DISPATCH_GRACE)
           .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=redispatch_before))
           .order_by("created_at", "pk").values_list("pk", "dispatched_at")[:BATCH])
    sent = 0
    for pk, dispatched_at in due:
        # Claim this send: only the sweeper that moves dispatched_at from the value
        # it read sends the task.
        claimed = Job.objects.filter(pk=pk, status=Job.Status.QUEUED, dispatched_at=dispatched_at).update(
            dispatched_at=now)
        if not claimed:
            continue
        if task_send(jobs.RUN_TASK, args=[pk]):
            Job.objects.filter(pk=pk).update(dispatch_count=F("dispatch_count") + 1)
            sent += 1
        else:
            # Still unsent: the next sweep tries again.
            Job.objects.filter(pk=pk, dispatched_at=now).update(dispatched_at=dispatched_at)
    return sent


def lost_jobs_recover(*, now: datetime, job_ids: list[int]) -> tuple[int, int]:
    """The lost-worker rule for some jobs only, now (a parent job watching its
    parts does not wait for the next sweep): (retried, failed)."""
    return _lost_running(now=now, job_ids=job_ids)


def _lost_running(*, now: datetime, job_ids: list[int] | None = None) -> tuple[int, int]:
    stale_before = now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_SECONDS)
    running = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=stale_before)
    if job_ids is not None:
        running = running.filter(pk__in=job_ids)
    lost = (running
            .order_by("heartbeat_at").values_list("pk", "kind", "attempts", "heartbeat_at")[:BATCH])
    retried = failed = 0
    for pk, kind, attempts, heartbeat_at in lost:
        row = Job.objects.filter(pk=pk, status=Job.Status.RUNNING, attempts=attempts, heartbeat_at=heartbeat_at)
        handler = jobs.handler_get(kind)
        message = f"worker lost: no heartbeat since {heartbeat_at.isoformat()} (attempt {attempts})"
        if handler is not None and handler.idempotent and attempts < settings.JOB_MAX_ATTEMPTS:
            # Back to queued with no dispatch: sent by this same sweep (created long
            # ago, so the dispatch grace does not hold it back).
            if row.update(status=Job.Status.QUEUED, dispatched_at=None, heartbeat_at=None, error=message):
                retried += 1
        elif row.update(status=Job.Status.FAILED, error=message, finished_at=now):
            failed += 1
    return retried, failed
