"""The one job mechanism: every app's background work is a ``core.models.Job`` row
run by one generic Celery task (``core.tasks.job_run``) that calls the handler
registered for the job's kind.

    @job_handler("imports.customers")
    def run(*, job, progress) -> dict:   # the returned dict is the job's summary
        ...
        progress.update(done, total)     # heartbeat; raises JobCancelled after a cancel

Handlers live in the owning app and are imported by its ``AppConfig.ready``.
Services queue work with ``job_enqueue`` (the row is written in the caller's
transaction; the task is sent by name after commit) and never import tasks."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from core.models import Job

log = logging.getLogger(__name__)

RUN_TASK = "core.tasks.job_run"
PROGRESS_MIN_INTERVAL = 1.0  # seconds between two progress writes of one job


class JobCancelled(Exception):
    """Raised inside a handler (by ``progress.update``) once its job was cancelled:
    unwinding rolls back the handler's open transaction, so a cancelled job writes nothing."""


class JobFailed(Exception):
    """Raised by a handler that ends without doing its work for a reason the user
    must read (the message, kept as the job's error, is for them) and, with
    ``summary``, what it found (an import's row counts): the job ends "failed"
    with both."""

    def __init__(self, message: str, *, summary: dict | None = None):
        super().__init__(message)
        self.summary = summary or {}

    def __repr__(self) -> str:
        return str(self)


class JobNotCancellable(Exception):
    """The job already ended."""


@dataclass(frozen=True)
class Handler:
    kind: str
    run: Callable[..., dict | None]
    # Safe to run again from the start after a worker died mid-run (the sweeper
    # then re-queues it instead of marking it failed).
    idempotent: bool


_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str, *, idempotent: bool = False):
    """Register ``run(*, job, progress) -> dict`` as the handler of ``kind``."""
    def register(func):
        _HANDLERS[kind] = Handler(kind=kind, run=func, idempotent=idempotent)
        return func

    return register


def handler_get(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


# ---------------------------------------------------------------- queueing

def job_enqueue(*, kind: str, params: dict, actor, now: datetime) -> Job:
    """Create a queued job in the caller's transaction; its runner task is sent after commit.

    A broker that is down at that moment does not undo the write: the job stays
    queued and the sweeper sends it later (``core.sweeper``)."""
    if kind not in _HANDLERS:
        raise ValueError(f"no job handler registered for {kind!r}")
    job = Job.objects.create(kind=kind, params=params, created_by=actor if actor and actor.pk else None,
                             created_at=now)
    transaction.on_commit(lambda: job_dispatch(job_id=job.pk, now=now))
    return job


def job_dispatch(*, job_id: int, now: datetime) -> bool:
    """Send the runner task for a job; True when the broker took it.

    Never raises: it runs after commit, where an exception would turn a saved
    write into a server error. A failed send leaves ``dispatched_at`` as it was
    so the sweeper retries."""
    from core.broker import task_send

    if not task_send(RUN_TASK, args=[job_id]):
        return False
    Job.objects.filter(pk=job_id).update(dispatched_at=now, dispatch_count=F("dispatch_count") + 1)
    return True


def job_requeue(*, job_id: int, now: datetime) -> bool:
    """A failed job back to queued and sent again (a caller that knows the failure
    is worth another attempt, e.g. one range of a fanned-out job); False when it
    was not failed any more."""
    if not Job.objects.filter(pk=job_id, status=Job.Status.FAILED).update(
            status=Job.Status.QUEUED, dispatched_at=None, heartbeat_at=None, finished_at=None):
        return False
    transaction.on_commit(lambda: job_dispatch(job_id=job_id, now=now))
    return True


def job_cancel(*, job: Job, actor, now: datetime) -> Job:
    """Cancel a queued or running job. A queued job never starts; a running one
    stops at its handler's next ``progress.update`` and its transaction rolls back."""
    cancelled = Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
        status=Job.Status.CANCELLED, finished_at=now)
    job.refresh_from_db()
    if not cancelled:
        raise JobNotCancellable(job.status)
    log.info("job %s cancelled by %s", job.pk, getattr(actor, "pk", None))
    return job


# ---------------------------------------------------------------- running

class Progress:
    """Given to a handler: ``update(done, total=None)`` records progress and the
    heartbeat at most about once a second and raises ``JobCancelled`` once the
    job was cancelled. ``check()`` forces the write (call it before committing).
    ``wall_clock`` is for a handler that watches other jobs' liveness (heartbeats are
    wall-clock time, whatever ``clock`` the job itself runs on): the clock is read
    through it, never inside the handler."""

    def __init__(self, job: Job, *, clock: Callable[[], datetime] = timezone.now,
                 wall_clock: Callable[[], datetime] = timezone.now):
        self.job = job
        self._clock = clock
        self.wall_clock = wall_clock
        self._last_write = float("-inf")

    def update(self, done: int, total: int | None = None) -> None:
        self.job.progress_done = done
        if total is not None:
            self.job.progress_total = total
        finished = self.job.progress_total is not None and done >= self.job.progress_total
        if finished or time.monotonic() - self._last_write >= PROGRESS_MIN_INTERVAL:
            self.check()

    def check(self) -> None:
        self._last_write = time.monotonic()
        fields = {"progress_done": self.job.progress_done, "heartbeat_at": self._clock()}
        if self.job.progress_total is not None:
            fields["progress_total"] = self.job.progress_total
        if not _running_row_update(self.job.pk, fields):
            raise JobCancelled(self.job.pk)


def _running_row_update(job_id: int, fields: dict) -> int:
    """UPDATE the job row while it is running; the number of rows (0: no longer running).

    Inside a handler's transaction on PostgreSQL the write goes through a second
    connection, so progress and the heartbeat are visible while the transaction
    is open (and a cancel is seen). SQLite has one writer at a time: there the
    write joins the open transaction."""
    if connection.in_atomic_block and connection.vendor == "postgresql":
        count = _side_update(job_id, fields)
        if count:
            return count
        # 0 rows: either not running, or a row the side connection cannot see yet
        # (created in this very transaction, as in tests); the own connection decides.
    return Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(**fields)


_side = threading.local()


def _side_update(job_id: int, fields: dict) -> int:
    side = getattr(_side, "conn", None)
    if side is None:
        side = _side.conn = connections.create_connection(DEFAULT_DB_ALIAS)
    columns = ", ".join(f"{Job._meta.get_field(name).column} = %s" for name in fields)
    try:
        with side.cursor() as cursor:
            # Never wait on a lock the handler's own transaction may hold on this row.
            cursor.execute("SET lock_timeout = '2s'")
            cursor.execute(f"UPDATE {Job._meta.db_table} SET {columns} WHERE id = %s AND status = %s",
                           [*fields.values(), job_id, Job.Status.RUNNING])
            return cursor.rowcount
    except Exception:  # a broken side connection must not fail the job; the own connection answers
        log.warning("job %s: progress write on the side connection failed", job_id, exc_info=True)
        side.close()
        _side.conn = None
        return 0


def _side_close() -> None:
    side = getattr(_side, "conn", None)
    if side is not None:
        side.close()
        _side.conn = None


def job_claim(*, job_id: int, now: datetime) -> Job | None:
    """queued → running with a conditional UPDATE: of two deliveries of the same
    message (a redelivery after a lost ack, a re-send by the sweeper) one runs it."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, error="")
    if not claimed:
        log.info("job %s not queued any more; nothing to do", job_id)
        return None
    return Job.objects.select_related("created_by").get(pk=job_id)


def job_run(*, job_id: int, clock: Callable[[], datetime] = timezone.now) -> Job | None:
    """Claim and run a queued job (the runner task's service). Never raises for a
    handler's error: that is recorded on the job."""
    job = job_claim(job_id=job_id, now=clock())
    if job is None:
        return None
    _execute(job, clock=clock)
    job.refresh_from_db()
    return job


def job_run_now(*, kind: str, params: dict, actor, now: datetime,
                clock: Callable[[], datetime] | None = None) -> Job:
    """Create a job and run it here and now (scheduled work, scripts): the same
    row, progress and summary as a queued job. Re-raises the handler's error after
    recording it."""
    if kind not in _HANDLERS:
        raise ValueError(f"no job handler registered for {kind!r}")
    job = Job.objects.create(kind=kind, params=params, created_by=actor if actor and actor.pk else None,
                             created_at=now, status=Job.Status.RUNNING, started_at=now, heartbeat_at=now,
                             attempts=1)
    error = _execute(job, clock=clock or (lambda: now))
    job.refresh_from_db()
    if error is not None:
        raise error
    return job


def _execute(job: Job, *, clock: Callable[[], datetime]) -> BaseException | None:
    handler = _HANDLERS.get(job.kind)
    progress = Progress(job, clock=clock)
    # Terminal writes name this attempt: a worker the sweeper gave up on (its job
    # re-queued and claimed again) cannot overwrite the newer attempt's row.
    this_attempt = Job.objects.filter(pk=job.pk, attempts=job.attempts)
    beat = _Heartbeat(job)
    beat.start()
    try:
        if handler is None:
            raise LookupError(f"no job handler registered for {job.kind!r}")
        summary = handler.run(job=job, progress=progress) or {}
    except JobCancelled:
        log.info("job %s stopped after a cancel", job.pk)
        return None
    except JobFailed as exc:
        log.info("job %s (%s) failed: %s", job.pk, job.kind, exc)
        this_attempt.filter(status=Job.Status.RUNNING).update(
            status=Job.Status.FAILED, error=str(exc)[:4000], summary=exc.summary, finished_at=clock(),
            progress_done=progress.job.progress_done, progress_total=progress.job.progress_total)
        return exc
    except Exception as exc:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        this_attempt.filter(status=Job.Status.RUNNING).update(
            status=Job.Status.FAILED, error=repr(exc)[:4000], finished_at=clock())
        return exc
    finally:
        beat.stop()
        _side_close()
    # The handler's work is committed. A cancel after its last check did not stop
    # it, and a sweeper that took a slow heartbeat for a dead worker was wrong: in
    # both cases the row says what happened.
    this_attempt.filter(status__in=(Job.Status.RUNNING, Job.Status.CANCELLED, Job.Status.FAILED)).update(
        status=Job.Status.SUCCEEDED, summary=summary, error="", finished_at=clock(),
        progress_done=progress.job.progress_done, progress_total=progress.job.progress_total)
    return None


class _Heartbeat:
    """Beats ``heartbeat_at`` every JOB_HEARTBEAT_INTERVAL_SECONDS from a thread (its
    own connection) while the handler runs, also through long steps without
    progress; it stops with the process, which is how the sweeper tells a dead
    worker (kill -9, lost machine) from a slow job.

    Not on an in-memory SQLite database (tests): its shared-cache table locks do
    not wait, so a beat could fail the handler's own write."""

    def __init__(self, job: Job):
        self.job_id, self.attempt = job.pk, job.attempts
        self.interval = settings.JOB_HEARTBEAT_INTERVAL_SECONDS
        self.stopped = threading.Event()
        self.thread = None
        if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
            self.thread = threading.Thread(target=self._run, name=f"job-{job.pk}-heartbeat", daemon=True)

    def start(self) -> None:
        if self.thread is not None:
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    # Liveness is wall-clock time, whatever clock the job itself runs on.
                    Job.objects.filter(pk=self.job_id, attempts=self.attempt, status=Job.Status.RUNNING).update(
                        heartbeat_at=timezone.now())
                except Exception:  # a busy database skips one beat; the timeout allows for several
                    log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)
        finally:
            connections.close_all()
