"""The job mechanism: enqueue after commit, claim once, progress and heartbeat,
cancel, failure, the scope of the jobs API and the progress partial."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import Client

from core import jobs
from core.models import Job

pytestmark = pytest.mark.django_db

RUNS: list[int] = []


@jobs.job_handler("test.count")
def _count(*, job, progress) -> dict:
    RUNS.append(job.pk)
    total = job.params.get("total", 3)
    for i in range(total):
        progress.update(i + 1, total)
    return {"counted": total}


@jobs.job_handler("test.boom")
def _boom(*, job, progress) -> dict:
    raise RuntimeError("disk full")


@jobs.job_handler("test.cancelled_midway")
def _cancelled_midway(*, job, progress) -> dict:
    from crm.models import Team

    jobs.job_cancel(job=Job.objects.get(pk=job.pk), actor=None, now=job.started_at)  # someone cancels meanwhile
    with transaction.atomic():
        Team.objects.create(name="written before the check")
        progress.check()
    return {}


@pytest.fixture(autouse=True)
def _runs():
    RUNS.clear()


def clock(now):
    return lambda: now


def test_enqueue_creates_a_queued_row_and_sends_the_runner_by_name_after_commit(alice, now, monkeypatch,
                                                                               django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("core.broker.current_app.send_task", lambda name, args, kwargs: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.job_enqueue(kind="test.count", params={"total": 2}, actor=alice, now=now)
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [("core.tasks.job_run", [job.pk])]
    job.refresh_from_db()
    assert job.status == "queued" and job.created_by == alice and job.dispatched_at == now
    assert job.dispatch_count == 1


def test_enqueue_refuses_an_unknown_kind(alice, now):
    with pytest.raises(ValueError):
        jobs.job_enqueue(kind="test.nobody", params={}, actor=alice, now=now)
    assert not Job.objects.exists()


def test_a_job_runs_once_even_when_its_message_is_delivered_twice(alice, now):
    job = jobs.job_enqueue(kind="test.count", params={"total": 3}, actor=alice, now=now)
    first = jobs.job_run(job_id=job.pk, clock=clock(now))
    second = jobs.job_run(job_id=job.pk, clock=clock(now))
    assert RUNS == [job.pk] and second is None
    assert first.status == "succeeded" and first.summary == {"counted": 3} and first.attempts == 1
    assert (first.progress_done, first.progress_total) == (3, 3)
    assert first.started_at == now and first.finished_at == now


def test_progress_writes_the_heartbeat_and_is_throttled(alice, now, django_assert_num_queries):
    job = jobs.job_enqueue(kind="test.count", params={}, actor=alice, now=now)
    job = jobs.job_claim(job_id=job.pk, now=now)
    later = now + dt.timedelta(seconds=30)
    progress = jobs.Progress(job, clock=clock(later))
    with django_assert_num_queries(1):
        progress.update(1, 1000)  # first update writes
        for done in range(2, 500):
            progress.update(done)  # within the second: no write
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.heartbeat_at) == (1, 1000, later)
    with django_assert_num_queries(1):
        progress.update(1000)  # the last step always writes
    job.refresh_from_db()
    assert job.progress_done == 1000


def test_a_failing_handler_marks_the_job_failed_with_its_error(alice, now):
    job = jobs.job_enqueue(kind="test.boom", params={}, actor=alice, now=now)
    job = jobs.job_run(job_id=job.pk, clock=clock(now))
    assert job.status == "failed" and "disk full" in job.error and job.finished_at == now


def test_a_cancelled_queued_job_never_starts(alice, now):
    job = jobs.job_enqueue(kind="test.count", params={}, actor=alice, now=now)
    jobs.job_cancel(job=job, actor=alice, now=now)
    assert jobs.job_run(job_id=job.pk, clock=clock(now)) is None
    assert RUNS == [] and Job.objects.get(pk=job.pk).status == "cancelled"


def test_a_running_job_cancelled_midway_writes_nothing(alice, now):
    from crm.models import Team

    job = jobs.job_enqueue(kind="test.cancelled_midway", params={}, actor=alice, now=now)
    job = jobs.job_run(job_id=job.pk, clock=clock(now))
    assert job.status == "cancelled"
    assert not Team.objects.filter(name="written before the check").exists()


def test_a_finished_job_cannot_be_cancelled(alice, now):
    job = jobs.job_enqueue(kind="test.count", params={}, actor=alice, now=now)
    jobs.job_run(job_id=job.pk, clock=clock(now))
    with pytest.raises(jobs.JobNotCancellable):
        jobs.job_cancel(job=job, actor=alice, now=now)


def test_run_now_records_the_job_and_reraises_a_failure(now):
    job = jobs.job_run_now(kind="test.count", params={"total": 2}, actor=None, now=now)
    assert job.status == "succeeded" and job.summary == {"counted": 2} and job.created_by is None
    with pytest.raises(RuntimeError):
        jobs.job_run_now(kind="test.boom", params={}, actor=None, now=now)
    assert Job.objects.get(kind="test.boom").status == "failed"


# ---------------------------------------------------------------- API and pages

def test_the_jobs_api_shows_a_job_to_its_creator_their_lead_and_admins_only(alice, bob, lena, charlie, ada, now,
                                                                           api_client_for):
    job = jobs.job_enqueue(kind="test.count", params={"total": 2}, actor=alice, now=now)
    jobs.job_run(job_id=job.pk, clock=clock(now))
    body = api_client_for(alice).get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["status"] == "succeeded" and body["progress"] == {"done": 2, "total": 2}
    assert body["summary"] == {"counted": 2} and body["created_by"] == "alice" and body["kind"] == "test.count"
    assert api_client_for(lena).get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert api_client_for(ada).get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    # Charlie (another team) and bob (a peer, not a lead) get a 404, as for a job that does not exist.
    assert api_client_for(charlie).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert api_client_for(bob).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert api_client_for(alice).get("/api/v1/jobs/999999/").status_code == 404


def test_cancel_through_the_api_is_scoped_and_refuses_an_ended_job(alice, charlie, now, api_client_for):
    job = jobs.job_enqueue(kind="test.count", params={}, actor=alice, now=now)
    assert api_client_for(charlie).post(f"/api/v1/jobs/{job.pk}/cancel/").status_code == 404
    assert Job.objects.get(pk=job.pk).status == "queued"
    response = api_client_for(alice).post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = api_client_for(alice).post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert again.status_code == 409 and again.json()["status"] == "cancelled"


def test_the_jobs_endpoints_are_in_the_api_schema(ada, api_client_for):
    schema = api_client_for(ada).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "get" in schema["paths"]["/api/v1/jobs/{id}/"]
    assert "post" in schema["paths"]["/api/v1/jobs/{id}/cancel/"]


def _page(user, lang="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


def test_the_progress_partial_polls_while_running_and_stops_when_done(alice, charlie, now):
    job = jobs.job_enqueue(kind="test.count", params={"total": 4}, actor=alice, now=now)
    jobs.job_claim(job_id=job.pk, now=now)
    Job.objects.filter(pk=job.pk).update(progress_done=1, progress_total=4)
    html = _page(alice).get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in html.content.decode() and 'value="25"' in html.content.decode()
    assert "1 / 4" in html.content.decode() and "HX-Trigger" not in html.headers

    Job.objects.filter(pk=job.pk).update(status="failed", error="RuntimeError('disk full')")
    done = _page(alice, "zh-hans").get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    text = done.content.decode()
    assert "hx-trigger" not in text and "失败" in text and "disk full" in text
    assert "jobFinished" in done.headers["HX-Trigger"]
    assert _page(charlie).get(f"/jobs/{job.pk}/progress/").status_code == 404


@jobs.job_handler("test.long_transaction")
def _long_transaction(*, job, progress) -> dict:
    import threading

    from crm.models import Team

    seen = {}

    def look():
        seen["done"] = Job.objects.get(pk=job.pk).progress_done
        connection.close()

    with transaction.atomic():
        Team.objects.create(name="inside the handler's transaction")
        progress.update(5, 10)
        reader = threading.Thread(target=look)
        reader.start()
        reader.join(timeout=20)
    return seen


@pytest.mark.django_db(transaction=True)
def test_progress_inside_the_handlers_open_transaction_is_visible_to_others_on_postgresql(alice, now):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: there progress joins the open transaction")
    job = jobs.job_enqueue(kind="test.long_transaction", params={}, actor=alice, now=now)
    job = jobs.job_run(job_id=job.pk, clock=clock(now))
    assert job.status == "succeeded" and job.summary == {"done": 5}
