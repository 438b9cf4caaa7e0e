"""Writes of the segmentation app: the set-wise recompute, recompute requests,
the settings page and the one-click contact from the follow-up queue."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime, timedelta

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from core import access, jobs
from core.events import event_emit
from core.models import Job
from core.services import row_save
from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.models import Customer, Interaction
from segmentation import analytics, fanout, pgwrite, selectors
from segmentation.models import RECOMPUTE_JOB_KIND, CustomerSegment, SegmentHistory, SegmentSettings

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key: one recompute writes at a time.
RECOMPUTE_LOCK_KEY = 7_301_001
_LOCAL_WRITE_LOCK = threading.Lock()
CHUNK_IDS = 250_000  # customer ids per aggregation query of segments_score (bounds the rows in flight)

SEGMENT_COLUMNS = [
    "customer_id", "as_of", "tier", "tier_reason", "r_days", "f_count", "m_amount", "r_score", "f_score", "m_score",
    "rfm_segment", "value_tier", "membership_level", "membership_points", "health_score", "health_recency",
    "health_frequency_trend", "health_collection", "health_satisfaction", "health_complaints", "health_contact",
    "last_contact_on", "next_contact_due", "days_overdue", "queue_weight", "computed_at",
]
HISTORY_COLUMNS = ["customer_id", "as_of", "tier", "value_tier", "health_score", "rfm_segment"]
_NULLABLE_INTS = ["r_days", "r_score", "f_score", "m_score", "health_recency", "health_frequency_trend",
                  "health_collection", "health_satisfaction", "health_complaints", "health_contact"]


# ---------------------------------------------------------------- recompute

def recompute_request(*, actor, as_of: date, now: datetime) -> Job:
    """Queue a recompute for ``as_of`` (team lead or admin) as a core job."""
    if not access.can_manage_segments(actor):
        raise PermissionDenied("Only a team lead or an admin may recompute segments.")
    return jobs.job_enqueue(kind=RECOMPUTE_JOB_KIND, params={"as_of": as_of.isoformat()}, actor=actor, now=now)


def segments_recompute(*, as_of: date, now: datetime, chunk_ids: int | None = None,
                       clock: Callable[[], datetime] | None = None) -> Job:
    """Recompute here and now (the nightly schedule, the demo, benchmarks): the same
    job row and summary as a queued recompute; re-raises a failure after recording it.
    ``chunk_ids``: customer ids per range (default ``SEGMENT_RECOMPUTE_RANGE_IDS``);
    the ranges are queued for every worker and this process runs those still
    queued. ``clock`` times the end (default: ``now``)."""
    params = {"as_of": as_of.isoformat()}
    if chunk_ids:
        params["chunk_ids"] = chunk_ids
    return jobs.job_run_now(kind=RECOMPUTE_JOB_KIND, params=params, actor=None, now=now, clock=clock)


@jobs.job_handler(RECOMPUTE_JOB_KIND, idempotent=True)
def recompute_job_run(*, job: Job, progress: jobs.Progress) -> dict:
    """Recompute every customer's segment at the job's ``as_of`` as one set.

    Aggregates in SQL by customer-id range and scores each range with cut points
    computed once over every customer, the ranges fanned out as jobs over the
    Celery workers (``segmentation.fanout``); then writes in bulk inside one
    short transaction so readers see the old result or the new one, never a mix
    (a worker killed mid-write leaves the old one). Idempotent (hence safe to
    retry after a lost worker): the same as_of twice gives the same rows and one
    history row per customer. Two recomputes of the same as_of never interleave
    (a per-as_of lock held for the whole run); concurrent recomputes never write
    at the same time: an advisory lock (PostgreSQL) or the database write lock
    (SQLite) serialises them. The current table only moves forward: an older
    as_of (a replay) writes history only."""
    # SQLite (the embedded mode): one recompute at a time within a process, reads
    # included, since its shared-cache table locks do not wait; across processes
    # its database write lock serialises the writes. PostgreSQL: an advisory lock
    # inside _write serialises the writers only.
    with _LOCAL_WRITE_LOCK if connection.vendor != "postgresql" else nullcontext():
        return _recompute(job=job, progress=progress)


def _recompute(*, job: Job, progress: jobs.Progress) -> dict:
    as_of = date.fromisoformat(job.params["as_of"])
    range_ids = int(job.params.get("chunk_ids") or fanout.range_ids_setting())
    now = job.started_at
    with fanout.recompute_lock(as_of=as_of, progress=progress):
        scored = None
        try:
            scored = fanout.recompute_ranges(job=job, progress=progress, as_of=as_of, range_ids=range_ids,
                                             clock=progress.wall_clock)
            with transaction.atomic():
                counts = _write(scored, as_of=as_of, now=now)
                # Last cancel check before the commit: a cancel up to here writes nothing.
                progress.update(progress.job.progress_total)
        finally:
            if scored is not None:
                scored.cleanup()
            # The range jobs are told by this job's summary (or its error).
            fanout.children_delete(parent_id=job.pk)
    return {"as_of": as_of.isoformat(), "customers": scored.customers, **counts, "ranges": scored.ranges}


def segments_score(*, as_of: date, frames: list[pd.DataFrame] | None = None, chunk_ids: int = CHUNK_IDS,
                   reasons: bool = True) -> pd.DataFrame:
    """Inputs from SQL by id range (or the ``frames`` already read), joined with
    tickets and surveys, scored."""
    params = selectors.segment_settings_get()
    if frames is None:
        lo, hi = selectors.customer_id_bounds()
        frames = [selectors.segment_inputs(as_of=as_of, params=params, lo=start, hi=min(start + chunk_ids, hi))
                  for start in range(lo, hi, chunk_ids)]
    inputs = pd.concat(frames, ignore_index=True) if frames else analytics.empty_inputs()
    del frames
    inputs = analytics.combine_inputs(inputs, selectors.ticket_rows(as_of=as_of), selectors.survey_rows(as_of=as_of))
    return analytics.score_segments(inputs, as_of=as_of, params=params, reasons=reasons)


def _write(scored: fanout.Scored, *, as_of: date, now: datetime) -> dict:
    """Caller holds a transaction. Returns the job's counts."""
    params = selectors.segment_settings_get()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RECOMPUTE_LOCK_KEY])
    current_as_of = CustomerSegment.objects.aggregate(m=Max("as_of"))["m"]
    replace_current = current_as_of is None or as_of >= current_as_of
    if scored.stage:
        stage = scored.stage
        changed = pgwrite.changed_tiers(as_of=as_of, now=now, params=params, stage=stage)
        if replace_current:
            pgwrite.current_swap(as_of=as_of, now=now, params=params, stage=stage)
        _write_history(None, as_of=as_of, now=now, params=params, stage=stage)
        counts = pgwrite.stage_counts(stage=stage)
    else:
        result = scored.frame
        frame = _prepare(result, as_of=as_of, now=now, params=params)
        changed = _write_orm(frame, replace_current=replace_current)
        _write_history(frame, as_of=as_of, now=now, params=params)
        counts = {key: {str(k): int(v) for k, v in result[key].value_counts().items() if v}
                  for key in ("tier", "value_tier")}
    if changed:  # webhooks (batched by the receiver: at most 1,000 customers per delivery)
        event_emit("segment.changed", {"as_of": as_of.isoformat(), "customers": [
            {"customer": cid, "previous_tier": old, "tier": new} for cid, old, new in changed]}, now=now)
    return {
        **counts,
        "tier_changed": len(changed),
        "current_replaced": replace_current,
    }


def _prepare(result: pd.DataFrame, *, as_of: date, now: datetime, params) -> pd.DataFrame:
    frame = result.copy()
    if "tier_reason" not in frame:
        frame["tier_reason"] = analytics.reason_codes(frame, params=params)
    frame["as_of"] = as_of
    frame["computed_at"] = now
    for c in _NULLABLE_INTS:
        frame[c] = frame[c].round().astype("Int64")
    for c in ("last_contact_on", "next_contact_due"):
        frame[c] = pd.to_datetime(frame[c]).dt.date
    return frame[SEGMENT_COLUMNS]


def _write_history(frame: pd.DataFrame | None, *, as_of: date, now: datetime, params,
                   stage: str | None = None) -> None:
    """History rows for ``as_of`` (upsert: a second run leaves one row per customer),
    from the scores ``stage`` table on PostgreSQL, else from ``frame``."""
    if stage:
        pgwrite.history_write(as_of=as_of, now=now, params=params, stage=stage)
        return
    rows = frame[HISTORY_COLUMNS].to_dict("records")
    for start in range(0, len(rows), 1000):
        SegmentHistory.objects.bulk_create(
            [SegmentHistory(**r) for r in rows[start:start + 1000]], update_conflicts=True,
            unique_fields=["customer", "as_of"], update_fields=["tier", "value_tier", "health_score", "rfm_segment"])


def _write_orm(frame: pd.DataFrame, *, replace_current: bool) -> list[tuple[int, str, str]]:
    previous = dict(CustomerSegment.objects.values_list("customer_id", "tier"))
    changed = [(cid, previous[cid], tier) for cid, tier in zip(frame["customer_id"].tolist(), frame["tier"].tolist())
               if cid in previous and previous[cid] != tier]
    if replace_current:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        update_fields = [c for c in SEGMENT_COLUMNS if c != "customer_id"]
        for start in range(0, len(records), 1000):
            CustomerSegment.objects.bulk_create(
                [CustomerSegment(**r) for r in records[start:start + 1000]], update_conflicts=True,
                unique_fields=["customer"], update_fields=update_fields)
        # The queue's copies of the owner and team (pgwrite joins the customer instead).
        customer = Customer.objects.filter(pk=OuterRef("customer_id"))
        CustomerSegment.objects.update(owner_id=Subquery(customer.values("owner_id")[:1]),
                                       team_id=Subquery(customer.values("team_id")[:1]))
    return changed


# ---------------------------------------------------------------- settings

def segment_settings_update(*, actor, data: dict, now: datetime) -> SegmentSettings:
    """Save the thresholds (team lead or admin); validated as a whole."""
    if not access.can_manage_segments(actor):
        raise PermissionDenied("Only a team lead or an admin may change segment settings.")
    with transaction.atomic():
        obj, _created = SegmentSettings.objects.select_for_update().get_or_create(pk=1)
        for field, value in data.items():
            setattr(obj, field, value)
        obj.updated_at = now
        obj.updated_by = actor
        obj.full_clean()
        row_save(obj, fields=[*data, "updated_at", "updated_by"])
    return obj


# ---------------------------------------------------------------- one-click contact

def queue_contact_log(*, actor, customer_id: int, channel: str, summary: str, now: datetime) -> Interaction:
    """Log the interaction that clears a queue item: it closes the customer's open
    follow-ups (crm.services.interaction_log) and moves the cadence due date on."""
    customer = crm_selectors.customer_editable_for_user(user=actor, pk=customer_id)
    with transaction.atomic():
        interaction = crm_services.interaction_log(actor=actor, customer=customer, data={
            "occurred_at": now, "channel": channel, "summary": summary})
        segment_contact_logged(customer=customer, day=timezone.localdate(now))
    return interaction


def segment_contact_logged(*, customer: Customer, day: date) -> None:
    """Move one customer's next contact due after a contact on ``day`` (the tier
    stays until the next recompute)."""
    seg = CustomerSegment.objects.select_for_update().filter(customer=customer).first()
    if seg is None or (seg.last_contact_on and seg.last_contact_on >= day):
        return
    params = selectors.segment_settings_get()
    since = selectors.customer_since_get(customer=customer)
    interval = analytics.cadence_interval_days(tier=seg.tier, age_days=(day - since).days, params=params)
    seg.last_contact_on = day
    seg.next_contact_due = day + timedelta(days=interval)
    seg.days_overdue = 0
    seg.queue_weight = 0
    seg.save(update_fields=["last_contact_on", "next_contact_due", "days_overdue", "queue_weight"])
