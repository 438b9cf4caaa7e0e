"""The demo hook puts a product line on every demo purchase with a co-purchase
structure (marketing automation mostly on top of the core module), and mines it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db.models import F

from crm.models import Transaction, TransactionLine
from xsell import demo
from xsell.models import ProductAffinity

pytestmark = pytest.mark.django_db


def test_the_owned_modules_have_the_catalogues_structure():
    owned = demo.owned_modules(np.random.default_rng(1), 20_000)
    a, b = owned[:, 0], owned[:, 1]
    assert owned.any(axis=1).all()
    # B given A far likelier than B without A: lift above 1.
    assert b[a].mean() > 0.5 > 0.15 > b[~a].mean()


def test_every_demo_purchase_gets_a_line_of_its_amount_and_the_pairs_are_mined(alice, make_customer, now):
    for i in range(30):
        c = make_customer(owner=alice, name=f"demo {i}", source="demo", external_id=f"D{i}")
        for k in range(4):
            Transaction.objects.create(customer=c, amount=Decimal(100 + k), occurred_on=dt.date(2026, 1, 1 + k))
    summary = demo.demo_generate(seed=3, now=now)
    assert summary.startswith("xsell:")
    assert TransactionLine.objects.count() == 120
    assert not TransactionLine.objects.exclude(amount=F("transaction__amount")).exists()
    assert ProductAffinity.objects.filter(team=alice.team).exists()
