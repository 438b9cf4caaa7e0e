"""The Celery settings that keep work from being lost or run twice."""
from config.celery_app import app


def test_tasks_are_acknowledged_late_requeued_if_their_worker_dies_and_reserved_one_at_a_time():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_publishing_gives_up_quickly_when_the_broker_is_down():
    assert app.conf.broker_connection_timeout <= 5
    assert app.conf.task_publish_retry_policy["max_retries"] <= 3


def test_the_job_and_outbox_sweepers_run_every_minute_from_the_one_schedule():
    app.loader.import_default_modules()  # the tasks modules, as a worker loads them
    schedule = app.conf.beat_schedule
    assert schedule["core-jobs-sweep"]["task"] == "core.tasks.jobs_sweep"
    assert schedule["core-outbox-sweep"]["task"] == "core.tasks.outbox_sweep"
    for name in ("core-jobs-sweep", "core-outbox-sweep"):
        assert schedule[name]["task"] in app.tasks
        assert schedule[name]["schedule"].minute == set(range(60))
