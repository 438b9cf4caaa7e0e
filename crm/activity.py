"""Who was active when: a customer counts as *active at* the start of day T when some
transaction, interaction or ticket falls in the ACTIVITY_DAYS (90) days before it —
local days T − 90 … T − 1 (DESIGN "Metrics catalogue": churn and retention).

Answering that from the records means reading every record of two 90-day windows
(2 million rows at a million customers, several seconds per metric). Instead each
customer's activity days are folded into *spells* (``ActivitySpell``): an activity
on day d makes the customer active at the start of days d + 1 … d + 90, and
overlapping or touching stretches merge, so two activities more than 90 days apart
start a new spell. "Active at T" is then ``active_from <= T <= active_until``: one
small row per customer and stretch, read from one index.

The spells are derived data, kept in step by the database itself: a trigger on each
source table (``SOURCES``; other apps add theirs with ``source_register``) records
the customers whose records were inserted, moved, re-dated or deleted in
``ActivityDirty`` — ORM saves, bulk writes, COPY and raw SQL alike — and
``refresh()``, which every reader calls first, recomputes those customers' spells
from their records (in chunks, one short transaction each). The triggers are
installed after every ``migrate`` (``triggers_install``), so a table that a later
SQLite migration rebuilds gets its trigger back.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import connections, models, router, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import TruncDate

ACTIVITY_DAYS = 90
REFRESH_CHUNK = 5_000  # customers per transaction (and per IN list: SQLite's variable limit)
REFRESH_TIDY_AT = 50_000  # customers recomputed in one refresh after which the spell table is vacuumed
_LOCK_KEY = 0x6372_6D61  # "crma": one refresher at a time on PostgreSQL (the others read on)


@dataclass(frozen=True)
class Source:
    """A table of activity records: ``model`` has ``customer_id`` and the ``field``
    (a DateField, or a DateTimeField read as its local day) that dates the activity."""

    model: type[models.Model]
    field: str

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.model._meta.get_field(self.field), models.DateTimeField)


SOURCES: list[Source] = []


def source_register(model: type[models.Model], field: str) -> None:
    """Count ``model``'s records (dated by ``field``) as customer activity (an app's ready())."""
    if not any(s.model is model for s in SOURCES):
        SOURCES.append(Source(model, field))


def active_at_q(day: dt.date) -> Q:
    """A condition on Customer: active at the start of ``day``. Refreshes the spells
    first, so the answer follows every committed write."""
    from crm.models import ActivitySpell

    refresh()
    # EXISTS rather than IN: negated (churn's "quiet by the end") it plans as an anti-join
    # instead of a hashed NOT IN checked against every customer (a third faster at 100,000).
    return Q(Exists(ActivitySpell.objects.filter(customer_id=OuterRef("pk"), active_from__lte=day,
                                                 active_until__gte=day)))


def spells_of(customer_ids, days) -> list[tuple[int, dt.date, dt.date]]:
    """(customer_id, active_from, active_until) for activity ``days`` given as parallel
    sequences; the rule of the module docstring, vectorised."""
    ids = np.asarray(customer_ids, dtype="int64")
    ords = np.asarray([d.toordinal() for d in days], dtype="int64")
    if not len(ids):
        return []
    order = np.lexsort((ords, ids))
    ids, ords = ids[order], ords[order]
    starts = np.ones(len(ids), dtype=bool)
    starts[1:] = (ids[1:] != ids[:-1]) | (ords[1:] - ords[:-1] > ACTIVITY_DAYS)
    first = np.flatnonzero(starts)
    last = np.append(first[1:], len(ids)) - 1
    fromdate = dt.date.fromordinal
    return [(int(ids[f]), fromdate(int(ords[f]) + 1), fromdate(int(ords[e]) + ACTIVITY_DAYS))
            for f, e in zip(first, last)]


def _activity_days(which: Q) -> tuple[list[int], list[dt.date]]:
    """(customer ids, local activity days) of the customers ``which`` (a Q on customer_id)."""
    ids: list[int] = []
    days: list[dt.date] = []
    for source in SOURCES:
        day = TruncDate(source.field) if source.is_datetime else models.F(source.field)
        rows = (source.model._base_manager.filter(which).order_by()
                .annotate(activity_day=day).values_list("customer_id", "activity_day").distinct())
        for customer_id, activity_day in rows:
            ids.append(customer_id)
            days.append(activity_day)
    return ids, days


def _which(customer_ids: list[int]) -> dict:
    """The look-ups of the customers to recompute: ``in`` these ids, or their id range when
    the ids fill at least half of it (a rebuild after an import): every customer of the
    range is then recomputed, which gives the others the spells they have, and no IN list
    of thousands is sent."""
    lo, hi = min(customer_ids), max(customer_ids)
    if len(customer_ids) * 2 >= hi - lo + 1:
        return {"gte": lo, "lte": hi}
    return {"in": customer_ids}


def recompute(customer_ids: list[int]) -> int:
    """Replace the spells of these customers with those of their records; the number written."""
    from crm.models import ActivitySpell, Customer

    if not customer_ids:
        return 0
    lookups = _which(customer_ids)
    which = Q(**{f"customer_id__{k}": v for k, v in lookups.items()})
    existing = set(Customer._base_manager.filter(**{f"pk__{k}": v for k, v in lookups.items()})
                   .values_list("pk", flat=True))
    ActivitySpell.objects.filter(which).delete()
    rows = [row for row in spells_of(*_activity_days(which)) if row[0] in existing]
    connection = connections[router.db_for_write(ActivitySpell)]
    if connection.vendor == "postgresql" and rows:
        columns = list(zip(*rows))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {ActivitySpell._meta.db_table} (customer_id, active_from, active_until) "
                           "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::date[])",
                           [list(columns[0]), list(columns[1]), list(columns[2])])
    else:
        ActivitySpell.objects.bulk_create([ActivitySpell(customer_id=c, active_from=a, active_until=b)
                                           for c, a, b in rows], batch_size=5_000)
    return len(rows)


def refresh(*, chunk: int = REFRESH_CHUNK) -> int:
    """Recompute the spells of every customer marked dirty; the number of customers done.

    One refresher at a time: on PostgreSQL a second one, while the first holds the lock
    (until its transaction ends: a metric's transaction), reads the spells as they are
    instead of waiting — at most the writes of those few seconds are not seen yet.
    After a bulk refresh (an import, a load: REFRESH_TIDY_AT customers or more) the spell
    table is vacuumed and analysed at once: the reads are index-only scans, which visit the
    heap for every row until the visibility map is set (churn rate at a million customers:
    1.0 s with it, 5.9 s without)."""
    from core.db import tables_vacuum_analyze
    from crm.models import ActivityDirty, ActivitySpell

    done = _refresh_chunks(chunk)
    if done >= REFRESH_TIDY_AT:
        tables_vacuum_analyze(ActivitySpell, ActivityDirty)
    return done


def _refresh_chunks(chunk: int) -> int:
    from crm.models import ActivityDirty

    using = router.db_for_write(ActivityDirty)
    if not ActivityDirty.objects.using(using).exists():  # the usual case: one query
        return 0
    done = 0
    while True:
        with transaction.atomic(using=using):
            connection = connections[using]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
                    if not cursor.fetchone()[0]:
                        return done
            ids = list(ActivityDirty.objects.using(using).order_by("customer_id")
                       .values_list("customer_id", flat=True)[:chunk])
            if not ids:
                return done
            ActivityDirty.objects.using(using).filter(customer_id__in=ids).delete()
            recompute(ids)
        done += len(ids)


# ---------------------------------------------------------------------------------------------
# The triggers


def _trigger_sql(vendor: str, source: Source) -> list[str]:
    from crm.models import ActivityDirty

    table = source.model._meta.db_table
    column = source.model._meta.get_field(source.field).column
    dirty = ActivityDirty._meta.db_table
    name = f"{table}_activity"
    if vendor == "postgresql":
        mark = (f"INSERT INTO {dirty} (customer_id) SELECT DISTINCT customer_id FROM ({{rows}}) AS r "
                f"ON CONFLICT DO NOTHING; RETURN NULL;")
        # An update marks both the old and the new customer of each row moved or re-dated.
        moved = (f"SELECT unnest(ARRAY[n.customer_id, o.customer_id]) AS customer_id "
                 f"FROM new_rows n JOIN old_rows o ON o.id = n.id "
                 f"WHERE n.customer_id <> o.customer_id OR n.{column} IS DISTINCT FROM o.{column}")
        sql = []
        for event, rows, referencing in (("INSERT", "SELECT customer_id FROM new_rows", "NEW TABLE AS new_rows"),
                                         ("UPDATE", moved, "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
                                         ("DELETE", "SELECT customer_id FROM old_rows", "OLD TABLE AS old_rows")):
            function = f"{name}_{event.lower()}"
            sql += [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{mark.format(rows=rows)} END $$",
                f"DROP TRIGGER IF EXISTS {function} ON {table}",
                f"CREATE TRIGGER {function} AFTER {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        return sql
    if vendor == "sqlite":
        mark = f"INSERT OR IGNORE INTO {dirty} (customer_id) VALUES ({{row}}.customer_id);"
        return [
            f"DROP TRIGGER IF EXISTS {name}_insert",
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {mark.format(row='NEW')} END",
            f"DROP TRIGGER IF EXISTS {name}_update",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF customer_id, {column} ON {table} "
            f"BEGIN {mark.format(row='NEW')} {mark.format(row='OLD')} END",
            f"DROP TRIGGER IF EXISTS {name}_delete",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {mark.format(row='OLD')} END",
        ]
    raise NotImplementedError(f"crm.activity has no triggers for {vendor}")


def triggers_install(*, using: str = "default") -> None:
    """(Re)create the trigger of every source table that exists (idempotent)."""
    from crm.models import ActivityDirty

    connection = connections[using]
    tables = set(connection.introspection.table_names())

    if ActivityDirty._meta.db_table not in tables:
        return
    with connection.cursor() as cursor:
        for source in SOURCES:
            if source.model._meta.db_table in tables:
                for statement in _trigger_sql(connection.vendor, source):
                    cursor.execute(statement)


def on_post_migrate(sender, using="default", **kwargs) -> None:
    triggers_install(using=using)
