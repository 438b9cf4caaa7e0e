"""Celery wrappers: take ids, call one idempotent service, read the clock once."""
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.broker import task_send
from surveys import services


@shared_task(name="surveys.tasks.survey_invitations_dispatch")
def survey_invitations_dispatch() -> int:
    """Beat: create what the triggers have due (each once), then queue one send per unsent invitation."""
    now = timezone.now()
    created = services.invitations_create_due(now=now)
    pending = services.invitations_send_pending(now=now)
    # Broker-safe sends: what does not reach the broker now is pending at the next beat.
    transaction.on_commit(lambda: [task_send(services.INVITATION_SEND_TASK, args=[pk]) for pk in pending])
    return created


@shared_task(name="surveys.tasks.survey_invitation_send")
def survey_invitation_send(invitation_id: int) -> bool:
    return services.invitation_send(invitation_id=invitation_id, now=timezone.now())


@shared_task(name="surveys.tasks.survey_snapshots_rebuild")
def survey_snapshots_rebuild() -> int:
    """Beat: rebuild the recent days' snapshots (delete + insert per day)."""
    return services.snapshots_rebuild_recent(now=timezone.now())

