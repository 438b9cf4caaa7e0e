"""Celery wrappers: read the clock once, call one idempotent service."""
from celery import shared_task
from django.utils import timezone

from tickets import services


@shared_task(name="tickets.sla_breach_scan")
def sla_breach_scan() -> dict:
    return services.sla_breach_scan(now=timezone.now())


@shared_task(name="tickets.weekly_ticket_report")
def weekly_ticket_report() -> dict:
    return services.weekly_ticket_report(now=timezone.now())
