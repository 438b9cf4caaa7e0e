"""Celery wrappers of crm services (thin; scheduled in config/celery_app.py)."""
from celery import shared_task
from django.utils import timezone


@shared_task(name="crm.import_files_sweep")
def import_files_sweep() -> int:
    from crm.importing.storage import import_files_sweep as sweep

    return sweep(now=timezone.now())


@shared_task(name="crm.phone_index_rebuild")
def phone_index_rebuild() -> int:
    from crm.phone_index import phone_index_rebuild as rebuild

    return rebuild()
