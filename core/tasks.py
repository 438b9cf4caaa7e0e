from celery import shared_task
from django.utils import timezone

from core import services


@shared_task(name="core.tasks.notification_email_send")
def notification_email_send(notification_id: int) -> bool:
    return services.notification_email_send(notification_id=notification_id, now=timezone.now())
