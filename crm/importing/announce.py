"""After an import's write, in its transaction: which customers, contacts or
transactions it wrote, announced once (crm.bulk.bulk_written_emit), so the phone and sender
indexes and the webhooks follow an import as they follow the services.

Read back set-based from the stage and the database, without the writer's help:
an update's id is in the stage; a created customer has the stage's creation time
(``created_at`` is the import's ``now`` for every row it creates, to the
microsecond); a created contact belongs to one of the stage's customers and was
created from that time on."""
from __future__ import annotations

import pandas as pd
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.bulk import ENTITIES, bulk_written_emit
from crm.importing import engine
from crm.importing.specs import ENTITY_MODELS


def _stage_keys(stage: engine.Stage) -> tuple[list[int], set[str], set[str], set[int]]:
    updated: list[int] = []
    created_at: set[str] = set()
    updated_at: set[str] = set()
    customers: set[int] = set()
    for frame in stage.frames:
        has_id = frame["id"].notna().to_numpy()
        updated.extend(int(v) for v in frame["id"].to_numpy(dtype=object)[has_id])
        created_at.update(str(v) for v in pd.unique(frame["created_at"].to_numpy(dtype=object)[~has_id]) if v)
        if "updated_at" in frame:
            updated_at.update(str(v) for v in pd.unique(frame["updated_at"].to_numpy(dtype=object)) if v)
        if stage.entity in ("contacts", "transactions"):
            customers.update(int(v) for v in pd.unique(frame["customer_id"].to_numpy(dtype=object)) if v)
    return updated, created_at, updated_at, customers


def _times(stamps: set[str]) -> list:
    return sorted(t for t in (parse_datetime(s) for s in stamps) if t is not None)


def stage_written_announce(*, stage: engine.Stage) -> None:
    """Call once, right after ``stage`` is written (same transaction)."""
    if stage.entity not in ENTITIES or not stage.frames:
        return
    model = ENTITY_MODELS[stage.entity]
    updated, created_at, updated_at, customers = _stage_keys(stage)
    times = _times(created_at)
    created: list[int] = []
    if times:
        if stage.entity in ("contacts", "transactions"):
            # bulk_create stamps a contact's or a transaction's created_at with the clock (auto_now_add),
            # so: the stage's customers' rows from the import's now on (one added by hand meanwhile is
            # announced too: harmless, the receivers' work is idempotent and neither has a webhook event).
            qs = model.objects.filter(customer_id__in=engine.values_in(sorted(customers)), created_at__gte=times[0])
            if updated:
                qs = qs.exclude(pk__in=engine.values_in(updated))
        else:
            qs = model.objects.filter(created_at__in=times)
            if updated:
                qs = qs.exclude(pk__in=engine.values_in(updated))
        created = list(qs.order_by("pk").values_list("pk", flat=True))
    stamps = times or _times(updated_at)  # the import's now
    now = stamps[-1] if stamps else timezone.now()
    bulk_written_emit(entity=stage.entity, created=created, updated=updated, now=now)
