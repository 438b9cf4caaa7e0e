"""Customers and contacts written around the services (imports' COPY path, the demo
loader) are announced in one event, set-based, instead of one event per row.

``bulk_written_emit`` sends ``crm.bulk_written`` through core.events with
``{"entity": "customers" | "contacts" | "transactions", "created": [ids], "updated": [ids]}``
inside the writer's transaction. Its receivers refresh the phone index (crm.phone_index)
and the sender index (integrations) for those customers' and contacts' rows only, the
points ledger awards referral bonuses for imported purchases (care.points_services), and the webhooks turn it
into ``customer.created`` / ``customer.updated`` deliveries of up to 1,000
customers each (README, "Channels"), so 100,000 imported customers make 100
requests, not 100,000."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from core.events import event_emit

BULK_WRITTEN = "crm.bulk_written"
ENTITIES = ("customers", "contacts", "transactions")
INDEXED_ENTITIES = ("customers", "contacts")  # the ones the phone and sender indexes hold


def bulk_written_emit(*, entity: str, created: Iterable[int], updated: Iterable[int] = (), now: dt.datetime) -> None:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    created, updated = sorted({int(i) for i in created}), sorted({int(i) for i in updated})
    if created or updated:
        event_emit(BULK_WRITTEN, {"entity": entity, "created": created, "updated": updated}, now=now)


CHUNK = 2000


def index_rows_refresh(*, index_model, entity: str, ids: list[int], field: str,
                       rows_for: Callable[[int, int | None, str], list]) -> int:
    """Rewrite the rows of an index kept per customer / contact (``index_model`` with
    ``customer`` and ``contact`` keys: the phone and the sender index) for these
    customers' (or contacts') own ``field``, set-based: per chunk one delete, one read
    (decrypting ``field``), one insert. ``rows_for(customer_id, contact_id, value)``
    builds a row's index rows. Returns the rows written."""
    from crm.models import Contact, Customer

    contact = entity == "contacts"
    model = Contact if contact else Customer
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        old = index_model.objects.filter(contact_id__in=chunk) if contact else \
            index_model.objects.filter(customer_id__in=chunk, contact__isnull=True)
        old.delete()
        values = model.objects.filter(pk__in=chunk).exclude(**{field: ""}).values_list(
            "pk", "customer_id" if contact else "id", field)
        rows = [row for pk, customer_id, value in values
                for row in rows_for(customer_id, pk if contact else None, value)]
        index_model.objects.bulk_create(rows, batch_size=CHUNK)
        written += len(rows)
    return written


def index_on_event(*, event: str, obj, field: str, store: Callable[[int, int | None, str], None],
                   refresh: Callable[..., int]) -> None:
    """The core.events rule of an index kept per customer / contact (the phone and
    the sender index), in the same transaction as the write: a customer's or a
    contact's own ``field`` is stored again by ``store(customer_id, contact_id,
    value)``; a bulk write refreshes the rows it wrote (``refresh(entity=, ids=)``)."""
    from crm.models import Contact, Customer

    if event in ("customer.created", "customer.updated") and isinstance(obj, Customer):
        store(obj.pk, None, getattr(obj, field))
    elif event == "contact.saved" and isinstance(obj, Contact):
        store(obj.customer_id, obj.pk, getattr(obj, field))
    elif event == BULK_WRITTEN and obj["entity"] in INDEXED_ENTITIES:  # imports, demo data
        refresh(entity=obj["entity"], ids=obj["created"] + obj["updated"])
