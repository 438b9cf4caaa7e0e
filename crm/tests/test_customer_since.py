"""``customer_since_on_or_before_q``: the same customers as filtering the annotated
``customer_since`` (the one definition), on the boundary days of each of its three parts."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from core.clock import day_start
from crm.models import Customer, Transaction

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 31)


def test_on_or_before_a_day_picks_exactly_the_customers_whose_customer_since_is_on_or_before_it(alice):
    near = (None, DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1))
    # Creation instants around the local day's end: 23:59:59 of the day is on it, 00:00 after is not.
    created = (day_start(DAY) - dt.timedelta(days=3), day_start(DAY + dt.timedelta(days=1)) - dt.timedelta(seconds=1),
               day_start(DAY + dt.timedelta(days=1)), day_start(DAY + dt.timedelta(days=40)))
    expected = set()
    for n, (made, deal, first_tx) in enumerate(itertools.product(created, near, near)):
        customer = Customer.objects.create(name=f"C{n}", owner=alice, team=alice.team, created_at=made,
                                           first_deal_date=deal)
        if first_tx is not None:
            Transaction.objects.create(customer=customer, kind=Transaction.Kind.PURCHASE, amount=Decimal("10"),
                                       occurred_on=first_tx)
            Transaction.objects.create(customer=customer, kind=Transaction.Kind.PURCHASE, amount=Decimal("10"),
                                       occurred_on=first_tx + dt.timedelta(days=30))
        days = [d for d in (deal, first_tx) if d is not None] + [made.astimezone(day_start(DAY).tzinfo).date()]
        if min(days) <= DAY:
            expected.add(customer.pk)
    annotated = set(Customer.objects.with_customer_since().filter(customer_since__lte=DAY).values_list("pk", flat=True))
    assert annotated == expected  # the hand rule is the definition's
    assert set(Customer.objects.customers_since_on_or_before(DAY).values_list("pk", flat=True)) == expected
    assert 0 < len(expected) < Customer.objects.count()
