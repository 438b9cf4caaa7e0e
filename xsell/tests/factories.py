"""Helpers: a segment row of a given tier, a purchase with product lines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm.models import Transaction, TransactionLine
from segmentation.models import CustomerSegment

AS_OF = dt.date(2026, 6, 15)


def segment_set(customer, tier: str) -> None:
    CustomerSegment.objects.create(customer=customer, as_of=AS_OF, tier=tier, rfm_segment="loyal",
                                   value_tier="medium", membership_level="silver", health_score=70,
                                   next_contact_due=AS_OF, computed_at=dt.datetime(2026, 6, 15, tzinfo=dt.UTC),
                                   owner=customer.owner, team=customer.team)


def buy_lines(customer, products, *, kind="purchase", on=AS_OF - dt.timedelta(days=30)):
    txn = Transaction.objects.create(customer=customer, kind=kind, amount=Decimal(100) * len(products),
                                     occurred_on=on)
    for product in products:
        TransactionLine.objects.create(transaction=txn, product=product, amount=Decimal(100))
    return txn
