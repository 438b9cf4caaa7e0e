"""Celery wrappers: call one service (safe to run twice). A requested recompute runs
as a core job (``core.tasks.job_run``)."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="feedback.themes_nightly")
def themes_nightly_task() -> list[str]:
    """Nightly: this month's feedback themes to date (and last month's on the 1st and 2nd)."""
    from feedback.services import themes_recompute_nightly

    return themes_recompute_nightly(today=timezone.localdate(), now=timezone.now())
