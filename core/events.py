"""The one way an app announces a change to the rest of the project.

Owning apps' services call :func:`event_emit` inside their transaction, right
after the write; receivers (registered by other apps' ``AppConfig.ready``, e.g.
the integrations app turning events into webhook deliveries) run in that same
transaction, so whatever they write is rolled back with the change. Receivers
must not do I/O: anything that leaves the process is queued on commit.

This registry exists so that crm, tickets, surveys, reviews and segmentation
need not import the app that listens (which imports them): no import circle.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

Receiver = Callable[..., None]
_RECEIVERS: list[Receiver] = []


def event_receiver_register(receiver: Receiver) -> None:
    """Idempotent (``ready()`` may run more than once in tests)."""
    if receiver not in _RECEIVERS:
        _RECEIVERS.append(receiver)


def event_emit(event: str, obj: Any, *, now: dt.datetime | None = None) -> None:
    """``obj`` is a model instance or a JSON-ready dict. ``now`` is the time of the
    change; services that do not take a clock leave it out and the time of the call is used."""
    if not _RECEIVERS:
        return
    if now is None:
        from django.utils import timezone

        now = timezone.now()
    for receiver in list(_RECEIVERS):
        receiver(event=event, obj=obj, now=now)
