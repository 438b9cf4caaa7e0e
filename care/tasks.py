"""Celery wrappers: call one service (safe to run twice)."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from care import services


@shared_task(name="care.tasks_nightly")
def care_tasks_nightly_task() -> int:
    """Nightly, after the segments (membership levels) are recomputed: the default
    holiday calendar for this and next year when empty, then today's care tasks."""
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        services.holiday_defaults_ensure(year=year)
    return services.care_tasks_generate(as_of=today, now=timezone.now())
