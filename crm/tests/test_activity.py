"""Activity spells (crm.activity): "active at the start of day T" = some transaction,
interaction or ticket on one of the local days T − 90 … T − 1; kept in step with
every kind of write by the database's triggers."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q

from crm import activity
from crm.models import ActivityDirty, ActivitySpell, Customer, Interaction, Transaction
from reviews.tests.factories import at, buy, talk, ticket

pytestmark = pytest.mark.django_db
D = dt.date


def active_ids(day: dt.date) -> set[int]:
    return set(Customer.objects.filter(activity.active_at_q(day)).values_list("pk", flat=True))


def spells() -> set[tuple[int, dt.date, dt.date]]:
    activity.refresh()
    return set(ActivitySpell.objects.values_list("customer_id", "active_from", "active_until"))


def test_an_activity_makes_the_customer_active_from_the_next_day_for_exactly_90_days(make_customer):
    c = make_customer()
    buy(c, D(2026, 3, 1))
    assert c.pk not in active_ids(D(2026, 3, 1))  # the day itself: not yet before it
    assert c.pk in active_ids(D(2026, 3, 2))
    assert c.pk in active_ids(D(2026, 3, 1) + dt.timedelta(days=90))  # 1 Mar is the first of the 90 days before
    assert c.pk not in active_ids(D(2026, 3, 1) + dt.timedelta(days=91))


def test_activities_90_days_apart_make_one_spell_91_days_apart_two():
    assert activity.spells_of([1, 1], [D(2026, 1, 1), D(2026, 4, 1)]) == [(1, D(2026, 1, 2), D(2026, 6, 30))]  # 90
    assert activity.spells_of([1, 1], [D(2026, 1, 1), D(2026, 4, 2)]) == [
        (1, D(2026, 1, 2), D(2026, 4, 1)), (1, D(2026, 4, 3), D(2026, 7, 1))]  # 91 days apart: a gap on 2 Apr
    assert activity.spells_of([2, 1, 2], [D(2026, 5, 1), D(2026, 5, 1), D(2026, 5, 3)]) == [
        (1, D(2026, 5, 2), D(2026, 7, 30)), (2, D(2026, 5, 2), D(2026, 8, 1))]
    assert activity.spells_of([], []) == []


def test_an_interaction_and_a_ticket_count_by_their_local_day(make_customer):
    c, k = make_customer(name="talked"), make_customer(name="ticket")
    talk(c, D(2026, 5, 10))  # 12:00 local
    ticket(k, at(D(2026, 5, 10), hour=0, minute=5))  # 00:05 local is 16:05 UTC the day before
    assert {c.pk, k.pk} <= active_ids(D(2026, 5, 11))
    assert not {c.pk, k.pk} & active_ids(D(2026, 5, 10))


def _from_scratch() -> set[tuple[int, dt.date, dt.date]]:
    """The spells computed from every record, ignoring what the triggers marked."""
    return set(activity.spells_of(*activity._activity_days(Q())))


def test_every_kind_of_write_is_seen_bulk_update_delete_raw_sql_and_moves(make_customer):
    """Whatever writes the records — the ORM, bulk_create, queryset.update, delete,
    raw SQL, a record moved to another customer — the spells after a refresh are
    those computed from scratch."""
    a, b, c = make_customer(name="a"), make_customer(name="b"), make_customer(name="c")
    assert spells() == set()
    Transaction.objects.bulk_create([Transaction(customer=a, amount=Decimal("1"), occurred_on=D(2026, 1, d))
                                     for d in (1, 2, 3)])
    assert spells() == _from_scratch() == {(a.pk, D(2026, 1, 2), D(2026, 4, 3))}
    Transaction.objects.filter(customer=a, occurred_on=D(2026, 1, 3)).update(occurred_on=D(2026, 9, 1))
    assert spells() == _from_scratch()
    assert len([s for s in spells() if s[0] == a.pk]) == 2
    moved = talk(b, D(2026, 2, 1))
    Interaction.objects.filter(pk=moved.pk).update(customer=c)  # moved: b loses its activity, c gains it
    assert spells() == _from_scratch()
    assert {s[0] for s in spells()} == {a.pk, c.pk}
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO crm_transaction (customer_id, source, external_id, kind, amount, occurred_on,"
                       " notes, created_at) VALUES (%s, '', '', 'purchase', 5, %s, '', %s)", [b.pk, D(2026, 3, 3), at(D(2026, 3, 3))])
    assert spells() == _from_scratch()
    assert b.pk in {s[0] for s in spells()}
    Transaction.objects.filter(customer=a).delete()
    t = ticket(a, at(D(2026, 6, 1)))
    assert spells() == _from_scratch()
    t.delete()
    c.delete()
    assert spells() == _from_scratch() == {(b.pk, D(2026, 3, 4), D(2026, 6, 1))}
    assert not ActivityDirty.objects.exists()


def test_a_refresh_of_a_few_customers_leaves_the_others_spells_alone(make_customer):
    customers = [make_customer(name=f"c{i}") for i in range(10)]
    for c in customers:
        buy(c, D(2026, 1, 1))
    before = spells()
    assert len(before) == 10
    buy(customers[0], D(2026, 8, 1))
    buy(customers[-1], D(2026, 8, 1))  # 2 dirty ids in a range of 10: recomputed by id
    after = spells()
    assert after == _from_scratch()
    assert len(after) == 12 and before <= after


def test_an_edit_that_leaves_the_day_alone_marks_nobody(make_customer):
    a = make_customer()
    t = buy(a, D(2026, 1, 1))
    activity.refresh()
    Transaction.objects.filter(pk=t.pk).update(notes="paid late", paid_on=D(2026, 2, 1))
    assert not ActivityDirty.objects.exists()


def test_random_writes_agree_with_the_records_and_the_record_by_record_rule(make_customer):
    """Random histories: the spells match the from-scratch computation, and "active at
    T" matches the rule read off the records one by one."""
    rng = random.Random(7)
    customers = [make_customer(name=f"c{i}") for i in range(12)]
    for _ in range(120):
        customer = rng.choice(customers)
        day = D(2025, 1, 1) + dt.timedelta(days=rng.randrange(600))
        if rng.random() < 0.6:
            buy(customer, day)
        else:
            talk(customer, day)
        if rng.random() < 0.1:
            Transaction.objects.filter(pk__in=Transaction.objects.order_by("?").values("pk")[:1]).delete()
    assert spells() == _from_scratch()
    days = {}
    for cid, day in Transaction.objects.values_list("customer_id", "occurred_on"):
        days.setdefault(cid, set()).add(day)
    for cid, when in Interaction.objects.values_list("customer_id", "occurred_at"):
        days.setdefault(cid, set()).add(when.astimezone(at(D(2026, 1, 1)).tzinfo).date())
    for probe in (D(2025, 1, 1) + dt.timedelta(days=k) for k in range(0, 700, 11)):
        expected = {cid for cid, ds in days.items()
                    if any(probe - dt.timedelta(days=90) <= d < probe for d in ds)}
        assert active_ids(probe) == expected, probe


def test_triggers_install_again_after_migrate_without_doubling(make_customer):
    # Marks an earlier flush left on SQLite (its DELETE of the transactions fires the triggers
    # after the marks' table was emptied) are not this test's: start from none.
    ActivityDirty.objects.all().delete()
    activity.triggers_install()
    activity.triggers_install()
    a = make_customer()
    buy(a, D(2026, 1, 1))
    assert list(ActivityDirty.objects.values_list("customer_id", flat=True)) == [a.pk]
    assert spells() == {(a.pk, D(2026, 1, 2), D(2026, 4, 1))}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM and ANALYZE are PostgreSQL's")
def test_a_bulk_refresh_vacuums_the_spell_table_and_an_ordinary_one_does_not(make_customer, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(activity, "REFRESH_TIDY_AT", 3)
    activity.refresh()

    def refreshed_sql(customers: int) -> list[str]:
        for n in range(customers):
            buy(make_customer(name=f"C{n}"), D(2026, 3, 1))
        with CaptureQueriesContext(connection) as ctx:
            assert activity.refresh() == customers
        return [q["sql"] for q in ctx.captured_queries if "VACUUM" in q["sql"] or "ANALYZE" in q["sql"]]

    assert refreshed_sql(2) == []
    assert refreshed_sql(3) == [f'VACUUM (ANALYZE) "{ActivitySpell._meta.db_table}"',
                                f'VACUUM (ANALYZE) "{ActivityDirty._meta.db_table}"']
