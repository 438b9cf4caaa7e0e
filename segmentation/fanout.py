"""The recompute fanned out by customer-id range (DESIGN "Scale-out").

A recompute (the parent, a ``segmentation.recompute`` core job) splits the
customer ids into ranges of ``SEGMENT_RECOMPUTE_RANGE_IDS`` and runs in phases:

1. **inputs**: one ``segmentation.recompute_range`` job per range runs the inputs
   statement (``selectors.segment_inputs_sql``) straight into an UNLOGGED stage
   table on the server (``INSERT … SELECT``: nothing travels to Python);
2. **cut points**, once, over every staged customer (``analytics.segment_cuts``:
   the RFM quintile edges with their tie rule, the value-tier and high-value top
   shares), so scoring a range apart gives exactly the scores of one pass;
3. **score**: one job per range reads its staged inputs, joins its tickets and
   surveys, scores them with the global cut points and COPYs the scores into a
   second stage table;
4. the caller (``services``) swaps the scores in with one short transaction.

The range jobs go through the one job mechanism (``core.jobs``): they are
queued for every worker and the parent, while it waits, runs any still queued
itself (unless ``SEGMENT_RECOMPUTE_PARENT_RUNS_RANGES`` is off), so one worker
finishes alone and N workers share the ranges. Each range
job is idempotent (it deletes its range of the stage and writes it again in one
transaction): a range that failed is re-queued by the parent, and one whose
worker was lost (no heartbeat for ``JOB_HEARTBEAT_TIMEOUT_SECONDS``) is
re-queued by the sweeper's rule, alone, up to ``JOB_MAX_ATTEMPTS``. A second
recompute of the same as_of waits for the first (a session advisory lock per
as_of held by the parent), so the two never interleave; the stage tables are
named after the parent job and its attempt.

On SQLite (the embedded mode) the same phases run in this process, range after
range, with the stages held in memory.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from django.conf import settings
from django.db import connection, models, transaction

from core import jobs, sweeper
from core.models import Job
from segmentation import analytics, pgwrite, selectors
from segmentation.models import SegmentSettings

log = logging.getLogger(__name__)

RANGE_JOB_KIND = "segmentation.recompute_range"
# pg_advisory_lock(RUN_LOCK_KEY, as_of day number): one recompute per as_of at a time.
RUN_LOCK_KEY = 7_301_002
POLL_SECONDS = 0.2


class RangeFailed(Exception):
    """A range failed on its last attempt (or was cancelled): the recompute stops."""


def runner_name() -> str:
    """Who ran a range (host, process, thread): the summary shows how the ranges spread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def range_ids_setting() -> int:
    return int(settings.SEGMENT_RECOMPUTE_RANGE_IDS)


def ranges_plan(*, range_ids: int) -> list[tuple[int, int]]:
    """[lo, hi) customer-id ranges covering every customer."""
    lo, hi = selectors.customer_id_bounds()
    return [(start, min(start + range_ids, hi)) for start in range(lo, hi, range_ids)]


def settings_snapshot(params: SegmentSettings) -> dict:
    """The thresholds as plain values: every range of one recompute scores with the same ones."""
    return {f.attname: getattr(params, f.attname) for f in SegmentSettings._meta.concrete_fields
            if isinstance(f, models.IntegerField | models.FloatField) and not f.primary_key}


def settings_from(snapshot: dict) -> SegmentSettings:
    return SegmentSettings(pk=1, **snapshot)


@contextmanager
def recompute_lock(*, as_of: date, progress: jobs.Progress):
    """PostgreSQL: hold the as_of's session advisory lock, waiting (cancellable)
    while another recompute of the same day holds it. SQLite: the caller's
    process lock serialises recomputes already."""
    if connection.vendor != "postgresql":
        yield
        return
    key = [RUN_LOCK_KEY, as_of.toordinal()]
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            if cursor.fetchone()[0]:
                break
            progress.update(progress.job.progress_done)  # a cancel while waiting stops here
            time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


@dataclass
class Scored:
    """What the fan-out hands to the write: the scores (a frame on SQLite, a stage
    table on PostgreSQL) and, per phase and range, its attempts and seconds."""
    frame: pd.DataFrame | None = None
    stage: str | None = None
    customers: int = 0
    ranges: list[dict] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        if self.drop:
            with connection.cursor() as cursor:
                for table in self.drop:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")


def stage_names(*, parent_id: int, attempt: int) -> tuple[str, str]:
    return (f"segmentation_stage_in_{parent_id}_{attempt}", f"segmentation_stage_out_{parent_id}_{attempt}")


# ---------------------------------------------------------------- one range (both backends)

def _range_where(lo: int, hi: int) -> str:
    return f"customer_id >= {int(lo)} AND customer_id < {int(hi)}"


def range_inputs_stage(*, as_of: date, params: SegmentSettings, lo: int, hi: int, table: str) -> int:
    """PostgreSQL: the range's inputs into the stage (its old rows replaced). Caller holds a transaction."""
    sql, sql_params = selectors.segment_inputs_sql(as_of=as_of, params=params, lo=lo, hi=hi)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {_range_where(lo, hi)}")
        cursor.execute(f"INSERT INTO {table} {sql}", sql_params)
        return cursor.rowcount


def range_scores(*, inputs: pd.DataFrame, as_of: date, params: SegmentSettings, lo: int, hi: int, cuts: dict,
                 reasons: bool) -> pd.DataFrame | None:
    """The range's inputs joined with its tickets and surveys, scored with the global cut points."""
    if inputs.empty:
        return None
    inputs = analytics.combine_inputs(inputs, selectors.ticket_rows(as_of=as_of, lo=lo, hi=hi),
                                      selectors.survey_rows(as_of=as_of, lo=lo, hi=hi))
    return analytics.score_segments(inputs, as_of=as_of, params=params, reasons=reasons, cuts=cuts)


def range_scores_stage(*, as_of: date, params: SegmentSettings, lo: int, hi: int, cuts: dict,
                       stage_in: str, stage_out: str) -> int:
    """PostgreSQL: score the staged range and write it into the scores stage
    (its old rows replaced). Caller holds a transaction."""
    inputs = selectors.segment_inputs_copy(
        f"SELECT * FROM {stage_in} WHERE {_range_where(lo, hi)} ORDER BY customer_id")
    result = range_scores(inputs=inputs, as_of=as_of, params=params, lo=lo, hi=hi, cuts=cuts, reasons=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {stage_out} WHERE {_range_where(lo, hi)}")
    if result is None:
        return 0
    pgwrite.stage_append(result, as_of=as_of, table=stage_out)
    return len(result)


@jobs.job_handler(RANGE_JOB_KIND, idempotent=True)
def range_job_run(*, job: Job, progress: jobs.Progress) -> dict:
    """One phase of one customer-id range of a parent recompute (PostgreSQL)."""
    p = job.params
    as_of = date.fromisoformat(p["as_of"])
    params = settings_from(p["settings"])
    stage_in, stage_out = stage_names(parent_id=p["parent"], attempt=p["attempt"])
    progress.update(0, 1)
    with transaction.atomic():
        if p["phase"] == "inputs":
            n = range_inputs_stage(as_of=as_of, params=params, lo=p["lo"], hi=p["hi"], table=stage_in)
        else:
            n = range_scores_stage(as_of=as_of, params=params, lo=p["lo"], hi=p["hi"], cuts=p["cuts"],
                                   stage_in=stage_in, stage_out=stage_out)
        progress.update(1)  # last cancel check before the commit
    return {"customers": n, "runner": runner_name()}


# ---------------------------------------------------------------- the parent

def recompute_ranges(*, job: Job, progress: jobs.Progress, as_of: date, range_ids: int,
                     clock: Callable[[], datetime]) -> Scored:
    """Phases 1-3 (see the module docstring); the caller writes the result and
    then calls ``Scored.cleanup()``. Progress: two steps per range, one for the
    cut points, one left for the write. ``clock`` (wall-clock time) times the range
    jobs' liveness checks."""
    params = selectors.segment_settings_get()
    ranges = ranges_plan(range_ids=range_ids)
    total = 2 * len(ranges) + 2
    progress.update(0, total)
    if connection.vendor == "postgresql":
        return _recompute_pg(job=job, progress=progress, as_of=as_of, params=params, ranges=ranges, total=total,
                             clock=clock)
    return _recompute_local(progress=progress, as_of=as_of, params=params, ranges=ranges, total=total)


def _recompute_local(*, progress, as_of, params, ranges, total) -> Scored:
    """SQLite: the same phases in this process, stages in memory."""
    report = []
    staged = []
    for i, (lo, hi) in enumerate(ranges):
        started = time.perf_counter()
        staged.append(selectors.segment_inputs(as_of=as_of, params=params, lo=lo, hi=hi))
        report.append(_range_report("inputs", lo, hi, 1, time.perf_counter() - started, runner_name()))
        progress.update(i + 1)
    everyone = pd.concat(staged, ignore_index=True) if staged else analytics.empty_inputs()
    cuts = analytics.segment_cuts(everyone, as_of=as_of, params=params)
    del everyone
    progress.update(len(ranges) + 1)
    frames = []
    for i, ((lo, hi), inputs) in enumerate(zip(ranges, staged)):
        started = time.perf_counter()
        scored = range_scores(inputs=inputs, as_of=as_of, params=params, lo=lo, hi=hi, cuts=cuts, reasons=True)
        if scored is not None:
            frames.append(scored)
        report.append(_range_report("score", lo, hi, 1, time.perf_counter() - started, runner_name()))
        progress.update(len(ranges) + 2 + i)
    del staged
    if frames:
        result = pd.concat(frames, ignore_index=True)
    else:
        result = analytics.score_segments(analytics.empty_inputs(), as_of=as_of, params=params)
    return Scored(frame=result, customers=len(result), ranges=report)


def _range_report(phase: str, lo: int, hi: int, attempts: int, seconds: float, runner: str) -> dict:
    return {"phase": phase, "lo": lo, "hi": hi, "attempts": attempts, "seconds": round(seconds, 3),
            "runner": runner}


def _recompute_pg(*, job, progress, as_of, params, ranges, total, clock) -> Scored:
    stage_in, stage_out = stage_names(parent_id=job.pk, attempt=job.attempts)
    # Stages of an earlier attempt of this parent (its worker was lost) go.
    drop = [name for a in range(1, job.attempts + 1) for name in stage_names(parent_id=job.pk, attempt=a)]
    scored = Scored(stage=stage_out, drop=drop)
    scored.cleanup()
    _children_cancel(parent_id=job.pk, now=clock())
    sql, sql_params = selectors.segment_inputs_sql(as_of=as_of, params=params, lo=0, hi=0)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE {stage_in} AS {sql} WITH NO DATA", sql_params)
    pgwrite.stage_create(stage_out, temporary=False)
    base = {"parent": job.pk, "attempt": job.attempts, "as_of": as_of.isoformat(),
            "settings": settings_snapshot(params)}
    try:
        scored.ranges += _phase_run(job=job, progress=progress, ranges=ranges, params={**base, "phase": "inputs"},
                                    done_before=0, total=total, clock=clock)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {stage_in}")
        cuts = analytics.segment_cuts(selectors.cut_inputs_copy(table=stage_in), as_of=as_of, params=params)
        progress.update(len(ranges) + 1)
        scored.ranges += _phase_run(job=job, progress=progress, ranges=ranges,
                                    params={**base, "phase": "score", "cuts": cuts},
                                    done_before=len(ranges) + 1, total=total, clock=clock)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {stage_out}")
            scored.customers = int(cursor.fetchone()[0])
    except BaseException:
        _children_cancel(parent_id=job.pk, now=clock())
        scored.cleanup()
        raise
    return scored


def _children(parent_id: int):
    return Job.objects.filter(kind=RANGE_JOB_KIND, params__parent=parent_id)


def _children_cancel(*, parent_id: int, now: datetime) -> None:
    _children(parent_id).filter(status__in=Job.ACTIVE).update(status=Job.Status.CANCELLED, finished_at=now)


def children_delete(*, parent_id: int) -> None:
    """After a successful recompute its range jobs are told by the parent's summary."""
    _children(parent_id).delete()


def _phase_run(*, job: Job, progress: jobs.Progress, ranges: list[tuple[int, int]], params: dict,
               done_before: int, total: int, clock: Callable[[], datetime]) -> list[dict]:
    """Queue one range job per range and wait for all of them, running queued
    ones here meanwhile; retry a failed or lost range alone."""
    with transaction.atomic():  # dispatched together after the commit
        ids = [jobs.job_enqueue(kind=RANGE_JOB_KIND, params={**params, "lo": lo, "hi": hi}, actor=None,
                                now=job.started_at).pk for lo, hi in ranges]
    while True:
        rows = {pk: (status, attempts, error) for pk, status, attempts, error in
                Job.objects.filter(pk__in=ids).values_list("pk", "status", "attempts", "error")}
        done = sum(1 for status, _a, _e in rows.values() if status == Job.Status.SUCCEEDED)
        progress.update(done_before + done, total)  # raises JobCancelled after a cancel of the parent
        if done == len(ids):
            break
        for pk, (status, attempts, error) in rows.items():
            if status == Job.Status.CANCELLED:
                raise RangeFailed(f"range job {pk} was cancelled")
            if status == Job.Status.FAILED:
                if attempts >= settings.JOB_MAX_ATTEMPTS:
                    raise RangeFailed(f"range job {pk} failed {attempts} times: {error}")
                log.warning("recompute %s: range job %s failed (attempt %s), retried: %s", job.pk, pk, attempts,
                            error)
                jobs.job_requeue(job_id=pk, now=clock())
        # A range whose worker died (heartbeat stopped): the sweeper's rule, for these jobs now.
        sweeper.lost_jobs_recover(now=clock(), job_ids=ids)
        queued = None
        if settings.SEGMENT_RECOMPUTE_PARENT_RUNS_RANGES:
            queued = (Job.objects.filter(pk__in=ids, status=Job.Status.QUEUED).order_by("pk")
                      .values_list("pk", flat=True).first())
        if queued is not None:
            jobs.job_run(job_id=queued, clock=clock)
        else:
            time.sleep(POLL_SECONDS)
    finished = Job.objects.filter(pk__in=ids).order_by("pk").values_list("params", "attempts", "started_at",
                                                                         "finished_at", "summary")
    return [_range_report(p["phase"], p["lo"], p["hi"], attempts, (end - start).total_seconds(),
                          summary.get("runner", ""))
            for p, attempts, start, end, summary in finished]
