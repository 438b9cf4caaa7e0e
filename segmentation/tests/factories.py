"""Small helpers to put activity on a customer at a number of days before AS_OF."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from crm.models import Customer, FollowUp, Interaction, Transaction

AS_OF = dt.date(2026, 6, 15)


def pin_today(monkeypatch, day: dt.date = AS_OF) -> None:
    """The outermost callers (views, tasks) read today from ``timezone.localdate()``:
    pin it to ``day``, in the live server's thread too; a conversion of a given
    datetime still converts."""
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, *a, **k: day if value is None else real(value))


def days_ago(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def at_noon(n: int) -> dt.datetime:
    """Local noon, n days before AS_OF."""
    return timezone.make_aware(dt.datetime.combine(days_ago(n), dt.time(12, 0)))


def buy(customer: Customer, *, days: int, amount: str | int = "100.00", kind: str = "purchase",
        due_days: int | None = None, paid_days: int | None = None) -> Transaction:
    return Transaction.objects.create(
        customer=customer, kind=kind, amount=Decimal(str(amount)), occurred_on=days_ago(days),
        due_on=days_ago(due_days) if due_days is not None else None,
        paid_on=days_ago(paid_days) if paid_days is not None else None)


def talk(customer: Customer, *, days: int, staff=None, objection: bool = False,
         resolved_days: int | None = None) -> Interaction:
    return Interaction.objects.create(
        customer=customer, occurred_at=at_noon(days), staff=staff or customer.owner, summary="call",
        is_objection=objection, objection_resolved_at=at_noon(resolved_days) if resolved_days is not None else None)


def followup(customer: Customer, *, owner, due_days: int, reason: str = "Call back the detractor",
             source: str = FollowUp.Source.DETRACTOR) -> FollowUp:
    return FollowUp.objects.create(customer=customer, owner=owner, source=source, reason=reason,
                                   due_at=at_noon(due_days), created_at=at_noon(due_days + 2))


def customer_since(make_customer, *, owner, name: str, days: int, **fields) -> Customer:
    """A customer created ``days`` before AS_OF."""
    return make_customer(owner=owner, name=name, created_at=at_noon(days), **fields)
