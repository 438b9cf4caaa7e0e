"""Celery wrappers: call one service (safe to run twice)."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from xsell import services


@shared_task(name="xsell.affinities_mine_nightly")
def affinities_mine_nightly_task() -> str:
    """Nightly: what each team's customers bought together, as of today."""
    return services.affinities_mine(as_of=timezone.localdate(), now=timezone.now(), clock=timezone.now).status
