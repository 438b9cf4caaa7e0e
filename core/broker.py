"""Sending a Celery task by name without letting a broker outage reach the caller."""
from __future__ import annotations

import logging

from celery import current_app

log = logging.getLogger(__name__)


def task_send(name: str, *, args: list | None = None, kwargs: dict | None = None) -> bool:
    """Send task ``name``; True when the broker accepted it, False (logged) when not.

    Called after a commit: the write already stands, so any failure to publish
    (Redis down, a refused connection, a timeout, kombu's OperationalError …) is
    logged and left to a sweeper that re-sends from the database rows. Catching
    every exception is deliberate: the broker client's error classes differ per
    transport and version, and none of them may become a server error."""
    try:
        current_app.send_task(name, args=args or [], kwargs=kwargs or {})
    except Exception:
        log.warning("could not send task %s %s; a sweeper will send it later", name, args or kwargs,
                    exc_info=True)
        return False
    return True
