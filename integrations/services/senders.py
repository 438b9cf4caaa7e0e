"""Who wrote: the index from e-mail address to customer / contact.

Customer and contact e-mails are encrypted, so the index keeps a keyed hash of
each lower-cased address. It follows the crm services through core.events
(``customer.created`` / ``customer.updated`` / ``contact.saved``) and the rows
written around them (COPY imports, demo data) through ``crm.bulk_written``
(crm.bulk), set-based; :func:`sender_index_rebuild`, run nightly by beat and by
``manage.py sender_index_rebuild``, rebuilds it whole."""
from __future__ import annotations

from django.db import transaction

from core.crypto import blind_index
from crm.bulk import index_on_event, index_rows_refresh
from crm.models import Contact, Customer
from integrations.models import SenderAddress

REBUILD_CHUNK = 2000


def address_hash(address: str) -> str:
    return blind_index((address or "").strip().lower())


def _store(*, customer_id: int, contact_id: int | None, email: str) -> None:
    qs = SenderAddress.objects.filter(customer_id=customer_id, contact_id=contact_id) if contact_id else \
        SenderAddress.objects.filter(customer_id=customer_id, contact__isnull=True)
    if not (email or "").strip():
        qs.delete()
        return
    digest = address_hash(email)
    if not qs.filter(address_hash=digest).update(address_hash=digest):
        qs.delete()
        SenderAddress.objects.create(address_hash=digest, customer_id=customer_id, contact_id=contact_id)


def sender_index_refresh(*, entity: str, ids: list[int]) -> int:
    """The index rows of these customers' (or contacts') own addresses, rewritten set-based."""
    return index_rows_refresh(
        index_model=SenderAddress, entity=entity, ids=ids, field="email", rows_for=lambda cu, co, v: [
            SenderAddress(address_hash=address_hash(v), customer_id=cu, contact_id=co)] if v.strip() else [])


def sender_index_on_event(*, event: str, obj, now) -> None:
    """core.events receiver (same transaction as the customer or contact write)."""
    index_on_event(event=event, obj=obj, field="email", refresh=sender_index_refresh,
                   store=lambda customer_id, contact_id, email: _store(customer_id=customer_id,
                                                                       contact_id=contact_id, email=email))


def senders_match(*, address: str) -> list[SenderAddress]:
    """Every customer (and contact) the address belongs to."""
    return list(SenderAddress.objects.filter(address_hash=address_hash(address))
                .select_related("customer", "contact").order_by("customer_id", "contact_id"))


def sender_index_rebuild() -> int:
    """Rebuild the whole index from the (decrypted) addresses. Idempotent; one
    transaction, so the e-mail intake never sees it half-built."""
    rows = []
    for model, contact in ((Customer, False), (Contact, True)):
        qs = model.objects.exclude(email="").order_by("pk")
        fields = ("pk", "customer_id", "email") if contact else ("pk", "email")
        for values in qs.values_list(*fields).iterator(chunk_size=REBUILD_CHUNK):
            pk, email = values[0], values[-1]
            rows.append(SenderAddress(address_hash=address_hash(email), customer_id=values[1] if contact else pk,
                                      contact_id=pk if contact else None))
    with transaction.atomic():
        SenderAddress.objects.all().delete()
        SenderAddress.objects.bulk_create(rows, batch_size=REBUILD_CHUNK)
    return len(rows)
