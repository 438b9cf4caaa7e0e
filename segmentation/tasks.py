"""Celery wrappers: take ids, call one service (safe to run twice). A requested
recompute runs as a core job (``core.tasks.job_run``)."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from segmentation import services


@shared_task(name="segmentation.recompute_nightly")
def segments_recompute_nightly_task() -> str:
    """Nightly: today's segments for every customer."""
    return services.segments_recompute(as_of=timezone.localdate(), now=timezone.now(), clock=timezone.now).status


@shared_task(name="segmentation.followup_digests")
def followup_digests_task() -> int:
    """Morning digest of overdue follow-ups (once per user and day)."""
    from segmentation.digest import followup_digests_send

    return followup_digests_send(today=timezone.localdate(), now=timezone.now())


@shared_task(name="segmentation.churn_train_nightly")
def churn_train_nightly_task() -> str:
    """Nightly: retrain the churn model at today and rescore every customer."""
    from segmentation.churn import services as churn_services

    return churn_services.churn_train(as_of=timezone.localdate(), now=timezone.now(), clock=timezone.now).status
