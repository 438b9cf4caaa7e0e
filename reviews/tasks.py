"""Celery wrappers: read the clock, call one idempotent service."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reviews import services


@shared_task(name="reviews.metric_snapshots_rebuild")
def metric_snapshots_rebuild() -> int:
    now = timezone.now()
    return services.metric_snapshots_rebuild(as_of=timezone.localtime(now).date(), now=now)


@shared_task(name="reviews.monthly_drafts_create")
def monthly_drafts_create() -> list[int]:
    """The month's drafts and, at a quarter's start, the quarter's (each once per team)."""
    now = timezone.now()
    return services.review_monthly_drafts_create(now=now) + services.review_quarterly_drafts_create(now=now)


@shared_task(name="reviews.action_reminders_send")
def action_reminders_send() -> int:
    return services.review_action_reminders_send(now=timezone.now())


@shared_task(name="reviews.review_actuals_refresh")
def review_actuals_refresh(review_id: int) -> bool:
    from reviews.models import Review

    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        return False
    services.review_actuals_refresh(review=review, now=timezone.now())
    return True
