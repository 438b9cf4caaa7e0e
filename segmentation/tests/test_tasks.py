"""The recompute through a real Celery worker, and the thin task wrappers."""
from __future__ import annotations

import pytest

from conftest import run_at_once, wait_until
from core.models import Job
from core.tasks import job_run
from segmentation import services
from segmentation.models import CustomerSegment
from segmentation.tests.factories import AS_OF, buy, customer_since, talk


@pytest.mark.django_db(transaction=True)
def test_a_recompute_requested_by_a_lead_runs_on_a_real_worker(celery_worker_real, lena, alice, make_customer,
                                                                api_client_for):
    quiet = customer_since(make_customer, owner=alice, name="Quiet", days=300)
    talk(quiet, days=120)
    busy = customer_since(make_customer, owner=alice, name="Busy", days=30)
    buy(busy, days=1)

    response = api_client_for(lena).post("/api/v1/segments/recompute/", {"as_of": AS_OF.isoformat()},
                                         format="json")
    assert response.status_code == 202
    job_id = response.json()["job_id"]

    assert wait_until(lambda: Job.objects.get(pk=job_id).status in ("succeeded", "failed"))
    job = Job.objects.get(pk=job_id)
    assert job.status == "succeeded", job.error
    assert job.summary["customers"] == 2 and job.summary["tier"] == {"churn_risk": 1, "new": 1}
    assert job.progress_done == job.progress_total and job.heartbeat_at is not None
    assert CustomerSegment.objects.get(customer=quiet).tier == "churn_risk"
    body = api_client_for(lena).get(f"/api/v1/jobs/{job_id}/").json()
    assert body["status"] == "succeeded"


@pytest.mark.django_db
def test_the_task_is_safe_to_run_twice(lena, alice, make_customer, now):
    customer_since(make_customer, owner=alice, name="C", days=300)
    job = services.recompute_request(actor=lena, as_of=AS_OF, now=now)
    assert job_run(job.pk) == "succeeded"
    assert job_run(job.pk) == "skipped"
    assert job_run(987654) == "skipped"
    assert CustomerSegment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recomputes_both_finish_with_one_history_row_per_customer(alice, make_customer, now):
    from segmentation import services
    from segmentation.models import SegmentHistory

    for i in range(30):
        c = customer_since(make_customer, owner=alice, name=f"C{i}", days=100 + i)
        buy(c, days=i + 1, amount=100 * (i + 1))
    run_at_once(lambda: services.segments_recompute(as_of=AS_OF, now=now))

    assert list(Job.objects.values_list("status", flat=True)) == ["succeeded", "succeeded"]
    assert CustomerSegment.objects.count() == 30
    assert SegmentHistory.objects.filter(as_of=AS_OF).count() == 30
