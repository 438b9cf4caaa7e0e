"""Customers and contacts written around the services (imports' COPY path, the demo
loader) are announced in one event, set-based, instead of one event per row.

``bulk_written_emit`` sends ``crm.bulk_written`` through core.events with
``{"entity": "customers" | "contacts", "created": [ids], "updated": [ids]}`` inside
the writer's transaction. Its receivers refresh the phone index (crm.phone_index)
and the sender index (integrations) for those rows only, and the webhooks turn it
into ``customer.created`` / ``customer.updated`` deliveries of up to 1,000
customers each (README, "Channels"), so 100,000 imported customers make 100
requests, not 100,000."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.events import event_emit

BULK_WRITTEN = "crm.bulk_written"
ENTITIES = ("customers", "contacts")


def bulk_written_emit(*, entity: str, created: Iterable[int], updated: Iterable[int] = (), now: dt.datetime) -> None:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    created, updated = sorted({int(i) for i in created}), sorted({int(i) for i in updated})
    if created or updated:
        event_emit(BULK_WRITTEN, {"entity": entity, "created": created, "updated": updated}, now=now)
