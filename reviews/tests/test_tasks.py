"""Tasks through a real Celery worker (celery_worker_real: transactional db)."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import wait_until
from reviews.models import Review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_monthly_drafts_task_runs_on_a_real_worker_once_per_team(celery_worker_real, north, south):
    from reviews.tasks import monthly_drafts_create

    monthly_drafts_create.delay()
    assert wait_until(lambda: Review.objects.filter(auto_month__isnull=False).count() == 2)
    # A second run (as after a redelivery) drafts nothing more: the refresh task
    # queued after it proves the worker has finished it.
    monthly_drafts_create.delay()
    made: list[Review] = []

    def make_marker() -> bool:
        # The worker may still be writing the reviews table (the second run): on the
        # embedded SQLite that insert fails with "table is locked" and is tried again.
        made.append(Review.objects.create(title="marker", period_start=dt.date(2026, 1, 1),
                                          period_end=dt.date(2026, 1, 31), team=north,
                                          created_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
        return True

    assert wait_until(make_marker)
    marker = made[-1]
    from reviews.tasks import review_actuals_refresh

    review_actuals_refresh.delay(marker.pk)
    assert wait_until(lambda: Review.objects.get(pk=marker.pk).actuals_computed_at is not None)
    assert Review.objects.filter(auto_month__isnull=False).count() == 2
    draft = Review.objects.get(team=north, auto_month__isnull=False)
    assert draft.actuals_computed_at is not None and draft.metric_rows.exists()


def test_refresh_task_recomputes_actuals_on_a_real_worker(celery_worker_real, lena, now):
    from reviews.tasks import review_actuals_refresh

    review = Review.objects.create(title="x", period_start=dt.date(2026, 5, 1), period_end=dt.date(2026, 5, 31),
                                   team=lena.team, created_at=now)
    review_actuals_refresh.delay(review.pk)
    assert wait_until(lambda: Review.objects.get(pk=review.pk).actuals_computed_at is not None)
