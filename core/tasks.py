"""Celery wrappers of core: take ids, call one service, read the clock once."""
from celery import shared_task
from django.utils import timezone

from core import jobs, outbox, sweeper


@shared_task(name=jobs.RUN_TASK)
def job_run(job_id: int) -> str:
    """Run one queued job (a redelivered or re-sent message finds it claimed and returns)."""
    job = jobs.job_run(job_id=job_id, clock=timezone.now)
    return job.status if job else "skipped"


@shared_task(name="core.tasks.jobs_sweep")
def jobs_sweep() -> dict:
    """Beat: re-send jobs the broker never got; fail or retry jobs whose worker died."""
    return sweeper.jobs_sweep(now=timezone.now())


@shared_task(name=outbox.SEND_TASK)
def outbound_email_send(email_id: int) -> bool:
    return outbox.outbound_email_send(email_id=email_id, now=timezone.now())


@shared_task(name=outbox.SMS_SEND_TASK)
def outbound_sms_send(sms_id: int) -> bool:
    return outbox.outbound_sms_send(sms_id=sms_id, now=timezone.now())


@shared_task(name="core.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Beat: send the e-mails and text messages whose first send or retry is due."""
    return outbox.outbox_sweep(now=timezone.now())
