"""Celery wrappers: take ids, call one service (each safe to run twice)."""
from celery import shared_task
from django.utils import timezone

from integrations import services


@shared_task(name="integrations.mailboxes_poll")
def mailboxes_poll() -> dict:
    return {str(k): v for k, v in services.mailboxes_poll(now=timezone.now()).items()}


@shared_task(name="integrations.webhook_delivery_send")
def webhook_delivery_send(delivery_uuid: str) -> bool:
    return services.webhook_delivery_send(delivery_uuid=delivery_uuid, now=timezone.now()) is not None


@shared_task(name="integrations.webhook_deliveries_due_send")
def webhook_deliveries_due_send() -> int:
    return services.webhook_deliveries_due_send(now=timezone.now())


@shared_task(name="integrations.sender_index_rebuild")
def sender_index_rebuild() -> int:
    return services.sender_index_rebuild()
