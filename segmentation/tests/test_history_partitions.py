"""The segment history, partitioned by as_of on PostgreSQL (one partition per
recompute date, filled fresh, indexed, then attached): written and read as
before on both backends, and a second recompute of a date replaces that date's
rows."""
from __future__ import annotations

import pytest
from django.db import connection

from crm.models import Customer
from segmentation import pgwrite, selectors, services
from segmentation.models import SegmentHistory
from segmentation.tests.factories import AS_OF, buy, customer_since, days_ago, talk

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="partitions are PostgreSQL's")


def history(as_of) -> dict[int, tuple]:
    return {h.customer_id: (h.tier, h.value_tier, h.health_score, h.rfm_segment)
            for h in SegmentHistory.objects.filter(as_of=as_of)}


def partition_of(as_of) -> tuple[int, int] | None:
    """(oid, rows) of the date's partition, None when it has none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.oid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass AND c.relname = %s",
                       [pgwrite.HISTORY, pgwrite.history_partition_name(as_of)])
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(f"SELECT count(*) FROM {pgwrite.history_partition_name(as_of)}")
        return row[0], cursor.fetchone()[0]


def test_a_second_recompute_of_a_date_leaves_one_row_per_customer_with_the_new_scores(alice, make_customer, now):
    """Both backends: the second run's scores replace the first's, other dates untouched."""
    loyal = customer_since(make_customer, owner=alice, name="Loyal", days=300)
    buy(loyal, days=3, amount=900)
    talk(loyal, days=2)
    fading = customer_since(make_customer, owner=alice, name="Fading", days=300)
    buy(fading, days=3, amount=100)
    services.segments_recompute(as_of=days_ago(30), now=now)
    services.segments_recompute(as_of=AS_OF, now=now)
    earlier, first = history(days_ago(30)), history(AS_OF)
    assert set(first) == {loyal.pk, fading.pk}

    # The fading customer's purchase turns out to be a refund: gone from the inputs.
    fading.transactions.all().delete()
    services.segments_recompute(as_of=AS_OF, now=now)

    second = history(AS_OF)
    assert set(second) == {loyal.pk, fading.pk}
    assert SegmentHistory.objects.filter(as_of=AS_OF).count() == 2
    assert second[loyal.pk] == first[loyal.pk]
    assert second[fading.pk] != first[fading.pk]
    assert history(days_ago(30)) == earlier
    # Read as before: the trend per date, and a customer's tier on a day (the latest row up to it).
    assert [(t["as_of"], t["total"]) for t in selectors.tier_trend(user=alice)] == [(days_ago(30), 2), (AS_OF, 2)]
    on = dict(Customer.objects.annotate(t=selectors.tier_on(days_ago(1), customer="pk")).values_list("pk", "t"))
    assert on == {loyal.pk: earlier[loyal.pk][0], fading.pk: earlier[fading.pk][0]}


@postgres_only
def test_history_is_partitioned_one_partition_per_date_replaced_by_a_second_run(alice, make_customer, now):
    c = customer_since(make_customer, owner=alice, name="C", days=300)
    buy(c, days=3)
    d = customer_since(make_customer, owner=alice, name="D", days=300)
    talk(d, days=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = %s::regclass", [pgwrite.HISTORY])
        assert cursor.fetchone() == ("r",)

    services.segments_recompute(as_of=AS_OF, now=now)
    oid, rows = partition_of(AS_OF)
    assert rows == 2
    services.segments_recompute(as_of=AS_OF, now=now)

    new_oid, rows = partition_of(AS_OF)
    assert new_oid != oid and rows == 2  # a fresh table took the date's place
    assert partition_of(days_ago(1)) is None
    with connection.cursor() as cursor:
        # The parent's indexes and constraints are on the partition (attached, not rebuilt by ATTACH).
        # Counted on this date's partition and the default one only: a transactional test run
        # before on this database may have left partitions of its own dates (a flush keeps tables).
        cursor.execute("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_index x ON x.indexrelid = i.inhrelid "
                       "WHERE c.relkind = 'i' AND i.inhparent IN (SELECT indexrelid FROM pg_index "
                       "WHERE indrelid = %s::regclass) AND x.indrelid IN (%s::regclass, %s::regclass)",
                       [pgwrite.HISTORY, pgwrite.history_partition_name(AS_OF), pgwrite.HISTORY_DEFAULT])
        parent_indexes_attached = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass",
                       [pgwrite.history_partition_name(AS_OF)])
        partition_indexes = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [pgwrite.HISTORY])
        parent_indexes = cursor.fetchone()[0]
    assert partition_indexes == parent_indexes == 3
    assert parent_indexes_attached == 2 * parent_indexes  # the date's partition and the default one


@postgres_only
def test_rows_written_by_the_orm_wait_in_the_default_partition_and_move_with_their_date(alice, make_customer, now):
    """A row the ORM wrote for a date (a test, an admin) lands in the default
    partition; a recompute of that date carries it over (the upsert kept it too)
    when the recompute does not score that customer."""
    with connection.cursor() as cursor:
        # A transactional test earlier in this process (a real worker's recompute) may have left
        # AS_OF's partition committed; dropped inside this test's transaction (rolled back after it).
        cursor.execute(f"DROP TABLE IF EXISTS {pgwrite.history_partition_name(AS_OF)}")
    c = customer_since(make_customer, owner=alice, name="C", days=300)
    buy(c, days=3)
    later = customer_since(make_customer, owner=alice, name="Later", days=-5)  # created after AS_OF: not scored
    SegmentHistory.objects.create(customer=later, as_of=AS_OF, tier="new", value_tier="low", health_score=40,
                                  rfm_segment="new")
    SegmentHistory.objects.create(customer=c, as_of=AS_OF, tier="new", value_tier="low", health_score=1,
                                  rfm_segment="new")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {pgwrite.HISTORY_DEFAULT}")
        assert cursor.fetchone()[0] == 2

        services.segments_recompute(as_of=AS_OF, now=now)

        cursor.execute(f"SELECT count(*) FROM {pgwrite.HISTORY_DEFAULT}")
        assert cursor.fetchone()[0] == 0
    assert partition_of(AS_OF)[1] == 2
    rows = history(AS_OF)
    assert rows[later.pk] == ("new", "low", 40, "new")
    assert rows[c.pk][2] != 1  # the recompute's score replaced the hand-written row
