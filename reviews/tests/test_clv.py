"""Issue 16 item 10: CLV on a steady population is the same for a month, a
quarter and a year, and equals what a customer spends over a whole life."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.models import Customer, Transaction
from reviews.metrics import Period, Scope, metric_compute

pytestmark = pytest.mark.django_db

PURCHASE_EVERY_DAYS = 30
AMOUNT = 100
# Every day three customers arrive; each buys every 30 days until its last purchase,
# 30, 150 or 420 days after its first: 2, 6 and 15 purchases. So every day brings the
# same number of purchases and of customers going quiet: a steady population.
LAST_PURCHASE_DAYS = (30, 150, 420)
FIRST_DAY = dt.date(2023, 9, 1)
LAST_DAY = dt.date(2025, 12, 31)


@pytest.fixture
def steady_population(alice, now):
    customers = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for last in LAST_PURCHASE_DAYS:
            customers.append((day, last))
        day += dt.timedelta(days=1)
    rows = Customer.objects.bulk_create([Customer(name=f"S{i}", owner=alice, team=alice.team, created_at=now)
                                         for i in range(len(customers))])
    txs = []
    for customer, (first, last) in zip(rows, customers):
        for offset in range(0, last + 1, PURCHASE_EVERY_DAYS):
            on = first + dt.timedelta(days=offset)
            if on <= LAST_DAY:
                txs.append(Transaction(customer=customer, amount=Decimal(AMOUNT), occurred_on=on))
    Transaction.objects.bulk_create(txs, batch_size=5000)


def clv(start: dt.date, end: dt.date) -> float:
    return metric_compute(key="clv", period=Period(start, end), scope=Scope()).value


def test_a_steady_population_has_the_same_clv_for_a_month_a_quarter_and_a_year(steady_population):
    lifetime_spend = AMOUNT * sum(last // PURCHASE_EVERY_DAYS + 1 for last in LAST_PURCHASE_DAYS) / len(
        LAST_PURCHASE_DAYS)  # 766.67: what the average customer spends in its life
    month = clv(dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    quarter = clv(dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    year = clv(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    for value in (month, quarter, year):
        assert value == pytest.approx(lifetime_spend, rel=0.01)
    assert max(month, quarter, year) / min(month, quarter, year) < 1.01
