"""The phone search index (crm.models.PhoneIndex): numbers are encrypted, so a
search by a whole number or by its last four digits looks up keyed hashes.

Follows the crm services through core.events (``customer.created`` /
``customer.updated`` / ``contact.saved``, in their transaction) and the rows
written around them (COPY imports, demo data) through ``crm.bulk_written``
(crm.bulk), set-based; :func:`phone_index_rebuild`, run nightly by beat and by
``manage.py phone_index_rebuild``, rebuilds it whole (e.g. after a key rotation)."""
from __future__ import annotations

import re

from django.db import transaction

from core.crypto import blind_index
from crm.bulk import index_on_event, index_rows_refresh
from crm.models import Contact, Customer, PhoneIndex

TAIL_DIGITS = 4
WHOLE_MIN_DIGITS = 7
SEARCH_LIMIT = 1000
REBUILD_CHUNK = 2000


def _digits(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    # +86 / 0086 in front of a mainland mobile number is the same number.
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def phone_digests(phone: str) -> set[str]:
    """The hashes a stored number is found by: the whole number and its last four digits."""
    digits = _digits(phone)
    if len(digits) < TAIL_DIGITS:
        return set()
    found = {blind_index("phone-tail:" + digits[-TAIL_DIGITS:])}
    if len(digits) >= WHOLE_MIN_DIGITS:
        found.add(blind_index("phone:" + digits))
    return found


def search_digest(q: str) -> str | None:
    """The hash a search text looks up, or None when it is not a phone search
    (only digits, spaces, dashes, a leading +; four digits = the tail)."""
    if not re.fullmatch(r"\+?[\d\s\-]+", (q or "").strip()):
        return None
    digits = _digits(q)
    if len(digits) == TAIL_DIGITS:
        return blind_index("phone-tail:" + digits)
    if len(digits) >= WHOLE_MIN_DIGITS:
        return blind_index("phone:" + digits)
    return None


def customer_ids_by_phone(q: str) -> list[int]:
    """Customers whose (or whose contact's) number matches, at most ``SEARCH_LIMIT``."""
    digest = search_digest(q)
    if digest is None:
        return []
    return list(PhoneIndex.objects.filter(digest=digest).order_by("customer_id")
                .values_list("customer_id", flat=True).distinct()[:SEARCH_LIMIT])


def _store(*, customer_id: int, contact_id: int | None, phone: str) -> None:
    rows = PhoneIndex.objects.filter(customer_id=customer_id, contact_id=contact_id)
    wanted = phone_digests(phone)
    if set(rows.values_list("digest", flat=True)) == wanted:
        return
    rows.delete()
    PhoneIndex.objects.bulk_create([PhoneIndex(digest=d, customer_id=customer_id, contact_id=contact_id)
                                    for d in sorted(wanted)])


def phone_index_refresh(*, entity: str, ids: list[int]) -> int:
    """The index rows of these customers' (or contacts') own numbers, rewritten set-based."""
    return index_rows_refresh(
        index_model=PhoneIndex, entity=entity, ids=ids, field="phone", rows_for=lambda cu, co, v: [
            PhoneIndex(digest=d, customer_id=cu, contact_id=co) for d in sorted(phone_digests(v))])


def phone_index_on_event(*, event: str, obj, now) -> None:
    """core.events receiver (same transaction as the customer or contact write)."""
    index_on_event(event=event, obj=obj, field="phone", refresh=phone_index_refresh,
                   store=lambda customer_id, contact_id, phone: _store(customer_id=customer_id,
                                                                       contact_id=contact_id, phone=phone))


def phone_index_rebuild() -> int:
    """Rebuild the whole index from the (decrypted) numbers. Idempotent; one
    transaction, so a search never sees it half-built."""
    rows = []
    for model, contact in ((Customer, False), (Contact, True)):
        fields = ("pk", "customer_id", "phone") if contact else ("pk", "phone")
        for values in model.objects.exclude(phone="").order_by("pk").values_list(*fields).iterator(
                chunk_size=REBUILD_CHUNK):
            pk, phone = values[0], values[-1]
            rows.extend(PhoneIndex(digest=d, customer_id=values[1] if contact else pk,
                                   contact_id=pk if contact else None) for d in phone_digests(phone))
    with transaction.atomic():
        PhoneIndex.objects.all().delete()
        PhoneIndex.objects.bulk_create(rows, batch_size=REBUILD_CHUNK)
    return len(rows)
